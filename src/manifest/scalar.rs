//! Scalar resolution the way kubectl reads YAML: go-yaml v2, which follows YAML 1.1.
//!
//! kubectl (through `sigs.k8s.io/yaml`) decodes with go-yaml v2 and then converts to JSON, so an
//! unquoted `yes` arrives at the API server as `true` and `0755` as `493`. Reading manifests any
//! other way would validate a different document than the one the server receives.

/// A resolved plain scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str,
}

/// Resolves an unquoted (plain) scalar with go-yaml v2's rules.
pub fn resolve_plain(text: &str) -> Resolved {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Resolved::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Resolved::Str;
    }
    let plain: std::borrow::Cow<'_, str> = if text.contains('_') {
        text.replace('_', "").into()
    } else {
        text.into()
    };
    if let Some(resolved) = parse_go_int(&plain) {
        return resolved;
    }
    // go-yaml v2 accepts a float only in this shape; `1e3` without a dot is fine, `1.2.3` is not.
    if is_yaml_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
    {
        return Resolved::Float(f);
    }
    Resolved::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)` then `ParseUint(s, 0, 64)`: optional sign, then `0x`, `0o`,
/// `0b` or a leading `0` (octal) prefix.
fn parse_go_int(s: &str) -> Option<Resolved> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(rest) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, rest)
    } else if let Some(rest) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, rest)
    } else if let Some(rest) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, rest)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            // -(2^63) is representable although 2^63 is not.
            return Some(Resolved::Int(0i64.wrapping_sub_unsigned(magnitude)));
        }
        return None;
    }
    match i64::try_from(magnitude) {
        Ok(v) => Some(Resolved::Int(v)),
        Err(_) => Some(Resolved::UInt(magnitude)),
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, go-yaml v2's float syntax.
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::Resolved::{Bool, Float, Int, Null, Str, UInt};
    use super::*;

    #[test]
    fn yaml_1_1_booleans_like_go_yaml_v2() {
        for t in ["yes", "Yes", "on", "ON", "y", "Y", "true"] {
            assert_eq!(resolve_plain(t), Bool(true), "{t}");
        }
        for t in ["no", "No", "off", "n", "N", "false", "FALSE"] {
            assert_eq!(resolve_plain(t), Bool(false), "{t}");
        }
        assert_eq!(resolve_plain("yEs"), Str);
    }

    #[test]
    fn integers_octal_hex_binary_and_underscores() {
        assert_eq!(resolve_plain("0755"), Int(493));
        assert_eq!(resolve_plain("012"), Int(10));
        assert_eq!(resolve_plain("0x1F"), Int(31));
        assert_eq!(resolve_plain("0o17"), Int(15));
        assert_eq!(resolve_plain("0b101"), Int(5));
        assert_eq!(resolve_plain("1_000"), Int(1000));
        assert_eq!(resolve_plain("-42"), Int(-42));
        assert_eq!(resolve_plain("+7"), Int(7));
        assert_eq!(resolve_plain("18446744073709551615"), UInt(u64::MAX));
        assert_eq!(resolve_plain("-9223372036854775808"), Int(i64::MIN));
    }

    #[test]
    fn floats_and_not_quite_numbers() {
        assert_eq!(resolve_plain("08"), Float(8.0));
        assert_eq!(resolve_plain("1.5"), Float(1.5));
        assert_eq!(resolve_plain("1e3"), Float(1000.0));
        assert_eq!(resolve_plain(".5"), Float(0.5));
        assert_eq!(resolve_plain("500m"), Str);
        assert_eq!(resolve_plain("1.2.3"), Str);
        assert_eq!(resolve_plain("-"), Str);
        assert_eq!(resolve_plain("."), Str);
        assert_eq!(resolve_plain("1Gi"), Str);
        assert!(matches!(resolve_plain(".nan"), Float(f) if f.is_nan()));
    }

    #[test]
    fn nulls() {
        for t in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve_plain(t), Null, "{t:?}");
        }
    }
}
