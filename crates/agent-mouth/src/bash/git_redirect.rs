//! git pointed somewhere else: later fetches and pushes rerouted
//! (`url.<base>.insteadOf`, `http.proxy`, a remote's URL replaced), every
//! branch pushed to a remote that is not the usual one, or a credential
//! written into a remote URL (where `.git/config`, `git remote -v` and CI
//! logs keep it). From git-config(1) (`url.<base>.insteadOf`,
//! `url.<base>.pushInsteadOf`, `http.proxy`, `http.<url>.proxy`,
//! `remote.<name>.url`/`pushurl`), git-remote(1) and git-push(1)
//! (`--all`, `--mirror`, `--tags`).

use std::ops::Range;

use super::argv::Invocation;
use super::Rules;
use crate::catalog as c;

/// `git SUB …` with its operands (`ops[0]` is the subcommand).
pub(super) fn check(
    r: &mut Rules<'_, '_>,
    inv: &Invocation<'_>,
    gsub: &str,
    ops: &[&str],
    range: Range<usize>,
) {
    let why = match gsub {
        "config" => config_key(ops).and_then(|(key, value)| redirect_key(&key, value)),
        "remote" => match ops.get(1).copied() {
            Some("set-url") => Some(format!(
                "replaces the URL of remote `{}`: later fetches and pushes go to `{}`",
                ops.get(2).unwrap_or(&""),
                ops.last().unwrap_or(&"")
            )),
            Some("add") => ops.get(3).filter(|u| has_credential(u)).map(|u| {
                format!(
                    "stores a credential in the URL of a new remote (`{}`)",
                    redact(u)
                )
            }),
            _ => None,
        },
        "push" => {
            let all = inv
                .args()
                .iter()
                .any(|w| matches!(w.text.as_str(), "--all" | "--mirror" | "--branches"));
            let target = ops.get(1).copied().unwrap_or("origin");
            if all && target != "origin" && target != "upstream" {
                Some(format!("pushes every branch to `{}`", redact(target)))
            } else {
                ops.iter()
                    .find(|o| has_credential(o))
                    .map(|u| format!("pushes with a credential in the URL (`{}`)", redact(u)))
            }
        }
        "clone" | "fetch" | "pull" | "submodule" => {
            ops.iter().find(|o| has_credential(o)).map(|u| {
                format!(
                    "puts a credential in a remote URL (`{}`), which git stores in .git/config",
                    redact(u)
                )
            })
        }
        _ => None,
    };
    if let Some(why) = why {
        r.hit(c::GIT_REDIRECT, range, format!("git {gsub}: {why}"));
    }
}

/// The key (lower-cased) and value of `git config [--global …] KEY VALUE`.
fn config_key<'a>(ops: &[&'a str]) -> Option<(String, Option<&'a str>)> {
    let at = ops.iter().skip(1).position(|o| o.contains('.'))? + 1;
    Some((ops[at].to_ascii_lowercase(), ops.get(at + 1).copied()))
}

fn redirect_key(key: &str, value: Option<&str>) -> Option<String> {
    let value = value?;
    if key.starts_with("url.") && (key.ends_with(".insteadof") || key.ends_with(".pushinsteadof")) {
        // `url.<base>.insteadof`: the base sits between the first and the
        // last dot (and may itself hold dots); absent in `url.insteadof`.
        let base = key.rfind('.').and_then(|end| key.get(4..end)).unwrap_or("");
        return Some(format!(
            "rewrites every URL starting with `{value}` to `{base}`"
        ));
    }
    if key == "http.proxy"
        || key == "https.proxy"
        || (key.starts_with("http.") && key.ends_with(".proxy"))
    {
        return Some(format!("sends git's HTTP traffic through `{value}`"));
    }
    if key.starts_with("remote.") && (key.ends_with(".url") || key.ends_with(".pushurl")) {
        return Some(format!("points `{key}` at `{}`", redact(value)));
    }
    None
}

/// `scheme://user:secret@host/…` (a password or token in the URL).
fn has_credential(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':') || userinfo.starts_with('$'))
}

/// The URL with its userinfo hidden.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host))
                if !rest.split('/').next().unwrap_or("").is_empty()
                    && rest.split('/').next().unwrap_or("").contains('@') =>
            {
                format!("{scheme}://***@{host}")
            }
            _ => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
