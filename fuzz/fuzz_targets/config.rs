//! Fuzzes the parsers of user-controlled configuration: `config.toml`
//! (strict, with line/key errors) and agent-mouth's user rules file.
//! Any input must give a value or an error — never a panic — and an error
//! must name a location inside the input.
#![no_main]

use std::path::Path;

use agent_mouth::UserRules;
use autonomic_core::config::Config;
use autonomic_core::paths::Paths;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let paths = Paths::with_home("/nonexistent/autonomic".into());
    match Config::from_toml_str(text, Path::new("config.toml"), &paths) {
        Ok(loaded) => {
            // every provenance line points into the input
            let lines = text.lines().count().max(1);
            for origin in loaded.provenance.values() {
                if let autonomic_core::config::Origin::File { line, .. } = origin {
                    assert!(*line >= 1 && *line <= lines + 1, "line {line} outside input of {lines} lines");
                }
            }
        }
        Err(e) => {
            if let Some(loc) = e.location() {
                assert!(loc.line >= 1, "error line must be 1-based");
            }
            let _ = e.to_string();
        }
    }
    let _ = UserRules::parse(text, Path::new("rules.toml"));
});
