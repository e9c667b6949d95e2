//! Simulated time: `--speed` compresses every simulated duration (pod start, job run time,
//! minReadySeconds, progress deadlines), while timestamps written into objects stay real
//! wall-clock RFC 3339 seconds, as kubectl expects.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::time::{parse_rfc3339, rfc3339};

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Real seconds since the epoch.
    now: f64,
    speed: f64,
}

impl Clock {
    pub fn at(now: f64, speed: f64) -> Clock {
        Clock {
            now,
            speed: if speed > 0.0 { speed } else { 1.0 },
        }
    }

    pub fn system(speed: f64) -> Clock {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Clock::at(now, speed)
    }

    pub fn now(&self) -> f64 {
        self.now
    }

    pub fn timestamp(&self) -> String {
        rfc3339(secs(self.now))
    }

    /// Seconds since the epoch of an RFC 3339 timestamp.
    pub fn parse(t: &str) -> Option<f64> {
        parse_rfc3339(t).map(|s| s as f64)
    }

    /// Simulated seconds elapsed since the real instant `since`. Timestamps have whole seconds,
    /// so this is at most a second generous, as a real cluster's checks are.
    pub fn sim_elapsed_since(&self, since: f64) -> f64 {
        (self.now - since).max(0.0) * self.speed
    }

    /// Real seconds that `sim_seconds` of simulated time take.
    pub fn real(&self, sim_seconds: f64) -> f64 {
        sim_seconds / self.speed
    }
}

/// Whole seconds of a non-negative instant (timestamps have no fractions).
#[allow(clippy::cast_sign_loss)] // clamped to >= 0 first
pub fn secs(t: f64) -> u64 {
    t.max(0.0) as u64
}
