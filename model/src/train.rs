//! Training the autoencoder in pure Rust with candle on the CPU (feature `train`).
//!
//! The network starts as the linear baseline: its linear paths are the
//! principal components of the training frames' levels ([`Weights::init`]),
//! its perceptrons' last layers zero. The loss is the error the evaluation
//! measures: the mean absolute difference of harmonic levels in dB (scaled
//! levels, see [`crate::levels`]), harmonics below -60 dB re the strongest of
//! the target weighing [`QUIET_WEIGHT`] (they are inaudible beside it, but a
//! decoded floor of faint harmonics is not), plus a KL term weighted by β.
//! Everything random (initial weights, batch order, the reparameterisation
//! noise) comes from one seeded generator, so a run repeats exactly.

use crate::dataset::{Dataset, Example, Split};
use crate::levels::{self, FLOOR_DB};
use crate::model::{coeffs_to_harmonics, MacroAxes, Model, MACROS, WEIGHTS_VERSION};
use crate::pca::Pca;
pub use crate::rng::Rng;
use crate::vae::{layer_shapes, Vae, HARMONICS, LATENT};
use candle_core::{DType, Device, Result, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use std::collections::HashMap;
use std::path::Path;

/// Loss weight of a harmonic whose target level is below -60 dB re the strongest.
pub const QUIET_WEIGHT: f64 = 0.3;
/// Initial log σ² of the encoder (σ ≈ 0.02 of the latent's unit scale).
const INITIAL_LOGVAR: f32 = -8.0;

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Passes over the training split.
    pub epochs: usize,
    /// Frames per step.
    pub batch: usize,
    /// Peak learning rate (cosine decay to a tenth).
    pub learning_rate: f64,
    /// KL weight (per frame, against a loss in dB).
    pub beta: f64,
    /// Seed of everything random.
    pub seed: u64,
    /// Stop after this many seconds even if epochs remain.
    pub time_limit_s: f64,
    /// Loss weight of each family's frames (families not listed weigh 1).
    pub family_weights: Vec<(String, f64)>,
    /// Weights to start from (fine-tuning) instead of the PCA initialisation.
    pub init: Option<std::path::PathBuf>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 60,
            batch: 128,
            learning_rate: 1e-3,
            beta: 2e-4,
            seed: 2018,
            time_limit_s: 40.0 * 60.0,
            family_weights: Vec::new(),
            init: None,
        }
    }
}

/// Loss terms of one evaluation, averaged per frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Losses {
    /// Weighted sum.
    pub total: f32,
    /// Mean absolute level error in dB over every harmonic (quiet ones weighted down).
    pub level_db: f32,
    /// KL divergence to the unit Gaussian, nats per frame.
    pub kl: f32,
}

/// A training frame as the network sees it: scaled levels ([`levels::to_unit`]).
pub fn unit_levels(example: &Example) -> Vec<f32> {
    levels::to_unit(&levels::levels_db(&coeffs_to_harmonics(&example.coeffs)))
}

/// Every frame of one split as the network sees it ([`unit_levels`]).
pub fn split_levels(data: &Dataset, split: Split) -> Vec<Vec<f32>> {
    data.split(split).into_iter().map(unit_levels).collect()
}

/// Trainable weights: one (weight, bias) pair of [`Var`]s per layer.
pub struct Weights {
    vars: Vec<(String, Var)>,
}

impl Weights {
    /// The linear baseline with perceptrons beside it: the encoder's and
    /// decoder's linear paths are `pca`'s components (the encoder's whitened,
    /// so each latent number starts as a PCA coordinate over its standard
    /// deviation, and the decoder's scaled back); the perceptrons' hidden
    /// layers are PyTorch-style uniform ±1/√fan_in, their last layers zero
    /// (log σ² starts at -8). `pca` needs [`LATENT`] components of
    /// [`HARMONICS`]-long rows.
    pub fn init(rng: &mut Rng, pca: &Pca, device: &Device) -> Result<Self> {
        let mut vars = Vec::new();
        let sd: Vec<f64> = pca.variances.iter().map(|v| v.sqrt().max(1e-6)).collect();
        for (name, out, inp) in layer_shapes() {
            let (w, b): (Vec<f32>, Vec<f32>) = match name {
                "encoder.skip" => {
                    let w: Vec<f32> = (0..out * inp)
                        .map(|i| (pca.components[i / inp][i % inp] / sd[i / inp]) as f32)
                        .collect();
                    let b = (0..out)
                        .map(|j| {
                            -(0..inp)
                                .map(|i| pca.components[j][i] / sd[j] * pca.mean[i])
                                .sum::<f64>() as f32
                        })
                        .collect();
                    (w, b)
                }
                "decoder.skip" => {
                    let w = (0..out * inp)
                        .map(|i| (pca.components[i % inp][i / inp] * sd[i % inp]) as f32)
                        .collect();
                    (w, pca.mean.iter().map(|&m| m as f32).collect())
                }
                "encoder.head" => {
                    let b = (0..out)
                        .map(|j| if j < LATENT { 0.0 } else { INITIAL_LOGVAR })
                        .collect();
                    (vec![0.0; out * inp], b)
                }
                "decoder.out" => (vec![0.0; out * inp], vec![0.0; out]),
                _ => {
                    let bound = 1.0 / (inp as f64).sqrt();
                    let w = (0..out * inp)
                        .map(|_| ((rng.uniform() * 2.0 - 1.0) * bound) as f32)
                        .collect();
                    (w, vec![0.0; out])
                }
            };
            vars.push((
                format!("{name}.weight"),
                Var::from_tensor(&Tensor::from_vec(w, (out, inp), device)?)?,
            ));
            vars.push((
                format!("{name}.bias"),
                Var::from_tensor(&Tensor::from_vec(b, out, device)?)?,
            ));
        }
        Ok(Self { vars })
    }

    /// Weights read from a safetensors file written by [`save_weights`].
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        let mut tensors = candle_core::safetensors::load(path, device)?;
        let mut vars = Vec::new();
        for (name, out, inp) in layer_shapes() {
            for (part, shape) in [("weight", vec![out, inp]), ("bias", vec![out])] {
                let key = format!("{name}.{part}");
                let t = tensors.remove(&key).ok_or_else(|| {
                    candle_core::Error::Msg(format!("{} has no {key}", path.display()))
                })?;
                if t.dims() != shape.as_slice() {
                    return Err(candle_core::Error::Msg(format!(
                        "{key} is {:?}, the network needs {shape:?}",
                        t.dims()
                    )));
                }
                vars.push((key, Var::from_tensor(&t.to_dtype(DType::F32)?)?));
            }
        }
        Ok(Self { vars })
    }

    /// The network these weights make (sharing their storage, so gradients flow).
    pub fn vae(&self) -> Vae {
        Vae::from_layers(
            self.vars
                .chunks(2)
                .map(|p| (p[0].1.as_tensor().clone(), p[1].1.as_tensor().clone()))
                .collect(),
        )
    }

    /// Every variable, for the optimiser.
    pub fn all(&self) -> Vec<Var> {
        self.vars.iter().map(|(_, v)| v.clone()).collect()
    }

    /// The weights by tensor name.
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        self.vars
            .iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
            .collect()
    }
}

/// Stacks rows of scaled levels into a `[B, HARMONICS]` tensor.
pub fn batch_tensor(rows: &[&Vec<f32>], device: &Device) -> Result<Tensor> {
    let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_vec(flat, (rows.len(), HARMONICS), device)
}

/// The loss weight of each example ([`TrainConfig::family_weights`]), scaled
/// to mean 1.
pub fn example_weights(examples: &[&Example], config: &TrainConfig) -> Vec<f32> {
    let w: Vec<f32> = examples
        .iter()
        .map(|e| {
            config
                .family_weights
                .iter()
                .find(|(family, _)| *family == e.family)
                .map_or(1.0, |(_, w)| *w as f32)
        })
        .collect();
    let mean = w.iter().sum::<f32>() / w.len().max(1) as f32;
    w.iter().map(|v| v / mean.max(1e-12)).collect()
}

/// The loss of a batch of scaled levels `x`; `noise` is `[B, LATENT]`
/// standard normal (zeros to use the mean); `weights` (`[B]`, mean 1) weighs
/// each frame.
pub fn loss(
    vae: &Vae,
    x: &Tensor,
    noise: &Tensor,
    weights: Option<&Tensor>,
    beta: f64,
) -> Result<(Tensor, Losses)> {
    let (mu, logvar) = vae.encode(x)?;
    let z = (&mu + (noise * (&logvar * 0.5)?.exp()?)?)?;
    let y = vae.decode(&z)?;
    // Harmonics of the target above -60 dB weigh 1, quieter ones QUIET_WEIGHT.
    let audible = x
        .ge(1.0 - 60.0 / f64::from(-FLOOR_DB))?
        .to_dtype(DType::F32)?;
    let harmonic_weight = audible.affine(1.0 - QUIET_WEIGHT, QUIET_WEIGHT)?;
    let per_frame = ((&y - x)?.abs()? * harmonic_weight)?
        .mean(1)?
        .affine(f64::from(-FLOOR_DB), 0.0)?;
    let level = match weights {
        Some(w) => (per_frame * w)?.mean_all()?,
        None => per_frame.mean_all()?,
    };
    let kl_terms = ((logvar.exp()? + mu.sqr()?)? - logvar)?.affine(0.5, -0.5)?;
    let kl = kl_terms.sum(1)?.mean_all()?;
    let total = (&level + (&kl * beta)?)?;
    let parts = Losses {
        total: total.to_scalar::<f32>()?,
        level_db: level.to_scalar::<f32>()?,
        kl: kl.to_scalar::<f32>()?,
    };
    Ok((total, parts))
}

/// Progress of a training run, reported after every step.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Current epoch (0-based).
    pub epoch: usize,
    /// Step within the run.
    pub step: usize,
    /// Steps the run will take.
    pub total_steps: usize,
    /// Loss of the last step.
    pub train: Losses,
    /// Validation loss at the end of the last finished epoch.
    pub validation: Option<Losses>,
}

/// Mean losses over rows of scaled levels, with the latent mean (no sampling noise).
pub fn evaluate(vae: &Vae, rows: &[&Vec<f32>], beta: f64, device: &Device) -> Result<Losses> {
    let mut sum = Losses::default();
    let mut n = 0.0;
    for chunk in rows.chunks(256) {
        let x = batch_tensor(chunk, device)?;
        let noise = Tensor::zeros((chunk.len(), LATENT), DType::F32, device)?;
        let (_, l) = loss(vae, &x, &noise, None, beta)?;
        let w = chunk.len() as f32;
        sum.total += l.total * w;
        sum.level_db += l.level_db * w;
        sum.kl += l.kl * w;
        n += w;
    }
    Ok(Losses {
        total: sum.total / n,
        level_db: sum.level_db / n,
        kl: sum.kl / n,
    })
}

/// The PCA of the training split's scaled levels with [`LATENT`] components
/// (the network's initialisation).
pub fn levels_pca(data: &Dataset) -> Pca {
    let rows = split_levels(data, Split::Train);
    Pca::fit(&rows, LATENT)
}

/// Trains on the dataset's train split; returns the weights and the losses
/// (train, validation) per epoch.
pub fn train(
    data: &Dataset,
    config: &TrainConfig,
    mut on_progress: impl FnMut(Progress),
) -> Result<(Weights, Vec<(Losses, Losses)>)> {
    let device = Device::Cpu;
    let mut rng = Rng::new(config.seed);
    let weights = match &config.init {
        Some(path) => Weights::load(path, &device)?,
        None => Weights::init(&mut rng, &levels_pca(data), &device)?,
    };
    let vae = weights.vae();
    let train_rows = split_levels(data, Split::Train);
    let frame_weights = example_weights(&data.split(Split::Train), config);
    let validation_rows = split_levels(data, Split::Validation);
    let validation: Vec<&Vec<f32>> = validation_rows.iter().collect();
    let mut order: Vec<usize> = (0..train_rows.len()).collect();
    let steps_per_epoch = order.len().div_ceil(config.batch.max(1));
    let total_steps = steps_per_epoch * config.epochs;
    let mut opt = AdamW::new(
        weights.all(),
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: 0.0,
            ..Default::default()
        },
    )?;
    let started = std::time::Instant::now();
    let mut history = Vec::new();
    let mut last_validation = None;
    let mut step = 0;
    'epochs: for epoch in 0..config.epochs {
        rng.shuffle(&mut order);
        let mut epoch_loss = Losses::default();
        let mut batches = 0.0;
        for chunk in order.chunks(config.batch.max(1)) {
            let progress = step as f64 / total_steps.max(1) as f64;
            let lr = config.learning_rate
                * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            opt.set_learning_rate(lr);
            let rows: Vec<&Vec<f32>> = chunk.iter().map(|&i| &train_rows[i]).collect();
            let x = batch_tensor(&rows, &device)?;
            let noise: Vec<f32> = (0..chunk.len() * LATENT).map(|_| rng.gaussian()).collect();
            let noise = Tensor::from_vec(noise, (chunk.len(), LATENT), &device)?;
            let w = (!config.family_weights.is_empty())
                .then(|| {
                    let w: Vec<f32> = chunk.iter().map(|&i| frame_weights[i]).collect();
                    Tensor::from_vec(w, chunk.len(), &device)
                })
                .transpose()?;
            let (total, parts) = loss(&vae, &x, &noise, w.as_ref(), config.beta)?;
            opt.backward_step(&total)?;
            epoch_loss.total += parts.total;
            epoch_loss.level_db += parts.level_db;
            epoch_loss.kl += parts.kl;
            batches += 1.0;
            step += 1;
            on_progress(Progress {
                epoch,
                step,
                total_steps,
                train: parts,
                validation: last_validation,
            });
            if started.elapsed().as_secs_f64() > config.time_limit_s {
                break 'epochs;
            }
        }
        let mean = Losses {
            total: epoch_loss.total / batches,
            level_db: epoch_loss.level_db / batches,
            kl: epoch_loss.kl / batches,
        };
        let val = evaluate(&vae, &validation, config.beta, &device)?;
        last_validation = Some(val);
        history.push((mean, val));
    }
    Ok((weights, history))
}

/// The macro axes: the 8 strongest principal directions of the training
/// split's latent means.
pub fn macro_axes(vae: &Vae, data: &Dataset) -> Result<MacroAxes> {
    let device = Device::Cpu;
    let rows = split_levels(data, Split::Train);
    let mut latents: Vec<Vec<f32>> = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(256) {
        let refs: Vec<&Vec<f32>> = chunk.iter().collect();
        let (mu, _) = vae.encode(&batch_tensor(&refs, &device)?)?;
        latents.extend(mu.to_vec2::<f32>()?);
    }
    let pca = Pca::fit(&latents, MACROS);
    Ok(MacroAxes {
        mean: std::array::from_fn(|i| pca.mean[i] as f32),
        axes: std::array::from_fn(|k| std::array::from_fn(|i| pca.components[k][i] as f32)),
        sigma: std::array::from_fn(|k| pca.variances[k].sqrt() as f32),
    })
}

/// Writes the weights, macro axes and format version as safetensors.
pub fn save_weights(weights: &Weights, macros: &MacroAxes, path: &Path) -> Result<()> {
    let device = Device::Cpu;
    let mut tensors = weights.tensors();
    tensors.insert(
        "macros.mean".into(),
        Tensor::from_slice(&macros.mean, LATENT, &device)?,
    );
    let axes: Vec<f32> = macros.axes.iter().flatten().copied().collect();
    tensors.insert(
        "macros.axes".into(),
        Tensor::from_vec(axes, (MACROS, LATENT), &device)?,
    );
    tensors.insert(
        "macros.sigma".into(),
        Tensor::from_slice(&macros.sigma, MACROS, &device)?,
    );
    tensors.insert(
        "meta.version".into(),
        Tensor::from_slice(&[WEIGHTS_VERSION as f32], 1, &device)?,
    );
    candle_core::safetensors::save(&tensors, path)
}

/// Computes the macro axes and returns a ready model.
pub fn model_from_weights(weights: &Weights, data: &Dataset) -> Result<Model> {
    let vae = weights.vae();
    let macros = macro_axes(&vae, data)?;
    Ok(Model::from_parts(vae, macros, "unsaved".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::DatasetConfig;

    fn small_data() -> Dataset {
        Dataset::build(&DatasetConfig {
            per_family: 40,
            seed: 3,
            cycles_per_sample: 0,
            soundfont: None,
        })
        .unwrap()
    }

    #[test]
    fn training_starts_at_the_linear_baseline_improves_on_it_and_repeats_exactly() {
        let data = small_data();
        let config = TrainConfig {
            epochs: 12,
            batch: 64,
            seed: 11,
            ..TrainConfig::default()
        };
        let device = Device::Cpu;
        let rows = split_levels(&data, Split::Train);
        let refs: Vec<&Vec<f32>> = rows.iter().collect();
        let pca = levels_pca(&data);
        // The initial network reproduces the PCA reconstruction.
        let init = Weights::init(&mut Rng::new(1), &pca, &device).unwrap();
        let (mu, _) = init
            .vae()
            .encode(&batch_tensor(&refs[..4], &device).unwrap())
            .unwrap();
        let decoded = init.vae().decode(&mu).unwrap().to_vec2::<f32>().unwrap();
        for (row, got) in refs[..4].iter().zip(&decoded) {
            let want = pca.approximate(row);
            let worst = want
                .iter()
                .zip(got)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-3, "initial decode differs from PCA by {worst}");
        }
        let before = evaluate(&init.vae(), &refs, config.beta, &device).unwrap();
        let (weights, history) = train(&data, &config, |_| {}).unwrap();
        let after = evaluate(&weights.vae(), &refs, config.beta, &device).unwrap();
        println!("before {before:?}\nafter {after:?}");
        assert!(
            after.level_db < 0.8 * before.level_db,
            "{before:?} → {after:?}"
        );
        let (again, history2) = train(&data, &config, |_| {}).unwrap();
        assert_eq!(history, history2);
        assert_eq!(
            weights.tensors()["decoder.out.bias"]
                .to_vec1::<f32>()
                .unwrap(),
            again.tensors()["decoder.out.bias"]
                .to_vec1::<f32>()
                .unwrap()
        );
    }

    #[test]
    fn family_weights_scale_to_mean_one() {
        let data = Dataset::build(&DatasetConfig {
            per_family: 4,
            seed: 3,
            cycles_per_sample: 0,
            soundfont: None,
        })
        .unwrap();
        let all: Vec<&Example> = data.examples.iter().collect();
        let config = TrainConfig {
            family_weights: vec![("classic".into(), 8.0)],
            ..TrainConfig::default()
        };
        let w = example_weights(&all, &config);
        let mean = w.iter().sum::<f32>() / w.len() as f32;
        assert!((mean - 1.0).abs() < 1e-5);
        let of = |family: &str| {
            all.iter()
                .zip(&w)
                .find(|(e, _)| e.family == family)
                .map(|(_, w)| *w)
                .unwrap()
        };
        assert!((of("classic") / of("fm") - 8.0).abs() < 1e-4);
    }
}
