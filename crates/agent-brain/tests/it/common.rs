//! Helpers shared by the tests.

use std::path::{Path, PathBuf};

use agent_brain::{Brain, BrainSettings, NewFact, Scope};

pub fn open(dir: &Path) -> Brain {
    Brain::open(db(dir), BrainSettings::default()).expect("open brain")
}

pub fn db(dir: &Path) -> PathBuf {
    dir.join("brain.sqlite3")
}

pub fn project(name: &str) -> Scope {
    Scope::Project(name.to_owned())
}

pub fn session(project: &str, session: &str) -> Scope {
    Scope::Session {
        project: project.to_owned(),
        session: session.to_owned(),
    }
}

pub fn fact(scope: Scope, content: &str) -> NewFact {
    NewFact::new(scope, content)
}

/// Every uid stored, read straight from the SQLite file (the crate has no
/// API that lists facts, by design).
pub fn stored_uids(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut query = conn.prepare("SELECT hex(uid) FROM facts").expect("prepare");
    let uids = query
        .query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    uids.into_iter().map(|u| u.to_lowercase()).collect()
}

/// Every uid in an archive, read with zstd and serde_json directly.
pub fn archived_uids(archive: &Path) -> Vec<String> {
    let bytes = fs_err::read(archive).expect("read archive");
    let text = zstd::decode_all(bytes.as_slice()).expect("zstd");
    let text = String::from_utf8(text).expect("utf-8");
    text.lines()
        .skip(1)
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("json");
            value["uid"].as_str().expect("uid").to_owned()
        })
        .collect()
}
