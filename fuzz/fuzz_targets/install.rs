//! Fuzzes agent-immune's reader of package-manager command lines and the
//! look-alike check: any argv gives installs or nothing, never a panic; every
//! install serializes and round-trips; any name gets an answer.
#![no_main]

use agent_immune::install::{lookalike_of, parse, Install};
use agent_immune::Ecosystem;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let argv: Vec<String> = text.split(['\0', ' ', '\n']).map(str::to_owned).collect();
    for install in parse(&argv) {
        let json = serde_json::to_string(&install).expect("an install serializes");
        let back: Install = serde_json::from_str(&json).expect("and reads back");
        assert_eq!(back, install);
    }
    for eco in Ecosystem::ALL {
        let _ = lookalike_of(eco, &text);
    }
});
