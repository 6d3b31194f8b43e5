//! Version parsing and ordering per ecosystem, and package-name
//! normalisation.
//!
//! crates.io, npm and Go versions are SemVer 2.0 (npm and Go accept a leading
//! `v`, npm also `=`); PyPI versions are PEP 440, normalised by `pep440_rs`
//! (`1.0.0RC1` == `1.0.0rc1` == `1.0.0-rc.1`). Build metadata never affects
//! SemVer ordering. RubyGems versions order as `Gem::Version` does
//! ([`GemVersion`]), Packagist versions as Composer normalises them
//! ([`ComposerVersion`]).
//!
//! ```
//! use agent_immune::{version::compare, Ecosystem};
//! use std::cmp::Ordering;
//! assert_eq!(compare(Ecosystem::PyPI, "1.0", "1.0.0"), Some(Ordering::Equal));
//! assert_eq!(compare(Ecosystem::Npm, "v1.0.0-rc.1", "1.0.0"), Some(Ordering::Less));
//! ```

mod composer;
mod gem;
mod parse;

pub use composer::ComposerVersion;
pub use gem::GemVersion;
pub use parse::{compare, parse_version, Version, VersionError};

use crate::types::Ecosystem;

/// The name OSV records and lockfiles are matched on.
///
/// PyPI: PEP 503 (lower-case, runs of `-`, `_`, `.` become one `-`).
/// npm: names are already lower-case (scoped names keep their `@scope/`).
/// Packagist: lower-case (`vendor/package`; Packagist's names are).
/// crates.io, Go and RubyGems: exact.
pub fn normalize_name(eco: Ecosystem, name: &str) -> String {
    match eco {
        Ecosystem::PyPI => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            out
        }
        Ecosystem::Npm | Ecosystem::Packagist => name.trim().to_ascii_lowercase(),
        Ecosystem::CratesIo | Ecosystem::Go | Ecosystem::RubyGems => name.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(normalize_name(Ecosystem::PyPI, "pyyaml"), "pyyaml");
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "zope..interface"),
            "zope-interface"
        );
        assert_eq!(normalize_name(Ecosystem::Npm, "Express"), "express");
        assert_eq!(
            normalize_name(Ecosystem::CratesIo, "serde_json"),
            "serde_json"
        );
    }
}
