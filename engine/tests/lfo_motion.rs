//! How the LFOs run, measured on rendered audio: per voice (restarted at
//! note-on, at its start phase), global, locked to the transport; their delay
//! and fade-in; the sub oscillator and the noise in a played note.

mod common;
use common::*;
use nwt_engine::{SliceEvents, Synth, SynthEvent, Transport};

const SR: f32 = 48_000.0;

fn at(seconds: f64) -> usize {
    (seconds * f64::from(SR)).round() as usize
}

/// The frequency between `from` and `to` seconds, searched within a fifth
/// within 0.6–1.6× `guess`, then refined.
fn frequency(x: &[f32], from: f64, to: f64, guess: f64) -> f64 {
    let part = &x[at(from)..at(to)];
    let rough = nwt_engine::analysis::fundamental(part, f64::from(SR), guess * 0.6, guess * 1.6)
        .unwrap_or(guess);
    estimate_frequency(part, f64::from(SR), rough, rough * 0.03)
}

/// A square LFO 1 on pitch (±6 semitones at 2 Hz), plus `extra` settings.
fn square_vibrato(extra: &[(&str, &str)]) -> Synth {
    let mut settings = vec![
        ("table", "Basic Shapes"),
        ("position", "0"),
        ("lfo_shape", "square"),
        ("lfo_rate", "2"),
        ("mod_source_6", "lfo_1"),
        ("mod_destination_6", "pitch"),
        ("mod_amount_6", "0.5"),
    ];
    settings.extend_from_slice(extra);
    synth_with(&settings, SR)
}

#[test]
fn a_per_voice_lfo_restarts_at_note_on_and_a_global_one_runs_on() {
    let base = midi_hz(57.0);
    // The note starts 0.3 s in: the global square is then in its low half
    // (phase 0.6), a per-voice one starts its high half.
    let first_tenth = |extra: &[(&str, &str)]| {
        let mut synth = square_vibrato(extra);
        let out = render(&mut synth, &[note(57, 0.3, 1.2, 1.0, SR)], 256);
        cents(frequency(&out.left, 0.32, 0.42, base), base)
    };
    let global = first_tenth(&[]);
    let voice = first_tenth(&[("lfo_mode", "voice")]);
    let voice_half = first_tenth(&[("lfo_mode", "voice"), ("lfo_phase", "0.5")]);
    println!("after note-on: global {global:.0} ct, per voice {voice:.0} ct, per voice at phase 0.5 {voice_half:.0} ct");
    assert!((global + 600.0).abs() < 5.0, "global LFO: {global} ct");
    assert!((voice - 600.0).abs() < 5.0, "per-voice LFO: {voice} ct");
    assert!(
        (voice_half + 600.0).abs() < 5.0,
        "per-voice LFO at phase 0.5: {voice_half} ct"
    );
}

#[test]
fn an_lfo_waits_for_its_delay_then_fades_in() {
    let base = midi_hz(57.0);
    let mut synth = square_vibrato(&[
        ("lfo_delay", "400"),
        ("lfo_fade", "400"),
        ("lfo_mode", "voice"),
    ]);
    let out = render(&mut synth, &[note(57, 0.0, 1.6, 1.0, SR)], 256);
    // Through the delay (0.4 s) the pitch holds; at 0.6 s, halfway through
    // the fade-in, the square (high from 0.5 to 0.75 s) moves it half as far.
    let held = cents(frequency(&out.left, 0.05, 0.35, base), base);
    let full = cents(frequency(&out.left, 1.02, 1.23, base), base);
    let fading = cents(frequency(&out.left, 0.55, 0.65, base), base);
    println!("delay: {held:.1} ct; fading in: {fading:.0} ct; faded in: {full:.0} ct");
    assert!(held.abs() < 1.0, "moved during the delay: {held} ct");
    assert!((full - 600.0).abs() < 5.0, "after the fade-in: {full} ct");
    assert!(
        fading > 150.0 && fading < 450.0,
        "halfway through the fade: {fading} ct"
    );
}

/// Renders 2 s from song position `start_beats` (120 bpm) into a synth that
/// first played `warm_up_s` seconds of silence from beat 0; a note starts at once.
fn render_from(extra: &[(&str, &str)], warm_up_s: f64, start_beats: f64) -> Vec<f32> {
    let mut synth = synth_with(
        &[
            &[
                ("table", "Basic Shapes"),
                ("lfo_rate", "0.7"),
                ("mod_source_6", "lfo_1"),
                ("mod_destination_6", "pitch"),
                ("mod_amount_6", "0.3"),
            ],
            extra,
        ]
        .concat(),
        SR,
    );
    let block = 480usize;
    let (mut l, mut r) = (vec![0.0f32; block], vec![0.0f32; block]);
    let mut beats = 0.0;
    for _ in 0..at(warm_up_s) / block {
        let mut io = SliceEvents::new(&[], 16);
        let transport = Transport {
            tempo: 120.0,
            position_beats: Some(beats),
        };
        synth.process(&mut l, &mut r, transport, &mut io);
        beats += block as f64 / f64::from(SR) * 2.0;
    }
    let mut out = Vec::new();
    beats = start_beats;
    for i in 0..at(2.0) / block {
        let events = if i == 0 {
            vec![SynthEvent::NoteOn {
                timing: 0,
                voice_id: None,
                channel: 0,
                key: 60,
                velocity: 1.0,
            }]
        } else {
            Vec::new()
        };
        let mut io = SliceEvents::new(&events, 16);
        let transport = Transport {
            tempo: 120.0,
            position_beats: Some(beats),
        };
        synth.process(&mut l, &mut r, transport, &mut io);
        out.extend_from_slice(&l);
        beats += block as f64 / f64::from(SR) * 2.0;
    }
    out
}

#[test]
fn a_transport_locked_lfo_repeats_in_every_bounce() {
    // The same bar bounced after different histories (a fresh instance, and
    // one that ran 1.3 s before): locked to the transport, the two are the
    // same bit for bit; a free-running LFO differs.
    let locked = [("lfo_mode", "transport")];
    let a = render_from(&locked, 0.0, 8.0);
    let b = render_from(&locked, 1.3, 8.0);
    assert_eq!(a, b, "a transport-locked LFO depends on what came before");
    let a = render_from(&[], 0.0, 8.0);
    let b = render_from(&[], 1.3, 8.0);
    assert_ne!(
        a, b,
        "a free LFO should depend on its history (test has no teeth)"
    );
}

#[test]
fn the_sub_sounds_an_octave_down_and_noise_fills_the_spectrum() {
    // A sine table at C4 with a square sub one octave down.
    let mut synth = synth_with(
        &[
            ("table", "Basic Shapes"),
            ("position", "0"),
            ("sub_level", "1"),
            ("sub_shape", "square"),
        ],
        SR,
    );
    let out = render(&mut synth, &[note(60, 0.0, 1.0, 1.0, SR)], 256);
    let f = midi_hz(60.0);
    let found = frequency(&out.left, 0.2, 0.8, f / 2.0);
    assert!(cents(found, f / 2.0).abs() < 1.0, "sub at {found} Hz");
    let aliasing = non_harmonic_db(
        &out.left[at(0.2)..at(0.2) + 32768],
        f / 2.0,
        f64::from(SR),
        8.0,
    );
    println!("sub square: fundamental {found:.2} Hz, non-harmonic {aliasing:.1} dB");
    assert!(aliasing < -90.0, "sub non-harmonic energy {aliasing} dB");

    // A sine note has nothing at 8–16 kHz; the noise fills it, and the
    // voice's filter takes it out again (the noise runs through the filter).
    let high_band_db = |noise: &str, cutoff: &str| {
        let mut synth = synth_with(
            &[
                ("table", "Basic Shapes"),
                ("position", "0"),
                ("noise_level", noise),
                ("cutoff", cutoff),
            ],
            SR,
        );
        let out = render(&mut synth, &[note(60, 0.0, 1.0, 1.0, SR)], 256);
        let spectrum = power_spectrum(&out.left[at(0.2)..at(0.2) + 16384]);
        let bin = f64::from(SR) / 16384.0;
        let energy: f64 = spectrum[(8000.0 / bin) as usize..(16000.0 / bin) as usize]
            .iter()
            .sum();
        10.0 * energy.max(1e-30).log10()
    };
    let clean = high_band_db("0", "20000");
    let noisy = high_band_db("0.5", "20000");
    let filtered = high_band_db("0.5", "500");
    println!("8–16 kHz: {clean:.1} dB without noise, {noisy:.1} dB with, {filtered:.1} dB through a 500 Hz low-pass");
    assert!(noisy > clean + 60.0, "the noise should fill the top octave");
    assert!(
        filtered < noisy - 40.0,
        "the filter should take the noise out"
    );
}
