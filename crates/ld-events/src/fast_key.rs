//! The summary fast path's cell key: one 64-bit word that names everything a summary cell is
//! specific to, so that finding and checking a thread's cell for an evaluation takes one hash
//! and one compare.
//!
//! A cell counts evaluations of one flag value (its `ld_eval::InstanceId`, unique in the
//! process, which also fixes the flag's key and version, since flags are immutable once
//! evaluated), one default and one list of context kinds (interned per summarizer), with a
//! counter per variation, so its key leaves the variation out: the fast path finds the cell
//! before the evaluation has chosen one. The key packs, from the top:
//!
//! | bits | what |
//! | --- | --- |
//! | 18–63 | the instance id (46 bits) |
//! | 16–17 | the default's class: another value, `null`, `false` or `true` |
//! | 8–15 | zero |
//! | 7 | set when the flag's evaluations never need more than the summary ([`PLAIN`]) |
//! | 0–6 | the kinds list's interned id |
//!
//! Only a default of class [`OTHER_DEFAULT`] must still be compared value by value. Evaluations
//! that do not fit (an instance id of 2⁴⁶ − 1 or more, kinds the summarizer could not intern)
//! get a key that no cell holds, and cells for them hold [`NO_KEY`]; so does a retired cell.
//! Every key of a live, usable cell has a nonzero instance id, so it is never [`NO_KEY`].

use serde_json::Value;

/// The key of a cell that the fast path must never find: retired, or of an evaluation that
/// does not fit a key.
pub(crate) const NO_KEY: u64 = 0;

/// The bit set in a cell's key when no evaluation of its flag needs more than the summary. A
/// probe always sets it, so a cell without it matches only after the caller checked the
/// evaluation itself.
pub(crate) const PLAIN: u64 = 1 << 7;

/// The default class of any value other than `null` and the booleans.
pub(crate) const OTHER_DEFAULT: u64 = 0;

/// The first kinds id that does not fit (the summarizer gives it to every kinds list beyond
/// its capacity): ids take 7 bits, below [`PLAIN`].
pub(crate) const KINDS_LIMIT: u8 = 127;
const DEFAULT_SHIFT: u32 = 16;
const INSTANCE_SHIFT: u32 = 18;
/// The first instance id that does not fit (it and all above it are clamped to it).
const INSTANCE_LIMIT: u64 = (1 << (64 - INSTANCE_SHIFT)) - 1;

/// The class of a default value: [`OTHER_DEFAULT`], or 1, 2, 3 for `null`, `false`, `true`.
#[inline(always)]
pub(crate) fn default_class(default: &Value) -> u64 {
    match default {
        Value::Null => 1,
        Value::Bool(b) => 2 + u64::from(*b),
        _ => OTHER_DEFAULT,
    }
}

/// Whether a probe's `key` leaves the default to be compared value by value (its class is
/// [`OTHER_DEFAULT`]).
#[inline(always)]
pub(crate) fn compares_default(key: u64) -> bool {
    (key >> DEFAULT_SHIFT) & 3 == OTHER_DEFAULT
}

/// What a probe looks for, before the context's kinds id is or-ed in: [`PLAIN`] set, and the
/// flag value `instance` and the default's `class` packed as the module documentation says. An
/// instance id that does not fit is clamped to one no cell's key holds.
#[inline(always)]
pub(crate) fn probe(instance: u64, class: u64) -> u64 {
    (instance.min(INSTANCE_LIMIT) << INSTANCE_SHIFT) | (class << DEFAULT_SHIFT) | PLAIN
}

/// The key of a new cell: [`probe`]'s key with the `kinds_id` or-ed in and [`PLAIN`] kept
/// only if `plain`, or [`NO_KEY`] when the evaluation does not fit (instance id 0 — no flag at
/// hand — or too large, or `kinds_id` of [`KINDS_LIMIT`] or more).
pub(crate) fn cell_key(instance: u64, default: &Value, kinds_id: u8, plain: bool) -> u64 {
    let fits = instance != 0 && instance < INSTANCE_LIMIT && kinds_id < KINDS_LIMIT;
    if !fits {
        return NO_KEY;
    }
    let key = probe(instance, default_class(default)) | u64::from(kinds_id);
    if plain { key } else { key & !PLAIN }
}

/// Entries of a thread's direct-mapped cell table.
pub(crate) const FAST_SLOTS: usize = 256;

/// The direct-mapped table entry of a probe's `key` (with [`PLAIN`] set, as [`probe`] makes
/// it): a multiplicative hash whose top bits depend on every bit of the key.
#[inline(always)]
pub(crate) fn slot(key: u64) -> usize {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - FAST_SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_probe_finds_the_key_of_a_plain_cell_for_the_same_evaluation() {
        for default in [json!(null), json!(false), json!(true), json!("x")] {
            let key = cell_key(42, &default, 3, true);
            assert_ne!(key, NO_KEY);
            let probe = probe(42, default_class(&default));
            assert_eq!(key, probe | 3);
            assert_eq!(compares_default(probe), default.as_str().is_some());
        }
    }

    #[test]
    fn a_cell_that_is_not_plain_differs_from_the_probe_only_in_the_plain_bit() {
        let key = cell_key(42, &json!(false), 3, false);
        let probe = probe(42, 2) | 3;
        assert_ne!(key, probe);
        assert_eq!(key, probe & !PLAIN);
    }

    #[test]
    fn every_part_of_the_evaluation_changes_the_key() {
        let base = cell_key(42, &json!(false), 3, true);
        let others = [
            cell_key(43, &json!(false), 3, true),
            cell_key(42, &json!(true), 3, true),
            cell_key(42, &json!(null), 3, true),
            cell_key(42, &json!(0), 3, true),
            cell_key(42, &json!(false), 4, true),
        ];
        for other in others {
            assert_ne!(other, base);
        }
    }

    #[test]
    fn evaluations_that_do_not_fit_get_no_cell_key_and_probes_no_cell_holds() {
        let huge = INSTANCE_LIMIT;
        assert_eq!(cell_key(0, &json!(false), 0, true), NO_KEY);
        assert_eq!(cell_key(huge, &json!(false), 0, true), NO_KEY);
        assert_eq!(cell_key(huge + 5, &json!(false), 0, true), NO_KEY);
        assert_eq!(cell_key(42, &json!(false), KINDS_LIMIT, true), NO_KEY);
        // Clamped probes collide only with each other, never with a fitting cell's key.
        assert_eq!(probe(huge + 5, 2), probe(huge, 2));
        assert_ne!(probe(huge, 2), cell_key(huge - 1, &json!(false), 0, true));
    }

    #[test]
    fn slots_spread_neighbouring_flags_over_the_table() {
        let slots: std::collections::HashSet<usize> =
            (1..=64u64).map(|i| slot(probe(i, 2))).collect();
        assert!(slots.len() > 48, "{} distinct slots of 64", slots.len());
        assert!(slots.iter().all(|s| *s < FAST_SLOTS));
    }
}
