//! What each voice and the shared destinations read this block: the LFO,
//! the controllers, the modulation matrix and the host's polyphonic modulation.

use super::*;

impl Synth {
    /// LFO `k`'s sync switch, rate in Hz and synced division (0: LFO 1, 1: LFO 2).
    fn lfo_rate_settings(&self, k: usize) -> (bool, f32, crate::lfo::LfoDivision) {
        let p = &self.params;
        if k == 0 {
            (
                p.lfo_sync.value(),
                p.lfo_rate.value(),
                p.lfo_division.value(),
            )
        } else {
            (
                p.lfo2_sync.value(),
                p.lfo2_rate.value(),
                p.lfo2_division.value(),
            )
        }
    }

    /// The global LFO `k`.
    fn global_lfo_mut(&mut self, k: usize) -> &mut Lfo {
        if k == 0 {
            &mut self.lfo
        } else {
            &mut self.lfo2
        }
    }

    /// Sets the global LFOs' phases from the host's song position: a synced
    /// LFO's always, a transport-locked one in Hz from the seconds since the
    /// song's start at the current tempo.
    pub(super) fn sync_lfo(&mut self, transport: Transport) {
        let Some(beats) = transport.position_beats.filter(|b| b.is_finite()) else {
            return;
        };
        let tempo = transport.tempo;
        let seconds = (tempo.is_finite() && tempo > 0.0).then(|| beats * 60.0 / tempo);
        for k in 0..2 {
            let (sync, rate, division) = self.lfo_rate_settings(k);
            let locked = self.params.lfo_motion.motion(k).mode == LfoMode::Transport;
            if sync {
                self.global_lfo_mut(k).set_phase(beats / division.beats());
            } else if let Some(seconds) = seconds.filter(|_| locked) {
                let rate = f64::from(finite_or(rate, 1.0).clamp(0.0, 100.0));
                self.global_lfo_mut(k).set_phase(seconds * rate);
            }
        }
    }

    /// The newest note still held (not released), if any.
    fn newest_held(&self) -> Option<&Voice> {
        self.voices
            .iter()
            .filter(|v| v.active && !v.released)
            .max_by_key(|v| v.age)
    }

    /// LFO `k` as `voice` reads it: its own (per-voice mode) or the global
    /// one, faded in by the note's age (a depth of exactly 1 without a delay
    /// or fade-in, so the value passes unchanged).
    pub(super) fn voice_lfo(&self, voice: &Voice, k: usize) -> f32 {
        let motion = &self.lfo_motion[k];
        let value = if motion.mode == LfoMode::Voice {
            voice.lfos[k].value(self.lfo_shapes[k])
        } else {
            self.lfo_values[k]
        };
        value * motion.depth(voice.since_on as f32 / self.sample_rate)
    }

    /// The fade-in depth of LFO `k` for the newest held note (1 when none is held).
    pub(super) fn newest_note_lfo_depth(&self, k: usize) -> f32 {
        let motion = &self.lfo_motion[k];
        self.newest_held()
            .map_or(1.0, |v| motion.depth(v.since_on as f32 / self.sample_rate))
    }

    /// LFO `k`'s speed in cycles per sample: its rate in Hz, or one division
    /// a cycle at the host's tempo when synced.
    pub(super) fn lfo_cycles_per_sample(&self, transport: Transport, k: usize) -> f64 {
        let (sync, rate, division) = self.lfo_rate_settings(k);
        let hz = if sync {
            let tempo = if transport.tempo.is_finite() {
                transport.tempo.clamp(1.0, 999.0)
            } else {
                120.0
            };
            tempo / 60.0 / division.beats()
        } else {
            f64::from(finite_or(rate, 1.0).clamp(0.0, 100.0))
        };
        hz / f64::from(self.sample_rate)
    }

    /// Every modulation source as `voice` reads it; `shared` holds the
    /// mod wheel and channel aftertouch.
    pub(super) fn voice_sources(
        &self,
        voice: &Voice,
        shared: &SourceValues,
        mpe: bool,
    ) -> SourceValues {
        let channel = self.controllers.channel(voice.channel);
        let member = mpe && voice.channel != 0;
        SourceValues {
            poly_pressure: voice.expression.pressure.unwrap_or(if member {
                channel.pressure
            } else {
                0.0
            }),
            velocity: voice.velocity(),
            timbre: (voice.expression.brightness.unwrap_or(channel.timbre) - 0.5) * 2.0,
            key: ((f32::from(voice.key) - 60.0) / 60.0).clamp(-1.0, 1.0),
            random: voice.random,
            mod_env: mod_env_curve(voice.mod_env.level(), self.params.mod_env_curve.value()),
            lfo1: self.voice_lfo(voice, 0),
            lfo2: self.voice_lfo(voice, 1),
            amp_env: voice.amp_level(),
            ..*shared
        }
    }

    /// The sources the shared destinations (macros, LFO rate) read: the
    /// newest held note's, or no note's when none is held.
    pub(super) fn shared_sources(&self, mpe: bool) -> SourceValues {
        let shared = SourceValues {
            mod_wheel: self.controllers.mod_wheel,
            aftertouch: self.controllers.global_pressure,
            timbre: 0.0,
            lfo1: self.lfo_values[0],
            lfo2: self.lfo_values[1],
            pitch_bend: finite_or(self.controllers.global_bend, 0.0).clamp(-1.0, 1.0),
            ..SourceValues::default()
        };
        self.newest_held()
            .map_or(shared, |v| self.voice_sources(v, &shared, mpe))
    }

    pub(super) fn voice_mods(
        &self,
        voice: &Voice,
        routes: &[modulation::Route],
        shared: &SourceValues,
        mpe: bool,
    ) -> VoiceMods {
        let p = &self.params;
        let delta = |param: &nice_plug::prelude::FloatParam, offset: Option<f32>| {
            offset.map(|o| {
                let base = param.modulated_normalized_value();
                (param.preview_plain(base + o), param.preview_plain(base))
            })
        };
        let mut mods = VoiceMods::default();
        if let Some((with, without)) = delta(&p.position, voice.poly.position) {
            mods.position = finite_or(with - without, 0.0);
        }
        if let Some((with, without)) = delta(&p.pitch, voice.poly.pitch) {
            mods.pitch = finite_or(with - without, 0.0);
        }
        if let Some((with, without)) = delta(&p.cutoff, voice.poly.cutoff) {
            mods.cutoff_ratio = finite_or(with / without.max(1.0), 1.0).clamp(1e-3, 1e3);
        }
        let targets = modulation::voice_targets(routes, &self.voice_sources(voice, shared, mpe));
        let member_bend = if mpe && voice.channel != 0 {
            self.controllers.channel(voice.channel).bend
                * p.mpe_bend_range.value().clamp(0, 96) as f32
        } else {
            0.0
        };
        mods.position += targets.position;
        let (lfo_pos, lfo_cut) = self.lfo_fixed;
        if lfo_pos != 0.0 || lfo_cut != 0.0 {
            let lfo = self.voice_lfo(voice, 0);
            mods.position += lfo_pos * lfo;
            mods.cutoff_ratio =
                (mods.cutoff_ratio * (lfo_cut * lfo / 12.0).exp2()).clamp(1e-4, 1e4);
        }
        mods.pitch += targets.pitch_semitones + voice.expression.tuning + member_bend;
        mods.cutoff_ratio =
            (mods.cutoff_ratio * (targets.cutoff_semitones / 12.0).exp2()).clamp(1e-4, 1e4);
        mods.gain =
            (targets.level_db / 20.0 * std::f32::consts::LOG2_10).exp2() * voice.expression.volume;
        mods.pan = (voice.expression.pan + targets.pan).clamp(-1.0, 1.0);
        mods.resonance = targets.resonance;
        mods.sub_level = targets.sub_level;
        mods.noise_level = targets.noise_level;
        mods
    }
}

/// The mod envelope's `level` through its curve `-1..=1`: the level raised
/// to the power `4^curve` (0 leaves it as it is; 1 snaps, -1 rounds).
pub(super) fn mod_env_curve(level: f32, curve: f32) -> f32 {
    if curve == 0.0 || !curve.is_finite() {
        return level;
    }
    level.max(0.0).powf((curve.clamp(-1.0, 1.0) * 2.0).exp2())
}

#[cfg(test)]
mod tests {
    use super::mod_env_curve;

    #[test]
    fn the_mod_envelope_curve_bends_its_level_and_keeps_its_ends() {
        for curve in [-1.0, -0.3, 0.0, 0.5, 1.0] {
            assert_eq!(mod_env_curve(0.0, curve), 0.0);
            assert_eq!(mod_env_curve(1.0, curve), 1.0);
        }
        assert_eq!(mod_env_curve(0.5, 0.0), 0.5);
        assert!((mod_env_curve(0.5, 1.0) - 0.0625).abs() < 1e-6);
        assert!((mod_env_curve(0.5, -1.0) - 0.5f32.powf(0.25)).abs() < 1e-6);
        assert_eq!(mod_env_curve(0.5, f32::NAN), 0.5);
    }
}
