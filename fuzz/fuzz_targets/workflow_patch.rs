//! Fuzzes agent-spine's reader of model-generated patches
//! (`workflow::patch::plan`) on arbitrary text against a small repository:
//! an answer or a refusal, never a panic, and never a write to the
//! repository (plan only applies in a scratch copy).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use agent_spine::workflow::patch::plan;
use libfuzzer_sys::fuzz_target;

/// The repository every input is planned against, made once.
fn repo() -> &'static Path {
    static REPO: OnceLock<PathBuf> = OnceLock::new();
    REPO.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("workflow-patch-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).expect("a scratch repository");
        std::fs::write(dir.join("src/lib.rs"), "pub fn one() -> u32 {\n    1\n}\n")
            .expect("a file");
        std::fs::write(dir.join("requirements.txt"), "requests==2.31.0\n").expect("a manifest");
        dir
    })
}

fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable") {
            let p = entry.expect("an entry").path();
            if p.is_dir() {
                stack.push(p.clone());
                out.push((p, Vec::new()));
            } else {
                out.push((p.clone(), std::fs::read(&p).expect("a file")));
            }
        }
    }
    out.sort();
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let before = listing(repo());
    let _ = plan(repo(), text);
    assert_eq!(listing(repo()), before, "plan wrote to the repository");
});
