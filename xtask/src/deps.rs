//! The crate dependency rules of the workspace, checked against `cargo metadata`.
//!
//! Data flows one way (data source → store → evaluator → events), and the crate graph says so:
//! a crate may depend (normally, not only for tests) on the workspace crates listed for it here,
//! and `ld-eval` stays free of any I/O stack.

use serde_json::Value;
use std::process::Command;

/// For each library crate: the workspace crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("ld-eval", &[]),
    ("ld-http", &[]),
    ("ld-store", &["ld-eval"]),
    ("ld-events", &["ld-eval", "ld-http"]),
    ("ld-datasource-file", &["ld-eval", "ld-store"]),
    ("ld-datasource-http", &["ld-eval", "ld-store", "ld-http"]),
    (
        "ld-sdk",
        &[
            "ld-eval",
            "ld-store",
            "ld-events",
            "ld-http",
            "ld-datasource-file",
            "ld-datasource-http",
        ],
    ),
    ("ldflags", &["ld-eval", "ld-store", "ld-datasource-file"]),
];

/// Crates the pure evaluator must never depend on, directly or not.
const FORBIDDEN_IN_EVAL: &[&str] = &["tokio", "hyper", "notify", "mio", "redis"];

/// Checks the rules; the error lists every broken one.
pub fn check() -> Result<(), String> {
    let output = Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--all-features"])
        .output()
        .map_err(|e| format!("could not run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata printed invalid JSON: {e}"))?;
    let mut problems = problems(&metadata);
    problems.extend(minimal_sdk_problems()?);
    if problems.is_empty() {
        eprintln!("deps: crate dependency rules hold");
        Ok(())
    } else {
        Err(format!(
            "crate dependency rules broken:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// Crates that make up a network stack, which the minimal SDK build promises not to pull in.
const NETWORK_STACK: &[&str] = &["hyper", "hyper-util", "rustls", "tokio-rustls", "ld-http"];

/// `ld-sdk --no-default-features` (files, TestData, offline) must build without a network stack.
fn minimal_sdk_problems() -> Result<Vec<String>, String> {
    let output = Command::new("cargo")
        .args([
            "tree",
            "-p",
            "ld-sdk",
            "--no-default-features",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .map_err(|e| format!("could not run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(network_crates_in_tree(&String::from_utf8_lossy(
        &output.stdout,
    )))
}

fn network_crates_in_tree(tree: &str) -> Vec<String> {
    let mut found: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| NETWORK_STACK.contains(name))
        .map(|name| format!("ld-sdk --no-default-features pulls in the network crate {name}"))
        .collect();
    found.sort();
    found.dedup();
    found
}

fn problems(metadata: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let empty = Vec::new();
    let packages = metadata["packages"].as_array().unwrap_or(&empty);
    let workspace: Vec<&str> = ALLOWED.iter().map(|(name, _)| *name).collect();
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        let Some((_, allowed)) = ALLOWED.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        for dep in package["dependencies"].as_array().unwrap_or(&empty) {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            let is_dev = dep["kind"].as_str() == Some("dev");
            if is_dev {
                continue;
            }
            if workspace.contains(&dep_name) && !allowed.contains(&dep_name) {
                problems.push(format!("{name} must not depend on {dep_name}"));
            }
            if name == "ld-eval" && FORBIDDEN_IN_EVAL.contains(&dep_name) {
                problems.push(format!(
                    "ld-eval must stay free of I/O, but depends on {dep_name}"
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_store_depending_on_the_sdk_is_reported() {
        let metadata = json!({"packages": [
            {"name": "ld-store", "dependencies": [{"name": "ld-sdk", "kind": null}]},
        ]});
        assert_eq!(
            problems(&metadata),
            vec!["ld-store must not depend on ld-sdk"]
        );
    }

    #[test]
    fn dev_dependencies_and_allowed_edges_are_fine() {
        let metadata = json!({"packages": [
            {"name": "ld-store", "dependencies": [
                {"name": "ld-eval", "kind": null},
                {"name": "ld-datasource-file", "kind": "dev"},
            ]},
        ]});
        assert!(problems(&metadata).is_empty());
    }

    #[test]
    fn a_network_crate_in_the_minimal_sdk_tree_is_reported_once() {
        let tree = "ld-sdk v0.1.0\nhyper v1.8.0\nserde v1.0.0\nhyper v1.8.0 (*)\n";
        assert_eq!(
            network_crates_in_tree(tree),
            vec!["ld-sdk --no-default-features pulls in the network crate hyper"]
        );
        assert!(network_crates_in_tree("ld-sdk v0.1.0\ntokio v1.0.0\n").is_empty());
    }

    #[test]
    fn io_crates_in_the_evaluator_are_reported() {
        let metadata = json!({"packages": [
            {"name": "ld-eval", "dependencies": [{"name": "tokio", "kind": null}]},
        ]});
        assert_eq!(problems(&metadata).len(), 1);
    }
}
