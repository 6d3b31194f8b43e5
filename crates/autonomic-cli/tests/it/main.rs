//! End-to-end tests of the `autonomic` binary.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

mod audit;
mod brain;
mod config;
mod exec;
mod hook;
mod immune;
mod init;
mod llm;
mod mcp;
mod outbound;
mod profile;
mod run;
mod sandbox;
mod slack;
mod tasks;
mod validate;
mod workflow;
mod workflow_crash;
mod workflow_run;

use std::path::{Path, PathBuf};

/// A temporary `$AUTONOMIC_HOME`.
pub(crate) struct TestHome {
    dir: tempfile::TempDir,
}

impl TestHome {
    pub(crate) fn new() -> TestHome {
        TestHome {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The Autonomic home (not yet created).
    pub(crate) fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub(crate) fn config_file(&self) -> PathBuf {
        self.home().join("config.toml")
    }

    pub(crate) fn audit_log(&self) -> PathBuf {
        self.home().join("data/audit/audit.jsonl")
    }

    /// `autonomic` with `AUTONOMIC_HOME` pointing here and no `RUST_LOG`.
    pub(crate) fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("autonomic");
        cmd.env("AUTONOMIC_HOME", self.home())
            .env_remove("RUST_LOG");
        cmd
    }

    /// Writes `config.toml`.
    pub(crate) fn write_config(&self, text: &str) {
        fs_err::create_dir_all(self.home()).unwrap();
        fs_err::write(self.config_file(), text).unwrap();
    }

    /// Replaces the temporary directory with `[HOME]` for stable snapshots.
    pub(crate) fn redact(&self, text: &[u8]) -> String {
        String::from_utf8_lossy(text).replace(&self.home().display().to_string(), "[HOME]")
    }
}

/// Runs `cmd` and returns (exit code, stdout, stderr), with the home redacted.
pub(crate) fn run(home: &TestHome, cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let output = cmd.output().unwrap();
    (
        output.status.code().unwrap(),
        home.redact(&output.stdout),
        home.redact(&output.stderr),
    )
}

/// `<workspace>/testdata/<rel>` (see `testdata/README.md`). Panics naming the
/// path when it is missing: a test never passes by skipping its data.
#[track_caller]
pub(crate) fn testdata(rel: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel);
    assert!(path.exists(), "test data missing: {}", path.display());
    path
}

pub(crate) fn exists(path: &Path) -> bool {
    path.exists()
}

#[test]
fn usage_errors_exit_2() {
    let home = TestHome::new();
    let (code, stdout, stderr) = run(&home, home.cmd().arg("frobnicate"));
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("unrecognized subcommand 'frobnicate'"),
        "{stderr}"
    );
    let (code, _, _) = run(&home, home.cmd().args(["-v", "-q", "init"]));
    assert_eq!(code, 2);
}

#[test]
fn help_documents_exit_codes() {
    let home = TestHome::new();
    let (code, stdout, _) = run(&home, home.cmd().arg("--help"));
    assert_eq!(code, 0);
    let codes = stdout.split_once("Exit codes").unwrap().1;
    insta::assert_snapshot!(codes, @r"
     (the same in every command):
      0  success: allowed, clean, done
      1  a check failed: denied, a blocking finding, a tampered audit log
      2  error: bad usage, invalid configuration, I/O failure
      3  needs human review (validate; run: review not approved)
      4  the OSV database is missing or unusable
    run and exec: once the command ran, its own exit code
      (128+N if killed by signal N, 130 after Ctrl-C).
    ");
}
