//! What a program spawned without a shell runs (Python's `subprocess` with
//! an argv list, `child_process.spawn`/`execFile`, `Bun.spawn`,
//! `Deno.Command`), validated as bash — one judgement for every language.

use std::ops::Range;

use crate::bash::{basename, join_argv};
use crate::context::{Ctx, SpanMap};
use crate::names::is_shell;
use crate::Lang;

/// Validates `argv` (at `range`, local to `map`) as the command it runs:
/// `sh -c CMD` as CMD, any other argv (a shell running a script included)
/// as the command line that re-parses to it. Returns whether `argv[0]` is
/// a shell, for the caller's language-specific rule.
pub(crate) fn validate_spawned(
    ctx: &mut Ctx<'_>,
    map: &SpanMap,
    argv: &[String],
    range: &Range<usize>,
    what: &str,
) -> bool {
    let shell = argv.first().is_some_and(|p| is_shell(basename(p)));
    let outer = map.map(range);
    match argv {
        [_, flag, command, ..] if shell && flag == "-c" => {
            ctx.nested(Lang::Bash, command, outer, &format!("{what} shell command"));
        }
        [] => {}
        _ => ctx.nested(Lang::Bash, &join_argv(argv), outer, &format!("{what} argv")),
    }
    shell
}
