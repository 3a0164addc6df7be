//! Clicks: note on/off, voice stealing, position sweeps and table switches make
//! no jump larger than the signal's own slope explains.
//!
//! Metric: the largest sample-to-sample step `max |x[n] - x[n-1]|` of the
//! rendered left channel, compared with a bound on the slope of the clean
//! signal. For one sound the bound is 1.1 × the largest step of the same sound
//! played steadily, plus the amplitude envelope's own steepest step (an
//! exponential release of T samples to -80 dB falls by at most A·ln(10⁴)/T per
//! sample); for a chord of sines it is 1.5 × Σ Aᵢ·ωᵢ (the largest slope
//! a sum of sines of amplitude Aᵢ and frequency ωᵢ rad/sample can have). Each
//! test also checks that a hard cut or splice, the click it guards against,
//! breaks the bound, so the test can fail.

mod common;
use common::*;
use nwt_engine::offline::{self, RenderOptions};

const SR: f32 = 48_000.0;
/// Linear gain of the default output level.
fn gain() -> f32 {
    10f32.powf(nwt_engine::params::DEFAULT_GAIN_DB / 20.0)
}

fn sine_synth(extra: &[(&str, &str)]) -> nwt_engine::Synth {
    let mut settings = vec![("table", "Basic Shapes"), ("position", "0")];
    settings.extend_from_slice(extra);
    synth_with(&settings, SR)
}

fn steady_jump(settings: &[(&str, &str)], key: u8) -> f32 {
    let mut synth = synth_with(settings, SR);
    let out = render(&mut synth, &[note(key, 0.0, 0.6, 1.0, SR)], 256);
    max_jump(&out.left[(0.2 * SR) as usize..(0.5 * SR) as usize])
}

#[test]
fn note_on_and_off_do_not_click() {
    let reference = steady_jump(&[("table", "Basic Shapes"), ("position", "0")], 60);
    for block in [1, 64, 4096] {
        let mut synth = sine_synth(&[]);
        let out = render(
            &mut synth,
            &[note(60, 0.01, 0.4, 1.0, SR), note(60, 0.5, 0.55, 1.0, SR)],
            block,
        );
        let jump = max_jump(&out.left);
        let release_step = gain() * (1e4f32).ln() / (0.040 * SR);
        let bound = 1.1 * reference + release_step;
        println!("block {block}: largest step {jump:.5}, bound {bound:.5} (steady {reference:.5})");
        assert!(jump <= bound, "block {block}: step {jump} > {bound}");
        // A note cut off without its release would jump by up to its amplitude.
        let window = (0.3 * SR) as usize..(0.31 * SR) as usize;
        let at = window
            .max_by(|&i, &j| out.left[i].abs().total_cmp(&out.left[j].abs()))
            .unwrap();
        let mut cut = out.left.clone();
        cut[at..].fill(0.0);
        assert!(max_jump(&cut) > bound);
    }
}

#[test]
fn voice_stealing_fades_the_stolen_voice() {
    // One loud victim (the oldest note), 63 quiet fillers, then a loud new note
    // that must steal the victim.
    let mut synth = sine_synth(&[]);
    let mut notes = vec![note(48, 0.0, 0.8, 1.0, SR)];
    let mut bound = gain() * (std::f64::consts::TAU * midi_hz(48.0) / f64::from(SR)) as f32;
    for i in 0..63u8 {
        let key = 50 + i;
        notes.push(note(key, 0.01, 0.8, 0.01, SR));
        bound += 0.01
            * gain()
            * (std::f64::consts::TAU * midi_hz(f64::from(key)) / f64::from(SR)) as f32;
    }
    notes.push(note(53, 0.3, 0.8, 1.0, SR));
    bound += gain() * (std::f64::consts::TAU * midi_hz(53.0) / f64::from(SR)) as f32;
    let out = render(&mut synth, &notes, 128);
    assert_eq!(
        out.voice_ends, 65,
        "every voice, the stolen one included, ends once"
    );
    let around = &out.left[(0.28 * SR) as usize..(0.35 * SR) as usize];
    let jump = max_jump(around);
    println!("steal: largest step {jump:.5}, bound {:.5}", 1.5 * bound);
    assert!(jump <= 1.5 * bound, "steal: step {jump} > {}", 1.5 * bound);
    // The victim is gone after the steal: the new note and the fillers remain,
    // so the level drops well below the two-note peak.
    let after = &out.left[(0.4 * SR) as usize..(0.7 * SR) as usize];
    assert!(
        peak_dbfs(after) < -4.0,
        "victim still sounding: {}",
        peak_dbfs(after)
    );
    // Cutting the victim instead of fading it would break the bound.
    let mut hard = around.to_vec();
    let mid = hard.len() / 2;
    hard[mid] += 0.5 * gain();
    assert!(max_jump(&hard) > 1.5 * bound);
}

#[test]
fn position_sweeps_are_smooth() {
    // Sine (position 0) to triangle (position 1/3) and back, as automation jumps
    // that the parameter smoother turns into ramps.
    let reference = steady_jump(&[("table", "Basic Shapes"), ("position", "0")], 48).max(
        steady_jump(&[("table", "Basic Shapes"), ("position", "0.333333")], 48),
    );
    let mut synth = sine_synth(&[]);
    let options = RenderOptions::new(SR);
    let notes = [note(48, 0.0, 1.2, 1.0, SR)];
    let out = offline::render(&mut synth, &notes, options, |pos, params| {
        let t = pos as f32 / SR;
        let target = if (0.3..0.7).contains(&t) {
            "0.333333"
        } else {
            "0"
        };
        params.set_by_id("position", target, SR).unwrap();
    });
    let jump = max_jump(&out.left[..(1.15 * SR) as usize]);
    println!("sweep: largest step {jump:.5}, steady {reference:.5}");
    assert!(
        jump <= 1.1 * reference,
        "sweep: step {jump} > 1.1 × {reference}"
    );
}

#[test]
fn table_switches_crossfade() {
    let sine = [("table", "Basic Shapes"), ("position", "0")];
    let other = [("table", "Harmonic Sweep"), ("position", "0")];
    let reference = steady_jump(&sine, 72).max(steady_jump(&other, 72));
    let mut synth = sine_synth(&[]);
    let out = offline::render(
        &mut synth,
        &[note(72, 0.0, 0.8, 1.0, SR)],
        RenderOptions::new(SR),
        |pos, params| {
            let table = if pos as f32 / SR >= 0.3 {
                "Harmonic Sweep"
            } else {
                "Basic Shapes"
            };
            params.set_by_id("table", table, SR).unwrap();
        },
    );
    // The crossfade's own slope: the two waves' largest difference over the fade.
    let fade_slope = 2.0 * gain() / (0.005 * SR);
    let bound = 1.1 * reference + fade_slope;
    let jump = max_jump(&out.left[..(0.75 * SR) as usize]);
    println!("table switch: largest step {jump:.5}, bound {bound:.5}");
    assert!(jump <= bound, "table switch: step {jump} > {bound}");
    // A hard splice of the two sounds at a point where they differ breaks the bound.
    let mut a = sine_synth(&[]);
    let mut b = synth_with(&other, SR);
    let xa = render(&mut a, &[note(72, 0.0, 0.5, 1.0, SR)], 256).left;
    let xb = render(&mut b, &[note(72, 0.0, 0.5, 1.0, SR)], 256).left;
    let at = ((0.2 * SR) as usize..(0.3 * SR) as usize)
        .max_by(|&i, &j| (xa[i] - xb[i]).abs().total_cmp(&(xa[j] - xb[j]).abs()))
        .unwrap();
    let spliced: Vec<f32> = xa[..at].iter().chain(&xb[at..]).copied().collect();
    assert!(max_jump(&spliced[(0.1 * SR) as usize..(0.4 * SR) as usize]) > bound);
}

/// In "Fixed" phase mode 16 unison voices start spread over the cycle, not in
/// phase: the note-on peak stays within a few dB of one voice's (in phase it
/// was +10.8 dB), the loudness stays, and the note still restarts identically.
#[test]
fn sixteen_unison_voices_start_without_an_in_phase_peak() {
    let play = |unison: &str| {
        let mut synth = synth_with(&[("unison", unison), ("phase_mode", "Fixed")], SR);
        render(&mut synth, &[note(48, 0.0, 0.5, 0.8, SR)], 128).left
    };
    let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
    let (one, sixteen) = (play("1"), play("16"));
    let onset = (0.05 * SR) as usize;
    let steady = (0.1 * SR) as usize..(0.4 * SR) as usize;
    let peak_rise = peak_dbfs(&sixteen[..onset]) - peak_dbfs(&one[..onset]);
    let loudness_change = 20.0 * (rms(&sixteen[steady.clone()]) / rms(&one[steady])).log10();
    println!("16 voices: note-on peak {peak_rise:+.1} dB, steady RMS {loudness_change:+.1} dB re one voice");
    assert!(peak_rise < 4.0, "note-on peak {peak_rise:+.1} dB");
    assert!(
        loudness_change.abs() < 2.0,
        "loudness {loudness_change:+.1} dB"
    );
    assert_eq!(play("16"), sixteen, "a fixed start restarts identically");
}
