//! The commented default configuration file written by `autonomic init`.

use std::fmt::Write as _;

use super::schema::SECTIONS;
use super::Config;

/// Renders the default file: every section, and every key commented out with
/// its default (or an example, for keys without one) under a one-line comment.
pub(crate) fn default_toml_commented() -> String {
    let defaults = toml::Table::try_from(Config::default())
        .expect("the configuration types serialise to TOML");
    let mut out = String::from(
        "# Autonomic configuration.\n\
         #\n\
         # Every key is listed, commented out, with its default value (or an example,\n\
         # for keys that are unset by default): uncomment a line to change it. Unknown\n\
         # keys and sections are errors. Paths that start with \"~/.autonomic\" are\n\
         # relative to $AUTONOMIC_HOME when it is set.\n\
         # `autonomic config show` prints the effective value of every key.\n",
    );
    for section in SECTIONS {
        let values = defaults.get(section.name).and_then(toml::Value::as_table);
        // Writing to a String cannot fail.
        let _ = write!(out, "\n# {}\n[{}]\n", section.doc, section.name);
        for key in section.keys {
            let _ = writeln!(out, "\n# {}", key.doc);
            match values.and_then(|table| table.get(key.name)) {
                Some(default) => {
                    let _ = writeln!(out, "# {} = {default}", key.name);
                }
                None => {
                    let example = key.example.unwrap_or("\"\"");
                    let _ = writeln!(out, "# {} = {example}", key.name);
                }
            }
        }
    }
    out
}
