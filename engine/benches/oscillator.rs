//! Cost of one oscillator-sample: one unison voice reading a 32-frame table
//! with the frame crossfade on (the position moves every block), and the 16
//! unison oscillators of one note in one pass on each kernel the CPU has.
#![allow(missing_docs)] // `criterion_main!` writes an undocumented `main`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use nwt_engine::factory::TableSource;
use nwt_engine::oscillator::{
    increment, render, render_unison, FrameRamp, Simd, UnisonLanes, UnisonSpread,
};
use nwt_engine::wavetable::level_for;
use nwt_engine::CONTROL_BLOCK;

fn oscillator(c: &mut Criterion) {
    let set = TableSource::Pulse.build().unwrap();
    let sr = 48_000.0;
    let freq = 220.0;
    let inc = increment(freq, sr).unwrap();
    let level = level_for(freq / sr).unwrap();
    const BLOCKS: usize = 64;
    let mut group = c.benchmark_group("oscillator");
    group.throughput(Throughput::Elements((BLOCKS * CONTROL_BLOCK) as u64));
    group.bench_function("crossfaded_sample", |b| {
        let (mut l, mut r) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
        let mut phase = 0u32;
        b.iter(|| {
            for block in 0..BLOCKS {
                let from = block as f32 / BLOCKS as f32 * 0.9 + 0.013;
                let ramp = FrameRamp::new(&set, from, from + 0.01, CONTROL_BLOCK);
                phase = render(&set, level, &ramp, phase, inc, 0.7, 0.7, &mut l, &mut r);
            }
            black_box(&l);
        })
    });
    group.bench_function("single_frame_sample", |b| {
        let (mut l, mut r) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
        let ramp = FrameRamp::new(&set, 0.0, 0.0, CONTROL_BLOCK);
        let ramp = FrameRamp {
            single: true,
            ..ramp
        };
        let mut phase = 0u32;
        b.iter(|| {
            for _ in 0..BLOCKS {
                phase = render(&set, level, &ramp, phase, inc, 0.7, 0.7, &mut l, &mut r);
            }
            black_box(&l);
        })
    });
    // All 16 unison oscillators of one note in one pass, per oscillator-sample.
    group.throughput(Throughput::Elements((BLOCKS * CONTROL_BLOCK * 16) as u64));
    for simd in Simd::available() {
        let spread = UnisonSpread::new(16, 30.0, 0.5);
        let mut phases = std::array::from_fn(|j| (j as u32).wrapping_mul(0x9e37_79b9));
        group.bench_function(format!("unison_16_crossfaded_{}", simd.name()), |b| {
            let (mut l, mut r) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
            b.iter(|| {
                for block in 0..BLOCKS {
                    let from = block as f32 / BLOCKS as f32 * 0.9 + 0.013;
                    let ramp = FrameRamp::new(&set, from, from + 0.01, CONTROL_BLOCK);
                    let mut lanes = UnisonLanes::for_note(&set, &spread, freq, sr, phases);
                    render_unison(simd, &set, &ramp, None, &mut lanes, &mut l, &mut r);
                    phases = lanes.phase;
                }
                black_box(&l);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, oscillator);
criterion_main!(benches);
