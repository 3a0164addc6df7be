//! What the benches share: the neural sound they measure.

use nwt_engine::neural::{AnchorShape, Anchors, DecoderWorker, WorkerOptions};
use nwt_engine::Synth;
use nwt_model::Model;
use std::time::Duration;

/// The anchors of the benches' neural tables: saw, vowel A and square.
pub fn three_anchors() -> Anchors {
    Anchors::from_shapes(&[AnchorShape::Saw, AnchorShape::VowelA, AnchorShape::Square])
}

/// A decoder worker with the shipped weights on `synth`, once it has built
/// its first table.
pub fn settled_worker(synth: &mut Synth) -> DecoderWorker {
    let worker = DecoderWorker::attach(
        synth,
        Model::embedded().expect("shipped weights"),
        WorkerOptions::default(),
    )
    .unwrap();
    assert!(worker.settle(Duration::from_secs(60)));
    worker
}
