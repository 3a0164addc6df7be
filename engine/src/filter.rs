//! A topology-preserving state-variable filter (trapezoidal integration), stable
//! under fast modulation, with low-, band- and high-pass outputs.

use crate::memo::Memo;

crate::stable_enum! {
    /// Which output of the state-variable filter a voice hears.
    pub enum FilterMode: 33 {
        /// 12 dB/oct low-pass.
        LowPass = 0, "lowpass", "Low Pass";
        /// Band-pass.
        BandPass = 16, "bandpass", "Band Pass";
        /// 12 dB/oct high-pass.
        HighPass = 32, "highpass", "High Pass";
    }
}

impl FilterMode {
    /// This response from one step's input `x`, band-pass `v1` and low-pass
    /// `v2` outputs (`k` the damping).
    #[inline(always)]
    fn output(self, k: f32, x: f32, v1: f32, v2: f32) -> f32 {
        match self {
            Self::LowPass => v2,
            Self::BandPass => v1,
            Self::HighPass => x - k * v1 - v2,
        }
    }
}

/// Filter coefficients for one control block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SvfCoefs {
    a1: f32,
    a2: f32,
    a3: f32,
    k: f32,
    mode: FilterMode,
}

impl SvfCoefs {
    /// Coefficients for `cutoff` Hz and `resonance` in `0..=1` (0 is Butterworth,
    /// 1 is close to self-oscillation). The cutoff is clamped below Nyquist.
    pub fn new(mode: FilterMode, cutoff: f32, resonance: f32, sample_rate: f32) -> Self {
        let cutoff = if cutoff.is_finite() { cutoff } else { 20_000.0 };
        let fc = cutoff.clamp(5.0, 0.45 * sample_rate);
        let res = if resonance.is_finite() {
            resonance.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let g = (std::f32::consts::PI * fc / sample_rate).tan();
        let k = std::f32::consts::SQRT_2 * (1.0 - 0.97 * res);
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        Self {
            a1,
            a2,
            a3,
            k,
            mode,
        }
    }
}

/// A voice's last cutoff and coefficients with what they were worked out
/// from. A filter at rest (a held note past its envelope's decay, no
/// modulation) needs the same ones every control block, and the `exp2` and
/// `tan` behind them were 3 % of the 64-voice × 16-unison block
/// (`perf` on `synth/64_voices_x16_unison_neural_static_rack`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CoefMemo {
    /// Keyed on the inputs' bits: a repeated NaN input matches itself.
    last: Memo<(FilterMode, [u32; 5]), (f32, SvfCoefs)>,
}

impl CoefMemo {
    /// The cutoff `base · ratio · 2^(semis/12)` Hz and its coefficients
    /// ([`SvfCoefs::new`]): remembered when every input is as in the last
    /// call, worked out afresh otherwise. Either way the same numbers.
    pub fn coefs(
        &mut self,
        mode: FilterMode,
        (base, ratio, semis): (f32, f32, f32),
        resonance: f32,
        sample_rate: f32,
    ) -> (f32, SvfCoefs) {
        let key = [base, ratio, semis, resonance, sample_rate].map(f32::to_bits);
        self.last.get((mode, key), |_| {
            let cutoff = base * ratio * (semis / 12.0).exp2();
            (cutoff, SvfCoefs::new(mode, cutoff, resonance, sample_rate))
        })
    }
}

/// The two integrator states of one filter channel.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Svf {
    ic1: f32,
    ic2: f32,
}

/// Filter state below this is flushed to zero (far above the subnormal range,
/// far below anything audible: -400 dBFS).
const FLUSH_BELOW: f32 = 1e-20;

/// One step of the filter with coefficients `a1..a3` and integrator states
/// `ic1`, `ic2` on input `x`; returns the band-pass and low-pass outputs.
#[inline(always)]
fn step(a1: f32, a2: f32, a3: f32, ic1: &mut f32, ic2: &mut f32, x: f32) -> (f32, f32) {
    // The update v3 = x - ic2, v1 = a1·ic1 + a2·v3, v2 = ic2 + a2·ic1 +
    // a3·v3, ic1' = 2·v1 - ic1, ic2' = 2·v2 - ic2, written so the terms of
    // the old state are formed off the path of the new input (shorter
    // dependency chains): ic2' = ic2 + 2·rise with rise = v2 - ic2.
    let (s1, s2) = (*ic1, *ic2);
    let v3 = x - s2;
    let v1 = a1 * s1 + a2 * v3;
    let rise = a2 * s1 + a3 * v3;
    *ic1 = (v1 + v1) - s1;
    *ic2 = s2 + (rise + rise);
    (v1, s2 + rise)
}

impl Svf {
    /// Flushes state that has decayed below `FLUSH_BELOW` (1e-20) to zero, so a
    /// decaying filter never computes with subnormal numbers (which are slow
    /// on x86). Voices call it once per control block.
    #[inline]
    pub fn flush_tiny(&mut self) {
        if self.ic1.abs() < FLUSH_BELOW {
            self.ic1 = 0.0;
        }
        if self.ic2.abs() < FLUSH_BELOW {
            self.ic2 = 0.0;
        }
    }

    /// The two integrator states (for tests).
    pub fn state(&self) -> [f32; 2] {
        [self.ic1, self.ic2]
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Advances the state by one input sample; returns the band-pass and low-pass outputs.
    #[inline(always)]
    fn step(&mut self, c: &SvfCoefs, x: f32) -> (f32, f32) {
        step(c.a1, c.a2, c.a3, &mut self.ic1, &mut self.ic2, x)
    }

    /// Filters one sample.
    #[inline]
    pub fn process(&mut self, c: &SvfCoefs, x: f32) -> f32 {
        let (v1, v2) = self.step(c, x);
        c.mode.output(c.k, x, v1, v2)
    }
}

/// Voices whose filters [`FilterBatch`] steps together.
pub const FILTER_LANES: usize = 4;

/// One stereo block of a voice: left and right, [`crate::CONTROL_BLOCK`] samples each.
pub type StereoBlock = [[f32; crate::CONTROL_BLOCK]; 2];

/// The filters of up to [`FILTER_LANES`] voices stepped together, one lane
/// each (lane `k` filters block `k`): every sample, all lanes and both
/// channels take their step before the next sample, so the lanes' dependency
/// chains (a filter is a serial chain per sample) overlap instead of
/// following one another. Each lane computes exactly what its voice's filter
/// alone would; a lane left empty passes its block through unchanged.
#[derive(Debug, Clone)]
pub struct FilterBatch {
    coefs: [SvfCoefs; FILTER_LANES],
    wet: [f32; FILTER_LANES],
    state: [[Svf; 2]; FILTER_LANES],
}

impl Default for FilterBatch {
    fn default() -> Self {
        let none = SvfCoefs {
            a1: 0.0,
            a2: 0.0,
            a3: 0.0,
            k: 0.0,
            mode: FilterMode::LowPass,
        };
        Self {
            coefs: [none; FILTER_LANES],
            wet: [0.0; FILTER_LANES],
            state: [[Svf::default(); 2]; FILTER_LANES],
        }
    }
}

impl FilterBatch {
    /// Puts a voice's filter (its state, this block's coefficients and wet
    /// share) in lane `lane` (ignored past [`FILTER_LANES`]).
    pub fn set(&mut self, lane: usize, state: [Svf; 2], c: &SvfCoefs, wet: f32) {
        if lane < FILTER_LANES {
            self.coefs[lane] = *c;
            self.wet[lane] = wet;
            self.state[lane] = state;
        }
    }

    /// Filters the first `n` samples of every lane's block in place with
    /// response `mode`, then flushes tiny state.
    pub fn run(&mut self, mode: FilterMode, blocks: &mut [StereoBlock; FILTER_LANES], n: usize) {
        // One loop per response, so the choice is made once per block.
        use FilterMode::*;
        match mode {
            LowPass => self.run_with(blocks, n, |k, x, v1, v2| LowPass.output(k, x, v1, v2)),
            BandPass => self.run_with(blocks, n, |k, x, v1, v2| BandPass.output(k, x, v1, v2)),
            HighPass => self.run_with(blocks, n, |k, x, v1, v2| HighPass.output(k, x, v1, v2)),
        }
        for state in &mut self.state {
            state.iter_mut().for_each(Svf::flush_tiny);
        }
    }

    /// The block loop: lane `m` of the arrays is voice `m / 2`, channel
    /// `m % 2`. Every sample, all eight lanes take their step side by side
    /// (states and coefficients as arrays, so the compiler steps them in
    /// vector registers), each with the scalar filter's own arithmetic.
    // The lane loop indexes several lane arrays at once.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn run_with(
        &mut self,
        blocks: &mut [StereoBlock; FILTER_LANES],
        n: usize,
        output: impl Fn(f32, f32, f32, f32) -> f32,
    ) {
        const LANES: usize = FILTER_LANES * 2;
        let coef = |f: fn(&SvfCoefs) -> f32| -> [f32; LANES] {
            std::array::from_fn(|m| f(&self.coefs[m / 2]))
        };
        let (a1, a2, a3, k) = (
            coef(|c| c.a1),
            coef(|c| c.a2),
            coef(|c| c.a3),
            coef(|c| c.k),
        );
        let wet: [f32; LANES] = std::array::from_fn(|m| self.wet[m / 2]);
        let state = self.state.as_flattened_mut();
        let mut ic1: [f32; LANES] = std::array::from_fn(|m| state[m].ic1);
        let mut ic2: [f32; LANES] = std::array::from_fn(|m| state[m].ic2);
        let channels = blocks.as_flattened_mut();
        for i in 0..n.min(crate::CONTROL_BLOCK) {
            let x: [f32; LANES] = std::array::from_fn(|m| channels[m][i]);
            for m in 0..LANES {
                let (v1, v2) = step(a1[m], a2[m], a3[m], &mut ic1[m], &mut ic2[m], x[m]);
                channels[m][i] = x[m] + (output(k[m], x[m], v1, v2) - x[m]) * wet[m];
            }
        }
        for (m, svf) in state.iter_mut().enumerate() {
            *svf = Svf {
                ic1: ic1[m],
                ic2: ic2[m],
            };
        }
    }

    /// The filter state of `lane` after [`FilterBatch::run`].
    pub fn state(&self, lane: usize) -> [Svf; 2] {
        self.state[lane.min(FILTER_LANES - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_coefficients_are_those_worked_out_afresh() {
        let mut memo = CoefMemo::default();
        let steps = [
            (FilterMode::LowPass, (2000.0, 1.0, 0.0), 0.3, 48_000.0),
            (FilterMode::LowPass, (2000.0, 1.0, 0.0), 0.3, 48_000.0),
            (FilterMode::HighPass, (2000.0, 1.0, 0.0), 0.3, 48_000.0),
            (FilterMode::HighPass, (2000.0, 1.0, 7.0), 0.3, 48_000.0),
            (FilterMode::HighPass, (2000.0, 0.5, 7.0), 0.9, 48_000.0),
            (FilterMode::HighPass, (2000.0, 0.5, 7.0), 0.9, 96_000.0),
            (FilterMode::HighPass, (300.0, 0.5, 7.0), 0.9, 96_000.0),
        ];
        for (mode, (base, ratio, semis), res, sr) in steps {
            let cutoff = base * ratio * (semis / 12.0f32).exp2();
            let want = (cutoff, SvfCoefs::new(mode, cutoff, res, sr));
            assert_eq!(memo.coefs(mode, (base, ratio, semis), res, sr), want);
        }
    }

    #[test]
    fn a_ringing_filter_left_alone_never_holds_subnormal_state() {
        let sr = 48_000.0;
        let c = SvfCoefs::new(FilterMode::LowPass, 30.0, 1.0, sr);
        let (mut flushed, mut plain) = (Svf::default(), Svf::default());
        flushed.process(&c, 1.0);
        plain.process(&c, 1.0);
        let mut plain_went_subnormal = false;
        // Up to 200 s of silence in 32-sample blocks.
        for _ in 0..(200 * 48_000 / 32) {
            for _ in 0..32 {
                flushed.process(&c, 0.0);
                plain.process(&c, 0.0);
            }
            flushed.flush_tiny();
            assert!(
                flushed.state().iter().all(|v| !v.is_subnormal()),
                "{:?}",
                flushed.state()
            );
            plain_went_subnormal |= plain.state().iter().any(|v| v.is_subnormal());
            if plain_went_subnormal && flushed.state() == [0.0, 0.0] {
                break;
            }
        }
        assert!(
            plain_went_subnormal,
            "without flushing the state does go subnormal"
        );
        assert_eq!(flushed.state(), [0.0, 0.0]);
    }

    #[test]
    fn a_batch_filters_every_lane_as_its_filter_alone_would() {
        use crate::CONTROL_BLOCK;
        let mut rng = nwt_model::rng::Rng::new(3);
        let mut uniform = move || rng.uniform() as f32;
        for mode in [
            FilterMode::LowPass,
            FilterMode::BandPass,
            FilterMode::HighPass,
        ] {
            let mut batch = FilterBatch::default();
            let mut blocks = [[[0.0f32; CONTROL_BLOCK]; 2]; FILTER_LANES];
            let mut alone = Vec::new();
            for (lane, block) in blocks.iter_mut().enumerate() {
                let c = SvfCoefs::new(mode, 30.0 + 15_000.0 * uniform(), uniform(), 48_000.0);
                let state = [(); 2].map(|_| Svf {
                    ic1: uniform() - 0.5,
                    ic2: uniform() - 0.5,
                });
                let wet = uniform();
                batch.set(lane, state, &c, wet);
                for x in block.iter_mut().flatten() {
                    *x = 2.0 * uniform() - 1.0;
                }
                alone.push((state, c, wet));
            }
            let input = blocks;
            batch.run(mode, &mut blocks, CONTROL_BLOCK);
            for (lane, (state, c, wet)) in alone.into_iter().enumerate() {
                for channel in 0..2 {
                    let mut filter = state[channel];
                    for (i, &x) in input[lane][channel].iter().enumerate() {
                        let want = x + (filter.process(&c, x) - x) * wet;
                        let got = blocks[lane][channel][i];
                        assert_eq!(
                            got.to_bits(),
                            want.to_bits(),
                            "{mode:?} lane {lane} sample {i}"
                        );
                    }
                    filter.flush_tiny();
                    assert_eq!(batch.state(lane)[channel], filter);
                }
            }
        }
    }

    fn gain_at(mode: FilterMode, cutoff: f32, freq: f32) -> f32 {
        let sr = 48_000.0;
        let c = SvfCoefs::new(mode, cutoff, 0.0, sr);
        let mut f = Svf::default();
        let w = std::f32::consts::TAU * freq / sr;
        // RMS of the steady-state half second, scaled to a sine's amplitude.
        let mut sum = 0.0f64;
        for n in 0..48_000 {
            let y = f.process(&c, (w * n as f32).sin());
            if n >= 24_000 {
                sum += f64::from(y * y);
            }
        }
        ((sum / 24_000.0).sqrt() * std::f64::consts::SQRT_2) as f32
    }

    #[test]
    fn responses_have_the_right_shape() {
        assert!((gain_at(FilterMode::LowPass, 1000.0, 100.0) - 1.0).abs() < 0.01);
        assert!(gain_at(FilterMode::LowPass, 1000.0, 8000.0) < 0.02);
        assert!((gain_at(FilterMode::LowPass, 1000.0, 1000.0) - 0.707).abs() < 0.02);
        assert!(gain_at(FilterMode::HighPass, 1000.0, 100.0) < 0.02);
        let hp = gain_at(FilterMode::HighPass, 1000.0, 8000.0);
        assert!((hp - 1.0).abs() < 0.02, "{hp}");
        assert!(gain_at(FilterMode::BandPass, 1000.0, 100.0) < 0.2);
    }

    #[test]
    fn extreme_settings_stay_finite() {
        for sr in [8000.0, 384_000.0] {
            for cutoff in [f32::NAN, -1.0, 0.0, 1e9] {
                let c = SvfCoefs::new(FilterMode::LowPass, cutoff, 1.0, sr);
                let mut f = Svf::default();
                for n in 0..10_000 {
                    assert!(f
                        .process(&c, if n % 50 < 25 { 1.0 } else { -1.0 })
                        .is_finite());
                }
            }
        }
    }
}
