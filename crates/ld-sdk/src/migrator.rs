//! [`Migrator`]: runs reads and writes against an old and a new system as a migration flag's
//! stage dictates, measures them, and reports a `migration_op` event for each.
//!
//! The application supplies four functions (read old, read new, write old, write new) and
//! optionally a comparison of read results; the migrator evaluates the flag, calls the origins
//! the stage names (see [`Stage`] for the table), returns the authoritative result, and records
//! invocations, latencies, errors and — in `shadow` and `live`, sampled by the flag's
//! `checkRatio` — consistency.
//!
//! The functions are plain blocking closures. A concurrent read runs the non-authoritative origin
//! on a scoped thread while the authoritative one runs on the calling thread, so both must be
//! `Sync` and results `Send`.

use std::time::Instant;

use ld_eval::Context;
use rand::Rng;
use thiserror::Error;

use crate::{Client, ExecutionOrder, MigrationOpTracker, Operation, Origin, Stage};

type OriginFn<P, T, E> = Box<dyn Fn(&P) -> Result<T, E> + Send + Sync>;
type CompareFn<T> = Box<dyn Fn(&T, &T) -> bool + Send + Sync>;

/// The read side: one function per origin and the optional comparison.
struct ReadFns<P, T, E> {
    old: OriginFn<P, T, E>,
    new: OriginFn<P, T, E>,
    compare: Option<CompareFn<T>>,
}

/// The write side: one function per origin.
struct WriteFns<P, T, E> {
    old: OriginFn<P, T, E>,
    new: OriginFn<P, T, E>,
}

/// The result of calling one origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationOriginResult<T, E> {
    /// The origin that produced it.
    pub origin: Origin,
    /// What the origin's function returned.
    pub result: Result<T, E>,
}

/// The result of a migration write: the authoritative origin's result, and the other origin's
/// when the stage writes to both and the authoritative write succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationWriteResult<T, E> {
    /// The authoritative origin's result (the one the application should act on).
    pub authoritative: MigrationOriginResult<T, E>,
    /// The non-authoritative origin's result; `None` when the stage writes to one origin only or
    /// the authoritative write failed (the second write is then skipped).
    pub non_authoritative: Option<MigrationOriginResult<T, E>>,
}

/// Why [`MigratorBuilder::build`] failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MigratorBuildError {
    /// [`MigratorBuilder::read`] was not called.
    #[error("a migrator needs read functions (MigratorBuilder::read)")]
    NoRead,
    /// [`MigratorBuilder::write`] was not called.
    #[error("a migrator needs write functions (MigratorBuilder::write)")]
    NoWrite,
}

/// Configures a [`Migrator`]. `P` is the payload handed to every origin function, `T` what they
/// return on success, `E` their error.
pub struct MigratorBuilder<P, T, E> {
    client: Client,
    order: ExecutionOrder,
    track_latency: bool,
    track_errors: bool,
    read: Option<ReadFns<P, T, E>>,
    write: Option<WriteFns<P, T, E>>,
}

impl<P, T, E> MigratorBuilder<P, T, E> {
    /// How reads that touch both origins run them (default: concurrently).
    pub fn read_execution_order(mut self, order: ExecutionOrder) -> Self {
        self.order = order;
        self
    }

    /// Whether to measure each origin's duration (default: yes).
    pub fn track_latency(mut self, track: bool) -> Self {
        self.track_latency = track;
        self
    }

    /// Whether to record which origins failed (default: yes).
    pub fn track_errors(mut self, track: bool) -> Self {
        self.track_errors = track;
        self
    }

    /// The read functions for the old and new origins, without consistency checks.
    pub fn read(
        mut self,
        old: impl Fn(&P) -> Result<T, E> + Send + Sync + 'static,
        new: impl Fn(&P) -> Result<T, E> + Send + Sync + 'static,
    ) -> Self {
        self.read = Some(ReadFns {
            old: Box::new(old),
            new: Box::new(new),
            compare: None,
        });
        self
    }

    /// The read functions and a comparison `compare(old_result, new_result)` that says whether
    /// the two origins agree; it runs in `shadow` and `live` when both reads succeed, as often as
    /// the flag's `checkRatio` allows.
    pub fn read_with_comparison(
        mut self,
        old: impl Fn(&P) -> Result<T, E> + Send + Sync + 'static,
        new: impl Fn(&P) -> Result<T, E> + Send + Sync + 'static,
        compare: impl Fn(&T, &T) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.read = Some(ReadFns {
            old: Box::new(old),
            new: Box::new(new),
            compare: Some(Box::new(compare)),
        });
        self
    }

    /// The write functions for the old and new origins.
    pub fn write(
        mut self,
        old: impl Fn(&P) -> Result<T, E> + Send + Sync + 'static,
        new: impl Fn(&P) -> Result<T, E> + Send + Sync + 'static,
    ) -> Self {
        self.write = Some(WriteFns {
            old: Box::new(old),
            new: Box::new(new),
        });
        self
    }

    /// The migrator; fails if the read or write functions are missing.
    pub fn build(self) -> Result<Migrator<P, T, E>, MigratorBuildError> {
        Ok(Migrator {
            read: self.read.ok_or(MigratorBuildError::NoRead)?,
            write: self.write.ok_or(MigratorBuildError::NoWrite)?,
            client: self.client,
            order: self.order,
            track_latency: self.track_latency,
            track_errors: self.track_errors,
        })
    }
}

/// Runs migration-assisted reads and writes (LaunchDarkly's technology migrations).
///
/// ```
/// use ld_sdk::{Client, Config, ContextBuilder, Migrator, Origin, Stage, TestData};
///
/// let td = TestData::new();
/// let stages = ["off", "dualwrite", "shadow", "live", "rampdown", "complete"];
/// td.update(td.flag("db-migration").variations(stages).variation_for_all(3usize)); // live
/// let client = Client::new(Config::builder("k").data_source(&td).send_events(false).build()?)?;
///
/// let migrator = Migrator::builder(client.clone())
///     .read_with_comparison(
///         |id: &u32| Ok::<_, String>(format!("old row {id}")),
///         |id: &u32| Ok(format!("new row {id}")),
///         |old: &String, new: &String| old == new,
///     )
///     .write(|_: &u32| Ok("written old".to_owned()), |_: &u32| Ok("written new".to_owned()))
///     .build()?;
///
/// let context = ContextBuilder::new("user-1").build()?;
/// let read = migrator.read("db-migration", &context, Stage::Off, &7);
/// assert_eq!(read.origin, Origin::New); // live: the new origin is authoritative
/// assert_eq!(read.result, Ok("new row 7".to_owned()));
/// let write = migrator.write("db-migration", &context, Stage::Off, &7);
/// assert_eq!(write.authoritative.origin, Origin::New);
/// assert_eq!(write.non_authoritative.map(|r| r.origin), Some(Origin::Old));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Migrator<P, T, E> {
    client: Client,
    order: ExecutionOrder,
    track_latency: bool,
    track_errors: bool,
    read: ReadFns<P, T, E>,
    write: WriteFns<P, T, E>,
}

impl<P, T, E> std::fmt::Debug for Migrator<P, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("order", &self.order)
            .field("track_latency", &self.track_latency)
            .field("track_errors", &self.track_errors)
            .field("compares", &self.read.compare.is_some())
            .finish_non_exhaustive()
    }
}

impl<P, T, E> Migrator<P, T, E> {
    /// A builder for a migrator that evaluates its migration flags with `client`.
    pub fn builder(client: Client) -> MigratorBuilder<P, T, E> {
        MigratorBuilder {
            client,
            order: ExecutionOrder::Concurrent,
            track_latency: true,
            track_errors: true,
            read: None,
            write: None,
        }
    }
}

impl<P: Sync, T: Send, E: Send> Migrator<P, T, E> {
    /// Evaluates the migration flag `flag_key` for `context` (falling back to `default_stage`),
    /// reads from the origins the stage names, and returns the authoritative origin's result.
    /// Sends a `migration_op` event.
    pub fn read(
        &self,
        flag_key: &str,
        context: &Context,
        default_stage: Stage,
        payload: &P,
    ) -> MigrationOriginResult<T, E> {
        let (stage, tracker) = self
            .client
            .migration_variation(flag_key, context, default_stage);
        tracker.operation(Operation::Read);
        let origins = stage.read_origins();
        let result = match origins.get(1) {
            Some(other) => self.read_both(&tracker, origins[0], *other, payload),
            None => self.call(&tracker, origins[0], Operation::Read, payload),
        };
        self.report(&tracker);
        result
    }

    /// Evaluates the migration flag, writes to the authoritative origin, then — when the stage
    /// writes to both and the first write succeeded — to the other. Sends a `migration_op`
    /// event.
    pub fn write(
        &self,
        flag_key: &str,
        context: &Context,
        default_stage: Stage,
        payload: &P,
    ) -> MigrationWriteResult<T, E> {
        let (stage, tracker) = self
            .client
            .migration_variation(flag_key, context, default_stage);
        tracker.operation(Operation::Write);
        let origins = stage.write_origins();
        let authoritative = self.call(&tracker, origins[0], Operation::Write, payload);
        let non_authoritative = match origins.get(1) {
            Some(other) if authoritative.result.is_ok() => {
                Some(self.call(&tracker, *other, Operation::Write, payload))
            }
            _ => None,
        };
        self.report(&tracker);
        MigrationWriteResult {
            authoritative,
            non_authoritative,
        }
    }

    fn read_both(
        &self,
        tracker: &MigrationOpTracker,
        authoritative: Origin,
        other: Origin,
        payload: &P,
    ) -> MigrationOriginResult<T, E> {
        let read = |origin| self.call(tracker, origin, Operation::Read, payload);
        let (auth, non_auth) = match self.order {
            ExecutionOrder::Concurrent => std::thread::scope(|scope| {
                let background = std::thread::Builder::new()
                    .name("ld-sdk-migration-read".into())
                    .spawn_scoped(scope, || read(other));
                let auth = read(authoritative);
                let non_auth = match background {
                    Ok(handle) => handle.join().ok(),
                    Err(e) => {
                        tracing::warn!(
                            "cannot start a migration read thread ({e}); reading serially"
                        );
                        None
                    }
                };
                (auth, non_auth.unwrap_or_else(|| read(other)))
            }),
            ExecutionOrder::Random if rand::rng().random_bool(0.5) => {
                let non_auth = read(other);
                (read(authoritative), non_auth)
            }
            ExecutionOrder::Random | ExecutionOrder::Serial => {
                let auth = read(authoritative);
                (auth, read(other))
            }
        };
        if let (Some(compare), Ok(a), Ok(b)) = (&self.read.compare, &auth.result, &non_auth.result)
        {
            let (old, new) = if authoritative == Origin::Old {
                (a, b)
            } else {
                (b, a)
            };
            tracker.consistent(|| compare(old, new));
        }
        auth
    }

    /// Calls one origin's function, recording its invocation, latency and error.
    fn call(
        &self,
        tracker: &MigrationOpTracker,
        origin: Origin,
        operation: Operation,
        payload: &P,
    ) -> MigrationOriginResult<T, E> {
        let function = match (operation, origin) {
            (Operation::Read, Origin::Old) => &self.read.old,
            (Operation::Read, Origin::New) => &self.read.new,
            (Operation::Write, Origin::Old) => &self.write.old,
            (Operation::Write, Origin::New) => &self.write.new,
        };
        tracker.invoked(origin);
        let start = Instant::now();
        let result = function(payload);
        if self.track_latency {
            tracker.latency(origin, start.elapsed());
        }
        if self.track_errors && result.is_err() {
            tracker.error(origin);
        }
        MigrationOriginResult { origin, result }
    }

    fn report(&self, tracker: &MigrationOpTracker) {
        if let Err(e) = self.client.track_migration_op(tracker) {
            tracing::warn!("cannot send the migration_op event: {e}");
        }
    }
}
