//! A linear pass over a YAML text that refuses flow collections nested
//! deeper than [`MAX_FLOW_DEPTH`] before any YAML parser sees it.
//!
//! The YAML parser's cost grows with the square of flow nesting: a 200 KB
//! `pnpm-lock.yaml` of nested `[[[…]]]` took 41 s to end in "recursion
//! limit exceeded". Real lockfiles nest flow collections two or three
//! deep (`{integrity: …}`, `[os, cpu]`). This pass is one scan of the
//! bytes, so a hostile file costs what its size costs.
//!
//! It follows YAML's rules where they decide what is a flow indicator: a
//! `[` or `{` opens a collection inside one, or in block context when it
//! starts a node (first on the line, or after `:`, `-`, `?`); a quote opens
//! a quoted scalar only where a token starts (after `[ { , : ? -` or at the
//! start of a line), so a quote inside a plain scalar (`[a 'b, [[…`) cannot
//! hide nesting from it; `'…''…'` and `"…\"…"` are skipped; `#` after a
//! space starts a comment. Where it counts more than a parser would (a
//! bracket first on a line of a block scalar), the file is refused — the
//! safe side.
//!
//! The parser behind it is `serde_norway`, the maintained fork of
//! `serde_yaml` (archived upstream in 2024): the same libyaml-derived
//! grammar and API, so what the fuzzing and the tests established about
//! the old parser still holds, and its maintainer has said they will keep
//! it up (rustsec/advisory-db#2132). `serde-saphyr` (pure Rust, with
//! its own nesting and alias budgets) was the alternative; it is not a
//! drop-in (no `Value` with locations of the same shape) and would need the
//! parsers and their fuzzing redone, so this guard stays in either case.

/// Deepest flow nesting accepted.
pub(crate) const MAX_FLOW_DEPTH: usize = 64;

/// `Err((line, depth))`: the 1-based line where nesting passed the limit.
pub(crate) fn check(text: &str) -> Result<(), (usize, usize)> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut line = 1usize;
    // The last non-blank byte on this line before the current one (None:
    // only blanks so far on this line).
    let mut previous: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                previous = None;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\'' | b'"' if starts_token(previous) => {
                i = skip_quoted(bytes, i, &mut line);
                previous = Some(b);
                continue;
            }
            b'[' | b'{' if depth > 0 || starts_node(previous) => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Err((line, depth));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = Some(b);
        i += 1;
    }
    Ok(())
}

/// Whether a quote after `previous` starts a quoted scalar.
fn starts_token(previous: Option<u8>) -> bool {
    matches!(
        previous,
        None | Some(b'[' | b'{' | b',' | b':' | b'?' | b'-')
    )
}

/// Whether a bracket after `previous` in block context starts a node.
fn starts_node(previous: Option<u8>) -> bool {
    matches!(previous, None | Some(b':' | b'-' | b'?'))
}

/// The index after the quoted scalar opening at `start`, counting its
/// line breaks (an unterminated one runs to the end).
fn skip_quoted(bytes: &[u8], start: usize, line: &mut usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => *line += 1,
            b'\\' if quote == b'"' => i += 1,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            c if c == quote => return i + 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("key: {}{}\n", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn real_nesting_passes_and_deep_nesting_is_refused_where_it_passes_the_limit() {
        assert_eq!(check(&nested(MAX_FLOW_DEPTH)), Ok(()));
        assert_eq!(
            check(&format!("a: 1\nb: 2\n{}", nested(MAX_FLOW_DEPTH + 1))),
            Err((3, MAX_FLOW_DEPTH + 1))
        );
        assert_eq!(check(&"[".repeat(100_000)), Err((1, MAX_FLOW_DEPTH + 1)));
        assert!(check(&"{a: ".repeat(100)).is_err());
        // Nesting spread over lines.
        assert!(check(&"- [\n".repeat(100)).is_err());
    }

    #[test]
    fn quotes_hide_brackets_only_where_yaml_reads_them_as_quotes() {
        // Brackets inside quoted scalars are text.
        let quoted = format!("a: '{}'\nb: \"{}\"\n", "[".repeat(500), "{".repeat(500));
        assert_eq!(check(&quoted), Ok(()));
        assert_eq!(check("a: 'it''s [[[['\nb: \"say \\\"[[[[\\\"\"\n"), Ok(()));
        // A quote inside a plain scalar is a character, not a quote: the
        // nesting after it still counts.
        let hidden = format!("a: [x 'y, {}", "[".repeat(100));
        assert!(check(&hidden).is_err());
        let hidden = format!("a: [x\"y, {}", "[".repeat(100));
        assert!(check(&hidden).is_err());
        // Comments are skipped; a `#` inside a word is not a comment.
        assert_eq!(check(&format!("a: 1 # {}\n", "[".repeat(500))), Ok(()));
        assert!(check(&format!("a: [b#{}", "[".repeat(100))).is_err());
    }

    #[test]
    fn brackets_inside_plain_scalars_are_text_in_block_context() {
        // pnpm keys and versions hold brackets and parentheses as text.
        let text = "packages:\n  /foo@1.0.0(bar@2.0.0):\n    resolution: {integrity: sha512-abc}\n    cpu: [x64]\n  name[0]: x\n";
        assert_eq!(check(text), Ok(()));
        assert_eq!(check(&format!("a: b{}\n", "[".repeat(500))), Ok(()));
    }

    #[test]
    fn line_numbers_count_breaks_inside_quotes() {
        let text = format!("a: 'one\ntwo\nthree'\nb: {}", "[".repeat(65));
        assert_eq!(check(&text), Err((4, 65)));
    }
}
