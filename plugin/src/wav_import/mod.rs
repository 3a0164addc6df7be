//! Importing user WAV files as single-cycle waveforms or wavetable frames.
//!
//! The input is untrusted: [`parse_wav`] is a bounded RIFF/WAVE reader that
//! never panics, never lets a size field in the file drive an allocation, and
//! turns every problem into an [`ImportError`] whose message a musician can act
//! on. [`interpret`] then decides what the audio is:
//!
//! * a wavetable with a `clm ` chunk (Serum, Vital, Surge) becomes
//!   [`Imported::Table`];
//! * a short file (at most [`MAX_SINGLE_CYCLE`] samples) is one cycle,
//!   [`Imported::Cycle`];
//! * anything longer is a recording of a note: its pitch is found with YIN
//!   ([`yin_pitch`]) and single cycles are cut from its steady part,
//!   [`Imported::Recording`].

use std::borrow::Cow;
use std::f64::consts::PI;
use std::io::Read;
use std::path::{Path, PathBuf};

mod cycles;
mod pitch;
mod resample;
mod riff;
#[cfg(test)]
mod tests;

use cycles::*;
pub use pitch::yin_pitch;
use pitch::*;
use resample::*;
use riff::*;

/// Largest WAV file accepted, in bytes (64 MiB).
pub const MAX_WAV_BYTES: u64 = 64 * 1024 * 1024;
/// Most channels a WAV file may have.
pub const MAX_CHANNELS: u16 = 16;
/// Most frames kept from a `clm ` wavetable; later frames are dropped.
pub const MAX_TABLE_FRAMES: usize = 256;
/// Most RIFF chunks walked before the reader gives up.
pub const MAX_CHUNKS: usize = 10_000;
/// Highest sample rate accepted, in Hz (the lowest is 1 Hz).
pub const MAX_SAMPLE_RATE: u32 = 1_536_000;
/// Smallest frame size a `clm ` chunk may give.
pub const MIN_CLM_FRAME_SIZE: usize = 4;
/// Largest frame size a `clm ` chunk may give.
pub const MAX_CLM_FRAME_SIZE: usize = 65_536;
/// Length, in samples, of every cycle cut from a recording.
pub const CYCLE_LEN: usize = 2048;
/// A file with at most this many samples (and no `clm ` chunk) is one cycle.
pub const MAX_SINGLE_CYCLE: usize = 4096;
/// Fewest samples a single-cycle file may have.
pub const MIN_CYCLE_SAMPLES: usize = 4;
/// Most cycles cut from a recording.
pub const MAX_RECORDING_CYCLES: usize = 64;
/// Lowest pitch the pitch detector looks for, in Hz.
pub const MIN_PITCH_HZ: f64 = 20.0;
/// Highest pitch the pitch detector looks for, in Hz (never above a quarter
/// of the sample rate).
pub const MAX_PITCH_HZ: f64 = 4000.0;

/// Peak deviation from the mean below which audio counts as silent (-100 dBFS).
const SILENCE_LEVEL: f32 = 1e-5;

/// Decoded audio from a WAV file.
#[derive(Debug, Clone, PartialEq)]
pub struct WavAudio {
    /// Sample rate in Hz (1 to [`MAX_SAMPLE_RATE`]).
    pub sample_rate: u32,
    /// One vector of samples per channel, all the same length. Integer
    /// formats decode to -1..1; float files keep their (finite) values, which
    /// may exceed ±1, and non-finite samples become 0.0.
    pub channels: Vec<Vec<f32>>,
    /// Frame size of a wavetable, from a `clm ` chunk, if the file has one.
    pub clm_frame_size: Option<usize>,
}

/// What an imported WAV file turned out to be. All samples are in -1..1:
/// float audio peaking above full scale is scaled down to peak at 1.0.
#[derive(Debug, Clone, PartialEq)]
pub enum Imported {
    /// A short file: exactly one cycle of any length (mono mix).
    Cycle(Vec<f32>),
    /// A multi-frame wavetable (from a clm chunk): frames of equal size.
    Table {
        /// Samples per frame, from the `clm ` chunk.
        frame_size: usize,
        /// The frames (mono mix), at most [`MAX_TABLE_FRAMES`] of them.
        frames: Vec<Vec<f32>>,
    },
    /// Cycles cut from a longer recording by pitch detection, each resampled to `CYCLE_LEN` samples.
    Recording {
        /// Detected fundamental frequency in Hz.
        f0_hz: f32,
        /// Up to [`MAX_RECORDING_CYCLES`] cycles, each starting at a rising
        /// zero crossing and [`CYCLE_LEN`] samples long.
        cycles: Vec<Vec<f32>>,
    },
}

/// Why a WAV file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("could not read \"{}\": {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system reported.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_WAV_BYTES`].
    #[error(
        "the file is {} long; WAV imports are limited to {}",
        human_bytes(*size),
        human_bytes(MAX_WAV_BYTES)
    )]
    TooLarge {
        /// The file's length in bytes.
        size: u64,
    },
    /// The file does not start with a RIFF/WAVE header.
    #[error("the file is not a WAV (no RIFF/WAVE header)")]
    NotWav,
    /// A chunk other than `data` claims more bytes than the file has left.
    #[error(
        "the file is damaged: its \"{id}\" chunk says it is {} long but only {} of the file remain",
        human_bytes(*claimed),
        human_bytes(*available)
    )]
    ChunkPastEnd {
        /// The chunk's four-character id (unprintable bytes shown as `?`).
        id: String,
        /// The size the chunk header claims.
        claimed: u64,
        /// The bytes actually left after the chunk header.
        available: u64,
    },
    /// More than [`MAX_CHUNKS`] chunks came before the format and audio.
    #[error("the file has more than {MAX_CHUNKS} chunks before its audio; it is probably damaged")]
    TooManyChunks,
    /// There is no `fmt ` chunk.
    #[error("the file has no format (\"fmt \") chunk, so its audio cannot be decoded")]
    NoFmt,
    /// The `fmt ` chunk is too short for its format.
    #[error("the file's format (\"fmt \") chunk is {len} bytes long; it needs at least {needed}")]
    FmtTooShort {
        /// The chunk's length.
        len: usize,
        /// The length its format needs.
        needed: usize,
    },
    /// There is no `data` chunk.
    #[error("the file has no audio (\"data\") chunk")]
    NoData,
    /// The file says it has no channels.
    #[error("the file says it has no audio channels")]
    ZeroChannels,
    /// The file has more than [`MAX_CHANNELS`] channels.
    #[error("the file says it has {channels} channels; at most {MAX_CHANNELS} are supported")]
    TooManyChannels {
        /// The channel count in the file.
        channels: u16,
    },
    /// The sample rate is 0 Hz or above [`MAX_SAMPLE_RATE`].
    #[error("a sample rate of {rate} Hz makes no sense (expected 1 to {MAX_SAMPLE_RATE} Hz)")]
    BadSampleRate {
        /// The sample rate in the file.
        rate: u32,
    },
    /// The format tag is neither PCM nor IEEE float.
    #[error(
        "this WAV file is {} (format tag 0x{tag:04X}), which is not supported; \
         save it as PCM (8, 16, 24 or 32-bit) or 32-bit float",
        format_tag_name(*tag)
    )]
    UnsupportedFormat {
        /// The format tag (from the sub-format GUID for extensible files).
        tag: u16,
    },
    /// Float samples that are neither 32 nor 64 bits.
    #[error("{bits}-bit float WAV is not a format (float WAV files are 32 or 64-bit)")]
    BadFloatBits {
        /// Bits per sample in the file.
        bits: u16,
    },
    /// Integer samples that are not 8, 16, 24 or 32 bits.
    #[error("{bits}-bit integer WAV is not supported (use 8, 16, 24 or 32 bits)")]
    BadIntBits {
        /// Bits per sample in the file.
        bits: u16,
    },
    /// The block size disagrees with channels × bytes per sample.
    #[error(
        "the file is damaged: its block size is {block_align} bytes, but {channels} channel(s) \
         of {bits}-bit samples need {expected}"
    )]
    BlockAlignMismatch {
        /// `nBlockAlign` from the file.
        block_align: u16,
        /// Channels in the file.
        channels: u16,
        /// Bits per sample in the file.
        bits: u16,
        /// The block size those imply.
        expected: u32,
    },
    /// The `data` chunk claims audio but not one whole sample frame is present.
    #[error(
        "the file says it holds {} of audio but is {} long",
        human_bytes(*claimed),
        human_bytes(*file_len)
    )]
    Truncated {
        /// The `data` chunk's claimed size.
        claimed: u64,
        /// The file's real length.
        file_len: u64,
    },
    /// The audio has no samples.
    #[error("the file holds no audio samples")]
    EmptyAudio,
    /// Channels of different lengths were given to [`interpret`].
    #[error("the audio channels have different lengths")]
    ChannelLengthMismatch,
    /// The `clm ` chunk's frame size is missing or out of range.
    #[error(
        "the wavetable (\"clm \") chunk gives frame size \"{text}\"; \
         expected a number from {MIN_CLM_FRAME_SIZE} to {MAX_CLM_FRAME_SIZE}"
    )]
    ClmFrameSize {
        /// The text found where the frame size should be.
        text: String,
    },
    /// A wavetable shorter than one frame.
    #[error("the wavetable has frames of {frame_size} samples but the file holds only {samples}")]
    TableTooShort {
        /// Samples per frame, from the `clm ` chunk.
        frame_size: usize,
        /// Samples in the file.
        samples: usize,
    },
    /// A single-cycle file with fewer than [`MIN_CYCLE_SAMPLES`] samples.
    #[error(
        "the file holds only {samples} samples; a single cycle needs at least {MIN_CYCLE_SAMPLES}"
    )]
    CycleTooShort {
        /// Samples in the file.
        samples: usize,
    },
    /// The audio is silent or a constant level.
    #[error("the audio is silent (or a constant level), so there is no waveform to import")]
    Silent,
    /// No window of a recording had a clear pitch.
    #[error(
        "no steady pitch found (looked for {MIN_PITCH_HZ} to {MAX_PITCH_HZ} Hz); \
         import a recording of one sustained note"
    )]
    NoSteadyPitch,
}

/// Parses a WAV file held in memory.
///
/// Accepts 8-bit unsigned and 16/24/32-bit signed PCM, 32/64-bit IEEE float,
/// and `WAVE_FORMAT_EXTENSIBLE` files of those formats. The RIFF size field is
/// ignored (the real length of `bytes` is trusted); a `data` chunk running past
/// the end of the file is cut to the whole sample frames present. Allocation is
/// bounded by the bytes actually present, never by sizes the file claims.
pub fn parse_wav(bytes: &[u8]) -> Result<WavAudio, ImportError> {
    let file_len = bytes.len() as u64;
    if file_len > MAX_WAV_BYTES {
        return Err(ImportError::TooLarge { size: file_len });
    }
    if !bytes.starts_with(b"RIFF") || bytes.get(8..12) != Some(&b"WAVE"[..]) {
        return Err(ImportError::NotWav);
    }
    let chunks = walk_chunks(bytes)?;
    let fmt = chunks.fmt.ok_or(ImportError::NoFmt)?;
    let format = parse_fmt(fmt)?;
    let data = chunks.data.ok_or(ImportError::NoData)?;
    let channels = decode(&format, &data, file_len)?;
    Ok(WavAudio {
        sample_rate: format.sample_rate,
        channels,
        clm_frame_size: chunks.clm_frame_size,
    })
}

/// Reads and parses a WAV file, refusing files over [`MAX_WAV_BYTES`] before
/// reading them.
pub fn read_wav_file(path: &Path) -> Result<WavAudio, ImportError> {
    let io_error = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let size = file.metadata().map_err(io_error)?.len();
    if size > MAX_WAV_BYTES {
        return Err(ImportError::TooLarge { size });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // The file may grow after the size check: read one byte past the limit
    // at most, so parse_wav can refuse it.
    file.take(MAX_WAV_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    parse_wav(&bytes)
}

/// Decides what decoded audio is: a wavetable, one cycle, or a recording.
///
/// Channels are mixed to mono by averaging. With a `clm ` frame size the whole
/// frames become [`Imported::Table`]; a partial last frame is dropped, and only
/// the first [`MAX_TABLE_FRAMES`] frames are kept (longer tables are not an
/// error). Otherwise a file of at most [`MAX_SINGLE_CYCLE`] samples is an
/// [`Imported::Cycle`], and a longer one is pitch-tracked into an
/// [`Imported::Recording`] (the first 10 % is skipped as the attack).
pub fn interpret(audio: &WavAudio) -> Result<Imported, ImportError> {
    if !(1..=MAX_SAMPLE_RATE).contains(&audio.sample_rate) {
        return Err(ImportError::BadSampleRate {
            rate: audio.sample_rate,
        });
    }
    let mono = mono_mix(&audio.channels)?;
    if let Some(frame_size) = audio.clm_frame_size {
        if !(MIN_CLM_FRAME_SIZE..=MAX_CLM_FRAME_SIZE).contains(&frame_size) {
            return Err(ImportError::ClmFrameSize {
                text: frame_size.to_string(),
            });
        }
        if mono.len() < frame_size {
            return Err(ImportError::TableTooShort {
                frame_size,
                samples: mono.len(),
            });
        }
        let frames = mono
            .chunks_exact(frame_size)
            .take(MAX_TABLE_FRAMES)
            .map(<[f32]>::to_vec)
            .collect();
        return Ok(Imported::Table { frame_size, frames });
    }
    if mono.len() <= MAX_SINGLE_CYCLE {
        if mono.len() < MIN_CYCLE_SAMPLES {
            return Err(ImportError::CycleTooShort {
                samples: mono.len(),
            });
        }
        if is_silent(&mono) {
            return Err(ImportError::Silent);
        }
        return Ok(Imported::Cycle(mono.into_owned()));
    }
    if is_silent(&mono) {
        return Err(ImportError::Silent);
    }
    cut_recording(&mono, audio.sample_rate)
}

/// Reads a WAV file ([`read_wav_file`]) and interprets it ([`interpret`]).
pub fn import_file(path: &Path) -> Result<Imported, ImportError> {
    interpret(&read_wav_file(path)?)
}

/// Averages the channels into one, replacing non-finite samples with 0.0 and
/// scaling audio that peaks above 1.0 down to a peak of 1.0.
fn mono_mix(channels: &[Vec<f32>]) -> Result<Cow<'_, [f32]>, ImportError> {
    let first = channels.first().ok_or(ImportError::ZeroChannels)?;
    if channels.iter().any(|c| c.len() != first.len()) {
        return Err(ImportError::ChannelLengthMismatch);
    }
    if first.is_empty() {
        return Err(ImportError::EmptyAudio);
    }
    let mut mono: Cow<'_, [f32]> = if channels.len() == 1 {
        Cow::Borrowed(first)
    } else {
        let scale = 1.0 / channels.len() as f64;
        Cow::Owned(
            (0..first.len())
                .map(|i| {
                    let sum: f64 = channels
                        .iter()
                        .filter_map(|c| c.get(i))
                        .filter(|v| v.is_finite())
                        .map(|&v| f64::from(v))
                        .sum();
                    (sum * scale) as f32
                })
                .collect(),
        )
    };
    if mono.iter().any(|v| !v.is_finite() || v.abs() > 1.0) {
        let samples = mono.to_mut();
        for v in samples.iter_mut().filter(|v| !v.is_finite()) {
            *v = 0.0;
        }
        let peak = samples.iter().fold(0.0f32, |p, v| p.max(v.abs()));
        if peak > 1.0 {
            let gain = 1.0 / peak;
            for v in samples.iter_mut() {
                *v *= gain;
            }
        }
    }
    Ok(mono)
}

/// Whether every sample is within [`SILENCE_LEVEL`] of the mean.
fn is_silent(samples: &[f32]) -> bool {
    let mean = mean(samples);
    samples
        .iter()
        .all(|&v| (f64::from(v) - mean).abs() < f64::from(SILENCE_LEVEL))
}

/// Mean of the samples (0.0 for none).
fn mean(samples: &[f32]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.iter().map(|&v| f64::from(v)).sum::<f64>() / samples.len() as f64
}
