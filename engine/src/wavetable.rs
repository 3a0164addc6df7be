//! Wavetable sets: 1..=256 frames, each stored as per-octave mip levels.
//!
//! Level `k` keeps harmonics `1..=H_k` with `H_0 = 1023` and `H_k = 1024 >> k`
//! (so level 10 is a sine). A note of frequency `f` at sample rate `sr` reads
//! the lowest level whose top harmonic stays below Nyquist, `H_k·f < sr/2`.
//! Each level is stored oversampled so the 4-point interpolator in
//! [`crate::oscillator`] keeps its images more than 100 dB down: `L_k = 8·H_k`
//! samples above 256 harmonics, `16·H_k` from 256 down to 65 harmonics and
//! `32·H_k` (at least 128) from 64 harmonics down. (The interpolator's image energy relative to a saw's grows as `1/H`
//! at a fixed oversampling ratio, 3 dB per octave up the keyboard; doubling
//! the ratio buys 48 dB, so the narrow levels get the larger ratio.) Levels are built with rustfft from the
//! frame's harmonic spectrum, off the audio thread. When a set's spectra stop
//! below a level's limit, that level would equal the next one down; it then
//! shares the next level's storage instead of being built again (the neural
//! decoder's 512 harmonics make level 0 a copy of level 1, for example).

use crate::{FRAME_LEN, MAX_FRAMES};
use nwt_model::{Harmonics, MAX_HARMONIC};
use realfft::{ComplexToReal, RealFftPlanner};
use rustfft::num_complex::Complex32;
#[cfg(test)]
use rustfft::FftPlanner;
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// The inverse FFT plans of the levels, made once per thread.
    static PLANNER: RefCell<RealFftPlanner<f32>> = RefCell::new(RealFftPlanner::new());
}

/// Number of mip levels per frame.
pub const NUM_LEVELS: usize = 11;
/// Samples stored before and after each level's cycle so the interpolator never wraps.
const GUARD: usize = 4;
/// log2 of the shortest stored cycle.
const MIN_LEVEL_BITS: u32 = 7;

/// Highest harmonic kept at mip level `k`.
pub const fn level_harmonics(k: usize) -> usize {
    let h = 1024 >> k;
    if h > MAX_HARMONIC {
        MAX_HARMONIC
    } else {
        h
    }
}

/// log2 of the stored cycle length of mip level `k`.
pub const fn level_bits(k: usize) -> u32 {
    let h = level_harmonics(k);
    let len = match h {
        257.. => h * 8,
        65..=256 => h * 16,
        _ => h * 32,
    };
    let mut bits = MIN_LEVEL_BITS;
    while (1usize << bits) < len {
        bits += 1;
    }
    bits
}

/// The mip level a note of `freq / sample_rate = ratio` reads, or `None` when
/// even the fundamental is at or above Nyquist (the oscillator is then silent).
pub fn level_for(ratio: f32) -> Option<usize> {
    (0..NUM_LEVELS).find(|&k| level_harmonics(k) as f32 * ratio < 0.5)
}

/// Where a level sits inside a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelLayout {
    /// Offset of the level's first stored sample (the guard sample `x[-1]`) in the frame.
    pub offset: usize,
    /// log2 of the cycle length.
    pub bits: u32,
}

/// Errors building a wavetable set.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TableError {
    /// Zero frames, or more than [`MAX_FRAMES`].
    #[error("a wavetable needs 1..={MAX_FRAMES} frames, got {0}")]
    FrameCount(usize),
    /// A time-domain frame of the wrong length.
    #[error("frame {index} has {len} samples, expected {FRAME_LEN}")]
    FrameLength {
        /// Which frame.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// A frame holding NaN or infinity.
    #[error("frame {0} holds a non-finite sample")]
    NonFinite(usize),
}

/// A band-limited multi-frame wavetable, ready for the audio thread.
#[derive(Debug, Clone)]
pub struct WavetableSet {
    data: Vec<f32>,
    frames: usize,
    stride: usize,
    levels: [LevelLayout; NUM_LEVELS],
    serial: u64,
    revision: u64,
}

/// The levels' places in a frame for spectra whose highest harmonic is
/// `top_harmonic`, and the frame's stride. Level `k` shares level `k + 1`'s
/// storage when that level already holds every harmonic and at least
/// [`FRAME_LEN`] samples (so level 0 always holds a full-length cycle).
fn layout(top_harmonic: usize) -> ([LevelLayout; NUM_LEVELS], usize) {
    let mut levels = [LevelLayout { offset: 0, bits: 0 }; NUM_LEVELS];
    let mut offset = 0;
    for k in (0..NUM_LEVELS).rev() {
        let shares_next = k + 1 < NUM_LEVELS
            && level_harmonics(k + 1) >= top_harmonic
            && (1usize << levels[k + 1].bits) >= FRAME_LEN;
        if shares_next {
            levels[k] = levels[k + 1];
        } else {
            let bits = level_bits(k);
            levels[k] = LevelLayout { offset, bits };
            offset += (1 << bits) + GUARD;
        }
    }
    (levels, offset)
}

/// Whether level `k` has storage of its own (rather than sharing level `k + 1`'s).
fn owns_storage(levels: &[LevelLayout; NUM_LEVELS], k: usize) -> bool {
    k + 1 == NUM_LEVELS || levels[k] != levels[k + 1]
}

/// The highest harmonic with any energy in any of `frames` (0 when all are silent).
fn top_harmonic(frames: &[Harmonics]) -> usize {
    frames
        .iter()
        .map(|h| {
            (1..h.cos.len().min(h.sin.len()))
                .rev()
                .find(|&n| h.cos[n] != 0.0 || h.sin[n] != 0.0)
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

impl WavetableSet {
    /// Builds a set from harmonic spectra, one per frame. Each frame is made
    /// DC-free and peak-normalised (a silent frame stays silent).
    pub fn from_harmonics(frames: &[Harmonics]) -> Result<Self, TableError> {
        if frames.is_empty() || frames.len() > MAX_FRAMES {
            return Err(TableError::FrameCount(frames.len()));
        }
        let (levels, stride) = layout(top_harmonic(frames));
        let mut data = vec![0.0f32; stride * frames.len()];
        // Real-output inverse FFTs: half the work of complex ones on a
        // Hermitian spectrum. The plans are made once per thread and each
        // level's plan is looked up once per set (planning every set had been
        // 2 % of a 64-frame build, `realfft`'s allocating `process` 5 %).
        let plans: [Option<Arc<dyn ComplexToReal<f32>>>; NUM_LEVELS] = PLANNER.with(|planner| {
            let mut planner = planner.borrow_mut();
            std::array::from_fn(|k| {
                owns_storage(&levels, k).then(|| planner.plan_fft_inverse(1 << levels[k].bits))
            })
        });
        let scratch_len = plans.iter().flatten().map(|p| p.get_scratch_len()).max();
        let mut scratch = vec![Complex32::new(0.0, 0.0); scratch_len.unwrap_or(0)];
        let mut spectrum = Vec::new();
        for (i, h) in frames.iter().enumerate() {
            if h.cos.iter().chain(&h.sin).any(|v| !v.is_finite()) {
                return Err(TableError::NonFinite(i));
            }
            let frame = &mut data[i * stride..(i + 1) * stride];
            for (k, level) in levels.iter().enumerate() {
                let Some(inverse) = &plans[k] else { continue };
                let len = 1usize << level.bits;
                spectrum.clear();
                spectrum.resize(len / 2 + 1, Complex32::new(0.0, 0.0));
                let top = level_harmonics(k).min(h.cos.len() - 1).min(len / 2 - 1);
                for (n, bin) in spectrum.iter_mut().enumerate().take(top + 1).skip(1) {
                    *bin = Complex32::new(h.cos[n] * 0.5, -h.sin[n] * 0.5);
                }
                let cycle = &mut frame[level.offset + 1..level.offset + 1 + len];
                inverse
                    .process_with_scratch(&mut spectrum, cycle, &mut scratch)
                    .expect("buffer lengths match the plan");
            }
            normalise_frame(frame, &levels);
        }
        Ok(Self {
            data,
            frames: frames.len(),
            stride,
            levels,
            serial: 0,
            revision: 0,
        })
    }

    /// Builds a set from time-domain frames of [`FRAME_LEN`] samples each.
    pub fn from_frames<F: AsRef<[f32]>>(frames: &[F]) -> Result<Self, TableError> {
        if frames.is_empty() || frames.len() > MAX_FRAMES {
            return Err(TableError::FrameCount(frames.len()));
        }
        let mut spectra = Vec::with_capacity(frames.len());
        for (index, frame) in frames.iter().enumerate() {
            let frame = frame.as_ref();
            if frame.len() != FRAME_LEN {
                return Err(TableError::FrameLength {
                    index,
                    len: frame.len(),
                });
            }
            if frame.iter().any(|v| !v.is_finite()) {
                return Err(TableError::NonFinite(index));
            }
            spectra.push(Harmonics::from_cycle(frame));
        }
        Self::from_harmonics(&spectra)
    }

    /// The serial number the decoder worker gave this set (0 for sets built elsewhere).
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The sound revision ([`crate::SynthParams::sound_revision`]) the worker
    /// had read when it started this set (0 for sets built elsewhere).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Tags the set with the sound revision it was built for.
    pub fn set_revision(&mut self, revision: u64) {
        self.revision = revision;
    }

    /// Tags the set with a serial number, so the table a synth plays can be traced
    /// back to the decode that made it.
    pub fn set_serial(&mut self, serial: u64) {
        self.serial = serial;
    }

    /// Number of frames.
    pub fn frame_count(&self) -> usize {
        self.frames
    }

    /// Samples between the starts of consecutive frames in [`Self::data`].
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// All samples of all frames and levels.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Where mip level `k` sits inside each frame.
    pub fn level(&self, k: usize) -> LevelLayout {
        self.levels[k.min(NUM_LEVELS - 1)]
    }

    /// Where every mip level sits inside a frame.
    pub fn layouts(&self) -> [LevelLayout; NUM_LEVELS] {
        self.levels
    }

    /// One cycle of mip level `level` of frame `frame`.
    pub fn cycle(&self, frame: usize, level: usize) -> &[f32] {
        let l = self.level(level);
        let start = frame.min(self.frames - 1) * self.stride + l.offset + 1;
        &self.data[start..start + (1 << l.bits)]
    }

    /// Frame `frame` at full bandwidth as [`FRAME_LEN`] samples.
    pub fn frame(&self, frame: usize) -> Vec<f32> {
        let cycle = self.cycle(frame, 0);
        let step = cycle.len() / FRAME_LEN;
        cycle.iter().step_by(step).copied().collect()
    }
}

/// Scales every level of one frame by the inverse of level 0's peak and fills the guards.
fn normalise_frame(frame: &mut [f32], levels: &[LevelLayout; NUM_LEVELS]) {
    let top = levels[0];
    let peak = frame[top.offset + 1..top.offset + 1 + (1 << top.bits)]
        .iter()
        .fold(0.0f32, |m, x| m.max(x.abs()));
    let gain = if peak > 1e-9 { 1.0 / peak } else { 0.0 };
    scale_frame(frame, levels, gain);
}

/// Scales every level of one frame by `gain` and fills the guards.
fn scale_frame(frame: &mut [f32], levels: &[LevelLayout; NUM_LEVELS], gain: f32) {
    for (k, level) in levels.iter().enumerate() {
        if !owns_storage(levels, k) {
            continue;
        }
        let len = 1usize << level.bits;
        let stored = &mut frame[level.offset..level.offset + len + GUARD];
        for x in stored[1..=len].iter_mut() {
            *x *= gain;
        }
        stored[0] = stored[len];
        for g in 0..GUARD - 1 {
            stored[len + 1 + g] = stored[1 + g];
        }
    }
}

impl WavetableSet {
    /// The RMS level of each frame's full-band cycle (level 0), dB re full
    /// scale (−∞ for a silent frame).
    pub fn frame_rms_db(&self) -> Vec<f32> {
        (0..self.frames)
            .map(|i| {
                let cycle = self.cycle(i, 0);
                // Sixteen partial sums, so the loop vectorises.
                let mut lanes = [0.0f32; 16];
                let mut chunks = cycle.chunks_exact(16);
                for chunk in &mut chunks {
                    for (l, &x) in lanes.iter_mut().zip(chunk) {
                        *l += x * x;
                    }
                }
                let tail: f32 = chunks.remainder().iter().map(|x| x * x).sum();
                let power = f64::from(lanes.iter().sum::<f32>() + tail) / cycle.len().max(1) as f64;
                (10.0 * power.log10()) as f32
            })
            .collect()
    }

    /// Evens the loudness along the table: every frame whose RMS lies more
    /// than half of `window_db` from the frames' median is scaled to the edge
    /// of that window (frames inside it keep their level, so a table keeps
    /// some of its natural swell). Silent frames stay silent. Peaks may then
    /// exceed 1 (a peaky frame brought up to the others' loudness).
    pub fn even_loudness(&mut self, window_db: f32) {
        let rms = self.frame_rms_db();
        let mut audible: Vec<f32> = rms.iter().copied().filter(|r| r.is_finite()).collect();
        if audible.len() < 2 {
            return;
        }
        audible.sort_by(f32::total_cmp);
        let median = audible[audible.len() / 2];
        let half = 0.5 * window_db.max(0.0);
        let levels = self.levels;
        for (i, &r) in rms.iter().enumerate() {
            if !r.is_finite() {
                continue;
            }
            let target = r.clamp(median - half, median + half);
            if target != r {
                let gain = 10f32.powf((target - r) / 20.0);
                let stride = self.stride;
                scale_frame(&mut self.data[i * stride..(i + 1) * stride], &levels, gain);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nwt_model::Shape;

    #[test]
    fn even_loudness_brings_frames_into_the_window_and_keeps_silence() {
        // A sine (RMS 3 dB under its peak), a buzz (far peakier, so far
        // quieter once peak-normalised) and a silent frame.
        let mut sine = Harmonics::silent();
        sine.sin[1] = 1.0;
        let mut buzz = Harmonics::silent();
        for k in 1..=200 {
            buzz.cos[k] = 1.0;
        }
        let mut set =
            WavetableSet::from_harmonics(&[sine.clone(), buzz.clone(), sine, Harmonics::silent()])
                .unwrap();
        let before = set.frame_rms_db();
        assert!(before[0] - before[1] > 15.0, "{before:?}");
        set.even_loudness(2.5);
        let after = set.frame_rms_db();
        // The median frame (a sine) keeps its level; the buzz comes up to
        // the window's edge; silence stays silent.
        assert!((after[0] - before[0]).abs() < 1e-3, "{after:?}");
        assert!((after[0] - after[1] - 1.25).abs() < 1e-2, "{after:?}");
        assert_eq!(after[3], f32::NEG_INFINITY);
        // The guards follow the scaled cycle.
        let l = set.level(3);
        let start = set.stride + l.offset;
        let len = 1usize << l.bits;
        assert_eq!(set.data[start], set.data[start + len]);
        assert_eq!(set.data[start + len + 1], set.data[start + 1]);
    }

    #[test]
    fn levels_halve_harmonics_and_stay_oversampled() {
        assert_eq!(level_harmonics(0), 1023);
        assert_eq!(level_harmonics(1), 512);
        assert_eq!(level_harmonics(10), 1);
        for k in 0..NUM_LEVELS {
            assert!((1usize << level_bits(k)) >= 8 * level_harmonics(k));
        }
    }

    #[test]
    fn band_limited_sets_share_levels_that_would_be_equal() {
        // 512 harmonics (the decoder's output): level 0 is level 1.
        let limited = Harmonics::from_fn(|h| (0.0, if h <= 512 { 1.0 / h as f64 } else { 0.0 }));
        let set = WavetableSet::from_harmonics(&[limited]).unwrap();
        assert_eq!(set.level(0), set.level(1));
        assert_ne!(set.level(1), set.level(2));
        // A full-band saw keeps every level.
        let full = WavetableSet::from_harmonics(&[Shape::Saw.harmonics()]).unwrap();
        assert!(full.stride() > set.stride());
        // A sine shares down to the shortest level that still holds a full frame.
        let sine = WavetableSet::from_harmonics(&[Shape::Sine.harmonics()]).unwrap();
        assert_eq!(sine.level(0), sine.level(2));
        assert_eq!(1usize << sine.level(0).bits, FRAME_LEN);
        assert_eq!(sine.frame(0).len(), FRAME_LEN);
    }

    #[test]
    fn level_choice_keeps_top_harmonic_below_nyquist() {
        for midi in 0..128 {
            let f = 440.0 * 2f32.powf((midi as f32 - 69.0) / 12.0);
            for sr in [8000.0, 44100.0, 48000.0, 96000.0] {
                match level_for(f / sr) {
                    Some(k) => {
                        assert!(level_harmonics(k) as f32 * f < sr / 2.0);
                        if k > 0 {
                            assert!(level_harmonics(k - 1) as f32 * f >= sr / 2.0);
                        }
                    }
                    None => assert!(f >= sr / 2.0),
                }
            }
        }
    }

    #[test]
    fn sine_frame_is_peak_normalised_with_guards() {
        let set = WavetableSet::from_harmonics(&[Shape::Sine.harmonics()]).unwrap();
        for k in 0..NUM_LEVELS {
            let l = set.level(k);
            let len = 1usize << l.bits;
            let stored = &set.data()[l.offset..l.offset + len + GUARD];
            let peak = stored[1..=len].iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert!((peak - 1.0).abs() < 1e-3, "level {k}: {peak}");
            assert_eq!(stored[0], stored[len]);
            assert_eq!(stored[len + 1], stored[1]);
            assert_eq!(stored[len + 2], stored[2]);
        }
    }

    #[test]
    fn mip_levels_remove_harmonics_above_their_limit() {
        let set = WavetableSet::from_harmonics(&[Shape::Saw.harmonics()]).unwrap();
        let cycle = set.cycle(0, 3);
        let len = cycle.len();
        let mut planner = FftPlanner::<f32>::new();
        let mut buf: Vec<Complex32> = cycle.iter().map(|&x| Complex32::new(x, 0.0)).collect();
        planner.plan_fft_forward(len).process(&mut buf);
        let mag = |n: usize| buf[n].norm() * 2.0 / len as f32;
        assert!(mag(level_harmonics(3)) > 1e-3);
        let above = (level_harmonics(3) + 1..len / 2)
            .map(mag)
            .fold(0.0, f32::max);
        assert!(above < 1e-5, "{above}");
    }

    #[test]
    fn time_domain_frames_round_trip() {
        let set = WavetableSet::from_harmonics(&[Shape::Triangle.harmonics()]).unwrap();
        let frame = set.frame(0);
        let again = WavetableSet::from_frames(std::slice::from_ref(&frame)).unwrap();
        let err = frame
            .iter()
            .zip(again.frame(0))
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(err < 1e-4, "{err}");
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(
            WavetableSet::from_harmonics(&[]).unwrap_err(),
            TableError::FrameCount(0)
        );
        assert!(matches!(
            WavetableSet::from_frames(&[vec![0.0; 100]]),
            Err(TableError::FrameLength { len: 100, .. })
        ));
        let mut nan = vec![0.0; FRAME_LEN];
        nan[5] = f32::NAN;
        assert_eq!(
            WavetableSet::from_frames(&[nan]).unwrap_err(),
            TableError::NonFinite(0)
        );
    }
}
