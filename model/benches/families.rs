//! How fast the procedural families make frames (the dataset's procedural
//! part is 22,000 of them): one frame of each family, seeded.
#![allow(missing_docs)] // `criterion_main!` writes an undocumented `main`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use nwt_model::families::Family;

fn families(c: &mut Criterion) {
    let mut group = c.benchmark_group("families");
    for family in Family::ALL {
        let mut seed = 0u64;
        group.bench_function(family.name(), |bench| {
            bench.iter(|| {
                seed = seed.wrapping_add(1);
                black_box(family.generate(seed))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, families);
criterion_main!(benches);
