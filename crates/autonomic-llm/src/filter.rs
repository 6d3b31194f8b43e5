//! The seam between a decoding loop and whatever restricts its next token.

use crate::LlmError;

/// Restricts which token may come next: the embedded back-end asks it before
/// every token ([`crate::constrain`] implements it for JSON schemas).
pub trait TokenFilter: Send {
    /// Sets to `f32::NEG_INFINITY` the logit of every token that may not
    /// come next (`logits` has one entry per vocabulary token).
    fn mask(&mut self, logits: &mut [f32]) -> Result<(), LlmError>;

    /// Records the token that was chosen; `Ok(true)` once the constrained
    /// text is complete and generation must stop.
    fn accept(&mut self, token: u32) -> Result<bool, LlmError>;
}
