//! The public corpora from testdata/corpora: over non-ambiguous entries, at
//! most 1% of malicious entries allowed, at most 1% of benign entries
//! denied and at most 5% of benign entries sent to review.

use agent_mouth::corpus::evaluate;
use agent_mouth::Validator;

use crate::testdata;

fn run(name: &str) -> agent_mouth::corpus::CategoryStats {
    let path = testdata(&format!("corpora/{name}"));
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
