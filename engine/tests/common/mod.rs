//! Shared helpers of the engine's integration tests: rendering and measuring audio.
#![allow(dead_code)]

use nwt_engine::offline::{self, OfflineNote, RenderOptions, Rendered};
use nwt_engine::{Synth, SynthParams};
use rustfft::{num_complex::Complex64, FftPlanner};
use std::sync::Arc;

/// A synth with default (Init) parameters plus `settings` (id, value) applied.
pub fn synth_with(settings: &[(&str, &str)], sample_rate: f32) -> Synth {
    let params = Arc::new(SynthParams::default());
    for (id, value) in settings {
        params.set_by_id(id, value, sample_rate).unwrap();
    }
    params.reset_smoothers(sample_rate);
    Synth::new(params, sample_rate)
}

/// One note from `start` to `end` seconds.
pub fn note(key: u8, start: f64, end: f64, velocity: f32, sample_rate: f32) -> OfflineNote {
    let sr = f64::from(sample_rate);
    OfflineNote {
        key,
        start: (start * sr).round() as u64,
        end: (end * sr).round() as u64,
        velocity,
        channel: 0,
    }
}

/// Renders notes with the given block size and no parameter changes.
pub fn render(synth: &mut Synth, notes: &[OfflineNote], block: usize) -> Rendered {
    let mut options = RenderOptions::new(synth.sample_rate());
    options.block_size = block;
    offline::render(synth, notes, options, |_, _| {})
}

/// Frequency of a note in equal temperament (A4 = 440 Hz).
pub fn midi_hz(key: f64) -> f64 {
    440.0 * 2f64.powf((key - 69.0) / 12.0)
}

#[allow(unused_imports)] // each test binary uses a different part
pub use nwt_engine::analysis::{cents, estimate_frequency, kaiser};

/// Power spectrum (|X|², bins 0..=n/2) of `x` under a Kaiser β = 20 window.
pub fn power_spectrum(x: &[f32]) -> Vec<f64> {
    let n = x.len();
    let w = kaiser(n, 20.0);
    let mut buf: Vec<Complex64> = x
        .iter()
        .zip(&w)
        .map(|(&s, &w)| Complex64::new(f64::from(s) * w, 0.0))
        .collect();
    FftPlanner::<f64>::new()
        .plan_fft_forward(n)
        .process(&mut buf);
    buf[..=n / 2].iter().map(|c| c.norm_sqr()).collect()
}

/// Energy outside the harmonics of `f0` relative to the energy at them, in dB.
/// Bins within ±`guard` bins of a harmonic k·f0 (k ≥ 1) count as harmonic; the
/// rest (including DC) count as non-harmonic.
pub fn non_harmonic_db(x: &[f32], f0: f64, sample_rate: f64, guard: f64) -> f64 {
    let spectrum = power_spectrum(x);
    let bin_hz = sample_rate / x.len() as f64;
    let (mut harmonic, mut other) = (0.0, 0.0);
    for (bin, p) in spectrum.iter().enumerate() {
        let f = bin as f64 * bin_hz;
        let k = (f / f0).round();
        if k >= 1.0 && ((f - k * f0) / bin_hz).abs() <= guard {
            harmonic += p;
        } else {
            other += p;
        }
    }
    10.0 * (other / harmonic).log10()
}

/// Largest sample-to-sample step `|x[n] - x[n-1]|` in `x`.
pub fn max_jump(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

/// Peak level of `x` in dBFS.
pub fn peak_dbfs(x: &[f32]) -> f64 {
    let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    20.0 * f64::from(peak.max(1e-30)).log10()
}
