//! A write to a file that something runs or trusts later
//! (`crate::trusted`), judged the same way whichever language wrote it:
//! reported with what will run the file, and the content, when the source
//! shows it, validated as the code it will be — or, for a CI job's
//! environment and path files, checked for what later steps inherit.

use std::ops::Range;

use crate::catalog as c;
use crate::context::{Ctx, SpanMap};
use crate::trusted::{self, Content};

/// Judges a write of `path` (at `range`, local to `map`), with its content
/// and the content's range when known. Paths that are not trusted files
/// are left alone.
pub(crate) fn judge(
    ctx: &mut Ctx<'_>,
    map: &SpanMap,
    path: &str,
    range: Range<usize>,
    content: Option<(&str, Range<usize>)>,
) {
    let Some(t) = trusted::classify(path) else {
        return;
    };
    match t.content {
        Content::EnvFile => {
            if let Some((text, at)) = content {
                if let Some(name) = trusted::env_hijack(text) {
                    ctx.report(
                        map,
                        c::WRITE_ENV_CODE,
                        at,
                        format!("sets `{name}` for {}: it makes them load or run code, or fetch from elsewhere", t.runs),
                    );
                }
            }
            return;
        }
        Content::PathFile => {
            if let Some((text, at)) = content {
                let dir = text.trim();
                let risky = ["/tmp", "/var/tmp", "/dev/shm"]
                    .iter()
                    .any(|d| dir.starts_with(d))
                    || !(dir.starts_with('/') || dir.starts_with('$') || dir.starts_with('~'));
                if risky && !dir.is_empty() {
                    ctx.report(
                        map,
                        c::WRITE_PATH_PREPEND,
                        at,
                        format!("puts `{dir}` first on the PATH of {}", t.runs),
                    );
                }
            }
            return;
        }
        _ => {}
    }
    ctx.report(
        map,
        c::WRITE_TRUSTED,
        range,
        format!(
            "writes `{path}` ({}); later it is run or trusted by: {}",
            t.what, t.runs
        ),
    );
    if let Some((text, at)) = content {
        let outer = map.map(&at);
        for (lang, code) in trusted::code_in(t.content, text) {
            ctx.nested(lang, &code, outer.clone(), t.what);
        }
    }
}
