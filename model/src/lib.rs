//! nwt-model: the waveform side of Neural Wavetable.
//!
//! This crate knows single-cycle waveforms and, later, the autoencoder that
//! learns their space. It knows nothing of audio threads or plugin formats.
//!
//! - [`harmonics`]: the harmonic-spectrum representation every frame is built from.
//! - [`shapes`]: band-limited factory shapes (classic waves, pulses, additive spectra).

pub mod harmonics;
pub mod shapes;

pub use harmonics::Harmonics;
pub use shapes::Shape;

/// Samples in one single-cycle frame (the Serum/Vital frame size).
pub const FRAME_LEN: usize = 2048;

/// Highest harmonic a [`FRAME_LEN`]-sample frame can hold below its Nyquist bin.
pub const MAX_HARMONIC: usize = FRAME_LEN / 2 - 1;
