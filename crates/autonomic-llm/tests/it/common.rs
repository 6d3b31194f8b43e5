//! Where the tests find the model.

use std::path::PathBuf;

/// The file name `autonomic llm fetch` gives the default model.
pub const MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The real model: `$AUTONOMIC_LLM_TEST_MODEL`, else
/// `<workspace>/target/models/SmolLM2-135M-Instruct.Q4_1.gguf` (where
/// `.ci/run` puts it). Fails the test, never skips it, when it is absent.
pub fn model_path() -> PathBuf {
    #[expect(clippy::disallowed_methods, reason = "test configuration")]
    let from_env = std::env::var_os("AUTONOMIC_LLM_TEST_MODEL").map(PathBuf::from);
    let path = from_env.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/models")
            .join(MODEL_FILE)
    });
    assert!(
        path.is_file(),
        "the test model {} is missing: run `cargo run -p autonomic-cli -- llm fetch --dest target/models` (or .ci/run), or set AUTONOMIC_LLM_TEST_MODEL",
        path.display()
    );
    path
}
