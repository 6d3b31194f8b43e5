//! agent-mouth-slack's integration tests: one binary, shared helpers.

mod blocks;
mod signing;
