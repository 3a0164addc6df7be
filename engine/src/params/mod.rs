//! Every parameter of the synth, with stable string ids.
//!
//! Ids are part of saved presets and DAW sessions: never rename, renumber or
//! reuse one. Parameters whose jumps are audible are smoothed; position,
//! cutoff and pitch accept CLAP polyphonic modulation.

use crate::anchors::{AnchorStore, Anchors, MacroMode, UserTable};
use crate::factory::TableSource;
use crate::filter::FilterMode;
use crate::lfo::{LfoDivision, LfoShape};
use crate::modulation::{self, ModSlotParams, MOD_SLOTS};
use nice_plug::prelude::*;
use nwt_model::model::MACROS;
use nwt_model::semantic::DESCRIPTORS as KNOBS;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};

mod builders;
mod editor_memory;
pub mod effects;
mod enum_codes;
mod lfo_motion;
mod methods;
mod param_ref;
pub mod sources;

use builders::*;
pub use editor_memory::EditorMemory;
pub use effects::EffectsParams;
pub use enum_codes::{enum_codes, EnumCodes};
pub use lfo_motion::LfoMotionParams;
pub use param_ref::ParamRef;
pub use sources::SourceParams;

/// Polyphonic modulation id of `position`.
pub const POLY_POSITION: u32 = 0;
/// Polyphonic modulation id of `cutoff`.
pub const POLY_CUTOFF: u32 = 1;
/// Polyphonic modulation id of `pitch`.
pub const POLY_PITCH: u32 = 2;

/// The default output gain: the Init sound (a plain saw) on the standard
/// chord sits at the factory bank's loudness (`neural_wavetable::loudness`).
pub const DEFAULT_GAIN_DB: f32 = -19.7;

crate::stable_enum! {
    /// Start phase of each note's oscillators.
    pub enum PhaseMode: 17 {
        /// Every note starts the same way: its first oscillator at the `phase`
        /// parameter; with detuned unison the others at fixed offsets from it
        /// (without detune the voices are one sound and start together).
        Fixed = 0, "fixed", "Fixed";
        /// Every oscillator starts at a random phase.
        Random = 16, "random", "Random";
    }
}

/// All parameters of Neural Wavetable. The defaults are the `Init` sound: a
/// plain saw, one unison voice, filter open, no modulation, instant attack,
/// short release.
#[derive(Params)]
pub struct SynthParams {
    /// Output level in dB.
    #[id = "gain"]
    pub gain: FloatParam,

    /// Where the table comes from: the neural decoder or a factory table.
    #[id = "table"]
    pub table: EnumParam<TableSource>,
    /// Macro knob 1 (the strongest principal direction of the latent space), `-1..=1` = ±3σ.
    #[id = "macro_1"]
    pub macro_1: FloatParam,
    /// Macro knob 2.
    #[id = "macro_2"]
    pub macro_2: FloatParam,
    /// Macro knob 3.
    #[id = "macro_3"]
    pub macro_3: FloatParam,
    /// Macro knob 4.
    #[id = "macro_4"]
    pub macro_4: FloatParam,
    /// Macro knob 5.
    #[id = "macro_5"]
    pub macro_5: FloatParam,
    /// Macro knob 6.
    #[id = "macro_6"]
    pub macro_6: FloatParam,
    /// Macro knob 7.
    #[id = "macro_7"]
    pub macro_7: FloatParam,
    /// Macro knob 8.
    #[id = "macro_8"]
    pub macro_8: FloatParam,
    /// Semantic knob: brighter (+) or duller (−), `-1..=1`; see `neural::knobs`.
    #[id = "brightness"]
    pub brightness: FloatParam,
    /// Semantic knob: more (+) or less (−) of the power in harmonics 1–4.
    #[id = "warmth"]
    pub warmth: FloatParam,
    /// Semantic knob: more (+) or fewer (−) strong harmonics.
    #[id = "richness"]
    pub richness: FloatParam,
    /// Semantic knob: odd harmonics (+) or even ones (−) stronger.
    #[id = "odd_even"]
    pub odd_even: FloatParam,
    /// Semantic knob: the spectral envelope's peak higher (+) or lower (−).
    #[id = "formant"]
    pub formant: FloatParam,
    /// How the macro knobs apply: to every anchor, or growing along the path.
    #[id = "macro_mode"]
    pub macro_mode: EnumParam<MacroMode>,
    /// Frames in the neural table (the path through the anchors is sampled this often).
    #[id = "frames"]
    pub frames: IntParam,
    /// Even out the loudness along the neural table (on by default): frames
    /// louder or quieter than the table's median by more than
    /// [`crate::neural::EVEN_LOUDNESS_WINDOW_DB`] / 2 are brought to that edge,
    /// so a position sweep neither fades nor swells; off keeps the frames'
    /// natural levels (each peak-normalised).
    #[id = "even_loudness"]
    pub even_loudness: BoolParam,
    /// The anchor slots A–D (saved with the DAW session; the audio thread
    /// reads only their lock-free revision count, never the slots).
    #[persist = "anchors"]
    pub anchors: AnchorStore,
    /// The imported wavetable the `Imported` table source plays (saved with the
    /// DAW session; never read by the audio thread).
    #[persist = "user_table"]
    pub user_table: RwLock<Option<UserTable>>,
    /// The tuning (a scale's text, saved with the DAW session and presets);
    /// the audio thread reads only its table of key pitches.
    #[persist = "tuning"]
    pub tuning: crate::tuning::TuningStore,
    /// The editor's size, scale and loaded preset, remembered with the DAW
    /// session (GUI thread only).
    #[persist = "editor"]
    pub editor: RwLock<EditorMemory>,
    /// Position in the wavetable, 0 = first frame, 1 = last.
    #[id = "position"]
    pub position: FloatParam,
    /// Transposition in semitones.
    #[id = "pitch"]
    pub pitch: FloatParam,
    /// Unison oscillators per note.
    #[id = "unison"]
    pub unison: IntParam,
    /// Detune of the outermost unison oscillators, in cents.
    #[id = "detune"]
    pub detune: FloatParam,
    /// Stereo width of the unison oscillators.
    #[id = "spread"]
    pub spread: FloatParam,
    /// Fixed or random start phase.
    #[id = "phase_mode"]
    pub phase_mode: EnumParam<PhaseMode>,
    /// Start phase when `phase_mode` is fixed, in cycles.
    #[id = "phase"]
    pub phase: FloatParam,

    /// Glide time from the previous note, 0 = off.
    #[id = "glide"]
    pub glide: FloatParam,
    /// Pitch-bend range in semitones.
    #[id = "bend_range"]
    pub bend_range: IntParam,
    /// How much velocity sets the level (0 = not at all, 1 = fully).
    #[id = "vel_sens"]
    pub velocity_sensitivity: FloatParam,

    /// Amp envelope attack.
    #[id = "amp_attack"]
    pub amp_attack: FloatParam,
    /// Amp envelope decay.
    #[id = "amp_decay"]
    pub amp_decay: FloatParam,
    /// Amp envelope sustain level.
    #[id = "amp_sustain"]
    pub amp_sustain: FloatParam,
    /// Amp envelope release.
    #[id = "amp_release"]
    pub amp_release: FloatParam,

    /// Filter response.
    #[id = "filter_mode"]
    pub filter_mode: EnumParam<FilterMode>,
    /// Filter cutoff.
    #[id = "cutoff"]
    pub cutoff: FloatParam,
    /// Filter resonance.
    #[id = "resonance"]
    pub resonance: FloatParam,
    /// How far the cutoff follows the note (1 = one octave per octave, around C4).
    #[id = "key_track"]
    pub key_track: FloatParam,
    /// Filter envelope depth in semitones of cutoff.
    #[id = "filter_env_amount"]
    pub filter_env_amount: FloatParam,
    /// Filter envelope attack.
    #[id = "filter_attack"]
    pub filter_attack: FloatParam,
    /// Filter envelope decay.
    #[id = "filter_decay"]
    pub filter_decay: FloatParam,
    /// Filter envelope sustain level.
    #[id = "filter_sustain"]
    pub filter_sustain: FloatParam,
    /// Filter envelope release.
    #[id = "filter_release"]
    pub filter_release: FloatParam,

    /// Mod envelope attack (the third envelope of each voice, a source of the
    /// modulation matrix).
    #[id = "mod_env_attack"]
    pub mod_env_attack: FloatParam,
    /// Mod envelope decay.
    #[id = "mod_env_decay"]
    pub mod_env_decay: FloatParam,
    /// Mod envelope sustain level.
    #[id = "mod_env_sustain"]
    pub mod_env_sustain: FloatParam,
    /// Mod envelope release.
    #[id = "mod_env_release"]
    pub mod_env_release: FloatParam,
    /// Mod envelope curve, `-1..=1`: 0 as the amp envelope, above 0 snappier
    /// (the level raised to a power above 1), below 0 rounder.
    #[id = "mod_env_curve"]
    pub mod_env_curve: FloatParam,

    /// LFO waveform.
    #[id = "lfo_shape"]
    pub lfo_shape: EnumParam<LfoShape>,
    /// LFO rate when not synced.
    #[id = "lfo_rate"]
    pub lfo_rate: FloatParam,
    /// Sync the LFO to the host tempo.
    #[id = "lfo_sync"]
    pub lfo_sync: BoolParam,
    /// LFO period when synced.
    #[id = "lfo_division"]
    pub lfo_division: EnumParam<LfoDivision>,
    /// LFO depth on position (1 = the whole table).
    #[id = "lfo_to_position"]
    pub lfo_to_position: FloatParam,
    /// LFO depth on cutoff, in semitones.
    #[id = "lfo_to_cutoff"]
    pub lfo_to_cutoff: FloatParam,

    /// LFO 2's waveform (LFO 2 moves what the modulation matrix routes it to).
    #[id = "lfo2_shape"]
    pub lfo2_shape: EnumParam<LfoShape>,
    /// LFO 2's rate when not synced.
    #[id = "lfo2_rate"]
    pub lfo2_rate: FloatParam,
    /// Sync LFO 2 to the host tempo.
    #[id = "lfo2_sync"]
    pub lfo2_sync: BoolParam,
    /// LFO 2's period when synced.
    #[id = "lfo2_division"]
    pub lfo2_division: EnumParam<LfoDivision>,

    /// How the LFOs run: mode, phase, delay, fade-in (ids `lfo_mode`,
    /// `lfo_phase`, `lfo_delay`, `lfo_fade`, and `lfo2_*`).
    #[nested(group = "LFO")]
    pub lfo_motion: LfoMotionParams,

    /// MPE (lower zone): channel 1 is the master channel, channels 2–16 carry
    /// one note each with its own bend, pressure and timbre.
    #[id = "mpe"]
    pub mpe: BoolParam,
    /// Bend range of the MPE member channels, in semitones (48 is MPE's default).
    #[id = "mpe_bend_range"]
    pub mpe_bend_range: IntParam,
    /// The modulation matrix's slots (ids `mod_source_1`, `mod_destination_1`,
    /// `mod_amount_1`, ...).
    #[nested(array, group = "Modulation")]
    pub modulation: [ModSlotParams; MOD_SLOTS],
    /// The sub oscillator and the noise (ids `sub_*`, `noise_*`).
    #[nested(group = "Sources")]
    pub sources: SourceParams,
    /// The effects rack (ids `drive_*`, `chorus_*`, `delay_*`, `reverb_*`).
    #[nested(group = "Effects")]
    pub effects: EffectsParams,
    /// What the modulation matrix adds to each macro, written by the audio
    /// thread (lock-free) and read with the knobs by the decoder worker.
    pub macro_modulation: [AtomicF32; MACROS],
    /// What the modulation matrix adds to each semantic knob (as
    /// `macro_modulation`).
    pub knob_modulation: [AtomicF32; KNOBS],
}

impl Default for SynthParams {
    fn default() -> Self {
        Self {
            gain: FloatParam::new(
                "Gain",
                DEFAULT_GAIN_DB,
                FloatRange::Linear {
                    min: -60.0,
                    max: 6.0,
                },
            )
            .with_smoother(SmoothingStyle::Linear(20.0))
            .with_unit(" dB")
            .with_step_size(0.1)
            .with_value_to_string(no_negative_zero(1)),

            table: EnumParam::new("Table", TableSource::Neural),
            macro_1: macro_param(1),
            macro_2: macro_param(2),
            macro_3: macro_param(3),
            macro_4: macro_param(4),
            macro_5: macro_param(5),
            macro_6: macro_param(6),
            macro_7: macro_param(7),
            macro_8: macro_param(8),
            brightness: knob_param("Brightness"),
            warmth: knob_param("Warmth"),
            richness: knob_param("Richness"),
            odd_even: knob_param("Odd/Even"),
            formant: knob_param("Formant"),
            macro_mode: EnumParam::new("Macro Mode", MacroMode::Anchors),
            frames: IntParam::new("Frames", 64, IntRange::Linear { min: 8, max: 256 }),
            even_loudness: BoolParam::new("Even Loudness", true),
            anchors: AnchorStore::default(),
            user_table: RwLock::new(None),
            tuning: Default::default(),
            editor: RwLock::new(EditorMemory::default()),
            position: unit_param("Position", 0.0).with_poly_modulation_id(POLY_POSITION),
            pitch: bipolar_param("Pitch", " st", 24.0)
                .with_smoother(SmoothingStyle::Linear(10.0))
                .with_poly_modulation_id(POLY_PITCH),
            unison: IntParam::new("Unison", 1, IntRange::Linear { min: 1, max: 16 }),
            detune: FloatParam::new(
                "Detune",
                20.0,
                FloatRange::Linear {
                    min: 0.0,
                    max: 100.0,
                },
            )
            .with_smoother(SmoothingStyle::Linear(20.0))
            .with_unit(" ct")
            .with_step_size(0.1),
            spread: unit_param("Spread", 0.5),
            phase_mode: EnumParam::new("Phase Mode", PhaseMode::Fixed),
            phase: fraction_param("Phase", 0.0),

            glide: time_param("Glide", 0.0, 0.0),
            bend_range: IntParam::new("Bend Range", 2, IntRange::Linear { min: 0, max: 48 })
                .with_unit(" st"),
            velocity_sensitivity: fraction_param("Velocity", 1.0),

            amp_attack: time_param("Amp Attack", 0.0, 0.0),
            amp_decay: time_param("Amp Decay", 300.0, 1.0),
            amp_sustain: fraction_param("Amp Sustain", 1.0),
            amp_release: time_param("Amp Release", 40.0, 1.0),

            filter_mode: EnumParam::new("Filter Mode", FilterMode::LowPass),
            cutoff: FloatParam::new(
                "Cutoff",
                20_000.0,
                FloatRange::Skewed {
                    min: 20.0,
                    max: 20_000.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_smoother(SmoothingStyle::Logarithmic(20.0))
            .with_unit(" Hz")
            .with_step_size(0.1)
            .with_poly_modulation_id(POLY_CUTOFF),
            resonance: unit_param("Resonance", 0.0),
            key_track: unit_param("Key Track", 0.0),
            filter_env_amount: bipolar_param("Filter Env", " st", 96.0),
            filter_attack: time_param("Filter Attack", 0.0, 0.0),
            filter_decay: time_param("Filter Decay", 300.0, 1.0),
            filter_sustain: fraction_param("Filter Sustain", 0.0),
            filter_release: time_param("Filter Release", 200.0, 1.0),
            mod_env_attack: time_param("Mod Env Attack", 10.0, 0.0),
            mod_env_decay: time_param("Mod Env Decay", 500.0, 1.0),
            mod_env_sustain: fraction_param("Mod Env Sustain", 0.0),
            mod_env_release: time_param("Mod Env Release", 300.0, 1.0),
            mod_env_curve: bipolar_param("Mod Env Curve", "", 1.0),

            lfo_shape: EnumParam::new("LFO Shape", LfoShape::Sine),
            lfo_rate: lfo_rate_param("LFO Rate", 2.0),
            lfo_sync: BoolParam::new("LFO Sync", false),
            lfo_division: EnumParam::new("LFO Division", LfoDivision::Quarter),
            lfo_to_position: bipolar_param("LFO > Position", "", 1.0),
            lfo_to_cutoff: bipolar_param("LFO > Cutoff", " st", 96.0),
            lfo2_shape: EnumParam::new("LFO 2 Shape", LfoShape::Sine),
            lfo2_rate: lfo_rate_param("LFO 2 Rate", 0.5),
            lfo2_sync: BoolParam::new("LFO 2 Sync", false),
            lfo2_division: EnumParam::new("LFO 2 Division", LfoDivision::Bar),

            lfo_motion: LfoMotionParams::default(),
            mpe: BoolParam::new("MPE", false),
            mpe_bend_range: IntParam::new(
                "MPE Bend Range",
                48,
                IntRange::Linear { min: 0, max: 96 },
            )
            .with_unit(" st"),
            modulation: modulation::default_slots(),
            sources: SourceParams::default(),
            effects: EffectsParams::default(),
            macro_modulation: Default::default(),
            knob_modulation: Default::default(),
        }
    }
}

/// Errors setting a parameter by id.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParamError {
    /// No parameter has this id.
    #[error("unknown parameter id `{0}`")]
    UnknownId(String),
    /// The value could not be parsed.
    #[error("parameter `{id}` does not accept `{value}`")]
    BadValue {
        /// The parameter.
        id: String,
        /// The rejected text.
        value: String,
    },
}

/// Shared handle to the parameters, as the plugin, editor and engine hold it.
pub type SharedParams = Arc<SynthParams>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_memory_travels_with_the_state() {
        let params = SynthParams::default();
        params.update_editor_memory(|m| {
            m.width = 1300.0;
            m.scale = 1.5;
            m.preset = Some("Glacier Choir".into());
        });
        let fields = params.serialize_fields();
        assert!(fields.contains_key("editor"));
        let restored = SynthParams::default();
        restored.deserialize_fields(&fields);
        assert_eq!(restored.editor_memory(), params.editor_memory());

        // A session with nonsense in it opens at a usable size and scale.
        restored.update_editor_memory(|m| {
            m.width = f32::NAN;
            m.height = 1e9;
            m.scale = 0.0;
        });
        let m = restored.editor_memory();
        assert_eq!(
            (m.width, m.height, m.scale),
            (EditorMemory::DEFAULT_SIZE.0, EditorMemory::MAX_SIZE.1, 0.5)
        );
    }

    #[test]
    fn ids_are_unique_and_stable() {
        let params = SynthParams::default();
        let ids = params.ids();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        for id in [
            "gain",
            "table",
            "position",
            "cutoff",
            "unison",
            "amp_release",
            "lfo_to_cutoff",
            "macro_1",
            "macro_8",
            "macro_mode",
            "frames",
        ] {
            assert!(ids.iter().any(|i| i == id), "{id}");
        }
    }

    #[test]
    fn values_near_zero_never_display_as_negative_zero() {
        let p = SynthParams::default();
        p.set_by_id("lfo_to_position", "-0.001", 48_000.0).unwrap();
        let text = p
            .describe()
            .into_iter()
            .find(|(id, _)| id == "lfo_to_position")
            .unwrap()
            .1;
        assert_eq!(text, "0.00");
        p.set_by_id("gain", "-0.02", 48_000.0).unwrap();
        let text = p
            .describe()
            .into_iter()
            .find(|(id, _)| id == "gain")
            .unwrap()
            .1;
        assert_eq!(text, "0.0 dB");
    }

    #[test]
    fn set_by_id_parses_text_and_plain_values() {
        let p = SynthParams::default();
        p.set_by_id("cutoff", "1000", 48_000.0).unwrap();
        assert!((p.cutoff.value() - 1000.0).abs() < 0.5);
        p.set_by_id("filter_mode", "High Pass", 48_000.0).unwrap();
        assert_eq!(p.filter_mode.value(), FilterMode::HighPass);
        p.set_by_id("unison", "99", 48_000.0).unwrap();
        assert_eq!(p.unison.value(), 16);
        p.set_by_id("table", "Pulse Width", 48_000.0).unwrap();
        assert_eq!(p.table.value(), TableSource::Pulse);
        assert!(matches!(
            p.set_by_id("nope", "1", 48_000.0),
            Err(ParamError::UnknownId(_))
        ));
        assert!(matches!(
            p.set_by_id("cutoff", "loud", 48_000.0),
            Err(ParamError::BadValue { .. })
        ));
        assert!(p.set_by_id("cutoff", "NaN", 48_000.0).is_err());
    }
}
