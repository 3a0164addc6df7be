//! Controllers and loads that reach the decoder: a macro or a semantic knob
//! moved by the mod wheel builds the table the knob would, and a note struck right after a new
//! sound is loaded waits (briefly) for that sound's table instead of playing
//! the old one.

mod common;
use common::*;
use nwt_engine::analysis::largest_difference;
use nwt_engine::controllers::CC_MOD_WHEEL;
use nwt_engine::neural::{AnchorShape, Anchors, DecoderWorker, TableLink, WorkerOptions};
use nwt_engine::offline::{self, RenderOptions, TimedEvent};
use nwt_engine::synth::LOAD_HOLD;
use nwt_engine::{SliceEvents, Synth, SynthEvent, Transport};
use nwt_model::Model;
use std::time::Duration;

const SR: f32 = 48_000.0;
const SETTLE: Duration = Duration::from_secs(60);

fn neural_synth(settings: &[(&str, &str)], anchors: &[AnchorShape]) -> (Synth, DecoderWorker) {
    let mut synth = synth_with(settings, SR);
    synth.params().set_anchors(Anchors::from_shapes(anchors));
    let model = Model::embedded().expect("the shipped weights load");
    let worker = DecoderWorker::attach(&mut synth, model, WorkerOptions::default()).unwrap();
    assert!(worker.settle(SETTLE), "the worker settles");
    (synth, worker)
}

/// Level of harmonic `k` of `f0` relative to the fundamental, in dB.
fn harmonic_db(x: &[f32], f0: f64, k: usize) -> f64 {
    use nwt_engine::analysis::dft_magnitude;
    let w = kaiser(x.len(), 12.0);
    let at = |f: f64| dft_magnitude(x, &w, f, f64::from(SR));
    20.0 * (at(f0 * k as f64) / at(f0)).log10()
}

#[test]
fn the_mod_wheel_on_a_macro_plays_the_table_the_knob_would() {
    // The default matrix: Mod Wheel -> Macro 1 at +50 %.
    let values = wheel_plays_what_the_knob_would(&[], "macro_1");
    assert_eq!(values.macro_values()[0], 0.5);
}

#[test]
fn the_mod_wheel_on_a_semantic_knob_plays_the_table_the_knob_would() {
    let values =
        wheel_plays_what_the_knob_would(&[("mod_destination_1", "Brightness")], "brightness");
    assert_eq!(values.knob_values()[0], 0.5);
    assert_eq!(values.macro_values()[0], 0.0);
}

/// Renders a note with the mod wheel up (slot 1 at its default +50 %, routed
/// by `routing`), with `knob` at 0.5 instead, and with neither; asserts the
/// first two are the same sound after the first 0.1 s and differ from the
/// third. Returns the wheel synth's parameters.
fn wheel_plays_what_the_knob_would(
    routing: &[(&str, &str)],
    knob: &str,
) -> std::sync::Arc<nwt_engine::params::SynthParams> {
    let anchors = [AnchorShape::Saw, AnchorShape::Square];
    let notes = [note(57, 0.1, 0.5, 0.9, SR)];
    let render = |synth: &mut Synth, worker: &DecoderWorker, events: Vec<TimedEvent>| {
        let mut options = RenderOptions::new(SR);
        options.block_size = 256;
        offline::render_events(synth, events, options, |_, _| {
            assert!(worker.settle(SETTLE));
        })
        .left
    };
    let (mut synth, worker) = neural_synth(routing, &anchors);
    let mut events = offline::note_events(&notes);
    events.push(TimedEvent {
        at: 0,
        event: SynthEvent::Control {
            timing: 0,
            channel: 0,
            cc: CC_MOD_WHEEL,
            value: 1.0,
        },
    });
    let wheel = render(&mut synth, &worker, events);
    let params = synth.params().clone();

    let (mut synth, worker) = neural_synth(&[(knob, "0.5")], &anchors);
    let turned = render(&mut synth, &worker, offline::note_events(&notes));
    let (mut synth, worker) = neural_synth(&[], &anchors);
    let still = render(&mut synth, &worker, offline::note_events(&notes));

    let from = (0.1 * SR) as usize;
    let differing = wheel[from..]
        .iter()
        .zip(&turned[from..])
        .filter(|(a, b)| (*a - *b).abs() > 1e-6)
        .count();
    assert_eq!(
        differing, 0,
        "wheel and {knob} renders differ in {differing} samples"
    );
    let moved = largest_difference(&wheel[from..], &still[from..]);
    assert!(
        moved > 0.01,
        "the wheel changed the sound (largest difference {moved})"
    );
    params
}

/// Processes `blocks` blocks of 128 samples, with `events` in the first one,
/// calling `between()` after each; returns the left channel.
fn play(
    synth: &mut Synth,
    events: &[SynthEvent],
    blocks: usize,
    mut between: impl FnMut(),
) -> Vec<f32> {
    let (mut l, mut r) = (vec![0.0f32; 128], vec![0.0f32; 128]);
    let mut out = Vec::new();
    for b in 0..blocks {
        let mut io = SliceEvents::new(if b == 0 { events } else { &[] }, 16);
        synth.process(&mut l, &mut r, Transport::default(), &mut io);
        out.extend_from_slice(&l);
        between();
    }
    out
}

fn note_on(key: u8) -> SynthEvent {
    SynthEvent::NoteOn {
        timing: 0,
        voice_id: None,
        channel: 0,
        key,
        velocity: 1.0,
    }
}

#[test]
fn a_note_struck_right_after_a_load_plays_the_loaded_sound() {
    let (mut synth, worker) = neural_synth(&[], &[AnchorShape::Saw]);
    // A new sound (what a preset or a DAW state load does), and a note at once.
    synth
        .params()
        .set_anchors(Anchors::from_shapes(&[AnchorShape::Sine]));
    let out = play(&mut synth, &[note_on(57)], 40, || {
        assert!(worker.settle(SETTLE));
    });
    let onset = out.iter().position(|v| *v != 0.0).expect("the note sounds");
    assert_eq!(onset, 128, "the note waited one block for its table");
    let first = &out[onset..onset + 2048];
    for k in [2, 3] {
        let level = harmonic_db(first, 220.0, k);
        assert!(
            level < -60.0,
            "harmonic {k} of the first 43 ms: {level:.1} dB (a saw: -6 to -10)"
        );
    }

    // Nothing loaded: notes start at once.
    let out = play(&mut synth, &[note_on(60)], 2, || {});
    assert_eq!(out.iter().position(|v| *v != 0.0), Some(0));
}

#[test]
fn a_table_that_does_not_come_holds_a_note_no_longer_than_the_bound() {
    // Linked to queues no worker feeds: the table for the new sound never comes.
    let mut synth = synth_with(&[], SR);
    synth.set_table_link(Some(TableLink::new()));
    let out = play(&mut synth, &[note_on(69)], 40, || {});
    let onset = out.iter().position(|v| *v != 0.0).expect("the note sounds");
    let bound = (LOAD_HOLD * SR) as usize;
    assert!(
        (bound..bound + 128).contains(&onset),
        "the note started after {onset} samples (bound {bound})"
    );
    assert!(
        cents(
            estimate_frequency(&out[onset..], f64::from(SR), 440.0, 20.0),
            440.0
        )
        .abs()
            < 0.5
    );
    // Given up for this sound: the next note starts at once.
    let out = play(&mut synth, &[note_on(60)], 2, || {});
    assert_eq!(out.iter().position(|v| *v != 0.0), Some(0));
}

#[test]
fn the_worker_reports_the_anchors_where_the_named_knobs_moved_them() {
    let (_synth, worker) = neural_synth(
        &[("brightness", "1"), ("warmth", "-0.6")],
        &[AnchorShape::Saw, AnchorShape::Square],
    );
    let status = worker.status();
    let distance = |a: &[f32], b: &[f32]| -> f32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f32>()
            .sqrt()
    };
    let first = status.path.first().expect("a neural table was built");
    let last = status.path.last().unwrap();
    let slot =
        |z: &[Option<nwt_model::Latent>; 4], k: usize| z[k].expect("anchors A and B are filled");
    let played = [
        slot(&status.anchors_played, 0),
        slot(&status.anchors_played, 1),
    ];
    let encoded = [
        slot(&status.anchor_latents, 0),
        slot(&status.anchor_latents, 1),
    ];
    let (to_played, to_encoded) = (distance(first, &played[0]), distance(first, &encoded[0]));
    println!("first frame to anchor A as played {to_played:.5}, as encoded {to_encoded:.3}");
    assert!(to_played < 1e-4, "the path starts on anchor A as played");
    assert!(distance(last, &played[1]) < 1e-4, "and ends on B as played");
    assert!(
        to_encoded > 0.05,
        "the knobs moved the anchors away from their encodings"
    );
}
