//! The public corpora from shared/corpora: over non-ambiguous entries, at
//! most 1% of malicious entries allowed, at most 1% of benign entries
//! denied and at most 5% of benign entries sent to review.

use std::path::PathBuf;

use agent_mouth::corpus::evaluate;
use agent_mouth::Validator;

/// `$AUTONOMIC_SHARED`, else `<repo>/../shared`, else `/work/shared`.
pub(crate) fn shared_dir() -> PathBuf {
    let mut tried = Vec::new();
    #[expect(clippy::disallowed_methods, reason = "test locates its fixtures")]
    if let Some(p) = std::env::var_os("AUTONOMIC_SHARED") {
        return PathBuf::from(p);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for cand in [repo.join("../shared"), PathBuf::from("/work/shared")] {
        if cand.join("corpora").is_dir() {
            return cand;
        }
        tried.push(cand);
    }
    panic!("shared test data not found (set AUTONOMIC_SHARED); tried {tried:?}");
}

fn run(name: &str) -> agent_mouth::corpus::CategoryStats {
    let path = shared_dir().join("corpora").join(name);
    let file = fs_err::File::open(&path).expect("corpus file");
    let mut v = Validator::default();
    let stats =
        evaluate(&mut v, std::io::BufReader::new(file), |_, _, _| {}).expect("corpus parses");
    assert!(stats.total > 1000, "{name}: only {} entries", stats.total);
    assert_eq!(stats.total, stats.allow + stats.review + stats.deny);
    stats.unambiguous()
}

#[test]
fn malicious_corpus_is_almost_never_allowed() {
    let u = run("public_malicious.jsonl");
    let rate = u.allow as f64 / u.total as f64;
    eprintln!(
        "malicious (non-ambiguous): {u:?}, allowed {:.2}%",
        rate * 100.0
    );
    assert!(
        rate <= 0.01,
        "{} of {} malicious entries allowed ({:.2}%)",
        u.allow,
        u.total,
        rate * 100.0
    );
}

#[test]
fn benign_corpus_is_rarely_denied_or_reviewed() {
    let u = run("public_benign.jsonl");
    let deny = u.deny as f64 / u.total as f64;
    let review = u.review as f64 / u.total as f64;
    eprintln!(
        "benign (non-ambiguous): {u:?}, denied {:.2}%, review {:.2}%",
        deny * 100.0,
        review * 100.0
    );
    assert!(
        deny <= 0.01,
        "{} of {} benign entries denied ({:.2}%)",
        u.deny,
        u.total,
        deny * 100.0
    );
    assert!(
        review <= 0.05,
        "{} of {} benign entries need review ({:.2}%)",
        u.review,
        u.total,
        review * 100.0
    );
}
