//! The program table: reviewed facts about which options, subcommands and
//! operands of a program give it an effect (`data/programs.toml`, embedded).
//!
//! This module owns reading and checking the table and finding a program in
//! it. It holds no policy: which finding an effect becomes is decided by the
//! bash rules (`bash/program_effects.rs`), and the table's own examples are
//! run by `tests/it/programs.rs`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

/// The table as shipped (`data/programs.toml`).
pub const PROGRAMS_TOML: &str = include_str!("../data/programs.toml");

/// Programs known without a table entry (`data/known_programs.txt`).
pub const KNOWN_PROGRAMS_TXT: &str = include_str!("../data/known_programs.txt");

/// What a program that neither the table, the known list nor a rule knows
/// gets (`[mouth] unknown_programs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownPrograms {
    /// Nothing: judged by the general rules only.
    Allow,
    /// Review when its arguments look like an effect: code given to an
    /// option, a path in system or home directories.
    #[default]
    Shape,
    /// Always review.
    Review,
}

impl UnknownPrograms {
    /// Every policy, for `--help` and reports.
    pub const ALL: [UnknownPrograms; 3] = [
        UnknownPrograms::Allow,
        UnknownPrograms::Shape,
        UnknownPrograms::Review,
    ];

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownPrograms::Allow => "allow",
            UnknownPrograms::Shape => "shape",
            UnknownPrograms::Review => "review",
        }
    }
}

impl std::str::FromStr for UnknownPrograms {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UnknownPrograms::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown_programs must be allow, shape or review, not {s:?}"))
    }
}

/// What an option, subcommand or operand makes a program do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The value is run as a program or shell command line.
    Runs,
    /// The value is the command line the program exists to run for its
    /// caller (`flock -c`, `su -c`): judged as that command, like `sh -c`.
    Wraps,
    /// The value (or the option) is code in the program's own language.
    RunsCode,
    /// The value is a path written.
    Writes,
    /// Local data leaves the machine.
    Sends,
    /// A port is opened for others.
    Listens,
    /// The value is a library or module loaded into the process.
    Loads,
    /// A container is given the host.
    Privileged,
    /// An interactive shell, or an interface that opens one.
    Shell,
    /// Infrastructure, secrets or data are deleted.
    Destroys,
}

/// Which operands an effect acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operands {
    /// Every operand.
    Any,
    /// The last operand, when there are at least two (a destination).
    Last,
}

/// One program (and its aliases) in the table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Names it is run by (basename of argv\[0\]).
    pub names: Vec<String>,
    /// Grouping for documentation (`archivers`, `containers`, …).
    pub family: String,
    /// Where the facts come from (manual sections, GTFOBins pages).
    pub sources: Vec<String>,
    /// What its options, subcommands and operands do.
    #[serde(default, rename = "effect")]
    pub effects: Vec<ProgramEffect>,
}

fn yes() -> bool {
    true
}

/// One effect of a program and what gives it. See the file's header for the
/// meaning of each field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramEffect {
    /// The effect.
    pub effect: Effect,
    /// Options that give it (their value is what it acts on).
    #[serde(default)]
    pub options: Vec<String>,
    /// Operands that give it, when no options are listed.
    pub operands: Option<Operands>,
    /// Alternative subcommand paths (`"secrets unset"`) it is limited to.
    #[serde(default)]
    pub subcommand: Vec<String>,
    /// Options that must also be present.
    #[serde(default)]
    pub with: Vec<String>,
    /// Arguments that cancel it.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Only when the program is run without operands.
    #[serde(default)]
    pub operands_none: bool,
    /// Whether the options take a value (false: a flag).
    #[serde(default = "yes")]
    pub takes_value: bool,
    /// Multi-letter single-dash options also take an attached value (`-oGfile`).
    #[serde(default)]
    pub attached: bool,
    /// The value must start with one of these (stripped before judging).
    #[serde(default)]
    pub value_prefix: Vec<String>,
    /// The value must contain one of these.
    #[serde(default)]
    pub value_contains: Vec<String>,
    /// The value must end with one of these.
    #[serde(default)]
    pub value_suffix: Vec<String>,
    /// Values (program names, commands) whose use is ordinary.
    #[serde(default)]
    pub harmless: Vec<String>,
    /// Why this is an effect, shown in the finding.
    pub reason: String,
    /// Commands it must flag.
    #[serde(rename = "match")]
    pub matches: Vec<String>,
    /// Commands that must be allowed.
    pub allow: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    program: Vec<Program>,
}

/// The parsed table with a by-name index.
#[derive(Debug)]
pub struct Table {
    programs: Vec<Program>,
    by_name: HashMap<String, usize>,
}

/// A table that fails its checks: the message names the program and field.
#[derive(Debug, thiserror::Error)]
#[error("data/programs.toml: {0}")]
pub struct TableError(String);

impl Table {
    /// Parses and checks a table.
    pub fn parse(text: &str) -> Result<Table, TableError> {
        let file: File = toml::from_str(text).map_err(|e| TableError(e.to_string()))?;
        let mut by_name = HashMap::new();
        for (i, p) in file.program.iter().enumerate() {
            let first = p.names.first().map_or("?", String::as_str);
            if p.names.is_empty() || p.sources.is_empty() || p.effects.is_empty() {
                return Err(TableError(format!(
                    "program {first}: needs names, sources and at least one effect"
                )));
            }
            for n in &p.names {
                if by_name.insert(n.clone(), i).is_some() {
                    return Err(TableError(format!("program {n} is listed twice")));
                }
            }
            for e in &p.effects {
                check_effect(first, e)?;
            }
        }
        Ok(Table {
            programs: file.program,
            by_name,
        })
    }

    /// Every program, in file order.
    pub fn programs(&self) -> &[Program] {
        &self.programs
    }

    /// The entry for a program name (a basename), if the table has one.
    pub fn lookup(&self, name: &str) -> Option<&Program> {
        self.by_name.get(name).and_then(|&i| self.programs.get(i))
    }
}

fn check_effect(prog: &str, e: &ProgramEffect) -> Result<(), TableError> {
    let what = format!("program {prog}, effect {:?}", e.effect);
    if e.reason.trim().is_empty() || e.matches.is_empty() || e.allow.is_empty() {
        return Err(TableError(format!(
            "{what}: needs a reason, `match` and `allow` examples"
        )));
    }
    let valued = !e.value_prefix.is_empty()
        || !e.value_contains.is_empty()
        || !e.value_suffix.is_empty()
        || !e.harmless.is_empty();
    let has_values = (!e.options.is_empty() && e.takes_value) || e.operands.is_some();
    if valued && !has_values {
        return Err(TableError(format!(
            "{what}: value conditions need options that take a value, or operands"
        )));
    }
    if !e.options.is_empty() && e.operands.is_some() {
        return Err(TableError(format!(
            "{what}: give either options or operands"
        )));
    }
    Ok(())
}

static KNOWN: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    KNOWN_PROGRAMS_TXT
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect()
});

/// Whether the table or the known list has `name` (a basename).
pub fn is_known(name: &str) -> bool {
    KNOWN.contains(name) || table().lookup(name).is_some()
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    #[expect(
        clippy::expect_used,
        reason = "the embedded table is fixed at build time and checked by the tests"
    )]
    Table::parse(PROGRAMS_TOML).expect("data/programs.toml parses")
});

/// The shipped table.
pub fn table() -> &'static Table {
    &TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_indexes_every_name() {
        let t = table();
        assert!(t.programs().len() > 40);
        for p in t.programs() {
            for n in &p.names {
                assert!(std::ptr::eq(t.lookup(n).unwrap(), p), "{n}");
            }
        }
        assert!(t.lookup("definitely-not-a-program").is_none());
    }

    #[test]
    fn the_known_list_reads_names_not_comments() {
        assert!(is_known("ls") && is_known("cargo") && is_known("tar"));
        assert!(!is_known("#") && !is_known("GNU") && !is_known("definitely-not-a-program"));
        assert_eq!(
            "shape".parse::<UnknownPrograms>(),
            Ok(UnknownPrograms::Shape)
        );
        assert!("sometimes".parse::<UnknownPrograms>().is_err());
    }

    #[test]
    fn broken_tables_are_refused_naming_the_program() {
        let dup = r#"
[[program]]
names = ["a"]
family = "f"
sources = ["s"]
[[program.effect]]
effect = "shell"
reason = "r"
match = ["a"]
allow = ["b"]
[[program]]
names = ["a"]
family = "f"
sources = ["s"]
[[program.effect]]
effect = "shell"
reason = "r"
match = ["a"]
allow = ["b"]
"#;
        assert!(Table::parse(dup)
            .unwrap_err()
            .to_string()
            .contains("a is listed twice"));
        let no_examples = r#"
[[program]]
names = ["a"]
family = "f"
sources = ["s"]
[[program.effect]]
effect = "shell"
reason = "r"
match = []
allow = ["b"]
"#;
        assert!(Table::parse(no_examples)
            .unwrap_err()
            .to_string()
            .contains("program a"));
        let typo = no_examples.replace("effect = \"shell\"", "effect = \"shel\"");
        assert!(Table::parse(&typo).is_err());
        let unknown_field = no_examples.replace("reason = \"r\"", "reason = \"r\"\nopts = []");
        assert!(Table::parse(&unknown_field).is_err());
    }
}
