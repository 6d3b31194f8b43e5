//! Pieces shared by the `autonomic` and `agent-immune` binaries: the one
//! error renderer, the agent-immune command line, profile look-up (built-in
//! and user profiles) and argument parsers. The binaries are the only place
//! `anyhow` is used.

pub mod args;
pub mod immune;
pub mod profiles;
pub mod render;
