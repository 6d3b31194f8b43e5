//! Shared data types: ecosystems and resolved packages.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A package ecosystem, named as OSV names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    /// Rust crates (`crates.io`).
    #[serde(rename = "crates.io")]
    CratesIo,
    /// JavaScript packages (`npm`).
    #[serde(rename = "npm")]
    Npm,
    /// Python packages (`PyPI`).
    #[serde(rename = "PyPI")]
    PyPI,
    /// Go modules (`Go`), and the standard library as `stdlib`.
    #[serde(rename = "Go")]
    Go,
    /// Ruby gems (`RubyGems`).
    #[serde(rename = "RubyGems")]
    RubyGems,
    /// PHP packages (`Packagist`), as Composer installs them.
    #[serde(rename = "Packagist")]
    Packagist,
}

impl Ecosystem {
    /// Every ecosystem, in OSV's spelling order.
    pub const ALL: [Ecosystem; 6] = [
        Ecosystem::CratesIo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
    ];

    /// OSV's name: `crates.io`, `npm`, `PyPI`, `Go`, `RubyGems`, `Packagist`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Packagist => "Packagist",
        }
    }

    /// Parses OSV's name (case-insensitive; `pypi`, `crates-io` accepted).
    pub fn parse(s: &str) -> Option<Ecosystem> {
        match s.to_ascii_lowercase().as_str() {
            "crates.io" | "crates-io" | "cargo" | "rust" => Some(Ecosystem::CratesIo),
            "npm" | "node" => Some(Ecosystem::Npm),
            "pypi" | "python" | "pip" => Some(Ecosystem::PyPI),
            "go" | "golang" => Some(Ecosystem::Go),
            "rubygems" | "gem" | "gems" | "ruby" | "bundler" => Some(Ecosystem::RubyGems),
            "packagist" | "composer" | "php" => Some(Ecosystem::Packagist),
            _ => None,
        }
    }
}

impl std::fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resolved (or, when `approximate`, declared) dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Name as written in the file (normalise with `version::normalize_name` to match).
    pub name: String,
    /// Exact version; for an approximate package, the lowest version the
    /// declared requirement admits (e.g. `>=2.0,<3` → `2.0`).
    pub version: String,
    /// True when the version was not pinned by a lockfile (a manifest range
    /// or an unpinned requirement): the finding may not apply.
    pub approximate: bool,
    /// The requirement as declared, when `approximate`.
    pub requirement: Option<String>,
    /// File the package came from.
    pub source: PathBuf,
    /// 1-based line in that file, when known.
    pub line: Option<usize>,
}
