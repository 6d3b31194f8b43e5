//! Fuzzes agent-immune's lockfile and manifest parsers, which read
//! untrusted files (a repository under scan, or one an LLM just wrote).
//! The first byte picks the format, the rest is the text. Any input must
//! give packages or an error — never a panic — and an error's line, when
//! given, must be 1-based and inside the input (or just past its end).
#![no_main]

use std::path::Path;

use agent_immune::lockfile::{self, Kind};
use libfuzzer_sys::fuzz_target;

const KINDS: [Kind; 16] = [
    Kind::CargoLock,
    Kind::CargoToml,
    Kind::PackageLock,
    Kind::YarnLock,
    Kind::PnpmLock,
    Kind::PackageJson,
    Kind::Requirements,
    Kind::PoetryLock,
    Kind::PipfileLock,
    Kind::UvLock,
    Kind::GoMod,
    Kind::GoSum,
    Kind::GemfileLock,
    Kind::ComposerLock,
    Kind::CycloneDx,
    Kind::Spdx,
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = KINDS[usize::from(first) % KINDS.len()];
    // `<fuzz>` has no parent directory with files in it, so `-r` includes
    // in requirements text resolve to nothing readable.
    let lines = text.lines().count();
    match lockfile::parse_noted(kind, text, Path::new("<fuzz>")) {
        Ok(parsed) => {
            for p in &parsed.packages {
                let _ = (&p.name, &p.version);
            }
            // Notes (entries assumed local, newer formats) name lines of
            // the input too.
            for n in &parsed.notes {
                if let Some(line) = n.line {
                    assert!(line >= 1 && line <= lines + 1, "{kind:?}: note line {line}: {n}");
                }
            }
        }
        Err(e) => {
            if let Some(line) = e.line {
                assert!(
                    line >= 1 && line <= lines + 1,
                    "{kind:?}: error line {line} outside input of {lines} lines: {e}"
                );
            }
            let _ = e.to_string();
        }
    }
});
