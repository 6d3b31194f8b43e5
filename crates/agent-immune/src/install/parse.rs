//! From one program invocation to the installs it asks for.
//!
//! Each package manager is described by the verbs that install and the
//! options that take a value (so a value is never mistaken for a package).
//! Anything not recognised as an install yields nothing: this is a reader of
//! package-manager command lines, not a validator of them.

use super::{Install, Target};
use crate::types::Ecosystem;

/// The installs `argv` asks for (empty when it is not an install).
pub fn parse(argv: &[String]) -> Vec<Install> {
    let Some(prog) = argv.first() else {
        return Vec::new();
    };
    let prog = prog.rsplit('/').next().unwrap_or(prog);
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    let shape = match shape_of(prog, &args) {
        Some(s) => s,
        None => return Vec::new(),
    };
    let (tool, rest) = shape;
    collect(tool, rest)
}

/// A package manager's install verb.
#[derive(Clone, Copy)]
struct Tool {
    /// Shown to the user: `pip install`.
    name: &'static str,
    eco: Option<Ecosystem>,
    /// Options taking a value (long and short spellings).
    valued: &'static [&'static str],
    /// Options whose value names a foreign registry or index.
    index: &'static [&'static str],
    /// Options whose value is a git repository.
    git: &'static [&'static str],
    /// Options whose value is a requirements file.
    requirements: &'static [&'static str],
    /// Options whose value is a package to install (`npx -p X`, `--package X`).
    package: &'static [&'static str],
    /// Options whose value is a version for the packages (`cargo install --version`).
    version: &'static [&'static str],
    /// Only the first positional is a package (`npx pkg args…`).
    first_only: bool,
}

const PIP: Tool = Tool {
    name: "pip install",
    eco: Some(Ecosystem::PyPI),
    valued: &[
        "-c",
        "--constraint",
        "-t",
        "--target",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--root",
        "--prefix",
        "--src",
        "--upgrade-strategy",
        "--config-settings",
        "--global-option",
        "--install-option",
        "--no-binary",
        "--only-binary",
        "--progress-bar",
        "--report",
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--python",
        "-p",
    ],
    index: &[
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--index",
        "--default-index",
    ],
    git: &[],
    requirements: &["-r", "--requirement"],
    package: &["-e", "--editable", "--with"],
    version: &[],
    first_only: false,
};

const PIP_RUN: Tool = Tool {
    name: "pipx run",
    first_only: true,
    ..PIP
};

const NPM: Tool = Tool {
    name: "npm install",
    eco: Some(Ecosystem::Npm),
    valued: &[
        "--prefix",
        "-C",
        "--dir",
        "--workspace",
        "-w",
        "--tag",
        "--omit",
        "--include",
        "--cache",
        "--userconfig",
        "--filter",
        "--call",
        "-c",
    ],
    index: &["--registry"],
    git: &[],
    requirements: &[],
    package: &["-p", "--package"],
    version: &[],
    first_only: false,
};

const NPX: Tool = Tool {
    name: "npx",
    first_only: true,
    ..NPM
};

const CARGO_ADD: Tool = Tool {
    name: "cargo add",
    eco: Some(Ecosystem::CratesIo),
    valued: &[
        "-F",
        "--features",
        "--rename",
        "--target",
        "-p",
        "--package",
        "--manifest-path",
        "--lockfile-path",
        "--root",
        "-j",
        "--jobs",
        "--profile",
        "--bin",
        "--example",
        "--config",
        "-Z",
        "--color",
        "--branch",
        "--tag",
        "--rev",
        "--target-dir",
    ],
    index: &["--registry", "--index"],
    git: &["--git"],
    requirements: &[],
    package: &[],
    version: &["--vers", "--version"],
    first_only: false,
};

const GO: Tool = Tool {
    name: "go get",
    eco: Some(Ecosystem::Go),
    valued: &[
        "-C",
        "-o",
        "-modfile",
        "-mod",
        "-tags",
        "-ldflags",
        "-gcflags",
        "-p",
        "-exec",
        "-overlay",
        "-pkgdir",
        "-toolexec",
    ],
    index: &[],
    git: &[],
    requirements: &[],
    package: &[],
    version: &[],
    first_only: false,
};

const GO_RUN: Tool = Tool {
    name: "go run",
    first_only: true,
    ..GO
};

const OTHER: Tool = Tool {
    name: "",
    eco: None,
    valued: &[
        "-v",
        "--version",
        "-i",
        "--install-dir",
        "--source",
        "-s",
        "--working-dir",
        "-d",
    ],
    index: &["--source", "--clear-sources"],
    git: &["--git"],
    requirements: &[],
    package: &[],
    version: &[],
    first_only: false,
};

/// npm's spellings of `install` (npm accepts every prefix and some typos).
const NPM_INSTALL: &[&str] = &[
    "install",
    "i",
    "in",
    "ins",
    "inst",
    "insta",
    "instal",
    "isnt",
    "isnta",
    "isntal",
    "isntall",
    "add",
    "install-test",
    "it",
    "install-ci-test",
    "update",
    "up",
    "upgrade",
];

/// Which tool `prog args` is, and the arguments after its install verb.
fn shape_of<'a>(prog: &str, args: &'a [&'a str]) -> Option<(Tool, &'a [&'a str])> {
    let sub = |verbs: &[&str]| -> Option<&'a [&'a str]> {
        let i = first_positional(args)?;
        verbs.contains(&args[i]).then(|| &args[i + 1..])
    };
    let named = |t: Tool, name: &'static str| Tool { name, ..t };
    if is_pip(prog) {
        return sub(&["install", "download", "wheel"]).map(|r| (PIP, r));
    }
    if is_python(prog) {
        let m = args.iter().position(|a| *a == "-m")?;
        if args.get(m + 1).copied() == Some("pip") {
            let rest = &args[m + 2..];
            let i = first_positional(rest)?;
            return (rest[i] == "install").then(|| (PIP, &rest[i + 1..]));
        }
        return None;
    }
    match prog {
        "uv" => {
            let i = first_positional(args)?;
            match args[i] {
                "add" => Some((named(PIP, "uv add"), &args[i + 1..])),
                "pip" => {
                    let rest = &args[i + 1..];
                    let j = first_positional(rest)?;
                    (rest[j] == "install").then(|| (named(PIP, "uv pip install"), &rest[j + 1..]))
                }
                "tool" => {
                    let rest = &args[i + 1..];
                    let j = first_positional(rest)?;
                    match rest[j] {
                        "install" => Some((named(PIP, "uv tool install"), &rest[j + 1..])),
                        "run" => Some((named(PIP_RUN, "uv tool run"), &rest[j + 1..])),
                        _ => None,
                    }
                }
                "run" => {
                    // `uv run --with PKG …` installs PKG; the command run is not a package.
                    let until = args[i + 1..]
                        .iter()
                        .position(|a| !a.starts_with('-'))
                        .map_or(args.len(), |p| i + 1 + p);
                    Some((named(PIP_RUN, "uv run"), &args[i + 1..until]))
                }
                _ => None,
            }
        }
        "uvx" => Some((named(PIP_RUN, "uvx"), args)),
        "poetry" => sub(&["add"]).map(|r| (named(PIP, "poetry add"), r)),
        "pdm" => sub(&["add"]).map(|r| (named(PIP, "pdm add"), r)),
        "pipenv" => sub(&["install"]).map(|r| (named(PIP, "pipenv install"), r)),
        "pipx" => {
            let i = first_positional(args)?;
            match args[i] {
                "install" | "inject" => Some((named(PIP, "pipx install"), &args[i + 1..])),
                "run" => Some((PIP_RUN, &args[i + 1..])),
                _ => None,
            }
        }
        "npm" => {
            let i = first_positional(args)?;
            if NPM_INSTALL.contains(&args[i]) {
                Some((named(NPM, "npm install"), &args[i + 1..]))
            } else if matches!(args[i], "exec" | "x") {
                Some((named(NPX, "npm exec"), &args[i + 1..]))
            } else {
                None
            }
        }
        "npx" => Some((NPX, args)),
        "yarn" => {
            let i = first_positional(args)?;
            match args[i] {
                "add" | "global" if args[i] == "add" || args.get(i + 1) == Some(&"add") => {
                    let skip = if args[i] == "global" { 2 } else { 1 };
                    Some((named(NPM, "yarn add"), &args[i + skip..]))
                }
                "dlx" => Some((named(NPX, "yarn dlx"), &args[i + 1..])),
                _ => None,
            }
        }
        "pnpm" => {
            let i = first_positional(args)?;
            match args[i] {
                "add" | "install" | "i" | "update" | "up" => {
                    Some((named(NPM, "pnpm add"), &args[i + 1..]))
                }
                "dlx" => Some((named(NPX, "pnpm dlx"), &args[i + 1..])),
                _ => None,
            }
        }
        "pnpx" => Some((named(NPX, "pnpx"), args)),
        "bun" => {
            let i = first_positional(args)?;
            match args[i] {
                "add" | "install" | "i" | "a" => Some((named(NPM, "bun add"), &args[i + 1..])),
                "x" => Some((named(NPX, "bun x"), &args[i + 1..])),
                _ => None,
            }
        }
        "bunx" => Some((named(NPX, "bunx"), args)),
        "cargo" => {
            let i = first_positional(args)?;
            match args[i] {
                "add" => Some((CARGO_ADD, &args[i + 1..])),
                "install" => Some((named(CARGO_ADD, "cargo install"), &args[i + 1..])),
                "binstall" => Some((named(CARGO_ADD, "cargo binstall"), &args[i + 1..])),
                _ => None,
            }
        }
        "go" => {
            let i = first_positional(args)?;
            match args[i] {
                "get" => Some((GO, &args[i + 1..])),
                "install" => Some((named(GO, "go install"), &args[i + 1..])),
                "run" => Some((GO_RUN, &args[i + 1..])),
                _ => None,
            }
        }
        "gem" => sub(&["install", "i"]).map(|r| (named(OTHER, "gem install"), r)),
        "bundle" => sub(&["add"]).map(|r| (named(OTHER, "bundle add"), r)),
        "composer" => sub(&["require", "global"]).map(|r| (named(OTHER, "composer require"), r)),
        "conda" | "mamba" | "micromamba" => {
            sub(&["install"]).map(|r| (named(OTHER, "conda install"), r))
        }
        _ => None,
    }
}

fn is_pip(prog: &str) -> bool {
    prog.strip_prefix("pip")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_python(prog: &str) -> bool {
    prog.strip_prefix("python")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Index of the first argument that is not an option (global options of
/// the package managers before the verb take no value in the forms agents
/// type, except the few listed here).
fn first_positional(args: &[&str]) -> Option<usize> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if matches!(
            a,
            "-C" | "--prefix"
                | "--directory"
                | "--project"
                | "--cwd"
                | "--manifest-path"
                | "--config"
        ) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') || a == "-" {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn collect(tool: Tool, args: &[&str]) -> Vec<Install> {
    let mut out = Vec::new();
    let mut index = None;
    let mut version = None;
    let mut git = None;
    let mut specs: Vec<String> = Vec::new();
    let mut requirements = Vec::new();
    let mut i = 0;
    let mut ended = false;
    while i < args.len() {
        let a = args[i];
        if ended || !a.starts_with('-') || a == "-" {
            specs.push(a.to_owned());
            if tool.first_only {
                break;
            }
            i += 1;
            continue;
        }
        if a == "--" {
            ended = true;
            i += 1;
            continue;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (a, None),
        };
        let takes = |list: &[&str]| list.contains(&flag);
        let valued = takes(tool.valued)
            || takes(tool.index)
            || takes(tool.git)
            || takes(tool.requirements)
            || takes(tool.package)
            || takes(tool.version);
        let value = if !valued {
            None
        } else if let Some(v) = inline {
            Some(v.to_owned())
        } else {
            i += 1;
            args.get(i).map(|v| (*v).to_owned())
        };
        if let Some(v) = value {
            if takes(tool.index) {
                if !is_default_index(tool.eco, &v) {
                    index = Some(v);
                }
            } else if takes(tool.git) {
                git = Some(v);
            } else if takes(tool.requirements) {
                requirements.push(v);
            } else if takes(tool.package) {
                specs.push(v);
            } else if takes(tool.version) {
                version = Some(v);
            }
        }
        i += 1;
    }
    let install = |spec: &str, target: Target| Install {
        tool: tool.name.to_owned(),
        ecosystem: tool.eco,
        spec: spec.to_owned(),
        target,
        index: index.clone(),
    };
    if let Some(repo) = &git {
        out.push(install(repo, Target::Git(repo.clone())));
        return out;
    }
    for file in requirements {
        out.push(install(&file, Target::Requirements(file.clone())));
    }
    for spec in specs {
        let mut target = match tool.eco {
            Some(Ecosystem::PyPI) => pypi_target(&spec),
            Some(Ecosystem::Npm) => npm_target(&spec),
            Some(Ecosystem::CratesIo) => crate_target(&spec, tool.name == "cargo add"),
            Some(Ecosystem::Go) => go_target(&spec),
            Some(Ecosystem::RubyGems | Ecosystem::Packagist) | None => generic_target(&spec),
        };
        if let (
            Some(v),
            Target::Registry {
                version: pin,
                requirement,
                ..
            },
        ) = (&version, &mut target)
        {
            let exact = v.trim_start_matches('=');
            if is_exact_version(exact) {
                *pin = Some(exact.to_owned());
            } else {
                *requirement = Some(v.clone());
            }
        }
        out.push(install(&spec, target));
    }
    out
}

/// Naming the default registry explicitly is not a foreign index.
fn is_default_index(eco: Option<Ecosystem>, url: &str) -> bool {
    let u = url.trim_end_matches('/');
    match eco {
        Some(Ecosystem::PyPI) => matches!(
            u,
            "https://pypi.org/simple" | "https://pypi.python.org/simple"
        ),
        Some(Ecosystem::Npm) => matches!(
            u,
            "https://registry.npmjs.org" | "https://registry.npmjs.com"
        ),
        Some(Ecosystem::CratesIo) => matches!(
            u,
            "crates-io"
                | "https://github.com/rust-lang/crates.io-index"
                | "sparse+https://index.crates.io"
        ),
        _ => false,
    }
}

/// Non-registry forms shared by every ecosystem: URLs, git, local paths.
fn local_or_remote(spec: &str) -> Option<Target> {
    let lower = spec.to_ascii_lowercase();
    if lower.starts_with("git+")
        || lower.starts_with("git://")
        || lower.starts_with("git@")
        || lower.starts_with("ssh://")
        || lower.ends_with(".git")
        || lower.starts_with("github:")
        || lower.starts_with("gitlab:")
        || lower.starts_with("bitbucket:")
        || lower.starts_with("gist:")
    {
        return Some(Target::Git(spec.to_owned()));
    }
    if lower.contains("://") {
        return Some(Target::Url(spec.to_owned()));
    }
    let archive = [
        ".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".crate", ".egg", ".gem",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext));
    let path_like = spec.starts_with('.')
        || spec.starts_with('/')
        || spec.starts_with('~')
        || lower.starts_with("file:");
    if archive {
        return Some(Target::Archive(spec.to_owned()));
    }
    if path_like {
        return Some(Target::Directory(spec.to_owned()));
    }
    None
}

fn registry(name: &str, version: Option<&str>, requirement: Option<&str>) -> Target {
    Target::Registry {
        name: name.to_owned(),
        version: version.map(str::to_owned),
        requirement: requirement.filter(|r| !r.is_empty()).map(str::to_owned),
    }
}

/// `1.2.3`, `1.2`, `1.2.3-rc.1`, `v1.2.3`: a single version, no operator.
fn is_exact_version(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let mut chars = v.chars();
    chars.next().is_some_and(|c| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '!'))
        && !v.contains('*')
}

fn pypi_target(spec: &str) -> Target {
    if let Some((_, url)) = spec
        .split_once(" @ ")
        .or_else(|| spec.split_once('@').filter(|(_, u)| u.contains("://")))
    {
        return local_or_remote(url.trim()).unwrap_or_else(|| Target::Url(url.trim().to_owned()));
    }
    if let Some(t) = local_or_remote(spec) {
        return t;
    }
    let spec = spec.split(';').next().unwrap_or(spec).trim();
    let end = spec
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..end];
    let rest = spec[end..].trim();
    let rest = match rest.strip_prefix('[') {
        Some(r) => r.split_once(']').map_or("", |(_, after)| after).trim(),
        None => rest,
    };
    let pinned = rest
        .strip_prefix("===")
        .or_else(|| rest.strip_prefix("=="))
        .map(str::trim)
        .filter(|v| is_exact_version(v) && !v.contains(','));
    registry(
        name,
        pinned,
        if pinned.is_some() { None } else { Some(rest) },
    )
}

fn npm_target(spec: &str) -> Target {
    if let Some(t) = local_or_remote(spec) {
        return t;
    }
    let spec = spec.strip_prefix("npm:").unwrap_or(spec);
    let (name, version) = match spec.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('@') {
            Some((n, v)) => (&spec[..n.len() + 1], Some(v)),
            None => (spec, None),
        },
        None => match spec.split_once('@') {
            Some((n, v)) => (n, Some(v)),
            None => (spec, None),
        },
    };
    // `user/repo` is GitHub shorthand.
    if !name.starts_with('@') && name.contains('/') {
        return Target::Git(spec.to_owned());
    }
    let pinned = version.filter(|v| is_exact_version(v));
    registry(name, pinned, if pinned.is_some() { None } else { version })
}

fn crate_target(spec: &str, caret_default: bool) -> Target {
    if let Some(t) = local_or_remote(spec) {
        return t;
    }
    match spec.split_once('@') {
        Some((name, v)) => {
            let exact = v
                .strip_prefix('=')
                .filter(|e| is_exact_version(e))
                .or_else(|| {
                    // `cargo install x@1.2.3` is exact; `cargo add x@1.2.3` is `^1.2.3`.
                    (!caret_default && is_exact_version(v)).then_some(v)
                });
            registry(name, exact, if exact.is_some() { None } else { Some(v) })
        }
        None => registry(spec, None, None),
    }
}

fn go_target(spec: &str) -> Target {
    if spec.starts_with('.') || spec.starts_with('/') {
        return Target::Directory(spec.to_owned());
    }
    let (module, v) = match spec.split_once('@') {
        Some((m, v)) => (m, Some(v)),
        None => (spec, None),
    };
    // `./...`-style patterns and `all` are the module's own packages.
    if module == "all" || !module.contains('.') {
        return Target::Directory(spec.to_owned());
    }
    let module = module.trim_end_matches("/...");
    let pinned = v.filter(|v| v.starts_with('v') && is_exact_version(v));
    registry(module, pinned, if pinned.is_some() { None } else { v })
}

fn generic_target(spec: &str) -> Target {
    local_or_remote(spec).unwrap_or_else(|| registry(spec, None, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(cmd: &str) -> Install {
        let argv: Vec<String> = cmd.split_whitespace().map(String::from).collect();
        let mut v = parse(&argv);
        assert_eq!(v.len(), 1, "{cmd}: {v:?}");
        v.remove(0)
    }

    fn reg(cmd: &str) -> (String, Option<String>) {
        match one(cmd).target {
            Target::Registry { name, version, .. } => (name, version),
            t => panic!("{cmd}: {t:?}"),
        }
    }

    #[test]
    fn pins_and_names() {
        assert_eq!(
            reg("pip install requests==2.19.0"),
            ("requests".into(), Some("2.19.0".into()))
        );
        assert_eq!(reg("pip3 install -U Django>=3"), ("Django".into(), None));
        assert_eq!(
            reg("python3 -m pip install --user flask[async]==2.0.1"),
            ("flask".into(), Some("2.0.1".into()))
        );
        assert_eq!(
            reg("npm i lodash@4.17.20"),
            ("lodash".into(), Some("4.17.20".into()))
        );
        assert_eq!(
            reg("npm install --save-dev @types/node@^20"),
            ("@types/node".into(), None)
        );
        assert_eq!(reg("cargo add serde@1.0.1"), ("serde".into(), None));
        assert_eq!(
            reg("cargo add time@=0.1.43"),
            ("time".into(), Some("0.1.43".into()))
        );
        assert_eq!(
            reg("cargo install ripgrep --version 13.0.0"),
            ("ripgrep".into(), Some("13.0.0".into()))
        );
        assert_eq!(
            reg("go get golang.org/x/net@v0.7.0"),
            ("golang.org/x/net".into(), Some("v0.7.0".into()))
        );
        assert_eq!(reg("uv add httpx"), ("httpx".into(), None));
        assert_eq!(
            reg("npx cowsay@1.5.0 hello"),
            ("cowsay".into(), Some("1.5.0".into()))
        );
    }

    #[test]
    fn unverifiable_sources() {
        assert!(matches!(
            one("pip install git+https://github.com/x/y").target,
            Target::Git(_)
        ));
        assert!(matches!(
            one("pip install https://x.example/p-1.0.tar.gz").target,
            Target::Url(_)
        ));
        assert!(matches!(
            one("pip install ./dist/p-1.0-py3-none-any.whl").target,
            Target::Archive(_)
        ));
        assert!(matches!(one("npm i user/repo").target, Target::Git(_)));
        assert!(matches!(
            one("cargo install --git https://github.com/x/y").target,
            Target::Git(_)
        ));
        assert_eq!(
            one("pip install -i https://evil.example/simple requests")
                .index
                .as_deref(),
            Some("https://evil.example/simple")
        );
        assert_eq!(
            one("npm i --registry=https://r.example lodash")
                .index
                .as_deref(),
            Some("https://r.example")
        );
        assert!(
            one("pip install --index-url https://pypi.org/simple/ requests")
                .index
                .is_none()
        );
    }

    #[test]
    fn not_installs() {
        for cmd in [
            "pip list",
            "npm test",
            "npm run build",
            "cargo build",
            "go build ./...",
            "yarn",
            "ls -la",
            "python3 -m pytest",
            "pip install",
        ] {
            let argv: Vec<String> = cmd.split_whitespace().map(String::from).collect();
            assert!(parse(&argv).is_empty(), "{cmd}");
        }
    }

    #[test]
    fn option_values_are_not_packages() {
        let argv: Vec<String> = "pip install -t /tmp/x --cache-dir /c requests==1.0"
            .split_whitespace()
            .map(String::from)
            .collect();
        let v = parse(&argv);
        assert_eq!(v.len(), 1, "{v:?}");
    }
}
