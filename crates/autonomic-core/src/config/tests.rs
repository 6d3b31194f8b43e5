use std::path::{Path, PathBuf};

use super::*;
use crate::sandbox::SandboxLevel;
use crate::Hint as _;

fn paths() -> Paths {
    Paths::with_home(PathBuf::from("/ah")).with_user_home(Some(PathBuf::from("/u")))
}

fn parse(text: &str) -> Result<LoadedConfig, ConfigError> {
    Config::from_toml_str(text, Path::new("/ah/config.toml"), &paths())
}

fn error(text: &str) -> (String, Option<String>) {
    let err = parse(text).expect_err("the text is invalid");
    (err.to_string(), err.hint())
}

#[test]
fn missing_file_means_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::with_home(dir.path().to_path_buf());
    let loaded = Config::load(&paths).unwrap();
    assert_eq!(loaded.source, None);
    assert!(loaded.provenance.values().all(|o| *o == Origin::Default));
    assert_eq!(loaded.provenance.len(), 79);
    let mut expected = Config::default();
    expected.expand_paths(&paths);
    assert_eq!(loaded.config, expected);
    assert_eq!(
        loaded.config.muscle.firecracker_kernel,
        dir.path().join("data/vmlinux.bin")
    );
}

#[test]
fn seed_defaults() {
    let c = Config::default();
    assert_eq!(
        c.immune.osv_cache_dir,
        Path::new("~/.autonomic/data/immune/osv-cache")
    );
    assert_eq!(c.immune.fail_on, FailOn::High);
    assert_eq!(c.immune.unknown_severity, UnknownAs::High);
    assert_eq!(c.muscle.default_sandbox, SandboxLevel::Seccomp);
    assert_eq!(c.muscle.workspace_traps, WorkspaceTraps::Remove);
    assert_eq!(
        c.muscle.firecracker_kernel,
        Path::new("~/.autonomic/data/vmlinux.bin")
    );
    assert_eq!(
        c.muscle.firecracker_rootfs,
        Path::new("~/.autonomic/data/rootfs.ext4")
    );
    assert!(c.mouth.ast_validation);
    assert_eq!(c.mouth.slack_approval_channel, "#ops-approvals");
    assert_eq!(c.mouth.slack_approval_timeout_minutes, 30);
    assert_eq!(c.mouth.rules_file, None);
}

#[test]
fn every_key_is_parsed() {
    let text = r##"
[immune]
osv_cache_dir = "/var/cache/osv"
fail_on = "none"
unknown_severity = "critical"

[muscle]
default_sandbox = "firecracker"
workspace_traps = "report"
firecracker_kernel = "~/.autonomic/k/vmlinux"
firecracker_rootfs = "~/images/rootfs.ext4"

[mouth]
ast_validation = false
slack_approval_channel = "C0123ABCD"
slack_approval_timeout_minutes = 10080
rules_file = "~/.autonomic/rules.toml"
"##;
    let c = parse(text).unwrap().config;
    assert_eq!(c.immune.osv_cache_dir, Path::new("/var/cache/osv"));
    assert_eq!(c.immune.fail_on, FailOn::None);
    assert_eq!(c.immune.fail_on.threshold(), None);
    assert_eq!(c.immune.unknown_severity, UnknownAs::Critical);
    assert_eq!(c.muscle.default_sandbox, SandboxLevel::Firecracker);
    assert_eq!(c.muscle.workspace_traps, WorkspaceTraps::Report);
    assert_eq!(c.muscle.firecracker_kernel, Path::new("/ah/k/vmlinux"));
    assert_eq!(
        c.muscle.firecracker_rootfs,
        Path::new("/u/images/rootfs.ext4")
    );
    assert!(!c.mouth.ast_validation);
    assert_eq!(c.mouth.slack_approval_channel, "C0123ABCD");
    assert_eq!(c.mouth.slack_approval_timeout_minutes, 10080);
    assert_eq!(
        c.mouth.rules_file.as_deref(),
        Some(Path::new("/ah/rules.toml"))
    );
}

#[test]
fn provenance_names_the_line() {
    let loaded = parse("# comment\n[mouth]\n\nast_validation = false\n").unwrap();
    assert_eq!(
        loaded.origin("mouth.ast_validation"),
        Some(&Origin::File {
            path: PathBuf::from("/ah/config.toml"),
            line: 4
        })
    );
    assert_eq!(
        loaded.origin("mouth.slack_approval_channel"),
        Some(&Origin::Default)
    );
    assert_eq!(loaded.origin("mouth.nope"), None);
    assert_eq!(loaded.source.as_deref(), Some(Path::new("/ah/config.toml")));
    let entries = loaded.entries();
    assert_eq!(entries.len(), 79);
    let entry = entries
        .iter()
        .find(|e| e.key == "mouth.ast_validation")
        .unwrap();
    assert_eq!(entry.value, Some(toml::Value::Boolean(false)));
    assert_eq!(entry.origin.to_string(), "/ah/config.toml:4");
    let unset = entries
        .iter()
        .find(|e| e.key == "mouth.rules_file")
        .unwrap();
    assert_eq!(unset.value, None);
}

#[test]
fn dotted_and_inline_forms_are_accepted() {
    let loaded =
        parse("mouth.ast_validation = false\nmuscle = { default_sandbox = \"none\" }\n").unwrap();
    assert!(!loaded.config.mouth.ast_validation);
    assert_eq!(loaded.config.muscle.default_sandbox, SandboxLevel::None);
    assert!(matches!(
        loaded.origin("muscle.default_sandbox"),
        Some(Origin::File { line: 2, .. })
    ));
}

#[test]
fn unknown_key_names_line_and_suggests() {
    let (msg, hint) = error("[muscle]\ndefault_sandbox = \"none\"\n  defualt_sandbox = \"none\"\n");
    assert_eq!(
        msg,
        "/ah/config.toml:3:3: unknown key `muscle.defualt_sandbox`"
    );
    assert_eq!(hint.as_deref(), Some("did you mean \"default_sandbox\"?"));
}

#[test]
fn unknown_key_without_close_match_lists_keys() {
    let (msg, hint) = error("[muscle]\nzzz = 1\n");
    assert_eq!(msg, "/ah/config.toml:2:1: unknown key `muscle.zzz`");
    assert_eq!(
        hint.as_deref(),
        Some("valid keys here are \"default_sandbox\", \"firecracker_kernel\", \"firecracker_rootfs\", \"vm_memory_mib\", \"vm_vcpus\", \"expose\", \"mask\", \"memory_limit_mib\", \"pids_limit\", \"disk_limit_mib\", \"workspace_traps\"")
    );
}

#[test]
fn key_in_the_wrong_section() {
    let (msg, hint) = error("[muscle]\nast_validation = true\n");
    assert_eq!(
        msg,
        "/ah/config.toml:2:1: unknown key `muscle.ast_validation`"
    );
    assert_eq!(
        hint.as_deref(),
        Some("`ast_validation` belongs in the [mouth] section")
    );
    let (msg, hint) = error("ast_validation = true\n");
    assert_eq!(msg, "/ah/config.toml:1:1: unknown key `ast_validation`");
    assert_eq!(
        hint.as_deref(),
        Some("`ast_validation` belongs in the [mouth] section")
    );
}

#[test]
fn unknown_section_suggests() {
    let (msg, hint) = error("[mouht]\nast_validation = true\n");
    assert_eq!(msg, "/ah/config.toml:1:2: unknown section `mouht`");
    assert_eq!(hint.as_deref(), Some("did you mean \"mouth\"?"));
    let (_, hint) = error("[workflow]\n");
    assert_eq!(
        hint.as_deref(),
        Some(
            "valid sections are \"immune\", \"muscle\", \"mouth\", \"spine\", \"bus\", \"brain\", \"heart\", \"llm\""
        )
    );
}

#[test]
fn float_keys_take_numbers_in_range() {
    let loaded = parse("[brain]\nconfidence_threshold = 0.55\n").unwrap();
    assert_eq!(loaded.config.brain.confidence_threshold, 0.55);
    let loaded = parse("[brain]\nconfidence_threshold = 1\n").unwrap();
    assert_eq!(loaded.config.brain.confidence_threshold, 1.0);
    let (msg, _) = error("[brain]\nconfidence_threshold = 1.5\n");
    assert_eq!(
        msg,
        "/ah/config.toml:2:24: invalid value for `brain.confidence_threshold`: 1.5 is out of range: must be between 0 and 1"
    );
    let (msg, _) = error("[brain]\nconfidence_threshold = \"high\"\n");
    assert!(msg.contains("expected a number from 0 to 1"), "{msg}");
    let (msg, _) = error("[brain]\nconfidence_threshold = nan\n");
    assert!(msg.contains("out of range"), "{msg}");
}

#[test]
fn nested_table_is_unknown_key() {
    let (msg, _) = error("[mouth.extra]\nx = 1\n");
    assert_eq!(msg, "/ah/config.toml:1:8: unknown key `mouth.extra`");
}

#[test]
fn wrong_type_says_expected_and_found() {
    let (msg, hint) = error("[mouth]\nslack_approval_timeout_minutes = \"30\"\n");
    assert_eq!(
        msg,
        "/ah/config.toml:2:34: wrong type for `mouth.slack_approval_timeout_minutes`: expected an integer from 1 to 10080, found string"
    );
    assert_eq!(
        hint.as_deref(),
        Some("for example: slack_approval_timeout_minutes = 30")
    );
    let (msg, _) = error("[immune]\ngate_informational = \"yes\"\n");
    assert!(
        msg.ends_with("expected a boolean (true or false), found string"),
        "{msg}"
    );
    let (msg, _) = error("[muscle]\ndefault_sandbox = 3\n");
    assert!(
        msg.ends_with(
            "expected one of the strings \"none\", \"seccomp\", \"firecracker\", found integer"
        ),
        "{msg}"
    );
    let (msg, _) = error("mouth = 3\n");
    assert_eq!(
        msg,
        "/ah/config.toml:1:9: wrong type for `mouth`: expected a table ([section]), found integer"
    );
}

#[test]
fn bad_sandbox_lists_valid_values() {
    let (msg, hint) = error("[muscle]\ndefault_sandbox = \"docker\"\n");
    assert_eq!(
        msg,
        "/ah/config.toml:2:19: invalid value for `muscle.default_sandbox`: \"docker\" is not one of \"none\", \"seccomp\", \"firecracker\""
    );
    assert_eq!(hint, None);
    let (_, hint) = error("[muscle]\ndefault_sandbox = \"seccom\"\n");
    assert_eq!(hint.as_deref(), Some("did you mean \"seccomp\"?"));
}

#[test]
fn bad_choice_lists_valid_values() {
    let (msg, hint) = error("[muscle]\nworkspace_traps = \"delete\"\n");
    assert_eq!(
        msg,
        "/ah/config.toml:2:19: invalid value for `muscle.workspace_traps`: \"delete\" is not one of \"remove\", \"report\""
    );
    assert_eq!(hint, None);
    let (msg, hint) = error("[immune]\n\nfail_on = \"hihg\"\n");
    assert_eq!(
        msg,
        "/ah/config.toml:3:11: invalid value for `immune.fail_on`: \"hihg\" is not one of \"critical\", \"high\", \"medium\", \"low\", \"none\""
    );
    assert_eq!(hint.as_deref(), Some("did you mean \"high\"?"));
    let (msg, _) = error("[immune]\nunknown_severity = \"none\"\n");
    assert!(
        msg.ends_with("\"none\" is not one of \"critical\", \"high\", \"medium\", \"low\""),
        "{msg}"
    );
    let (msg, _) = error("[immune]\nfail_on = 7\n");
    assert!(
        msg.ends_with("wrong type for `immune.fail_on`: expected one of the strings \"critical\", \"high\", \"medium\", \"low\", \"none\", found integer"),
        "{msg}"
    );
}

/// The three `[immune]` keys nothing read are gone, and a file that still
/// sets one is told what to do instead.
#[test]
fn removed_keys_say_what_to_use_instead() {
    let (msg, hint) = error("[immune]\nsandbox_default = \"seccomp\"\n");
    assert_eq!(
        msg,
        "/ah/config.toml:2:1: `immune.sandbox_default` was removed: use `muscle.default_sandbox`"
    );
    assert_eq!(hint, None);
    let (msg, _) = error("[immune]\nfail_on = \"high\"\ncommand_validation_enabled = true\n");
    assert_eq!(
        msg,
        "/ah/config.toml:3:1: `immune.command_validation_enabled` was removed: every command is validated"
    );
    let (msg, _) = error("immune.osv_scan_enabled = false\n");
    assert!(
        msg.starts_with(
            "/ah/config.toml:1:8: `immune.osv_scan_enabled` was removed: nothing scans on its own"
        ),
        "{msg}"
    );
    let err = parse("[immune]\nsandbox_default = \"none\"\n").unwrap_err();
    assert!(matches!(err, ConfigError::RemovedKey { .. }));
    assert_eq!(err.key(), Some("immune.sandbox_default"));
    assert_eq!(err.location().map(|at| at.line), Some(2));
}

/// Each integer key's bounds fit its Rust type, and each choice value loads.
#[test]
fn every_bound_and_choice_loads() {
    for section in schema::SECTIONS {
        for key in section.keys {
            let values: Vec<String> = match key.kind {
                spec::Kind::Integer { min, max } => vec![min.to_string(), max.to_string()],
                spec::Kind::Choice { values } => {
                    values.iter().map(|v| format!("\"{v}\"")).collect()
                }
                _ => Vec::new(),
            };
            for value in values {
                let text = format!("[{}]\n{} = {value}\n", section.name, key.name);
                assert!(parse(&text).is_ok(), "{text}");
            }
        }
    }
}

#[test]
fn value_constraints() {
    let (msg, _) = error("[mouth]\nslack_approval_timeout_minutes = 0\n");
    assert!(
        msg.ends_with("0 is out of range: must be between 1 and 10080"),
        "{msg}"
    );
    let (msg, _) = error("[mouth]\nslack_approval_timeout_minutes = 10081\n");
    assert!(msg.contains("10081 is out of range"), "{msg}");
    let (msg, _) = error("[mouth]\nslack_approval_channel = \"ops\"\n");
    assert!(
        msg.contains("`mouth.slack_approval_channel`: `ops` is neither"),
        "{msg}"
    );
    let (msg, _) = error("[mouth]\nslack_approvers = [\"U0OK\", \"alice\"]\n");
    assert!(
        msg.contains("`mouth.slack_approvers`: element 2: `alice` is not a Slack user id"),
        "{msg}"
    );
    let (msg, _) = error("[mouth]\nslack_approvers = [\"U0OK\", 7]\n");
    assert!(msg.contains("element 2 is not a string"), "{msg}");
    let (msg, _) = error("[mouth]\noutbound_allowed_hosts = [\"*\"]\n");
    assert!(msg.contains("`*` is neither a host"), "{msg}");
    let (msg, _) = error("[mouth]\nemail_recipients = [\"ops@example.com, ceo@example.com\"]\n");
    assert!(msg.contains("is not one e-mail address"), "{msg}");
    let (msg, _) = error("[mouth]\nslack_listen = \"localhost\"\n");
    assert!(msg.contains("is not an IP address and port"), "{msg}");
    let ok = parse(
        "[mouth]\nslack_approvers = [\"U0123ABCD\", \"W9\"]\noutbound_allowed_hosts = [\"*.example.com\", \"github.com\"]\nemail_recipients = [\"@example.com\", \"ops@example.org\"]\n",
    )
    .unwrap();
    assert_eq!(ok.config.mouth.slack_approvers, ["U0123ABCD", "W9"]);
    let (msg, _) = error("[muscle]\nfirecracker_kernel = \" \"\n");
    assert!(
        msg.ends_with("`muscle.firecracker_kernel`: a path must not be empty"),
        "{msg}"
    );
    let (msg, _) = error("[mouth]\nrules_file = \"\"\n");
    assert!(
        msg.contains("`mouth.rules_file`: a path must not be empty"),
        "{msg}"
    );
}

#[test]
fn syntax_error_names_line() {
    let err = parse("[mouth]\nast_validation = true\nslack_approval_channel = \n").unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { .. }));
    let at = err.location().unwrap();
    assert_eq!(
        (at.line, at.path.as_path()),
        (3, Path::new("/ah/config.toml"))
    );
    assert!(err.to_string().starts_with("/ah/config.toml:3:"), "{err}");
    let err = parse("[mouth]\nast_validation = true\nast_validation = false\n").unwrap_err();
    assert!(err.to_string().starts_with("/ah/config.toml:3:"), "{err}");
}

#[test]
fn read_error_is_not_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::with_home(dir.path().to_path_buf());
    fs_err::create_dir_all(&paths.config_file).unwrap();
    let err = Config::load(&paths).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert!(cause.contains("config.toml"), "{cause}");
}

#[test]
fn tilde_follows_home() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::with_home(dir.path().join("elsewhere"));
    let loaded = Config::from_toml_str("", &paths.config_file, &paths).unwrap();
    let c = loaded.config;
    assert_eq!(
        c.immune.osv_cache_dir,
        dir.path().join("elsewhere/data/immune/osv-cache")
    );
    assert_eq!(
        c.muscle.firecracker_rootfs,
        dir.path().join("elsewhere/data/rootfs.ext4")
    );
}

#[test]
fn commented_default_parses_back_to_defaults() {
    let text = Config::default_toml_commented();
    let loaded = parse(&text).unwrap();
    assert!(loaded.provenance.values().all(|o| *o == Origin::Default));
    assert_eq!(loaded.config, LoadedConfig::defaults(&paths()).config);

    // Uncommenting every key that has a default changes nothing but provenance.
    let mut uncommented = 0;
    let active: String = text
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest)
                if !rest.starts_with("rules_file")
                    && !rest.starts_with("ignore_file")
                    && !rest.starts_with("api_key_env")
                    && !rest.starts_with("nats_url")
                    && !rest.starts_with("smtp_host")
                    && !rest.starts_with("smtp_username")
                    && !rest.starts_with("email_from")
                    && parse_assignment(rest) =>
            {
                uncommented += 1;
                rest
            }
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(uncommented, 72, "{text}");
    assert!(text.contains("\n# rules_file = \"~/.autonomic/rules.toml\"\n"));
    let loaded = parse(&active).unwrap();
    assert_eq!(loaded.config, LoadedConfig::defaults(&paths()).config);
    let from_file = loaded
        .provenance
        .values()
        .filter(|o| **o != Origin::Default)
        .count();
    assert_eq!(from_file, 72);

    // The example for a key without a default is valid too.
    let all = active
        .replace("# rules_file = ", "rules_file = ")
        .replace("# api_key_env = ", "api_key_env = ");
    let loaded = parse(&all).unwrap();
    assert_eq!(
        loaded.config.llm.api_key_env.as_deref(),
        Some("OPENAI_API_KEY")
    );
    assert_eq!(
        loaded.config.mouth.rules_file.as_deref(),
        Some(Path::new("/ah/rules.toml"))
    );

    // Every key has a one-line comment.
    for entry in LoadedConfig::defaults(&paths()).entries() {
        assert!(
            text.contains(&format!("# {}\n# {} = ", entry.doc, entry.name)),
            "{}",
            entry.key
        );
    }
}

fn parse_assignment(line: &str) -> bool {
    line.split_once(" = ")
        .is_some_and(|(key, _)| key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
}

#[test]
fn path_lists_name_the_bad_element() {
    let (msg, _) = error("[muscle]\nexpose = [\"/opt/sdk\", \"relative/dir\"]\n");
    assert!(msg.starts_with("/ah/config.toml:2:"), "{msg}");
    assert!(msg.contains("element 2 (`relative/dir`)"), "{msg}");
    let (msg, _) = error("[muscle]\nmask = \"/opt/x\"\n");
    assert!(msg.contains("muscle.mask"), "{msg}");
    let (msg, _) = error("[muscle]\nmask = [1]\n");
    assert!(msg.contains("element 1 is not a string"), "{msg}");
    let loaded = parse("[muscle]\nexpose = [\"~/sdk\", \"/opt/tool\"]\n").unwrap();
    assert_eq!(
        loaded.config.muscle.expose,
        [PathBuf::from("/u/sdk"), PathBuf::from("/opt/tool")]
    );
}

#[test]
fn llm_endpoint_keys_are_checked() {
    let (msg, hint) = error("[llm]\nbase_url = \"localhost:8080\"\n");
    assert!(msg.contains("llm.base_url"), "{msg}");
    assert!(
        msg.contains("not an http:// or https:// URL"),
        "{msg} {hint:?}"
    );
    let (msg, _) = error("[llm]\napi_key_env = \"sk-live-1234\"\n");
    assert!(msg.contains("not an environment variable name"), "{msg}");
    let (msg, _) = error("[llm]\nbackend = \"llamacpp\"\n");
    assert!(msg.contains("llm.backend"), "{msg}");
    let loaded =
        parse("[llm]\nbackend = \"openai\"\napi_key_env = \"OPENAI_API_KEY\"\nthreads = 2\n")
            .unwrap();
    assert_eq!(loaded.config.llm.backend, LlmBackend::Openai);
    assert_eq!(
        loaded.config.llm.api_key_env.as_deref(),
        Some("OPENAI_API_KEY")
    );
    assert_eq!(loaded.config.llm.threads, 2);
}
