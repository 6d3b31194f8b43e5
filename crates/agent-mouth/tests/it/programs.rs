//! The program table's own examples (`data/programs.toml`): every `match`
//! example is flagged with the finding its effect stands for, every `allow`
//! example is allowed outright. The effect-to-rule mapping here is written
//! independently of `bash/program_effects.rs`, so a policy change that
//! drops an effect fails here.

use agent_mouth::programs::{table, Effect};
use agent_mouth::{validate, Decision, Lang};

/// The rules an effect may be reported as (the first is its own).
fn rules_for(effect: Effect) -> &'static [&'static str] {
    match effect {
        Effect::Runs => &["program.runs_other", "bash.arg_injection"],
        // Judged as the command it runs: any finding of the nested command.
        Effect::Wraps => &[],
        Effect::RunsCode => &["program.runs_code"],
        Effect::Writes => &["bash.write_outside", "write.trusted_file"],
        Effect::Sends => &["bash.upload"],
        Effect::Listens => &["bash.listener"],
        Effect::Loads => &["bash.library_load"],
        Effect::Privileged => &["bash.container_escape"],
        Effect::Shell => &["bash.interactive_shell"],
        Effect::Destroys => &["bash.destructive_infra"],
    }
}

#[test]
fn every_match_example_is_flagged_with_its_effect() {
    let mut failures = Vec::new();
    let mut n = 0;
    for p in table().programs() {
        for e in &p.effects {
            for ex in &e.matches {
                n += 1;
                let v = validate(Lang::Bash, ex);
                let ok = v.decision != Decision::Allow
                    && v.findings.iter().any(|f| {
                        rules_for(e.effect).contains(&f.rule_id.as_str())
                            || e.effect == Effect::Wraps
                                && f.message.starts_with("in a command another program runs")
                    });
                if !ok {
                    failures.push(format!(
                        "{} ({:?}): {ex:?} → {:?} {:?}",
                        p.names[0],
                        e.effect,
                        v.decision,
                        v.findings.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    assert!(n > 100, "only {n} examples");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_allow_example_is_allowed() {
    let mut failures = Vec::new();
    for p in table().programs() {
        for e in &p.effects {
            for ex in &e.allow {
                let v = validate(Lang::Bash, ex);
                if v.decision != Decision::Allow {
                    failures.push(format!(
                        "{} ({:?}): {ex:?} → {:?} {:#?}",
                        p.names[0], e.effect, v.decision, v.findings
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_program_cites_sources_and_every_alias_is_found() {
    for p in table().programs() {
        assert!(
            p.sources.iter().all(|s| !s.trim().is_empty()),
            "{}",
            p.names[0]
        );
        for n in &p.names {
            assert!(table().lookup(n).is_some(), "{n}");
        }
    }
}

mod unknown {
    use agent_mouth::programs::UnknownPrograms;
    use agent_mouth::{Decision, Lang, UserRules, Validator};

    fn with(policy: UnknownPrograms, src: &str) -> (Decision, Vec<String>) {
        let v = Validator::new(UserRules::default())
            .with_unknown_programs(policy)
            .validate(Lang::Bash, src);
        (
            v.decision,
            v.findings.into_iter().map(|f| f.rule_id).collect(),
        )
    }

    #[test]
    fn the_default_reviews_an_unknown_program_given_code_or_system_paths() {
        for src in [
            "zork-tool --exec 'rm -rf build' .",
            "zork-tool -e 'x; y'",
            "qux-sync /etc/passwd",
            "frobnicate --config ~/.ssh/config",
            "frobnicate --out=/usr/local/bin/x",
        ] {
            let (d, ids) = with(UnknownPrograms::default(), src);
            assert_eq!(d, Decision::Review, "{src}: {ids:?}");
            assert!(
                ids.contains(&"program.unknown".to_string()),
                "{src}: {ids:?}"
            );
        }
        for src in [
            "frobnicate --verbose src",
            "frobnicate -e production build",
            "frobnicate https://example.net/x",
            "./scripts/frob --exec 'a b'",
            "bin/frob /etc/hosts",
        ] {
            let (d, ids) = with(UnknownPrograms::default(), src);
            assert_eq!(d, Decision::Allow, "{src}: {ids:?}");
        }
    }

    #[test]
    fn review_flags_every_unknown_program_and_allow_none() {
        let (d, ids) = with(UnknownPrograms::Review, "frobnicate --verbose src");
        assert_eq!(
            (d, ids),
            (Decision::Review, vec!["program.unknown".to_string()])
        );
        let (d, _) = with(UnknownPrograms::Allow, "zork-tool --exec 'rm -rf build' .");
        assert_eq!(d, Decision::Allow);
        // Known programs, wrappers and the program table never count as unknown.
        for src in [
            "ls -la /etc",
            "cargo test --workspace",
            "sudo -u ci make test",
            "tar -czf out.tgz src",
            "jq . data.json",
        ] {
            let (_, ids) = with(UnknownPrograms::Review, src);
            assert!(
                !ids.contains(&"program.unknown".to_string()),
                "{src}: {ids:?}"
            );
        }
    }

    #[test]
    fn a_user_rule_can_allow_an_unknown_program() {
        let rules = UserRules::parse(
            "[[rule]]\nid = \"our-frob\"\ndecision = \"allow\"\ncommand = \"frobnicate\"\nreason = \"our tool\"\n",
            std::path::Path::new("rules.toml"),
        )
        .unwrap();
        let v = Validator::new(rules)
            .with_unknown_programs(UnknownPrograms::Review)
            .validate(Lang::Bash, "frobnicate --verbose src");
        assert_eq!(v.decision, Decision::Allow, "{:?}", v.findings);
    }
}

/// `sudo X` for an X GTFOBins documents a sudo escape from: the reviewer is
/// told that approving it approves a root shell, with the page to read.
#[test]
fn sudo_of_a_program_with_a_documented_escape_says_so() {
    for (src, escape) in [
        ("sudo less /var/log/syslog", true),
        ("sudo -u root vim /etc/hosts", true),
        ("sudo make install", true),
        ("sudo true", false),
        ("sudo mkdir -p /opt/app", false),
    ] {
        let v = validate(Lang::Bash, src);
        let privilege = v
            .findings
            .iter()
            .find(|f| f.rule_id == "bash.privilege")
            .unwrap_or_else(|| panic!("{src}: {:?}", v.findings));
        assert_eq!(
            privilege
                .message
                .contains("approves a root shell (https://gtfobins.github.io/gtfobins/"),
            escape,
            "{src}: {}",
            privilege.message
        );
    }
}
