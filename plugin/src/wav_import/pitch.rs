//! Pitch of a recording: YIN on a (decimated) steady stretch, and the
//! median over several windows.

use super::*;

/// YIN's absolute threshold on the cumulative mean normalized difference.
pub(super) const YIN_THRESHOLD: f64 = 0.15;
/// Longest YIN analysis window, in samples at the analysis rate.
pub(super) const YIN_MAX_WINDOW: usize = 8192;
/// Recordings above this rate are decimated before pitch analysis.
pub(super) const ANALYSIS_RATE: u32 = 48_000;
/// Pitch windows spread over a recording's steady part.
pub(super) const YIN_WINDOWS: usize = 9;

/// Estimates the pitch at the start of `samples` with the YIN algorithm, in Hz.
///
/// Looks for 20 Hz up to 4 kHz (at most a quarter of `sample_rate`) in one
/// window of about three periods of 20 Hz at the start of `samples` (shorter
/// input narrows the search to periods of up to half its length). Audio above
/// 48 kHz is decimated for the analysis. Returns `None` when no lag's
/// cumulative mean normalized difference dips below 0.15, i.e. when the pitch
/// is not clear.
pub fn yin_pitch(samples: &[f32], sample_rate: u32) -> Option<f32> {
    if sample_rate == 0 {
        return None;
    }
    let max_hz = MAX_PITCH_HZ.min(f64::from(sample_rate) / 4.0);
    if max_hz <= MIN_PITCH_HZ {
        return None;
    }
    let factor = decimation_factor(sample_rate);
    let rate = f64::from(sample_rate) / factor as f64;
    let x = decimate(samples, factor, analysis_window(rate));
    let n = x.len();
    let tau_min = ((rate / max_hz).floor() as usize).max(2);
    let tau_max = ((rate / MIN_PITCH_HZ).ceil() as usize).min(n / 2);
    if tau_max < tau_min + 2 {
        return None;
    }
    // Integration length: every d(tau) up to tau_max + 1 sums the same span.
    let width = n - tau_max - 1;
    let diff = difference_function(&x, width, tau_max + 2);
    let mut cmnd = vec![1.0f64; diff.len()];
    let mut running = 0.0;
    for (tau, (c, d)) in cmnd.iter_mut().zip(&diff).enumerate().skip(1) {
        running += d;
        if running > 0.0 {
            *c = d * tau as f64 / running;
        }
    }
    let mut tau = (tau_min..=tau_max).find(|&t| cmnd.get(t).is_some_and(|&c| c < YIN_THRESHOLD))?;
    while tau < tau_max && cmnd.get(tau + 1) < cmnd.get(tau) {
        tau += 1;
    }
    let (Some(&a), Some(&b), Some(&c)) = (diff.get(tau - 1), diff.get(tau), diff.get(tau + 1))
    else {
        return None;
    };
    let curvature = a - 2.0 * b + c;
    let shift = if curvature > 0.0 {
        (0.5 * (a - c) / curvature).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let f0 = rate / (tau as f64 + shift);
    (f0.is_finite() && f0 > 0.0).then_some(f0 as f32)
}

/// YIN's difference function `d(τ) = Σ_{j<width} (x_j − x_{j+τ})²` for
/// `τ = 0..lags` (`width + lags − 1 ≤ x.len()`), by FFT: expanded as
/// `Σ x_j² + Σ x_{j+τ}² − 2 Σ x_j x_{j+τ}`, the energies from prefix sums and
/// the cross term from one cross-correlation, so a window costs
/// O(n log n) instead of O(n · lags).
pub(super) fn difference_function(x: &[f64], width: usize, lags: usize) -> Vec<f64> {
    use rustfft::num_complex::Complex64;
    let n = x.len();
    if lags == 0 || width + lags - 1 > n {
        return vec![0.0; lags];
    }
    let size = (n + width).next_power_of_two();
    let mut planner = rustfft::FftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(size);
    let inverse = planner.plan_fft_inverse(size);
    let padded = |v: &[f64]| -> Vec<Complex64> {
        let mut out = vec![Complex64::new(0.0, 0.0); size];
        for (o, &s) in out.iter_mut().zip(v) {
            o.re = s;
        }
        out
    };
    let mut signal = padded(x);
    let mut head = padded(&x[..width]);
    forward.process(&mut signal);
    forward.process(&mut head);
    // Cross-correlation r(τ) = Σ_j head_j · x_{j+τ} = IFFT(X · conj(H)).
    for (a, b) in signal.iter_mut().zip(&head) {
        *a *= b.conj();
    }
    inverse.process(&mut signal);
    let scale = 1.0 / size as f64;
    let mut prefix = vec![0.0f64; n + 1];
    for (i, v) in x.iter().enumerate() {
        prefix[i + 1] = prefix[i] + v * v;
    }
    let head_energy = prefix[width];
    (0..lags)
        .map(|tau| {
            if tau == 0 {
                return 0.0;
            }
            let shifted_energy = prefix[tau + width] - prefix[tau];
            (head_energy + shifted_energy - 2.0 * signal[tau].re * scale).max(0.0)
        })
        .collect()
}

/// Median of the confident YIN estimates of windows spread over `samples`.
pub(super) fn median_pitch(samples: &[f32], sample_rate: u32) -> Option<f32> {
    let window = analysis_window(f64::from(sample_rate) / decimation_factor(sample_rate) as f64)
        .saturating_mul(decimation_factor(sample_rate));
    let starts: Vec<usize> = match samples.len().checked_sub(window) {
        Some(span) if span > 0 => (0..YIN_WINDOWS)
            .map(|i| span / (YIN_WINDOWS - 1) * i)
            .collect(),
        _ => vec![0],
    };
    let mut estimates: Vec<f32> = starts
        .iter()
        .filter_map(|&s| yin_pitch(samples.get(s..)?, sample_rate))
        .collect();
    estimates.sort_by(f32::total_cmp);
    let middle = estimates.len().checked_sub(1)? / 2;
    estimates.get(middle).copied()
}

/// Integer decimation factor bringing `sample_rate` to at most 48 kHz.
pub(super) fn decimation_factor(sample_rate: u32) -> usize {
    if sample_rate > ANALYSIS_RATE {
        sample_rate.div_ceil(ANALYSIS_RATE) as usize
    } else {
        1
    }
}

/// YIN window length at the analysis rate: three periods of 20 Hz, capped.
pub(super) fn analysis_window(rate: f64) -> usize {
    ((3.0 * rate / MIN_PITCH_HZ).ceil() as usize).min(YIN_MAX_WINDOW)
}

/// Averages groups of `factor` samples, keeping at most `max_len` results.
pub(super) fn decimate(x: &[f32], factor: usize, max_len: usize) -> Vec<f64> {
    let factor = factor.max(1);
    x.chunks_exact(factor)
        .take(max_len)
        .map(|group| group.iter().map(|&v| f64::from(v)).sum::<f64>() / factor as f64)
        .collect()
}
