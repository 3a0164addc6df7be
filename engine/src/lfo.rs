//! The global LFO: five shapes, free-running in Hz or synced to the host tempo.

use nice_plug::prelude::Enum;
use nwt_model::rng::Rng;

/// LFO waveform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum LfoShape {
    /// Sine.
    #[id = "sine"]
    Sine,
    /// Triangle.
    #[id = "triangle"]
    Triangle,
    /// Rising saw.
    #[id = "saw"]
    Saw,
    /// Square.
    #[id = "square"]
    Square,
    /// Sample and hold: a new random level each cycle.
    #[id = "sample_hold"]
    #[name = "Sample & Hold"]
    SampleHold,
}

/// Tempo-synced LFO period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum LfoDivision {
    /// A sixteenth note.
    #[id = "1/16"]
    #[name = "1/16"]
    Sixteenth,
    /// An eighth note.
    #[id = "1/8"]
    #[name = "1/8"]
    Eighth,
    /// A quarter-note triplet.
    #[id = "1/4t"]
    #[name = "1/4 T"]
    QuarterTriplet,
    /// A quarter note.
    #[id = "1/4"]
    #[name = "1/4"]
    Quarter,
    /// A dotted quarter note.
    #[id = "1/4d"]
    #[name = "1/4 D"]
    QuarterDotted,
    /// Half a bar.
    #[id = "1/2"]
    #[name = "1/2"]
    Half,
    /// One bar of 4/4.
    #[id = "1"]
    #[name = "1 bar"]
    Bar,
    /// Two bars.
    #[id = "2"]
    #[name = "2 bars"]
    TwoBars,
    /// Four bars.
    #[id = "4"]
    #[name = "4 bars"]
    FourBars,
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
    rng: Rng,
}

impl Default for Lfo {
    fn default() -> Self {
        Self {
            phase: 0.0,
            held: 0.0,
            rng: Rng::new(0x1f0),
        }
    }
}

impl Lfo {
    /// Restarts at phase zero.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Sets the phase directly (in cycles), e.g. to follow the host's song position.
    pub fn set_phase(&mut self, phase: f64) {
        if phase.is_finite() {
            let new = phase.rem_euclid(1.0);
            if new < self.phase {
                self.held = self.rng.bipolar();
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
            self.held = self.rng.bipolar();
        }
        self.phase = next.rem_euclid(1.0);
    }

    /// The output for `shape` at the current phase.
    pub fn value(&self, shape: LfoShape) -> f32 {
        let p = self.phase as f32;
        match shape {
            LfoShape::Sine => (std::f32::consts::TAU * p).sin(),
            LfoShape::Triangle => 4.0 * ((p + 0.75).fract() - 0.5).abs() - 1.0,
            LfoShape::Saw => 2.0 * p - 1.0,
            LfoShape::Square => {
                if p < 0.5 {
                    1.0
                } else {
                    -1.0
                }
            }
            LfoShape::SampleHold => self.held,
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
    fn triangle_starts_at_zero_rising() {
        let mut lfo = Lfo::default();
        assert!(lfo.value(LfoShape::Triangle).abs() < 1e-6);
        lfo.advance(0.25);
        assert!((lfo.value(LfoShape::Triangle) - 1.0).abs() < 1e-6);
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
