//! Robustness: NaN, infinite and out-of-range inputs, and sample rates from
//! 8 kHz to 384 kHz, never give NaN/inf output or a panic.

mod common;
use common::*;
use nwt_engine::{SliceEvents, Synth, SynthEvent, SynthParams, Transport};
use std::sync::Arc;

#[test]
fn every_key_at_every_sample_rate_stays_finite() {
    for sr in [
        8_000.0f32, 11_025.0, 22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0, 384_000.0,
    ] {
        let settings = [
            ("unison", "16"),
            ("detune", "100"),
            ("pitch", "24"),
            ("resonance", "1"),
            ("cutoff", "20000"),
        ];
        let mut synth = synth_with(&settings, sr);
        let notes: Vec<_> = (0..128u8)
            .map(|k| note(k, f64::from(k) * 0.002, 0.3, 1.0, sr))
            .collect();
        let out = render(&mut synth, &notes, 1024);
        assert!(
            out.left
                .iter()
                .chain(&out.right)
                .all(|x| x.is_finite() && x.abs() < 1e3),
            "{sr}"
        );
        assert!(peak_dbfs(&out.left) > -40.0, "{sr}: silent");
        assert_eq!(synth.sanitized_samples(), 0, "{sr}: the sanitiser had work");
    }
}

#[test]
fn hostile_events_and_rates_stay_finite() {
    for sr in [f32::NAN, 0.0, -1.0, 1.0, 1e9] {
        let params = Arc::new(SynthParams::default());
        let mut synth = Synth::new(params, sr);
        let events = [
            SynthEvent::NoteOn {
                timing: 0,
                voice_id: None,
                channel: 200,
                key: 255,
                velocity: f32::NAN,
            },
            SynthEvent::NoteOn {
                timing: 3,
                voice_id: Some(-1),
                channel: 0,
                key: 60,
                velocity: f32::INFINITY,
            },
            SynthEvent::PolyModulation {
                timing: 4,
                voice_id: -1,
                poly_modulation_id: 1,
                normalized_offset: f32::NAN,
            },
            SynthEvent::PolyModulation {
                timing: 5,
                voice_id: -1,
                poly_modulation_id: 2,
                normalized_offset: f32::INFINITY,
            },
            SynthEvent::PitchBend {
                timing: 6,
                channel: 0,
                value: f32::NEG_INFINITY,
            },
            SynthEvent::NoteOff {
                timing: 10_000,
                voice_id: None,
                channel: 0,
                key: 60,
            },
        ];
        let (mut l, mut r) = (vec![0.0; 64], vec![0.0; 64]);
        let mut io = SliceEvents::new(&events, 8);
        synth.process(
            &mut l,
            &mut r,
            Transport {
                tempo: f64::NAN,
                position_beats: Some(f64::INFINITY),
            },
            &mut io,
        );
        for _ in 0..100 {
            synth.process(
                &mut l,
                &mut r,
                Transport::default(),
                &mut SliceEvents::new(&[], 0),
            );
            assert!(l.iter().chain(&r).all(|x| x.is_finite()), "{sr}");
        }
        // Hostile events are guarded where they enter, not at the output.
        assert_eq!(synth.sanitized_samples(), 0, "{sr}: the sanitiser had work");
    }
}

#[test]
fn extreme_parameter_values_stay_finite() {
    let sr = 44_100.0;
    let params = Arc::new(SynthParams::default());
    let mut synth = Synth::new(params.clone(), sr);
    let (mut l, mut r) = (vec![0.0; 256], vec![0.0; 256]);
    let on: Vec<SynthEvent> = (20..100)
        .step_by(7)
        .map(|k| SynthEvent::NoteOn {
            timing: 0,
            voice_id: None,
            channel: 0,
            key: k,
            velocity: 1.0,
        })
        .collect();
    synth.process(
        &mut l,
        &mut r,
        Transport::default(),
        &mut SliceEvents::new(&on, 0),
    );
    for id in params.ids() {
        for value in [0.0, 1.0, f32::NAN, f32::INFINITY, -5.0, 5.0] {
            params.set_normalized_by_id(&id, value, sr).unwrap();
            for _ in 0..4 {
                synth.process(
                    &mut l,
                    &mut r,
                    Transport::default(),
                    &mut SliceEvents::new(&[], 0),
                );
                assert!(
                    l.iter().chain(&r).all(|x| x.is_finite() && x.abs() < 1e3),
                    "{id}={value}"
                );
                assert_eq!(
                    synth.sanitized_samples(),
                    0,
                    "{id}={value}: the sanitiser had work"
                );
            }
        }
    }
}

#[test]
fn a_fresh_synth_plays_at_its_set_level_at_once() {
    // No smoother reset by the caller: the synth must snap them itself.
    let sr = 48_000.0;
    let params = Arc::new(SynthParams::default());
    params.set_by_id("table", "Basic Shapes", sr).unwrap();
    let mut synth = Synth::new(params, sr);
    let out = render(&mut synth, &[note(69, 0.0, 0.2, 1.0, sr)], 128);
    // A sine at velocity 1 and the default gain, from the first millisecond on.
    let early = &out.left[48..(0.02 * sr) as usize];
    let peak = early.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let gain = 10f32.powf(nwt_engine::params::DEFAULT_GAIN_DB / 20.0);
    assert!((peak - gain).abs() < 0.02 * gain, "{peak} vs {gain}");
}
