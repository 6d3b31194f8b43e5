//! `autonomic init`: create the home tree and a commented default config.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use autonomic_core::config::Config;
use autonomic_core::paths::Paths;

/// Creates missing directories and `config.toml`; never overwrites the config.
pub fn run(paths: &Paths) -> anyhow::Result<ExitCode> {
    let audit_dir = paths.audit_log.parent().unwrap_or(&paths.data_dir);
    for dir in [paths.home.as_path(), paths.data_dir.as_path(), audit_dir] {
        create_dir(dir)?;
    }
    // create_new: never clobber a file, even one created since we looked.
    match fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&paths.config_file)
    {
        Ok(mut file) => {
            file.write_all(Config::default_toml_commented().as_bytes())
                .and_then(|()| file.sync_all())
                .context("cannot write the default configuration")?;
            writeln!(
                std::io::stdout(),
                "created {} (every key commented out at its default)",
                paths.config_file.display()
            )?;
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            writeln!(
                std::io::stdout(),
                "kept {} (already exists; not overwritten)",
                paths.config_file.display()
            )?;
        }
        Err(error) => {
            return Err(anyhow::Error::new(error).context("cannot create the configuration file"))
        }
    }
    Ok(ExitCode::from(crate::EXIT_OK))
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs_err::create_dir_all(dir).context("cannot create the Autonomic home")?;
    writeln!(std::io::stdout(), "created {}/", dir.display())?;
    Ok(())
}
