//! LFO 1 and LFO 2: seven shapes, in Hz or synced to the host tempo; global
//! (one for the whole synth, free-running or locked to the host's transport)
//! or per voice (each note its own, restarted at note-on); with a start
//! phase, a delay and a fade-in after each note-on.

use nwt_model::rng::Rng;

crate::stable_enum! {
    /// LFO waveform.
    pub enum LfoShape: 33 {
        /// Sine.
        Sine = 0, "sine", "Sine";
        /// Triangle.
        Triangle = 8, "triangle", "Triangle";
        /// Rising saw.
        Saw = 16, "saw", "Saw";
        /// Falling saw.
        SawDown = 17, "saw_down", "Saw Down";
        /// Square.
        Square = 24, "square", "Square";
        /// Sample and hold: a new random level each cycle.
        SampleHold = 32, "sample_hold", "Sample & Hold";
        /// Smooth random: glides from one random level to the next each cycle.
        SmoothRandom = 28, "smooth_random", "Smooth Random";
    }
}

crate::stable_enum! {
    /// Tempo-synced LFO period.
    pub enum LfoDivision: 65 {
        /// A sixteenth note.
        Sixteenth = 0, "1/16", "1/16";
        /// An eighth note.
        Eighth = 8, "1/8", "1/8";
        /// A quarter-note triplet.
        QuarterTriplet = 16, "1/4t", "1/4 T";
        /// A quarter note.
        Quarter = 24, "1/4", "1/4";
        /// A dotted quarter note.
        QuarterDotted = 32, "1/4d", "1/4 D";
        /// Half a bar.
        Half = 40, "1/2", "1/2";
        /// One bar of 4/4.
        Bar = 48, "1", "1 bar";
        /// Two bars.
        TwoBars = 56, "2", "2 bars";
        /// Four bars.
        FourBars = 64, "4", "4 bars";
    }
}

crate::stable_enum! {
    /// How an LFO runs.
    pub enum LfoMode: 9 {
        /// One LFO for the whole synth, running freely (a synced one follows
        /// the host's song position when the host gives one).
        Global = 0, "global", "Global";
        /// One LFO per voice, restarted at its phase at every note-on.
        Voice = 4, "voice", "Per Voice";
        /// One LFO for the whole synth whose phase is the host's transport
        /// position, in Hz or synced, so a bounce repeats exactly.
        Transport = 8, "transport", "Transport";
    }
}

/// How an LFO runs, starts and fades in (its parameters, read for a block).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LfoMotion {
    /// Global, per voice or locked to the transport.
    pub mode: LfoMode,
    /// Start phase in cycles, `0..1` (a per-voice LFO starts here; a global
    /// one is read this far ahead).
    pub phase: f32,
    /// Seconds after note-on before the LFO moves anything.
    pub delay_s: f32,
    /// Seconds over which it then fades in.
    pub fade_s: f32,
}

impl Default for LfoMotion {
    fn default() -> Self {
        Self {
            mode: LfoMode::Global,
            phase: 0.0,
            delay_s: 0.0,
            fade_s: 0.0,
        }
    }
}

impl LfoMotion {
    /// The LFO's depth `0..=1` for a note that started `seconds` ago: 0
    /// through the delay, then rising linearly over the fade-in.
    pub fn depth(&self, seconds: f32) -> f32 {
        let delay = if self.delay_s.is_finite() {
            self.delay_s.max(0.0)
        } else {
            0.0
        };
        let fade = if self.fade_s.is_finite() {
            self.fade_s.max(0.0)
        } else {
            0.0
        };
        if seconds < delay {
            0.0
        } else if fade > 0.0 {
            ((seconds - delay) / fade).min(1.0)
        } else {
            1.0
        }
    }
}

impl LfoDivision {
    /// Length of one LFO cycle in quarter-note beats.
    pub fn beats(self) -> f64 {
        match self {
            LfoDivision::Sixteenth => 0.25,
            LfoDivision::Eighth => 0.5,
            LfoDivision::QuarterTriplet => 2.0 / 3.0,
            LfoDivision::Quarter => 1.0,
            LfoDivision::QuarterDotted => 1.5,
            LfoDivision::Half => 2.0,
            LfoDivision::Bar => 4.0,
            LfoDivision::TwoBars => 8.0,
            LfoDivision::FourBars => 16.0,
        }
    }
}

/// A running LFO. Output is bipolar, `-1..=1`.
#[derive(Debug, Clone)]
pub struct Lfo {
    phase: f64,
    held: f32,
    /// The level before `held` (smooth random glides from it).
    previous: f32,
    rng: Rng,
}

impl Default for Lfo {
    fn default() -> Self {
        Self {
            phase: 0.0,
            held: 0.0,
            previous: 0.0,
            rng: Rng::new(0x1f0),
        }
    }
}

impl Lfo {
    /// A per-voice LFO: at `phase` (cycles), its random levels from `seed`.
    pub fn starting_at(phase: f64, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let held = rng.bipolar();
        Self {
            phase: if phase.is_finite() {
                phase.rem_euclid(1.0)
            } else {
                0.0
            },
            held,
            previous: held,
            rng,
        }
    }

    /// Restarts at phase zero.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Sets the phase directly (in cycles), e.g. to follow the host's song position.
    pub fn set_phase(&mut self, phase: f64) {
        if phase.is_finite() {
            let new = phase.rem_euclid(1.0);
            if new < self.phase {
                self.next_level();
            }
            self.phase = new;
        }
    }

    /// The current phase in cycles.
    pub fn phase(&self) -> f64 {
        self.phase
    }

    /// Advances by `cycles` (clamped to a sane range) and re-draws the held value on wrap.
    pub fn advance(&mut self, cycles: f64) {
        if !cycles.is_finite() {
            return;
        }
        let next = self.phase + cycles.clamp(0.0, 1.0);
        if next >= 1.0 {
            self.next_level();
        }
        self.phase = next.rem_euclid(1.0);
    }

    fn next_level(&mut self) {
        self.previous = self.held;
        self.held = self.rng.bipolar();
    }

    /// The output for `shape` at the current phase.
    pub fn value(&self, shape: LfoShape) -> f32 {
        self.value_at(shape, self.phase as f32)
    }

    /// The output for `shape` read `offset` cycles ahead of the current
    /// phase (the random shapes hold their level: they have no shape to read ahead in).
    pub fn value_ahead(&self, shape: LfoShape, offset: f32) -> f32 {
        if offset == 0.0 || !offset.is_finite() {
            return self.value(shape);
        }
        self.value_at(shape, (self.phase as f32 + offset).rem_euclid(1.0))
    }

    fn value_at(&self, shape: LfoShape, p: f32) -> f32 {
        match shape {
            LfoShape::Sine => (std::f32::consts::TAU * p).sin(),
            LfoShape::Triangle => 4.0 * ((p + 0.75).fract() - 0.5).abs() - 1.0,
            LfoShape::Saw => 2.0 * p - 1.0,
            LfoShape::SawDown => 1.0 - 2.0 * p,
            LfoShape::Square => {
                if p < 0.5 {
                    1.0
                } else {
                    -1.0
                }
            }
            LfoShape::SampleHold => self.held,
            LfoShape::SmoothRandom => {
                // A smoothstep from the last level to the new one over the cycle.
                let s = p * p * (3.0 - 2.0 * p);
                self.previous + (self.held - self.previous) * s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_span_minus_one_to_one() {
        for shape in [
            LfoShape::Sine,
            LfoShape::Triangle,
            LfoShape::Saw,
            LfoShape::SawDown,
            LfoShape::Square,
        ] {
            let mut lfo = Lfo::default();
            let (mut lo, mut hi) = (f32::MAX, f32::MIN);
            for _ in 0..1000 {
                let v = lfo.value(shape);
                lo = lo.min(v);
                hi = hi.max(v);
                lfo.advance(0.001);
            }
            assert!(
                lo < -0.99 && hi > 0.99 && lo >= -1.0 && hi <= 1.0,
                "{shape:?} {lo} {hi}"
            );
        }
    }

    #[test]
    fn depth_waits_for_the_delay_then_fades_in() {
        let motion = LfoMotion {
            delay_s: 0.5,
            fade_s: 1.0,
            ..LfoMotion::default()
        };
        assert_eq!(motion.depth(0.0), 0.0);
        assert_eq!(motion.depth(0.49), 0.0);
        assert!((motion.depth(1.0) - 0.5).abs() < 1e-6);
        assert_eq!(motion.depth(1.5), 1.0);
        assert_eq!(motion.depth(9.0), 1.0);
        assert_eq!(LfoMotion::default().depth(0.0), 1.0);
        let broken = LfoMotion {
            delay_s: f32::NAN,
            fade_s: f32::INFINITY,
            ..LfoMotion::default()
        };
        assert!(broken.depth(1.0).is_finite());
    }

    #[test]
    fn a_voice_lfo_starts_at_its_phase_and_reads_ahead() {
        let lfo = Lfo::starting_at(0.25, 9);
        assert!((lfo.value(LfoShape::Sine) - 1.0).abs() < 1e-6);
        let global = Lfo::default();
        assert!((global.value_ahead(LfoShape::Sine, 0.25) - 1.0).abs() < 1e-6);
        assert!((global.value_ahead(LfoShape::Saw, 0.5) - 0.0).abs() < 1e-6);
    }

    #[test]
    fn triangle_starts_at_zero_rising() {
        let mut lfo = Lfo::default();
        assert!(lfo.value(LfoShape::Triangle).abs() < 1e-6);
        lfo.advance(0.25);
        assert!((lfo.value(LfoShape::Triangle) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn smooth_random_glides_without_steps() {
        let mut lfo = Lfo::default();
        let mut last = lfo.value(LfoShape::SmoothRandom);
        let mut worst = 0.0f32;
        let mut levels = Vec::new();
        for i in 0..10_000 {
            lfo.advance(0.001);
            let v = lfo.value(LfoShape::SmoothRandom);
            worst = worst.max((v - last).abs());
            last = v;
            if i % 1000 == 999 {
                levels.push(v);
            }
        }
        // A smoothstep across 1000 steps moves at most 1.5 × 2 / 1000 a step.
        assert!(worst < 0.0031, "step {worst}");
        levels.dedup();
        assert!(levels.len() > 5, "it moves: {levels:?}");
    }

    #[test]
    fn sample_and_hold_changes_once_per_cycle() {
        let mut lfo = Lfo::default();
        lfo.advance(0.99);
        let a = lfo.value(LfoShape::SampleHold);
        lfo.advance(0.02);
        let b = lfo.value(LfoShape::SampleHold);
        lfo.advance(0.5);
        assert_ne!(a, b);
        assert_eq!(b, lfo.value(LfoShape::SampleHold));
    }
}
