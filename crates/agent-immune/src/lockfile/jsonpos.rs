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
}
