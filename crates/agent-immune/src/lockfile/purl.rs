//! Package URLs (<https://github.com/package-url/purl-spec>):
//! `pkg:type/namespace/name@version?qualifiers#subpath`.
//!
//! [`Purl::parse`] splits one into its parts (type lower-cased, the rest
//! percent-decoded), and [`Purl::package`] maps the types OSV scans to an
//! ecosystem and a package name: `cargo` → crates.io, `npm` → npm (the
//! namespace is the `@scope`), `pypi` → PyPI, `golang` → Go (namespace and
//! name together are the module path), `gem` → RubyGems, `composer` →
//! Packagist (`vendor/package`). Qualifiers (`?arch=…`) and the subpath
//! (a package inside a Go module) do not change which package it is.

/// A parsed package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// Lower-cased type (`npm`, `golang`, …).
    pub kind: String,
    /// Decoded namespace segments joined with `/` (empty when none).
    pub namespace: String,
    /// Decoded name.
    pub name: String,
    /// Decoded version, when given.
    pub version: Option<String>,
}

/// `%XX` decoding; `None` for a bad escape or bytes that are not UTF-8.
fn decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Purl {
    /// Parses `s`; the reason when it is not a package URL.
    pub fn parse(s: &str) -> Result<Purl, &'static str> {
        let s = s.trim();
        let scheme = s.get(..4).filter(|p| p.eq_ignore_ascii_case("pkg:"));
        if scheme.is_none() {
            return Err("does not start with `pkg:`");
        }
        let rest = s[4..].trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(r, _subpath)| r);
        let rest = rest.split_once('?').map_or(rest, |(r, _qualifiers)| r);
        let (kind, path) = rest.split_once('/').ok_or("no `/` after the type")?;
        let kind = kind.to_ascii_lowercase();
        let valid_kind = kind.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && kind
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'));
        if !valid_kind {
            return Err("the type is not letters, digits, `.`, `+` or `-`");
        }
        // The version follows an `@` in the last segment (an npm scope's
        // `@` may be written unencoded in the namespace).
        let last_slash = path.rfind('/').map_or(0, |i| i + 1);
        let (path, version) = match path[last_slash..].rfind('@') {
            Some(at) => (&path[..last_slash + at], Some(&path[last_slash + at + 1..])),
            None => (path, None),
        };
        let mut segments = Vec::new();
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            let seg = decode(seg).ok_or("a bad `%` escape")?;
            if seg.is_empty() || seg == "." || seg == ".." {
                return Err("an empty, `.` or `..` path segment");
            }
            segments.push(seg);
        }
        let name = segments.pop().ok_or("no name")?;
        let version = match version {
            Some(v) => {
                let v = decode(v).ok_or("a bad `%` escape in the version")?;
                (!v.is_empty()).then_some(v)
            }
            None => None,
        };
        if version
            .as_deref()
            .is_some_and(|v| v.chars().any(char::is_control))
        {
            return Err("a control character in the version");
        }
        if name
            .chars()
            .chain(segments.iter().flat_map(|s| s.chars()))
            .any(char::is_control)
        {
            return Err("a control character in the name");
        }
        Ok(Purl {
            kind,
            namespace: segments.join("/"),
            name,
            version,
        })
    }

    /// The ecosystem and OSV package name, for the types OSV scans.
    pub fn package(&self) -> Option<(crate::Ecosystem, String)> {
        use crate::Ecosystem as E;
        let joined = || {
            if self.namespace.is_empty() {
                self.name.clone()
            } else {
                format!("{}/{}", self.namespace, self.name)
            }
        };
        Some(match self.kind.as_str() {
            "cargo" => (E::CratesIo, self.name.clone()),
            "npm" => match self.namespace.as_str() {
                "" => (E::Npm, self.name.clone()),
                ns if ns.starts_with('@') => (E::Npm, joined()),
                ns => (E::Npm, format!("@{ns}/{}", self.name)),
            },
            "pypi" => (E::PyPI, self.name.clone()),
            "golang" => (E::Go, joined()),
            "gem" => (E::RubyGems, self.name.clone()),
            "composer" => (E::Packagist, joined().to_ascii_lowercase()),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ecosystem;

    fn p(s: &str) -> Purl {
        Purl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn spec_examples() {
        let x = p("pkg:npm/%40angular/animation@12.3.1?x=1#sub/path");
        assert_eq!(
            (
                x.kind.as_str(),
                x.namespace.as_str(),
                x.name.as_str(),
                x.version.as_deref()
            ),
            ("npm", "@angular", "animation", Some("12.3.1"))
        );
        assert_eq!(
            x.package(),
            Some((Ecosystem::Npm, "@angular/animation".into()))
        );
        let x = p("pkg:npm/@scope/name");
        assert_eq!((x.namespace.as_str(), x.version), ("@scope", None));
        assert_eq!(
            p("pkg:golang/github.com/gorilla/mux@v1.8.0#pkg").package(),
            Some((Ecosystem::Go, "github.com/gorilla/mux".into()))
        );
        assert_eq!(
            p("PKG:Composer/Laravel/Framework@v7.30.6").package(),
            Some((Ecosystem::Packagist, "laravel/framework".into()))
        );
        assert_eq!(
            p("pkg:gem/rails@7.0.0?platform=java").version.as_deref(),
            Some("7.0.0")
        );
        assert_eq!(
            p("pkg://cargo/serde@1.0.0").package(),
            Some((Ecosystem::CratesIo, "serde".into()))
        );
        assert_eq!(
            p("pkg:pypi/Django_Rest@3.0%2Blocal").version.as_deref(),
            Some("3.0+local")
        );
        assert_eq!(p("pkg:maven/org.apache/commons@1.0").package(), None);
        assert_eq!(p("pkg:npm/a@").version, None);
    }

    #[test]
    fn not_purls() {
        for bad in [
            "",
            "npm/a@1",
            "pkg:",
            "pkg:npm",
            "pkg:npm/",
            "pkg:1npm/a",
            "pkg:n*m/a",
            "pkg:npm/a%zz",
            "pkg:npm/a%ff@1",
            "pkg:npm/a@1%00",
            "pkg:npm/%2e%2e/a",
            "pkg:npm/%",
        ] {
            assert!(Purl::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "(pkg:)?[a-z%@/?#:0-9.é\\-]{0,40}") {
            if let Ok(p) = Purl::parse(&s) {
                proptest::prop_assert!(!p.name.is_empty());
                let _ = p.package();
            }
        }
    }
}
