//! The semantic knobs (brightness, warmth, richness, odd/even, formant) in
//! the decoder worker: where each knob takes each anchor.
//!
//! For an anchor and a knob, the model's chart ([`SemanticAxes::chart`]: at
//! knob values ±0.5 and ±1, a latent where that descriptor moved by value ×
//! [`nwt_model::semantic::KNOB_REACH`] normalised units and the other four
//! stayed, found by a few Levenberg–Marquardt steps checked on the decoder) is computed the first time the
//! knob leaves 0 for that anchor and then kept, so a later move of the knob
//! costs what a macro move costs. Between chart points the move is
//! interpolated linearly; several knobs add their moves. The moved anchors
//! then go through the path, the macros and the anchors' residuals exactly
//! as unmoved ones do: the network's change on top of the exact anchors.
//!
//! The directions belong to one model: the embedded `assets/semantic.json`
//! is used only with the weights it was fitted on (else the knobs do nothing).

use super::cycle_hash;
use nwt_model::semantic::{SemanticAxes, CHART_ITERATIONS, DESCRIPTORS};
use nwt_model::{Latent, Model, ModelError};
use std::collections::HashMap;

/// Semantic knobs.
pub const KNOBS: usize = DESCRIPTORS;

/// Knob values at which a chart is computed (0 is the anchor itself).
const CHART_VALUES: [f32; 4] = [-1.0, -0.5, 0.5, 1.0];

/// The charts of the anchors seen so far, per anchor latent and knob.
#[derive(Debug, Default)]
pub struct KnobCharts {
    /// The embedded axes, once looked up (`None` inside: none for this model).
    axes: Option<Option<SemanticAxes>>,
    charts: HashMap<(u64, usize), [Latent; 4]>,
}

/// The point of `chart` (at [`CHART_VALUES`], with `z` at 0) for knob value `v`.
fn along(chart: &[Latent; 4], z: &Latent, v: f32) -> Latent {
    let v = v.clamp(-1.0, 1.0);
    let points = [chart[0], chart[1], *z, chart[2], chart[3]];
    let x = (v + 1.0) * 2.0; // 0..4 over the five points
    let k = (x.floor() as usize).min(3);
    let t = x - k as f32;
    std::array::from_fn(|i| points[k][i] + (points[k + 1][i] - points[k][i]) * t)
}

impl KnobCharts {
    /// Charts computed so far (one per anchor and knob).
    pub fn len(&self) -> usize {
        self.charts.len()
    }

    /// True before the first chart.
    pub fn is_empty(&self) -> bool {
        self.charts.is_empty()
    }

    fn axes(&mut self, model: &Model) -> Option<&SemanticAxes> {
        self.axes
            .get_or_insert_with(|| SemanticAxes::embedded().filter(|a| a.model == model.id()))
            .as_ref()
    }

    /// Computes one chart that anchor `z` lacks (any knob), if any, giving up
    /// as soon as `stop` says so; returns whether there was one to compute
    /// (computed or given up). The worker calls it while idle, so a knob's
    /// first move costs no more than later ones.
    pub fn prepare_one(
        &mut self,
        model: &Model,
        z: &Latent,
        stop: &dyn Fn() -> bool,
    ) -> Result<bool, ModelError> {
        let key = cycle_hash(z);
        let Some(j) = (0..KNOBS).find(|&j| !self.charts.contains_key(&(key, j))) else {
            return Ok(false);
        };
        if self.axes(model).is_none() {
            return Ok(false);
        }
        self.compute(model, z, key, j, stop)?;
        Ok(true)
    }

    /// Knob `j`'s chart for anchor `z` (whose key is `key`), computed the
    /// first time; `None` without axes for this model.
    fn chart(
        &mut self,
        model: &Model,
        z: &Latent,
        key: u64,
        j: usize,
    ) -> Result<Option<&[Latent; 4]>, ModelError> {
        if !self.charts.contains_key(&(key, j)) {
            self.compute(model, z, key, j, &|| false)?;
        }
        Ok(self.charts.get(&(key, j)))
    }

    /// Computes knob `j`'s chart for anchor `z` (key `key`) and keeps it,
    /// unless `stop` ends it first or there are no axes for this model.
    fn compute(
        &mut self,
        model: &Model,
        z: &Latent,
        key: u64,
        j: usize,
        stop: &dyn Fn() -> bool,
    ) -> Result<(), ModelError> {
        let Some(axes) = self.axes(model) else {
            return Ok(());
        };
        if let Some(points) =
            axes.chart_until(model, z, j, &CHART_VALUES, CHART_ITERATIONS, stop)?
        {
            self.charts
                .insert((key, j), std::array::from_fn(|i| points[i]));
        }
        Ok(())
    }

    /// Anchor `z` moved by `knobs` (each `-1..=1`; 0 leaves it). Computes
    /// and keeps the charts it needs.
    pub fn moved(
        &mut self,
        model: &Model,
        z: &Latent,
        knobs: &[f32; KNOBS],
    ) -> Result<Latent, ModelError> {
        if knobs.iter().all(|&v| v == 0.0 || !v.is_finite()) || self.axes(model).is_none() {
            return Ok(*z);
        }
        let key = cycle_hash(z);
        let mut out = *z;
        for (j, &v) in knobs.iter().enumerate() {
            if v == 0.0 || !v.is_finite() {
                continue;
            }
            let Some(chart) = self.chart(model, z, key, j)? else {
                continue;
            };
            let target = along(chart, z, v);
            for i in 0..out.len() {
                out[i] += target[i] - z[i];
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn along_interpolates_between_chart_points_through_the_anchor() {
        let z: Latent = [0.0; nwt_model::vae::LATENT];
        let chart: [Latent; 4] =
            std::array::from_fn(|k| [[-2.0, -1.0, 1.0, 2.0][k]; nwt_model::vae::LATENT]);
        assert_eq!(along(&chart, &z, 0.0)[0], 0.0);
        assert_eq!(along(&chart, &z, 1.0)[0], 2.0);
        assert_eq!(along(&chart, &z, -1.0)[0], -2.0);
        assert!((along(&chart, &z, 0.25)[0] - 0.5).abs() < 1e-6);
        assert!((along(&chart, &z, -0.75)[0] + 1.5).abs() < 1e-6);
        assert_eq!(along(&chart, &z, 7.0)[0], 2.0);
    }
}
