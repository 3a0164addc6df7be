//! What a keyboard player's controllers do, measured on rendered audio: the
//! sustain pedal, the mod wheel and aftertouch through the modulation
//! matrix, velocity, MPE (per-channel bend, pressure and CC 74) and CLAP
//! note expressions.

mod common;
use common::*;
use nwt_engine::controllers::{CC_MOD_WHEEL, CC_SUSTAIN, CC_TIMBRE};
use nwt_engine::offline::{self, OfflineNote, RenderOptions, Rendered, TimedEvent};
use nwt_engine::telemetry::AudioReport;
use nwt_engine::{NoteExpression, Synth, SynthEvent};

const SR: f32 = 48_000.0;

fn at(seconds: f64) -> u64 {
    (seconds * f64::from(SR)).round() as u64
}

fn on_channel(key: u8, start: f64, end: f64, channel: u8) -> OfflineNote {
    OfflineNote {
        channel,
        ..note(key, start, end, 1.0, SR)
    }
}

fn control(seconds: f64, channel: u8, cc: u8, value: f32) -> TimedEvent {
    TimedEvent {
        at: at(seconds),
        event: SynthEvent::Control {
            timing: 0,
            channel,
            cc,
            value,
        },
    }
}

fn render_with(synth: &mut Synth, notes: &[OfflineNote], extra: Vec<TimedEvent>) -> Rendered {
    let mut events = offline::note_events(notes);
    events.extend(extra);
    let mut options = RenderOptions::new(SR);
    options.block_size = 256;
    offline::render_events(synth, events, options, |_, _| {})
}

/// RMS level in dBFS of `x` between `from` and `to` seconds.
fn rms_db(x: &[f32], from: f64, to: f64) -> f64 {
    let part = &x[at(from) as usize..(at(to) as usize).min(x.len())];
    let power = part.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / part.len() as f64;
    10.0 * power.max(1e-30).log10()
}

fn frequency(x: &[f32], from: f64, to: f64, guess: f64) -> f64 {
    estimate_frequency(
        &x[at(from) as usize..at(to) as usize],
        f64::from(SR),
        guess,
        guess * 0.1,
    )
}

#[test]
fn a_held_pedal_keeps_a_released_note_sounding_until_it_lifts() {
    let mut synth = synth_with(&[("amp_release", "20")], SR);
    let out = render_with(
        &mut synth,
        &[note(69, 0.0, 0.2, 1.0, SR)],
        vec![
            control(0.1, 0, CC_SUSTAIN, 1.0),
            control(0.6, 0, CC_SUSTAIN, 0.0),
        ],
    );
    let held = rms_db(&out.left, 0.3, 0.55);
    let playing = rms_db(&out.left, 0.05, 0.15);
    assert!(
        (held - playing).abs() < 0.5,
        "held {held:.1} dB vs {playing:.1} dB"
    );
    // The render stops once the synth is silent: 20 ms of release after the lift.
    let end = out.left.len() as f64 / f64::from(SR);
    assert!((0.6..0.64).contains(&end), "the note ended at {end:.3} s");

    // Without the pedal the same note ends at its note-off.
    let mut plain = synth_with(&[("amp_release", "20")], SR);
    let out = render_with(&mut plain, &[note(69, 0.0, 0.2, 1.0, SR)], vec![]);
    let end = out.left.len() as f64 / f64::from(SR);
    assert!(
        (0.2..0.24).contains(&end),
        "without the pedal it ended at {end:.3} s"
    );
}

#[test]
fn a_key_struck_again_under_the_pedal_does_not_pile_up_voices() {
    let notes: Vec<_> = (0..8)
        .map(|i| note(60, 0.1 * i as f64, 0.1 * i as f64 + 0.05, 1.0, SR))
        .collect();
    // Count the voices block by block.
    let mut most = 0;
    let mut synth = synth_with(&[("amp_release", "30")], SR);
    let mut events = offline::note_events(&notes);
    events.push(control(0.0, 0, CC_SUSTAIN, 1.0));
    events.sort_by_key(|e| e.at);
    let block = 256;
    let (mut l, mut r) = (vec![0.0; block], vec![0.0; block]);
    for b in 0..(0.9 * SR as f64) as usize / block {
        let start = (b * block) as u64;
        let mut block_events: Vec<SynthEvent> = events
            .iter()
            .filter(|e| e.at >= start && e.at < start + block as u64)
            .map(|e| {
                let mut ev = e.event;
                *ev.timing_mut() = (e.at - start) as u32;
                ev
            })
            .collect();
        block_events.sort_by_key(|e| e.timing());
        let mut io = nwt_engine::SliceEvents::new(&block_events, 16);
        synth.process(&mut l, &mut r, Default::default(), &mut io);
        most = most.max(synth.active_voices());
    }
    assert!(
        most <= 2,
        "8 strikes of one key under the pedal kept {most} voices sounding"
    );
    assert_eq!(synth.active_voices(), 1, "the last strike still sounds");
}

#[test]
fn stealing_under_the_pedal_takes_pedal_held_notes_before_held_keys() {
    let mut synth = synth_with(&[("amp_release", "5000")], SR);
    let block = 64;
    let (mut l, mut r) = (vec![0.0; block], vec![0.0; block]);
    let mut events = vec![
        SynthEvent::Control {
            timing: 0,
            channel: 0,
            cc: CC_SUSTAIN,
            value: 1.0,
        },
        SynthEvent::NoteOn {
            timing: 0,
            voice_id: Some(1000),
            channel: 0,
            key: 20,
            velocity: 1.0,
        },
    ];
    // 70 more keys struck and let go under the pedal: they fill the voices.
    for key in 30..100u8 {
        events.push(SynthEvent::NoteOn {
            timing: 1,
            voice_id: Some(i32::from(key)),
            channel: 0,
            key,
            velocity: 1.0,
        });
        events.push(SynthEvent::NoteOff {
            timing: 2,
            voice_id: Some(i32::from(key)),
            channel: 0,
            key,
        });
    }
    events.sort_by_key(|e| e.timing());
    let mut io = nwt_engine::SliceEvents::new(&events, 128);
    synth.process(&mut l, &mut r, Default::default(), &mut io);
    for _ in 0..20 {
        let mut io = nwt_engine::SliceEvents::new(&[], 128);
        synth.process(&mut l, &mut r, Default::default(), &mut io);
    }
    let mut report = AudioReport::default();
    synth.fill_report(&mut report);
    assert_eq!(synth.active_voices(), nwt_engine::MAX_VOICES);
    // The key still held down (voice id 1000, key 20) was never stolen.
    let mut io = nwt_engine::SliceEvents::new(
        &[SynthEvent::NoteOff {
            timing: 0,
            voice_id: Some(1000),
            channel: 0,
            key: 20,
        }],
        128,
    );
    let before = synth.active_voices();
    synth.process(&mut l, &mut r, Default::default(), &mut io);
    assert_eq!(synth.active_voices(), before, "key 20 was still sounding");
}

#[test]
fn the_mod_wheel_and_aftertouch_move_their_destinations() {
    // Wheel -> pitch +12 st at amount 1; channel aftertouch -> level -24 dB at -1.
    let settings = [
        ("mod_source_4", "Mod Wheel"),
        ("mod_destination_4", "Pitch"),
        ("mod_amount_4", "1"),
        ("mod_source_2", "Aftertouch"),
        ("mod_destination_2", "Level"),
        ("mod_amount_2", "-1"),
    ];
    let mut synth = synth_with(&settings, SR);
    let pressure = TimedEvent {
        at: at(1.5),
        event: SynthEvent::ChannelPressure {
            timing: 0,
            channel: 0,
            pressure: 0.5,
        },
    };
    let out = render_with(
        &mut synth,
        &[note(57, 0.0, 2.5, 1.0, SR)],
        vec![control(0.5, 0, CC_MOD_WHEEL, 1.0), pressure],
    );
    let before = frequency(&out.left, 0.1, 0.45, 220.0);
    let after = frequency(&out.left, 0.6, 1.4, 440.0);
    assert!(cents(before, 220.0).abs() < 0.1, "{before} Hz");
    assert!(
        cents(after, 440.0).abs() < 0.1,
        "{after} Hz with the wheel up"
    );
    let drop = rms_db(&out.left, 1.6, 2.4) - rms_db(&out.left, 0.6, 1.4);
    assert!(
        (drop + 12.0).abs() < 0.2,
        "half aftertouch at -100 % on level: {drop:.2} dB"
    );
}

#[test]
fn velocity_routed_to_pitch_transposes_each_note_by_its_own_velocity() {
    let settings = [
        ("mod_source_4", "Velocity"),
        ("mod_destination_4", "Pitch"),
        ("mod_amount_4", "1"),
    ];
    for (velocity, expected) in [(1.0f32, 440.0), (0.5, 440.0 / 2f64.sqrt())] {
        let mut synth = synth_with(&settings, SR);
        let out = render_with(
            &mut synth,
            &[OfflineNote {
                velocity,
                ..note(57, 0.0, 1.0, 1.0, SR)
            }],
            vec![],
        );
        let f = frequency(&out.left, 0.1, 0.9, expected);
        assert!(
            cents(f, expected).abs() < 0.1,
            "velocity {velocity}: {f} Hz"
        );
    }
}

#[test]
fn mpe_bend_pressure_and_timbre_act_on_their_own_channel_only() {
    let mpe = [
        ("mpe", "1"),
        ("mod_source_2", "Poly Pressure"),
        ("mod_destination_2", "Level"),
        ("mod_amount_2", "-0.5"),
    ];
    // Two notes on member channels 2 and 3; the bend, pressure and timbre go to channel 3.
    let member = |event| TimedEvent { at: at(0.5), event };
    let expressions = vec![
        member(SynthEvent::PitchBend {
            timing: 0,
            channel: 2,
            value: 0.25,
        }),
        member(SynthEvent::ChannelPressure {
            timing: 0,
            channel: 2,
            pressure: 1.0,
        }),
        control(0.5, 2, CC_TIMBRE, 1.0),
    ];
    let notes = [on_channel(57, 0.0, 1.5, 1), on_channel(69, 0.0, 1.5, 2)];

    // Each note rendered alone with every expression sent: the channel-2 note
    // (A3) is untouched, the channel-3 note (A4) bends by 12 st (0.25 of 48),
    // drops 12 dB and scans the table.
    let alone = |n: OfflineNote| {
        let mut synth = synth_with(&mpe, SR);
        render_with(&mut synth, &[n], expressions.clone()).left
    };
    let untouched = alone(notes[0]);
    assert!(cents(frequency(&untouched, 0.6, 1.4, 220.0), 220.0).abs() < 0.1);
    let level = rms_db(&untouched, 0.6, 1.4) - rms_db(&untouched, 0.1, 0.45);
    assert!(level.abs() < 0.2, "channel 2 level moved by {level:.2} dB");
    let moved = alone(notes[1]);
    assert!(cents(frequency(&moved, 0.6, 1.4, 880.0), 880.0).abs() < 0.1);
    let level = rms_db(&moved, 0.6, 1.4) - rms_db(&moved, 0.1, 0.45);
    assert!(
        (level + 12.0).abs() < 0.3,
        "channel 3 pressure: {level:.2} dB"
    );

    // Both together: CC 74 moves only the channel-3 voice's table position
    // (Timbre -> Position at +50 % is the default matrix).
    let mut synth = synth_with(&mpe, SR);
    let mut events = offline::note_events(&notes);
    events.extend(expressions.clone());
    let mut options = RenderOptions::new(SR);
    options.max_tail = 0;
    let mut positions = Vec::new();
    let mut report = AudioReport::default();
    offline::render_events(&mut synth, events, options, |_, _| {});
    synth.fill_report(&mut report);
    positions.extend_from_slice(&report.positions[..report.voices]);
    positions.sort_by(f32::total_cmp);
    assert_eq!(positions, vec![0.0, 0.5], "the voices' table positions");

    // Without MPE the same bend moves every note and pressure is shared.
    let mut synth = synth_with(&[], SR);
    let plain = render_with(&mut synth, &[notes[0]], expressions).left;
    assert!(
        cents(
            frequency(&plain, 0.6, 1.4, 220.0),
            220.0 * 2f64.powf(0.5 / 12.0)
        )
        .abs()
            < 0.1
    );
}

#[test]
fn clap_note_expressions_tune_level_and_pan_one_note() {
    let expression = |seconds: f64, voice_id: i32, expression| TimedEvent {
        at: at(seconds),
        event: SynthEvent::Expression {
            timing: 0,
            voice_id: Some(voice_id),
            channel: 0,
            key: 0,
            expression,
        },
    };
    let notes = [note(57, 0.0, 1.5, 1.0, SR), note(64, 0.0, 1.5, 1.0, SR)];
    let mut synth = synth_with(&[], SR);
    let out = render_with(
        &mut synth,
        &notes[..1],
        vec![
            expression(0.5, 0, NoteExpression::Tuning(12.0)),
            expression(0.5, 0, NoteExpression::Volume(0.5)),
            expression(0.5, 0, NoteExpression::Pan(-1.0)),
            // Note 1 does not exist in this render: nothing else changes.
            expression(0.5, 1, NoteExpression::Tuning(-24.0)),
        ],
    );
    assert!(cents(frequency(&out.left, 0.6, 1.4, 440.0), 440.0).abs() < 0.1);
    let level = rms_db(&out.left, 0.6, 1.4) - rms_db(&out.left, 0.1, 0.45);
    assert!((level + 6.02).abs() < 0.2, "volume 0.5: {level:.2} dB");
    assert!(rms_db(&out.right, 0.6, 1.4) < -120.0, "panned hard left");

    // Brightness reads like CC 74: with the default matrix it moves the position.
    let mut synth = synth_with(&[], SR);
    let mut events = offline::note_events(&notes);
    events.push(expression(0.1, 1, NoteExpression::Brightness(1.0)));
    let mut options = RenderOptions::new(SR);
    options.max_tail = 0;
    offline::render_events(&mut synth, events, options, |_, _| {});
    let mut report = AudioReport::default();
    synth.fill_report(&mut report);
    let mut positions = report.positions[..report.voices].to_vec();
    positions.sort_by(f32::total_cmp);
    // Brightness 1 = timbre +1: note 1 at position 0.5, note 0 untouched.
    assert_eq!(positions, vec![0.0, 0.5]);
}

#[test]
fn hostile_controller_values_are_ignored_or_clamped() {
    let mut synth = synth_with(&[("mpe", "1")], SR);
    let nan = f32::NAN;
    let extra = vec![
        control(0.1, 0, CC_SUSTAIN, nan),
        control(0.1, 200, CC_TIMBRE, f32::INFINITY),
        TimedEvent {
            at: at(0.1),
            event: SynthEvent::PitchBend {
                timing: 0,
                channel: 255,
                value: nan,
            },
        },
        TimedEvent {
            at: at(0.1),
            event: SynthEvent::Expression {
                timing: 0,
                voice_id: None,
                channel: 0,
                key: 69,
                expression: NoteExpression::Volume(f32::INFINITY),
            },
        },
    ];
    let out = render_with(&mut synth, &[note(69, 0.0, 0.5, 1.0, SR)], extra);
    assert!(out.left.iter().all(|v| v.is_finite()));
    assert!(cents(frequency(&out.left, 0.15, 0.45, 440.0), 440.0).abs() < 0.1);
}

/// The mod envelope and the LFOs as matrix sources, heard in the pitch: the
/// mod envelope (instant attack, 150 ms decay to 0) routed to pitch at +100 %
/// starts the note an octave up and settles it on its key; LFO 2 (square,
/// 2 Hz) at +50 % on pitch alternates ±6 semitones.
#[test]
fn the_mod_envelope_and_lfo_2_move_the_pitch() {
    let base = midi_hz(57.0);
    let mut synth = synth_with(
        &[
            ("table", "Basic Shapes"),
            ("position", "0"),
            ("mod_env_attack", "0"),
            ("mod_env_decay", "150"),
            ("mod_env_sustain", "0"),
            ("mod_source_5", "mod_env"),
            ("mod_destination_5", "pitch"),
            ("mod_amount_5", "1"),
        ],
        SR,
    );
    let out = render_with(&mut synth, &[note(57, 0.0, 1.0, 1.0, SR)], vec![]);
    let early = frequency(&out.left, 0.0, 0.02, 2.0 * base);
    let late = frequency(&out.left, 0.6, 0.9, base);
    println!(
        "mod envelope on pitch: {early:.1} Hz at the start, {late:.2} Hz later ({base:.2} Hz key)"
    );
    assert!((early / base).log2() > 0.7, "starts {early} Hz");
    assert!(cents(late, base).abs() < 1.0, "settles at {late} Hz");

    let mut synth = synth_with(
        &[
            ("table", "Basic Shapes"),
            ("position", "0"),
            ("lfo2_shape", "square"),
            ("lfo2_rate", "2"),
            ("mod_source_6", "lfo_2"),
            ("mod_destination_6", "pitch"),
            ("mod_amount_6", "0.5"),
        ],
        SR,
    );
    let out = render_with(&mut synth, &[note(57, 0.0, 1.0, 1.0, SR)], vec![]);
    let up = frequency(&out.left, 0.05, 0.2, base * 1.41);
    let down = frequency(&out.left, 0.3, 0.45, base / 1.41);
    println!("LFO 2 square on pitch: {up:.1} Hz, then {down:.1} Hz");
    assert!((cents(up, base) - 600.0).abs() < 5.0, "up {up}");
    assert!((cents(down, base) + 600.0).abs() < 5.0, "down {down}");
}
