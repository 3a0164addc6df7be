//! The variational autoencoder: architecture and forward passes.
//!
//! A frame is represented by its first [`HARMONICS`] harmonics as
//! `[cos_1..cos_H, sin_1..sin_H]` (a canonical phase, see
//! `families::align_phase`), so the decoder is band-limited and DC-free by
//! construction and the waveform error is a plain sum of squares (Parseval).
//!
//! Encoder: coefficients and log magnitudes → 512 → 256 → (μ, log σ²), GELU.
//! Decoder: latent → 384 → 768 → coefficients, GELU (the erf form: the tanh
//! approximation is 20× slower in candle on CPU). About 1.8 M weights, 7 MB.

use candle_core::{Module, Result, Tensor, D};
use candle_nn::Linear;

/// Latent dimensions.
pub const LATENT: usize = 16;
/// Harmonics the model represents.
pub const HARMONICS: usize = 512;
/// Numbers per frame: cosine and sine amplitude of each harmonic.
pub const COEFFS: usize = 2 * HARMONICS;
/// Width of the encoder's input: coefficients plus log magnitudes.
pub const ENCODER_IN: usize = COEFFS + HARMONICS;
/// Hidden widths of the encoder.
pub const ENCODER_HIDDEN: [usize; 2] = [512, 256];
/// Hidden widths of the decoder.
pub const DECODER_HIDDEN: [usize; 2] = [384, 768];
/// Floor added to magnitudes before the log (-60 dB re a full-scale harmonic).
pub const LOG_FLOOR: f64 = 1e-3;

/// Names and shapes (out, in) of every linear layer, in a fixed order.
pub fn layer_shapes() -> Vec<(&'static str, usize, usize)> {
    vec![
        ("encoder.l1", ENCODER_HIDDEN[0], ENCODER_IN),
        ("encoder.l2", ENCODER_HIDDEN[1], ENCODER_HIDDEN[0]),
        ("encoder.head", 2 * LATENT, ENCODER_HIDDEN[1]),
        ("decoder.l1", DECODER_HIDDEN[0], LATENT),
        ("decoder.l2", DECODER_HIDDEN[1], DECODER_HIDDEN[0]),
        ("decoder.out", COEFFS, DECODER_HIDDEN[1]),
    ]
}

/// `ln(|X_h| + LOG_FLOOR)` for every harmonic of a batch of coefficient rows.
pub fn log_magnitude(coeffs: &Tensor) -> Result<Tensor> {
    let cos = coeffs.narrow(D::Minus1, 0, HARMONICS)?;
    let sin = coeffs.narrow(D::Minus1, HARMONICS, HARMONICS)?;
    let power = (cos.sqr()? + sin.sqr()?)?;
    // sqrt has an infinite slope at 0; a tiny offset keeps gradients finite.
    (power.affine(1.0, 1e-12)?.sqrt()? + LOG_FLOOR)?.log()
}

/// The network, made of six linear layers.
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

    /// Encoder: coefficient rows `[B, COEFFS]` to `(μ, log σ²)`, each `[B, LATENT]`.
    pub fn encode(&self, coeffs: &Tensor) -> Result<(Tensor, Tensor)> {
        let ln_floor = LOG_FLOOR.ln();
        let mags = log_magnitude(coeffs)?.affine(-1.0 / ln_floor, 1.0)?;
        let x = Tensor::cat(&[coeffs, &mags], D::Minus1)?;
        let h = self.layers[0].forward(&x)?.gelu_erf()?;
        let h = self.layers[1].forward(&h)?.gelu_erf()?;
        let out = self.layers[2].forward(&h)?;
        let mu = out.narrow(D::Minus1, 0, LATENT)?;
        let logvar = out.narrow(D::Minus1, LATENT, LATENT)?.clamp(-16f32, 8f32)?;
        Ok((mu, logvar))
    }

    /// Decoder: latents `[B, LATENT]` to coefficient rows `[B, COEFFS]`.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        let h = self.layers[3].forward(z)?.gelu_erf()?;
        let h = self.layers[4].forward(&h)?.gelu_erf()?;
        self.layers[5].forward(&h)
    }
}
