//! Parsing versions into an ordered [`Version`].

use std::cmp::Ordering;
use std::str::FromStr;

use super::composer::ComposerVersion;
use super::gem::GemVersion;
use crate::types::Ecosystem;

/// A parsed version. Versions of one ecosystem are totally ordered; a SemVer
/// version and a PEP 440 version are never equal and order SemVer first (an
/// arbitrary but consistent choice — callers compare within one ecosystem).
#[derive(Debug, Clone)]
pub enum Version {
    /// crates.io, npm and Go: SemVer 2.0 precedence (build metadata ignored).
    Semver(semver::Version),
    /// PyPI: PEP 440 ordering (epochs, pre/post/dev releases, local versions).
    Pep440(pep440_rs::Version),
    /// RubyGems: `Gem::Version` ordering.
    Gem(GemVersion),
    /// Packagist: Composer's ordering.
    Composer(ComposerVersion),
}

impl Version {
    fn rank(&self) -> u8 {
        match self {
            Version::Semver(_) => 0,
            Version::Pep440(_) => 1,
            Version::Gem(_) => 2,
            Version::Composer(_) => 3,
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Version::Semver(a), Version::Semver(b)) => a.cmp_precedence(b),
            (Version::Pep440(a), Version::Pep440(b)) => a.cmp(b),
            (Version::Gem(a), Version::Gem(b)) => a.cmp(b),
            (Version::Composer(a), Version::Composer(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Version::Semver(v) => v.fmt(f),
            Version::Pep440(v) => v.fmt(f),
            Version::Gem(v) => v.fmt(f),
            Version::Composer(v) => v.fmt(f),
        }
    }
}

/// A version string that the ecosystem's grammar rejects.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    /// Empty (or whitespace-only) version.
    #[error("empty {eco} version")]
    Empty {
        /// The ecosystem.
        eco: Ecosystem,
    },
    /// Not SemVer 2.0.
    #[error("`{input}` is not a valid {eco} (SemVer) version")]
    Semver {
        /// The ecosystem.
        eco: Ecosystem,
        /// The rejected input.
        input: String,
        /// What the SemVer parser said.
        #[source]
        source: semver::Error,
    },
    /// Not PEP 440.
    #[error("`{input}` is not a valid PEP 440 version")]
    Pep440 {
        /// The rejected input.
        input: String,
        /// What the PEP 440 parser said.
        #[source]
        source: Box<pep440_rs::VersionParseError>,
    },
    /// Not a version of the ecosystem's own grammar (RubyGems, Composer).
    #[error("`{input}` is not a valid {eco} version: {reason}")]
    Invalid {
        /// The ecosystem.
        eco: Ecosystem,
        /// The rejected input (at most 64 characters of it).
        input: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Parses `s` with `eco`'s version grammar.
///
/// - crates.io: SemVer 2.0 (surrounding whitespace trimmed).
/// - npm: node-semver versions; a leading `v` or `=` (and whitespace) is allowed.
/// - PyPI: PEP 440, normalised (`1.0.0RC1`, `1.0.0-rc.1` and `1.0.0rc1` are equal).
/// - Go: SemVer with the module system's leading `v`; `+incompatible` is
///   build metadata and ignored for ordering.
/// - RubyGems: `Gem::Version` (see [`GemVersion`]).
/// - Packagist: Composer's normalised versions (see [`ComposerVersion`]);
///   a branch (`dev-main`) is not a version.
pub fn parse_version(eco: Ecosystem, s: &str) -> Result<Version, VersionError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(VersionError::Empty { eco });
    }
    let semver = |text: &str| {
        semver::Version::parse(text)
            .map(Version::Semver)
            .map_err(|source| VersionError::Semver {
                eco,
                input: s.to_string(),
                source,
            })
    };
    match eco {
        Ecosystem::CratesIo => semver(t),
        Ecosystem::Npm => {
            let t = t.trim_start_matches('=').trim_start();
            let t = t
                .strip_prefix('v')
                .or_else(|| t.strip_prefix('V'))
                .unwrap_or(t);
            semver(t)
        }
        Ecosystem::Go => semver(t.strip_prefix('v').unwrap_or(t)),
        Ecosystem::PyPI => pep440_rs::Version::from_str(t)
            .map(Version::Pep440)
            .map_err(|e| VersionError::Pep440 {
                input: s.to_string(),
                source: Box::new(e),
            }),
        Ecosystem::RubyGems => GemVersion::parse(t)
            .map(Version::Gem)
            .map_err(|reason| invalid(eco, s, reason)),
        Ecosystem::Packagist => ComposerVersion::parse(t)
            .map(Version::Composer)
            .map_err(|reason| invalid(eco, s, reason)),
    }
}

fn invalid(eco: Ecosystem, s: &str, reason: &'static str) -> VersionError {
    VersionError::Invalid {
        eco,
        input: s.chars().take(64).collect(),
        reason,
    }
}

/// Compares two version strings of `eco`; `None` when either does not parse.
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    let a = parse_version(eco, a).ok()?;
    let b = parse_version(eco, b).ok()?;
    Some(a.cmp(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// No grammar panics; whatever parses compares equal to itself.
        #[test]
        fn parsing_never_panics(s in "[vV=]?[0-9a-zA-Z.+_\\- ]{0,24}") {
            for eco in Ecosystem::ALL {
                if let Ok(v) = parse_version(eco, &s) {
                    proptest::prop_assert_eq!(v.cmp(&v), Ordering::Equal);
                }
            }
        }
    }

    #[test]
    fn build_metadata_ignored() {
        assert_eq!(
            compare(Ecosystem::Go, "v2.0.0+incompatible", "2.0.0"),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(Ecosystem::Npm, "=1.2.3+build.5", "v1.2.3"),
            Some(Ordering::Equal)
        );
        assert!(parse_version(Ecosystem::CratesIo, "v1.0.0").is_err());
        // Go pseudo-versions, with and without the module system's `v`, as
        // OSV records and go.mod write them; they order as SemVer
        // pre-releases of the next patch (or of v0.0.0).
        let go = |a: &str, b: &str| compare(Ecosystem::Go, a, b);
        assert_eq!(
            go(
                "v0.0.0-20210101000000-abcdef123456",
                "0.0.0-20210101000000-abcdef123456"
            ),
            Some(Ordering::Equal)
        );
        assert_eq!(
            go(
                "0.0.0-20210101000000-abcdef123456",
                "0.0.0-20220101000000-000000000000"
            ),
            Some(Ordering::Less)
        );
        assert_eq!(
            go("v1.2.4-0.20210101000000-abcdef123456", "v1.2.3"),
            Some(Ordering::Greater)
        );
        assert_eq!(
            go("v1.2.4-0.20210101000000-abcdef123456", "1.2.4"),
            Some(Ordering::Less)
        );
        assert_eq!(
            go("v1.2.3-pre.0.20210101000000-abcdef123456", "v1.2.3-pre"),
            Some(Ordering::Greater)
        );
        assert_eq!(go("v4.0.0+incompatible", "v3.9.9"), Some(Ordering::Greater));
        assert!(parse_version(Ecosystem::PyPI, " ").is_err());
    }
}
