//! The effects rack, 48 kHz stereo, 128-sample blocks, one thread: every
//! effect on at its defaults (`rack_all_on`), each alone, the rack asleep
//! after its tails have died (`rack_asleep`), and a whole idle synth
//! instance with every effect on (`synth_idle_all_on`: no note, tails gone:
//! what an instance that sits in a session costs). Compare with
//! `synth/64_voices_x16_unison_neural_static` for the rack's share.
#![allow(missing_docs)] // `criterion_main!` writes an undocumented `main`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nwt_engine::effects::{EffectsRack, RackSettings};
use nwt_engine::oscillator::Simd;
use nwt_engine::params::EffectsParams;
use nwt_engine::{SliceEvents, Synth, SynthParams, Transport};
use std::sync::Arc;

const SR: f32 = 48_000.0;
const BLOCK: usize = 128;

fn input(offset: usize) -> (Vec<f32>, Vec<f32>) {
    let saw = |i: usize, f: f32| ((i as f32 * f / SR).fract() - 0.5) * 0.6;
    let l = (0..BLOCK).map(|i| saw(i + offset, 110.0)).collect();
    let r = (0..BLOCK).map(|i| saw(i + offset, 164.8)).collect();
    (l, r)
}

fn settings(drive: bool, chorus: bool, delay: bool, reverb: bool) -> RackSettings {
    let mut s = EffectsParams::default().settings();
    s.drive.on = drive;
    s.chorus.on = chorus;
    s.delay.on = delay;
    s.reverb.on = reverb;
    s
}

fn effects(c: &mut Criterion) {
    let mut group = c.benchmark_group("effects");
    group.throughput(Throughput::Elements(BLOCK as u64));
    // The drive and the reverb dispatch on the CPU's vector width: each
    // kernel this CPU has, by name (chorus and delay run one code path).
    for simd in Simd::available() {
        for (name, s) in [
            ("rack_all_on", settings(true, true, true, true)),
            ("drive", settings(true, false, false, false)),
            ("chorus", settings(false, true, false, false)),
            ("delay", settings(false, false, true, false)),
            ("reverb", settings(false, false, false, true)),
        ] {
            if simd != Simd::Scalar && (name == "chorus" || name == "delay") {
                continue;
            }
            let mut rack = EffectsRack::new(SR);
            rack.set_simd(simd);
            // The input made beforehand (a second of it, cycled), so only
            // the rack and a block copy are timed.
            let inputs: Vec<_> = (0..SR as usize / BLOCK).map(|k| input(k * BLOCK)).collect();
            let mut next = 0;
            group.bench_function(format!("{name}/{}", simd.name()), |b| {
                b.iter(|| {
                    let (l0, r0) = &inputs[next % inputs.len()];
                    next += 1;
                    let (mut l, mut r) = ([0.0f32; BLOCK], [0.0f32; BLOCK]);
                    l.copy_from_slice(l0);
                    r.copy_from_slice(r0);
                    rack.process(&mut l, &mut r, &s, 120.0);
                    l[0] + r[0]
                })
            });
        }
    }

    let s = settings(true, true, true, true);
    let mut rack = EffectsRack::new(SR);
    let (mut l, mut r) = input(0);
    rack.process(&mut l, &mut r, &s, 120.0);
    let mut blocks = 0;
    while !rack.is_asleep() {
        let (mut l, mut r) = (vec![0.0; BLOCK], vec![0.0; BLOCK]);
        rack.process(&mut l, &mut r, &s, 120.0);
        blocks += 1;
        assert!(blocks < 100_000, "the rack never slept");
    }
    let (mut l, mut r) = (vec![0.0; BLOCK], vec![0.0; BLOCK]);
    group.bench_function("rack_asleep", |b| {
        b.iter(|| {
            rack.process(&mut l, &mut r, &s, 120.0);
            l[0]
        })
    });

    let params = Arc::new(SynthParams::default());
    for id in ["drive_on", "chorus_on", "delay_on", "reverb_on"] {
        params.set_by_id(id, "1", SR).unwrap();
    }
    let mut synth = Synth::new(params, SR);
    let (mut l, mut r) = (vec![0.0; BLOCK], vec![0.0; BLOCK]);
    group.bench_function("synth_idle_all_on", |b| {
        b.iter(|| {
            synth.process(
                &mut l,
                &mut r,
                Transport::default(),
                &mut SliceEvents::new(&[], 0),
            );
            l[0]
        })
    });
    assert!(!synth.is_sounding());
    group.finish();
}

criterion_group!(benches, effects);
criterion_main!(benches);
