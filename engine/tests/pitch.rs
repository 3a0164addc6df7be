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

#[test]
fn pitch_bend_range_and_transpose_move_the_pitch() {
    let sr = 48_000.0;
    let mut synth = synth_with(&[("pitch", "12")], sr);
    let out = render(&mut synth, &[note(57, 0.0, 1.5, 1.0, sr)], 256);
    let f = estimate_frequency(
        &out.left[(0.2 * sr) as usize..(1.4 * sr) as usize],
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
