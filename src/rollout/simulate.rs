//! The whole rollout, move by move, assuming every new pod becomes available before the
//! controller's next move: what `kplan plan` shows, and what the simulated controller does
//! when pods start instantly.

use super::{Fenceposts, ReplicaCounts, scale_down_old, scale_up_new};

/// How a Deployment replaces its pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    RollingUpdate(Fenceposts),
    Recreate,
}

/// The pods after one controller move: `old` (all available), `new`, and how many of the new
/// ones are available yet (the rest are starting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub old: u32,
    pub new: u32,
    pub new_available: u32,
}

impl Step {
    pub fn total(&self) -> u32 {
        self.old + self.new
    }

    pub fn available(&self) -> u32 {
        self.old + self.new_available
    }
}

/// Every step from `old` pods of the previous template to `replicas` pods of the new one. The
/// first step is the starting point, the last has `old == 0` and every new pod available.
pub fn simulate(old: u32, replicas: u32, strategy: Strategy) -> Vec<Step> {
    let mut steps = vec![Step {
        old,
        new: 0,
        new_available: 0,
    }];
    match strategy {
        Strategy::Recreate => {
            if old > 0 {
                steps.push(Step {
                    old: 0,
                    new: 0,
                    new_available: 0,
                });
            }
            if replicas > 0 {
                steps.push(Step {
                    old: 0,
                    new: replicas,
                    new_available: 0,
                });
                steps.push(Step {
                    old: 0,
                    new: replicas,
                    new_available: replicas,
                });
            }
        }
        Strategy::RollingUpdate(fp) => rolling(&mut steps, replicas, fp),
    }
    steps
}

fn rolling(steps: &mut Vec<Step>, replicas: u32, fp: Fenceposts) {
    let mut old = steps[0].old;
    let (mut new, mut new_available) = (0u32, 0u32);
    // Each move either grows `new`, shrinks `old`, or makes pods available; bounded anyway.
    let limit = 4 * (u64::from(old) + u64::from(replicas)) + 8;
    for _ in 0..limit {
        if old == 0 && new == replicas && new_available == replicas {
            break;
        }
        let grown = scale_up_new(replicas, fp, new, old + new);
        if grown == new {
            let shrunk = scale_down_old(
                replicas,
                fp,
                ReplicaCounts {
                    spec: new,
                    available: new_available,
                },
                &[ReplicaCounts {
                    spec: old,
                    available: old,
                }],
            )[0];
            if shrunk == old {
                if new_available == new {
                    // Nothing can move: the fenceposts forbid progress (cannot happen once
                    // resolved, kept as a guard against an endless plan).
                    break;
                }
                new_available = new;
                continue;
            }
            old = shrunk;
        } else {
            new = grown;
        }
        steps.push(Step {
            old,
            new,
            new_available,
        });
        // The pods just created start before the controller's next move.
        new_available = new;
    }
    let last = *steps.last().expect("starting step");
    if last.new_available != last.new {
        steps.push(Step {
            new_available: last.new,
            ..last
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::IntOrPercent::{self, Int, Percent};

    fn check(replicas: u32, surge: IntOrPercent, unavailable: IntOrPercent) -> Vec<Step> {
        let fp = Fenceposts::rolling(replicas, Some(surge), Some(unavailable));
        let steps = simulate(replicas, replicas, Strategy::RollingUpdate(fp));
        for s in &steps {
            assert!(
                s.total() <= replicas + fp.max_surge,
                "{s:?} exceeds {replicas}+{}",
                fp.max_surge
            );
            assert!(
                s.available() >= replicas - fp.max_unavailable,
                "{s:?} below {replicas}-{}",
                fp.max_unavailable
            );
        }
        let last = steps.last().unwrap();
        assert_eq!(
            (last.old, last.new, last.new_available),
            (0, replicas, replicas)
        );
        steps
    }

    #[test]
    fn rolling_updates_stay_within_surge_and_availability() {
        check(10, Percent(25), Percent(25));
        check(3, Int(1), Int(0));
        check(4, Int(0), Int(1));
        check(1, Int(0), Int(0));
        check(100, Percent(30), Percent(10));
        check(0, Percent(25), Percent(25));
    }

    #[test]
    fn ten_replicas_at_25_percent_moves_like_the_controller() {
        // Surge 3 first; once those 3 are available, 13 − 8 old pods may go at once.
        let steps = check(10, Percent(25), Percent(25));
        let pairs: Vec<(u32, u32)> = steps.iter().map(|s| (s.old, s.new)).collect();
        assert_eq!(
            pairs,
            vec![(10, 0), (10, 3), (5, 3), (5, 8), (0, 8), (0, 10), (0, 10)]
        );
    }

    #[test]
    fn one_replica_without_surge_goes_down_before_it_comes_up() {
        let steps = check(1, Int(0), Int(0));
        let pairs: Vec<(u32, u32)> = steps.iter().map(|s| (s.old, s.new)).collect();
        assert_eq!(pairs, vec![(1, 0), (0, 0), (0, 1), (0, 1)]);
    }

    #[test]
    fn recreate_takes_everything_down_first() {
        let steps = simulate(3, 3, Strategy::Recreate);
        let pairs: Vec<(u32, u32)> = steps.iter().map(|s| (s.old, s.new)).collect();
        assert_eq!(pairs, vec![(3, 0), (0, 0), (0, 3), (0, 3)]);
    }

    #[test]
    fn a_first_release_only_scales_up() {
        let fp = Fenceposts::rolling(3, None, None);
        let steps = simulate(0, 3, Strategy::RollingUpdate(fp));
        assert_eq!(steps.first().unwrap().total(), 0);
        assert_eq!(steps.last().unwrap().new_available, 3);
    }
}
