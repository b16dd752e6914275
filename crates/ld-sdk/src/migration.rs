//! The vocabulary of LaunchDarkly's technology migrations: the [`Stage`] a migration flag
//! serves, the [`Operation`] being run, the [`Origin`]s (old and new system) it touches, and the
//! [`ExecutionOrder`] of reads that touch both.
//!
//! A migration flag is a string flag whose variations are the six stage names. As the flag moves
//! from `off` to `complete`, reads and writes move from the old origin to the new one:
//!
//! | stage       | reads from (authoritative first) | writes to (authoritative first) | consistency check |
//! |-------------|----------------------------------|---------------------------------|-------------------|
//! | `off`       | old                              | old                             | no                |
//! | `dualwrite` | old                              | old, new                        | no                |
//! | `shadow`    | old, new                         | old, new                        | yes               |
//! | `live`      | new, old                         | new, old                        | yes               |
//! | `rampdown`  | new                              | new, old                        | no                |
//! | `complete`  | new                              | new                             | no                |

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A stage of a technology migration, as served by a migration flag.
///
/// ```
/// use ld_sdk::Stage;
/// assert_eq!("rampdown".parse::<Stage>(), Ok(Stage::RampDown));
/// assert_eq!(Stage::DualWrite.as_str(), "dualwrite");
/// assert!("halfway".parse::<Stage>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Only the old origin is used.
    Off,
    /// Writes go to both origins (old authoritative); reads use the old one.
    DualWrite,
    /// Both origins are read and written, the old one authoritative; reads are compared.
    Shadow,
    /// Both origins are read and written, the new one authoritative; reads are compared.
    Live,
    /// Reads use the new origin; writes go to both (new authoritative).
    RampDown,
    /// Only the new origin is used.
    Complete,
}

impl Stage {
    /// Every stage, in migration order.
    pub const ALL: [Stage; 6] = [
        Stage::Off,
        Stage::DualWrite,
        Stage::Shadow,
        Stage::Live,
        Stage::RampDown,
        Stage::Complete,
    ];

    /// The stage's name in flag values (`off`, `dualwrite`, `shadow`, `live`, `rampdown`,
    /// `complete`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Off => "off",
            Stage::DualWrite => "dualwrite",
            Stage::Shadow => "shadow",
            Stage::Live => "live",
            Stage::RampDown => "rampdown",
            Stage::Complete => "complete",
        }
    }

    /// The origins a read touches, authoritative first.
    pub fn read_origins(self) -> &'static [Origin] {
        match self {
            Stage::Off | Stage::DualWrite => &[Origin::Old],
            Stage::Shadow => &[Origin::Old, Origin::New],
            Stage::Live => &[Origin::New, Origin::Old],
            Stage::RampDown | Stage::Complete => &[Origin::New],
        }
    }

    /// The origins a write touches, authoritative first (the second is skipped if the first
    /// fails).
    pub fn write_origins(self) -> &'static [Origin] {
        match self {
            Stage::Off => &[Origin::Old],
            Stage::DualWrite | Stage::Shadow => &[Origin::Old, Origin::New],
            Stage::Live | Stage::RampDown => &[Origin::New, Origin::Old],
            Stage::Complete => &[Origin::New],
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A string that is not a migration stage name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a migration stage (off, dualwrite, shadow, live, rampdown, complete)")]
pub struct InvalidStage(pub String);

impl FromStr for Stage {
    type Err = InvalidStage;

    fn from_str(s: &str) -> Result<Stage, InvalidStage> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == s)
            .ok_or_else(|| InvalidStage(s.to_owned()))
    }
}

/// What a migration operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A read.
    Read,
    /// A write.
    Write,
}

impl Operation {
    /// `read` or `write`, as in `migration_op` events.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Write => "write",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One side of a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The system being migrated from.
    Old,
    /// The system being migrated to.
    New,
}

impl Origin {
    /// `old` or `new`, as in `migration_op` events.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Old => "old",
            Origin::New => "new",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// How a read that touches both origins runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExecutionOrder {
    /// Authoritative origin first, then the other, on the calling thread.
    Serial,
    /// Both orders equally likely, one after the other, on the calling thread.
    Random,
    /// Both at once: the non-authoritative read on a scoped thread, the authoritative one on the
    /// calling thread (LaunchDarkly's default).
    #[default]
    Concurrent,
}

impl FromStr for ExecutionOrder {
    type Err = InvalidExecutionOrder;

    /// Parses `serial`, `random` or `concurrent` (the test harness's names).
    fn from_str(s: &str) -> Result<ExecutionOrder, InvalidExecutionOrder> {
        match s {
            "serial" => Ok(ExecutionOrder::Serial),
            "random" => Ok(ExecutionOrder::Random),
            "concurrent" => Ok(ExecutionOrder::Concurrent),
            other => Err(InvalidExecutionOrder(other.to_owned())),
        }
    }
}

/// A string that is not an execution order name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not an execution order (serial, random, concurrent)")]
pub struct InvalidExecutionOrder(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_name_parses_back_to_its_stage() {
        for stage in Stage::ALL {
            assert_eq!(stage.as_str().parse::<Stage>(), Ok(stage));
        }
    }

    #[test]
    fn stage_names_are_case_sensitive_and_exact() {
        assert!("Off".parse::<Stage>().is_err());
        assert!(" live".parse::<Stage>().is_err());
        assert!("".parse::<Stage>().is_err());
    }

    #[test]
    fn authoritative_origin_moves_from_old_to_new_at_live() {
        assert_eq!(Stage::Shadow.read_origins()[0], Origin::Old);
        assert_eq!(Stage::Live.read_origins()[0], Origin::New);
        assert_eq!(Stage::DualWrite.write_origins()[0], Origin::Old);
        assert_eq!(Stage::RampDown.write_origins(), &[Origin::New, Origin::Old]);
    }

    #[test]
    fn execution_orders_parse_from_harness_names() {
        assert_eq!("serial".parse(), Ok(ExecutionOrder::Serial));
        assert_eq!("random".parse(), Ok(ExecutionOrder::Random));
        assert_eq!("concurrent".parse(), Ok(ExecutionOrder::Concurrent));
        assert!("parallel".parse::<ExecutionOrder>().is_err());
    }
}
