//! nwt-engine: everything real-time in Neural Wavetable.
//!
//! Wavetable sets with per-octave mip levels ([`wavetable`]), the oscillator
//! ([`oscillator`]), envelopes ([`envelope`]), the state-variable filter
//! ([`filter`]), the LFO ([`lfo`]), voices and the voice manager ([`voice`],
//! [`synth`]) and the synth's parameters ([`params`]). Nothing here draws a
//! GUI or knows a plugin format; the plugin crate wires it to nice-plug.
//!
//! Real-time rules (see docs/ARCHITECTURE.md): [`synth::Synth::process`] never allocates,
//! locks, blocks or does I/O. Everything that allocates (building tables,
//! creating the synth) happens before processing starts.

pub mod analysis;
pub mod anchors;
pub mod controllers;
pub mod effects;
pub mod envelope;
pub mod events;
pub mod factory;
pub mod filter;
pub mod lfo;
mod memo;
pub mod modulation;
pub mod neural;
pub mod offline;
pub mod oscillator;
pub mod params;
pub mod sources;
pub mod stable_enum;
pub mod synth;
pub mod table_quality;
pub mod telemetry;
pub mod tuning;
pub mod voice;
pub mod wavetable;

pub use events::{NoteExpression, NoteInbox, WithInbox};
pub use params::SynthParams;
pub use synth::{EventIo, SliceEvents, Synth, SynthEvent, Transport, VoiceEnd};
pub use wavetable::WavetableSet;

/// Samples in one frame of a wavetable.
pub const FRAME_LEN: usize = nwt_model::FRAME_LEN;
/// Most frames a wavetable set may hold.
pub const MAX_FRAMES: usize = 256;
/// Notes that can sound at once.
pub const MAX_VOICES: usize = 64;
/// Most unison oscillators per note.
pub const MAX_UNISON: usize = 16;
/// Modulation is computed once per control block of at most this many samples.
pub const CONTROL_BLOCK: usize = 32;
