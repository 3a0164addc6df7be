//! Presets: a versioned JSON file holding every parameter by its stable id and
//! the anchor slots.
//!
//! Values are stored as plain values (Hz, ms, semitones; 0/1 for switches),
//! and an enum parameter's value as its variant's stable id (`"lowpass"`).
//! Loading validates the whole file before touching a parameter, so a broken
//! or newer file changes nothing.
//!
//! Versions: 1 had no neural table (no anchors; `table` 0 was the first
//! factory table). 2 added the `Neural` table source in front of the factory
//! tables, the macro knobs and the anchors; a version-1 file is migrated on
//! load by shifting `table` by one, so it keeps sounding as it did. 3 stores
//! enum values by id instead of the variant's index; a version-2 file's
//! indices are read as the variants they were (`EnumCodes::v2_spread`).

use nwt_engine::neural::Anchors;
use nwt_engine::params::enum_codes;
use nwt_engine::SynthParams;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The preset format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 3;
/// The `format` field of every preset file.
pub const FORMAT_NAME: &str = "neural-wavetable-preset";
/// Longest imported cycle an anchor may hold, in samples.
pub const MAX_ANCHOR_SAMPLES: usize = 65_536;
/// Largest preset file read, in bytes.
pub const MAX_PRESET_BYTES: u64 = 1 << 20;

/// A saved sound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Format version, [`FORMAT_VERSION`] when written by this build.
    pub version: u32,
    /// The sound's name.
    pub name: String,
    /// Bass, lead, pad, pluck, keys, FX, ...
    #[serde(default)]
    pub category: String,
    /// Who made it.
    #[serde(default)]
    pub author: String,
    /// Every parameter by stable id: its plain value, or an enum's variant id.
    pub params: BTreeMap<String, PresetValue>,
    /// The anchor slots A–D (absent in version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchors: Option<Anchors>,
    /// Id of the model the preset was made with (latent anchors and macro
    /// settings sound as saved only with that model; other models still load it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The tuning, as the scale's text (absent: 12-EDO, A4 = 440 Hz).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning: Option<nwt_engine::tuning::Tuning>,
}

/// One parameter's value in a preset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PresetValue {
    /// A plain value (Hz, ms, dB, 0/1 for a switch).
    Number(f32),
    /// An enum parameter's variant, by its stable id.
    Id(String),
}

impl PresetValue {
    /// The number, if this is one.
    pub fn number(&self) -> Option<f32> {
        match self {
            PresetValue::Number(v) => Some(*v),
            PresetValue::Id(_) => None,
        }
    }

    /// The value for parameter `id`, `plain` as `SynthParams::plain_values`
    /// gives it: an enum's code becomes its variant's id.
    pub fn from_plain(id: &str, plain: f32) -> Self {
        match enum_codes(id) {
            Some(codes) if plain.is_finite() => {
                PresetValue::Id((codes.id_of)(plain.round().max(0.0) as usize).to_string())
            }
            _ => PresetValue::Number(plain),
        }
    }

    /// The plain value for parameter `id` (an enum's code for a variant id),
    /// or `None` when it is not a finite number or not a variant of `id`.
    pub fn plain(&self, id: &str) -> Option<f32> {
        match self {
            PresetValue::Number(v) => v.is_finite().then_some(*v),
            PresetValue::Id(variant) => enum_codes(id)
                .and_then(|codes| (codes.code_of)(variant))
                .map(|c| c as f32),
        }
    }
}

/// Why a preset could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    /// The file could not be read.
    #[error("cannot read preset {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Bigger than [`MAX_PRESET_BYTES`].
    #[error("preset file is {0} bytes; the limit is {MAX_PRESET_BYTES}")]
    TooLarge(u64),
    /// Not JSON of the right shape.
    #[error("not a Neural Wavetable preset: {0}")]
    Parse(#[from] serde_json::Error),
    /// The `format` field is wrong.
    #[error("not a Neural Wavetable preset (format is `{0}`)")]
    WrongFormat(String),
    /// Written by a newer version.
    #[error("preset format version {0} is newer than this build reads ({FORMAT_VERSION}); update Neural Wavetable")]
    TooNew(u32),
    /// A parameter id this build does not know.
    #[error("preset sets unknown parameter `{0}`")]
    UnknownParam(String),
    /// A value that is not a finite number, or not one of the enum's variants.
    #[error("preset value for `{0}` is not a finite number or a known choice")]
    BadValue(String),
    /// A tuning that does not read.
    #[error("preset tuning: {0}")]
    BadTuning(#[from] nwt_engine::tuning::TuningError),
    /// An anchor the model cannot use.
    #[error("preset anchor {slot}: {reason}")]
    BadAnchor {
        /// Slot name (A..D).
        slot: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// No factory preset has this name.
    #[error("no preset named `{0}` in the factory bank or the user folder, and no such file (`nwt presets` lists them)")]
    UnknownFactory(String),
}

include!(concat!(env!("OUT_DIR"), "/factory_bank.rs"));

/// Every factory preset: `Init` (the parameters' defaults, the plugin's
/// default sound) first, then the bank in `assets/presets` in file order. (A
/// test checks that every bank file loads.)
pub fn factory_presets() -> Vec<Preset> {
    let mut all = vec![Preset::capture(
        &SynthParams::default(),
        "Init",
        "Init",
        "Neural Wavetable",
    )];
    all.extend(
        FACTORY_BANK
            .iter()
            .filter_map(|(_, json)| Preset::from_json(json).ok()),
    );
    all
}

/// Names of every factory preset.
pub fn factory_names() -> Vec<String> {
    factory_presets().into_iter().map(|p| p.name).collect()
}

/// The presets in the user's preset folder, each with its file (unreadable
/// files are listed with their error, never dropped silently).
pub fn user_presets() -> Vec<(std::path::PathBuf, Result<Preset, PresetError>)> {
    let Ok(dir) = crate::folders::presets_dir() else {
        return Vec::new();
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == PRESET_EXTENSION))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let preset = Preset::load(&path);
            (path, preset)
        })
        .collect()
}

/// A file name made from a sound's name ("My Pad" → "my-pad").
pub fn file_slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// File extension of preset files.
pub const PRESET_EXTENSION: &str = "nwtpreset";

impl Preset {
    /// Captures the current values of `params`.
    pub fn capture(params: &SynthParams, name: &str, category: &str, author: &str) -> Self {
        let values = params
            .plain_values()
            .into_iter()
            .map(|(id, plain)| {
                let value = PresetValue::from_plain(&id, plain);
                (id, value)
            })
            .collect();
        Self {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            name: name.to_string(),
            category: category.to_string(),
            author: author.to_string(),
            params: values,
            anchors: Some(params.anchors_snapshot()),
            model: nwt_model::model::embedded_id(),
            tuning: params.tuning.get(),
        }
    }

    /// The factory preset called `name` (case-insensitive).
    pub fn factory(name: &str) -> Result<Self, PresetError> {
        factory_presets()
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| PresetError::UnknownFactory(name.to_string()))
    }

    /// Parses preset JSON, checking format and version, and migrates older
    /// versions to the current one.
    pub fn from_json(text: &str) -> Result<Self, PresetError> {
        let mut preset: Preset = serde_json::from_str(text)?;
        if preset.format != FORMAT_NAME {
            return Err(PresetError::WrongFormat(preset.format));
        }
        if preset.version > FORMAT_VERSION {
            return Err(PresetError::TooNew(preset.version));
        }
        if preset.version < 2 {
            // Version 2 put the `Neural` source before the factory tables.
            if let Some(PresetValue::Number(table)) = preset.params.get_mut("table") {
                *table += 1.0;
            }
        }
        if preset.version < 3 {
            // Versions 1 and 2 stored an enum's variant index.
            for (id, value) in preset.params.iter_mut() {
                if let (Some(codes), PresetValue::Number(index)) = (enum_codes(id), &*value) {
                    if index.is_finite() {
                        let code = (index.round().max(0.0) as usize) * codes.v2_spread;
                        *value = PresetValue::Id((codes.id_of)(code).to_string());
                    }
                }
            }
        }
        preset.version = FORMAT_VERSION;
        // Anchors saved as latents of the first model become the cycles
        // those latents stood for (the current model reads other latents).
        if let Some(anchors) = preset.anchors.as_mut() {
            let names = nwt_engine::anchors::SLOT_NAMES;
            for (anchor, name) in anchors.slots.iter_mut().zip(names) {
                let Some(anchor) = anchor.as_mut() else {
                    continue;
                };
                if let Some(migrated) = anchor.migrated_from_v1() {
                    *anchor =
                        migrated.map_err(|reason| PresetError::BadAnchor { slot: name, reason })?;
                }
            }
        }
        Ok(preset)
    }

    /// Reads a preset file.
    pub fn load(path: &Path) -> Result<Self, PresetError> {
        let io = |source| PresetError::Io {
            path: path.display().to_string(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_PRESET_BYTES {
            return Err(PresetError::TooLarge(size));
        }
        Self::from_json(&std::fs::read_to_string(path).map_err(io)?)
    }

    /// The preset as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a preset always serialises")
    }

    /// Checks that every parameter the preset names exists and has a finite
    /// value, and that every anchor is usable.
    pub fn validate(&self, params: &SynthParams) -> Result<(), PresetError> {
        use nwt_engine::anchors::SLOT_NAMES;
        if let Some(tuning) = &self.tuning {
            tuning.pitches()?;
        }
        use nwt_engine::neural::Anchor;
        let slots = self.anchors.iter().flat_map(|a| a.slots.iter());
        for (slot, anchor) in SLOT_NAMES.into_iter().zip(slots) {
            let bad = |reason: String| PresetError::BadAnchor { slot, reason };
            match anchor {
                Some(Anchor::Latent { latent, .. }) => {
                    if latent.len() != nwt_model::vae::LATENT {
                        return Err(bad(format!(
                            "a latent of {} values (the model takes {})",
                            latent.len(),
                            nwt_model::vae::LATENT
                        )));
                    }
                    if latent.iter().any(|v| !v.is_finite()) {
                        return Err(bad("a latent value is not a finite number".into()));
                    }
                }
                Some(Anchor::Wave { samples, .. }) => {
                    if !(4..=MAX_ANCHOR_SAMPLES).contains(&samples.len()) {
                        return Err(bad(format!(
                            "an imported cycle of {} samples (4..={MAX_ANCHOR_SAMPLES})",
                            samples.len()
                        )));
                    }
                    if samples.iter().any(|v| !v.is_finite()) {
                        return Err(bad("a sample is not a finite number".into()));
                    }
                }
                Some(Anchor::Shape { .. }) | None => {}
            }
        }
        let ids = params.ids();
        for (id, value) in &self.params {
            if !ids.contains(id) {
                return Err(PresetError::UnknownParam(id.clone()));
            }
            if value.plain(id).is_none() {
                return Err(PresetError::BadValue(id.clone()));
            }
        }
        Ok(())
    }

    /// Every value the preset sets as a plain value (an enum's code); values
    /// that do not resolve are left out (`validate` reports them).
    pub fn plain_values(&self) -> BTreeMap<String, f32> {
        self.params
            .iter()
            .filter_map(|(id, value)| Some((id.clone(), value.plain(id)?)))
            .collect()
    }

    /// Loads the preset as a whole sound: after checking it, every parameter
    /// goes back to its default and then takes the preset's value (so
    /// parameters the preset omits are at their defaults). On error nothing
    /// has changed.
    pub fn load_into(&self, params: &SynthParams, sample_rate: f32) -> Result<(), PresetError> {
        self.validate(params)?;
        params.reset_to_defaults(sample_rate);
        // The preset's tuning, or 12-EDO for one saved without (it was
        // made in 12-EDO and sounds as saved).
        params.tuning.set(self.tuning.clone())?;
        self.apply(params, sample_rate)
    }

    /// Sets every parameter the preset names, after checking them all; on
    /// error nothing has changed. Parameters the preset omits keep their value.
    pub fn apply(&self, params: &SynthParams, sample_rate: f32) -> Result<(), PresetError> {
        self.validate(params)?;
        for (id, plain) in self.plain_values() {
            params
                .set_by_id(&id, &plain.to_string(), sample_rate)
                .expect("ids and values were checked above");
        }
        if let Some(anchors) = &self.anchors {
            params.set_anchors(anchors.clone());
        }
        if let Some(tuning) = &self.tuning {
            params.tuning.set(Some(tuning.clone()))?;
        }
        Ok(())
    }
}

/// Loads `name_or_path`: a factory preset's name, a preset's name in the
/// user's preset folder, or else a preset file.
pub fn resolve(name_or_path: &str) -> Result<Preset, PresetError> {
    if let Ok(p) = Preset::factory(name_or_path) {
        return Ok(p);
    }
    if Path::new(name_or_path).is_file() {
        return Preset::load(Path::new(name_or_path));
    }
    let wanted = name_or_path.trim();
    user_presets()
        .into_iter()
        .filter_map(|(_, p)| p.ok())
        .find(|p| p.name.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| PresetError::UnknownFactory(name_or_path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nwt_engine::neural::{Anchor, AnchorShape};

    #[test]
    fn init_is_the_default_sound() {
        let init = Preset::factory("init").unwrap();
        let defaults = Preset::capture(&SynthParams::default(), "Init", "Init", "Neural Wavetable");
        assert_eq!(init, defaults);
    }

    #[test]
    fn every_factory_preset_round_trips_through_json() {
        for name in factory_names() {
            let preset = Preset::factory(&name).unwrap();
            let again = Preset::from_json(&preset.to_json()).unwrap();
            assert_eq!(preset, again);
            let params = SynthParams::default();
            again.apply(&params, 48_000.0).unwrap();
            let captured = Preset::capture(&params, &name, &preset.category, &preset.author);
            for (id, v) in &preset.params {
                let got = &captured.params[id];
                match (v.number(), got.number()) {
                    (Some(v), Some(got)) => assert!(
                        (got - v).abs() <= 1e-4 * v.abs().max(1.0),
                        "{name} {id}: {v} vs {got}"
                    ),
                    _ => assert_eq!(v, got, "{name} {id}"),
                }
            }
        }
    }

    #[test]
    fn presets_carry_the_modulation_matrix_and_mpe() {
        use nwt_engine::modulation::{ModDestination, ModSource};
        let params = SynthParams::default();
        for (id, value) in [
            ("mod_source_2", "Velocity"),
            ("mod_destination_2", "Macro 5"),
            ("mod_amount_2", "-0.4"),
            ("mpe", "1"),
            ("mpe_bend_range", "24"),
        ] {
            params.set_by_id(id, value, 48_000.0).unwrap();
        }
        let json = Preset::capture(&params, "Expressive", "Keys", "test").to_json();
        let loaded = SynthParams::default();
        Preset::from_json(&json)
            .unwrap()
            .load_into(&loaded, 48_000.0)
            .unwrap();
        let slot = &loaded.modulation[1];
        assert_eq!(slot.source.value(), ModSource::Velocity);
        assert_eq!(slot.destination.value(), ModDestination::Macro5);
        assert!((slot.amount.value() + 0.4).abs() < 1e-6);
        assert!(loaded.mpe.value());
        assert_eq!(loaded.mpe_bend_range.value(), 24);
        // The other slots keep the defaults.
        assert_eq!(loaded.modulation[0].source.value(), ModSource::ModWheel);
    }

    #[test]
    fn broken_presets_change_nothing() {
        let params = SynthParams::default();
        let before = Preset::capture(&params, "x", "", "");
        let mut bad = Preset::factory("Acid Squelch").unwrap();
        bad.params
            .insert("no_such_param".into(), PresetValue::Number(1.0));
        assert!(matches!(
            bad.apply(&params, 48_000.0),
            Err(PresetError::UnknownParam(_))
        ));
        assert_eq!(Preset::capture(&params, "x", "", ""), before);
        let mut newer = Preset::factory("Init").unwrap();
        newer.version = FORMAT_VERSION + 1;
        assert!(matches!(
            Preset::from_json(&newer.to_json()),
            Err(PresetError::TooNew(_))
        ));
        assert!(matches!(
            Preset::from_json("{\"format\": 3"),
            Err(PresetError::Parse(_))
        ));
        assert!(matches!(
            resolve("Nonexistent Sound"),
            Err(PresetError::UnknownFactory(_))
        ));
    }

    #[test]
    fn the_tuning_travels_with_the_preset() {
        use nwt_engine::tuning::{Tuning, TuningSource};
        let params = SynthParams::default();
        params.tuning.set(Tuning::built_in("24-EDO")).unwrap();
        let text = Preset::capture(&params, "Quarter", "", "").to_json();
        let loaded = SynthParams::default();
        Preset::from_json(&text)
            .unwrap()
            .load_into(&loaded, 48_000.0)
            .unwrap();
        assert_eq!(loaded.tuning.get(), params.tuning.get());
        assert_eq!(loaded.tuning.table().pitch(61), 60.5);
        // A preset saved without a tuning was made in 12-EDO and loads so.
        Preset::factory("Init")
            .unwrap()
            .load_into(&loaded, 48_000.0)
            .unwrap();
        assert_eq!(loaded.tuning.get(), None);
        // A broken scale in a preset is refused and changes nothing.
        let mut broken = Preset::from_json(&text).unwrap();
        broken.tuning = Some(Tuning {
            name: "broken".into(),
            source: TuningSource::Scala {
                scl: "! no scale here\n".into(),
                kbm: None,
            },
        });
        params.tuning.set(Tuning::built_in("19-EDO")).unwrap();
        let before = params.tuning.get();
        assert!(matches!(
            broken.load_into(&params, 48_000.0),
            Err(PresetError::BadTuning(_))
        ));
        assert_eq!(params.tuning.get(), before);
    }

    #[test]
    fn version_1_presets_keep_their_factory_table() {
        // Written by version 1: `table` 2 was "Pulse Width" (0 = Basic Shapes).
        let v1 = r#"{"format": "neural-wavetable-preset", "version": 1, "name": "Old Bass",
                     "params": {"table": 2, "cutoff": 600}}"#;
        let preset = Preset::from_json(v1).unwrap();
        assert_eq!(preset.version, FORMAT_VERSION);
        assert_eq!(preset.anchors, None);
        let params = SynthParams::default();
        let anchors_before = params.anchors_snapshot();
        preset.apply(&params, 48_000.0).unwrap();
        assert_eq!(
            params.table.value(),
            nwt_engine::factory::TableSource::Pulse
        );
        assert_eq!(params.anchors_snapshot(), anchors_before);
    }

    #[test]
    fn version_2_presets_keep_their_enum_choices() {
        use nwt_engine::filter::FilterMode;
        use nwt_engine::lfo::{LfoDivision, LfoShape};
        use nwt_engine::modulation::{ModDestination, ModSource};
        // Written by version 2: enums by their variant's index.
        let v2 = r#"{"format": "neural-wavetable-preset", "version": 2, "name": "Old Lead",
                     "params": {"table": 3, "filter_mode": 2, "lfo_shape": 4,
                                "lfo_division": 2, "phase_mode": 1, "macro_mode": 1,
                                "mod_source_1": 4, "mod_destination_1": 17,
                                "mod_source_2": 5, "mod_destination_2": 6}}"#;
        let preset = Preset::from_json(v2).unwrap();
        assert_eq!(preset.version, FORMAT_VERSION);
        assert_eq!(
            preset.params["filter_mode"],
            PresetValue::Id("highpass".into())
        );
        let params = SynthParams::default();
        preset.apply(&params, 48_000.0).unwrap();
        assert_eq!(
            params.table.value(),
            nwt_engine::factory::TableSource::Pulse
        );
        assert_eq!(params.filter_mode.value(), FilterMode::HighPass);
        assert_eq!(params.lfo_shape.value(), LfoShape::SampleHold);
        assert_eq!(params.lfo_division.value(), LfoDivision::QuarterTriplet);
        assert_eq!(
            params.phase_mode.value(),
            nwt_engine::params::PhaseMode::Random
        );
        assert_eq!(
            params.macro_mode.value(),
            nwt_engine::neural::MacroMode::Path
        );
        assert_eq!(params.modulation[0].source.value(), ModSource::Velocity);
        assert_eq!(
            params.modulation[0].destination.value(),
            ModDestination::Formant
        );
        assert_eq!(params.modulation[1].source.value(), ModSource::Timbre);
        assert_eq!(
            params.modulation[1].destination.value(),
            ModDestination::Macro2
        );
        // Saved again, enums are written by id.
        let json = Preset::capture(&params, "Old Lead", "", "").to_json();
        assert!(json.contains(r#""filter_mode": "highpass""#), "{json}");
        assert!(json.contains(r#""mod_destination_1": "formant""#), "{json}");
    }

    #[test]
    fn an_unknown_choice_is_refused() {
        let v3 = r#"{"format": "neural-wavetable-preset", "version": 3, "name": "Odd",
                     "params": {"filter_mode": "ladder"}}"#;
        let preset = Preset::from_json(v3).unwrap();
        let params = SynthParams::default();
        assert!(matches!(
            preset.apply(&params, 48_000.0),
            Err(PresetError::BadValue(_))
        ));
        let v3 = r#"{"format": "neural-wavetable-preset", "version": 3, "name": "Odd",
                     "params": {"cutoff": "bright"}}"#;
        assert!(Preset::from_json(v3)
            .unwrap()
            .apply(&params, 48_000.0)
            .is_err());
    }

    #[test]
    fn anchors_saved_as_first_model_latents_become_the_cycles_they_stood_for() {
        // A preset saved with the first model (16-number latents): anchor A is
        // its encoding of the factory saw, B a latent of the current width.
        let saw_v1 = include_str!("../../assets/legacy/model-v1-saw-latent.json");
        let current = vec![0.0f32; nwt_model::vae::LATENT];
        let text = format!(
            r#"{{"format": "neural-wavetable-preset", "version": 2, "name": "Old Morph",
                "params": {{}}, "model": "nwt-vae-v1-0000000000000000",
                "anchors": {{"slots": [{{"kind": "latent", "name": "captured", "latent": {saw_v1}}},
                                      {{"kind": "latent", "name": "mine", "latent": {current:?}}},
                                      null, null]}}}}"#
        );
        let preset = Preset::from_json(&text).unwrap();
        let anchors = preset.anchors.clone().unwrap();
        let Some(Anchor::Wave { name, samples }) = &anchors.slots[0] else {
            panic!("anchor A was not migrated: {:?}", anchors.slots[0]);
        };
        assert_eq!(name, "captured");
        // The cycle is the saw the latent stood for: harmonic 2 at -6 dB.
        let h = nwt_model::Harmonics::from_cycle(samples);
        let second = 20.0 * (h.magnitude(2) / h.magnitude(1)).log10();
        assert!((second + 6.02).abs() < 1.5, "harmonic 2 at {second:.2} dB");
        assert!(matches!(&anchors.slots[1], Some(Anchor::Latent { .. })));
        let params = SynthParams::default();
        preset.apply(&params, 48_000.0).unwrap();
        // Saved again, it stays migrated.
        let again =
            Preset::from_json(&Preset::capture(&params, "Old Morph", "", "").to_json()).unwrap();
        assert_eq!(again.anchors, Some(anchors));
    }

    #[test]
    fn presets_carry_their_anchors() {
        let pad = Preset::factory("Glacier Choir").unwrap();
        let params = SynthParams::default();
        pad.apply(&params, 48_000.0).unwrap();
        assert_eq!(
            params.anchors_snapshot(),
            Anchors::from_shapes(&[
                AnchorShape::VowelA,
                AnchorShape::VowelO,
                AnchorShape::Hollow,
                AnchorShape::Sine,
            ])
        );
        assert_eq!(
            params.table.value(),
            nwt_engine::factory::TableSource::Neural
        );
    }

    #[test]
    fn the_factory_bank_loads_and_covers_every_category() {
        assert_eq!(
            FACTORY_BANK.len() + 1,
            factory_presets().len(),
            "a bank file does not load"
        );
        for (file, json) in FACTORY_BANK {
            let p = Preset::from_json(json).unwrap_or_else(|e| panic!("{file}: {e}"));
            p.validate(&SynthParams::default())
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(!p.name.is_empty() && !p.author.is_empty(), "{file}");
            assert!(p.anchors.is_some(), "{file} has no anchors");
            // Written in the current format: every enum by its variant's id.
            let raw: Preset = serde_json::from_str(json).unwrap();
            assert_eq!(raw.version, FORMAT_VERSION, "{file}");
            for (id, value) in &raw.params {
                if enum_codes(id).is_some() {
                    assert!(matches!(value, PresetValue::Id(_)), "{file}: {id} by index");
                }
            }
        }
        let names = factory_names();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "duplicate preset names");
        assert!(FACTORY_BANK.len() >= 32);
        for category in ["Bass", "Lead", "Pad", "Pluck", "Keys", "FX"] {
            let n = factory_presets()
                .iter()
                .filter(|p| p.category == category)
                .count();
            assert!(n >= 4, "{category}: {n} presets");
        }
    }
}
