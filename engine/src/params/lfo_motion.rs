//! How the two LFOs run: global, per voice or locked to the transport; their
//! start phase; a delay and a fade-in after each note-on. The defaults
//! (global, phase 0, no delay, no fade) are how the LFOs ran before these
//! parameters existed, so older sounds play exactly as they did.

use super::builders::{fraction_param, time_param};
use crate::lfo::{LfoMode, LfoMotion};
use nice_plug::prelude::*;

/// The LFOs' motion parameters (ids `lfo_mode`, `lfo_phase`, `lfo_delay`,
/// `lfo_fade` and the same with `lfo2_`).
#[derive(Params)]
pub struct LfoMotionParams {
    /// LFO 1: global, per voice or transport-locked.
    #[id = "lfo_mode"]
    pub lfo_mode: EnumParam<LfoMode>,
    /// LFO 1's start phase, `0..1` cycles.
    #[id = "lfo_phase"]
    pub lfo_phase: FloatParam,
    /// LFO 1's delay after note-on, in ms.
    #[id = "lfo_delay"]
    pub lfo_delay: FloatParam,
    /// LFO 1's fade-in after its delay, in ms.
    #[id = "lfo_fade"]
    pub lfo_fade: FloatParam,
    /// LFO 2: global, per voice or transport-locked.
    #[id = "lfo2_mode"]
    pub lfo2_mode: EnumParam<LfoMode>,
    /// LFO 2's start phase, `0..1` cycles.
    #[id = "lfo2_phase"]
    pub lfo2_phase: FloatParam,
    /// LFO 2's delay after note-on, in ms.
    #[id = "lfo2_delay"]
    pub lfo2_delay: FloatParam,
    /// LFO 2's fade-in after its delay, in ms.
    #[id = "lfo2_fade"]
    pub lfo2_fade: FloatParam,
}

impl Default for LfoMotionParams {
    fn default() -> Self {
        Self {
            lfo_mode: EnumParam::new("LFO Mode", LfoMode::Global),
            lfo_phase: fraction_param("LFO Phase", 0.0),
            lfo_delay: time_param("LFO Delay", 0.0, 0.0),
            lfo_fade: time_param("LFO Fade-In", 0.0, 0.0),
            lfo2_mode: EnumParam::new("LFO 2 Mode", LfoMode::Global),
            lfo2_phase: fraction_param("LFO 2 Phase", 0.0),
            lfo2_delay: time_param("LFO 2 Delay", 0.0, 0.0),
            lfo2_fade: time_param("LFO 2 Fade-In", 0.0, 0.0),
        }
    }
}

impl LfoMotionParams {
    /// LFO `k`'s motion (0: LFO 1, 1: LFO 2); audio thread: atomics only.
    pub fn motion(&self, k: usize) -> LfoMotion {
        let (mode, phase, delay, fade) = if k == 0 {
            (
                &self.lfo_mode,
                &self.lfo_phase,
                &self.lfo_delay,
                &self.lfo_fade,
            )
        } else {
            (
                &self.lfo2_mode,
                &self.lfo2_phase,
                &self.lfo2_delay,
                &self.lfo2_fade,
            )
        };
        let finite = |v: f32| if v.is_finite() { v.max(0.0) } else { 0.0 };
        LfoMotion {
            mode: mode.value(),
            phase: finite(phase.value()).min(1.0),
            delay_s: finite(delay.value()) * 1e-3,
            fade_s: finite(fade.value()) * 1e-3,
        }
    }
}
