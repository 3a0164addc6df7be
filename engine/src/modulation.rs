//! The modulation matrix: [`MOD_SLOTS`] slots, each routing a source (the
//! LFOs, mod wheel, pitch bend, aftertouch, velocity, key, a random value per
//! note, MPE timbre) to a destination by an amount.
//!
//! Sources are either shared by every voice (the mod wheel, channel
//! aftertouch) or a voice's own (velocity, polyphonic pressure, timbre). On a
//! voice's own destination (position, cutoff, pitch, level) each voice reads
//! its own value; on a shared destination (the LFO rate, the macros and the
//! semantic knobs, which drive the one table every voice plays) a voice
//! source reads the newest held note's value.

use nice_plug::prelude::*;
use nwt_model::model::MACROS;
use nwt_model::semantic::DESCRIPTORS as KNOBS;
use std::sync::Arc;

/// Slots in the matrix.
pub const MOD_SLOTS: usize = 8;

/// Semitones of cutoff for amount 1 and a full source.
pub const CUTOFF_SEMITONES: f32 = 60.0;
/// Semitones of pitch for amount 1 and a full source.
pub const PITCH_SEMITONES: f32 = 12.0;
/// Decibels of level for amount 1 and a full source.
pub const LEVEL_DB: f32 = 24.0;
/// Octaves of LFO rate for amount 1 and a full source.
pub const LFO_RATE_OCTAVES: f32 = 4.0;

crate::stable_enum! {
    /// What a slot reads.
    pub enum ModSource: 61 {
        /// Nothing: the slot is off.
        Off = 0, "off", "Off";
        /// LFO 1, `-1..=1`, shared (the global LFO).
        Lfo1 = 1, "lfo_1", "LFO 1";
        /// LFO 2, `-1..=1`, shared.
        Lfo2 = 2, "lfo_2", "LFO 2";
        /// The voice's mod envelope, `0..=1`.
        ModEnv = 3, "mod_env", "Mod Envelope";
        /// The voice's amp envelope, `0..=1`.
        AmpEnv = 4, "amp_env", "Amp Envelope";
        /// The mod wheel (CC 1), `0..=1`, shared.
        ModWheel = 12, "mod_wheel", "Mod Wheel";
        /// Pitch bend, `-1..=1`, shared (in MPE mode: the master channel's).
        PitchBend = 13, "pitch_bend", "Pitch Bend";
        /// Channel aftertouch, `0..=1`, shared (in MPE mode: the master channel's).
        Aftertouch = 24, "aftertouch", "Aftertouch";
        /// A voice's own pressure, `0..=1`: polyphonic aftertouch, a CLAP pressure
        /// expression, or (in MPE mode) its member channel's pressure.
        PolyPressure = 36, "poly_pressure", "Poly Pressure";
        /// The note-on velocity, `0..=1`.
        Velocity = 48, "velocity", "Velocity";
        /// The note's key, `-1..=1`: 0 at C4 (MIDI 60), ±1 five octaves away.
        Key = 49, "key", "Key";
        /// A random value per note, `-1..=1`, drawn when the note starts.
        Random = 50, "random", "Random (per note)";
        /// Timbre, `-1..=1` around the centre: CC 74 on the voice's channel (MPE's
        /// third dimension) or a CLAP brightness expression; 64 reads as 0.
        Timbre = 60, "timbre", "Timbre (CC 74)";
    }
}

crate::stable_enum! {
    /// What a slot moves.
    pub enum ModDestination: 69 {
        /// Table position (amount 1 = the whole table).
        Position = 0, "position", "Position";
        /// Filter cutoff (amount 1 = 60 semitones).
        Cutoff = 4, "cutoff", "Cutoff";
        /// Filter resonance (amount 1 = the whole range).
        Resonance = 5, "resonance", "Resonance";
        /// Pitch (amount 1 = 12 semitones).
        Pitch = 8, "pitch", "Pitch";
        /// The sub oscillator's level (amount 1 = the whole range).
        SubLevel = 9, "sub_level", "Sub Level";
        /// The noise's level (amount 1 = the whole range).
        NoiseLevel = 10, "noise_level", "Noise Level";
        /// A voice's level (amount 1 = 24 dB).
        Level = 12, "level", "Level";
        /// A voice's pan (amount 1 = from the centre to one side).
        Pan = 13, "pan", "Pan";
        /// The reverb's mix (amount 1 = the whole range), shared.
        ReverbMix = 14, "reverb_mix", "Reverb Mix";
        /// The delay's mix (amount 1 = the whole range), shared.
        DelayMix = 15, "delay_mix", "Delay Mix";
        /// LFO 1's rate (amount 1 = 4 octaves).
        LfoRate = 16, "lfo_rate", "LFO Rate";
        /// LFO 2's rate (amount 1 = 4 octaves).
        Lfo2Rate = 17, "lfo_2_rate", "LFO 2 Rate";
        /// The drive's amount (amount 1 = the whole range), shared.
        DriveAmount = 18, "drive_amount", "Drive Amount";
        /// Macro 1 (amount 1 = the knob's whole half range).
        Macro1 = 20, "macro_1", "Macro 1";
        /// Macro 2.
        Macro2 = 24, "macro_2", "Macro 2";
        /// Macro 3.
        Macro3 = 28, "macro_3", "Macro 3";
        /// Macro 4.
        Macro4 = 32, "macro_4", "Macro 4";
        /// Macro 5.
        Macro5 = 36, "macro_5", "Macro 5";
        /// Macro 6.
        Macro6 = 40, "macro_6", "Macro 6";
        /// Macro 7.
        Macro7 = 44, "macro_7", "Macro 7";
        /// Macro 8.
        Macro8 = 48, "macro_8", "Macro 8";
        /// The Brightness knob (amount 1 = the knob's whole half range).
        Brightness = 52, "brightness", "Brightness";
        /// The Warmth knob.
        Warmth = 56, "warmth", "Warmth";
        /// The Richness knob.
        Richness = 60, "richness", "Richness";
        /// The Odd/Even knob.
        OddEven = 64, "odd_even", "Odd/Even";
        /// The Formant knob.
        Formant = 68, "formant", "Formant";
    }
}

impl ModDestination {
    /// The macro this destination moves (0-based), if it is one.
    pub fn macro_index(self) -> Option<usize> {
        use ModDestination::*;
        match self {
            Macro1 => Some(0),
            Macro2 => Some(1),
            Macro3 => Some(2),
            Macro4 => Some(3),
            Macro5 => Some(4),
            Macro6 => Some(5),
            Macro7 => Some(6),
            Macro8 => Some(7),
            _ => None,
        }
    }

    /// The semantic knob this destination moves (0-based, in the order of
    /// `SynthParams::knob_params`), if it is one.
    pub fn knob_index(self) -> Option<usize> {
        use ModDestination::*;
        match self {
            Brightness => Some(0),
            Warmth => Some(1),
            Richness => Some(2),
            OddEven => Some(3),
            Formant => Some(4),
            _ => None,
        }
    }
}

/// One slot's parameters.
#[derive(Params)]
pub struct ModSlotParams {
    /// What the slot reads.
    #[id = "mod_source"]
    pub source: EnumParam<ModSource>,
    /// What it moves.
    #[id = "mod_destination"]
    pub destination: EnumParam<ModDestination>,
    /// How far, `-1..=1` (the destination's full amount at 1).
    #[id = "mod_amount"]
    pub amount: FloatParam,
}

impl ModSlotParams {
    /// Slot `n` (1-based) routing `source` to `destination` by `amount`.
    pub fn new(n: usize, source: ModSource, destination: ModDestination, amount: f32) -> Self {
        Self {
            source: EnumParam::new(format!("Mod {n} Source"), source),
            destination: EnumParam::new(format!("Mod {n} Destination"), destination),
            amount: FloatParam::new(
                format!("Mod {n} Amount"),
                amount,
                FloatRange::Linear {
                    min: -1.0,
                    max: 1.0,
                },
            )
            .with_step_size(0.01)
            .with_value_to_string(Arc::new(|v| {
                // A value that rounds to zero reads "0 %", never "-0 %"
                // (which a host reads back as 0 and shows as "+0 %").
                let percent = (v * 100.0).round();
                if percent == 0.0 {
                    "0 %".to_string()
                } else {
                    format!("{percent:+.0} %")
                }
            }))
            .with_string_to_value(Arc::new(|s| {
                let s = s.trim().trim_end_matches('%').trim();
                s.parse::<f32>().ok().map(|v| v / 100.0)
            })),
        }
    }

    /// The slot as plain values (audio thread: atomics only).
    pub fn route(&self) -> Route {
        let amount = self.amount.value();
        Route {
            source: self.source.value(),
            destination: self.destination.value(),
            amount: if amount.is_finite() {
                amount.clamp(-1.0, 1.0)
            } else {
                0.0
            },
        }
    }
}

/// The matrix a new instance starts with: the wheel moves macro 1 (+50 %),
/// timbre scans the table (+50 %), poly pressure is routed to the cutoff at
/// 0 % (ready to turn up); slots 4–8 are free.
pub fn default_slots() -> [ModSlotParams; MOD_SLOTS] {
    [
        ModSlotParams::new(1, ModSource::ModWheel, ModDestination::Macro1, 0.5),
        ModSlotParams::new(2, ModSource::PolyPressure, ModDestination::Cutoff, 0.0),
        ModSlotParams::new(3, ModSource::Timbre, ModDestination::Position, 0.5),
        ModSlotParams::new(4, ModSource::Off, ModDestination::Pitch, 0.0),
        ModSlotParams::new(5, ModSource::Off, ModDestination::Position, 0.0),
        ModSlotParams::new(6, ModSource::Off, ModDestination::Position, 0.0),
        ModSlotParams::new(7, ModSource::Off, ModDestination::Position, 0.0),
        ModSlotParams::new(8, ModSource::Off, ModDestination::Position, 0.0),
    ]
}

/// A slot read for one control block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Route {
    /// What it reads.
    pub source: ModSource,
    /// What it moves.
    pub destination: ModDestination,
    /// How far, `-1..=1`.
    pub amount: f32,
}

/// Every source's value for one voice (or, for the shared destinations, for
/// the newest held note).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SourceValues {
    /// Mod wheel `0..=1`.
    pub mod_wheel: f32,
    /// Channel aftertouch `0..=1`.
    pub aftertouch: f32,
    /// The voice's pressure `0..=1`.
    pub poly_pressure: f32,
    /// The voice's velocity `0..=1`.
    pub velocity: f32,
    /// The voice's timbre `-1..=1`.
    pub timbre: f32,
    /// LFO 1 `-1..=1`.
    pub lfo1: f32,
    /// LFO 2 `-1..=1`.
    pub lfo2: f32,
    /// Pitch bend `-1..=1`.
    pub pitch_bend: f32,
    /// The voice's key `-1..=1` (0 at C4).
    pub key: f32,
    /// The voice's random value `-1..=1`.
    pub random: f32,
    /// The voice's mod envelope `0..=1`.
    pub mod_env: f32,
    /// The voice's amp envelope `0..=1`.
    pub amp_env: f32,
}

impl SourceValues {
    /// The value of `source` (0 for [`ModSource::Off`]).
    pub fn get(&self, source: ModSource) -> f32 {
        match source {
            ModSource::Off => 0.0,
            ModSource::ModWheel => self.mod_wheel,
            ModSource::Aftertouch => self.aftertouch,
            ModSource::PolyPressure => self.poly_pressure,
            ModSource::Velocity => self.velocity,
            ModSource::Timbre => self.timbre,
            ModSource::Lfo1 => self.lfo1,
            ModSource::Lfo2 => self.lfo2,
            ModSource::PitchBend => self.pitch_bend,
            ModSource::Key => self.key,
            ModSource::Random => self.random,
            ModSource::ModEnv => self.mod_env,
            ModSource::AmpEnv => self.amp_env,
        }
    }
}

/// What the matrix adds to one voice, in the destinations' units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VoiceTargets {
    /// Added to the table position.
    pub position: f32,
    /// Added to the cutoff, in semitones.
    pub cutoff_semitones: f32,
    /// Added to the pitch, in semitones.
    pub pitch_semitones: f32,
    /// Added to the level, in dB.
    pub level_db: f32,
    /// Added to the resonance (`0..=1` range).
    pub resonance: f32,
    /// Added to the pan (`-1..=1`).
    pub pan: f32,
    /// Added to the sub's level.
    pub sub_level: f32,
    /// Added to the noise's level.
    pub noise_level: f32,
}

/// What the matrix adds to the shared destinations.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SharedTargets {
    /// Octaves added to LFO 1's rate.
    pub lfo_octaves: f32,
    /// Octaves added to LFO 2's rate.
    pub lfo2_octaves: f32,
    /// Added to the drive's amount.
    pub drive_amount: f32,
    /// Added to the delay's mix.
    pub delay_mix: f32,
    /// Added to the reverb's mix.
    pub reverb_mix: f32,
    /// Added to each macro (before clamping the sum to `-1..=1`).
    pub macros: [f32; MACROS],
    /// Added to each semantic knob (before clamping the sum to `-1..=1`).
    pub knobs: [f32; KNOBS],
}

/// The per-voice destinations of `routes` for a voice whose sources read `values`.
pub fn voice_targets(routes: &[Route], values: &SourceValues) -> VoiceTargets {
    let mut t = VoiceTargets::default();
    for r in routes {
        let v = r.amount * values.get(r.source);
        match r.destination {
            ModDestination::Position => t.position += v,
            ModDestination::Cutoff => t.cutoff_semitones += v * CUTOFF_SEMITONES,
            ModDestination::Pitch => t.pitch_semitones += v * PITCH_SEMITONES,
            ModDestination::Level => t.level_db += v * LEVEL_DB,
            ModDestination::Resonance => t.resonance += v,
            ModDestination::Pan => t.pan += v,
            ModDestination::SubLevel => t.sub_level += v,
            ModDestination::NoiseLevel => t.noise_level += v,
            _ => {}
        }
    }
    t
}

/// The shared destinations of `routes` with the sources at `values`.
pub fn shared_targets(routes: &[Route], values: &SourceValues) -> SharedTargets {
    let mut t = SharedTargets::default();
    for r in routes {
        let v = r.amount * values.get(r.source);
        let d = r.destination;
        match (d, d.macro_index(), d.knob_index()) {
            (_, Some(i), _) => t.macros[i] += v,
            (_, _, Some(k)) => t.knobs[k] += v,
            (ModDestination::LfoRate, ..) => t.lfo_octaves += v * LFO_RATE_OCTAVES,
            (ModDestination::Lfo2Rate, ..) => t.lfo2_octaves += v * LFO_RATE_OCTAVES,
            (ModDestination::DriveAmount, ..) => t.drive_amount += v,
            (ModDestination::DelayMix, ..) => t.delay_mix += v,
            (ModDestination::ReverbMix, ..) => t.reverb_mix += v,
            _ => {}
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(source: ModSource, destination: ModDestination, amount: f32) -> Route {
        Route {
            source,
            destination,
            amount,
        }
    }

    #[test]
    fn each_destination_gets_its_units_and_the_rest_stays_put() {
        let values = SourceValues {
            mod_wheel: 1.0,
            velocity: 0.5,
            timbre: -1.0,
            ..SourceValues::default()
        };
        let routes = [
            route(ModSource::ModWheel, ModDestination::Cutoff, 0.5),
            route(ModSource::Velocity, ModDestination::Level, -1.0),
            route(ModSource::Timbre, ModDestination::Position, 0.25),
            route(ModSource::ModWheel, ModDestination::Macro3, 0.8),
            route(ModSource::Off, ModDestination::Pitch, 1.0),
        ];
        let v = voice_targets(&routes, &values);
        assert_eq!(v.cutoff_semitones, 30.0);
        assert_eq!(v.level_db, -12.0);
        assert_eq!(v.position, -0.25);
        assert_eq!(v.pitch_semitones, 0.0);
        let s = shared_targets(&routes, &values);
        assert_eq!(s.macros, [0.0, 0.0, 0.8, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(s.lfo_octaves, 0.0);
    }

    #[test]
    fn the_lfos_key_random_and_bend_reach_their_destinations() {
        let values = SourceValues {
            lfo1: -0.5,
            lfo2: 1.0,
            pitch_bend: 0.25,
            key: 0.2,
            random: -1.0,
            ..SourceValues::default()
        };
        let routes = [
            route(ModSource::Lfo1, ModDestination::Macro2, 1.0),
            route(ModSource::Lfo2, ModDestination::ReverbMix, 0.3),
            route(ModSource::PitchBend, ModDestination::Lfo2Rate, 1.0),
            route(ModSource::Key, ModDestination::Resonance, 1.0),
            route(ModSource::Random, ModDestination::Pan, 0.5),
            route(ModSource::Lfo2, ModDestination::DriveAmount, -0.5),
        ];
        let v = voice_targets(&routes, &values);
        assert_eq!(v.resonance, 0.2);
        assert_eq!(v.pan, -0.5);
        let s = shared_targets(&routes, &values);
        assert_eq!(s.macros[1], -0.5);
        assert_eq!(s.reverb_mix, 0.3);
        assert_eq!(s.drive_amount, -0.5);
        assert_eq!(s.lfo2_octaves, 0.25 * LFO_RATE_OCTAVES);
    }

    #[test]
    fn amounts_read_and_type_as_percent() {
        let slot = ModSlotParams::new(2, ModSource::Velocity, ModDestination::Pitch, -0.25);
        assert_eq!(slot.amount.to_string(), "-25 %");
        assert_eq!(slot.amount.string_to_normalized_value("50 %"), Some(0.75));
        assert_eq!(slot.route().amount, -0.25);
    }
}
