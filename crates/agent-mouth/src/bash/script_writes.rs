//! Files a sed or awk program writes by itself (sed's `w FILE` command and
//! `s///w FILE` flag, awk's `print > "FILE"`): judged like any other write —
//! a file something runs later, or a path outside the workspace.

use std::ops::Range;

use super::writes::outside_workspace;
use super::Rules;
use crate::catalog as c;

/// Reports the files `program` (a sed script or awk program found at
/// `range`) writes.
pub(super) fn check(r: &mut Rules<'_, '_>, prog: &str, program: &str, range: Range<usize>) {
    let paths = if prog == "sed" {
        sed_writes(program)
    } else {
        awk_writes(program)
    };
    for path in paths {
        if crate::trusted::classify(&path).is_some() {
            crate::trusted_write::judge(r.ctx, r.map, &path, range.clone(), None);
        } else if outside_workspace(&path) || path.starts_with("~/") {
            r.hit(
                c::BASH_WRITE_OUTSIDE,
                range.clone(),
                format!("the {prog} program writes `{path}`, outside the workspace"),
            );
        }
    }
}

/// Files named by sed's `w`/`W` commands and the `w` flag of `s`. A file
/// name runs to the end of its line (POSIX sed), so `;` does not end it.
fn sed_writes(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in script.lines() {
        let mut rest = line;
        while !rest.is_empty() {
            rest = skip_address(rest.trim_start_matches([' ', '\t', ';', '{', '}', '!']));
            let mut chars = rest.chars();
            match chars.next() {
                Some('w' | 'W') => {
                    let file = chars.as_str().trim();
                    if !file.is_empty() {
                        out.push(file.to_string());
                    }
                    break;
                }
                Some('s') => {
                    let Some((flags, after)) = substitution_flags(chars.as_str()) else {
                        break;
                    };
                    if let Some(at) = flags.find('w') {
                        let file = after_w(flags, at, after);
                        if !file.is_empty() {
                            out.push(file);
                        }
                        break;
                    }
                    rest = after;
                }
                Some(_) => {
                    // Any other command: on to the next one.
                    rest = rest.split_once(';').map_or("", |(_, r)| r);
                }
                None => break,
            }
        }
    }
    out
}

/// The file name after an `s` command's `w` flag: the rest of the flags
/// after `w`, then the rest of the line.
fn after_w(flags: &str, at: usize, after: &str) -> String {
    let tail = flags.get(at + 1..).unwrap_or("");
    format!("{tail}{after}").trim().to_string()
}

/// Skips a sed address (`1`, `$`, `/re/`, `\%re%`, `1,5`, `/a/,+3`).
fn skip_address(s: &str) -> &str {
    let mut s = s;
    for _ in 0..2 {
        s = s.trim_start_matches(|ch: char| {
            ch.is_ascii_digit() || ch == '$' || ch == '+' || ch == '~'
        });
        if let Some(re) = s.strip_prefix('/') {
            s = skip_delimited(re, '/').unwrap_or("");
        } else if let Some(re) = s.strip_prefix('\\') {
            let mut it = re.chars();
            if let Some(d) = it.next() {
                s = skip_delimited(it.as_str(), d).unwrap_or("");
            }
        }
        match s.strip_prefix(',') {
            Some(r) => s = r,
            None => break,
        }
    }
    s.trim_start()
}

/// After `s`: skips `/re/replacement/` and splits the flags from what
/// follows them.
fn substitution_flags(s: &str) -> Option<(&str, &str)> {
    let mut it = s.chars();
    let d = it.next()?;
    let after_re = skip_delimited(it.as_str(), d)?;
    let after_repl = skip_delimited(after_re, d)?;
    let end = after_repl
        .find([';', '}', '\n'])
        .unwrap_or(after_repl.len());
    // A `w` flag takes the rest of the line, `;` included.
    if let Some(w) = after_repl[..end].find('w') {
        return Some((&after_repl[..=w], &after_repl[w + 1..]));
    }
    Some((&after_repl[..end], &after_repl[end..]))
}

/// The text after the next unescaped `d`.
fn skip_delimited(s: &str, d: char) -> Option<&str> {
    let mut escaped = false;
    for (i, ch) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == d {
            return s.get(i + ch.len_utf8()..);
        }
    }
    None
}

/// Literal files awk output is redirected to: `> "f"`, `>> "f"`.
fn awk_writes(program: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = program.as_bytes();
    let mut in_regex = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                // skip a string literal that is not a redirect target
                i = string_end(b, i);
                continue;
            }
            b'/' => in_regex = !in_regex,
            b'>' if !in_regex => {
                let mut j = i + 1;
                if b.get(j) == Some(&b'>') {
                    j += 1;
                }
                while b.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
                    j += 1;
                }
                if b.get(j) == Some(&b'"') && in_print(&program[..i]) {
                    let end = string_end(b, j);
                    if let Some(path) = program.get(j + 1..end.saturating_sub(1)) {
                        out.push(path.to_string());
                    }
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Whether the statement that `before` ends in is a `print`/`printf` (so
/// `>` redirects its output rather than comparing).
fn in_print(before: &str) -> bool {
    let start = before.rfind(['{', ';', '\n']).map_or(0, |i| i + 1);
    let stmt = before[start..].trim_start();
    stmt.starts_with("print")
}

/// Index after the string literal starting at `b[start] == '"'`.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sed_write_commands_and_flags_are_found() {
        assert_eq!(sed_writes("w /etc/x"), ["/etc/x"]);
        assert_eq!(sed_writes("1s/.*/DATA/w /root/out"), ["/root/out"]);
        assert_eq!(sed_writes("/re/w out.txt"), ["out.txt"]);
        assert_eq!(sed_writes("p;W /tmp/a;b"), ["/tmp/a;b"]);
        assert_eq!(sed_writes("s/a/b/gw /etc/y"), ["/etc/y"]);
        assert_eq!(sed_writes("s|/usr|/opt|g"), Vec::<String>::new());
        assert_eq!(sed_writes("s/w/x/g;s/y/z/"), Vec::<String>::new());
        assert_eq!(sed_writes("1,5d"), Vec::<String>::new());
    }

    #[test]
    fn awk_redirects_to_literal_files_are_found() {
        assert_eq!(
            awk_writes(r#"BEGIN { print "DATA" > "/etc/x" }"#),
            ["/etc/x"]
        );
        assert_eq!(awk_writes(r#"{ print $1 >> "out.txt" }"#), ["out.txt"]);
        assert_eq!(
            awk_writes(r#"$3 > 10 { print "a > b" }"#),
            Vec::<String>::new()
        );
        assert_eq!(awk_writes("/a>b/ { print }"), Vec::<String>::new());
        assert_eq!(
            awk_writes(r#"{ if ($1 > "m") print }"#),
            Vec::<String>::new()
        );
    }
}
