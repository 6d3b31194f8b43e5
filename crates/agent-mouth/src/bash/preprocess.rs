//! Bash removes backslash-newline (line continuation) in its input reader,
//! before tokenising, everywhere except inside single quotes. tree-sitter-bash
//! does not, so `r\<newline>m -rf ~` would parse as command `r`. We remove the
//! continuations first and keep a map back to the original offsets.

/// Returns the text bash's lexer would see, and the shift table for
/// [`crate::context::SpanMap::Shifted`]: `(offset in new text, bytes removed
/// before it)`.
pub(crate) fn join_continuations(src: &str) -> (String, Vec<(usize, usize)>) {
    if !src.contains("\\\n") {
        return (src.to_string(), Vec::new());
    }
    join(src)
}

/// Original offsets of the continuations bash removes that split a word
/// (`r\<newline>m`), which nobody writes except to hide the word.
pub(crate) fn mid_word_continuations(src: &str) -> Vec<usize> {
    if !src.contains("\\\n") {
        return Vec::new();
    }
    let (_, shifts) = join(src);
    let b = src.as_bytes();
    let wordy = |c: Option<&u8>| {
        c.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'.' | b'_'))
    };
    shifts
        .iter()
        .map(|&(new_at, removed)| new_at + removed - 2)
        .filter(|&i| i > 0 && wordy(b.get(i - 1)) && wordy(b.get(i + 2)))
        .collect()
}

fn join(src: &str) -> (String, Vec<(usize, usize)>) {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut shifts = Vec::new();
    let mut removed = 0usize;
    let mut i = 0usize;
    #[derive(PartialEq)]
    enum Q {
        None,
        Single,
        AnsiC,
        Double,
    }
    let mut q = Q::None;
    while i < b.len() {
        let c = b[i];
        match q {
            Q::Single => {
                if c == b'\'' {
                    q = Q::None;
                }
                out.push(c);
                i += 1;
            }
            Q::AnsiC => {
                if c == b'\\' && i + 1 < b.len() {
                    out.push(c);
                    out.push(b[i + 1]);
                    i += 2;
                    continue;
                }
                if c == b'\'' {
                    q = Q::None;
                }
                out.push(c);
                i += 1;
            }
            Q::None | Q::Double => {
                if c == b'\\' && i + 1 < b.len() {
                    if b[i + 1] == b'\n' {
                        removed += 2;
                        i += 2;
                        shifts.push((out.len(), removed));
                        continue;
                    }
                    out.push(c);
                    out.push(b[i + 1]);
                    i += 2;
                    continue;
                }
                if q == Q::None && c == b'\'' {
                    q = if out.last() == Some(&b'$') {
                        Q::AnsiC
                    } else {
                        Q::Single
                    };
                } else if c == b'"' {
                    q = if q == Q::Double { Q::None } else { Q::Double };
                }
                out.push(c);
                i += 1;
            }
        }
    }
    // Only ASCII bytes were removed, so the result is still valid UTF-8.
    let text = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    (text, shifts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_continuations_outside_single_quotes() {
        assert_eq!(join_continuations("r\\\nm -rf ~").0, "rm -rf ~");
        assert_eq!(join_continuations("echo 'a\\\nb'").0, "echo 'a\\\nb'");
        assert_eq!(join_continuations("echo \"a\\\nb\"").0, "echo \"ab\"");
        assert_eq!(join_continuations("echo \\\\\nls").0, "echo \\\\\nls");
    }

    #[test]
    fn shift_table_maps_back() {
        let (t, shifts) = join_continuations("cu\\\nrl x");
        assert_eq!(t, "curl x");
        let map = crate::context::SpanMap::Shifted(shifts);
        // "x" is at 5 in the new text and 7 in the original.
        assert_eq!(map.map(&(5..6)), 7..8);
        assert_eq!(map.map(&(0..2)), 0..2);
    }
}
