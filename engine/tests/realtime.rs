//! Real-time safety: `Synth::process` runs inside nice-plug's
//! `assert_process_allocs` guard (nice-assert-no-alloc: any allocation or
//! deallocation aborts the process) through note storms, polyphonic
//! modulation, pitch bend, pedal, wheel, aftertouch, MPE and note
//! expressions, note starts held for a coming table, automation of every
//! parameter with wild values and block sizes from 1 to 4096. A second test proves the guard is armed by
//! running an allocating probe in a child process and watching it abort.

mod common;
use nice_assert_no_alloc::assert_no_alloc;
use nwt_engine::neural::TableLink;
use nwt_engine::{NoteExpression, SliceEvents, Synth, SynthEvent, SynthParams, Transport};
use nwt_model::rng::Rng;
use std::sync::Arc;

const SR: f32 = 48_000.0;

fn storm(rng: &mut Rng, block: usize, events: &mut Vec<SynthEvent>) {
    events.clear();
    let count = (rng.next_u32() % 24) as usize;
    let mut timings: Vec<u32> = (0..count).map(|_| rng.next_u32() % block as u32).collect();
    timings.sort_unstable();
    for timing in timings {
        let key = (rng.next_u32() % 128) as u8;
        let id = (rng.next_u32() % 200) as i32;
        let voice_id = Some(id);
        let event = match rng.next_u32() % 13 {
            10 => SynthEvent::Control {
                timing,
                channel: (rng.next_u32() % 16) as u8,
                cc: [1u8, 64, 74, 7][(rng.next_u32() % 4) as usize],
                value: rng.bipolar().abs(),
            },
            11 => SynthEvent::ChannelPressure {
                timing,
                channel: (rng.next_u32() % 16) as u8,
                pressure: rng.bipolar().abs(),
            },
            12 => SynthEvent::Expression {
                timing,
                voice_id,
                channel: 0,
                key,
                expression: match rng.next_u32() % 5 {
                    0 => NoteExpression::Pressure(rng.bipolar().abs()),
                    1 => NoteExpression::Brightness(rng.bipolar().abs()),
                    2 => NoteExpression::Tuning(rng.bipolar() * 12.0),
                    3 => NoteExpression::Volume(rng.bipolar().abs() * 2.0),
                    _ => NoteExpression::Pan(rng.bipolar()),
                },
            },
            0..=3 => SynthEvent::NoteOn {
                timing,
                voice_id,
                channel: (rng.next_u32() % 16) as u8,
                key,
                velocity: rng.bipolar().abs(),
            },
            4..=5 => SynthEvent::NoteOff {
                timing,
                voice_id,
                channel: 0,
                key,
            },
            6 => SynthEvent::Choke {
                timing,
                voice_id: None,
                channel: 0,
                key,
            },
            7 => SynthEvent::PolyModulation {
                timing,
                voice_id: id,
                poly_modulation_id: rng.next_u32() % 4,
                normalized_offset: rng.bipolar() * 1.5,
            },
            8 => SynthEvent::PitchBend {
                timing,
                channel: (rng.next_u32() % 16) as u8,
                value: rng.bipolar(),
            },
            _ => {
                if rng.next_u32().is_multiple_of(8) {
                    SynthEvent::AllNotesOff { timing }
                } else {
                    SynthEvent::NoteOn {
                        timing,
                        voice_id: None,
                        channel: 0,
                        key,
                        velocity: 1.0,
                    }
                }
            }
        };
        events.push(event);
    }
}

#[test]
fn process_never_allocates() {
    if std::env::var_os("NWT_ALLOC_PROBE").is_some() {
        return;
    }
    let params = Arc::new(SynthParams::default());
    let mut synth = Synth::new(params.clone(), SR);
    let ids = params.ids();
    let mut rng = Rng::new(42);
    let (mut left, mut right) = (vec![0.0f32; 4096], vec![0.0f32; 4096]);
    let mut events = Vec::with_capacity(64);
    let sizes = [
        1usize, 2, 3, 7, 16, 31, 32, 33, 64, 100, 128, 256, 511, 512, 1024, 2048, 4096,
    ];
    let mut automated = vec![false; ids.len()];
    let mut rendered = 0usize;
    for round in 0..300 {
        let block = if round % 2 == 0 {
            sizes[(round / 2) % sizes.len()]
        } else {
            1 + (rng.next_u32() % 4096) as usize
        };
        // Automation, applied between blocks as a host wrapper does.
        for k in 0..4 {
            let which = (round * 4 + k) % ids.len();
            let value = match rng.next_u32() % 6 {
                0 => f32::NAN,
                1 => -3.0,
                2 => 7.0,
                _ => rng.bipolar().abs(),
            };
            params.set_normalized_by_id(&ids[which], value, SR).unwrap();
            automated[which] = true;
        }
        if round == 150 {
            // From here on note starts may wait for a table that never comes
            // (the load hold), with its queue and its bound.
            synth.set_table_link(Some(TableLink::new()));
        }
        storm(&mut rng, block, &mut events);
        let mut io = SliceEvents::new(&events, 256);
        let transport = Transport {
            tempo: 60.0 + f64::from(rng.next_u32() % 200),
            position_beats: Some(round as f64),
        };
        let (l, r) = (&mut left[..block], &mut right[..block]);
        assert_no_alloc(|| synth.process(l, r, transport, &mut io));
        assert!(
            l.iter()
                .chain(r.iter())
                .all(|x| x.is_finite() && x.abs() < 100.0),
            "round {round}"
        );
        rendered += block;
    }
    assert!(
        automated.iter().all(|&a| a),
        "every parameter was automated"
    );
    assert_eq!(synth.sanitized_samples(), 0, "the sanitiser had work");
    println!("rendered {rendered} samples under the allocation guard");
}

#[test]
fn alloc_guard_is_armed() {
    if std::env::var_os("NWT_ALLOC_PROBE").is_some() {
        // The child: allocate under the guard; this must abort.
        let v = assert_no_alloc(|| Vec::<u64>::with_capacity(1000));
        println!("allocation of {} slots was not caught", v.capacity());
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "alloc_guard_is_armed",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NWT_ALLOC_PROBE", "1")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the probe allocated under the guard and survived"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("was not caught"));
}

#[test]
fn the_effects_rack_sub_and_noise_never_allocate() {
    if std::env::var_os("NWT_ALLOC_PROBE").is_some() {
        return;
    }
    let params = Arc::new(SynthParams::default());
    for id in ["drive_on", "chorus_on", "delay_on", "reverb_on"] {
        params.set_by_id(id, "1", SR).unwrap();
    }
    params.set_by_id("sub_level", "0.8", SR).unwrap();
    params.set_by_id("noise_level", "0.5", SR).unwrap();
    let mut synth = Synth::new(params.clone(), SR);
    let effect_ids: Vec<String> = params
        .ids()
        .into_iter()
        .filter(|id| {
            ["drive_", "chorus_", "delay_", "reverb_", "sub_", "noise_"]
                .iter()
                .any(|p| id.starts_with(p))
                && !id.ends_with("_on")
        })
        .collect();
    assert!(effect_ids.len() >= 20, "{effect_ids:?}");
    let mut rng = Rng::new(7);
    let (mut left, mut right) = (vec![0.0f32; 4096], vec![0.0f32; 4096]);
    let mut events = Vec::with_capacity(64);
    for round in 0..200 {
        let block = 1 + (rng.next_u32() % 2048) as usize;
        for k in 0..3 {
            let id = &effect_ids[(round * 3 + k) % effect_ids.len()];
            let value = match rng.next_u32() % 5 {
                0 => f32::NAN,
                1 => 9.0,
                _ => rng.bipolar().abs(),
            };
            params.set_normalized_by_id(id, value, SR).unwrap();
        }
        // Silence now and then, so the rack falls asleep and wakes again.
        if round % 40 < 30 {
            storm(&mut rng, block, &mut events);
        } else {
            events.clear();
            events.push(SynthEvent::AllNotesOff { timing: 0 });
        }
        let mut io = SliceEvents::new(&events, 256);
        let transport = Transport {
            tempo: 40.0 + f64::from(rng.next_u32() % 200),
            position_beats: None,
        };
        let (l, r) = (&mut left[..block], &mut right[..block]);
        assert_no_alloc(|| synth.process(l, r, transport, &mut io));
        assert!(
            l.iter()
                .chain(r.iter())
                .all(|x| x.is_finite() && x.abs() < 100.0),
            "round {round}"
        );
    }
    assert_eq!(synth.sanitized_samples(), 0, "the sanitiser had work");
}
