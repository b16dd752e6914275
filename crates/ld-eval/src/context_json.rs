//! The JSON forms of contexts: single-kind, multi-kind and legacy user JSON.

use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::attr_ref::AttrRef;
use crate::context::{Context, ContextError, SingleContext};
use crate::context_builder::ContextBuilder;

/// Legacy user attributes that were built in (strings) in the old user schema.
const LEGACY_STRING_ATTRIBUTES: [&str; 7] = [
    "ip",
    "country",
    "email",
    "firstName",
    "lastName",
    "avatar",
    "name",
];

impl Context {
    /// Parses the JSON form of a context: `{"kind": "org", "key": …}`, `{"kind": "multi", …}`
    /// or a legacy user object without `kind`.
    pub fn from_json_value(value: &Value) -> Result<Context, ContextError> {
        let obj = value
            .as_object()
            .ok_or_else(|| ContextError::Json("a context must be a JSON object".into()))?;
        match obj.get("kind") {
            None => legacy_user(obj),
            Some(Value::String(k)) if k == "multi" => {
                let mut members = Vec::new();
                for (kind, member) in obj {
                    if kind == "kind" {
                        continue;
                    }
                    let m = member.as_object().ok_or_else(|| {
                        ContextError::Json(format!("member {kind:?} must be an object"))
                    })?;
                    members.push(single(kind, m)?);
                }
                Context::from_multi(members)
            }
            Some(Value::String(k)) => Ok(Context::from_single(single(k, obj)?)),
            Some(_) => Err(ContextError::Json("\"kind\" must be a string".into())),
        }
    }

    /// The JSON form of this context (the form [`Context::from_json_value`] reads).
    pub fn to_json_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

fn single(kind: &str, obj: &Map<String, Value>) -> Result<SingleContext, ContextError> {
    let key = match obj.get("key") {
        Some(Value::String(k)) => k.clone(),
        _ => return Err(ContextError::Json("\"key\" must be a string".into())),
    };
    let mut b = ContextBuilder::new(key).kind(kind);
    for (name, v) in obj {
        match name.as_str() {
            "kind" | "key" => {}
            "name" => match v {
                Value::String(s) => b = b.name(s.clone()),
                Value::Null => {}
                _ => return Err(ContextError::Json("\"name\" must be a string".into())),
            },
            "anonymous" => match v {
                Value::Bool(a) => b = b.anonymous(*a),
                Value::Null => {}
                _ => return Err(ContextError::Json("\"anonymous\" must be a bool".into())),
            },
            "_meta" => match v {
                Value::Object(meta) => {
                    match meta.get("privateAttributes") {
                        Some(Value::Array(refs)) => {
                            for r in refs {
                                let s = r.as_str().ok_or_else(|| {
                                    ContextError::Json("privateAttributes must be strings".into())
                                })?;
                                b = b.private_ref(AttrRef::new(s));
                            }
                        }
                        None | Some(Value::Null) => {}
                        Some(_) => {
                            return Err(ContextError::Json(
                                "privateAttributes must be an array".into(),
                            ));
                        }
                    }
                    if let Some(Value::String(s)) = meta.get("secondary") {
                        b = b.secondary(s.clone());
                    }
                }
                Value::Null => {}
                _ => return Err(ContextError::Json("\"_meta\" must be an object".into())),
            },
            _ => b = b.set(name, v.clone()),
        }
    }
    b.build_single()
}

fn legacy_user(obj: &Map<String, Value>) -> Result<Context, ContextError> {
    let key = match obj.get("key") {
        Some(Value::String(k)) => k.clone(),
        _ => {
            return Err(ContextError::Json(
                "a user's \"key\" must be a string".into(),
            ));
        }
    };
    let mut b = ContextBuilder::new(key).allow_empty_key();
    for (name, v) in obj {
        match name.as_str() {
            "key" => {}
            "secondary" => match v {
                Value::String(s) => b = b.secondary(s.clone()),
                Value::Null => {}
                _ => return Err(ContextError::Json("\"secondary\" must be a string".into())),
            },
            "anonymous" => match v {
                Value::Bool(a) => b = b.anonymous(*a),
                Value::Null => {}
                _ => return Err(ContextError::Json("\"anonymous\" must be a bool".into())),
            },
            "custom" => match v {
                Value::Object(custom) => {
                    for (cname, cv) in custom {
                        if matches!(
                            cname.as_str(),
                            "kind" | "key" | "name" | "anonymous" | "_meta"
                        ) || LEGACY_STRING_ATTRIBUTES.contains(&cname.as_str())
                        {
                            continue;
                        }
                        b = b.set(cname, cv.clone());
                    }
                }
                Value::Null => {}
                _ => return Err(ContextError::Json("\"custom\" must be an object".into())),
            },
            "privateAttributeNames" => match v {
                Value::Array(names) => {
                    for n in names {
                        let s = n.as_str().ok_or_else(|| {
                            ContextError::Json("privateAttributeNames must be strings".into())
                        })?;
                        b = b.private_ref(AttrRef::literal(s));
                    }
                }
                Value::Null => {}
                _ => {
                    return Err(ContextError::Json(
                        "privateAttributeNames must be an array".into(),
                    ));
                }
            },
            n if LEGACY_STRING_ATTRIBUTES.contains(&n) => match v {
                Value::String(_) => b = b.set(n, v.clone()),
                Value::Null => {}
                _ => return Err(ContextError::Json(format!("{n:?} must be a string"))),
            },
            // Unknown top-level properties of a legacy user are ignored, as other SDKs do.
            _ => {}
        }
    }
    b.build().map_err(|e| match e {
        ContextError::Kind(k) => ContextError::Kind(k),
        other => other,
    })
}

struct SingleBody<'a>(&'a SingleContext, bool);

impl Serialize for SingleBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(None)?;
        if self.1 {
            m.serialize_entry("kind", c.kind.as_str())?;
        }
        m.serialize_entry("key", c.key())?;
        if let Some(name) = c.name() {
            m.serialize_entry("name", name)?;
        }
        if c.anonymous {
            m.serialize_entry("anonymous", &true)?;
        }
        for (k, v) in c.attributes.iter() {
            m.serialize_entry(k, v)?;
        }
        if !c.private_attributes.is_empty() || c.secondary.is_some() {
            let mut meta = Map::new();
            if !c.private_attributes.is_empty() {
                meta.insert(
                    "privateAttributes".into(),
                    Value::Array(
                        c.private_attributes
                            .iter()
                            .map(|r| Value::String(r.as_str().to_owned()))
                            .collect(),
                    ),
                );
            }
            if let Some(sec) = &c.secondary {
                meta.insert("secondary".into(), Value::String(sec.clone()));
            }
            m.serialize_entry("_meta", &meta)?;
        }
        m.end()
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.multi {
            return SingleBody(&self.contexts[0], true).serialize(s);
        }
        let mut m = s.serialize_map(Some(self.contexts.len() + 1))?;
        m.serialize_entry("kind", "multi")?;
        for c in self.contexts.iter() {
            m.serialize_entry(c.kind.as_str(), &SingleBody(c, false))?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Context::from_json_value(&v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legacy_user_json_becomes_a_user_context_with_builtins_and_custom() {
        let c: Context = serde_json::from_value(json!({
            "key": "u1", "secondary": "s", "ip": "1.2.3.4", "country": "NO", "email": "e@x",
            "firstName": "F", "lastName": "L", "avatar": "a", "name": "N", "anonymous": true,
            "custom": {"groups": ["a", "b"], "age": 3, "email": "ignored"},
            "privateAttributeNames": ["email", "/weird"]
        }))
        .unwrap();
        let u = c.single().unwrap();
        assert_eq!(u.kind().as_str(), "user");
        assert_eq!(u.name(), Some("N"));
        assert!(u.anonymous());
        assert_eq!(u.get_top_level("email"), Some(&json!("e@x")));
        assert_eq!(u.get_top_level("age"), Some(&json!(3)));
        assert_eq!(u.get(&AttrRef::new("/groups")), Some(&json!(["a", "b"])));
        assert_eq!(u.secondary(), Some("s"));
        assert_eq!(
            u.private_attributes()[1].components().next(),
            Some("/weird")
        );
    }

    #[test]
    fn the_python_sdk_reference_user_dictionary_is_accepted() {
        let c: Context = serde_json::from_value(json!({
            "key": "aa0ceb", "firstName": "Ernestina", "lastName": "Evans", "email": "",
            "custom": {"groups": ["Google", "Microsoft"]}
        }))
        .unwrap();
        let u = c.single().unwrap();
        assert_eq!((c.kind(), c.key()), ("user", "aa0ceb"));
        assert_eq!(u.get_top_level("firstName"), Some(&json!("Ernestina")));
        assert_eq!(
            u.get_top_level("groups"),
            Some(&json!(["Google", "Microsoft"]))
        );
        let anon: Context =
            serde_json::from_value(json!({"key": "aa0ceb", "anonymous": true})).unwrap();
        assert!(anon.single().unwrap().anonymous());
        assert!(serde_json::from_value::<Context>(json!({"name": "no key"})).is_err());
    }

    #[test]
    fn legacy_user_may_have_an_empty_key_but_new_contexts_may_not() {
        assert!(serde_json::from_value::<Context>(json!({"key": ""})).is_ok());
        assert!(serde_json::from_value::<Context>(json!({"kind": "user", "key": ""})).is_err());
    }

    #[test]
    fn invalid_kinds_are_rejected() {
        for k in ["", "kind", "multi!", "a b", "é"] {
            assert!(
                serde_json::from_value::<Context>(json!({"kind": k, "key": "x"})).is_err(),
                "{k}"
            );
        }
    }

    #[test]
    fn multi_context_round_trips_and_sorts_by_kind() {
        let v = json!({"kind": "multi",
            "user": {"key": "u", "name": "n", "_meta": {"privateAttributes": ["/a/b"]}},
            "org": {"key": "o:1", "anonymous": true, "tier": 3}});
        let c: Context = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(c.fully_qualified_key(), "org:o%3A1:user:u");
        assert_eq!(
            c.kinds().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["org", "user"]
        );
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
    }

    #[test]
    fn multi_context_with_duplicate_or_no_members_is_rejected() {
        assert!(serde_json::from_value::<Context>(json!({"kind": "multi"})).is_err());
    }

    #[test]
    fn single_context_round_trips() {
        let v = json!({"kind": "org", "key": "o", "name": "Org", "anonymous": true,
            "x": {"y": [1, null]}, "_meta": {"privateAttributes": ["x"]}});
        let c: Context = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
    }

    #[test]
    fn wrong_types_for_builtins_are_errors_not_panics() {
        for v in [
            json!({"kind": "user", "key": 1}),
            json!({"kind": "user", "key": "k", "name": 3}),
            json!({"kind": "user", "key": "k", "anonymous": "yes"}),
            json!({"kind": "user", "key": "k", "_meta": {"privateAttributes": "a"}}),
            json!({"key": "k", "email": 1}),
            json!({"key": "k", "custom": []}),
            json!([1]),
            json!({"kind": 5, "key": "k"}),
            json!({"kind": "multi", "user": 1}),
        ] {
            assert!(serde_json::from_value::<Context>(v.clone()).is_err(), "{v}");
        }
    }
}
