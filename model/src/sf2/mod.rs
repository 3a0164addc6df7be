//! Reading SoundFont 2 files and cutting real single cycles out of their samples.
//!
//! [`read_sf2`] parses a `.sf2` file (RIFF form `sfbk`) into its [`Sf2Sample`]s, each with
//! its 16-bit PCM data as `f32` and the names of the instruments that play it.
//! [`extract_cycles`] then measures the harmonic spectra of single cycles taken from a
//! sample's sustain loop, and [`sample_family`] gives a grouping key for train/test splits.
//!
//! # How a cycle is measured
//!
//! The period `P = sample_rate / f0` is in general not a whole number of samples, so a
//! plain DFT over `round(K·P)` samples would smear every harmonic into its neighbours.
//! Instead each cycle is measured over a Hann window of exactly `K = 2` periods, a
//! fractional length `T = 2P`, sampled from its continuous form
//! `w(n) = ½ − ½·cos(2πn/T)` for `0 ≤ n ≤ T`:
//!
//! `X_h = Σ_n w(n)·x(s+n)·e^{-i2πhn/P}`, `cos[h] = 2·Re X_h / Σw`, `sin[h] = −2·Im X_h / Σw`,
//!
//! with phase zero at the cycle's first sample `s`. The continuous window's spectrum is zero
//! at every multiple of `1/T` from its main lobe's edge on, and neighbouring harmonics lie
//! `K = 2` such steps apart, so for a periodic signal they do not leak into each other,
//! whatever the fractional part of `T`. What remains is the window's side lobes aliased
//! from beyond the sample rate, which fall off as the cube of their distance (about 1e-4
//! for a period of 100 samples with content up to `0.45·sample_rate`). Two periods is
//! the fewest that works, and on FluidR3_GM longer windows did worse, because real samples
//! drift, beat and sit a cent or two off their nominal pitch. The sums for all `h` at
//! once are a chirp-z transform (an FFT convolution), costing `O(M·log M)` per cycle with
//! `M` the power of two at or above `2P + H`, rather than `O(P·H)`.
//!
//! In a looped sample the analysed signal is what a sampler plays in sustain: the data up
//! to the loop end, then the loop over and over, so a window may run past the loop end.

use std::f64::consts::{PI, TAU};
use std::ops::Range;
use std::sync::Arc;

use rustfft::{num_complex::Complex64, Fft, FftPlanner};

use crate::{Harmonics, MAX_HARMONIC};

mod cycles;
mod riff;
#[cfg(test)]
mod tests;

pub use cycles::{extract_cycles, extract_cycles_with_period, sample_family};
use riff::*;

/// Generator operator number of `sampleID` in an instrument zone (SoundFont 2.01 §8.1.2).
const GEN_SAMPLE_ID: u16 = 53;
/// Generator operator number of `overridingRootKey`.
const GEN_ROOT_KEY: u16 = 58;
/// Generator operator number of `fineTune` (cents).
const GEN_FINE_TUNE: u16 = 52;
/// `sfSampleType` bit marking a sample whose data lives in ROM, not in the file.
const ROM_SAMPLE: u16 = 0x8000;
/// Size in bytes of one `shdr` record.
const SHDR_LEN: usize = 46;
/// Size in bytes of one `inst` record.
const INST_LEN: usize = 22;
/// Size in bytes of one `ibag` or `igen` record.
const BAG_GEN_LEN: usize = 4;

/// Shortest period, in samples, that [`extract_cycles`] measures.
pub const MIN_PERIOD: f64 = 8.0;
/// Longest period, in samples, that [`extract_cycles`] measures.
pub const MAX_PERIOD: f64 = 8192.0;
/// Shortest sustain loop, in samples, that [`extract_cycles`] treats as a loop.
pub const MIN_LOOP: usize = 32;
/// Periods one measurement window spans: the fewest a Hann window can separate
/// harmonics over. Longer windows measured FluidR3_GM's real samples worse, since their
/// pitch drifts, beats and is a cent or two off its nominal value.
pub const WINDOW_PERIODS: usize = 2;
/// Cycles quieter than this RMS are skipped.
pub const SILENCE_RMS: f64 = 1e-4;
/// Harmonic `h` is measured only while `h ≤ BAND_LIMIT·P`, i.e. its frequency is at most
/// `0.45·sample_rate`, 90% of the sample's own Nyquist frequency.
pub const BAND_LIMIT: f64 = 0.45;

/// One sample header of the soundfont plus its 16-bit data, as `f32` in `-1..1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sf2Sample {
    /// The sample's name (`achSampleName`).
    pub name: String,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// MIDI key of the recorded pitch; 255 means unpitched (treated as 60).
    ///
    /// This is the `overridingRootKey` of the first instrument zone playing the sample
    /// when it sets one, else the header's `byOriginalPitch`: many soundfonts (FluidR3_GM
    /// among them) leave every header at 60 and give the real root key in the zones.
    pub original_pitch: u8,
    /// Pitch correction in cents, to be applied on playback: the header's
    /// `chPitchCorrection` plus the `fineTune` of the first instrument zone playing the
    /// sample (clamped to the `i8` range). As in the SoundFont spec, a sample recorded 4
    /// cents sharp has correction −4, so the recorded pitch is the root key *minus* this.
    pub pitch_correction: i8,
    /// First point of the sustain loop, relative to this sample's own data.
    /// Zero together with `loop_end` when the file gives no usable loop.
    pub loop_start: u32,
    /// First point after the sustain loop, relative to this sample's own data.
    pub loop_end: u32,
    /// The PCM data, scaled to `-1..1`.
    pub data: Vec<f32>,
    /// Names of the instruments whose zones use this sample (deduplicated, in file order).
    pub instruments: Vec<String>,
}

impl Sf2Sample {
    /// The recorded fundamental in Hz: `440·2^((key − 69)/12 − correction/1200)`.
    ///
    /// The correction is subtracted because it is what playback adds to bring the
    /// recording in tune (SoundFont 2.01 §7.10); on FluidR3_GM's looped samples this sign
    /// is the one that makes the loops whole numbers of periods.
    pub fn root_frequency(&self) -> f64 {
        let key = if self.original_pitch == 255 {
            60.0
        } else {
            f64::from(self.original_pitch)
        };
        let octaves = (key - 69.0) / 12.0 - f64::from(self.pitch_correction) / 1200.0;
        440.0 * octaves.exp2()
    }

    /// The recorded period in samples, `sample_rate / root_frequency` (not a whole number in general).
    pub fn period(&self) -> f64 {
        f64::from(self.sample_rate) / self.root_frequency()
    }

    /// The sustain loop as a range of indices into `data`, if it is at least [`MIN_LOOP`] long.
    pub fn sustain_loop(&self) -> Option<Range<usize>> {
        let (start, end) = (self.loop_start as usize, self.loop_end as usize);
        (end <= self.data.len() && end.saturating_sub(start) >= MIN_LOOP).then_some(start..end)
    }
}

/// Why a SoundFont could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Sf2Error {
    /// The file does not start with a RIFF header.
    #[error("not a RIFF file: it does not start with 'RIFF'")]
    NotRiff,
    /// The RIFF form is something other than `sfbk`.
    #[error("not a SoundFont 2 file: the RIFF form type is {0:?}, not \"sfbk\"")]
    NotSoundFont(String),
    /// A header or chunk runs past the end of the data holding it.
    #[error("truncated file: {what} needs {needed} bytes but only {available} remain")]
    Truncated {
        /// What was being read.
        what: String,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left in the enclosing file or list.
        available: usize,
    },
    /// A required chunk or list is absent.
    #[error("missing the required '{0}' chunk")]
    MissingChunk(&'static str),
    /// A table chunk's size is not a whole, non-zero number of records.
    #[error(
        "the '{chunk}' chunk is {size} bytes, not a non-zero multiple of its {record}-byte records"
    )]
    BadChunkSize {
        /// The chunk's id.
        chunk: &'static str,
        /// Its size in bytes.
        size: usize,
        /// The size of one of its records.
        record: usize,
    },
    /// A record points outside the table it indexes, or indices go backwards.
    #[error("'{table}' record {record} holds index {index}, outside 0..={max} or out of order")]
    BadIndex {
        /// The table holding the bad record.
        table: &'static str,
        /// The bad record's number.
        record: usize,
        /// The index it holds.
        index: usize,
        /// The largest index allowed there.
        max: usize,
    },
    /// An instrument zone names a sample header that does not exist.
    #[error(
        "instrument {instrument:?} uses sample {id}, but there are only {samples} sample headers"
    )]
    BadSampleId {
        /// The instrument's name.
        instrument: String,
        /// The sample index it gives.
        id: usize,
        /// Sample headers in the file (without the terminal one).
        samples: usize,
    },
    /// A sample header's data range lies outside the `smpl` chunk.
    #[error("sample {name:?} spans points {start}..{end}, outside the {available} points of the 'smpl' chunk")]
    SampleOutOfRange {
        /// The sample's name.
        name: String,
        /// Its first point.
        start: u32,
        /// One past its last point.
        end: u32,
        /// Points in the `smpl` chunk.
        available: usize,
    },
    /// The sample headers together claim more points than the `smpl` chunk holds
    /// (overlapping samples), which would multiply the memory the file implies.
    #[error("the sample headers claim {claimed} points in all, more than the {available} in the 'smpl' chunk")]
    TooMuchSampleData {
        /// Points claimed by all sample headers.
        claimed: usize,
        /// Points in the `smpl` chunk.
        available: usize,
    },
}

/// Parses a SoundFont 2 file (RIFF form `sfbk`) and returns its samples in header order.
///
/// Reads `LIST sdta` (the 16-bit `smpl` chunk; `sm24` is ignored) and, from `LIST pdta`,
/// the sample headers (`shdr`) and the instrument tables (`inst`, `ibag`, `igen`) that map
/// samples to instrument names; `LIST INFO` and the preset tables are ignored. Samples
/// stored in ROM (no data in the file) are left out. A loop that does not lie inside its
/// sample is reported as `loop_start == loop_end == 0`.
///
/// Everything is bounds-checked: a truncated or corrupt file gives an error, never a panic,
/// and the memory allocated is bounded by a small multiple of the file's size.
pub fn read_sf2(bytes: &[u8]) -> Result<Vec<Sf2Sample>, Sf2Error> {
    let top = sub_chunks(riff_body(bytes)?, "RIFF 'sfbk'")?;
    let sdta = list(&top, b"sdta", "LIST sdta")?;
    let pdta = list(&top, b"pdta", "LIST pdta")?;
    let smpl = chunk(&sdta, b"smpl", "smpl")?;
    let headers = sample_headers(records(chunk(&pdta, b"shdr", "shdr")?, SHDR_LEN, "shdr")?);
    let mut uses = sample_uses(&pdta, headers.len())?;
    let available = smpl.len() / 2;
    let mut claimed = 0usize;
    let mut samples = Vec::new();
    for (header, sample_use) in headers.into_iter().zip(uses.iter_mut()) {
        if header.sample_type & ROM_SAMPLE != 0 {
            continue;
        }
        let (start, end) = (header.start as usize, header.end as usize);
        if start > end || end > available {
            return Err(Sf2Error::SampleOutOfRange {
                name: header.name,
                start: header.start,
                end: header.end,
                available,
            });
        }
        claimed += end - start;
        if claimed > available {
            return Err(Sf2Error::TooMuchSampleData { claimed, available });
        }
        let pcm = &smpl[2 * start..2 * end];
        samples.push(header.into_sample(pcm, std::mem::take(sample_use)));
    }
    Ok(samples)
}
