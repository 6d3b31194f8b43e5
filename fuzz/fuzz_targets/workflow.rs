//! Fuzzes the workflow file loader: any text gives a `Workflow` or a
//! `WorkflowError`, never a panic. An error's line is 1-based and within
//! the input; a loaded workflow's nodes are in topological order and every
//! template in it parses.
#![no_main]

use std::collections::HashMap;
use std::path::Path;

use agent_spine::workflow::load::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.split('\n').count();
    match parse(text, Path::new("fuzz.toml"), &["extra".to_owned()]) {
        Ok(workflow) => {
            assert!(!workflow.nodes.is_empty());
            let position: HashMap<&str, usize> = workflow
                .nodes
                .iter()
                .enumerate()
                .map(|(at, node)| (node.id.as_str(), at))
                .collect();
            for (at, node) in workflow.nodes.iter().enumerate() {
                assert!(node.line >= 1 && node.line <= lines);
                for need in &node.needs {
                    assert!(position[need.as_str()] < at, "{need} after {}", node.id);
                }
            }
        }
        Err(error) => {
            if let Some(line) = error.line {
                assert!(line >= 1 && line <= lines, "line {line} outside {lines} lines: {error}");
            }
        }
    }
});
