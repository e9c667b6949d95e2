use serde_json::Value;

/// `maxSurge`/`maxUnavailable`: an absolute count or a percentage of the desired replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(u32),
    Percent(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not a non-negative integer or a percentage like \"25%\"")]
pub struct IntOrPercentError {
    pub value: String,
}

impl IntOrPercent {
    /// Reads the JSON form; `null`/absent is the caller's business (Kubernetes defaults 25%).
    pub fn from_json(value: &Value) -> Result<IntOrPercent, IntOrPercentError> {
        let bad = || IntOrPercentError {
            value: value.to_string(),
        };
        match value {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(IntOrPercent::Int)
                .ok_or_else(bad),
            Value::String(s) => s
                .strip_suffix('%')
                .and_then(|digits| digits.parse::<u32>().ok())
                .map(IntOrPercent::Percent)
                .ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    /// The count this means for `total` replicas; percentages round up or down as asked
    /// (Kubernetes rounds surge up and unavailability down).
    pub fn scaled(self, total: u32, round_up: bool) -> u32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let product = u64::from(p) * u64::from(total);
                let value = if round_up {
                    product.div_ceil(100)
                } else {
                    product / 100
                };
                u32::try_from(value).unwrap_or(u32::MAX)
            }
        }
    }
}

impl std::fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrPercent::Int(n) => write!(f, "{n}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn percentages_scale_with_the_requested_rounding() {
        let p = IntOrPercent::from_json(&json!("25%")).unwrap();
        assert_eq!(p.scaled(10, true), 3);
        assert_eq!(p.scaled(10, false), 2);
        assert_eq!(p.scaled(1, true), 1);
        assert_eq!(p.scaled(1, false), 0);
    }

    #[test]
    fn integers_are_used_as_they_are() {
        assert_eq!(
            IntOrPercent::from_json(&json!(3))
                .unwrap()
                .scaled(100, false),
            3
        );
    }

    #[test]
    fn other_shapes_are_refused() {
        for bad in [json!("3"), json!(-1), json!("x%"), json!(true), json!(1.5)] {
            assert!(IntOrPercent::from_json(&bad).is_err(), "{bad}");
        }
    }
}
