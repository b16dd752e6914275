//! Reporting prerequisite evaluations, so the events crate can emit prerequisite events.

use crate::context::Context;
use crate::detail::DetailRef;
use crate::flag::Flag;

/// One evaluation of a prerequisite flag, done while evaluating another flag.
#[derive(Debug, Clone, Copy)]
pub struct PrerequisiteEvaluation<'a> {
    /// The prerequisite flag that was evaluated.
    pub prerequisite: &'a Flag,
    /// The flag it is a prerequisite of.
    pub prerequisite_of: &'a Flag,
    /// The context.
    pub context: &'a Context,
    /// The prerequisite's result, its reason borrowed from the flag (`DetailRef::to_detail`
    /// makes an owned copy).
    pub detail: DetailRef<'a>,
}

/// Called for each prerequisite evaluation (including nested ones), in evaluation order.
///
/// ```
/// use std::cell::RefCell;
/// use ld_eval::{PrerequisiteEvaluation, PrerequisiteRecorder};
/// struct Keys(RefCell<Vec<String>>);
/// impl PrerequisiteRecorder for Keys {
///     fn record(&self, e: PrerequisiteEvaluation<'_>) {
///         self.0.borrow_mut().push(e.prerequisite.key.to_string());
///     }
/// }
/// ```
pub trait PrerequisiteRecorder {
    /// Records one prerequisite evaluation.
    fn record(&self, evaluation: PrerequisiteEvaluation<'_>);

    /// A shortcut the evaluator tries first for each prerequisite evaluation: a recorder that
    /// can record this evaluation knowing only the `prerequisite` flag, the `context` and the
    /// variation `served` does so and returns true, and [`PrerequisiteRecorder::record`] is
    /// then not called for it (which spares building its [`DetailRef`]). By default it returns
    /// false.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use ld_eval::{Context, Flag, PrerequisiteEvaluation, PrerequisiteRecorder};
    /// /// Counts evaluations that served variation 0 without looking at their details.
    /// struct FirstVariation(Cell<u64>);
    /// impl PrerequisiteRecorder for FirstVariation {
    ///     fn record(&self, _: PrerequisiteEvaluation<'_>) {}
    ///     fn record_served(&self, _: &Flag, _: &Context, served: Option<usize>) -> bool {
    ///         if served == Some(0) {
    ///             self.0.set(self.0.get() + 1);
    ///         }
    ///         true
    ///     }
    /// }
    /// ```
    #[inline]
    fn record_served(&self, prerequisite: &Flag, context: &Context, served: Option<usize>) -> bool {
        let _ = (prerequisite, context, served);
        false
    }

    /// Called when a prerequisite does not pass: it is missing, off, or served another
    /// variation than its parent requires (right after its evaluation was recorded), or its
    /// evaluation failed as malformed (called at each level the failure passes through). An
    /// evaluation during which this is never called evaluated every prerequisite of the flag,
    /// at every depth, and each served the variation its parent requires. By default it does
    /// nothing.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use ld_eval::{PrerequisiteEvaluation, PrerequisiteRecorder};
    /// /// Notes whether every prerequisite passed.
    /// #[derive(Default)]
    /// struct AllPassed(Cell<bool>);
    /// impl PrerequisiteRecorder for AllPassed {
    ///     fn record(&self, _: PrerequisiteEvaluation<'_>) {}
    ///     fn prerequisite_failed(&self) {
    ///         self.0.set(false);
    ///     }
    /// }
    /// ```
    #[inline]
    fn prerequisite_failed(&self) {}
}
