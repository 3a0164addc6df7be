//! What goes into and out of [`crate::Synth::process`]: timed events, the
//! host's transport, and the notice that a voice ended.

/// An input event for [`crate::Synth::process`]; `timing` is the sample offset in the block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SynthEvent {
    /// A note starts. `voice_id` is the host's note id if it sent one.
    NoteOn {
        /// Sample offset in the block.
        timing: u32,
        /// Host note id.
        voice_id: Option<i32>,
        /// MIDI channel.
        channel: u8,
        /// MIDI key.
        key: u8,
        /// Velocity `0..=1`.
        velocity: f32,
    },
    /// A note is released.
    NoteOff {
        /// Sample offset in the block.
        timing: u32,
        /// Host note id.
        voice_id: Option<i32>,
        /// MIDI channel.
        channel: u8,
        /// MIDI key.
        key: u8,
    },
    /// A note stops at once (after a 1 ms fade).
    Choke {
        /// Sample offset in the block.
        timing: u32,
        /// Host note id.
        voice_id: Option<i32>,
        /// MIDI channel.
        channel: u8,
        /// MIDI key.
        key: u8,
    },
    /// Polyphonic modulation of one voice: a normalised offset for a parameter.
    PolyModulation {
        /// Sample offset in the block.
        timing: u32,
        /// Host note id of the voice.
        voice_id: i32,
        /// Which parameter ([`crate::params::POLY_POSITION`], [`crate::params::POLY_CUTOFF`] or [`crate::params::POLY_PITCH`]).
        poly_modulation_id: u32,
        /// Normalised offset.
        normalized_offset: f32,
    },
    /// Pitch bend on a MIDI channel, `-1..=1` (see [`crate::controllers`]).
    PitchBend {
        /// Sample offset in the block.
        timing: u32,
        /// MIDI channel.
        channel: u8,
        /// Bend amount.
        value: f32,
    },
    /// Channel pressure (aftertouch), `0..=1`.
    ChannelPressure {
        /// Sample offset in the block.
        timing: u32,
        /// MIDI channel.
        channel: u8,
        /// Pressure.
        pressure: f32,
    },
    /// A MIDI control change, value `0..=1` (the synth uses the mod wheel,
    /// the sustain pedal and CC 74).
    Control {
        /// Sample offset in the block.
        timing: u32,
        /// MIDI channel.
        channel: u8,
        /// Controller number.
        cc: u8,
        /// Value.
        value: f32,
    },
    /// A per-note expression: polyphonic aftertouch or a CLAP note expression.
    Expression {
        /// Sample offset in the block.
        timing: u32,
        /// Host note id (matches by channel and key when `None`).
        voice_id: Option<i32>,
        /// MIDI channel.
        channel: u8,
        /// MIDI key.
        key: u8,
        /// What changed.
        expression: NoteExpression,
    },
    /// Release every note (and forget the pedal).
    AllNotesOff {
        /// Sample offset in the block.
        timing: u32,
    },
    /// Silence every note at once (after a 1 ms fade).
    AllSoundOff {
        /// Sample offset in the block.
        timing: u32,
    },
}

/// A per-note expression and its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoteExpression {
    /// Pressure `0..=1` (polyphonic aftertouch, CLAP pressure).
    Pressure(f32),
    /// Brightness `0..=1` (CLAP), read like CC 74: 0.5 is the centre.
    Brightness(f32),
    /// Tuning in semitones, added to the note.
    Tuning(f32),
    /// Volume as a gain ratio (1 = unity, up to 4).
    Volume(f32),
    /// Pan `-1..=1`.
    Pan(f32),
}

impl SynthEvent {
    /// Sample offset of the event in its block.
    pub fn timing(&self) -> u32 {
        let mut copy = *self;
        *copy.timing_mut()
    }

    /// The event's sample offset, to move it to another block position.
    pub fn timing_mut(&mut self) -> &mut u32 {
        match self {
            SynthEvent::NoteOn { timing, .. }
            | SynthEvent::NoteOff { timing, .. }
            | SynthEvent::Choke { timing, .. }
            | SynthEvent::PolyModulation { timing, .. }
            | SynthEvent::PitchBend { timing, .. }
            | SynthEvent::ChannelPressure { timing, .. }
            | SynthEvent::Control { timing, .. }
            | SynthEvent::Expression { timing, .. }
            | SynthEvent::AllNotesOff { timing }
            | SynthEvent::AllSoundOff { timing } => timing,
        }
    }
}

/// A voice that finished, for the host (CLAP needs this for polyphonic modulation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceEnd {
    /// Sample offset in the block.
    pub timing: u32,
    /// The host's note id, `None` when the host started the note without one
    /// (plain MIDI): then the host must hear no id back.
    pub voice_id: Option<i32>,
    /// MIDI channel.
    pub channel: u8,
    /// MIDI key.
    pub key: u8,
}

/// Host transport facts the synth uses (tempo sync of the LFO).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transport {
    /// Tempo in beats per minute.
    pub tempo: f64,
    /// Song position in quarter notes at the block's first sample, when playing.
    pub position_beats: Option<f64>,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            tempo: 120.0,
            position_beats: None,
        }
    }
}

/// Where [`crate::Synth::process`] takes its events from and reports ended voices to.
pub trait EventIo {
    /// The next event of the block, in timing order.
    fn next_event(&mut self) -> Option<SynthEvent>;
    /// A voice finished; hosts with polyphonic modulation need to hear of it.
    fn voice_ended(&mut self, end: VoiceEnd);
}

/// An [`EventIo`] over a slice of events that counts ended voices and keeps
/// them in a buffer reserved up front (it never grows past its capacity, so
/// it does not allocate while processing).
#[derive(Debug)]
pub struct SliceEvents<'a> {
    events: std::slice::Iter<'a, SynthEvent>,
    /// Every voice end reported, up to the buffer's capacity.
    pub ended: Vec<VoiceEnd>,
    /// How many voice ends were reported in total.
    pub ended_count: usize,
}

impl<'a> SliceEvents<'a> {
    /// Events from `events`, keeping up to `capacity` voice ends.
    pub fn new(events: &'a [SynthEvent], capacity: usize) -> Self {
        Self {
            events: events.iter(),
            ended: Vec::with_capacity(capacity),
            ended_count: 0,
        }
    }
}

impl EventIo for SliceEvents<'_> {
    fn next_event(&mut self) -> Option<SynthEvent> {
        self.events.next().copied()
    }

    fn voice_ended(&mut self, end: VoiceEnd) {
        self.ended_count += 1;
        if self.ended.len() < self.ended.capacity() {
            self.ended.push(end);
        }
    }
}

/// Note ids of notes played from the editor: `EDITOR_VOICE_IDS + key`. The
/// host never hears of their ends (it did not start them).
pub const EDITOR_VOICE_IDS: i32 = i32::MIN;

/// Whether a note id belongs to a note played from the editor.
pub fn is_editor_voice(voice_id: Option<i32>) -> bool {
    voice_id.is_some_and(|id| (EDITOR_VOICE_IDS..EDITOR_VOICE_IDS + 128).contains(&id))
}

/// Notes played from the editor (its on-screen and computer keyboard): the
/// GUI thread pushes, the audio thread takes them at the start of its next
/// block, ahead of the host's events. Lock-free and bounded (a full inbox
/// drops the newest note).
#[derive(Debug, Clone)]
pub struct NoteInbox(std::sync::Arc<crossbeam::queue::ArrayQueue<SynthEvent>>);

impl Default for NoteInbox {
    fn default() -> Self {
        Self(std::sync::Arc::new(crossbeam::queue::ArrayQueue::new(256)))
    }
}

impl NoteInbox {
    /// Queues `event` for the next block (its timing is ignored); false when full.
    pub fn push(&self, event: SynthEvent) -> bool {
        self.0.push(event).is_ok()
    }

    /// The oldest queued event, with timing 0.
    pub fn pop(&self) -> Option<SynthEvent> {
        self.0.pop().map(|mut e| {
            *e.timing_mut() = 0;
            e
        })
    }
}

/// An [`EventIo`] that yields the editor's queued notes first, then `inner`'s events.
pub struct WithInbox<'a, E: EventIo> {
    inbox: Option<&'a NoteInbox>,
    inner: E,
}

impl<'a, E: EventIo> WithInbox<'a, E> {
    /// `inner`'s events after everything waiting in `inbox` (none when `None`).
    pub fn new(inbox: Option<&'a NoteInbox>, inner: E) -> Self {
        Self { inbox, inner }
    }
}

impl<E: EventIo> EventIo for WithInbox<'_, E> {
    fn next_event(&mut self) -> Option<SynthEvent> {
        if let Some(e) = self.inbox.and_then(NoteInbox::pop) {
            return Some(e);
        }
        self.inbox = None;
        self.inner.next_event()
    }

    fn voice_ended(&mut self, end: VoiceEnd) {
        self.inner.voice_ended(end);
    }
}
