//! Programs nothing knows: not in the program table, not in the known
//! list, not named by any rule, not the project's own (`./x`, `bin/x`).
//! `[mouth] unknown_programs` decides what they get: nothing, a review when
//! their arguments look like an effect (the default), or always a review.
//!
//! A remote URL is not such a shape: on the public benign corpus it sent
//! 1.1% of all entries to review (tools that take a URL are common), and
//! the network is the sandbox's to grant or refuse per command.

use super::argv::{is_wrapper, Invocation};
use super::word::Word;
use super::Rules;
use crate::catalog as c;
use crate::names::{is_downloader, is_interpreter, is_net_tool, is_shell};
use crate::programs::{is_known, UnknownPrograms};

/// Options whose value is commonly code or a command line.
const CODE_OPTIONS: &[&str] = &[
    "-c",
    "-e",
    "-x",
    "--exec",
    "--eval",
    "--command",
    "--cmd",
    "--script",
    "--run",
    "--execute",
];

/// Directories outside any workspace whose files an unknown program should
/// not be handed without a look.
const SYSTEM_DIRS: &[&str] = &[
    "/etc/",
    "/usr/",
    "/bin/",
    "/sbin/",
    "/lib",
    "/boot/",
    "/root",
    "/var/lib/",
    "/var/spool/",
    "/opt/",
    "/home/",
    "/srv/",
    "/proc/",
    "/sys/",
    "~/",
    "$HOME/",
    "${HOME}/",
];

pub(super) fn check(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    let policy = r.ctx.unknown;
    let Some(first) = inv.argv.first() else {
        return;
    };
    let prog = inv.prog();
    if policy == UnknownPrograms::Allow || !first.literal() || known(prog, &first.text) {
        return;
    }
    let shape = shape(inv.args());
    let reason = match (policy, shape) {
        (_, Some(why)) => why,
        (UnknownPrograms::Review, None) => "unknown_programs is `review`".to_string(),
        _ => return,
    };
    let range = first.range.start..inv.argv.last().map_or(first.range.end, |w| w.range.end);
    r.hit(
        c::PROGRAM_UNKNOWN,
        range,
        format!("`{prog}` is a program the validator does not know, and {reason}"),
    );
}

/// Known by the table, the known list or a rule; or the project's own
/// program, run by a relative path.
fn known(prog: &str, written: &str) -> bool {
    let own = written.contains('/') && !written.starts_with('/') && !written.starts_with('~');
    own || is_known(prog)
        || is_wrapper(prog)
        || is_shell(prog)
        || is_interpreter(prog)
        || is_downloader(prog)
        || is_net_tool(prog)
}

/// Why the arguments look like an effect, if they do.
fn shape(args: &[&Word]) -> Option<String> {
    for (i, a) in args.iter().enumerate() {
        let t = a.text.as_str();
        let (name, inline) = match t.split_once('=') {
            Some((n, v)) if n.starts_with('-') => (n, Some(v)),
            _ => (t, None),
        };
        if CODE_OPTIONS.contains(&name) {
            let value = inline.or_else(|| args.get(i + 1).map(|w| w.text.as_str()));
            if value.is_some_and(looks_like_code) {
                return Some(format!("its `{name}` option is given code to run"));
            }
        }
        let path = inline.unwrap_or(t);
        if let Some(dir) = SYSTEM_DIRS.iter().find(|d| path.starts_with(**d)) {
            return Some(format!("it is handed `{path}` (under {dir})"));
        }
    }
    None
}

fn looks_like_code(v: &str) -> bool {
    v.contains(char::is_whitespace) || v.contains([';', '|', '&', '$', '`', '(', ')'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_a_value_with_words_or_shell_syntax() {
        assert!(looks_like_code("rm -rf build"));
        assert!(looks_like_code("$(id)"));
        assert!(!looks_like_code("config.yml"));
        assert!(!looks_like_code("production"));
    }
}
