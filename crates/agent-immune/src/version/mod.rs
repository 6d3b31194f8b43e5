//! Version ordering per ecosystem and OSV range matching.

use crate::types::Ecosystem;

/// The name OSV records and lockfiles are matched on.
///
/// PyPI: PEP 503 (lower-case, runs of `-`, `_`, `.` become one `-`).
/// npm: names are already lower-case (scoped names keep their `@scope/`).
/// crates.io and Go: exact.
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
        Ecosystem::Npm => name.trim().to_ascii_lowercase(),
        Ecosystem::CratesIo | Ecosystem::Go => name.trim().to_string(),
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
