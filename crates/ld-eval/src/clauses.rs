//! A flag rule's clauses: a range of one list that all of the flag's rules share, so a flag
//! read from JSON allocates once for all its clauses rather than once per rule.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::clause::Clause;

/// The clauses of a [`FlagRule`](crate::FlagRule), all of which must match: a slice of
/// [`Clause`]s (it dereferences to one).
///
/// A flag read by the fast reader keeps the clauses of all its rules in one shared list, and
/// each rule's `Clauses` is its range of that list; built from a `Vec<Clause>`, a `Clauses`
/// has a list of its own. Cloning shares the list. Equality is that of the slices.
///
/// ```
/// use ld_eval::{Clause, Clauses, Kind, Op};
/// use serde_json::json;
/// let clauses = Clauses::from(vec![Clause::new(
///     Some(Kind::user()), "email", Op::EndsWith, vec![json!("@example.com")], false,
/// )]);
/// assert_eq!(clauses.len(), 1);
/// assert_eq!(clauses[0].attribute().as_str(), "email");
/// assert!(Clauses::default().is_empty());
/// ```
#[derive(Clone)]
pub struct Clauses {
    list: Arc<[Clause]>,
    start: u32,
    end: u32,
}

/// The list of every empty `Clauses` (no allocation each).
fn empty_list() -> &'static Arc<[Clause]> {
    static EMPTY: OnceLock<Arc<[Clause]>> = OnceLock::new();
    EMPTY.get_or_init(|| Arc::from(Vec::new()))
}

impl Clauses {
    /// The clauses as a slice.
    #[inline(always)]
    pub fn as_slice(&self) -> &[Clause] {
        // The range is set within this very list.
        self.list
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    /// A range of a list not yet made: the clauses at `start..end` of the flag's clauses being
    /// gathered (see [`Clauses::bind`]). Empty until bound.
    pub(crate) fn pending(start: u32, end: u32) -> Clauses {
        Clauses {
            list: empty_list().clone(),
            start,
            end,
        }
    }

    /// Ties a [`Clauses::pending`] range to the list it was gathered into.
    pub(crate) fn bind(&mut self, list: &Arc<[Clause]>) {
        self.list = Arc::clone(list);
    }
}

impl Default for Clauses {
    /// No clauses (no allocation).
    fn default() -> Self {
        Clauses::pending(0, 0)
    }
}

impl From<Vec<Clause>> for Clauses {
    fn from(clauses: Vec<Clause>) -> Self {
        if clauses.is_empty() {
            return Clauses::default();
        }
        match u32::try_from(clauses.len()) {
            Ok(end) => Clauses {
                list: Arc::from(clauses),
                start: 0,
                end,
            },
            // More than 4 billion clauses cannot be in memory.
            Err(_) => Clauses::default(),
        }
    }
}

impl Deref for Clauses {
    type Target = [Clause];

    #[inline(always)]
    fn deref(&self) -> &[Clause] {
        self.as_slice()
    }
}

impl<'a> IntoIterator for &'a Clauses {
    type Item = &'a Clause;
    type IntoIter = std::slice::Iter<'a, Clause>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl PartialEq for Clauses {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl fmt::Debug for Clauses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Serialize for Clauses {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

impl<'de> Deserialize<'de> for Clauses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::exact_vec::deserialize(d).map(Clauses::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, Op};
    use serde_json::json;

    fn clause(attribute: &str) -> Clause {
        Clause::new(
            Some(Kind::user()),
            attribute,
            Op::In,
            vec![json!("x")],
            false,
        )
    }

    #[test]
    fn rules_sharing_one_list_read_their_own_range() {
        let list: Arc<[Clause]> = Arc::from(vec![clause("a"), clause("b"), clause("c")]);
        let (mut first, mut second) = (Clauses::pending(0, 1), Clauses::pending(1, 3));
        assert!(second.is_empty());
        first.bind(&list);
        second.bind(&list);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].attribute().as_str(), "a");
        let names: Vec<&str> = second.iter().map(|c| c.attribute().as_str()).collect();
        assert_eq!(names, ["b", "c"]);
        assert_eq!(second, Clauses::from(vec![clause("b"), clause("c")]));
        assert_ne!(first, second);
    }

    #[test]
    fn serializes_as_a_list_and_reads_back_equal() {
        let clauses = Clauses::from(vec![clause("a"), clause("b")]);
        let json = serde_json::to_value(&clauses).unwrap();
        assert_eq!(json.as_array().map(Vec::len), Some(2));
        let back: Clauses = serde_json::from_value(json).unwrap();
        assert_eq!(back, clauses);
        assert!(serde_json::from_value::<Clauses>(json!(null)).is_err());
    }
}
