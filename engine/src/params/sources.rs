//! The voice's extra sources: a sub oscillator and noise. Both default to
//! silent, so a sound saved before they existed plays exactly as it did.

use super::builders::fraction_param;
use crate::sources::{NoiseColor, SourceSettings, SubShape};
use nice_plug::prelude::*;

/// The sub's and the noise's parameters (ids `sub_*`, `noise_*`).
#[derive(Params)]
pub struct SourceParams {
    /// Sub level, `0..=1`.
    #[id = "sub_level"]
    pub sub_level: FloatParam,
    /// Sub waveform.
    #[id = "sub_shape"]
    pub sub_shape: EnumParam<SubShape>,
    /// Octaves below the note, `-2..=-1`.
    #[id = "sub_octave"]
    pub sub_octave: IntParam,
    /// Noise level, `0..=1`.
    #[id = "noise_level"]
    pub noise_level: FloatParam,
    /// Noise colour.
    #[id = "noise_color"]
    pub noise_color: EnumParam<NoiseColor>,
}

impl Default for SourceParams {
    fn default() -> Self {
        Self {
            sub_level: fraction_param("Sub Level", 0.0).with_smoother(SmoothingStyle::Linear(20.0)),
            sub_shape: EnumParam::new("Sub Shape", SubShape::Sine),
            sub_octave: IntParam::new("Sub Octave", -1, IntRange::Linear { min: -2, max: -1 })
                .with_unit(" oct"),
            noise_level: fraction_param("Noise Level", 0.0)
                .with_smoother(SmoothingStyle::Linear(20.0)),
            noise_color: EnumParam::new("Noise Color", NoiseColor::White),
        }
    }
}

impl SourceParams {
    /// The sources' settings for a block of `steps` samples (audio thread:
    /// atomics and smoothers only; NaN reads as silence).
    pub fn settings(&self, steps: u32) -> SourceSettings {
        let level = |v: f32| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        SourceSettings {
            sub_level: level(self.sub_level.smoothed.next_step(steps)),
            sub_shape: self.sub_shape.value(),
            sub_octaves: if self.sub_octave.value() <= -2 { 2 } else { 1 },
            noise_level: level(self.noise_level.smoothed.next_step(steps)),
            noise_color: self.noise_color.value(),
        }
    }
}
