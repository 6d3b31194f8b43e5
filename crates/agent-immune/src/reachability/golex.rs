//! The import paths one Go source file declares.
//!
//! A small lexer for the start of a Go file: the `package` clause, then
//! `import` declarations — single (`import "fmt"`), grouped (`import ( … )`),
//! aliased (`import f "fmt"`), dot (`import . "fmt"`) and blank
//! (`import _ "embed"`) — with line and block comments anywhere and paths
//! as interpreted (`"…"`) or raw (`` `…` ``) strings. Go requires imports
//! before any other declaration, so lexing stops at the first token that is
//! neither; the rest of the file is never read. Import paths with escapes
//! are decoded for the simple escapes (`\"`, `\\`); a path that is not valid
//! is skipped rather than guessed. Never recursive, never panics.

/// Lexical tokens the import section is made of.
#[derive(Debug, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    Str(String),
    LParen,
    RParen,
    Semi,
    Dot,
    Other,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// The next token; `None` at the end of input (or an unterminated
    /// comment or string, which ends the import section just the same).
    fn next(&mut self) -> Option<Tok<'a>> {
        let b = self.src.as_bytes();
        loop {
            let c = *b.get(self.pos)?;
            match c {
                b'\n' => {
                    // A newline ends a statement (Go's automatic semicolon
                    // insertion); treating every newline as one is enough
                    // here because the parser skips empty statements.
                    self.pos += 1;
                    return Some(Tok::Semi);
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'/' if b.get(self.pos + 1) == Some(&b'/') => {
                    match memchr::memchr(b'\n', &b[self.pos..]) {
                        Some(i) => self.pos += i,
                        None => self.pos = b.len(),
                    }
                }
                b'/' if b.get(self.pos + 1) == Some(&b'*') => {
                    let rest = &self.src[self.pos + 2..];
                    let end = rest.find("*/")?;
                    let had_newline = rest[..end].contains('\n');
                    self.pos += 2 + end + 2;
                    if had_newline {
                        return Some(Tok::Semi);
                    }
                }
                b'(' => {
                    self.pos += 1;
                    return Some(Tok::LParen);
                }
                b')' => {
                    self.pos += 1;
                    return Some(Tok::RParen);
                }
                b';' => {
                    self.pos += 1;
                    return Some(Tok::Semi);
                }
                b'.' => {
                    self.pos += 1;
                    return Some(Tok::Dot);
                }
                b'"' => return self.interpreted(),
                b'`' => {
                    let rest = &self.src[self.pos + 1..];
                    let end = rest.find('`')?;
                    self.pos += 1 + end + 1;
                    return Some(Tok::Str(rest[..end].replace('\r', "")));
                }
                c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                    let start = self.pos;
                    let rest = &self.src[start..];
                    let len = rest
                        .char_indices()
                        .find(|&(_, ch)| !(ch == '_' || ch.is_alphanumeric()))
                        .map_or(rest.len(), |(i, _)| i);
                    if len == 0 {
                        // A non-letter character outside ASCII.
                        self.pos += rest.chars().next().map_or(1, char::len_utf8);
                        return Some(Tok::Other);
                    }
                    self.pos += len;
                    return Some(Tok::Ident(&self.src[start..start + len]));
                }
                _ => {
                    self.pos += 1;
                    return Some(Tok::Other);
                }
            }
        }
    }

    fn interpreted(&mut self) -> Option<Tok<'a>> {
        let b = self.src.as_bytes();
        let mut i = self.pos + 1;
        let mut out = String::new();
        let mut start = i;
        loop {
            match *b.get(i)? {
                b'"' => {
                    out.push_str(&self.src[start..i]);
                    self.pos = i + 1;
                    return Some(Tok::Str(out));
                }
                b'\n' => return None,
                b'\\' => {
                    out.push_str(&self.src[start..i]);
                    // The escaped character may be several bytes long
                    // (`\é`): step over all of it, to a char boundary.
                    let e = self.src.get(i + 1..)?.chars().next()?;
                    if e == '"' || e == '\\' {
                        out.push(e);
                    } else {
                        // Other escapes cannot appear in a valid import path.
                        out.push('\u{0}');
                    }
                    i += 1 + e.len_utf8();
                    start = i;
                }
                _ => i += 1,
            }
        }
    }
}

/// True for a string Go accepts as an import path (non-empty, no spaces,
/// control characters or the characters the spec forbids).
fn valid_path(p: &str) -> bool {
    !p.is_empty()
        && p.chars().all(|c| {
            c.is_ascii_graphic() && !"!\"#$%&'()*,:;<=>?[\\]^`{|}".contains(c)
                || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
        })
}

/// The import paths `src` (a Go source file) declares, in order.
pub(crate) fn imports(src: &str) -> Vec<String> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut lx = Lexer { src, pos: 0 };
    let mut out = Vec::new();
    let mut tok = next_significant(&mut lx);
    // package clause
    if tok != Some(Tok::Ident("package")) {
        return out;
    }
    tok = lx.next();
    if !matches!(tok, Some(Tok::Ident(_))) {
        return out;
    }
    loop {
        tok = next_significant(&mut lx);
        if tok != Some(Tok::Ident("import")) {
            return out;
        }
        match lx.next() {
            Some(Tok::LParen) => loop {
                match next_significant(&mut lx) {
                    Some(Tok::RParen) => break,
                    Some(t) => {
                        if !import_spec(t, &mut lx, &mut out) {
                            return out;
                        }
                    }
                    None => return out,
                }
            },
            Some(t) => {
                if !import_spec(t, &mut lx, &mut out) {
                    return out;
                }
            }
            None => return out,
        }
    }
}

/// Skips statement separators.
fn next_significant<'a>(lx: &mut Lexer<'a>) -> Option<Tok<'a>> {
    loop {
        match lx.next()? {
            Tok::Semi => continue,
            t => return Some(t),
        }
    }
}

/// One `[name | . | _] "path"`, starting at `first`; false when it is not one.
fn import_spec(first: Tok<'_>, lx: &mut Lexer<'_>, out: &mut Vec<String>) -> bool {
    let path = match first {
        Tok::Str(p) => p,
        Tok::Ident(_) | Tok::Dot => match lx.next() {
            Some(Tok::Str(p)) => p,
            _ => return false,
        },
        _ => return false,
    };
    if valid_path(&path) {
        out.push(path);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_import_form() {
        let src = "// Package x does things.\n\
            /* block\n comment */ package x // trailing\n\
            \n\
            import \"fmt\"\n\
            import f \"os\"; import . \"strings\"\n\
            import (\n\
            \t_ \"embed\"\n\
            \tnet \"net/http\" // comment with \"quotes\" and import \"nope\"\n\
            \t/* \"nope2\" */ `raw/path`\n\
            \t\"github.com/a/b/v2\"\n\
            )\n\
            import ()\n\
            \n\
            import \"late\"\n\
            func main() { _ = \"not/an/import\" }\n\
            import \"after/func\"\n";
        assert_eq!(
            imports(src),
            [
                "fmt",
                "os",
                "strings",
                "embed",
                "net/http",
                "raw/path",
                "github.com/a/b/v2",
                "late"
            ]
        );
    }

    #[test]
    fn not_go_or_broken() {
        assert!(imports("").is_empty());
        assert!(imports("import \"fmt\"").is_empty(), "no package clause");
        assert!(imports("package").is_empty());
        assert_eq!(imports("package x\nimport \"a\"\nimport \"b"), ["a"]);
        assert_eq!(imports("package x\nimport (\n\"a\"\n/* open"), ["a"]);
        assert_eq!(
            imports("package x\nimport \"bad path\"\nimport \"c\""),
            ["c"]
        );
        assert_eq!(imports("package x\nimport \"a\\tb\""), Vec::<String>::new());
        assert_eq!(imports("\u{feff}package x\nimport \"é/ü\""), ["é/ü"]);
        let deep = format!("package x\nimport {}", "(".repeat(100_000));
        assert!(imports(&deep).is_empty());
    }

    /// Found by `never_panics` in CI: a backslash before a multi-byte
    /// character stepped into the middle of it.
    #[test]
    fn an_escaped_multibyte_character_is_stepped_over_whole() {
        for text in ["\"\\é\"", "package p\nimport \"a\\é/b\"\n", "import \"\\"] {
            let _ = imports(text);
        }
        assert!(imports("import \"\\é\"").is_empty());
    }

    proptest::proptest! {
        /// Any text: no panic, and only valid paths come out.
        #[test]
        fn never_panics(body in "(import|package|[ \t\n();._`\"/*\\a-zé]){0,60}") {
            for text in [body.clone(), format!("package p\n{body}")] {
                for p in imports(&text) {
                    proptest::prop_assert!(valid_path(&p), "{:?} from {:?}", p, text);
                }
            }
        }
    }
}
