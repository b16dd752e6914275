//! What a rule or the fallthrough serves: one fixed variation, or a percentage rollout.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::attr_ref::AttrRef;
use crate::borrowed_str::BorrowedStr;
use crate::kind::Kind;

/// Whether a rollout is a plain percentage rollout or an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RolloutKind {
    /// A percentage rollout (the default).
    #[default]
    Rollout,
    /// An experiment: always buckets by key, and reports `inExperiment`.
    Experiment,
}

/// One bucket of a rollout.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WeightedVariation {
    /// The variation served to contexts in this bucket.
    pub variation: i64,
    /// The bucket's size out of 100,000.
    pub weight: f64,
    /// In an experiment, contexts in an untracked bucket are not "in the experiment".
    pub untracked: bool,
}

/// A percentage rollout.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rollout {
    /// Rollout or experiment.
    pub kind: RolloutKind,
    /// The context kind to bucket (absent: `user`, and `bucket_by` is a literal name).
    pub context_kind: Option<Kind>,
    /// The attribute to bucket by (absent: `key`). Ignored by experiments.
    pub bucket_by: Option<AttrRef>,
    /// The buckets.
    pub variations: Buckets,
    /// When set, hashing uses the seed instead of the flag key and salt.
    pub seed: Option<i64>,
}

/// Buckets held inline (most rollouts have two: an A/B split, or old and new).
const INLINE_BUCKETS: usize = 2;

/// The buckets of a rollout, in order: a slice of [`WeightedVariation`]s (it dereferences to
/// one). Up to two are held inline, so the usual rollout costs no allocation beyond its own.
///
/// ```
/// use ld_eval::{Buckets, WeightedVariation};
/// let b = Buckets::from(vec![
///     WeightedVariation { variation: 0, weight: 60_000.0, untracked: false },
///     WeightedVariation { variation: 1, weight: 40_000.0, untracked: false },
/// ]);
/// assert_eq!(b.len(), 2);
/// assert_eq!(b.last().map(|w| w.variation), Some(1));
/// ```
#[derive(Clone)]
pub struct Buckets(BucketsRepr);

#[derive(Clone)]
enum BucketsRepr {
    Inline(u8, [WeightedVariation; INLINE_BUCKETS]),
    Heap(Box<[WeightedVariation]>),
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets(BucketsRepr::Inline(0, Default::default()))
    }
}

impl std::ops::Deref for Buckets {
    type Target = [WeightedVariation];

    #[inline]
    fn deref(&self) -> &[WeightedVariation] {
        match &self.0 {
            BucketsRepr::Inline(len, items) => &items[..usize::from(*len)],
            BucketsRepr::Heap(items) => items,
        }
    }
}

impl<'a> IntoIterator for &'a Buckets {
    type Item = &'a WeightedVariation;
    type IntoIter = std::slice::Iter<'a, WeightedVariation>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl From<Vec<WeightedVariation>> for Buckets {
    fn from(v: Vec<WeightedVariation>) -> Self {
        if v.len() <= INLINE_BUCKETS {
            let mut items = [WeightedVariation::default(); INLINE_BUCKETS];
            items[..v.len()].copy_from_slice(&v);
            Buckets(BucketsRepr::Inline(v.len() as u8, items))
        } else {
            Buckets(BucketsRepr::Heap(v.into_boxed_slice()))
        }
    }
}

impl Buckets {
    /// Collects the buckets `next` gives until it gives `None` (the serde path and the fast
    /// JSON reader both read buckets through this).
    #[inline]
    pub(crate) fn collect<E>(
        mut next: impl FnMut() -> Result<Option<WeightedVariation>, E>,
    ) -> Result<Buckets, E> {
        let mut items = [WeightedVariation::default(); INLINE_BUCKETS];
        for n in 0..INLINE_BUCKETS {
            match next()? {
                Some(item) => items[n] = item,
                None => return Ok(Buckets(BucketsRepr::Inline(n as u8, items))),
            }
        }
        let Some(third) = next()? else {
            return Ok(Buckets(BucketsRepr::Inline(INLINE_BUCKETS as u8, items)));
        };
        let mut all = Vec::with_capacity(INLINE_BUCKETS * 2 + 1);
        all.extend_from_slice(&items);
        all.push(third);
        while let Some(item) = next()? {
            all.push(item);
        }
        Ok(Buckets(BucketsRepr::Heap(all.into_boxed_slice())))
    }
}

impl PartialEq for Buckets {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Buckets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Buckets {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Buckets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BucketsVisitor;
        impl<'de> Visitor<'de> for BucketsVisitor {
            type Value = Buckets;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of weighted variations")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Buckets, A::Error> {
                Buckets::collect(|| seq.next_element())
            }
        }
        d.deserialize_seq(BucketsVisitor)
    }
}

/// A fixed variation or a rollout, as found in rules and in the fallthrough.
///
/// Data with neither (or unusable) is kept as [`VariationOrRollout::Malformed`] and evaluates to
/// `MALFORMED_FLAG`; with both, the fixed variation wins, as in other SDKs.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum VariationOrRollout {
    /// Serve this variation index.
    Variation(i64),
    /// Bucket the context (held out of line: most rules serve a fixed variation, and a rule
    /// should not carry a rollout's size inline; a flag read by the fast reader keeps all its
    /// rollouts in one allocation).
    Rollout(SharedRollout),
    /// Neither was given.
    #[default]
    Malformed,
}

/// A [`Rollout`] held out of line, possibly in one list with the other rollouts of its flag:
/// it dereferences to the rollout, and cloning shares it.
///
/// ```
/// use ld_eval::{Rollout, SharedRollout};
/// let r = SharedRollout::new(Rollout { seed: Some(7), ..Rollout::default() });
/// assert_eq!(r.seed, Some(7));
/// assert_eq!(r.clone(), r);
/// ```
#[derive(Clone)]
pub struct SharedRollout {
    list: Arc<[Rollout]>,
    index: usize,
}

impl SharedRollout {
    /// A rollout in an allocation of its own.
    pub fn new(rollout: Rollout) -> SharedRollout {
        SharedRollout {
            list: Arc::new([rollout]),
            index: 0,
        }
    }

    /// The rollout at `index` of a list not made yet (a flag's rollouts, gathered while it is
    /// read): a default rollout until bound with [`SharedRollout::bind`].
    pub(crate) fn pending(index: usize) -> SharedRollout {
        static DEFAULT: OnceLock<Arc<[Rollout]>> = OnceLock::new();
        SharedRollout {
            list: Arc::clone(DEFAULT.get_or_init(|| Arc::new([Rollout::default()]))),
            index,
        }
    }

    /// Ties a [`SharedRollout::pending`] rollout to the finished list.
    pub(crate) fn bind(&mut self, list: &Arc<[Rollout]>) {
        self.list = Arc::clone(list);
    }
}

impl std::ops::Deref for SharedRollout {
    type Target = Rollout;

    #[inline(always)]
    fn deref(&self) -> &Rollout {
        // Unbound (never left so by the reader): the default rollout.
        self.list
            .get(self.index)
            .or_else(|| self.list.first())
            .unwrap_or_else(|| default_rollout())
    }
}

/// A rollout with no buckets (evaluates as malformed).
fn default_rollout() -> &'static Rollout {
    static DEFAULT: OnceLock<Rollout> = OnceLock::new();
    DEFAULT.get_or_init(Rollout::default)
}

impl PartialEq for SharedRollout {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for SharedRollout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[derive(Serialize, Deserialize)]
struct WeightedVariationRepr {
    variation: i64,
    #[serde(default = "zero")]
    weight: serde_json::Number,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    untracked: bool,
}

fn zero() -> serde_json::Number {
    serde_json::Number::from(0)
}

fn number_of(w: f64) -> serde_json::Number {
    if w.fract() == 0.0 && w.abs() < 9.0e15 {
        serde_json::Number::from(w as i64)
    } else {
        serde_json::Number::from_f64(w).unwrap_or_else(|| serde_json::Number::from(0))
    }
}

impl Serialize for WeightedVariation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WeightedVariationRepr {
            variation: self.variation,
            weight: number_of(self.weight),
            untracked: self.untracked,
        }
        .serialize(s)
    }
}

/// What a bucket is read from: the weight straight into an `f64` (any JSON number, as
/// `serde_json::Number::as_f64` would give it), without an intermediate `Number`.
#[derive(Deserialize)]
struct WeightedVariationIn {
    variation: i64,
    #[serde(default)]
    weight: f64,
    #[serde(default)]
    untracked: bool,
}

impl<'de> Deserialize<'de> for WeightedVariation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = WeightedVariationIn::deserialize(d)?;
        Ok(WeightedVariation {
            variation: r.variation,
            weight: r.weight,
            untracked: r.untracked,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RolloutRepr<K, B, V> {
    #[serde(default)]
    kind: Option<RolloutKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context_kind: Option<K>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bucket_by: Option<B>,
    #[serde(default)]
    variations: V,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
}

impl Serialize for Rollout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RolloutRepr {
            kind: Some(self.kind),
            context_kind: self.context_kind.as_ref(),
            bucket_by: self.bucket_by.as_ref(),
            variations: &self.variations,
            seed: self.seed,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Rollout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r: RolloutRepr<Kind, BorrowedStr<'de>, Buckets> = RolloutRepr::deserialize(d)?;
        Ok(Rollout::from_parts(
            r.kind,
            r.context_kind,
            r.bucket_by.as_deref(),
            r.variations,
            r.seed,
        ))
    }
}

impl Rollout {
    /// A rollout from its JSON fields as read (the serde path and the fast JSON reader).
    pub(crate) fn from_parts(
        kind: Option<RolloutKind>,
        context_kind: Option<Kind>,
        bucket_by: Option<&str>,
        variations: Buckets,
        seed: Option<i64>,
    ) -> Rollout {
        // Without a context kind (old-style data), `bucketBy` is a literal attribute name.
        let literal = context_kind.is_none();
        let bucket_by = bucket_by.map(|b| AttrRef::shared(b, literal));
        Rollout::from_parts_with(kind, context_kind, bucket_by, variations, seed)
    }

    /// [`Rollout::from_parts`] with the `bucketBy` reference already made (as
    /// [`AttrRef::shared`] makes it: literal when `context_kind` is `None`).
    pub(crate) fn from_parts_with(
        kind: Option<RolloutKind>,
        context_kind: Option<Kind>,
        bucket_by: Option<AttrRef>,
        variations: Buckets,
        seed: Option<i64>,
    ) -> Rollout {
        Rollout {
            kind: kind.unwrap_or_default(),
            bucket_by,
            context_kind,
            variations,
            seed,
        }
    }
}

/// The JSON fields a rule or fallthrough uses for its variation-or-rollout.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct VariationOrRolloutRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) variation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rollout: Option<Rollout>,
}

impl From<VariationOrRolloutRepr> for VariationOrRollout {
    fn from(r: VariationOrRolloutRepr) -> Self {
        match (r.variation, r.rollout) {
            (Some(v), _) => VariationOrRollout::Variation(v),
            (None, Some(r)) => VariationOrRollout::Rollout(SharedRollout::new(r)),
            (None, None) => VariationOrRollout::Malformed,
        }
    }
}

impl VariationOrRollout {
    pub(crate) fn to_repr(&self) -> VariationOrRolloutRepr {
        match self {
            VariationOrRollout::Variation(v) => VariationOrRolloutRepr {
                variation: Some(*v),
                rollout: None,
            },
            VariationOrRollout::Rollout(r) => VariationOrRolloutRepr {
                variation: None,
                rollout: Some((**r).clone()),
            },
            VariationOrRollout::Malformed => VariationOrRolloutRepr::default(),
        }
    }
}

impl Serialize for VariationOrRollout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_repr().serialize(s)
    }
}

impl<'de> Deserialize<'de> for VariationOrRollout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(VariationOrRolloutRepr::deserialize(d)?.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rollouts_of_any_length_read_and_serialize_back_with_their_weights() {
        for n in 0..6 {
            let variations: Vec<serde_json::Value> = (0..n)
                .map(|i| match i {
                    1 => json!({"variation": i, "weight": 100_000 / 6 + i, "untracked": true}),
                    _ => json!({"variation": i, "weight": 100_000 / 6 + i}),
                })
                .chain((n == 5).then(|| json!({"variation": 9, "weight": 0.5})))
                .collect();
            let json = json!({"kind": "experiment", "variations": variations, "seed": 7});
            let r: Rollout = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(r.variations.len(), variations.len());
            assert_eq!(r.variations.iter().count(), variations.len());
            if n > 0 {
                assert_eq!(r.variations[0].weight, f64::from(100_000 / 6));
                assert_eq!(
                    r.variations.last().map(|w| w.variation),
                    Some(if n == 5 { 9 } else { i64::from(n - 1) })
                );
            }
            assert_eq!(serde_json::to_value(&r).unwrap(), json, "{n} buckets");
            assert_eq!(r.clone(), r);
        }
        assert!(serde_json::from_value::<Rollout>(json!({"variations": null})).is_err());
        assert!(serde_json::from_value::<Rollout>(json!({"variations": [{"weight": 1}]})).is_err());
    }
}
