use crate::{exists, run, TestHome};

#[test]
fn init_creates_the_tree_and_a_commented_config() {
    let home = TestHome::new();
    let (code, stdout, stderr) = run(&home, home.cmd().arg("init"));
    assert_eq!((code, stderr.as_str()), (0, ""));
    insta::assert_snapshot!(stdout, @r"
    created [HOME]/
    created [HOME]/data/
    created [HOME]/data/audit/
    created [HOME]/config.toml (every key commented out at its default)
    ");
    assert!(exists(&home.home().join("data/audit")));
    let text = fs_err::read_to_string(home.config_file()).unwrap();
    assert_eq!(
        text,
        autonomic_core::config::Config::default_toml_commented()
    );
}

#[test]
fn second_init_keeps_the_users_config() {
    let home = TestHome::new();
    run(&home, home.cmd().arg("init"));
    let edited = "[mouth]\nast_validation = false\n";
    fs_err::write(home.config_file(), edited).unwrap();

    let (code, stdout, _) = run(&home, home.cmd().arg("init"));
    assert_eq!(code, 0);
    insta::assert_snapshot!(stdout, @"kept [HOME]/config.toml (already exists; not overwritten)");
    assert_eq!(fs_err::read_to_string(home.config_file()).unwrap(), edited);
}

#[test]
fn init_recreates_missing_directories_only() {
    let home = TestHome::new();
    run(&home, home.cmd().arg("init"));
    fs_err::remove_dir(home.home().join("data/audit")).unwrap();
    let (code, stdout, _) = run(&home, home.cmd().arg("init"));
    assert_eq!(code, 0);
    insta::assert_snapshot!(stdout, @r"
    created [HOME]/data/audit/
    kept [HOME]/config.toml (already exists; not overwritten)
    ");
}

#[test]
fn init_works_next_to_a_broken_config() {
    let home = TestHome::new();
    home.write_config("this is not toml");
    let (code, stdout, _) = run(&home, home.cmd().arg("init"));
    assert_eq!(code, 0);
    assert!(stdout.contains("kept [HOME]/config.toml"), "{stdout}");
}

#[test]
fn home_flag_overrides_the_environment() {
    let home = TestHome::new();
    let other = tempfile::tempdir().unwrap();
    let (code, _, _) = run(
        &home,
        home.cmd().arg("--home").arg(other.path()).arg("init"),
    );
    assert_eq!(code, 0);
    assert!(exists(&other.path().join("config.toml")));
    assert!(!exists(&home.home()));
}
