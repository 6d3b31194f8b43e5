//! The real SMTP relay (aiosmtpd, `tests/smtp_server.py`) as a child
//! process on a free loopback port, killed when dropped. Its Python is the
//! venv `scripts/smtp-server.sh` builds under `<workspace>/target/smtp`; a
//! missing one fails the test, naming the script.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// How the relay behaves.
#[derive(Debug, Clone, Default)]
pub(crate) struct RelayOptions {
    /// Offer STARTTLS with this certificate chain and key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Refuse everything before STARTTLS.
    pub require_starttls: bool,
    /// Speak TLS from the first byte (with `tls`) instead of STARTTLS.
    pub implicit_tls: bool,
    /// Require AUTH (over TLS only) with this user and password.
    pub auth: Option<(String, String)>,
    /// Answer 451 to the first this many messages.
    pub defer: u32,
    /// Answer 550 to these recipients.
    pub reject: Vec<String>,
}

/// A running relay.
pub(crate) struct Relay {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Relay {
    /// Starts a relay; returns once it accepts connections.
    pub(crate) fn start(opts: &RelayOptions) -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let mut log = tempfile::tempfile().unwrap();
        let mut cmd = command(&python());
        cmd.arg(script()).arg("--dir").arg(dir.path());
        if let Some((cert, key)) = &opts.tls {
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        if opts.require_starttls {
            cmd.arg("--require-starttls");
        }
        if opts.implicit_tls {
            cmd.arg("--implicit-tls");
        }
        if let Some((user, password)) = &opts.auth {
            cmd.args(["--auth-user", user, "--auth-password", password]);
        }
        cmd.args(["--defer", &opts.defer.to_string()]);
        for r in &opts.reject {
            cmd.args(["--reject", r]);
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.try_clone().unwrap()));
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", python().display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(port) = line.trim().strip_prefix("PORT ") else {
            let _ = child.kill();
            let _ = child.wait();
            let mut err = String::new();
            let _ = log.seek(SeekFrom::Start(0));
            let _ = log.read_to_string(&mut err);
            panic!("the SMTP relay did not start (said {line:?}): {err}");
        };
        let port = port.parse().unwrap();
        Relay { child, port, dir }
    }

    /// Its loopback port.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Every message it accepted, in order of arrival.
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

    /// The one message it accepted (panics when there are none or more).
    pub(crate) fn only_message(&self) -> Value {
        let mut all = self.messages();
        assert_eq!(all.len(), 1, "{all:#?}");
        all.remove(0)
    }

    /// The refusals it made and failed AUTHs, in order (`event` field).
    pub(crate) fn events(&self) -> Vec<String> {
        let path = self.dir.path().join("events.jsonl");
        if !path.exists() {
            return Vec::new();
        }
        fs_err::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v["event"].as_str().unwrap().to_owned()
            })
            .collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py")
}

/// The venv's Python; panics naming the script that builds it.
fn python() -> PathBuf {
    let python = workspace().join("target/smtp/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/smtp-server.sh (it installs aiosmtpd, pinned with hashes, into target/smtp; .ci/run does)",
        python.display()
    );
    python
}

#[expect(
    clippy::disallowed_methods,
    reason = "the test starts a real SMTP relay"
)]
fn command(python: &Path) -> Command {
    Command::new(python)
}
