//! Tests of the WAV import: decoding, interpretation, files, robustness.

use super::riff::SampleFormat;
use super::*;
use nwt_engine::analysis::largest_difference;
use nwt_model::rng::Rng;

// ---- A test-only WAV writer -------------------------------------------

const ALL_ENCODINGS: [SampleFormat; 6] = [
    SampleFormat::U8,
    SampleFormat::I16,
    SampleFormat::I24,
    SampleFormat::I32,
    SampleFormat::F32,
    SampleFormat::F64,
];

// What the test writer needs of a sample format.
impl SampleFormat {
    fn bits(self) -> u16 {
        8 * self.bytes() as u16
    }

    fn tag(self) -> u16 {
        match self {
            SampleFormat::F32 | SampleFormat::F64 => TAG_FLOAT,
            _ => TAG_PCM,
        }
    }

    /// Largest decoding error expected for in-range values.
    fn tolerance(self) -> f32 {
        match self {
            SampleFormat::F32 | SampleFormat::F64 => 0.0,
            _ => 1.0 / (1u64 << (self.bits() - 1)) as f32,
        }
    }

    fn encode(self, v: f32, out: &mut Vec<u8>) {
        let int = |bits: u32| {
            let scale = (1u64 << (bits - 1)) as f64;
            (f64::from(v) * scale).round().clamp(-scale, scale - 1.0) as i64
        };
        match self {
            SampleFormat::U8 => out.push((int(8) + 128) as u8),
            SampleFormat::I16 => out.extend_from_slice(&(int(16) as i16).to_le_bytes()),
            SampleFormat::I24 => out.extend_from_slice(&(int(24) as i32).to_le_bytes()[..3]),
            SampleFormat::I32 => out.extend_from_slice(&(int(32) as i32).to_le_bytes()),
            SampleFormat::F32 => out.extend_from_slice(&v.to_le_bytes()),
            SampleFormat::F64 => out.extend_from_slice(&f64::from(v).to_le_bytes()),
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
fn data_body(enc: SampleFormat, channels: &[Vec<f32>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..channels[0].len() {
        for channel in channels {
            enc.encode(channel[i], &mut out);
        }
    }
    out
}

/// A complete WAV file.
fn wav(enc: SampleFormat, rate: u32, channels: &[Vec<f32>]) -> Vec<u8> {
    wav_with(enc, rate, channels, &[])
}

/// A complete WAV file with extra chunks between `fmt ` and `data`.
fn wav_with(enc: SampleFormat, rate: u32, channels: &[Vec<f32>], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut chunks = vec![chunk(
        b"fmt ",
        &fmt_body(enc.tag(), channels.len() as u16, rate, enc.bits()),
    )];
    chunks.extend_from_slice(extra);
    chunks.push(chunk(b"data", &data_body(enc, channels)));
    riff(&chunks)
}

// ---- Signals -----------------------------------------------------------

/// Test values covering the full scale.
fn ramp(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut v: Vec<f32> = (0..n).map(|_| rng.bipolar() * 0.99).collect();
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
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let phase = 2.0 * PI * freq * i as f64 / f64::from(rate);
            let gain = (i as f64 / fade).min(1.0);
            (0.4 * gain * saw_value(phase, harmonics)) as f32 + 0.005 * rng.bipolar()
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
                let err = largest_difference(got, want);
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
            assert!(largest_difference(got, want) <= enc.tolerance(), "{enc:?}");
        }
    }
    // 24 valid bits in a 32-bit container decode by the container.
    let file = riff(&[
        chunk(b"fmt ", &fmt_extensible(TAG_PCM, 2, 48_000, 32, 24)),
        chunk(b"data", &data_body(SampleFormat::I32, &channels)),
    ]);
    let audio = parse_wav(&file).expect("valid");
    assert!(largest_difference(&audio.channels[1], &channels[1]) < 1e-6);
}

#[test]
fn non_finite_floats_become_zero() {
    let values = vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.5];
    let audio = parse_wav(&wav(SampleFormat::F32, 44_100, &[values])).expect("valid");
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
    let mut file = wav(SampleFormat::I16, 22_050, &[ramp(50, 3)]);
    file[4..8].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(parse_wav(&file).expect("size 0").channels[0].len(), 50);
    file[4..8].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
    assert_eq!(
        parse_wav(&file).expect("garbage size").channels[0].len(),
        50
    );
    // data before fmt, unknown chunks skipped.
    let data = chunk(b"data", &data_body(SampleFormat::I16, &[ramp(50, 3)]));
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
    let mut file = wav(SampleFormat::I16, 44_100, &[ramp(40, 5)]);
    file.extend_from_slice(b"TAG\x7f\xff\xff\xffgarbage");
    assert_eq!(
        parse_wav(&file).expect("trailing junk").channels[0].len(),
        40
    );
    // Zero padding after the audio (many tiny chunks) is fine too.
    let mut file = wav(SampleFormat::I16, 44_100, &[ramp(40, 5)]);
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
        parse_wav(&riff(&[chunk(b"fmt ", &body), chunk(b"data", &[0; 8])])).expect_err("bad fmt")
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
        SampleFormat::F32,
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
    let audio =
        parse_wav(&wav_with(SampleFormat::F32, 44_100, &[left, right], &[clm])).expect("valid");
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
    let audio = parse_wav(&wav_with(
        SampleFormat::I16,
        44_100,
        &[ramp(1000, 1)],
        &[clm],
    ))
    .expect("valid");
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
        SampleFormat::F32,
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
    let audio = parse_wav(&wav(SampleFormat::F32, 44_100, &[left.clone(), right])).expect("valid");
    let Ok(Imported::Cycle(cycle)) = interpret(&audio) else {
        panic!("expected a cycle");
    };
    let want: Vec<f32> = left.iter().map(|v| 0.25 * v).collect();
    assert!(largest_difference(&cycle, &want) < 1e-7);
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
    let mut rng = Rng::new(99);
    let noise: Vec<f32> = (0..44_100).map(|_| 0.5 * rng.bipolar()).collect();
    assert!(matches!(
        interpret(&mono(noise, 44_100)),
        Err(ImportError::NoSteadyPitch)
    ));
}

/// Checks a saw recording imports with the right pitch and clean cycles.
fn check_saw_recording(freq: f64, rate: u32) {
    let recording = saw_recording(freq, rate, 1234);
    let file = wav(SampleFormat::I24, rate, &[recording]);
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
    let mut rng = Rng::new(5);
    let noise: Vec<f32> = (0..8192).map(|_| rng.bipolar()).collect();
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
    std::fs::write(
        &path,
        wav(SampleFormat::F32, 44_100, std::slice::from_ref(&samples)),
    )
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
fn random_file(rng: &mut Rng) -> Vec<u8> {
    if rng.below(4) == 0 {
        let len = rng.below(600);
        return (0..len).map(|_| rng.next_u32() as u8).collect();
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
            let tag = [1, 1, 3, 3, 0xFFFE, 2, rng.next_u32() as u16][rng.below(7)];
            let channels = [0, 1, 1, 2, 3, 17][rng.below(6)];
            let rate = [0, 8000, 44_100, 44_100, 1_536_000, rng.next_u32()][rng.below(6)];
            let bits = [0, 8, 16, 24, 32, 32, 64, 12][rng.below(8)];
            let mut body = fmt_body(tag, channels, rate, bits);
            if tag == 0xFFFE && rng.below(2) == 0 {
                body = fmt_extensible([1, 3, 2][rng.below(3)], channels, rate, bits, bits);
            }
            body
        } else if id == b"clm " {
            let n = rng.next_u32() % 100_000;
            format!("<!>{n} ").into_bytes()
        } else if id == b"data" {
            (0..rng.below(400)).map(|_| rng.next_u32() as u8).collect()
        } else {
            (0..rng.below(64)).map(|_| rng.next_u32() as u8).collect()
        };
        if rng.below(8) == 0 {
            body.truncate(rng.below(body.len() + 1));
        }
        let size = if rng.below(6) == 0 {
            rng.next_u32()
        } else {
            body.len() as u32
        };
        chunks.push(chunk_sized(id, size, &body));
    }
    riff(&chunks)
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(0x5EED);
    for _ in 0..2000 {
        let bytes = random_file(&mut rng);
        parse_and_interpret(&bytes);
    }
}

#[test]
fn corrupted_files_never_panic() {
    let mut rng = Rng::new(0xC0FFEE);
    let stereo = wav(SampleFormat::I16, 44_100, &[ramp(300, 1), ramp(300, 2)]);
    let table = wav_with(
        SampleFormat::F32,
        44_100,
        &[ramp(64 * 3, 3)],
        &[chunk(b"clm ", b"<!>64 wavetable")],
    );
    let extensible = riff(&[
        chunk(b"fmt ", &fmt_extensible(TAG_PCM, 1, 48_000, 24, 24)),
        chunk(b"data", &data_body(SampleFormat::I24, &[ramp(200, 4)])),
    ]);
    let bases = [stereo, table, extensible];
    for i in 0..2000 {
        let mut bytes = bases[i % bases.len()].clone();
        match rng.below(3) {
            0 => {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next_u32() as u8;
            }
            1 => bytes.truncate(rng.below(bytes.len())),
            _ => {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next_u32() as u8;
                bytes.truncate(rng.below(bytes.len()) + 1);
            }
        }
        parse_and_interpret(&bytes);
    }
}

#[test]
fn corrupted_recordings_never_panic() {
    let mut rng = Rng::new(42);
    let base = wav(SampleFormat::I16, 8000, &[sine(150.0, 8000, 6000)]);
    for _ in 0..40 {
        let mut bytes = base.clone();
        // Mostly the header, sometimes the audio.
        let at = if rng.below(2) == 0 {
            rng.below(44)
        } else {
            rng.below(bytes.len())
        };
        bytes[at] = rng.next_u32() as u8;
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

/// One cycle read at a fractional start and period matches the band-limited
/// wave it came from: the kernel's passband stays flat up to 0.9 of the
/// source's Nyquist frequency (with 32 taps it drooped: -55 dB at period 20.5).
#[test]
fn resampled_cycles_match_the_wave_to_minus_90_db() {
    let mut rng = Rng::new(11);
    let phases: Vec<f64> = (0..1000)
        .map(|_| rng.uniform() * std::f64::consts::TAU)
        .collect();
    for period in [20.5, 100.37, 441.0, 900.2] {
        // Harmonics up to 0.45 cycles per sample, amplitude 1/h.
        let top = (1..)
            .take_while(|&h| f64::from(h) / period < 0.45)
            .last()
            .unwrap();
        let wave = |t: f64| -> f64 {
            (1..=top)
                .map(|h| {
                    (std::f64::consts::TAU * f64::from(h) * t / period + phases[h as usize]).sin()
                        / f64::from(h)
                })
                .sum()
        };
        let x: Vec<f32> = (0..(20.0 * period) as usize)
            .map(|i| wave(i as f64) as f32)
            .collect();
        let start = 5.3 * period;
        let step = period / CYCLE_LEN as f64;
        let kernel = SincKernel::new(step);
        let got = kernel.resample(&x, start, period, CYCLE_LEN);
        let (mut error, mut power) = (0.0, 0.0);
        for (n, &g) in got.iter().enumerate() {
            let want = wave(start + n as f64 * step);
            error += (f64::from(g) - want).powi(2);
            power += want * want;
        }
        let db = 10.0 * (error / power).log10();
        println!("period {period}: {db:.1} dB");
        assert!(db < -90.0, "period {period}: relative error {db:.1} dB");
    }
}
