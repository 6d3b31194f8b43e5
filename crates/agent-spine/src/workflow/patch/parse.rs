//! Reads the file sections of a unified diff as `git apply` does: `diff
//! --git` sections with their extended headers (modes, renames, copies,
//! binary markers) and traditional `---`/`+++` sections, hunks consumed by
//! the counts in their `@@` headers (so a removed line `-- x` is not taken
//! for a file header), everything else skipped as git skips it. Pure: no
//! I/O, no path policy (that is `path.rs`), no content (git computes that).
//!
//! This reader only has to find every path git will touch; `plan` checks
//! it against the list git itself prints for the same patch, so a patch
//! the two read differently is refused rather than half-checked.

/// A name read from the patch, with the 1-based line it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The path, unquoted and with its first component stripped (`-p1`)
    /// where the format has one.
    pub path: String,
    /// Where it was read.
    pub line: usize,
}

/// One file's section of the patch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// The line the section starts on.
    pub line: usize,
    /// The file before (`None`: the patch creates it).
    pub old: Option<Name>,
    /// The file after (`None`: the patch deletes it).
    pub new: Option<Name>,
    /// `rename from`/`rename to`.
    pub rename: bool,
    /// The line of a `copy from`, when the section copies a file.
    pub copy: Option<usize>,
    /// Modes the section sets (`new file mode`, `new mode`), with their lines.
    pub modes: Vec<(String, usize)>,
    /// The line of a `GIT binary patch` or `Binary files … differ` marker.
    pub binary: Option<usize>,
}

/// A patch this reader cannot follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line in the patch.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn malformed(index: usize, message: impl Into<String>) -> Malformed {
    Malformed {
        line: index + 1,
        message: message.into(),
    }
}

/// Every file section of `patch`, in order.
pub fn sections(patch: &str) -> Result<Vec<Section>, Malformed> {
    let mut lines: Vec<&str> = patch.split('\n').collect();
    if patch.ends_with('\n') {
        // The text after the last newline is not a line.
        lines.pop();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = line.strip_prefix("diff --git ") {
            let (section, next) = git_section(&lines, i, rest)?;
            out.push(section);
            i = next;
        } else if line.starts_with("--- ")
            && lines.get(i + 1).is_some_and(|l| l.starts_with("+++ "))
            && lines.get(i + 2).is_some_and(|l| l.starts_with("@@ -"))
        {
            let (section, next) = traditional_section(&lines, i)?;
            out.push(section);
            i = next;
        } else if is_binary_marker(line) {
            return Err(malformed(i, "a binary patch outside any file section"));
        } else {
            i += 1;
        }
    }
    Ok(out)
}

fn is_binary_marker(line: &str) -> bool {
    line.starts_with("GIT binary patch")
        || (line.starts_with("Binary files ") && line.ends_with(" differ"))
}

/// A `diff --git` section starting at `start`; returns it and the index
/// of the first line after it.
fn git_section(lines: &[&str], start: usize, header: &str) -> Result<(Section, usize), Malformed> {
    let mut s = Section {
        line: start + 1,
        ..Section::default()
    };
    let default = header_name(header).map(|path| Name {
        path,
        line: start + 1,
    });
    let (mut old, mut new) = (None, None);
    let (mut created, mut deleted) = (false, false);
    let mut i = start + 1;
    while let Some(line) = lines.get(i) {
        let at = |p: Option<String>| p.map(|path| Name { path, line: i + 1 });
        let name =
            |rest: &str, strip: bool| read_name(rest, strip, false).map_err(|m| malformed(i, m));
        if let Some(m) = line.strip_prefix("new file mode ") {
            created = true;
            s.modes.push((m.trim().to_owned(), i + 1));
        } else if let Some(m) = line.strip_prefix("new mode ") {
            s.modes.push((m.trim().to_owned(), i + 1));
        } else if line.starts_with("deleted file mode ") {
            deleted = true;
        } else if let Some(rest) = line.strip_prefix("rename from ") {
            s.rename = true;
            old = at(name(rest, false)?);
        } else if let Some(rest) = line.strip_prefix("rename to ") {
            s.rename = true;
            new = at(name(rest, false)?);
        } else if let Some(rest) = line.strip_prefix("copy from ") {
            s.copy = Some(i + 1);
            old = at(name(rest, false)?);
        } else if let Some(rest) = line.strip_prefix("copy to ") {
            new = at(name(rest, false)?);
        } else if let Some(rest) = line.strip_prefix("--- ") {
            if !s.rename && s.copy.is_none() {
                old = at(name(rest, true)?).or(old);
            }
        } else if let Some(rest) = line.strip_prefix("+++ ") {
            if !s.rename && s.copy.is_none() {
                new = at(name(rest, true)?).or(new);
            }
        } else if is_binary_marker(line) {
            s.binary = Some(i + 1);
        } else if line.starts_with("@@ -") {
            i = hunks(lines, i)?;
            break;
        } else if !(line.starts_with("old mode ")
            || line.starts_with("index ")
            || line.starts_with("similarity index ")
            || line.starts_with("dissimilarity index ")
            || line.starts_with("rename old ")
            || line.starts_with("rename new "))
        {
            break;
        }
        i += 1;
    }
    s.old = if created {
        None
    } else {
        old.or_else(|| default.clone())
    };
    s.new = if deleted { None } else { new.or(default) };
    if s.old.is_none() && s.new.is_none() {
        return Err(malformed(
            start,
            "the `diff --git` header names no file git can read",
        ));
    }
    Ok((s, i))
}

/// A `---`/`+++`/`@@` section starting at `start`.
fn traditional_section(lines: &[&str], start: usize) -> Result<(Section, usize), Malformed> {
    let name = |i: usize, rest: &str| {
        read_name(rest, true, true)
            .map(|p| p.map(|path| Name { path, line: i + 1 }))
            .map_err(|m| malformed(i, m))
    };
    let old = name(start, &lines[start][4..])?;
    let new = name(start + 1, &lines[start + 1][4..])?;
    let next = hunks(lines, start + 2)?;
    Ok((
        Section {
            line: start + 1,
            old,
            new,
            ..Section::default()
        },
        next,
    ))
}

/// Consumes the hunks starting at `start` (a `@@ -` line) by their counts;
/// returns the index of the first line after them.
fn hunks(lines: &[&str], start: usize) -> Result<usize, Malformed> {
    let mut i = start;
    while let Some(header) = lines.get(i).filter(|l| l.starts_with("@@ -")) {
        let (mut old, mut new) = hunk_counts(header)
            .ok_or_else(|| malformed(i, format!("bad hunk header `{}`", excerpt(header))))?;
        i += 1;
        while old > 0 || new > 0 {
            let Some(line) = lines.get(i) else {
                return Err(malformed(i, "the patch ends inside a hunk"));
            };
            let (o, n) = match line.as_bytes().first() {
                None | Some(b' ') => (1, 1),
                Some(b'-') => (1, 0),
                Some(b'+') => (0, 1),
                Some(b'\\') => (0, 0),
                Some(_) => {
                    return Err(malformed(
                        i,
                        format!(
                            "a line the hunk header does not leave room for: `{}`",
                            excerpt(line)
                        ),
                    ))
                }
            };
            old = old
                .checked_sub(o)
                .ok_or_else(|| malformed(i, "more old lines than the hunk header says"))?;
            new = new
                .checked_sub(n)
                .ok_or_else(|| malformed(i, "more new lines than the hunk header says"))?;
            i += 1;
        }
        if lines.get(i).is_some_and(|l| l.starts_with('\\')) {
            i += 1;
        }
    }
    Ok(i)
}

/// `@@ -a[,b] +c[,d] @@…` → (b, d); a missing count is 1.
fn hunk_counts(header: &str) -> Option<(usize, usize)> {
    let rest = header.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(" +")?;
    let (new, _) = rest.split_once(" @@")?;
    let count = |range: &str| -> Option<usize> {
        let mut it = range.splitn(2, ',');
        it.next()?.parse::<usize>().ok()?;
        it.next().map_or(Some(1), |c| c.parse().ok())
    };
    Some((count(old)?, count(new)?))
}

fn excerpt(line: &str) -> String {
    line.chars().take(60).collect()
}

/// A name after `--- `, `+++ `, `rename from ` and the like: C-quoted or
/// plain (ending at a tab, or at a space too in a traditional patch),
/// `/dev/null` as `None`, the first component stripped when `strip`.
fn read_name(raw: &str, strip: bool, traditional: bool) -> Result<Option<String>, String> {
    let name = if raw.starts_with('"') {
        unquote(raw)?.0
    } else {
        let end = raw
            .find(|c| c == '\t' || (traditional && c == ' '))
            .unwrap_or(raw.len());
        raw[..end].to_owned()
    };
    if name == "/dev/null" {
        return Ok(None);
    }
    if !strip {
        return Ok(Some(name));
    }
    match name.split_once('/') {
        Some((_, rest)) => Ok(Some(rest.to_owned())),
        None => Err(format!(
            "`{}` has no leading directory to strip (the patch is applied with -p1, as `git diff` writes it)",
            excerpt(&name)
        )),
    }
}

/// The file `diff --git a/X b/X` names, when both sides agree.
fn header_name(header: &str) -> Option<String> {
    if header.starts_with('"') {
        let (a, rest) = unquote(header).ok()?;
        let rest = rest.strip_prefix(' ')?;
        let b = if rest.starts_with('"') {
            unquote(rest).ok()?.0
        } else {
            rest.to_owned()
        };
        let (a, b) = (a.split_once('/')?.1, b.split_once('/')?.1);
        return (a == b).then(|| a.to_owned());
    }
    header.match_indices(' ').find_map(|(k, _)| {
        let a = header[..k].split_once('/')?.1;
        let b = header[k + 1..].split_once('/')?.1;
        (a == b && !a.is_empty()).then(|| a.to_owned())
    })
}

/// A C-quoted string at the start of `raw` (git's quoting of unusual
/// names); returns it and what follows the closing quote.
fn unquote(raw: &str) -> Result<(String, &str), String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let text = String::from_utf8(out)
                    .map_err(|_| "a quoted name that is not UTF-8".to_owned())?;
                return Ok((text, &raw[i + 1..]));
            }
            b'\\' => {
                let (byte, used) = escape(&bytes[i + 1..])
                    .ok_or_else(|| "a bad escape in a quoted name".to_owned())?;
                out.push(byte);
                i += 1 + used;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Err("a quoted name with no closing quote".to_owned())
}

fn escape(rest: &[u8]) -> Option<(u8, usize)> {
    let simple = match rest.first()? {
        b'a' => 7,
        b'b' => 8,
        b't' => b'\t',
        b'n' => b'\n',
        b'v' => 11,
        b'f' => 12,
        b'r' => b'\r',
        b'"' => b'"',
        b'\\' => b'\\',
        b'0'..=b'3' => {
            let digits = rest.get(..3)?;
            if !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                return None;
            }
            let value = digits.iter().fold(0u16, |v, d| v * 8 + u16::from(d - b'0'));
            return Some((u8::try_from(value).ok()?, 3));
        }
        _ => return None,
    };
    Some((simple, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(path: &str, line: usize) -> Option<Name> {
        Some(Name {
            path: path.to_owned(),
            line,
        })
    }

    #[test]
    fn a_removed_line_that_looks_like_a_header_stays_in_its_hunk() {
        let patch = "--- a/x\n+++ b/x\n@@ -1,2 +1,1 @@\n--- a/evil\n-+++ b/evil\n+ok\n";
        let s = sections(patch).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].old, name("x", 1));
    }

    #[test]
    fn git_sections_read_renames_modes_and_quoted_names() {
        let patch = "diff --git a/old.rs b/new.rs\nsimilarity index 90%\nrename from old.rs\nrename to new.rs\n\
                     diff --git \"a/t\\303\\251st\" \"b/t\\303\\251st\"\nnew file mode 100755\nindex 0000000..e69de29\n\
                     diff --git a/gone b/gone\ndeleted file mode 100644\n";
        let s = sections(patch).unwrap();
        assert_eq!(s.len(), 3);
        assert!(s[0].rename);
        assert_eq!(
            (s[0].old.clone(), s[0].new.clone()),
            (name("old.rs", 3), name("new.rs", 4))
        );
        assert_eq!(s[1].old, None);
        assert_eq!(s[1].new, name("tést", 5));
        assert_eq!(s[1].modes, vec![("100755".to_owned(), 6)]);
        assert_eq!(
            (s[2].old.clone(), s[2].new.clone()),
            (name("gone", 8), None)
        );
    }

    #[test]
    fn hunks_are_counted() {
        assert_eq!(
            sections("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n")
                .unwrap_err()
                .line,
            5
        );
        assert_eq!(
            sections("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n")
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            sections("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n-b\n")
                .unwrap_err()
                .line,
            5
        );
        assert!(sections("--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n-a\n+b\n").is_err());
    }

    #[test]
    fn names_are_cut_and_stripped() {
        assert_eq!(
            read_name("a/x y\t2020-01-01", true, false),
            Ok(Some("x y".to_owned()))
        );
        assert_eq!(
            read_name("a/x 2020-01-01", true, true),
            Ok(Some("x".to_owned()))
        );
        assert_eq!(read_name("/dev/null", true, true), Ok(None));
        assert!(read_name("x", true, true).is_err());
        assert_eq!(
            read_name("\"a/\\001\"", true, false),
            Ok(Some("\u{1}".to_owned()))
        );
        assert!(read_name("\"a/x", true, false).is_err());
        assert_eq!(header_name("a/b c/d b/b c/d"), Some("b c/d".to_owned()));
    }
}
