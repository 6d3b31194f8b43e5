//! End-to-end tests of `agent-immune` (and `autonomic immune`) on the real
//! lockfiles and OSV archives in `testdata/`. Missing data fails the tests:
//! they must never pass by skipping.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{run, testdata, TestHome};

/// A real lockfile or manifest, `testdata/lockfiles/<name>`.
fn lockfile(name: &str) -> PathBuf {
    testdata(&format!("lockfiles/{name}"))
}

fn firecracker() -> PathBuf {
    lockfile("firecracker-v0.24.0.Cargo.lock")
}

/// `agent-immune` with `AUTONOMIC_HOME` pointing at `home` and no `RUST_LOG`.
fn immune(home: &TestHome) -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("agent-immune");
    cmd.env("AUTONOMIC_HOME", home.home())
        .env_remove("RUST_LOG");
    cmd
}

/// A home whose default OSV cache was filled from `testdata/osv`.
pub(crate) fn home_with_db() -> TestHome {
    let home = TestHome::new();
    let source = testdata("osv");
    let (code, stdout, stderr) = run(
        &home,
        immune(&home)
            .args(["db", "update", "--source"])
            .arg(&source),
    );
    assert_eq!(code, 0, "db update failed:\n{stdout}\n{stderr}");
    for eco in ["crates.io", "npm", "PyPI", "Go"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("{eco}: ")) && l.contains("records imported")),
            "no import line for {eco}:\n{stdout}"
        );
    }
    // the default cache lives inside the home, never in the real ~/.autonomic
    assert!(
        home.home().join("data/immune/osv-cache").is_dir(),
        "OSV cache not under the test home"
    );
    home
}

fn scan(home: &TestHome, manifest: &Path, extra: &[&str]) -> (i32, String, String) {
    run(
        home,
        immune(home)
            .args(["scan", "--manifest"])
            .arg(manifest)
            .args(extra),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn blocking_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.ends_with("— blocking"))
        .collect()
}

const CROSSBEAM: &str = "CRITICAL: crossbeam-deque 0.8.0 (CVE-2021-32810";

/// The indented lines under the finding line that starts with `finding`.
fn lines_under<'a>(stdout: &'a str, finding: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with(finding))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect()
}

#[test]
fn firecracker_critical_aborts_with_security_hold() {
    let home = home_with_db();
    let (code, stdout, stderr) = scan(&home, &firecracker(), &[]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with(CROSSBEAM))
        .unwrap_or_else(|| panic!("no `{CROSSBEAM}` line:\n{stdout}"));
    assert!(line.ends_with("— blocking"), "{line}");
    // What to do, under the finding: the upgrade that clears it, and
    // where the advisory is.
    let after = lines_under(&stdout, CROSSBEAM);
    assert!(
        after
            .iter()
            .any(|l| l.trim() == "fix: upgrade to 0.8.1 (fixed in 0.8.1)"),
        "{after:?}"
    );
    assert!(
        after
            .iter()
            .any(|l| l.trim().starts_with("https://osv.dev/vulnerability/")),
        "{after:?}"
    );
    assert!(stdout.contains("verdict: security_hold — "), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("WARNING (unmaintained): ")),
        "no unmaintained warning:\n{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("WARNING (unsound): ")),
        "no unsound warning:\n{stdout}"
    );
    // warnings never block
    assert!(blocking_lines(&stdout)
        .iter()
        .all(|l| !l.starts_with("WARNING")));
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("verdict: security_hold")),
        "{stdout}"
    );
    assert!(
        stdout.contains("85 packages scanned in 1 file:"),
        "{stdout}"
    );
}

#[test]
fn fail_on_none_passes_and_critical_blocks_only_critical() {
    let home = home_with_db();
    let (code, stdout, _) = scan(&home, &firecracker(), &["--fail-on", "none"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("verdict: pass")),
        "{stdout}"
    );
    assert!(blocking_lines(&stdout).is_empty(), "{stdout}");
    // the finding is still reported, just not blocking
    assert!(stdout.lines().any(|l| l.starts_with(CROSSBEAM)), "{stdout}");

    let (code, stdout, _) = scan(&home, &firecracker(), &["--fail-on", "critical"]);
    assert_eq!(code, 1, "{stdout}");
    let blocking = blocking_lines(&stdout);
    assert!(
        blocking.iter().any(|l| l.starts_with(CROSSBEAM)),
        "{stdout}"
    );
    assert!(
        blocking.iter().all(|l| l.starts_with("CRITICAL: ")),
        "only CRITICAL findings may abort with --fail-on critical:\n{stdout}"
    );
    // and the default threshold (high) blocks more than critical does
    let (_, default_out, _) = scan(&home, &firecracker(), &[]);
    assert!(
        blocking_lines(&default_out).len() > blocking.len(),
        "{default_out}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("verdict: security_hold") && l.contains("--fail-on critical;")),
        "{stdout}"
    );
}

#[test]
fn ripgrep_is_clean() {
    let home = home_with_db();
    let (code, stdout, stderr) = scan(&home, &lockfile("ripgrep.Cargo.lock"), &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.lines().any(|l| l.starts_with("verdict: pass")),
        "{stdout}"
    );
    assert!(
        !home.audit_log().exists(),
        "a clean scan writes no audit record"
    );
}

#[test]
fn json_report_is_consistent() {
    let home = home_with_db();
    let (code, stdout, _) = scan(&home, &firecracker(), &["--format", "json"]);
    assert_eq!(code, 1);
    let v = json(&stdout);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["verdict"], "security_hold");
    // 107 `[[package]]` entries, 85 from the registry (the rest are
    // firecracker's own path crates, which OSV cannot match)
    assert_eq!(v["packages_scanned"], 85);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    let mut blocking = 0;
    let mut warnings = 0;
    let mut by_severity = std::collections::BTreeMap::<String, u64>::new();
    for f in findings {
        for key in [
            "id",
            "record_ids",
            "severity",
            "gated_as",
            "blocking",
            "package",
            "version",
            "file",
        ] {
            assert!(
                f.get(key).is_some_and(|x| !x.is_null()),
                "finding without `{key}`: {f}"
            );
        }
        assert!(!f["record_ids"].as_array().unwrap().is_empty(), "{f}");
        assert!(
            f["file"]
                .as_str()
                .unwrap()
                .ends_with("firecracker-v0.24.0.Cargo.lock"),
            "{f}"
        );
        if f["blocking"].as_bool().unwrap() {
            blocking += 1;
        }
        if f["ignored"].is_null() {
            if f["informational"].is_null() {
                *by_severity
                    .entry(f["severity"].as_str().unwrap().to_string())
                    .or_default() += 1;
            } else {
                warnings += 1;
            }
        }
    }
    assert!(blocking > 0);
    let counts = v["counts"].as_object().unwrap();
    assert_eq!(
        counts.get("warnings").and_then(Value::as_u64).unwrap_or(0),
        warnings,
        "{counts:?}"
    );
    for (sev, n) in &by_severity {
        assert_eq!(counts[sev.as_str()].as_u64(), Some(*n), "{sev}: {counts:?}");
    }
    assert_eq!(
        counts.len(),
        by_severity.len() + usize::from(warnings > 0),
        "{counts:?}"
    );
    let crossbeam = findings
        .iter()
        .find(|f| f["package"] == "crossbeam-deque")
        .unwrap();
    assert_eq!(crossbeam["version"], "0.8.0");
    assert_eq!(crossbeam["severity"], "CRITICAL");
    assert_eq!(crossbeam["blocking"], true);

    let (code, stdout, _) = scan(
        &home,
        &firecracker(),
        &["--format", "json", "--fail-on", "none"],
    );
    assert_eq!(code, 0);
    let v = json(&stdout);
    assert_eq!(v["verdict"], "pass");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["blocking"] == false));
}

#[test]
fn sarif_report_has_one_result_per_finding() {
    let home = home_with_db();
    let (_, stdout, _) = scan(&home, &firecracker(), &["--format", "json"]);
    let findings = json(&stdout)["findings"].as_array().unwrap().clone();

    let (code, stdout, _) = scan(&home, &firecracker(), &["--format", "sarif"]);
    assert_eq!(code, 1);
    let v = json(&stdout);
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "agent-immune");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (r, f) in results.iter().zip(&findings) {
        let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert!(index < rules.len(), "ruleIndex {index} of {}", rules.len());
        assert_eq!(rules[index]["id"], r["ruleId"], "{r}");
        assert_eq!(r["ruleId"], f["id"]);
        if f["blocking"] == true {
            assert_eq!(r["level"], "error", "{r}");
        } else {
            assert_ne!(r["level"], "error", "{r}");
        }
        assert!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("firecracker-v0.24.0.Cargo.lock")
        );
    }
}

#[test]
fn table_has_a_header_row() {
    let home = home_with_db();
    let (code, stdout, _) = scan(&home, &firecracker(), &["--format", "table"]);
    assert_eq!(code, 1);
    let header = stdout.lines().next().unwrap();
    for col in ["SEVERITY", "PACKAGE"] {
        assert!(header.contains(col), "header `{header}`");
    }
    assert!(
        stdout.lines().any(|l| l.contains("crossbeam-deque")),
        "{stdout}"
    );
}

/// Copies the firecracker lockfile into a fresh project folder.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("Cargo.lock");
    fs_err::copy(firecracker(), &lock).unwrap();
    (dir, lock)
}

#[test]
fn project_ignore_file_hides_a_finding_until_it_expires() {
    let home = home_with_db();
    let (dir, lock) = project();
    let ignore = dir.path().join(".agent-immune.toml");
    fs_err::write(
        &ignore,
        "[[ignore]]\nid = \"CVE-2021-32810\"\nreason = \"no work-stealing queues in the VMM\"\n",
    )
    .unwrap();
    let (_, stdout, stderr) = scan(&home, &lock, &["--fail-on", "critical"]);
    let line = stdout
        .lines()
        .find(|l| l.contains("crossbeam-deque 0.8.0"))
        .unwrap_or_else(|| panic!("{stdout}\n{stderr}"));
    assert!(
        line.ends_with("— ignored: no work-stealing queues in the VMM"),
        "{line}"
    );
    assert!(
        !blocking_lines(&stdout)
            .iter()
            .any(|l| l.contains("crossbeam-deque")),
        "{stdout}"
    );
    assert!(stdout.contains(", 1 ignored"), "{stdout}");

    fs_err::write(
        &ignore,
        "[[ignore]]\nid = \"CVE-2021-32810\"\nreason = \"no work-stealing queues\"\nexpires = \"2000-01-01\"\n",
    )
    .unwrap();
    let (code, stdout, _) = scan(&home, &lock, &["--fail-on", "critical"]);
    assert_eq!(code, 1, "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with(CROSSBEAM)).unwrap();
    assert!(line.ends_with("— blocking"), "{line}");
    assert!(
        stdout.contains("note: the ignore entry for CVE-2021-32810 expired on 2000-01-01"),
        "{stdout}"
    );
    assert!(!stdout.contains("ignored"), "{stdout}");
}

#[test]
fn ignore_file_flag_works_too() {
    let home = home_with_db();
    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join("ignores.toml");
    fs_err::write(
        &ignore,
        "[[ignore]]\nid = \"CVE-2021-32810\"\nreason = \"reviewed\"\n",
    )
    .unwrap();
    let (_, stdout, _) = scan(
        &home,
        &firecracker(),
        &[
            "--fail-on",
            "critical",
            "--ignore-file",
            ignore.to_str().unwrap(),
        ],
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("crossbeam-deque 0.8.0") && l.ends_with("— ignored: reviewed")),
        "{stdout}"
    );
}

#[test]
fn missing_database_exits_4_with_a_hint() {
    let home = TestHome::new();
    let (code, stdout, stderr) = scan(&home, &firecracker(), &[]);
    assert_eq!(code, 4, "{stdout}\n{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("agent-immune db update"), "{stderr}");
    let (code, _, stderr) = run(&home, immune(&home).args(["db", "status"]));
    assert_eq!(code, 4, "{stderr}");
}

#[test]
fn malformed_lockfiles_exit_2_naming_file_and_line() {
    let home = home_with_db();
    let dir = tempfile::tempdir().unwrap();

    let cargo = dir.path().join("Cargo.lock");
    fs_err::write(
        &cargo,
        "version = 3\n\n[[package]\nname = \"x\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    let (code, stdout, stderr) = scan(&home, &cargo, &[]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("{}:3", cargo.display())),
        "Cargo.lock error should name file and line 3:\n{stderr}"
    );

    let npm = dir.path().join("package-lock.json");
    fs_err::write(
        &npm,
        "{\n  \"name\": \"x\",\n  \"lockfileVersion\": 2,\n  \"packages\": {\n    \"\": {\n  oops\n}\n",
    )
    .unwrap();
    let (code, stdout, stderr) = scan(&home, &npm, &[]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("{}:6", npm.display())),
        "package-lock.json error should name file and line 6:\n{stderr}"
    );
}

fn finding_count(home: &TestHome, name: &str) -> (i32, usize) {
    let (code, stdout, stderr) = scan(home, &lockfile(name), &["--format", "json"]);
    assert!(code == 0 || code == 1, "{name}: exit {code}\n{stderr}");
    let v = json(&stdout);
    let n = v["findings"].as_array().unwrap().len();
    eprintln!(
        "{name}: exit {code}, {n} findings, counts {}, {} packages",
        v["counts"], v["packages_scanned"]
    );
    (code, n)
}

#[test]
fn deliberately_vulnerable_apps_have_findings() {
    let home = home_with_db();
    let (_, npm) = finding_count(&home, "nodejs-goof.package-lock.json");
    assert!(npm > 0);
    let (_, pypi) = finding_count(&home, "pygoat.requirements.txt");
    assert!(pypi > 0);
}

#[test]
fn db_status_lists_every_ecosystem() {
    let home = home_with_db();
    let (code, stdout, stderr) = run(&home, immune(&home).args(["db", "status"]));
    assert_eq!(code, 0, "{stderr}");
    for eco in ["crates.io", "npm", "PyPI", "Go", "RubyGems", "Packagist"] {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(eco))
            .unwrap_or_else(|| panic!("no {eco} row:\n{stdout}"));
        let records: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(records > 0, "{line}");
    }

    let (code, stdout, _) = run(&home, immune(&home).args(["db", "status", "--json"]));
    assert_eq!(code, 0);
    let v = json(&stdout);
    let ecos = v["ecosystems"].as_array().unwrap();
    let names: Vec<&str> = ecos
        .iter()
        .map(|e| e["ecosystem"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
    for eco in ["crates.io", "npm", "PyPI", "Go", "RubyGems", "Packagist"] {
        assert!(names.contains(&eco), "{names:?}");
    }
    for e in ecos {
        assert!(e["records"].as_u64().unwrap() > 0, "{e}");
        assert!(e["problem"].is_null(), "{e}");
    }
}

#[test]
fn scan_with_findings_is_audited_and_the_chain_verifies() {
    let home = home_with_db();
    let (code, _, _) = scan(&home, &firecracker(), &["--no-audit"]);
    assert_eq!(code, 1);
    assert!(!home.audit_log().exists(), "--no-audit must not write");

    let (code, _, _) = scan(&home, &firecracker(), &[]);
    assert_eq!(code, 1);
    let text = fs_err::read_to_string(home.audit_log()).unwrap();
    let last = json(text.lines().last().unwrap());
    assert_eq!(last["kind"], "immune.scan", "{last}");
    assert_eq!(last["actor"], "cli");
    assert!(
        last["detail"]["blocking"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b.as_str().unwrap().starts_with("crossbeam-deque 0.8.0")),
        "{last}"
    );
    // a second scan extends the same chain
    scan(&home, &firecracker(), &["--fail-on", "none"]);
    let text = fs_err::read_to_string(home.audit_log()).unwrap();
    assert_eq!(text.lines().count(), 2);

    let (code, stdout, stderr) = run(&home, home.cmd().args(["audit", "verify"]));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.starts_with("ok: 2 records"), "{stdout}");
}

#[test]
fn autonomic_immune_matches_agent_immune_exit_codes() {
    let home = home_with_db();
    let ripgrep = lockfile("ripgrep.Cargo.lock");
    let cases: [(&Path, &[&str]); 3] = [
        (&firecracker(), &[]),
        (&firecracker(), &["--fail-on", "none"]),
        (&ripgrep, &[]),
    ];
    for (manifest, extra) in cases {
        let (direct, direct_out, _) = scan(&home, manifest, extra);
        let (code, stdout, stderr) = run(
            &home,
            home.cmd()
                .args(["immune", "scan", "--manifest"])
                .arg(manifest)
                .args(extra),
        );
        assert_eq!(code, direct, "{} {extra:?}\n{stderr}", manifest.display());
        assert_eq!(stdout, direct_out);
    }
}

#[test]
fn autonomic_immune_missing_database_exits_4() {
    let home = TestHome::new();
    let (code, _, stderr) = run(
        &home,
        home.cmd()
            .args(["immune", "scan", "--manifest"])
            .arg(firecracker()),
    );
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("agent-immune db update"), "{stderr}");
}

/// `scan` with no `--manifest` scans the current directory.
#[test]
fn scan_without_a_manifest_scans_the_current_directory() {
    let home = home_with_db();
    let project = tempfile::tempdir().unwrap();
    fs_err::copy(firecracker(), project.path().join("Cargo.lock")).unwrap();
    let (code, stdout, stderr) = run(&home, immune(&home).arg("scan").current_dir(project.path()));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.lines().any(|l| l.starts_with(CROSSBEAM)), "{stdout}");
    // An empty directory has nothing to scan: said, not a pass.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(&home, immune(&home).arg("scan").current_dir(empty.path()));
    assert_ne!(code, 0);
    assert_ne!(code, 1, "{stderr}");
}

/// `agent-immune scan` on a pseudo-terminal (util-linux `script`), with
/// `extra_env` set: what the terminal shows.
fn scan_on_a_terminal(home: &TestHome, manifest: &Path, no_color: bool) -> String {
    let bin = assert_cmd::cargo::cargo_bin!("agent-immune");
    let command = format!(
        "{} scan --manifest {} --no-audit",
        bin.display(),
        manifest.display()
    );
    let mut cmd = assert_cmd::Command::new("script");
    cmd.args(["-qec", &command, "/dev/null"])
        .env("AUTONOMIC_HOME", home.home())
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.output().expect("script (util-linux) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_terminal_gets_colour_unless_no_color_and_a_pipe_never_does() {
    let home = home_with_db();
    let tty = scan_on_a_terminal(&home, &firecracker(), false);
    assert!(
        tty.contains("\x1b[1;31mCRITICAL\x1b[0m: \x1b[1mcrossbeam-deque\x1b[0m 0.8.0"),
        "{tty}"
    );
    assert!(
        tty.contains("\x1b[1;31mverdict: security_hold\x1b[0m"),
        "{tty}"
    );
    let plain = scan_on_a_terminal(&home, &firecracker(), true);
    assert!(plain.contains("CRITICAL: crossbeam-deque 0.8.0"), "{plain}");
    assert!(!plain.contains('\x1b'), "NO_COLOR was ignored:\n{plain}");
    let (_, piped, _) = scan(&home, &firecracker(), &[]);
    assert!(!piped.contains('\x1b'), "{piped}");
}

#[test]
fn findings_show_their_path_and_json_carries_the_lockfile_notes() {
    let home = home_with_db();
    let (code, stdout, stderr) = scan(&home, &firecracker(), &[]);
    assert_eq!(code, 1);
    let after = lines_under(&stdout, CROSSBEAM);
    let path = after
        .iter()
        .find_map(|l| l.trim().strip_prefix("path: "))
        .unwrap_or_else(|| panic!("no path under the finding: {after:?}"));
    assert!(path.ends_with(" → crossbeam-deque 0.8.0"), "{path}");
    // The lockfile alone: its own crates were assumed, and stderr says so.
    assert!(
        stderr.contains("no Cargo.toml beside the lockfile: 21 entries"),
        "{stderr}"
    );
    let (_, stdout, _) = scan(&home, &firecracker(), &["--format", "json"]);
    let v = json(&stdout);
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["kind"] == "lockfile"
                && w["message"].as_str().unwrap().contains("21 entries")),
        "{warnings:?}"
    );
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"] == "crossbeam-deque")
        .unwrap();
    assert_eq!(
        f["path"].as_array().unwrap().last().unwrap(),
        "crossbeam-deque 0.8.0"
    );
}

#[test]
fn local_records_get_no_osv_dev_address() {
    let home = home_with_db();
    let (_, stdout, _) = scan(&home, &lockfile("nodejs-goof.package-lock.json"), &[]);
    // nodejs/security-wg records (x_NSWG-ECO-…) are not on osv.dev; ones
    // with a CVE still get no osv.dev address of an x_ id.
    assert!(stdout.contains("(x_NSWG-ECO-"), "{stdout}");
    assert!(!stdout.contains("osv.dev/vulnerability/x_"), "{stdout}");
}

#[test]
fn fix_dry_run_prints_a_diff_git_applies_and_never_edits() {
    let home = home_with_db();
    let dir = tempfile::tempdir().unwrap();
    let original = fs_err::read(lockfile("pygoat.requirements.txt")).unwrap();
    fs_err::write(dir.path().join("requirements.txt"), &original).unwrap();
    let git = |args: &[&str]| {
        let out = assert_cmd::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    let (code, diff, stderr) = run(
        &home,
        immune(&home)
            .current_dir(dir.path())
            .args(["fix", "--dry-run", "--format", "diff"]),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(diff.contains("\n-Django==4.2\n+Django==4.2.16\n"), "{diff}");
    // Nothing was edited; the diff applies.
    assert_eq!(
        fs_err::read(dir.path().join("requirements.txt")).unwrap(),
        original
    );
    fs_err::write(dir.path().join("fix.patch"), &diff).unwrap();
    git(&["apply", "--check", "fix.patch"]);
    // Without --dry-run it refuses, saying what is missing.
    let (code, _, stderr) = run(&home, immune(&home).current_dir(dir.path()).args(["fix"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--dry-run"), "{stderr}");
}
