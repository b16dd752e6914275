//! One parsed flag file: its `flags`, `flagValues` and `segments` entries, in file order and
//! with duplicates preserved (so they can be reported rather than silently overwritten).

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

use crate::origin::Section;

/// The contents of one flag file, before validation against the flag data model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// `flags` entries: key and flag object, in file order.
    pub flags: Vec<(String, Value)>,
    /// `flagValues` entries: key and value, in file order.
    pub flag_values: Vec<(String, Value)>,
    /// `segments` entries: key and segment object, in file order.
    pub segments: Vec<(String, Value)>,
}

impl Document {
    /// Reads a document from any serde deserializer (JSON or YAML). Top-level properties other
    /// than `flags`, `flagValues` and `segments` are ignored; a section that is `null` is empty.
    pub fn deserialize_from<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DocumentVisitor)
    }

    /// Parses JSON text.
    ///
    /// ```
    /// use ld_datasource_file::Document;
    /// let doc = Document::from_json(br#"{"flagValues": {"a": 1, "a": 2}, "other": []}"#).unwrap();
    /// assert_eq!(doc.flag_values.len(), 2); // duplicates are kept for reporting
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let mut d = serde_json::Deserializer::from_slice(bytes);
        let doc = Self::deserialize_from(&mut d)?;
        d.end()?;
        Ok(doc)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with `flags`, `flagValues` and/or `segments`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut doc = Document::default();
        while let Some(key) = map.next_key::<String>()? {
            let (section, out) = match key.as_str() {
                "flags" => (Section::Flags, &mut doc.flags),
                "flagValues" => (Section::FlagValues, &mut doc.flag_values),
                "segments" => (Section::Segments, &mut doc.segments),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            map.next_value_seed(SectionSeed { section, out })?;
        }
        Ok(doc)
    }
}

struct SectionSeed<'a> {
    section: Section,
    out: &'a mut Vec<(String, Value)>,
}

impl<'de> DeserializeSeed<'de> for SectionSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SectionSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` to be an object keyed by {} key",
            self.section,
            self.noun()
        )
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let value: Value = if self.section == Section::FlagValues {
                map.next_value()?
            } else {
                map.next_value_seed(ObjectSeed {
                    noun: self.noun(),
                    key: &key,
                    section: self.section,
                })?
            };
            self.out.push((key, value));
        }
        Ok(())
    }
}

impl SectionSeed<'_> {
    fn noun(&self) -> &'static str {
        match self.section {
            Section::Segments => "segment",
            Section::Flags | Section::FlagValues => "flag",
        }
    }
}

/// Deserializes a JSON object as a [`Value`], failing as soon as anything else is seen (so
/// the parser's error position points at the offending value).
struct ObjectSeed<'a> {
    noun: &'static str,
    key: &'a str,
    section: Section,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} \"{}\" in `{}` to be an object",
            self.noun, self.key, self.section
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

/// A short name for the JSON type of `v`, for error messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_section_in_file_order_and_ignores_other_properties() {
        let doc = Document::from_json(
            br#"{"segments":{"s":{"key":"s"}},"x":{"deep":[1,2]},"flags":{"b":{},"a":{}},"flagValues":{"v":"x"}}"#,
        )
        .unwrap();
        assert_eq!(
            doc.flags
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(doc.segments.len(), 1);
        assert_eq!(doc.flag_values[0].1, Value::from("x"));
    }

    #[test]
    fn a_string_where_a_flag_object_belongs_is_an_error_with_position_and_key() {
        let err = Document::from_json(b"{\n \"flags\": {\n  \"f\": \"on\"\n }\n}").unwrap_err();
        assert_eq!(err.line(), 3);
        assert!(
            err.to_string()
                .contains("expected flag \"f\" in `flags` to be an object"),
            "{err}"
        );
    }

    #[test]
    fn a_section_that_is_not_an_object_is_an_error() {
        let err = Document::from_json(br#"{"flagValues": [1, 2]}"#).unwrap_err();
        assert!(err.to_string().contains("flagValues"), "{err}");
    }

    #[test]
    fn null_sections_are_empty() {
        let doc = Document::from_json(br#"{"flags": null}"#).unwrap();
        assert!(doc.flags.is_empty());
    }

    #[test]
    fn absurd_nesting_is_rejected_not_a_stack_overflow() {
        let mut s = String::from("{\"flagValues\":{\"a\":");
        s.push_str(&"[".repeat(100_000));
        let err = Document::from_json(s.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("recursion limit"), "{err}");
    }
}
