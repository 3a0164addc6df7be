//! The first model's decoder, kept to migrate sounds saved with it.
//!
//! Model version 1 had a 16-number latent and decoded cosine/sine harmonic
//! coefficients. A preset or DAW session saved with it may hold an anchor as
//! such a latent, which means nothing to the current model. Its decoder (the
//! three layers 16 → 384 → 768 → 1024, GELU, weights stored as f16 in
//! `assets/legacy/model-v1-decoder.safetensors`, 2.2 MB) turns the latent back
//! into the cycle it stood for, and that cycle becomes the anchor: the sound
//! is kept, and the table now runs exactly through it.

use crate::families::{harmonics_to_frame, normalise};
use crate::model::ModelError;
use crate::Harmonics;
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::Linear;

/// Latent width of model version 1.
pub const V1_LATENT: usize = 16;
const V1_HARMONICS: usize = 512;
const V1_LAYERS: [(&str, usize, usize); 3] = [
    ("decoder.l1", 384, V1_LATENT),
    ("decoder.l2", 768, 384),
    ("decoder.out", 2 * V1_HARMONICS, 768),
];
const V1_DECODER: &[u8] = include_bytes!("../../assets/legacy/model-v1-decoder.safetensors");

/// Model version 1's decoder.
#[derive(Debug, Clone)]
pub struct V1Decoder {
    layers: Vec<Linear>,
}

impl V1Decoder {
    /// The embedded decoder (checked: names, shapes, finite values).
    pub fn embedded() -> Result<Self, ModelError> {
        let tensors = candle_core::safetensors::load_buffer(V1_DECODER, &Device::Cpu)
            .map_err(|e| ModelError::Format(e.to_string()))?;
        let mut layers = Vec::new();
        for (name, out, inp) in V1_LAYERS {
            let get = |part: &str, shape: &[usize]| -> Result<Tensor, ModelError> {
                let key = format!("{name}.{part}");
                let t = tensors
                    .get(&key)
                    .ok_or_else(|| ModelError::Missing(key.clone()))?
                    .to_dtype(DType::F32)?;
                if t.dims() != shape {
                    return Err(ModelError::Shape {
                        name: key,
                        expected: shape.to_vec(),
                        got: t.dims().to_vec(),
                    });
                }
                Ok(t)
            };
            layers.push(Linear::new(
                get("weight", &[out, inp])?,
                Some(get("bias", &[out])?),
            ));
        }
        Ok(Self { layers })
    }

    /// The cycle (2048 samples, peak-normalised) a version-1 latent stood for.
    pub fn cycle(&self, latent: &[f32]) -> Result<Vec<f32>, ModelError> {
        if latent.len() != V1_LATENT {
            return Err(ModelError::Argument(format!(
                "a model-1 latent has {V1_LATENT} values, got {}",
                latent.len()
            )));
        }
        if latent.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::Argument(
                "the model-1 latent holds a non-finite value".into(),
            ));
        }
        let z = Tensor::from_slice(latent, (1, V1_LATENT), &Device::Cpu)?;
        let h = self.layers[0].forward(&z)?.gelu_erf()?;
        let h = self.layers[1].forward(&h)?.gelu_erf()?;
        let row = self.layers[2]
            .forward(&h)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        let mut spectrum = Harmonics::silent();
        spectrum.cos[1..=V1_HARMONICS].copy_from_slice(&row[..V1_HARMONICS]);
        spectrum.sin[1..=V1_HARMONICS].copy_from_slice(&row[V1_HARMONICS..]);
        normalise(&mut spectrum, V1_HARMONICS);
        Ok(harmonics_to_frame(&spectrum))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Model 1's saw anchor latent (its encoding of the factory saw, as a
    /// version-1 preset stored it): the decoded cycle is still a saw.
    #[test]
    fn a_version_1_latent_decodes_to_the_cycle_it_stood_for() {
        let reference: Vec<f32> =
            serde_json::from_str(include_str!("../../assets/legacy/model-v1-saw-latent.json"))
                .unwrap();
        let cycle = V1Decoder::embedded().unwrap().cycle(&reference).unwrap();
        assert_eq!(cycle.len(), crate::FRAME_LEN);
        let h = Harmonics::from_cycle(&cycle);
        // A saw's harmonics fall as 1/h: check the first eight within 1.5 dB.
        for k in 2..=8 {
            let db = 20.0 * (h.magnitude(k) / h.magnitude(1)).log10();
            let want = -20.0 * (k as f32).log10();
            assert!(
                (db - want).abs() < 1.5,
                "harmonic {k}: {db:.2} dB, a saw has {want:.2}"
            );
        }
        assert!(V1Decoder::embedded().unwrap().cycle(&[0.0; 3]).is_err());
    }
}
