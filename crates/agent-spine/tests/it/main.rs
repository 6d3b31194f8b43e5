//! Integration tests of agent-spine: profile resolution for real command
//! lines, checked against agent-muscle's compiler, and real commands in
//! agent-muscle's sandbox under the profiles they resolve to.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

mod bus;
mod engine;
mod engine_nodes;
mod fake_github;
mod journal;
mod mcp;
mod nats_server;
mod outbound_nodes;
mod patch;
mod resolve;
mod sandbox;
mod slack_service;
mod smtp;
mod workflow_file;

use agent_spine::profiles::{resolve, Resolved};
use autonomic_core::paths::Paths;

/// A temporary Autonomic home with no user profiles.
pub(crate) struct Home {
    _dir: tempfile::TempDir,
    pub(crate) paths: Paths,
}

impl Home {
    pub(crate) fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::with_home(dir.path().join("home"));
        Home { _dir: dir, paths }
    }

    /// Resolves `argv`, asserting the policy compiles.
    pub(crate) fn resolve(
        &self,
        argv: &[&str],
        requested: Option<&str>,
        network: bool,
    ) -> Resolved {
        let argv: Vec<String> = argv.iter().map(|a| (*a).to_owned()).collect();
        let r = resolve(&self.paths, &argv, requested, network).unwrap();
        agent_muscle::bpf::compile(&r.policy)
            .unwrap_or_else(|e| panic!("{argv:?}: the policy does not compile: {e}"));
        r
    }
}
