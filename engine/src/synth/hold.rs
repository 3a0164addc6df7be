//! Note starts held (at most [`LOAD_HOLD`]) while the table of a newly
//! loaded sound is coming.

use super::*;

impl Synth {
    /// Whether a table for a newly loaded sound is on its way: the synth is
    /// linked to a worker, plays the worker's table, and the newest table it
    /// has was built for an older sound (or there is none yet).
    pub(super) fn awaiting_table(&self) -> bool {
        let revision = self.params.sound_revision();
        self.link.is_some()
            && self.params.table.value().index().is_none()
            && self.gave_up != Some(revision)
            && self.neural.as_ref().is_none_or(|t| t.revision() < revision)
    }

    /// Keeps a note start (or the note-off or choke of a waiting note) while
    /// the table of a newly loaded sound is coming; returns whether it did.
    pub(super) fn hold(&mut self, event: SynthEvent) -> bool {
        match event {
            SynthEvent::NoteOn {
                voice_id,
                channel,
                key,
                velocity,
                ..
            } if self.held.len() < HOLD_CAPACITY && self.awaiting_table() => {
                self.held.push(HeldNote {
                    voice_id,
                    channel,
                    key,
                    velocity,
                    released: false,
                });
                true
            }
            SynthEvent::NoteOff {
                voice_id,
                channel,
                key,
                ..
            } => {
                let waiting = self.held.iter_mut().find(|h| {
                    !h.released
                        && match voice_id {
                            Some(id) => h.voice_id == Some(id),
                            None => h.channel == channel && h.key == key,
                        }
                });
                waiting.map(|h| h.released = true).is_some()
            }
            SynthEvent::Choke {
                voice_id,
                channel,
                key,
                ..
            } => {
                // A waiting note that is choked never starts; sounding voices
                // that match are choked as usual.
                self.held.retain(|h| match voice_id {
                    Some(id) => h.voice_id != Some(id),
                    None => h.channel != channel || h.key != key,
                });
                false
            }
            _ => false,
        }
    }

    /// Starts the waiting notes once their table is in, or once they have
    /// waited [`LOAD_HOLD`] (then the synth stops waiting for this sound).
    pub(super) fn start_held_notes(&mut self, timing: u32, on_end: &mut impl FnMut(VoiceEnd)) {
        if self.held.is_empty() {
            return;
        }
        let expired = self.held_for as f32 >= LOAD_HOLD * self.sample_rate;
        if !expired && self.awaiting_table() {
            return;
        }
        if expired {
            self.gave_up = Some(self.params.sound_revision());
        }
        for i in 0..self.held.len() {
            let h = self.held[i];
            self.note_on(
                h.voice_id,
                h.channel,
                h.key.min(127),
                h.velocity,
                timing,
                on_end,
            );
            if h.released {
                self.handle_event(
                    SynthEvent::NoteOff {
                        timing,
                        voice_id: h.voice_id,
                        channel: h.channel,
                        key: h.key,
                    },
                    timing,
                    on_end,
                );
            }
        }
        self.held.clear();
        self.held_for = 0;
    }

    /// Notes waiting for the table of a newly loaded sound.
    pub fn waiting_notes(&self) -> usize {
        self.held.len()
    }
}
