//! The factory bank's neural tables as a position scan hears them
//! (`neural_wavetable::table_check`, the same measure as
//! `nwt check-tables`): no phase seams between neighbouring frames, the
//! blend half way between two frames never more than 0.5 dB quieter than
//! they are, frames' loudness within 3 dB along a table (Even Loudness on,
//! the default), and no faint flat floor of upper harmonics, at each
//! preset's own settings, at the corners the knobs reach and at random
//! settings.

use neural_wavetable::table_check::{check_preset, neural_presets, Checked, Settings};
use nwt_engine::neural::AnchorEncoder;
use nwt_model::Model;

/// The halfway blend may be at most this much quieter than its neighbours, dB.
const DIP_DB: f32 = 0.5;
/// Frames' RMS along a table within this range, dB.
const RANGE_DB: f32 = 3.0;

fn check(settings: Settings) -> Vec<Checked> {
    let model = Model::embedded().expect("the shipped weights load");
    let mut encoder = AnchorEncoder::default();
    let presets = neural_presets();
    assert!(presets.len() >= 30, "{} neural presets", presets.len());
    presets
        .iter()
        .flat_map(|p| check_preset(&model, &mut encoder, p, settings).unwrap())
        .collect()
}

fn describe(c: &Checked) -> String {
    format!("{} at {}: {:?}", c.preset, c.setting, c.quality)
}

#[test]
fn factory_tables_have_no_seams_dips_swells_or_floors() {
    for c in check(Settings::Preset) {
        assert!(c.quality.meets(DIP_DB, RANGE_DB), "{}", describe(&c));
    }
}

#[test]
fn the_knobs_corners_grow_no_floors_or_seams_and_stay_even() {
    let all = check(Settings::Corners);
    assert!(all.len() > 1000, "{} tables", all.len());
    for c in &all {
        let q = &c.quality;
        assert!(q.plateau_frames.is_empty(), "{}", describe(c));
        assert!(q.phase_seams.is_empty(), "{}", describe(c));
        assert!(q.loudness_range_db <= RANGE_DB, "{}", describe(c));
    }
}

#[test]
fn random_knob_settings_keep_every_goal() {
    for c in check(Settings::Random { count: 4, seed: 26 }) {
        assert!(c.quality.meets(DIP_DB, RANGE_DB), "{}", describe(&c));
    }
}

/// The RMS level (dB) of the middle frame, where a held note at position
/// 0.5 plays, of each table along a sweep of macro 1 from −1 to 1.
fn middle_frame_levels(preset: &str, even_loudness: bool) -> Vec<f32> {
    use nwt_engine::neural::{build_table, TableRequest};
    use nwt_engine::SynthParams;
    let model = Model::embedded().unwrap();
    let mut encoder = AnchorEncoder::default();
    let params = SynthParams::default();
    neural_wavetable::preset::resolve(preset)
        .unwrap()
        .load_into(&params, 48_000.0)
        .unwrap();
    let mut request = TableRequest::read(&params);
    request.even_loudness = even_loudness;
    (0..=40)
        .map(|i| {
            request.macros[0] = -1.0 + i as f32 / 20.0;
            let set = build_table(&model, &mut encoder, &request).unwrap();
            set.frame_rms_db()[set.frame_count() / 2]
        })
        .collect()
}

#[test]
fn even_loudness_does_not_pump_while_a_macro_sweeps() {
    // Each table is evened on its own median, so a macro move could make
    // the frame a note holds jump in level from one table to the next. Over
    // tables 0.05 of the macro's travel apart, no step may reach 1.5 dB (the
    // natural levels step up to 1.23 dB on these presets; with the evening,
    // as much or up to half a dB more where the median itself moves).
    for preset in [
        "Sunrise Swell",
        "Hyper Stack",
        "Tidal Drift",
        "Rising Storm",
    ] {
        let step = |levels: &[f32]| {
            levels
                .windows(2)
                .map(|w| (w[1] - w[0]).abs())
                .fold(0.0f32, f32::max)
        };
        let on = middle_frame_levels(preset, true);
        let off = middle_frame_levels(preset, false);
        println!(
            "{preset}: largest step between tables {:.2} dB evened, {:.2} dB natural",
            step(&on),
            step(&off)
        );
        assert!(step(&on) < 1.5, "{preset}: {on:?} vs {off:?}");
    }
}
