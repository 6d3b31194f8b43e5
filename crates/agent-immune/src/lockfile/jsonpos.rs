//! Cheap line lookups in JSON text: where a key occurs, and which string it
//! holds. The JSON parsers keep no positions; a lockfile's packages are
//! found by parsing, then placed on a line by these scans. Nothing here
//! decides what a file contains.

/// Each `"key": <value>` in `text` (anywhere on a line): the text after the
/// colon and the 1-based line. A cheap position lookup; the parse itself
/// is serde_json's.
pub(super) fn key_positions<'a>(text: &'a str, key: &str) -> Vec<(&'a str, usize)> {
    let quoted = format!("\"{key}\"");
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find(&quoted) {
            let after = &line[from + at + quoted.len()..];
            from += at + quoted.len();
            if let Some(value) = after.trim_start().strip_prefix(':') {
                out.push((value.trim_start(), i + 1));
            }
        }
    }
    out
}

/// The string at the start of `s` (a JSON string literal), decoded.
pub(super) fn leading_string(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return serde_json::from_str(&s[..=i]).ok(),
            _ => i += 1,
        }
    }
    None
}

/// Each `"key": "<string>"` in `text`, decoded, with its line, in order.
pub(super) fn string_values(text: &str, key: &str) -> Vec<(String, usize)> {
    key_positions(text, key)
        .into_iter()
        .filter_map(|(v, line)| Some((leading_string(v)?, line)))
        .collect()
}

/// 1-based line of the first `"key"` followed by `:` on or after line
/// `from_line` (1-based), wherever it sits on its line: errors about JSON
/// shapes name the line even in a file written on one line.
pub(crate) fn json_key_line(text: &str, key: &str, from_line: usize) -> Option<usize> {
    let start = if from_line <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', text.as_bytes())
            .nth(from_line - 2)
            .map_or(text.len(), |i| i + 1)
    };
    json_key_offset(text, key, start).map(|i| super::line_of(text, i))
}

/// Byte offset of the first `"key"` followed by `:` at or after `start`.
fn json_key_offset(text: &str, key: &str, start: usize) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    finder
        .find_iter(text.as_bytes().get(start..)?)
        .map(|i| start + i)
        .find(|&i| text[i + needle.len()..].trim_start().starts_with(':'))
}

/// 1-based line of the last key of a chain (`["dependencies", "a",
/// "dependencies"]`), each key looked for after the one before it.
pub(crate) fn json_chain_line(text: &str, chain: &[&str]) -> Option<usize> {
    let mut at = 0;
    for key in chain {
        at = json_key_offset(text, key, at)?;
    }
    Some(super::line_of(text, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_anywhere_on_a_line() {
        let text = "{\"name\": \"a\", \"x\": {\"name\" : \"b\\\"c\"}}\n  \"name\":\"d\",\n\"names\": \"e\"\n\"name\": 3";
        assert_eq!(
            string_values(text, "name"),
            [
                ("a".to_string(), 1),
                ("b\"c".to_string(), 1),
                ("d".to_string(), 2)
            ]
        );
        assert_eq!(key_positions(text, "name").len(), 4);
        assert_eq!(leading_string("\"open"), None);
    }

    #[test]
    fn json_key_lines() {
        let text = "{\"a\": {\"b\": 1},\n \"b\" : [\"a\"],\n\"c\":2}";
        assert_eq!(json_key_line(text, "a", 1), Some(1));
        assert_eq!(json_key_line(text, "b", 1), Some(1));
        assert_eq!(json_key_line(text, "b", 2), Some(2));
        assert_eq!(json_key_line(text, "a", 2), None, "a value, not a key");
        assert_eq!(json_key_line(text, "c", 1), Some(3));
        assert_eq!(json_key_line(text, "c", 9), None);
    }
}
