//! Tests of the SoundFont reader and the cycle measurement.

use super::cycles::*;
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
        println!(
            "SKIPPED: {path} is absent (Debian package fluid-soundfont-gm; .ci/run installs it)"
        );
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
