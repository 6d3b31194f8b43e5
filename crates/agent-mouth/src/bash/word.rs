//! Normalising a shell word: resolve quoting, backslash escapes, ANSI-C
//! strings and known-constant variables into the text bash would pass to
//! the program, and record why a word is *not* known at parse time.

use crate::syntax::kind;
use std::collections::HashMap;
use std::ops::Range;

use tree_sitter::Node;

/// Why a word's value is not fully known before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dyn {
    Variable,
    CommandSubst,
    ProcessSubst,
    Arithmetic,
    Glob,
    Brace,
}

impl Dyn {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Dyn::Variable => "a variable expansion",
            Dyn::CommandSubst => "a command substitution",
            Dyn::ProcessSubst => "a process substitution",
            Dyn::Arithmetic => "an arithmetic expansion",
            Dyn::Glob => "a glob pattern",
            Dyn::Brace => "a brace expansion",
        }
    }
}

/// A shell word after normalisation.
#[derive(Clone, Debug)]
pub(crate) struct Word {
    /// The value bash would produce; dynamic parts keep their source text,
    /// single-character glob classes (`w[g]et`) are reduced to the character.
    pub text: String,
    /// First reason the value is not known, if any.
    pub dynamic: Option<Dyn>,
    /// Whether a command or process substitution occurs anywhere in it.
    pub has_subst: bool,
    /// Byte range in the analysed text.
    pub range: Range<usize>,
    /// tree-sitter node kind of the word.
    pub kind: &'static str,
    /// Part of the value came from a variable we could resolve.
    pub from_var: bool,
    /// A sign the word was written to hide what it says (`c''url`,
    /// `w\ho`, `$'\x63url'`, `${IFS}`, empty substitutions).
    pub obfuscated: Option<&'static str>,
}

impl Word {
    pub(crate) fn literal(&self) -> bool {
        self.dynamic.is_none()
    }
    pub(crate) fn is(&self, s: &str) -> bool {
        self.text == s
    }
}

/// Constant variables seen so far in the script (`a=cu; b=rl; $a$b`).
pub(crate) type Vars = HashMap<String, String>;

struct Builder<'s> {
    src: &'s str,
    text: String,
    /// Unquoted text only, to find globs and braces that bash would expand.
    unquoted: String,
    dynamic: Option<Dyn>,
    has_subst: bool,
    from_var: bool,
    obfuscated: Option<&'static str>,
    quoted_pieces: usize,
    unquoted_pieces: usize,
    in_quotes: bool,
}

impl Builder<'_> {
    fn obf(&mut self, why: &'static str) {
        if self.obfuscated.is_none() {
            self.obfuscated = Some(why);
        }
    }
    fn dynamic(&mut self, d: Dyn) {
        if self.dynamic.is_none() {
            self.dynamic = Some(d);
        }
    }
    fn quoted(&mut self, s: &str) {
        self.text.push_str(s);
        self.unquoted
            .extend(std::iter::repeat_n('q', s.chars().count()));
    }
}

pub(crate) fn normalize(node: Node<'_>, src: &str, vars: &Vars) -> Word {
    let mut b = Builder {
        src,
        text: String::new(),
        unquoted: String::new(),
        dynamic: None,
        has_subst: false,
        from_var: false,
        obfuscated: None,
        quoted_pieces: 0,
        unquoted_pieces: 0,
        in_quotes: false,
    };
    piece(&mut b, node, vars, 0);
    if kind(node) == "concatenation" && b.quoted_pieces > 0 && b.unquoted_pieces > 0 {
        b.obf("mixes quoted and unquoted pieces in one word");
    }
    // Globs and braces are only special when unquoted.
    let u = &b.unquoted;
    if u.contains('*') || u.contains('?') || has_bracket_class(u) {
        b.dynamic(Dyn::Glob);
        b.text = reduce_char_classes(&b.text);
    } else if has_brace_expansion(u) {
        b.dynamic(Dyn::Brace);
    }
    Word {
        text: b.text,
        dynamic: b.dynamic,
        has_subst: b.has_subst,
        from_var: b.from_var,
        obfuscated: b.obfuscated,
        range: node.byte_range(),
        kind: match kind(node) {
            "process_substitution" => "process_substitution",
            "command_substitution" => "command_substitution",
            "string" => "string",
            "raw_string" => "raw_string",
            _ => "word",
        },
    }
}

fn piece(b: &mut Builder<'_>, node: Node<'_>, vars: &Vars, depth: usize) {
    let raw = &b.src[node.byte_range()];
    if depth > 64 {
        b.dynamic(Dyn::Variable);
        b.text.push_str(raw);
        return;
    }
    match kind(node) {
        "word" | "number" | "special_variable_name" | "variable_name" => {
            if !raw.is_empty() {
                b.unquoted_pieces += 1;
            }
            let mut chars = raw.chars().peekable();
            let mut first = b.text.is_empty();
            while let Some(c) = chars.next() {
                let leading = std::mem::replace(&mut first, false);
                if c == '\\' {
                    // a leading `\cmd` is the usual way to bypass an alias
                    if !leading && chars.peek().is_some_and(|n| n.is_ascii_alphanumeric()) {
                        b.obf("escapes ordinary letters with backslashes");
                    }
                    if let Some(n) = chars.next() {
                        // An escaped character is literal, never a glob.
                        b.text.push(n);
                        b.unquoted.push('q');
                    }
                } else {
                    b.text.push(c);
                    b.unquoted.push(c);
                }
            }
        }
        "raw_string" => {
            let inner = raw
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .unwrap_or(raw);
            b.quoted_pieces += 1;
            if inner.is_empty() {
                b.obf("contains empty quotes");
            }
            b.quoted(inner);
        }
        "ansi_c_string" => {
            let inner = raw
                .strip_prefix("$'")
                .and_then(|s| s.strip_suffix('\''))
                .unwrap_or(raw);
            let decoded = decode_ansi_c(inner);
            b.quoted_pieces += 1;
            let escapes = inner.matches("\\x").count()
                + inner.matches("\\u").count()
                + inner
                    .as_bytes()
                    .windows(2)
                    .filter(|w| w[0] == b'\\' && w[1].is_ascii_digit())
                    .count();
            if escapes >= 3
                || (escapes >= 1
                    && decoded
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '.'))
            {
                b.obf("spells characters with ANSI-C escapes");
            }
            b.quoted(&decoded);
        }
        "string" | "translated_string" => {
            b.quoted_pieces += 1;
            if node.named_child_count() == 0 {
                b.obf("contains empty quotes");
            }
            let mut c = node.walk();
            for ch in node.named_children(&mut c) {
                if kind(ch) == "string_content" {
                    let s = unescape_double(&b.src[ch.byte_range()]);
                    b.quoted(&s);
                } else {
                    let before = b.unquoted.len();
                    let was = std::mem::replace(&mut b.in_quotes, true);
                    piece(b, ch, vars, depth + 1);
                    b.in_quotes = was;
                    // expansions inside quotes do not glob
                    let n = b.unquoted[before..].chars().count();
                    b.unquoted.truncate(before);
                    b.unquoted.extend(std::iter::repeat_n('q', n));
                }
            }
            // `""` with no children still contributes an empty string.
        }
        "concatenation" => {
            let mut c = node.walk();
            for ch in node.children(&mut c) {
                piece(b, ch, vars, depth + 1);
            }
        }
        "simple_expansion" | "expansion" => {
            if let Some(v) = resolve_var(node, b.src, vars) {
                if v == " " {
                    if !b.in_quotes {
                        b.obf("uses $IFS as a separator");
                    }
                } else {
                    b.from_var = true;
                }
                b.quoted(&v);
            } else {
                b.dynamic(Dyn::Variable);
                b.text.push_str(raw);
                b.unquoted.push('q');
            }
            if contains_kind(node, &["command_substitution", "process_substitution"]) {
                b.has_subst = true;
            }
        }
        "command_substitution" if node.named_child_count() == 0 => {
            // `` `` `` or `$()`: expands to nothing
            b.obf("contains an empty command substitution");
        }
        "command_substitution" => {
            b.dynamic(Dyn::CommandSubst);
            b.has_subst = true;
            b.text.push_str(raw);
            b.unquoted.push('q');
        }
        "process_substitution" => {
            b.dynamic(Dyn::ProcessSubst);
            b.has_subst = true;
            b.text.push_str(raw);
            b.unquoted.push('q');
        }
        "arithmetic_expansion" => {
            b.dynamic(Dyn::Arithmetic);
            b.text.push_str(raw);
            b.unquoted.push('q');
        }
        "brace_expression" => {
            b.dynamic(Dyn::Brace);
            b.text.push_str(raw);
            b.unquoted.push('q');
        }
        _ if raw == "``" || raw == "$()" => {
            b.obf("contains an empty command substitution");
        }
        _ => {
            // Tokens such as `=` inside a concatenation, or unknown nodes:
            // keep the text, unknown kinds make the word dynamic.
            if node.is_named() && kind(node) != "string_content" {
                b.dynamic(Dyn::Variable);
            }
            b.text.push_str(raw);
            b.unquoted.push_str(raw);
        }
    }
}

fn contains_kind(node: Node<'_>, kinds: &[&str]) -> bool {
    let mut stack = vec![node];
    let mut seen = 0;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            return true;
        }
        if kinds.contains(&kind(n)) {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    false
}

/// `$x`, `${x}` with a constant value; `$IFS` as a space (a classic
/// filter bypass: `cat${IFS}/etc/passwd`).
fn resolve_var(node: Node<'_>, src: &str, vars: &Vars) -> Option<String> {
    let mut c = node.walk();
    let named: Vec<Node<'_>> = node.named_children(&mut c).collect();
    let [only] = named.as_slice() else {
        // `${IFS%??}` and friends still expand to whitespace.
        let first = named.first()?;
        if &src[first.byte_range()] == "IFS" {
            return Some(" ".into());
        }
        return None;
    };
    if kind(only) != "variable_name" {
        return None;
    }
    let name = &src[only.byte_range()];
    if name == "IFS" {
        return Some(" ".into());
    }
    vars.get(name).cloned()
}

fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&n @ ('$' | '`' | '"' | '\\')) => {
                    out.push(n);
                    chars.next();
                }
                Some('\n') => {
                    chars.next();
                }
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Decodes the body of a `$'...'` string as bash does.
pub(crate) fn decode_ansi_c(s: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    let hex = |c: u8| (c as char).to_digit(16);
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        let c = b[i];
        i += 1;
        match c {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'e' | b'E' => out.push(0x1b),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'\\' | b'\'' | b'"' | b'?' => out.push(c),
            b'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && i < b.len() {
                    match hex(b[i]) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    out.extend_from_slice(b"\\x");
                } else {
                    out.push(v as u8);
                }
            }
            b'u' | b'U' => {
                let max = if c == b'u' { 4 } else { 8 };
                let mut v = 0u32;
                let mut n = 0;
                while n < max && i < b.len() {
                    match hex(b[i]) {
                        Some(d) => {
                            v = v * 16 + d;
                            i += 1;
                            n += 1;
                        }
                        None => break,
                    }
                }
                let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            b'c' if i < b.len() => {
                out.push(b[i] & 0x1f);
                i += 1;
            }
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn has_bracket_class(u: &str) -> bool {
    match u.find('[') {
        Some(i) => u[i + 1..].contains(']') && !u.starts_with("[[") && u != "[",
        None => false,
    }
}

fn has_brace_expansion(u: &str) -> bool {
    let Some(open) = u.find('{') else {
        return false;
    };
    let Some(close) = u[open..].find('}') else {
        return false;
    };
    let inner = &u[open + 1..open + close];
    inner.contains(',') || inner.contains("..")
}

/// `w[g]et` → `wget`: a one-character class matches only that character.
fn reduce_char_classes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '[' && i + 2 < chars.len() && chars[i + 2] == ']' && chars[i + 1] != '!' {
            out.push(chars[i + 1]);
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_c() {
        assert_eq!(decode_ansi_c("\\x63url"), "curl");
        assert_eq!(decode_ansi_c("\\143url"), "curl");
        assert_eq!(decode_ansi_c("\\u0063url"), "curl");
        assert_eq!(decode_ansi_c("a\\nb"), "a\nb");
    }

    #[test]
    fn char_classes() {
        assert_eq!(reduce_char_classes("w[g]et"), "wget");
        assert_eq!(reduce_char_classes("/usr/bin/s[h]"), "/usr/bin/sh");
        assert_eq!(reduce_char_classes("[ab]c"), "[ab]c");
    }
}
