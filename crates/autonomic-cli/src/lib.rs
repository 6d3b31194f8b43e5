//! Pieces shared by the `autonomic` and `agent-immune` binaries: the one
//! error renderer, the agent-immune command line and argument parsers.
//! They parse, call a library, render and pick the exit code: the scan
//! pipeline is `agent_immune::pipeline`, profile look-up and resolution
//! live in `agent_spine::profiles`. The binaries are the only place
//! `anyhow` is used.

pub mod args;
pub mod immune;
pub mod render;
