//! Writes a context into event JSON, redacting private attributes.
//!
//! Redaction follows the LaunchDarkly event schema: `kind`, `key` and `anonymous` are never
//! redacted; `name` and custom attributes are removed when all attributes are private, when a
//! configured or per-context private-attribute reference names them (references may point inside
//! object values: `/address/street`), or — for feature and custom events — when the individual
//! context is anonymous. Every removed attribute is listed, by the reference that matched it, in
//! `_meta.redactedAttributes`.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use ld_eval::AttrRef;

use crate::event_context::{EventContext, IndividualContext};

/// Redaction settings shared by every event of one processor.
#[derive(Debug, Clone, Default)]
pub(crate) struct ContextFormatter {
    all_attributes_private: bool,
    private_attributes: Vec<AttrRef>,
}

impl ContextFormatter {
    pub(crate) fn new(all_attributes_private: bool, private_attributes: Vec<AttrRef>) -> Self {
        Self {
            all_attributes_private,
            private_attributes,
        }
    }

    /// A serializable view of `context`; `redact_anonymous` hides every optional attribute of the
    /// anonymous individual contexts (feature and custom events).
    pub(crate) fn format<'a>(
        &'a self,
        context: &'a EventContext,
        redact_anonymous: bool,
    ) -> FormattedContext<'a> {
        FormattedContext {
            formatter: self,
            context,
            redact_anonymous,
        }
    }
}

/// See [`ContextFormatter::format`].
pub(crate) struct FormattedContext<'a> {
    formatter: &'a ContextFormatter,
    context: &'a EventContext,
    redact_anonymous: bool,
}

impl Serialize for FormattedContext<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.context.is_multi() {
            let mut map = serializer.serialize_map(None)?;
            map.serialize_entry("kind", "multi")?;
            for individual in self.context.individuals() {
                map.serialize_entry(
                    &individual.kind,
                    &FormattedIndividual {
                        formatter: self.formatter,
                        context: individual,
                        include_kind: false,
                        redact_anonymous: self.redact_anonymous,
                    },
                )?;
            }
            map.end()
        } else {
            match self.context.individuals().first() {
                Some(individual) => FormattedIndividual {
                    formatter: self.formatter,
                    context: individual,
                    include_kind: true,
                    redact_anonymous: self.redact_anonymous,
                }
                .serialize(serializer),
                None => serializer.serialize_none(),
            }
        }
    }
}

struct FormattedIndividual<'a> {
    formatter: &'a ContextFormatter,
    context: &'a IndividualContext,
    include_kind: bool,
    redact_anonymous: bool,
}

/// Redaction outcome for one attribute path.
struct Check<'r> {
    redacted_by: Option<&'r str>,
    nested_private: bool,
}

impl FormattedIndividual<'_> {
    fn check<'r>(&'r self, path: &[&str]) -> Check<'r> {
        let mut nested_private = false;
        let refs = self
            .formatter
            .private_attributes
            .iter()
            .chain(self.context.private_attributes.iter());
        for r in refs.filter(|r| r.is_valid()) {
            let depth = r.components().len();
            if depth < path.len() || !r.components().zip(path).all(|(a, b)| a == *b) {
                continue;
            }
            if depth == path.len() {
                return Check {
                    redacted_by: Some(r.as_str()),
                    nested_private: false,
                };
            }
            nested_private = true;
        }
        Check {
            redacted_by: None,
            nested_private,
        }
    }

    /// The attribute value to write, or `None` when the attribute itself is redacted (its
    /// reference is then pushed onto `redacted`).
    fn filter<'v>(
        &self,
        path: &mut Vec<&'v str>,
        value: &'v Value,
        redacted: &mut Vec<String>,
    ) -> Option<Cow<'v, Value>> {
        let check = self.check(path);
        if let Some(by) = check.redacted_by {
            redacted.push(by.to_owned());
            return None;
        }
        match value {
            Value::Object(object) if check.nested_private => {
                let mut out = Map::new();
                for (k, v) in object {
                    path.push(k);
                    if let Some(kept) = self.filter(path, v, redacted) {
                        out.insert(k.clone(), kept.into_owned());
                    }
                    path.pop();
                }
                Some(Cow::Owned(Value::Object(out)))
            }
            _ => Some(Cow::Borrowed(value)),
        }
    }
}

impl Serialize for FormattedIndividual<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = self.context;
        let redact_all =
            self.formatter.all_attributes_private || (self.redact_anonymous && c.anonymous);
        let name_value = c.name.as_ref().map(|n| Value::String(n.clone()));
        let optional = name_value
            .iter()
            .map(|v| ("name", v))
            .chain(c.attributes.iter().map(|(k, v)| (k.as_str(), v)));

        let mut redacted: Vec<String> = Vec::new();
        let mut kept: Vec<(&str, Cow<'_, Value>)> = Vec::new();
        for (name, value) in optional {
            if redact_all {
                redacted.push(literal_reference(name).into_owned());
                continue;
            }
            let mut path = vec![name];
            if let Some(v) = self.filter(&mut path, value, &mut redacted) {
                kept.push((name, v));
            }
        }

        let mut map = serializer.serialize_map(None)?;
        if self.include_kind {
            map.serialize_entry("kind", &c.kind)?;
        }
        map.serialize_entry("key", &c.key)?;
        for (name, value) in &kept {
            map.serialize_entry(name, value.as_ref())?;
        }
        if c.anonymous {
            map.serialize_entry("anonymous", &true)?;
        }
        if !redacted.is_empty() {
            map.serialize_entry(
                "_meta",
                &Meta {
                    redacted: &redacted,
                },
            )?;
        }
        map.end()
    }
}

/// The reference text that names the top-level attribute `name` literally: the name itself unless
/// it starts with `/`, in which case the escaped slash form (`"/ssn"` becomes `"/~1ssn"`).
fn literal_reference(name: &str) -> Cow<'_, str> {
    if name.starts_with('/') {
        let escaped = name.replace('~', "~0").replace('/', "~1");
        Cow::Owned(format!("/{escaped}"))
    } else {
        Cow::Borrowed(name)
    }
}

struct Meta<'a> {
    redacted: &'a [String],
}

impl Serialize for Meta<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("redactedAttributes", self.redacted)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refs(list: &[&str]) -> Vec<AttrRef> {
        list.iter().map(|s| AttrRef::new(s)).collect()
    }

    #[test]
    fn literal_reference_escapes_only_slash_prefixed_names() {
        assert_eq!(literal_reference("name"), "name");
        assert_eq!(literal_reference("/ssn"), "/~1ssn");
        assert_eq!(literal_reference("/a~b"), "/~1a~0b");
    }

    #[test]
    fn invalid_references_are_ignored() {
        let f = ContextFormatter::new(false, refs(&["", "/", "//email", "/email~2"]));
        assert!(!write(&f, &EventContext::single(user()), false).contains("_meta"));
    }

    fn user() -> IndividualContext {
        IndividualContext {
            name: Some("Sandy".into()),
            attributes: vec![
                ("email".into(), json!("s@example.com")),
                (
                    "address".into(),
                    json!({"street": "1 Main St", "city": "Springfield"}),
                ),
            ],
            ..IndividualContext::new("user", "u1")
        }
    }

    fn write(f: &ContextFormatter, c: &EventContext, redact_anonymous: bool) -> String {
        serde_json::to_string(&f.format(c, redact_anonymous)).unwrap()
    }

    #[test]
    fn nothing_private_writes_every_attribute_in_order() {
        let f = ContextFormatter::default();
        assert_eq!(
            write(&f, &EventContext::single(user()), false),
            r#"{"kind":"user","key":"u1","name":"Sandy","email":"s@example.com","address":{"city":"Springfield","street":"1 Main St"}}"#
        );
    }

    #[test]
    fn configured_nested_reference_removes_only_that_property() {
        let f = ContextFormatter::new(false, refs(&["/address/street", "email"]));
        assert_eq!(
            write(&f, &EventContext::single(user()), false),
            r#"{"kind":"user","key":"u1","name":"Sandy","address":{"city":"Springfield"},"_meta":{"redactedAttributes":["email","/address/street"]}}"#
        );
    }

    #[test]
    fn per_context_private_attributes_apply_to_that_context_only() {
        let mut private = user();
        private.private_attributes = refs(&["/name"]);
        let f = ContextFormatter::default();
        let c = EventContext::multi(vec![private, IndividualContext::new("org", "o1")]);
        assert_eq!(
            write(&f, &c, false),
            r#"{"kind":"multi","user":{"key":"u1","email":"s@example.com","address":{"city":"Springfield","street":"1 Main St"},"_meta":{"redactedAttributes":["/name"]}},"org":{"key":"o1"}}"#
        );
    }

    #[test]
    fn all_attributes_private_keeps_key_kind_and_anonymous() {
        let mut c = user();
        c.anonymous = true;
        c.attributes.push(("/ssn".into(), json!("123")));
        let f = ContextFormatter::new(true, Vec::new());
        assert_eq!(
            write(&f, &EventContext::single(c), false),
            r#"{"kind":"user","key":"u1","anonymous":true,"_meta":{"redactedAttributes":["name","email","address","/~1ssn"]}}"#
        );
    }

    #[test]
    fn anonymous_redaction_only_touches_anonymous_individuals() {
        let mut anon = user();
        anon.anonymous = true;
        let mut org = IndividualContext::new("org", "o1");
        org.name = Some("Org".into());
        let c = EventContext::multi(vec![anon, org]);
        let f = ContextFormatter::default();
        assert_eq!(
            write(&f, &c, true),
            r#"{"kind":"multi","user":{"key":"u1","anonymous":true,"_meta":{"redactedAttributes":["name","email","address"]}},"org":{"key":"o1","name":"Org"}}"#
        );
        // Without anonymous redaction (index, identify, debug events) nothing is removed.
        assert!(write(&f, &c, false).contains(r#""name":"Sandy""#));
    }

    #[test]
    fn reference_into_a_non_object_value_changes_nothing() {
        let f = ContextFormatter::new(false, refs(&["/email/inner"]));
        let out = write(&f, &EventContext::single(user()), false);
        assert!(out.contains(r#""email":"s@example.com""#));
        assert!(!out.contains("_meta"));
    }
}
