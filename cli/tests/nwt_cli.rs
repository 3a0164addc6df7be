//! The `nwt` command-line tool end to end: it renders real audio files with
//! the right length, level and pitch, and refuses bad input with a message.

use std::path::PathBuf;
use std::process::Command;

fn nwt(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nwt"))
        .args(args)
        .output()
        .expect("nwt runs")
}

fn temp_wav(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("nwt-cli-{}-{name}.wav", std::process::id()))
}

/// Runs `nwt` with `args` and checks that it fails with `expected` in its message.
fn assert_refused(args: &[&str], expected: &str) {
    let result = nwt(args);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(!result.status.success(), "{args:?} succeeded");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
}

/// The fundamental of a steady stretch, by the project's one pitch estimator.
fn pitch_hz(x: &[f32], sample_rate: f64) -> f64 {
    nwt_engine::analysis::fundamental(x, sample_rate, 20.0, 4000.0).expect("a pitch")
}

#[test]
fn render_writes_the_notes_asked_for() {
    let out = temp_wav("render");
    let result = nwt(&[
        "render",
        "--notes",
        "A4@0:1",
        "--set",
        "table=Basic Shapes",
        "--sample-rate",
        "44100",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(String::from_utf8_lossy(&result.stdout).contains("wrote"));
    let (sr, channels) = neural_wavetable::wav::read_wav(&out).unwrap();
    std::fs::remove_file(&out).ok();
    assert_eq!(sr, 44_100);
    assert_eq!(channels.len(), 2);
    let left = &channels[0];
    // One second of note plus a 40 ms release, rounded up to whole blocks.
    let secs = left.len() as f64 / 44_100.0;
    assert!((1.04..1.1).contains(&secs), "{secs} s");
    let f = pitch_hz(&left[4410..40_000], 44_100.0);
    assert!((f - 440.0).abs() < 0.05, "{f} Hz");
    // Velocity 0.8 at the default gain: a sine of amplitude 0.8 × gain.
    let want = 0.8 * 10f32.powf(nwt_engine::params::DEFAULT_GAIN_DB / 20.0);
    let peak = left.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!((peak - want).abs() < 0.025 * want, "{peak} vs {want}");
    assert_eq!(*left.last().unwrap(), 0.0, "ends in silence");
}

#[test]
fn bad_input_gives_clear_errors() {
    let out = temp_wav("bad");
    let o = out.to_str().unwrap();
    for (args, expected) in [
        (vec!["render", "--notes", "H4@0:1", "-o", o], "H4"),
        (
            vec!["render", "--notes", "A4@0:1", "--set", "nope=1", "-o", o],
            "nope",
        ),
        (
            vec!["render", "--notes", "A4@0:1", "--set", "cutoff", "-o", o],
            "PARAM=VALUE",
        ),
        (
            vec![
                "render",
                "--notes",
                "A4@0:1",
                "--preset",
                "No Such Sound",
                "-o",
                o,
            ],
            "No Such Sound",
        ),
        (
            vec![
                "render",
                "--notes",
                "A4@0:1",
                "--sample-rate",
                "1000",
                "-o",
                o,
            ],
            "sample-rate",
        ),
        (vec!["render", "-o", o], "nothing to render"),
    ] {
        assert_refused(&args, expected);
    }
    assert!(!out.exists());
}

#[test]
fn help_explains_every_option() {
    let help = String::from_utf8_lossy(&nwt(&["render", "--help"]).stdout).to_string();
    for option in [
        "--preset",
        "--notes",
        "--midi",
        "--set",
        "--sample-rate",
        "--velocity",
        "--automate",
        "--anchor",
        "--realtime",
        "--weights",
        "--device",
        "--output",
    ] {
        assert!(help.contains(option), "{option} missing from help");
    }
    assert!(nwt(&["--help"]).status.success());
}

/// Writes one cycle of a band-limited saw-like wave (`n` samples, 16-bit PCM at 44.1 kHz).
fn write_cycle(name: &str, n: usize, harmonics: usize) -> PathBuf {
    let path = temp_wav(name);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..n {
        let t = i as f64 / n as f64;
        let x: f64 = (1..=harmonics)
            .map(|h| (std::f64::consts::TAU * h as f64 * t).sin() / h as f64)
            .sum();
        w.write_sample((x * 0.5 * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    path
}

#[test]
fn model_commands_round_trip_cycles_and_tables() {
    let saw = write_cycle("saw-cycle", 300, 40);
    let sine = write_cycle("sine-cycle", 523, 1);
    let latent = std::env::temp_dir().join(format!("nwt-cli-{}-latent.json", std::process::id()));
    let decoded = temp_wav("decoded");
    let again = temp_wav("again");
    let table = temp_wav("table");
    let run = |args: &[&str]| {
        let out = nwt(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "encode",
        saw.to_str().unwrap(),
        "-o",
        latent.to_str().unwrap(),
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&latent).unwrap()).unwrap();
    assert_eq!(
        json["latent"].as_array().unwrap().len(),
        nwt_model::vae::LATENT
    );
    run(&[
        "decode",
        latent.to_str().unwrap(),
        "-o",
        decoded.to_str().unwrap(),
    ]);
    run(&[
        "reconstruct",
        saw.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ]);
    for file in [&decoded, &again] {
        let (_, channels) = neural_wavetable::wav::read_wav(file).unwrap();
        assert_eq!(channels.len(), 1);
        assert_eq!(channels[0].len(), 2048);
        let peak = channels[0].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((peak - 1.0).abs() < 1e-3, "peak-normalised: {peak}");
        // A saw-like cycle comes back with its fundamental on top.
        let h = nwt_model::Harmonics::from_cycle(&channels[0]);
        assert!(h.magnitude(1) > h.magnitude(2) && h.magnitude(2) > h.magnitude(8));
    }
    run(&[
        "table",
        "--anchors",
        &format!("{},{}", sine.display(), saw.display()),
        "--frames",
        "16",
        "-o",
        table.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&table).unwrap();
    assert!(bytes.windows(8).any(|w| w == b"<!>2048 "), "clm chunk");
    let (_, channels) = neural_wavetable::wav::read_wav(&table).unwrap();
    assert_eq!(channels[0].len(), 16 * 2048);
    // The first frame is sine-like, the last saw-like.
    let first = nwt_model::Harmonics::from_cycle(&channels[0][..2048]);
    let last = nwt_model::Harmonics::from_cycle(&channels[0][15 * 2048..]);
    let brightness =
        |h: &nwt_model::Harmonics| (2..=20).map(|k| h.magnitude(k)).sum::<f32>() / h.magnitude(1);
    assert!(
        brightness(&last) > 2.0 * brightness(&first),
        "{} vs {}",
        brightness(&last),
        brightness(&first)
    );
    // The table is the synth's: exact at its anchors (the levels of the
    // anchor cycles' harmonics, to 0.01 dB).
    let (_, saw_samples) = neural_wavetable::wav::read_wav(&saw).unwrap();
    let source = nwt_model::Harmonics::from_cycle(&saw_samples[0]);
    let db = |h: &nwt_model::Harmonics, k: usize| 20.0 * (h.magnitude(k) / h.magnitude(1)).log10();
    for k in 2..=40 {
        assert!(
            (db(&last, k) - db(&source, k)).abs() < 0.01,
            "harmonic {k}: table {:.3} dB, anchor {:.3} dB",
            db(&last, k),
            db(&source, k)
        );
    }
    assert!(db(&first, 2) < -100.0, "the sine anchor's frame is a sine");
    // Bad input: a silent cycle, a latent of the wrong size, five anchors.
    let silent = write_cycle("silent", 100, 0);
    assert!(!nwt(&[
        "encode",
        silent.to_str().unwrap(),
        "-o",
        latent.to_str().unwrap()
    ])
    .status
    .success());
    std::fs::write(&latent, r#"{"model": "x", "latent": [1.0, 2.0]}"#).unwrap();
    let out = nwt(&[
        "decode",
        latent.to_str().unwrap(),
        "-o",
        decoded.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("latent values"));
    // A latent file of model 1 (16 numbers) decodes with model 1's decoder.
    let v1 = include_str!("../../assets/legacy/model-v1-saw-latent.json");
    std::fs::write(
        &latent,
        format!(r#"{{"model": "nwt-vae-v1-0", "latent": {v1}}}"#),
    )
    .unwrap();
    run(&[
        "decode",
        latent.to_str().unwrap(),
        "-o",
        decoded.to_str().unwrap(),
    ]);
    let (_, channels) = neural_wavetable::wav::read_wav(&decoded).unwrap();
    let h = nwt_model::Harmonics::from_cycle(&channels[0]);
    assert!(h.magnitude(1) > h.magnitude(2) && h.magnitude(2) > h.magnitude(8));
    let five = [saw.to_str().unwrap(); 5].join(",");
    assert!(
        !nwt(&["table", "--anchors", &five, "-o", table.to_str().unwrap()])
            .status
            .success()
    );
    for f in [saw, sine, silent, latent, decoded, again, table] {
        std::fs::remove_file(f).ok();
    }
}

/// Level in dB of harmonic `k` of `f0` relative to the fundamental (Hann-windowed DFT).
fn harmonic_db(x: &[f32], sample_rate: f64, f0: f64, k: usize) -> f64 {
    let level = |f: f64| {
        let n = x.len() as f64;
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (i, &s) in x.iter().enumerate() {
            let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / (n - 1.0)).cos();
            let phase = std::f64::consts::TAU * f * i as f64 / sample_rate;
            re += f64::from(s) * w * phase.cos();
            im += f64::from(s) * w * phase.sin();
        }
        (re * re + im * im).sqrt()
    };
    20.0 * (level(f0 * k as f64) / level(f0)).log10()
}

fn render_ok(args: &[&str], out: &std::path::Path) -> Vec<f32> {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", out.to_str().unwrap()]);
    let result = nwt(&all);
    assert!(
        result.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (_, channels) = neural_wavetable::wav::read_wav(out).unwrap();
    channels.into_iter().next().unwrap()
}

#[test]
fn anchors_and_automation_drive_the_neural_table() {
    let out = temp_wav("neural");
    // Init plays the neural table decoded from a saw anchor: a saw's spectrum.
    let init = render_ok(&["render", "--notes", "A3@0:1"], &out);
    let steady = &init[9_600..9_600 + 16_384];
    let h2 = harmonic_db(steady, 48_000.0, 220.0, 2);
    assert!(
        (h2 + 6.0).abs() < 1.5,
        "Init's 2nd harmonic at {h2:.1} dB (a saw: -6)"
    );
    // A sine anchor decodes to (nearly) a sine.
    let sine = render_ok(&["render", "--notes", "A3@0:1", "--anchor", "A=sine"], &out);
    let steady = &sine[9_600..9_600 + 16_384];
    for k in 2..=5 {
        let db = harmonic_db(steady, 48_000.0, 220.0, k);
        assert!(db < -30.0, "sine anchor: harmonic {k} at {db:.1} dB");
    }
    // Automating a macro changes the sound after its time, and settled renders repeat exactly.
    let args = [
        "render",
        "--notes",
        "A3@0:1.2",
        "--anchor",
        "A=saw",
        "--anchor",
        "B=square",
        "--automate",
        "macro_1@0.6=1,position@0.6=0.5",
    ];
    let a = render_ok(&args, &out);
    let b = render_ok(&args, &out);
    std::fs::remove_file(&out).ok();
    assert!(a == b, "two settled renders differ");
    let before = &a[9_600..9_600 + 16_384];
    let after = &a[38_400..38_400 + 16_384];
    let moved: f64 = (1..=8)
        .map(|k| {
            (harmonic_db(before, 48_000.0, 220.0, k) - harmonic_db(after, 48_000.0, 220.0, k)).abs()
        })
        .sum::<f64>()
        / 8.0;
    assert!(
        moved > 2.0,
        "automation moved harmonics 1..8 by {moved:.2} dB on average"
    );
}

#[test]
fn realtime_renders_at_wall_clock_speed() {
    let out = temp_wav("realtime");
    let started = std::time::Instant::now();
    let x = render_ok(
        &[
            "render",
            "--realtime",
            "--notes",
            "C4@0:0.5",
            "--automate",
            "macro_2@0.2=-1",
        ],
        &out,
    );
    let took = started.elapsed().as_secs_f64();
    std::fs::remove_file(&out).ok();
    let seconds = x.len() as f64 / 48_000.0;
    assert!(
        took >= seconds * 0.9,
        "{seconds:.2} s of audio in {took:.2} s"
    );
}

#[test]
fn bad_neural_options_are_refused() {
    let out = temp_wav("bad-neural");
    let o = out.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["render", "--notes", "A4@0:1", "--anchor", "E=saw", "-o", o],
            "A, B, C or D",
        ),
        (
            vec![
                "render", "--notes", "A4@0:1", "--anchor", "A=kazoo", "-o", o,
            ],
            "kazoo",
        ),
        (
            vec![
                "render",
                "--notes",
                "A4@0:1",
                "--automate",
                "macro_1=1",
                "-o",
                o,
            ],
            "PARAM@SECONDS=VALUE",
        ),
        (
            vec![
                "render",
                "--notes",
                "A4@0:1",
                "--automate",
                "macro_9@1=1",
                "-o",
                o,
            ],
            "macro_9",
        ),
        (
            vec!["render", "--notes", "A4@0:1", "--device", "tpu", "-o", o],
            "tpu",
        ),
    ] {
        assert_refused(&args, expected);
    }
    assert!(!out.exists());
}

#[test]
fn presets_save_show_and_render_from_the_user_folder() {
    let user_dir = std::env::temp_dir().join(format!("nwt-cli-{}-user", std::process::id()));
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_nwt"))
            .args(args)
            .env("NWT_USER_DIR", &user_dir)
            .output()
            .expect("nwt runs")
    };
    let saved = run(&[
        "preset",
        "save",
        "--name",
        "Test Pad",
        "--category",
        "Pad",
        "--from",
        "Glacier Choir",
        "--set",
        "cutoff=1234",
        "--anchor",
        "D=organ",
    ]);
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    let file = user_dir.join("presets/test-pad.nwtpreset");
    assert!(
        file.is_file(),
        "the user preset folder was created and holds the preset"
    );
    let listed = String::from_utf8_lossy(&run(&["presets"]).stdout).to_string();
    assert!(
        listed.contains("Test Pad") && listed.contains("Glacier Choir"),
        "{listed}"
    );
    let shown = String::from_utf8_lossy(&run(&["preset", "show", "Test Pad"]).stdout).to_string();
    assert!(shown.contains("anchor D  organ"), "{shown}");
    assert!(shown.contains("1234.0 Hz"), "{shown}");
    let out = temp_wav("user-preset");
    let rendered = run(&[
        "render",
        "--preset",
        "Test Pad",
        "--notes",
        "C4@0:0.5",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    std::fs::remove_file(&out).ok();
    // Export without -o goes to the user's wavetable folder.
    let exported = run(&["export", "--preset", "Test Pad"]);
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    assert!(user_dir.join("wavetables/test-pad.wav").is_file());
    std::fs::remove_dir_all(&user_dir).ok();
}

#[test]
fn export_writes_a_clm_wavetable_of_the_current_table() {
    let out = temp_wav("export");
    let result = nwt(&[
        "export",
        "--preset",
        "Glacier Choir",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.windows(7).any(|w| w == b"<!>2048"), "no clm chunk");
    let (_, channels) = neural_wavetable::wav::read_wav(&out).unwrap();
    std::fs::remove_file(&out).ok();
    let samples = &channels[0];
    assert_eq!(samples.len(), 64 * 2048, "64 frames of 2048 samples");
    // The table peaks at full scale as a whole; with Even Loudness (the
    // default) its frames' RMS levels lie within 2.5 dB of each other.
    let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!((peak - 1.0).abs() < 1e-6, "table peak {peak}");
    let rms_db: Vec<f32> = samples
        .chunks(2048)
        .map(|f| 10.0 * (f.iter().map(|x| x * x).sum::<f32>() / 2048.0).log10())
        .collect();
    let range = rms_db.iter().copied().fold(f32::MIN, f32::max)
        - rms_db.iter().copied().fold(f32::MAX, f32::min);
    assert!(range <= 2.6, "frames span {range} dB: {rms_db:?}");
    // The table morphs: the first and last frames differ.
    let (first, last) = (&samples[..2048], &samples[63 * 2048..]);
    assert!(first.iter().zip(last).any(|(a, b)| (a - b).abs() > 0.1));
}

#[test]
fn exported_tables_reimport_bit_for_bit_and_play_as_imported() {
    let table = temp_wav("reimport");
    let t = table.to_str().unwrap();
    let result = nwt(&["export", "--preset", "Tidal Drift", "-o", t]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (_, channels) = neural_wavetable::wav::read_wav(&table).unwrap();
    match neural_wavetable::wav_import::import_file(&table).unwrap() {
        neural_wavetable::wav_import::Imported::Table { frame_size, frames } => {
            assert_eq!(frame_size, 2048);
            let flat: Vec<f32> = frames.concat();
            assert_eq!(flat.len(), channels[0].len());
            assert!(
                flat.iter()
                    .zip(&channels[0])
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "re-imported samples differ"
            );
        }
        other => panic!("an exported table imported as {other:?}"),
    }
    // It plays as a plain table, and one of its frames can be an anchor.
    let out = temp_wav("imported-play");
    let o = out.to_str().unwrap();
    let played = nwt(&[
        "render",
        "--import-table",
        t,
        "--notes",
        "A3@0:0.5",
        "-o",
        o,
    ]);
    assert!(
        played.status.success(),
        "{}",
        String::from_utf8_lossy(&played.stderr)
    );
    let frame12 = format!("A={t}@12");
    let anchored = nwt(&[
        "render", "--anchor", &frame12, "--notes", "A3@0:0.5", "-o", o,
    ]);
    assert!(
        anchored.status.success(),
        "{}",
        String::from_utf8_lossy(&anchored.stderr)
    );
    let missing = format!("A={t}@999");
    let refused = nwt(&[
        "render", "--anchor", &missing, "--notes", "A3@0:0.5", "-o", o,
    ]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no frame 999"));
    std::fs::remove_file(&out).ok();
    std::fs::remove_file(&table).ok();
}

/// A format-0 MIDI file at 96 ticks per quarter (120 BPM: 192 ticks a second)
/// from `(tick, status, data1, data2)` events.
fn midi_file(events: &[(u32, u8, u8, u8)]) -> Vec<u8> {
    let mut track = Vec::new();
    let mut previous = 0;
    for &(tick, status, a, b) in events {
        let mut delta = tick - previous;
        previous = tick;
        // Variable-length delta time.
        let mut bytes = vec![(delta & 0x7f) as u8];
        delta >>= 7;
        while delta > 0 {
            bytes.insert(0, 0x80 | (delta & 0x7f) as u8);
            delta >>= 7;
        }
        track.extend(bytes);
        track.extend([status, a, b]);
    }
    track.extend([0x00, 0xff, 0x2f, 0x00]);
    let mut file = b"MThd\0\0\0\x06\0\0\0\x01\0\x60MTrk".to_vec();
    file.extend((track.len() as u32).to_be_bytes());
    file.extend(track);
    file
}

#[test]
fn render_plays_a_midi_files_pedal_and_bend() {
    let midi = std::env::temp_dir().join(format!("nwt-cli-{}-pedal.mid", std::process::id()));
    // A3 struck at 0 and let go at 0.25 s under the pedal; the bend goes up
    // half way (+1 st at the default range of 2) at 0.5 s; the pedal lifts at 1.5 s.
    std::fs::write(
        &midi,
        midi_file(&[
            (0, 0xb0, 64, 127),
            (0, 0x90, 57, 100),
            (48, 0x80, 57, 0),
            (96, 0xe0, 0x00, 0x60),
            (288, 0xb0, 64, 0),
        ]),
    )
    .unwrap();
    let out = temp_wav("midi-pedal");
    let result = nwt(&[
        "render",
        "--midi",
        midi.to_str().unwrap(),
        "--set",
        "table=Basic Shapes",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (sr, channels) = neural_wavetable::wav::read_wav(&out).unwrap();
    let sr = f64::from(sr);
    let left = &channels[0];
    let seconds = left.len() as f64 / sr;
    assert!(
        (1.5..1.6).contains(&seconds),
        "the pedal held the note until 1.5 s; the render lasts {seconds:.3} s"
    );
    let part = |from: f64, to: f64| &left[(from * sr) as usize..(to * sr) as usize];
    let before = pitch_hz(part(0.05, 0.45), sr);
    let bent = pitch_hz(part(0.6, 1.4), sr);
    assert!(
        (before / 220.0 - 1.0).abs() < 1e-3,
        "{before} Hz before the bend"
    );
    let expected = 220.0 * 2f64.powf(1.0 / 12.0);
    assert!(
        (bent / expected - 1.0).abs() < 1e-3,
        "{bent} Hz after the bend"
    );
    let _ = std::fs::remove_file(&midi);
    let _ = std::fs::remove_file(&out);
}

#[test]
fn a_realtime_render_reports_its_deadlines() {
    let out = temp_wav("realtime-report");
    let result = nwt(&[
        "render",
        "--notes",
        "A3@0:0.3",
        "--realtime",
        "--automate",
        "macro_1@0.1=0.5",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success());
    let stdout = String::from_utf8_lossy(&result.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("real time:"))
        .unwrap_or_else(|| panic!("no real-time report in {stdout}"));
    assert!(line.contains("missed their deadline"), "{line}");
    assert!(line.contains("knob to sound over 1 changes"), "{line}");
    let _ = std::fs::remove_file(&out);
}
