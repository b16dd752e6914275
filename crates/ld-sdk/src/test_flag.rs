//! The flag builder of [`TestData`](crate::TestData): LaunchDarkly flags described in a few calls.

use serde_json::{Map, Value, json};

/// A variation named by its index, or by `true`/`false` for a boolean flag.
///
/// Passing a `bool` turns the flag into a boolean flag (variations `[true, false]`) first, as
/// LaunchDarkly's own test data sources do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variation {
    /// `true` (index 0) or `false` (index 1) of a boolean flag.
    Bool(bool),
    /// An index into the flag's variations.
    Index(usize),
}

impl From<bool> for Variation {
    fn from(value: bool) -> Self {
        Variation::Bool(value)
    }
}

impl From<usize> for Variation {
    fn from(index: usize) -> Self {
        Variation::Index(index)
    }
}

const TRUE_VARIATION: usize = 0;
const FALSE_VARIATION: usize = 1;

fn bool_index(value: bool) -> usize {
    if value {
        TRUE_VARIATION
    } else {
        FALSE_VARIATION
    }
}

/// A flag being configured for [`TestData`](crate::TestData). Builders are plain values: nothing
/// changes until the builder is passed to [`TestData::update`](crate::TestData::update).
///
/// A new flag is a boolean flag that is on, serves `true` by default and `false` when off.
///
/// ```
/// use ld_sdk::TestData;
///
/// let td = TestData::new();
/// td.update(
///     td.flag("new-checkout")
///         .variation_for_all(false)
///         .variation_for_key("user", "beta-tester", true)
///         .if_match("country", ["nz", "au"])
///         .then_return(true),
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FlagBuilder {
    key: String,
    on: bool,
    variations: Vec<Value>,
    off_variation: Option<usize>,
    fallthrough_variation: Option<usize>,
    /// (context kind, key, variation), in the order they were added; a later target for the
    /// same kind and key replaces the earlier one.
    targets: Vec<(String, String, usize)>,
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
struct Clause {
    kind: String,
    attribute: String,
    values: Vec<Value>,
    negate: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    clauses: Vec<Clause>,
    variation: usize,
}

/// A rule being configured: a conjunction of clauses, finished by
/// [`RuleBuilder::then_return`].
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a rule is added to its flag only by then_return"]
pub struct RuleBuilder {
    flag: FlagBuilder,
    clauses: Vec<Clause>,
}

impl FlagBuilder {
    pub(crate) fn new(key: &str) -> Self {
        FlagBuilder {
            key: key.to_owned(),
            on: true,
            variations: Vec::new(),
            off_variation: None,
            fallthrough_variation: None,
            targets: Vec::new(),
            rules: Vec::new(),
        }
        .boolean_flag()
    }

    /// The flag key.
    pub fn key(&self) -> &str {
        &self.key
    }

    fn is_boolean(&self) -> bool {
        self.variations == [Value::Bool(true), Value::Bool(false)]
    }

    /// Makes this a boolean flag: variations `[true, false]`, `true` when on, `false` when off.
    /// Targets and rules are kept only if it already was a boolean flag.
    pub fn boolean_flag(mut self) -> Self {
        if self.is_boolean() {
            return self;
        }
        self.variations = vec![Value::Bool(true), Value::Bool(false)];
        self.fallthrough_variation = Some(TRUE_VARIATION);
        self.off_variation = Some(FALSE_VARIATION);
        self
    }

    /// Sets the flag's variations (any JSON values).
    pub fn variations<I, V>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.variations = values.into_iter().map(Into::into).collect();
        self
    }

    /// Turns targeting on or off (off serves the off variation to everyone).
    pub fn on(mut self, on: bool) -> Self {
        self.on = on;
        self
    }

    fn index(self, variation: Variation) -> (Self, usize) {
        match variation {
            Variation::Bool(b) => (self.boolean_flag(), bool_index(b)),
            Variation::Index(i) => (self, i),
        }
    }

    /// The variation served when targeting is on and no target or rule matches.
    pub fn fallthrough_variation(self, variation: impl Into<Variation>) -> Self {
        let (mut flag, index) = self.index(variation.into());
        flag.fallthrough_variation = Some(index);
        flag
    }

    /// The variation served when targeting is off.
    pub fn off_variation(self, variation: impl Into<Variation>) -> Self {
        let (mut flag, index) = self.index(variation.into());
        flag.off_variation = Some(index);
        flag
    }

    /// Serves this variation to everyone: targeting on, no targets, no rules.
    pub fn variation_for_all(self, variation: impl Into<Variation>) -> Self {
        self.on(true)
            .clear_rules()
            .clear_targets()
            .fallthrough_variation(variation)
    }

    /// Serves this value to everyone: the flag gets this single variation.
    pub fn value_for_all(self, value: impl Into<Value>) -> Self {
        self.variations([value.into()]).variation_for_all(0)
    }

    /// Serves `variation` to the context of this kind and key (when targeting is on).
    pub fn variation_for_key(self, kind: &str, key: &str, variation: impl Into<Variation>) -> Self {
        let (mut flag, index) = self.index(variation.into());
        flag.targets
            .retain(|(k, key_, _)| !(k == kind && key_ == key));
        flag.targets.push((kind.to_owned(), key.to_owned(), index));
        flag
    }

    /// Serves `variation` to the user with this key (a `user`-kind context).
    pub fn variation_for_user(self, key: &str, variation: impl Into<Variation>) -> Self {
        self.variation_for_key("user", key, variation)
    }

    /// Starts a rule matching `user` contexts whose `attribute` equals one of `values`.
    pub fn if_match<I, V>(self, attribute: &str, values: I) -> RuleBuilder
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.if_match_kind("user", attribute, values)
    }

    /// Starts a rule matching contexts of `kind` whose `attribute` equals one of `values`.
    pub fn if_match_kind<I, V>(self, kind: &str, attribute: &str, values: I) -> RuleBuilder
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        RuleBuilder {
            flag: self,
            clauses: Vec::new(),
        }
        .and_match_kind(kind, attribute, values)
    }

    /// Starts a rule matching `user` contexts whose `attribute` equals none of `values`.
    pub fn if_not_match<I, V>(self, attribute: &str, values: I) -> RuleBuilder
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        RuleBuilder {
            flag: self,
            clauses: Vec::new(),
        }
        .and_not_match_kind("user", attribute, values)
    }

    /// Removes every rule.
    pub fn clear_rules(mut self) -> Self {
        self.rules.clear();
        self
    }

    /// Removes every individual target.
    pub fn clear_targets(mut self) -> Self {
        self.targets.clear();
        self
    }

    /// The flag as LaunchDarkly's JSON flag representation, at `version`.
    pub(crate) fn to_json(&self, version: u64) -> Value {
        let mut targets = Vec::new();
        let mut context_targets = Vec::new();
        // Group target keys by (kind, variation), keeping first-appearance order, as LaunchDarkly does.
        let mut groups: Vec<(&str, usize, Vec<&str>)> = Vec::new();
        for (kind, key, variation) in &self.targets {
            match groups
                .iter_mut()
                .find(|(k, v, _)| k == kind && v == variation)
            {
                Some(group) => group.2.push(key),
                None => groups.push((kind, *variation, vec![key])),
            }
        }
        for (kind, variation, keys) in groups {
            if kind == "user" {
                // User targets live in `targets`; an empty `contextTargets` entry keeps their order.
                targets.push(json!({"values": keys, "variation": variation}));
                context_targets
                    .push(json!({"contextKind": "user", "values": [], "variation": variation}));
            } else {
                context_targets
                    .push(json!({"contextKind": kind, "values": keys, "variation": variation}));
            }
        }
        let rules: Vec<Value> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let clauses: Vec<Value> = rule
                    .clauses
                    .iter()
                    .map(|c| {
                        json!({
                            "contextKind": c.kind,
                            "attribute": c.attribute,
                            "op": "in",
                            "values": c.values,
                            "negate": c.negate,
                        })
                    })
                    .collect();
                json!({"id": format!("rule{i}"), "clauses": clauses, "variation": rule.variation})
            })
            .collect();
        let mut flag = Map::new();
        flag.insert("key".into(), json!(self.key));
        flag.insert("version".into(), json!(version));
        flag.insert("on".into(), json!(self.on));
        flag.insert("variations".into(), json!(self.variations));
        if let Some(off) = self.off_variation {
            flag.insert("offVariation".into(), json!(off));
        }
        flag.insert(
            "fallthrough".into(),
            match self.fallthrough_variation {
                Some(v) => json!({"variation": v}),
                None => json!({}),
            },
        );
        flag.insert("targets".into(), Value::Array(targets));
        flag.insert("contextTargets".into(), Value::Array(context_targets));
        flag.insert("rules".into(), Value::Array(rules));
        flag.insert("prerequisites".into(), json!([]));
        flag.insert("salt".into(), json!(""));
        flag.insert("deleted".into(), json!(false));
        Value::Object(flag)
    }
}

impl RuleBuilder {
    /// Adds a clause: `user` contexts whose `attribute` equals one of `values`.
    pub fn and_match<I, V>(self, attribute: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.and_match_kind("user", attribute, values)
    }

    /// Adds a clause: contexts of `kind` whose `attribute` equals one of `values`.
    pub fn and_match_kind<I, V>(self, kind: &str, attribute: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.clause(kind, attribute, values, false)
    }

    /// Adds a clause: `user` contexts whose `attribute` equals none of `values`.
    pub fn and_not_match<I, V>(self, attribute: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.and_not_match_kind("user", attribute, values)
    }

    /// Adds a clause: contexts of `kind` whose `attribute` equals none of `values`.
    pub fn and_not_match_kind<I, V>(self, kind: &str, attribute: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.clause(kind, attribute, values, true)
    }

    /// Adds an `in` clause on `kind`'s `attribute`, negated or not.
    fn clause<I, V>(mut self, kind: &str, attribute: &str, values: I, negate: bool) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        self.clauses.push(Clause {
            kind: kind.to_owned(),
            attribute: attribute.to_owned(),
            values: values.into_iter().map(Into::into).collect(),
            negate,
        });
        self
    }

    /// Finishes the rule: matching contexts get `variation`.
    pub fn then_return(self, variation: impl Into<Variation>) -> FlagBuilder {
        let (mut flag, index) = self.flag.index(variation.into());
        flag.rules.push(Rule {
            clauses: self.clauses,
            variation: index,
        });
        flag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_flag_is_an_on_boolean_flag_serving_true() {
        let json = FlagBuilder::new("f").to_json(1);
        assert_eq!(json["on"], true);
        assert_eq!(json["variations"], json!([true, false]));
        assert_eq!(json["fallthrough"], json!({"variation": 0}));
        assert_eq!(json["offVariation"], 1);
        assert_eq!(json["version"], 1);
    }

    #[test]
    fn value_for_all_makes_a_single_variation_flag() {
        let json = FlagBuilder::new("f").value_for_all("blue").to_json(3);
        assert_eq!(json["variations"], json!(["blue"]));
        assert_eq!(json["fallthrough"], json!({"variation": 0}));
    }

    #[test]
    fn user_targets_go_to_targets_and_other_kinds_to_context_targets() {
        let json = FlagBuilder::new("f")
            .variation_for_user("a", true)
            .variation_for_user("b", true)
            .variation_for_key("org", "o1", false)
            .to_json(1);
        assert_eq!(
            json["targets"],
            json!([{"values": ["a", "b"], "variation": 0}])
        );
        assert_eq!(
            json["contextTargets"],
            json!([
                {"contextKind": "user", "values": [], "variation": 0},
                {"contextKind": "org", "values": ["o1"], "variation": 1},
            ])
        );
    }

    #[test]
    fn retargeting_a_key_moves_it_to_the_new_variation() {
        let json = FlagBuilder::new("f")
            .variation_for_user("a", true)
            .variation_for_user("a", false)
            .to_json(1);
        assert_eq!(json["targets"], json!([{"values": ["a"], "variation": 1}]));
    }

    #[test]
    fn rules_have_ids_and_in_clauses() {
        let json = FlagBuilder::new("f")
            .if_match("country", ["nz"])
            .and_not_match("plan", ["free"])
            .then_return(false)
            .to_json(1);
        assert_eq!(
            json["rules"],
            json!([{"id": "rule0", "variation": 1, "clauses": [
                {"contextKind": "user", "attribute": "country", "op": "in", "values": ["nz"], "negate": false},
                {"contextKind": "user", "attribute": "plan", "op": "in", "values": ["free"], "negate": true},
            ]}])
        );
    }

    #[test]
    fn variation_for_all_clears_targets_and_rules() {
        let json = FlagBuilder::new("f")
            .variation_for_user("a", false)
            .if_match("x", ["y"])
            .then_return(false)
            .variation_for_all(true)
            .to_json(1);
        assert_eq!(json["targets"], json!([]));
        assert_eq!(json["rules"], json!([]));
    }

    #[test]
    fn a_bool_variation_turns_a_string_flag_into_a_boolean_flag() {
        let flag = FlagBuilder::new("f")
            .variations(["a", "b", "c"])
            .fallthrough_variation(2)
            .variation_for_all(false);
        assert_eq!(flag.to_json(1)["variations"], json!([true, false]));
        assert_eq!(flag.to_json(1)["fallthrough"], json!({"variation": 1}));
    }
}
