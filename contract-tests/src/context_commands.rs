//! `contextBuild`, `contextConvert` and `contextComparison`: the SDK's context type exercised
//! without a client (the harness still sends them to a client resource).

use crate::command_params::{
    ContextBuildParams, ContextBuildResponse, ContextBuildSingleParams, ContextComparisonParams,
    ContextComparisonSingleParams, ContextConvertParams,
};
use crate::sdk_client::CommandError;
use ld_eval::{AttrRef, Context, ContextBuilder, MultiContextBuilder, SingleContext};
use serde_json::Value;

/// Builds a context with the builders and answers its JSON, or the builder's error.
pub fn build(params: ContextBuildParams) -> Result<ContextBuildResponse, CommandError> {
    let built = match (params.single, params.multi) {
        (Some(single), _) => build_single(single),
        (None, Some(multi)) => multi
            .into_iter()
            .try_fold(MultiContextBuilder::new(), |b, p| {
                Ok(b.push(build_single(p)?))
            })
            .and_then(|b| b.build().map_err(|e| e.to_string())),
        (None, None) => {
            return Err(CommandError::BadParams(
                "contextBuild needs \"single\" or \"multi\"".into(),
            ));
        }
    };
    Ok(answer(built))
}

/// Parses context JSON (possibly malformed) and answers its normalized JSON, or the error.
pub fn convert(params: ContextConvertParams) -> Result<ContextBuildResponse, CommandError> {
    let parsed = serde_json::from_str::<Value>(&params.input)
        .map_err(|e| format!("invalid JSON: {e}"))
        .and_then(|v| Context::from_json_value(&v).map_err(|e| e.to_string()));
    Ok(answer(parsed))
}

/// Whether two contexts built attribute by attribute are equal: same kinds, keys, names,
/// anonymity and attributes, and the same private attributes in any order (a literal name and
/// the equivalent escaped reference count as the same).
pub fn compare(
    first: ContextComparisonParams,
    second: ContextComparisonParams,
) -> Result<bool, CommandError> {
    let a = comparison_context(first)?;
    let b = comparison_context(second)?;
    Ok(equal(&a, &b))
}

fn build_single(p: ContextBuildSingleParams) -> Result<Context, String> {
    let mut b = ContextBuilder::new(p.key);
    if let Some(kind) = p.kind {
        b = b.kind(kind);
    }
    if let Some(name) = p.name {
        b = b.name(name);
    }
    if let Some(anonymous) = p.anonymous {
        b = b.anonymous(anonymous);
    }
    for reference in p.private.unwrap_or_default() {
        b = b.private(AttrRef::new(&reference));
    }
    for (name, value) in p.custom.unwrap_or_default() {
        b = b.set(&name, value);
    }
    b.build().map_err(|e| e.to_string())
}

fn answer(result: Result<Context, String>) -> ContextBuildResponse {
    match result.and_then(|c| serde_json::to_string(&c.to_json_value()).map_err(|e| e.to_string()))
    {
        Ok(json) => ContextBuildResponse::output(json),
        Err(e) => ContextBuildResponse::error(e),
    }
}

fn comparison_context(p: ContextComparisonParams) -> Result<Context, CommandError> {
    let built = match (p.single, p.multi) {
        (Some(single), _) => comparison_single(single),
        (None, Some(multi)) => multi
            .into_iter()
            .try_fold(MultiContextBuilder::new(), |b, s| {
                Ok(b.push(comparison_single(s)?))
            })
            .and_then(|b| b.build().map_err(|e| e.to_string())),
        (None, None) => Err("a compared context needs \"single\" or \"multi\"".into()),
    };
    built.map_err(CommandError::BadParams)
}

fn comparison_single(p: ContextComparisonSingleParams) -> Result<Context, String> {
    let mut b = ContextBuilder::new(p.key).kind(p.kind);
    for attribute in p.attributes {
        b = b.set(&attribute.name, attribute.value);
    }
    for private in p.private_attributes {
        let reference = if private.literal {
            AttrRef::literal(&private.value)
        } else {
            AttrRef::new(&private.value)
        };
        b = b.private(reference);
    }
    b.build().map_err(|e| e.to_string())
}

fn equal(a: &Context, b: &Context) -> bool {
    // Multi-kind members are kept sorted by kind, so pairing them in order is enough.
    a.is_multi() == b.is_multi()
        && a.contexts().len() == b.contexts().len()
        && a.contexts()
            .iter()
            .zip(b.contexts())
            .all(|(x, y)| single_equal(x, y))
}

fn single_equal(a: &SingleContext, b: &SingleContext) -> bool {
    a.kind() == b.kind()
        && a.key() == b.key()
        && a.name() == b.name()
        && a.anonymous() == b.anonymous()
        && a.attributes() == b.attributes()
        && private_set(a) == private_set(b)
}

fn private_set(c: &SingleContext) -> Vec<Vec<String>> {
    let mut set: Vec<Vec<String>> = c
        .private_attributes()
        .iter()
        .map(|r| r.components().map(str::to_owned).collect())
        .collect();
    set.sort();
    set.dedup();
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_params::ContextComparisonPairParams;
    use serde_json::json;

    fn build_json(params: Value) -> ContextBuildResponse {
        build(serde_json::from_value(params).unwrap()).unwrap()
    }

    fn output(r: &ContextBuildResponse) -> Value {
        serde_json::from_str(r.output.as_deref().unwrap_or_else(|| panic!("{r:?}"))).unwrap()
    }

    #[test]
    fn single_build_defaults_to_user_and_sets_everything() {
        let r = build_json(
            json!({"single": {"key": "a", "name": "b", "anonymous": true,
            "private": ["/c/d"], "custom": {"c": {"d": 1}, "gone": null}}}),
        );
        assert_eq!(
            output(&r),
            json!({"kind": "user", "key": "a", "name": "b", "anonymous": true, "c": {"d": 1},
                   "_meta": {"privateAttributes": ["/c/d"]}})
        );
    }

    #[test]
    fn multi_build_with_one_kind_is_single() {
        let r = build_json(json!({"multi": [{"kind": "org", "key": "a"}]}));
        assert_eq!(output(&r), json!({"kind": "org", "key": "a"}));
        let r = build_json(json!({"multi": [{"kind": "org", "key": "a"}, {"key": "b"}]}));
        assert_eq!(
            output(&r),
            json!({"kind": "multi", "org": {"key": "a"}, "user": {"key": "b"}})
        );
    }

    #[test]
    fn invalid_builds_answer_an_error_not_a_failure() {
        let r = build_json(json!({"single": {"kind": "kind", "key": "a"}}));
        assert!(r.error.is_some() && r.output.is_none());
        let r = build_json(json!({"single": {"key": ""}}));
        assert!(r.error.is_some());
    }

    #[test]
    fn convert_normalizes_and_reports_malformed_input() {
        let r = convert(ContextConvertParams {
            input: r#"{"kind": "org", "key": "x", "name": null, "_meta": {}}"#.into(),
        })
        .unwrap();
        assert_eq!(output(&r), json!({"kind": "org", "key": "x"}));
        for bad in [
            "",
            "{",
            "true",
            r#"{"kind": "multi"}"#,
            r#"{"kind": "org", "key": 3}"#,
        ] {
            let r = convert(ContextConvertParams { input: bad.into() }).unwrap();
            assert!(r.error.is_some(), "{bad} should be rejected");
        }
    }

    fn compare_json(params: Value) -> bool {
        let p: ContextComparisonPairParams = serde_json::from_value(params).unwrap();
        compare(p.context1, p.context2).unwrap()
    }

    #[test]
    fn comparison_ignores_attribute_and_private_order_and_reference_spelling() {
        assert!(compare_json(json!({
            "context1": {"single": {"kind": "user", "key": "k",
                "attributes": [{"name": "name", "value": "n"}, {"name": "a", "value": {"x": 1}}],
                "privateAttributes": [{"value": "/a/x", "literal": false}, {"value": "name", "literal": false}]}},
            "context2": {"single": {"kind": "user", "key": "k",
                "attributes": [{"name": "a", "value": {"x": 1}}, {"name": "name", "value": "n"}],
                "privateAttributes": [{"value": "name", "literal": false}, {"value": "/a/x", "literal": false}]}}
        })));
        assert!(compare_json(json!({
            "context1": {"single": {"kind": "user", "key": "k",
                "privateAttributes": [{"value": "/a/b", "literal": true}]}},
            "context2": {"single": {"kind": "user", "key": "k",
                "privateAttributes": [{"value": "/~1a~1b", "literal": false}]}}
        })));
    }

    #[test]
    fn comparison_sees_different_kinds_attributes_and_members() {
        assert!(!compare_json(json!({
            "context1": {"single": {"kind": "org", "key": "k"}},
            "context2": {"single": {"kind": "user", "key": "k"}}
        })));
        assert!(!compare_json(json!({
            "context1": {"single": {"kind": "user", "key": "k", "attributes": [{"name": "c", "value": {"a": 1}}]}},
            "context2": {"single": {"kind": "user", "key": "k", "attributes": [{"name": "c", "value": {"a": 1, "b": true}}]}}
        })));
        assert!(compare_json(json!({
            "context1": {"multi": [{"kind": "user", "key": "u"}, {"kind": "org", "key": "o"}]},
            "context2": {"multi": [{"kind": "org", "key": "o"}, {"kind": "user", "key": "u"}]}
        })));
        assert!(compare_json(json!({
            "context1": {"multi": [{"kind": "user", "key": "u"}]},
            "context2": {"single": {"kind": "user", "key": "u"}}
        })));
        assert!(!compare_json(json!({
            "context1": {"multi": [{"kind": "user", "key": "u"}, {"kind": "org", "key": "o"}]},
            "context2": {"multi": [{"kind": "user", "key": "u"}, {"kind": "org", "key": "o"}, {"kind": "device", "key": "d"}]}
        })));
    }
}
