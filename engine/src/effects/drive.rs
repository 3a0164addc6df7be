//! Drive: a waveshaper run at eight times the host rate, with three
//! characters, a tone control after it and a level-compensated output.
//!
//! The dry signal is mixed in at the oversampled rate, so dry and driven parts
//! pass the same filters and stay aligned (no comb filtering at partial
//! mixes). Shapers are smooth (analytic) functions, so their harmonics fall
//! off exponentially and the few that pass the oversampling filters stay more
//! than 70 dB under the note (test below).

use super::fast_math::{exp2, fold_sin};
use super::line::OnePole;
use super::oversample::{Fused, MulAdd, Oversampler, Plain, FACTOR, MAX_BLOCK};
use super::{EffectContext, Ramp};
use crate::memo::Memo;
use crate::oscillator::Simd;

crate::stable_enum! {
    /// The drive's character.
    pub enum DriveMode: 16 {
        /// Symmetric soft clipping (odd harmonics).
        Soft = 0, "soft", "Soft Clip";
        /// Asymmetric, tube-like: even and odd harmonics.
        Tube = 1, "tube", "Tube";
        /// A sine wavefolder: bright, metallic as it folds over.
        Fold = 2, "fold", "Wavefold";
    }
}

/// The drive's settings for one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriveSettings {
    /// On.
    pub on: bool,
    /// Character.
    pub mode: DriveMode,
    /// `0..=1`: 0 to [`MAX_DRIVE_DB`] into the shaper.
    pub amount: f32,
    /// `0..=1`: the low-pass after the shaper from 800 Hz to 20 kHz.
    pub tone: f32,
    /// Dry/wet.
    pub mix: f32,
}

/// Gain into the shaper at amount 1, in dB.
pub const MAX_DRIVE_DB: f32 = 30.0;
/// Bias of the tube character (shifts the curve so it clips one side first).
const TUBE_BIAS: f32 = 0.35;
/// The level the loudness compensation matches, as a sine's peak: a single
/// full-level note at the rack's input (before the master gain).
const REFERENCE_PEAK: f32 = 1.0;

/// `tanh`: a soft clipper whose harmonics fall fastest of the smooth ones
/// (its poles sit at ±iπ/2). `x/√(1+x²)` is cheaper, but with poles at ±i
/// its 73rd harmonic of a 5 kHz sine driven 30 dB, which folds to 19 kHz at
/// eight times 48 kHz, measured only 68 dB down. Computed from [`exp2`]
/// (`f32::tanh` is a library call the compiler cannot vectorise: with it the
/// drive cost 80 µs a 128-sample block).
#[inline(always)]
fn soft<A: MulAdd>(x: f32) -> f32 {
    let e = exp2::<A>((x * (2.0 * std::f32::consts::LOG2_E)).clamp(-40.0, 40.0));
    (e - 1.0) / (e + 1.0)
}

/// The tube character: the soft clipper shifted so one side clips first.
#[inline(always)]
fn tube<A: MulAdd>(x: f32) -> f32 {
    soft::<A>(x + TUBE_BIAS) - soft::<A>(TUBE_BIAS)
}

impl DriveMode {
    /// The shaper applied to `x` (already multiplied by the drive gain).
    #[inline(always)]
    pub fn shape(self, x: f32) -> f32 {
        match self {
            DriveMode::Soft => soft::<Plain>(x),
            DriveMode::Tube => tube::<Plain>(x),
            DriveMode::Fold => fold_sin::<Plain>(x),
        }
    }
}

/// Host samples shaped per pass (a pass's oversampled buffer lives on the stack).
const PIECE: usize = MAX_BLOCK;

/// Half the oversampling factor: the samples of each phase per host sample.
const HALF: usize = FACTOR / 2;

/// Mixes `shape(g·x)·comp` into each oversampled sample `x` by `mix`, the
/// three ramped per host sample (`(start, step)`; sample `i` of the block
/// reads `start + step·(i + 1)`). The signal comes as its two phases
/// (see [`Oversampler::process`]); each host sample's eight samples are
/// shaped together, one register's worth.
///
/// `WET` says the mix is 1 across the whole piece (the default): then the
/// dry part is left out (two operations of about twenty a sample).
#[inline(always)]
fn shape_all<const WET: bool>(
    even: &mut [f32],
    odd: &mut [f32],
    shape: impl Fn(f32) -> f32,
    gain: (f32, f32),
    comp: (f32, f32),
    mix: (f32, f32),
) {
    for (i, (e, o)) in even
        .chunks_exact_mut(HALF)
        .zip(odd.chunks_exact_mut(HALF))
        .enumerate()
    {
        let k = super::sample_f32(i + 1);
        let (g, c, m) = (gain.0 + gain.1 * k, comp.0 + comp.1 * k, mix.0 + mix.1 * k);
        let mut u = [0.0f32; FACTOR];
        u[..HALF].copy_from_slice(e);
        u[HALF..].copy_from_slice(o);
        for v in u.iter_mut() {
            let dry = *v;
            *v = if WET {
                c * shape(g * dry)
            } else {
                dry + m * (c * shape(g * dry) - dry)
            };
        }
        e.copy_from_slice(&u[..HALF]);
        o.copy_from_slice(&u[HALF..]);
    }
}

/// The ramps of the drive gain, the compensation and the mix, each `(start, step)`.
type Ramps = ((f32, f32), (f32, f32), (f32, f32));

/// [`shape_all`] with `mode`'s shaper.
#[inline(always)]
fn shape_mode<A: MulAdd, const WET: bool>(
    mode: DriveMode,
    even: &mut [f32],
    odd: &mut [f32],
    (gain, comp, mix): Ramps,
) {
    match mode {
        DriveMode::Soft => shape_all::<WET>(even, odd, soft::<A>, gain, comp, mix),
        DriveMode::Tube => shape_all::<WET>(even, odd, tube::<A>, gain, comp, mix),
        DriveMode::Fold => shape_all::<WET>(even, odd, fold_sin::<A>, gain, comp, mix),
    }
}

/// The gain that brings a sine of [`REFERENCE_PEAK`] driven by `gain` through
/// `mode` back to its undriven RMS level.
fn compensation(mode: DriveMode, gain: f32) -> f32 {
    // Enough points for the folder's harmonics at full drive (about the 35th).
    const POINTS: usize = 256;
    let (mut dry, mut wet, mut mean) = (0.0f32, 0.0f32, 0.0f32);
    let mut shaped = [0.0f32; POINTS];
    for (i, s) in shaped.iter_mut().enumerate() {
        let x = REFERENCE_PEAK * (std::f32::consts::TAU * i as f32 / POINTS as f32).sin();
        *s = mode.shape(gain * x);
        mean += *s / POINTS as f32;
        dry += x * x;
    }
    for s in shaped {
        wet += (s - mean) * (s - mean);
    }
    if wet > 1e-12 {
        (dry / wet).sqrt().min(100.0)
    } else {
        1.0
    }
}

/// Amount steps in the compensation table (every 1/128 of the amount, a
/// quarter of a dB of drive apart).
const COMP_STEPS: usize = 128;

/// [`compensation`] (as its log2) for every character at amounts `0, 1/128, … 1`, worked
/// out once per process: the audio thread interpolates it instead of shaping
/// 256 points whenever the amount moves (the matrix can move it every control
/// block).
#[derive(Debug, Clone)]
struct CompensationTable([[f32; COMP_STEPS + 1]; 3]);

/// The process's one [`CompensationTable`], built by the first drive made
/// (never on the audio thread: drives are made with the synth).
#[derive(Debug, Clone, Copy)]
struct SharedTable(&'static CompensationTable);

impl Default for SharedTable {
    fn default() -> Self {
        static TABLE: std::sync::OnceLock<CompensationTable> = std::sync::OnceLock::new();
        Self(TABLE.get_or_init(CompensationTable::build))
    }
}

impl CompensationTable {
    fn build() -> Self {
        Self(std::array::from_fn(|m| {
            let mode = DriveMode::ALL_VARIANTS[m];
            std::array::from_fn(|k| {
                compensation(mode, drive_gain(k as f32 / COMP_STEPS as f32)).log2()
            })
        }))
    }

    /// The compensation for `mode` at `amount` (`0..=1`).
    fn at(&self, mode: DriveMode, amount: f32) -> f32 {
        let row = &self.0[DriveMode::ALL_VARIANTS
            .iter()
            .position(|&m| m == mode)
            .unwrap_or(0)];
        let x = amount.clamp(0.0, 1.0) * COMP_STEPS as f32;
        let i = (x as usize).min(COMP_STEPS - 1);
        (row[i] + (row[i + 1] - row[i]) * (x - i as f32)).exp2()
    }
}

/// The gain into the shaper at `amount` (`0..=1`).
fn drive_gain(amount: f32) -> f32 {
    10f32.powf(amount * MAX_DRIVE_DB / 20.0)
}

/// What both channels do in one block.
struct ChannelPlan {
    mode: DriveMode,
    /// `(start, step)` ramps of the drive gain, the compensation and the mix.
    gain: (f32, f32),
    comp: (f32, f32),
    mix: (f32, f32),
    tone: f32,
    open: bool,
    dc: f32,
}

/// [`run`] compiled for AVX2 and FMA: the half-band filters and the
/// shaper take eight lanes at a time instead of four.
///
/// # Safety
///
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2(d: &mut Drive, left: &mut [f32], right: &mut [f32], plan: &ChannelPlan) {
    run::<Fused>(d, left, right, plan);
}

/// A stereo block: each channel up, shaped and down, in pieces; then the
/// DC blocker and the tone filter on both channels together.
#[inline(always)]
fn run<A: MulAdd>(d: &mut Drive, left: &mut [f32], right: &mut [f32], plan: &ChannelPlan) {
    let ChannelPlan {
        mode,
        gain: (g0, gs),
        comp: (c0, cs),
        mix: (m0, ms),
        tone,
        open,
        dc,
    } = *plan;
    for (c, buf) in d.channels.iter_mut().zip([&mut *left, &mut *right]) {
        for (p, piece) in buf.chunks_mut(PIECE).enumerate() {
            // This piece's ramps start where the last one's ended.
            let at = (p * PIECE) as f32;
            let (g0, c0, m0) = (g0 + gs * at, c0 + cs * at, m0 + ms * at);
            // Up, shape, down: each a loop of its own over the whole piece,
            // so each vectorises.
            let ramps = ((g0, gs), (c0, cs), (m0, ms));
            // A mix of 1 across the piece (the default) leaves the dry part out.
            if ramps.2 == (1.0, 0.0) {
                c.process::<A>(piece, |even, odd| {
                    shape_mode::<A, true>(mode, even, odd, ramps)
                });
            } else {
                c.process::<A>(piece, |even, odd| {
                    shape_mode::<A, false>(mode, even, odd, ramps)
                });
            }
        }
    }
    if mode == DriveMode::Tube {
        OnePole::high_pair(&mut d.dc, dc, left, right);
    }
    if !open {
        OnePole::low_pair(&mut d.tone, tone, left, right);
    }
}

/// What the drive's coefficients come from: character, amount, tone, rate.
type CoefKey = (DriveMode, f32, f32, f32);
/// The loudness compensation, the drive gain, the tone and the DC-blocker coefficients.
type Coefs = (f32, f32, f32, f32);

/// The drive (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct Drive {
    /// Each channel's oversampler.
    channels: [Oversampler; 2],
    /// The tone low-pass and the tube character's DC blocker, per channel.
    tone: [OnePole; 2],
    dc: [OnePole; 2],
    mix: Ramp,
    gain: Ramp,
    comp: Ramp,
    comp_table: SharedTable,
    /// The compensation, drive gain, tone and DC-blocker coefficients for
    /// the last character, amount, tone and rate.
    coefs: Memo<CoefKey, Coefs>,
    simd: Simd,
}

impl Drive {
    /// Processes a stereo block in place.
    pub fn process(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        s: &DriveSettings,
        ctx: &EffectContext,
    ) {
        let n = left.len();
        let (comp, gain, tone, dc) = self.coefs.get(
            (s.mode, s.amount, s.tone, ctx.sample_rate),
            |(mode, amount, tone, sr)| {
                let tone_hz = 800.0 * 25f32.powf(tone);
                (
                    self.comp_table.0.at(mode, amount),
                    drive_gain(amount),
                    OnePole::coef(tone_hz.min(0.45 * sr), sr),
                    OnePole::coef(8.0, sr),
                )
            },
        );
        self.comp.target = comp;
        self.gain.target = gain;
        self.mix.target = s.mix;
        let (g0, gs) = self.gain.run(n);
        let (c0, cs) = self.comp.run(n);
        let (m0, ms) = self.mix.run(n);
        let open = s.tone >= 0.999;
        let mode = s.mode;
        let plan = ChannelPlan {
            mode,
            gain: (g0, gs),
            comp: (c0, cs),
            mix: (m0, ms),
            tone,
            open,
            dc,
        };
        match self.simd {
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 | Simd::Avx512 => {
                // SAFETY: `set_simd` keeps only kernels this CPU has (AVX2 and FMA).
                unsafe { run_avx2(self, left, right, &plan) }
            }
            _ => run::<Plain>(self, left, right, &plan),
        }
    }

    /// Runs on `simd` (the baseline code where the CPU lacks it).
    pub fn set_simd(&mut self, simd: Simd) {
        self.simd = simd.or_scalar();
    }

    /// Clears the filters.
    pub fn reset(&mut self) {
        for c in &mut self.channels {
            c.reset();
        }
        self.tone = Default::default();
        self.dc = Default::default();
        self.mix = Ramp::default();
        self.gain = Ramp::default();
        self.comp = Ramp::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::magnitude_spectrum_db;

    /// Drives a 5 kHz sine of peak 0.5 at 48 kHz through `mode` at full
    /// amount and returns (fundamental level, loudest alias in 0–20 kHz), in dB.
    fn alias_level(mode: DriveMode) -> (f32, f32) {
        let sr = 48_000.0;
        let f = 5_000.0;
        let n = 1 << 15;
        let warm = 4_096;
        let mut l: Vec<f32> = (0..n + warm)
            // The phase in f64: in f32 it drifts by 0.01 rad after a second.
            .map(|i| (0.5 * (std::f64::consts::TAU * 5_000.0 * i as f64 / 48_000.0).sin()) as f32)
            .collect();
        let mut r = l.clone();
        let mut drive = Drive::default();
        let s = DriveSettings {
            on: true,
            mode,
            amount: 1.0,
            tone: 1.0,
            mix: 1.0,
        };
        let ctx = EffectContext {
            sample_rate: sr,
            tempo: 120.0,
        };
        for (a, b) in l.chunks_mut(32).zip(r.chunks_mut(32)) {
            drive.process(a, b, &s, &ctx);
        }
        let spectrum = magnitude_spectrum_db(&l[warm..]);
        let bin_hz = sr / n as f32;
        let fundamental = spectrum[(f / bin_hz).round() as usize];
        // Everything that is not a harmonic (±8 bins for the window's skirt).
        let mut worst = f32::NEG_INFINITY;
        let mut worst_hz = 0.0;
        for (k, &db) in spectrum.iter().enumerate() {
            let hz = k as f32 * bin_hz;
            if !(30.0..=20_000.0).contains(&hz) {
                continue;
            }
            let nearest = (hz / f).round() * f;
            if (hz - nearest).abs() <= 8.0 * bin_hz {
                continue;
            }
            if db > worst {
                worst = db;
                worst_hz = hz;
            }
        }
        println!("{mode:?}: worst alias at {worst_hz:.0} Hz");
        (fundamental, worst)
    }

    #[test]
    fn a_hard_driven_5k_sine_keeps_aliases_70_db_down() {
        let mut failed = Vec::new();
        for mode in DriveMode::ALL_VARIANTS.iter().copied() {
            let (fundamental, alias) = alias_level(mode);
            println!(
                "{mode:?}: worst alias {:.1} dB under the fundamental",
                fundamental - alias
            );
            if fundamental - alias < 70.0 {
                failed.push(mode);
            }
        }
        assert!(failed.is_empty(), "aliases above -70 dB: {failed:?}");
    }

    #[test]
    fn the_compensation_table_matches_the_exact_figure() {
        let table = CompensationTable::build();
        let mut worst = 0.0f32;
        for mode in DriveMode::ALL_VARIANTS.iter().copied() {
            for k in 0..=200 {
                let amount = k as f32 / 200.0;
                let exact = compensation(mode, drive_gain(amount));
                worst = worst.max((20.0 * (table.at(mode, amount) / exact).log10()).abs());
            }
        }
        println!("compensation table: worst {worst:.3} dB from the exact figure");
        assert!(worst < 0.15, "{worst} dB");
    }

    #[test]
    fn the_output_level_is_compensated() {
        for mode in DriveMode::ALL_VARIANTS.iter().copied() {
            for amount in [0.0, 0.5, 1.0] {
                let g = drive_gain(amount);
                let comp = compensation(mode, g);
                let mut sum = 0.0;
                let mut mean = 0.0;
                let shaped: Vec<f32> = (0..256)
                    .map(|i| {
                        let x = REFERENCE_PEAK * (std::f32::consts::TAU * i as f32 / 256.0).sin();
                        comp * mode.shape(g * x)
                    })
                    .collect();
                for s in &shaped {
                    mean += s / 256.0;
                }
                for s in &shaped {
                    sum += (s - mean) * (s - mean) / 256.0;
                }
                let db = 10.0 * (sum / (REFERENCE_PEAK * REFERENCE_PEAK / 2.0)).log10();
                assert!(db.abs() < 0.5, "{mode:?} at {amount}: {db:.2} dB");
            }
        }
    }
}
