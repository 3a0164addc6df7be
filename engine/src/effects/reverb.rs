//! Reverb: a feedback delay network (FDN) of eight lines.
//!
//! Pre-delay, then four all-pass diffusers per channel thicken the input into
//! a dense wash at once; the eight lines (lengths spread between 32 and 74 ms
//! times the size, no two sharing a factor) feed back through a Householder
//! matrix, which mixes every line into every other while keeping energy, so
//! the tail is a smooth decay rather than a few metallic modes. Each line's
//! gain sets the decay (RT60) exactly: a line of length `L` loses
//! `60 · L / RT60` dB per pass. A slow, different sweep of each line's length
//! (±0.25 ms) keeps the remaining modes from ringing. Damping is a low-pass
//! in each line, so high frequencies die sooner.
//!
//! Written here rather than taken from `fundsp`: see `EffectsRack`'s docs for
//! the comparison.

use super::fast_math::{exp2, fold_sin};
use super::line::{flush, DelayLine, OnePole};
use super::oversample::Plain;
use super::MAX_PREDELAY_MS;
use super::{EffectContext, MixGains, Ramp};
use crate::memo::Memo;
use crate::oscillator::Simd;

/// The reverb's settings for one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReverbSettings {
    /// On.
    pub on: bool,
    /// Room size `0..=1`.
    pub size: f32,
    /// RT60 in seconds.
    pub decay_s: f32,
    /// High-frequency damping `0..=1`.
    pub damping: f32,
    /// Pre-delay in ms.
    pub predelay_ms: f32,
    /// Stereo width `0..=1`.
    pub width: f32,
    /// Dry/wet.
    pub mix: f32,
}

/// Lines in the network.
const LINES: usize = 8;
/// The lines' lengths at size 0.5, in ms.
const LINE_MS: [f32; LINES] = [31.7, 37.3, 41.9, 47.3, 53.1, 59.3, 66.7, 73.9];
/// Length factor at size 0 and at size 1.
const SIZE_RANGE: (f32, f32) = (0.4, 1.6);
/// The diffusers' delays in ms (each channel's in a different order).
const DIFFUSER_MS: [f32; 4] = [4.77, 3.59, 12.73, 9.31];
/// The diffusers' all-pass gain.
const DIFFUSER_GAIN: f32 = 0.62;
/// Depth of each line's length sweep, in ms.
const SWEEP_MS: f32 = 0.25;
/// The sweeps' rates, in Hz.
const SWEEP_HZ: [f32; LINES] = [0.31, 0.37, 0.43, 0.53, 0.59, 0.67, 0.73, 0.83];
/// The wet output's gain.
const OUTPUT_GAIN: f32 = 0.3;
/// The most samples run as one piece: the rack's chunk. A piece is never
/// longer than the shortest delay inside, so each line's reads for a piece
/// come before its writes and both run as blocks.
const MAX_PIECE: usize = super::CHUNK;

/// A Schroeder all-pass: `y = −g·x + d`, where `d` is the line's output
/// (`delay` samples back) and the line takes `v = x + g·d`.
#[derive(Debug, Clone)]
struct AllPass {
    line: DelayLine,
    delay: usize,
}

impl AllPass {
    /// Runs `x` (no longer than the delay) through in place: every value the
    /// line gives back for this block was written before it, so the block is
    /// one read, vector arithmetic and one write.
    #[inline(always)]
    fn process_block(&mut self, x: &mut [f32]) {
        // One scratch array: each line output is replaced by what goes in.
        let mut dv = [0.0f32; MAX_PIECE];
        let dv = &mut dv[..x.len()];
        self.line.taps_descending(self.delay - 1, dv);
        for (dv, x) in dv.iter_mut().zip(x.iter_mut()) {
            let d = *dv;
            let v = flush(*x + DIFFUSER_GAIN * d);
            *x = d - DIFFUSER_GAIN * v;
            *dv = v;
        }
        self.line.push_block(dv);
    }
}

/// Each line's share of the left input: the even lines, signs alternating in pairs.
const INJECT_LEFT: [f32; LINES] = [1.0, 0.0, -1.0, 0.0, 1.0, 0.0, -1.0, 0.0];
/// Each line's share of the right input: the odd lines, signs alternating in pairs.
const INJECT_RIGHT: [f32; LINES] = [0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.0, -1.0];

/// What every piece of one block shares.
struct Block {
    /// One over the block's length.
    per_sample: f32,
    /// Each line's length in samples at the start and end of the block.
    start: [f32; LINES],
    end: [f32; LINES],
    /// Each line's gain per pass.
    decay: [f32; LINES],
    /// The damping low-pass's coefficient, if damping is on.
    damp: Option<f32>,
    /// Pre-delay in samples.
    pre: f32,
    mix: MixGains,
    /// The width ramp `(start, step)`.
    width: (f32, f32),
}

/// The reverb (see the module docs).
#[derive(Debug, Clone)]
pub struct Reverb {
    predelay: [DelayLine; 2],
    diffusers: [[AllPass; 4]; 2],
    lines: [DelayLine; LINES],
    /// Each line's damping low-pass state (lanes of one register).
    damp: [f32; LINES],
    /// Samples per piece: [`MAX_PIECE`], or fewer where the shortest delay
    /// is shorter (low sample rates).
    piece: usize,
    /// Each line's length (samples) at the end of the last block.
    last_len: Option<[f32; LINES]>,
    sweep_phase: f64,
    /// The damping low-pass coefficient for the last damping and rate.
    damp_coef: Memo<(f32, f32), f32>,
    mix: Ramp,
    width: Ramp,
    simd: Simd,
}

impl Reverb {
    /// A reverb for `sample_rate` (allocates every line for the largest size).
    pub fn new(sample_rate: f32) -> Self {
        let ms = |ms: f32| (ms * 1e-3 * sample_rate).ceil() as usize + 2;
        let longest = LINE_MS[LINES - 1] * SIZE_RANGE.1 + SWEEP_MS + 1.0;
        let shortest_line = (LINE_MS[0] * SIZE_RANGE.0 - SWEEP_MS) * 1e-3 * sample_rate;
        let shortest_diffuser = DIFFUSER_MS.iter().map(|&d| ms(d).max(2) - 2).min();
        let piece = MAX_PIECE
            .min(shortest_line as usize - 2)
            .min(shortest_diffuser.unwrap_or(MAX_PIECE))
            .max(1);
        let diffusers = |order: [usize; 4]| {
            order.map(|k| AllPass {
                line: DelayLine::new(ms(DIFFUSER_MS[k])),
                delay: ms(DIFFUSER_MS[k]).max(2) - 2,
            })
        };
        Self {
            predelay: [
                DelayLine::new(ms(MAX_PREDELAY_MS) + MAX_PIECE),
                DelayLine::new(ms(MAX_PREDELAY_MS) + MAX_PIECE),
            ],
            diffusers: [diffusers([0, 1, 2, 3]), diffusers([1, 0, 3, 2])],
            lines: std::array::from_fn(|_| DelayLine::new(ms(longest))),
            damp: [0.0; LINES],
            piece,
            last_len: None,
            sweep_phase: 0.0,
            damp_coef: Memo::default(),
            mix: Ramp::default(),
            width: Ramp::default(),
            simd: Simd::Scalar,
        }
    }

    /// Each line's length in samples at sweep phase `phase` (seconds).
    fn lengths(s: &ReverbSettings, sr: f32, phase: f64) -> [f32; LINES] {
        let scale = SIZE_RANGE.0 + (SIZE_RANGE.1 - SIZE_RANGE.0) * s.size;
        std::array::from_fn(|i| {
            // The turns in `f64` (the phase runs to 1000 s), the sine of
            // their fraction by the vectorisable approximation (error below
            // 4e-6 of the sweep's depth).
            let turns = (f64::from(SWEEP_HZ[i]) * phase).fract() as f32;
            let sweep = fold_sin::<Plain>(std::f32::consts::TAU * turns + i as f32);
            (LINE_MS[i] * scale + SWEEP_MS * sweep) * 1e-3 * sr
        })
    }

    /// Processes a stereo block in place.
    pub fn process(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        s: &ReverbSettings,
        ctx: &EffectContext,
    ) {
        match self.simd {
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 | Simd::Avx512 => {
                // SAFETY: `set_simd` keeps only kernels this CPU has (AVX2 and FMA).
                unsafe { self.process_avx2(left, right, s, ctx) }
            }
            _ => self.run(left, right, s, ctx),
        }
    }

    /// Runs on `simd` (the baseline code where the CPU lacks it).
    pub fn set_simd(&mut self, simd: Simd) {
        self.simd = simd.or_scalar();
    }

    /// [`Reverb::run`] compiled for AVX2 and FMA: the eight lines' damping,
    /// decay and sums take one eight-lane register.
    ///
    /// # Safety
    ///
    /// The CPU must have AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn process_avx2(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        s: &ReverbSettings,
        ctx: &EffectContext,
    ) {
        self.run(left, right, s, ctx);
    }

    #[inline(always)]
    fn run(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        s: &ReverbSettings,
        ctx: &EffectContext,
    ) {
        let n = left.len();
        let sr = ctx.sample_rate;
        self.sweep_phase = (self.sweep_phase + n as f64 / f64::from(sr)) % 1_000.0;
        let end = Self::lengths(s, sr, self.sweep_phase);
        let start = self.last_len.unwrap_or(end);
        self.last_len = Some(end);
        // Gain per pass for the decay, from the mean length of this block.
        let rt60 = s.decay_s.max(0.05);
        let decay: [f32; LINES] = std::array::from_fn(|i| {
            let seconds = 0.5 * (start[i] + end[i]) / sr;
            // 10^(−3·seconds/rt60) as a power of two.
            exp2::<Plain>((-3.0 * std::f32::consts::LOG2_10 * seconds / rt60).max(-126.0))
        });
        let damping = s.damping > 1e-3;
        let damp = self.damp_coef.get((s.damping, sr), |(damping, sr)| {
            OnePole::coef((20_000.0 * 0.05f32.powf(damping)).min(0.45 * sr), sr)
        });
        let pre = (s.predelay_ms * 1e-3 * sr).max(0.0);
        self.mix.target = s.mix;
        self.width.target = s.width;
        let mix = MixGains::new(&mut self.mix, n);
        let (w0, ws) = self.width.run(n);
        let block = Block {
            per_sample: 1.0 / n as f32,
            start,
            end,
            decay,
            damp: damping.then_some(damp),
            pre,
            mix,
            width: (w0, ws),
        };
        let mut done = 0;
        while done < n {
            let m = (n - done).min(self.piece);
            self.run_piece(
                &mut left[done..done + m],
                &mut right[done..done + m],
                done,
                &block,
            );
            done += m;
        }
    }

    /// The piece through the pre-delay and each channel's chain of
    /// diffusers, into `diffused`.
    #[inline(always)]
    fn diffuse_input(
        &mut self,
        left: &[f32],
        right: &[f32],
        b: &Block,
        diffused: &mut [[f32; MAX_PIECE]; 2],
    ) {
        let m = left.len();
        // Pre-delay: the piece goes in first, then is read `pre` samples back.
        self.predelay[0].push_block(left);
        self.predelay[1].push_block(right);
        for (c, line) in self.predelay.iter().enumerate() {
            if b.pre >= 1.0 {
                line.read_descending(
                    &[b.pre + (m - 1) as f32; MAX_PIECE][..m],
                    &mut diffused[c][..m],
                );
            } else {
                diffused[c][..m].copy_from_slice(if c == 0 { left } else { right });
            }
        }
        for (c, chain) in self.diffusers.iter_mut().enumerate() {
            for a in chain {
                a.process_block(&mut diffused[c][..m]);
            }
        }
    }

    /// Each line's output for the `m` samples of the piece from `offset`,
    /// into `y`.
    #[inline(always)]
    fn read_lines(&self, offset: usize, m: usize, b: &Block, y: &mut [[f32; MAX_PIECE]; LINES]) {
        // Read before any write.
        for (k, (line, y)) in self.lines.iter().zip(y.iter_mut()).enumerate() {
            let (s, e) = (b.start[k], b.end[k]);
            let mut lens = [0.0f32; MAX_PIECE];
            for (i, len) in lens[..m].iter_mut().enumerate() {
                let t = super::sample_f32(offset + i + 1) * b.per_sample;
                // Read before this piece's writes: `len − 1` less the
                // samples the line has not yet moved on.
                *len = s + (e - s) * t - 1.0;
            }
            line.read_descending(&lens[..m], &mut y[..m]);
        }
    }

    /// Runs the samples `offset..offset + left.len()` of a block (at most
    /// `self.piece` of them): every line is read for the whole piece first,
    /// the feedback and outputs worked out sample by sample with the eight
    /// lines as the lanes of one register, then every line written.
    #[inline(always)]
    fn run_piece(&mut self, left: &mut [f32], right: &mut [f32], offset: usize, b: &Block) {
        let m = left.len();
        let inject = 1.0 / (LINES as f32 / 2.0).sqrt();
        let out_gain = OUTPUT_GAIN / (LINES as f32).sqrt();
        let mut diffused = [[0.0f32; MAX_PIECE]; 2];
        self.diffuse_input(left, right, b, &mut diffused);
        let mut y = [[0.0f32; MAX_PIECE]; LINES];
        self.read_lines(offset, m, b, &mut y);
        // Damping: `d = (1 − a)·d + a·v` per line, the one recursion from
        // sample to sample (the states are flushed once a piece, below; what
        // leaves the chain is flushed at once). The eight lines' chains run
        // side by side, sample by sample.
        if let Some(a) = b.damp {
            for i in 0..m {
                for (d, y) in self.damp.iter_mut().zip(y.iter_mut()) {
                    *d = (1.0 - a) * *d + a * y[i];
                    y[i] = flush(*d);
                }
            }
        }
        // Everything after the damping is sample by sample independent, so
        // it runs as loops over the piece, each line a row: vector code,
        // where the eight lines of one sample as the lanes of a register
        // (gathered from and scattered to eight rows every sample) compiled
        // to scalar code, half the reverb's time in `perf`.
        for (y, g) in y.iter_mut().zip(&b.decay) {
            for v in &mut y[..m] {
                *v *= g;
            }
        }
        // The even lines' sum goes to the mid, the odd lines' to the side.
        let mut even = [0.0f32; MAX_PIECE];
        let mut odd = [0.0f32; MAX_PIECE];
        for i in 0..m {
            even[i] = (y[0][i] + y[2][i]) + (y[4][i] + y[6][i]);
            odd[i] = (y[1][i] + y[3][i]) + (y[5][i] + y[7][i]);
        }
        // Householder feedback: every line minus 2/N of their sum, plus the
        // input (left into the even lines, right into the odd ones, signs
        // alternating in pairs). Written back into the lines' rows.
        for (k, y) in y.iter_mut().enumerate() {
            let (to_l, to_r) = (INJECT_LEFT[k] * inject, INJECT_RIGHT[k] * inject);
            for i in 0..m {
                let sum = (even[i] + odd[i]) * (2.0 / LINES as f32);
                y[i] = flush(y[i] - sum + to_l * diffused[0][i] + to_r * diffused[1][i]);
            }
        }
        for i in 0..m {
            let j = offset + i;
            let width = b.width.0 + b.width.1 * (j + 1) as f32;
            let (mid, side) = (even[i], odd[i] * width);
            let (wet_l, wet_r) = ((mid + side) * out_gain, (mid - side) * out_gain);
            left[i] = b.mix.mix(j, left[i], wet_l);
            right[i] = b.mix.mix(j, right[i], wet_r);
        }
        let feedback = &y;
        for (line, fb) in self.lines.iter_mut().zip(feedback) {
            line.push_block(&fb[..m]);
        }
        for d in &mut self.damp {
            *d = flush(*d);
        }
    }

    /// The longest a sample stays inside before it reaches the output, in
    /// samples: the pre-delay, the diffusers and the longest line.
    pub fn memory_samples(&self, s: &ReverbSettings, sample_rate: f32) -> usize {
        let diffusion: f32 = DIFFUSER_MS.iter().sum();
        let longest = LINE_MS[LINES - 1] * SIZE_RANGE.1 + SWEEP_MS;
        ((s.predelay_ms + diffusion + longest) * 1e-3 * sample_rate) as usize + 2
    }

    /// Silences every line.
    pub fn reset(&mut self) {
        for l in self.predelay.iter_mut().chain(self.lines.iter_mut()) {
            l.clear();
        }
        for a in self.diffusers.iter_mut().flatten() {
            a.line.clear();
        }
        self.damp = [0.0; LINES];
        self.last_len = None;
        self.mix = Ramp::default();
        self.width = Ramp::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The impulse response's RT60, from the Schroeder decay curve between
    /// −5 and −35 dB.
    fn measured_rt60(decay_s: f32, size: f32, sr: f32) -> f32 {
        let s = ReverbSettings {
            on: true,
            size,
            decay_s,
            damping: 0.0,
            predelay_ms: 0.0,
            width: 1.0,
            mix: 1.0,
        };
        let ctx = EffectContext {
            sample_rate: sr,
            tempo: 120.0,
        };
        let mut r = Reverb::new(sr);
        let n = ((decay_s * 1.5 + 0.5) * sr) as usize;
        let mut left = vec![0.0f32; n];
        left[0] = 1.0;
        let mut right = vec![0.0f32; n];
        right[0] = 1.0;
        for (a, b) in left.chunks_mut(128).zip(right.chunks_mut(128)) {
            r.process(a, b, &s, &ctx);
        }
        let energy: Vec<f64> = left
            .iter()
            .zip(&right)
            .map(|(&a, &b)| f64::from(a * a + b * b))
            .collect();
        let mut edc = vec![0.0f64; n];
        let mut acc = 0.0;
        for i in (0..n).rev() {
            acc += energy[i];
            edc[i] = acc;
        }
        let total = edc[0];
        let db = |i: usize| 10.0 * (edc[i] / total).log10();
        let t5 = (0..n).find(|&i| db(i) <= -5.0).unwrap();
        let t35 = (0..n).find(|&i| db(i) <= -35.0).unwrap();
        (60.0 / 30.0 * (t35 - t5) as f64 / f64::from(sr)) as f32
    }

    #[test]
    fn the_decay_time_is_what_the_knob_says() {
        for (decay, size) in [(0.8, 0.3), (2.5, 0.6), (6.0, 1.0)] {
            for sr in [44_100.0, 96_000.0] {
                let rt60 = measured_rt60(decay, size, sr);
                println!("decay {decay} s, size {size}, {sr} Hz: RT60 {rt60:.2} s");
                assert!(
                    (rt60 / decay - 1.0).abs() <= 0.2,
                    "decay {decay} s at size {size}, {sr} Hz: measured {rt60:.2} s"
                );
            }
        }
    }

    #[test]
    fn the_tail_is_stereo_and_dense() {
        let sr = 48_000.0;
        let s = ReverbSettings {
            on: true,
            size: 0.7,
            decay_s: 3.0,
            damping: 0.3,
            predelay_ms: 20.0,
            width: 1.0,
            mix: 1.0,
        };
        let ctx = EffectContext {
            sample_rate: sr,
            tempo: 120.0,
        };
        let mut r = Reverb::new(sr);
        let n = 96_000;
        let mut left = vec![0.0f32; n];
        left[0] = 1.0;
        let mut right = left.clone();
        for (a, b) in left.chunks_mut(64).zip(right.chunks_mut(64)) {
            r.process(a, b, &s, &ctx);
        }
        let corr = crate::analysis::correlation(&left[4_800..], &right[4_800..]);
        assert!(corr.abs() < 0.3, "channel correlation {corr}");
        // Dense: after 100 ms, most 1 ms windows hold energy (no sparse echoes).
        let windows: Vec<f32> = left[4_800..52_800]
            .chunks(48)
            .map(|w| w.iter().map(|v| v * v).sum())
            .collect();
        let mean = windows.iter().sum::<f32>() / windows.len() as f32;
        let quiet = windows.iter().filter(|&&e| e < 0.01 * mean).count();
        assert!(
            quiet * 50 < windows.len(),
            "{quiet} of {} ms near silent",
            windows.len()
        );
    }
}
