//! agent-immune integration tests: one binary, one module per area.

mod advisory_script;
mod db;
mod ecosystems;
mod fix;
mod lockfiles;
mod matching;
mod oracle;
mod patch;
mod pipeline;
mod profiles;
mod severity;
mod sourceless;
mod versions;

use std::path::{Path, PathBuf};

/// `<workspace>/testdata/<rel>` (see `testdata/README.md`). Panics naming the
/// path when it is missing: a test never passes by skipping its data.
#[track_caller]
pub(crate) fn testdata(rel: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel);
    assert!(path.exists(), "test data missing: {}", path.display());
    path
}
