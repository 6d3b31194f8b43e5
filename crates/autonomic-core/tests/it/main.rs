//! Integration tests of autonomic-core's public API.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

mod audit;
mod config;
