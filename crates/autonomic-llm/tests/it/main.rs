//! Integration tests of autonomic-llm, on the real SmolLM2-135M-Instruct
//! model that `.ci/run` fetches with `autonomic llm fetch`, and of the
//! OpenAI-compatible client and server (with a test double of a model).
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

mod common;
mod constrain;
mod embed;
mod embedded;
mod fetch;
mod forward;
mod openai;
mod python_client;
mod schema_replies;
mod serve;
mod vocab;
