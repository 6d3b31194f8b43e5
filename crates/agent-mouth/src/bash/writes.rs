//! Where a command writes: outside the workspace and temporary
//! directories, or into dependency manifests agent-immune must scan.

use super::argv::{basename, Invocation};
use super::extract::Cmd;
use super::Rules;
use crate::catalog as c;

/// An absolute path outside the temporary directories and the process's
/// own streams: a write there leaves the workspace.
pub(super) fn outside_workspace(p: &str) -> bool {
    let p = p.trim_matches(|c| c == '"' || c == '\'');
    p.starts_with('/')
        && ![
            "/tmp",
            "/var/tmp",
            "/dev/null",
            "/dev/stdout",
            "/dev/stderr",
            "/dev/tty",
            "/dev/fd/",
            "/proc/self/fd",
            "/dev/shm",
        ]
        .iter()
        .any(|ok| p.starts_with(ok))
        && !p.starts_with("/dev/tcp")
}

/// Writes to absolute paths outside the workspace and temporary
/// directories (`-o /etc/x`, `> /usr/local/bin/y`, `dd of=/x`).
pub(super) fn write_outside(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let outside = outside_workspace;
    const OUT_OPTS: &[&str] = &[
        "-o",
        "--output",
        "--out",
        "-out",
        "--outfile",
        "--outFile",
        "--out-file",
        "--output-file",
        "--output-document",
        "-O",
        "--outdir",
        "--outDir",
        "-W",
        "-L",
        "-Logfile",
        "--log-file",
        "--logfile",
        "-l",
        "-t",
        "--target",
        "-f",
        "--save",
        "--dump",
    ];
    let prog = inv.prog();
    let args = inv.args();
    let mut hits: Vec<&super::word::Word> = Vec::new();
    for (i, w) in args.iter().enumerate() {
        let t = w.text.as_str();
        if let Some((k, v)) = t.split_once('=') {
            let k_ok = OUT_OPTS.contains(&k)
                || k == "of"
                || k == "-filename"
                || k.ends_with("output")
                || k.ends_with("outfile");
            if k_ok && outside(v) {
                hits.push(w);
            }
            continue;
        }
        if OUT_OPTS.contains(&t) {
            let specific = !matches!(t, "-f" | "-l" | "-t" | "-L" | "-O" | "-W")
                || matches!(
                    prog,
                    "iptables-save"
                        | "logrotate"
                        | "rlwrap"
                        | "ssh-copy-id"
                        | "screen"
                        | "exiftool"
                        | "ltrace"
                        | "strace"
                );
            if let Some(v) = args.get(i + 1) {
                if specific && outside(&v.text) {
                    hits.push(v);
                }
            }
        }
        if t.starts_with('-')
            && t.len() > 2
            && !t.starts_with("--")
            && t.starts_with("-o")
            && outside(&t[2..])
        {
            hits.push(w);
        }
        // `.output /path` inside an sqlite command string
        if t.starts_with(".output ") && outside(&t[8..]) {
            hits.push(w);
        }
    }
    if matches!(
        prog,
        "dos2unix"
            | "unix2dos"
            | "lwp-download"
            | "update-alternatives"
            | "script"
            | "tee"
            | "cp"
            | "mv"
            | "install"
            | "ln"
            | "rsync"
            | "unzip"
            | "arj"
            | "7z"
            | "tar"
            | "iconv"
            | "shuf"
            | "sort"
            | "uniq"
    ) {
        if let Some(last) = inv.operands().last() {
            if outside(&last.text) && inv.operands().count() >= 2
                || (prog == "tee" || prog == "script") && outside(&last.text)
            {
                hits.push(last);
            }
        }
        if prog == "tar"
            && args.iter().any(|w| {
                w.text.starts_with("--xform")
                    || w.text.starts_with("--transform")
                    || w.text == "-P"
                    || w.text.starts_with("-P") && w.text.len() <= 5
                    || w.text.contains('P')
                        && w.text.starts_with('-')
                        && !w.text.starts_with("--")
                        && w.text.len() <= 5
            })
        {
            hits.push(inv.argv[0]);
        }
    }
    for rd in &cmd.redirects {
        if rd.op.contains('>')
            && !rd.op.contains('&')
            && outside(&rd.target.text)
            && crate::names::persistence_path(&rd.target.text).is_none()
            && !crate::names::is_block_device(&rd.target.text)
            && !rd.target.text.starts_with("/proc")
            && !rd.target.text.starts_with("/sys")
        {
            if std::ptr::eq(inv, inv) && inv.via.is_empty() {
                hits.push(&rd.target);
            }
        }
    }
    if let Some(w) = hits.first() {
        r.hit(
            c::BASH_WRITE_OUTSIDE,
            w.range.clone(),
            format!(
                "writes `{}`, outside the workspace and temporary directories",
                w.text.trim_start_matches("of=")
            ),
        );
    }
}

/// Dependency manifests and lockfiles written by the command: agent-immune
/// must scan them before they are applied (the seed's "generated patches").
pub(super) fn manifest_writes(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    const MANIFESTS: &[&str] = &[
        "Cargo.toml",
        "Cargo.lock",
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "requirements.txt",
        "requirements-dev.txt",
        "pyproject.toml",
        "poetry.lock",
        "Pipfile",
        "Pipfile.lock",
        "uv.lock",
        "go.mod",
        "go.sum",
        "Gemfile",
        "Gemfile.lock",
        "composer.json",
        "composer.lock",
        "setup.py",
        "setup.cfg",
    ];
    let is_manifest = |t: &str| MANIFESTS.contains(&basename(t));
    let mut hit = None;
    for rd in &cmd.redirects {
        if rd.op.contains('>') && !rd.op.contains('&') && is_manifest(&rd.target.text) {
            hit = Some(&rd.target);
        }
    }
    let prog = inv.prog();
    if matches!(prog, "tee" | "cp" | "mv" | "install" | "ln")
        || (matches!(prog, "sed" | "perl") && inv.args().iter().any(|w| w.text.starts_with("-i")))
    {
        if let Some(w) = inv.operands().last().filter(|w| is_manifest(&w.text)) {
            hit = Some(w);
        }
    }
    if let Some(w) = hit {
        r.hit(c::BASH_MANIFEST_WRITE, w.range.clone(), format!("rewrites the dependency manifest `{}`; agent-immune must scan it before it is applied", w.text));
    }
}
