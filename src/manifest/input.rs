use std::io::Read;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::{LoadIssue, LoadIssueKind, SourceFile, Span};

/// One thing to read: a file found on disk or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    pub fn display_name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".to_string(),
        }
    }
}

/// A path that could not be walked; reported against that path, the rest goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct InputError {
    pub path: String,
    pub message: String,
}

const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Expands the paths given on the command line: directories recursively (manifest extensions
/// only, sorted, symlinks followed with loop detection), files as given, `-` as stdin.
pub fn collect_inputs(paths: &[PathBuf]) -> (Vec<Input>, Vec<InputError>) {
    let (inputs, errors) = collect_all(paths);
    // A file reached twice (`k8s k8s/app.yaml`) is read once: otherwise it would be reported
    // as a duplicate of itself.
    let mut seen = std::collections::HashSet::new();
    let inputs = inputs
        .into_iter()
        .filter(|input| match input {
            Input::File(p) => seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())),
            Input::Stdin => true,
        })
        .collect();
    (inputs, errors)
}

fn collect_all(paths: &[PathBuf]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => errors.push(InputError {
                path: path.display().to_string(),
                message: io_message(&e),
            }),
            Ok(meta) if meta.is_dir() => walk(path, &mut inputs, &mut errors),
            Ok(_) => inputs.push(Input::File(path.clone())),
        }
    }
    (inputs, errors)
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    let walker = WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let is_manifest = e
                    .path()
                    .extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| {
                        MANIFEST_EXTENSIONS.contains(&x.to_ascii_lowercase().as_str())
                    });
                if is_manifest {
                    inputs.push(Input::File(e.into_path()));
                }
            }
            Ok(_) => {}
            Err(e) => {
                let path = e
                    .path()
                    .map_or_else(|| dir.display().to_string(), |p| p.display().to_string());
                let message = if e.loop_ancestor().is_some() {
                    "symbolic link loop: skipped".to_string()
                } else if let Some(io) = e.io_error() {
                    io_message(io)
                } else {
                    e.to_string()
                };
                errors.push(InputError { path, message });
            }
        }
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied: cannot read it".into(),
        _ => e.to_string(),
    }
}

/// Reads one input as UTF-8 text, refusing files over `max_bytes` without reading them and
/// binary content with a clear message.
pub fn read_input(input: &Input, max_bytes: u64) -> Result<SourceFile, LoadIssue> {
    let name = input.display_name();
    let unreadable = |message: String, hint: Option<&str>| LoadIssue {
        kind: LoadIssueKind::Unreadable,
        message,
        span: Span::default(),
        hint: hint.map(str::to_string),
        related: None,
    };
    let too_large = |size: u64| LoadIssue {
        kind: LoadIssueKind::Limit,
        ..unreadable(
            format!(
                "file is {:.1} MiB, over the {} MiB limit for one manifest file",
                size as f64 / 1_048_576.0,
                max_bytes / 1_048_576
            ),
            Some("split it, or raise the limit with --max-file-size"),
        )
    };
    let mut bytes = Vec::new();
    match input {
        Input::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| unreadable(io_message(&e), None))?;
            let size = file.metadata().map_or(0, |m| m.len());
            if size > max_bytes {
                return Err(too_large(size));
            }
            file.take(max_bytes + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| unreadable(io_message(&e), None))?;
        }
        Input::Stdin => {
            std::io::stdin()
                .lock()
                .take(max_bytes + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| unreadable(io_message(&e), None))?;
        }
    }
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(unreadable(
            "file is UTF-16; kubectl and kplan read UTF-8".into(),
            Some("convert it, e.g. `iconv -f UTF-16 -t UTF-8`"),
        ));
    }
    if bytes.contains(&0) {
        return Err(unreadable(
            "binary file (contains NUL bytes), not a YAML or JSON manifest".into(),
            None,
        ));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        unreadable(
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            None,
        )
    })?;
    if text.starts_with('\u{feff}') {
        // kubectl ignores a UTF-8 byte-order mark; editors do not count it as a column either.
        text.drain(..3);
    }
    Ok(SourceFile::new(name, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_directories_for_manifests_only_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.yaml", "a.yml", "c.json", "notes.txt", ".hidden.yaml"] {
            std::fs::write(dir.path().join(name), "x: 1").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/d.YAML"), "x: 1").unwrap();
        let (inputs, errors) = collect_inputs(&[dir.path().to_path_buf()]);
        assert!(errors.is_empty());
        let names: Vec<_> = inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => p.strip_prefix(dir.path()).unwrap().display().to_string(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(names, ["a.yml", "b.yaml", "c.json", "sub/d.YAML"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_reported_not_followed_forever() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
        std::fs::write(dir.path().join("ok.yaml"), "x: 1").unwrap();
        let (inputs, errors) = collect_inputs(&[dir.path().to_path_buf()]);
        assert_eq!(inputs.len(), 1);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("loop"), "{errors:?}");
    }

    #[test]
    fn missing_path_is_an_error_for_that_path() {
        let (inputs, errors) = collect_inputs(&[PathBuf::from("/definitely/not/here.yaml")]);
        assert!(inputs.is_empty());
        assert_eq!(errors[0].message, "no such file or directory");
    }

    #[test]
    fn binary_and_oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("x.yaml");
        std::fs::write(&bin, [0x7f, b'E', b'L', b'F', 0, 1]).unwrap();
        let err = read_input(&Input::File(bin.clone()), 1024).unwrap_err();
        assert!(err.message.contains("binary"));
        std::fs::write(&bin, vec![b'a'; 2048]).unwrap();
        let err = read_input(&Input::File(bin), 1024).unwrap_err();
        assert!(err.message.contains("over the"), "{}", err.message);
    }
}
