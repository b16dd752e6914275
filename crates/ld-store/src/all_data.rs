//! A complete data set: what a data source hands the store on (re)initialization.
//!
//! Parsing is the hot part of a streaming `put` (megabytes of JSON replacing the whole store),
//! so [`AllData::from_json`] first reads the document with `ld-eval`'s purpose-built
//! [`JsonCursor`], which builds each flag and segment straight into its prepared form. An item
//! the cursor does not handle (see [`ld_eval::Unsupported`]) is read from its slice of the input
//! with `serde`; anything else it does not handle (malformed JSON, escaped item keys, an item
//! `serde` rejects) sends the whole document to the `serde` readings below, so accepted inputs,
//! results and errors are those of `serde`. The first of those reads the document in one
//! streaming pass; only if that fails (malformed data, or a tombstone too sparse to be a flag,
//! such as one without a `key`) does it fall back to a slower item-by-item reading that accepts
//! exactly the same inputs and reports the same errors.

use crate::item_descriptor::ItemDescriptor;
use crate::model::{Flag, Segment};
use ld_eval::{FastBuildHasher, JsonCursor, Unsupported};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// Items of one kind by key. Keys are shared strings so that the map can become a
/// [`Snapshot`](crate::Snapshot)'s map as it is, and later snapshots copy only pointers.
pub type ItemMap<T> = HashMap<Arc<str>, ItemDescriptor<T>, FastBuildHasher>;

/// Every flag and segment, replacing whatever the store held.
///
/// Its maps are the ones the in-memory store keeps: an `init` moves them into the new
/// snapshot without copying or rehashing a key.
#[derive(Debug, Clone, Default)]
pub struct AllData {
    /// Flags by key (tombstones allowed).
    pub flags: ItemMap<Flag>,
    /// Segments by key (tombstones allowed).
    pub segments: ItemMap<Segment>,
}

impl AllData {
    /// Parses the LaunchDarkly "all data" JSON shape: `{"flags": {key: flag}, "segments":
    /// {key: segment}}` (either property may be missing or null). Items marked
    /// `"deleted": true` become tombstones.
    ///
    /// ```
    /// use ld_store::AllData;
    /// let data = AllData::from_json(r#"{"flags":{"a":{"key":"a","version":1},"b":{"key":"b","version":9,"deleted":true}}}"#).unwrap();
    /// assert!(data.flags["a"].item().is_some());
    /// assert!(data.flags["b"].is_deleted());
    /// ```
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        let mut cursor = JsonCursor::new(json);
        if let Ok(data) = Self::read_json(&mut cursor)
            && cursor.end().is_ok()
        {
            return Ok(data);
        }
        match Self::from_json_one_pass(json) {
            Ok(data) => Ok(data),
            Err(_) => Self::from_json_item_by_item(json),
        }
    }

    /// Reads the `{"flags": .., "segments": ..}` object at the cursor with the fast reader
    /// (other properties skipped; either collection may be missing or `null`), for data
    /// embedded in a larger document such as the `data` of a streaming `put`.
    ///
    /// On [`Unsupported`] the cursor is left anywhere: read the document with `serde`
    /// instead ([`AllData::from_json`] on the object, or the enclosing document's own reader),
    /// which accepts the input or reports what is wrong with it.
    ///
    /// ```
    /// use ld_eval::JsonCursor;
    /// use ld_store::AllData;
    /// let put = r#"{"path":"/","data":{"flags":{"a":{"key":"a","version":2}},"segments":null}}"#;
    /// let mut c = JsonCursor::new(put);
    /// let mut field = c.first_key().unwrap();
    /// let mut data = None;
    /// while let Some(name) = field {
    ///     if name == "data" {
    ///         data = Some(AllData::read_json(&mut c).unwrap());
    ///     } else {
    ///         c.skip_value().unwrap();
    ///     }
    ///     field = c.next_key().unwrap();
    /// }
    /// assert_eq!(data.unwrap().flags["a"].version, 2);
    /// ```
    pub fn read_json(cursor: &mut JsonCursor<'_>) -> Result<Self, Unsupported> {
        let mut out = AllData::default();
        let (mut seen_flags, mut seen_segments) = (false, false);
        let mut field = cursor.first_key()?;
        while let Some(name) = field {
            match name {
                "flags" if !std::mem::replace(&mut seen_flags, true) => {
                    out.flags = read_items(cursor, JsonCursor::read_flag)?;
                }
                "segments" if !std::mem::replace(&mut seen_segments, true) => {
                    out.segments = read_items(cursor, JsonCursor::read_segment)?;
                }
                "flags" | "segments" => return Err(Unsupported),
                _ => cursor.skip_value()?,
            }
            field = cursor.next_key()?;
        }
        Ok(out)
    }

    /// The one-pass `serde` reading of the whole document.
    fn from_json_one_pass(json: &str) -> Result<Self, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(json);
        let data = AllDataVisitor.deserialize_with(&mut de)?;
        de.end()?;
        Ok(data)
    }

    /// The fallback: split the document into raw items, then read each one on its own (see
    /// [`flag_from_json`]). Accepts every input the fast path accepts, and a few more
    /// (tombstones that do not parse as items), with the same result.
    fn from_json_item_by_item(json: &str) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Raw<'a> {
            #[serde(borrow, default)]
            flags: Option<HashMap<String, &'a RawValue>>,
            #[serde(borrow, default)]
            segments: Option<HashMap<String, &'a RawValue>>,
        }
        let raw: Raw<'_> = serde_json::from_str(json)?;
        let mut out = AllData::default();
        for (k, v) in raw.flags.unwrap_or_default() {
            out.flags.insert(k.into(), flag_from_json(v.get())?);
        }
        for (k, v) in raw.segments.unwrap_or_default() {
            out.segments.insert(k.into(), segment_from_json(v.get())?);
        }
        Ok(out)
    }
}

/// Reads `{"flags": .., "segments": ..}` in one streaming pass, for data embedded in a larger
/// document (such as the `data` of a streaming `put`), so that the document is read only once.
///
/// Stricter than [`AllData::from_json`] in one respect: an item marked `"deleted": true` must
/// still parse as a flag or segment (tombstones LaunchDarkly sends do). On an error, read the
/// embedded object again with [`AllData::from_json`], which accepts such tombstones.
///
/// ```
/// use ld_store::AllData;
/// #[derive(serde::Deserialize)]
/// struct Put { data: AllData }
/// let put: Put = serde_json::from_str(r#"{"path":"/","data":{"flags":{"a":{"key":"a","version":2}}}}"#).unwrap();
/// assert_eq!(put.data.flags["a"].version, 2);
/// ```
impl<'de> Deserialize<'de> for AllData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AllDataVisitor.deserialize_with(d)
    }
}

/// Deserializes the top-level `{"flags": .., "segments": ..}` object, ignoring other
/// properties.
struct AllDataVisitor;

impl AllDataVisitor {
    fn deserialize_with<'de, D: Deserializer<'de>>(self, d: D) -> Result<AllData, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AllDataVisitor {
    type Value = AllData;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with \"flags\" and \"segments\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AllData, A::Error> {
        let mut out = AllData::default();
        let (mut seen_flags, mut seen_segments) = (false, false);
        while let Some(name) = map.next_key::<FieldName>()? {
            match name {
                FieldName::Flags => {
                    if std::mem::replace(&mut seen_flags, true) {
                        return Err(serde::de::Error::duplicate_field("flags"));
                    }
                    out.flags = map.next_value_seed(ItemsSeed::<Flag>(PhantomData))?;
                }
                FieldName::Segments => {
                    if std::mem::replace(&mut seen_segments, true) {
                        return Err(serde::de::Error::duplicate_field("segments"));
                    }
                    out.segments = map.next_value_seed(ItemsSeed::<Segment>(PhantomData))?;
                }
                FieldName::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A top-level property name.
enum FieldName {
    Flags,
    Segments,
    Other,
}

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = FieldName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a property name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FieldName, E> {
                Ok(match v {
                    "flags" => FieldName::Flags,
                    "segments" => FieldName::Segments,
                    _ => FieldName::Other,
                })
            }
        }
        d.deserialize_identifier(NameVisitor)
    }
}

/// What a flag or segment tells the parser about itself once deserialized, and how many of
/// its kind this thread read last time.
trait Versioned {
    fn version(&self) -> u64;
    fn deleted(&self) -> bool;
    fn last_count() -> usize;
    fn set_last_count(n: usize);
    /// The item's key, when the item holds it as a shared string the map can key with.
    fn shared_key(&self) -> Option<&Arc<str>> {
        None
    }
}

thread_local! {
    /// Items in the last flag and segment maps read on this thread (capacity hints).
    static LAST_COUNTS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

impl Versioned for Flag {
    fn version(&self) -> u64 {
        self.version
    }
    fn deleted(&self) -> bool {
        self.deleted
    }
    fn last_count() -> usize {
        LAST_COUNTS.with(|c| c.get().0)
    }
    fn set_last_count(n: usize) {
        LAST_COUNTS.with(|c| c.set((n, c.get().1)));
    }
    fn shared_key(&self) -> Option<&Arc<str>> {
        self.key.whole()
    }
}

impl Versioned for Segment {
    fn version(&self) -> u64 {
        self.version
    }
    fn deleted(&self) -> bool {
        self.deleted
    }
    fn last_count() -> usize {
        LAST_COUNTS.with(|c| c.get().1)
    }
    fn set_last_count(n: usize) {
        LAST_COUNTS.with(|c| c.set((c.get().0, n)));
    }
}

/// A descriptor for an item that was deserialized whole: a tombstone if it says it is deleted.
fn descriptor<T: Versioned>(item: T) -> ItemDescriptor<T> {
    if item.deleted() {
        ItemDescriptor::tombstone(item.version())
    } else {
        ItemDescriptor::new(item.version(), item)
    }
}

/// Deserializes `{key: item}` (or `null`, meaning none) straight into descriptors.
struct ItemsSeed<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + Versioned> DeserializeSeed<'de> for ItemsSeed<T> {
    type Value = ItemMap<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, T: Deserialize<'de> + Versioned> Visitor<'de> for ItemsSeed<T> {
    type Value = ItemMap<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of items by key, or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(ItemMap::default())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(ItemMap::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // JSON does not say how many items follow; the previous data set of this kind read on
        // this thread (a data source's earlier `put`) is the best guess, so that a 10,000-flag
        // map is allocated once rather than grown (and rehashed) a dozen times.
        let hint = map.size_hint().unwrap_or_else(|| T::last_count());
        let mut out = ItemMap::with_capacity_and_hasher(hint, FastBuildHasher::default());
        while let Some(key) = map.next_key::<SharedKey>()? {
            let item: T = map.next_value()?;
            out.insert(key.0, descriptor(item));
        }
        if out.len() < out.capacity() / 4 {
            out.shrink_to_fit();
        }
        T::set_last_count(out.len());
        Ok(out)
    }
}

/// Reads `{key: item}` (or `null`) with the fast reader: each item with `read`, or, where that
/// gives up, from its slice of the input as the item-by-item reading takes it (see
/// [`item_from_json`]); an item that reading rejects is [`Unsupported`], so that the caller's
/// `serde` reading reports it.
fn read_items<'a, T>(
    cursor: &mut JsonCursor<'a>,
    read: impl Fn(&mut JsonCursor<'a>) -> Result<T, Unsupported>,
) -> Result<ItemMap<T>, Unsupported>
where
    T: for<'de> Deserialize<'de> + Versioned,
{
    if cursor.null() {
        return Ok(ItemMap::default());
    }
    let mut out = ItemMap::with_capacity_and_hasher(T::last_count(), FastBuildHasher::default());
    let mut key = cursor.first_key()?;
    while let Some(k) = key {
        let item = match read(cursor) {
            Ok(item) => descriptor(item),
            // As the item-by-item reading takes it (a tombstone need not parse as an item).
            Err(Unsupported) => item_from_json(cursor.raw_value()?).map_err(|_| Unsupported)?,
        };
        // The map shares the item's own key when it is the same string (it almost always is).
        let map_key = match item.item.as_deref().and_then(T::shared_key) {
            Some(own) if **own == *k => Arc::clone(own),
            _ => Arc::from(k),
        };
        out.insert(map_key, item);
        key = cursor.next_key()?;
    }
    if out.len() < out.capacity() / 4 {
        out.shrink_to_fit();
    }
    T::set_last_count(out.len());
    Ok(out)
}

/// An item key read straight into a shared string (one allocation, none for an intermediate
/// `String`).
struct SharedKey(Arc<str>);

impl<'de> Deserialize<'de> for SharedKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = SharedKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an item key")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SharedKey, E> {
                Ok(SharedKey(Arc::from(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[derive(Deserialize)]
struct VersionAndDeleted {
    #[serde(default)]
    version: u64,
    #[serde(default)]
    deleted: bool,
}

/// Parses one flag's JSON into a descriptor; `{"version": n, "deleted": true}` is a tombstone.
///
/// ```
/// let d = ld_store::flag_from_json(r#"{"key":"f","version":5,"on":true}"#).unwrap();
/// assert_eq!(d.version, 5);
/// ```
pub fn flag_from_json(json: &str) -> Result<ItemDescriptor<Flag>, serde_json::Error> {
    let mut cursor = JsonCursor::new(json);
    if let Ok(flag) = cursor.read_flag()
        && cursor.end().is_ok()
    {
        return Ok(descriptor(flag));
    }
    item_from_json(json)
}

/// Parses one segment's JSON into a descriptor; `{"version": n, "deleted": true}` is a
/// tombstone.
pub fn segment_from_json(json: &str) -> Result<ItemDescriptor<Segment>, serde_json::Error> {
    let mut cursor = JsonCursor::new(json);
    if let Ok(segment) = cursor.read_segment()
        && cursor.end().is_ok()
    {
        return Ok(descriptor(segment));
    }
    item_from_json(json)
}

/// One pass when the item parses whole; otherwise a tombstone if the JSON says `deleted`
/// (whatever else it holds), or the item's parse error.
fn item_from_json<T>(json: &str) -> Result<ItemDescriptor<T>, serde_json::Error>
where
    T: for<'de> Deserialize<'de> + Versioned,
{
    match serde_json::from_str::<T>(json) {
        Ok(item) => Ok(descriptor(item)),
        Err(item_error) => {
            let head: VersionAndDeleted = serde_json::from_str(json)?;
            if head.deleted {
                Ok(ItemDescriptor::tombstone(head.version))
            } else {
                Err(item_error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(d: &AllData) -> Vec<(String, u64, bool)> {
        let mut v: Vec<_> = d
            .flags
            .iter()
            .map(|(k, i)| (format!("flag {k}"), i.version, i.is_deleted()))
            .chain(
                d.segments
                    .iter()
                    .map(|(k, i)| (format!("segment {k}"), i.version, i.is_deleted())),
            )
            .collect();
        v.sort();
        v
    }

    #[test]
    fn one_pass_reads_items_and_tombstones_like_the_item_by_item_reading() {
        let json = r#"{"extra":[1,{"x":null}],"flags":{"a":{"key":"a","version":3,"on":true,
            "variations":[true,false],"fallthrough":{"variation":0}},
            "b":{"key":"b","version":9,"deleted":true}},
            "segments":{"s":{"key":"s","version":2,"included":["u"]},
            "t":{"key":"t","version":5,"deleted":true}}}"#;
        let fast = AllData::from_json_one_pass(json).unwrap();
        let slow = AllData::from_json_item_by_item(json).unwrap();
        assert_eq!(summary(&fast), summary(&slow));
        assert_eq!(
            summary(&fast),
            [
                ("flag a".to_string(), 3, false),
                ("flag b".to_string(), 9, true),
                ("segment s".to_string(), 2, false),
                ("segment t".to_string(), 5, true),
            ]
        );
        assert_eq!(fast.flags["a"], slow.flags["a"]);
        assert_eq!(fast.segments["s"], slow.segments["s"]);
    }

    #[test]
    fn flags_read_in_one_pass_serialize_back_to_their_json_even_with_escapes() {
        // Escaped strings cannot be borrowed from the input: they take the owned path.
        let flag = r#"{"key": "f\"1", "version": 3, "on": true,
            "prerequisites": [{"key": "p\u00e9", "variation": 0}],
            "targets": [{"values": ["a\\b", "plain", "\u2603"], "variation": 0}],
            "contextTargets": [{"contextKind": "o\u0072g", "values": [], "variation": 1}],
            "rules": [{"id": "r\n1", "clauses": [{"contextKind": "us\u0065r",
                "attribute": "/a~1b/c\u0064", "op": "i\u006e", "values": ["x\ty", 3, null],
                "negate": true}], "rollout": {"kind": "rollout", "variations": [{"variation": 0,
                "weight": 100000}], "bucketBy": "k\u0065y", "contextKind": "user"},
                "trackEvents": false}],
            "fallthrough": {"variation": 0}, "offVariation": 1, "variations": [true, false],
            "salt": "s", "clientSide": false, "trackEvents": false,
            "trackEventsFallthrough": false, "deleted": false}"#;
        let json = format!(r#"{{"flags":{{"f\"1":{flag}}}}}"#);
        let data = AllData::from_json_one_pass(&json).unwrap();
        let parsed = data.flags["f\"1"].item().unwrap();
        let expected: serde_json::Value = serde_json::from_str(flag).unwrap();
        assert_eq!(serde_json::to_value(parsed).unwrap(), expected);
        assert_eq!(
            parsed.rules[0].clauses[0]
                .attribute()
                .components()
                .collect::<Vec<_>>(),
            ["a/b", "cd"]
        );
    }

    /// The `serde` readings alone, as `from_json` read documents before the fast reader.
    fn serde_only(json: &str) -> Result<AllData, serde_json::Error> {
        AllData::from_json_one_pass(json).or_else(|_| AllData::from_json_item_by_item(json))
    }

    /// Same keys, versions, tombstones and items (by `==` and by their JSON).
    fn assert_same(a: &AllData, b: &AllData, json: &str) {
        assert_eq!(summary(a), summary(b), "{json}");
        for (k, d) in &a.flags {
            let other = b.flags[k].item();
            assert_eq!(d.item(), other, "{json}");
            assert_eq!(
                d.item().map(|f| serde_json::to_value(f).unwrap()),
                other.map(|f| serde_json::to_value(f).unwrap())
            );
        }
        for (k, d) in &a.segments {
            assert_eq!(d.item(), b.segments[k].item(), "{json}");
        }
    }

    /// `from_json` (fast reader first) against the `serde` readings: same result, or the same
    /// error message.
    fn assert_reads_like_serde(json: &str) {
        match (AllData::from_json(json), serde_only(json)) {
            (Ok(fast), Ok(slow)) => assert_same(&fast, &slow, json),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{json}"),
            (a, b) => panic!("{json}: {:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
        }
    }

    const DOCUMENT: &str = r#"{"flags":{"a":{"key":"a","version":3,"on":true,
        "variations":[true,false,1.5,{"x":[-1]}],"fallthrough":{"variation":0},
        "rules":[{"id":"r","clauses":[{"contextKind":"user","attribute":"email",
        "op":"endsWith","values":["@x.com","a\\.b"],"negate":false}],
        "rollout":{"variations":[{"variation":0,"weight":60000},{"variation":1,"weight":40000}]}}]},
        "b":{"key":"b","version":9,"deleted":true},
        "c":{"key":"c","version":1,"offVariation":null,"targets":[{"values":null,"variation":0}]}},
        "extra":{"nested":[1,2,{"k":"v"}]},
        "segments":{"s":{"key":"s","version":2,"included":["u"],"rules":[{"clauses":[],
        "weight":50000,"bucketBy":"key"}]},"t":{"key":"t","version":5,"deleted":true}}}"#;

    #[test]
    fn the_fast_reader_reads_documents_exactly_as_serde_does() {
        assert!(AllData::read_json(&mut JsonCursor::new(DOCUMENT)).is_ok());
        assert_reads_like_serde(DOCUMENT);
        // Items the fast reader leaves to serde (a float version, an escaped key, a tombstone
        // without a key, a duplicate field), and documents it leaves to serde as a whole.
        for json in [
            r#"{"flags":{"a":{"key":"a","version":1.0}}}"#,
            r#"{"flags":{"a":{"key":"a","version":1}}}"#,
            r#"{"flags":{"gé":{"key":"g","version":1}}}"#,
            r#"{"flags":{"gone":{"version":7,"deleted":true}}}"#,
            r#"{"flags":{"a":{"key":"a","key":"b"}}}"#,
            r#"{"flags":{"a":{"key":"a","version":2},"a":{"key":"a","version":3}}}"#,
            r#"{"segments":{"s":{"key":"s","weight":1.5}},"flags":null}"#,
            r#"{"flags":{},"flags":{}}"#,
            r#"{"flags":{"a":{"key":"a","rules":[{"clauses":[{"op":"in","values":[1e2]}]}]}}}"#,
            r#"{"flags":{"a":{"key":"a","rules":[{"rollout":{"variations":[{"variation":0,"weight":0.5}]}}]}}}"#,
            r#"{"flags":{"a":{"key":"a","fallthrough":null}}}"#,
            "null",
            "[]",
            " { } ",
        ] {
            assert_reads_like_serde(json);
        }
    }

    #[test]
    fn truncated_documents_fail_exactly_as_with_serde_alone() {
        for end in 0..=DOCUMENT.len() {
            if let Some(prefix) = DOCUMENT.get(..end) {
                assert_reads_like_serde(prefix);
            }
        }
    }

    #[test]
    fn single_items_read_fast_exactly_as_serde_reads_them() {
        for json in [
            r#"{"key":"f","version":5,"on":true,"variations":[1,2]}"#,
            r#"{"version":4,"deleted":true}"#,
            r#"{"key":"f","version":-1}"#,
            r#"{"key":"f"} x"#,
        ] {
            let fast = flag_from_json(json);
            let slow = item_from_json::<Flag>(json);
            match (fast, slow) {
                (Ok(a), Ok(b)) => {
                    assert_eq!((a.version, a.item()), (b.version, b.item()), "{json}")
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                _ => panic!("{json}"),
            }
        }
        let s = segment_from_json(r#"{"key":"s","version":2,"included":["a"]}"#).unwrap();
        assert!(s.item().unwrap().included.contains("a"));
    }

    #[test]
    fn missing_or_null_collections_are_empty() {
        for json in [
            r#"{}"#,
            r#"{"flags":null,"segments":null}"#,
            r#"{"flags":{}}"#,
        ] {
            let d = AllData::from_json(json).unwrap();
            assert!(d.flags.is_empty() && d.segments.is_empty(), "{json}");
        }
    }

    #[test]
    fn tombstone_without_key_falls_back_and_is_still_a_tombstone() {
        let json = r#"{"flags":{"gone":{"version":7,"deleted":true}}}"#;
        assert!(AllData::from_json_one_pass(json).is_err());
        let d = AllData::from_json(json).unwrap();
        assert!(d.flags["gone"].is_deleted());
        assert_eq!(d.flags["gone"].version, 7);
        let f = flag_from_json(r#"{"version":4,"deleted":true}"#).unwrap();
        assert!(f.is_deleted() && f.version == 4);
    }

    #[test]
    fn malformed_items_and_documents_are_errors() {
        for json in [
            r#"{"flags":{"a":{"key":"a","version":"x"}}}"#,
            r#"{"flags":{"a":{"version":1}}}"#,
            r#"{"flags":[]}"#,
            r#"{"flags":{}} trailing"#,
            r#"{"flags":{},"flags":{}}"#,
            r#"not json"#,
        ] {
            assert!(AllData::from_json(json).is_err(), "{json}");
        }
        assert!(flag_from_json(r#"{"version":1}"#).is_err());
    }
}
