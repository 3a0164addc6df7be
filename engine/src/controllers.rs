//! What a keyboard player's controllers have said, per MIDI channel: pitch
//! bend, pressure, timbre (CC 74), mod wheel and sustain pedal.
//!
//! MPE (MIDI Polyphonic Expression, lower zone): with MPE on, channel 1 is
//! the master channel, whose bend (over the Bend Range), pressure and pedal
//! act on every note, and channels 2–16 are member channels, one note each,
//! whose bend (over the MPE Bend Range), pressure and CC 74 act on their own
//! note only. With MPE off, bend, pressure and the mod wheel on any channel
//! act on every note, and the pedal holds the notes of its own channel.

/// MIDI channels.
pub const CHANNELS: usize = 16;

/// Sustain pedal.
pub const CC_SUSTAIN: u8 = 64;
/// Mod wheel (coarse).
pub const CC_MOD_WHEEL: u8 = 1;
/// MPE's third dimension, "timbre" (also called brightness).
pub const CC_TIMBRE: u8 = 74;

/// The controller state of one channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelState {
    /// Pitch bend `-1..=1`.
    pub bend: f32,
    /// Channel pressure `0..=1`.
    pub pressure: f32,
    /// CC 74 `0..=1` (0.5 is the centre).
    pub timbre: f32,
    /// Sustain pedal down.
    pub sustain: bool,
}

impl Default for ChannelState {
    fn default() -> Self {
        Self {
            bend: 0.0,
            pressure: 0.0,
            timbre: 0.5,
            sustain: false,
        }
    }
}

/// Every channel's state plus the shared values derived from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Controllers {
    /// Per channel.
    pub channels: [ChannelState; CHANNELS],
    /// Mod wheel `0..=1` (the last one received on any channel).
    pub mod_wheel: f32,
    /// Bend acting on every note, `-1..=1`: the last bend on any channel
    /// (MPE off) or the master channel's (MPE on).
    pub global_bend: f32,
    /// Aftertouch acting on every note, `0..=1`, chosen like the bend.
    pub global_pressure: f32,
}

impl Default for Controllers {
    fn default() -> Self {
        Self {
            channels: [ChannelState::default(); CHANNELS],
            mod_wheel: 0.0,
            global_bend: 0.0,
            global_pressure: 0.0,
        }
    }
}

/// `v` if finite, clamped to `lo..=hi`; `fallback` otherwise.
pub(crate) fn finite_in(v: f32, lo: f32, hi: f32, fallback: f32) -> f32 {
    if v.is_finite() {
        v.clamp(lo, hi)
    } else {
        fallback
    }
}

impl Controllers {
    fn channel_mut(&mut self, channel: u8) -> &mut ChannelState {
        &mut self.channels[usize::from(channel) % CHANNELS]
    }

    /// The state of `channel` (channels past 16 wrap).
    pub fn channel(&self, channel: u8) -> &ChannelState {
        &self.channels[usize::from(channel) % CHANNELS]
    }

    /// A pitch bend on `channel`.
    pub fn bend(&mut self, channel: u8, value: f32, mpe: bool) {
        let value = finite_in(value, -1.0, 1.0, 0.0);
        self.channel_mut(channel).bend = value;
        if !mpe || channel == 0 {
            self.global_bend = value;
        }
    }

    /// Channel pressure on `channel`.
    pub fn pressure(&mut self, channel: u8, value: f32, mpe: bool) {
        let value = finite_in(value, 0.0, 1.0, 0.0);
        self.channel_mut(channel).pressure = value;
        if !mpe || channel == 0 {
            self.global_pressure = value;
        }
    }

    /// A control change the synth uses (mod wheel, sustain, timbre); returns
    /// true when the pedal was lifted on `channel` (its held notes then end).
    pub fn control(&mut self, channel: u8, cc: u8, value: f32) -> bool {
        let value = finite_in(value, 0.0, 1.0, 0.0);
        match cc {
            CC_MOD_WHEEL => self.mod_wheel = value,
            CC_TIMBRE => self.channel_mut(channel).timbre = value,
            CC_SUSTAIN => {
                let state = self.channel_mut(channel);
                let was = state.sustain;
                state.sustain = value >= 0.5;
                return was && !state.sustain;
            }
            _ => {}
        }
        false
    }

    /// Whether the pedal holds a note on `channel`: its own channel's pedal,
    /// or in MPE mode the master channel's too.
    pub fn sustains(&self, channel: u8, mpe: bool) -> bool {
        self.channel(channel).sustain || (mpe && self.channels[0].sustain)
    }

    /// The bend of a note on `channel` in semitones: the shared bend over
    /// `range`, plus in MPE mode its member channel's bend over `mpe_range`.
    pub fn note_bend(&self, channel: u8, mpe: bool, range: f32, mpe_range: f32) -> f32 {
        let own = if mpe && usize::from(channel) % CHANNELS != 0 {
            self.channel(channel).bend * mpe_range
        } else {
            0.0
        };
        self.global_bend * range + own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpe_member_bends_move_only_their_own_channel() {
        let mut c = Controllers::default();
        c.bend(3, 0.5, true);
        assert_eq!(c.note_bend(3, true, 2.0, 48.0), 24.0);
        assert_eq!(c.note_bend(4, true, 2.0, 48.0), 0.0);
        c.bend(0, -1.0, true);
        assert_eq!(c.note_bend(4, true, 2.0, 48.0), -2.0);
        // Without MPE every channel's bend is everyone's.
        let mut plain = Controllers::default();
        plain.bend(3, 0.5, false);
        assert_eq!(plain.note_bend(0, false, 2.0, 48.0), 1.0);
    }

    #[test]
    fn the_pedal_reports_its_release_once() {
        let mut c = Controllers::default();
        assert!(!c.control(0, CC_SUSTAIN, 1.0));
        assert!(c.sustains(0, false));
        assert!(!c.sustains(1, false));
        assert!(c.sustains(1, true));
        assert!(c.control(0, CC_SUSTAIN, 0.0));
        assert!(!c.control(0, CC_SUSTAIN, 0.0));
        assert!(!c.control(0, CC_MOD_WHEEL, f32::NAN));
        assert_eq!(c.mod_wheel, 0.0);
    }
}
