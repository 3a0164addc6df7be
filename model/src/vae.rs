//! The variational autoencoder: architecture and forward passes.
//!
//! A frame is represented by the levels of its first [`HARMONICS`] harmonics
//! in dB re its strongest harmonic, floored at [`crate::levels::FLOOR_DB`] and
//! scaled to `0..1` (0 = the floor, 1 = the strongest harmonic; see
//! [`crate::levels`]). Phases are not learnt: a decoded frame takes its
//! phases from the exact source it was moved from, from its anchors, or a
//! fixed default (see `crate::levels`). The loss is the error the
//! evaluation measures, in dB.
//!
//! Both halves are a linear path plus a small multilayer perceptron beside
//! it. Training starts the linear paths at the principal components of the
//! training frames' levels (whitened, so the latent starts as the PCA
//! coordinates in units of their standard deviation) and the perceptrons'
//! last layers at zero, so the network starts as the linear baseline and
//! training only moves it from there.
//!
//! - Encoder: levels → (linear → μ) + (512 → 256, GELU → μ correction, log σ²).
//! - Decoder: latent → (linear → levels) + (512 → 512, GELU → level correction).
//!
//! GELU in its erf form (the tanh approximation is 20× slower in candle on CPU).

use candle_core::{Module, Result, Tensor, D};
use candle_nn::Linear;

/// Latent dimensions.
pub const LATENT: usize = 64;
/// Harmonics the model represents.
pub const HARMONICS: usize = 512;
/// Numbers per frame as the dataset stores it: the cosine and sine amplitude
/// of each harmonic (the network's levels are computed from them).
pub const COEFFS: usize = 2 * HARMONICS;
/// Hidden widths of the encoder's perceptron.
pub const ENCODER_HIDDEN: [usize; 2] = [512, 256];
/// Hidden widths of the decoder's perceptron.
pub const DECODER_HIDDEN: [usize; 2] = [512, 512];

/// Names and shapes (out, in) of every linear layer, in a fixed order.
pub fn layer_shapes() -> Vec<(&'static str, usize, usize)> {
    vec![
        ("encoder.skip", LATENT, HARMONICS),
        ("encoder.l1", ENCODER_HIDDEN[0], HARMONICS),
        ("encoder.l2", ENCODER_HIDDEN[1], ENCODER_HIDDEN[0]),
        ("encoder.head", 2 * LATENT, ENCODER_HIDDEN[1]),
        ("decoder.skip", HARMONICS, LATENT),
        ("decoder.l1", DECODER_HIDDEN[0], LATENT),
        ("decoder.l2", DECODER_HIDDEN[1], DECODER_HIDDEN[0]),
        ("decoder.out", HARMONICS, DECODER_HIDDEN[1]),
    ]
}

/// The network, made of eight linear layers.
#[derive(Debug, Clone)]
pub struct Vae {
    layers: Vec<Linear>,
}

impl Vae {
    /// Builds the network from weights `(name.weight [out, in], name.bias [out])`
    /// given in [`layer_shapes`] order.
    pub fn from_layers(layers: Vec<(Tensor, Tensor)>) -> Self {
        Self {
            layers: layers
                .into_iter()
                .map(|(w, b)| Linear::new(w, Some(b)))
                .collect(),
        }
    }

    /// The same network with its weights copied to `device`.
    pub fn to_device(&self, device: &candle_core::Device) -> Result<Self> {
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let w = l.weight().to_device(device)?;
                let b = l.bias().map(|b| b.to_device(device)).transpose()?;
                Ok(Linear::new(w, b))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { layers })
    }

    /// Encoder: scaled level rows `[B, HARMONICS]` to `(μ, log σ²)`, each `[B, LATENT]`.
    pub fn encode(&self, levels: &Tensor) -> Result<(Tensor, Tensor)> {
        let linear = self.layers[0].forward(levels)?;
        let h = self.layers[1].forward(levels)?.gelu_erf()?;
        let h = self.layers[2].forward(&h)?.gelu_erf()?;
        let out = self.layers[3].forward(&h)?;
        let mu = (linear + out.narrow(D::Minus1, 0, LATENT)?)?;
        let logvar = out.narrow(D::Minus1, LATENT, LATENT)?.clamp(-16f32, 8f32)?;
        Ok((mu, logvar))
    }

    /// Decoder: latents `[B, LATENT]` to scaled level rows `[B, HARMONICS]`.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        let linear = self.layers[4].forward(z)?;
        let h = self.layers[5].forward(z)?.gelu_erf()?;
        let h = self.layers[6].forward(&h)?.gelu_erf()?;
        linear + self.layers[7].forward(&h)?
    }
}
