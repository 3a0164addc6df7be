//! WAV file output (32-bit IEEE float, written with `hound`) and a reader for
//! whole files, for the `nwt` command-line tool and the tests. Reading goes
//! through the one bounded WAV parser of [`crate::wav_import`].

use std::path::{Path, PathBuf};

use hound::{SampleFormat, WavSpec, WavWriter};

/// Most sample data bytes a WAV file can hold: RIFF sizes are 32-bit, and the
/// header (at most a few dozen bytes) counts towards the limit too.
const MAX_DATA_BYTES: u64 = u32::MAX as u64 - 4096;

/// Why a WAV file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// The channels of a stereo write have different lengths.
    #[error("left channel has {left} samples but right channel has {right}")]
    ChannelLengthMismatch {
        /// Samples in the left channel.
        left: usize,
        /// Samples in the right channel.
        right: usize,
    },
    /// A sample rate of 0 Hz was given to a writer or found in a file.
    #[error("sample rate must be greater than 0 Hz")]
    ZeroSampleRate,
    /// The audio does not fit into a WAV file's 4 GiB data limit.
    #[error("{frames} frames of {channels}-channel 32-bit audio exceed the 4 GiB WAV size limit")]
    TooLong {
        /// Frames (samples per channel) requested.
        frames: usize,
        /// Channel count.
        channels: u16,
    },
    /// Creating or writing the file failed.
    #[error("cannot write WAV file {}: {source}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: hound::Error,
    },
    /// Opening or decoding the file failed.
    #[error("cannot read WAV file {}: {source}", path.display())]
    Read {
        /// The file being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: crate::wav_import::ImportError,
    },
    /// Writing a wavetable file failed.
    #[error("cannot write wavetable file {}: {source}", path.display())]
    WriteTable {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A wavetable needs 1..=256 frames of equal length.
    #[error("a wavetable needs 1..=256 frames of {frame_len} samples, got {frames}")]
    BadTable {
        /// Frames given.
        frames: usize,
        /// Samples per frame expected.
        frame_len: usize,
    },
    /// The file holds a sample format this reader does not convert.
    #[error("WAV file {} has unsupported {bits}-bit {format} samples", path.display())]
    UnsupportedFormat {
        /// The file being read.
        path: PathBuf,
        /// Bits per sample.
        bits: u16,
        /// "integer" or "float".
        format: &'static str,
    },
}

/// Writes interleaved stereo 32-bit float WAV; `left` and `right` must have
/// the same length. Samples are stored as given (no clipping).
pub fn write_stereo_f32(
    path: &Path,
    sample_rate: u32,
    left: &[f32],
    right: &[f32],
) -> Result<(), WavError> {
    if left.len() != right.len() {
        return Err(WavError::ChannelLengthMismatch {
            left: left.len(),
            right: right.len(),
        });
    }
    let frames = left.iter().zip(right).flat_map(|(&l, &r)| [l, r]);
    write_f32(path, sample_rate, 2, left.len(), frames)
}

/// Writes mono 32-bit float WAV. Samples are stored as given (no clipping).
pub fn write_mono_f32(path: &Path, sample_rate: u32, samples: &[f32]) -> Result<(), WavError> {
    write_f32(path, sample_rate, 1, samples.len(), samples.iter().copied())
}

/// Writes `frames` frames of interleaved float samples.
fn write_f32(
    path: &Path,
    sample_rate: u32,
    channels: u16,
    frames: usize,
    interleaved: impl Iterator<Item = f32>,
) -> Result<(), WavError> {
    check_write_size(sample_rate, channels, frames)?;
    let spec = WavSpec {
        channels,
        sample_rate,
        bits_per_sample: 32,
        sample_format: SampleFormat::Float,
    };
    let write_error = |source| WavError::Write {
        path: path.to_owned(),
        source,
    };
    let mut writer = WavWriter::create(path, spec).map_err(write_error)?;
    for sample in interleaved {
        writer.write_sample(sample).map_err(write_error)?;
    }
    writer.finalize().map_err(write_error)
}

/// Rejects a zero sample rate and audio too long for the WAV format.
fn check_write_size(sample_rate: u32, channels: u16, frames: usize) -> Result<(), WavError> {
    if sample_rate == 0 {
        return Err(WavError::ZeroSampleRate);
    }
    let bytes = (frames as u64)
        .checked_mul(u64::from(channels) * 4)
        .filter(|bytes| *bytes <= MAX_DATA_BYTES);
    match bytes {
        Some(_) => Ok(()),
        None => Err(WavError::TooLong { frames, channels }),
    }
}

/// Reads a PCM (8/16/24/32-bit integer) or 32-bit float WAV file (with the
/// bounds and checks of [`crate::wav_import::read_wav_file`]).
///
/// Returns the sample rate and one `Vec` per channel. Integer samples are
/// scaled to -1..1; float samples are returned as they are (non-finite ones
/// as 0).
pub fn read_wav(path: &Path) -> Result<(u32, Vec<Vec<f32>>), WavError> {
    let audio = crate::wav_import::read_wav_file(path).map_err(|source| WavError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok((audio.sample_rate, audio.channels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A temporary file path unique to this process and call; removed on drop.
    struct TempPath(PathBuf);

    impl TempPath {
        fn new(name: &str) -> TempPath {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let file = format!("nwt-wav-test-{}-{n}-{name}.wav", std::process::id());
            TempPath(std::env::temp_dir().join(file))
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn test_signal(len: usize, phase: f32) -> Vec<f32> {
        let mut samples: Vec<f32> = (0..len)
            .map(|i| (i as f32 * 0.1 + phase).sin() * 0.9)
            .collect();
        samples.extend_from_slice(&[-1.0, 1.0, 0.0, -0.0, 1e-38, 1.5, -2.25, f32::MIN_POSITIVE]);
        samples
    }

    #[test]
    fn stereo_round_trip_is_exact() {
        let path = TempPath::new("stereo");
        let left = test_signal(1000, 0.0);
        let right = test_signal(1000, 1.0);
        write_stereo_f32(&path.0, 48_000, &left, &right).unwrap();
        let (rate, channels) = read_wav(&path.0).unwrap();
        assert_eq!(rate, 48_000);
        assert_eq!(channels.len(), 2);
        assert_eq!(bits(&channels[0]), bits(&left));
        assert_eq!(bits(&channels[1]), bits(&right));
        let spec = hound::WavReader::open(&path.0).unwrap().spec();
        assert_eq!(
            (spec.bits_per_sample, spec.sample_format),
            (32, SampleFormat::Float)
        );
    }

    fn bits(samples: &[f32]) -> Vec<u32> {
        samples.iter().map(|s| s.to_bits()).collect()
    }

    #[test]
    fn mono_round_trip_is_exact() {
        let path = TempPath::new("mono");
        let samples = test_signal(777, 0.5);
        write_mono_f32(&path.0, 44_100, &samples).unwrap();
        let (rate, channels) = read_wav(&path.0).unwrap();
        assert_eq!(rate, 44_100);
        assert_eq!(channels.len(), 1);
        assert_eq!(bits(&channels[0]), bits(&samples));
    }

    #[test]
    fn empty_audio_writes_and_reads_back_as_holding_no_audio() {
        let path = TempPath::new("empty");
        write_stereo_f32(&path.0, 22_050, &[], &[]).unwrap();
        assert!(matches!(
            read_wav(&path.0),
            Err(WavError::Read {
                source: crate::wav_import::ImportError::EmptyAudio,
                ..
            })
        ));
    }

    #[test]
    fn bad_write_arguments_are_errors() {
        let path = TempPath::new("bad-args");
        assert!(matches!(
            write_stereo_f32(&path.0, 48_000, &[0.0; 3], &[0.0; 2]),
            Err(WavError::ChannelLengthMismatch { left: 3, right: 2 })
        ));
        assert!(matches!(
            write_mono_f32(&path.0, 0, &[0.0]),
            Err(WavError::ZeroSampleRate)
        ));
        assert!(matches!(
            check_write_size(48_000, 2, usize::MAX),
            Err(WavError::TooLong { .. })
        ));
        assert!(check_write_size(48_000, 2, 500_000_000).is_ok());
        assert!(!path.0.exists());
    }

    #[test]
    fn unwritable_path_is_an_error() {
        let dir = TempPath::new("missing-dir");
        let path = dir.0.join("out.wav");
        let error = write_mono_f32(&path, 48_000, &[0.0]).unwrap_err();
        assert!(matches!(error, WavError::Write { .. }));
        assert!(error.to_string().contains("out.wav"), "{error}");
    }

    /// Writes integer samples with hound directly.
    fn write_int(path: &Path, bits: u16, channels: u16, samples: &[i32]) {
        let spec = WavSpec {
            channels,
            sample_rate: 8_000,
            bits_per_sample: bits,
            sample_format: SampleFormat::Int,
        };
        let mut writer = WavWriter::create(path, spec).unwrap();
        for &sample in samples {
            writer.write_sample(sample).unwrap();
        }
        writer.finalize().unwrap();
    }

    #[test]
    fn integer_files_are_scaled_to_unit_range() {
        let cases: [(u16, &[i32], &[f32]); 4] = [
            (8, &[-128, 0, 64, 127], &[-1.0, 0.0, 0.5, 127.0 / 128.0]),
            (
                16,
                &[-32768, 0, 16384, 32767],
                &[-1.0, 0.0, 0.5, 32767.0 / 32768.0],
            ),
            (
                24,
                &[-8_388_608, 0, -4_194_304, 8_388_607],
                &[-1.0, 0.0, -0.5, 8_388_607.0 / 8_388_608.0],
            ),
            (
                32,
                &[i32::MIN, 0, 1 << 30, -(1 << 29)],
                &[-1.0, 0.0, 0.5, -0.25],
            ),
        ];
        for (bit_depth, raw, expected) in cases {
            let path = TempPath::new(&format!("int{bit_depth}"));
            // Stereo: even samples left, odd samples right.
            write_int(&path.0, bit_depth, 2, raw);
            let (rate, channels) = read_wav(&path.0).unwrap();
            assert_eq!(rate, 8_000);
            assert_eq!(
                channels,
                vec![
                    vec![expected[0], expected[2]],
                    vec![expected[1], expected[3]]
                ]
            );
        }
    }

    #[test]
    fn unreadable_files_are_errors() {
        let missing = TempPath::new("missing");
        assert!(matches!(read_wav(&missing.0), Err(WavError::Read { .. })));

        let garbage = TempPath::new("garbage");
        std::fs::write(&garbage.0, b"RIFF\x10\0\0\0WAVEnot really a wav file").unwrap();
        assert!(matches!(read_wav(&garbage.0), Err(WavError::Read { .. })));

        let truncated = TempPath::new("truncated");
        write_mono_f32(&truncated.0, 48_000, &[0.25; 100]).unwrap();
        let bytes = std::fs::read(&truncated.0).unwrap();
        for len in [0, 4, 12, 30, 44] {
            std::fs::write(&truncated.0, &bytes[..len]).unwrap();
            assert!(read_wav(&truncated.0).is_err(), "prefix of {len} bytes");
        }
        // Data cut short keeps its whole samples (the import's rule).
        std::fs::write(&truncated.0, &bytes[..bytes.len() - 3]).unwrap();
        let (_, channels) = read_wav(&truncated.0).unwrap();
        assert_eq!(channels[0], vec![0.25; 99]);
    }
}

/// The gain [`write_wavetable`] applies to `frames`: `1 / peak` when they
/// peak above full scale, else 1.
pub fn wavetable_gain(frames: &[Vec<f32>]) -> f32 {
    let peak = frames.iter().flatten().fold(
        0.0f32,
        |m, x| if x.is_finite() { m.max(x.abs()) } else { m },
    );
    if peak > 1.0 {
        1.0 / peak
    } else {
        1.0
    }
}

/// Samples per frame in the wavetable files this tool writes.
pub const TABLE_FRAME_LEN: usize = 2048;

/// Writes a wavetable: mono 32-bit float WAV, `frames` of 2048 samples one
/// after another, with a `clm ` chunk `<!>2048 ...` that Serum, Vital and
/// Surge read as the frame size. A table peaking above full scale (a neural
/// table with Even Loudness, whose peaky frames were brought up to the
/// others' loudness) is scaled as a whole to peak at 1.0
/// ([`wavetable_gain`]): those synths, and this one's importer, read a float
/// table that way, so the file keeps the frames' relative levels.
pub fn write_wavetable(path: &Path, sample_rate: u32, frames: &[Vec<f32>]) -> Result<(), WavError> {
    if frames.is_empty() || frames.len() > 256 || frames.iter().any(|f| f.len() != TABLE_FRAME_LEN)
    {
        return Err(WavError::BadTable {
            frames: frames.len(),
            frame_len: TABLE_FRAME_LEN,
        });
    }
    if sample_rate == 0 {
        return Err(WavError::ZeroSampleRate);
    }
    // An even-length text, so no reader has to honour the RIFF pad byte.
    let clm: &[u8] = b"<!>2048 00000000 wavetable (Neural Wavetable) ";
    let data_len = (frames.len() * TABLE_FRAME_LEN * 4) as u32;
    let clm_len = clm.len() as u32;
    let padded_clm = clm_len + (clm_len & 1);
    let mut out = Vec::with_capacity(data_len as usize + 128);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(4 + (8 + 16) + (8 + padded_clm) + (8 + data_len)).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 4).to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(b"clm ");
    out.extend_from_slice(&clm_len.to_le_bytes());
    out.extend_from_slice(clm);
    if clm_len & 1 == 1 {
        out.push(0);
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let gain = wavetable_gain(frames);
    for x in frames.iter().flatten() {
        out.extend_from_slice(&(x * gain).to_le_bytes());
    }
    std::fs::write(path, out).map_err(|source| WavError::WriteTable {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod wavetable_tests {
    use super::*;

    #[test]
    fn a_table_above_full_scale_is_written_scaled_as_a_whole() {
        let frames = vec![
            vec![0.5f32; TABLE_FRAME_LEN],
            vec![-2.0f32; TABLE_FRAME_LEN],
        ];
        let path = std::env::temp_dir().join(format!("nwt-loud-table-{}.wav", std::process::id()));
        write_wavetable(&path, 48_000, &frames).unwrap();
        let (_, channels) = read_wav(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(channels[0][0], 0.25);
        assert_eq!(channels[0][TABLE_FRAME_LEN], -1.0);
    }

    #[test]
    fn wavetables_have_a_clm_chunk_and_read_back_exactly() {
        let frames: Vec<Vec<f32>> = (0..3)
            .map(|f| {
                (0..TABLE_FRAME_LEN)
                    .map(|i| ((i * (f + 1)) as f32 * 0.001).sin())
                    .collect()
            })
            .collect();
        let path = std::env::temp_dir().join(format!("nwt-table-{}.wav", std::process::id()));
        write_wavetable(&path, 48_000, &frames).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes
            .windows(8)
            .any(|w| w == b"clm <!>2" || w == b"<!>2048 "));
        let (sr, channels) = read_wav(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(sr, 48_000);
        assert_eq!(channels[0], frames.concat());
        assert!(write_wavetable(&path, 48_000, &[]).is_err());
        assert!(write_wavetable(&path, 48_000, &[vec![0.0; 10]]).is_err());
    }
}
