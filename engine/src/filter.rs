//! A topology-preserving state-variable filter (trapezoidal integration), stable
//! under fast modulation, with low-, band- and high-pass outputs.

use nice_plug::prelude::Enum;

/// Which output of the state-variable filter a voice hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum FilterMode {
    /// 12 dB/oct low-pass.
    #[id = "lowpass"]
    #[name = "Low Pass"]
    LowPass,
    /// Band-pass.
    #[id = "bandpass"]
    #[name = "Band Pass"]
    BandPass,
    /// 12 dB/oct high-pass.
    #[id = "highpass"]
    #[name = "High Pass"]
    HighPass,
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

/// The two integrator states of one filter channel.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Svf {
    ic1: f32,
    ic2: f32,
}

/// Filter state below this is flushed to zero (far above the subnormal range,
/// far below anything audible: -400 dBFS).
const FLUSH_BELOW: f32 = 1e-20;

impl Svf {
    /// Flushes state that has decayed below [`FLUSH_BELOW`] to zero, so a
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
        // The update v3 = x - ic2, v1 = a1·ic1 + a2·v3, v2 = ic2 + a2·ic1 +
        // a3·v3, ic1' = 2·v1 - ic1, ic2' = 2·v2 - ic2, written so the terms of
        // the old state are formed off the path of the new input (shorter
        // dependency chains): ic2' = ic2 + 2·rise with rise = v2 - ic2.
        let (ic1, ic2) = (self.ic1, self.ic2);
        let v3 = x - ic2;
        let v1 = c.a1 * ic1 + c.a2 * v3;
        let rise = c.a2 * ic1 + c.a3 * v3;
        self.ic1 = (v1 + v1) - ic1;
        self.ic2 = ic2 + (rise + rise);
        (v1, ic2 + rise)
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

    // The sample loop is outermost on purpose (all lanes step per sample).
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn run_with(
        &mut self,
        blocks: &mut [StereoBlock; FILTER_LANES],
        n: usize,
        output: impl Fn(f32, f32, f32, f32) -> f32,
    ) {
        // The states live in locals (registers) for the whole block.
        let mut state = self.state;
        let (coefs, wet) = (self.coefs, self.wet);
        for i in 0..n.min(crate::CONTROL_BLOCK) {
            for lane in 0..FILTER_LANES {
                let c = &coefs[lane];
                for channel in 0..2 {
                    let x = blocks[lane][channel][i];
                    let (v1, v2) = state[lane][channel].step(c, x);
                    blocks[lane][channel][i] = x + (output(c.k, x, v1, v2) - x) * wet[lane];
                }
            }
        }
        self.state = state;
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
