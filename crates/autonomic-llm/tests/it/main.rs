//! Integration tests of autonomic-llm, on the real SmolLM2-135M-Instruct
//! model that `.ci/run` fetches with `autonomic llm fetch`.

mod common;
mod constrain;
mod embedded;
mod schema_replies;
mod vocab;
