//! Cancelling a completion between two tokens.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag a caller trips to stop a completion; the back-ends check it before
/// every token and return what they have with [`FinishReason::Cancelled`].
///
/// Clones share the flag.
///
/// [`FinishReason::Cancelled`]: crate::FinishReason::Cancelled
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag nobody has tripped.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the completion to stop at the next token.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`Cancel::cancel`] was called on this flag or a clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
