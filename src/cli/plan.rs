use super::ExitStatus;
use super::args::{GlobalArgs, PlanArgs};
use super::changes::{Settings, run_changes};

/// `kplan plan`: actions in apply order, diffs, rollouts, warnings; `--out` saves it.
pub fn run(args: &PlanArgs, global: &GlobalArgs) -> ExitStatus {
    match Settings::resolve_rollback(&args.diff, global, args.rollback) {
        Ok(settings) => run_changes(&settings, args.out.as_deref()),
        Err(message) => {
            eprintln!("kplan plan: {message}");
            ExitStatus::Usage
        }
    }
}
