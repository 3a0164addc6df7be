//! The semantic knobs over held-out sounds: the procedural frames of the
//! shipped dataset's test split (the same seeds as `cargo xtask dataset`,
//! the first 30 of each family), each knob turned −1, −0.5, 0, 0.5, 1 on the
//! knob's own chart per anchor, as the synth's decoder worker does.

use nwt_model::dataset::{Dataset, DatasetConfig, Split};
use nwt_model::model::coeffs_to_harmonics;
use nwt_model::semantic::{evaluate_charts, markdown, SemanticAxes};
use nwt_model::Model;

#[test]
fn each_knob_moves_its_own_descriptor_over_test_split_anchors() {
    let model = Model::embedded().expect("shipped weights");
    let axes = SemanticAxes::embedded().expect("assets/semantic.json is embedded");
    assert_eq!(
        axes.model,
        model.id(),
        "the axes belong to the shipped model"
    );
    let data = Dataset::build(&DatasetConfig {
        per_family: 30,
        seed: 2018,
        cycles_per_sample: 0,
        soundfont: None,
    })
    .unwrap();
    let frames: Vec<_> = data
        .split(Split::Test)
        .iter()
        .map(|e| coeffs_to_harmonics(&e.coeffs))
        .collect();
    assert!(frames.len() >= 20, "{} test frames", frames.len());
    let anchors = model.encode_batch(&frames).unwrap();
    let reports = evaluate_charts(&model, &axes, &anchors, 3).unwrap();
    println!(
        "{} test-split anchors\n{}",
        anchors.len(),
        markdown(&reports)
    );
    let report = |name: &str| reports.iter().find(|r| r.name == name).unwrap();
    // The goal, met by these three: the own descriptor rises in at
    // least 90 % of anchors, by a clear amount, and no other descriptor moves
    // a third as much.
    for name in ["brightness", "warmth", "odd_even"] {
        let r = report(name);
        assert!(
            r.monotone >= 0.9,
            "{name}: rises in {:.0} %",
            r.monotone * 100.0
        );
        assert!(r.own >= 0.2, "{name}: moves {:.3}", r.own);
        assert!(
            r.worst_other() < r.own / 3.0,
            "{name}: another moves {:.3}",
            r.worst_other()
        );
    }
    // Richness rises in 35 of these 39 anchors, with odd/even following by
    // more than a third; the formant knob is not there yet (MODEL.md).
    let r = report("richness");
    assert!(
        r.monotone >= 0.85,
        "richness: rises in {:.0} %",
        r.monotone * 100.0
    );
    assert!(r.own >= 0.15, "richness: moves {:.3}", r.own);
}
