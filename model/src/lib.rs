//! nwt-model: the neural side of Neural Wavetable.
//!
//! This crate knows single-cycle waveforms and the autoencoder that learns
//! their space. It knows nothing of audio threads or plugin formats.
//!
//! - [`harmonics`]: the harmonic-spectrum representation every frame is built from.
//! - [`shapes`]: band-limited factory shapes (classic waves, pulses, additive spectra).
//! - [`families`]: seeded procedural waveform families for training.
//! - [`sf2`]: real instrument cycles cut from a SoundFont.
//! - [`dataset`]: the training set with disjoint splits.
//! - [`levels`]: the network's representation (harmonic levels in dB, phases apart);
//!   [`pca`]: principal components (the linear baseline, the network's initialisation).
//! - [`vae`]: the network; [`model`]: loading weights and the inference API;
//!   [`pacing`]: tables whose frames are evenly spaced in timbre; [`anchored`]:
//!   tables exact at their anchors' sources.
//! - [`legacy`]: the first model's decoder, to migrate sounds saved with it.
//! - [`eval`]: measuring a model; `train` (feature `train`): training in candle on the CPU.

pub mod anchored;
pub mod dataset;
pub mod eval;
pub mod families;
pub mod harmonics;
pub mod legacy;
pub mod levels;
pub mod model;
pub mod pacing;
pub mod pca;
pub mod rng;
pub mod semantic;
pub mod sf2;
pub mod shapes;
#[cfg(feature = "train")]
pub mod train;
pub mod vae;

pub use harmonics::Harmonics;
pub use model::{select_device, Latent, Model, ModelError, GPU_BUILD};
pub use shapes::Shape;

/// Samples in one single-cycle frame (the Serum/Vital frame size).
pub const FRAME_LEN: usize = 2048;

/// Highest harmonic a [`FRAME_LEN`]-sample frame can hold below its Nyquist bin.
pub const MAX_HARMONIC: usize = FRAME_LEN / 2 - 1;
