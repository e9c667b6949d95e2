use super::ExitStatus;
use super::args::{DiffArgs, GlobalArgs};
use super::changes::{Settings, run_changes};
use crate::plan::render::View;

/// `kplan diff`: the changed objects as unified YAML diffs.
pub fn run(args: &DiffArgs, global: &GlobalArgs) -> ExitStatus {
    match Settings::resolve(args, global, View::Diff) {
        Ok(settings) => run_changes(&settings, None),
        Err(message) => {
            eprintln!("kplan diff: {message}");
            ExitStatus::Usage
        }
    }
}
