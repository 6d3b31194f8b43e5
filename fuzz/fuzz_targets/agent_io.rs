//! Fuzzes what an agent harness sends Autonomic: the PreToolUse hook's
//! input and the MCP server's messages. Any bytes give one JSON answer (or
//! none, for a notification), never a panic; a hook answer is always an
//! object, and a failure to understand the input is a deny. `run_command`
//! calls are skipped: fuzzed shell text is not run, even in the sandbox.
#![no_main]

use std::sync::{Mutex, OnceLock};

use agent_spine::guard::Guard;
use agent_spine::hook::{answer, Harness};
use agent_spine::mcp::{Server, ServerOptions};
use autonomic_core::audit::Actor;
use autonomic_core::config::LoadedConfig;
use autonomic_core::paths::Paths;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

struct State {
    guard: Guard,
    server: Server,
}

fn state() -> &'static Mutex<State> {
    static STATE: OnceLock<Mutex<State>> = OnceLock::new();
    STATE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("autonomic-fuzz-{}", std::process::id()));
        let root = dir.join("root");
        std::fs::create_dir_all(&root).expect("fuzz root");
        let paths = Paths::with_home(dir.join("home"));
        let config = LoadedConfig::defaults(&paths).config;
        let guard = Guard::new(paths.clone(), config.clone(), Actor::Cli).expect("guard");
        let options = ServerOptions {
            root,
            project: Some("fuzz".into()),
            allow_review: false,
            sandbox: Default::default(),
        };
        let server = Server::new(paths, config, options).expect("server");
        Mutex::new(State { guard, server })
    })
}

fuzz_target!(|data: &[u8]| {
    let mut s = state().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for harness in [Harness::ClaudeCode, Harness::Codex] {
        let reply = answer(harness, data, Ok(&mut s.guard), None);
        assert!(reply.json.is_object());
        if serde_json::from_slice::<Value>(data).map_or(true, |v| !v.is_object()) {
            assert_eq!(
                reply.json["hookSpecificOutput"]["permissionDecision"], "deny",
                "unreadable input must be denied"
            );
        }
    }
    if data.windows(11).any(|w| w == b"run_command") {
        return;
    }
    if let Some(line) = s.server.handle(data) {
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).expect("answers are JSON");
        assert_eq!(v["jsonrpc"], "2.0");
    }
});
