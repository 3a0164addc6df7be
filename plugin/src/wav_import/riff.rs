//! The bounded RIFF/WAVE reader: chunks, the `fmt ` and `clm ` chunks, and
//! sample decoding; every size in the file is checked before it is used.

use super::*;

/// `WAVE_FORMAT_PCM`.
pub(super) const TAG_PCM: u16 = 1;
/// `WAVE_FORMAT_IEEE_FLOAT`.
pub(super) const TAG_FLOAT: u16 = 3;
/// `WAVE_FORMAT_EXTENSIBLE`: the real format tag is in the sub-format GUID.
pub(super) const TAG_EXTENSIBLE: u16 = 0xFFFE;
/// Length of a plain `fmt ` chunk.
pub(super) const FMT_LEN: usize = 16;
/// Length of a `WAVE_FORMAT_EXTENSIBLE` `fmt ` chunk.
pub(super) const FMT_EXTENSIBLE_LEN: usize = 40;

/// Chunks of interest found while walking the file.
#[derive(Default)]
pub(super) struct Chunks<'a> {
    /// Body of the first `fmt ` chunk.
    pub(super) fmt: Option<&'a [u8]>,
    /// The first `data` chunk.
    pub(super) data: Option<DataChunk<'a>>,
    /// Frame size from the first `clm ` chunk that starts with `<!>`.
    pub(super) clm_frame_size: Option<usize>,
}

/// A `data` chunk: the bytes present and the size its header claims.
pub(super) struct DataChunk<'a> {
    /// Bytes actually present (the claimed size or less).
    pub(super) bytes: &'a [u8],
    /// Size from the chunk header.
    pub(super) claimed: u64,
}

/// Walks the RIFF chunks after the 12-byte header.
pub(super) fn walk_chunks(bytes: &[u8]) -> Result<Chunks<'_>, ImportError> {
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
pub(super) fn parse_clm(body: &[u8]) -> Result<Option<usize>, ImportError> {
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
pub(super) enum SampleFormat {
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
    pub(super) fn bytes(self) -> usize {
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
pub(super) struct Format {
    /// Channel count (1 to [`MAX_CHANNELS`]).
    pub(super) channels: u16,
    /// Sample rate in Hz.
    pub(super) sample_rate: u32,
    /// Sample encoding.
    pub(super) sample: SampleFormat,
}

/// Decodes and validates a `fmt ` chunk body.
pub(super) fn parse_fmt(fmt: &[u8]) -> Result<Format, ImportError> {
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
pub(super) fn decode(
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
pub(super) fn decode_sample(format: SampleFormat, bytes: &[u8]) -> f32 {
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

/// Little-endian `u16` at `at`, if present.
pub(super) fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let raw = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(raw.try_into().ok()?))
}

/// Little-endian `u32` at `at`, if present.
pub(super) fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(raw.try_into().ok()?))
}

/// Bytes as text, with anything but printable ASCII shown as `?`.
pub(super) fn printable(bytes: &[u8]) -> String {
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
pub(super) fn human_bytes(bytes: u64) -> String {
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
pub(super) fn format_tag_name(tag: u16) -> &'static str {
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
