//! `agent-immune`: offline OSV scanning of dependency graphs.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = match autonomic_cli::immune::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                autonomic_cli::immune::EXIT_USAGE
            } else {
                0
            };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    autonomic_cli::immune::main_with(cli)
}
