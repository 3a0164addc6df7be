//! ADSR envelopes with exponential decay and release that reach zero in finite time.
//!
//! Each segment approaches a target slightly past its end point (the
//! "overshoot" form), so decay and release are exponential in shape yet end
//! exactly at their time, and a released voice reaches true silence.

/// How close a sustaining envelope must come to its level to settle on it.
const SETTLED: f32 = 1e-5;

/// Overshoot ratio of the attack segment (larger is more linear).
const ATTACK_RATIO: f32 = 0.3;
/// Overshoot ratio of decay and release (-80 dB: a clean exponential tail).
const DECAY_RATIO: f32 = 1e-4;

/// One exponential segment: `level = base + level·coef` per sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Segment {
    coef: f32,
    ratio: f32,
}

impl Segment {
    fn new(seconds: f32, sample_rate: f32, ratio: f32) -> Self {
        let samples = (seconds * sample_rate).max(0.0);
        let coef = if samples < 1.0 {
            0.0
        } else {
            (-((1.0 + ratio) / ratio).ln() / samples).exp()
        };
        Self { coef, ratio }
    }
}

/// Envelope times and level, precomputed once per control block and shared by all voices.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AdsrShape {
    attack: Segment,
    decay: Segment,
    release: Segment,
    sustain: f32,
}

impl AdsrShape {
    /// Times in milliseconds, sustain level in `0..=1`.
    pub fn new(
        attack_ms: f32,
        decay_ms: f32,
        sustain: f32,
        release_ms: f32,
        sample_rate: f32,
    ) -> Self {
        let s = |ms: f32| {
            if ms.is_finite() {
                ms.max(0.0) * 1e-3
            } else {
                0.0
            }
        };
        Self {
            attack: Segment::new(s(attack_ms), sample_rate, ATTACK_RATIO),
            decay: Segment::new(s(decay_ms), sample_rate, DECAY_RATIO),
            release: Segment::new(s(release_ms), sample_rate, DECAY_RATIO),
            sustain: if sustain.is_finite() {
                sustain.clamp(0.0, 1.0)
            } else {
                1.0
            },
        }
    }
}

/// The stage an envelope is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    /// Not sounding.
    #[default]
    Idle,
    /// Rising to 1.
    Attack,
    /// Falling to the sustain level.
    Decay,
    /// Holding the sustain level.
    Sustain,
    /// Falling to 0 after note-off.
    Release,
}

/// A running ADSR envelope.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Adsr {
    stage: Stage,
    level: f32,
}

impl Adsr {
    /// Starts (or restarts, from the current level) the attack.
    pub fn trigger(&mut self) {
        self.stage = Stage::Attack;
    }

    /// Moves to the release stage.
    pub fn release(&mut self) {
        if self.stage != Stage::Idle {
            self.stage = Stage::Release;
        }
    }

    /// Stops at once.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The current stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The current level.
    pub fn level(&self) -> f32 {
        self.level
    }

    /// True while the envelope still produces output.
    pub fn is_active(&self) -> bool {
        self.stage != Stage::Idle
    }

    /// Advances one sample and returns the new level.
    #[inline]
    pub fn next(&mut self, shape: &AdsrShape) -> f32 {
        match self.stage {
            Stage::Idle => {}
            Stage::Attack => {
                let seg = shape.attack;
                if seg.coef == 0.0 {
                    self.level = 1.0;
                } else {
                    let target = 1.0 + seg.ratio;
                    self.level = target + (self.level - target) * seg.coef;
                }
                if self.level >= 1.0 {
                    self.level = 1.0;
                    self.stage = Stage::Decay;
                }
            }
            Stage::Decay => {
                let seg = shape.decay;
                let target = shape.sustain - seg.ratio * (1.0 - shape.sustain);
                let before = self.level;
                self.level = if seg.coef == 0.0 {
                    shape.sustain
                } else {
                    target + (self.level - target) * seg.coef
                };
                // A long decay's last steps fall below the resolution of f32
                // and stall short of the level: within SETTLED of it counts
                // as there, and a step that no longer moves hands over to the
                // sustain stage, which glides the rest of the way.
                if self.level <= shape.sustain + SETTLED {
                    self.level = shape.sustain;
                    self.stage = Stage::Sustain;
                } else if self.level >= before {
                    self.stage = Stage::Sustain;
                }
            }
            Stage::Sustain => {
                // Follow sustain changes smoothly (about 5 ms), and settle on
                // the level exactly once within 1e-5 (-100 dB) of it (the step
                // alone stalls a few ulps away).
                let gap = shape.sustain - self.level;
                self.level = if gap.abs() < SETTLED {
                    shape.sustain
                } else {
                    self.level + gap * 0.004
                };
                if self.level <= 0.0 {
                    self.level = 0.0;
                }
            }
            Stage::Release => {
                let seg = shape.release;
                let target = -seg.ratio;
                self.level = if seg.coef == 0.0 {
                    0.0
                } else {
                    target + (self.level - target) * seg.coef
                };
                if self.level <= 0.0 {
                    self.level = 0.0;
                    self.stage = Stage::Idle;
                }
            }
        }
        self.level
    }

    /// Writes the next `out.len()` levels into `out` (a settled sustain is
    /// written without stepping).
    pub fn fill(&mut self, shape: &AdsrShape, out: &mut [f32]) {
        for i in 0..out.len() {
            if self.stage == Stage::Sustain && self.level == shape.sustain {
                out[i..].fill(self.level);
                return;
            }
            out[i] = self.next(shape);
        }
    }

    /// Advances `n` samples at once (for control-rate envelopes) and returns the level.
    pub fn advance(&mut self, shape: &AdsrShape, n: usize) -> f32 {
        // A settled sustain stays where it is: nothing to step through.
        if self.stage == Stage::Sustain && self.level == shape.sustain {
            return self.level;
        }
        for _ in 0..n {
            self.next(shape);
        }
        self.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f32 = 48_000.0;

    #[test]
    fn segments_take_their_time() {
        let shape = AdsrShape::new(10.0, 100.0, 0.5, 50.0, SR);
        let mut env = Adsr::default();
        env.trigger();
        let attack = (0..SR as usize)
            .position(|_| env.next(&shape) >= 1.0)
            .unwrap();
        assert!((470..=490).contains(&attack), "attack {attack}");
        let decay = (0..SR as usize)
            .position(|_| env.next(&shape) <= 0.5)
            .unwrap();
        assert!((4700..=4900).contains(&decay), "decay {decay}");
        env.release();
        let release = (0..SR as usize)
            .position(|_| !{
                env.next(&shape);
                env.is_active()
            })
            .unwrap();
        // From 0.5 an exponential release to 0 takes a little less than the full time.
        assert!((1500..=2400).contains(&release), "release {release}");
        assert_eq!(env.level(), 0.0);
    }

    #[test]
    fn zero_attack_is_instant() {
        let shape = AdsrShape::new(0.0, 0.0, 1.0, 0.0, SR);
        let mut env = Adsr::default();
        env.trigger();
        assert_eq!(env.next(&shape), 1.0);
        env.release();
        assert_eq!(env.next(&shape), 0.0);
        assert!(!env.is_active());
    }

    #[test]
    fn nan_times_fall_back_to_instant() {
        let shape = AdsrShape::new(f32::NAN, f32::INFINITY, f32::NAN, -5.0, SR);
        let mut env = Adsr::default();
        env.trigger();
        for _ in 0..10 {
            assert!(env.next(&shape).is_finite());
        }
    }

    #[test]
    fn a_long_decay_reaches_its_sustain_stage_and_holds_it_exactly() {
        // 300 ms down to 0.8: the last steps are below f32's resolution at 0.8
        // (it used to stall 3e-5 above, in the decay stage, for ever).
        let shape = AdsrShape::new(5.0, 300.0, 0.8, 300.0, SR);
        let mut env = Adsr::default();
        env.trigger();
        let mut levels = vec![0.0; SR as usize];
        env.fill(&shape, &mut levels);
        assert_eq!(env.stage(), Stage::Sustain);
        assert_eq!(env.level(), 0.8);
        let settled = levels.iter().position(|&l| l == 0.8).unwrap();
        assert!(
            settled < (0.4 * SR) as usize,
            "sustain from sample {settled}"
        );
        assert!(levels[settled..].iter().all(|&l| l == 0.8));
        // A sustain change is followed smoothly and settles again.
        let lower = AdsrShape::new(5.0, 300.0, 0.6, 300.0, SR);
        env.fill(&lower, &mut levels);
        assert!(levels[0] < 0.8 && levels[0] > 0.79, "{}", levels[0]);
        assert_eq!(env.level(), 0.6);
    }
}
