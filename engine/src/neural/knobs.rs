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
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock, PoisonError};

/// Semantic knobs.
pub const KNOBS: usize = DESCRIPTORS;

/// Knob values at which a chart is computed (0 is the anchor itself).
const CHART_VALUES: [f32; 4] = [-1.0, -0.5, 0.5, 1.0];

/// The charts of the anchors one worker has used or prepared, per anchor
/// latent and knob. The charts themselves live in the process's
/// [`chart_store`], shared by every instance: a chart depends only on the
/// model, the anchor and the knob, and an instance a host creates (a scan,
/// a fuzzer's hundred activations, a second track on the same sound) then
/// finds the charts another one already made instead of spending up to a
/// second of decoder time on them again.
#[derive(Debug, Default)]
pub struct KnobCharts {
    /// The embedded axes, once looked up (`None` inside: none for this model).
    axes: Option<Option<SemanticAxes>>,
    /// The (anchor key, knob) pairs this worker holds charts for.
    known: HashSet<(u64, usize)>,
}

/// A chart's key in the shared store: the model's id, the anchor's key, the knob.
type StoreKey = (String, u64, usize);

/// The most charts the shared store keeps (about 80 bytes of latents each;
/// when full it starts again, and charts are computed again as needed).
const STORE_CAPACITY: usize = 8192;

/// The process's charts (see [`KnobCharts`]). Only decoder workers touch it,
/// never the audio thread.
fn chart_store() -> &'static Mutex<HashMap<StoreKey, [Latent; 4]>> {
    static STORE: OnceLock<Mutex<HashMap<StoreKey, [Latent; 4]>>> = OnceLock::new();
    STORE.get_or_init(Default::default)
}

/// The shared chart for `key`, if one was made.
fn stored(key: &StoreKey) -> Option<[Latent; 4]> {
    chart_store()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
        .copied()
}

/// Keeps `chart` in the shared store.
fn store(key: StoreKey, chart: [Latent; 4]) {
    let mut charts = chart_store().lock().unwrap_or_else(PoisonError::into_inner);
    if charts.len() >= STORE_CAPACITY {
        charts.clear();
    }
    charts.insert(key, chart);
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
    /// Charts this worker holds (one per anchor and knob).
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// True before the first chart.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
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
        let Some(j) = (0..KNOBS).find(|&j| !self.known.contains(&(key, j))) else {
            return Ok(false);
        };
        if self.axes(model).is_none() {
            return Ok(false);
        }
        self.compute(model, z, key, j, stop)?;
        Ok(true)
    }

    /// Knob `j`'s chart for anchor `z` (whose key is `key`), computed the
    /// first time the process needs it; `None` without axes for this model.
    fn chart(
        &mut self,
        model: &Model,
        z: &Latent,
        key: u64,
        j: usize,
    ) -> Result<Option<[Latent; 4]>, ModelError> {
        self.compute(model, z, key, j, &|| false)
    }

    /// Knob `j`'s chart for anchor `z` (key `key`): from the shared store,
    /// or computed and kept there, unless `stop` ends it first or there are
    /// no axes for this model.
    fn compute(
        &mut self,
        model: &Model,
        z: &Latent,
        key: u64,
        j: usize,
        stop: &dyn Fn() -> bool,
    ) -> Result<Option<[Latent; 4]>, ModelError> {
        let store_key = (model.id().to_string(), key, j);
        if let Some(chart) = stored(&store_key) {
            self.known.insert((key, j));
            return Ok(Some(chart));
        }
        let Some(axes) = self.axes(model) else {
            return Ok(None);
        };
        let Some(points) = axes.chart_until(model, z, j, &CHART_VALUES, CHART_ITERATIONS, stop)?
        else {
            return Ok(None);
        };
        let chart: [Latent; 4] = std::array::from_fn(|i| points[i]);
        store(store_key, chart);
        self.known.insert((key, j));
        Ok(Some(chart))
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
            let target = along(&chart, z, v);
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

    #[test]
    fn a_second_worker_finds_the_charts_the_first_made() {
        let model = Model::embedded().expect("the shipped weights load");
        // An anchor no other test uses: a saw's latent, nudged.
        let mut z = model.encode(&nwt_model::Shape::Saw.harmonics()).unwrap();
        z[0] += 0.0123;
        let knobs = [0.6, 0.0, 0.0, 0.0, -0.3];
        let mut first = KnobCharts::default();
        let t = std::time::Instant::now();
        let a = first.moved(&model, &z, &knobs).unwrap();
        let computed = t.elapsed();
        assert_ne!(a, z, "the knobs moved nothing");
        let mut second = KnobCharts::default();
        let t = std::time::Instant::now();
        let b = second.moved(&model, &z, &knobs).unwrap();
        let found = t.elapsed();
        println!("charts computed in {computed:?}, found in {found:?}");
        assert_eq!(a, b);
        assert_eq!(second.len(), 2);
        assert!(found * 20 < computed, "{found:?} against {computed:?}");
    }
}
