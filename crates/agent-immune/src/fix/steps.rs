//! Per format: which edit or package manager step clears a finding.

use std::path::{Path, PathBuf};

use super::edit::{cargo_admits, npm_admits, pin_edit, requirement_edits};
use super::{FixPlan, FixStep, Target, Unfixable};
use crate::lockfile::{cargo_member_manifests, read_text, Kind};
use crate::types::Ecosystem;

pub(crate) fn propose(kind: Kind, t: &Target<'_>, plan: &mut FixPlan) {
    match kind {
        Kind::Requirements => requirements(t, plan),
        Kind::CargoLock => cargo_lock(t, plan),
        Kind::CargoToml => raise_declared(t, plan, t.file, Manifest::Cargo),
        Kind::PackageLock => npm_lock(t, plan),
        Kind::PackageJson => raise_declared(t, plan, t.file, Manifest::Npm),
        _ => step(
            t,
            plan,
            t.file,
            tool_action(kind, t),
            "the lockfile is the tool's to rewrite",
        ),
    }
}

fn step(t: &Target<'_>, plan: &mut FixPlan, file: &Path, action: String, why: &str) {
    plan.steps.push(FixStep {
        file: file.to_path_buf(),
        package: t.package.to_string(),
        from: t.from.to_string(),
        to: t.to.clone(),
        action,
        why: why.to_string(),
        clears: t.clears.clone(),
    });
}

/// The command of the tool that owns a lockfile of `kind`.
fn tool_action(kind: Kind, t: &Target<'_>) -> String {
    let (p, to) = (t.package, &t.to);
    match (kind, t.ecosystem) {
        (Kind::YarnLock, _) => format!("yarn up {p}@^{to}  (Yarn 1: yarn upgrade {p}@^{to}; a transitive one: a `resolutions` entry \"{p}\": \"^{to}\" in package.json)"),
        (Kind::PnpmLock, _) => format!("pnpm update {p}@^{to}  (a transitive one: `pnpm.overrides` \"{p}\": \"^{to}\" in package.json)"),
        (Kind::PoetryLock, _) => format!("poetry update {p}  (if pyproject.toml's constraint keeps it below {to}: poetry add \"{p}>={to}\")"),
        (Kind::UvLock, _) => format!("uv lock --upgrade-package {p}=={to}"),
        (Kind::GemfileLock, _) => format!("bundle update {p} --conservative  (if the Gemfile's requirement keeps it below {to}: raise it to \"~> {to}\" first)"),
        (Kind::ComposerLock, _) => format!("composer update {p} --with-dependencies  (if composer.json's constraint keeps it below {to}: composer require \"{p}:^{to}\")"),
        (Kind::CycloneDx | Kind::Spdx, _) => format!("upgrade {p} to {to} in the project this SBOM describes, then generate the SBOM again"),
        (Kind::PipfileLock, _) => format!("pipenv update {p}  (if the Pipfile's constraint keeps it below {to}: pipenv install \"{p}>={to}\")"),
        (_, Ecosystem::Go) => format!("go get {p}@v{} && go mod tidy", to.trim_start_matches('v')),
        (_, Ecosystem::CratesIo) => format!("cargo update -p {p}@{} --precise {to}", t.from),
        (_, Ecosystem::Npm) => format!("npm install {p}@^{to}"),
        (_, Ecosystem::PyPI) => format!("pip install \"{p}>={to}\""),
        (_, eco) => format!("upgrade {p} to {to} with the {eco} package manager"),
    }
}

fn requirements(t: &Target<'_>, plan: &mut FixPlan) {
    let Some(line) = t.line else {
        return step(
            t,
            plan,
            t.file,
            tool_action(Kind::Requirements, t),
            "the pin's line is not known",
        );
    };
    if t.approximate {
        return step(
            t,
            plan,
            t.file,
            format!("require \"{}>={}\" at line {line}", t.package, t.to),
            "the declared range admits the affected versions",
        );
    }
    match pin_edit(t, line) {
        Ok(e) => plan.edits.push(e),
        Err(why) => step(
            t,
            plan,
            t.file,
            format!("pin {}=={} at line {line}", t.package, t.to),
            &why,
        ),
    }
}

#[derive(Clone, Copy)]
enum Manifest {
    Cargo,
    Npm,
}

/// A declared requirement, raised to the upgrade: Cargo `"1.4"` →
/// `"1.5.5"`, npm `"~4.2.0"` → `"~4.2.4"` (the operator kept).
fn raise_declared(t: &Target<'_>, plan: &mut FixPlan, manifest: &Path, kind: Manifest) {
    let Some(req) = declared(manifest, t.package, kind) else {
        return step(
            t,
            plan,
            manifest,
            tool_action(Kind::detect(manifest).unwrap_or(Kind::CargoToml), t),
            "the requirement was not found in the manifest",
        );
    };
    let new_req = raised(&req, &t.to);
    let edits = requirement_edits(manifest, t.package, &req, &new_req, t);
    if edits.is_empty() {
        return step(
            t,
            plan,
            manifest,
            format!("require {} {new_req}", t.package),
            "the requirement's line could not be edited in place",
        );
    }
    plan.edits.extend(edits);
}

/// `req` with its version replaced by `to`, the operator kept (a range
/// that is not one operator and one version becomes a caret on `to`).
fn raised(req: &str, to: &str) -> String {
    let r = req.trim();
    let op: String = r
        .chars()
        .take_while(|c| matches!(c, '^' | '~' | '='))
        .collect();
    let rest = &r[op.len()..];
    if rest.contains([' ', ',', '|', '<', '>', '*', 'x']) {
        return format!("^{to}");
    }
    format!("{op}{to}")
}

/// The requirement `manifest` declares for `name` (following Cargo's
/// `workspace = true` to the root's `[workspace.dependencies]`).
fn declared(manifest: &Path, name: &str, kind: Manifest) -> Option<String> {
    let text = read_text(manifest).ok()?;
    match kind {
        Manifest::Npm => {
            let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
            [
                "dependencies",
                "devDependencies",
                "optionalDependencies",
                "peerDependencies",
            ]
            .iter()
            .find_map(|f| doc[f][name].as_str().map(str::to_string))
        }
        Manifest::Cargo => {
            let doc: toml::Table = toml::from_str(&text).ok()?;
            let spec = cargo_dep_spec(&doc, name)?;
            match spec {
                toml::Value::String(s) => Some(s),
                toml::Value::Table(t)
                    if t.get("workspace").and_then(|w| w.as_bool()) == Some(true) =>
                {
                    None
                }
                toml::Value::Table(t) => t.get("version")?.as_str().map(str::to_string),
                _ => None,
            }
        }
    }
}

fn cargo_dep_spec(doc: &toml::Table, name: &str) -> Option<toml::Value> {
    let mut tables: Vec<&toml::Table> = Vec::new();
    for k in ["dependencies", "dev-dependencies", "build-dependencies"] {
        tables.extend(doc.get(k).and_then(|v| v.as_table()));
    }
    if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
        for t in targets.values().filter_map(|t| t.as_table()) {
            for k in ["dependencies", "dev-dependencies", "build-dependencies"] {
                tables.extend(t.get(k).and_then(|v| v.as_table()));
            }
        }
    }
    tables.extend(
        doc.get("workspace")
            .and_then(|w| w.get("dependencies"))
            .and_then(|d| d.as_table()),
    );
    tables.iter().find_map(|t| {
        t.iter().find_map(|(key, spec)| {
            let renamed = spec.get("package").and_then(|p| p.as_str());
            (renamed.unwrap_or(key) == name).then(|| spec.clone())
        })
    })
}

/// The member manifest whose `[dependencies]` (or the workspace root's,
/// for `workspace = true`) holds `name`'s requirement.
fn cargo_requirement(lock: &Path, member: &str, name: &str) -> Option<(PathBuf, String)> {
    let (member_name, member_version) = member.split_once(' ').unwrap_or((member, ""));
    let manifests = cargo_member_manifests(lock);
    let manifest = manifests
        .iter()
        .find(|(n, v, _)| n == member_name && v.as_deref().is_none_or(|v| v == member_version))?;
    if let Some(req) = declared(&manifest.2, name, Manifest::Cargo) {
        return Some((manifest.2.clone(), req));
    }
    // `name.workspace = true`: the root manifest beside the lockfile.
    let root = lock.parent()?.join("Cargo.toml");
    declared(&root, name, Manifest::Cargo).map(|req| (root, req))
}

fn cargo_lock(t: &Target<'_>, plan: &mut FixPlan) {
    let update = format!(
        "cargo update -p {}@{} --precise {}",
        t.package, t.from, t.to
    );
    if t.path.len() != 2 {
        let via = t
            .path
            .get(1)
            .map(String::as_str)
            .unwrap_or("a dependent crate");
        return step(t, plan, t.file, update, &format!("a transitive dependency (through {via}); cargo refuses if a dependent's requirement excludes {}, then upgrade {via}", t.to));
    }
    match cargo_requirement(t.file, &t.path[0], t.package) {
        Some((manifest, req)) if cargo_admits(&req, &t.to) == Some(false) => {
            let edits = requirement_edits(&manifest, t.package, &req, &raised(&req, &t.to), t);
            let why = format!(
                "{} requires \"{req}\", which excludes {}",
                manifest.display(),
                t.to
            );
            if edits.is_empty() {
                return step(
                    t,
                    plan,
                    &manifest,
                    format!("require {} \"{}\", then {update}", t.package, t.to),
                    &why,
                );
            }
            plan.edits.extend(edits);
            step(
                t,
                plan,
                t.file,
                update,
                &format!("{why}; after the edit, cargo rewrites the lockfile"),
            );
        }
        Some((manifest, req)) => step(
            t,
            plan,
            t.file,
            update,
            &format!(
                "{} requires \"{req}\", which admits {}: only the lockfile changes",
                manifest.display(),
                t.to
            ),
        ),
        None => step(
            t,
            plan,
            t.file,
            update,
            "the workspace's manifests are not beside the lockfile",
        ),
    }
}

fn npm_lock(t: &Target<'_>, plan: &mut FixPlan) {
    let manifest = t.file.with_file_name("package.json");
    if t.path.len() != 2 {
        let via = t
            .path
            .get(1)
            .map(String::as_str)
            .unwrap_or("a dependent package");
        return step(t, plan, &manifest, format!("add \"overrides\": {{ \"{}\": \"^{}\" }} to package.json, then npm install", t.package, t.to), &format!("a transitive dependency (through {via}); an override (npm 8.3 and later) lifts it without waiting for {via}"));
    }
    match declared(&manifest, t.package, Manifest::Npm) {
        Some(range) if npm_admits(&range, &t.to) == Some(false) => {
            raise_declared(t, plan, &manifest, Manifest::Npm);
            step(t, plan, t.file, "npm install".into(), &format!("package.json requires \"{range}\", which excludes {}; after the edit, npm rewrites the lockfile", t.to));
        }
        Some(range) => step(t, plan, t.file, format!("npm install {}@{}", t.package, t.to), &format!("package.json requires \"{range}\", which admits {}: only the lockfile changes (npm saves ^{} in package.json)", t.to, t.to)),
        None => {
            plan.unfixable.push(Unfixable {
                file: t.file.to_path_buf(),
                package: t.package.to_string(),
                version: t.from.to_string(),
                ids: t.clears.clone(),
                reason: format!("a direct dependency that {} does not declare", manifest.display()),
            });
        }
    }
}
