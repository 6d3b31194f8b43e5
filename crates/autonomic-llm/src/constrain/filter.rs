//! One request's schema filter: an llguidance matcher driven token by token.

use std::sync::Arc;

use llguidance::api::StopReason;
use llguidance::Matcher;

use crate::filter::TokenFilter;
use crate::LlmError;

use super::{ConstrainError, Shared};

/// Lets through only tokens that continue a document the schema accepts;
/// once the document is complete, only the end tokens.
pub(super) struct SchemaFilter {
    matcher: Matcher,
    /// The model's vocabulary and its end and marker tokens.
    shared: Arc<Shared>,
    /// The document is complete: only an end token may follow.
    done: bool,
}

impl SchemaFilter {
    pub(super) fn new(matcher: Matcher, shared: Arc<Shared>) -> SchemaFilter {
        SchemaFilter {
            matcher,
            shared,
            done: false,
        }
    }

    fn is_end(&self, token: u32) -> bool {
        self.shared.ends.contains(&token)
    }

    fn parser_error(&self) -> ConstrainError {
        ConstrainError::Parser(
            self.matcher
                .get_error()
                .unwrap_or_else(|| format!("stopped ({})", self.matcher.stop_reason())),
        )
    }

    fn rejected(&self, token: u32, reason: impl Into<String>) -> ConstrainError {
        ConstrainError::Rejected {
            token,
            text: self.shared.token_text(token),
            reason: reason.into(),
        }
    }
}

impl TokenFilter for SchemaFilter {
    fn mask(&mut self, logits: &mut [f32]) -> Result<(), LlmError> {
        if logits.len() < self.shared.vocab.len() {
            return Err(ConstrainError::Logits {
                got: logits.len(),
                want: self.shared.vocab.len(),
            }
            .into());
        }
        let (vocab, padding) = logits.split_at_mut(self.shared.vocab.len());
        padding.fill(f32::NEG_INFINITY);
        if self.done {
            let kept: Vec<(u32, f32)> = self
                .shared
                .ends
                .iter()
                .map(|&t| (t, vocab[t as usize]))
                .collect();
            vocab.fill(f32::NEG_INFINITY);
            for (t, logit) in kept {
                vocab[t as usize] = logit;
            }
            return Ok(());
        }
        let allowed = self
            .matcher
            .compute_mask()
            .map_err(|e| ConstrainError::Parser(e.to_string()))?;
        allowed.iter_unset_entries(|i| {
            if let Some(logit) = vocab.get_mut(i) {
                *logit = f32::NEG_INFINITY;
            }
        });
        // llguidance never lets a special token through a JSON grammar, and
        // an end token only where the document may end; kept here as a
        // guarantee of this filter, not an assumption about the library.
        for &t in &self.shared.others {
            vocab[t as usize] = f32::NEG_INFINITY;
        }
        Ok(())
    }

    fn accept(&mut self, token: u32) -> Result<bool, LlmError> {
        if self.done {
            return if self.is_end(token) {
                Ok(true)
            } else {
                Err(self
                    .rejected(
                        token,
                        "the document is complete; only an end token may follow",
                    )
                    .into())
            };
        }
        if self.is_end(token) {
            let complete = self
                .matcher
                .is_accepting()
                .map_err(|e| ConstrainError::Parser(e.to_string()))?;
            if !complete {
                return Err(self
                    .rejected(token, "the document is not complete yet")
                    .into());
            }
            self.done = true;
            return Ok(true);
        }
        if self.shared.others.contains(&token) {
            return Err(self
                .rejected(token, "a control token is never part of a document")
                .into());
        }
        if let Err(e) = self.matcher.consume_token(token) {
            return Err(self.rejected(token, e.to_string()).into());
        }
        match self.matcher.stop_reason() {
            StopReason::NotStopped => Ok(false),
            StopReason::NoExtension | StopReason::NoExtensionBias | StopReason::EndOfSentence => {
                self.done = true;
                Ok(true)
            }
            _ => Err(self.parser_error().into()),
        }
    }
}
