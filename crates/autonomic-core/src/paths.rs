//! Where Autonomic keeps its files, and `~` expansion.
//!
//! Everything lives under one home directory, `~/.autonomic` unless
//! `$AUTONOMIC_HOME` says otherwise:
//!
//! ```text
//! <home>/config.toml                 the user's configuration
//! <home>/data/                       downloaded and generated state
//! <home>/data/audit/audit.jsonl      the hash-chained audit log
//! <home>/profiles/NAME.toml          the user's syscall profiles (reviewed data)
//! ```

use std::path::{Path, PathBuf};

use crate::env;

/// The literal prefix that [`Paths::expand`] maps onto [`Paths::home`].
pub const HOME_PREFIX: &str = "~/.autonomic";

/// The resolved locations of Autonomic's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `~/.autonomic`, or `$AUTONOMIC_HOME`.
    pub home: PathBuf,
    /// `<home>/config.toml`.
    pub config_file: PathBuf,
    /// `<home>/data`.
    pub data_dir: PathBuf,
    /// `<home>/data/audit/audit.jsonl`.
    pub audit_log: PathBuf,
    /// `<home>/profiles`: user syscall profiles, one `NAME.toml` each.
    pub profiles_dir: PathBuf,
    /// The user's home directory, for expanding `~/…` outside `~/.autonomic`.
    user_home: Option<PathBuf>,
}

/// Why [`Paths::from_env`] could not find a home directory.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    /// Neither `$AUTONOMIC_HOME` nor `$HOME` is set.
    #[error("cannot locate the Autonomic home: neither ${autonomic_home} nor ${home} is set", autonomic_home = env::AUTONOMIC_HOME, home = env::HOME)]
    NoHome,
}

impl crate::Hint for PathsError {
    fn hint(&self) -> Option<String> {
        match self {
            PathsError::NoHome => Some(format!(
                "set ${} (or pass --home DIR) to choose where Autonomic keeps its files",
                env::AUTONOMIC_HOME
            )),
        }
    }
}

impl Paths {
    /// Resolves the paths from `$AUTONOMIC_HOME` (else `$HOME/.autonomic`).
    pub fn from_env() -> Result<Paths, PathsError> {
        let user_home = env::user_home();
        let home = match (env::autonomic_home(), &user_home) {
            (Some(home), _) => home,
            (None, Some(user_home)) => user_home.join(".autonomic"),
            (None, None) => return Err(PathsError::NoHome),
        };
        Ok(Paths::with_home(home).with_user_home(user_home))
    }

    /// Lays the tree out under `home`, reading no environment variables.
    ///
    /// `~/…` paths outside `~/.autonomic` stay unexpanded until
    /// [`Paths::with_user_home`] says where `~` is.
    pub fn with_home(home: PathBuf) -> Paths {
        let config_file = home.join("config.toml");
        let data_dir = home.join("data");
        let audit_log = data_dir.join("audit").join("audit.jsonl");
        let profiles_dir = home.join("profiles");
        Paths {
            home,
            config_file,
            data_dir,
            audit_log,
            profiles_dir,
            user_home: None,
        }
    }

    /// Sets the directory `~` stands for in [`Paths::expand`].
    #[must_use]
    pub fn with_user_home(mut self, user_home: Option<PathBuf>) -> Paths {
        self.user_home = user_home;
        self
    }

    /// The directory `~` stands for, if known.
    pub fn user_home(&self) -> Option<&Path> {
        self.user_home.as_deref()
    }

    /// Expands a leading `~` in a configured path.
    ///
    /// `~/.autonomic` and anything under it map into [`Paths::home`], so moving
    /// `$AUTONOMIC_HOME` moves the whole tree, defaults included. Any other
    /// `~/x` maps to `$HOME/x` and `~` alone to `$HOME` (left unchanged when
    /// `$HOME` is unknown); every other value is returned as is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use autonomic_core::paths::Paths;
    ///
    /// let paths = Paths::with_home("/srv/autonomic".into()).with_user_home(Some("/home/ada".into()));
    /// assert_eq!(paths.expand("~/.autonomic/data/vmlinux.bin"), PathBuf::from("/srv/autonomic/data/vmlinux.bin"));
    /// assert_eq!(paths.expand("~/rules.toml"), PathBuf::from("/home/ada/rules.toml"));
    /// assert_eq!(paths.expand("/opt/rootfs.ext4"), PathBuf::from("/opt/rootfs.ext4"));
    /// ```
    pub fn expand(&self, raw: &str) -> PathBuf {
        if raw == HOME_PREFIX {
            return self.home.clone();
        }
        if let Some(rest) = raw
            .strip_prefix(HOME_PREFIX)
            .and_then(|rest| rest.strip_prefix('/'))
        {
            return self.home.join(rest.trim_start_matches('/'));
        }
        if let Some(user_home) = &self.user_home {
            if raw == "~" {
                return user_home.clone();
            }
            if let Some(rest) = raw.strip_prefix("~/") {
                return user_home.join(rest.trim_start_matches('/'));
            }
        }
        PathBuf::from(raw)
    }

    /// [`Paths::expand`] for a path value (non-UTF-8 paths are returned unchanged).
    pub fn expand_path(&self, raw: &Path) -> PathBuf {
        match raw.to_str() {
            Some(raw) => self.expand(raw),
            None => raw.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        Paths::with_home(PathBuf::from("/ah")).with_user_home(Some(PathBuf::from("/u")))
    }

    #[test]
    fn layout_under_home() {
        let p = paths();
        assert_eq!(p.config_file, PathBuf::from("/ah/config.toml"));
        assert_eq!(p.data_dir, PathBuf::from("/ah/data"));
        assert_eq!(p.audit_log, PathBuf::from("/ah/data/audit/audit.jsonl"));
        assert_eq!(p.profiles_dir, PathBuf::from("/ah/profiles"));
    }

    #[test]
    fn autonomic_prefix_follows_home() {
        let p = paths();
        assert_eq!(p.expand("~/.autonomic"), PathBuf::from("/ah"));
        assert_eq!(p.expand("~/.autonomic/"), PathBuf::from("/ah/"));
        assert_eq!(
            p.expand("~/.autonomic/data/rootfs.ext4"),
            PathBuf::from("/ah/data/rootfs.ext4")
        );
    }

    #[test]
    fn other_tildes_use_user_home() {
        let p = paths();
        assert_eq!(p.expand("~"), PathBuf::from("/u"));
        assert_eq!(p.expand("~/x/y"), PathBuf::from("/u/x/y"));
        assert_eq!(p.expand("~/.autonomicx"), PathBuf::from("/u/.autonomicx"));
        assert_eq!(p.expand("~bob/x"), PathBuf::from("~bob/x"));
        assert_eq!(p.expand("/abs/~/x"), PathBuf::from("/abs/~/x"));
        assert_eq!(p.expand("rel"), PathBuf::from("rel"));
    }

    #[test]
    fn unknown_user_home_leaves_tilde() {
        let p = Paths::with_home(PathBuf::from("/ah"));
        assert_eq!(p.expand("~/x"), PathBuf::from("~/x"));
        assert_eq!(p.expand("~/.autonomic/x"), PathBuf::from("/ah/x"));
    }
}
