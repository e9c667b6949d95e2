//! One move of the Deployment controller's rolling update (`rolloutRolling` in Kubernetes):
//! either grow the new ReplicaSet within the surge, or shrink the old ones within the
//! unavailability budget — never both in one move.

use serde_json::Value;

use super::{IntOrPercent, IntOrPercentError};

/// How many pods a rolling update may add above, and take below, the desired replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fenceposts {
    pub max_surge: u32,
    pub max_unavailable: u32,
}

/// A ReplicaSet as the rollout math sees it: pods it asks for, pods that are available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicaCounts {
    pub spec: u32,
    pub available: u32,
}

impl Fenceposts {
    /// Kubernetes' `ResolveFenceposts`: surge rounds up, unavailability down; absent values are
    /// the API default 25%; both zero makes unavailability 1, which is capped at `replicas`.
    pub fn rolling(
        replicas: u32,
        max_surge: Option<IntOrPercent>,
        max_unavailable: Option<IntOrPercent>,
    ) -> Fenceposts {
        let default = IntOrPercent::Percent(25);
        let max_surge = max_surge.unwrap_or(default).scaled(replicas, true);
        let mut max_unavailable = max_unavailable.unwrap_or(default).scaled(replicas, false);
        if max_surge == 0 && max_unavailable == 0 {
            max_unavailable = 1;
        }
        Fenceposts {
            max_surge,
            max_unavailable: max_unavailable.min(replicas),
        }
    }

    /// Reads `spec.replicas` (default 1) and `spec.strategy` of a Deployment. `None` for the
    /// Recreate strategy.
    pub fn of_deployment_spec(spec: &Value) -> Result<Option<Fenceposts>, IntOrPercentError> {
        let replicas = replicas_of(spec);
        if spec["strategy"]["type"].as_str() == Some("Recreate") {
            return Ok(None);
        }
        let rolling = &spec["strategy"]["rollingUpdate"];
        let read = |field: &str| match &rolling[field] {
            Value::Null => Ok(None),
            v => IntOrPercent::from_json(v).map(Some),
        };
        Ok(Some(Fenceposts::rolling(
            replicas,
            read("maxSurge")?,
            read("maxUnavailable")?,
        )))
    }
}

/// `spec.replicas` with the API default of 1.
pub(super) fn replicas_of(spec: &Value) -> u32 {
    spec["replicas"]
        .as_u64()
        .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// The new ReplicaSet's next size (`NewRSNewReplicas`): up to `replicas`, keeping all pods of
/// every ReplicaSet (`total_spec`) within `replicas + max_surge`.
pub fn scale_up_new(replicas: u32, fp: Fenceposts, new_spec: u32, total_spec: u32) -> u32 {
    if new_spec >= replicas {
        return replicas;
    }
    let max_total = replicas.saturating_add(fp.max_surge);
    if total_spec >= max_total {
        return new_spec;
    }
    new_spec + (max_total - total_spec).min(replicas - new_spec)
}

/// The old ReplicaSets' next sizes, oldest first (`reconcileOldReplicaSets`): first drop their
/// unavailable pods within the budget, then available ones as long as `replicas −
/// max_unavailable` pods stay available overall.
pub fn scale_down_old(
    replicas: u32,
    fp: Fenceposts,
    new: ReplicaCounts,
    old: &[ReplicaCounts],
) -> Vec<u32> {
    let mut sizes: Vec<u32> = old.iter().map(|rs| rs.spec).collect();
    let old_total: i64 = sizes.iter().map(|&n| i64::from(n)).sum();
    if old_total == 0 {
        return sizes;
    }
    let min_available = i64::from(replicas.saturating_sub(fp.max_unavailable));
    let new_unavailable = i64::from(new.spec.saturating_sub(new.available));
    let mut budget = old_total + i64::from(new.spec) - min_available - new_unavailable;
    if budget <= 0 {
        return sizes;
    }
    for (size, rs) in sizes.iter_mut().zip(old) {
        if budget == 0 {
            break;
        }
        let unhealthy = i64::from(size.saturating_sub(rs.available));
        let drop = unhealthy.min(budget);
        *size -= u32::try_from(drop).unwrap_or(*size);
        budget -= drop;
    }
    let available: i64 = old
        .iter()
        .zip(&sizes)
        .map(|(rs, &size)| i64::from(rs.available.min(size)))
        .sum::<i64>()
        + i64::from(new.available);
    if available <= min_available {
        return sizes;
    }
    let mut budget = available - min_available;
    for size in &mut sizes {
        if budget == 0 {
            break;
        }
        let drop = i64::from(*size).min(budget);
        *size -= u32::try_from(drop).unwrap_or(*size);
        budget -= drop;
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fp(replicas: u32, surge: IntOrPercent, unavailable: IntOrPercent) -> Fenceposts {
        Fenceposts::rolling(replicas, Some(surge), Some(unavailable))
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailability_down() {
        use IntOrPercent::{Int, Percent};
        assert_eq!(
            fp(10, Percent(25), Percent(25)),
            Fenceposts {
                max_surge: 3,
                max_unavailable: 2
            }
        );
        assert_eq!(
            fp(1, Percent(25), Percent(25)),
            Fenceposts {
                max_surge: 1,
                max_unavailable: 0
            }
        );
        assert_eq!(
            fp(1, Int(0), Int(0)),
            Fenceposts {
                max_surge: 0,
                max_unavailable: 1
            }
        );
        assert_eq!(fp(2, Int(0), Int(5)).max_unavailable, 2);
    }

    #[test]
    fn deployment_spec_defaults_to_25_percent_and_knows_recreate() {
        let spec = json!({"replicas": 4});
        assert_eq!(
            Fenceposts::of_deployment_spec(&spec).unwrap(),
            Some(Fenceposts {
                max_surge: 1,
                max_unavailable: 1
            })
        );
        let recreate = json!({"strategy": {"type": "Recreate"}});
        assert_eq!(Fenceposts::of_deployment_spec(&recreate).unwrap(), None);
        let bad = json!({"strategy": {"rollingUpdate": {"maxSurge": "lots"}}});
        assert!(Fenceposts::of_deployment_spec(&bad).is_err());
    }

    #[test]
    fn scale_up_stays_within_the_surge() {
        let f = Fenceposts {
            max_surge: 3,
            max_unavailable: 2,
        };
        assert_eq!(scale_up_new(10, f, 0, 10), 3);
        assert_eq!(scale_up_new(10, f, 3, 13), 3);
        assert_eq!(scale_up_new(10, f, 3, 11), 5);
        assert_eq!(scale_up_new(10, f, 12, 12), 10);
    }

    #[test]
    fn scale_down_keeps_the_minimum_available() {
        let f = Fenceposts {
            max_surge: 3,
            max_unavailable: 2,
        };
        let new = ReplicaCounts {
            spec: 3,
            available: 0,
        };
        let old = [ReplicaCounts {
            spec: 10,
            available: 10,
        }];
        assert_eq!(scale_down_old(10, f, new, &old), vec![8]);
    }

    #[test]
    fn unhealthy_old_pods_go_first_and_oldest_first() {
        let f = Fenceposts {
            max_surge: 1,
            max_unavailable: 0,
        };
        let new = ReplicaCounts {
            spec: 1,
            available: 1,
        };
        let old = [
            ReplicaCounts {
                spec: 2,
                available: 0,
            },
            ReplicaCounts {
                spec: 2,
                available: 2,
            },
        ];
        // 5 pods for 3 wanted, 3 available: both broken pods go, healthy ones stay.
        assert_eq!(scale_down_old(3, f, new, &old), vec![0, 2]);
    }
}
