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

/// `WAVE_FORMAT_PCM`.
const TAG_PCM: u16 = 1;
/// `WAVE_FORMAT_IEEE_FLOAT`.
const TAG_FLOAT: u16 = 3;
/// `WAVE_FORMAT_EXTENSIBLE`: the real format tag is in the sub-format GUID.
const TAG_EXTENSIBLE: u16 = 0xFFFE;
/// Length of a plain `fmt ` chunk.
const FMT_LEN: usize = 16;
/// Length of a `WAVE_FORMAT_EXTENSIBLE` `fmt ` chunk.
const FMT_EXTENSIBLE_LEN: usize = 40;

/// Peak deviation from the mean below which audio counts as silent (-100 dBFS).
const SILENCE_LEVEL: f32 = 1e-5;
/// YIN's absolute threshold on the cumulative mean normalized difference.
const YIN_THRESHOLD: f64 = 0.15;
/// Longest YIN analysis window, in samples at the analysis rate.
const YIN_MAX_WINDOW: usize = 8192;
/// Recordings above this rate are decimated before pitch analysis.
const ANALYSIS_RATE: u32 = 48_000;
/// Pitch windows spread over a recording's steady part.
const YIN_WINDOWS: usize = 9;
/// Taps of the resampling kernel at its widest cutoff.
const SINC_TAPS: f64 = 32.0;
/// Kernel table entries per zero crossing of the sinc.
const SINC_TABLE_RESOLUTION: f64 = 256.0;
/// Fraction of the new Nyquist frequency kept when a cycle is downsampled.
const DOWNSAMPLE_GUARD: f64 = 0.95;

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
fn difference_function(x: &[f64], width: usize, lags: usize) -> Vec<f64> {
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

/// Chunks of interest found while walking the file.
#[derive(Default)]
struct Chunks<'a> {
    /// Body of the first `fmt ` chunk.
    fmt: Option<&'a [u8]>,
    /// The first `data` chunk.
    data: Option<DataChunk<'a>>,
    /// Frame size from the first `clm ` chunk that starts with `<!>`.
    clm_frame_size: Option<usize>,
}

/// A `data` chunk: the bytes present and the size its header claims.
struct DataChunk<'a> {
    /// Bytes actually present (the claimed size or less).
    bytes: &'a [u8],
    /// Size from the chunk header.
    claimed: u64,
}

/// Walks the RIFF chunks after the 12-byte header.
fn walk_chunks(bytes: &[u8]) -> Result<Chunks<'_>, ImportError> {
    let mut found = Chunks::default();
    let mut pos = 12usize;
    let mut count = 0usize;
    while let (Some(id), Some(size)) = (bytes.get(pos..pos + 4), le_u32(bytes, pos + 4)) {
        let complete = found.fmt.is_some() && found.data.is_some();
        if count == MAX_CHUNKS {
            if complete {
                break;
            }
            return Err(ImportError::TooManyChunks);
        }
        count += 1;
        let body_start = pos + 8;
        let available = bytes.len().saturating_sub(body_start);
        let claimed = u64::from(size);
        let body_len = match usize::try_from(size) {
            Ok(len) if len <= available => len,
            _ if id == b"data" => available,
            // Trailing garbage after a complete file: stop reading.
            _ if complete => break,
            _ => {
                return Err(ImportError::ChunkPastEnd {
                    id: printable(id),
                    claimed,
                    available: available as u64,
                })
            }
        };
        let Some(body) = bytes.get(body_start..body_start + body_len) else {
            break;
        };
        match id {
            b"fmt " if found.fmt.is_none() => found.fmt = Some(body),
            b"data" if found.data.is_none() => {
                found.data = Some(DataChunk {
                    bytes: body,
                    claimed,
                })
            }
            b"clm " if found.clm_frame_size.is_none() => found.clm_frame_size = parse_clm(body)?,
            _ => {}
        }
        // Chunks are padded to an even length.
        pos = body_start + body_len + (body_len & 1);
    }
    Ok(found)
}

/// Frame size from a `clm ` chunk body (`<!>2048 ...`); `None` when the body
/// does not start with `<!>`.
fn parse_clm(body: &[u8]) -> Result<Option<usize>, ImportError> {
    let Some(rest) = body.strip_prefix(b"<!>") else {
        return Ok(None);
    };
    let value = rest
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .try_fold(None::<usize>, |acc, b| {
            acc.unwrap_or(0)
                .checked_mul(10)?
                .checked_add(usize::from(b - b'0'))
                .map(Some)
        });
    match value {
        Some(Some(size)) if (MIN_CLM_FRAME_SIZE..=MAX_CLM_FRAME_SIZE).contains(&size) => {
            Ok(Some(size))
        }
        _ => {
            let end = rest
                .iter()
                .take(16)
                .position(|b| b.is_ascii_whitespace() || *b == 0)
                .unwrap_or(rest.len().min(16));
            Err(ImportError::ClmFrameSize {
                text: printable(rest.get(..end).unwrap_or_default()),
            })
        }
    }
}

/// How samples are stored.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SampleFormat {
    /// 8-bit unsigned, offset 128.
    U8,
    /// 16-bit signed little-endian.
    I16,
    /// 24-bit signed little-endian.
    I24,
    /// 32-bit signed little-endian.
    I32,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
}

impl SampleFormat {
    /// Bytes per sample.
    fn bytes(self) -> usize {
        match self {
            SampleFormat::U8 => 1,
            SampleFormat::I16 => 2,
            SampleFormat::I24 => 3,
            SampleFormat::I32 | SampleFormat::F32 => 4,
            SampleFormat::F64 => 8,
        }
    }
}

/// The decoded `fmt ` chunk.
struct Format {
    /// Channel count (1 to [`MAX_CHANNELS`]).
    channels: u16,
    /// Sample rate in Hz.
    sample_rate: u32,
    /// Sample encoding.
    sample: SampleFormat,
}

/// Decodes and validates a `fmt ` chunk body.
fn parse_fmt(fmt: &[u8]) -> Result<Format, ImportError> {
    let too_short = |needed| ImportError::FmtTooShort {
        len: fmt.len(),
        needed,
    };
    let (Some(mut tag), Some(channels), Some(sample_rate), Some(block_align), Some(bits)) = (
        le_u16(fmt, 0),
        le_u16(fmt, 2),
        le_u32(fmt, 4),
        le_u16(fmt, 12),
        le_u16(fmt, 14),
    ) else {
        return Err(too_short(FMT_LEN));
    };
    if tag == TAG_EXTENSIBLE {
        // Bytes 24..40 hold the sub-format GUID, whose first two bytes are
        // the real format tag. wValidBitsPerSample (bytes 18..20) is only
        // informative: the container size decides decoding.
        tag = match le_u16(fmt, 24) {
            Some(sub) if fmt.len() >= FMT_EXTENSIBLE_LEN => sub,
            _ => return Err(too_short(FMT_EXTENSIBLE_LEN)),
        };
    }
    if channels == 0 {
        return Err(ImportError::ZeroChannels);
    }
    if channels > MAX_CHANNELS {
        return Err(ImportError::TooManyChannels { channels });
    }
    if !(1..=MAX_SAMPLE_RATE).contains(&sample_rate) {
        return Err(ImportError::BadSampleRate { rate: sample_rate });
    }
    let sample = match (tag, bits) {
        (TAG_PCM, 8) => SampleFormat::U8,
        (TAG_PCM, 16) => SampleFormat::I16,
        (TAG_PCM, 24) => SampleFormat::I24,
        (TAG_PCM, 32) => SampleFormat::I32,
        (TAG_PCM, _) => return Err(ImportError::BadIntBits { bits }),
        (TAG_FLOAT, 32) => SampleFormat::F32,
        (TAG_FLOAT, 64) => SampleFormat::F64,
        (TAG_FLOAT, _) => return Err(ImportError::BadFloatBits { bits }),
        (other, _) => return Err(ImportError::UnsupportedFormat { tag: other }),
    };
    let expected = u32::from(channels) * sample.bytes() as u32;
    if u32::from(block_align) != expected {
        return Err(ImportError::BlockAlignMismatch {
            block_align,
            channels,
            bits,
            expected,
        });
    }
    Ok(Format {
        channels,
        sample_rate,
        sample,
    })
}

/// Decodes the whole sample frames present in a `data` chunk into channels.
fn decode(
    format: &Format,
    data: &DataChunk<'_>,
    file_len: u64,
) -> Result<Vec<Vec<f32>>, ImportError> {
    let sample_bytes = format.sample.bytes();
    let frame_bytes = usize::from(format.channels) * sample_bytes;
    let frames = data.bytes.len() / frame_bytes.max(1);
    if frames == 0 {
        return Err(if data.claimed > data.bytes.len() as u64 {
            ImportError::Truncated {
                claimed: data.claimed,
                file_len,
            }
        } else {
            ImportError::EmptyAudio
        });
    }
    let mut channels: Vec<Vec<f32>> = (0..format.channels)
        .map(|_| Vec::with_capacity(frames))
        .collect();
    for frame in data.bytes.chunks_exact(frame_bytes) {
        for (channel, sample) in channels.iter_mut().zip(frame.chunks_exact(sample_bytes)) {
            channel.push(decode_sample(format.sample, sample));
        }
    }
    Ok(channels)
}

/// Decodes one sample; non-finite floats become 0.0.
fn decode_sample(format: SampleFormat, bytes: &[u8]) -> f32 {
    let value = match (format, bytes) {
        (SampleFormat::U8, &[b]) => (f32::from(b) - 128.0) / 128.0,
        (SampleFormat::I16, &[a, b]) => f32::from(i16::from_le_bytes([a, b])) / 32_768.0,
        (SampleFormat::I24, &[a, b, c]) => {
            (i32::from_le_bytes([0, a, b, c]) >> 8) as f32 / 8_388_608.0
        }
        (SampleFormat::I32, &[a, b, c, d]) => {
            (f64::from(i32::from_le_bytes([a, b, c, d])) / 2_147_483_648.0) as f32
        }
        (SampleFormat::F32, &[a, b, c, d]) => f32::from_le_bytes([a, b, c, d]),
        (SampleFormat::F64, _) => <[u8; 8]>::try_from(bytes)
            .map(|b| f64::from_le_bytes(b) as f32)
            .unwrap_or(0.0),
        _ => 0.0,
    };
    if value.is_finite() {
        value
    } else {
        0.0
    }
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

/// Pitch-tracks a recording and cuts cycles from its steady part.
fn cut_recording(mono: &[f32], sample_rate: u32) -> Result<Imported, ImportError> {
    let steady_start = mono.len() / 10;
    let steady = mono.get(steady_start..).unwrap_or_default();
    let f0 = median_pitch(steady, sample_rate).ok_or(ImportError::NoSteadyPitch)?;
    let period = f64::from(sample_rate) / f64::from(f0);
    let cycles = cut_cycles(mono, steady_start, period);
    if cycles.is_empty() {
        return Err(ImportError::NoSteadyPitch);
    }
    Ok(Imported::Recording { f0_hz: f0, cycles })
}

/// Median of the confident YIN estimates of windows spread over `samples`.
fn median_pitch(samples: &[f32], sample_rate: u32) -> Option<f32> {
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

/// Cuts up to [`MAX_RECORDING_CYCLES`] cycles of `period` samples, evenly
/// spaced from `steady_start` on, each starting at a rising crossing of the
/// signal's mean and resampled to [`CYCLE_LEN`] samples.
fn cut_cycles(x: &[f32], steady_start: usize, period: f64) -> Vec<Vec<f32>> {
    let len = x.len() as f64;
    if !period.is_finite() || period < 2.0 || period > len {
        return Vec::new();
    }
    let kernel = SincKernel::new(period / CYCLE_LEN as f64);
    let margin = kernel.half_width + 1.0;
    let (mut lo, mut hi) = ((steady_start as f64).max(margin), len - period - margin);
    if hi < lo {
        (lo, hi) = (0.0, len - period);
    }
    if hi < lo {
        return Vec::new();
    }
    let mean = mean(x.get(lo as usize..).unwrap_or_default());
    // First cycle: the steepest rising crossing within one period.
    let first = rising_crossings(x, mean, lo, (lo + period).min(hi))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(lo, |(pos, _)| pos);
    let periods = ((hi - first) / period).floor().max(0.0) as usize;
    let count = periods.saturating_add(1).min(MAX_RECORDING_CYCLES);
    let radius = (period / 8.0).max(2.0);
    let mut starts = Vec::with_capacity(count);
    starts.push(first);
    let (mut last_index, mut last_start) = (0usize, first);
    for i in 1..count {
        // Whole periods after the first cycle, rounded and evenly spread;
        // each start is predicted from the previous one so that drift in the
        // pitch estimate does not accumulate.
        let index = (i * periods + (count - 1) / 2) / (count - 1);
        let expected = last_start + index.saturating_sub(last_index) as f64 * period;
        let start = rising_crossings(x, mean, expected - radius, expected + radius)
            .min_by(|a, b| (a.0 - expected).abs().total_cmp(&(b.0 - expected).abs()))
            .map_or(expected, |(pos, _)| pos)
            .clamp(0.0, len - period);
        starts.push(start);
        (last_index, last_start) = (index, start);
    }
    starts
        .iter()
        .map(|&start| kernel.resample(x, start, period, CYCLE_LEN))
        .collect()
}

/// Rising crossings of `level` between positions `from` and `to`: fractional
/// position and slope (per sample).
fn rising_crossings(
    x: &[f32],
    level: f64,
    from: f64,
    to: f64,
) -> impl Iterator<Item = (f64, f64)> + '_ {
    let lo = from.max(0.0).floor() as usize;
    let hi = (to.max(0.0).ceil() as usize).saturating_add(1).min(x.len());
    let segment = x.get(lo..hi).unwrap_or_default();
    segment.windows(2).enumerate().filter_map(move |(i, pair)| {
        let &[p, q] = pair else { return None };
        let (a, b) = (f64::from(p) - level, f64::from(q) - level);
        (a < 0.0 && b >= 0.0).then(|| ((lo + i) as f64 + a / (a - b), b - a))
    })
}

/// A Blackman-windowed sinc, tabulated for fast interpolation.
struct SincKernel {
    /// Cutoff relative to the source's Nyquist frequency (at most 1).
    cutoff: f64,
    /// Half the kernel's length, in source samples.
    half_width: f64,
    /// Table entries per source sample.
    per_sample: f64,
    /// Kernel values from `-half_width` to `half_width`.
    table: Vec<f64>,
}

impl SincKernel {
    /// A kernel for reading the source with `step` source samples per output
    /// sample: full band when upsampling, band-limited to the new Nyquist
    /// frequency when downsampling.
    fn new(step: f64) -> Self {
        let cutoff = if step <= 1.0 {
            1.0
        } else {
            DOWNSAMPLE_GUARD / step
        };
        let half_width = SINC_TAPS / 2.0 / cutoff;
        let per_sample = SINC_TABLE_RESOLUTION * cutoff;
        let entries = (2.0 * half_width * per_sample).ceil() as usize;
        let mut kernel = SincKernel {
            cutoff,
            half_width,
            per_sample,
            table: Vec::new(),
        };
        kernel.table = (0..=entries)
            .map(|i| kernel.exact(i as f64 / per_sample - half_width))
            .collect();
        kernel
    }

    /// The kernel at `u` source samples from its centre.
    fn exact(&self, u: f64) -> f64 {
        let v = u / self.half_width;
        if v.abs() >= 1.0 {
            return 0.0;
        }
        let window = 0.42 + 0.5 * (PI * v).cos() + 0.08 * (2.0 * PI * v).cos();
        let x = PI * self.cutoff * u;
        let sinc = if x.abs() < 1e-12 { 1.0 } else { x.sin() / x };
        self.cutoff * sinc * window
    }

    /// The kernel at `u`, linearly interpolated from the table.
    fn at(&self, u: f64) -> f64 {
        let pos = (u + self.half_width) * self.per_sample;
        if pos.is_nan() || pos < 0.0 {
            return 0.0;
        }
        let index = pos.floor() as usize;
        let frac = pos - index as f64;
        match (
            self.table.get(index),
            index.checked_add(1).and_then(|next| self.table.get(next)),
        ) {
            (Some(a), Some(b)) => a + (b - a) * frac,
            (Some(a), None) => *a,
            _ => 0.0,
        }
    }

    /// Resamples `period` source samples from `start` (fractional) to
    /// `out_len` samples; samples outside `x` count as 0.0.
    fn resample(&self, x: &[f32], start: f64, period: f64, out_len: usize) -> Vec<f32> {
        let step = period / out_len as f64;
        (0..out_len)
            .map(|n| {
                let t = start + n as f64 * step;
                let first = (t - self.half_width).ceil().max(0.0) as usize;
                let last = ((t + self.half_width).floor().max(0.0) as usize)
                    .saturating_add(1)
                    .min(x.len());
                let (mut sum, mut weights) = (0.0, 0.0);
                for (k, &v) in x.iter().enumerate().take(last).skip(first) {
                    let w = self.at(k as f64 - t);
                    sum += w * f64::from(v);
                    weights += w;
                }
                let value = if weights.abs() > 1e-6 {
                    sum / weights
                } else {
                    sum
                };
                value as f32
            })
            .collect()
    }
}

/// Integer decimation factor bringing `sample_rate` to at most 48 kHz.
fn decimation_factor(sample_rate: u32) -> usize {
    if sample_rate > ANALYSIS_RATE {
        sample_rate.div_ceil(ANALYSIS_RATE) as usize
    } else {
        1
    }
}

/// YIN window length at the analysis rate: three periods of 20 Hz, capped.
fn analysis_window(rate: f64) -> usize {
    ((3.0 * rate / MIN_PITCH_HZ).ceil() as usize).min(YIN_MAX_WINDOW)
}

/// Averages groups of `factor` samples, keeping at most `max_len` results.
fn decimate(x: &[f32], factor: usize, max_len: usize) -> Vec<f64> {
    let factor = factor.max(1);
    x.chunks_exact(factor)
        .take(max_len)
        .map(|group| group.iter().map(|&v| f64::from(v)).sum::<f64>() / factor as f64)
        .collect()
}

/// Little-endian `u16` at `at`, if present.
fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let raw = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(raw.try_into().ok()?))
}

/// Little-endian `u32` at `at`, if present.
fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(raw.try_into().ok()?))
}

/// Bytes as text, with anything but printable ASCII shown as `?`.
fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}

/// A byte count for people: "512 bytes", "1.2 kB", "4 GB" (1 kB = 1024 bytes).
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes == 1 {
        return "1 byte".to_owned();
    }
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1023.95 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS.get(unit).unwrap_or(&"TB"))
}

/// How a WAV file with format `tag` is described ("this WAV file is ...").
fn format_tag_name(tag: u16) -> &'static str {
    match tag {
        0x0002 => "ADPCM-compressed",
        0x0006 => "A-law encoded",
        0x0007 => "µ-law encoded",
        0x0011 => "IMA ADPCM-compressed",
        0x0031 => "GSM-compressed",
        0x0050 => "MPEG-compressed",
        0x0055 => "MP3-compressed",
        0xFFFE => "in a nested extensible format",
        _ => "in an unknown format",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- A test-only WAV writer -------------------------------------------

    /// Sample encodings the test writer produces.
    #[derive(Debug, Clone, Copy)]
    enum Enc {
        U8,
        I16,
        I24,
        I32,
        F32,
        F64,
    }

    const ALL_ENCODINGS: [Enc; 6] = [Enc::U8, Enc::I16, Enc::I24, Enc::I32, Enc::F32, Enc::F64];

    impl Enc {
        fn bits(self) -> u16 {
            match self {
                Enc::U8 => 8,
                Enc::I16 => 16,
                Enc::I24 => 24,
                Enc::I32 | Enc::F32 => 32,
                Enc::F64 => 64,
            }
        }

        fn tag(self) -> u16 {
            match self {
                Enc::F32 | Enc::F64 => TAG_FLOAT,
                _ => TAG_PCM,
            }
        }

        /// Largest decoding error expected for in-range values.
        fn tolerance(self) -> f32 {
            match self {
                Enc::F32 | Enc::F64 => 0.0,
                _ => 1.0 / (1u64 << (self.bits() - 1)) as f32,
            }
        }

        fn encode(self, v: f32, out: &mut Vec<u8>) {
            let int = |bits: u32| {
                let scale = (1u64 << (bits - 1)) as f64;
                (f64::from(v) * scale).round().clamp(-scale, scale - 1.0) as i64
            };
            match self {
                Enc::U8 => out.push((int(8) + 128) as u8),
                Enc::I16 => out.extend_from_slice(&(int(16) as i16).to_le_bytes()),
                Enc::I24 => out.extend_from_slice(&(int(24) as i32).to_le_bytes()[..3]),
                Enc::I32 => out.extend_from_slice(&(int(32) as i32).to_le_bytes()),
                Enc::F32 => out.extend_from_slice(&v.to_le_bytes()),
                Enc::F64 => out.extend_from_slice(&f64::from(v).to_le_bytes()),
            }
        }
    }

    /// A chunk with its header and pad byte.
    fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
        chunk_sized(id, body.len() as u32, body)
    }

    /// A chunk whose header claims `size` bytes, whatever the body holds.
    fn chunk_sized(id: &[u8; 4], size: u32, body: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(body);
        if body.len() % 2 == 1 && size as usize == body.len() {
            out.push(0);
        }
        out
    }

    /// A RIFF/WAVE file made of `chunks`.
    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(&body);
        out
    }

    /// A 16-byte `fmt ` body with every field given.
    fn fmt_raw(tag: u16, channels: u16, rate: u32, block_align: u16, bits: u16) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate.wrapping_mul(u32::from(block_align))).to_le_bytes());
        out.extend_from_slice(&block_align.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out
    }

    /// A consistent 16-byte `fmt ` body.
    fn fmt_body(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
        fmt_raw(tag, channels, rate, channels.wrapping_mul(bits / 8), bits)
    }

    /// A 40-byte `WAVE_FORMAT_EXTENSIBLE` `fmt ` body.
    fn fmt_extensible(sub_tag: u16, channels: u16, rate: u32, bits: u16, valid: u16) -> Vec<u8> {
        let mut out = fmt_body(TAG_EXTENSIBLE, channels, rate, bits);
        out.extend_from_slice(&22u16.to_le_bytes());
        out.extend_from_slice(&valid.to_le_bytes());
        out.extend_from_slice(&3u32.to_le_bytes()); // channel mask
        out.extend_from_slice(&sub_tag.to_le_bytes());
        out.extend_from_slice(&[
            0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
        ]);
        out
    }

    /// Interleaved sample bytes.
    fn data_body(enc: Enc, channels: &[Vec<f32>]) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..channels[0].len() {
            for channel in channels {
                enc.encode(channel[i], &mut out);
            }
        }
        out
    }

    /// A complete WAV file.
    fn wav(enc: Enc, rate: u32, channels: &[Vec<f32>]) -> Vec<u8> {
        wav_with(enc, rate, channels, &[])
    }

    /// A complete WAV file with extra chunks between `fmt ` and `data`.
    fn wav_with(enc: Enc, rate: u32, channels: &[Vec<f32>], extra: &[Vec<u8>]) -> Vec<u8> {
        let mut chunks = vec![chunk(
            b"fmt ",
            &fmt_body(enc.tag(), channels.len() as u16, rate, enc.bits()),
        )];
        chunks.extend_from_slice(extra);
        chunks.push(chunk(b"data", &data_body(enc, channels)));
        riff(&chunks)
    }

    // ---- Signals -----------------------------------------------------------

    /// A deterministic pseudo-random generator (64-bit LCG).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as u32
        }

        fn below(&mut self, n: usize) -> usize {
            self.next() as usize % n.max(1)
        }

        /// Uniform in -1..1.
        fn signed(&mut self) -> f32 {
            self.next() as f32 / (1u64 << 30) as f32 - 1.0
        }
    }

    /// Test values covering the full scale.
    fn ramp(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = Lcg(seed);
        let mut v: Vec<f32> = (0..n).map(|_| rng.signed() * 0.99).collect();
        v[0] = -1.0;
        v[1] = 0.0;
        v
    }

    fn sine(freq: f64, rate: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (0.5 * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    /// Harmonics of a band-limited saw at `freq`: below Nyquist and 20 kHz.
    fn saw_harmonics(freq: f64, rate: u32) -> usize {
        ((f64::from(rate) / 2.0).min(20_000.0) / freq).floor() as usize
    }

    /// `sum_{k=1..=harmonics} sin(k * phase) / k`, by the Chebyshev recurrence.
    fn saw_value(phase: f64, harmonics: usize) -> f64 {
        let (s1, c) = (phase.sin(), phase.cos());
        let (mut prev, mut cur, mut sum) = (0.0, s1, 0.0);
        for k in 1..=harmonics {
            sum += cur / k as f64;
            let next = 2.0 * c * cur - prev;
            prev = cur;
            cur = next;
        }
        sum
    }

    /// A 1.5 s band-limited saw with a 0.1 s fade-in and a little noise.
    fn saw_recording(freq: f64, rate: u32, seed: u64) -> Vec<f32> {
        let harmonics = saw_harmonics(freq, rate);
        let n = (1.5 * f64::from(rate)) as usize;
        let fade = 0.1 * f64::from(rate);
        let mut rng = Lcg(seed);
        (0..n)
            .map(|i| {
                let phase = 2.0 * PI * freq * i as f64 / f64::from(rate);
                let gain = (i as f64 / fade).min(1.0);
                (0.4 * gain * saw_value(phase, harmonics)) as f32 + 0.005 * rng.signed()
            })
            .collect()
    }

    /// The ideal saw cycle at `CYCLE_LEN` samples.
    fn ideal_saw_cycle(harmonics: usize) -> Vec<f32> {
        let harmonics = harmonics.min(CYCLE_LEN / 2 - 1);
        (0..CYCLE_LEN)
            .map(|n| saw_value(2.0 * PI * n as f64 / CYCLE_LEN as f64, harmonics) as f32)
            .collect()
    }

    /// Pearson correlation of `a` with `b` circularly shifted by `shift`.
    fn correlation(a: &[f32], b: &[f32], shift: usize) -> f64 {
        let n = a.len();
        let (ma, mb) = (mean(a), mean(b));
        let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
        for i in 0..n {
            let x = f64::from(a[i]) - ma;
            let y = f64::from(b[(i + shift) % n]) - mb;
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        ab / (aa * bb).sqrt()
    }

    /// Best correlation over all circular shifts (coarse search, then refined).
    fn best_correlation(a: &[f32], b: &[f32]) -> f64 {
        let n = a.len();
        let (coarse, _) = (0..n)
            .step_by(8)
            .map(|s| (s, correlation(a, b, s)))
            .fold((0, f64::MIN), |best, c| if c.1 > best.1 { c } else { best });
        (0..17)
            .map(|d| correlation(a, b, (coarse + n + d - 8) % n))
            .fold(f64::MIN, f64::max)
    }

    fn mono(samples: Vec<f32>, rate: u32) -> WavAudio {
        WavAudio {
            sample_rate: rate,
            channels: vec![samples],
            clm_frame_size: None,
        }
    }

    fn max_error(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    // ---- Decoding ----------------------------------------------------------

    #[test]
    fn round_trips_every_format_mono_and_stereo() {
        for enc in ALL_ENCODINGS {
            for channel_count in [1usize, 2] {
                let channels: Vec<Vec<f32>> = (0..channel_count)
                    .map(|c| ramp(257, 7 + c as u64))
                    .collect();
                let audio = parse_wav(&wav(enc, 44_100, &channels)).expect("valid file");
                assert_eq!(audio.sample_rate, 44_100);
                assert_eq!(audio.clm_frame_size, None);
                assert_eq!(audio.channels.len(), channel_count);
                for (got, want) in audio.channels.iter().zip(&channels) {
                    let err = max_error(got, want);
                    assert!(err <= enc.tolerance(), "{enc:?}: error {err}");
                }
            }
        }
    }

    #[test]
    fn integer_scaling_is_exact_at_the_extremes() {
        let file = riff(&[
            chunk(b"fmt ", &fmt_body(TAG_PCM, 1, 8000, 8)),
            chunk(b"data", &[0, 128, 255]),
        ]);
        let audio = parse_wav(&file).expect("valid");
        assert_eq!(audio.channels[0], vec![-1.0, 0.0, 127.0 / 128.0]);
        let mut data = Vec::new();
        for v in [i32::MIN, 0, i32::MAX] {
            data.extend_from_slice(&v.to_le_bytes()[1..]);
        }
        let file = riff(&[
            chunk(b"fmt ", &fmt_body(TAG_PCM, 1, 8000, 24)),
            chunk(b"data", &data),
        ]);
        let audio = parse_wav(&file).expect("valid");
        assert_eq!(audio.channels[0][0], -1.0);
        assert_eq!(audio.channels[0][1], 0.0);
        assert!((audio.channels[0][2] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn extensible_headers_use_the_sub_format() {
        let channels = vec![ramp(100, 1), ramp(100, 2)];
        for enc in ALL_ENCODINGS {
            let file = riff(&[
                chunk(
                    b"fmt ",
                    &fmt_extensible(enc.tag(), 2, 48_000, enc.bits(), enc.bits()),
                ),
                chunk(b"data", &data_body(enc, &channels)),
            ]);
            let audio = parse_wav(&file).expect("valid extensible file");
            assert_eq!(audio.sample_rate, 48_000);
            for (got, want) in audio.channels.iter().zip(&channels) {
                assert!(max_error(got, want) <= enc.tolerance(), "{enc:?}");
            }
        }
        // 24 valid bits in a 32-bit container decode by the container.
        let file = riff(&[
            chunk(b"fmt ", &fmt_extensible(TAG_PCM, 2, 48_000, 32, 24)),
            chunk(b"data", &data_body(Enc::I32, &channels)),
        ]);
        let audio = parse_wav(&file).expect("valid");
        assert!(max_error(&audio.channels[1], &channels[1]) < 1e-6);
    }

    #[test]
    fn non_finite_floats_become_zero() {
        let values = vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.5];
        let audio = parse_wav(&wav(Enc::F32, 44_100, &[values])).expect("valid");
        assert_eq!(audio.channels[0], vec![0.0, 0.0, 0.0, 0.5]);
        let mut data = Vec::new();
        for v in [f64::NAN, 1e300, -0.25] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        let file = riff(&[
            chunk(b"fmt ", &fmt_body(TAG_FLOAT, 1, 44_100, 64)),
            chunk(b"data", &data),
        ]);
        assert_eq!(
            parse_wav(&file).expect("valid").channels[0],
            vec![0.0, 0.0, -0.25]
        );
    }

    #[test]
    fn riff_size_field_is_ignored_and_chunk_order_is_free() {
        let mut file = wav(Enc::I16, 22_050, &[ramp(50, 3)]);
        file[4..8].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(parse_wav(&file).expect("size 0").channels[0].len(), 50);
        file[4..8].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
        assert_eq!(
            parse_wav(&file).expect("garbage size").channels[0].len(),
            50
        );
        // data before fmt, unknown chunks skipped.
        let data = chunk(b"data", &data_body(Enc::I16, &[ramp(50, 3)]));
        let file = riff(&[
            chunk(b"LIST", b"INFOISFT\x04\x00\x00\x00abc\x00"),
            data,
            chunk(b"fmt ", &fmt_body(TAG_PCM, 1, 22_050, 16)),
        ]);
        assert_eq!(parse_wav(&file).expect("data first").channels[0].len(), 50);
    }

    #[test]
    fn odd_sized_chunks_are_padded() {
        // A 3-byte junk chunk (plus pad), then 5 bytes of 8-bit data (plus
        // pad), then a clm chunk that is only found if both pads are honoured.
        let samples = [0u8, 64, 128, 192, 255];
        let file = riff(&[
            chunk(b"junk", b"abc"),
            chunk(b"fmt ", &fmt_body(TAG_PCM, 1, 8000, 8)),
            chunk(b"data", &samples),
            chunk(b"clm ", b"<!>4 00000000"),
        ]);
        assert_eq!(file.len() % 2, 0);
        let audio = parse_wav(&file).expect("padded chunks");
        assert_eq!(audio.channels[0].len(), 5);
        assert_eq!(audio.clm_frame_size, Some(4));
    }

    #[test]
    fn data_running_past_the_end_keeps_whole_frames() {
        // 4 GB claimed, 10 bytes present: 5 frames of 16-bit mono.
        let mut file = riff(&[chunk(b"fmt ", &fmt_body(TAG_PCM, 1, 44_100, 16))]);
        file.extend_from_slice(&chunk_sized(b"data", u32::MAX, &[1; 10]));
        let audio = parse_wav(&file).expect("truncated data is accepted");
        assert_eq!(audio.channels[0].len(), 5);
        assert!(audio.channels[0].capacity() <= 5);
        // Stereo 24-bit: 10 bytes hold 1 whole frame (6 bytes).
        let mut file = riff(&[chunk(b"fmt ", &fmt_body(TAG_PCM, 2, 44_100, 24))]);
        file.extend_from_slice(&chunk_sized(b"data", u32::MAX, &[0; 10]));
        let audio = parse_wav(&file).expect("truncated data is accepted");
        assert_eq!(audio.channels, vec![vec![0.0], vec![0.0]]);
        // Not one whole frame: a clear error.
        let mut file = riff(&[chunk(b"fmt ", &fmt_body(TAG_PCM, 1, 44_100, 16))]);
        file.extend_from_slice(&chunk_sized(b"data", u32::MAX, &[1]));
        let err = parse_wav(&file).expect_err("no whole frame");
        assert!(matches!(err, ImportError::Truncated { .. }));
        assert_eq!(
            err.to_string(),
            "the file says it holds 4 GB of audio but is 45 bytes long"
        );
    }

    #[test]
    fn trailing_garbage_after_a_complete_file_is_ignored() {
        let mut file = wav(Enc::I16, 44_100, &[ramp(40, 5)]);
        file.extend_from_slice(b"TAG\x7f\xff\xff\xffgarbage");
        assert_eq!(
            parse_wav(&file).expect("trailing junk").channels[0].len(),
            40
        );
        // Zero padding after the audio (many tiny chunks) is fine too.
        let mut file = wav(Enc::I16, 44_100, &[ramp(40, 5)]);
        file.extend(std::iter::repeat_n(0u8, 8 * (MAX_CHUNKS + 5)));
        assert_eq!(
            parse_wav(&file).expect("zero padding").channels[0].len(),
            40
        );
    }

    #[test]
    fn malformed_inputs_are_errors() {
        let fmt16 = chunk(b"fmt ", &fmt_body(TAG_PCM, 1, 44_100, 16));
        let data = chunk(b"data", &[0, 0, 0, 64, 0, 192, 0, 0]);
        let with_fmt = |body: Vec<u8>| riff(&[chunk(b"fmt ", &body), data.clone()]);
        let with_clm = |text: &[u8]| riff(&[fmt16.clone(), chunk(b"clm ", text), data.clone()]);
        let mut junk = vec![fmt16.clone()];
        junk.extend(std::iter::repeat_n(chunk(b"junk", &[]), MAX_CHUNKS + 1));
        junk.push(data.clone());
        let mut wrong_magic = with_fmt(fmt_body(TAG_PCM, 1, 44_100, 16));
        wrong_magic[8..12].copy_from_slice(b"AVI ");
        let mut rifx = with_fmt(fmt_body(TAG_PCM, 1, 44_100, 16));
        rifx[0..4].copy_from_slice(b"RIFX");
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("RIFF only", b"RIFF".to_vec()),
            ("header only", b"RIFF\x04\x00\x00\x00WAVE".to_vec()),
            ("wrong magic", wrong_magic),
            ("big-endian RIFX", rifx),
            ("fmt missing", riff(std::slice::from_ref(&data))),
            ("data missing", riff(std::slice::from_ref(&fmt16))),
            (
                "fmt too short",
                with_fmt(fmt_body(TAG_PCM, 1, 44_100, 16)[..14].to_vec()),
            ),
            ("zero channels", with_fmt(fmt_body(TAG_PCM, 0, 44_100, 16))),
            (
                "65535 channels",
                with_fmt(fmt_raw(TAG_PCM, 65_535, 44_100, 2, 16)),
            ),
            ("17 channels", with_fmt(fmt_body(TAG_PCM, 17, 44_100, 16))),
            ("zero sample rate", with_fmt(fmt_body(TAG_PCM, 1, 0, 16))),
            (
                "absurd sample rate",
                with_fmt(fmt_body(TAG_PCM, 1, 1_536_001, 16)),
            ),
            ("0 bits", with_fmt(fmt_raw(TAG_PCM, 1, 44_100, 2, 0))),
            ("7 bits", with_fmt(fmt_raw(TAG_PCM, 1, 44_100, 1, 7))),
            ("12 bits", with_fmt(fmt_raw(TAG_PCM, 1, 44_100, 2, 12))),
            ("40 bits", with_fmt(fmt_body(TAG_PCM, 1, 44_100, 40))),
            (
                "block align mismatch",
                with_fmt(fmt_raw(TAG_PCM, 2, 44_100, 2, 16)),
            ),
            ("ADPCM", with_fmt(fmt_body(2, 1, 44_100, 4))),
            (
                "float 16 bits",
                with_fmt(fmt_body(TAG_FLOAT, 1, 44_100, 16)),
            ),
            (
                "float 24 bits",
                with_fmt(fmt_body(TAG_FLOAT, 1, 44_100, 24)),
            ),
            (
                "extensible too short",
                with_fmt(fmt_body(TAG_EXTENSIBLE, 1, 44_100, 16)),
            ),
            (
                "extensible ADPCM",
                with_fmt(fmt_extensible(2, 1, 44_100, 16, 16)),
            ),
            (
                "non-data chunk past the end",
                riff(&[
                    chunk_sized(b"LIST", 1000, b"INFO"),
                    fmt16.clone(),
                    data.clone(),
                ]),
            ),
            (
                "fmt chunk past the end",
                riff(&[chunk_sized(b"fmt ", 100, &fmt_body(TAG_PCM, 1, 44_100, 16))]),
            ),
            ("empty data", riff(&[fmt16.clone(), chunk(b"data", &[])])),
            ("clm <!>0", with_clm(b"<!>0 wavetable")),
            ("clm <!>abc", with_clm(b"<!>abc")),
            ("clm <!>3", with_clm(b"<!>3")),
            ("clm <!>65537", with_clm(b"<!>65537")),
            ("clm overflow", with_clm(b"<!>99999999999999999999999999")),
            ("clm empty number", with_clm(b"<!>")),
            ("10001 junk chunks", riff(&junk)),
        ];
        assert!(cases.len() >= 20);
        for (name, bytes) in cases {
            match parse_wav(&bytes) {
                Ok(audio) => panic!("{name}: parsed as {audio:?}"),
                Err(err) => assert!(!err.to_string().is_empty(), "{name}"),
            }
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let fmt_err = |body: Vec<u8>| {
            parse_wav(&riff(&[chunk(b"fmt ", &body), chunk(b"data", &[0; 8])]))
                .expect_err("bad fmt")
        };
        assert_eq!(
            fmt_err(fmt_body(TAG_FLOAT, 1, 44_100, 24)).to_string(),
            "24-bit float WAV is not a format (float WAV files are 32 or 64-bit)"
        );
        assert!(matches!(
            fmt_err(fmt_raw(TAG_PCM, 65_535, 44_100, 2, 16)),
            ImportError::TooManyChannels { channels: 65_535 }
        ));
        assert!(matches!(
            fmt_err(fmt_body(TAG_PCM, 1, 0, 16)),
            ImportError::BadSampleRate { rate: 0 }
        ));
        assert!(fmt_err(fmt_body(2, 1, 44_100, 4))
            .to_string()
            .contains("ADPCM-compressed (format tag 0x0002)"));
        assert!(matches!(parse_wav(b"RIFF"), Err(ImportError::NotWav)));
        assert_eq!(
            ImportError::NotWav.to_string(),
            "the file is not a WAV (no RIFF/WAVE header)"
        );
        let truncated = ImportError::Truncated {
            claimed: u64::from(u32::MAX),
            file_len: 1229,
        };
        assert_eq!(
            truncated.to_string(),
            "the file says it holds 4 GB of audio but is 1.2 kB long"
        );
        let too_large = ImportError::TooLarge {
            size: 100 * 1024 * 1024,
        };
        assert_eq!(
            too_large.to_string(),
            "the file is 100 MB long; WAV imports are limited to 64 MB"
        );
        let err = parse_wav(&riff(&[
            chunk(b"fmt ", &fmt_body(TAG_PCM, 1, 44_100, 16)),
            chunk(b"clm ", b"<!>abc"),
        ]))
        .expect_err("bad clm");
        assert!(err.to_string().contains("\"abc\""), "{err}");
    }

    #[test]
    fn oversized_input_is_refused() {
        let huge = vec![0u8; MAX_WAV_BYTES as usize + 1];
        assert!(matches!(
            parse_wav(&huge),
            Err(ImportError::TooLarge { .. })
        ));
    }

    // ---- Interpretation ----------------------------------------------------

    #[test]
    fn clm_chunk_gives_a_table() {
        let frame_size = 256;
        let samples: Vec<f32> = (0..3 * frame_size + 100)
            .map(|i| ((i / frame_size) as f32 + 1.0) * 0.2 * (i as f32 * 0.1).sin())
            .collect();
        let clm = chunk(b"clm ", b"<!>256 10000000 wavetable (www.xferrecords.com)");
        let audio = parse_wav(&wav_with(
            Enc::F32,
            44_100,
            std::slice::from_ref(&samples),
            &[clm],
        ))
        .expect("valid");
        assert_eq!(audio.clm_frame_size, Some(256));
        let Ok(Imported::Table {
            frame_size: size,
            frames,
        }) = interpret(&audio)
        else {
            panic!("expected a table");
        };
        assert_eq!(size, 256);
        assert_eq!(frames.len(), 3, "the partial last frame is dropped");
        for (i, frame) in frames.iter().enumerate() {
            assert_eq!(frame.as_slice(), &samples[i * 256..(i + 1) * 256]);
        }
    }

    #[test]
    fn stereo_table_is_mixed_and_long_tables_keep_256_frames() {
        let left: Vec<f32> = (0..4 * 300).map(|i| (i % 4) as f32 * 0.25).collect();
        let right = vec![0.0; left.len()];
        let clm = chunk(b"clm ", b"<!>4");
        let audio = parse_wav(&wav_with(Enc::F32, 44_100, &[left, right], &[clm])).expect("valid");
        let Ok(Imported::Table { frame_size, frames }) = interpret(&audio) else {
            panic!("expected a table");
        };
        assert_eq!(frame_size, 4);
        assert_eq!(frames.len(), MAX_TABLE_FRAMES);
        assert_eq!(frames[255], vec![0.0, 0.125, 0.25, 0.375]);
    }

    #[test]
    fn table_shorter_than_one_frame_is_an_error() {
        let clm = chunk(b"clm ", b"<!>2048 ");
        let audio =
            parse_wav(&wav_with(Enc::I16, 44_100, &[ramp(1000, 1)], &[clm])).expect("valid");
        assert!(matches!(
            interpret(&audio),
            Err(ImportError::TableTooShort {
                frame_size: 2048,
                samples: 1000
            })
        ));
        let mut bad = audio.clone();
        bad.clm_frame_size = Some(2);
        assert!(matches!(
            interpret(&bad),
            Err(ImportError::ClmFrameSize { .. })
        ));
    }

    #[test]
    fn clm_without_marker_is_ignored() {
        let samples = sine(441.0, 44_100, 600);
        let clm = chunk(b"clm ", b"2048 10000000 wavetable");
        let audio = parse_wav(&wav_with(
            Enc::F32,
            44_100,
            std::slice::from_ref(&samples),
            &[clm],
        ))
        .expect("valid");
        assert_eq!(audio.clm_frame_size, None);
        assert_eq!(
            interpret(&audio).expect("a cycle"),
            Imported::Cycle(samples)
        );
    }

    #[test]
    fn short_file_is_one_cycle_of_the_mono_mix() {
        let left = sine(100.0, 44_100, 441);
        let right: Vec<f32> = left.iter().map(|v| -0.5 * v).collect();
        let audio = parse_wav(&wav(Enc::F32, 44_100, &[left.clone(), right])).expect("valid");
        let Ok(Imported::Cycle(cycle)) = interpret(&audio) else {
            panic!("expected a cycle");
        };
        let want: Vec<f32> = left.iter().map(|v| 0.25 * v).collect();
        assert!(max_error(&cycle, &want) < 1e-7);
        // Exactly MAX_SINGLE_CYCLE samples is still one cycle.
        let audio = mono(sine(10.0, 44_100, MAX_SINGLE_CYCLE), 44_100);
        assert!(matches!(interpret(&audio), Ok(Imported::Cycle(c)) if c.len() == MAX_SINGLE_CYCLE));
    }

    #[test]
    fn hot_float_audio_is_scaled_to_full_scale() {
        let samples: Vec<f32> = sine(100.0, 44_100, 441).iter().map(|v| v * 8.0).collect();
        let Ok(Imported::Cycle(cycle)) = interpret(&mono(samples, 44_100)) else {
            panic!("expected a cycle");
        };
        let peak = cycle.iter().fold(0.0f32, |p, v| p.max(v.abs()));
        assert!((peak - 1.0).abs() < 1e-6);
    }

    #[test]
    fn silent_constant_or_tiny_files_are_errors() {
        for samples in [vec![0.0; 600], vec![0.3; 600], vec![0.0; 20_000]] {
            assert!(matches!(
                interpret(&mono(samples, 44_100)),
                Err(ImportError::Silent)
            ));
        }
        assert!(matches!(
            interpret(&mono(vec![0.1, -0.1, 0.2], 44_100)),
            Err(ImportError::CycleTooShort { samples: 3 })
        ));
        assert!(matches!(
            interpret(&mono(Vec::new(), 44_100)),
            Err(ImportError::EmptyAudio)
        ));
        let no_channels = WavAudio {
            sample_rate: 44_100,
            channels: Vec::new(),
            clm_frame_size: None,
        };
        assert!(matches!(
            interpret(&no_channels),
            Err(ImportError::ZeroChannels)
        ));
        let ragged = WavAudio {
            sample_rate: 44_100,
            channels: vec![vec![0.1; 10], vec![0.1; 11]],
            clm_frame_size: None,
        };
        assert!(matches!(
            interpret(&ragged),
            Err(ImportError::ChannelLengthMismatch)
        ));
        assert!(matches!(
            interpret(&mono(vec![0.1; 10], 0)),
            Err(ImportError::BadSampleRate { rate: 0 })
        ));
    }

    #[test]
    fn noise_has_no_steady_pitch() {
        let mut rng = Lcg(99);
        let noise: Vec<f32> = (0..44_100).map(|_| 0.5 * rng.signed()).collect();
        assert!(matches!(
            interpret(&mono(noise, 44_100)),
            Err(ImportError::NoSteadyPitch)
        ));
    }

    /// Checks a saw recording imports with the right pitch and clean cycles.
    fn check_saw_recording(freq: f64, rate: u32) {
        let recording = saw_recording(freq, rate, 1234);
        let file = wav(Enc::I24, rate, &[recording]);
        let audio = parse_wav(&file).expect("valid");
        let Ok(Imported::Recording { f0_hz, cycles }) = interpret(&audio) else {
            panic!("{freq} Hz at {rate} Hz: expected a recording");
        };
        let error = (f64::from(f0_hz) / freq - 1.0).abs();
        assert!(error < 0.002, "{freq} Hz at {rate} Hz: detected {f0_hz} Hz");
        assert!(cycles.len() >= 32, "only {} cycles", cycles.len());
        assert!(cycles.len() <= MAX_RECORDING_CYCLES);
        let ideal = ideal_saw_cycle(saw_harmonics(freq, rate));
        for (i, cycle) in cycles.iter().enumerate() {
            assert_eq!(cycle.len(), CYCLE_LEN);
            let r = best_correlation(cycle, &ideal);
            assert!(r > 0.99, "{freq} Hz at {rate} Hz: cycle {i} correlates {r}");
        }
    }

    #[test]
    fn saw_110_hz_at_44k1() {
        check_saw_recording(110.0, 44_100);
    }

    #[test]
    fn saw_261_hz_at_44k1() {
        check_saw_recording(261.63, 44_100);
    }

    #[test]
    fn saw_110_hz_at_96k() {
        check_saw_recording(110.0, 96_000);
    }

    #[test]
    fn saw_261_hz_at_96k() {
        check_saw_recording(261.63, 96_000);
    }

    #[test]
    fn saw_30_hz_at_96k_is_downsampled_into_cycles() {
        // A period of 3200 samples: cycles are band-limited to 2048 samples.
        check_saw_recording(30.0, 96_000);
    }

    #[test]
    fn saw_220_hz_at_192k() {
        check_saw_recording(220.0, 192_000);
    }

    #[test]
    fn recording_cycles_start_at_rising_zero_crossings() {
        let audio = mono(sine(200.0, 48_000, 48_000), 48_000);
        let Ok(Imported::Recording { cycles, .. }) = interpret(&audio) else {
            panic!("expected a recording");
        };
        for cycle in &cycles {
            assert!(cycle[0].abs() < 0.01, "starts at {}", cycle[0]);
            assert!(cycle[10] > 0.0, "starts rising");
        }
    }

    #[test]
    fn fft_difference_function_matches_the_direct_sum() {
        let x: Vec<f64> = (0..3000)
            .map(|i| ((i * 7919) % 1000) as f64 / 500.0 - 1.0 + (i as f64 * 0.05).sin())
            .collect();
        let (width, lags) = (2000, 900);
        let fast = difference_function(&x, width, lags);
        for tau in [0usize, 1, 2, 17, 450, 899] {
            let direct: f64 = (0..width).map(|j| (x[j] - x[j + tau]).powi(2)).sum();
            assert!(
                (fast[tau] - direct).abs() <= 1e-9 * direct.max(1.0),
                "tau {tau}: {} vs {direct}",
                fast[tau]
            );
        }
    }

    #[test]
    fn yin_finds_a_sine() {
        let samples = sine(440.0, 48_000, 8192);
        let f0 = yin_pitch(&samples, 48_000).expect("a pitch");
        assert!((f64::from(f0) / 440.0 - 1.0).abs() < 0.001, "{f0}");
        for freq in [25.0, 82.41, 1000.0, 3900.0] {
            let f0 = yin_pitch(&sine(freq, 44_100, 8192), 44_100).expect("a pitch");
            assert!((f64::from(f0) / freq - 1.0).abs() < 0.002, "{freq}: {f0}");
        }
    }

    #[test]
    fn yin_rejects_unclear_input() {
        assert_eq!(yin_pitch(&[], 48_000), None);
        assert_eq!(yin_pitch(&sine(440.0, 48_000, 8192), 0), None);
        assert_eq!(yin_pitch(&[0.0; 8192], 48_000), None);
        assert_eq!(yin_pitch(&[f32::NAN; 8192], 48_000), None);
        assert_eq!(yin_pitch(&sine(10.0, 40, 400), 40), None);
        let mut rng = Lcg(5);
        let noise: Vec<f32> = (0..8192).map(|_| rng.signed()).collect();
        assert_eq!(yin_pitch(&noise, 48_000), None);
        // Any rate, any length: no panic.
        for rate in [1, 79, 80, 1000, 1_536_000, u32::MAX] {
            for len in [0, 1, 5, 100, 3000] {
                let _ = yin_pitch(&sine(50.0, rate.max(1), len), rate);
            }
        }
    }

    // ---- Files -------------------------------------------------------------

    #[test]
    fn reads_and_imports_files() {
        let dir = std::env::temp_dir().join(format!("wav-import-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("cycle.wav");
        let samples = sine(100.0, 44_100, 441);
        std::fs::write(&path, wav(Enc::F32, 44_100, std::slice::from_ref(&samples)))
            .expect("write");
        assert_eq!(read_wav_file(&path).expect("read").channels[0], samples);
        assert_eq!(
            import_file(&path).expect("import"),
            Imported::Cycle(samples)
        );
        let missing = dir.join("missing.wav");
        let err = read_wav_file(&missing).expect_err("missing file");
        assert!(matches!(err, ImportError::Io { .. }));
        assert!(err.to_string().contains("missing.wav"), "{err}");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    // ---- Robustness --------------------------------------------------------

    /// Parses and, when that works, interprets; neither may panic.
    fn parse_and_interpret(bytes: &[u8]) {
        if let Ok(audio) = parse_wav(bytes) {
            let _ = interpret(&audio);
        }
    }

    /// A random file that gets past the RIFF header most of the time.
    fn random_file(rng: &mut Lcg) -> Vec<u8> {
        if rng.below(4) == 0 {
            let len = rng.below(600);
            return (0..len).map(|_| rng.next() as u8).collect();
        }
        let mut chunks = Vec::new();
        let count = rng.below(6);
        // Half the files get a fmt chunk first and a data chunk last, so the
        // decoder and interpreter run too.
        let framed = rng.below(2) == 0;
        for i in 0..count + 2 * usize::from(framed) {
            let id: &[u8; 4] = match rng.below(6) {
                _ if framed && i == 0 => b"fmt ",
                _ if framed && i == count + 1 => b"data",
                0 | 1 => b"fmt ",
                2 => b"data",
                3 => b"clm ",
                4 => b"LIST",
                _ => b"\xff\x00ab",
            };
            let mut body: Vec<u8> = if id == b"fmt " && rng.below(3) > 0 {
                let tag = [1, 1, 3, 3, 0xFFFE, 2, rng.next() as u16][rng.below(7)];
                let channels = [0, 1, 1, 2, 3, 17][rng.below(6)];
                let rate = [0, 8000, 44_100, 44_100, 1_536_000, rng.next()][rng.below(6)];
                let bits = [0, 8, 16, 24, 32, 32, 64, 12][rng.below(8)];
                let mut body = fmt_body(tag, channels, rate, bits);
                if tag == 0xFFFE && rng.below(2) == 0 {
                    body = fmt_extensible([1, 3, 2][rng.below(3)], channels, rate, bits, bits);
                }
                body
            } else if id == b"clm " {
                let n = rng.next() % 100_000;
                format!("<!>{n} ").into_bytes()
            } else if id == b"data" {
                (0..rng.below(400)).map(|_| rng.next() as u8).collect()
            } else {
                (0..rng.below(64)).map(|_| rng.next() as u8).collect()
            };
            if rng.below(8) == 0 {
                body.truncate(rng.below(body.len() + 1));
            }
            let size = if rng.below(6) == 0 {
                rng.next()
            } else {
                body.len() as u32
            };
            chunks.push(chunk_sized(id, size, &body));
        }
        riff(&chunks)
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Lcg(0x5EED);
        for _ in 0..2000 {
            let bytes = random_file(&mut rng);
            parse_and_interpret(&bytes);
        }
    }

    #[test]
    fn corrupted_files_never_panic() {
        let mut rng = Lcg(0xC0FFEE);
        let stereo = wav(Enc::I16, 44_100, &[ramp(300, 1), ramp(300, 2)]);
        let table = wav_with(
            Enc::F32,
            44_100,
            &[ramp(64 * 3, 3)],
            &[chunk(b"clm ", b"<!>64 wavetable")],
        );
        let extensible = riff(&[
            chunk(b"fmt ", &fmt_extensible(TAG_PCM, 1, 48_000, 24, 24)),
            chunk(b"data", &data_body(Enc::I24, &[ramp(200, 4)])),
        ]);
        let bases = [stereo, table, extensible];
        for i in 0..2000 {
            let mut bytes = bases[i % bases.len()].clone();
            match rng.below(3) {
                0 => {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
                1 => bytes.truncate(rng.below(bytes.len())),
                _ => {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                    bytes.truncate(rng.below(bytes.len()) + 1);
                }
            }
            parse_and_interpret(&bytes);
        }
    }

    #[test]
    fn corrupted_recordings_never_panic() {
        let mut rng = Lcg(42);
        let base = wav(Enc::I16, 8000, &[sine(150.0, 8000, 6000)]);
        for _ in 0..40 {
            let mut bytes = base.clone();
            // Mostly the header, sometimes the audio.
            let at = if rng.below(2) == 0 {
                rng.below(44)
            } else {
                rng.below(bytes.len())
            };
            bytes[at] = rng.next() as u8;
            parse_and_interpret(&bytes);
        }
    }

    #[test]
    fn human_sizes_read_well() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1), "1 byte");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1024), "1 kB");
        assert_eq!(human_bytes(1229), "1.2 kB");
        assert_eq!(human_bytes(MAX_WAV_BYTES), "64 MB");
        assert_eq!(human_bytes(u64::from(u32::MAX)), "4 GB");
    }
}
