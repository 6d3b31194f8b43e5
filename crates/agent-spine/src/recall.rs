//! `recall`: agent-brain's `route_task` for a project, read-only (a task
//! reads memory, never writes it). No database yet is an empty answer.

use agent_brain::{Brain, BrainError, BrainSettings, Routed, TaskContext};
use autonomic_core::config::Config;

/// The summaries a task in `project` (and `session`) would be given.
///
/// # Errors
///
/// Invalid input (an empty task, a bad scope name) or an unusable database,
/// as one line.
pub fn route(
    config: &Config,
    project: &str,
    session: Option<String>,
    task: &str,
    budget: usize,
) -> Result<Routed, String> {
    let settings = BrainSettings::from_config(&config.brain);
    let ctx = TaskContext {
        project: project.to_owned(),
        session,
    };
    let brain = match Brain::open_read_only(&config.brain.db_path, settings) {
        Ok(b) => b,
        Err(BrainError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Brain::open_in_memory(settings).map_err(|e| e.to_string())?
        }
        Err(e) => return Err(e.to_string()),
    };
    brain
        .route_task(&ctx, task, budget)
        .map_err(|e| e.to_string())
}
