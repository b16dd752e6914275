//! Evaluation contexts: single-kind and multi-kind.

use serde_json::Value;

use crate::attributes::Attributes;

use crate::attr_ref::{AttrRef, Builtin};
use crate::context_memo::ContextMemo;
use crate::kind::{Kind, KindError};

static TRUE: Value = Value::Bool(true);
static FALSE: Value = Value::Bool(false);

/// Why a context could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// A single context's kind broke LaunchDarkly's kind rules.
    #[error(transparent)]
    Kind(#[from] KindError),
    /// A context key was empty (only legacy user JSON may have an empty key).
    #[error("context key must not be empty")]
    EmptyKey,
    /// A multi-kind context had no contexts in it.
    #[error("a multi-kind context must contain at least one context")]
    NoContexts,
    /// A multi-kind context had two contexts of the same kind.
    #[error("a multi-kind context has more than one context of kind {0:?}")]
    DuplicateKind(String),
    /// The JSON form of a context was not valid.
    #[error("invalid context JSON: {0}")]
    Json(String),
}

/// One context of one kind: a key, optional name, anonymity, custom attributes and the names of
/// private attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleContext {
    pub(crate) kind: Kind,
    /// [`kind_tag`] of `kind`, stored inline so that finding a member by kind does not read the
    /// kind's string from the heap.
    pub(crate) kind_tag: u64,
    pub(crate) kind_value: Value,
    pub(crate) key: Value,
    pub(crate) name: Option<Value>,
    pub(crate) anonymous: bool,
    pub(crate) attributes: Attributes,
    pub(crate) private_attributes: Vec<AttrRef>,
    pub(crate) secondary: Option<String>,
}

impl SingleContext {
    /// The context's kind.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// The context's key.
    pub fn key(&self) -> &str {
        self.key.as_str().unwrap_or_default()
    }

    /// The context's name, if set.
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().and_then(Value::as_str)
    }

    /// Whether the context is anonymous.
    pub fn anonymous(&self) -> bool {
        self.anonymous
    }

    /// The custom attributes (everything except kind, key, name and anonymous).
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// The attributes marked private for this context.
    pub fn private_attributes(&self) -> &[AttrRef] {
        &self.private_attributes
    }

    /// The legacy `secondary` key, kept only so that legacy user JSON round-trips. LaunchDarkly's
    /// current SDKs no longer use it for bucketing, and neither do we.
    pub fn secondary(&self) -> Option<&str> {
        self.secondary.as_deref()
    }

    /// Looks up a top-level attribute by name, including the built-ins `kind`, `key`, `name` and
    /// `anonymous`.
    pub fn get_top_level(&self, name: &str) -> Option<&Value> {
        match name {
            "kind" => Some(&self.kind_value),
            "key" => Some(&self.key),
            "name" => self.name.as_ref(),
            "anonymous" => Some(if self.anonymous { &TRUE } else { &FALSE }),
            _ => self.attributes.get(name),
        }
    }

    /// Looks up the value an attribute reference points at. Invalid references find nothing;
    /// path components after the first index into JSON objects only.
    ///
    /// ```
    /// use ld_eval::{AttrRef, ContextBuilder};
    /// use serde_json::json;
    /// let c = ContextBuilder::new("k").set("address", json!({"city": "Oslo"})).build().unwrap();
    /// let single = c.as_kind("user").unwrap();
    /// assert_eq!(single.get(&AttrRef::new("/address/city")), Some(&json!("Oslo")));
    /// assert_eq!(single.get(&AttrRef::new("key")), Some(&json!("k")));
    /// ```
    pub fn get(&self, reference: &AttrRef) -> Option<&Value> {
        let first = reference.first_component()?;
        let mut value = match reference.builtin() {
            Builtin::Kind => &self.kind_value,
            Builtin::Key => &self.key,
            Builtin::Name => self.name.as_ref()?,
            Builtin::Anonymous => {
                if self.anonymous {
                    &TRUE
                } else {
                    &FALSE
                }
            }
            Builtin::Custom => self.attributes.get_tagged(reference.first_tag(), first)?,
        };
        if reference.component_count() > 1 {
            for c in reference.components().skip(1) {
                value = value.as_object()?.get(c)?;
            }
        }
        Some(value)
    }
}

/// A context: the thing a flag is evaluated for. Either one [`SingleContext`] or a multi-kind
/// context holding several of different kinds.
///
/// Build one with [`ContextBuilder`](crate::ContextBuilder) or
/// [`MultiContextBuilder`](crate::MultiContextBuilder), or deserialize LaunchDarkly's JSON form
/// (including legacy user JSON without a `kind`).
///
/// ```
/// use ld_eval::{Context, ContextBuilder, MultiContextBuilder};
/// let user = ContextBuilder::new("u:1").build().unwrap();
/// assert_eq!(user.fully_qualified_key(), "u:1");
/// let org = ContextBuilder::new("o%1").kind("org").build().unwrap();
/// assert_eq!(org.fully_qualified_key(), "org:o%251");
/// let multi = MultiContextBuilder::new().push(org).push(user).build().unwrap();
/// assert_eq!(multi.canonical_key(), "org:o%251:user:u%3A1");
/// let legacy: Context = serde_json::from_str(r#"{"key":"bob","email":"b@x.io"}"#).unwrap();
/// assert_eq!(legacy.kind(), "user");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// One entry for a single context; for a multi-kind context, the members sorted by kind.
    pub(crate) contexts: Box<[SingleContext]>,
    /// The [`kind_tag`]s of the first [`INLINE_KIND_TAGS`] members (0 past the last one), kept
    /// in the context itself so that finding a member by kind reads no member it skips.
    pub(crate) kind_tags: [u64; INLINE_KIND_TAGS],
    pub(crate) multi: bool,
    pub(crate) fully_qualified_key: String,
    /// [`Context::hash_key`] of `fully_qualified_key`, computed once.
    pub(crate) key_hash: u64,
    /// Not part of the value: see [`Context::memo`].
    pub(crate) memo: ContextMemo,
}

/// How many members' kind tags a [`Context`] keeps inline; members after these (multi-kind
/// contexts of more than four kinds, which are rare) are found by scanning the members.
const INLINE_KIND_TAGS: usize = 4;

fn inline_kind_tags(members: &[SingleContext]) -> [u64; INLINE_KIND_TAGS] {
    let mut tags = [0; INLINE_KIND_TAGS];
    for (tag, member) in tags.iter_mut().zip(members) {
        *tag = member.kind_tag;
    }
    tags
}

impl Context {
    pub(crate) fn from_single(single: SingleContext) -> Context {
        let fully_qualified_key = if single.kind.is_user() {
            single.key().to_owned()
        } else {
            let mut s = String::new();
            push_kind_and_key(&mut s, &single);
            s
        };
        Context {
            kind_tags: inline_kind_tags(std::slice::from_ref(&single)),
            contexts: Box::new([single]),
            multi: false,
            key_hash: Context::hash_key(&fully_qualified_key),
            fully_qualified_key,
            memo: ContextMemo::default(),
        }
    }

    pub(crate) fn from_multi(mut members: Vec<SingleContext>) -> Result<Context, ContextError> {
        if members.is_empty() {
            return Err(ContextError::NoContexts);
        }
        if members.len() == 1 {
            return Ok(Context::from_single(members.remove(0)));
        }
        members.sort_by(|a, b| a.kind.as_str().cmp(b.kind.as_str()));
        for pair in members.windows(2) {
            if pair[0].kind == pair[1].kind {
                return Err(ContextError::DuplicateKind(pair[0].kind.to_string()));
            }
        }
        let mut fully_qualified_key = String::new();
        for (i, m) in members.iter().enumerate() {
            if i > 0 {
                fully_qualified_key.push(':');
            }
            push_kind_and_key(&mut fully_qualified_key, m);
        }
        Ok(Context {
            kind_tags: inline_kind_tags(&members),
            contexts: members.into_boxed_slice(),
            multi: true,
            key_hash: Context::hash_key(&fully_qualified_key),
            fully_qualified_key,
            memo: ContextMemo::default(),
        })
    }

    /// Whether this is a multi-kind context.
    pub fn is_multi(&self) -> bool {
        self.multi
    }

    /// The kind: the single context's kind, or `multi`.
    pub fn kind(&self) -> &str {
        if self.multi {
            "multi"
        } else {
            self.contexts[0].kind.as_str()
        }
    }

    /// The key of a single context; empty for a multi-kind context.
    pub fn key(&self) -> &str {
        if self.multi {
            ""
        } else {
            self.contexts[0].key()
        }
    }

    /// The single context, if this is not a multi-kind context.
    pub fn single(&self) -> Option<&SingleContext> {
        if self.multi {
            None
        } else {
            self.contexts.first()
        }
    }

    /// The member of the given kind (for a single context: itself, if the kind matches).
    #[inline]
    pub fn as_kind(&self, kind: &str) -> Option<&SingleContext> {
        self.as_kind_tagged(kind, kind_tag(kind))
    }

    /// [`Context::as_kind`] with the kind's tag (`kind_tag(kind)`) computed beforehand, as a
    /// prepared clause keeps it.
    #[inline]
    pub(crate) fn as_kind_tagged(&self, kind: &str, tag: u64) -> Option<&SingleContext> {
        if kind.len() < 8 {
            // The tag holds the whole kind: equal tags mean equal kinds.
            self.member_with_exact_tag(tag)
        } else {
            self.contexts
                .iter()
                .find(|c| c.kind_tag == tag && c.kind.as_str() == kind)
        }
    }

    /// The member whose kind tag is `tag`, for a tag that holds its whole kind (kinds under 8
    /// bytes). Reads the inline tags, so only the member found is touched.
    #[inline(always)]
    pub(crate) fn member_with_exact_tag(&self, tag: u64) -> Option<&SingleContext> {
        let inline = self.contexts.len().min(INLINE_KIND_TAGS);
        for (i, t) in self.kind_tags[..inline].iter().enumerate() {
            if *t == tag {
                return self.contexts.get(i);
            }
        }
        self.contexts
            .get(INLINE_KIND_TAGS..)?
            .iter()
            .find(|c| c.kind_tag == tag)
    }

    /// All members (one for a single context), sorted by kind for a multi-kind context.
    pub fn contexts(&self) -> &[SingleContext] {
        &self.contexts
    }

    /// The kinds present in this context.
    pub fn kinds(&self) -> impl Iterator<Item = &Kind> + '_ {
        self.contexts.iter().map(|c| &c.kind)
    }

    /// The fully-qualified key: the key for a `user` context, `kind:key` otherwise (with `%` and
    /// `:` escaped in the key), members joined with `:` in kind order for a multi-kind context.
    pub fn fully_qualified_key(&self) -> &str {
        &self.fully_qualified_key
    }

    /// The canonical key, which LaunchDarkly defines identically to the fully-qualified key.
    pub fn canonical_key(&self) -> &str {
        &self.fully_qualified_key
    }

    /// A fast, non-cryptographic hash of the fully-qualified key, computed once when the context
    /// was built: equal to `Context::hash_key(context.fully_qualified_key())`, so that caches
    /// keyed by context identity (such as the event processor's seen-contexts table) need not
    /// read the key itself.
    ///
    /// ```
    /// use ld_eval::{Context, ContextBuilder};
    /// let c = ContextBuilder::new("user-1").build().unwrap();
    /// assert_eq!(c.fully_qualified_key_hash(), Context::hash_key("user-1"));
    /// ```
    #[inline]
    pub fn fully_qualified_key_hash(&self) -> u64 {
        self.key_hash
    }

    /// A word on which the code consuming this context (the event processor) may note what it
    /// has worked out about it, so as not to look it up again on the next evaluation; see
    /// [`ContextMemo`]. Not part of the context's value.
    ///
    /// ```
    /// use ld_eval::ContextBuilder;
    /// let c = ContextBuilder::new("u").build().unwrap();
    /// assert_eq!(c.memo().get(), 0);
    /// ```
    #[inline(always)]
    pub fn memo(&self) -> &ContextMemo {
        &self.memo
    }

    /// The hash [`Context::fully_qualified_key_hash`] uses, for keys held elsewhere. Stable within
    /// a process, not across versions: never persist it.
    pub fn hash_key(fully_qualified_key: &str) -> u64 {
        use std::hash::BuildHasher;
        crate::FastBuildHasher::default().hash_one(fully_qualified_key)
    }
}

/// A kind's length and first (up to 7) bytes packed into a word. For kinds shorter than 8 bytes
/// (`user`, `org`, `device`, …) it identifies the kind exactly; for longer ones equal tags still
/// need a string comparison.
#[inline]
pub(crate) fn kind_tag(kind: &str) -> u64 {
    let b = kind.as_bytes();
    let mut tag = b.len().min(255) as u64;
    for (i, byte) in b.iter().take(7).enumerate() {
        tag |= u64::from(*byte) << (8 * (i + 1));
    }
    tag
}

fn push_kind_and_key(out: &mut String, c: &SingleContext) {
    out.push_str(c.kind.as_str());
    out.push(':');
    for ch in c.key().chars() {
        match ch {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            other => out.push(other),
        }
    }
}

pub(crate) fn validate_single(
    kind: &str,
    key: &str,
    allow_empty_key: bool,
) -> Result<(), ContextError> {
    Kind::validate(kind)?;
    if key.is_empty() && !allow_empty_key {
        return Err(ContextError::EmptyKey);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{ContextBuilder, MultiContextBuilder};

    #[test]
    fn members_are_found_by_kind_beyond_the_inline_tags() {
        let kinds = [
            "a",
            "bb",
            "org",
            "user",
            "device",
            "zz",
            "long-kind-name",
            "long-kind-namf",
        ];
        let mut multi = MultiContextBuilder::new();
        for kind in kinds {
            multi = multi.push(
                ContextBuilder::new(format!("key-{kind}"))
                    .kind(kind)
                    .build()
                    .unwrap(),
            );
        }
        let multi = multi.build().unwrap();
        for kind in kinds {
            let member = multi
                .as_kind(kind)
                .unwrap_or_else(|| panic!("{kind} is a member"));
            assert_eq!(member.key(), format!("key-{kind}"));
        }
        for absent in ["b", "or", "users", "long-kind-nam", "long-kind-namg", ""] {
            assert!(multi.as_kind(absent).is_none(), "{absent}");
        }
        let single = ContextBuilder::new("k").kind("org").build().unwrap();
        assert_eq!(single.as_kind("org").map(|c| c.key()), Some("k"));
        assert!(single.as_kind("user").is_none() && single.as_kind("").is_none());
    }
}
