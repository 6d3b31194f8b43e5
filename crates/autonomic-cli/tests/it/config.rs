use crate::{run, TestHome};

/// Collapses the padding before each `# origin` comment to two spaces.
fn unalign(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once("  #") {
            Some((assignment, origin)) => {
                format!("{}  #{}", assignment.trim_end(), origin)
            }
            None => line.to_owned(),
        })
        .map(|line| line + "\n")
        .collect()
}

#[test]
fn show_prints_values_and_origins() {
    let home = TestHome::new();
    run(&home, home.cmd().arg("init"));
    let text = fs_err::read_to_string(home.config_file()).unwrap();
    let text = text
        .replace(
            "# default_sandbox = \"seccomp\"",
            "default_sandbox = \"firecracker\"",
        )
        .replace(
            "# slack_approval_timeout_minutes = 30",
            "slack_approval_timeout_minutes = 5",
        );
    fs_err::write(home.config_file(), text).unwrap();

    let (code, stdout, stderr) = run(&home, home.cmd().args(["config", "show"]));
    assert_eq!((code, stderr.as_str()), (0, ""));
    // Origins are aligned, and the column depends on the temporary path's length.
    let stdout = unalign(&stdout);
    insta::assert_snapshot!(stdout, @r##"
    # effective configuration; file: [HOME]/config.toml

    [immune]
    osv_cache_dir = "[HOME]/data/immune/osv-cache"  # default
    fail_on = "high"  # default
    unknown_severity = "high"  # default
    gate_informational = false  # default
    block_undecided = true  # default
    max_db_age_days = 7  # default
    osv_source = "https://osv-vulnerabilities.storage.googleapis.com"  # default
    # ignore_file (unset)  # default

    [muscle]
    default_sandbox = "firecracker"  # config.toml:40
    firecracker_kernel = "[HOME]/data/vmlinux.bin"  # default
    firecracker_rootfs = "[HOME]/data/rootfs.ext4"  # default
    vm_memory_mib = 512  # default
    vm_vcpus = 1  # default
    expose = []  # default
    mask = []  # default
    memory_limit_mib = 8192  # default
    pids_limit = 4096  # default
    disk_limit_mib = 10240  # default
    workspace_traps = "remove"  # default

    [mouth]
    ast_validation = true  # default
    slack_approval_channel = "#ops-approvals"  # default
    slack_approval_timeout_minutes = 5  # config.toml:82
    # rules_file (unset)  # default
    unknown_programs = "shape"  # default
    slack = false  # default
    slack_approvers = []  # default
    slack_answers = "socket"  # default
    slack_listen = "127.0.0.1:3037"  # default
    slack_bot_token_env = "AUTONOMIC_SLACK_BOT_TOKEN"  # default
    slack_app_token_env = "AUTONOMIC_SLACK_APP_TOKEN"  # default
    slack_signing_secret_env = "AUTONOMIC_SLACK_SIGNING_SECRET"  # default
    slack_api_url = "https://slack.com/api/"  # default
    outbound_allowed_hosts = ["github.com"]  # default
    outbound_mass_mentions = false  # default
    github_api_url = "https://api.github.com"  # default
    github_token_env = "GITHUB_TOKEN"  # default
    # smtp_host (unset)  # default
    smtp_port = 587  # default
    smtp_tls = "starttls"  # default
    # smtp_username (unset)  # default
    smtp_password_env = "AUTONOMIC_SMTP_PASSWORD"  # default
    # email_from (unset)  # default
    email_recipients = []  # default

    [spine]
    review_without_terminal = "refuse"  # default
    journal_path = "[HOME]/data/spine/journal.sqlite3"  # default
    keep_finished_days = 30  # default

    [bus]
    # nats_url (unset)  # default
    nats_buffer_events = 10000  # default

    [brain]
    db_path = "[HOME]/data/brain/brain.sqlite3"  # default
    confidence_threshold = 0.3  # default
    recency_half_life_days = 30  # default
    semantic = true  # default
    embedding_model = "[HOME]/models/all-MiniLM-L6-v2"  # default
    min_similarity = 0.25  # default

    [heart]
    prune_interval_minutes = 60  # default
    expired_grace_hours = 168  # default
    archive_dir = "[HOME]/data/brain/archive"  # default
    project_capacity = 10000  # default
    session_capacity = 2000  # default
    global_capacity = 10000  # default
    archive_batch_facts = 10000  # default

    [llm]
    backend = "embedded"  # default
    model_path = "[HOME]/models/SmolLM2-135M-Instruct.Q4_1.gguf"  # default
    base_url = "http://127.0.0.1:8080/v1"  # default
    model = "SmolLM2-135M-Instruct"  # default
    # api_key_env (unset)  # default
    allow_remote = false  # default
    structured_output = "response_format"  # default
    connect_timeout_secs = 5  # default
    first_token_timeout_secs = 120  # default
    request_timeout_secs = 600  # default
    max_retries = 3  # default
    schema_retries = 2  # default
    max_tokens = 512  # default
    temperature = 0.0  # default
    top_p = 1.0  # default
    seed = 0  # default
    threads = 1  # default
    serve_queue = 8  # default

    # llm: embedded model [HOME]/models/SmolLM2-135M-Instruct.Q4_1.gguf on 1 thread(s); nothing leaves this machine
    "##);
}

#[test]
fn show_without_a_file_is_all_defaults() {
    let home = TestHome::new();
    let (code, stdout, _) = run(&home, home.cmd().args(["config", "show"]));
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with(
            "# effective configuration; no file at [HOME]/config.toml (all defaults)\n"
        ),
        "{stdout}"
    );
    assert_eq!(stdout.matches("# default\n").count(), 79, "{stdout}");
}

#[test]
fn show_json_has_structured_origins() {
    let home = TestHome::new();
    home.write_config("\n[mouth]\nrules_file = \"~/.autonomic/rules.toml\"\n");
    let (code, stdout, _) = run(&home, home.cmd().args(["config", "show", "--json"]));
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["source"], "[HOME]/config.toml");
    let entries = json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 79);
    let rules = entries
        .iter()
        .find(|e| e["key"] == "mouth.rules_file")
        .unwrap();
    assert_eq!(rules["value"], "[HOME]/rules.toml");
    assert_eq!(
        rules["origin"],
        serde_json::json!({"kind": "file", "path": "[HOME]/config.toml", "line": 3})
    );
    let channel = entries
        .iter()
        .find(|e| e["key"] == "mouth.slack_approval_channel")
        .unwrap();
    assert_eq!(channel["origin"], serde_json::json!({"kind": "default"}));
}

#[test]
fn unknown_key_exits_2_naming_file_line_and_suggestion() {
    let home = TestHome::new();
    home.write_config("[muscle]\n\ndefualt_sandbox = \"none\"\n");
    let (code, stdout, stderr) = run(&home, home.cmd().args(["config", "show"]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    insta::assert_snapshot!(stderr, @r#"
    error: [HOME]/config.toml:3:1: unknown key `muscle.defualt_sandbox`
    hint: did you mean "default_sandbox"?
    "#);
}

#[test]
fn bad_sandbox_value_lists_valid_values() {
    let home = TestHome::new();
    home.write_config("[muscle]\ndefault_sandbox = \"docker\"\n");
    let (code, _, stderr) = run(&home, home.cmd().args(["config", "show"]));
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @r#"error: [HOME]/config.toml:2:19: invalid value for `muscle.default_sandbox`: "docker" is not one of "none", "seccomp", "firecracker""#);
}

#[test]
fn removed_key_says_what_to_use_instead() {
    let home = TestHome::new();
    home.write_config("[immune]\nfail_on = \"high\"\nsandbox_default = \"firecracker\"\n");
    let (code, stdout, stderr) = run(&home, home.cmd().args(["config", "show"]));
    assert_eq!((code, stdout.as_str()), (2, ""));
    insta::assert_snapshot!(stderr, @"error: [HOME]/config.toml:3:1: `immune.sandbox_default` was removed: use `muscle.default_sandbox`");
}

#[test]
fn bad_choice_lists_valid_values() {
    let home = TestHome::new();
    home.write_config("[immune]\nfail_on = \"severe\"\n");
    let (code, _, stderr) = run(&home, home.cmd().args(["config", "show"]));
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @r#"error: [HOME]/config.toml:2:11: invalid value for `immune.fail_on`: "severe" is not one of "critical", "high", "medium", "low", "none""#);
}

#[test]
fn wrong_type_says_expected_and_found() {
    let home = TestHome::new();
    home.write_config("[mouth]\nast_validation = \"yes\"\n");
    let (code, _, stderr) = run(&home, home.cmd().args(["config", "show"]));
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @r"
    error: [HOME]/config.toml:2:18: wrong type for `mouth.ast_validation`: expected a boolean (true or false), found string
    hint: for example: ast_validation = true
    ");
}

#[test]
fn syntax_error_names_the_line() {
    let home = TestHome::new();
    home.write_config("[mouth]\nast_validation = \n");
    let (code, _, stderr) = run(&home, home.cmd().args(["config", "show"]));
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: [HOME]/config.toml:2:"),
        "{stderr}"
    );
    assert!(stderr.contains("invalid TOML"), "{stderr}");
}

#[test]
fn unreadable_config_shows_the_cause_chain() {
    let home = TestHome::new();
    fs_err::create_dir_all(home.config_file()).unwrap();
    let (code, _, stderr) = run(&home, home.cmd().args(["config", "show"]));
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: cannot read the configuration file\n  Caused by: "),
        "{stderr}"
    );
    assert!(stderr.contains("[HOME]/config.toml"), "{stderr}");
}
