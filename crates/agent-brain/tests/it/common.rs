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

/// A deterministic stand-in encoder for properties of the store's vector
/// path (not of meaning): each word adds 1 to one of 64 dimensions, so
/// texts with the same words get the same vector and similarity 1.
#[derive(Debug)]
pub struct WordHashEmbedder {
    pub name: &'static str,
    pub dims: usize,
}

impl WordHashEmbedder {
    pub fn new() -> WordHashEmbedder {
        WordHashEmbedder {
            name: "test-word-hash",
            dims: 64,
        }
    }
}

impl agent_brain::Embedder for WordHashEmbedder {
    fn name(&self) -> &str {
        self.name
    }
    fn dims(&self) -> usize {
        self.dims
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        Ok(texts
            .iter()
            .map(|text| {
                let mut v = vec![0.0f32; self.dims];
                for word in text
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                    for b in word.to_lowercase().bytes() {
                        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                    }
                    v[(h % self.dims as u64) as usize] += 1.0;
                }
                if v.iter().all(|x| *x == 0.0) {
                    v[0] = 1.0;
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect())
    }
}

/// all-MiniLM-L6-v2 as the store's encoder: `$AUTONOMIC_EMBED_TEST_MODEL`,
/// else `<workspace>/target/models/all-MiniLM-L6-v2` (where `.ci/run`
/// unpacks it with `autonomic brain fetch-model`). Fails, never skips, when
/// absent.
pub fn real_encoder() -> std::sync::Arc<dyn agent_brain::Embedder> {
    use std::sync::{Arc, OnceLock};
    static MODEL: OnceLock<Arc<dyn agent_brain::Embedder>> = OnceLock::new();
    Arc::clone(MODEL.get_or_init(|| {
        #[expect(clippy::disallowed_methods, reason = "test configuration")]
        let from_env = std::env::var_os("AUTONOMIC_EMBED_TEST_MODEL").map(PathBuf::from);
        let dir = from_env.unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/models/all-MiniLM-L6-v2")
        });
        let model = autonomic_llm::embed::SentenceEmbedder::load(&dir).unwrap_or_else(|e| {
            panic!(
                "the embedding model {} is missing or broken ({e}): run `cargo run -p autonomic-cli --bin autonomic -- brain fetch-model --dest target/models` (or .ci/run), or set AUTONOMIC_EMBED_TEST_MODEL",
                dir.display()
            )
        });
        Arc::new(model)
    }))
}
