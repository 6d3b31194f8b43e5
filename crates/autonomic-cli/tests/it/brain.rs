//! `autonomic brain …` and `autonomic heart …` end to end.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use agent_brain::{Brain, BrainSettings, NewFact, Scope};

use crate::{run, TestHome};

fn brain(home: &TestHome, args: &[&str]) -> (i32, String, String) {
    run(home, home.cmd().arg("brain").args(args))
}

fn db(home: &TestHome) -> PathBuf {
    home.home().join("data/brain/brain.sqlite3")
}

fn audit_kinds(home: &TestHome) -> Vec<String> {
    fs_err::read_to_string(home.audit_log())
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["kind"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn remember_route_forget_stats() {
    let home = TestHome::new();
    // Routing before anything was stored: an empty answer, not an error.
    let (code, out, err) = brain(
        &home,
        &["route", "--project", "web", "--budget", "50", "deploy"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("0/50 tokens (cl100k_base), 0 fact(s)"),
        "{out}"
    );
    assert!(!db(&home).exists(), "route must not create the database");

    for args in [
        &[
            "remember",
            "--project",
            "web",
            "--key",
            "deploy.cmd",
            "--confidence",
            "0.9",
            "Deploy web with make deploy",
        ][..],
        &[
            "remember",
            "--project",
            "web",
            "--key",
            "deploy.cmd",
            "Deploy web with ./deploy.sh prod",
        ],
        &[
            "remember",
            "--global",
            "--tag",
            "ops",
            "Never deploy on Fridays",
        ],
        &[
            "remember",
            "--project",
            "web",
            "--session",
            "s1",
            "This session deploys to staging",
        ],
        &[
            "remember",
            "--project",
            "api",
            "Deploy api with helm upgrade",
        ],
        &[
            "remember",
            "--project",
            "web",
            "--confidence",
            "0.2",
            "Deploy maybe with rsync",
        ],
        &[
            "remember",
            "--project",
            "web",
            "--invalid-at",
            "-1h",
            "--valid-from",
            "-2d",
            "Deploy used to need VPN",
        ],
    ] {
        let (code, out, err) = brain(&home, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.starts_with("remembered 1 "), "{out}");
    }
    let (_, out, _) = brain(
        &home,
        &[
            "route",
            "--project",
            "web",
            "--session",
            "s1",
            "--budget",
            "200",
            "how to deploy",
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    // All three contain the task's only word and are equally confident and
    // fresh: they tie, in any order.
    assert!(
        lines.contains(&"[project 1.000] Deploy web with ./deploy.sh prod"),
        "{out}"
    );
    assert!(out.contains("[global "), "{out}");
    assert!(out.contains("] This session deploys to staging"), "{out}");
    for hidden in ["helm", "make deploy", "rsync", "VPN"] {
        assert!(!out.contains(hidden), "{hidden} leaked: {out}");
    }
    assert!(
        lines[3].contains("/200 tokens (cl100k_base), 3 fact(s)"),
        "{out}"
    );

    // JSON carries text, scope, score and tokens only.
    let (_, out, _) = brain(
        &home,
        &[
            "route",
            "--project",
            "api",
            "--budget",
            "200",
            "--json",
            "deploy",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let summaries = json["summaries"].as_array().unwrap();
    assert_eq!(summaries.len(), 2);
    for s in summaries {
        let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["scope", "score", "text", "tokens"]);
    }

    let (code, out, _) = brain(
        &home,
        &["forget", "--project", "web", "--key", "deploy.cmd"],
    );
    assert_eq!(code, 0);
    assert_eq!(out, "forgot 1 project fact(s) about `deploy.cmd`\n");

    let (code, out, _) = brain(&home, &["stats", "--json"]);
    assert_eq!(code, 0);
    let stats: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(stats["project"]["stored"], 5);
    assert_eq!(stats["project"]["usable"], 1);
    assert_eq!(stats["project"]["invalidated"], 3);
    assert_eq!(stats["project"]["below_threshold"], 1);
    assert_eq!(stats["project"]["scopes"], 2);
    assert_eq!(stats["session"]["stored"], 1);
    assert_eq!(stats["global"]["stored"], 1);
    let (_, out, _) = brain(&home, &["stats"]);
    assert!(out.contains("project           5          1"), "{out}");
    assert!(
        !out.contains("web") && !out.contains("api"),
        "stats name no scope: {out}"
    );

    let kinds = audit_kinds(&home);
    assert_eq!(kinds.iter().filter(|k| *k == "brain.remember").count(), 7);
    assert_eq!(kinds.iter().filter(|k| *k == "brain.forget").count(), 1);
    let log = fs_err::read_to_string(home.audit_log()).unwrap();
    assert!(
        !log.contains("Fridays"),
        "the audit log holds hashes, not facts"
    );
}

#[test]
fn stdin_text_and_time_forms() {
    let home = TestHome::new();
    let (code, _, err) = run(
        &home,
        home.cmd()
            .args([
                "brain",
                "remember",
                "--project",
                "p",
                "--valid-from",
                "2020-01-01",
                "--invalid-at",
                "2030-01-01T00:00:00Z",
                "-",
            ])
            .write_stdin("The fact from stdin about pelicans\n"),
    );
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = brain(
        &home,
        &["route", "--project", "p", "--budget", "20", "pelicans"],
    );
    assert!(out.contains("The fact from stdin about pelicans"), "{out}");
    // Outside [valid_from, invalid_at) the fact is not there.
    for at in ["2019-06-01", "2031-01-01"] {
        let args = [
            "route",
            "--project",
            "p",
            "--budget",
            "20",
            "--at",
            at,
            "pelicans",
        ];
        let (_, out, _) = brain(&home, &args);
        assert!(out.contains("0 fact(s)"), "{at}: {out}");
    }
}

#[test]
fn bad_input_exits_2_with_a_clear_error() {
    let home = TestHome::new();
    brain(
        &home,
        &["remember", "--project", "p", "kept fact about herons"],
    );
    let before = fs_err::read(db(&home)).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["remember", "--project", "p", "--confidence", "1.2", "x"], "error: confidence 1.2 is outside [0, 1]"),
        (&["remember", "--project", "p", "--confidence", "-0.5", "x"], "outside [0, 1]"),
        (&["remember", "--project", "p", "--valid-from", "2026-02-01", "--invalid-at", "2026-01-01", "x"], "invalid_at (2026-01-01T00:00:00Z) must be later than valid_from (2026-02-01T00:00:00Z)"),
        (&["remember", "--project", "p", "  "], "the fact's content is empty"),
        (&["remember", "--project", "p", "--valid-from", "yesterday", "x"], "`yesterday` is not a time"),
        (&["remember", "x"], "--project <P>"),
        (&["remember", "--global", "--session", "s", "x"], "cannot be used with"),
        (&["route", "--project", "p", "--budget", "0", "herons"], "the token budget must be at least 1"),
        (&["route", "--project", "p", "--budget", "-3", "herons"], "'-3'"),
        (&["restore", "--from", "/nonexistent/archive.jsonl.zst"], "/nonexistent/archive.jsonl.zst"),
    ];
    for (args, message) in cases {
        let (code, out, err) = brain(&home, args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    assert_eq!(
        fs_err::read(db(&home)).unwrap(),
        before,
        "nothing stored by the failures"
    );
}

#[test]
fn corrupt_and_foreign_databases_are_refused_and_kept() {
    let home = TestHome::new();
    fs_err::create_dir_all(db(&home).parent().unwrap()).unwrap();
    fs_err::write(db(&home), b"definitely not sqlite").unwrap();
    for args in [
        &["remember", "--project", "p", "x"][..],
        &["route", "--project", "p", "--budget", "10", "x"],
        &["stats"],
    ] {
        let (code, _, err) = brain(&home, args);
        assert_eq!(code, 2);
        assert!(
            err.contains("data/brain/brain.sqlite3 is not an SQLite database"),
            "{err}"
        );
        assert!(err.contains("hint: "), "{err}");
    }
    let (code, _, err) = run(&home, home.cmd().args(["heart", "run-once"]));
    assert_eq!(code, 2);
    assert!(err.contains("not an SQLite database"), "{err}");
    assert_eq!(fs_err::read(db(&home)).unwrap(), b"definitely not sqlite");
    assert!(audit_kinds(&home).contains(&"heart.prune_failed".to_owned()));
}

fn seed(
    db: &Path,
    projects: usize,
    per_project: usize,
    expired_per_project: usize,
) -> HashSet<Vec<u8>> {
    let mut brain = Brain::open(db, BrainSettings::default()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let mut facts = Vec::new();
    for p in 0..projects {
        for i in 0..per_project {
            let mut fact = NewFact::new(
                Scope::Project(format!("proj{p}")),
                format!("project {p} fact {i} about the build of module m{i} and its tests"),
            );
            fact.confidence = 0.3 + 0.7 * ((i * 7919) % 100) as f64 / 100.0;
            if i < expired_per_project {
                fact.valid_from = Some(now - time::Duration::days(30));
                fact.invalid_at = Some(now - time::Duration::days(10));
            }
            facts.push(fact);
        }
    }
    brain.remember_many(&facts).unwrap();
    drop(brain);
    uids_in_db(db)
}

fn uids_in_db(db: &Path) -> HashSet<Vec<u8>> {
    uids_where(db, "1")
}

fn expired_uids(db: &Path) -> HashSet<Vec<u8>> {
    uids_where(db, "invalid_at IS NOT NULL")
}

/// The uids of the rows matching `condition`, read straight from SQLite.
fn uids_where(db: &Path, condition: &str) -> HashSet<Vec<u8>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut query = conn
        .prepare(&format!("SELECT uid FROM facts WHERE {condition}"))
        .unwrap();
    let uids = query
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    uids
}

/// Every uid in every archive under `dir`, with repetitions.
fn archived(dir: &Path) -> Vec<Vec<u8>> {
    let mut uids = Vec::new();
    let Ok(entries) = fs_err::read_dir(dir) else {
        return uids;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".jsonl.zst") {
            continue;
        }
        let text = zstd::decode_all(fs_err::read(&path).unwrap().as_slice())
            .unwrap_or_else(|e| panic!("{name} is not a complete zstd file: {e}"));
        let text = String::from_utf8(text).unwrap();
        let mut lines = text.lines();
        let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        let mut n = 0;
        for line in lines {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            uids.push(hex::decode(v["uid"].as_str().unwrap()).unwrap());
            n += 1;
        }
        assert_eq!(header["rows"], n, "{name}");
    }
    uids
}

const CRASH_CONFIG: &str =
    "[heart]\nproject_capacity = 100\narchive_batch_facts = 250\nexpired_grace_hours = 24\n";

/// `heart run-once` killed with SIGKILL at random points, again and again,
/// then run to completion: every fact is either still stored or in exactly
/// one archive, and the expired ones are gone.
#[test]
fn heart_killed_at_random_points_loses_and_duplicates_nothing() {
    let seed_value = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut rng = seed_value | 1;
    let mut next = move || {
        // xorshift64*
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    eprintln!("crash test seed {seed_value}");

    // 12 projects × 400 facts, 40 of them long expired: each cycle deletes
    // 480 rows and archives 12 × 260 = 3,120 in 13 files.
    let template = TestHome::new();
    let all = seed(&db(&template), 12, 400, 40);
    let expired = expired_uids(&db(&template));
    assert_eq!(expired.len(), 480);

    // How long an uninterrupted cycle takes, to spread the kills over it.
    let timing = TestHome::new();
    timing.write_config(CRASH_CONFIG);
    fs_err::create_dir_all(db(&timing).parent().unwrap()).unwrap();
    fs_err::copy(db(&template), db(&timing)).unwrap();
    let started = Instant::now();
    let (code, _, err) = run(&timing, timing.cmd().args(["heart", "run-once"]));
    assert_eq!(code, 0, "{err}");
    let full = started.elapsed().as_micros() as u64;

    let mut kills_mid_cycle = 0;
    let mut kills_total = 0;
    for round in 0..5 {
        let home = TestHome::new();
        home.write_config(CRASH_CONFIG);
        fs_err::create_dir_all(db(&home).parent().unwrap()).unwrap();
        fs_err::copy(db(&template), db(&home)).unwrap();
        // Kill again and again until a run gets to finish its cycle (then
        // nothing is left to interrupt), at most 12 times a round; later
        // runs have less work left, so their kills come sooner.
        let mut kills = 0;
        for attempt in 0..12u64 {
            #[expect(
                clippy::disallowed_methods,
                reason = "the test must SIGKILL a running autonomic"
            )]
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_autonomic"))
                .args(["heart", "run-once"])
                .env("AUTONOMIC_HOME", home.home())
                .env_remove("RUST_LOG")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let window = if attempt == 0 { full } else { full / 2 };
            std::thread::sleep(Duration::from_micros(next() % window.max(1)));
            let finished = child.try_wait().unwrap().is_some();
            child.kill().unwrap_or(());
            child.wait().unwrap();
            kills += 1;
            if finished {
                break;
            }
            kills_mid_cycle += 1;
        }
        kills_total += kills;
        let (code, out, err) = run(&home, home.cmd().args(["heart", "run-once", "--json"]));
        assert_eq!(code, 0, "round {round}: {err}");
        let outcome: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(outcome["report"]["interrupted"], false);

        let stored = uids_in_db(&db(&home));
        let archived = archived(&home.home().join("data/brain/archive"));
        let archived_set: HashSet<Vec<u8>> = archived.iter().cloned().collect();
        assert_eq!(
            archived.len(),
            archived_set.len(),
            "round {round}: a fact was archived twice (seed {seed_value})"
        );
        assert!(
            stored.is_disjoint(&archived_set),
            "round {round}: a fact is both stored and archived"
        );
        let kept: HashSet<Vec<u8>> = stored.union(&archived_set).cloned().collect();
        let expected: HashSet<Vec<u8>> = all.difference(&expired).cloned().collect();
        assert_eq!(
            kept, expected,
            "round {round}: facts lost (seed {seed_value})"
        );
        assert_eq!(stored.len(), 12 * 100, "round {round}");
        let leftovers: Vec<_> = fs_err::read_dir(home.home().join("data/brain/archive"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let (_, out, _) = brain(&home, &["stats", "--json"]);
        let stats: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(stats["pending_archives"], 0);
    }
    eprintln!("{kills_mid_cycle} of {kills_total} kills landed inside a cycle of ~{full} µs");
    assert!(
        kills_mid_cycle >= 5,
        "only {kills_mid_cycle} kills landed inside a cycle"
    );
}

#[test]
fn heart_run_once_then_restore() {
    let home = TestHome::new();
    home.write_config("[heart]\nproject_capacity = 3\n");
    fs_err::create_dir_all(db(&home).parent().unwrap()).unwrap();
    let all = seed(&db(&home), 2, 5, 0);
    let (code, out, err) = run(&home, home.cmd().args(["heart", "run-once"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("prune cycle: 0 expired fact(s) deleted, 4 evicted from 2 over-capacity scope(s) into 1 archive(s)"), "{out}");
    let archive = out
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .strip_prefix("archive ")
        .unwrap()
        .replace("[HOME]", &home.home().display().to_string());
    assert_eq!(uids_in_db(&db(&home)).len(), 6);
    let (code, out, err) = brain(&home, &["restore", "--from", &archive]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("restored 4 of 4 facts from "), "{out}");
    assert_eq!(uids_in_db(&db(&home)), all);
    let (_, out, _) = brain(&home, &["restore", "--from", &archive]);
    assert!(out.starts_with("restored 0 of 4 facts"), "{out}");
    let kinds = audit_kinds(&home);
    assert!(
        kinds.contains(&"heart.prune".to_owned()) && kinds.contains(&"brain.restore".to_owned()),
        "{kinds:?}"
    );
}

#[test]
fn heart_run_stops_cleanly_on_ctrl_c() {
    let home = TestHome::new();
    home.write_config("[heart]\nprune_interval_minutes = 1\n");
    fs_err::create_dir_all(db(&home).parent().unwrap()).unwrap();
    seed(&db(&home), 1, 3, 0);
    #[expect(
        clippy::disallowed_methods,
        reason = "the test must signal a running autonomic"
    )]
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_autonomic"))
        .args(["heart", "run"])
        .env("AUTONOMIC_HOME", home.home())
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first cycle's record.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !audit_kinds(&home).contains(&"heart.prune".to_owned()) {
        assert!(Instant::now() < deadline, "no cycle within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid with a valid signal number.
    let rc = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(rc, 0);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("heart: stopped after 1 cycle(s)"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("prune cycle: "));
}

/// Removes the immutable flag again when the test ends, pass or fail.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: &Path) -> Immutable {
        #[expect(
            clippy::disallowed_methods,
            reason = "chattr makes the file read-only even for root"
        )]
        let status = std::process::Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .expect("chattr (e2fsprogs) must be installed: .ci/run installs it");
        assert!(
            status.success(),
            "chattr +i {} failed: the test needs an ext4-like filesystem under $TMPDIR",
            path.display()
        );
        Immutable(path.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        #[expect(clippy::disallowed_methods, reason = "undo chattr +i")]
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

/// A database file nobody may write (immutable, so even root cannot):
/// reads work, writes fail with a clear error, and the file is unchanged.
#[test]
fn a_read_only_database_file_refuses_writes_and_keeps_its_content() {
    let home = TestHome::new();
    let (code, _, err) = brain(
        &home,
        &["remember", "--project", "p", "kept fact about ospreys"],
    );
    assert_eq!(code, 0, "{err}");
    let before = fs_err::read(db(&home)).unwrap();
    let _guard = Immutable::set(&db(&home));
    let (code, out, err) = brain(
        &home,
        &["route", "--project", "p", "--budget", "50", "ospreys"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kept fact about ospreys"), "{out}");
    let (code, _, err) = brain(&home, &["remember", "--project", "p", "another fact"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("data/brain/brain.sqlite3 is read-only"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    let (code, _, err) = run(&home, home.cmd().args(["heart", "run-once"]));
    assert_eq!(code, 2, "{err}");
    assert_eq!(fs_err::read(db(&home)).unwrap(), before);
}

/// `brain import`: a JSON Lines file in batches, each all-or-nothing, the
/// first bad line named with its number; an imported fact is as old as its
/// `valid_from` for ranking.
#[test]
fn import_stores_batches_and_names_the_bad_line() {
    let home = TestHome::new();
    fs_err::create_dir_all(home.home()).unwrap();
    let file = home.home().join("facts.jsonl");
    let lines = [
        r#"{"project":"web","content":"The release train leaves on Tuesdays","valid_from":"2020-01-01T00:00:00Z"}"#,
        r#"{"project":"web","content":"The release train leaves on Thursdays now","valid_from":"2026-12-01T00:00:00Z"}"#,
        r#"{"project":"web","session":"s1","content":"Staging is frozen this week","tags":["release"]}"#,
        r#"{"global":true,"content":"Releases need two approvals","source":"handbook"}"#,
        "",
        r#"{"project":"web","content":"half a batch","confidence":2}"#,
        r#"{"project":"web","content":"never stored: same batch as the bad line"}"#,
    ];
    fs_err::write(&file, lines.join("\n")).unwrap();
    let (code, out, err) = brain(&home, &["import", "--batch", "2", file.to_str().unwrap()]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("facts.jsonl:6:"), "{err}");
    assert!(err.contains("confidence"), "{err}");
    assert!(
        err.contains("4 facts of earlier lines were stored"),
        "{err}"
    );
    let (_, stats, _) = brain(&home, &["stats", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stats).unwrap();
    let total: u64 = ["global", "project", "session"]
        .iter()
        .map(|k| v[k]["stored"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, 4, "{stats}");
    // The newer fact ranks first: recency counts from valid_from.
    let (code, out, err) = brain(
        &home,
        &[
            "route",
            "--project",
            "web",
            "--budget",
            "200",
            "when does the release train leave",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let first = out.lines().next().unwrap_or("");
    assert!(
        first.ends_with("The release train leaves on Thursdays now"),
        "{out}"
    );
    assert_eq!(
        audit_kinds(&home)
            .iter()
            .filter(|k| *k == "brain.remember")
            .count(),
        2,
        "one audit record per stored batch"
    );
    // A clean file imports whole.
    fs_err::write(&file, lines[..4].join("\n")).unwrap();
    let (code, out, err) = brain(&home, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("imported 4 facts"), "{out}");
}

/// The real sentence encoder `.ci/run` unpacks into `target/models`.
fn encoder_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/models/all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "{} is missing: run `cargo run -p autonomic-cli --bin autonomic -- brain fetch-model --dest target/models` (or .ci/run)",
        dir.display()
    );
    dir
}

#[test]
fn route_by_meaning_once_facts_have_vectors_and_say_when_words_alone() {
    let home = TestHome::new();
    home.write_config(&format!(
        "[brain]\nembedding_model = \"{}\"\n",
        home.home().join("models/all-MiniLM-L6-v2").display()
    ));
    for text in [
        "Melanie: Luna and Oliver are my two cats, they sleep all day.",
        "Melanie: I went to a pottery class on Tuesday.",
        "Melanie: The library downtown is beautiful.",
        "Caroline: The support group meets every Friday evening.",
    ] {
        let (code, _, err) = brain(&home, &["remember", "--project", "p", text]);
        assert_eq!(code, 0, "{err}");
    }
    let question = "What are Melanie's pets' names?";
    let route = |home: &TestHome| {
        brain(
            home,
            &[
                "route",
                "--project",
                "p",
                "--budget",
                "20",
                "--json",
                question,
            ],
        )
    };
    // No model: words alone, said once (not at every route).
    let (code, out, err) = route(&home);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "semantic retrieval is off: no embedding model at [HOME]/models/all-MiniLM-L6-v2"
        ),
        "{err}"
    );
    assert!(err.contains("autonomic brain fetch-model"), "{err}");
    let routed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(routed["semantic"], false);
    let (_, _, err) = route(&home);
    assert!(
        !err.contains("semantic retrieval is off"),
        "said twice: {err}"
    );
    let (_, out, _) = brain(&home, &["stats"]);
    assert!(out.contains("semantic retrieval off: no model at"), "{out}");

    // The model in place: the heart cycle gives the facts vectors, and the
    // answer that shares only the speaker's name with the question comes
    // first within a budget that holds one fact.
    fs_err::create_dir_all(home.home().join("models")).unwrap();
    std::os::unix::fs::symlink(encoder_dir(), home.home().join("models/all-MiniLM-L6-v2")).unwrap();
    let (_, out, _) = brain(&home, &["stats", "--json"]);
    let stats: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(stats["vectors"]["pending"], 4);
    // The model is there but no fact has a vector yet: it is not loaded,
    // ranking stays by words, and nothing is said.
    let (code, out, err) = route(&home);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    let routed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(routed["semantic"], false);
    let (_, out, _) = brain(&home, &["stats"]);
    assert!(
        out.contains("semantic retrieval on once facts have vectors"),
        "{out}"
    );
    let (code, out, err) = run(&home, home.cmd().args(["heart", "run-once"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("4 fact(s) embedded"), "{out}");
    let (code, out, err) = route(&home);
    assert_eq!(code, 0, "{err}");
    let routed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(routed["semantic"], true);
    assert_eq!(
        routed["summaries"][0]["text"],
        "Melanie: Luna and Oliver are my two cats, they sleep all day."
    );
    // A new fact waits for its vector; `brain embed` gives it one now and
    // is audited.
    let (code, _, _) = brain(
        &home,
        &[
            "remember",
            "--project",
            "p",
            "Melanie: my dog is called Max.",
        ],
    );
    assert_eq!(code, 0);
    let (code, out, err) = brain(&home, &["embed"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("embedded 1 fact(s) with all-MiniLM-L6-v2"),
        "{out}"
    );
    assert!(audit_kinds(&home).contains(&"brain.embed".to_owned()));
    let (_, out, _) = brain(&home, &["stats"]);
    assert!(
        out.contains("vectors   5 fact(s) (all-MiniLM-L6-v2), 0 waiting"),
        "{out}"
    );
    assert!(out.contains("semantic retrieval on"), "{out}");
}

#[test]
fn a_damaged_model_is_an_error_not_a_quiet_fallback() {
    let home = TestHome::new();
    let model = home.home().join("models/all-MiniLM-L6-v2");
    fs_err::create_dir_all(&model).unwrap();
    fs_err::write(model.join("model.safetensors"), b"not weights").unwrap();
    home.write_config(&format!(
        "[brain]\nembedding_model = \"{}\"\n",
        model.display()
    ));
    let (code, _, _) = brain(&home, &["remember", "--project", "p", "a fact"]);
    assert_eq!(code, 0);
    // Embedding now: refused, naming the file.
    let (code, _, err) = brain(&home, &["embed"]);
    assert_ne!(code, 0);
    assert!(err.contains("[brain] embedding_model:"), "{err}");
    assert!(err.contains("config.json"), "{err}");
    // A heart cycle still prunes, and says why nothing was embedded.
    let (code, out, err) = run(&home, home.cmd().args(["heart", "run-once"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0 fact(s) embedded"), "{out}");
    assert!(err.contains("this cycle gives no fact a vector"), "{err}");
    // With vectors of that model in the store, routing needs the model:
    // an error, not a quiet fallback to words.
    {
        let conn = rusqlite::Connection::open(db(&home)).unwrap();
        conn.execute_batch(
            "INSERT INTO embedding_models (name, dims) VALUES ('all-MiniLM-L6-v2', 384);
             INSERT INTO fact_vectors (scope_kind, project, session, fact_id, model, vec)
             SELECT scope_kind, project, session, id, 1, zeroblob(388) FROM facts;",
        )
        .unwrap();
    }
    let (code, _, err) = brain(
        &home,
        &["route", "--project", "p", "--budget", "50", "a fact"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("[brain] embedding_model:"), "{err}");
    // Turned off, it is not read at all.
    home.write_config(&format!(
        "[brain]\nsemantic = false\nembedding_model = \"{}\"\n",
        model.display()
    ));
    let (code, out, err) = brain(
        &home,
        &["route", "--project", "p", "--budget", "50", "a fact"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("a fact"), "{out}");
}
