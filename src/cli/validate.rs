use std::io::Write;
use std::path::PathBuf;

use crate::manifest::{Input, collect_inputs};
use crate::report::{Format, ReporterOptions, reporter_for};
use crate::schema::{KubeVersion, LocalLocation, SchemaLocation, SchemaRegistry, newest_version};
use crate::validate::{ValidateOptions, run as validate};

use super::ExitStatus;
use super::args::{GlobalArgs, OutputFormat, ValidateArgs};
use super::remote_schema::RemoteLocation;

/// Everything `kplan validate` needs, resolved from flags and environment (phase two of flag
/// handling: the core never sees clap).
struct Settings {
    paths: Vec<PathBuf>,
    version: KubeVersion,
    strict: bool,
    crds: Vec<PathBuf>,
    locations: Vec<String>,
    schema_cache: PathBuf,
    allow_http: bool,
    options: ValidateOptions,
    format: Format,
    reporter: ReporterOptions,
    jobs: Option<usize>,
}

impl Settings {
    fn resolve(args: &ValidateArgs, global: &GlobalArgs) -> Result<Self, String> {
        let version = match &args.kubernetes_version {
            Some(v) => v.parse::<KubeVersion>()?,
            None => newest_version(),
        };
        let mut paths: Vec<PathBuf> = args.paths.iter().chain(&args.filenames).cloned().collect();
        if paths.is_empty() {
            return Err(
                "no input: give files or directories to validate (or `-` for stdin)".into(),
            );
        }
        paths.dedup();
        let color = global.color.on_stdout();
        let format = match args.output {
            OutputFormat::Text => Format::Text,
            OutputFormat::Json => Format::Json,
            OutputFormat::Junit => Format::Junit,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Github => Format::Github,
        };
        if args.jobs == Some(0) {
            return Err("--jobs must be at least 1".into());
        }
        let schema_cache = args.schema_cache.clone().unwrap_or_else(default_cache_dir);
        Ok(Self {
            paths,
            version,
            strict: args.strict,
            crds: args.crd.clone(),
            locations: args.schema_location.clone(),
            schema_cache,
            allow_http: args.allow_http_schemas,
            options: ValidateOptions {
                ignore_missing_schemas: args.ignore_missing_schemas,
                ignore_non_k8s: args.ignore_non_k8s,
                skip_kinds: args
                    .skip
                    .iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
                max_file_bytes: args.max_file_size.saturating_mul(1 << 20),
                ..ValidateOptions::default()
            },
            format,
            reporter: ReporterOptions {
                color,
                verbose: args.verbose,
                summary: args.summary,
                kubernetes_version: version.to_string(),
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
            },
            jobs: args.jobs,
        })
    }
}

/// `$XDG_CACHE_HOME/kplan/schemas`, else `~/.cache/kplan/schemas`, else a temp directory.
fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("kplan").join("schemas")
}

pub fn run(args: &ValidateArgs, global: &GlobalArgs) -> ExitStatus {
    let settings = match Settings::resolve(args, global) {
        Ok(s) => s,
        Err(message) => {
            eprintln!("kplan validate: {message}");
            return ExitStatus::Usage;
        }
    };
    if let Some(jobs) = settings.jobs {
        // Only fails if a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global();
    }
    let mut registry = match SchemaRegistry::new(settings.version, settings.strict) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kplan validate: {e}");
            return ExitStatus::Usage;
        }
    };
    for location in &settings.locations {
        if location.starts_with("http://") || location.starts_with("https://") {
            match RemoteLocation::new(location, settings.schema_cache.clone(), settings.allow_http)
            {
                Ok(remote) => registry.add_location(SchemaLocation::new(remote)),
                Err(e) => {
                    eprintln!("kplan validate: --schema-location {location}: {e}");
                    return ExitStatus::Usage;
                }
            }
        } else {
            registry.add_location(SchemaLocation::new(LocalLocation::new(location.clone())));
        }
    }
    let (inputs, input_errors) = collect_inputs(&settings.paths);
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        eprintln!("kplan validate: `-` (stdin) given more than once");
        return ExitStatus::Usage;
    }
    let (crd_inputs, crd_errors) = collect_inputs(&settings.crds);
    if let Some(e) = crd_errors.first() {
        eprintln!("kplan validate: --crd {e}");
        return ExitStatus::Usage;
    }
    let result = validate(
        &inputs,
        input_errors,
        &crd_inputs,
        &mut registry,
        &settings.options,
    );

    let stdout = std::io::stdout();
    let out: Box<dyn Write> = Box::new(std::io::BufWriter::new(stdout.lock()));
    let mut reporter = reporter_for(settings.format, out, settings.reporter);
    let written = result
        .reports
        .iter()
        .try_for_each(|r| reporter.resource(r))
        .and_then(|()| reporter.finish(&result.summary));
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitStatus::Success,
        Err(e) => {
            eprintln!("kplan validate: cannot write output: {e}");
            return ExitStatus::Failure;
        }
        Ok(()) => {}
    }
    if result.summary.is_success() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    }
}
