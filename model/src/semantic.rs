//! Knobs that speak a musician's language: five timbre descriptors computed
//! from a frame's harmonic levels, and for each a direction in the latent
//! space that moves it (and, as far as the data allows, only it).
//!
//! Descriptors (from the levels `L_k` in dB of harmonics `k = 1..=512`,
//! powers `p_k = 10^(L_k/10)`, 0 for a harmonic at the model's -80 dB floor):
//!
//! * **brightness**: where the upper partials sit: their power-weighted
//!   position in octaves above harmonic 4, `Σ_{k≥5} p_k·log2(k/4) /
//!   (Σ_{k≥5} p_k + 10⁻³·Σ p_k)` (0 for a sine, fading to 0 as the upper
//!   partials fall below -30 dB of the whole; apart from warmth by
//!   construction, which weighs harmonics 1–4 against the rest);
//! * **warmth**: the share of power in harmonics 1–4, `Σ_{k≤4} p_k / Σ p_k`;
//! * **richness**: `log2` of how many harmonics lie within 30 dB of the
//!   strongest (a soft count: each by a logistic of its distance to that line,
//!   3 dB wide);
//! * **odd/even balance**: the odd harmonics' share of the power above the
//!   fundamental, `Σ_{odd k≥3} p_k / Σ_{k≥2} p_k` (0.5 when there is none);
//! * **formant position**: `log2` of the harmonic where the spectral envelope
//!   (power averaged over a third of an octave around each harmonic) peaks,
//!   found as the centroid of `log2(k)` weighted by the squared envelope
//!   power (a soft maximum, smooth when two peaks trade places).
//!
//! Each is mapped to 0..1 between its 1st and 99th percentile over the
//! training set. The directions come from a ridge regression of the five
//! normalised descriptors on the training latents (`y ≈ c + B·z`, `B` 5×64);
//! the knob directions are the columns of `Bᵀ(BBᵀ)⁻¹`, so that to first order
//! a step along direction `j` moves descriptor `j` by its length and the others
//! not at all. `cargo xtask semantic` fits them and writes
//! `assets/semantic.json`, which is embedded here.

use crate::vae::LATENT;
use crate::Latent;
use serde::{Deserialize, Serialize};

/// Descriptors (and semantic knobs).
pub const DESCRIPTORS: usize = 5;

/// Their names, in order (also the knobs' parameter ids).
pub const NAMES: [&str; DESCRIPTORS] = ["brightness", "warmth", "richness", "odd_even", "formant"];

/// The upper partials' power below which brightness fades to 0, as a share
/// of the total power (-30 dB).
const BRIGHTNESS_FLOOR: f64 = 1e-3;

/// Levels this far below the strongest count for richness.
const RICHNESS_DB: f32 = 30.0;

/// How far (in normalised descriptor units) a knob at ±1 asks its descriptor
/// to move, to first order.
pub const KNOB_REACH: f32 = 0.4;

/// Longest latent move of one step of [`SemanticAxes::chart`].
const MAX_STEP: f32 = 0.5;

/// Levenberg–Marquardt iterations per chart point, as the synth computes its
/// charts (4 measured against 3: larger moves, the same independence; see
/// MODEL.md).
pub const CHART_ITERATIONS: usize = 4;

/// Latent step of the finite differences behind an anchor's own directions.
pub const LOCAL_STEP: f32 = 0.25;

/// The five raw descriptors of a frame given as levels in dB (index `k - 1`
/// is harmonic `k`; the strongest is at 0 dB or below).
pub fn raw_descriptors(levels_db: &[f32]) -> [f64; DESCRIPTORS] {
    // Harmonics at the floor are silent (as everywhere in the model).
    let silent = crate::levels::FLOOR_DB + crate::levels::SILENCE_MARGIN_DB;
    let power: Vec<f64> = levels_db
        .iter()
        .map(|l| {
            if l.is_finite() && *l > silent {
                10f64.powf(f64::from(*l) / 10.0)
            } else {
                0.0
            }
        })
        .collect();
    let total: f64 = power.iter().sum::<f64>().max(1e-30);
    let harmonic = |i: usize| (i + 1) as f64;
    // Where the upper partials (from harmonic 5) sit, in octaves above
    // harmonic 4, by their power; a floor at -30 dB of the total power takes
    // it smoothly to 0 as they fade, so it is defined for a sine and stays
    // apart from warmth (which weighs harmonics 1-4 against the rest).
    let upper: f64 = power.iter().skip(4).sum();
    let brightness = power
        .iter()
        .enumerate()
        .skip(4)
        .map(|(i, p)| p * (harmonic(i) / 4.0).log2())
        .sum::<f64>()
        / (upper + BRIGHTNESS_FLOOR * total);
    let warmth = power.iter().take(4).sum::<f64>() / total;
    // A soft count of the harmonics within 30 dB of the strongest (each
    // counts by a logistic of its distance to that line, 3 dB wide), so a
    // harmonic crossing the line changes it smoothly.
    let strongest = levels_db.iter().copied().fold(f32::MIN, f32::max);
    let line = f64::from(strongest - RICHNESS_DB);
    let within: f64 = levels_db
        .iter()
        .zip(&power)
        .filter(|(_, p)| **p > 0.0)
        .map(|(l, _)| 1.0 / (1.0 + (-(f64::from(*l) - line) / 3.0).exp()))
        .sum::<f64>()
        .max(1.0);
    let richness = within.log2();
    let (odd, above): (f64, f64) = power
        .iter()
        .enumerate()
        .skip(1)
        .fold((0.0, 0.0), |(o, a), (i, p)| {
            (if (i + 1) % 2 == 1 { o + p } else { o }, a + p)
        });
    let odd_even = if above > 1e-30 { odd / above } else { 0.5 };
    // The envelope: power averaged over a third of an octave around each
    // harmonic; its main peak found as a sharpened centroid (weights e²), so
    // it moves smoothly when two peaks trade places.
    let n = power.len();
    let envelope: Vec<f64> = (0..n)
        .map(|i| {
            let k = harmonic(i);
            let lo = ((k * 2f64.powf(-1.0 / 6.0)).ceil() as usize).max(1);
            let hi = ((k * 2f64.powf(1.0 / 6.0)).floor() as usize).min(n).max(lo);
            power[lo - 1..hi].iter().sum::<f64>() / (hi - lo + 1) as f64
        })
        .collect();
    let peak = envelope.iter().copied().fold(0.0, f64::max).max(1e-30);
    let weights: Vec<f64> = envelope.iter().map(|e| (e / peak).powi(2)).collect();
    let formant = weights
        .iter()
        .enumerate()
        .map(|(i, w)| w * harmonic(i).log2())
        .sum::<f64>()
        / weights.iter().sum::<f64>().max(1e-30);
    [brightness, warmth, richness, odd_even, formant]
}

/// The semantic directions and the descriptors' ranges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SemanticAxes {
    /// The model id the directions belong to.
    pub model: String,
    /// `(low, high)` of each raw descriptor (1st and 99th percentile over the
    /// training set): low maps to 0, high to 1.
    pub ranges: [(f64, f64); DESCRIPTORS],
    /// Per knob, the latent step that moves its descriptor by one normalised unit.
    pub directions: [Vec<f32>; DESCRIPTORS],
}

impl SemanticAxes {
    /// The shipped axes (`assets/semantic.json`), if present and valid.
    pub fn embedded() -> Option<Self> {
        #[cfg(nwt_embedded_semantic)]
        {
            let text = include_str!(env!("NWT_SEMANTIC"));
            serde_json::from_str::<Self>(text)
                .ok()
                .filter(|a| a.directions.iter().all(|d| d.len() == LATENT))
        }
        #[cfg(not(nwt_embedded_semantic))]
        {
            None
        }
    }

    /// Raw descriptors mapped to 0..1 (clamped).
    pub fn normalise(&self, raw: &[f64; DESCRIPTORS]) -> [f32; DESCRIPTORS] {
        std::array::from_fn(|j| {
            let (lo, hi) = self.ranges[j];
            ((raw[j] - lo) / (hi - lo).max(1e-12)).clamp(0.0, 1.0) as f32
        })
    }

    /// The descriptors of a frame's levels, normalised.
    pub fn describe(&self, levels_db: &[f32]) -> [f32; DESCRIPTORS] {
        self.normalise(&raw_descriptors(levels_db))
    }

    /// The latent offset for knob settings `knobs` (each `-1..=1`).
    pub fn offset(&self, knobs: &[f32; DESCRIPTORS]) -> Latent {
        std::array::from_fn(|i| {
            (0..DESCRIPTORS)
                .map(|j| knobs[j].clamp(-1.0, 1.0) * KNOB_REACH * self.directions[j][i])
                .sum()
        })
    }

    /// Fits the axes: descriptor ranges from `raw` (one row per frame), and
    /// directions from a ridge regression of the normalised descriptors on
    /// `latents` (the same frames), made mutually independent.
    pub fn fit(model: &str, latents: &[Latent], raw: &[[f64; DESCRIPTORS]]) -> Self {
        assert_eq!(latents.len(), raw.len());
        let ranges: [(f64, f64); DESCRIPTORS] = std::array::from_fn(|j| {
            let mut v: Vec<f64> = raw.iter().map(|r| r[j]).filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
            (at(0.01), at(0.99))
        });
        let mut axes = Self {
            model: model.to_string(),
            ranges,
            directions: std::array::from_fn(|_| vec![0.0; LATENT]),
        };
        let n = latents.len() as f64;
        let mean: Vec<f64> = (0..LATENT)
            .map(|i| latents.iter().map(|z| f64::from(z[i])).sum::<f64>() / n)
            .collect();
        let ys: Vec<[f32; DESCRIPTORS]> = raw.iter().map(|r| axes.normalise(r)).collect();
        let y_mean: Vec<f64> = (0..DESCRIPTORS)
            .map(|j| ys.iter().map(|y| f64::from(y[j])).sum::<f64>() / n)
            .collect();
        // Normal equations (ZᵀZ + λI) b_j = Zᵀ y_j on centred data.
        let mut gram = vec![vec![0.0f64; LATENT]; LATENT];
        let mut zy = vec![vec![0.0f64; DESCRIPTORS]; LATENT];
        for (z, y) in latents.iter().zip(&ys) {
            let c: Vec<f64> = (0..LATENT).map(|i| f64::from(z[i]) - mean[i]).collect();
            for a in 0..LATENT {
                for b in a..LATENT {
                    gram[a][b] += c[a] * c[b];
                }
                for j in 0..DESCRIPTORS {
                    zy[a][j] += c[a] * (f64::from(y[j]) - y_mean[j]);
                }
            }
        }
        let trace: f64 = (0..LATENT).map(|a| gram[a][a]).sum();
        let ridge = 1e-3 * trace / LATENT as f64;
        // Mirror the upper triangle and add the ridge.
        #[allow(clippy::needless_range_loop)]
        for a in 0..LATENT {
            for b in 0..a {
                gram[a][b] = gram[b][a];
            }
            gram[a][a] += ridge;
        }
        let b = solve(&gram, &zy); // LATENT × DESCRIPTORS: column j is b_j
        axes.directions = independent_directions(&b);
        axes
    }
}

/// What turning one knob from -1 to +1 does, over a set of anchors.
#[derive(Debug, Clone, PartialEq)]
pub struct KnobReport {
    /// The knob's (and its descriptor's) name.
    pub name: &'static str,
    /// Share of anchors whose own descriptor never falls as the knob goes
    /// -1, -0.5, 0, 0.5, 1 (steps of less than 0.005 do not count as falls).
    pub monotone: f32,
    /// Mean change of its own descriptor from -1 to +1 (normalised units).
    pub own: f32,
    /// Mean absolute change of each descriptor from -1 to +1.
    pub moves: [f32; DESCRIPTORS],
}

impl KnobReport {
    /// The report of knob `j` from each anchor's descriptors at knob values
    /// -1, -0.5, 0, 0.5, 1.
    fn from_curves(j: usize, curves: &[Vec<[f32; DESCRIPTORS]>]) -> Self {
        let n = curves.len().max(1) as f32;
        let (first, last) = (0, 4);
        let monotone = curves
            .iter()
            .filter(|c| c.windows(2).all(|w| w[1][j] >= w[0][j] - 0.005))
            .count() as f32
            / n;
        let moves = std::array::from_fn(|k| {
            curves
                .iter()
                .map(|c| (c[last][k] - c[first][k]).abs())
                .sum::<f32>()
                / n
        });
        let own = curves.iter().map(|c| c[last][j] - c[first][j]).sum::<f32>() / n;
        Self {
            name: NAMES[j],
            monotone,
            own,
            moves,
        }
    }

    /// The largest mean absolute change of another descriptor.
    pub fn worst_other(&self) -> f32 {
        NAMES
            .iter()
            .zip(self.moves)
            .filter(|(n, _)| **n != self.name)
            .map(|(_, m)| m)
            .fold(0.0, f32::max)
    }
}

/// Turns each knob from -1 to +1 on top of every latent in `anchors` (the
/// network's decode, as the synth adds the network's change to exact
/// anchors) and measures the descriptors.
pub fn evaluate(
    model: &crate::Model,
    axes: &SemanticAxes,
    anchors: &[Latent],
) -> Result<Vec<KnobReport>, crate::ModelError> {
    const STEPS: [f32; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];
    let global: [Latent; DESCRIPTORS] =
        std::array::from_fn(|j| std::array::from_fn(|i| axes.directions[j][i]));
    let mut local = Vec::with_capacity(anchors.len());
    for z in anchors {
        local.push(
            axes.local_directions(model, z, LOCAL_STEP)?
                .unwrap_or(global),
        );
    }
    let mut reports = Vec::new();
    for j in 0..DESCRIPTORS {
        let mut curves = vec![Vec::with_capacity(STEPS.len()); anchors.len()];
        for t in STEPS {
            let mut knobs = [0.0; DESCRIPTORS];
            knobs[j] = t;
            let moved: Vec<Latent> = anchors
                .iter()
                .zip(&local)
                .map(|(z, dirs)| {
                    let offset = SemanticAxes::offset_along(dirs, &knobs);
                    std::array::from_fn(|i| z[i] + offset[i])
                })
                .collect();
            for (curve, levels) in curves.iter_mut().zip(model.decode_levels(&moved)?) {
                curve.push(axes.describe(&levels));
            }
        }
        reports.push(KnobReport::from_curves(j, &curves));
    }
    Ok(reports)
}

/// Like [`evaluate`], with each anchor's knob positions found by
/// [`SemanticAxes::chart`] (`iterations` Levenberg–Marquardt steps per value).
pub fn evaluate_charts(
    model: &crate::Model,
    axes: &SemanticAxes,
    anchors: &[Latent],
    iterations: usize,
) -> Result<Vec<KnobReport>, crate::ModelError> {
    const STEPS: [f32; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];
    let mut reports = Vec::new();
    for j in 0..DESCRIPTORS {
        let mut curves = Vec::with_capacity(anchors.len());
        for z in anchors {
            let points = axes.chart(model, z, j, &STEPS, iterations)?;
            let levels = model.decode_levels(&points)?;
            curves.push(levels.iter().map(|l| axes.describe(l)).collect::<Vec<_>>());
        }
        reports.push(KnobReport::from_curves(j, &curves));
    }
    Ok(reports)
}

/// The reports as a Markdown table.
pub fn markdown(reports: &[KnobReport]) -> String {
    let mut out = String::from(
        "| knob | own descriptor rises monotonically | own change −1 → +1 | largest other change | ratio | mean change of brightness, warmth, richness, odd/even, formant |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for r in reports {
        out += &format!(
            "| {} | {:.0} % | {:.3} | {:.3} | {:.2} | {} |\n",
            r.name,
            r.monotone * 100.0,
            r.own,
            r.worst_other(),
            r.worst_other() / r.own.max(1e-6),
            r.moves
                .iter()
                .map(|m| format!("{m:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out
}

impl SemanticAxes {
    /// Refits the directions from the decoder itself: the Jacobian of the
    /// normalised descriptors with respect to the latent, by finite
    /// differences of `step` around each of `anchors`, averaged; then made
    /// mutually independent as in [`SemanticAxes::fit`]. This follows what
    /// the network does around real sounds, where the regression over the
    /// whole data set follows what the data looks like.
    pub fn refit_on_decoder(
        &mut self,
        model: &crate::Model,
        anchors: &[Latent],
        step: f32,
    ) -> Result<(), crate::ModelError> {
        let mut jac = vec![vec![0.0f64; DESCRIPTORS]; LATENT]; // LATENT × DESCRIPTORS
        for z in anchors {
            let (_, local) = self.jacobian(model, z, step)?;
            for (sum, row) in jac.iter_mut().zip(local) {
                for (s, v) in sum.iter_mut().zip(row) {
                    *s += v;
                }
            }
        }
        let n = anchors.len().max(1) as f64;
        for row in &mut jac {
            for v in row.iter_mut() {
                *v /= n;
            }
        }
        self.directions = independent_directions(&jac);
        Ok(())
    }

    /// Directions for one anchor: the decoder's own derivatives at `z` (finite
    /// differences of `step`), made mutually independent; `None` where they
    /// are degenerate (then [`SemanticAxes::directions`] serve).
    pub fn local_directions(
        &self,
        model: &crate::Model,
        z: &Latent,
        step: f32,
    ) -> Result<Option<[Latent; DESCRIPTORS]>, crate::ModelError> {
        let (_, jac) = self.jacobian(model, z, step)?;
        let dirs = independent_directions(&jac);
        let ok = dirs.iter().all(|d| {
            let norm = d.iter().map(|v| v * v).sum::<f32>().sqrt();
            norm.is_finite() && norm > 0.0 && norm < 1e3
        });
        Ok(ok.then(|| std::array::from_fn(|j| std::array::from_fn(|i| dirs[j][i]))))
    }

    /// Where knob `j` at each of `targets` (knob values) takes anchor `z`:
    /// for each value, a few Levenberg–Marquardt steps towards "descriptor `j`
    /// moved by value × [`KNOB_REACH`], the other four where they were". The
    /// cost weighs the held descriptors `HOLD_WEIGHT` (9) times the moved one;
    /// each step is the damped least-squares move on the Jacobian (finite
    /// differences at the current point), checked on the decoder and taken
    /// only where it lowers the cost (else damped harder, at most
    /// `MAX_TRIES` (4) times; a target out of reach is approached as far as the
    /// others allow, not forced). Values are walked outwards from 0 so each
    /// starts from its neighbour.
    pub fn chart(
        &self,
        model: &crate::Model,
        z: &Latent,
        j: usize,
        targets: &[f32],
        iterations: usize,
    ) -> Result<Vec<Latent>, crate::ModelError> {
        Ok(self
            .chart_until(model, z, j, targets, iterations, &|| false)?
            .unwrap_or_else(|| vec![*z; targets.len()]))
    }

    /// [`SemanticAxes::chart`], abandoned (`None`) as soon as `stop` says so;
    /// `stop` is asked before each step (one Jacobian, a few milliseconds),
    /// so a caller with something more urgent waits at most one step.
    pub fn chart_until(
        &self,
        model: &crate::Model,
        z: &Latent,
        j: usize,
        targets: &[f32],
        iterations: usize,
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<Vec<Latent>>, crate::ModelError> {
        let base = self.describe_unclamped(&model.decode_levels(&[*z])?[0]);
        let mut out = vec![*z; targets.len()];
        let mut order: Vec<usize> = (0..targets.len()).collect();
        order.sort_by(|a, b| targets[*a].abs().total_cmp(&targets[*b].abs()));
        let mut last_pos = *z;
        let mut last_neg = *z;
        for idx in order {
            let t = targets[idx];
            if t == 0.0 {
                continue;
            }
            let mut goal = base;
            goal[j] += f64::from(t * KNOB_REACH);
            let mut at = if t > 0.0 { last_pos } else { last_neg };
            let mut damping = INITIAL_DAMPING;
            for _ in 0..iterations {
                if stop() {
                    return Ok(None);
                }
                let (now, jac) = self.jacobian(model, &at, LOCAL_STEP)?;
                let residual: [f64; DESCRIPTORS] = std::array::from_fn(|k| goal[k] - now[k]);
                // A flat spot: nothing moved the descriptor from the anchor's
                // value yet (a step that fails after progress is a target out
                // of reach, which stays where the others hold).
                let flat = (now[j] - base[j]).abs() < FLAT;
                let next = match self.damped_move(model, &at, &jac, &goal, &residual, j, damping)? {
                    Some((to, mu)) => {
                        damping = mu;
                        Some(to)
                    }
                    None if flat => self.escape(model, &at, now[j], &jac, j, residual[j])?,
                    None => None,
                };
                match next {
                    Some(to) => at = to,
                    None => break,
                }
            }
            out[idx] = at;
            if t > 0.0 {
                last_pos = at;
            } else {
                last_neg = at;
            }
        }
        Ok(Some(out))
    }

    /// One Levenberg–Marquardt move from `at` towards `goal` for knob `j`:
    /// the damped step (`damping` first, then 4 times harder, at most
    /// [`MAX_TRIES`] times, never longer than [`MAX_STEP`]) that lowers the
    /// weighted cost on the decoder, with the damping to start from next
    /// time; `None` if none does.
    #[allow(clippy::too_many_arguments)]
    fn damped_move(
        &self,
        model: &crate::Model,
        at: &Latent,
        jac: &[Vec<f64>],
        goal: &[f64; DESCRIPTORS],
        residual: &[f64; DESCRIPTORS],
        j: usize,
        damping: f64,
    ) -> Result<Option<(Latent, f64)>, crate::ModelError> {
        let cost = weighted_cost(j, residual);
        let mut mu = damping;
        for _ in 0..MAX_TRIES {
            let step = damped_step(jac, residual, j, mu);
            let norm = step.iter().map(|v| v * v).sum::<f32>().sqrt();
            if !norm.is_finite() {
                break;
            }
            let scale = (MAX_STEP / norm).min(1.0);
            let candidate: Latent = std::array::from_fn(|i| at[i] + step[i] * scale);
            let got = self.describe_unclamped(&model.decode_levels(&[candidate])?[0]);
            let r: [f64; DESCRIPTORS] = std::array::from_fn(|k| goal[k] - got[k]);
            if weighted_cost(j, &r) < cost {
                return Ok(Some((candidate, mu / 3.0)));
            }
            mu *= 4.0;
        }
        Ok(None)
    }

    /// A way off a flat spot, where no damped step helps because descriptor
    /// `j` does not change near `at` (odd/even on a square: every even
    /// harmonic at the floor): the knob's direction averaged over the training
    /// sounds, less its part along the other descriptors' gradients here (so
    /// they hold to first order), walked out to [`ESCAPE_LENGTHS`] until
    /// descriptor `j` (`start` at `at`) covers a tenth of `residual`; `None`
    /// if it never does.
    fn escape(
        &self,
        model: &crate::Model,
        at: &Latent,
        start: f64,
        jac: &[Vec<f64>],
        j: usize,
        residual: f64,
    ) -> Result<Option<Latent>, crate::ModelError> {
        let mut dir: Vec<f64> = (0..LATENT)
            .map(|i| f64::from(self.directions[j].get(i).copied().unwrap_or(0.0)))
            .collect();
        let others: Vec<usize> = (0..DESCRIPTORS).filter(|k| *k != j).collect();
        let full = gram(jac);
        let g: Vec<Vec<f64>> = others
            .iter()
            .map(|a| others.iter().map(|b| full[*a][*b]).collect())
            .collect();
        let rhs: Vec<Vec<f64>> = others
            .iter()
            .map(|k| vec![(0..LATENT).map(|i| jac[i][*k] * dir[i]).sum()])
            .collect();
        let coef = solve(&g, &rhs);
        for (i, d) in dir.iter_mut().enumerate() {
            *d -= others
                .iter()
                .zip(&coef)
                .map(|(k, c)| jac[i][*k] * c[0])
                .sum::<f64>();
        }
        let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt();
        if !norm.is_finite() || norm == 0.0 {
            return Ok(None);
        }
        let sign = residual.signum() / norm;
        let tries: Vec<Latent> = ESCAPE_LENGTHS
            .iter()
            .map(|len| std::array::from_fn(|i| at[i] + (dir[i] * sign * f64::from(*len)) as f32))
            .collect();
        for (to, levels) in tries.iter().zip(model.decode_levels(&tries)?) {
            let moved = self.describe_unclamped(&levels)[j] - start;
            if moved * residual.signum() >= 0.1 * residual.abs() {
                return Ok(Some(*to));
            }
        }
        Ok(None)
    }

    /// The latent offset for `knobs` along `directions` (see [`KNOB_REACH`]).
    pub fn offset_along(directions: &[Latent; DESCRIPTORS], knobs: &[f32; DESCRIPTORS]) -> Latent {
        std::array::from_fn(|i| {
            (0..DESCRIPTORS)
                .map(|j| knobs[j].clamp(-1.0, 1.0) * KNOB_REACH * directions[j][i])
                .sum()
        })
    }

    /// The normalised descriptors at `z` and their derivatives with respect
    /// to each latent coordinate (LATENT × DESCRIPTORS), by forward
    /// differences of `step`, in one batched decode.
    fn jacobian(
        &self,
        model: &crate::Model,
        z: &Latent,
        step: f32,
    ) -> Result<([f64; DESCRIPTORS], Vec<Vec<f64>>), crate::ModelError> {
        let batch: Vec<Latent> = std::iter::once(*z)
            .chain((0..LATENT).map(|i| {
                let mut moved = *z;
                moved[i] += step;
                moved
            }))
            .collect();
        let levels = model.decode_levels(&batch)?;
        let base = self.describe_unclamped(&levels[0]);
        let jac = levels[1..]
            .iter()
            .map(|l| {
                let d = self.describe_unclamped(l);
                (0..DESCRIPTORS)
                    .map(|j| (d[j] - base[j]) / f64::from(step))
                    .collect()
            })
            .collect();
        Ok((base, jac))
    }

    /// The descriptors normalised without clamping (for derivatives).
    fn describe_unclamped(&self, levels_db: &[f32]) -> [f64; DESCRIPTORS] {
        let raw = raw_descriptors(levels_db);
        std::array::from_fn(|j| {
            let (lo, hi) = self.ranges[j];
            (raw[j] - lo) / (hi - lo).max(1e-12)
        })
    }
}

/// How much more the descriptors a knob holds weigh than the one it moves,
/// in the charts' cost (squared residuals).
const HOLD_WEIGHT: f64 = 9.0;

/// The damping a chart starts with, relative to the Gram matrix's mean diagonal.
const INITIAL_DAMPING: f64 = 1e-2;

/// A chart point whose descriptor is within this of the anchor's own has
/// made no progress (normalised units).
const FLAT: f64 = 0.01;

/// Latent distances [`SemanticAxes::escape`] tries, nearest first.
const ESCAPE_LENGTHS: [f32; 4] = [0.5, 1.0, 2.0, 3.0];

/// Damped steps tried per Levenberg–Marquardt iteration before giving up.
const MAX_TRIES: usize = 4;

/// The chart cost of residuals `r` for knob `j`: its own squared, the others'
/// squared times [`HOLD_WEIGHT`].
fn weighted_cost(j: usize, r: &[f64; DESCRIPTORS]) -> f64 {
    (0..DESCRIPTORS)
        .map(|k| {
            if k == j {
                r[k] * r[k]
            } else {
                HOLD_WEIGHT * r[k] * r[k]
            }
        })
        .sum()
}

/// `JJᵀ` (DESCRIPTORS × DESCRIPTORS) of `b` (LATENT × DESCRIPTORS).
fn gram(b: &[Vec<f64>]) -> Vec<Vec<f64>> {
    (0..DESCRIPTORS)
        .map(|j| {
            (0..DESCRIPTORS)
                .map(|k| (0..LATENT).map(|i| b[i][j] * b[i][k]).sum())
                .collect()
        })
        .collect()
}

/// The Levenberg–Marquardt step `Jᵀ(JJᵀ + μ·s·W⁻¹)⁻¹r` for the weighted
/// cost of knob `j` (the same as `(JᵀWJ + μ·s·I)⁻¹JᵀWr`, solved in the small
/// descriptor space), `s` the mean diagonal of `JJᵀ` so that `μ` is relative.
/// (Marquardt's per-descriptor scaling was measured too: smaller moves, the
/// same independence; see MODEL.md.)
fn damped_step(b: &[Vec<f64>], r: &[f64; DESCRIPTORS], j: usize, mu: f64) -> Latent {
    let mut g = gram(b);
    let scale = (0..DESCRIPTORS).map(|k| g[k][k]).sum::<f64>() / DESCRIPTORS as f64;
    for (k, row) in g.iter_mut().enumerate() {
        let weight = if k == j { 1.0 } else { HOLD_WEIGHT };
        row[k] += mu * scale / weight;
    }
    let rhs: Vec<Vec<f64>> = r.iter().map(|v| vec![*v]).collect();
    let y = solve(&g, &rhs);
    std::array::from_fn(|i| (0..DESCRIPTORS).map(|k| b[i][k] * y[k][0]).sum::<f64>() as f32)
}

/// From `b` (LATENT × DESCRIPTORS, column `j` the gradient of descriptor `j`)
/// the directions `Bᵀ(BBᵀ)⁻¹`: direction `j` moves descriptor `j` by one unit
/// and the others by none, to first order.
fn independent_directions(b: &[Vec<f64>]) -> [Vec<f32>; DESCRIPTORS] {
    let bbt = gram(b);
    let identity: Vec<Vec<f64>> = (0..DESCRIPTORS)
        .map(|j| {
            (0..DESCRIPTORS)
                .map(|k| f64::from(u8::from(j == k)))
                .collect()
        })
        .collect();
    let inv = solve(&bbt, &identity);
    std::array::from_fn(|j| {
        (0..LATENT)
            .map(|i| (0..DESCRIPTORS).map(|k| b[i][k] * inv[k][j]).sum::<f64>() as f32)
            .collect()
    })
}

/// Solves `a·x = rhs` (square `a`, several right-hand sides) with
/// nalgebra's LU decomposition with partial pivoting. Every system here is
/// a small Gram matrix with a ridge or a damping term on its diagonal, so
/// it is never singular; if one were, the answer is all zeros (no move).
fn solve(a: &[Vec<f64>], rhs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = a.len();
    let m = rhs.first().map_or(0, Vec::len);
    let a = nalgebra::DMatrix::from_fn(n, n, |r, c| a[r][c]);
    let b = nalgebra::DMatrix::from_fn(n, m, |r, c| rhs[r][c]);
    match a.lu().solve(&b) {
        Some(x) if x.iter().all(|v| v.is_finite()) => (0..n)
            .map(|r| (0..m).map(|c| x[(r, c)]).collect())
            .collect(),
        _ => vec![vec![0.0; m]; n],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_inverts_a_system_and_gives_zeros_for_a_singular_one() {
        // x = [1, -2, 3], and a second right-hand side, e1.
        let a = vec![
            vec![4.0, 1.0, 0.5],
            vec![1.0, 3.0, -1.0],
            vec![0.5, -1.0, 2.0],
        ];
        let x = [1.0, -2.0, 3.0];
        let rhs: Vec<Vec<f64>> = a
            .iter()
            .enumerate()
            .map(|(r, row)| {
                let ax: f64 = row.iter().zip(&x).map(|(p, q)| p * q).sum();
                vec![ax, f64::from(u8::from(r == 0))]
            })
            .collect();
        let got = solve(&a, &rhs);
        for r in 0..3 {
            assert!((got[r][0] - x[r]).abs() < 1e-12, "{got:?}");
        }
        // The second column is the first column of a's inverse.
        for (r, row) in a.iter().enumerate() {
            let back: f64 = row.iter().zip(&got).map(|(p, g)| p * g[1]).sum();
            assert!((back - f64::from(u8::from(r == 0))).abs() < 1e-12);
        }
        let singular = vec![vec![1.0, 2.0], vec![2.0, 4.0]];
        assert_eq!(solve(&singular, &[vec![1.0], vec![2.0]]), [[0.0], [0.0]]);
    }

    fn saw_levels() -> Vec<f32> {
        (1..=512)
            .map(|k| -20.0 * (k as f32).log10())
            .map(|l| l.max(-80.0))
            .collect()
    }

    #[test]
    fn descriptors_of_a_sine_a_saw_and_a_square() {
        let mut sine = vec![-80.0f32; 512];
        sine[0] = 0.0;
        let d = raw_descriptors(&sine);
        assert!(
            d[0].abs() < 1e-6 && (d[1] - 1.0).abs() < 1e-6 && d[2] == 0.0,
            "{d:?}"
        );
        assert_eq!(d[4], 0.0, "a sine's envelope peaks at the fundamental");
        let saw = raw_descriptors(&saw_levels());
        assert!(saw[0] > 0.5 && saw[1] < 0.9, "{saw:?}");
        // (π²/8 - 1) / (π²/6 - 1): harmonic 2 outweighs 3, 5, 7, ...
        assert!((saw[3] - 0.362).abs() < 0.01, "{saw:?}");
        let square: Vec<f32> = saw_levels()
            .iter()
            .enumerate()
            .map(|(i, l)| if (i + 1) % 2 == 0 { -80.0 } else { *l })
            .collect();
        assert!(raw_descriptors(&square)[3] > 0.99, "only odd harmonics");
        // A vowel-like bump around harmonic 12.
        let vowel: Vec<f32> = (1..=512)
            .map(|k| -30.0 + 25.0 * (-(((k as f32) / 12.0).log2() * 3.0).powi(2)).exp())
            .collect();
        let f = raw_descriptors(&vowel)[4];
        assert!((f - 12f64.log2()).abs() < 0.3, "formant at {f}");
    }

    #[test]
    fn fitted_directions_move_their_own_descriptor_of_a_linear_world() {
        // Latents whose first five coordinates set the descriptors linearly.
        let mut rng = crate::rng::Rng::new(4);
        let mut latents = Vec::new();
        let mut raw = Vec::new();
        for _ in 0..2000 {
            let z: Latent = std::array::from_fn(|_| rng.gaussian());
            let y: [f64; DESCRIPTORS] =
                std::array::from_fn(|j| f64::from(z[j] + 0.5 * z[(j + 1) % DESCRIPTORS]));
            latents.push(z);
            raw.push(y);
        }
        let axes = SemanticAxes::fit("test", &latents, &raw);
        let base: Latent = [0.0; LATENT];
        for j in 0..DESCRIPTORS {
            let moved: Latent = std::array::from_fn(|i| base[i] + 0.1 * axes.directions[j][i]);
            let y0 = axes.normalise(&std::array::from_fn(|k| {
                f64::from(base[k] + 0.5 * base[(k + 1) % DESCRIPTORS])
            }));
            let y1 = axes.normalise(&std::array::from_fn(|k| {
                f64::from(moved[k] + 0.5 * moved[(k + 1) % DESCRIPTORS])
            }));
            for k in 0..DESCRIPTORS {
                let want = if k == j { 0.1 } else { 0.0 };
                assert!(
                    (y1[k] - y0[k] - want).abs() < 0.01,
                    "{j} moves {k} by {}",
                    y1[k] - y0[k]
                );
            }
        }
    }
}
