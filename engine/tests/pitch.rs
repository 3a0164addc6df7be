//! Pitch: A4 of the Init saw is 440 Hz within 0.1 cent at 44.1, 48 and 96 kHz.
//! The fundamental is found by maximising the Kaiser-windowed DTFT of 1.5 s of
//! steady audio (see `common::estimate_frequency`).

mod common;
use common::*;

#[test]
fn a4_is_440_hz_within_a_tenth_of_a_cent() {
    for sr in [44_100.0f32, 48_000.0, 96_000.0] {
        let mut synth = synth_with(&[], sr);
        let out = render(&mut synth, &[note(69, 0.0, 2.0, 1.0, sr)], 512);
        let steady = &out.left[(0.25 * sr) as usize..(1.75 * sr) as usize];
        let f = estimate_frequency(steady, f64::from(sr), 440.0, 5.0);
        let off = cents(f, 440.0);
        println!("A4 at {sr} Hz: {f:.5} Hz ({off:+.5} cents)");
        assert!(off.abs() < 0.1, "A4 at {sr} Hz is {f} Hz, {off} cents off");
    }
}

/// Plays A4 with a pitch bend of `bend` (-1..=1) sent with the note, under
/// `settings`; returns 1.2 s of the steady left channel.
fn bent_a4(settings: &[(&str, &str)], bend: f32, sr: f32) -> Vec<f32> {
    use nwt_engine::{SliceEvents, SynthEvent, Transport};
    let mut synth = synth_with(settings, sr);
    let block = 256;
    let (mut l, mut r) = (vec![0.0f32; block], vec![0.0f32; block]);
    let mut out = Vec::new();
    for i in 0..(1.5 * sr) as usize / block {
        let events = if i == 0 {
            vec![
                SynthEvent::PitchBend {
                    timing: 0,
                    channel: 0,
                    value: bend,
                },
                SynthEvent::NoteOn {
                    timing: 0,
                    voice_id: Some(0),
                    channel: 0,
                    key: 69,
                    velocity: 1.0,
                },
            ]
        } else {
            Vec::new()
        };
        let mut io = SliceEvents::new(&events, 0);
        let transport = Transport {
            tempo: 120.0,
            position_beats: None,
        };
        synth.process(&mut l, &mut r, transport, &mut io);
        out.extend_from_slice(&l);
    }
    out[(0.2 * sr) as usize..(1.4 * sr) as usize].to_vec()
}

#[test]
fn pitch_bend_range_and_transpose_move_the_pitch() {
    let sr = 48_000.0;
    // (bend range in semitones, bend, transpose in semitones) → expected cents.
    for (range, bend, transpose, want) in [
        ("2", 1.0f32, "0", 200.0),
        ("2", -0.5, "0", -100.0),
        ("12", 0.25, "0", 300.0),
        ("7", -1.0, "12", 500.0),
        ("24", 0.0, "-12", -1200.0),
    ] {
        let settings = [("bend_range", range), ("pitch", transpose)];
        let expected = 440.0 * 2f64.powf(want / 1200.0);
        let f = estimate_frequency(&bent_a4(&settings, bend, sr), f64::from(sr), expected, 5.0);
        let off = cents(f, expected);
        println!("range {range}, bend {bend:+}, transpose {transpose}: {f:.4} Hz, {off:+.4} cents");
        assert!(
            off.abs() < 0.1,
            "range {range}, bend {bend}: {f} Hz is {off:+.3} cents off"
        );
    }
    // Without the bend the note stays at 440 Hz (so the bend is what moved it).
    let f = estimate_frequency(
        &bent_a4(&[("bend_range", "12")], 0.0, sr),
        f64::from(sr),
        440.0,
        5.0,
    );
    assert!(cents(f, 440.0).abs() < 0.1, "{f}");
}

#[test]
fn unison_detune_spreads_partials_symmetrically() {
    let sr = 48_000.0;
    let mut synth = synth_with(&[("unison", "3"), ("detune", "50"), ("spread", "0")], sr);
    let out = render(&mut synth, &[note(69, 0.0, 3.0, 1.0, sr)], 512);
    let steady = &out.left[(0.2 * sr) as usize..(2.8 * sr) as usize];
    let high = estimate_frequency(steady, f64::from(sr), 440.0 * 2f64.powf(50.0 / 1200.0), 2.0);
    let low = estimate_frequency(
        steady,
        f64::from(sr),
        440.0 * 2f64.powf(-50.0 / 1200.0),
        2.0,
    );
    assert!((cents(high, 440.0) - 50.0).abs() < 0.2, "{high}");
    assert!((cents(low, 440.0) + 50.0).abs() < 0.2, "{low}");
}

/// Renders `key` for 1.2 s under `tuning` and measures it against the
/// frequency the scale gives it; returns the error in cents.
fn tuned_error(tuning: &nwt_engine::tuning::Tuning, key: u8, sr: f32) -> f64 {
    let mut synth = synth_with(&[], sr);
    synth.params().tuning.set(Some(tuning.clone())).unwrap();
    let want = midi_hz(f64::from(tuning.pitches().unwrap()[usize::from(key)]));
    let out = render(&mut synth, &[note(key, 0.0, 1.5, 1.0, sr)], 512);
    let steady = &out.left[(0.25 * sr) as usize..(1.45 * sr) as usize];
    let f = estimate_frequency(steady, f64::from(sr), want, want * 0.01);
    cents(f, want)
}

#[test]
fn notes_in_19_edo_and_a_remapped_keyboard_sound_at_the_scales_pitches() {
    use nwt_engine::tuning::{Tuning, BUILT_IN};
    let sr = 48_000.0;
    let edo19 = Tuning::built_in("19-EDO").unwrap();
    // 12-EDO with middle C (key 60) mapped to 256 Hz.
    let kbm = "! middle C at 256 Hz\n0\n0\n127\n60\n60\n256.0\n0\n";
    let c256 = Tuning::scala(BUILT_IN[0].1, Some(kbm)).unwrap();
    for (name, tuning) in [("19-EDO", &edo19), ("C = 256 Hz", &c256)] {
        for key in [24u8, 41, 60, 61, 67, 79, 96, 108] {
            let off = tuned_error(tuning, key, sr);
            println!("{name}, key {key}: {off:+.4} cents");
            assert!(
                off.abs() < 0.5,
                "{name}, key {key}: {off} cents off the scale"
            );
        }
    }
    // The scales are not 12-EDO: 19-EDO's key 61 is 63.2 cents above key 60,
    // and middle C sounds at 256 Hz, not 261.6.
    let p = edo19.pitches().unwrap();
    assert!(((p[61] - p[60]) * 100.0 - 63.158).abs() < 0.01);
    assert!((midi_hz(f64::from(c256.pitches().unwrap()[60])) - 256.0).abs() < 0.01);
}

#[test]
fn the_tuning_travels_with_the_session_state() {
    use nice_plug::prelude::Params;
    use nwt_engine::tuning::Tuning;
    let params = nwt_engine::SynthParams::default();
    params
        .tuning
        .set(Tuning::built_in("Bohlen-Pierce"))
        .unwrap();
    let fields = params.serialize_fields();
    let restored = nwt_engine::SynthParams::default();
    restored.deserialize_fields(&fields);
    assert_eq!(restored.tuning.get(), params.tuning.get());
    // The audio thread's table follows: key 61 is one Bohlen-Pierce step up.
    let step = (restored.tuning.table().pitch(61) - restored.tuning.table().pitch(60)) * 100.0;
    assert!((step - 146.304).abs() < 0.01, "{step}");
}
