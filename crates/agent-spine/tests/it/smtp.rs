//! The real SMTP relay agent-mouth-email's tests use (aiosmtpd,
//! `crates/agent-mouth-email/tests/smtp_server.py`) as a child process on a
//! free loopback port, plaintext (loopback only), killed when dropped. Its
//! Python is the venv `scripts/smtp-server.sh` builds under
//! `<workspace>/target/smtp`; a missing one fails the test, naming the
//! script.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub(crate) struct Relay {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Relay {
    pub(crate) fn start() -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let python = root.join("target/smtp/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run scripts/smtp-server.sh (it installs aiosmtpd, pinned with hashes, into target/smtp; .ci/run does)",
            python.display()
        );
        let mut cmd = command(&python);
        cmd.arg(root.join("crates/agent-mouth-email/tests/smtp_server.py"))
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(port) = line.trim().strip_prefix("PORT ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the SMTP relay did not start (said {line:?})");
        };
        let port = port.parse().unwrap();
        Relay { child, port, dir }
    }

    /// Every message it accepted, in order.
    pub(crate) fn messages(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = fs_err::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("message-"))
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&fs_err::read_to_string(p).unwrap()).unwrap())
            .collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the test starts a real SMTP relay, killed when dropped"
)]
fn command(python: &Path) -> Command {
    Command::new(python)
}
