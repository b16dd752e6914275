//! `ldflags`: check, evaluate and watch LaunchDarkly flag files from the command line.
//!
//! ```text
//! ldflags check FILE...
//! ldflags eval FILE... --context JSON|@file.json [--flag KEY] [--reasons] [--format json|table]
//! ldflags watch FILE... --context JSON|@file.json [--flag KEY] [--reasons]
//! ```
//!
//! **What it is for:** people who keep flags in files (tests, prototypes, local development):
//! validating them, and seeing what a given context gets. **Not for:** talking to LaunchDarkly.
//!
//! **Neighbours:** `ld-datasource-file` reads the files (YAML enabled), `ld-store` holds and
//! watches them, `ld-eval` evaluates. **Design decision:** the tool goes through exactly the
//! same loading and evaluation code as the SDK, so what it prints is what an application would
//! get.
//!
//! Exit status: 0 on success, 1 when the files (or the context) have problems, 2 for usage
//! errors.
#![forbid(unsafe_code)]

mod check;
mod cli;
mod context_arg;
mod flags_state;
mod table;
mod watch;

use clap::Parser;
use cli::{Cli, Command, EvalArgs, Format};
use ld_datasource_file::{DuplicateKeys, load_files};
use ld_store::{DataStore, InMemoryDataStore};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check { files } => run_check(files),
        Command::Eval(args) => run_eval(args),
        Command::Watch(args) => run_watch(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("ldflags: {message}");
            ExitCode::from(1)
        }
    }
}

/// Writes to stdout. A closed pipe (`ldflags eval … | head`) is not an error worth reporting.
fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write output: {e}"))
        }
        _ => Ok(()),
    }
}

fn run_check(files: &[std::path::PathBuf]) -> Result<ExitCode, String> {
    let report = check::check(files);
    let mut text = String::new();
    for p in &report.problems {
        text.push_str(&format!("error: {p}\n"));
    }
    let code = if report.problems.is_empty() {
        text.push_str(&format!(
            "ok: {} flag(s) and {} segment(s) in {} file(s)\n",
            report.flags,
            report.segments,
            files.len()
        ));
        ExitCode::SUCCESS
    } else {
        text.push_str(&format!("{} problem(s) found\n", report.problems.len()));
        ExitCode::from(1)
    };
    emit(&text)?;
    Ok(code)
}

fn format_for(args: &EvalArgs) -> Format {
    args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    })
}

fn run_eval(args: &EvalArgs) -> Result<ExitCode, String> {
    let context = context_arg::parse_context(&args.context)?;
    let policy = if args.ignore_duplicates {
        DuplicateKeys::KeepFirst
    } else {
        DuplicateKeys::Error
    };
    let data = load_files(&args.files, policy).map_err(|e| e.to_string())?;
    let store = InMemoryDataStore::new();
    store.init(data).map_err(|e| e.to_string())?;
    let snapshot = store.snapshot();
    if let Some(key) = &args.flag
        && snapshot.flag(key).is_none()
    {
        return Err(format!("no flag \"{key}\" in the given files"));
    }
    let results = flags_state::evaluate_all(&snapshot, &context, args.flag.as_deref());
    let text = match format_for(args) {
        Format::Json => {
            let json = flags_state::to_json(&results, args.reasons);
            serde_json::to_string_pretty(&json).map_err(|e| e.to_string())? + "\n"
        }
        Format::Table => table::render(&results, args.reasons),
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn run_watch(args: &EvalArgs) -> Result<ExitCode, String> {
    let context = context_arg::parse_context(&args.context)?;
    watch::watch(args, &context, format_for(args))?;
    Ok(ExitCode::SUCCESS)
}
