//! Hostile and malformed input: each is refused quickly with a finding that names the file,
//! and never stops the other files of the same run from being validated.

use std::fmt::Write as _;
use std::time::Duration;

use crate::util::{Dir, Report, config_map};

/// Far above what these inputs take with their limits in place (well under a second in a
/// debug build), far below what they take without them (minutes, or memory exhaustion).
const QUICK: Duration = Duration::from_secs(5);

/// The outcome of running a hostile file together with a valid `ok.yaml`.
struct Hostile {
    report: Report,
    text: String,
}

impl Hostile {
    /// The one resource reported for the hostile file.
    #[track_caller]
    fn resource(&self, file: &str) -> &crate::util::Resource {
        let found: Vec<_> = self
            .report
            .resources()
            .iter()
            .filter(|r| r.file == file)
            .collect();
        assert_eq!(found.len(), 1, "{}", self.report.out.stdout);
        found[0]
    }

    /// The single finding of `file`'s single resource, with its code checked; the text output
    /// must name the file in that finding's heading.
    #[track_caller]
    fn only_finding(&self, file: &str, code: &str) -> &crate::util::Finding {
        let resource = self.resource(file);
        assert_eq!(resource.findings.len(), 1, "{resource:?}");
        let f = &resource.findings[0];
        assert_eq!(f.code, code, "{f:?}");
        self.expect_text_names(file);
        f
    }

    #[track_caller]
    fn expect_text_names(&self, file: &str) {
        let headings: Vec<_> = self
            .text
            .lines()
            .filter(|l| l.starts_with("  × "))
            .collect();
        assert!(
            !headings.is_empty(),
            "no finding in text output:\n{}",
            self.text
        );
        for heading in headings {
            assert!(
                heading.starts_with(&format!("  × {file}")),
                "the finding does not name {file}: {heading}"
            );
        }
    }
}

/// Runs `validate [EXTRA] FILE ok.yaml` in `dir` (which must hold `file`), as JSON and as
/// text, and checks what every hostile input must satisfy.
#[track_caller]
fn validate_with_ok(dir: Dir, file: &str, extra: &[&str]) -> Hostile {
    let dir = dir.file("ok.yaml", config_map("ok"));
    let args = |format: &'static str| {
        let mut a = vec!["validate", "--color", "never", "-o", format];
        a.extend_from_slice(extra);
        a.extend([file, "ok.yaml"]);
        a
    };
    let report = Report::from(dir.run(args("json")));
    assert!(
        report.out.elapsed < QUICK,
        "took {:?} on {file}",
        report.out.elapsed
    );
    assert_eq!(
        report.resource("ok").status,
        "valid",
        "the other file is still validated"
    );
    let text = dir.run(args("text"));
    assert_eq!(text.code, report.code());
    Hostile {
        report,
        text: text.stdout,
    }
}

#[test]
fn alias_bomb_is_refused_as_an_input_limit() {
    // Billion laughs: nine levels of nine aliases, 9^9 nodes once expanded.
    let mut yaml = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    for pair in levels.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(",");
        writeln!(yaml, "  {}: &{} [{refs}]", pair[1], pair[1]).unwrap();
    }
    let run = validate_with_ok(Dir::new().file("bomb.yaml", yaml), "bomb.yaml", &[]);
    assert_eq!(run.report.code(), 1);
    assert_eq!(run.resource("bomb.yaml").status, "error");
    let f = run.only_finding("bomb.yaml", "KP104");
    assert!(f.message.contains("aliasing"), "{f:?}");
    assert!(f.hint().contains("billion laughs"), "{f:?}");
}

#[test]
fn deep_block_nesting_is_refused_as_an_input_limit() {
    let yaml = format!("{}x\n", "- ".repeat(20_000));
    let run = validate_with_ok(Dir::new().file("deep.yaml", yaml), "deep.yaml", &[]);
    assert_eq!(run.report.code(), 1);
    assert_eq!(run.resource("deep.yaml").status, "error");
    let f = run.only_finding("deep.yaml", "KP104");
    assert!(f.message.contains("nesting deeper than"), "{f:?}");
}

#[test]
fn deep_flow_nesting_is_refused_without_stopping_the_run() {
    let yaml = format!("{}{}\n", "[".repeat(20_000), "]".repeat(20_000));
    let run = validate_with_ok(Dir::new().file("deep.yaml", yaml), "deep.yaml", &[]);
    assert_eq!(run.report.code(), 1);
    let resource = run.resource("deep.yaml");
    assert_eq!(resource.status, "error");
    assert_eq!(resource.findings.len(), 1);
    run.expect_text_names("deep.yaml");
}

#[test]
fn deep_flow_nesting_is_an_input_limit_like_block_nesting() {
    let yaml = format!("{}{}\n", "[".repeat(20_000), "]".repeat(20_000));
    let run = validate_with_ok(Dir::new().file("deep.yaml", yaml), "deep.yaml", &[]);
    let f = run.only_finding("deep.yaml", "KP104");
    assert!(f.message.contains("nesting deeper than"), "{f:?}");
}

/// 2 MiB with `--max-file-size 1`: the limit without writing a gigabyte.
fn oversized() -> Dir {
    Dir::new().file("big.yaml", format!("a: {}\n", "x".repeat(2 << 20)))
}

#[test]
fn file_over_max_file_size_is_refused_without_stopping_the_run() {
    let run = validate_with_ok(oversized(), "big.yaml", &["--max-file-size", "1"]);
    assert_eq!(run.report.code(), 1);
    let resource = run.resource("big.yaml");
    assert_eq!(resource.status, "error");
    let f = &resource.findings[0];
    assert!(f.message.contains("over the 1 MiB limit"), "{f:?}");
    assert!(f.hint().contains("--max-file-size"), "{f:?}");
    assert_eq!(f.line, None, "a file that was not read has no position");
    run.expect_text_names("big.yaml");
}

#[test]
fn file_over_max_file_size_is_an_input_limit() {
    let run = validate_with_ok(oversized(), "big.yaml", &["--max-file-size", "1"]);
    run.only_finding("big.yaml", "KP104");
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[3]
        })
        .collect()
}

#[test]
fn binary_junk_with_nul_bytes_is_unreadable() {
    let mut junk = noise(4096, 0x9e37_79b9_7f4a_7c15);
    junk[100] = 0;
    let run = validate_with_ok(Dir::new().file("junk.yaml", junk), "junk.yaml", &[]);
    assert_eq!(run.report.code(), 1);
    let f = run.only_finding("junk.yaml", "KP105");
    assert!(f.message.contains("binary file"), "{f:?}");
}

#[test]
fn invalid_utf8_without_nul_bytes_is_unreadable_with_the_offset() {
    let mut bytes = config_map("caf").into_bytes();
    let at = bytes.len();
    // Latin-1 text and stray continuation bytes, none of them NUL.
    bytes.extend(b"# caf\xe9 \x80\xbf\xfe\n");
    assert!(!bytes.contains(&0));
    let run = validate_with_ok(Dir::new().file("latin1.yaml", bytes), "latin1.yaml", &[]);
    assert_eq!(run.report.code(), 1);
    let f = run.only_finding("latin1.yaml", "KP105");
    assert!(f.message.contains("not UTF-8"), "{f:?}");
    assert!(f.message.contains(&format!("offset {}", at + 5)), "{f:?}");
}

#[cfg(unix)]
#[test]
fn symlink_loop_inside_an_input_directory_is_reported_and_the_rest_validated() {
    let dir = Dir::new()
        .file("m/ok.yaml", config_map("ok"))
        .file("m/sub/more.yaml", config_map("more"));
    std::os::unix::fs::symlink("..", dir.join("m/sub/up")).expect("symlink");
    let out = dir.run(["validate", "-o", "json", "m"]);
    assert!(out.elapsed < QUICK, "took {:?}", out.elapsed);
    let report = Report::from(out);
    assert_eq!(report.code(), 1);
    let (resource, f) = report.only("KP105");
    assert_eq!(resource.file, "m/sub/up");
    assert!(f.message.contains("symbolic link loop"), "{f:?}");
    assert_eq!(report.resource("ok").status, "valid");
    assert_eq!(report.resource("more").status, "valid");
    assert_eq!(
        report.summary().files,
        2,
        "each file once, however many links lead to it"
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported_and_the_run_goes_on() {
    use std::os::unix::fs::PermissionsExt;

    let dir = Dir::new().file("secret.yaml", config_map("secret"));
    let path = dir.join("secret.yaml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");
    if std::fs::read(&path).is_ok() {
        eprintln!("skipped: a file with mode 000 is still readable here (running as root)");
        return;
    }
    let run = validate_with_ok(dir, "secret.yaml", &[]);
    assert_eq!(run.report.code(), 1);
    let f = run.only_finding("secret.yaml", "KP105");
    assert!(f.message.contains("permission denied"), "{f:?}");
}

#[test]
fn syntax_error_in_the_second_of_three_documents_keeps_the_first_and_third() {
    let yaml = format!(
        "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [two\n---\n{}",
        config_map("one"),
        config_map("three"),
    );
    let run = validate_with_ok(Dir::new().file("three.yaml", yaml), "three.yaml", &[]);
    assert_eq!(run.report.code(), 1);
    let docs: Vec<_> = run
        .report
        .resources()
        .iter()
        .filter(|r| r.file == "three.yaml")
        .map(|r| (r.name.as_deref(), r.status.as_str(), r.line))
        .collect();
    assert_eq!(
        docs,
        [
            (Some("one"), "valid", 1),
            (None, "error", 8),
            (Some("three"), "valid", 13),
        ]
    );
    let (_, f) = run.report.only("KP101");
    assert_eq!(f.at(), (11, 9), "at the unclosed `[`");
    run.expect_text_names("three.yaml");
}

#[test]
fn infinity_and_nan_are_non_finite_number_errors() {
    let yaml = "\
apiVersion: v1
kind: Pod
metadata:
  name: inf
spec:
  priority: .inf
  containers:
    - name: a
      image: x
      resources:
        limits:
          cpu: .nan
";
    let run = validate_with_ok(Dir::new().file("inf.yaml", yaml), "inf.yaml", &[]);
    assert_eq!(run.report.code(), 1);
    let resource = run.resource("inf.yaml");
    assert_eq!(resource.status, "invalid");
    let found: Vec<_> = resource
        .findings
        .iter()
        .map(|f| (f.code.as_str(), f.at()))
        .collect();
    assert_eq!(found, [("KP103", (6, 13)), ("KP103", (12, 16))]);
    run.expect_text_names("inf.yaml");
}

#[test]
fn empty_file_is_read_and_has_no_resources() {
    let run = validate_with_ok(Dir::new().file("empty.yaml", ""), "empty.yaml", &[]);
    assert_eq!(run.report.code(), 0);
    assert_eq!(run.report.summary().files, 2);
    assert_eq!(run.report.resources().len(), 1);
}

#[test]
fn file_with_only_a_document_marker_has_no_resources() {
    let run = validate_with_ok(Dir::new().file("dashes.yaml", "---\n"), "dashes.yaml", &[]);
    assert_eq!(run.report.code(), 0);
    assert_eq!(run.report.summary().files, 2);
    assert_eq!(run.report.resources().len(), 1);
}
