//! The whole synth under load, 48 kHz stereo, 128-sample blocks, one thread
//! for the audio (the decoder worker, where there is one, on its own thread).
//! Real-time factor = (128 / 48000 s) / time per block.
//!
//! - `64_voices_x8_unison_block128`: 64 voices × 8 unison on the 32-frame
//!   Pulse Width factory table, LFO on position (frame crossfade on), resonant
//!   low-pass with its envelope, amp envelope.
//! - `64_voices_x16_unison_neural_static`: 64 voices × 16 unison on a 64-frame
//!   neural table from the decoder worker (three anchors), the same LFO,
//!   filter and envelopes; the table does not change.
//! - `64_voices_x16_unison_neural_macro_moving`: the same while macro 1 moves
//!   on every block, with blocks paced at wall-clock speed as a host drives
//!   them, so the worker delivers a table every few milliseconds and the
//!   synth crossfades tables (every oscillator twice) as in real use. The
//!   bench prints the share of blocks that ran a fade.
//! - `64_voices_x16_unison_neural_paced_static`: paced the same way with the
//!   macro at rest, to tell the fades' cost from the pacing's (caches cool
//!   while the audio thread sleeps between blocks).
//! - `1_voice_x16_unison_neural` and `1_voice_x1_neural`: one note.
//! - `64_voices_x16_unison_neural_static_rack`: the static case with every
//!   effect of the rack on (drive, chorus, delay, reverb at their defaults);
//!   `_rack_avx2` forces the AVX2 oscillator kernel on a CPU that has more.
//!
//! - `voices/…`: the 64 × 16 voices alone, with a table fade on every block
//!   and without (see `voices_fading`).
//!
//! Each neural case runs with the fastest oscillator kernel the CPU has; the
//! `_scalar` variants of the 64 × 16 cases force the scalar kernel for
//! comparison.
#![allow(missing_docs)] // `criterion_main!` writes an undocumented `main`

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nwt_engine::envelope::AdsrShape;
use nwt_engine::filter::{FilterMode, FILTER_LANES};
use nwt_engine::neural::DecoderWorker;
use nwt_engine::oscillator::{LaneEpoch, Simd, UnisonSpread};
use nwt_engine::voice::{render_group, BlockContext, NoteStart, RampCache, Voice, VoiceMods};
use nwt_engine::CONTROL_BLOCK;
use nwt_engine::{SliceEvents, Synth, SynthEvent, SynthParams, Transport};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SR: f32 = 48_000.0;
const BLOCK: usize = 128;

/// The sound every case plays: moving position, resonant low-pass with its
/// envelope, amp envelope, random unison phases.
const SOUND: [(&str, &str); 11] = [
    ("position", "0.3"),
    ("detune", "20"),
    ("phase_mode", "Random"),
    ("cutoff", "2000"),
    ("resonance", "0.4"),
    ("filter_env_amount", "24"),
    ("filter_sustain", "0.5"),
    ("amp_sustain", "0.8"),
    ("lfo_to_position", "0.3"),
    ("lfo_rate", "3"),
    ("frames", "64"),
];

fn play(synth: &mut Synth, notes: usize) {
    let events: Vec<SynthEvent> = (0..notes)
        .map(|i| SynthEvent::NoteOn {
            timing: 0,
            voice_id: Some(i as i32),
            channel: 0,
            key: 28 + i as u8,
            velocity: 0.8,
        })
        .collect();
    let (mut l, mut r) = (vec![0.0; BLOCK], vec![0.0; BLOCK]);
    synth.process(
        &mut l,
        &mut r,
        Transport::default(),
        &mut SliceEvents::new(&events, 0),
    );
    assert_eq!(synth.active_voices(), notes);
}

fn params(unison: usize, table: Option<&str>) -> Arc<SynthParams> {
    let params = Arc::new(SynthParams::default());
    for (id, value) in SOUND {
        params.set_by_id(id, value, SR).unwrap();
    }
    params.set_by_id("unison", &unison.to_string(), SR).unwrap();
    if let Some(table) = table {
        params.set_by_id("table", table, SR).unwrap();
    }
    params.reset_smoothers(SR);
    params
}

/// A synth playing `notes` notes of `unison` oscillators on a 64-frame
/// neural table, with its decoder worker.
fn neural_synth(notes: usize, unison: usize, simd: Simd) -> (Synth, DecoderWorker) {
    let params = params(unison, None);
    params.set_anchors(common::three_anchors());
    let mut synth = Synth::new(params, SR);
    synth.set_simd(simd);
    let worker = common::settled_worker(&mut synth);
    play(&mut synth, notes);
    (synth, worker)
}

fn block(synth: &mut Synth, l: &mut [f32], r: &mut [f32]) {
    synth.process(l, r, Transport::default(), &mut SliceEvents::new(&[], 0));
}

fn synth(c: &mut Criterion) {
    let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let mut group = c.benchmark_group("synth");
    group.throughput(Throughput::Elements(BLOCK as u64));

    let mut pulse = Synth::new(params(8, Some("Pulse Width")), SR);
    play(&mut pulse, 64);
    group.bench_function("64_voices_x8_unison_block128", |b| {
        b.iter(|| block(&mut pulse, &mut l, &mut r))
    });
    assert_eq!(pulse.active_voices(), 64, "notes held throughout");
    drop(pulse);

    let simd = Simd::best();
    println!("oscillator kernel: {}", simd.name());
    for (name, notes, unison, simd, rack) in [
        ("64_voices_x16_unison_neural_static", 64, 16, simd, false),
        (
            "64_voices_x16_unison_neural_static_scalar",
            64,
            16,
            Simd::Scalar,
            false,
        ),
        (
            "64_voices_x16_unison_neural_static_rack",
            64,
            16,
            simd,
            true,
        ),
        (
            "64_voices_x16_unison_neural_static_rack_avx2",
            64,
            16,
            Simd::Avx2,
            true,
        ),
        ("1_voice_x16_unison_neural", 1, 16, simd, false),
        ("1_voice_x1_neural", 1, 1, simd, false),
    ] {
        let (mut synth, _worker) = neural_synth(notes, unison, simd);
        if rack {
            for id in ["drive_on", "chorus_on", "delay_on", "reverb_on"] {
                synth.params().set_by_id(id, "1", SR).unwrap();
            }
        }
        group.bench_function(name, |b| b.iter(|| block(&mut synth, &mut l, &mut r)));
        assert_eq!(synth.active_voices(), notes, "notes held throughout");
    }

    // Paced like a host: each iteration waits for its block's deadline, and
    // only the time inside `process` is counted.
    let block_time = Duration::from_secs_f64(BLOCK as f64 / f64::from(SR));
    // NWT_PACE=spin waits for each deadline on the CPU instead of sleeping:
    // tells what sleeping costs (cooled caches, a slower core on waking)
    // from what the decoder competing costs.
    let spin = std::env::var("NWT_PACE").is_ok_and(|v| v == "spin");
    for (name, simd, moving) in [
        ("64_voices_x16_unison_neural_paced_static", simd, false),
        ("64_voices_x16_unison_neural_macro_moving", simd, true),
        (
            "64_voices_x16_unison_neural_macro_moving_scalar",
            Simd::Scalar,
            true,
        ),
    ] {
        let (mut synth, _worker) = neural_synth(64, 16, simd);
        let (mut blocks, mut fading, mut step) = (0u64, 0u64, 0u32);
        let (mut fade_time, mut still_time) = (Duration::ZERO, Duration::ZERO);
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(20));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut busy = Duration::ZERO;
                let mut deadline = Instant::now();
                for _ in 0..iters {
                    step = step.wrapping_add(1);
                    let value = if moving {
                        (step as f32 * 0.02).sin() * 0.8
                    } else {
                        0.0
                    };
                    synth
                        .params()
                        .set_by_id("macro_1", &value.to_string(), SR)
                        .unwrap();
                    let swaps = synth.table_swaps();
                    let fading_before = synth.is_fading_tables();
                    let start = Instant::now();
                    block(&mut synth, &mut l, &mut r);
                    let took = start.elapsed();
                    busy += took;
                    blocks += 1;
                    let faded =
                        fading_before || synth.is_fading_tables() || synth.table_swaps() != swaps;
                    fading += u64::from(faded);
                    if faded {
                        fade_time += took
                    } else {
                        still_time += took
                    }

                    deadline += block_time;
                    if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
                        if spin {
                            while Instant::now() < deadline {
                                std::hint::spin_loop();
                            }
                        } else {
                            std::thread::sleep(wait);
                        }
                    } else {
                        deadline = Instant::now();
                    }
                }
                busy
            })
        });
        println!(
            "{name}: {blocks} blocks, a table fade ran in {:.0} % of them; {:.0} µs per block with a fade, {:.0} µs without",
            100.0 * fading as f64 / blocks.max(1) as f64,
            fade_time.as_secs_f64() * 1e6 / fading.max(1) as f64,
            still_time.as_secs_f64() * 1e6 / (blocks - fading).max(1) as f64,
        );
        assert_eq!(synth.active_voices(), 64, "notes held throughout");
    }
    group.finish();
}

/// The voices alone with a table fade on every block (the compute of a
/// macro that never stops moving, without the pacing or the decoder
/// competing for the machine): 64 notes × 16 unison, two 64-frame neural
/// tables, the same filter and envelopes.
fn voices_fading(c: &mut Criterion) {
    let (mut synth, worker) = neural_synth(1, 16, Simd::best());
    let new = synth.current_table().clone();
    synth.params().set_by_id("macro_1", "0.8", SR).unwrap();
    let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    block(&mut synth, &mut l, &mut r);
    assert!(worker.settle(Duration::from_secs(60)));
    for _ in 0..4 {
        block(&mut synth, &mut l, &mut r);
    }
    let old = synth.current_table().clone();
    assert_ne!(old.serial(), new.serial(), "two different tables");
    let mut group = c.benchmark_group("voices");
    group.throughput(Throughput::Elements(BLOCK as u64));
    for (name, simd, fading) in [
        ("64_voices_x16_unison_fading_tables", Simd::best(), true),
        ("64_voices_x16_unison_fading_tables_avx2", Simd::Avx2, true),
        ("64_voices_x16_unison_one_table_avx2", Simd::Avx2, false),
        (
            "64_voices_x16_unison_fading_tables_scalar",
            Simd::Scalar,
            true,
        ),
        ("64_voices_x16_unison_one_table", Simd::best(), false),
    ] {
        let mut voices: Vec<Voice> = (0..64u8)
            .map(|i| {
                let mut v = Voice::default();
                let phases = std::array::from_fn(|j| {
                    (j as u32 + 1).wrapping_mul(0x9e37_79b9) ^ u32::from(i)
                });
                v.start(
                    NoteStart {
                        id: None,
                        channel: 0,
                        key: 28 + i,
                        velocity: 0.8,
                        age: u64::from(i),
                        glide_from: None,
                        pitch: f32::from(28 + i),
                    },
                    phases,
                );
                v
            })
            .collect();
        let mut step = 0u32;
        let mut epoch = LaneEpoch::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                for start in (0..BLOCK).step_by(CONTROL_BLOCK) {
                    step = step.wrapping_add(1);
                    let lfo = (step as f32 * 0.01).sin() * 0.3;
                    let w = (step % 8) as f32 / 8.0;
                    let ramps = RampCache::default();
                    let unison = UnisonSpread::new(16, 20.0, 0.5);
                    let ctx = BlockContext {
                        n: CONTROL_BLOCK,
                        sample_rate: SR,
                        table: &new,
                        previous: fading.then_some((&old, 1.0 - w, 1.0 - w - 0.125)),
                        position: (0.3 + lfo, 0.3 + lfo + 0.002),
                        pitch_offset: 0.0,
                        unison,
                        filter_mode: FilterMode::LowPass,
                        cutoff: 2000.0,
                        resonance: 0.4,
                        key_track: 0.0,
                        filter_env_amount: 24.0,
                        lfo_cutoff: 0.0,
                        amp_shape: AdsrShape::new(5.0, 300.0, 0.8, 300.0, SR),
                        filter_shape: AdsrShape::new(5.0, 300.0, 0.5, 300.0, SR),
                        mod_shape: AdsrShape::new(5.0, 300.0, 0.5, 300.0, SR),
                        glide_coef: 1.0,
                        velocity_sensitivity: 1.0,
                        sources: Default::default(),
                        simd,
                        ramps: &ramps,
                        lane_epoch: epoch.update(&new, &unison, SR),
                    };
                    let end = start + CONTROL_BLOCK;
                    // In groups, as the synth renders them (filters side by side).
                    let mods = [VoiceMods::default(); FILTER_LANES];
                    for group in voices.chunks_mut(FILTER_LANES) {
                        let mut members = group.iter_mut();
                        let group = std::array::from_fn(|_| members.next());
                        let (l, r) = (&mut l[start..end], &mut r[start..end]);
                        render_group(&ctx, group, &mods, l, r, |_| {});
                    }
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, synth, voices_fading);
criterion_main!(benches);
