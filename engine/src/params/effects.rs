//! The effects rack's parameters (drive → chorus → delay → reverb), each
//! effect with an on switch and a mix. Every one defaults to off, so a sound
//! saved before the rack existed plays exactly as it did.

use super::builders::{fraction_param, ms_range};
use crate::effects::{ChorusSettings, DelaySettings, DriveSettings, ReverbSettings};
use crate::effects::{DelayDivision, DelayMode, DriveMode, RackSettings};
use nice_plug::prelude::*;

pub use crate::effects::{
    MAX_CHORUS_DELAY_MS, MAX_CHORUS_DEPTH_MS, MAX_CHORUS_VOICES, MAX_DELAY_MS, MAX_PREDELAY_MS,
};

/// The rack's parameters (ids `drive_*`, `chorus_*`, `delay_*`, `reverb_*`).
#[derive(Params)]
pub struct EffectsParams {
    /// Drive on.
    #[id = "drive_on"]
    pub drive_on: BoolParam,
    /// Drive character.
    #[id = "drive_mode"]
    pub drive_mode: EnumParam<DriveMode>,
    /// Drive amount, `0..=1` (0 to 36 dB into the shaper).
    #[id = "drive_amount"]
    pub drive_amount: FloatParam,
    /// Tone after the shaper, `0..=1` (dark to open).
    #[id = "drive_tone"]
    pub drive_tone: FloatParam,
    /// Drive dry/wet.
    #[id = "drive_mix"]
    pub drive_mix: FloatParam,

    /// Chorus on.
    #[id = "chorus_on"]
    pub chorus_on: BoolParam,
    /// Chorus sweep rate in Hz.
    #[id = "chorus_rate"]
    pub chorus_rate: FloatParam,
    /// Chorus sweep depth in ms.
    #[id = "chorus_depth"]
    pub chorus_depth: FloatParam,
    /// Chorus base delay in ms.
    #[id = "chorus_delay"]
    pub chorus_delay: FloatParam,
    /// Chorus voices per channel.
    #[id = "chorus_voices"]
    pub chorus_voices: IntParam,
    /// Chorus dry/wet.
    #[id = "chorus_mix"]
    pub chorus_mix: FloatParam,

    /// Delay on.
    #[id = "delay_on"]
    pub delay_on: BoolParam,
    /// Stereo or ping-pong.
    #[id = "delay_mode"]
    pub delay_mode: EnumParam<DelayMode>,
    /// Delay time follows the host tempo.
    #[id = "delay_sync"]
    pub delay_sync: BoolParam,
    /// Delay time in ms when not synced.
    #[id = "delay_time"]
    pub delay_time: FloatParam,
    /// Delay time when synced.
    #[id = "delay_division"]
    pub delay_division: EnumParam<DelayDivision>,
    /// Feedback, `0..=0.95`.
    #[id = "delay_feedback"]
    pub delay_feedback: FloatParam,
    /// The low-pass in the feedback loop, in Hz.
    #[id = "delay_tone"]
    pub delay_tone: FloatParam,
    /// Delay dry/wet.
    #[id = "delay_mix"]
    pub delay_mix: FloatParam,

    /// Reverb on.
    #[id = "reverb_on"]
    pub reverb_on: BoolParam,
    /// Room size, `0..=1`.
    #[id = "reverb_size"]
    pub reverb_size: FloatParam,
    /// Decay time (RT60) in seconds.
    #[id = "reverb_decay"]
    pub reverb_decay: FloatParam,
    /// High-frequency damping, `0..=1`.
    #[id = "reverb_damping"]
    pub reverb_damping: FloatParam,
    /// Pre-delay in ms.
    #[id = "reverb_predelay"]
    pub reverb_predelay: FloatParam,
    /// Stereo width, `0..=1`.
    #[id = "reverb_width"]
    pub reverb_width: FloatParam,
    /// Reverb dry/wet.
    #[id = "reverb_mix"]
    pub reverb_mix: FloatParam,
}

fn hz_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(-2.0),
        },
    )
    .with_unit(" Hz")
    .with_step_size(0.01)
}

fn ms_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, ms_range(min, max))
        .with_unit(" ms")
        .with_step_size(0.1)
}

impl Default for EffectsParams {
    fn default() -> Self {
        Self {
            drive_on: BoolParam::new("Drive On", false),
            drive_mode: EnumParam::new("Drive Character", DriveMode::Soft),
            drive_amount: fraction_param("Drive Amount", 0.4),
            drive_tone: fraction_param("Drive Tone", 0.7),
            drive_mix: fraction_param("Drive Mix", 1.0),

            chorus_on: BoolParam::new("Chorus On", false),
            chorus_rate: hz_param("Chorus Rate", 0.6, 0.02, 10.0),
            chorus_depth: ms_param("Chorus Depth", 3.0, 0.0, MAX_CHORUS_DEPTH_MS),
            chorus_delay: ms_param("Chorus Delay", 12.0, 1.0, MAX_CHORUS_DELAY_MS),
            chorus_voices: IntParam::new(
                "Chorus Voices",
                2,
                IntRange::Linear {
                    min: 1,
                    max: MAX_CHORUS_VOICES,
                },
            ),
            chorus_mix: fraction_param("Chorus Mix", 0.5),

            delay_on: BoolParam::new("Delay On", false),
            delay_mode: EnumParam::new("Delay Mode", DelayMode::Stereo),
            delay_sync: BoolParam::new("Delay Sync", true),
            delay_time: ms_param("Delay Time", 375.0, 1.0, MAX_DELAY_MS),
            delay_division: EnumParam::new("Delay Division", DelayDivision::EighthDotted),
            delay_feedback: FloatParam::new(
                "Delay Feedback",
                0.35,
                FloatRange::Linear {
                    min: 0.0,
                    max: 0.95,
                },
            )
            .with_step_size(0.001),
            delay_tone: hz_param("Delay Tone", 6_000.0, 200.0, 20_000.0).with_step_size(1.0),
            delay_mix: fraction_param("Delay Mix", 0.25),

            reverb_on: BoolParam::new("Reverb On", false),
            reverb_size: fraction_param("Reverb Size", 0.6),
            reverb_decay: FloatParam::new(
                "Reverb Decay",
                2.5,
                FloatRange::Skewed {
                    min: 0.2,
                    max: 20.0,
                    factor: FloatRange::skew_factor(-1.5),
                },
            )
            .with_unit(" s")
            .with_step_size(0.01),
            reverb_damping: fraction_param("Reverb Damping", 0.4),
            reverb_predelay: ms_param("Reverb Pre-Delay", 10.0, 0.0, MAX_PREDELAY_MS),
            reverb_width: fraction_param("Reverb Width", 1.0),
            reverb_mix: fraction_param("Reverb Mix", 0.3),
        }
    }
}

/// `v` if finite, else `fallback`, clamped to `lo..=hi`.
fn finite(v: f32, fallback: f32, lo: f32, hi: f32) -> f32 {
    if v.is_finite() { v } else { fallback }.clamp(lo, hi)
}

impl EffectsParams {
    /// Which effects are switched on: drive, chorus, delay, reverb.
    pub fn switches(&self) -> [bool; 4] {
        [
            self.drive_on.value(),
            self.chorus_on.value(),
            self.delay_on.value(),
            self.reverb_on.value(),
        ]
    }

    /// The rack's settings now (audio thread: atomics only; NaN or out of
    /// range values read as safe ones).
    pub fn settings(&self) -> RackSettings {
        RackSettings {
            drive: DriveSettings {
                on: self.drive_on.value(),
                mode: self.drive_mode.value(),
                amount: finite(self.drive_amount.value(), 0.0, 0.0, 1.0),
                tone: finite(self.drive_tone.value(), 1.0, 0.0, 1.0),
                mix: finite(self.drive_mix.value(), 0.0, 0.0, 1.0),
            },
            chorus: ChorusSettings {
                on: self.chorus_on.value(),
                rate_hz: finite(self.chorus_rate.value(), 0.6, 0.01, 20.0),
                depth_ms: finite(self.chorus_depth.value(), 0.0, 0.0, MAX_CHORUS_DEPTH_MS),
                delay_ms: finite(self.chorus_delay.value(), 12.0, 0.5, MAX_CHORUS_DELAY_MS),
                voices: self.chorus_voices.value().clamp(1, MAX_CHORUS_VOICES) as usize,
                mix: finite(self.chorus_mix.value(), 0.0, 0.0, 1.0),
            },
            delay: DelaySettings {
                on: self.delay_on.value(),
                mode: self.delay_mode.value(),
                sync: self.delay_sync.value(),
                time_ms: finite(self.delay_time.value(), 375.0, 1.0, MAX_DELAY_MS),
                division: self.delay_division.value(),
                feedback: finite(self.delay_feedback.value(), 0.0, 0.0, 0.95),
                tone_hz: finite(self.delay_tone.value(), 6_000.0, 100.0, 20_000.0),
                mix: finite(self.delay_mix.value(), 0.0, 0.0, 1.0),
            },
            reverb: ReverbSettings {
                on: self.reverb_on.value(),
                size: finite(self.reverb_size.value(), 0.5, 0.0, 1.0),
                decay_s: finite(self.reverb_decay.value(), 2.0, 0.1, 30.0),
                damping: finite(self.reverb_damping.value(), 0.0, 0.0, 1.0),
                predelay_ms: finite(self.reverb_predelay.value(), 0.0, 0.0, MAX_PREDELAY_MS),
                width: finite(self.reverb_width.value(), 1.0, 0.0, 1.0),
                mix: finite(self.reverb_mix.value(), 0.0, 0.0, 1.0),
            },
        }
    }
}
