use std::time::Duration;

/// How the simulated cluster behaves (`kplan serve --pod-ready-delay … --fail-image …`).
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Run the controllers at all (`--no-controllers` turns the plane into a bare API server).
    pub enabled: bool,
    /// From pod creation to Ready, in simulated time.
    pub pod_ready_delay: Duration,
    /// How long a Job's pod runs before it succeeds, in simulated time.
    pub job_duration: Duration,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Simulated nodes `kplan-node-1` … `kplan-node-N`.
    pub nodes: u32,
    /// Globs on container images whose pods crash-loop.
    pub fail_images: Vec<String>,
    /// The kubelet version nodes report (`v1.33.0`).
    pub kubelet_version: String,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            enabled: true,
            pod_ready_delay: Duration::from_secs(1),
            job_duration: Duration::from_secs(1),
            speed: 1.0,
            nodes: 3,
            fail_images: Vec::new(),
            kubelet_version: "v1.33.0".into(),
        }
    }
}
