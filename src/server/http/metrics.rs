//! `/metrics` in the Prometheus text format: the store's counters, so an operator (and
//! `scripts/bench-serve`) can see how writes group into commits.

use std::fmt::Write as _;

use super::super::store::StoreStats;

pub fn render(stats: &StoreStats) -> String {
    let metrics = [
        (
            "kplan_store_revision",
            "gauge",
            "The newest committed resourceVersion.",
            stats.revision.to_string(),
        ),
        (
            "kplan_store_compacted_revision",
            "gauge",
            "Revisions at or below this one have been compacted.",
            stats.compacted.to_string(),
        ),
        (
            "kplan_store_commits_total",
            "counter",
            "Write transactions committed (each fsynced once, holding one or more writes).",
            stats.commits.to_string(),
        ),
        (
            "kplan_store_writes_total",
            "counter",
            "Creates, updates and deletes committed.",
            stats.writes.to_string(),
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, value) in metrics {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let _ = writeln!(out, "{name} {value}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_in_the_prometheus_text_format() {
        let text = render(&StoreStats {
            revision: 42,
            compacted: 7,
            commits: 3,
            writes: 40,
        });
        insta::assert_snapshot!(text);
    }
}
