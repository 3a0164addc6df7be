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

    /// The spectrum of one cycle given as any number of samples (at least 4):
    /// harmonics up to the cycle's own Nyquist (and at most [`MAX_HARMONIC`]).
    /// Non-finite samples count as zero.
    pub fn from_cycle(samples: &[f32]) -> Self {
        use rustfft::{num_complex::Complex64, FftPlanner};
        let n = samples.len();
        let mut out = Self::silent();
        if n < 4 {
            return out;
        }
        let mut buf: Vec<Complex64> = samples
            .iter()
            .map(|&x| Complex64::new(if x.is_finite() { f64::from(x) } else { 0.0 }, 0.0))
            .collect();
        FftPlanner::<f64>::new()
            .plan_fft_forward(n)
            .process(&mut buf);
        let top = ((n - 1) / 2).min(MAX_HARMONIC);
        for (h, bin) in buf.iter().enumerate().take(top + 1).skip(1) {
            out.cos[h] = (2.0 * bin.re / n as f64) as f32;
            out.sin[h] = (-2.0 * bin.im / n as f64) as f32;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_cycle_finds_harmonics_of_any_length() {
        for n in [100usize, 441, 2048, 3001] {
            let x: Vec<f32> = (0..n)
                .map(|i| {
                    let t = i as f64 / n as f64;
                    (0.5 * (std::f64::consts::TAU * t).sin()
                        + 0.25 * (std::f64::consts::TAU * 3.0 * t).cos()) as f32
                })
                .collect();
            let h = Harmonics::from_cycle(&x);
            assert!(
                (h.sin[1] - 0.5).abs() < 1e-5 && h.cos[1].abs() < 1e-5,
                "{n}"
            );
            assert!((h.cos[3] - 0.25).abs() < 1e-5, "{n}");
            assert!(h.magnitude(2) < 1e-5);
        }
    }
}
