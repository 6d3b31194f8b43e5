//! Files that something runs or trusts *later*: writing one is not judged
//! by what the writing command does (it only writes a file) but by what the
//! file will make happen — a CI runner executing a workflow with the
//! repository's secrets, a package manager running a lifecycle script,
//! Python importing a `.pth` line at every start, an agent obeying its
//! settings and hooks.
//!
//! What it owns: the table of such files (data, with what runs each and in
//! which language its content is code) and the readers that pull the code
//! out of known content (a workflow's `run:` steps, a Makefile's recipes, a
//! Dockerfile's `RUN` lines, `package.json` scripts, `.pth` import lines,
//! `$GITHUB_ENV` assignments). What it must not do: decide. The language
//! modules report the write (`write.trusted_file`) and validate the code
//! they get back as what it is.
//!
//! Sources, per family: GitHub Actions — "Workflow syntax" and "Workflow
//! commands: setting an environment variable / adding a system path"
//! (docs.github.com); GitLab CI `.gitlab-ci.yml` reference; npm "scripts"
//! (lifecycle scripts run by `npm install`); Python `site` module docs
//! (`.pth` lines starting with `import` are executed; `sitecustomize`,
//! `usercustomize`); pytest "conftest.py: local per-directory plugins";
//! Cargo "build scripts" and "configuration" (`build.rustc-wrapper`); git
//! `githooks(5)`, `git-config(1)` (`core.hooksPath`, `core.fsmonitor`,
//! `core.sshCommand`), `gitattributes(5)` filters; direnv `.envrc`; VS Code
//! "Tasks" (`runOn: folderOpen`) and dev containers
//! (`postCreateCommand`); Claude Code "settings" and "hooks", the MCP
//! configuration files of Claude Code, Cursor and others; GNU make manual
//! (recipes run by the shell); Dockerfile reference (`RUN`). The
//! environment variables that load code are from `ld.so(8)`, Node's
//! `--require`/`NODE_OPTIONS`, bash's `BASH_ENV`, Python's `PYTHONSTARTUP`
//! / `PYTHONPATH`, git's `GIT_SSH_COMMAND`/`GIT_EXTERNAL_DIFF`, Perl's
//! `PERL5OPT`, Ruby's `RUBYOPT`.

/// How a trusted file's content is code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    /// The whole file is a shell script (hooks, `.envrc`).
    Shell,
    /// A GitHub Actions workflow: its `run:` steps are shell.
    Workflow,
    /// A Makefile: its recipe lines (tab-indented) are shell.
    Makefile,
    /// A Dockerfile: its `RUN` instructions are shell.
    Dockerfile,
    /// `package.json`: its `scripts` are shell (lifecycle ones run on install).
    PackageJson,
    /// Python source run on import or start-up.
    Python,
    /// A `.pth` file: lines starting with `import` are Python, run at start-up.
    Pth,
    /// `$GITHUB_ENV`: `NAME=value` lines every later step starts with.
    EnvFile,
    /// `$GITHUB_PATH`: directories every later step searches first.
    PathFile,
    /// Configuration that is trusted, not code in a language we validate.
    Opaque,
}

/// A file that runs or is trusted later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trusted {
    /// What the file is, for the message.
    pub what: &'static str,
    /// What runs or trusts it, for the message.
    pub runs: &'static str,
    /// Its content as code.
    pub content: Content,
}

const fn t(what: &'static str, runs: &'static str, content: Content) -> Trusted {
    Trusted {
        what,
        runs,
        content,
    }
}

/// How a table row matches a path (already normalised: quotes and a
/// leading `./` removed, `\` turned into `/`).
enum Match {
    /// The file's name.
    Name(&'static str),
    /// The file's name ends with this.
    Suffix(&'static str),
    /// The path contains this directory (`dir/` anywhere, or at the start).
    Dir(&'static str),
    /// The path ends with this (several components).
    Tail(&'static str),
}

use Content as C;
use Match::{Dir, Name, Suffix, Tail};

/// The table: first match wins, so specific rows come first.
#[rustfmt::skip]
const TABLE: &[(Match, Trusted)] = &[
    // CI: runs with the repository's secrets and tokens.
    (Dir(".github/workflows"), t("a GitHub Actions workflow", "GitHub Actions, with the repository's secrets", C::Workflow)),
    (Name(".gitlab-ci.yml"), t("the GitLab CI configuration", "GitLab CI, with the project's variables", C::Opaque)),
    (Dir(".circleci"), t("the CircleCI configuration", "CircleCI, with the project's secrets", C::Opaque)),
    (Name("azure-pipelines.yml"), t("an Azure Pipelines definition", "Azure Pipelines", C::Opaque)),
    (Name("Jenkinsfile"), t("a Jenkins pipeline", "Jenkins", C::Opaque)),
    (Name(".travis.yml"), t("the Travis CI configuration", "Travis CI", C::Opaque)),
    (Name("bitbucket-pipelines.yml"), t("a Bitbucket Pipelines definition", "Bitbucket Pipelines", C::Opaque)),
    (Dir(".buildkite"), t("a Buildkite pipeline", "Buildkite agents", C::Opaque)),
    (Dir(".github/actions"), t("a local GitHub Action", "GitHub Actions workflows that use it", C::Opaque)),
    (Name("action.yml"), t("a GitHub Action definition", "GitHub Actions workflows that use it", C::Opaque)),
    // Agent configuration: hooks, MCP servers, permissions, instructions.
    (Dir(".claude"), t("Claude Code configuration (settings, hooks, commands, agents)", "the coding agent, at its next start", C::Opaque)),
    (Name("CLAUDE.md"), t("instructions a coding agent follows", "the coding agent", C::Opaque)),
    (Name("AGENTS.md"), t("instructions a coding agent follows", "the coding agent", C::Opaque)),
    (Name("GEMINI.md"), t("instructions a coding agent follows", "the coding agent", C::Opaque)),
    (Name(".mcp.json"), t("MCP server definitions", "the coding agent, which starts the servers", C::Opaque)),
    (Dir(".cursor"), t("Cursor configuration (rules, MCP servers)", "the coding agent", C::Opaque)),
    (Name(".cursorrules"), t("instructions a coding agent follows", "the coding agent", C::Opaque)),
    (Name(".windsurfrules"), t("instructions a coding agent follows", "the coding agent", C::Opaque)),
    (Tail(".github/copilot-instructions.md"), t("instructions a coding agent follows", "the coding agent", C::Opaque)),
    (Dir(".gemini"), t("Gemini CLI configuration", "the coding agent", C::Opaque)),
    (Dir(".codex"), t("Codex configuration", "the coding agent", C::Opaque)),
    (Dir(".continue"), t("Continue configuration", "the coding agent", C::Opaque)),
    (Name(".aider.conf.yml"), t("aider configuration", "the coding agent", C::Opaque)),
    // Editors and dev containers: run on open.
    (Tail(".vscode/tasks.json"), t("VS Code tasks (`runOn: folderOpen` runs on open)", "the editor", C::Opaque)),
    (Tail(".vscode/settings.json"), t("VS Code workspace settings (interpreter and tool paths)", "the editor", C::Opaque)),
    (Tail(".vscode/launch.json"), t("VS Code launch configurations", "the editor", C::Opaque)),
    (Dir(".devcontainer"), t("a dev container definition (`postCreateCommand` runs)", "the dev container host", C::Opaque)),
    (Dir(".idea"), t("JetBrains project configuration (run configurations)", "the IDE", C::Opaque)),
    (Name(".envrc"), t("a direnv file", "direnv, on entering the directory", C::Shell)),
    // git: hooks and configuration that run programs.
    (Dir(".git/hooks"), t("a git hook", "git, on the next commit, checkout or push", C::Shell)),
    (Dir(".husky"), t("a husky git hook", "git, through husky", C::Shell)),
    (Tail(".git/config"), t("the repository's git configuration (hooksPath, fsmonitor, sshCommand, filters)", "git", C::Opaque)),
    (Name(".gitconfig"), t("git configuration (hooksPath, fsmonitor, sshCommand, aliases)", "git", C::Opaque)),
    (Name(".gitattributes"), t("git attributes (filter and diff drivers run programs)", "git", C::Opaque)),
    (Name(".gitmodules"), t("git submodule definitions", "git", C::Opaque)),
    (Name(".pre-commit-config.yaml"), t("pre-commit hooks", "pre-commit, on every commit", C::Opaque)),
    (Name("lefthook.yml"), t("lefthook git hooks", "git, through lefthook", C::Opaque)),
    // Build and test: run as code by the ordinary build or test command.
    (Name("Makefile"), t("a Makefile", "make", C::Makefile)),
    (Name("GNUmakefile"), t("a Makefile", "make", C::Makefile)),
    (Name("makefile"), t("a Makefile", "make", C::Makefile)),
    (Suffix(".mk"), t("a Makefile include", "make", C::Makefile)),
    (Name("Dockerfile"), t("a Dockerfile", "docker build", C::Dockerfile)),
    (Name("Containerfile"), t("a Containerfile", "podman / docker build", C::Dockerfile)),
    (Suffix(".dockerfile"), t("a Dockerfile", "docker build", C::Dockerfile)),
    (Name("build.rs"), t("a Cargo build script", "cargo build, before compiling", C::Opaque)),
    (Tail(".cargo/config.toml"), t("Cargo configuration (rustc-wrapper, runner, linker)", "cargo", C::Opaque)),
    (Tail(".cargo/config"), t("Cargo configuration (rustc-wrapper, runner, linker)", "cargo", C::Opaque)),
    (Name("conftest.py"), t("a pytest plugin file", "pytest, on collection", C::Python)),
    (Name("sitecustomize.py"), t("a Python start-up module", "every Python start", C::Python)),
    (Name("usercustomize.py"), t("a Python start-up module", "every Python start", C::Python)),
    (Suffix(".pth"), t("a Python path file (import lines run)", "every Python start", C::Pth)),
    (Name("noxfile.py"), t("a nox configuration", "nox", C::Python)),
    (Name("tox.ini"), t("a tox configuration (commands run)", "tox", C::Opaque)),
    (Name("pytest.ini"), t("a pytest configuration (plugins, addopts)", "pytest", C::Opaque)),
    (Name("package.json"), t("package.json (its scripts run on install, build, test)", "npm / yarn / pnpm", C::PackageJson)),
    (Name(".npmrc"), t("npm configuration (registry, scripts, node options)", "npm", C::Opaque)),
    (Name(".yarnrc"), t("yarn configuration (registry)", "yarn", C::Opaque)),
    (Name(".yarnrc.yml"), t("yarn configuration (registry, plugins)", "yarn", C::Opaque)),
    (Name("pip.conf"), t("pip configuration (index URL)", "pip", C::Opaque)),
    (Name("pip.ini"), t("pip configuration (index URL)", "pip", C::Opaque)),
    (Name(".pypirc"), t("PyPI upload configuration", "twine / uploads", C::Opaque)),
    (Name("uv.toml"), t("uv configuration (index URL)", "uv", C::Opaque)),
    (Name(".condarc"), t("conda configuration (channels)", "conda", C::Opaque)),
    (Name("gradle.properties"), t("Gradle properties", "gradle", C::Opaque)),
    (Name("gradle-wrapper.properties"), t("the Gradle wrapper's download URL", "./gradlew", C::Opaque)),
    (Name("maven-wrapper.properties"), t("the Maven wrapper's download URL", "./mvnw", C::Opaque)),
    (Name("settings.xml"), t("Maven settings (repositories, mirrors)", "maven", C::Opaque)),
    (Name(".bazelrc"), t("Bazel configuration", "bazel", C::Opaque)),
    // Tools that run a program named in their per-user configuration.
    (Name(".lessfilter"), t("less's input filter (lesspipe runs it on every file viewed)", "less", C::Shell)),
    (Name(".wgetrc"), t("wget configuration (proxies, askpass, output)", "wget", C::Opaque)),
    (Name(".curlrc"), t("curl configuration (URLs, uploads, proxies)", "curl", C::Opaque)),
    (Name(".netrc"), t("login credentials read by curl, git, ftp", "curl / git / ftp", C::Opaque)),
    (Name(".inputrc"), t("readline key bindings (macros typed into shells)", "every readline program", C::Opaque)),
    (Name(".gdbinit"), t("gdb start-up commands", "gdb", C::Opaque)),
];

/// The trusted file `path` is, if any. `$GITHUB_ENV` and `$GITHUB_PATH`
/// (in any of their spellings) are the runner's files.
pub(crate) fn classify(path: &str) -> Option<Trusted> {
    let p = normalise(path);
    let var = p
        .trim_start_matches('$')
        .trim_start_matches('{')
        .trim_end_matches('}');
    let var = var.strip_prefix("env:").unwrap_or(var);
    match var {
        "GITHUB_ENV" => {
            return Some(t(
                "the job's environment file ($GITHUB_ENV)",
                "every later step of the job",
                C::EnvFile,
            ))
        }
        "GITHUB_PATH" => {
            return Some(t(
                "the job's path file ($GITHUB_PATH)",
                "every later step of the job, which searches it first",
                C::PathFile,
            ))
        }
        _ => {}
    }
    let name = p.rsplit('/').next().unwrap_or(&p);
    TABLE.iter().find_map(|(m, trusted)| {
        let hit = match m {
            Name(n) => name == *n,
            Suffix(s) => name.len() > s.len() && name.ends_with(s),
            Dir(d) => has_component(&p, d),
            Tail(tail) => p
                .strip_suffix(tail)
                .is_some_and(|head| head.is_empty() || head.ends_with('/')),
        };
        hit.then_some(*trusted)
    })
}

/// Whether the components `dir` (one or more) appear in `path`, whole.
fn has_component(path: &str, dir: &str) -> bool {
    path.match_indices(dir).any(|(at, _)| {
        let before = at == 0 || path.as_bytes()[at - 1] == b'/';
        let end = at + dir.len();
        let after = end == path.len() || path.as_bytes()[end] == b'/';
        before && after
    })
}

fn normalise(path: &str) -> String {
    let p = path
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p).to_owned();
    p.trim_end_matches('/').to_owned()
}

/// Environment variables that make later programs load or run code.
const CODE_LOADING_ENV: &[&str] = &[
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "DYLD_INSERT_LIBRARIES",
    "DYLD_LIBRARY_PATH",
    "NODE_OPTIONS",
    "NODE_PATH",
    "BASH_ENV",
    "PROMPT_COMMAND",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "PYTHONHOME",
    "PERL5OPT",
    "PERL5LIB",
    "RUBYOPT",
    "RUBYLIB",
    "GIT_SSH_COMMAND",
    "GIT_SSH",
    "GIT_EXTERNAL_DIFF",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_EXEC_PATH",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_PARAMETERS",
    "RUSTC_WRAPPER",
    "RUSTC",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "MAVEN_OPTS",
    "NPM_CONFIG_REGISTRY",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
];

/// The first `NAME=value` line of `$GITHUB_ENV` content that sets a
/// variable making later steps load or run code (or fetch from elsewhere).
pub(crate) fn env_hijack(content: &str) -> Option<String> {
    content.lines().find_map(|l| {
        // `NAME=value`, or the multi-line form `NAME<<DELIM`.
        let l = l.trim();
        let end = [l.find('='), l.find("<<")].into_iter().flatten().min()?;
        let name = l[..end].trim();
        CODE_LOADING_ENV
            .iter()
            .any(|v| v.eq_ignore_ascii_case(name))
            .then(|| name.to_owned())
    })
}

/// The code inside known content of a trusted file, as (language, code):
/// what a validator must judge as that language.
pub(crate) fn code_in(content: Content, text: &str) -> Vec<(crate::Lang, String)> {
    use crate::Lang;
    match content {
        C::Shell => vec![(Lang::Bash, text.to_owned())],
        C::Python => vec![(Lang::Python, text.to_owned())],
        C::Pth => {
            let code: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with("import ") || l.starts_with("import\t"))
                .collect();
            if code.is_empty() {
                Vec::new()
            } else {
                vec![(Lang::Python, code.join("\n"))]
            }
        }
        C::Workflow => run_steps(text)
            .into_iter()
            .map(|s| (Lang::Bash, s))
            .collect(),
        C::Makefile => {
            let recipes: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix('\t'))
                .map(|l| l.trim_start_matches(['@', '-', '+']))
                .collect();
            if recipes.is_empty() {
                Vec::new()
            } else {
                vec![(Lang::Bash, recipes.join("\n"))]
            }
        }
        C::Dockerfile => text
            .lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let (ins, rest) = l.split_once(char::is_whitespace)?;
                ins.eq_ignore_ascii_case("RUN")
                    .then(|| rest.trim().to_owned())
            })
            .filter(|r| !r.starts_with('['))
            .map(|r| (Lang::Bash, r))
            .collect(),
        C::PackageJson => package_scripts(text)
            .into_iter()
            .map(|s| (Lang::Bash, s))
            .collect(),
        C::EnvFile | C::PathFile | C::Opaque => Vec::new(),
    }
}

/// The `run:` steps of a workflow, single-line or block (`run: |`).
fn run_steps(yaml: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        let t = l.trim_start().trim_start_matches("- ");
        if let Some(rest) = t.strip_prefix("run:") {
            let rest = rest.trim();
            if rest.starts_with('|') || rest.starts_with('>') || rest.is_empty() {
                let indent = l.len() - l.trim_start().len();
                let mut body = Vec::new();
                i += 1;
                while i < lines.len() {
                    let b = lines[i];
                    let bi = b.len() - b.trim_start().len();
                    if !b.trim().is_empty() && bi <= indent {
                        break;
                    }
                    body.push(b.trim());
                    i += 1;
                }
                out.push(body.join("\n"));
                continue;
            }
            out.push(rest.trim_matches(|c| c == '"' || c == '\'').to_owned());
        }
        i += 1;
    }
    out
}

/// The values of `package.json`'s `scripts` object.
fn package_scripts(json: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    v.get("scripts")
        .and_then(|s| s.as_object())
        .map(|m| {
            m.values()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_classified_by_name_directory_and_tail() {
        for (path, what) in [
            (".github/workflows/ci.yml", "a GitHub Actions workflow"),
            (
                "./repo/.github/workflows/release.yaml",
                "a GitHub Actions workflow",
            ),
            (
                "\"$GITHUB_ENV\"",
                "the job's environment file ($GITHUB_ENV)",
            ),
            ("${GITHUB_PATH}", "the job's path file ($GITHUB_PATH)"),
            (
                "$env:GITHUB_ENV",
                "the job's environment file ($GITHUB_ENV)",
            ),
            (
                ".claude/settings.json",
                "Claude Code configuration (settings, hooks, commands, agents)",
            ),
            ("/home/u/proj/.git/hooks/pre-commit", "a git hook"),
            (
                "venv/lib/python3.12/site-packages/evil.pth",
                "a Python path file (import lines run)",
            ),
            ("sub/conftest.py", "a pytest plugin file"),
            (
                ".cargo/config.toml",
                "Cargo configuration (rustc-wrapper, runner, linker)",
            ),
        ] {
            assert_eq!(classify(path).map(|t| t.what), Some(what), "{path}");
        }
        for path in [
            "README.md",
            "src/main.rs",
            "out.txt",
            ".pth",
            "workflows.md",
            "docs/Makefile.md",
        ] {
            assert_eq!(classify(path), None, "{path}");
        }
    }

    #[test]
    fn code_is_read_out_of_each_kind_of_content() {
        let wf = "on: push\njobs:\n  a:\n    steps:\n      - run: make test\n      - name: x\n        run: |\n          curl -s https://x | sh\n          echo done\n      - uses: actions/checkout@v4\n";
        let steps = code_in(C::Workflow, wf);
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].1, "make test");
        assert!(steps[1].1.contains("curl -s https://x | sh") && steps[1].1.contains("echo done"));
        let mk = code_in(C::Makefile, "all:\n\t@echo hi\n\t-rm -f x\nx: y\n");
        assert_eq!(mk[0].1, "echo hi\nrm -f x");
        let df = code_in(
            C::Dockerfile,
            "FROM debian\nRUN apt-get update\nrun curl x | sh\nCMD [\"x\"]\n",
        );
        assert_eq!(df.len(), 2);
        let pkg = code_in(
            C::PackageJson,
            r#"{"name":"a","scripts":{"postinstall":"node x.js"}}"#,
        );
        assert_eq!(pkg[0].1, "node x.js");
        let pth = code_in(C::Pth, "/opt/lib\nimport os; os.system('id')\n");
        assert_eq!(
            pth[0],
            (crate::Lang::Python, "import os; os.system('id')".to_owned())
        );
        assert!(code_in(C::Pth, "/opt/lib\n").is_empty());
    }

    #[test]
    fn env_file_lines_that_load_code_are_found() {
        assert_eq!(
            env_hijack("LD_PRELOAD=/tmp/x.so").as_deref(),
            Some("LD_PRELOAD")
        );
        assert_eq!(
            env_hijack("A=1\nnode_options=--require ./x.js").as_deref(),
            Some("node_options")
        );
        assert_eq!(env_hijack("BASH_ENV<<EOF").as_deref(), Some("BASH_ENV"));
        assert_eq!(env_hijack("UV_SYSTEM_PYTHON=1\nTIMESTAMP=3"), None);
    }
}
