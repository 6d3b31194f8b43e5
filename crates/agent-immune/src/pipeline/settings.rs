//! From `[immune]` and a request to what a scan uses: the gate's options,
//! the ignore files that apply and the OSV cache directory.

use std::path::{Path, PathBuf};

use autonomic_core::config::ImmuneConfig;
use autonomic_core::Severity;
use time::OffsetDateTime;

use crate::ignore::IgnoreList;
use crate::scan::ScanOptions;

use super::ScanError;

/// The file a project keeps its ignore entries in, beside its manifests.
pub const PROJECT_IGNORE_FILE: &str = ".agent-immune.toml";

/// The gate threshold a caller asks for, over `[immune] fail_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Findings at or above this severity block.
    At(Severity),
    /// Nothing blocks.
    Never,
}

/// `over`, else `[immune] osv_cache_dir`.
pub fn cache_dir(config: &ImmuneConfig, over: Option<&Path>) -> PathBuf {
    over.map_or_else(|| config.osv_cache_dir.clone(), Path::to_path_buf)
}

/// How findings gate: `fail_on` over `[immune] fail_on`, the UNKNOWN policy
/// and informational gating from `[immune]`, `ignores`, and `today` for
/// ignore expiry.
pub fn scan_options(
    config: &ImmuneConfig,
    fail_on: Option<FailOn>,
    ignores: IgnoreList,
    today: time::Date,
) -> ScanOptions {
    let fail_on = match fail_on {
        Some(FailOn::At(severity)) => Some(severity),
        Some(FailOn::Never) => None,
        None => config.fail_on.threshold(),
    };
    ScanOptions {
        fail_on,
        unknown_as: config.unknown_severity.severity(),
        gate_informational: config.gate_informational,
        block_undecided: config.block_undecided,
        ignores,
        today,
        go_imports: Default::default(),
    }
}

/// The ignore files a scan of `manifests` reads, in order: `[immune]
/// ignore_file`, then each manifest's project file ([`PROJECT_IGNORE_FILE`]
/// in the directory given, or beside the file given) that exists, then
/// `extra`.
pub fn ignore_files(
    config: &ImmuneConfig,
    manifests: &[PathBuf],
    extra: &[PathBuf],
) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = config.ignore_file.iter().cloned().collect();
    for m in manifests {
        let dir = if m.is_dir() {
            m.clone()
        } else {
            m.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let project = dir.join(PROJECT_IGNORE_FILE);
        if project.is_file() {
            files.push(project);
        }
    }
    files.extend(extra.iter().cloned());
    files
}

/// Every entry of `files`, in order.
pub(super) fn load_ignores(files: &[PathBuf]) -> Result<IgnoreList, ScanError> {
    let mut ignores = IgnoreList::default();
    for f in files {
        ignores.extend(IgnoreList::load(f)?);
    }
    Ok(ignores)
}

/// Whole days since `oldest`, when that is past `[immune] max_db_age_days`.
pub(super) fn stale_days(
    config: &ImmuneConfig,
    oldest: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<i64> {
    let age = (now - oldest?).whole_days();
    (age > config.max_db_age_days).then_some(age)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_files_come_config_first_then_projects_then_extra() {
        let project = tempfile::tempdir().unwrap();
        let lock = project.path().join("Cargo.lock");
        let file = project.path().join(PROJECT_IGNORE_FILE);
        fs_err::write(&file, "").unwrap();
        let config = ImmuneConfig {
            ignore_file: Some("/cfg.toml".into()),
            ..ImmuneConfig::default()
        };
        let extra = [PathBuf::from("/extra.toml")];
        let want = [PathBuf::from("/cfg.toml"), file.clone(), extra[0].clone()];
        assert_eq!(ignore_files(&config, &[lock], &extra), want);
        assert_eq!(
            ignore_files(&config, &[project.path().to_path_buf()], &extra),
            want
        );
        let elsewhere = tempfile::tempdir().unwrap();
        assert_eq!(
            ignore_files(&config, &[elsewhere.path().to_path_buf()], &[]),
            [PathBuf::from("/cfg.toml")]
        );
    }

    #[test]
    fn the_threshold_falls_back_to_the_config() {
        let today = OffsetDateTime::now_utc().date();
        let mut config = ImmuneConfig::default();
        let at = |config: &ImmuneConfig, fail_on| {
            scan_options(config, fail_on, IgnoreList::default(), today).fail_on
        };
        assert_eq!(at(&config, None), Some(Severity::High));
        assert_eq!(at(&config, Some(FailOn::Never)), None);
        assert_eq!(
            at(&config, Some(FailOn::At(Severity::Low))),
            Some(Severity::Low)
        );
        config.fail_on = autonomic_core::config::FailOn::None;
        assert_eq!(at(&config, None), None);
        config.fail_on = autonomic_core::config::FailOn::Critical;
        assert_eq!(at(&config, None), Some(Severity::Critical));
    }

    #[test]
    fn staleness_counts_whole_days_past_the_limit() {
        let config = ImmuneConfig::default();
        let now = OffsetDateTime::now_utc();
        let built = |days| Some(now - time::Duration::days(days));
        assert_eq!(stale_days(&config, built(7), now), None);
        assert_eq!(stale_days(&config, built(8), now), Some(8));
        assert_eq!(stale_days(&config, None, now), None);
    }
}
