//! `ldflags check`: every problem in a set of flag files, not just the first.

use ld_datasource_file::{
    Document, DuplicateKeys, FileDataError, Origin, RawData, RawItem, Section, merge, parse_file,
    read_file,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Everything `check` found, plus counts for the summary line.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per problem.
    pub problems: Vec<String>,
    /// Flags found.
    pub flags: usize,
    /// Segments found.
    pub segments: usize,
}

/// Checks the files: syntax, duplicate keys, the data model, references, variation indexes,
/// rollout weights, prerequisite cycles and regular expressions.
pub fn check(paths: &[PathBuf]) -> Report {
    let mut report = Report::default();
    let mut docs: Vec<(&Path, Document)> = Vec::new();
    for path in paths {
        match read_file(path).and_then(|f| parse_file(&f)) {
            Ok(doc) => docs.push((path.as_path(), doc)),
            Err(e) => report.problems.push(e.to_string()),
        }
    }
    report.problems.extend(duplicates(&docs));
    let raw = match merge(docs, DuplicateKeys::KeepFirst) {
        Ok(raw) => raw,
        Err(e) => {
            report.problems.push(e.to_string());
            return report;
        }
    };
    report.flags = raw.flags.len();
    report.segments = raw.segments.len();
    report.problems.extend(model_errors(&raw));
    report.problems.extend(Semantics::new(&raw).run());
    report
}

/// Every repeated key, naming both places.
fn duplicates(docs: &[(&Path, Document)]) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen: HashMap<(&'static str, &str), Origin> = HashMap::new();
    for (path, doc) in docs {
        let sections = [
            (Section::Flags, "flag", &doc.flags),
            (Section::FlagValues, "flag", &doc.flag_values),
            (Section::Segments, "segment", &doc.segments),
        ];
        for (section, kind, entries) in sections {
            for (key, _) in entries {
                let origin = Origin {
                    path: path.to_path_buf(),
                    section,
                };
                match seen.get(&(kind, key.as_str())) {
                    Some(first) => out.push(
                        FileDataError::DuplicateKey {
                            kind,
                            key: key.clone(),
                            first: first.clone(),
                            second: origin,
                        }
                        .to_string(),
                    ),
                    None => {
                        seen.insert((kind, key.as_str()), origin);
                    }
                }
            }
        }
    }
    out
}

/// Items that do not deserialize into ld-eval's data model.
fn model_errors(raw: &RawData) -> Vec<String> {
    let mut out = Vec::new();
    for item in &raw.flags {
        if let Err(e) = serde_json::from_value::<ld_eval::Flag>(item.value.clone()) {
            out.push(format!(
                "{}: flag \"{}\" is invalid: {e}",
                item.origin, item.key
            ));
        }
    }
    for item in &raw.segments {
        if let Err(e) = serde_json::from_value::<ld_eval::Segment>(item.value.clone()) {
            out.push(format!(
                "{}: segment \"{}\" is invalid: {e}",
                item.origin, item.key
            ));
        }
    }
    out
}

struct Semantics<'a> {
    flags: HashMap<&'a str, &'a RawItem>,
    segments: HashSet<&'a str>,
    raw: &'a RawData,
    out: Vec<String>,
}

fn arr<'v>(v: &'v Value, field: &str) -> impl Iterator<Item = &'v Value> + use<'v> {
    v.get(field).and_then(Value::as_array).into_iter().flatten()
}

impl<'a> Semantics<'a> {
    fn new(raw: &'a RawData) -> Self {
        Self {
            flags: raw.flags.iter().map(|i| (i.key.as_str(), i)).collect(),
            segments: raw.segments.iter().map(|i| i.key.as_str()).collect(),
            raw,
            out: Vec::new(),
        }
    }

    fn run(mut self) -> Vec<String> {
        for item in &self.raw.flags {
            self.flag(item);
        }
        for item in &self.raw.segments {
            for (i, rule) in arr(&item.value, "rules").enumerate() {
                self.clauses(item, &format!("rule #{i}"), rule);
            }
        }
        self.cycles();
        self.out
    }

    fn problem(&mut self, item: &RawItem, kind: &str, message: String) {
        self.out.push(format!(
            "{}: {kind} \"{}\": {message}",
            item.origin, item.key
        ));
    }

    fn flag(&mut self, item: &'a RawItem) {
        let f = &item.value;
        let n = f
            .get("variations")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if n == 0 {
            self.problem(item, "flag", "has no variations".into());
        }
        self.index(item, "offVariation", f.get("offVariation"), n);
        match f.get("fallthrough") {
            Some(ft) if ft.get("variation").is_some_and(|v| !v.is_null()) || ft.get("rollout").is_some() => {
                self.variation_or_rollout(item, "fallthrough", ft, n);
            }
            _ => self.problem(
                item,
                "flag",
                "fallthrough has neither a variation nor a rollout (evaluation would fail with MALFORMED_FLAG)".into(),
            ),
        }
        for field in ["targets", "contextTargets"] {
            for (i, t) in arr(f, field).enumerate() {
                self.index(
                    item,
                    &format!("{field}[{i}].variation"),
                    t.get("variation"),
                    n,
                );
            }
        }
        for (i, rule) in arr(f, "rules").enumerate() {
            let place = format!("rule #{i}");
            self.variation_or_rollout(item, &place, rule, n);
            self.clauses(item, &place, rule);
        }
        for p in arr(f, "prerequisites") {
            let Some(key) = p.get("key").and_then(Value::as_str) else {
                continue;
            };
            match self.flags.get(key) {
                None => self.problem(
                    item,
                    "flag",
                    format!("prerequisite \"{key}\" is not a flag in these files"),
                ),
                Some(pre) => {
                    let pn = pre
                        .value
                        .get("variations")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                    self.index(
                        item,
                        &format!("prerequisite \"{key}\" variation"),
                        p.get("variation"),
                        pn,
                    );
                }
            }
        }
    }

    fn index(&mut self, item: &RawItem, what: &str, v: Option<&Value>, n: usize) {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return;
        };
        match v.as_u64() {
            Some(i) if (i as usize) < n => {}
            _ => self.problem(
                item,
                "flag",
                format!("{what} is {v}, but the flag has {n} variation(s)"),
            ),
        }
    }

    fn variation_or_rollout(&mut self, item: &RawItem, place: &str, v: &Value, n: usize) {
        self.index(item, &format!("{place} variation"), v.get("variation"), n);
        let Some(rollout) = v.get("rollout") else {
            return;
        };
        let mut total = 0f64;
        for (j, wv) in arr(rollout, "variations").enumerate() {
            self.index(
                item,
                &format!("{place} rollout[{j}] variation"),
                wv.get("variation"),
                n,
            );
            total += wv.get("weight").and_then(Value::as_f64).unwrap_or(0.0);
        }
        if total != 100_000.0 {
            self.problem(
                item,
                "flag",
                format!("{place} rollout weights add up to {total}, not 100000"),
            );
        }
    }

    fn clauses(&mut self, item: &RawItem, place: &str, rule: &Value) {
        let kind = if item.origin.section == Section::Segments {
            "segment"
        } else {
            "flag"
        };
        for (c, clause) in arr(rule, "clauses").enumerate() {
            let op = clause.get("op").and_then(Value::as_str).unwrap_or("");
            for value in arr(clause, "values") {
                match (op, value.as_str()) {
                    ("segmentMatch", Some(s)) if !self.segments.contains(s) => self.problem(
                        item,
                        kind,
                        format!(
                            "{place} clause #{c}: segment \"{s}\" is not defined in these files"
                        ),
                    ),
                    ("matches", Some(re)) => {
                        if let Err(e) = regex::Regex::new(re) {
                            let first =
                                e.to_string().lines().last().unwrap_or_default().to_string();
                            self.problem(
                                item,
                                kind,
                                format!(
                                    "{place} clause #{c}: regex {re:?} does not compile: {first}"
                                ),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Reports each prerequisite cycle once.
    fn cycles(&mut self) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Visiting,
            Done,
        }
        let mut marks: HashMap<&str, Mark> = HashMap::new();
        let mut found = Vec::new();
        let mut keys: Vec<&str> = self.flags.keys().copied().collect();
        keys.sort_unstable();
        for start in keys {
            if marks.contains_key(start) {
                continue;
            }
            // Iterative DFS with an explicit path, so deep chains cannot overflow the stack.
            let mut path: Vec<(&str, Vec<&str>)> = vec![(start, self.prereqs(start))];
            marks.insert(start, Mark::Visiting);
            while let Some((node, children)) = path.last_mut() {
                let node = *node;
                match children.pop() {
                    Some(child) => match marks.get(child) {
                        None => {
                            marks.insert(child, Mark::Visiting);
                            let grandchildren = self.prereqs(child);
                            path.push((child, grandchildren));
                        }
                        Some(Mark::Visiting) => {
                            let at = path.iter().position(|(k, _)| *k == child).unwrap_or(0);
                            let mut cycle: Vec<&str> = path[at..].iter().map(|(k, _)| *k).collect();
                            cycle.push(child);
                            found.push((node, cycle.join(" -> ")));
                        }
                        Some(Mark::Done) => {}
                    },
                    None => {
                        marks.insert(node, Mark::Done);
                        path.pop();
                    }
                }
            }
        }
        for (key, cycle) in found {
            let item = self.flags[key];
            self.problem(item, "flag", format!("prerequisite cycle: {cycle}"));
        }
    }

    fn prereqs(&self, key: &str) -> Vec<&'a str> {
        let Some(item) = self.flags.get(key) else {
            return Vec::new();
        };
        arr(&item.value, "prerequisites")
            .filter_map(|p| p.get("key").and_then(Value::as_str))
            .filter(|k| self.flags.contains_key(k))
            .collect()
    }
}
