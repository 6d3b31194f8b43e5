//! Pieces shared by the `autonomic` and `agent-immune` binaries: the one
//! error renderer and the agent-immune command line. The binaries are the
//! only place `anyhow` is used.

pub mod immune;
pub mod render;
