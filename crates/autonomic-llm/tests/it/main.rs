//! Integration tests of autonomic-llm, on the real SmolLM2-135M-Instruct
//! model that `.ci/run` fetches with `autonomic llm fetch`.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

mod common;
mod constrain;
mod embedded;
mod schema_replies;
mod vocab;
