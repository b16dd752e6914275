//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Check, evaluate and watch LaunchDarkly flag files (JSON or YAML).
#[derive(Debug, Parser)]
#[command(name = "ldflags", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate flag files; exit status 1 when anything is wrong.
    Check {
        /// Flag files (JSON or YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Evaluate all flags (or one) for a context and print the results.
    Eval(EvalArgs),
    /// Print the evaluation, then every change as the files change (until interrupted).
    Watch(EvalArgs),
}

/// Arguments shared by `eval` and `watch`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Flag files (JSON or YAML).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The context: JSON text, @path to a JSON file, or @- for standard input. Legacy user JSON
    /// (no "kind") works too.
    #[arg(long, short)]
    pub context: String,
    /// Evaluate only this flag.
    #[arg(long, short)]
    pub flag: Option<String>,
    /// Include evaluation reasons.
    #[arg(long, short)]
    pub reasons: bool,
    /// Output format (default: a table on a terminal, JSON otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Ignore all but the first definition of a duplicated flag or segment key.
    #[arg(long)]
    pub ignore_duplicates: bool,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// LaunchDarkly's all-flags-state JSON.
    Json,
    /// A readable table.
    Table,
}
