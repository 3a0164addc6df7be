//! Live neural tables: the anchors and macro knobs, the table they describe,
//! and the decoder worker that builds it off the audio thread.
//!
//! Data flow (docs/ARCHITECTURE.md, "Threads and data flow"): the worker
//! reads the parameters (atomics) and the anchors (shared state the audio
//! thread only counts revisions of) when woken — by the audio thread when a
//! decoder input changed, by the editor, by `settle` — and every 0.5 ms for
//! 200 ms after a change, else once a second; it decodes the newest state only, builds the
//! mip levels and hands a `Box<WavetableSet>` to the audio thread over a
//! lock-free [`crossbeam::queue::ArrayQueue`]; the audio thread crossfades to
//! it at a block boundary and hands the old set back on a second queue for the
//! worker to free.

pub mod dice;
pub mod knobs;
pub mod table_grid;
pub mod worker;

pub use crate::anchors;
pub use crate::anchors::{Anchor, AnchorShape, AnchorStore, Anchors, MacroMode, UserTable};
pub use table_grid::TableGrid;
pub use worker::{
    cycle_at, frame_pair, DecoderWorker, NeuralInfo, TableLink, WorkerOptions, WorkerStatus,
    ACTIVE_SPELL, IDLE_SLEEP, REST_BEFORE_PACING,
};

use crate::params::SynthParams;
use crate::wavetable::{TableError, WavetableSet};
use nice_plug::prelude::Enum;
use nwt_model::anchored::Residual;
use nwt_model::model::MACROS;
use nwt_model::pacing::{point_on, PathPosition};
use nwt_model::{Harmonics, Latent, Model, ModelError};
use std::collections::HashMap;

/// The loudness window of a neural table with [`TableRequest::even_loudness`]
/// on, dB: every frame's RMS lies within it ([`WavetableSet::even_loudness`]).
/// Measured on the factory bank before (`nwt check-tables`), the frames of one
/// table spanned up to 18.7 dB (a position sweep faded out); the goal
/// is 3 dB, and half a dB of it is left for rounding and the host's resampling.
pub const EVEN_LOUDNESS_WINDOW_DB: f32 = 2.5;

/// Everything the worker's table depends on: a snapshot the worker compares
/// against the last one it built.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRequest {
    /// `Some((id, name))` of the imported table when the `table` parameter asks
    /// for it (and one is loaded): the worker builds that instead of decoding.
    pub user: Option<(u64, String)>,
    /// Macro knobs, each `-1..=1`.
    pub macros: [f32; MACROS],
    /// Semantic knobs, each `-1..=1` ([`knobs`]).
    pub knobs: [f32; knobs::KNOBS],
    /// Frames in the table.
    pub frames: usize,
    /// How the macros apply.
    pub mode: MacroMode,
    /// Whether the frames' loudness is evened out ([`EVEN_LOUDNESS_WINDOW_DB`]).
    pub even_loudness: bool,
    /// The anchor slots.
    pub anchors: Anchors,
}

impl TableRequest {
    /// Reads the current state from the parameters (atomics) and the anchors
    /// (a short read lock; never called on the audio thread).
    pub fn read(params: &SynthParams) -> Self {
        Self {
            user: params.user_table_key(),
            macros: params.macro_values(),
            knobs: params.knob_values(),
            frames: params.frame_count(),
            mode: params.macro_mode.value(),
            even_loudness: params.even_loudness.value(),
            anchors: params.anchors_snapshot(),
        }
    }

    /// Whether the parameters and anchors still describe this request
    /// (compares without cloning the anchors).
    pub fn is_current(&self, params: &SynthParams) -> bool {
        params.user_table_key_is(self.user.as_ref())
            && self.macros == params.macro_values()
            && self.knobs == params.knob_values()
            && self.frames == params.frame_count()
            && self.mode == params.macro_mode.value()
            && self.even_loudness == params.even_loudness.value()
            && params.anchors_equal(&self.anchors)
    }
}

/// The parameters the decoder's table depends on, as the audio thread can
/// read them (atomics only): what the audio thread and the editor compare
/// between blocks or frames to know when to wake the decoder worker.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DecoderInputs {
    macros: [f32; MACROS],
    knobs: [f32; knobs::KNOBS],
    frames: usize,
    mode: usize,
    even_loudness: bool,
    table: usize,
    revision: u64,
}

impl DecoderInputs {
    /// Reads them now.
    pub fn read(params: &SynthParams) -> Self {
        Self {
            macros: params.macro_values(),
            knobs: params.knob_values(),
            frames: params.frame_count(),
            mode: params.macro_mode.value().to_index(),
            even_loudness: params.even_loudness.value(),
            table: params.table.value().to_index(),
            revision: params.sound_revision(),
        }
    }
}

/// Why a neural table could not be built.
#[derive(Debug, thiserror::Error)]
pub enum NeuralError {
    /// The model failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The decoded frames did not make a table.
    #[error(transparent)]
    Table(#[from] TableError),
    /// An anchor could not be used.
    #[error("anchor {slot}: {reason}")]
    Anchor {
        /// Slot name.
        slot: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Turns anchors into latents, encoding factory shapes and imported waves once
/// and remembering the result.
#[derive(Debug, Default)]
pub struct AnchorEncoder {
    shapes: HashMap<AnchorShape, Latent>,
    waves: HashMap<u64, Latent>,
    shape_residuals: HashMap<AnchorShape, Residual>,
    wave_residuals: HashMap<u64, Residual>,
    /// Anchors saved as latents of the first model, as the cycles they stood for.
    migrated: HashMap<u64, Anchor>,
    /// Where the semantic knobs take each anchor.
    knob_charts: knobs::KnobCharts,
}

/// One filled anchor of a table: its latent and, for a shape or an imported
/// cycle, what the network misses of it (the exact source's levels minus the
/// decoder's, and the source's phases: [`Residual`]).
#[derive(Debug, Clone)]
pub struct AnchorPoint {
    /// The encoder's latent.
    pub latent: Latent,
    /// Source minus decoded (`None` for an anchor given as a latent).
    pub residual: Option<Residual>,
}

/// A hash of a cycle's samples (FNV-1a over their little-endian bytes, with
/// no allocation), to recognise a cycle already encoded or drawn.
pub fn cycle_hash(samples: &[f32]) -> u64 {
    samples
        .iter()
        .fold(nwt_model::rng::Fnv1a::default(), |h, v| {
            h.write(&v.to_le_bytes())
        })
        .finish()
}

impl AnchorEncoder {
    /// The latent of one anchor and what the network misses of its source.
    /// Both are computed once per shape or cycle (an encode and a one-row
    /// decode) and remembered, so a table rebuilt for a knob move costs no
    /// extra inference.
    pub fn point(
        &mut self,
        model: &Model,
        slot: usize,
        anchor: &Anchor,
    ) -> Result<AnchorPoint, NeuralError> {
        let migrated = self.migrate(slot, anchor)?;
        let anchor = migrated.as_ref().unwrap_or(anchor);
        let latent = self.encode(model, slot, anchor)?;
        let wave_key = match anchor {
            Anchor::Wave { samples, .. } => cycle_hash(samples),
            _ => 0,
        };
        let cached = match anchor {
            Anchor::Shape { shape } => self.shape_residuals.get(shape),
            Anchor::Wave { .. } => self.wave_residuals.get(&wave_key),
            Anchor::Latent { .. } => {
                return Ok(AnchorPoint {
                    latent,
                    residual: None,
                })
            }
        };
        if let Some(r) = cached {
            return Ok(AnchorPoint {
                latent,
                residual: Some(r.clone()),
            });
        }
        let source = match anchor {
            Anchor::Shape { shape } => shape.harmonics(),
            Anchor::Wave { samples, .. } => Harmonics::from_cycle(samples),
            Anchor::Latent { .. } => unreachable!("returned above"),
        };
        let residual = model.residual(&source, &latent)?;
        match anchor {
            Anchor::Shape { shape } => {
                self.shape_residuals.insert(*shape, residual.clone());
            }
            Anchor::Wave { .. } => {
                self.wave_residuals.insert(wave_key, residual.clone());
            }
            Anchor::Latent { .. } => {}
        }
        Ok(AnchorPoint {
            latent,
            residual: Some(residual),
        })
    }

    /// A latent of the first model as the cycle it stood for
    /// ([`Anchor::migrated_from_v1`]), decoded once and remembered; `None`
    /// for every other anchor.
    fn migrate(&mut self, slot: usize, anchor: &Anchor) -> Result<Option<Anchor>, NeuralError> {
        let Anchor::Latent { latent, .. } = anchor else {
            return Ok(None);
        };
        let key = cycle_hash(latent);
        if let Some(done) = self.migrated.get(&key) {
            return Ok(Some(done.clone()));
        }
        match anchor.migrated_from_v1() {
            None => Ok(None),
            Some(Ok(wave)) => {
                self.migrated.insert(key, wave.clone());
                Ok(Some(wave))
            }
            Some(Err(reason)) => Err(NeuralError::Anchor {
                slot: anchors::SLOT_NAMES[slot.min(anchors::SLOT_NAMES.len() - 1)],
                reason,
            }),
        }
    }

    /// The latent of one anchor.
    pub fn latent(
        &mut self,
        model: &Model,
        slot: usize,
        anchor: &Anchor,
    ) -> Result<Latent, NeuralError> {
        let migrated = self.migrate(slot, anchor)?;
        self.encode(model, slot, migrated.as_ref().unwrap_or(anchor))
    }

    /// The latent of an anchor already migrated ([`AnchorEncoder::migrate`]).
    fn encode(
        &mut self,
        model: &Model,
        slot: usize,
        anchor: &Anchor,
    ) -> Result<Latent, NeuralError> {
        let slot_name = anchors::SLOT_NAMES[slot.min(anchors::SLOT_NAMES.len() - 1)];
        let bad = |reason: String| NeuralError::Anchor {
            slot: slot_name,
            reason,
        };
        match anchor {
            Anchor::Shape { shape } => {
                if let Some(z) = self.shapes.get(shape) {
                    return Ok(*z);
                }
                let z = model.encode(&shape.harmonics())?;
                self.shapes.insert(*shape, z);
                Ok(z)
            }
            Anchor::Wave { samples, .. } => {
                if samples.len() < 4 || samples.iter().any(|v| !v.is_finite()) {
                    return Err(bad(format!(
                        "the imported cycle needs at least 4 finite samples (has {})",
                        samples.len()
                    )));
                }
                let key = cycle_hash(samples);
                if let Some(z) = self.waves.get(&key) {
                    return Ok(*z);
                }
                let z = model.encode(&Harmonics::from_cycle(samples))?;
                self.waves.insert(key, z);
                Ok(z)
            }
            Anchor::Latent { latent, .. } => {
                if latent.len() != nwt_model::vae::LATENT {
                    return Err(bad(format!(
                        "the latent has {} values, the model needs {}",
                        latent.len(),
                        nwt_model::vae::LATENT
                    )));
                }
                if latent.iter().any(|v| !v.is_finite()) {
                    return Err(bad("the latent holds a non-finite value".into()));
                }
                Ok(std::array::from_fn(|i| latent[i]))
            }
        }
    }
}

impl AnchorEncoder {
    /// Semantic-knob charts computed so far (one per anchor and knob).
    pub fn knob_chart_count(&self) -> usize {
        self.knob_charts.len()
    }

    /// When `wanted` (the worker's call: the sound rests, or the modulation
    /// matrix may move a knob) or while a semantic knob is in use, computes
    /// one missing knob chart of one of `request`'s anchors, giving up as
    /// soon as `stop` says so (see [`knobs::KnobCharts::prepare_one`]);
    /// returns whether there was one to compute.
    pub fn prepare_knob_chart(
        &mut self,
        model: &Model,
        request: &TableRequest,
        wanted: bool,
        stop: &dyn Fn() -> bool,
    ) -> Result<bool, NeuralError> {
        let in_use = wanted || request.knobs.iter().any(|&v| v != 0.0);
        if request.user.is_some() || !in_use {
            return Ok(false);
        }
        for point in anchor_points(model, self, request)? {
            if self.knob_charts.prepare_one(model, &point.latent, stop)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The latents of every frame of the table `request` describes: the path
/// through the filled anchors (a saw when none is filled) with the macro
/// offset applied, paced evenly in timbre.
pub fn table_latents(
    model: &Model,
    encoder: &mut AnchorEncoder,
    request: &TableRequest,
) -> Result<Vec<Latent>, NeuralError> {
    Ok(table_plan(model, encoder, request, Pacing::Measure)?.latents)
}

/// The filled anchors of `request` (a saw when none is filled), in slot order.
fn anchor_points(
    model: &Model,
    encoder: &mut AnchorEncoder,
    request: &TableRequest,
) -> Result<Vec<AnchorPoint>, NeuralError> {
    let mut points = Vec::new();
    for (slot, anchor) in request.anchors.slots.iter().enumerate() {
        if let Some(anchor) = anchor {
            points.push(encoder.point(model, slot, anchor)?);
        }
    }
    if points.is_empty() {
        points.push(encoder.point(model, 0, &Anchor::shape(AnchorShape::Saw))?);
    }
    Ok(points)
}

/// A neural table before decoding: where its frames lie.
#[derive(Debug, Clone)]
pub struct TablePlan {
    /// The latent of every frame.
    pub latents: Vec<Latent>,
    /// The anchors the path runs through, in slot order.
    pub points: Vec<AnchorPoint>,
    /// Each of `points` as the table plays it: moved by the named knobs
    /// (before the macros move it).
    pub played: Vec<Latent>,
    /// The frames' places on the (macro-moved) latent path: the pacing. With
    /// two or more anchors these are also the weights that carry each
    /// anchor's residual along the path.
    pub pacing: PathPacing,
    /// Whether the pacing was measured for this path (not reused).
    pub measured: bool,
}

/// Where a table's frames sit on its latent path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathPacing {
    /// Segments of the macro-moved latent path (0 for a single point; with
    /// one anchor "Along Path" makes it one segment, to the moved point).
    pub segments: usize,
    /// Each frame's place: (segment, fraction).
    pub positions: Vec<PathPosition>,
}

/// How a table's frames are paced along its path.
#[derive(Debug, Clone, Copy)]
pub enum Pacing<'a> {
    /// Measure the path ([`Model::paced_path_anchored`]: a coarse decode of
    /// 32 points per segment, with the anchors' residuals, as it will sound).
    Measure,
    /// Reuse the pacing of an earlier table when it has as many frames and
    /// segments (otherwise measure): no extra decode. The worker builds with
    /// it while knobs move and measures once they rest.
    Reuse(&'a PathPacing),
}

/// The latents of every frame (as [`table_latents`]), the anchors they run
/// through and each frame's place between them.
///
/// The macro offset moves every anchor ("Anchors" mode) or grows along the
/// path from none at the first anchor to all of it at the last ("Along Path";
/// with one anchor the path runs from it to the moved point). Each segment's
/// frames are paced evenly in timbre ([`Model::paced_path_anchored`], with the anchors' residuals).
pub fn table_plan(
    model: &Model,
    encoder: &mut AnchorEncoder,
    request: &TableRequest,
    pacing: Pacing<'_>,
) -> Result<TablePlan, NeuralError> {
    let points = anchor_points(model, encoder, request)?;
    let played = points
        .iter()
        .map(|p| encoder.knob_charts.moved(model, &p.latent, &request.knobs))
        .collect::<Result<Vec<Latent>, _>>()?;
    let frames = request.frames.clamp(1, crate::MAX_FRAMES);
    let centre = model.macros_to_latent(&[0.0; MACROS]);
    let knobs = model.macros_to_latent(&request.macros);
    let offset: Latent = std::array::from_fn(|i| knobs[i] - centre[i]);
    let moved =
        |z: &Latent, weight: f32| -> Latent { std::array::from_fn(|d| z[d] + offset[d] * weight) };
    let anchors = &played;
    let last = anchors.len() - 1;
    let path: Vec<Latent> = match request.mode {
        MacroMode::Anchors => anchors.iter().map(|z| moved(z, 1.0)).collect(),
        MacroMode::Path if frames == 1 => vec![moved(&anchors[0], 1.0)],
        MacroMode::Path if last == 0 => vec![anchors[0], moved(&anchors[0], 1.0)],
        MacroMode::Path => anchors
            .iter()
            .enumerate()
            .map(|(k, z)| moved(z, k as f32 / last as f32))
            .collect(),
    };
    let segments = path.len() - 1;
    let (pacing, measured) = match pacing {
        Pacing::Reuse(earlier)
            if earlier.segments == segments && earlier.positions.len() == frames =>
        {
            (earlier.clone(), false)
        }
        _ => {
            let residuals: Vec<Option<Residual>> =
                points.iter().map(|p| p.residual.clone()).collect();
            let positions = model.paced_path_anchored(&path, &residuals, frames)?;
            (
                PathPacing {
                    segments,
                    positions,
                },
                true,
            )
        }
    };
    let latents = pacing
        .positions
        .iter()
        .map(|&p| point_on(&path, p))
        .collect();
    Ok(TablePlan {
        latents,
        points,
        played,
        pacing,
        measured,
    })
}

/// Decodes the neural table `request` describes (all frames in one batched
/// call) and builds its mip levels.
pub fn build_table(
    model: &Model,
    encoder: &mut AnchorEncoder,
    request: &TableRequest,
) -> Result<WavetableSet, NeuralError> {
    Ok(build_paced_table(model, encoder, request, Pacing::Measure)?.set)
}

/// A built neural table and where its frames lie.
pub struct BuiltTable {
    /// The playable set.
    pub set: WavetableSet,
    /// The latent of every frame.
    pub latents: Vec<Latent>,
    /// The filled anchors as the table plays them, in slot order
    /// ([`TablePlan::played`]).
    pub played: Vec<Latent>,
    /// The pacing the frames were placed with (for [`Pacing::Reuse`]).
    pub pacing: PathPacing,
    /// Whether that pacing was measured for this table's path.
    pub measured: bool,
}

/// [`build_table`] with a choice of pacing, also returning the latents of the
/// table's frames and their pacing. Always the neural table: `request.user` is
/// for the worker to choose [`build_user_table`] instead.
pub fn build_paced_table(
    model: &Model,
    encoder: &mut AnchorEncoder,
    request: &TableRequest,
    pacing: Pacing<'_>,
) -> Result<BuiltTable, NeuralError> {
    let TablePlan {
        latents,
        points,
        played,
        pacing,
        measured,
    } = table_plan(model, encoder, request, pacing)?;
    // What the network misses of each anchor's source is added back along
    // the path (`nwt_model::anchored`), so the table runs exactly through its
    // anchors (a saw anchor plays a saw) and the macros apply the network's
    // change on top, as a gain per harmonic with the source's phases. The
    // set normalises each frame's peak itself.
    let residuals: Vec<Option<Residual>> = points.into_iter().map(|p| p.residual).collect();
    let levels = model.decode_levels(&latents)?;
    let spectra = nwt_model::anchored::frames(&levels, &pacing.positions, &residuals);
    let mut set = WavetableSet::from_harmonics(&spectra)?;
    if request.even_loudness {
        set.even_loudness(EVEN_LOUDNESS_WINDOW_DB);
    }
    Ok(BuiltTable {
        set,
        latents,
        played,
        pacing,
        measured,
    })
}

/// Builds the playable set of an imported table (its frames band-limited into
/// mip levels; frames of any one length).
pub fn build_user_table(table: &UserTable) -> Result<WavetableSet, NeuralError> {
    if table.frames.iter().all(|f| f.len() == crate::FRAME_LEN) {
        return Ok(WavetableSet::from_frames(&table.frames)?);
    }
    let spectra: Vec<Harmonics> = table
        .frames
        .iter()
        .map(|f| Harmonics::from_cycle(f))
        .collect();
    Ok(WavetableSet::from_harmonics(&spectra)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(shapes: &[AnchorShape], frames: usize) -> TableRequest {
        TableRequest {
            user: None,
            macros: [0.0; MACROS],
            knobs: [0.0; knobs::KNOBS],
            frames,
            mode: MacroMode::Anchors,
            even_loudness: true,
            anchors: Anchors::from_shapes(shapes),
        }
    }

    #[test]
    fn pacing_is_reused_only_for_a_path_of_the_same_shape() {
        let model = Model::embedded().unwrap();
        let mut enc = AnchorEncoder::default();
        let two = request(&[AnchorShape::Sine, AnchorShape::Saw], 16);
        let first = build_paced_table(&model, &mut enc, &two, Pacing::Measure).unwrap();
        assert!(first.measured);
        assert_eq!(first.pacing.segments, 1);
        // Same shape, other macros: reused as it is.
        let mut moved = two.clone();
        moved.macros[0] = 0.5;
        let again =
            build_paced_table(&model, &mut enc, &moved, Pacing::Reuse(&first.pacing)).unwrap();
        assert!(!again.measured);
        assert_eq!(again.pacing, first.pacing);
        // A third anchor: measured afresh, so the table still reaches it.
        let three = request(
            &[AnchorShape::Sine, AnchorShape::Saw, AnchorShape::Square],
            16,
        );
        let plan = table_plan(&model, &mut enc, &three, Pacing::Reuse(&first.pacing)).unwrap();
        assert!(plan.measured);
        assert_eq!(plan.pacing.segments, 2);
        assert_eq!(plan.latents.last(), Some(&plan.points[2].latent));
        // As many segments but other frames: measured too.
        let more = request(&[AnchorShape::Sine, AnchorShape::Saw], 32);
        let plan = table_plan(&model, &mut enc, &more, Pacing::Reuse(&first.pacing)).unwrap();
        assert!(plan.measured && plan.latents.len() == 32);
    }

    #[test]
    fn macro_modes_differ_only_along_the_path() {
        let model = Model::embedded().unwrap();
        let mut enc = AnchorEncoder::default();
        let mut req = request(&[AnchorShape::Sine, AnchorShape::Saw], 8);
        req.macros[0] = 0.7;
        let every = table_latents(&model, &mut enc, &req).unwrap();
        req.mode = MacroMode::Path;
        let along = table_latents(&model, &mut enc, &req).unwrap();
        req.macros[0] = 0.0;
        let plain = table_latents(&model, &mut enc, &req).unwrap();
        // Along the path the first frame is untouched and the last gets the full offset.
        assert_eq!(along[0], plain[0]);
        assert_eq!(along[7], every[7]);
        assert_ne!(every[0], plain[0]);
    }

    /// Waveform SNR of `b` against `a`, in dB.
    fn snr_db(a: &[f32], b: &[f32]) -> f64 {
        let signal: f64 = a.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        let noise: f64 = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| f64::from(x - y).powi(2))
            .sum();
        10.0 * (signal / noise.max(1e-30)).log10()
    }

    #[test]
    fn the_table_runs_exactly_through_its_anchors() {
        let model = Model::embedded().unwrap();
        let mut enc = AnchorEncoder::default();
        let exact = |shape: AnchorShape| {
            WavetableSet::from_harmonics(&[Model::canonical(&shape.harmonics())])
                .unwrap()
                .frame(0)
        };
        let (saw, square) = (exact(AnchorShape::Saw), exact(AnchorShape::Square));
        let req = request(&[AnchorShape::Saw, AnchorShape::Square], 9);
        let set = build_table(&model, &mut enc, &req).unwrap();
        // Even Loudness scales whole frames; the shape is what must be exact.
        let peak_normalised = |f: Vec<f32>| {
            let peak = f.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            f.iter().map(|x| x / peak).collect::<Vec<f32>>()
        };
        let (first, middle, last) = (
            peak_normalised(set.frame(0)),
            peak_normalised(set.frame(4)),
            peak_normalised(set.frame(8)),
        );
        let (at_saw, at_square) = (snr_db(&saw, &first), snr_db(&square, &last));
        // The network alone decodes the saw's levels (MODEL.md), in sine phase.
        let decoded = model
            .decode(&[enc
                .latent(&model, 0, &Anchor::shape(AnchorShape::Saw))
                .unwrap()])
            .unwrap();
        let network_only = snr_db(
            &saw,
            &WavetableSet::from_harmonics(&decoded).unwrap().frame(0),
        );
        println!("saw anchor: table {at_saw:.1} dB, network alone {network_only:.1} dB; square anchor {at_square:.1} dB");
        assert!(at_saw > 80.0 && at_square > 80.0);
        assert!(
            at_saw > network_only + 20.0,
            "the table's anchor frame is the source, not the network's own frame"
        );
        // Between them the frame is neither.
        let (m_saw, m_square) = (snr_db(&saw, &middle), snr_db(&square, &middle));
        println!("middle frame against the saw {m_saw:.1} dB, against the square {m_square:.1} dB");
        assert!(m_saw < 15.0 && m_square < 15.0);

        // Macros move the sound away from the exact anchor.
        let mut moved = req.clone();
        moved.macros[0] = 0.8;
        let set = build_table(&model, &mut enc, &moved).unwrap();
        assert!(snr_db(&saw, &set.frame(0)) < 30.0);
    }

    #[test]
    fn bad_anchors_are_named_errors() {
        let model = Model::embedded().unwrap();
        let mut enc = AnchorEncoder::default();
        let mut req = request(&[AnchorShape::Sine], 8);
        req.anchors.slots[1] = Some(Anchor::Latent {
            name: "short".into(),
            latent: vec![0.0; 3],
        });
        let err = build_table(&model, &mut enc, &req).unwrap_err().to_string();
        assert!(
            err.contains("anchor B") && err.contains("3 values"),
            "{err}"
        );
        req.anchors.slots[1] = Some(Anchor::Wave {
            name: "nan.wav".into(),
            samples: vec![f32::NAN; 64],
        });
        assert!(build_table(&model, &mut enc, &req).is_err());
    }

    #[test]
    fn empty_anchors_fall_back_to_a_saw() {
        let model = Model::embedded().unwrap();
        let mut enc = AnchorEncoder::default();
        let mut req = request(&[], 8);
        req.anchors.slots = Default::default();
        let set = build_table(&model, &mut enc, &req).unwrap();
        assert_eq!(set.frame_count(), 8);
    }
}
