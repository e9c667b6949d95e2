//! `kplan history`: the revisions of a release on the target.

use serde_json::json;

use crate::apply::History;

use super::ExitStatus;
use super::release_args::{HistoryArgs, HistoryFormat, release_name};
use super::target::connect_blocking;

pub fn run(args: &HistoryArgs) -> ExitStatus {
    let (rt, target) = match connect_blocking(&args.target) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kplan history: {e}");
            return ExitStatus::Failure;
        }
    };
    rt.block_on(async {
        let name = release_name(args.release.release.as_deref(), args.path.as_deref());
        let history = History::new(&target.client, &name, &args.release.release_namespace);
        let status = match history.load().await {
            Ok(records) => {
                match args.output {
                    HistoryFormat::Json => {
                        let revisions: Vec<_> = records
                            .iter()
                            .map(|r| {
                                json!({
                                    "revision": r.revision,
                                    "updated": r.updated,
                                    "status": r.status.as_str(),
                                    "kplanVersion": r.kplan_version,
                                    "description": r.description,
                                    "objects": r.manifests.len(),
                                })
                            })
                            .collect();
                        let doc = json!({
                            "apiVersion": "kplan.dev/history/v1",
                            "release": name,
                            "namespace": args.release.release_namespace,
                            "revisions": revisions,
                        });
                        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
                    }
                    HistoryFormat::Text if records.is_empty() => {
                        println!(
                            "release {name} has no revisions in namespace {} on {}",
                            args.release.release_namespace, target.description
                        );
                    }
                    HistoryFormat::Text => {
                        println!(
                            "{:<9} {:<21} {:<14} {:<8} {:<8} DESCRIPTION",
                            "REVISION", "UPDATED", "STATUS", "OBJECTS", "KPLAN"
                        );
                        for r in &records {
                            println!(
                                "{:<9} {:<21} {:<14} {:<8} {:<8} {}",
                                r.revision,
                                r.updated,
                                r.status.as_str(),
                                r.manifests.len(),
                                r.kplan_version,
                                r.description
                            );
                        }
                    }
                }
                ExitStatus::Success
            }
            Err(e) => {
                eprintln!("kplan history: {e}");
                ExitStatus::Failure
            }
        };
        target.shutdown().await;
        status
    })
}
