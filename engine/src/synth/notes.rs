//! Events into voices: note on and off, the sustain pedal, controllers,
//! expressions, choke, and voice allocation and stealing.

use super::*;

impl Synth {
    /// Applies one event.
    pub fn handle_event(
        &mut self,
        event: SynthEvent,
        timing: u32,
        on_end: &mut impl FnMut(VoiceEnd),
    ) {
        match event {
            SynthEvent::NoteOn {
                voice_id,
                channel,
                key,
                velocity,
                ..
            } => {
                self.note_on(voice_id, channel, key.min(127), velocity, timing, on_end);
            }
            SynthEvent::NoteOff {
                voice_id,
                channel,
                key,
                ..
            } => {
                let held = self.controllers.sustains(channel, self.params.mpe.value());
                for v in self.voices.iter_mut().filter(|v| v.active && !v.released) {
                    if matches(v, voice_id, channel, key) {
                        if held {
                            v.sustained = true;
                        } else {
                            v.release();
                        }
                    }
                }
            }
            SynthEvent::Choke {
                voice_id,
                channel,
                key,
                ..
            } => {
                let samples = (CHOKE_FADE * self.sample_rate) as usize;
                for v in self
                    .voices
                    .iter_mut()
                    .filter(|v| v.active && !v.is_fading())
                {
                    if matches(v, voice_id, channel, key) {
                        v.fade_out(samples);
                    }
                }
            }
            SynthEvent::PolyModulation {
                voice_id,
                poly_modulation_id,
                normalized_offset,
                ..
            } => {
                let offset = Some(finite_or(normalized_offset, 0.0).clamp(-1.0, 1.0));
                for v in self
                    .voices
                    .iter_mut()
                    .filter(|v| v.active && v.id == Some(voice_id))
                {
                    match poly_modulation_id {
                        POLY_POSITION => v.poly.position = offset,
                        POLY_CUTOFF => v.poly.cutoff = offset,
                        POLY_PITCH => v.poly.pitch = offset,
                        _ => {}
                    }
                }
            }
            SynthEvent::PitchBend { channel, value, .. } => {
                let mpe = self.params.mpe.value();
                self.controllers.bend(channel, value, mpe);
            }
            SynthEvent::ChannelPressure {
                channel, pressure, ..
            } => {
                let mpe = self.params.mpe.value();
                self.controllers.pressure(channel, pressure, mpe);
            }
            SynthEvent::Control {
                channel, cc, value, ..
            } => {
                if self.controllers.control(channel, cc, value) {
                    self.pedal_lifted();
                }
            }
            SynthEvent::Expression {
                voice_id,
                channel,
                key,
                expression,
                ..
            } => {
                for v in self.voices.iter_mut().filter(|v| v.active) {
                    if matches(v, voice_id, channel, key) {
                        v.expression.apply(expression);
                    }
                }
            }
            SynthEvent::AllNotesOff { .. } => {
                for c in &mut self.controllers.channels {
                    c.sustain = false;
                }
                for v in self.voices.iter_mut().filter(|v| v.active) {
                    v.release();
                }
            }
            SynthEvent::AllSoundOff { .. } => {
                let samples = (CHOKE_FADE * self.sample_rate) as usize;
                for v in self.voices.iter_mut().filter(|v| v.active) {
                    v.fade_out(samples);
                }
            }
        }
    }

    /// Releases the notes the pedal no longer holds.
    pub(super) fn pedal_lifted(&mut self) {
        let mpe = self.params.mpe.value();
        for v in self.voices.iter_mut().filter(|v| v.active && v.sustained) {
            if !self.controllers.sustains(v.channel, mpe) {
                v.release();
            }
        }
    }

    pub(super) fn note_on(
        &mut self,
        id: Option<i32>,
        channel: u8,
        key: u8,
        velocity: f32,
        timing: u32,
        on_end: &mut impl FnMut(VoiceEnd),
    ) {
        // A key struck again while the pedal holds it: the held note lets go
        // (its release runs) and a fresh one starts.
        for v in self.voices.iter_mut().filter(|v| v.active && v.sustained) {
            if v.channel == channel && v.key == key {
                v.release();
            }
        }
        let live = self
            .voices
            .iter()
            .filter(|v| v.active && !v.is_fading())
            .count();
        if live >= MAX_VOICES {
            // Steal: the oldest released voice, else the oldest the pedal
            // holds, else the oldest voice.
            let victim = self
                .voices
                .iter_mut()
                .filter(|v| v.active && !v.is_fading())
                .min_by_key(|v| (!v.released, !v.sustained, v.age));
            if let Some(v) = victim {
                v.fade_out((STEAL_FADE * self.sample_rate) as usize);
            }
        }
        let slot = match self.voices.iter().position(|v| !v.active) {
            Some(i) => i,
            None => {
                // Every slot busy: reuse the quietest fading voice at once.
                let i = self
                    .voices
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_fading())
                    .min_by(|a, b| a.1.fade_gain().total_cmp(&b.1.fade_gain()))
                    .map_or(0, |(i, _)| i);
                let v = &self.voices[i];
                on_end(VoiceEnd {
                    timing,
                    voice_id: v.id,
                    channel: v.channel,
                    key: v.key,
                });
                i
            }
        };
        let glide_ms = finite_or(self.params.glide.value(), 0.0);
        let glide_from = if glide_ms > 0.0 {
            self.last_pitch
        } else {
            None
        };
        let mut phases = [0u32; MAX_UNISON];
        match self.params.phase_mode.value() {
            PhaseMode::Random => phases.iter_mut().for_each(|p| *p = self.rng.next_u32()),
            PhaseMode::Fixed => {
                let start = (finite_or(self.params.phase.value(), 0.0).clamp(0.0, 1.0) as f64
                    * 4_294_967_296.0) as u64;
                // The first unison voice starts at the set phase, the others
                // at fixed offsets from it: a note restarts identically every
                // time without the in-phase peak of voices starting together.
                // Undetuned voices are one sound: offsets would only comb-filter
                // it, so they start together.
                let spread = finite_or(self.params.detune.value(), 0.0) > 0.0;
                for (p, offset) in phases.iter_mut().zip(UNISON_START_PHASES) {
                    *p = (start as u32).wrapping_add(if spread { offset } else { 0 });
                }
            }
        }
        self.next_age += 1;
        let pitch = self.params.tuning.table().pitch(key);
        self.voices[slot].start(
            NoteStart {
                id,
                channel,
                key,
                velocity,
                age: self.next_age,
                glide_from,
                pitch,
            },
            phases,
        );
        // Its own generator, so the phases drawn above stay what they were
        // before the matrix had a random source.
        self.voices[slot].random = self.note_rng.bipolar();
        for k in 0..2 {
            let phase = f64::from(self.params.lfo_motion.motion(k).phase);
            let seed = (self.next_age << 1 | k as u64) ^ 0x6c66_6f5f_766f_6963;
            self.voices[slot].lfos[k] = Lfo::starting_at(phase, seed);
        }
        self.last_pitch = Some(pitch);
    }
}
