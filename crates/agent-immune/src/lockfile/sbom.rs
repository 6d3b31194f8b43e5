//! SBOMs as input: CycloneDX JSON and SPDX 2.x JSON.
//!
//! A CycloneDX document (`"bomFormat": "CycloneDX"`) lists `components`,
//! each of which may nest more `components`; every component's `purl` is
//! read. `metadata.component` — the subject of the SBOM, the project itself
//! — is not. An SPDX 2.x document (`"spdxVersion": "SPDX-2.…"`) lists
//! `packages`, whose `externalRefs` with `referenceType: "purl"` carry the
//! package URL in `referenceLocator`.
//!
//! Package URLs are parsed by [`super::purl`]; the types OSV scans become
//! packages of their ecosystem (one document can mix several), at the line
//! of the purl. What is skipped, and counted in [`SbomSkipped`] rather than
//! failing the document: components without a purl, purls of other types
//! (`maven`, `deb`, `github`, …), and purls without a version (nothing to
//! match — often the SBOM's own subject). A purl that is not a package URL
//! at all, a wrong JSON type or a document that is not the format its name
//! says is an error with a line. Nesting is walked with an explicit stack;
//! serde_json refuses documents nested deeper than 128 levels.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use super::jsonpos::{key_positions, string_values};
use super::purl::Purl;
use super::{Kind, LockfileError};
use crate::types::Package;

/// What an SBOM held besides the packages scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SbomSkipped {
    /// Components (CycloneDX) or packages (SPDX) with no purl.
    pub without_purl: usize,
    /// Purls without a version.
    pub without_version: usize,
    /// Purls of types no OSV ecosystem here covers, by type.
    pub unsupported: BTreeMap<String, usize>,
}

/// A parsed SBOM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sbom {
    /// The packages to scan (deduplicated by ecosystem, name and version).
    pub packages: Vec<Package>,
    /// What was left out, and why.
    pub skipped: SbomSkipped,
}

/// True when `text` says it is the format `kind` names (cheap: the
/// format's marker key and value appear in it). [`parse_sbom`] checks
/// properly; discovery uses this to pass over a `bom.json` that is
/// something else.
pub(crate) fn confirms(kind: Kind, text: &str) -> bool {
    let has = |s: &str| memchr::memmem::find(text.as_bytes(), s.as_bytes()).is_some();
    match kind {
        Kind::CycloneDx => has("\"bomFormat\"") && has("\"CycloneDX\""),
        Kind::Spdx => has("\"spdxVersion\"") && has("\"SPDX-2."),
        _ => false,
    }
}

struct Builder<'a> {
    path: &'a Path,
    /// Decoded purl → first line it appears on.
    lines: HashMap<String, usize>,
    seen: HashSet<(crate::Ecosystem, String, String)>,
    out: Sbom,
}

impl Builder<'_> {
    fn purl(&mut self, purl: &str) -> Result<(), LockfileError> {
        let line = self.lines.get(purl).copied();
        let parsed = Purl::parse(purl).map_err(|why| {
            let shown: String = purl.chars().take(120).collect();
            LockfileError::new(
                self.path,
                line,
                format!("`{}` is not a package URL: {why}", shown.escape_debug()),
            )
        })?;
        let Some((eco, name)) = parsed.package() else {
            *self.out.skipped.unsupported.entry(parsed.kind).or_default() += 1;
            return Ok(());
        };
        let Some(version) = parsed.version else {
            self.out.skipped.without_version += 1;
            return Ok(());
        };
        if self.seen.insert((eco, name.clone(), version.clone())) {
            self.out.packages.push(Package {
                ecosystem: eco,
                name,
                version,
                approximate: false,
                requirement: None,
                source: self.path.to_path_buf(),
                line,
            });
        }
        Ok(())
    }
}

fn first_line(text: &str, key: &str) -> Option<usize> {
    key_positions(text, key).first().map(|(_, l)| *l)
}

/// Parses a CycloneDX or SPDX JSON document (`kind` says which).
pub fn parse_sbom(kind: Kind, text: &str, path: &Path) -> Result<Sbom, LockfileError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| LockfileError::json(path, &e))?;
    let Some(top) = doc.as_object() else {
        return Err(LockfileError::new(path, Some(1), "expected a JSON object"));
    };
    let purl_key = if kind == Kind::Spdx {
        "referenceLocator"
    } else {
        "purl"
    };
    let mut lines = HashMap::new();
    for (value, line) in string_values(text, purl_key) {
        lines.entry(value).or_insert(line);
    }
    let mut b = Builder {
        path,
        lines,
        seen: HashSet::new(),
        out: Sbom::default(),
    };
    match kind {
        Kind::CycloneDx => cyclonedx(top, text, &mut b)?,
        Kind::Spdx => spdx(top, text, &mut b)?,
        _ => {
            return Err(LockfileError::new(path, None, "not an SBOM format"));
        }
    }
    Ok(b.out)
}

fn cyclonedx(
    top: &serde_json::Map<String, Value>,
    text: &str,
    b: &mut Builder<'_>,
) -> Result<(), LockfileError> {
    let path = b.path;
    match top.get("bomFormat").and_then(Value::as_str) {
        Some("CycloneDX") => {}
        _ => {
            return Err(LockfileError::new(
                path,
                first_line(text, "bomFormat").or(Some(1)),
                "not a CycloneDX SBOM (`bomFormat` is not \"CycloneDX\")",
            ))
        }
    }
    let components_line = first_line(text, "components");
    let not_array = || LockfileError::new(path, components_line, "`components` is not an array");
    let mut stack: Vec<&Value> = Vec::new();
    match top.get("components") {
        None => {}
        Some(Value::Array(list)) => stack.extend(list.iter().rev()),
        Some(_) => return Err(not_array()),
    }
    while let Some(c) = stack.pop() {
        let Some(c) = c.as_object() else {
            return Err(LockfileError::new(
                path,
                components_line,
                "a component is not an object",
            ));
        };
        match c.get("purl") {
            Some(Value::String(p)) => b.purl(p)?,
            None | Some(Value::Null) => b.out.skipped.without_purl += 1,
            Some(_) => {
                return Err(LockfileError::new(
                    path,
                    first_line(text, "purl"),
                    "a component's `purl` is not a string",
                ))
            }
        }
        match c.get("components") {
            None => {}
            Some(Value::Array(nested)) => stack.extend(nested.iter().rev()),
            Some(_) => return Err(not_array()),
        }
    }
    Ok(())
}

fn spdx(
    top: &serde_json::Map<String, Value>,
    text: &str,
    b: &mut Builder<'_>,
) -> Result<(), LockfileError> {
    let path = b.path;
    let version = top.get("spdxVersion").and_then(Value::as_str);
    if !version.is_some_and(|v| v.starts_with("SPDX-2.")) {
        return Err(LockfileError::new(
            path,
            first_line(text, "spdxVersion").or(Some(1)),
            "not an SPDX 2.x JSON document (`spdxVersion` is not \"SPDX-2.…\")",
        ));
    }
    let packages_line = first_line(text, "packages");
    let packages = match top.get("packages") {
        None => return Ok(()),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(LockfileError::new(
                path,
                packages_line,
                "`packages` is not an array",
            ))
        }
    };
    for p in packages {
        let Some(p) = p.as_object() else {
            return Err(LockfileError::new(
                path,
                packages_line,
                "a package is not an object",
            ));
        };
        let refs = match p.get("externalRefs") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(refs)) => refs.as_slice(),
            Some(_) => {
                return Err(LockfileError::new(
                    path,
                    first_line(text, "externalRefs"),
                    "`externalRefs` is not an array",
                ))
            }
        };
        let mut found = false;
        for r in refs {
            let is_purl = r.get("referenceType").and_then(Value::as_str) == Some("purl");
            if !is_purl {
                continue;
            }
            let Some(locator) = r.get("referenceLocator").and_then(Value::as_str) else {
                return Err(LockfileError::new(
                    path,
                    first_line(text, "referenceType"),
                    "a purl reference without a string `referenceLocator`",
                ));
            };
            found = true;
            b.purl(locator)?;
        }
        if !found {
            b.out.skipped.without_purl += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ecosystem;

    #[test]
    fn cyclonedx_nested_components() {
        let text = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "metadata": {"component": {"purl": "pkg:composer/me/app@dev-main"}},
  "components": [
    {"name": "a", "purl": "pkg:npm/%40scope/a@1.0.0",
     "components": [
       {"purl": "pkg:golang/github.com/x/y@v1.2.3"},
       {"purl": "pkg:maven/org.x/y@1"},
       {"name": "no purl"}
     ]},
    {"purl": "pkg:gem/rack@2.2.4"},
    {"purl": "pkg:gem/rack@2.2.4"},
    {"purl": "pkg:pypi/django"}
  ]
}"#;
        let sbom = parse_sbom(Kind::CycloneDx, text, Path::new("bom.json")).unwrap();
        let got: Vec<(Ecosystem, &str, &str, Option<usize>)> = sbom
            .packages
            .iter()
            .map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str(), p.line))
            .collect();
        assert_eq!(
            got,
            [
                (Ecosystem::Npm, "@scope/a", "1.0.0", Some(6)),
                (Ecosystem::Go, "github.com/x/y", "v1.2.3", Some(8)),
                (Ecosystem::RubyGems, "rack", "2.2.4", Some(12)),
            ]
        );
        assert_eq!(sbom.skipped.without_purl, 1);
        assert_eq!(sbom.skipped.without_version, 1);
        assert_eq!(sbom.skipped.unsupported.get("maven"), Some(&1));
        assert!(confirms(Kind::CycloneDx, text));
        assert!(!confirms(Kind::Spdx, text));
    }

    #[test]
    fn spdx_external_refs() {
        let text = r#"{
  "spdxVersion": "SPDX-2.3",
  "packages": [
    {"name": "root", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:golang/example.com/root"}]},
    {"name": "x", "externalRefs": [
      {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:x"},
      {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:cargo/serde@1.0.0"}
    ]},
    {"name": "no refs"}
  ]
}"#;
        let sbom = parse_sbom(Kind::Spdx, text, Path::new("x.spdx.json")).unwrap();
        assert_eq!(sbom.packages.len(), 1);
        assert_eq!(sbom.packages[0].name, "serde");
        assert_eq!(sbom.packages[0].line, Some(7));
        assert_eq!(sbom.skipped.without_version, 1);
        assert_eq!(sbom.skipped.without_purl, 1);
    }

    #[test]
    fn errors_with_lines() {
        let e = |k: Kind, t: &str| parse_sbom(k, t, Path::new("bom.json")).unwrap_err();
        assert_eq!(
            e(Kind::CycloneDx, "{\n\"bomFormat\": \"SPDX\"}").line,
            Some(2)
        );
        assert_eq!(e(Kind::CycloneDx, "{}").line, Some(1));
        assert_eq!(
            e(
                Kind::CycloneDx,
                "{\"bomFormat\": \"CycloneDX\",\n\"components\": {}}"
            )
            .line,
            Some(2)
        );
        assert_eq!(
            e(
                Kind::CycloneDx,
                "{\"bomFormat\": \"CycloneDX\", \"components\": [\n{\"purl\": \"npm/x@1\"}]}"
            )
            .line,
            Some(2)
        );
        assert_eq!(
            e(
                Kind::CycloneDx,
                "{\"bomFormat\": \"CycloneDX\", \"components\": [\n{\"purl\": 3}]}"
            )
            .line,
            Some(2)
        );
        assert_eq!(
            e(Kind::Spdx, "{\n\"spdxVersion\": \"SPDX-3.0\"}").line,
            Some(2)
        );
        assert_eq!(
            e(
                Kind::Spdx,
                "{\"spdxVersion\": \"SPDX-2.2\",\n\"packages\": [1]}"
            )
            .line,
            Some(2)
        );
    }
}
