//! The machinery behind the key tables in `schema.rs`.
//!
//! Every key is declared once, in a [`section!`] block: its doc line, its
//! type, its default and (where the type does not decide it) its [`Kind`].
//! From that one declaration the macro generates the section's struct and
//! `Default`, its `~` expansion, and its [`SectionSpec`], which drives the
//! loader's checks and messages (unknown key, nearest key, wrong type,
//! invalid value, removed key), `config show` and the commented default file.
//! [`choice!`] declares the enum of a choice key the same way: each variant
//! with its name in the file, once.

use std::path::PathBuf;

use crate::paths::Paths;

/// The type and constraints of one key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Bool,
    /// An integer in `min..=max`.
    Integer {
        min: i64,
        max: i64,
    },
    /// A number (integer or float) in `min..=max`.
    Float {
        min: f64,
        max: f64,
    },
    /// A string accepted by `check`, which explains a rejection.
    Text {
        check: fn(&str) -> Result<(), String>,
    },
    /// A non-empty path; `~` is expanded after loading.
    Path,
    /// An array of non-empty absolute paths (`~/…` allowed).
    PathList,
    /// An array of strings, each accepted by `check`.
    TextList {
        check: fn(&str) -> Result<(), String>,
    },
    /// One of the names in `values`.
    Choice {
        values: &'static [&'static str],
    },
}

impl Kind {
    /// What a value of this kind looks like, for "expected …" messages.
    pub(crate) fn expected(self) -> String {
        match self {
            Kind::Bool => "a boolean (true or false)".to_owned(),
            Kind::Integer { min, max } => format!("an integer from {min} to {max}"),
            Kind::Float { min, max } => format!("a number from {min} to {max}"),
            Kind::Text { .. } => "a string".to_owned(),
            Kind::Path => "a path string".to_owned(),
            Kind::PathList => "an array of path strings".to_owned(),
            Kind::TextList { .. } => "an array of strings".to_owned(),
            Kind::Choice { values } => {
                format!("one of the strings {}", quoted(values.iter().copied()))
            }
        }
    }
}

/// `"a", "b", "c"`.
pub(crate) fn quoted<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    values
        .into_iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One key of a section.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeySpec {
    pub name: &'static str,
    pub kind: Kind,
    /// One line for the commented default file and `config show --json`.
    pub doc: &'static str,
    /// For keys without a default: an example value (TOML) shown commented out.
    pub example: Option<&'static str>,
}

/// A key that was removed, and what to do instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RemovedKey {
    pub name: &'static str,
    /// Completes "`section.key` was removed: …".
    pub instead: &'static str,
}

/// One `[section]` of the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SectionSpec {
    pub name: &'static str,
    pub doc: &'static str,
    pub keys: &'static [KeySpec],
    pub removed: &'static [RemovedKey],
}

impl SectionSpec {
    pub(crate) fn key(&self, name: &str) -> Option<&'static KeySpec> {
        self.keys.iter().find(|key| key.name == name)
    }

    pub(crate) fn removed(&self, name: &str) -> Option<&'static RemovedKey> {
        self.removed.iter().find(|key| key.name == name)
    }
}

/// A Rust type a key can have.
pub(crate) trait Value {
    /// The key's [`Kind`] when the type alone decides it; `None` for numbers
    /// and free text, whose keys declare theirs with `#[kind(…)]`.
    const KIND: Option<Kind>;

    /// Expands `~` (path types only).
    fn expand(&mut self, _paths: &Paths) {}
}

macro_rules! value_without_kind {
    ($($ty:ty),*) => {
        $(impl Value for $ty {
            const KIND: Option<Kind> = None;
        })*
    };
}

value_without_kind!(u32, u64, i64, f64, String, Option<String>, Vec<String>);

impl Value for bool {
    const KIND: Option<Kind> = Some(Kind::Bool);
}

impl Value for PathBuf {
    const KIND: Option<Kind> = Some(Kind::Path);
    fn expand(&mut self, paths: &Paths) {
        *self = paths.expand_path(self);
    }
}

impl Value for Option<PathBuf> {
    const KIND: Option<Kind> = Some(Kind::Path);
    fn expand(&mut self, paths: &Paths) {
        if let Some(path) = self {
            path.expand(paths);
        }
    }
}

impl Value for Vec<PathBuf> {
    const KIND: Option<Kind> = Some(Kind::PathList);
    fn expand(&mut self, paths: &Paths) {
        for path in self {
            path.expand(paths);
        }
    }
}

/// Declares one section: its struct, `Default`, `~` expansion and
/// [`SectionSpec`] parts (`DOC`, `KEYS`, `REMOVED`), from one entry per key.
///
/// ```text
/// section! {
///     /// agent-muscle: sandboxed execution.        <- section comment in the file
///     MuscleConfig {
///         /// Guest vCPUs of a microVM (1 to 64).     <- the key's one-line doc
///         #[kind(Kind::Integer { min: 1, max: 64 })] <- only if the type does not decide it
///         vm_vcpus: u64 = 1,                          <- name, type, default
///     }
///     removed {
///         old_name: "use `muscle.vm_vcpus`",          <- "`muscle.old_name` was removed: …"
///     }
/// }
/// ```
///
/// An unset-by-default key is an `Option` with `#[example("\"…\"")]`, the
/// commented-out value the default file shows.
macro_rules! section {
    (
        #[doc = $doc:literal]
        $Struct:ident {
            $(
                #[doc = $key_doc:literal]
                $(#[kind($kind:expr)])?
                $(#[example($example:literal)])?
                $key:ident: $ty:ty = $default:expr,
            )*
        }
        $(removed {
            $($old:ident: $instead:literal,)*
        })?
    ) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $Struct {
            $(
                #[doc = $key_doc]
                pub $key: $ty,
            )*
        }

        impl Default for $Struct {
            fn default() -> Self {
                $Struct {
                    $($key: $default,)*
                }
            }
        }

        impl $Struct {
            pub(crate) const DOC: &'static str = $doc.trim_ascii_start();

            pub(crate) const KEYS: &'static [$crate::config::spec::KeySpec] = &[
                $($crate::config::spec::KeySpec {
                    name: stringify!($key),
                    kind: section!(@kind $key, $ty $(, $kind)?),
                    doc: $key_doc.trim_ascii_start(),
                    example: section!(@option $($example)?),
                },)*
            ];

            pub(crate) const REMOVED: &'static [$crate::config::spec::RemovedKey] = &[
                $($($crate::config::spec::RemovedKey {
                    name: stringify!($old),
                    instead: $instead,
                },)*)?
            ];

            /// Expands `~` in every path-valued key.
            fn expand_paths(&mut self, paths: &$crate::paths::Paths) {
                $($crate::config::spec::Value::expand(&mut self.$key, paths);)*
            }
        }
    };
    (@kind $key:ident, $ty:ty, $kind:expr) => {
        $kind
    };
    (@kind $key:ident, $ty:ty) => {
        match <$ty as $crate::config::spec::Value>::KIND {
            Some(kind) => kind,
            None => panic!(concat!("key `", stringify!($key), "` needs #[kind(…)]")),
        }
    };
    (@option $value:literal) => {
        Some($value)
    };
    (@option) => {
        None
    };
}

/// Declares the enum of a choice key: each variant with its name in the
/// file, once. Generates `ALL`, `NAMES`, `as_str`, `Display`, `FromStr`
/// (the error lists the allowed names), serde as the name, and [`Value`].
macro_rules! choice {
    (
        $(#[doc = $doc:literal])*
        pub enum $Enum:ident {
            $(
                #[doc = $variant_doc:literal]
                $Variant:ident = $name:literal,
            )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $Enum {
            $(
                #[doc = $variant_doc]
                #[serde(rename = $name)]
                $Variant,
            )*
        }

        impl $Enum {
            /// Every value, in declaration order.
            pub const ALL: &'static [$Enum] = &[$($Enum::$Variant,)*];
            /// The name of every value in the file, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($name,)*];

            /// The name used in the file and in output.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($Enum::$Variant => $name,)*
                }
            }
        }

        impl std::fmt::Display for $Enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $Enum {
            type Err = $crate::config::UnknownChoice;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $Enum::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| $crate::config::UnknownChoice {
                        value: s.to_owned(),
                        allowed: $Enum::NAMES,
                    })
            }
        }

        impl $crate::config::spec::Value for $Enum {
            const KIND: Option<$crate::config::spec::Kind> =
                Some($crate::config::spec::Kind::Choice { values: $Enum::NAMES });
        }
    };
}

/// A string that names none of a choice key's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{value}\" is not one of {}", quoted(allowed.iter().copied()))]
pub struct UnknownChoice {
    /// The string given.
    pub value: String,
    /// The names allowed.
    pub allowed: &'static [&'static str],
}

pub(crate) use {choice, section};
