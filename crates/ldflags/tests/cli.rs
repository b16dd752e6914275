//! The real `ldflags` binary, run on real files.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::channel;
use std::time::Duration;

fn ldflags(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ldflags"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .display()
        .to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn eval_of_the_shipped_examples_prints_the_all_flags_state_json() {
    let ctx = format!("@{}", example("user.json"));
    let out = ldflags(&[
        "eval",
        &example("flags.yaml"),
        "--context",
        &ctx,
        "--reasons",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["$valid"], true);
    assert_eq!(v["maintenance-mode"], false);
    assert_eq!(
        v["$flagsState"]["maintenance-mode"]["reason"]["kind"],
        "OFF"
    );
    assert_eq!(v["staff-tools"], true, "jane@acme.example is staff");
    assert_eq!(v["beta-dashboard"], true, "jane is in beta-testers");
    assert_eq!(v["dashboard-theme"], "dark", "prerequisite met");
    assert_eq!(v["search-algorithm"], "hybrid");
    assert_eq!(v["results-per-page"], 50);
    assert_eq!(v["homepage-banner"]["show"], true);
    assert_eq!(v["support-chat-enabled"], true);
    assert_eq!(
        v["$flagsState"]["support-chat-enabled"]["reason"]["kind"],
        "FALLTHROUGH"
    );
}

#[test]
fn a_legacy_user_outside_the_segment_fails_the_prerequisite() {
    let out = ldflags(&[
        "eval",
        &example("flags.yaml"),
        "--context",
        r#"{"key":"someone-else","email":"x@elsewhere.example"}"#,
        "--flag",
        "dashboard-theme",
        "--reasons",
    ]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dashboard-theme"], "light");
    assert_eq!(
        v["$flagsState"]["dashboard-theme"]["reason"],
        json!({"kind": "PREREQUISITE_FAILED", "prerequisiteKey": "beta-dashboard"})
    );
    assert!(
        v.get("staff-tools").is_none(),
        "--flag limits the output to one flag"
    );
}

#[test]
fn the_context_can_come_from_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ldflags"))
        .args([
            "eval",
            &example("flags.yaml"),
            "--context",
            "@-",
            "--flag",
            "staff-tools",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"key":"k","email":"bo@acme.example"}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["staff-tools"], true);
}

#[test]
fn eval_can_print_a_table() {
    let out = ldflags(&[
        "eval",
        &example("flags.yaml"),
        "--context",
        r#"{"kind":"user","key":"k"}"#,
        "--format",
        "table",
        "--reasons",
    ]);
    let text = stdout(&out);
    assert!(text.starts_with("FLAG "), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("maintenance-mode") && l.ends_with("OFF")),
        "{text}"
    );
}

#[test]
fn eval_of_an_unknown_flag_or_a_bad_context_fails_with_status_one() {
    let unknown = ldflags(&[
        "eval",
        &example("flags.yaml"),
        "--context",
        r#"{"key":"k"}"#,
        "--flag",
        "nope",
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no flag \"nope\""));
    let bad = ldflags(&["eval", &example("flags.yaml"), "--context", "{not json"]);
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn check_accepts_the_shipped_examples() {
    let out = ldflags(&["check", &example("flags.yaml")]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("ok: 10 flag(s) and 1 segment(s)"));
}

#[test]
fn check_reports_a_parse_error_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bad.json",
        "{\n  \"flagValues\": {\n    \"a\": [1 2],\n  }\n}\n",
    );
    let out = ldflags(&["check", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains(&format!("{}:3:", p.display())), "{text}");
}

#[test]
fn check_finds_every_kind_of_semantic_problem() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.json",
        &json!({
            "flags": {
                "bad-index": {"on": true, "variations": [1, 2], "fallthrough": {"variation": 5}},
                "bad-weights": {"on": true, "variations": [1, 2], "fallthrough": {"rollout": {"variations": [
                    {"variation": 0, "weight": 50000}, {"variation": 1, "weight": 40000}]}}},
                "missing-refs": {"on": true, "variations": [1], "fallthrough": {"variation": 0},
                    "prerequisites": [{"key": "ghost", "variation": 0}],
                    "rules": [{"variation": 0, "clauses": [{"attribute": "key", "op": "segmentMatch", "values": ["no-such-segment"]}]}]},
                "bad-regex": {"on": true, "variations": [1], "fallthrough": {"variation": 0},
                    "rules": [{"variation": 0, "clauses": [{"attribute": "email", "op": "matches", "values": ["(unclosed"]}]}]},
                "cycle-a": {"on": true, "variations": [1], "fallthrough": {"variation": 0}, "prerequisites": [{"key": "cycle-b", "variation": 0}]},
                "cycle-b": {"on": true, "variations": [1], "fallthrough": {"variation": 0}, "prerequisites": [{"key": "cycle-a", "variation": 0}]},
                "no-fallthrough": {"on": true, "variations": []}
            },
            "flagValues": {"dup": 1}
        })
        .to_string(),
    );
    let b = write(dir.path(), "b.yaml", "flagValues:\n  dup: 2\n");
    let out = ldflags(&["check", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for expected in [
        "\"bad-index\": fallthrough variation is 5, but the flag has 2 variation(s)",
        "\"bad-weights\": fallthrough rollout weights add up to 90000, not 100000",
        "\"missing-refs\": prerequisite \"ghost\" is not a flag",
        "segment \"no-such-segment\" is not defined",
        "\"bad-regex\": rule #0 clause #0: regex \"(unclosed\" does not compile",
        "prerequisite cycle: cycle-a -> cycle-b -> cycle-a",
        "duplicate flag key \"dup\"",
        "b.yaml (flagValues)",
        "\"no-fallthrough\": has no variations",
        "\"no-fallthrough\": fallthrough has neither a variation nor a rollout",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(text.contains("9 problem(s) found"), "{text}");
}

#[test]
fn watch_prints_the_evaluation_then_each_change() {
    let dir = tempfile::tempdir().unwrap();
    let flags = write(
        dir.path(),
        "flags.yaml",
        "flagValues:\n  color: red\n  size: 1\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_ldflags"))
        .args([
            "watch",
            flags.to_str().unwrap(),
            "--context",
            r#"{"key":"u"}"#,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = channel();
    let reader = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait = Duration::from_secs(20);
    let first: Value = serde_json::from_str(&rx.recv_timeout(wait).unwrap()).unwrap();
    assert_eq!(first["color"], "red");
    std::fs::write(&flags, "flagValues:\n  color: blue\n  size: 1\n").unwrap();
    let change: Value = serde_json::from_str(&rx.recv_timeout(wait).unwrap()).unwrap();
    assert_eq!(
        change,
        json!({"flag": "color", "old": "red", "new": "blue", "variation": 0})
    );
    std::fs::write(&flags, "flagValues:\n  size: 1\n").unwrap();
    let removed: Value = serde_json::from_str(&rx.recv_timeout(wait).unwrap()).unwrap();
    assert_eq!(removed["deleted"], true);
    child.kill().unwrap();
    child.wait().unwrap();
}
