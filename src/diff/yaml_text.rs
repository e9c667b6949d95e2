//! JSON values written as block YAML, for line diffs: one field per line, keys in sorted order
//! (serde_json's map is ordered), multi-line strings as literal blocks so a changed line of an
//! embedded config file is one changed line of the diff. Strings that YAML 1.1 would read as
//! something else (`yes`, `0755`, `1e3`, `null`) are quoted, so the text means what the value is.

use std::fmt::Write as _;

use serde_json::Value;

/// The whole value as a YAML document (no `---`), ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, depth: usize) {
    for (key, value) in map {
        indent(out, depth);
        out.push_str(&scalar_string(key));
        out.push(':');
        write_value_after_key(out, value, depth);
    }
}

/// The value of a mapping entry or sequence item whose key/dash is already written.
fn write_value_after_key(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, depth + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, depth);
        }
        Value::String(s) if is_block_candidate(s) => write_block(out, s, depth + 2),
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], depth: usize) {
    for item in items {
        indent(out, depth);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // `- key: value` then the other keys aligned under the first.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, depth + 2);
                    }
                    out.push_str(&scalar_string(key));
                    out.push(':');
                    write_value_after_key(out, value, depth + 2);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, depth + 2);
            }
            Value::String(s) if is_block_candidate(s) => write_block(out, s, depth + 2),
            scalar => {
                out.push(' ');
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// Multi-line text without characters a literal block cannot hold.
fn is_block_candidate(s: &str) -> bool {
    s.contains('\n')
        && !s.contains('\r')
        && s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control())
        && !s.lines().any(|l| l.ends_with(' '))
}

fn write_block(out: &mut String, s: &str, depth: usize) {
    let chomp = if !s.ends_with('\n') {
        "-"
    } else if s.ends_with("\n\n") {
        "+"
    } else {
        ""
    };
    // An indentation indicator when the first line starts with a space, else the block's
    // indentation would be read from it.
    let indicator = if s.starts_with(' ') { "2" } else { "" };
    let _ = writeln!(out, " |{indicator}{chomp}");
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, depth);
            out.push_str(line);
        }
        out.push('\n');
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string as a plain scalar when YAML 1.1 reads it back as that same string, else quoted.
fn scalar_string(s: &str) -> String {
    if needs_quotes(s) {
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
    } else {
        s.to_string()
    }
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    let reserved = [
        "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", ".inf", "-.inf", "+.inf",
        ".nan",
    ];
    if reserved.contains(&lower.as_str()) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-x`, `:x` and `?x` are plain in YAML 1.2 but not in every reader; quote them all.
        return true;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return true;
    }
    if s.chars().any(char::is_control) {
        return true;
    }
    looks_numeric(s)
}

/// Integers (also octal, hex, `_` groups, sexagesimal `1:30`), floats and exponents.
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    let starts_like_number = body.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    starts_like_number
        && body
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "._:xXoO+-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_and_lists_are_block_style_with_sorted_keys() {
        let v = json!({"spec": {"replicas": 3, "containers": [{"name": "web", "image": "a:1", "ports": [{"containerPort": 80}]}]}, "kind": "X"});
        assert_eq!(
            to_yaml(&v),
            "kind: X\nspec:\n  containers:\n  - image: a:1\n    name: web\n    ports:\n    - containerPort: 80\n  replicas: 3\n"
        );
    }

    #[test]
    fn strings_yaml_would_misread_are_quoted() {
        let v = json!({"a": "yes", "b": "0755", "c": "1e3", "d": "", "e": "plain text", "f": "null", "g": "x: y", "h": "25%", "i": "8080", "j": "-v", "k": "v1.2"});
        assert_eq!(
            to_yaml(&v),
            "a: \"yes\"\nb: \"0755\"\nc: \"1e3\"\nd: \"\"\ne: plain text\nf: \"null\"\ng: \"x: y\"\nh: 25%\ni: \"8080\"\nj: \"-v\"\nk: v1.2\n"
        );
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let v = json!({"conf": "a = 1\nb = 2\n", "script": "echo hi\nexit 0", "empty": {}});
        assert_eq!(
            to_yaml(&v),
            "conf: |\n  a = 1\n  b = 2\nempty: {}\nscript: |-\n  echo hi\n  exit 0\n"
        );
    }
}
