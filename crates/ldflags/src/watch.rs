//! `ldflags watch`: the evaluation, then every change as the files change.

use crate::cli::{EvalArgs, Format};
use crate::flags_state::{FlagResult, describe, evaluate_all, to_json};
use crate::table;
use ld_datasource_file::{DuplicateKeys, FileDataSource};
use ld_eval::Context;
use ld_store::{
    DataSource, DataSourceState, DataSourceStatus, DataSourceUpdateSink, DataStore,
    FlagChangeEvent, InMemoryDataStore,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

enum Event {
    Status(DataSourceStatus),
    Changed,
}

fn forward<T: Send + 'static>(rx: Receiver<T>, tx: Sender<Event>, map: fn(T) -> Event) {
    std::thread::spawn(move || {
        for item in rx {
            if tx.send(map(item)).is_err() {
                break;
            }
        }
    });
}

/// Runs until the process is interrupted (or stdout is closed).
pub fn watch(args: &EvalArgs, context: &Context, format: Format) -> Result<(), String> {
    let store = Arc::new(InMemoryDataStore::new());
    let sink = Arc::new(DataSourceUpdateSink::new(store.clone()));
    let (tx, rx) = channel();
    forward(
        sink.status_provider().subscribe(),
        tx.clone(),
        Event::Status,
    );
    forward(sink.flag_changes().subscribe(), tx, |_: FlagChangeEvent| {
        Event::Changed
    });
    let policy = if args.ignore_duplicates {
        DuplicateKeys::KeepFirst
    } else {
        DuplicateKeys::Error
    };
    let source = FileDataSource::builder()
        .paths(args.files.iter().cloned())
        .auto_reload(true)
        .duplicate_keys(policy)
        .build();
    source.start(sink.clone());

    let mut shown: Option<BTreeMap<String, FlagResult>> = None;
    let mut out = std::io::stdout().lock();
    for event in rx {
        match event {
            Event::Status(s) => {
                if s.state == DataSourceState::Off {
                    break;
                }
                if let (DataSourceState::Interrupted | DataSourceState::Initializing, Some(e)) =
                    (s.state, &s.last_error)
                {
                    eprintln!(
                        "ldflags: flag files not loaded (keeping the previous flags): {}",
                        e.message
                    );
                }
            }
            Event::Changed => {}
        }
        if !store.initialized() {
            continue;
        }
        let snapshot = store.snapshot();
        let now = evaluate_all(&snapshot, context, args.flag.as_deref());
        let written = match &shown {
            None => print_initial(&mut out, &now, args.reasons, format),
            Some(before) => print_changes(&mut out, before, &now, args.reasons, format),
        };
        if written.is_err() {
            break; // stdout closed
        }
        shown = Some(now.into_iter().map(|r| (r.key.clone(), r)).collect());
    }
    source.stop();
    Ok(())
}

fn print_initial(
    out: &mut impl Write,
    now: &[FlagResult],
    reasons: bool,
    format: Format,
) -> std::io::Result<()> {
    match format {
        Format::Json => writeln!(out, "{}", to_json(now, reasons))?,
        Format::Table => write!(out, "{}", table::render(now, reasons))?,
    }
    out.flush()
}

fn print_changes(
    out: &mut impl Write,
    before: &BTreeMap<String, FlagResult>,
    now: &[FlagResult],
    reasons: bool,
    format: Format,
) -> std::io::Result<()> {
    let mut lines = Vec::new();
    let now_map: BTreeMap<&str, &FlagResult> = now.iter().map(|r| (r.key.as_str(), r)).collect();
    for r in now {
        let old = before.get(&r.key);
        let same = old.is_some_and(|o| o.value == r.value && (!reasons || o.reason == r.reason));
        if !same {
            lines.push(change_line(
                &r.key,
                old.map(|o| &o.value),
                Some(r),
                reasons,
                format,
            ));
        }
    }
    for (key, old) in before {
        if !now_map.contains_key(key.as_str()) {
            lines.push(change_line(key, Some(&old.value), None, reasons, format));
        }
    }
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

fn change_line(
    key: &str,
    old: Option<&Value>,
    new: Option<&FlagResult>,
    reasons: bool,
    format: Format,
) -> String {
    let null = Value::Null;
    match format {
        Format::Json => {
            let mut v = json!({
                "flag": key,
                "old": old.unwrap_or(&null),
                "new": new.map_or(&null, |n| &n.value),
            });
            if let Some(n) = new {
                v["variation"] = json!(n.variation);
                if reasons {
                    v["reason"] = serde_json::to_value(&n.reason).unwrap_or(Value::Null);
                }
            } else {
                v["deleted"] = json!(true);
            }
            v.to_string()
        }
        Format::Table => {
            let old = old.map_or_else(|| "(new)".to_string(), Value::to_string);
            match new {
                Some(n) if reasons => {
                    format!("{key}: {old} -> {}  ({})", n.value, describe(&n.reason))
                }
                Some(n) => format!("{key}: {old} -> {}", n.value),
                None => format!("{key}: {old} -> (deleted)"),
            }
        }
    }
}
