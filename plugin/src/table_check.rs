//! The factory bank's neural tables measured as a scan hears them
//! ([`nwt_engine::table_quality`]): each preset at its own settings, at the
//! corners the knobs reach (macros 1 and 2 at ±0.5 and ±1, each named knob
//! at its limits) and at random knob settings. `nwt check-tables` prints the
//! figures; `plugin/tests/table_quality.rs` holds the bank to them.

use crate::preset::{factory_presets, Preset};
use nwt_engine::factory::TableSource;
use nwt_engine::neural::{build_table, knobs::KNOBS, AnchorEncoder, NeuralError, TableRequest};
use nwt_engine::table_quality::{measure, TableQuality};
use nwt_engine::SynthParams;
use nwt_model::model::MACROS;
use nwt_model::Model;

/// The knob settings a preset's table is measured at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settings {
    /// As the preset stores them.
    Preset,
    /// Macros 1 and 2 at every pair of ±0.5 and ±1 (16 tables), then each
    /// named knob alone at −1 and +1; the other knobs as the preset has them.
    Corners,
    /// `count` draws of every macro and named knob, uniform in −1..1, from a
    /// seeded generator.
    Random {
        /// Draws per preset.
        count: usize,
        /// Generator seed.
        seed: u64,
    },
}

/// One measured table.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The preset's name.
    pub preset: String,
    /// Which knob setting, e.g. "preset", "m1 -1 m2 0.5", "knob 3 +1".
    pub setting: String,
    /// What the table measured.
    pub quality: TableQuality,
}

/// The factory presets that play the neural table.
pub fn neural_presets() -> Vec<Preset> {
    factory_presets()
        .into_iter()
        .filter(|p| {
            let params = SynthParams::default();
            p.load_into(&params, 48_000.0).is_ok() && params.table.value() == TableSource::Neural
        })
        .collect()
}

/// The requests `settings` describes for a preset whose own request is `base`.
pub fn requests(base: &TableRequest, settings: Settings) -> Vec<(String, TableRequest)> {
    match settings {
        Settings::Preset => vec![("preset".into(), base.clone())],
        Settings::Corners => {
            let mut out = Vec::new();
            for m1 in [-1.0f32, -0.5, 0.5, 1.0] {
                for m2 in [-1.0f32, -0.5, 0.5, 1.0] {
                    let mut r = base.clone();
                    r.macros[0] = m1;
                    r.macros[1] = m2;
                    out.push((format!("m1 {m1:+} m2 {m2:+}"), r));
                }
            }
            for k in 0..KNOBS {
                for v in [-1.0f32, 1.0] {
                    let mut r = base.clone();
                    r.knobs[k] = v;
                    out.push((format!("knob {} {v:+}", k + 1), r));
                }
            }
            out
        }
        Settings::Random { count, seed } => {
            // The project's SplitMix64 (`nwt_model::rng`), 24 bits mapped to −1..1.
            let mut rng = nwt_model::rng::Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15);
            let mut next = move || (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
            (0..count)
                .map(|i| {
                    let mut r = base.clone();
                    r.macros = std::array::from_fn::<f32, MACROS, _>(|_| next());
                    r.knobs = std::array::from_fn(|_| next());
                    (format!("random {i}"), r)
                })
                .collect()
        }
    }
}

/// Builds and measures the table of every setting of `preset`.
pub fn check_preset(
    model: &Model,
    encoder: &mut AnchorEncoder,
    preset: &Preset,
    settings: Settings,
) -> Result<Vec<Checked>, NeuralError> {
    let params = SynthParams::default();
    if let Err(e) = preset.load_into(&params, 48_000.0) {
        return Err(NeuralError::Anchor {
            slot: "preset",
            reason: e.to_string(),
        });
    }
    let base = TableRequest::read(&params);
    requests(&base, settings)
        .into_iter()
        .map(|(setting, request)| {
            Ok(Checked {
                preset: preset.name.clone(),
                setting,
                quality: measure(&build_table(model, encoder, &request)?),
            })
        })
        .collect()
}
