//! Harmonic spectra of single-cycle waveforms.

use crate::MAX_HARMONIC;

/// The spectrum of one periodic waveform: `x(t) = Σ_h cos[h]·cos(2πht) + sin[h]·sin(2πht)`
/// for `t` in cycles and `h` in `1..=MAX_HARMONIC`. Index 0 (DC) is always zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Harmonics {
    /// Cosine amplitude of each harmonic, indexed by harmonic number.
    pub cos: Vec<f32>,
    /// Sine amplitude of each harmonic, indexed by harmonic number.
    pub sin: Vec<f32>,
}

impl Default for Harmonics {
    fn default() -> Self {
        Self::silent()
    }
}

impl Harmonics {
    /// A spectrum with every harmonic at zero.
    pub fn silent() -> Self {
        Self {
            cos: vec![0.0; MAX_HARMONIC + 1],
            sin: vec![0.0; MAX_HARMONIC + 1],
        }
    }

    /// Builds a spectrum from a function giving `(cos, sin)` amplitudes per harmonic number.
    pub fn from_fn(mut f: impl FnMut(usize) -> (f64, f64)) -> Self {
        let mut out = Self::silent();
        for h in 1..=MAX_HARMONIC {
            let (c, s) = f(h);
            out.cos[h] = c as f32;
            out.sin[h] = s as f32;
        }
        out
    }

    /// The magnitude of harmonic `h` (zero past [`MAX_HARMONIC`]).
    pub fn magnitude(&self, h: usize) -> f32 {
        if h == 0 || h > MAX_HARMONIC {
            return 0.0;
        }
        self.cos[h].hypot(self.sin[h])
    }

    /// Evaluates the waveform at `phase` (in cycles) by direct summation. Slow; meant for tests.
    pub fn eval(&self, phase: f64) -> f64 {
        let w = std::f64::consts::TAU * phase;
        (1..=MAX_HARMONIC)
            .filter(|&h| self.cos[h] != 0.0 || self.sin[h] != 0.0)
            .map(|h| {
                let (s, c) = (w * h as f64).sin_cos();
                self.cos[h] as f64 * c + self.sin[h] as f64 * s
            })
            .sum()
    }

    /// Linear blend `self·(1-t) + other·t` of two spectra.
    pub fn lerp(&self, other: &Self, t: f32) -> Self {
        let mix = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x + (y - x) * t).collect();
        Self {
            cos: mix(&self.cos, &other.cos),
            sin: mix(&self.sin, &other.sin),
        }
    }
}
