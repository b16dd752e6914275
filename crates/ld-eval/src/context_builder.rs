//! Builders for single-kind and multi-kind contexts.

use serde_json::Value;

use crate::attributes::Attributes;

use crate::attr_ref::AttrRef;
use crate::context::{Context, ContextError, SingleContext, validate_single};
use crate::kind::Kind;

/// Builds a single-kind [`Context`].
///
/// ```
/// use ld_eval::ContextBuilder;
/// use serde_json::json;
/// let ctx = ContextBuilder::new("device-1")
///     .kind("device")
///     .name("Phone")
///     .set("os", json!("android"))
///     .private("os")
///     .build()
///     .unwrap();
/// assert_eq!(ctx.kind(), "device");
/// assert!(ContextBuilder::new("").build().is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ContextBuilder {
    kind: String,
    key: String,
    name: Option<String>,
    anonymous: bool,
    attributes: Attributes,
    private_attributes: Vec<AttrRef>,
    secondary: Option<String>,
    allow_empty_key: bool,
}

impl ContextBuilder {
    /// Starts a `user` context with the given key.
    pub fn new(key: impl Into<String>) -> Self {
        ContextBuilder {
            kind: "user".to_owned(),
            key: key.into(),
            name: None,
            anonymous: false,
            attributes: Attributes::default(),
            private_attributes: Vec::new(),
            secondary: None,
            allow_empty_key: false,
        }
    }

    /// Sets the kind (default `user`).
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = kind.into();
        self
    }

    /// Sets the key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Marks the context anonymous (or not).
    pub fn anonymous(mut self, anonymous: bool) -> Self {
        self.anonymous = anonymous;
        self
    }

    /// Sets a top-level attribute to any JSON value. `null` removes it. The built-in names are
    /// handled as LaunchDarkly does: `name` must be a string, `anonymous` a bool, `kind` and `key`
    /// strings; `_meta` and values of the wrong type for a built-in are ignored.
    pub fn set(mut self, name: &str, value: Value) -> Self {
        match (name, value) {
            ("", _) | ("_meta", _) => {}
            ("kind", Value::String(s)) => self.kind = s,
            ("key", Value::String(s)) => self.key = s,
            ("name", Value::String(s)) => self.name = Some(s),
            ("name", Value::Null) => self.name = None,
            ("anonymous", Value::Bool(b)) => self.anonymous = b,
            ("anonymous", Value::Null) => self.anonymous = false,
            ("kind" | "key" | "name" | "anonymous", _) => {}
            (_, Value::Null) => {
                self.attributes.remove(name);
            }
            (_, v) => {
                self.attributes.insert(name.to_owned(), v);
            }
        }
        self
    }

    /// Marks an attribute private (an attribute reference, e.g. `email` or `/address/street`).
    pub fn private(mut self, reference: impl Into<AttrRef>) -> Self {
        self.private_attributes.push(reference.into());
        self
    }

    pub(crate) fn private_ref(mut self, reference: AttrRef) -> Self {
        self.private_attributes.push(reference);
        self
    }

    pub(crate) fn secondary(mut self, secondary: String) -> Self {
        self.secondary = Some(secondary);
        self
    }

    pub(crate) fn allow_empty_key(mut self) -> Self {
        self.allow_empty_key = true;
        self
    }

    pub(crate) fn build_single(self) -> Result<SingleContext, ContextError> {
        validate_single(&self.kind, &self.key, self.allow_empty_key)?;
        Ok(SingleContext {
            kind_tag: crate::context::kind_tag(&self.kind),
            kind_value: Value::String(self.kind.clone()),
            kind: Kind::from(self.kind),
            key: Value::String(self.key),
            name: self.name.map(Value::String),
            anonymous: self.anonymous,
            attributes: self.attributes,
            private_attributes: self.private_attributes,
            secondary: self.secondary,
        })
    }

    /// Builds the context, checking the kind and key rules.
    pub fn build(self) -> Result<Context, ContextError> {
        Ok(Context::from_single(self.build_single()?))
    }
}

/// Builds a multi-kind [`Context`] from single contexts of different kinds.
///
/// Adding a multi-kind context adds each of its members. With exactly one member the result is
/// that single context, as in LaunchDarkly's SDKs.
///
/// ```
/// use ld_eval::{ContextBuilder, MultiContextBuilder};
/// let c = MultiContextBuilder::new()
///     .push(ContextBuilder::new("u").build().unwrap())
///     .push(ContextBuilder::new("o").kind("org").build().unwrap())
///     .build()
///     .unwrap();
/// assert!(c.is_multi());
/// assert_eq!(c.as_kind("org").unwrap().key(), "o");
/// ```
#[derive(Debug, Clone, Default)]
pub struct MultiContextBuilder {
    members: Vec<SingleContext>,
}

impl MultiContextBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a context (or every member of a multi-kind context).
    pub fn push(mut self, context: Context) -> Self {
        self.members.extend(context.contexts.into_vec());
        self
    }

    /// Builds the context: fails when empty or when two members share a kind.
    pub fn build(self) -> Result<Context, ContextError> {
        Context::from_multi(self.members)
    }
}
