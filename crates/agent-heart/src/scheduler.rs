//! Running cycles on an interval until told to stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use autonomic_core::audit::AuditLog;

use crate::cycle::{HeartError, PruneCycle, PruneOutcome};

/// How often the stop flag is looked at while waiting.
const TICK: Duration = Duration::from_millis(100);

/// Runs a [`PruneCycle`] now and then every `interval`.
#[derive(Debug, Clone)]
pub struct Scheduler {
    /// The cycle.
    pub cycle: PruneCycle,
    /// Time between the start of one cycle and the start of the next.
    pub interval: Duration,
}

impl Scheduler {
    /// The scheduler `[heart] prune_interval_minutes` describes.
    pub fn from_config(config: &autonomic_core::config::Config) -> Scheduler {
        let minutes = u64::try_from(config.heart.prune_interval_minutes)
            .unwrap_or(1)
            .max(1);
        Scheduler {
            cycle: PruneCycle::from_config(config),
            interval: Duration::from_secs(minutes * 60),
        }
    }

    /// Runs cycles until `stop` is set; `each` sees every cycle's result. A
    /// failed cycle is reported and retried at the next tick of the schedule
    /// (an audit failure ends the loop: running unrecorded is not allowed).
    /// Returns the number of cycles run.
    pub fn run(
        &self,
        audit: &AuditLog,
        stop: &AtomicBool,
        mut each: impl FnMut(&Result<PruneOutcome, HeartError>),
    ) -> Result<u64, HeartError> {
        let stopped = || stop.load(Ordering::SeqCst);
        let mut cycles = 0;
        while !stopped() {
            let started = Instant::now();
            let result = self.cycle.run(audit, &stopped);
            cycles += 1;
            each(&result);
            if let Err(HeartError::Audit(error)) = result {
                return Err(HeartError::Audit(error));
            }
            let next = started + self.interval;
            while !stopped() {
                let now = Instant::now();
                if now >= next {
                    break;
                }
                std::thread::sleep(TICK.min(next - now));
            }
        }
        Ok(cycles)
    }
}
