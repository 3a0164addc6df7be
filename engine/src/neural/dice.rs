//! Dice: a new sound drawn at random from the model's space, reproducible by
//! seed (the same seed gives the same anchors, bit for bit).
//!
//! A draw stays on the data rather than anywhere in the prior: each of
//! anchors A and B is a random blend of two of the factory shapes' latents
//! (the encoder's reading of sine, saw, vowels, …), nudged by Gaussian noise
//! scaled to how far the shapes themselves spread in each latent direction.
//! The network's prior alone (a standard normal) lands far from where its
//! training put sounds (its latents sit hundreds of nats from it), and
//! decodes to faint or noisy cycles.

use super::anchors::{Anchor, AnchorShape, Anchors};
use nwt_model::rng::Rng;
use nwt_model::{Latent, Model, ModelError};

/// The noise on a drawn latent, as a share of the shapes' own spread.
const NUDGE: f32 = 0.25;

/// The anchors for dice seed `seed`.
pub fn dice(model: &Model, seed: u64) -> Result<Anchors, ModelError> {
    let shapes: Vec<Latent> = AnchorShape::ALL
        .iter()
        .map(|s| model.encode(&s.harmonics()))
        .collect::<Result<_, _>>()?;
    Ok(dice_from_shapes(&shapes, seed))
}

/// [`dice`] from the factory shapes' latents, in [`AnchorShape::ALL`]'s
/// order, as the encoder gives them (the worker reports them to the
/// editor: `WorkerStatus::shapes`). With fewer than two shapes, no anchors.
pub fn dice_from_shapes(shapes: &[Latent], seed: u64) -> Anchors {
    let mut anchors = Anchors {
        slots: Default::default(),
    };
    if shapes.len() < 2 {
        return anchors;
    }
    let dims = shapes[0].len();
    let count = shapes.len() as f32;
    let spread: Vec<f32> = (0..dims)
        .map(|d| {
            let mean = shapes.iter().map(|z| z[d]).sum::<f32>() / count;
            (shapes.iter().map(|z| (z[d] - mean).powi(2)).sum::<f32>() / count).sqrt()
        })
        .collect();
    let mut rng = Rng::new(seed);
    for (slot, name) in anchors.slots.iter_mut().zip(["A", "B"]) {
        let i = (rng.next_u64() % shapes.len() as u64) as usize;
        let j = (i + 1 + (rng.next_u64() % (shapes.len() as u64 - 1)) as usize) % shapes.len();
        let w = 0.2 + 0.6 * rng.uniform() as f32;
        let latent: Vec<f32> = (0..dims)
            .map(|d| {
                w * shapes[i][d] + (1.0 - w) * shapes[j][d] + NUDGE * spread[d] * rng.gaussian()
            })
            .collect();
        *slot = Some(Anchor::Latent {
            name: format!("dice {seed} {name}"),
            latent,
        });
    }
    anchors
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a decoded cycle is musical: audible, with a pitch (its first
    /// four harmonics not all 40 dB under its strongest; a bright formant
    /// may peak higher up, as a sung vowel's does) and a shape (its harmonic
    /// levels far from flat, as noise's would be).
    fn musical(levels: &[f32]) -> Result<(), String> {
        let energy: f32 = levels.iter().map(|a| a * a).sum();
        if energy < 1e-6 {
            return Err(format!("silent (energy {energy:e})"));
        }
        let (strongest, _) =
            levels
                .iter()
                .enumerate()
                .skip(1)
                .fold(
                    (0, 0.0f32),
                    |best, (h, &a)| if a > best.1 { (h, a) } else { best },
                );
        if strongest == 0 {
            return Err("nothing but DC".into());
        }
        let top = levels[strongest];
        if levels.iter().take(5).all(|&a| a < 0.01 * top) {
            return Err("no low harmonics (no pitch)".into());
        }
        let power: Vec<f64> = levels
            .iter()
            .skip(1)
            .map(|&a| f64::from(a * a) + 1e-20)
            .collect();
        let n = power.len() as f64;
        let geometric = (power.iter().map(|p| p.ln()).sum::<f64>() / n).exp();
        let arithmetic = power.iter().sum::<f64>() / n;
        let flatness = geometric / arithmetic;
        if flatness > 0.3 {
            return Err(format!("noise-like (flatness {flatness:.2})"));
        }
        Ok(())
    }

    #[test]
    fn the_same_seed_draws_the_same_sound_and_every_draw_is_musical() {
        let model = Model::embedded().expect("the shipped weights load");
        // The measure has teeth: the factory shapes pass, white noise fails.
        for shape in AnchorShape::ALL {
            let h = shape.harmonics();
            let levels: Vec<f32> = (0..h.cos.len()).map(|k| h.magnitude(k)).collect();
            musical(&levels).unwrap_or_else(|why| panic!("{shape:?}: {why}"));
        }
        let mut rng = Rng::new(1);
        let noise: Vec<f32> = (0..257)
            .map(|_| 0.01 * (1.0 + 0.2 * rng.gaussian()))
            .collect();
        assert!(musical(&noise).is_err(), "flat harmonics pass as music");
        assert_eq!(dice(&model, 7).unwrap(), dice(&model, 7).unwrap());
        assert_ne!(dice(&model, 7).unwrap(), dice(&model, 8).unwrap());
        let mut latents = Vec::new();
        for seed in 0..300u64 {
            for anchor in dice(&model, seed).unwrap().slots.iter().flatten() {
                let Anchor::Latent { latent, .. } = anchor else {
                    panic!("a drawn anchor is a latent");
                };
                latents.push((seed, latent.clone()));
            }
        }
        let zs: Vec<Latent> = latents
            .iter()
            .map(|(_, z)| std::array::from_fn(|d| z[d]))
            .collect();
        let frames = model.decode(&zs).unwrap();
        for ((seed, _), frame) in latents.iter().zip(&frames) {
            let levels: Vec<f32> = (0..frame.cos.len()).map(|h| frame.magnitude(h)).collect();
            if let Err(why) = musical(&levels) {
                panic!("dice {seed}: {why}");
            }
        }
    }
}
