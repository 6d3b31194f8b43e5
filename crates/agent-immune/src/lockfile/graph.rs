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

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::{cargo, read_text, Kind};

/// `(name, version)` → the path to it: `name version` labels, the project
/// first, the package last.
pub type Paths = HashMap<(String, String), Vec<String>>;

/// The shortest path from the project to each `(name, version)` asked for,
/// in the lockfile at `path` (empty when its format has no graph or it does
/// not read).
pub fn paths_in_file(path: &Path, wanted: &[(&str, &str)]) -> Paths {
    index_file(path)
        .map(|i| i.paths_to(wanted))
        .unwrap_or_default()
}

/// Every package's shortest way in from the project, computed once.
#[derive(Debug, Default)]
pub struct PathIndex {
    keys: Vec<(String, String)>,
    parent: Vec<Option<usize>>,
    depth: Vec<usize>,
}

impl PathIndex {
    /// The path to each `(name, version)` asked for that the graph reaches.
    pub fn paths_to(&self, wanted: &[(&str, &str)]) -> Paths {
        let mut out = Paths::new();
        for &(name, version) in wanted {
            let Some(target) = (0..self.keys.len())
                .filter(|&i| self.depth[i] != usize::MAX)
                .filter(|&i| self.keys[i].0 == name && self.keys[i].1 == version)
                .min_by_key(|&i| self.depth[i])
            else {
                continue;
            };
            let mut chain = vec![target];
            let mut at = target;
            while let Some(p) = self.parent[at] {
                chain.push(p);
                at = p;
            }
            chain.reverse();
            let labels = chain
                .into_iter()
                .map(|i| {
                    let (n, v) = &self.keys[i];
                    if v.is_empty() {
                        n.clone()
                    } else {
                        format!("{n} {v}")
                    }
                })
                .collect();
            out.insert((name.to_string(), version.to_string()), labels);
        }
        out
    }
}

/// The [`PathIndex`] of the lockfile at `path`, if its format has a graph
/// and it reads.
pub fn index_file(path: &Path) -> Option<PathIndex> {
    let kind = Kind::detect(path)?;
    let text = read_text(path).ok()?;
    let graph = match kind {
        Kind::CargoLock => cargo_graph(&text, path),
        Kind::PackageLock => npm_graph(&text),
        Kind::GemfileLock => gem_graph(&text),
        _ => None,
    }?;
    Some(graph.index())
}

/// A lockfile's packages (borrowed from its text) and who depends on whom,
/// edges in one flat list.
#[derive(Debug, Default)]
struct DepGraph<'t> {
    keys: Vec<(Cow<'t, str>, Cow<'t, str>)>,
    /// Edges of node `i`: `targets[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    targets: Vec<usize>,
    roots: Vec<usize>,
}

impl<'t> DepGraph<'t> {
    fn node(&mut self, name: impl Into<Cow<'t, str>>, version: impl Into<Cow<'t, str>>) -> usize {
        self.keys.push((name.into(), version.into()));
        self.keys.len() - 1
    }

    /// Starts node `i`'s edges; call in node order, then [`Self::edge`].
    fn begin(&mut self) {
        self.offsets.push(self.targets.len());
    }

    fn edge(&mut self, to: usize) {
        self.targets.push(to);
    }

    fn edges(&self, i: usize) -> &[usize] {
        let end = self
            .offsets
            .get(i + 1)
            .copied()
            .unwrap_or(self.targets.len());
        &self.targets[self.offsets[i]..end]
    }

    /// Breadth-first from the roots: each node's parent on a shortest path.
    fn index(self) -> PathIndex {
        let n = self.keys.len();
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut depth = vec![usize::MAX; n];
        let mut queue = VecDeque::new();
        for &r in &self.roots {
            depth[r] = 0;
            queue.push_back(r);
        }
        while let Some(i) = queue.pop_front() {
            for &d in self.edges(i) {
                if depth[d] == usize::MAX {
                    depth[d] = depth[i] + 1;
                    parent[d] = Some(i);
                    queue.push_back(d);
                }
            }
        }
        PathIndex {
            keys: self
                .keys
                .into_iter()
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect(),
            parent,
            depth,
        }
    }
}

fn cargo_graph<'t>(text: &'t str, path: &Path) -> Option<DepGraph<'t>> {
    let lock = match cargo::scan_lock(text) {
        Some(l) => l,
        None => cargo::parse_lock_toml(text, path).ok()?,
    };
    let mut g = DepGraph::default();
    // Each name's entries, in file order (usually one; a few crates appear
    // at two versions).
    let mut by_name: rustc_hash::FxHashMap<&str, Vec<usize>> = rustc_hash::FxHashMap::default();
    by_name.reserve(lock.entries.len());
    for (i, e) in lock.entries.iter().enumerate() {
        g.node(e.name.clone(), e.version.clone());
        by_name.entry(e.name.as_ref()).or_default().push(i);
        if e.source.is_none() && !e.checksum {
            g.roots.push(i);
        }
    }
    for e in &lock.entries {
        g.begin();
        for d in e.deps() {
            let (name, rest) = d.split_once(' ').unwrap_or((d, ""));
            let version = rest.split(' ').next().filter(|v| !v.is_empty());
            let to = by_name.get(name).and_then(|ids| {
                ids.iter()
                    .copied()
                    .find(|&i| version.is_none_or(|v| lock.entries[i].version == v))
            });
            if let Some(to) = to {
                g.edge(to);
            }
        }
    }
    Some(g)
}

fn gem_graph(text: &str) -> Option<DepGraph<'_>> {
    let mut g = DepGraph::default();
    let project = g.node("(project)", "");
    g.roots.push(project);
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    // The specs (nodes) with their dependency names, and the direct gems.
    let mut deps: Vec<(usize, &str)> = Vec::new();
    let mut direct: Vec<&str> = Vec::new();
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
                by_name.entry(name).or_insert(i);
                current = Some(i);
            }
            ("GEM" | "GIT" | "PATH", 6) => {
                if let Some(i) = current {
                    deps.push((i, name));
                }
            }
            ("DEPENDENCIES", 2) => direct.push(name),
            _ => {}
        }
    }
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); g.keys.len()];
    edges[project] = direct
        .iter()
        .filter_map(|n| by_name.get(n).copied())
        .collect();
    for (from, name) in deps {
        if let Some(&to) = by_name.get(name) {
            edges[from].push(to);
        }
    }
    for e in edges {
        g.begin();
        e.into_iter().for_each(|to| g.edge(to));
    }
    Some(g)
}

/// A string borrowed from the text when it has no escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// The names of a JSON object's keys, values skipped unread.
#[derive(Debug, Default)]
struct Keys<'a>(Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Keys<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Keys<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Keys<'a>, M::Error> {
                let mut keys = Vec::new();
                while let Some(Str(k)) = map.next_key::<Str<'a>>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct NpmLock<'a> {
    #[serde(borrow)]
    packages: Option<BTreeMap<Cow<'a, str>, NpmEntry<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NpmEntry<'a> {
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dependencies: Keys<'a>,
    #[serde(borrow, default)]
    dev_dependencies: Keys<'a>,
    #[serde(borrow, default)]
    optional_dependencies: Keys<'a>,
    #[serde(borrow, default)]
    peer_dependencies: Keys<'a>,
}

fn npm_graph(text: &str) -> Option<DepGraph<'_>> {
    let lock: NpmLock<'_> = serde_json::from_str(text).ok()?;
    let packages = lock.packages?;
    let mut g = DepGraph::default();
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(packages.len());
    for (key, e) in &packages {
        let name: Cow<'_, str> = match (&e.name, key.rfind("node_modules/")) {
            (Some(n), _) => n.clone(),
            (None, Some(i)) => Cow::Owned(key[i + "node_modules/".len()..].to_string()),
            (None, None) if key.is_empty() => Cow::Borrowed("(project)"),
            (None, None) => key.clone(),
        };
        let i = g.node(
            name.into_owned(),
            e.version.as_deref().unwrap_or("").to_string(),
        );
        index.insert(key.as_ref(), i);
        if !key.contains("node_modules/") {
            g.roots.push(i); // the project and its workspace folders
        }
    }
    let mut buf = String::new();
    for (key, e) in &packages {
        g.begin();
        let names = e
            .dependencies
            .0
            .iter()
            .chain(&e.optional_dependencies.0)
            .chain(&e.peer_dependencies.0)
            .chain(&e.dev_dependencies.0);
        for dep in names {
            if let Some(to) = resolve_node(&index, key, dep, &mut buf) {
                g.edge(to);
            }
        }
    }
    Some(g)
}

/// Where Node finds `dep` required from the package at `key`: its own
/// `node_modules`, then each enclosing one up to the top. `buf` is scratch.
fn resolve_node(
    index: &HashMap<&str, usize>,
    key: &str,
    dep: &str,
    buf: &mut String,
) -> Option<usize> {
    let mut base = key;
    loop {
        buf.clear();
        if !base.is_empty() {
            buf.push_str(base);
            buf.push('/');
        }
        buf.push_str("node_modules/");
        buf.push_str(dep);
        if let Some(&i) = index.get(buf.as_str()) {
            return Some(i);
        }
        if base.is_empty() {
            return None;
        }
        base = match base.rfind("/node_modules/") {
            Some(i) => &base[..i],
            None => "",
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
        let mut buf = String::new();
        let mut r = |key, dep| resolve_node(&index, key, dep, &mut buf);
        assert_eq!(r("node_modules/a", "b"), Some(2));
        assert_eq!(r("", "b"), Some(3));
        assert_eq!(r("node_modules/a/node_modules/b", "a"), Some(1));
        assert_eq!(r("node_modules/a", "c"), None);
    }
}
