//! How the editor reaches the rest of the synth without depending on the
//! plugin crate: [`ParamAccess`] changes parameters (through the host in a
//! plugin, directly in tests), [`SoundLibrary`] reads and writes presets and
//! WAV files (the plugin crate implements it with its preset and WAV modules).

use nice_plug::prelude::Param;
use nwt_engine::neural::{Anchors, UserTable};
use nwt_engine::params::ParamRef;
use nwt_engine::SynthParams;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Changes parameter values on the editor's behalf. A gesture is `begin`, any
/// number of `set`s, then `end`, so a host records one undo step per drag.
pub trait ParamAccess: Send + Sync {
    /// A gesture on `param` starts.
    fn begin(&self, param: ParamRef<'_>);
    /// Sets `param` to a normalised value (0..1).
    fn set(&self, param: ParamRef<'_>, normalized: f32);
    /// The gesture on `param` ends.
    fn end(&self, param: ParamRef<'_>);
}

/// Sets parameters directly, with no host to tell: for tests and offline use.
#[derive(Debug, Default)]
pub struct DirectAccess;

impl ParamAccess for DirectAccess {
    fn begin(&self, _param: ParamRef<'_>) {}

    fn set(&self, param: ParamRef<'_>, normalized: f32) {
        param.set_directly(normalized.clamp(0.0, 1.0));
    }

    fn end(&self, _param: ParamRef<'_>) {}
}

/// One preset the library offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetEntry {
    /// The preset's name.
    pub name: String,
    /// Its category (Bass, Lead, Pad, Pluck, Keys, FX, ...).
    pub category: String,
    /// Who made it.
    pub author: String,
    /// Factory presets are built in; user presets are files.
    pub user: bool,
    /// What [`SoundLibrary::load`] takes back: a factory name or a file path.
    pub key: String,
}

/// A loaded preset: every parameter's plain value by stable id, and the anchors.
#[derive(Debug, Clone, PartialEq)]
pub struct Sound {
    /// Plain values by parameter id; parameters not named take their default.
    pub values: BTreeMap<String, f32>,
    /// The anchor slots, when the preset stores them (`None`: the default anchors).
    pub anchors: Option<Anchors>,
}

impl Sound {
    /// The sound `params` make now.
    pub fn capture(params: &SynthParams) -> Self {
        Self {
            values: params.plain_values(),
            anchors: Some(params.anchors_snapshot()),
        }
    }

    /// Whether `params` differ from this sound (a parameter more than a
    /// rounding error away, or different anchors).
    pub fn differs_from(&self, params: &SynthParams) -> bool {
        for (id, param, _) in params.param_refs() {
            let wanted = match self.values.get(&id) {
                Some(&plain) => param.normalize(plain),
                None => param.default_normalized(),
            };
            let now = param.normalized();
            if (now - wanted).abs() > 1e-4 {
                return true;
            }
        }
        !params.anchors_equal(&self.anchors.clone().unwrap_or_default())
    }

    /// Applies the sound to `params` through `access` (each parameter one
    /// gesture) and replaces the anchors (with the default ones when the
    /// sound has none, as a version-1 preset).
    pub fn apply(&self, params: &SynthParams, access: &dyn ParamAccess) {
        for (id, param, _) in params.param_refs() {
            let normalized = match self.values.get(&id) {
                Some(&plain) if plain.is_finite() => param.normalize(plain),
                _ => param.default_normalized(),
            };
            access.begin(param);
            access.set(param, normalized);
            access.end(param);
        }
        params.set_anchors(self.anchors.clone().unwrap_or_default());
    }
}

/// A WAV file read for the editor.
#[derive(Debug, Clone, PartialEq)]
pub enum WaveFile {
    /// One cycle (a short file, or a recording's first detected cycle).
    Cycle {
        /// A name for the anchor (the file's stem).
        name: String,
        /// The cycle's samples.
        samples: Vec<f32>,
    },
    /// A multi-frame wavetable (Serum/Vital `clm ` files, or a recording cut
    /// into cycles).
    Table(UserTable),
}

impl WaveFile {
    /// The cycle an anchor slot takes from this file: the cycle itself, or
    /// the table's frame at `position` (0 = first frame, 1 = last), so any
    /// frame of a Serum/Vital table can become an anchor.
    pub fn anchor_cycle(&self, position: f32) -> Option<(String, Vec<f32>)> {
        match self {
            WaveFile::Cycle { name, samples } => Some((name.clone(), samples.clone())),
            WaveFile::Table(t) => {
                let last = t.frames.len().checked_sub(1)?;
                let p = if position.is_finite() {
                    position.clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let k = (p * last as f32).round() as usize;
                t.frames
                    .get(k)
                    .map(|f| (format!("{} #{}", t.name, k + 1), f.clone()))
            }
        }
    }
}

/// Presets and WAV files, as the editor sees them.
pub trait SoundLibrary: Send + Sync {
    /// Every preset: factory first, then the user's (sorted by category and name).
    fn presets(&self) -> Vec<PresetEntry>;
    /// Reads and checks the preset `entry` names; a broken file is an error
    /// and changes nothing.
    fn load(&self, entry: &PresetEntry) -> Result<Sound, String>;
    /// Saves the sound of `params` as a user preset and returns its entry:
    /// over `replace` (a user preset's own file) when given, else as a new
    /// file, refusing to overwrite one that exists.
    fn save(
        &self,
        name: &str,
        category: &str,
        params: &SynthParams,
        replace: Option<&PresetEntry>,
    ) -> Result<PresetEntry, String>;
    /// Reads a WAV file (any bit depth, rate or channel count the importer takes).
    fn read_wave(&self, path: &Path) -> Result<WaveFile, String>;
    /// The folder the WAV browser opens first (the user's wavetable folder).
    fn wave_folder(&self) -> Option<PathBuf>;
    /// Writes `frames` (2048 samples each) as a wavetable WAV named after
    /// `name` in the user's wavetable folder; returns the file written.
    fn export_table(&self, name: &str, frames: &[Vec<f32>]) -> Result<PathBuf, String>;
}

/// The preset categories, in the order the browser lists them.
pub const CATEGORIES: [&str; 6] = ["Bass", "Lead", "Pad", "Pluck", "Keys", "FX"];

/// Reads a parameter's display text (for tests and tooltips).
pub fn display_value<P: Param>(param: &P) -> String {
    param.normalized_value_to_string(param.unmodulated_normalized_value(), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nwt_engine::neural::{Anchor, AnchorShape};

    #[test]
    fn a_captured_sound_applies_and_compares() {
        let params = SynthParams::default();
        DirectAccess.set(ParamRef::new(&params.cutoff), 0.5);
        let mut anchors = params.anchors_snapshot();
        anchors.slots[2] = Some(Anchor::shape(AnchorShape::Square));
        params.set_anchors(anchors);
        let sound = Sound::capture(&params);
        assert!(!sound.differs_from(&params));

        let other = SynthParams::default();
        assert!(sound.differs_from(&other));
        sound.apply(&other, &DirectAccess);
        assert!(!sound.differs_from(&other), "applying makes the same sound");
        assert!((other.cutoff.unmodulated_normalized_value() - 0.5).abs() < 1e-4);

        // A parameter the sound leaves out goes to its default.
        let mut partial = sound.clone();
        partial.values.remove("cutoff");
        partial.apply(&other, &DirectAccess);
        assert_eq!(other.cutoff.value(), other.cutoff.default_plain_value());
    }
}
