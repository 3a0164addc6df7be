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

/// Period of a steady waveform by counting rising zero crossings, with linear
/// interpolation between samples.
fn zero_crossing_hz(x: &[f32], sample_rate: f64) -> f64 {
    let mut crossings = Vec::new();
    for i in 1..x.len() {
        if x[i - 1] < 0.0 && x[i] >= 0.0 {
            let frac = f64::from(-x[i - 1]) / f64::from(x[i] - x[i - 1]);
            crossings.push(i as f64 - 1.0 + frac);
        }
    }
    let periods = (crossings.len() - 1) as f64;
    sample_rate * periods / (crossings[crossings.len() - 1] - crossings[0])
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
    let f = zero_crossing_hz(&left[4410..40_000], 44_100.0);
    assert!((f - 440.0).abs() < 0.05, "{f} Hz");
    // Velocity 0.8 at -6 dB: a sine of amplitude 0.8 × 0.501.
    let peak = left.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!((peak - 0.401).abs() < 0.01, "{peak}");
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
        let result = nwt(&args);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
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
        "--output",
    ] {
        assert!(help.contains(option), "{option} missing from help");
    }
    assert!(nwt(&["--help"]).status.success());
}
