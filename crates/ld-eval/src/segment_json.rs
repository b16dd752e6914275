//! Reading segments straight from a [`JsonCursor`], with exactly the result of the `serde`
//! path (see `flag_json`, which reads the clauses and key lists both share).

use std::sync::Arc;

use crate::json_cursor::{JsonCursor, Read, Unsupported, first_time};
use crate::property_name::known::*;
use crate::segment::{Segment, SegmentRule, SegmentTarget};

impl<'a> JsonCursor<'a> {
    /// Reads a segment object exactly as `serde_json::from_str::<Segment>` would give it; on
    /// [`Unsupported`] the cursor is back where it was (see [`JsonCursor::read_flag`]).
    ///
    /// ```
    /// use ld_eval::{JsonCursor, Segment};
    /// let json = r#"{"key": "beta", "version": 2, "included": ["a", "b"], "rules": []}"#;
    /// let fast = JsonCursor::new(json).read_segment().unwrap();
    /// assert_eq!(fast, serde_json::from_str::<Segment>(json).unwrap());
    /// ```
    pub fn read_segment(&mut self) -> Result<Segment, Unsupported> {
        self.or_rewind(Self::segment)
    }

    fn segment(&mut self) -> Read<Segment> {
        const KEY_SEEN: u32 = 1;
        let mut seen = 0u32;
        // Every field at its JSON default: a tombstone's fields, but live.
        let mut segment = Segment {
            deleted: false,
            ..Segment::tombstone(String::new(), 0)
        };
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                KEY => {
                    first_time(&mut seen, KEY_SEEN)?;
                    segment.key = self.str()?.into_owned();
                }
                VERSION => {
                    first_time(&mut seen, 1 << 1)?;
                    segment.version = self.u64()?;
                }
                INCLUDED => {
                    first_time(&mut seen, 1 << 2)?;
                    segment.included = self.key_set()?;
                }
                EXCLUDED => {
                    first_time(&mut seen, 1 << 3)?;
                    segment.excluded = self.key_set()?;
                }
                INCLUDED_CONTEXTS => {
                    first_time(&mut seen, 1 << 4)?;
                    segment.included_contexts = self.list(Self::segment_target)?;
                }
                EXCLUDED_CONTEXTS => {
                    first_time(&mut seen, 1 << 5)?;
                    segment.excluded_contexts = self.list(Self::segment_target)?;
                }
                RULES => {
                    first_time(&mut seen, 1 << 6)?;
                    segment.rules = self.list(Self::segment_rule)?;
                }
                SALT => {
                    first_time(&mut seen, 1 << 7)?;
                    segment.salt = self.str()?.into_owned();
                }
                UNBOUNDED => {
                    first_time(&mut seen, 1 << 8)?;
                    segment.unbounded = self.bool()?;
                }
                UNBOUNDED_CONTEXT_KIND => {
                    first_time(&mut seen, 1 << 9)?;
                    segment.unbounded_context_kind = self.option(Self::kind)?;
                }
                GENERATION => {
                    first_time(&mut seen, 1 << 10)?;
                    segment.generation = self.option(Self::i64)?;
                }
                DELETED => {
                    first_time(&mut seen, 1 << 11)?;
                    segment.deleted = self.bool()?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        if seen & KEY_SEEN == 0 {
            return Err(Unsupported);
        }
        Ok(segment)
    }

    fn segment_target(&mut self) -> Read<SegmentTarget> {
        let mut seen = 0;
        // `None` until read: a default put in place first would be dropped when replaced.
        let (mut context_kind, mut values) = (None, None);
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                CONTEXT_KIND => {
                    first_time(&mut seen, 1)?;
                    context_kind = self.option(Self::kind)?;
                }
                VALUES => {
                    first_time(&mut seen, 2)?;
                    values = Some(self.key_set()?);
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        Ok(SegmentTarget {
            context_kind,
            values: values.unwrap_or_default(),
        })
    }

    fn segment_rule(&mut self) -> Read<SegmentRule> {
        let mut seen = 0;
        let (mut id, mut clauses, mut weight) = (None, Vec::new(), None);
        let (mut bucket_by, mut rollout_context_kind) = (None, None);
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                ID => {
                    first_time(&mut seen, 1)?;
                    id = self.option(|c| Ok(Arc::<str>::from(&*c.str()?)))?;
                }
                CLAUSES => {
                    first_time(&mut seen, 2)?;
                    clauses = self.list(Self::clause)?;
                }
                WEIGHT => {
                    first_time(&mut seen, 4)?;
                    weight = self.option(Self::integer_as_f64)?;
                }
                BUCKET_BY => {
                    first_time(&mut seen, 8)?;
                    bucket_by = self.option(Self::str)?;
                }
                ROLLOUT_CONTEXT_KIND => {
                    first_time(&mut seen, 16)?;
                    rollout_context_kind = self.option(Self::kind)?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        Ok(SegmentRule::from_parts(
            id,
            clauses,
            weight,
            bucket_by.as_deref(),
            rollout_context_kind,
        ))
    }
}
