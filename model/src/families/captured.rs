//! Cycles as users bring them, rather than as a synthesiser makes them: drawn
//! point by point in an editor, and cut from a recorded vowel.
//!
//! The other families are exact spectra. A user's cycle is not: a drawn one is
//! a naive, aliased rendering at whatever length the editor used (often odd),
//! resampled and quantised to 8 or 16 bits; a vowel cut from a recording has a
//! voice that never repeats exactly (jitter, shimmer, breath), a recording
//! noise floor, and nothing above the recording's Nyquist frequency, which
//! lands on an arbitrary harmonic. These two families put those properties in
//! the training and test data (issue "A latent space you can sweep").
//!
//! Both render in the time domain with IEEE arithmetic and the deterministic
//! `libm` functions of `turns.rs`, so they stay bit-identical everywhere.

use super::turns::{self, cos_turns, exp};
use super::{log_range, spectrum};
use crate::rng::Rng;
use crate::Harmonics;
use std::f64::consts::PI;

/// A cycle drawn in an editor: a naive (aliased) classic shape, points joined by
/// lines, held as steps, or joined by smooth curves; at a length of 24–4096
/// samples (odd lengths included), sometimes resampled linearly to another
/// length, quantised to 8 or 16 bits or left as floats.
pub(super) fn drawn(rng: &mut Rng) -> Harmonics {
    let len = log_range(rng, 24.0, 4096.0) as usize;
    let mut wave = match rng.below(4) {
        0 => naive_classic(rng, len),
        kind => {
            let points = control_points(rng);
            (0..len)
                .map(|i| join(&points, i as f64 / len as f64, kind))
                .collect()
        }
    };
    if rng.chance(0.4) {
        wave = resample_linear(&wave, log_range(rng, 24.0, 4096.0) as usize);
    }
    match rng.below(5) {
        0 => quantise(&mut wave, 8),
        1..=3 => quantise(&mut wave, 16),
        _ => {}
    }
    spectrum(&wave)
}

/// A classic shape rendered sample by sample with no band limit, as a drawing
/// tool or a naive export makes it: square, saw, triangle or a pulse.
fn naive_classic(rng: &mut Rng, len: usize) -> Vec<f64> {
    let kind = rng.below(4);
    let duty = rng.range(0.05, 0.95);
    (0..len)
        .map(|i| {
            let t = i as f64 / len as f64;
            match kind {
                0 => {
                    if t < 0.5 {
                        1.0
                    } else {
                        -1.0
                    }
                }
                1 => 2.0 * t - 1.0,
                2 => 1.0 - 4.0 * (t - 0.5).abs(),
                _ => {
                    if t < duty {
                        1.0
                    } else {
                        -1.0
                    }
                }
            }
        })
        .collect()
}

/// 3–48 control points `(time, value)` over one cycle, sorted by time, the
/// first at time 0: uniform values, or a random walk (a hand moving smoothly).
fn control_points(rng: &mut Rng) -> Vec<(f64, f64)> {
    let count = 3 + rng.below(46);
    let walk = rng.chance(0.5);
    let mut times: Vec<f64> = (0..count)
        .map(|i| if i == 0 { 0.0 } else { rng.uniform() })
        .collect();
    times.sort_by(f64::total_cmp);
    let mut value = rng.range(-1.0, 1.0);
    times
        .into_iter()
        .map(|t| {
            value = if walk {
                (value + rng.range(-0.5, 0.5)).clamp(-1.0, 1.0)
            } else {
                rng.range(-1.0, 1.0)
            };
            (t, value)
        })
        .collect()
}

/// The drawn curve at phase `t` (`0..1`, wrapping to the first point):
/// `kind` 1 joins the points with lines, 2 holds each point, 3 joins them
/// with half-cosine curves.
fn join(points: &[(f64, f64)], t: f64, kind: usize) -> f64 {
    let next = points.partition_point(|p| p.0 <= t);
    let (t0, v0) = points[next - 1];
    let (t1, v1) = points.get(next).copied().unwrap_or((1.0, points[0].1));
    if kind == 2 {
        return v0;
    }
    let x = if t1 > t0 { (t - t0) / (t1 - t0) } else { 0.0 };
    let x = if kind == 3 {
        0.5 - 0.5 * cos_turns(0.5 * x)
    } else {
        x
    };
    v0 + (v1 - v0) * x
}

/// One cycle resampled to `len` samples by linear interpolation (wrapping).
fn resample_linear(wave: &[f64], len: usize) -> Vec<f64> {
    let n = wave.len();
    (0..len)
        .map(|i| {
            let pos = i as f64 * n as f64 / len as f64;
            let j = pos as usize % n;
            let frac = pos - pos.floor();
            wave[j] + (wave[(j + 1) % n] - wave[j]) * frac
        })
        .collect()
}

/// Peak-normalises and rounds to signed `bits`-bit integers, as a WAV file
/// stores them.
fn quantise(wave: &mut [f64], bits: u32) {
    let peak = wave.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if peak <= 0.0 {
        return;
    }
    let full = f64::from((1u32 << (bits - 1)) - 1);
    for v in wave.iter_mut() {
        *v = turns::round(*v / peak * full) / full;
    }
}

/// Average formant frequencies F1–F3 (Hz) of ten English vowels spoken by men
/// (Peterson and Barney, 1952): i ɪ ɛ æ ɑ ɔ ʊ u ʌ ɝ.
const VOWELS: [[f64; 3]; 10] = [
    [270.0, 2290.0, 3010.0],
    [390.0, 1990.0, 2550.0],
    [530.0, 1840.0, 2480.0],
    [660.0, 1720.0, 2410.0],
    [730.0, 1090.0, 2440.0],
    [570.0, 840.0, 2410.0],
    [440.0, 1020.0, 2240.0],
    [300.0, 870.0, 2240.0],
    [640.0, 1190.0, 2390.0],
    [490.0, 1350.0, 1690.0],
];

/// One pitch period cut from a synthesised recording of a spoken vowel.
///
/// A man's, a woman's or a child's voice (formants scaled 1, ~1.17 or ~1.35,
/// fundamental in that speaker's range): a Rosenberg glottal pulse train with
/// jitter and shimmer, aspiration noise in the open phase, through the
/// vowel's five formant resonators and lip radiation, recorded at 16–48 kHz
/// with a microphone high-pass and a noise floor 25–70 dB down. The cycle is
/// cut at the period nearest the voice's pitch, wherever the cut falls, as a
/// user's editor cuts it.
pub(super) fn spoken_vowel(rng: &mut Rng) -> Harmonics {
    let rate = [16_000.0, 22_050.0, 44_100.0, 48_000.0][rng.below(4)];
    let (scale, f0_lo, f0_hi) = match rng.below(3) {
        0 => (1.0, 85.0, 160.0),
        1 => (1.17, 160.0, 260.0),
        _ => (1.35, 220.0, 330.0),
    };
    let scale = scale * rng.range(0.93, 1.07);
    let f0 = log_range(rng, f0_lo, f0_hi);
    let vowel = VOWELS[rng.below(VOWELS.len())];
    let mut formants = [0.0; 5];
    for (i, f) in formants.iter_mut().enumerate() {
        let base = match i {
            0..=2 => vowel[i],
            3 => 3300.0,
            _ => 4200.0,
        };
        *f = (base * scale * rng.range(0.92, 1.08)).min(0.45 * rate);
    }
    let bandwidths = [
        rng.range(50.0, 130.0),
        rng.range(60.0, 180.0),
        rng.range(90.0, 250.0),
        rng.range(150.0, 350.0),
        rng.range(200.0, 450.0),
    ];
    let open = rng.range(0.45, 0.75);
    let jitter = rng.range(0.002, 0.03);
    let shimmer = rng.range(0.01, 0.08);
    let aspiration = log_range(rng, 1e-3, 0.3);
    let floor = exp(-rng.range(25.0, 70.0) / 20.0 * std::f64::consts::LN_10);

    // The glottal flow, period by period, with aspiration noise while open.
    let total = (0.25 * rate) as usize;
    let mut source = Vec::with_capacity(total);
    while source.len() < total {
        let period = (rate / f0 * (1.0 + jitter * f64::from(rng.gaussian()))).max(8.0);
        let amplitude = 1.0 + shimmer * f64::from(rng.gaussian());
        let samples = period as usize;
        for i in 0..samples {
            let t = i as f64 / period;
            let flow = rosenberg(t, open) * amplitude;
            let noise = if t < open {
                aspiration * f64::from(rng.gaussian())
            } else {
                0.0
            };
            source.push(flow + noise);
        }
    }
    source.truncate(total);
    // Lip radiation (a differentiator) turns the flow into the pressure wave.
    let mut previous = 0.0;
    let mut wave: Vec<f64> = source
        .into_iter()
        .map(|x| {
            let y = x - 0.98 * previous;
            previous = x;
            y
        })
        .collect();
    for (&f, &b) in formants.iter().zip(&bandwidths) {
        resonate(&mut wave, f, b, rate);
    }
    high_pass(&mut wave, rng.range(40.0, 150.0), rate);
    let rms = (wave.iter().map(|v| v * v).sum::<f64>() / wave.len() as f64).sqrt();
    for v in wave.iter_mut() {
        *v += floor * rms * f64::from(rng.gaussian());
    }
    // Cut one period somewhere after the filters have settled.
    let len = turns::round(rate / f0) as usize;
    let start = wave.len() / 2 + rng.below(wave.len() / 2 - len);
    spectrum(&wave[start..start + len])
}

/// Rosenberg's glottal pulse at phase `t` of a period whose open phase lasts
/// `open` (rising for two thirds of it, falling for the last third).
fn rosenberg(t: f64, open: f64) -> f64 {
    let rise = open * 2.0 / 3.0;
    if t < rise {
        0.5 - 0.5 * cos_turns(0.5 * t / rise)
    } else if t < open {
        cos_turns(0.25 * (t - rise) / (open - rise))
    } else {
        0.0
    }
}

/// A two-pole resonator at `centre` Hz with `bandwidth` Hz, unity gain at DC.
fn resonate(wave: &mut [f64], centre: f64, bandwidth: f64, rate: f64) {
    let r = exp(-PI * bandwidth / rate);
    let a1 = 2.0 * r * cos_turns(centre / rate);
    let a2 = -r * r;
    let gain = 1.0 - a1 - a2;
    let (mut y1, mut y2) = (0.0, 0.0);
    for v in wave.iter_mut() {
        let y = gain * *v + a1 * y1 + a2 * y2;
        y2 = y1;
        y1 = y;
        *v = y;
    }
}

/// A one-pole high-pass at `cutoff` Hz (a microphone's and preamp's low cut).
fn high_pass(wave: &mut [f64], cutoff: f64, rate: f64) {
    let a = exp(-2.0 * PI * cutoff / rate);
    let (mut x1, mut y1) = (0.0, 0.0);
    for v in wave.iter_mut() {
        let y = a * (y1 + *v - x1);
        x1 = *v;
        y1 = y;
        *v = y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawn_cycle_keeps_only_what_its_length_can_hold() {
        let mut rng = Rng::new(7);
        let wave = naive_classic(&mut rng, 101);
        let h = spectrum(&wave);
        let level = |k: usize| f64::from(h.cos[k]).hypot(f64::from(h.sin[k]));
        assert!(level(1) > 0.1, "no fundamental: {}", level(1));
        assert!((51..h.cos.len()).all(|k| level(k) == 0.0));
    }

    #[test]
    fn a_resonator_peaks_at_its_formant() {
        let rate = 16_000.0;
        let mut impulse = vec![0.0; 1600];
        impulse[0] = 1.0;
        resonate(&mut impulse, 1000.0, 80.0, rate);
        // Bins of a 1600-sample DFT are 10 Hz apart; harmonic k sits at 10·k Hz.
        let h = spectrum(&impulse);
        let level = |k: usize| f64::from(h.cos[k]).hypot(f64::from(h.sin[k]));
        let peak = (1..400).max_by(|&a, &b| level(a).total_cmp(&level(b)));
        assert!(matches!(peak, Some(99..=101)), "peak at bin {peak:?}");
    }

    #[test]
    fn quantising_to_eight_bits_leaves_256_levels_at_most() {
        let mut rng = Rng::new(3);
        let mut wave: Vec<f64> = (0..1000).map(|_| rng.range(-1.0, 1.0)).collect();
        quantise(&mut wave, 8);
        let mut levels: Vec<i64> = wave.iter().map(|v| (v * 127.0).round() as i64).collect();
        assert!(wave
            .iter()
            .all(|v| ((v * 127.0).round() - v * 127.0).abs() < 1e-9));
        levels.sort_unstable();
        levels.dedup();
        assert!(levels.len() <= 255);
    }
}
