//! End-to-end tests of the built CLAP plugin, driven by a minimal CLAP host written with
//! `clack-host` (see `common/mod.rs`).
//!
//! The debug `cargo test` build of this crate produces `target/debug/libneural_wavetable.so`,
//! which on Linux *is* the CLAP bundle. The tests copy it into a temporary directory as
//! `neural-wavetable.clap`, load it through `PluginEntry::load`, instantiate
//! `org.neural-wavetable.synth` from the factory and drive it like a DAW: activation at 48 kHz,
//! `start_processing`, `process()` calls on a separate audio thread (the test thread that created
//! the instance is its main thread), and main-thread callbacks run between chunks of blocks.
//!
//! What is tested:
//!
//! * [`loads_plays_and_restores_state`]: a note-on A4 (velocity 0.8) on the default "Init" sound
//!   yields finite, non-silent audio (RMS above -40 dBFS) whose fundamental is 440 Hz within
//!   0.5 cents; after the note-off the output falls below -100 dBFS within 1 s. Then every
//!   writable parameter is moved through in-process `CLAP_EVENT_PARAM_VALUE` events, the state
//!   is saved through `clap.state`, loaded into a fresh instance, and every parameter value
//!   (`clap.params` `get_value`) must match exactly, as must the state re-saved by the second
//!   instance.
//! * [`process_is_realtime_safe_under_stress`]: thousands of events over odd block sizes (1 to
//!   4096 frames): note storms with more than 64 simultaneous notes (voice stealing), CLAP and
//!   MIDI note dialects, choke and wildcard events, values for every parameter (including values
//!   outside `[min, max]`), polyphonic and monophonic parameter modulation and MIDI pitch bend.
//!   Every output sample must be finite with `|x| < 100`. Debug builds of the plugin enable
//!   nice-plug's `assert_process_allocs`, so any heap allocation or deallocation inside
//!   `process()` aborts this test binary: the test doubles as the real-time-safety test. Such an
//!   abort shows up as `memory allocation of N bytes failed` and `SIGABRT` with no test name;
//!   rerun with `-- --test-threads=1 --nocapture` to see which test was running.
//!   `NWT_STRESS_ROUNDS` (default 20) changes the run for soak testing.
//! * [`reports_note_end_for_finished_notes`]: `CLAP_EVENT_NOTE_END` is reported for a released
//!   note (after its note-off, with its note id, key and channel, and the output is silent after
//!   it), for a choked note, and for a MIDI-dialect note (with note id -1, as the host sent it).
//! * [`macro_knobs_reach_the_sound`]: a host automation event on `Macro 1` while a note is
//!   held changes the harmonic levels of the played note once the decoder worker has delivered
//!   the new table (blocks paced at wall-clock speed, as a host would run them).
//!
//! Pitch is measured with the project's one estimator, `nwt_engine::analysis::fundamental`
//! (the maximum of the Kaiser-windowed DTFT, to far better than 0.01 cent; its own unit test
//! checks that on noisy band-limited saws).
//!
//! The tests run `cargo build -p neural-wavetable --lib` (same profile and target folder) to
//! get the plugin's `.so`, because `cargo test` never writes the cdylib; `NWT_CLAP_PLUGIN` may
//! name another `.so`/`.clap` file to test instead (for example a release bundle).

mod common;

use clack_host::events::event_types::{
    MidiEvent, NoteChokeEvent, NoteOffEvent, ParamModEvent, ParamValueEvent,
};
use clack_host::events::Match;
use clack_host::prelude::*;
use common::{note_off, note_on, on_audio_thread, ParamInfo, Synth, MAX_FRAMES, SAMPLE_RATE};
use nwt_engine::analysis::cents;
use nwt_model::rng::Rng;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

const SR: usize = 48_000;

/// -100 dBFS as a linear amplitude.
const MINUS_100_DBFS: f32 = 1e-5;

// ---------------------------------------------------------------------------------------------
// Signal analysis
// ---------------------------------------------------------------------------------------------

fn rms_dbfs(samples: &[f32]) -> f64 {
    let mean_square = samples
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        / samples.len() as f64;
    10.0 * mean_square.max(1e-30).log10()
}

/// `|X(f)|^2` of `windowed` at an arbitrary frequency, by the Goertzel recurrence.
fn dtft_power(windowed: &[f64], frequency: f64, sample_rate: f64) -> f64 {
    let omega = std::f64::consts::TAU * frequency / sample_rate;
    let coefficient = 2.0 * omega.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in windowed {
        let s0 = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coefficient * s1 * s2
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn loads_plays_and_restores_state() {
    let mut synth = Synth::new();
    let params = synth.params();
    assert!(!params.is_empty(), "the plugin exposes no parameters");
    let defaults = synth.param_values(&params);
    for (p, &value) in params.iter().zip(&defaults) {
        assert!(
            p.min <= p.max && (p.min..=p.max).contains(&p.default),
            "parameter {:?}: default {} outside [{}, {}]",
            p.name,
            p.default,
            p.min,
            p.max
        );
        assert_eq!(
            value, p.default,
            "parameter {:?}: initial value is not its default",
            p.name
        );
        assert!(
            !synth.value_text(p, value).is_empty(),
            "parameter {:?} has no display text",
            p.name
        );
    }

    let mut audio = synth.start(MAX_FRAMES);

    // --- Note-on A4, velocity 0.8, 1 s in 512-frame blocks.
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 0, 69, 1, 0.8));
    let held = audio.render(SR, 512, &events);
    held.assert_finite("held A4");
    let mono = held.mono();
    let level = rms_dbfs(&mono[SR / 10..]);
    assert!(
        level > -40.0,
        "A4 at velocity 0.8 is too quiet: RMS {level:.1} dBFS"
    );
    let steady = &mono[SR / 4..SR / 4 + SR / 2];
    let pitch =
        nwt_engine::analysis::fundamental(steady, SAMPLE_RATE, 20.0, 2000.0).expect("a pitch");
    let error = cents(pitch, 440.0);
    assert!(
        error.abs() <= 0.5,
        "A4 sounds at {pitch:.4} Hz, {error:+.3} cents from 440 Hz"
    );
    eprintln!("A4: {pitch:.5} Hz ({error:+.4} cents), RMS {level:.1} dBFS");

    // --- Note-off: below -100 dBFS within 1 s (1.25 s captured).
    let mut events = EventBuffer::new();
    events.push(&note_off(0, 0, 69, 1));
    let released = audio.render(SR + SR / 4, 512, &events);
    released.assert_finite("released A4");
    let silent_from = released.end_of_signal(MINUS_100_DBFS);
    assert!(
        silent_from <= SR,
        "the released note is still above -100 dBFS {:.3} s after its note-off",
        silent_from as f64 / SAMPLE_RATE
    );
    eprintln!(
        "release: below -100 dBFS {:.1} ms after the note-off",
        silent_from as f64 * 1000.0 / SAMPLE_RATE
    );

    // --- Move every writable parameter to min + 0.37 * (max - min) through process events.
    let targets: Vec<(usize, f64)> = params
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_readonly())
        .map(|(i, p)| (i, p.value_at(0.37)))
        .collect();
    let mut events = EventBuffer::with_capacity(targets.len());
    for &(i, value) in &targets {
        events.push(&ParamValueEvent::new(
            0,
            ClapId::new(params[i].id),
            Pckn::match_all(),
            value,
        ));
    }
    audio
        .render(2048, 512, &events)
        .assert_finite("after parameter changes");
    synth.stop(audio);

    let values_a = synth.param_values(&params);
    let changed: Vec<&str> = params
        .iter()
        .zip(values_a.iter().zip(&defaults))
        .filter(|(_, (a, d))| a != d)
        .map(|(p, _)| p.name.as_str())
        .collect();
    assert!(
        changed.len() >= 3.min(targets.len()),
        "only {} parameters changed through param value events: {changed:?}",
        changed.len()
    );

    // --- Save, load into a fresh instance, compare.
    let state = synth.save_state();
    assert!(!state.is_empty(), "the saved state is empty");
    eprintln!(
        "state: {} parameters, {} set through events, {} changed, {} bytes",
        params.len(),
        targets.len(),
        changed.len(),
        state.len()
    );
    let mut restored = Synth::new();
    restored.load_state(&state);
    let values_b = restored.param_values(&params);
    let mismatches: Vec<String> = params
        .iter()
        .zip(values_a.iter().zip(&values_b))
        .filter(|(_, (a, b))| a.to_bits() != b.to_bits())
        .map(|(p, (&a, &b))| {
            let (text_a, text_b) = (synth.value_text(p, a), restored.value_text(p, b));
            format!(
                "{:?}: saved {a} ({text_a}), restored {b} ({text_b})",
                p.name
            )
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "parameter values differ after a state round trip:\n{}",
        mismatches.join("\n")
    );
    assert!(
        restored.save_state() == state,
        "the state saved by the restored instance differs from the state it was loaded from"
    );

    // The restored instance must still play.
    let mut audio = restored.start(MAX_FRAMES);
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 0, 60, 2, 1.0));
    let out = audio.render(SR / 4, 512, &events);
    out.assert_finite("restored instance");
    restored.stop(audio);
}

#[test]
fn reports_note_end_for_finished_notes() {
    let mut synth = Synth::new();
    let mut audio = synth.start(MAX_FRAMES);

    // A released note: CLAP note id 7, channel 3, key 60; note-off after 0.2 s.
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 3, 60, 7, 1.0));
    let held = audio.render(SR / 5, 256, &events);
    held.assert_finite("held note");
    assert!(
        audio.note_ends.is_empty(),
        "NoteEnd reported while the note is still held: {:?}",
        audio.note_ends
    );
    let note_off_time = audio.position;
    let mut events = EventBuffer::new();
    events.push(&note_off(0, 3, 60, 7));
    let released = audio.render(SR, 256, &events);
    released.assert_finite("released note");
    let ends = std::mem::take(&mut audio.note_ends);
    assert_eq!(ends.len(), 1, "expected exactly one NoteEnd, got {ends:?}");
    let end = ends[0];
    assert_eq!(
        (end.note_id, end.channel, end.key),
        (Match::Specific(7), Match::Specific(3), Match::Specific(60)),
        "NoteEnd does not identify the released note: {end:?}"
    );
    assert!(
        end.time >= note_off_time && end.time <= note_off_time + SR as u64,
        "NoteEnd at sample {}, note-off at sample {note_off_time}",
        end.time
    );
    // The voice that was reported as finished must really be silent.
    let after_end = (end.time - note_off_time) as usize;
    let loudest_after_end = released.left[after_end..]
        .iter()
        .chain(&released.right[after_end..])
        .fold(0f32, |m, x| m.max(x.abs()));
    assert!(
        loudest_after_end < 1e-4,
        "output peaks at {:.1} dBFS after the NoteEnd",
        20.0 * f64::from(loudest_after_end).log10()
    );

    // A choked note (CLAP note id 8): it ends without a note-off.
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 0, 64, 8, 0.7));
    audio
        .render(SR / 10, 256, &events)
        .assert_finite("note before choke");
    let choke_time = audio.position;
    let mut events = EventBuffer::new();
    events.push(&NoteChokeEvent::new(0, Pckn::new(0u16, 0u16, 64u16, 8u32)));
    audio
        .render(SR / 2, 256, &events)
        .assert_finite("choked note");
    let ends = std::mem::take(&mut audio.note_ends);
    assert_eq!(
        ends.len(),
        1,
        "expected exactly one NoteEnd for the choked note, got {ends:?}"
    );
    assert_eq!(
        ends[0].note_id,
        Match::Specific(8),
        "NoteEnd for the wrong note: {ends:?}"
    );
    assert!(
        ends[0].time >= choke_time && ends[0].time < choke_time + (SR / 10) as u64,
        "NoteEnd for the choked note at sample {}, choke at {choke_time}",
        ends[0].time
    );

    // A note in the MIDI dialect (channel 1, key 62) has no host note id: its NoteEnd must carry
    // note_id -1 ("the port, channel, key and note_id are those given by the host in the
    // CLAP_EVENT_NOTE_ON event", clap/events.h), not an id the plugin made up.
    let mut events = EventBuffer::new();
    events.push(&MidiEvent::new(0, 0, [0x91, 62, 100]));
    audio
        .render(SR / 10, 256, &events)
        .assert_finite("MIDI note");
    let mut events = EventBuffer::new();
    events.push(&MidiEvent::new(0, 0, [0x81, 62, 0]));
    audio
        .render(SR, 256, &events)
        .assert_finite("released MIDI note");
    let ends = std::mem::take(&mut audio.note_ends);
    assert_eq!(
        ends.len(),
        1,
        "expected exactly one NoteEnd for the MIDI note, got {ends:?}"
    );
    assert_eq!(
        (ends[0].note_id, ends[0].channel, ends[0].key),
        (Match::All, Match::Specific(1), Match::Specific(62)),
        "NoteEnd does not identify the MIDI note as the host sent it: {ends:?}"
    );

    synth.stop(audio);
}

/// Block sizes of the stress test: awkward fixed sizes, then pseudo-random ones.
const STRESS_BLOCK_SIZES: [usize; 11] = [1, 2, 3, 7, 16, 64, 100, 128, 511, 1024, 4096];
/// Rounds of the stress test, each one pass over [`STRESS_BLOCK_SIZES`] plus random sizes.
/// `NWT_STRESS_ROUNDS` overrides it.
const STRESS_ROUNDS: usize = 20;
const STRESS_RANDOM_BLOCKS_PER_ROUND: usize = 6;
/// Process calls per audio-thread chunk; main-thread callbacks run between chunks.
const STRESS_CHUNK: usize = 16;

/// A note the stress test started and has not ended yet.
#[derive(Clone, Copy)]
struct ActiveNote {
    /// `None` for notes sent in the MIDI dialect.
    note_id: Option<u32>,
    channel: u16,
    key: u16,
}

/// Generates the random events of the stress test.
struct StressEvents {
    rng: Rng,
    params: Vec<ParamInfo>,
    active: Vec<ActiveNote>,
    next_note_id: u32,
    issued_note_ids: HashSet<u32>,
    max_active: usize,
    events: EventBuffer,
}

impl StressEvents {
    fn new(params: Vec<ParamInfo>) -> Self {
        Self {
            rng: Rng::new(0x5eed_cafe_f00d_beef),
            params,
            active: Vec::with_capacity(512),
            next_note_id: 1000,
            issued_note_ids: HashSet::new(),
            max_active: 0,
            events: EventBuffer::with_capacity(4096),
        }
    }

    /// A parameter value: mostly in range, sometimes far outside it or at the exact bounds.
    fn param_value(&mut self, p: &ParamInfo) -> f64 {
        let range = p.range().max(1.0);
        match self.rng.below(20) {
            0 => p.min,
            1 => p.max,
            2 => p.min - range * (0.01 + 2.0 * self.rng.uniform()),
            3 => p.max + range * (0.01 + 2.0 * self.rng.uniform()),
            4 => {
                if self.rng.chance(0.5) {
                    -1e6
                } else {
                    1e6
                }
            }
            _ => p.value_at(self.rng.uniform()),
        }
    }

    fn take_random_active(&mut self) -> Option<ActiveNote> {
        if self.active.is_empty() {
            None
        } else {
            let i = self.rng.below(self.active.len());
            Some(self.active.swap_remove(i))
        }
    }

    /// Fills `self.events` for one block of `frames` frames and sorts them.
    fn generate(&mut self, frames: usize) {
        self.events.clear();
        let rng = &mut self.rng;
        let time = |rng: &mut Rng| rng.below(frames) as u32;

        // Note-ons: grow well past 64 simultaneous notes to force voice stealing.
        let ons = rng.below(6) + if self.active.len() < 100 { 3 } else { 0 };
        for _ in 0..ons {
            let t = time(rng);
            let channel = rng.below(16) as u16;
            let key = rng.below(128) as u16;
            if rng.chance(0.2) {
                let velocity = 1 + rng.below(127) as u8;
                self.events.push(&MidiEvent::new(
                    t,
                    0,
                    [0x90 | channel as u8, key as u8, velocity],
                ));
                self.active.push(ActiveNote {
                    note_id: None,
                    channel,
                    key,
                });
            } else {
                let id = self.next_note_id;
                self.next_note_id += 1;
                self.issued_note_ids.insert(id);
                let velocity = if rng.chance(0.05) { 0.0 } else { rng.uniform() };
                self.events.push(&note_on(t, channel, key, id, velocity));
                self.active.push(ActiveNote {
                    note_id: Some(id),
                    channel,
                    key,
                });
            }
        }
        self.max_active = self.max_active.max(self.active.len());

        // Note-offs, and a wave of them when too many notes are held.
        let offs = self.rng.below(4) + if self.active.len() > 120 { 40 } else { 0 };
        for _ in 0..offs {
            let t = time(&mut self.rng);
            let Some(note) = self.take_random_active() else {
                break;
            };
            match note.note_id {
                Some(id) => self.events.push(&NoteOffEvent::new(
                    t,
                    Pckn::new(0u16, note.channel, note.key, id),
                    self.rng.uniform(),
                )),
                None => self.events.push(&MidiEvent::new(
                    t,
                    0,
                    [0x80 | note.channel as u8, note.key as u8, 64],
                )),
            }
        }

        // Chokes: a single note, sometimes everything (wildcard), sometimes a wildcard note-off.
        if self.rng.chance(0.1) {
            let t = time(&mut self.rng);
            if let Some(note) = self.take_random_active() {
                let id = note.note_id.map_or(Match::All, Match::Specific);
                self.events.push(&NoteChokeEvent::new(
                    t,
                    Pckn::new(0u16, note.channel, note.key, id),
                ));
            }
        }
        if self.rng.chance(0.01) {
            let t = time(&mut self.rng);
            self.events.push(&NoteChokeEvent::new(t, Pckn::match_all()));
            self.active.clear();
        } else if self.rng.chance(0.01) {
            let t = time(&mut self.rng);
            self.events
                .push(&NoteOffEvent::new(t, Pckn::match_all(), 0.5));
            self.active.clear();
        }

        // MIDI pitch bend on random channels.
        for _ in 0..1 + self.rng.below(2) {
            let t = time(&mut self.rng);
            let channel = self.rng.below(16) as u8;
            let bend = self.rng.below(16384) as u16;
            self.events.push(&MidiEvent::new(
                t,
                0,
                [0xE0 | channel, (bend & 0x7f) as u8, (bend >> 7) as u8],
            ));
        }

        // A value for every parameter, and modulation for the modulatable ones.
        for index in 0..self.params.len() {
            let p = self.params[index].clone();
            let t = time(&mut self.rng);
            let value = self.param_value(&p);
            self.events.push(&ParamValueEvent::new(
                t,
                ClapId::new(p.id),
                Pckn::match_all(),
                value,
            ));

            if p.is_poly_modulatable() {
                let targets: Vec<ActiveNote> = self
                    .active
                    .iter()
                    .filter(|n| n.note_id.is_some())
                    .copied()
                    .collect();
                for _ in 0..2 {
                    if targets.is_empty() {
                        break;
                    }
                    let note = targets[self.rng.below(targets.len())];
                    let t = time(&mut self.rng);
                    let amount = (self.rng.uniform() * 4.0 - 2.0) * p.range().max(1.0);
                    self.events.push(&ParamModEvent::new(
                        t,
                        ClapId::new(p.id),
                        Pckn::new(0u16, note.channel, note.key, note.note_id.unwrap()),
                        amount,
                    ));
                }
            } else if p.is_modulatable() && self.rng.chance(0.3) {
                let t = time(&mut self.rng);
                let amount = (self.rng.uniform() * 3.0 - 1.5) * p.range().max(1.0);
                self.events.push(&ParamModEvent::new(
                    t,
                    ClapId::new(p.id),
                    Pckn::match_all(),
                    amount,
                ));
            }
        }

        self.events.sort();
    }
}

#[test]
fn process_is_realtime_safe_under_stress() {
    let mut synth = Synth::new();
    let params = synth.params();
    let poly_modulatable = params.iter().filter(|p| p.is_poly_modulatable()).count();
    assert!(
        poly_modulatable > 0,
        "no parameter is flagged CLAP_PARAM_IS_MODULATABLE_PER_NOTE_ID"
    );
    let mut audio = synth.start(MAX_FRAMES);

    let mut sizes_rng = Rng::new(0x000b_10c5_12e5);
    let mut sizes = Vec::new();
    let rounds = std::env::var("NWT_STRESS_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(STRESS_ROUNDS);
    for _ in 0..rounds {
        sizes.extend_from_slice(&STRESS_BLOCK_SIZES);
        sizes.extend((0..STRESS_RANDOM_BLOCKS_PER_ROUND).map(|_| 1 + sizes_rng.below(4096)));
    }

    let mut generator = StressEvents::new(params);
    let mut event_count = 0usize;
    for (chunk_index, chunk) in sizes.chunks(STRESS_CHUNK).enumerate() {
        let failure = on_audio_thread(&mut audio, |audio| {
            for (i, &frames) in chunk.iter().enumerate() {
                generator.generate(frames);
                event_count += generator.events.len() as usize;
                audio.process(frames, &generator.events);
                for (channel, samples) in [("left", &audio.left), ("right", &audio.right)] {
                    // Random extremes (64 voices × 16 unison, full resonance,
                    // gains at their maximum) peak at 20–110 here (measured
                    // with model 2); a blow-up, such as an unstable filter,
                    // grows past any bound within a block.
                    if let Some(s) = samples[..frames]
                        .iter()
                        .position(|x| !x.is_finite() || x.abs() >= 1000.0)
                    {
                        return Some(format!(
                            "block {} ({frames} frames): {channel} sample {s} is {}",
                            chunk_index * STRESS_CHUNK + i,
                            samples[s]
                        ));
                    }
                }
            }
            None
        });
        if let Some(failure) = failure {
            panic!("invalid output under stress: {failure}");
        }
        synth.run_main_thread_callbacks();
    }

    assert!(
        generator.max_active > 64,
        "the stress test only reached {} simultaneous notes",
        generator.max_active
    );

    // Every NoteEnd must name a note that was started, and a note ends at most once.
    let mut ends_per_id: HashMap<u32, usize> = HashMap::new();
    for end in &audio.note_ends {
        if let Match::Specific(id) = end.note_id {
            assert!(
                generator.issued_note_ids.contains(&id),
                "NoteEnd for note id {id}, which was never started: {end:?}"
            );
            *ends_per_id.entry(id).or_default() += 1;
        }
    }
    let repeated: Vec<_> = ends_per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "note ids ended more than once (id, count): {repeated:?}"
    );
    eprintln!(
        "stress: {} process calls, {} frames, {event_count} input events, up to {} held notes, \
         {} NoteEnd events",
        sizes.len(),
        sizes.iter().sum::<usize>(),
        generator.max_active,
        audio.note_ends.len()
    );

    synth.stop(audio);
}

/// Level in dB of harmonics 1..=count of `f0` in `samples` (Hann window).
fn harmonic_levels_db(samples: &[f32], f0: f64, count: usize) -> Vec<f64> {
    let n = samples.len();
    let windowed: Vec<f64> = samples
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / (n - 1) as f64).cos();
            f64::from(x) * w
        })
        .collect();
    (1..=count)
        .map(|k| {
            10.0 * dtft_power(&windowed, f0 * k as f64, SAMPLE_RATE)
                .max(1e-30)
                .log10()
        })
        .collect()
}

#[test]
fn macro_knobs_reach_the_sound() {
    let mut synth = Synth::new();
    let params = synth.params();
    let macro_1 = params
        .iter()
        .find(|p| p.name == "Macro 1")
        .expect("the plugin has a Macro 1 parameter")
        .clone();
    let mut audio = synth.start(MAX_FRAMES);
    const BLOCK: usize = 256;
    let block_time = Duration::from_secs_f64(BLOCK as f64 / SAMPLE_RATE);
    // Runs blocks at wall-clock pace, as a host's audio thread does.
    let paced = |audio: &mut common::Audio, blocks: usize, events: &EventBuffer| {
        on_audio_thread(audio, |audio| {
            let mut out = Vec::with_capacity(blocks * BLOCK);
            let empty = EventBuffer::new();
            let start = Instant::now();
            for b in 0..blocks {
                audio.process(BLOCK, if b == 0 { events } else { &empty });
                out.extend_from_slice(&audio.left[..BLOCK]);
                let due = start + block_time * (b as u32 + 1);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            out
        })
    };
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 0, 48, 1, 0.8));
    // Half a second for the first neural table to arrive and the note to settle.
    let before = paced(&mut audio, SR / 2 / BLOCK, &events);
    let mut events = EventBuffer::new();
    events.push(&ParamValueEvent::new(
        0,
        ClapId::new(macro_1.id),
        Pckn::match_all(),
        macro_1.max,
    ));
    let after = paced(&mut audio, SR / 2 / BLOCK, &events);
    synth.stop(audio);

    let f0 = 440.0 * 2f64.powf((48.0 - 69.0) / 12.0);
    let tail = |x: &[f32]| x[x.len() - 8192..].to_vec();
    let a = harmonic_levels_db(&tail(&before), f0, 24);
    let b = harmonic_levels_db(&tail(&after), f0, 24);
    let mean_change = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64;
    eprintln!("Macro 1 to max: harmonics 1..24 moved by {mean_change:.2} dB on average");
    assert!(
        mean_change > 2.0,
        "Macro 1 barely changed the sound: {mean_change:.2} dB"
    );
}
