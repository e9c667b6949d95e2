//! Connecting to the target: a cluster from a kubeconfig (`--kubeconfig`, `--context`,
//! `KUBECONFIG`), else the bundled plane of the data directory — the running `kplan serve`
//! there, or one started inside this command (its controllers run while kplan waits). Both end
//! as the same [`Client`]; nothing after this knows which it is.

use std::net::{Ipv4Addr, SocketAddr};

use crate::client::{Client, ConnectOptions};
use crate::schema::newest_version;
use crate::server::bootstrap::BootstrapError;
use crate::server::controllers::SimOptions;
use crate::server::http::{RunningServer, ServeError, ServeOptions, start};

use super::release_args::TargetArgs;

/// A connected target; an in-process plane stops when this is shut down.
pub struct Target {
    pub client: Client,
    /// What to call it in messages.
    pub description: String,
    plane: Option<RunningServer>,
}

impl Target {
    pub async fn connect(args: &TargetArgs) -> Result<Target, String> {
        let remote = args.kubeconfig.is_some()
            || args.context.is_some()
            || std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
        if remote {
            let client = Client::connect(&ConnectOptions {
                kubeconfig: args.kubeconfig.clone(),
                context: args.context.clone(),
            })
            .await
            .map_err(|e| e.to_string())?;
            let e = client.endpoint();
            let description = format!("{} (context {})", e.server, e.context);
            return Ok(Target {
                client,
                description,
                plane: None,
            });
        }
        let options = ServeOptions {
            data_dir: args.data_dir.clone(),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            version: newest_version(),
            log_requests: false,
            sim: SimOptions::default(),
        };
        let (kubeconfig, plane, description) = match start(options).await {
            Ok(server) => {
                let description = format!(
                    "the bundled plane in {} (started for this command)",
                    args.data_dir.display()
                );
                (server.kubeconfig.clone(), Some(server), description)
            }
            Err(ServeError::Bootstrap(BootstrapError::Locked { .. })) => (
                args.data_dir.join("kubeconfig"),
                None,
                format!("the running kplan serve of {}", args.data_dir.display()),
            ),
            Err(e) => return Err(e.to_string()),
        };
        let client = Client::connect(&ConnectOptions {
            kubeconfig: Some(kubeconfig),
            context: None,
        })
        .await
        .map_err(|e| e.to_string())?;
        Ok(Target {
            client,
            description,
            plane,
        })
    }

    /// Stops an in-process plane (after its last write is committed).
    pub async fn shutdown(self) {
        if let Some(plane) = self.plane {
            plane.shutdown().await;
        }
    }
}

/// A runtime and a connected target, for the synchronous commands; the error says what failed.
pub fn connect_blocking(args: &TargetArgs) -> Result<(tokio::runtime::Runtime, Target), String> {
    let rt = runtime()?;
    let target = rt
        .block_on(Target::connect(args))
        .map_err(|e| format!("cannot reach the target: {e}"))?;
    Ok((rt, target))
}

/// A multi-threaded runtime for the commands that talk to a target.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}
