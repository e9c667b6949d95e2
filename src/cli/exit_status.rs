/// kplan's exit codes, the same for every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success; for validate, every resource valid (or skipped).
    Success,
    /// 1: findings (invalid or unprocessable resources) or a failed operation.
    Failure,
    /// 2: bad flags or arguments, or kplan itself could not work (e.g. unknown Kubernetes version).
    Usage,
    /// 3: with `--detailed-exitcode`, a diff or plan has changes.
    Changes,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Changes => 3,
        })
    }
}
