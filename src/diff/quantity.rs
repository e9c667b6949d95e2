//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`), compared exactly by value.
//!
//! A quantity is `sign · digits · 10^e10 · 2^e2` (binary suffixes are powers of 1024 = 2^10,
//! decimal ones powers of 10). Writing 10 as 2·5 and pulling every factor 2 and 5 out of the
//! digits gives a unique form `sign · m · 2^a · 5^b` with `m` coprime to 10, so two quantities
//! are equal exactly when those forms are equal: no floats, no big integers, `1000m` = `1`,
//! `1Gi` = `1024Mi`, `0.5` = `500m`.

use std::fmt;

/// A parsed quantity in its unique factored form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    negative: bool,
    /// The digits with every factor 2 and 5 divided out; 0 only for the value zero.
    odd_part: u128,
    pow2: i64,
    pow5: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("`{0}` is not a quantity (expected e.g. `500m`, `1Gi`, `2`)")]
    Syntax(String),
    #[error("`{0}` has more significant digits than kplan compares exactly (38)")]
    TooPrecise(String),
}

impl Quantity {
    /// Parses the API server's syntax: `[+-]digits[.digits][suffix]`, suffix one of the binary
    /// `Ki Mi Gi Ti Pi Ei`, the decimal `n u m k M G T P E`, or an exponent `e3`/`E-2`.
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        let syntax = || QuantityError::Syntax(text.to_string());
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
            return Err(syntax());
        }
        let (mut pow2, mut pow10) = suffix_powers(suffix).ok_or_else(syntax)?;
        pow10 -= i64::try_from(fraction.len()).map_err(|_| syntax())?;
        let digits = format!("{whole}{fraction}");
        let significant = digits.trim_start_matches('0');
        let trimmed = significant.trim_end_matches('0');
        pow10 += i64::try_from(significant.len() - trimmed.len()).map_err(|_| syntax())?;
        if trimmed.is_empty() {
            return Ok(Quantity::ZERO);
        }
        if trimmed.len() > 38 {
            return Err(QuantityError::TooPrecise(text.to_string()));
        }
        let mut odd_part: u128 = trimmed.parse().map_err(|_| syntax())?;
        let mut pow5 = pow10;
        pow2 += pow10;
        while odd_part.is_multiple_of(2) {
            odd_part /= 2;
            pow2 += 1;
        }
        while odd_part.is_multiple_of(5) {
            odd_part /= 5;
            pow5 += 1;
        }
        Ok(Quantity {
            negative,
            odd_part,
            pow2,
            pow5,
        })
    }

    /// Reads a quantity from JSON: a string, or a number (YAML `cpu: 1`, `cpu: 0.5`).
    pub fn from_json(value: &serde_json::Value) -> Option<Quantity> {
        match value {
            serde_json::Value::String(s) => Quantity::parse(s).ok(),
            serde_json::Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
            _ => None,
        }
    }

    const ZERO: Quantity = Quantity {
        negative: false,
        odd_part: 0,
        pow2: 0,
        pow5: 0,
    };
}

/// `(power of 2, power of 10)` a suffix multiplies by.
fn suffix_powers(suffix: &str) -> Option<(i64, i64)> {
    let binary = [
        ("Ki", 10),
        ("Mi", 20),
        ("Gi", 30),
        ("Ti", 40),
        ("Pi", 50),
        ("Ei", 60),
    ];
    if let Some((_, pow2)) = binary.iter().find(|(s, _)| *s == suffix) {
        return Some((*pow2, 0));
    }
    let decimal = match suffix {
        "" => 0,
        "n" => -9,
        "u" => -6,
        "m" => -3,
        "k" => 3,
        "M" => 6,
        "G" => 9,
        "T" => 12,
        "P" => 15,
        "E" => 18,
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Bounded so that the exponent arithmetic cannot overflow.
            return exponent
                .parse::<i64>()
                .ok()
                .filter(|e| e.abs() < 1 << 32)
                .map(|e| (0, e));
        }
    };
    Some((0, decimal))
}

impl fmt::Display for Quantity {
    /// The factored form, for debugging: `3·2^-1·5^0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.negative { "-" } else { "" };
        write!(f, "{sign}{}·2^{}·5^{}", self.odd_part, self.pow2, self.pow5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_same_amount_spelled_differently_is_equal() {
        for (a, b) in [
            ("1000m", "1"),
            ("1Gi", "1024Mi"),
            ("0.5", "500m"),
            ("1k", "1000"),
            ("1e3", "1k"),
            ("1E3", "1000"),
            ("1000M", "1G"),
            ("12000m", "12"),
            ("0.1", "100m"),
            ("1.5Gi", "1536Mi"),
            ("+2", "2"),
            ("100.000", "100"),
            ("0", "0Gi"),
            ("-0", "0m"),
            ("1Ki", "1024"),
            ("1e-3", "1m"),
            ("5n", "0.000000005"),
            ("1u", "1000n"),
            (".5", "0.5"),
            ("5.", "5"),
        ] {
            assert_eq!(q(a), q(b), "{a} = {b}");
        }
    }

    #[test]
    fn different_amounts_are_not_equal() {
        for (a, b) in [
            ("1G", "1Gi"),
            ("1", "1001m"),
            ("-1", "1"),
            ("1M", "1Mi"),
            ("128Mi", "128M"),
            ("0.1", "0.10000000000000001"),
        ] {
            assert_ne!(q(a), q(b), "{a} ≠ {b}");
        }
    }

    #[test]
    fn json_numbers_are_quantities_too() {
        assert_eq!(Quantity::from_json(&serde_json::json!(1)), Some(q("1000m")));
        assert_eq!(
            Quantity::from_json(&serde_json::json!(0.25)),
            Some(q("250m"))
        );
        assert_eq!(Quantity::from_json(&serde_json::json!(true)), None);
    }

    #[test]
    fn what_the_api_server_rejects_is_not_a_quantity() {
        for bad in [
            "", "m", "1.2.3", "1 Gi", "1gi", "1KiB", "ten", "1e", "1e+", "--1", "1x",
        ] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            Quantity::parse(&"1".repeat(40)),
            Err(QuantityError::TooPrecise(_))
        ));
    }
}
