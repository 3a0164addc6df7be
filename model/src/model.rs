//! The trained model: loading and validating weights, and the inference API
//! (batched decode, encode, macro knobs, tables along a path of anchors).

use crate::anchored::{self, Residual};
use crate::families::{align_phase, normalise};
use crate::levels;
use crate::pacing::{self, PathPosition};
use crate::vae::{layer_shapes, Vae, COEFFS, HARMONICS, LATENT};
use crate::Harmonics;
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::Path;

/// A point in the latent space.
pub type Latent = [f32; LATENT];
/// Number of macro knobs.
pub const MACROS: usize = 8;
/// Weights format version this build reads and writes.
pub const WEIGHTS_VERSION: u32 = 2;
/// Latents decoded per forward pass (candle is fastest on CPU in chunks of this size).
const CHUNK: usize = 64;
/// Most anchors a table path may have.
pub const MAX_ANCHORS: usize = 4;
/// Most frames a table may have.
pub const MAX_TABLE_FRAMES: usize = 256;

#[cfg(nwt_embedded_weights)]
const EMBEDDED: Option<&[u8]> = Some(include_bytes!(env!("NWT_WEIGHTS")));
#[cfg(not(nwt_embedded_weights))]
const EMBEDDED: Option<&[u8]> = None;

/// Picks the device inference should run on: with `prefer_gpu` and a GPU back
/// end compiled in (cargo feature `cuda` or `metal`), the first GPU that
/// answers; otherwise, or when none does, the CPU. Returns the device and a
/// name for logs and the GUI ("CPU", "CUDA 0", "Metal 0").
pub fn select_device(prefer_gpu: bool) -> (Device, String) {
    if prefer_gpu {
        #[cfg(feature = "cuda")]
        if let Ok(device) = Device::new_cuda(0) {
            return (device, "CUDA 0".to_string());
        }
        #[cfg(feature = "metal")]
        if let Ok(device) = Device::new_metal(0) {
            return (device, "Metal 0".to_string());
        }
    }
    (Device::Cpu, "CPU".to_string())
}

/// Whether this build has a GPU back end compiled in.
pub const GPU_BUILD: bool = cfg!(any(feature = "cuda", feature = "metal"));

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read.
    #[error("cannot read weights file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a safetensors file.
    #[error("not a weights file (safetensors): {0}")]
    Format(String),
    /// A tensor the model needs is absent.
    #[error("weights file lacks tensor `{0}`")]
    Missing(String),
    /// A tensor of the wrong shape.
    #[error("tensor `{name}` has shape {got:?}, expected {expected:?}")]
    Shape {
        /// The tensor.
        name: String,
        /// What the model needs.
        expected: Vec<usize>,
        /// What the file holds.
        got: Vec<usize>,
    },
    /// A tensor of the wrong element type.
    #[error("tensor `{name}` is {got}, expected f32")]
    DType {
        /// The tensor.
        name: String,
        /// Its type.
        got: String,
    },
    /// Written for another version of the model.
    #[error("weights format version {got}, this build reads version {WEIGHTS_VERSION}")]
    Version {
        /// The file's version.
        got: f32,
    },
    /// A weight that is NaN or infinite.
    #[error("tensor `{0}` holds NaN or infinite values")]
    NonFinite(String),
    /// No weights were embedded in this build.
    #[error(
        "this build has no embedded model (assets/model.safetensors was missing when it was built)"
    )]
    NoEmbeddedWeights,
    /// Bad arguments to a model call.
    #[error("{0}")]
    Argument(String),
    /// An error inside candle.
    #[error("inference failed: {0}")]
    Candle(#[from] candle_core::Error),
}

/// The 8 macro knobs: the top principal directions of the training latents.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroAxes {
    /// Mean of the training latents.
    pub mean: Latent,
    /// Unit directions, strongest first.
    pub axes: [Latent; MACROS],
    /// Standard deviation of the training latents along each direction.
    pub sigma: [f32; MACROS],
}

/// A loaded autoencoder.
#[derive(Debug, Clone)]
pub struct Model {
    vae: Vae,
    device: Device,
    macros: MacroAxes,
    id: String,
}

fn tensor_names() -> Vec<(String, Vec<usize>)> {
    let mut names = Vec::new();
    for (layer, out, inp) in layer_shapes() {
        names.push((format!("{layer}.weight"), vec![out, inp]));
        names.push((format!("{layer}.bias"), vec![out]));
    }
    names.push(("macros.mean".into(), vec![LATENT]));
    names.push(("macros.axes".into(), vec![MACROS, LATENT]));
    names.push(("macros.sigma".into(), vec![MACROS]));
    names
}

/// The id of the model embedded in this build (see [`Model::id`]), without loading it.
pub fn embedded_id() -> Option<String> {
    static ID: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    ID.get_or_init(|| EMBEDDED.map(fingerprint)).clone()
}

/// FNV-1a hash of the weights, as the model's id.
fn fingerprint(bytes: &[u8]) -> String {
    format!(
        "nwt-vae-v{WEIGHTS_VERSION}-{:016x}",
        crate::rng::fnv1a(bytes)
    )
}

fn checked(
    tensors: &HashMap<String, Tensor>,
    name: &str,
    shape: &[usize],
) -> Result<Tensor, ModelError> {
    let t = tensors
        .get(name)
        .ok_or_else(|| ModelError::Missing(name.to_string()))?;
    if t.dtype() != DType::F32 {
        return Err(ModelError::DType {
            name: name.to_string(),
            got: format!("{:?}", t.dtype()),
        });
    }
    if t.dims() != shape {
        return Err(ModelError::Shape {
            name: name.to_string(),
            expected: shape.to_vec(),
            got: t.dims().to_vec(),
        });
    }
    if t.flatten_all()?
        .to_vec1::<f32>()?
        .iter()
        .any(|v| !v.is_finite())
    {
        return Err(ModelError::NonFinite(name.to_string()));
    }
    Ok(t.clone())
}

impl Model {
    /// The model shipped in assets/ and embedded in the binary.
    pub fn embedded() -> Result<Self, ModelError> {
        Self::from_bytes(EMBEDDED.ok_or(ModelError::NoEmbeddedWeights)?)
    }

    /// Loads a weights file (safetensors), checking version, names, shapes, dtypes and values.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }

    /// Loads weights from memory (see [`Model::load`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let device = Device::Cpu;
        let tensors = candle_core::safetensors::load_buffer(bytes, &device)
            .map_err(|e| ModelError::Format(e.to_string()))?;
        let version = tensors
            .get("meta.version")
            .ok_or_else(|| ModelError::Missing("meta.version".into()))?
            .to_dtype(DType::F32)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        if version.first() != Some(&(WEIGHTS_VERSION as f32)) {
            return Err(ModelError::Version {
                got: version.first().copied().unwrap_or(f32::NAN),
            });
        }
        let mut checked_tensors = HashMap::new();
        for (name, shape) in tensor_names() {
            checked_tensors.insert(name.clone(), checked(&tensors, &name, &shape)?);
        }
        let layers = layer_shapes()
            .into_iter()
            .map(|(layer, _, _)| {
                (
                    checked_tensors[&format!("{layer}.weight")].clone(),
                    checked_tensors[&format!("{layer}.bias")].clone(),
                )
            })
            .collect();
        let row = |name: &str| -> Result<Vec<f32>, ModelError> {
            Ok(checked_tensors[name].flatten_all()?.to_vec1::<f32>()?)
        };
        let mean = row("macros.mean")?;
        let axes = row("macros.axes")?;
        let sigma = row("macros.sigma")?;
        let macros = MacroAxes {
            mean: std::array::from_fn(|i| mean[i]),
            axes: std::array::from_fn(|k| std::array::from_fn(|i| axes[k * LATENT + i])),
            sigma: std::array::from_fn(|k| sigma[k]),
        };
        Ok(Self {
            vae: Vae::from_layers(layers),
            device,
            macros,
            id: fingerprint(bytes),
        })
    }

    /// Builds a model from an already-checked network (training uses this).
    pub fn from_parts(vae: Vae, macros: MacroAxes, id: String) -> Self {
        Self {
            vae,
            device: Device::Cpu,
            macros,
            id,
        }
    }

    /// The same model running on `device` (weights copied there).
    pub fn to_device(&self, device: &Device) -> Result<Self, ModelError> {
        Ok(Self {
            vae: self.vae.to_device(device)?,
            device: device.clone(),
            macros: self.macros.clone(),
            id: self.id.clone(),
        })
    }

    /// The device inference runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The model's id (format version and a hash of its weights), stored in presets.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The macro axes.
    pub fn macros(&self) -> &MacroAxes {
        &self.macros
    }

    /// The underlying network.
    pub fn vae(&self) -> &Vae {
        &self.vae
    }

    /// Decodes latents into band-limited, DC-free, peak-normalised spectra, in
    /// batches of up to 64 latents per forward pass.
    pub fn decode(&self, latents: &[Latent]) -> Result<Vec<Harmonics>, ModelError> {
        let mut out = self.decode_unnormalised(latents)?;
        for h in &mut out {
            normalise(h, HARMONICS);
        }
        Ok(out)
    }

    /// Decodes latents into spectra as the network outputs them: band-limited
    /// to [`HARMONICS`], DC-free, every harmonic in sine phase (the network
    /// decodes levels, not phases; see [`crate::levels`]), a faint floor of
    /// upper harmonics lowered as in every table ([`anchored::clean_floor`]), levels re the
    /// strongest harmonic at 0 dB but not peak-normalised (for callers that
    /// normalise anyway, such as wavetable building, which saves an inverse
    /// FFT per frame).
    pub fn decode_unnormalised(&self, latents: &[Latent]) -> Result<Vec<Harmonics>, ModelError> {
        Ok(self
            .decode_levels(latents)?
            .iter()
            .map(|l| {
                // As a table frame with no source plays it: the decoder's
                // faint floor lowered (`anchored::clean_floor`).
                let mut h = levels::spectrum(l, None);
                anchored::clean_floor(&mut h, |_| 0.0);
                h
            })
            .collect())
    }

    /// Decodes latents into the levels of harmonics `1..=HARMONICS` in dB re
    /// the strongest, floored at [`levels::FLOOR_DB`] (which is silence), in
    /// batches of up to 64 latents per forward pass.
    pub fn decode_levels(&self, latents: &[Latent]) -> Result<Vec<Vec<f32>>, ModelError> {
        let mut out = Vec::with_capacity(latents.len());
        for chunk in latents.chunks(CHUNK) {
            let flat: Vec<f32> = chunk
                .iter()
                .flat_map(|z| z.iter().map(|v| if v.is_finite() { *v } else { 0.0 }))
                .collect();
            let z = Tensor::from_vec(flat, (chunk.len(), LATENT), &self.device)?;
            let rows = self.vae.decode(&z)?.to_vec2::<f32>()?;
            out.extend(rows.iter().map(|row| levels::from_unit(row)));
        }
        Ok(out)
    }

    /// Encodes one frame (its spectrum; normalised and phase-aligned first) to
    /// the mean of its latent distribution.
    pub fn encode(&self, frame: &Harmonics) -> Result<Latent, ModelError> {
        Ok(self.encode_batch(std::slice::from_ref(frame))?[0])
    }

    /// A frame as the encoder takes it and the decoder reproduces it:
    /// phase-aligned, band-limited to [`HARMONICS`], DC-free, peak-normalised.
    pub fn canonical(frame: &Harmonics) -> Harmonics {
        let mut h = frame.clone();
        align_phase(&mut h);
        normalise(&mut h, HARMONICS);
        h
    }

    /// The residual of `source` (taken as the encoder sees it:
    /// [`Model::canonical`]) at `latent`, its encoding: one one-row decode.
    pub fn residual(&self, source: &Harmonics, latent: &Latent) -> Result<Residual, ModelError> {
        let canonical = Self::canonical(source);
        let decoded = &self.decode_levels(std::slice::from_ref(latent))?[0];
        Ok(Residual::between(&canonical, decoded))
    }

    /// A frame as the encoder takes it: the scaled levels
    /// ([`levels::to_unit`]) of its canonical spectrum.
    pub fn input_levels(frame: &Harmonics) -> Vec<f32> {
        levels::to_unit(&levels::levels_db(&Self::canonical(frame)))
    }

    /// Encodes many frames at once.
    pub fn encode_batch(&self, frames: &[Harmonics]) -> Result<Vec<Latent>, ModelError> {
        let mut out = Vec::with_capacity(frames.len());
        for chunk in frames.chunks(CHUNK) {
            let flat: Vec<f32> = chunk.iter().flat_map(Self::input_levels).collect();
            let x = Tensor::from_vec(flat, (chunk.len(), HARMONICS), &self.device)?;
            let (mu, _) = self.vae.encode(&x)?;
            out.extend(
                mu.to_vec2::<f32>()?
                    .iter()
                    .map(|r| std::array::from_fn(|i| r[i])),
            );
        }
        Ok(out)
    }

    /// The latent for macro knob settings in `-1..=1` (each ±1 is ±3σ along its axis).
    pub fn macros_to_latent(&self, knobs: &[f32; MACROS]) -> Latent {
        let m = &self.macros;
        std::array::from_fn(|i| {
            m.mean[i]
                + (0..MACROS)
                    .map(|k| knobs[k].clamp(-1.0, 1.0) * 3.0 * m.sigma[k] * m.axes[k][i])
                    .sum::<f32>()
        })
    }

    /// The macro knob settings closest to a latent (its projection on the axes).
    pub fn latent_to_macros(&self, latent: &Latent) -> [f32; MACROS] {
        let m = &self.macros;
        std::array::from_fn(|k| {
            let along: f32 = (0..LATENT)
                .map(|i| (latent[i] - m.mean[i]) * m.axes[k][i])
                .sum();
            (along / (3.0 * m.sigma[k].max(1e-9))).clamp(-1.0, 1.0)
        })
    }

    /// Positions of `frames` frames on the piecewise-linear path through
    /// `anchors`, paced so that neighbouring frames differ by equal spectral
    /// steps within each segment (see [`crate::pacing`]; one batched decode of
    /// 32 points per segment measures the path). The network alone: see
    /// [`Model::paced_path_anchored`] for a path through anchors' sources.
    pub fn paced_path(
        &self,
        anchors: &[Latent],
        frames: usize,
    ) -> Result<Vec<PathPosition>, ModelError> {
        self.paced_path_anchored(anchors, &[], frames)
    }

    /// [`Model::paced_path`] for the frames [`anchored::frames`] makes with
    /// `residuals`: the pacing measures the table as it will sound.
    pub fn paced_path_anchored(
        &self,
        path: &[Latent],
        residuals: &[Option<Residual>],
        frames: usize,
    ) -> Result<Vec<PathPosition>, ModelError> {
        if path.is_empty() {
            return Err(ModelError::Argument(
                "a path needs at least one anchor".into(),
            ));
        }
        let segments = path.len() - 1;
        if segments == 0 || frames <= 2 {
            return Ok((0..frames)
                .map(|i| pacing::uniform_position(i, frames, path.len()))
                .collect());
        }
        let coarse_positions: Vec<PathPosition> = (0..segments)
            .flat_map(|s| {
                (0..pacing::PACING_STEPS).map(move |k| (s, k as f32 / pacing::PACING_STEPS as f32))
            })
            .chain(std::iter::once((segments - 1, 1.0)))
            .collect();
        let levels = self.decode_levels(&pacing::coarse_latents(path))?;
        // Spectral steps compare levels re each frame's strongest harmonic, so
        // the frames need no peak normalisation.
        let coarse = anchored::frames(&levels, &coarse_positions, residuals);
        Ok(pacing::paced_positions(&coarse, segments, frames))
    }

    /// The unnormalised frames at `positions` on the path through `path`,
    /// decoded in one batched call, with the anchors' `residuals` added
    /// ([`anchored::frames`]).
    pub fn anchored_frames(
        &self,
        path: &[Latent],
        residuals: &[Option<Residual>],
        positions: &[PathPosition],
    ) -> Result<Vec<Harmonics>, ModelError> {
        if path.is_empty() {
            return Err(ModelError::Argument(
                "a path needs at least one anchor".into(),
            ));
        }
        let latents: Vec<Latent> = positions
            .iter()
            .map(|&p| pacing::point_on(path, p))
            .collect();
        let levels = self.decode_levels(&latents)?;
        Ok(anchored::frames(&levels, positions, residuals))
    }

    /// A table of `frames` spectra along the piecewise-linear path through 1..=4
    /// anchors, paced evenly in timbre ([`Model::paced_path`]), its frames
    /// decoded in one batched call: the network alone, sine phase.
    pub fn table(&self, anchors: &[Latent], frames: usize) -> Result<Vec<Harmonics>, ModelError> {
        check_table(anchors.len(), frames)?;
        let positions = self.paced_path(anchors, frames)?;
        let mut out = self.anchored_frames(anchors, &[], &positions)?;
        out.iter_mut().for_each(|h| normalise(h, HARMONICS));
        Ok(out)
    }

    /// The table the synth plays for anchors given as waveforms: each source
    /// encoded, the path paced evenly in timbre as it sounds, every frame
    /// exact at its anchor ([`crate::anchored`]); peak-normalised.
    pub fn table_through(
        &self,
        sources: &[Harmonics],
        frames: usize,
    ) -> Result<Vec<Harmonics>, ModelError> {
        check_table(sources.len(), frames)?;
        let latents = self.encode_batch(sources)?;
        let residuals = sources
            .iter()
            .zip(&latents)
            .map(|(s, z)| self.residual(s, z).map(Some))
            .collect::<Result<Vec<_>, _>>()?;
        let positions = self.paced_path_anchored(&latents, &residuals, frames)?;
        let mut out = self.anchored_frames(&latents, &residuals, &positions)?;
        out.iter_mut().for_each(|h| normalise(h, HARMONICS));
        Ok(out)
    }
}

fn check_table(anchors: usize, frames: usize) -> Result<(), ModelError> {
    if anchors == 0 || anchors > MAX_ANCHORS {
        return Err(ModelError::Argument(format!(
            "a table needs 1..={MAX_ANCHORS} anchors, got {anchors}"
        )));
    }
    if frames == 0 || frames > MAX_TABLE_FRAMES {
        return Err(ModelError::Argument(format!(
            "a table needs 1..={MAX_TABLE_FRAMES} frames, got {frames}"
        )));
    }
    Ok(())
}

/// `frames` latents evenly spaced along the piecewise-linear path through `anchors`.
pub fn path_latents(anchors: &[Latent], frames: usize) -> Vec<Latent> {
    (0..frames)
        .map(|i| pacing::point_on(anchors, pacing::uniform_position(i, frames, anchors.len())))
        .collect()
}

/// A coefficient row `[cos_1..cos_H, sin_1..sin_H]` as a spectrum.
pub fn coeffs_to_harmonics(row: &[f32]) -> Harmonics {
    let mut h = Harmonics::silent();
    let n = HARMONICS.min(row.len() / 2);
    h.cos[1..=n].copy_from_slice(&row[..n]);
    h.sin[1..=n].copy_from_slice(&row[HARMONICS..HARMONICS + n]);
    h
}

/// A spectrum's first [`HARMONICS`] harmonics as a coefficient row.
pub fn harmonics_to_coeffs(h: &Harmonics) -> Vec<f32> {
    let mut row = vec![0.0; COEFFS];
    for k in 0..HARMONICS {
        row[k] = h.cos.get(k + 1).copied().unwrap_or(0.0);
        row[HARMONICS + k] = h.sin.get(k + 1).copied().unwrap_or(0.0);
    }
    row
}
