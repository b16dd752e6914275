//! The realistic streaming `put` used by the `put_parse` bench, its profiling example and the
//! put-path memory test: 10,000 flags with individual targets, three rules (`endsWith`, `in`,
//! `semVerGreaterThan`), rollouts, and a prerequisite on every tenth flag.

/// How many flags the realistic `put` holds.
pub const FLAGS: usize = 10_000;

/// One realistic flag, `i`-th of the data set.
pub fn flag_json(i: usize) -> String {
    let key = format!("flag-{i:05}");
    let prereq = if i % 10 == 9 {
        format!(r#"[{{"key":"flag-{:05}","variation":0}}]"#, i - 1)
    } else {
        "[]".to_string()
    };
    let targets: Vec<String> = (0..10).map(|t| format!("\"user-{i}-{t}\"")).collect();
    format!(
        r#"{{"key":"{key}","version":{v},"on":true,"salt":"{key}-salt","trackEvents":false,"trackEventsFallthrough":false,"debugEventsUntilDate":null,"clientSide":false,"clientSideAvailability":{{"usingMobileKey":false,"usingEnvironmentId":false}},"deleted":false,"prerequisites":{prereq},"targets":[{{"values":[{targets}],"variation":0}}],"contextTargets":[],"rules":[{{"id":"r1-{key}","clauses":[{{"contextKind":"user","attribute":"email","op":"endsWith","values":["@example.com","@test.org"],"negate":false}}],"variation":1,"trackEvents":false}},{{"id":"r2-{key}","clauses":[{{"contextKind":"user","attribute":"country","op":"in","values":["de","fr","it","es","nl"],"negate":false}},{{"contextKind":"user","attribute":"plan","op":"in","values":["enterprise"],"negate":true}}],"rollout":{{"variations":[{{"variation":0,"weight":30000}},{{"variation":1,"weight":70000}}]}},"trackEvents":false}},{{"id":"r3-{key}","clauses":[{{"contextKind":"user","attribute":"version","op":"semVerGreaterThan","values":["2.5.0"],"negate":false}}],"variation":0,"trackEvents":false}}],"fallthrough":{{"rollout":{{"variations":[{{"variation":0,"weight":50000}},{{"variation":1,"weight":50000}}],"bucketBy":"key"}}}},"offVariation":1,"variations":[true,false]}}"#,
        v = i % 97 + 1,
        targets = targets.join(","),
    )
}

/// The `data` of a stream `put` event (`{"path":"/","data":{"flags":..,"segments":{}}}`)
/// holding `flags` realistic flags.
pub fn put_data(flags: usize) -> String {
    let flags: Vec<String> = (0..flags)
        .map(|i| format!("\"flag-{i:05}\":{}", flag_json(i)))
        .collect();
    format!(
        r#"{{"path":"/","data":{{"flags":{{{}}},"segments":{{}}}}}}"#,
        flags.join(",")
    )
}
