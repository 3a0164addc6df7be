//! The semantic knobs over held-out sounds: the procedural frames of the
//! shipped dataset's test split (the same seeds as `cargo xtask dataset`,
//! the first 30 of each family), each knob turned −1, −0.5, 0, 0.5, 1 on the
//! knob's own chart per anchor, as the synth's decoder worker does.

use nwt_model::dataset::{Dataset, DatasetConfig, Split};
use nwt_model::model::coeffs_to_harmonics;
use nwt_model::semantic::{evaluate_charts, markdown, SemanticAxes, CHART_ITERATIONS};
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
    let reports = evaluate_charts(&model, &axes, &anchors, CHART_ITERATIONS).unwrap();
    println!(
        "{} test-split anchors\n{}",
        anchors.len(),
        markdown(&reports)
    );
    // The goal, for every knob: the own descriptor rises in at least
    // 90 % of anchors, by a clear amount (a fifth of its range over the
    // training set, on average), and no other descriptor moves a third as
    // much.
    for r in &reports {
        let name = r.name;
        let clear = 0.2;
        assert!(
            r.monotone >= 0.9,
            "{name}: rises in {:.0} %",
            r.monotone * 100.0
        );
        assert!(r.own >= clear, "{name}: moves {:.3}", r.own);
        assert!(
            r.worst_other() < r.own / 3.0,
            "{name}: another moves {:.3}",
            r.worst_other()
        );
    }
}
