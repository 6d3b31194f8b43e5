use autonomic_core::Hint as _;
use std::path::PathBuf;

use autonomic_core::config::{Config, ConfigError, Origin};
use autonomic_core::paths::Paths;
use autonomic_core::SandboxLevel;

fn home() -> (tempfile::TempDir, Paths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::with_home(dir.path().join("home"));
    fs_err::create_dir_all(&paths.home).unwrap();
    (dir, paths)
}

#[test]
fn loads_the_file_on_disk_with_provenance() {
    let (_dir, paths) = home();
    fs_err::write(
        &paths.config_file,
        "[muscle]\n# the strongest\ndefault_sandbox = \"firecracker\"\n",
    )
    .unwrap();
    let loaded = Config::load(&paths).unwrap();
    assert_eq!(loaded.source.as_ref(), Some(&paths.config_file));
    assert_eq!(
        loaded.config.muscle.default_sandbox,
        SandboxLevel::Firecracker
    );
    assert_eq!(
        loaded.origin("muscle.default_sandbox"),
        Some(&Origin::File {
            path: paths.config_file.clone(),
            line: 3
        })
    );
    assert_eq!(
        loaded.config.muscle.firecracker_rootfs,
        paths.home.join("data/rootfs.ext4")
    );
}

#[test]
fn errors_name_the_file_line_and_key() {
    let (_dir, paths) = home();
    fs_err::write(&paths.config_file, "[mouth]\n\nast_validaton = true\n").unwrap();
    let err = Config::load(&paths).unwrap_err();
    assert!(matches!(err, ConfigError::UnknownKey { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3:1: unknown key `mouth.ast_validaton`",
            paths.config_file.display()
        )
    );
    assert_eq!(err.key(), Some("mouth.ast_validaton"));
    assert_eq!(err.location().map(|at| at.line), Some(3));
    assert_eq!(
        err.hint().as_deref(),
        Some("did you mean \"ast_validation\"?")
    );
}

#[test]
fn written_default_file_loads_as_defaults() {
    let (_dir, paths) = home();
    fs_err::write(&paths.config_file, Config::default_toml_commented()).unwrap();
    let loaded = Config::load(&paths).unwrap();
    assert_eq!(
        loaded.config,
        Config::load(&Paths::with_home(PathBuf::from(&paths.home)))
            .unwrap()
            .config
    );
    let mut defaults = Config::default();
    defaults.expand_paths(&paths);
    assert_eq!(loaded.config, defaults);
}
