//! Parameter automation for offline renders: `PARAM@SECONDS=VALUE[,...]`.

use nwt_engine::SynthParams;

/// One automation point: set `param` to `value` at `seconds`.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationPoint {
    /// Stable parameter id.
    pub param: String,
    /// When, in seconds from the start of the render.
    pub seconds: f64,
    /// A plain value or display text, as `--set` takes it.
    pub value: String,
}

/// Why an automation spec was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AutomationError {
    /// Not `PARAM@SECONDS=VALUE`.
    #[error("`{0}` is not PARAM@SECONDS=VALUE (e.g. macro_1@0.5=0.8)")]
    Syntax(String),
    /// The time is not a finite, non-negative number of seconds.
    #[error("`{0}`: the time must be a number of seconds, 0 or more")]
    Time(String),
    /// The parameter or value is not accepted.
    #[error("`{point}`: {reason}")]
    Param {
        /// The point as written.
        point: String,
        /// What the parameter said.
        reason: String,
    },
}

/// Parses comma-separated points, checking each parameter id and value. The
/// result is sorted by time; points at the same time keep their order.
pub fn parse_automation(spec: &str) -> Result<Vec<AutomationPoint>, AutomationError> {
    let mut points = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (param, rest) = item
            .split_once('@')
            .ok_or_else(|| AutomationError::Syntax(item.to_string()))?;
        let (time, value) = rest
            .split_once('=')
            .ok_or_else(|| AutomationError::Syntax(item.to_string()))?;
        let seconds: f64 = time
            .trim()
            .parse()
            .map_err(|_| AutomationError::Time(item.to_string()))?;
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(AutomationError::Time(item.to_string()));
        }
        let point = AutomationPoint {
            param: param.trim().to_string(),
            seconds,
            value: value.trim().to_string(),
        };
        // Validate on a scratch copy so nothing changes yet.
        SynthParams::default()
            .set_by_id(&point.param, &point.value, 48_000.0)
            .map_err(|e| AutomationError::Param {
                point: item.to_string(),
                reason: e.to_string(),
            })?;
        points.push(point);
    }
    points.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    Ok(points)
}

/// Plays automation points in time order.
#[derive(Debug, Clone)]
pub struct AutomationPlayer {
    points: Vec<AutomationPoint>,
    next: usize,
}

impl AutomationPlayer {
    /// A player over time-sorted points.
    pub fn new(points: Vec<AutomationPoint>) -> Self {
        Self { points, next: 0 }
    }

    /// Applies every point due at or before `seconds`; returns how many it applied.
    pub fn apply_until(&mut self, seconds: f64, params: &SynthParams, sample_rate: f32) -> usize {
        let start = self.next;
        while let Some(point) = self.points.get(self.next) {
            if point.seconds > seconds {
                break;
            }
            // Checked when parsed.
            let _ = params.set_by_id(&point.param, &point.value, sample_rate);
            self.next += 1;
        }
        self.next - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_plays_points() {
        let params = SynthParams::default();
        let points = parse_automation("macro_1@0.5=0.8, cutoff@0.1=1000,macro_1@1=-0.5").unwrap();
        assert_eq!(points.len(), 3);
        assert_eq!(points[0].param, "cutoff");
        let mut player = AutomationPlayer::new(points);
        assert_eq!(player.apply_until(0.0, &params, 48_000.0), 0);
        assert_eq!(player.apply_until(0.6, &params, 48_000.0), 2);
        assert!((params.macro_1.value() - 0.8).abs() < 1e-3);
        assert_eq!(player.apply_until(5.0, &params, 48_000.0), 1);
        assert!((params.macro_1.value() + 0.5).abs() < 1e-3);
    }

    #[test]
    fn rejects_bad_points() {
        for bad in [
            "macro_1=0.5",
            "macro_1@x=1",
            "macro_1@-1=1",
            "nope@1=1",
            "cutoff@1=loud",
        ] {
            assert!(parse_automation(bad).is_err(), "{bad}");
        }
    }
}
