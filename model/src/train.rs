//! Training the autoencoder in pure Rust with candle on the CPU (feature `train`).
//!
//! Loss per frame: a waveform term (squared error of the harmonic
//! coefficients, which by Parseval is the time-domain mean squared error), a
//! spectral term (L1 distance of log magnitudes, floored at -60 dB) and a KL
//! term weighted by β, warmed up over the first epochs. Everything random
//! (initial weights, batch order, the reparameterisation noise) comes from one
//! seeded generator, so a run repeats exactly.

use crate::dataset::{Dataset, Example, Split};
use crate::model::{MacroAxes, Model, MACROS, WEIGHTS_VERSION};
pub use crate::rng::Rng;
use crate::vae::{layer_shapes, log_magnitude, Vae, COEFFS, LATENT};
use candle_core::{Device, Result, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use std::collections::HashMap;
use std::path::Path;

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Passes over the training split.
    pub epochs: usize,
    /// Frames per step.
    pub batch: usize,
    /// Peak learning rate (cosine decay to a tenth).
    pub learning_rate: f64,
    /// Final KL weight.
    pub beta: f64,
    /// Weight of the waveform term.
    pub wave_weight: f64,
    /// Weight of the spectral term.
    pub spectral_weight: f64,
    /// Seed of everything random.
    pub seed: u64,
    /// Stop after this many seconds even if epochs remain.
    pub time_limit_s: f64,
    /// Loss weight of each family's frames (families not listed weigh 1).
    pub family_weights: Vec<(String, f64)>,
    /// Weights to start from (fine-tuning) instead of a random initialisation;
    /// β then applies in full from the first step (no warm-up).
    pub init: Option<std::path::PathBuf>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 70,
            batch: 128,
            learning_rate: 1e-3,
            beta: 2e-3,
            wave_weight: 8.0,
            spectral_weight: 1.0,
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
    /// Time-domain mean squared error.
    pub wave: f32,
    /// Mean absolute log-magnitude error (natural log units).
    pub spectral: f32,
    /// KL divergence to the unit Gaussian.
    pub kl: f32,
}

/// Trainable weights: one (weight, bias) pair of [`Var`]s per layer.
pub struct Weights {
    vars: Vec<(String, Var)>,
}

impl Weights {
    /// PyTorch-style initialisation: uniform ±1/√fan_in weights, zero biases.
    pub fn init(rng: &mut Rng, device: &Device) -> Result<Self> {
        let mut vars = Vec::new();
        for (name, out, inp) in layer_shapes() {
            let bound = 1.0 / (inp as f64).sqrt();
            let w: Vec<f32> = (0..out * inp)
                .map(|_| ((rng.uniform() * 2.0 - 1.0) * bound) as f32)
                .collect();
            vars.push((
                format!("{name}.weight"),
                Var::from_tensor(&Tensor::from_vec(w, (out, inp), device)?)?,
            ));
            vars.push((
                format!("{name}.bias"),
                Var::zeros(out, candle_core::DType::F32, device)?,
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
                vars.push((
                    key,
                    Var::from_tensor(&t.to_dtype(candle_core::DType::F32)?)?,
                ));
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

/// Stacks examples into a `[B, COEFFS]` tensor.
pub fn batch_tensor(examples: &[&Example], device: &Device) -> Result<Tensor> {
    let flat: Vec<f32> = examples
        .iter()
        .flat_map(|e| e.coeffs.iter().copied())
        .collect();
    Tensor::from_vec(flat, (examples.len(), COEFFS), device)
}

/// The loss weight of each example ([`TrainConfig::family_weights`]), as a
/// `[B]` tensor scaled to mean 1.
pub fn example_weights(
    examples: &[&Example],
    config: &TrainConfig,
    device: &Device,
) -> Result<Tensor> {
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
    let w: Vec<f32> = w.iter().map(|v| v / mean.max(1e-12)).collect();
    Tensor::from_vec(w, examples.len(), device)
}

/// The loss of a batch; `noise` is `[B, LATENT]` standard normal (zeros to use
/// the mean); `weights` (`[B]`, mean 1) weighs each frame's reconstruction.
pub fn loss(
    vae: &Vae,
    x: &Tensor,
    noise: &Tensor,
    weights: Option<&Tensor>,
    config: &TrainConfig,
    beta: f64,
) -> Result<(Tensor, Losses)> {
    let (mu, logvar) = vae.encode(x)?;
    let z = (&mu + (noise * (&logvar * 0.5)?.exp()?)?)?;
    let y = vae.decode(&z)?;
    let per_frame_wave = ((&y - x)?.sqr()?.sum(1)? * 0.5)?;
    let per_frame_spectral = (log_magnitude(&y)? - log_magnitude(x)?)?.abs()?.mean(1)?;
    let (wave, spectral) = match weights {
        Some(w) => (
            (per_frame_wave * w)?.mean_all()?,
            (per_frame_spectral * w)?.mean_all()?,
        ),
        None => (per_frame_wave.mean_all()?, per_frame_spectral.mean_all()?),
    };
    let kl_terms = ((logvar.exp()? + mu.sqr()?)? - logvar)?.affine(0.5, -0.5)?;
    let kl = kl_terms.sum(1)?.mean_all()?;
    let total =
        ((&wave * config.wave_weight)? + (&spectral * config.spectral_weight)? + (&kl * beta)?)?;
    let parts = Losses {
        total: total.to_scalar::<f32>()?,
        wave: wave.to_scalar::<f32>()?,
        spectral: spectral.to_scalar::<f32>()?,
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

/// Mean losses over a split, with the latent mean (no sampling noise).
pub fn evaluate(
    vae: &Vae,
    examples: &[&Example],
    config: &TrainConfig,
    device: &Device,
) -> Result<Losses> {
    let mut sum = Losses::default();
    let mut n = 0.0;
    for chunk in examples.chunks(256) {
        let x = batch_tensor(chunk, device)?;
        let noise = Tensor::zeros((chunk.len(), LATENT), candle_core::DType::F32, device)?;
        let (_, l) = loss(vae, &x, &noise, None, config, config.beta)?;
        let w = chunk.len() as f32;
        sum.total += l.total * w;
        sum.wave += l.wave * w;
        sum.spectral += l.spectral * w;
        sum.kl += l.kl * w;
        n += w;
    }
    Ok(Losses {
        total: sum.total / n,
        wave: sum.wave / n,
        spectral: sum.spectral / n,
        kl: sum.kl / n,
    })
}

/// Trains on the dataset's train split; returns the weights and the losses per epoch.
pub fn train(
    data: &Dataset,
    config: &TrainConfig,
    mut on_progress: impl FnMut(Progress),
) -> Result<(Weights, Vec<(Losses, Losses)>)> {
    let device = Device::Cpu;
    let mut rng = Rng::new(config.seed);
    let weights = match &config.init {
        Some(path) => Weights::load(path, &device)?,
        None => Weights::init(&mut rng, &device)?,
    };
    let vae = weights.vae();
    let mut train_set = data.split(Split::Train);
    let validation = data.split(Split::Validation);
    let steps_per_epoch = train_set.len().div_ceil(config.batch.max(1));
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
        rng.shuffle(&mut train_set);
        let beta = match config.init {
            Some(_) => config.beta,
            None => config.beta * ((epoch as f64 + 1.0) / (config.epochs as f64 * 0.3)).min(1.0),
        };
        let mut epoch_loss = Losses::default();
        let mut batches = 0.0;
        for chunk in train_set.chunks(config.batch.max(1)) {
            let progress = step as f64 / total_steps.max(1) as f64;
            let lr = config.learning_rate
                * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
            opt.set_learning_rate(lr);
            let x = batch_tensor(chunk, &device)?;
            let noise: Vec<f32> = (0..chunk.len() * LATENT).map(|_| rng.gaussian()).collect();
            let noise = Tensor::from_vec(noise, (chunk.len(), LATENT), &device)?;
            let weights = (!config.family_weights.is_empty())
                .then(|| example_weights(chunk, config, &device))
                .transpose()?;
            let (total, parts) = loss(&vae, &x, &noise, weights.as_ref(), config, beta)?;
            opt.backward_step(&total)?;
            epoch_loss.total += parts.total;
            epoch_loss.wave += parts.wave;
            epoch_loss.spectral += parts.spectral;
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
            wave: epoch_loss.wave / batches,
            spectral: epoch_loss.spectral / batches,
            kl: epoch_loss.kl / batches,
        };
        let val = evaluate(&vae, &validation, config, &device)?;
        last_validation = Some(val);
        history.push((mean, val));
    }
    Ok((weights, history))
}

/// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations;
/// returns eigenvalues (descending) and unit eigenvectors.
pub fn symmetric_eigen(matrix: &[[f64; LATENT]; LATENT]) -> Vec<(f64, [f64; LATENT])> {
    let mut a = *matrix;
    let mut v = [[0.0f64; LATENT]; LATENT];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..LATENT)
            .flat_map(|i| (0..LATENT).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..LATENT {
            for q in p + 1..LATENT {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (rp, rq) = (a[p], a[q]);
                for k in 0..LATENT {
                    a[p][k] = c * rp[k] - s * rq[k];
                    a[q][k] = s * rp[k] + c * rq[k];
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut pairs: Vec<(f64, [f64; LATENT])> = (0..LATENT)
        .map(|i| (a[i][i], std::array::from_fn(|k| v[k][i])))
        .collect();
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    pairs
}

/// The macro axes: PCA of the latent means of the training split.
pub fn macro_axes(vae: &Vae, data: &Dataset) -> Result<MacroAxes> {
    let device = Device::Cpu;
    let train = data.split(Split::Train);
    let mut latents: Vec<[f64; LATENT]> = Vec::with_capacity(train.len());
    for chunk in train.chunks(256) {
        let (mu, _) = vae.encode(&batch_tensor(chunk, &device)?)?;
        for row in mu.to_vec2::<f32>()? {
            latents.push(std::array::from_fn(|i| f64::from(row[i])));
        }
    }
    let n = latents.len().max(1) as f64;
    let mean: [f64; LATENT] =
        std::array::from_fn(|i| latents.iter().map(|z| z[i]).sum::<f64>() / n);
    let mut cov = [[0.0f64; LATENT]; LATENT];
    for z in &latents {
        for i in 0..LATENT {
            for j in 0..LATENT {
                cov[i][j] += (z[i] - mean[i]) * (z[j] - mean[j]) / n;
            }
        }
    }
    let eigen = symmetric_eigen(&cov);
    Ok(MacroAxes {
        mean: std::array::from_fn(|i| mean[i] as f32),
        axes: std::array::from_fn(|k| std::array::from_fn(|i| eigen[k].1[i] as f32)),
        sigma: std::array::from_fn(|k| eigen[k].0.max(0.0).sqrt() as f32),
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

/// Trains, computes the macro axes and returns a ready model.
pub fn model_from_weights(weights: &Weights, data: &Dataset) -> Result<Model> {
    let vae = weights.vae();
    let macros = macro_axes(&vae, data)?;
    Ok(Model::from_parts(vae, macros, "unsaved".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::DatasetConfig;

    #[test]
    fn a_few_seeded_steps_lower_the_loss_and_repeat_exactly() {
        let data = Dataset::build(&DatasetConfig {
            per_family: 12,
            seed: 3,
            cycles_per_sample: 0,
            soundfont: None,
        })
        .unwrap();
        let config = TrainConfig {
            epochs: 30,
            batch: 32,
            seed: 11,
            ..TrainConfig::default()
        };
        let device = Device::Cpu;
        let train_set = data.split(Split::Train);
        let before = {
            let w = Weights::init(&mut Rng::new(config.seed), &device).unwrap();
            evaluate(&w.vae(), &train_set, &config, &device).unwrap()
        };
        let (weights, history) = train(&data, &config, |_| {}).unwrap();
        let after = evaluate(&weights.vae(), &train_set, &config, &device).unwrap();
        println!("before {before:?}\nafter {after:?}");
        assert!(after.wave < 0.7 * before.wave && after.spectral < before.spectral);
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
        let w = example_weights(&all, &config, &Device::Cpu)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
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

    #[test]
    fn jacobi_finds_eigenvectors() {
        let mut m = [[0.0f64; LATENT]; LATENT];
        for (i, row) in m.iter_mut().enumerate() {
            row[i] = (i + 1) as f64;
        }
        m[0][1] = 0.5;
        m[1][0] = 0.5;
        let eig = symmetric_eigen(&m);
        assert!((eig[0].0 - 16.0).abs() < 1e-9);
        for (value, vector) in &eig {
            let mv: Vec<f64> = (0..LATENT)
                .map(|i| (0..LATENT).map(|j| m[i][j] * vector[j]).sum())
                .collect();
            for i in 0..LATENT {
                assert!((mv[i] - value * vector[i]).abs() < 1e-9);
            }
        }
    }
}
