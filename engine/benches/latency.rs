//! Knob-to-sound latency: a macro knob moves while 64 voices play; the time
//! from the parameter change to the first `process` call that renders a table
//! decoded after it. The audio thread runs 128-sample blocks at 48 kHz paced
//! at wall-clock speed (as a host drives it), the decoder worker runs on its
//! own thread with 64-frame tables, as in the plugin.
//!
//! Criterion reports the mean; the bench also prints p50 and p99 of every
//! change it measured.
//!
//! Load to first note: new anchors are loaded (as a preset or DAW state load
//! does) and a note is struck at once; the time until the block in which the
//! note starts, which waits (at most 25 ms) for the new sound's table.
#![allow(missing_docs)] // `criterion_main!` writes an undocumented `main`

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use nwt_engine::neural::{AnchorShape, Anchors, DecoderWorker};
use nwt_engine::{SliceEvents, Synth, SynthEvent, SynthParams, Transport};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SR: f32 = 48_000.0;
const BLOCK: usize = 128;

struct Rig {
    synth: Synth,
    worker: DecoderWorker,
    left: Vec<f32>,
    right: Vec<f32>,
    deadline: Instant,
    flip: bool,
    /// The parameter `change` moves.
    knob: &'static str,
}

impl Rig {
    /// 64 voices on three anchors, `knob` the parameter each change moves.
    fn new(knob: &'static str) -> Self {
        let params = Arc::new(SynthParams::default());
        params.set_anchors(common::three_anchors());
        params.set_by_id("frames", "64", SR).unwrap();
        let mut synth = Synth::new(params, SR);
        let worker = common::settled_worker(&mut synth);
        // A sound that has rested: the worker has computed the knob charts
        // of its three anchors (five knobs each), as it does in use.
        let started = Instant::now();
        while worker.status().knob_charts < 15 && started.elapsed() < Duration::from_secs(120) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let notes: Vec<SynthEvent> = (0..64u8)
            .map(|i| SynthEvent::NoteOn {
                timing: 0,
                voice_id: Some(i32::from(i)),
                channel: 0,
                key: 30 + i,
                velocity: 0.7,
            })
            .collect();
        let mut rig = Self {
            synth,
            worker,
            left: vec![0.0; BLOCK],
            right: vec![0.0; BLOCK],
            deadline: Instant::now(),
            flip: false,
            knob,
        };
        rig.block(&notes);
        assert_eq!(rig.synth.active_voices(), 64);
        rig
    }

    /// One block at wall-clock pace; returns when it started.
    fn block(&mut self, events: &[SynthEvent]) -> Instant {
        self.deadline += Duration::from_secs_f64(BLOCK as f64 / f64::from(SR));
        if let Some(wait) = self.deadline.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        } else {
            self.deadline = Instant::now();
        }
        let start = Instant::now();
        let mut io = SliceEvents::new(events, 64);
        self.synth.process(
            &mut self.left,
            &mut self.right,
            Transport::default(),
            &mut io,
        );
        start
    }

    /// Moves the rig's knob and plays until a table decoded after the move sounds.
    fn change(&mut self) -> Duration {
        self.flip = !self.flip;
        let value = if self.flip { "0.7" } else { "-0.7" };
        // Stamped before the store: a table that includes the change was
        // read after it, and the worker stamps after reading.
        let changed = Instant::now();
        self.synth.params().set_by_id(self.knob, value, SR).unwrap();
        loop {
            let start = self.block(&[]);
            let serial = self.synth.playing_serial();
            if self
                .worker
                .requested_at(serial)
                .is_some_and(|t| t >= changed)
            {
                let latency = start - changed;
                // Let the crossfade finish before the next change.
                for _ in 0..3 {
                    self.block(&[]);
                }
                return latency;
            }
        }
    }
}

/// Anchor sets a load alternates between.
const SOUNDS: [[AnchorShape; 2]; 2] = [
    [AnchorShape::Saw, AnchorShape::VowelA],
    [AnchorShape::Triangle, AnchorShape::Pulse25],
];

impl Rig {
    /// Loads a new sound (new anchors, as a preset or state load does) and
    /// strikes a note at once; plays until the note starts. Returns the time
    /// from the load to the start of the block the note started in, and
    /// whether it started on the new sound's table (not on the 25 ms bound).
    fn load(&mut self, which: usize) -> (Duration, bool) {
        let params = self.synth.params().clone();
        let loaded = Instant::now();
        params.set_anchors(Anchors::from_shapes(&SOUNDS[which % 2]));
        let note = [SynthEvent::NoteOn {
            timing: 0,
            voice_id: None,
            channel: 0,
            key: 60,
            velocity: 0.7,
        }];
        let mut events: &[SynthEvent] = &note;
        loop {
            let start = self.block(events);
            events = &[];
            if self.synth.waiting_notes() == 0 {
                let fresh = self.synth.current_table().revision() == params.sound_revision();
                for _ in 0..3 {
                    self.block(&[]);
                }
                return (start - loaded, fresh);
            }
        }
    }
}

fn percentiles(all: &mut [Duration]) -> (f64, f64, f64) {
    all.sort();
    let pct = |p: usize| all[(all.len() * p).div_ceil(100).saturating_sub(1)].as_secs_f64() * 1e3;
    (pct(50), pct(99), all.last().unwrap().as_secs_f64() * 1e3)
}

fn load_to_first_note(c: &mut Criterion) {
    let mut rig = Rig::new("macro_1");
    let mut all = Vec::new();
    let mut bounded = 0usize;
    let mut n = 0usize;
    let mut group = c.benchmark_group("load_to_first_note");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("64_voices_64_frames_128_block", |bench| {
        bench.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let (l, fresh) = rig.load(n);
                bounded += usize::from(!fresh);
                all.push(l);
                total += l;
            }
            total
        })
    });
    group.finish();
    if all.is_empty() {
        return; // filtered out
    }
    let (p50, p99, max) = percentiles(&mut all);
    println!(
        "load to first note over {} loads: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; \
         {bounded} started on the 25 ms bound with the previous table",
        all.len()
    );
}

fn latency(c: &mut Criterion) {
    let mut group = c.benchmark_group("knob_to_sound");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(20));
    // A macro; a semantic knob.
    for (name, knob) in [
        ("64_voices_64_frames_128_block", "macro_1"),
        ("brightness_64_voices_64_frames_128_block", "brightness"),
    ] {
        let mut rig: Option<Rig> = None;
        let mut all = Vec::new();
        group.bench_function(name, |bench| {
            let rig = rig.get_or_insert_with(|| Rig::new(knob));
            bench.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let l = rig.change();
                    all.push(l);
                    total += l;
                }
                total
            })
        });
        let Some(rig) = rig else {
            continue; // filtered out
        };
        let (p50, p99, max) = percentiles(&mut all);
        println!(
            "{knob} knob-to-sound over {} changes on {}: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms",
            all.len(),
            rig.worker.device_name(),
        );
    }
    group.finish();
}

criterion_group!(benches, latency, load_to_first_note);
criterion_main!(benches);
