//! The semantic knobs (brightness, warmth, richness, odd/even, formant) in the
//! decoder's tables: turning a knob from −1 to +1 moves its own descriptor of
//! the anchor's frame, measured on the built table as the synth plays it.

use nwt_engine::neural::knobs::KNOBS;
use nwt_engine::neural::{
    build_table, AnchorEncoder, AnchorShape, Anchors, MacroMode, TableRequest,
};
use nwt_model::semantic::{SemanticAxes, NAMES};
use nwt_model::{Harmonics, Model};
use std::time::Instant;

const VALUES: [f32; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];

/// An 8-frame table through `anchors` with the semantic knobs at `knobs`.
fn request(anchors: &[AnchorShape], knobs: [f32; KNOBS]) -> TableRequest {
    TableRequest {
        user: None,
        macros: [0.0; nwt_model::model::MACROS],
        knobs,
        frames: 8,
        mode: MacroMode::Anchors,
        even_loudness: true,
        anchors: Anchors::from_shapes(anchors),
    }
}

/// The normalised descriptors of frame 0 of the table one anchor makes with `knobs`.
fn descriptors(
    model: &Model,
    axes: &SemanticAxes,
    encoder: &mut AnchorEncoder,
    shape: AnchorShape,
    knobs: [f32; KNOBS],
) -> [f32; KNOBS] {
    let set = build_table(model, encoder, &request(&[shape], knobs)).expect("table");
    let frame = Harmonics::from_cycle(&set.frame(0));
    axes.describe(&nwt_model::levels::levels_db(&Model::canonical(&frame)))
}

#[test]
fn each_knob_moves_its_own_descriptor() {
    let model = Model::embedded().expect("shipped weights");
    let axes = SemanticAxes::embedded().expect("assets/semantic.json is embedded");
    assert_eq!(
        axes.model,
        model.id(),
        "the knobs' directions belong to the shipped model"
    );
    let mut encoder = AnchorEncoder::default();
    // Every knob rises monotonically over the test anchors (MODEL.md), so it
    // must here too: never falling (a descriptor already at the top of its
    // range, as a square's odd share, stays there), moving each of these
    // anchors audibly (0.05 of the descriptor's range from −1 to +1) and them
    // all by 0.15 on average.
    let shapes = [AnchorShape::Saw, AnchorShape::VowelA, AnchorShape::Square];
    for (j, name) in NAMES.iter().enumerate() {
        let mut total = 0.0;
        for shape in shapes {
            let started = Instant::now();
            let rows: Vec<[f32; KNOBS]> = VALUES
                .iter()
                .map(|&v| {
                    let mut knobs = [0.0; KNOBS];
                    knobs[j] = v;
                    descriptors(&model, &axes, &mut encoder, shape, knobs)
                })
                .collect();
            let own: Vec<f32> = rows.iter().map(|r| r[j]).collect();
            let rises = own.windows(2).all(|w| w[1] >= w[0] - 0.005);
            let moved = own[4] - own[0];
            let others = (0..KNOBS)
                .filter(|&k| k != j)
                .map(|k| (rows[4][k] - rows[0][k]).abs())
                .fold(0.0f32, f32::max);
            println!(
                "{shape:?} {name}: own {own:.3?} (moved {moved:.3}), largest other move {others:.3}, {:.0} ms",
                started.elapsed().as_secs_f64() * 1e3
            );
            assert!(
                rises,
                "{shape:?}: {name} does not rise monotonically: {own:?}"
            );
            assert!(moved > 0.05, "{shape:?}: {name} moved only {moved}");
            total += moved;
        }
        let mean = total / shapes.len() as f32;
        assert!(mean > 0.15, "{name} moved only {mean} on average");
    }
}

#[test]
fn knobs_at_zero_leave_the_table_alone() {
    let model = Model::embedded().expect("shipped weights");
    let mut encoder = AnchorEncoder::default();
    let request = |knobs| request(&[AnchorShape::Saw, AnchorShape::VowelA], knobs);
    let plain = build_table(&model, &mut encoder, &request([0.0; KNOBS])).unwrap();
    let mut moved = [0.0; KNOBS];
    moved[0] = 0.8;
    let first = Instant::now();
    let bright = build_table(&model, &mut encoder, &request(moved)).unwrap();
    let first = first.elapsed();
    moved[0] = 0.7;
    let later = Instant::now();
    build_table(&model, &mut encoder, &request(moved)).unwrap();
    println!(
        "two anchors, 8 frames: first brightness move {:.1} ms (charts computed), the next {:.1} ms",
        first.as_secs_f64() * 1e3,
        later.elapsed().as_secs_f64() * 1e3
    );
    let again = build_table(&model, &mut encoder, &request([0.0; KNOBS])).unwrap();
    assert_eq!(
        plain.data(),
        again.data(),
        "a knob back at 0 gives the same table"
    );
    assert_ne!(
        plain.data(),
        bright.data(),
        "brightness 0.8 changes the table"
    );
}

#[test]
fn a_knob_routed_in_the_matrix_gets_its_charts_before_it_moves() {
    let model = Model::embedded().expect("shipped weights");
    let params = nwt_engine::params::SynthParams::default();
    assert!(!params.knobs_routed(), "the default matrix moves no knob");
    params
        .set_by_id("mod_destination_1", "Brightness", 48_000.0)
        .expect("a destination by name");
    assert!(params.knobs_routed(), "the wheel now moves Brightness");

    let request = request(&[AnchorShape::Saw], [0.0; KNOBS]);
    let mut encoder = AnchorEncoder::default();
    let prepare = |encoder: &mut AnchorEncoder, routed| {
        encoder
            .prepare_knob_chart(&model, &request, routed, &|| false)
            .expect("a chart")
    };
    assert!(
        !prepare(&mut encoder, false),
        "no chart while every knob is at 0 and none is routed"
    );
    // Routed: the idle worker computes the anchor's five charts one by one,
    // then has none left to compute.
    let computed = (0..10).take_while(|_| prepare(&mut encoder, true)).count();
    assert_eq!(computed, KNOBS, "one chart per knob for the one anchor");
}
