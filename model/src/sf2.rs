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

/// One RIFF chunk: its id and its data (without the pad byte).
struct Chunk<'a> {
    id: [u8; 4],
    data: &'a [u8],
}

/// Checks the RIFF header and form type and returns the form's body.
fn riff_body(bytes: &[u8]) -> Result<&[u8], Sf2Error> {
    let header = take(bytes, 0, 12, "the RIFF header")?;
    if &header[..4] != b"RIFF" {
        return Err(Sf2Error::NotRiff);
    }
    if &header[8..12] != b"sfbk" {
        return Err(Sf2Error::NotSoundFont(fourcc(&header[8..12])));
    }
    let size = u32_at(header, 4) as usize;
    let form = take(bytes, 8, size, "the RIFF form")?;
    form.get(4..).ok_or_else(|| Sf2Error::Truncated {
        what: "the RIFF form type".to_string(),
        needed: 4,
        available: size,
    })
}

/// Splits `body` into its chunks, checking that each fits.
fn sub_chunks<'a>(body: &'a [u8], context: &str) -> Result<Vec<Chunk<'a>>, Sf2Error> {
    let mut chunks = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let header = take(body, at, 8, &format!("a chunk header in {context}"))?;
        let id = [header[0], header[1], header[2], header[3]];
        let size = u32_at(header, 4) as usize;
        let data = take(
            body,
            at + 8,
            size,
            &format!("chunk '{}' in {context}", fourcc(&id)),
        )?;
        chunks.push(Chunk { id, data });
        // Chunks are padded to an even size; a missing final pad byte is tolerated.
        at = at + 8 + size + (size & 1);
    }
    Ok(chunks)
}

/// The chunks inside the `LIST` chunk of type `kind`.
fn list<'a>(
    chunks: &[Chunk<'a>],
    kind: &[u8; 4],
    name: &'static str,
) -> Result<Vec<Chunk<'a>>, Sf2Error> {
    let body = chunks
        .iter()
        .filter(|c| &c.id == b"LIST" && c.data.len() >= 4)
        .find(|c| &c.data[..4] == kind)
        .ok_or(Sf2Error::MissingChunk(name))?;
    sub_chunks(&body.data[4..], name)
}

/// The data of the first chunk with id `id`.
fn chunk<'a>(chunks: &[Chunk<'a>], id: &[u8; 4], name: &'static str) -> Result<&'a [u8], Sf2Error> {
    chunks
        .iter()
        .find(|c| &c.id == id)
        .map(|c| c.data)
        .ok_or(Sf2Error::MissingChunk(name))
}

/// Splits a table chunk into its fixed-size records (at least one: the terminal record).
fn records<'a>(data: &'a [u8], len: usize, name: &'static str) -> Result<Vec<&'a [u8]>, Sf2Error> {
    if data.is_empty() || !data.len().is_multiple_of(len) {
        return Err(Sf2Error::BadChunkSize {
            chunk: name,
            size: data.len(),
            record: len,
        });
    }
    Ok(data.chunks_exact(len).collect())
}

/// `len` bytes of `bytes` from `at`, or a [`Sf2Error::Truncated`] naming `what`.
fn take<'a>(bytes: &'a [u8], at: usize, len: usize, what: &str) -> Result<&'a [u8], Sf2Error> {
    let available = bytes.len().saturating_sub(at);
    if len > available {
        return Err(Sf2Error::Truncated {
            what: what.to_string(),
            needed: len,
            available,
        });
    }
    Ok(&bytes[at..at + len])
}

/// Little-endian `u16` at `at` (the caller guarantees the bounds).
fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// Little-endian `u32` at `at` (the caller guarantees the bounds).
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// A four-character code as printable text.
fn fourcc(id: &[u8]) -> String {
    id.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// A fixed-size, NUL-padded name field as text (Latin-1), without trailing spaces.
fn name_field(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let name: String = bytes[..end].iter().map(|&b| b as char).collect();
    name.trim_end().to_string()
}

/// One `shdr` record, with positions still absolute in the `smpl` chunk.
struct SampleHeader {
    name: String,
    start: u32,
    end: u32,
    loop_start: u32,
    loop_end: u32,
    sample_rate: u32,
    original_pitch: u8,
    pitch_correction: i8,
    sample_type: u16,
}

impl SampleHeader {
    /// Parses one 46-byte `shdr` record.
    fn parse(record: &[u8]) -> Self {
        Self {
            name: name_field(&record[..20]),
            start: u32_at(record, 20),
            end: u32_at(record, 24),
            loop_start: u32_at(record, 28),
            loop_end: u32_at(record, 32),
            sample_rate: u32_at(record, 36),
            original_pitch: record[40],
            pitch_correction: record[41] as i8,
            sample_type: u16_at(record, 44),
        }
    }

    /// Builds the sample from its slice of the `smpl` chunk, making the loop relative and
    /// folding in the tuning of the first instrument zone that plays it.
    fn into_sample(self, pcm: &[u8], sample_use: SampleUse) -> Sf2Sample {
        let inside = self.start <= self.loop_start
            && self.loop_start < self.loop_end
            && self.loop_end <= self.end;
        let (loop_start, loop_end) = if inside {
            (self.loop_start - self.start, self.loop_end - self.start)
        } else {
            (0, 0)
        };
        let data = pcm
            .chunks_exact(2)
            .map(|p| f32::from(i16::from_le_bytes([p[0], p[1]])) / 32768.0)
            .collect();
        let correction = i16::from(self.pitch_correction) + sample_use.fine_tune;
        Sf2Sample {
            name: self.name,
            sample_rate: self.sample_rate,
            original_pitch: sample_use.root_key.unwrap_or(self.original_pitch),
            pitch_correction: correction.clamp(i8::MIN.into(), i8::MAX.into()) as i8,
            loop_start,
            loop_end,
            data,
            instruments: sample_use.instruments,
        }
    }
}

/// The sample headers without the terminal `EOS` record.
fn sample_headers(records: Vec<&[u8]>) -> Vec<SampleHeader> {
    let real = records.len() - 1;
    records[..real]
        .iter()
        .map(|r| SampleHeader::parse(r))
        .collect()
}

/// What the instrument zones say about one sample.
#[derive(Debug, Clone, Default)]
struct SampleUse {
    /// Names of the instruments with a zone playing the sample, in file order.
    instruments: Vec<String>,
    /// The first such zone's `overridingRootKey`, if it sets one.
    root_key: Option<u8>,
    /// The first such zone's `fineTune` in cents (0 when unset).
    fine_tune: i16,
}

/// The generators of one instrument zone that matter here.
#[derive(Debug, Clone, Copy, Default)]
struct ZoneGens {
    sample: Option<usize>,
    root_key: Option<u8>,
    fine_tune: Option<i16>,
}

impl ZoneGens {
    /// Reads a zone's generator records (4 bytes each: operator, amount).
    fn parse(gens: &[&[u8]]) -> Self {
        let mut zone = Self::default();
        for gen in gens {
            let amount = u16_at(gen, 2);
            match u16_at(gen, 0) {
                GEN_SAMPLE_ID => zone.sample = Some(usize::from(amount)),
                GEN_ROOT_KEY => zone.root_key = u8::try_from(amount).ok().filter(|&k| k < 128),
                GEN_FINE_TUNE => zone.fine_tune = Some(amount as i16),
                _ => {}
            }
        }
        zone
    }
}

/// For each of `samples` sample headers, what the instruments playing it say about it:
/// their names and, from the first zone using it (falling back to its instrument's
/// global zone), the root key and fine tuning.
fn sample_uses(pdta: &[Chunk], samples: usize) -> Result<Vec<SampleUse>, Sf2Error> {
    let inst = records(chunk(pdta, b"inst", "inst")?, INST_LEN, "inst")?;
    let ibag = records(chunk(pdta, b"ibag", "ibag")?, BAG_GEN_LEN, "ibag")?;
    let igen = records(chunk(pdta, b"igen", "igen")?, BAG_GEN_LEN, "igen")?;
    let mut uses = vec![SampleUse::default(); samples];
    for (i, pair) in inst.windows(2).enumerate() {
        let name = name_field(&pair[0][..20]);
        let bags = index_range(pair, 20, i, ibag.len() - 1, "inst")?;
        let mut global = ZoneGens::default();
        for b in bags.clone() {
            let gens = index_range(&ibag[b..b + 2], 0, b, igen.len() - 1, "ibag")?;
            let zone = ZoneGens::parse(&igen[gens]);
            let Some(id) = zone.sample else {
                if b == bags.start {
                    global = zone;
                }
                continue;
            };
            let entry = uses.get_mut(id).ok_or_else(|| Sf2Error::BadSampleId {
                instrument: name.clone(),
                id,
                samples,
            })?;
            if entry.instruments.is_empty() {
                entry.root_key = zone.root_key.or(global.root_key);
                entry.fine_tune = zone.fine_tune.or(global.fine_tune).unwrap_or(0);
            }
            if !entry.instruments.contains(&name) {
                entry.instruments.push(name.clone());
            }
        }
    }
    Ok(uses)
}

/// The index range `[pair[0], pair[1])` held as `u16` at byte `at` of two consecutive
/// records, checked to be in order and within `0..=max`.
fn index_range(
    pair: &[&[u8]],
    at: usize,
    record: usize,
    max: usize,
    table: &'static str,
) -> Result<Range<usize>, Sf2Error> {
    let (from, to) = (
        usize::from(u16_at(pair[0], at)),
        usize::from(u16_at(pair[1], at)),
    );
    if from > to || to > max {
        let (record, index) = if to > max {
            (record + 1, to)
        } else {
            (record, from)
        };
        return Err(Sf2Error::BadIndex {
            table,
            record,
            index,
            max,
        });
    }
    Ok(from..to)
}

/// Cuts up to `max_cycles` single cycles from `sample` and returns their harmonic spectra.
///
/// The cycles start at different offsets spread evenly across the sustain loop (when it
/// is at least [`MIN_LOOP`] samples long), or else across the middle half of the sample.
/// The period is [`Sf2Sample::period`]; samples whose period is outside
/// [`MIN_PERIOD`]`..=`[`MAX_PERIOD`], or whose unlooped data is shorter than one
/// measurement window (two periods), give nothing. Each spectrum holds harmonics
/// `1..=min(MAX_HARMONIC, floor(0.45·P))`, nothing near or above the sample's own Nyquist
/// frequency, measured with phase zero at the cycle's first sample; see the
/// [module docs](self) for the method. Cycles with an RMS below [`SILENCE_RMS`] are skipped.
pub fn extract_cycles(sample: &Sf2Sample, max_cycles: usize) -> Vec<Harmonics> {
    extract_cycles_with_period(sample, sample.period(), max_cycles)
}

/// [`extract_cycles`] with the period (in samples, fractional) given instead of taken
/// from the sample's tuning, e.g. one refined by a pitch estimate.
pub fn extract_cycles_with_period(
    sample: &Sf2Sample,
    period: f64,
    max_cycles: usize,
) -> Vec<Harmonics> {
    if max_cycles == 0 || !(MIN_PERIOD..=MAX_PERIOD).contains(&period) {
        return Vec::new();
    }
    let analyzer = Analyzer::new(period);
    let Some(plan) = CyclePlan::new(sample, analyzer.len, max_cycles) else {
        return Vec::new();
    };
    let mut segment = vec![0.0; analyzer.len];
    plan.starts
        .iter()
        .filter_map(|&start| {
            plan.read(&sample.data, start, &mut segment);
            let cycle = analyzer.measure(&segment);
            (spectrum_rms(&cycle) >= SILENCE_RMS).then_some(cycle)
        })
        .collect()
}

/// The RMS of the waveform a spectrum describes (Parseval).
fn spectrum_rms(spectrum: &Harmonics) -> f64 {
    let power: f64 = spectrum
        .cos
        .iter()
        .zip(&spectrum.sin)
        .map(|(&c, &s)| f64::from(c).powi(2) + f64::from(s).powi(2))
        .sum();
    (power / 2.0).sqrt()
}

/// Where the cycles of one sample are measured.
struct CyclePlan {
    /// First sample of each measurement window.
    starts: Vec<usize>,
    /// The sustain loop, if the signal is read looped.
    looped: Option<Range<usize>>,
}

impl CyclePlan {
    /// Plans up to `max_cycles` windows of `window` samples over the loop or the middle
    /// of `sample`; `None` if an unlooped sample is shorter than one window.
    fn new(sample: &Sf2Sample, window: usize, max_cycles: usize) -> Option<Self> {
        let (starts, looped) = match sample.sustain_loop() {
            Some(looped) => (looped.clone(), Some(looped)),
            None => (middle_starts(sample.data.len(), window)?, None),
        };
        let span = starts.len();
        let count = max_cycles.min(span);
        let starts = (0..count)
            .map(|j| starts.start + j * span / count)
            .collect();
        Some(Self { starts, looped })
    }

    /// Fills `out` with the signal from `start` on, repeating the loop past its end.
    fn read(&self, data: &[f32], start: usize, out: &mut [f64]) {
        for (n, value) in out.iter_mut().enumerate() {
            let mut i = start + n;
            if let Some(looped) = &self.looped {
                if i >= looped.end {
                    i = looped.start + (i - looped.start) % looped.len();
                }
            }
            *value = f64::from(data[i]);
        }
    }
}

/// The starts of `window`-sample windows inside the middle half of a `len`-sample
/// signal, or of one centred window if the middle half is too short for one.
fn middle_starts(len: usize, window: usize) -> Option<Range<usize>> {
    if window > len {
        return None;
    }
    let (first, end) = (len / 4, len - len / 4);
    if first + window <= end {
        Some(first..end - window + 1)
    } else {
        let centred = (len - window) / 2;
        Some(centred..centred + 1)
    }
}

/// Measures harmonics `1..=H` of a signal with a fixed fractional period `P` over a Hann
/// window of [`WINDOW_PERIODS`] periods, by a chirp-z transform (Bluestein's algorithm).
struct Analyzer {
    /// Samples per window, `floor(K·P) + 1`.
    len: usize,
    /// Highest harmonic measured.
    harmonics: usize,
    /// Hann window times the input chirp `e^{-iπn²/P}`, per window sample.
    pre: Vec<Complex64>,
    /// FFT of the kernel `e^{+iπk²/P}`, `k = −(len−1)..=H`, scaled by 1/FFT size.
    kernel: Vec<Complex64>,
    /// Output chirp `e^{-iπh²/P}` times `2/Σw`, per harmonic `0..=H`.
    post: Vec<Complex64>,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
}

impl Analyzer {
    /// Prepares the measurement of period `period` (in samples, at least 1).
    fn new(period: f64) -> Self {
        let span = WINDOW_PERIODS as f64 * period;
        let len = span.floor() as usize + 1;
        let harmonics = ((BAND_LIMIT * period).floor() as usize).min(MAX_HARMONIC);
        let size = (len + harmonics).next_power_of_two();
        let mut planner = FftPlanner::new();
        let forward = planner.plan_fft_forward(size);
        let inverse = planner.plan_fft_inverse(size);
        // e^{-iπk²/P}, with k² reduced modulo 2P (exactly, in f64) to keep the phase precise.
        let chirp = |k: usize| {
            let k = k as f64;
            let turns = (k * k).rem_euclid(2.0 * period) / period;
            Complex64::from_polar(1.0, -PI * turns)
        };
        let window: Vec<f64> = (0..len)
            .map(|n| 0.5 - 0.5 * (TAU * n as f64 / span).cos())
            .collect();
        let gain = 2.0 / window.iter().sum::<f64>();
        let pre = window
            .iter()
            .enumerate()
            .map(|(n, &w)| chirp(n) * w)
            .collect();
        let mut kernel = vec![Complex64::default(); size];
        for (k, value) in kernel.iter_mut().enumerate().take(harmonics + 1) {
            *value = chirp(k).conj();
        }
        for k in 1..len {
            kernel[size - k] = chirp(k).conj();
        }
        forward.process(&mut kernel);
        let scale = 1.0 / size as f64;
        kernel.iter_mut().for_each(|v| *v *= scale);
        let post = (0..=harmonics).map(|h| chirp(h) * gain).collect();
        Self {
            len,
            harmonics,
            pre,
            kernel,
            post,
            forward,
            inverse,
        }
    }

    /// The spectrum of the `len`-sample segment `signal`, with phase zero at its first sample.
    fn measure(&self, signal: &[f64]) -> Harmonics {
        let mut buffer = vec![Complex64::default(); self.kernel.len()];
        for ((b, &x), &p) in buffer.iter_mut().zip(signal).zip(&self.pre) {
            *b = p * x;
        }
        self.forward.process(&mut buffer);
        for (b, &k) in buffer.iter_mut().zip(&self.kernel) {
            *b *= k;
        }
        self.inverse.process(&mut buffer);
        let mut out = Harmonics::silent();
        let measured = buffer.iter().zip(&self.post).take(self.harmonics + 1);
        for ((cos, sin), (&b, &post)) in out.cos.iter_mut().zip(&mut out.sin).zip(measured).skip(1)
        {
            let x = b * post;
            *cos = x.re as f32;
            *sin = -x.im as f32;
        }
        out
    }
}

/// A grouping key for splitting samples by instrument: the first instrument using the
/// sample if any, else the sample name without its trailing note names, numbers, stereo
/// markers and separators (`"Piano C#4(L)"` → `"Piano"`, `"tromboneEb6"` → `"trombone"`).
pub fn sample_family(sample: &Sf2Sample) -> String {
    if let Some(first) = sample.instruments.first() {
        return first.clone();
    }
    let mut name = sample.name.trim();
    while let Some(shorter) = strip_suffix(name) {
        name = shorter;
    }
    if name.is_empty() {
        sample.name.trim().to_string()
    } else {
        name.to_string()
    }
}

/// `name` without one trailing run of separators or digits, or one trailing stereo
/// marker (`L`, `R`) or note name (`C`, `c`, `Eb`); `None` if there is none to strip.
fn strip_suffix(name: &str) -> Option<&str> {
    let is_separator = |c: char| " -_.,()[]#".contains(c);
    for strip in [is_separator, |c: char| c.is_ascii_digit()] {
        let shorter = name.trim_end_matches(strip);
        if shorter.len() < name.len() {
            return Some(shorter);
        }
    }
    let chars: Vec<char> = name.chars().rev().take(3).collect();
    let letter_at_boundary = |letter: usize| {
        chars.get(letter + 1).is_some_and(|&before| {
            !before.is_ascii_uppercase()
                && (chars[letter].is_ascii_uppercase() || !before.is_ascii_lowercase())
        })
    };
    let note = |c: char| matches!(c.to_ascii_uppercase(), 'A'..='G');
    let cut = match chars.as_slice() {
        ['L' | 'R', before, ..] if !before.is_ascii_alphabetic() => 1,
        ['b', n, ..] if n.is_ascii_uppercase() && note(*n) && letter_at_boundary(1) => 2,
        [n, ..] if note(*n) && letter_at_boundary(0) => 1,
        _ => return None,
    };
    Some(&name[..name.len() - cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Harmonics `(h, cos, sin)` of the synthetic test waveform.
    const PARTIALS: [(usize, f64, f64); 7] = [
        (1, 0.40, 0.15),
        (2, -0.20, 0.08),
        (3, 0.0, 0.12),
        (5, 0.05, -0.04),
        (8, -0.03, 0.0),
        (17, 0.012, 0.009),
        (41, -0.008, 0.007),
    ];

    /// A RIFF chunk with its pad byte.
    fn riff_chunk(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    /// A `LIST` (or `RIFF`) chunk of type `kind` holding `chunks`.
    fn riff_list(id: &[u8; 4], kind: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut body = kind.to_vec();
        chunks.iter().for_each(|c| body.extend_from_slice(c));
        riff_chunk(id, &body)
    }

    /// A 20-byte NUL-padded name field.
    fn name(text: &str) -> Vec<u8> {
        let mut out = text.as_bytes().to_vec();
        out.resize(20, 0);
        out
    }

    /// Concatenated little-endian `u16` pairs, as in `ibag`, `pbag`, `igen` and `pgen`.
    fn pairs(values: &[(u16, u16)]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|&(a, b)| [a.to_le_bytes(), b.to_le_bytes()].concat())
            .collect()
    }

    /// One `shdr` record.
    struct Header {
        name: &'static str,
        start: u32,
        end: u32,
        loop_start: u32,
        loop_end: u32,
        rate: u32,
        key: u8,
        correction: i8,
    }

    fn shdr_record(h: &Header) -> Vec<u8> {
        let mut out = name(h.name);
        for v in [h.start, h.end, h.loop_start, h.loop_end, h.rate] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&[h.key, h.correction as u8, 0, 0, 1, 0]);
        out
    }

    /// The synthetic waveform at sample `n` for period `period`.
    fn waveform(n: f64, period: f64) -> f64 {
        PARTIALS
            .iter()
            .map(|&(h, c, s)| {
                let (sin, cos) = (TAU * h as f64 * n / period).sin_cos();
                c * cos + s * sin
            })
            .sum()
    }

    fn pcm(len: usize, period: f64) -> Vec<i16> {
        (0..len)
            .map(|n| (waveform(n as f64, period) * 32768.0).round() as i16)
            .collect()
    }

    /// Sample 0: key 69 at 44100 Hz, +3 cents in its header and +4 in its zone, so a
    /// period of 44100 / (440·2^(−7/1200)) ≈ 100.63 samples, looped over 2000 samples.
    const PERIOD_0: f64 = 100.633_347_928_308_84;
    /// Sample 1: header key 60, but its instrument's global zone says root key 69; at
    /// 44000 Hz that is a period of exactly 100 samples, looped over 5 periods.
    const PERIOD_1: f64 = 100.0;

    /// A small but complete SoundFont: two samples, two instruments, one preset.
    fn tiny_sf2() -> Vec<u8> {
        let mut points = pcm(4000, PERIOD_0);
        points.extend(std::iter::repeat_n(0, 46));
        points.extend(pcm(3000, PERIOD_1));
        points.extend(std::iter::repeat_n(0, 46));
        let smpl: Vec<u8> = points.iter().flat_map(|p| p.to_le_bytes()).collect();
        let headers = [
            Header {
                name: "Synth A4",
                start: 0,
                end: 4000,
                loop_start: 1000,
                loop_end: 3000,
                rate: 44100,
                key: 69,
                correction: 3,
            },
            Header {
                name: "Lead A4(L)",
                start: 4046,
                end: 7046,
                loop_start: 5046,
                loop_end: 5546,
                rate: 44000,
                key: 60,
                correction: 0,
            },
            Header {
                name: "EOS",
                start: 0,
                end: 0,
                loop_start: 0,
                loop_end: 0,
                rate: 0,
                key: 0,
                correction: 0,
            },
        ];
        let shdr: Vec<u8> = headers.iter().flat_map(shdr_record).collect();
        let inst = [
            name("Test Organ"),
            vec![0, 0],
            name("Test Lead"),
            vec![1, 0],
        ]
        .concat()
        .into_iter()
        .chain([name("EOI"), vec![4, 0]].concat())
        .collect::<Vec<u8>>();
        // Organ: one zone (fineTune +4, sample 0). Lead: a global zone (root key 69),
        // a zone for sample 1 and one for sample 0.
        let ibag = pairs(&[(0, 0), (2, 0), (3, 0), (4, 0), (5, 0)]);
        let igen = pairs(&[(52, 4), (53, 0), (58, 69), (53, 1), (53, 0), (0, 0)]);
        let phdr = [
            name("Test Preset"),
            vec![0; 6],
            vec![0; 12],
            name("EOP"),
            vec![0, 0, 0, 0, 1, 0],
            vec![0; 12],
        ]
        .concat();
        let pdta = riff_list(
            b"LIST",
            b"pdta",
            &[
                riff_chunk(b"phdr", &phdr),
                riff_chunk(b"pbag", &pairs(&[(0, 0), (1, 0)])),
                riff_chunk(b"pmod", &[0; 10]),
                riff_chunk(b"pgen", &pairs(&[(41, 0), (0, 0)])),
                riff_chunk(b"inst", &inst),
                riff_chunk(b"ibag", &ibag),
                riff_chunk(b"imod", &[0; 10]),
                riff_chunk(b"igen", &igen),
                riff_chunk(b"shdr", &shdr),
            ],
        );
        let info = riff_list(
            b"LIST",
            b"INFO",
            &[
                riff_chunk(b"ifil", &[2, 0, 1, 0]),
                riff_chunk(b"INAM", b"Tiny\0"),
            ],
        );
        let sdta = riff_list(b"LIST", b"sdta", &[riff_chunk(b"smpl", &smpl)]);
        riff_list(b"RIFF", b"sfbk", &[info, sdta, pdta])
    }

    /// The expected spectrum of a cycle starting `offset` samples into the waveform.
    fn expected(offset: f64, period: f64) -> Harmonics {
        let mut out = Harmonics::silent();
        for &(h, c, s) in &PARTIALS {
            let (sin, cos) = (TAU * h as f64 * offset / period).sin_cos();
            out.cos[h] = (c * cos + s * sin) as f32;
            out.sin[h] = (s * cos - c * sin) as f32;
        }
        out
    }

    /// Checks `got` against `want` harmonic by harmonic (complex error, so amplitude and
    /// phase): within 1% for harmonics above 1% of the strongest, near zero elsewhere.
    fn assert_close(got: &Harmonics, want: &Harmonics, context: &str) {
        let strongest = (1..=MAX_HARMONIC)
            .map(|h| want.magnitude(h))
            .fold(0.0, f32::max);
        for h in 1..=MAX_HARMONIC {
            let error = (got.cos[h] - want.cos[h]).hypot(got.sin[h] - want.sin[h]);
            let size = want.magnitude(h);
            let allowed = if size > 0.01 * strongest {
                0.01 * size
            } else {
                1e-3 * strongest
            };
            assert!(
                error <= allowed,
                "{context}: harmonic {h} is ({}, {}), want ({}, {}), error {error} > {allowed}",
                got.cos[h],
                got.sin[h],
                want.cos[h],
                want.sin[h]
            );
        }
    }

    #[test]
    fn reads_fields_and_instruments() {
        let samples = read_sf2(&tiny_sf2()).expect("the tiny soundfont parses");
        assert_eq!(samples.len(), 2);
        let (a, b) = (&samples[0], &samples[1]);
        assert_eq!(a.name, "Synth A4");
        assert_eq!(
            (a.sample_rate, a.original_pitch, a.pitch_correction),
            (44100, 69, 7)
        );
        assert_eq!((a.loop_start, a.loop_end, a.data.len()), (1000, 3000, 4000));
        assert_eq!(a.instruments, ["Test Organ", "Test Lead"]);
        let nominal = 44100.0 / (440.0 * (-7.0f64 / 1200.0).exp2());
        assert!((a.period() - nominal).abs() < 1e-9 && (nominal - PERIOD_0).abs() < 1e-9);
        assert_eq!(b.name, "Lead A4(L)");
        assert_eq!(
            (b.sample_rate, b.original_pitch, b.pitch_correction),
            (44000, 69, 0)
        );
        assert_eq!((b.loop_start, b.loop_end, b.data.len()), (1000, 1500, 3000));
        assert_eq!(b.instruments, ["Test Lead"]);
        assert!((b.period() - PERIOD_1).abs() < 1e-9);
        assert!((f64::from(a.data[123]) - waveform(123.0, PERIOD_0)).abs() < 1e-4);
        assert!((f64::from(b.data[77]) - waveform(77.0, PERIOD_1)).abs() < 1e-4);
    }

    #[test]
    fn extracts_known_harmonics_at_a_fractional_period() {
        let samples = read_sf2(&tiny_sf2()).unwrap();
        let sample = &samples[0];
        let cycles = extract_cycles(sample, 4);
        assert_eq!(cycles.len(), 4);
        let window = Analyzer::new(PERIOD_0).len;
        let plan = CyclePlan::new(sample, window, 4).unwrap();
        assert_eq!(plan.starts, [1000, 1500, 2000, 2500]);
        for (cycle, &start) in cycles.iter().zip(&plan.starts) {
            assert_close(
                cycle,
                &expected(start as f64, PERIOD_0),
                &format!("start {start}"),
            );
            let top = (0.45 * PERIOD_0) as usize;
            assert_eq!(top, 45);
            assert_eq!(
                cycle.magnitude(top + 1),
                0.0,
                "harmonics above 0.45·P stay empty"
            );
        }
    }

    #[test]
    fn wraps_windows_around_the_loop() {
        let samples = read_sf2(&tiny_sf2()).unwrap();
        let sample = &samples[1];
        let cycles = extract_cycles(sample, 50);
        assert_eq!(cycles.len(), 50);
        for (j, cycle) in cycles.iter().enumerate() {
            let start = 1000.0 + 10.0 * j as f64;
            assert_close(cycle, &expected(start, PERIOD_1), &format!("cycle {j}"));
        }
        // More cycles than loop points: one per point.
        assert_eq!(extract_cycles(sample, 10_000).len(), 500);
    }

    #[test]
    fn unlooped_samples_use_their_middle() {
        let mut sample = read_sf2(&tiny_sf2()).unwrap().swap_remove(0);
        (sample.loop_start, sample.loop_end) = (0, 0);
        let cycles = extract_cycles(&sample, 3);
        assert_eq!(cycles.len(), 3);
        let window = Analyzer::new(PERIOD_0).len;
        let plan = CyclePlan::new(&sample, window, 3).unwrap();
        assert!(plan.starts.iter().all(|&s| s >= 1000 && s + window <= 3000));
        for (cycle, &start) in cycles.iter().zip(&plan.starts) {
            assert_close(cycle, &expected(start as f64, PERIOD_0), "unlooped");
        }
        sample.data.truncate(window - 1);
        assert!(
            extract_cycles(&sample, 3).is_empty(),
            "shorter than a window"
        );
        sample.data = vec![0.0; window];
        assert!(extract_cycles(&sample, 3).is_empty(), "silent");
    }

    #[test]
    fn skips_out_of_range_periods() {
        let mut sample = read_sf2(&tiny_sf2()).unwrap().swap_remove(0);
        assert!(extract_cycles(&sample, 0).is_empty());
        sample.original_pitch = 127; // ~7.9 samples at 44.1 kHz
        assert!(sample.period() < MIN_PERIOD);
        assert!(extract_cycles(&sample, 4).is_empty());
        sample.original_pitch = 0; // ~5.4k samples: fine
        assert!(!extract_cycles(&sample, 4).is_empty());
        sample.sample_rate = 0;
        assert!(extract_cycles(&sample, 4).is_empty());
        sample.original_pitch = 255; // unpitched: treated as key 60
        sample.sample_rate = 44100;
        assert!((sample.root_frequency() - 261.625_565 * (-7.0f64 / 1200.0).exp2()).abs() < 1e-3);
    }

    #[test]
    fn every_truncated_prefix_is_an_error() {
        let bytes = tiny_sf2();
        for len in 0..bytes.len() {
            let mut prefix = bytes[..len].to_vec();
            assert!(read_sf2(&prefix).is_err(), "prefix of {len} bytes parsed");
            // Also with the RIFF size patched to match, so the inner checks must catch it.
            if len >= 8 {
                prefix[4..8].copy_from_slice(&(len as u32 - 8).to_le_bytes());
                assert!(
                    read_sf2(&prefix).is_err(),
                    "patched prefix of {len} bytes parsed"
                );
            }
        }
        let mut tiny_form = bytes[..12].to_vec();
        tiny_form[4..8].copy_from_slice(&2u32.to_le_bytes());
        assert!(read_sf2(&tiny_form).is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let garbage: Vec<u8> = (0..5000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        assert!(matches!(read_sf2(&garbage), Err(Sf2Error::NotRiff)));
        let mut wave = tiny_sf2();
        wave[8..12].copy_from_slice(b"WAVE");
        assert!(matches!(read_sf2(&wave), Err(Sf2Error::NotSoundFont(_))));
        let mut riff = b"RIFF".to_vec();
        riff.extend_from_slice(&(garbage.len() as u32 + 4).to_le_bytes());
        riff.extend_from_slice(b"sfbk");
        riff.extend_from_slice(&garbage);
        assert!(read_sf2(&riff).is_err());
    }

    /// The byte offset of the first occurrence of `needle`.
    fn find(bytes: &[u8], needle: &[u8]) -> usize {
        bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    }

    #[test]
    fn corrupt_tables_are_errors() {
        let bytes = tiny_sf2();
        let igen = find(&bytes, b"igen") + 8;
        let mut bad_id = bytes.clone();
        bad_id[igen + 6] = 9; // second generator: sampleID 9
        assert!(matches!(
            read_sf2(&bad_id),
            Err(Sf2Error::BadSampleId { id: 9, .. })
        ));
        let shdr = find(&bytes, b"shdr") + 8;
        let mut past_end = bytes.clone();
        past_end[shdr + 24..shdr + 28].copy_from_slice(&100_000u32.to_le_bytes());
        assert!(matches!(
            read_sf2(&past_end),
            Err(Sf2Error::SampleOutOfRange { .. })
        ));
        let mut overlap = bytes.clone();
        let second = shdr + SHDR_LEN;
        overlap[second + 20..second + 24].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            read_sf2(&overlap),
            Err(Sf2Error::TooMuchSampleData { .. })
        ));
        let ibag = find(&bytes, b"ibag") + 8;
        let mut backwards = bytes.clone();
        backwards[ibag + 4] = 7;
        assert!(matches!(
            read_sf2(&backwards),
            Err(Sf2Error::BadIndex { .. })
        ));
        let mut missing = bytes.clone();
        missing[shdr - 8..shdr - 4].copy_from_slice(b"xhdr");
        assert!(matches!(
            read_sf2(&missing),
            Err(Sf2Error::MissingChunk("shdr"))
        ));
    }

    #[test]
    fn corrupting_any_table_byte_never_panics() {
        let bytes = tiny_sf2();
        let pdta = find(&bytes, b"pdta") - 8;
        for at in (0..64).chain(pdta..bytes.len()) {
            for value in [0x00, 0x01, 0x7f, 0xff] {
                let mut corrupt = bytes.clone();
                corrupt[at] = value;
                if let Ok(samples) = read_sf2(&corrupt) {
                    samples.iter().for_each(|s| drop(extract_cycles(s, 2)));
                }
            }
        }
    }

    #[test]
    fn families() {
        let mut sample = read_sf2(&tiny_sf2()).unwrap().swap_remove(1);
        assert_eq!(sample_family(&sample), "Test Lead");
        sample.instruments.clear();
        let family = |name: &str| {
            let mut s = sample.clone();
            s.name = name.to_string();
            sample_family(&s)
        };
        assert_eq!(family("Lead A4(L)"), "Lead");
        assert_eq!(family("Piano C#4(R)"), "Piano");
        assert_eq!(family("Strings C#6L"), "Strings");
        assert_eq!(family("Strings G6 L"), "Strings");
        assert_eq!(family("tromboneEb6"), "trombone");
        assert_eq!(family("harmon_c4(R)"), "harmon");
        assert_eq!(family("Clean F67"), "Clean");
        assert_eq!(family("Snr 2-2(L)"), "Snr");
        assert_eq!(family("Tuba"), "Tuba");
        assert_eq!(family("EP 2 F# 7(R)"), "EP");
        assert_eq!(family("Gun"), "Gun");
        assert_eq!(family("42"), "42");
    }

    #[test]
    fn fluid_r3_soundfont() {
        let path = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
        let Ok(bytes) = std::fs::read(path) else {
            println!("SKIPPED: {path} is absent (Debian package fluid-soundfont-gm; .ci/run installs it)");
            return;
        };
        let started = std::time::Instant::now();
        let samples = read_sf2(&bytes).expect("FluidR3_GM parses");
        let elapsed = started.elapsed();
        let instruments: std::collections::BTreeSet<&String> =
            samples.iter().flat_map(|s| &s.instruments).collect();
        println!(
            "read {} samples ({} instruments) from {path} in {elapsed:.2?}",
            samples.len(),
            instruments.len()
        );
        assert!(samples.len() > 100);
        let mut audible = 0;
        for sample in samples.iter().step_by(97) {
            let cycles = extract_cycles(sample, 4);
            println!(
                "{:>20}: period {:7.2}, {} cycles",
                sample.name,
                sample.period(),
                cycles.len()
            );
            audible += cycles
                .iter()
                .filter(|c| spectrum_rms(c) >= SILENCE_RMS)
                .count();
        }
        assert!(audible > 10, "only {audible} audible cycles");
    }
}
