//! The readable table printed on a terminal.

use crate::flags_state::{FlagResult, describe};

/// Renders results as aligned columns: FLAG, VALUE, VARIATION and (optionally) REASON.
pub fn render(results: &[FlagResult], with_reasons: bool) -> String {
    let mut rows: Vec<[String; 4]> = vec![[
        "FLAG".into(),
        "VALUE".into(),
        "VARIATION".into(),
        "REASON".into(),
    ]];
    for r in results {
        rows.push([
            r.key.clone(),
            r.value.to_string(),
            r.variation.map_or_else(|| "-".into(), |v| v.to_string()),
            describe(&r.reason),
        ]);
    }
    let cols = if with_reasons { 4 } else { 3 };
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for c in 0..cols {
            if c + 1 == cols {
                line.push_str(&row[c]);
            } else {
                line.push_str(&format!("{:<w$}  ", row[c], w = widths[c]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
