//! Reading the `--context` argument: inline JSON or `@file`.

use ld_eval::Context;

/// Parses `arg` as context JSON, or reads it from the file named after `@` (`@-`: standard
/// input).
pub fn parse_context(arg: &str) -> Result<Context, String> {
    let (text, origin) = match arg.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| format!("cannot read the context from standard input: {e}"))?;
            (text, "standard input".to_string())
        }
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read context file {path}: {e}"))?,
            path.to_string(),
        ),
        None => (arg.to_string(), "--context".to_string()),
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{origin}: invalid JSON: {e}"))?;
    Context::from_json_value(&value).map_err(|e| format!("{origin}: invalid context: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_user_json_is_accepted() {
        let c = parse_context(r#"{"key":"u1","email":"a@b.c"}"#).unwrap();
        assert_eq!(c.key(), "u1");
        assert_eq!(c.kind(), "user");
    }

    #[test]
    fn a_context_without_a_key_is_an_error_naming_the_source() {
        let e = parse_context(r#"{"kind":"org"}"#).unwrap_err();
        assert!(e.starts_with("--context: invalid context"), "{e}");
    }

    #[test]
    fn a_missing_context_file_is_an_error() {
        assert!(
            parse_context("@/nonexistent/ctx.json")
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
