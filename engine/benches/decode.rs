//! The neural decoder on the CPU, one thread: latents to playable wavetable
//! sets (decode in one batched call, then the FFT mip levels).
#![allow(missing_docs)] // `criterion_main!` writes an undocumented `main`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use nwt_engine::neural::{
    build_paced_table, build_table, AnchorEncoder, AnchorShape, Anchors, MacroMode, Pacing,
    TableRequest,
};
use nwt_engine::WavetableSet;
use nwt_model::model::{path_latents, Model, MACROS};

fn decode(c: &mut Criterion) {
    let model = Model::embedded().expect("shipped weights");
    let a = model.macros_to_latent(&[0.5; MACROS]);
    let b = model.macros_to_latent(&[-0.5; MACROS]);
    let mut group = c.benchmark_group("decode");
    group.bench_function("one_frame_with_mips", |bench| {
        bench.iter(|| {
            let frames = model.decode_unnormalised(&[a]).unwrap();
            black_box(WavetableSet::from_harmonics(&frames).unwrap())
        })
    });
    let path = path_latents(&[a, b], 64);
    group.bench_function("table_64_frames_with_mips", |bench| {
        bench.iter(|| {
            let frames = model.decode_unnormalised(&path).unwrap();
            black_box(WavetableSet::from_harmonics(&frames).unwrap())
        })
    });
    group.bench_function("table_64_frames_decode_only", |bench| {
        bench.iter(|| black_box(model.decode_unnormalised(&path).unwrap()))
    });
    group.bench_function("table_64_frames_decode_normalised", |bench| {
        bench.iter(|| black_box(model.decode(&path).unwrap()))
    });
    // What the worker does for a 64-frame table through a saw and a square
    // anchor (encodings cached after the first pass): the path, one batch of
    // 64 frames plus the two anchors, the anchors' residuals added, mip levels.
    let mut encoder = AnchorEncoder::default();
    let request = TableRequest {
        user: None,
        macros: [0.3; MACROS],
        knobs: [0.0; nwt_engine::neural::knobs::KNOBS],
        frames: 64,
        mode: MacroMode::Anchors,
        even_loudness: true,
        anchors: Anchors::from_shapes(&[AnchorShape::Saw, AnchorShape::Square]),
    };
    // With the pacing measured (a coarse decode of 17 points first): the
    // build once knobs rest.
    group.bench_function("worker_table_64_frames_two_anchors", |bench| {
        bench.iter(|| black_box(build_table(&model, &mut encoder, &request).unwrap()))
    });
    // With an earlier table's pacing reused: the build while knobs move.
    let earlier = build_paced_table(&model, &mut encoder, &request, Pacing::Measure)
        .unwrap()
        .pacing;
    group.bench_function(
        "worker_table_64_frames_two_anchors_reused_pacing",
        |bench| {
            bench.iter(|| {
                black_box(
                    build_paced_table(&model, &mut encoder, &request, Pacing::Reuse(&earlier))
                        .unwrap(),
                )
            })
        },
    );
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
