//! An MCP server over stdio (newline-delimited JSON-RPC 2.0) that gives an
//! agent the guarded path as tools: `run_command` (validate → check
//! installs → sandbox → audit), `validate`, `scan_dependencies` and
//! `recall` (agent-brain's `route_task` for the configured project).
//!
//! Both protocol eras are spoken, decided per message: the handshake era
//! (`initialize` then requests; revisions 2024-11-05 … 2025-11-25) and the
//! stateless 2026-07-28 revision (`server/discover`; every request carries
//! its protocol version in `_meta`, every result a `resultType`). Our own
//! implementation rather than the official SDK: the server is four tools
//! and a loop, synchronous like the rest of agent-spine, and needs no async
//! runtime; the wire format is checked by the tests against the Python
//! SDK's real clients of both eras.
//!
//! Security: commands run only in the sandbox, with working directories
//! confined to the server's root (a workspace is bound read-write into the
//! sandbox, so `cwd: "/etc"` must never be honoured); a `review` cannot be
//! put to a human over MCP, so it is refused unless the server was started
//! with `--on-review allow` (then the approval is audited as the client's).

mod protocol;
mod tools;

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};

use agent_muscle::exec::CancelHandle;
use serde_json::Value;

use autonomic_core::audit::Actor;
use autonomic_core::config::Config;
use autonomic_core::paths::Paths;

use crate::guard::{Guard, GuardError};
use crate::sandbox::SandboxOptions;

pub use protocol::{HANDSHAKE_VERSIONS, MODERN_VERSIONS};

/// Largest message read (one line); a longer one is answered with an error
/// and skipped.
pub const MAX_MESSAGE_BYTES: usize = 4 << 20;

/// How the server was started.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Commands run only under this directory (canonicalised).
    pub root: PathBuf,
    /// The agent-brain project `recall` reads.
    pub project: Option<String>,
    /// Run a command that needs review (audited as approved by the client),
    /// instead of refusing it.
    pub allow_review: bool,
    /// Sandbox settings for `run_command` (its `cwd` and timeout override
    /// `workspace` and `timeout`).
    pub sandbox: SandboxOptions,
}

/// The server: settings and the guarded path, for one client.
pub struct Server {
    config: Config,
    options: ServerOptions,
    guard: Guard,
    client: Option<String>,
    /// The request being answered and the handle that stops its command
    /// (`notifications/cancelled` from the client trips it).
    inflight: Arc<Mutex<Option<(Value, CancelHandle)>>>,
    /// The id of the request being handled.
    current: Option<Value>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("root", &self.options.root)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Loads the guarded path.
    ///
    /// # Errors
    ///
    /// An invalid rules file or an unusable audit log.
    pub fn new(paths: Paths, config: Config, options: ServerOptions) -> Result<Server, GuardError> {
        let guard = Guard::new(paths, config.clone(), Actor::Mcp(None))?;
        Ok(Server {
            config,
            options,
            guard,
            client: None,
            inflight: Arc::new(Mutex::new(None)),
            current: None,
        })
    }

    /// Serves messages from `input` until it ends, one answer line per
    /// request on `output`. Messages are read on their own thread, so a
    /// client's `notifications/cancelled` stops the command of the request
    /// it names while that command runs.
    ///
    /// # Errors
    ///
    /// Reading or writing the streams failed.
    pub fn serve(
        &mut self,
        input: impl BufRead + Send + 'static,
        mut output: impl Write,
    ) -> std::io::Result<()> {
        let (tx, rx) = mpsc::channel::<std::io::Result<Option<Vec<u8>>>>();
        let inflight = Arc::clone(&self.inflight);
        std::thread::spawn(move || read_messages(input, &tx, &inflight));
        for message in rx {
            let reply = match message? {
                Some(line) => self.handle(&line),
                None => Some(protocol::error_line(
                    Value::Null,
                    protocol::INVALID_REQUEST,
                    &format!("message longer than {MAX_MESSAGE_BYTES} bytes"),
                    None,
                )),
            };
            if let Some(reply) = reply {
                output.write_all(reply.as_bytes())?;
                output.write_all(b"\n")?;
                output.flush()?;
            }
        }
        Ok(())
    }

    /// Answers one message (`None` for notifications and responses).
    pub fn handle(&mut self, message: &[u8]) -> Option<String> {
        protocol::handle(self, message)
    }
}

/// The reader thread: each line to `tx` (`None` for one too long), and a
/// cancellation of the request in flight acted on at once.
fn read_messages(
    mut input: impl BufRead,
    tx: &mpsc::Sender<std::io::Result<Option<Vec<u8>>>>,
    inflight: &Mutex<Option<(Value, CancelHandle)>>,
) {
    loop {
        let mut line = Vec::new();
        let read = std::io::Read::take(&mut input, MAX_MESSAGE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line);
        let message = match read {
            Ok(0) => return,
            Ok(_) if line.len() > MAX_MESSAGE_BYTES && !line.ends_with(b"\n") => {
                // Skip the rest of the oversized line.
                let mut rest = Vec::new();
                if let Err(e) = input.read_until(b'\n', &mut rest) {
                    let _ = tx.send(Err(e));
                    return;
                }
                Ok(None)
            }
            Ok(_) => {
                cancel_if_asked(&line, inflight);
                Ok(Some(line))
            }
            Err(e) => Err(e),
        };
        let failed = message.is_err();
        if tx.send(message).is_err() || failed {
            return;
        }
    }
}

/// `notifications/cancelled` naming the request in flight stops its command.
fn cancel_if_asked(line: &[u8], inflight: &Mutex<Option<(Value, CancelHandle)>>) {
    let Ok(msg) = serde_json::from_slice::<Value>(line) else {
        return;
    };
    if msg["method"] != "notifications/cancelled" {
        return;
    }
    let guard = inflight
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((id, handle)) = guard.as_ref() {
        if msg["params"]["requestId"] == *id {
            tracing::info!(request = %id, "cancelled by the client");
            handle.cancel();
        }
    }
}
