//! Where syscall profiles come from: agent-immune's built-ins and the user's
//! reviewed files in `<home>/profiles/NAME.toml`, each syscall name checked
//! against agent-muscle's x86_64 table and hard block list, and each socket
//! family's name numbered by agent-muscle's family table. This is the one
//! place that joins the two crates' views of a profile (they never depend on
//! each other); `profile list|show|learn` and `autonomic exec --profile`
//! all look profiles up here, and [`resolve`] picks the profile a command
//! runs under when none is named.

mod resolve;

use std::path::{Path, PathBuf};

use agent_immune::profile::{
    self as immune_profile, ProfileDef, ProfileFileError, SocketFamily, PROFILES,
};
use agent_muscle::bpf::{never_allowed_reason, socket_family_number, syscall_number};
use autonomic_core::paths::Paths;

pub use resolve::{resolve, shell_string, Resolved};

/// Why a profile could not be looked up or loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Not a valid profile name.
    #[error("{0}")]
    BadName(String),
    /// A profile file or the profiles directory could not be read (the
    /// message names the path).
    #[error(transparent)]
    Read(#[from] std::io::Error),
    /// A user profile file does not parse or names a bad syscall.
    #[error(transparent)]
    File(#[from] ProfileFileError),
    /// The user profile `name` is not valid; the cause says why.
    #[error("user profile `{name}` is not valid")]
    Invalid {
        /// The profile asked for.
        name: String,
        /// Why.
        #[source]
        source: Box<ProfileError>,
    },
    /// A user file has a built-in's name.
    #[error("{} clashes with the built-in profile `{name}`: rename the file and its `name`", file.display())]
    Clash {
        /// The user file.
        file: PathBuf,
        /// The built-in's name.
        name: String,
    },
    /// A socket family agent-immune names that agent-muscle cannot number
    /// (the two tables disagree: a bug, never a user's mistake).
    #[error("socket family `{family}` is not in agent-muscle's family table")]
    UnknownFamily {
        /// The family.
        family: SocketFamily,
    },
    /// No built-in and no user file has this name.
    #[error("unknown profile `{name}` (known: {}; user profiles live in {})", known.join(", "), dir.display())]
    Unknown {
        /// The profile asked for.
        name: String,
        /// Every profile that exists.
        known: Vec<String>,
        /// Where user profiles live.
        dir: PathBuf,
    },
}

/// Why a syscall name may not appear in a profile, if it may not.
pub fn check_syscall(name: &str) -> Result<(), String> {
    if syscall_number(name).is_none() {
        return Err(
            "not an x86_64 syscall name (see `man 2 syscalls`; e.g. `newfstatat`, not `fstatat`)"
                .into(),
        );
    }
    if let Some(reason) = never_allowed_reason(name) {
        return Err(format!(
            "on the sandbox's hard block list, never allowed: {reason}"
        ));
    }
    Ok(())
}

/// The file user profile `name` lives in.
pub fn user_file(paths: &Paths, name: &str) -> PathBuf {
    paths.profiles_dir.join(format!("{name}.toml"))
}

/// Reads and checks one user profile file.
pub fn load_file(path: &Path) -> Result<ProfileDef, ProfileError> {
    let text = fs_err::read_to_string(path)?;
    Ok(immune_profile::parse_user_profile(
        &text,
        path,
        &check_syscall,
    )?)
}

/// Looks `name` up: a built-in, else `<home>/profiles/NAME.toml`. A user file
/// with a built-in's name is an error, so nobody believes their file is in
/// use when it is not.
pub fn find(paths: &Paths, name: &str) -> Result<ProfileDef, ProfileError> {
    immune_profile::check_name(name).map_err(ProfileError::BadName)?;
    let file = user_file(paths, name);
    if let Some(builtin) = immune_profile::find(name) {
        if file.exists() {
            return Err(clash(file, name));
        }
        return Ok(ProfileDef::from(builtin));
    }
    if file.exists() {
        return load_file(&file).map_err(|e| ProfileError::Invalid {
            name: name.to_owned(),
            source: Box::new(e),
        });
    }
    let known: Vec<String> = all(paths)
        .map(|all| all.into_iter().map(|p| p.name).collect())
        .unwrap_or_else(|_| PROFILES.iter().map(|p| p.name.to_owned()).collect());
    Err(ProfileError::Unknown {
        name: name.to_owned(),
        known,
        dir: paths.profiles_dir.clone(),
    })
}

/// Every profile: the built-ins, then the user's files by name.
pub fn all(paths: &Paths) -> Result<Vec<ProfileDef>, ProfileError> {
    let mut out: Vec<ProfileDef> = PROFILES.iter().map(ProfileDef::from).collect();
    let dir = &paths.profiles_dir;
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut files: Vec<PathBuf> = fs_err::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for file in files {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if immune_profile::find(&stem).is_some() {
            return Err(clash(file, &stem));
        }
        out.push(load_file(&file)?);
    }
    Ok(out)
}

fn clash(file: PathBuf, name: &str) -> ProfileError {
    ProfileError::Clash {
        file,
        name: name.to_owned(),
    }
}

/// `AF_*` numbers for a profile's socket families, from agent-muscle's
/// family table.
pub fn socket_domains(profile: &ProfileDef) -> Result<Vec<i32>, ProfileError> {
    profile.socket_families.iter().map(|f| domain(*f)).collect()
}

/// `AF_*` numbers for the families a profile refuses (`EAFNOSUPPORT`).
pub fn refused_domains(profile: &ProfileDef) -> Result<Vec<i32>, ProfileError> {
    profile
        .socket_refused
        .iter()
        .map(|(f, _)| domain(*f))
        .collect()
}

/// The number agent-muscle's table gives the family agent-immune names.
fn domain(family: SocketFamily) -> Result<i32, ProfileError> {
    socket_family_number(family.name()).ok_or(ProfileError::UnknownFamily { family })
}
