//! Activity rules: data leaving the machine (uploads, listeners, remote
//! copies, DNS), collection (screenshots, clipboard, archives of home),
//! anti-forensics, local package installs, offensive tooling, programs that
//! open interactive shells, and native library loading.

use super::argv::Invocation;
use super::extract::Cmd;
use super::obfuscation::{obfuscated_args, repl};
use super::writes::{manifest_writes, write_outside};
use super::Rules;
use crate::catalog as c;

mod families;

/// What the rules of one invocation share: its program, arguments and span.
pub(super) struct Act<'a> {
    pub cmd: &'a Cmd,
    pub inv: &'a Invocation<'a>,
    pub prog: &'a str,
    pub args: &'a [&'a super::word::Word],
    pub range: std::ops::Range<usize>,
}

impl Act<'_> {
    pub fn has(&self, s: &str) -> bool {
        self.args.iter().any(|w| w.text == s)
    }
    pub fn starts(&self, s: &str) -> bool {
        self.args.iter().any(|w| w.text.starts_with(s))
    }
}

pub(crate) fn check(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let a = Act {
        cmd,
        inv,
        prog: inv.prog(),
        args: inv.args(),
        range: inv.argv.first().map_or(0, |w| w.range.start)
            ..inv.argv.last().map_or(0, |w| w.range.end),
    };
    obfuscated_args(r, cmd, inv);
    repl(r, cmd, inv);
    write_outside(r, cmd, inv);
    common(r, &a);
    // One family per program: the first that knows it decides.
    let _ = families::network(r, &a)
        || families::collection(r, &a)
        || families::evasion(r, &a)
        || families::system_packages(r, &a)
        || families::host(r, &a)
        || families::language_packages(r, &a)
        || families::antiforensics(r, &a)
        || families::offensive(r, &a)
        || families::cloud_and_search(r, &a);
    library_load(r, &a);
    listener(r, &a);
}

/// Rules for any program: another client's User-Agent, injection syntax in
/// quoted text, manifest writes, confirmations answered automatically,
/// system files substituted into arguments.
fn common(r: &mut Rules<'_, '_>, a: &Act<'_>) {
    let (prog, args) = (a.prog, a.args);
    let range = a.range.clone();
    let cmd = a.cmd;
    let inv = a.inv;
    if matches!(prog, "curl" | "wget" | "wget2" | "http" | "xh")
        && args.windows(2).any(|w| {
            matches!(w[0].text.as_str(), "-A" | "--user-agent" | "-U")
                && [
                    "mozilla",
                    "opera",
                    "wget",
                    "curl/",
                    "msie",
                    "httpbrowser",
                    "googlebot",
                    "chrome/",
                    "safari",
                ]
                .iter()
                .any(|k| w[1].text.to_ascii_lowercase().contains(k))
        })
    {
        r.hit(
            c::BASH_DEFENSE_EVASION,
            range.clone(),
            "impersonates another client's User-Agent",
        );
    }
    for w in args {
        if w.literal()
            && w.text.contains("$(")
            && (w.text.contains('`') || w.text.contains("||") || w.text.contains(';'))
        {
            r.hit(
                c::BASH_OBFUSCATED,
                w.range.clone(),
                "quoted text carries shell-injection syntax (`$(…)`, backticks, `||`)",
            );
        }
    }
    manifest_writes(r, cmd, inv);
    if matches!(
        prog,
        "rm" | "rmdir"
            | "dd"
            | "shred"
            | "mkfs"
            | "fdisk"
            | "parted"
            | "wipefs"
            | "npm"
            | "gcloud"
            | "az"
            | "terraform"
            | "kubectl"
            | "apt"
            | "apt-get"
            | "dnf"
            | "yum"
            | "pip"
            | "docker"
            | "git"
            | "cp"
            | "mv"
    ) && matches!(cmd.stdin, super::extract::Stdin::Pipe(_))
    {
        let confirms = r.upstream(cmd).iter().any(|u| {
            let w: Vec<&str> = u.words.iter().map(|w| w.text.as_str()).collect();
            matches!(
                w.as_slice(),
                ["yes"]
                    | ["yes", _]
                    | ["echo", "y" | "Y" | "yes" | "YES" | "Yes"]
                    | ["printf", "y" | "y\\n" | "yes\\n"]
            )
        });
        if confirms
            && (inv.has_flag('r', &["recursive"]) || inv.has_flag('f', &["force"]) || prog != "rm")
        {
            r.hit(
                c::BASH_DESTRUCTIVE_UNBOUNDED,
                range.clone(),
                format!("answers `{prog}`'s confirmation prompts automatically"),
            );
        }
    }
    for w in args {
        if w.has_subst
            && r.substituted(cmd).iter().any(|s| {
                s.words.iter().skip(1).any(|x| {
                    matches!(
                        x.text.as_str(),
                        "/etc/passwd" | "/etc/group" | "/etc/hosts" | "/proc/self/environ"
                    )
                })
            })
        {
            r.hit(
                c::BASH_CREDENTIAL_ACCESS,
                w.range.clone(),
                "substitutes a system file's contents into the arguments",
            );
            break;
        }
    }
}

/// Native libraries handed to programs that load them.
fn library_load(r: &mut Rules<'_, '_>, a: &Act<'_>) {
    let (prog, args) = (a.prog, a.args);
    let range = a.range.clone();
    if !matches!(
        prog,
        "gcc"
            | "cc"
            | "clang"
            | "g++"
            | "c++"
            | "ld"
            | "ld.lld"
            | "ld.gold"
            | "ldd"
            | "nm"
            | "objdump"
            | "readelf"
            | "strip"
            | "file"
            | "ls"
            | "cp"
            | "mv"
            | "rm"
            | "ln"
            | "install"
            | "chmod"
            | "chown"
            | "ldconfig"
            | "patchelf"
            | "strings"
            | "md5sum"
            | "sha256sum"
            | "tar"
            | "zip"
            | "unzip"
            | "find"
            | "cargo"
            | "rustc"
            | "make"
            | "cmake"
            | "ar"
            | "echo"
            | "printf"
            | "git"
            | "docker"
            | "podman"
            | "stat"
            | "du"
            | "wc"
            | "cat"
            | "lipo"
            | "otool"
            | "codesign"
            | "mkdir"
            | "touch"
    ) {
        let lib = args.iter().find(|w| {
            let t = w.text.trim_matches(|c| c == '"' || c == '\'');
            let t = t.rsplit('=').next().unwrap_or(t);
            (t.ends_with(".so")
                || t.contains(".so.")
                || t.ends_with(".dylib")
                || t.ends_with(".dll") && prog.starts_with("rundll"))
                && !t.contains("://")
        });
        let plugin_opt = args.iter().any(|w| {
            matches!(
                w.text.as_str(),
                "-engine" | "--default-auth" | "--plugin-dir" | "--load-extension" | "-dlopen"
            ) || w.text.starts_with("--default-auth=")
                || w.text.starts_with("--plugin-dir=")
        });
        if let Some(w) = lib {
            r.hit(
                c::BASH_LIBRARY_LOAD,
                w.range.clone(),
                format!("`{prog}` is given a native library to load (`{}`)", w.text),
            );
        } else if plugin_opt {
            r.hit(
                c::BASH_LIBRARY_LOAD,
                range.clone(),
                format!("`{prog}` is told to load a plugin from a chosen path"),
            );
        }
    }
}

/// Servers that expose files or a port to the network.
fn listener(r: &mut Rules<'_, '_>, a: &Act<'_>) {
    let (prog, args) = (a.prog, a.args);
    let has = |s: &str| a.has(s);
    let starts = |s: &str| a.starts(s);
    let range = a.range.clone();
    let inv = a.inv;
    let listener = match prog {
        "php" => has("-S"),
        "ruby" => has("-run") || starts("-run"),
        "busybox" => inv.operands().next().is_some_and(|w| w.text == "httpd"),
        "httpd" | "lighttpd" | "darkhttpd" | "webfsd" | "miniserve" | "updog" | "http-server"
        | "serve" => true,
        "kubectl" => has("proxy") && starts("--address"),
        "tailscale" | "ngrok" => has("serve") || has("funnel"),
        "nc" | "ncat" | "netcat" | "socat" => {
            has("-l")
                || has("-lp")
                || has("-lvp")
                || has("-lnvp")
                || has("-nlvp")
                || args
                    .iter()
                    .any(|w| w.text.to_ascii_lowercase().contains("listen"))
        }
        _ => {
            super::super::names::is_python(prog)
                && (args.windows(2).any(|w| {
                    w[0].text == "-m"
                        && (w[1].text == "http.server"
                            || w[1].text == "SimpleHTTPServer"
                            || w[1].text == "pyftpdlib"
                            || w[1].text == "smtpd")
                }))
        }
    };
    if listener {
        r.hit(
            c::BASH_LISTENER,
            range,
            format!("`{prog}` starts a server that exposes this machine to the network"),
        );
    }
}

/// `user@host:path`, `host:path`, `//host/share`, `rsync://…`.
fn is_remote_spec(t: &str) -> bool {
    if t.starts_with("rsync://")
        || t.starts_with("sftp://")
        || t.starts_with("scp://")
        || t.starts_with("ftp://")
        || t.starts_with("s3://")
        || t.starts_with("gs://")
        || t.starts_with("\\\\")
        || t.starts_with("//")
    {
        return true;
    }
    match t.split_once(':') {
        None if t.contains('@') && !t.starts_with('-') && !t.contains('/') => true,
        Some((host, _)) => {
            !host.is_empty()
                && !host.contains('/')
                && !host.starts_with('-')
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@.-_[]".contains(c))
                && !host.chars().all(|c| c.is_ascii_alphabetic())
                || host.contains('@')
                || host.contains('.')
        }
        None => false,
    }
}

/// A package given as a URL, an archive or a VCS reference instead of a
/// registry name: `pip install https://…/x.tar.gz`, `npm i github:u/r`,
/// `yarn add git+ssh://…`, `npm i ./x.tgz`.
fn is_package_url(t: &str, prog: &str) -> bool {
    let url = t.starts_with("https://") || t.starts_with("git://") || t.starts_with("ssh://");
    let vcs = ["github:", "gitlab:", "bitbucket:", "gist:", "git+", "git@"]
        .iter()
        .any(|p| t.starts_with(p));
    let archive = [".tgz", ".tar.gz", ".tar.bz2", ".zip", ".whl"]
        .iter()
        .any(|x| t.ends_with(x));
    match prog {
        "npm" | "pnpm" | "yarn" | "bun" => url || vcs || archive,
        "pip" | "pip3" | "uv" | "pipx" => url || vcs || (archive && t.contains('/')),
        "gem" => url,
        _ => false,
    }
}
