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

/// The generalisation split is a fixed function of each entry: about 30%
/// of every language held out, the same in any order, the two parts
/// together exactly the corpus, and another seed a different split.
#[test]
fn the_split_is_fixed_per_entry_and_holds_out_about_thirty_percent_per_language() {
    use agent_mouth::corpus::{CorpusEntry, Part, Split};
    use std::io::BufRead as _;
    for name in ["public_malicious.jsonl", "public_benign.jsonl"] {
        let path = testdata(&format!("corpora/{name}"));
        let file = std::io::BufReader::new(fs_err::File::open(&path).unwrap());
        let entries: Vec<CorpusEntry> = file
            .lines()
            .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
            .collect();
        let mut by_lang: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
        for e in &entries {
            let slot = by_lang.entry(e.lang.as_str()).or_default();
            slot.0 += 1;
            slot.1 += usize::from(Split::DEFAULT.part(e) == Part::Heldout);
        }
        for (lang, (total, held)) in &by_lang {
            let share = *held as f64 / *total as f64;
            assert!(
                (0.2..=0.4).contains(&share),
                "{name} {lang}: {held} of {total} held out"
            );
        }
        // The same parts in reverse order; a different seed moves entries.
        let forward: Vec<Part> = entries.iter().map(|e| Split::DEFAULT.part(e)).collect();
        let mut backward: Vec<Part> = entries
            .iter()
            .rev()
            .map(|e| Split::DEFAULT.part(e))
            .collect();
        backward.reverse();
        assert_eq!(forward, backward);
        let other = Split {
            seed: 16,
            ..Split::DEFAULT
        };
        let moved = entries
            .iter()
            .filter(|e| other.part(e) != Split::DEFAULT.part(e))
            .count();
        assert!(
            moved > entries.len() / 5,
            "{name}: seed 16 moved only {moved}"
        );
        // Work + held out = the whole corpus, verdict for verdict.
        let stats = |part: Option<Part>| {
            let file = std::io::BufReader::new(fs_err::File::open(&path).unwrap());
            agent_mouth::corpus::evaluate_part(
                &mut Validator::default(),
                file,
                part.map(|p| (Split::DEFAULT, p)),
                |_, _, _| {},
            )
            .unwrap()
        };
        let (all, work, held) = (
            stats(None),
            stats(Some(Part::Work)),
            stats(Some(Part::Heldout)),
        );
        assert_eq!(all.total, work.total + held.total);
        assert_eq!(all.allow, work.allow + held.allow);
        assert_eq!(all.review, work.review + held.review);
        assert_eq!(all.deny, work.deny + held.deny);
        for (lang, s) in &all.by_lang {
            let w = work.by_lang.get(lang).map_or(0, |s| s.total);
            let h = held.by_lang.get(lang).map_or(0, |s| s.total);
            assert_eq!(s.total, w + h, "{name} {lang}");
        }
    }
}
