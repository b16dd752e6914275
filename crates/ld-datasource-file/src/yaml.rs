//! YAML flag files (the `yaml` feature): the only module that touches `serde_yaml`.
//!
//! `serde_yaml` bounds nesting depth (recursion limit) and alias expansion (repetition limit),
//! so "billion laughs" alias bombs and absurdly nested documents fail with an error instead of
//! hanging or overflowing the stack.

use crate::document::Document;

/// A YAML parse failure with its 1-based position when known (0 otherwise).
pub(crate) struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Flow nesting (`[`/`{`) deeper than this is refused before parsing. The YAML scanner's cost
/// grows with the square of flow depth, so a file of a million `[` would otherwise take
/// minutes; `serde_yaml` would reject anything deeper than 128 levels anyway.
const MAX_FLOW_DEPTH: usize = 256;

/// Parses YAML text into a [`Document`].
pub(crate) fn parse(bytes: &[u8]) -> Result<Document, YamlError> {
    check_flow_depth(bytes)?;
    let de = serde_yaml::Deserializer::from_slice(bytes);
    Document::deserialize_from(de).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        YamlError {
            line,
            column,
            message: e.to_string(),
        }
    })
}

/// A cheap, conservative pre-scan: counts unclosed brackets (quotes are not interpreted, so
/// brackets inside strings count too; real flag data never has hundreds of unclosed ones).
fn check_flow_depth(bytes: &[u8]) -> Result<(), YamlError> {
    let (mut depth, mut line, mut column) = (0usize, 1usize, 0usize);
    for &b in bytes {
        column += 1;
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Err(YamlError {
                        line,
                        column,
                        message: format!("nesting deeper than {MAX_FLOW_DEPTH} levels"),
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => {
                line += 1;
                column = 0;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_all_three_sections() {
        let doc = parse(
            b"flags:\n  f:\n    key: f\n    on: true\nflagValues:\n  v: [1, two]\nsegments:\n  s:\n    key: s\n",
        )
        .ok()
        .unwrap();
        assert_eq!(doc.flags[0].1, json!({"key": "f", "on": true}));
        assert_eq!(doc.flag_values[0].1, json!([1, "two"]));
        assert_eq!(doc.segments[0].0, "s");
    }

    #[test]
    fn duplicate_keys_in_one_mapping_are_kept_for_reporting() {
        match parse(b"flagValues:\n  a: 1\n  a: 2\n") {
            Ok(doc) => assert_eq!(doc.flag_values.len(), 2),
            // serde_yaml may reject the duplicate itself; either way it is not silently merged.
            Err(e) => assert!(e.message.contains("duplicate"), "{}", e.message),
        }
    }

    #[test]
    fn an_alias_bomb_is_rejected_quickly() {
        let mut s = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = 'a';
        for name in 'b'..='j' {
            s.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = name;
        }
        s.push_str("flagValues:\n  boom: *j\n");
        let err = parse(s.as_bytes()).expect_err("alias bomb must fail");
        assert!(err.message.contains("repetition limit"), "{}", err.message);
    }

    #[test]
    fn absurd_nesting_is_refused_before_parsing() {
        let s = format!("flagValues:\n  a: {}", "[".repeat(1_000_000));
        let err = parse(s.as_bytes()).expect_err("must fail");
        assert_eq!((err.line, err.column), (2, 6 + MAX_FLOW_DEPTH));
        assert!(err.message.contains("nesting"), "{}", err.message);
    }

    #[test]
    fn nesting_just_past_the_parser_limit_is_still_an_error() {
        let s = format!("flagValues:\n  a: {}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse(s.as_bytes()).is_err());
    }

    #[test]
    fn errors_carry_line_and_column() {
        let err = parse(b"flagValues:\n  a: 1\n b: [\n").expect_err("must fail");
        assert!(
            err.line >= 2,
            "{} at {}:{}",
            err.message,
            err.line,
            err.column
        );
    }
}
