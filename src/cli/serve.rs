use crate::schema::{KubeVersion, newest_version};
use crate::server::controllers::SimOptions;
use crate::server::http::{ServeOptions, start};

use super::ExitStatus;
use super::args::ServeArgs;

/// `kplan serve`: start, print where, run until SIGINT/SIGTERM, shut down cleanly.
pub fn run(args: &ServeArgs) -> ExitStatus {
    let version = match &args.kubernetes_version {
        Some(v) => match v.parse::<KubeVersion>() {
            Ok(v) if crate::schema::BUNDLED_VERSIONS.contains(&v) => v,
            Ok(v) => {
                eprintln!(
                    "kplan serve: Kubernetes {v} is not bundled (bundled: 1.28 … {})",
                    newest_version()
                );
                return ExitStatus::Usage;
            }
            Err(e) => {
                eprintln!("kplan serve: {e}");
                return ExitStatus::Usage;
            }
        },
        None => newest_version(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kplan serve: cannot start the async runtime: {e}");
            return ExitStatus::Failure;
        }
    };
    runtime.block_on(async {
        let options = ServeOptions {
            data_dir: args.data_dir.clone(),
            listen: args.listen,
            version,
            log_requests: args.verbose,
            sim: SimOptions {
                enabled: !args.no_controllers,
                pod_ready_delay: args.pod_ready_delay,
                job_duration: args.job_duration,
                speed: args.speed,
                nodes: args.nodes,
                fail_images: args.fail_image.clone(),
                ..SimOptions::default()
            },
        };
        let mut server = match start(options).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("kplan serve: {e}");
                return ExitStatus::Failure;
            }
        };
        println!(
            "kplan serve: Kubernetes {version} API on https://{}",
            server.addr
        );
        println!("kplan serve: KUBECONFIG={}", server.kubeconfig.display());
        let failed = tokio::select! {
            () = shutdown_signal() => None,
            result = server.wait() => Some(result),
        };
        if let Some(result) = failed {
            eprintln!("kplan serve: the server stopped: {result:?}");
            return ExitStatus::Failure;
        }
        server.shutdown().await;
        eprintln!("kplan serve: stopped");
        ExitStatus::Success
    })
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
