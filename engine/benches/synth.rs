//! The whole synth under load: 64 voices × 8 unison oscillators, a 32-frame
//! table with the position moving (frame crossfade on), filter and both
//! envelopes active, stereo, 48 kHz, 128-sample blocks. One iteration renders
//! one block; real-time factor = (128 / 48000 s) / time per block.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nwt_engine::{SliceEvents, Synth, SynthEvent, SynthParams, Transport};
use std::sync::Arc;

const SR: f32 = 48_000.0;
const BLOCK: usize = 128;

fn loaded_synth() -> Synth {
    let params = Arc::new(SynthParams::default());
    for (id, value) in [
        ("table", "Pulse Width"),
        ("position", "0.3"),
        ("unison", "8"),
        ("detune", "20"),
        ("phase_mode", "Random"),
        ("cutoff", "2000"),
        ("resonance", "0.4"),
        ("filter_env_amount", "24"),
        ("filter_sustain", "0.5"),
        ("amp_sustain", "0.8"),
        ("lfo_to_position", "0.3"),
        ("lfo_rate", "3"),
    ] {
        params.set_by_id(id, value, SR).unwrap();
    }
    params.reset_smoothers(SR);
    let mut synth = Synth::new(params, SR);
    let notes: Vec<SynthEvent> = (0..64)
        .map(|i| SynthEvent::NoteOn {
            timing: 0,
            voice_id: Some(i),
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
        &mut SliceEvents::new(&notes, 0),
    );
    assert_eq!(synth.active_voices(), 64);
    synth
}

fn synth(c: &mut Criterion) {
    let mut synth = loaded_synth();
    let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let mut group = c.benchmark_group("synth");
    group.throughput(Throughput::Elements(BLOCK as u64));
    group.bench_function("64_voices_x8_unison_block128", |b| {
        b.iter(|| {
            synth.process(
                &mut l,
                &mut r,
                Transport::default(),
                &mut SliceEvents::new(&[], 0),
            )
        })
    });
    group.finish();
    assert_eq!(synth.active_voices(), 64, "notes held throughout");
}

criterion_group!(benches, synth);
criterion_main!(benches);
