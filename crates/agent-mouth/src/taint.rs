//! What the Python and TypeScript data-flow passes share: where a value may
//! come from, which environment variables hold credentials, and which
//! written files run later.

use std::ops::{BitOr, BitOrAssign};

/// Where a value may come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Taint {
    /// A network response (HTTP body, socket bytes).
    pub network: bool,
    /// Decoded or decompressed bytes.
    pub decoded: bool,
    /// The environment or a credential file.
    pub secret: bool,
}

impl Taint {
    pub(crate) fn any(self) -> bool {
        self.network || self.decoded || self.secret
    }

    /// Data an attacker can choose: fetched or decoded.
    pub(crate) fn hostile(self) -> bool {
        self.network || self.decoded
    }

    pub(crate) fn origin(self) -> &'static str {
        if self.network {
            "the network"
        } else if self.decoded {
            "decoded data"
        } else {
            "the environment or a secret file"
        }
    }
}

impl BitOr for Taint {
    type Output = Taint;
    fn bitor(self, o: Taint) -> Taint {
        Taint {
            network: self.network || o.network,
            decoded: self.decoded || o.decoded,
            secret: self.secret || o.secret,
        }
    }
}

impl BitOrAssign for Taint {
    fn bitor_assign(&mut self, o: Taint) {
        *self = *self | o;
    }
}

/// An environment variable name that holds a credential (not `HOME`,
/// `PORT` or `API_URL`).
pub(crate) fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "KEY", "TOKEN", "SECRET", "PASS", "PWD", "CRED", "AUTH", "SESSION", "COOKIE", "PRIVATE",
        "CERT",
    ]
    .iter()
    .any(|k| upper.contains(k))
        && upper != "PWD"
}

/// Code files of one language: their extensions and who runs them.
pub(crate) struct CodeFiles {
    pub extensions: &'static [&'static str],
    pub runs: &'static str,
}

/// Why a file written at `path` runs later, if it does: a trusted file, the
/// language's own code, a native library, a shell script.
pub(crate) fn runs_later(path: &str, code: &CodeFiles) -> Option<String> {
    if let Some(t) = crate::trusted::classify(path) {
        return Some(format!("{} (run later by {})", t.what, t.runs));
    }
    let file = path.rsplit('/').next().unwrap_or(path);
    let ext = file.rsplit_once('.').map(|x| x.1)?;
    if code.extensions.contains(&ext) {
        return Some(code.runs.into());
    }
    match ext {
        "so" | "dylib" | "dll" | "node" => Some("a native library".into()),
        "sh" | "bash" | "zsh" => Some("a shell script".into()),
        _ => None,
    }
}
