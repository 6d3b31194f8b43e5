//! Dependency paths: how a finding's package got into the build, from the
//! lockfile's own graph — `app 0.1.0 → rayon 1.5.0 → crossbeam-deque
//! 0.8.0`, the first step after the project being the direct dependency
//! to change.
//!
//! Read only when a file has findings (a clean scan never builds a graph).
//! Formats with a graph: `Cargo.lock` (roots: the entries without a
//! source, the workspace's own crates), `package-lock.json` v2/v3
//! (root: the `""` entry; a dependency resolves like Node does, from the
//! nearest `node_modules` up) and `Gemfile.lock` (root: the project, whose
//! `DEPENDENCIES` are the direct gems; each spec's indented lines name its
//! dependencies). Others give no path.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use serde::Deserialize;

use super::{cargo, read_text, Kind};

/// A lockfile's packages and who depends on whom.
#[derive(Debug, Clone, Default)]
pub struct DepGraph {
    /// `name version` of each node, for display.
    labels: Vec<String>,
    /// `(name, version)` of each node.
    keys: Vec<(String, String)>,
    edges: Vec<Vec<usize>>,
    roots: Vec<usize>,
}

impl DepGraph {
    fn node(&mut self, name: &str, version: &str) -> usize {
        self.keys.push((name.to_string(), version.to_string()));
        self.labels.push(if version.is_empty() {
            name.to_string()
        } else {
            format!("{name} {version}")
        });
        self.edges.push(Vec::new());
        self.keys.len() - 1
    }

    /// The shortest path from a root to each `(name, version)` asked for
    /// that the graph holds: node labels, root first, the package last.
    pub fn paths_to(&self, wanted: &[(&str, &str)]) -> HashMap<(String, String), Vec<String>> {
        let mut parent: Vec<Option<usize>> = vec![None; self.keys.len()];
        let mut seen = vec![false; self.keys.len()];
        let mut queue = VecDeque::new();
        for &r in &self.roots {
            seen[r] = true;
            queue.push_back(r);
        }
        while let Some(n) = queue.pop_front() {
            for &d in &self.edges[n] {
                if !seen[d] {
                    seen[d] = true;
                    parent[d] = Some(n);
                    queue.push_back(d);
                }
            }
        }
        let mut out = HashMap::new();
        for &(name, version) in wanted {
            let Some(target) = (0..self.keys.len())
                .filter(|&i| seen[i] && self.keys[i].0 == name && self.keys[i].1 == version)
                .min_by_key(|&i| depth(&parent, i))
            else {
                continue;
            };
            let mut chain = vec![target];
            while let Some(p) = parent[*chain.last().unwrap_or(&target)] {
                chain.push(p);
            }
            chain.reverse();
            out.insert(
                (name.to_string(), version.to_string()),
                chain.into_iter().map(|i| self.labels[i].clone()).collect(),
            );
        }
        out
    }
}

fn depth(parent: &[Option<usize>], mut i: usize) -> usize {
    let mut d = 0;
    while let Some(p) = parent[i] {
        d += 1;
        i = p;
    }
    d
}

/// The graph of the lockfile at `path`, if its format has one and it reads.
pub fn of_file(path: &Path) -> Option<DepGraph> {
    let kind = Kind::detect(path)?;
    let text = read_text(path).ok()?;
    match kind {
        Kind::CargoLock => cargo_graph(&text, path),
        Kind::PackageLock => npm_graph(&text),
        Kind::GemfileLock => gem_graph(&text),
        _ => None,
    }
}

fn cargo_graph(text: &str, path: &Path) -> Option<DepGraph> {
    let lock = match cargo::scan_lock(text) {
        Some(l) => l,
        None => cargo::parse_lock_toml(text, path).ok()?,
    };
    let mut g = DepGraph::default();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for e in &lock.entries {
        let i = g.node(&e.name, &e.version);
        by_name.entry(e.name.as_ref()).or_default().push(i);
        if e.source.is_none() && !e.checksum {
            g.roots.push(i);
        }
    }
    for (i, e) in lock.entries.iter().enumerate() {
        for d in e.deps() {
            let mut parts = d.split(' ');
            let name = parts.next().unwrap_or_default();
            let version = parts.next();
            let Some(candidates) = by_name.get(name) else {
                continue;
            };
            let to = candidates
                .iter()
                .copied()
                .find(|&c| version.is_none_or(|v| g.keys[c].1 == v));
            if let Some(to) = to {
                g.edges[i].push(to);
            }
        }
    }
    Some(g)
}

fn gem_graph(text: &str) -> Option<DepGraph> {
    let mut g = DepGraph::default();
    let project = g.node("(project)", "");
    g.roots.push(project);
    let mut by_name: HashMap<String, usize> = HashMap::new();
    // First the specs (nodes), remembering each one's dependency names.
    let mut deps: Vec<(usize, String)> = Vec::new();
    let mut direct: Vec<String> = Vec::new();
    let (mut section, mut current) = ("", None);
    for line in text.lines() {
        let line = line.trim_end();
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            section = line;
            current = None;
            continue;
        }
        let item = line.trim_start();
        let name = item.split([' ', '!']).next().unwrap_or(item);
        match (section, indent) {
            ("GEM" | "GIT" | "PATH", 4) => {
                let (name, version) = super::ruby::spec(item).ok()?;
                let i = g.node(name, version);
                by_name.entry(name.to_string()).or_insert(i);
                current = Some(i);
            }
            ("GEM" | "GIT" | "PATH", 6) => {
                if let Some(i) = current {
                    deps.push((i, name.to_string()));
                }
            }
            ("DEPENDENCIES", 2) => direct.push(name.to_string()),
            _ => {}
        }
    }
    for name in direct {
        if let Some(&to) = by_name.get(&name) {
            g.edges[project].push(to);
        }
    }
    for (from, name) in deps {
        if let Some(&to) = by_name.get(&name) {
            g.edges[from].push(to);
        }
    }
    Some(g)
}

#[derive(Deserialize)]
struct NpmLock {
    packages: Option<HashMap<String, NpmEntry>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NpmEntry {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    dependencies: HashMap<String, serde_json::Value>,
    #[serde(default)]
    dev_dependencies: HashMap<String, serde_json::Value>,
    #[serde(default)]
    optional_dependencies: HashMap<String, serde_json::Value>,
    #[serde(default)]
    peer_dependencies: HashMap<String, serde_json::Value>,
}

fn npm_graph(text: &str) -> Option<DepGraph> {
    let lock: NpmLock = serde_json::from_str(text).ok()?;
    let packages = lock.packages?;
    let mut g = DepGraph::default();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut keys: Vec<&String> = packages.keys().collect();
    keys.sort();
    for key in &keys {
        let e = &packages[*key];
        let name = match key.rfind("node_modules/") {
            Some(i) => e
                .name
                .clone()
                .unwrap_or_else(|| key[i + "node_modules/".len()..].to_string()),
            None if key.is_empty() => e.name.clone().unwrap_or_else(|| "(project)".into()),
            None => e.name.clone().unwrap_or_else(|| key.to_string()),
        };
        let i = g.node(&name, e.version.as_deref().unwrap_or(""));
        index.insert(key.as_str(), i);
        if !key.contains("node_modules/") {
            g.roots.push(i); // the project and its workspace folders
        }
    }
    for key in &keys {
        let e = &packages[*key];
        let from = index[key.as_str()];
        let names = e
            .dependencies
            .keys()
            .chain(e.optional_dependencies.keys())
            .chain(e.peer_dependencies.keys())
            .chain(e.dev_dependencies.keys());
        for dep in names {
            if let Some(to) = resolve_node(&index, key, dep) {
                g.edges[from].push(to);
            }
        }
    }
    Some(g)
}

/// Where Node finds `dep` required from the package at `key`: its own
/// `node_modules`, then each enclosing one up to the top.
fn resolve_node(index: &HashMap<&str, usize>, key: &str, dep: &str) -> Option<usize> {
    let mut base = key.to_string();
    loop {
        let candidate = if base.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{base}/node_modules/{dep}")
        };
        if let Some(&i) = index.get(candidate.as_str()) {
            return Some(i);
        }
        if base.is_empty() {
            return None;
        }
        base = match base.rfind("/node_modules/") {
            Some(i) => base[..i].to_string(),
            None => String::new(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_resolution_walks_up() {
        let mut index = HashMap::new();
        index.insert("node_modules/a", 1);
        index.insert("node_modules/a/node_modules/b", 2);
        index.insert("node_modules/b", 3);
        assert_eq!(resolve_node(&index, "node_modules/a", "b"), Some(2));
        assert_eq!(resolve_node(&index, "", "b"), Some(3));
        assert_eq!(
            resolve_node(&index, "node_modules/a/node_modules/b", "a"),
            Some(1)
        );
        assert_eq!(resolve_node(&index, "node_modules/a", "c"), None);
    }
}
