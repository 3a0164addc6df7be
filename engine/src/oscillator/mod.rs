//! The wavetable oscillator's inner loop.
//!
//! Phase is a `u32` fraction of a cycle that wraps on overflow, so pitch never
//! drifts (the increment's rounding error is below 10⁻⁴ cents at 44.1 kHz).
//! Samples are read with Olli Niemitalo's optimal 4-point, 3rd-order
//! interpolator for 4× oversampled data (mip levels are stored at least 4×
//! oversampled), and neighbouring frames are crossfaded sample by sample.
//! Because the interpolator is linear in its inputs, the frames are mixed
//! first and interpolated once.

use crate::wavetable::WavetableSet;
use crate::CONTROL_BLOCK;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub mod frame_mix;
pub mod lane_memo;
pub mod lanes;
pub mod unison;

pub use frame_mix::FrameMix;
pub use lane_memo::{LaneEpoch, LaneMemo};
pub use lanes::{Lane, TableFade, UnisonLanes, UnisonSpread};
pub use unison::{render_reads, render_unison, Simd, TableReads};

/// The frequency in Hz of MIDI pitch `pitch` (fractional, tuned), A4 = 440 Hz.
pub fn pitch_hz(pitch: f32) -> f32 {
    440.0 * ((pitch - 69.0) / 12.0).exp2()
}

/// Which two frames each sample of a control block reads, and how it mixes them.
#[derive(Debug, Clone)]
pub struct FrameRamp {
    /// Offset of the first frame of the pair, per sample.
    pub a: [usize; CONTROL_BLOCK],
    /// Offset of the second frame of the pair, per sample.
    pub b: [usize; CONTROL_BLOCK],
    /// Weight of the second frame, per sample.
    pub t: [f32; CONTROL_BLOCK],
    /// True when every sample reads one frame alone (no crossfade needed).
    pub single: bool,
}

impl FrameRamp {
    /// Position `from` at the first sample moving linearly towards `to` after `n`
    /// samples; positions are `0..=1` across the set's frames.
    pub fn new(set: &WavetableSet, from: f32, to: f32, n: usize) -> Self {
        let mut ramp = Self {
            a: [0; CONTROL_BLOCK],
            b: [0; CONTROL_BLOCK],
            t: [0.0; CONTROL_BLOCK],
            single: true,
        };
        let last = set.frame_count() - 1;
        if last == 0 {
            return ramp;
        }
        let stride = set.stride();
        let n = n.clamp(1, CONTROL_BLOCK);
        let step = (to - from) / n as f32;
        for i in 0..n {
            let pos = (from + step * i as f32).clamp(0.0, 1.0) * last as f32;
            let a = (pos as usize).min(last - 1);
            let t = pos - a as f32;
            ramp.a[i] = a * stride;
            ramp.b[i] = (a + 1) * stride;
            ramp.t[i] = t;
        }
        ramp.single = false;
        ramp
    }
}

/// Niemitalo's optimal 4-point, 3rd-order interpolator's weights: polynomial
/// coefficient `c_k` is `K[k][0]` times the inner pair's sum (`k` even) or
/// difference (`k` odd) plus `K[k][1]` times the outer pair's. Shared by the
/// scalar interpolator and the SIMD kernels.
const INTERPOLATOR: [[f32; 2]; 4] = [
    [0.465_672_55, 0.034_327_3],
    [0.537_438_3, 0.154_294_63],
    [-0.251_942_1, 0.251_947_45],
    [-0.468_960_7, 0.155_788],
];

/// Niemitalo's optimal 4-point, 3rd-order interpolator for 4× oversampled input.
#[inline(always)]
fn interpolate(xm1: f32, x0: f32, x1: f32, x2: f32, frac: f32) -> f32 {
    let z = frac - 0.5;
    let even1 = x1 + x0;
    let odd1 = x1 - x0;
    let even2 = x2 + xm1;
    let odd2 = x2 - xm1;
    let [k0, k1, k2, k3] = INTERPOLATOR;
    let c0 = even1 * k0[0] + even2 * k0[1];
    let c1 = odd1 * k1[0] + odd2 * k1[1];
    let c2 = even1 * k2[0] + even2 * k2[1];
    let c3 = odd1 * k3[0] + odd2 * k3[1];
    ((c3 * z + c2) * z + c1) * z + c0
}

/// Renders `out_l.len()` samples of one oscillator at mip level `level`, adding
/// `gain_l`/`gain_r` times its output into the buffers. Returns the phase after
/// the last sample.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn render(
    set: &WavetableSet,
    level: usize,
    ramp: &FrameRamp,
    mut phase: u32,
    inc: u32,
    gain_l: f32,
    gain_r: f32,
    out_l: &mut [f32],
    out_r: &mut [f32],
) -> u32 {
    let layout = set.level(level);
    let data = set.data();
    let bits = layout.bits;
    let shift = 32 - bits;
    let base = layout.offset;
    const FRAC_SCALE: f32 = 1.0 / (1u32 << 24) as f32;
    let n = out_l.len().min(out_r.len()).min(CONTROL_BLOCK);
    if n == 0 {
        return phase;
    }
    let len = 1usize << bits;
    // Every read below is `cycle[idx..idx + 4]` with `idx < len` (the top `bits`
    // bits of the phase), inside a cycle stored with its guards as `len + 4`
    // samples; frame offsets come from a `FrameRamp` built for this set.
    let cycle = |frame: usize| &data[frame + base..frame + base + len + 4];
    if ramp.single {
        let x = cycle(ramp.a[0]);
        for i in 0..n {
            let idx = (phase >> shift) as usize;
            let frac = ((phase << bits) >> 8) as f32 * FRAC_SCALE;
            let w = &x[idx..idx + 4];
            let y = interpolate(w[0], w[1], w[2], w[3], frac);
            out_l[i] += y * gain_l;
            out_r[i] += y * gain_r;
            phase = phase.wrapping_add(inc);
        }
    } else {
        for i in 0..n {
            let idx = (phase >> shift) as usize;
            let frac = ((phase << bits) >> 8) as f32 * FRAC_SCALE;
            let (a, b) = (
                &cycle(ramp.a[i])[idx..idx + 4],
                &cycle(ramp.b[i])[idx..idx + 4],
            );
            let t = ramp.t[i];
            let y = interpolate(
                a[0] + (b[0] - a[0]) * t,
                a[1] + (b[1] - a[1]) * t,
                a[2] + (b[2] - a[2]) * t,
                a[3] + (b[3] - a[3]) * t,
                frac,
            );
            out_l[i] += y * gain_l;
            out_r[i] += y * gain_r;
            phase = phase.wrapping_add(inc);
        }
    }
    phase
}

/// The phase increment for `freq` Hz at `sample_rate`, or `None` when the
/// frequency is not below Nyquist (or not a number).
pub fn increment(freq: f32, sample_rate: f32) -> Option<u32> {
    increment_for_ratio(freq / sample_rate)
}

/// The phase increment for a frequency of `ratio` times the sample rate, or
/// `None` unless `0 < ratio < 0.5`.
pub fn increment_for_ratio(ratio: f32) -> Option<u32> {
    let ratio = f64::from(ratio);
    // `+ 0.5` then truncation rounds a positive value (and is not a libm call).
    (ratio.is_finite() && ratio > 0.0 && ratio < 0.5)
        .then_some((ratio * 4_294_967_296.0 + 0.5) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nwt_model::Shape;

    #[test]
    fn interpolator_reproduces_a_slow_sine() {
        let set = WavetableSet::from_harmonics(&[Shape::Sine.harmonics()]).unwrap();
        let ramp = FrameRamp::new(&set, 0.0, 0.0, CONTROL_BLOCK);
        let inc = increment(440.0, 48_000.0).unwrap();
        let (mut l, mut r) = ([0.0; CONTROL_BLOCK], [0.0; CONTROL_BLOCK]);
        let mut phase = 0;
        let mut worst = 0.0f64;
        for block in 0..100 {
            l.fill(0.0);
            r.fill(0.0);
            let start = phase;
            phase = render(&set, 0, &ramp, phase, inc, 1.0, 0.5, &mut l, &mut r);
            for i in 0..CONTROL_BLOCK {
                let p = (start as f64 + (inc as f64) * i as f64) / 4_294_967_296.0;
                let want = (std::f64::consts::TAU * p).sin();
                worst = worst.max((l[i] as f64 - want).abs());
                assert_eq!(r[i], l[i] * 0.5, "block {block}");
            }
        }
        assert!(worst < 1e-5, "{worst}");
    }

    #[test]
    fn frame_ramp_clamps_and_crossfades() {
        let set =
            WavetableSet::from_harmonics(&Shape::morph(&[Shape::Sine, Shape::Saw], 5)).unwrap();
        let ramp = FrameRamp::new(&set, 0.0, 1.0, 4);
        assert_eq!(ramp.a[0], 0);
        assert_eq!(ramp.t[0], 0.0);
        assert_eq!(ramp.a[2], 2 * set.stride());
        assert!((ramp.t[1] - 0.0).abs() < 1e-6 && ramp.a[1] == set.stride());
        let over = FrameRamp::new(&set, 2.0, 2.0, 1);
        assert_eq!(over.a[0], 3 * set.stride());
        assert!((over.t[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn increment_rejects_nyquist_and_nan() {
        assert!(increment(24_000.0, 48_000.0).is_none());
        assert!(increment(f32::NAN, 48_000.0).is_none());
        assert!(increment(440.0, 0.0).is_none());
        assert_eq!(increment(12_000.0, 48_000.0), Some(1 << 30));
    }
}
