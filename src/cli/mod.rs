//! The edge: command-line flags (clap) in, settings resolved, the core run, output rendered,
//! an exit status out. No validation or rendering logic lives here.

mod apply;
mod args;
mod changes;
mod diff;
mod duration;
mod exit_status;
mod history;
mod plan;
mod release_args;
mod remote_schema;
pub(crate) mod rollback;
mod serve;
mod snapshot;
mod target;
mod validate;

pub use args::{Cli, Command};
pub use exit_status::ExitStatus;

use clap::Parser;

/// Parses the command line, runs the command, returns the process's exit status.
pub fn main() -> ExitStatus {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Usage
            } else {
                ExitStatus::Success
            };
        }
    };
    match cli.command {
        Command::Validate(args) => validate::run(&args, &cli.global),
        Command::Serve(args) => serve::run(&args),
        Command::Diff(args) => diff::run(&args, &cli.global),
        Command::Plan(args) => plan::run(&args, &cli.global),
        Command::Apply(args) => apply::run(&args, &cli.global),
        Command::Rollback(args) => rollback::run(&args),
        Command::History(args) => history::run(&args),
        Command::Snapshot(args) => snapshot::run(&args),
    }
}
