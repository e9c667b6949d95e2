use super::IgnoreRule;

/// What the user chose about comparing objects.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Fields left out of the comparison (`--ignore`).
    pub ignore: Vec<IgnoreRule>,
    /// Show Secret values instead of `***` markers (`--show-secrets`).
    pub show_secrets: bool,
}
