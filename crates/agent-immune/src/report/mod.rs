//! Scan reports: text (the seed's one-line form), JSON (stable schema),
//! SARIF 2.1.0 and a table.

use std::fmt::Write as _;

use autonomic_core::Severity;
use serde_json::{json, Value};

use crate::scan::{counts, Finding, ScanReport};

/// Version of the JSON report schema; bumped on incompatible changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

fn ids_text(f: &Finding) -> String {
    if f.other_ids.is_empty() {
        f.id.clone()
    } else {
        format!("{}; also {}", f.id, f.other_ids.join(", "))
    }
}

fn label(f: &Finding) -> String {
    if let Some(kind) = &f.informational {
        return format!("WARNING ({kind})");
    }
    if f.severity == Severity::Unknown {
        return format!("UNKNOWN (gated as {})", f.gated_as);
    }
    f.severity.as_str().to_string()
}

/// What a reader needs to act on a finding, indented under its line: the
/// title, the upgrade that clears it (or the versions that fix it), and
/// where the advisory is.
fn details(out: &mut String, f: &Finding, colour: bool) {
    if let Some(summary) = &f.summary {
        let _ = writeln!(out, "  {}", shown(summary, 160));
    }
    if let Some(r) = f.reachable {
        let _ = writeln!(out, "  {}", reachability_text(r));
    }
    if f.path.len() > 1 {
        let steps: Vec<String> = f.path.iter().map(|s| shown(s, 80)).collect();
        let _ = writeln!(out, "  path: {}", steps.join(" → "));
    }
    match (&f.upgrade, f.fixed.is_empty()) {
        (Some(to), _) => {
            let _ = writeln!(
                out,
                "  {} (fixed in {})",
                paint(colour, "32", &format!("fix: upgrade to {}", shown(to, 40))),
                shown(&f.fixed.join(", "), 120)
            );
        }
        (None, false) => {
            let _ = writeln!(
                out,
                "  fix: fixed in {} (none above this version clears it)",
                shown(&f.fixed.join(", "), 120)
            );
        }
        (None, true) => {
            let _ = writeln!(out, "  fix: none published");
        }
    }
    if let Some(url) = advisory_url(f) {
        let _ = writeln!(out, "  {url}");
    }
}

/// A version as printed: as is when it is an ordinary one; escaped and cut
/// at 40 characters when it holds control characters or is long (an
/// unreadable version is attacker-chosen text).
pub fn shown_version(version: &str) -> String {
    if version.len() <= 40 && !version.chars().any(char::is_control) {
        return version.to_owned();
    }
    format!("\"{}\"", shown(version, 40))
}

/// `text` with control characters escaped, cut after `max` characters
/// (saying how long it was).
fn shown(text: &str, max: usize) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| {
            let e: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            e
        })
        .collect();
    match escaped.char_indices().nth(max) {
        Some((cut, _)) => format!("{}… ({} bytes)", &escaped[..cut], text.len()),
        None => escaped,
    }
}

/// SGR colour of a finding's label.
fn label_colour(f: &Finding) -> &'static str {
    if f.informational.is_some() {
        return "2";
    }
    match f.severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        _ => "35",
    }
}

/// What a Go finding's reachability means, in a line.
fn reachability_text(r: crate::reachability::Reachability) -> &'static str {
    use crate::reachability::Reachability;
    match r {
        Reachability::Imported => "reachable: the project imports a vulnerable package",
        Reachability::NotImported => {
            "not reachable: no package the module builds imports a vulnerable package (vendored graph)"
        }
        Reachability::NotImportedByProject => {
            "not reachable from the project's own code (a dependency may still import the vulnerable package)"
        }
    }
}

/// `s` in SGR colour `code` when `colour`.
fn paint(colour: bool, code: &str, s: &str) -> String {
    if colour {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

/// Where a person reads the advisory: osv.dev, for the records it
/// aggregates (an `x_` id is a local database's, the OSV schema's prefix
/// for those, and is not there).
pub fn advisory_url(f: &Finding) -> Option<String> {
    f.record_ids
        .iter()
        .chain(std::iter::once(&f.id))
        .find(|id| !id.starts_with("x_"))
        .map(|id| format!("https://osv.dev/vulnerability/{}", shown(id, 80)))
}

/// Most severe first, each with what to do, then a summary:
/// `CRITICAL: openssl-src 1.1.1 (CVE-2024-1234) — blocking`, its title,
/// the dependency path, `fix: upgrade to …`, the advisory's address.
pub fn text(r: &ScanReport) -> String {
    render_text(r, false)
}

/// [`text`] with SGR colours, for a terminal: severities, blocking
/// findings, fixes and the verdict.
pub fn text_coloured(r: &ScanReport) -> String {
    render_text(r, true)
}

fn render_text(r: &ScanReport, colour: bool) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let approx = if f.approximate {
            " [approximate: declared range, no lockfile]"
        } else {
            ""
        };
        let undecided = match &f.undecided {
            Some(why) => format!(
                " [may be affected: the version cannot be compared ({})]",
                shown(why, 120)
            ),
            None => String::new(),
        };
        let tail = if f.blocking {
            paint(colour, "1;31", " — blocking")
        } else if let Some(ig) = &f.ignored {
            format!(" — ignored: {}", ig.reason)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{}: {} {} ({}){approx}{undecided}{tail}",
            paint(colour, label_colour(f), &label(f)),
            paint(colour, "1", &f.package),
            shown_version(&f.version),
            ids_text(f)
        );
        if f.ignored.is_none() {
            details(&mut out, f, colour);
        }
        if let Some(e) = &f.ignore_expired {
            let _ = writeln!(
                out,
                "  note: the ignore entry for {} expired on {}",
                e.id,
                e.expires.as_deref().unwrap_or("?")
            );
        }
    }
    let c = counts(r);
    let vulns: usize = c
        .iter()
        .filter(|(k, _)| **k != "warnings")
        .map(|(_, v)| v)
        .sum();
    let sev: Vec<String> = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
        .iter()
        .filter_map(|s| c.get(s).map(|n| format!("{n} {}", s.to_ascii_lowercase())))
        .collect();
    let ignored = r.findings.iter().filter(|f| f.ignored.is_some()).count();
    let _ = write!(
        out,
        "{} package{} scanned in {} file{}: {} vulnerabilit{}{}, {} warning{}",
        r.packages_scanned,
        if r.packages_scanned == 1 { "" } else { "s" },
        r.files.len(),
        if r.files.len() == 1 { "" } else { "s" },
        vulns,
        if vulns == 1 { "y" } else { "ies" },
        if sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.join(", "))
        },
        c.get("warnings").copied().unwrap_or(0),
        if c.get("warnings").copied().unwrap_or(0) == 1 {
            ""
        } else {
            "s"
        },
    );
    if ignored > 0 {
        let _ = write!(out, ", {ignored} ignored");
    }
    let blocking = r.blocking().count();
    let threshold = r
        .fail_on
        .map_or("none".to_string(), |s| s.as_str().to_ascii_lowercase());
    if blocking > 0 {
        let upgradable = r.blocking().filter(|f| f.upgrade.is_some()).count();
        let _ = writeln!(
            out,
            "\n{} — {blocking} finding{} at or above --fail-on {threshold}; {}",
            paint(colour, "1;31", "verdict: security_hold"),
            if blocking == 1 { "" } else { "s" },
            if upgradable == blocking {
                "the upgrades above clear them".to_owned()
            } else {
                format!(
                    "{upgradable} can be cleared by the upgrades above; for the rest, remove the package or add a reasoned [[ignore]] entry with an expiry"
                )
            }
        );
    } else {
        let _ = writeln!(
            out,
            "\n{} (nothing at or above --fail-on {threshold})",
            paint(colour, "1;32", "verdict: pass")
        );
    }
    if r.findings
        .iter()
        .any(|f| f.severity == Severity::Unknown && f.blocking)
    {
        let _ = writeln!(out, "note: findings without a CVSS score or label gate as {} (config `[immune] unknown_severity`)", r.unknown_as);
    }
    if r.approximate_packages > 0 {
        let _ = writeln!(out, "note: {} package versions came from declared ranges, not a lockfile; findings on them are approximate", r.approximate_packages);
    }
    if !r.undecided.is_empty() {
        let _ = writeln!(
            out,
            "note: {} matches could not be decided (unparsable versions); see --format json",
            r.undecided.len()
        );
    }
    out
}

/// A fixed-width table.
pub fn table(r: &ScanReport) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "SEVERITY".into(),
        "PACKAGE".into(),
        "VERSION".into(),
        "ID".into(),
        "FIXED IN".into(),
        "FILE".into(),
    ]];
    for f in &r.findings {
        rows.push([
            label(f) + if f.blocking { " *" } else { "" },
            f.package.clone(),
            shown_version(&f.version),
            f.id.clone(),
            f.fixed.join(", "),
            format!(
                "{}{}",
                f.file.display(),
                f.line.map(|l| format!(":{l}")).unwrap_or_default()
            ),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    let _ = writeln!(
        out,
        "(* = blocks at --fail-on {})",
        r.fail_on
            .map_or("none".to_string(), |s| s.as_str().to_ascii_lowercase())
    );
    out
}

/// The JSON report (schema version [`JSON_SCHEMA_VERSION`], documented in
/// the README).
pub fn json(r: &ScanReport) -> Value {
    json!({
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": { "name": "agent-immune", "version": env!("CARGO_PKG_VERSION") },
        "verdict": if r.blocking().next().is_some() { "security_hold" } else { "pass" },
        "decision": r.decision,
        "fail_on": r.fail_on.map_or("none".to_string(), |s| s.as_str().to_ascii_lowercase()),
        "unknown_severity_gates_as": r.unknown_as,
        "files": r.files,
        "packages_scanned": r.packages_scanned,
        "approximate_packages": r.approximate_packages,
        "counts": counts(r),
        "findings": r.findings,
        "undecided": r.undecided,
    })
}

/// SARIF 2.1.0.
pub fn sarif(r: &ScanReport) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_ids: Vec<String> = Vec::new();
    for f in &r.findings {
        if !rule_ids.contains(&f.id) {
            rule_ids.push(f.id.clone());
            let mut rule = json!({
                "id": f.id,
                "name": f.record_ids.join(","),
                "shortDescription": { "text": f.summary.clone().unwrap_or_else(|| f.id.clone()) },
                "helpUri": advisory_url(f),
                "properties": {
                    "security-severity": f.score.map_or_else(|| severity_number(f.gated_as).to_string(), |s| format!("{s:.1}")),
                    "tags": ["security", "vulnerability", f.ecosystem.as_str()],
                    "aliases": f.other_ids,
                }
            });
            if rule["helpUri"].is_null() {
                if let Some(m) = rule.as_object_mut() {
                    m.remove("helpUri");
                }
            }
            rules.push(rule);
        }
    }
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let level = if f.blocking { "error" } else if f.informational.is_some() || f.ignored.is_some() { "note" } else { "warning" };
            let mut result = json!({
                "ruleId": f.id,
                "ruleIndex": rule_ids.iter().position(|i| *i == f.id).unwrap_or(0),
                "level": level,
                "message": { "text": format!("{} {} {} is affected by {} ({}){}", f.ecosystem, f.package, f.version, f.id, label(f), if f.fixed.is_empty() { String::new() } else { format!("; fixed in {}", f.fixed.join(", ")) }) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file.display().to_string() },
                        "region": { "startLine": f.line.unwrap_or(1) }
                    }
                }],
                "partialFingerprints": { "package/version/id": format!("{}/{}/{}", f.package, f.version, f.id) }
            });
            if let Some(r) = f.reachable {
                result["properties"] = json!({ "reachable": r, "reachability": reachability_text(r) });
            }
            if let Some(ig) = &f.ignored {
                result["suppressions"] = json!([{ "kind": "external", "justification": ig.reason }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "agent-immune",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://osv.dev",
                "rules": rules
            }},
            "results": results
        }]
    })
}

fn severity_number(s: Severity) -> f64 {
    match s {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => 0.0,
    }
}
