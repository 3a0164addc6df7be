//! Measuring the model (feature `train`): harmonic-magnitude error, waveform
//! SNR after the best circular shift, the classic shapes, and interpolation
//! smoothness along latent paths.

use crate::dataset::{Dataset, Split};
use crate::families::harmonics_to_frame;
use crate::levels;
use crate::model::{coeffs_to_harmonics, path_latents, Model, ModelError, MACROS};
use crate::pacing::spectral_step;
use crate::pca::Pca;
use crate::rng::Rng;
use crate::vae::LATENT;
use crate::{Harmonics, Shape};
use rustfft::{num_complex::Complex64, FftPlanner};
use std::collections::BTreeMap;

/// Frames of each interpolation path.
pub const PATH_FRAMES: usize = 64;
/// Harmonics compared by the magnitude error.
pub const EVAL_HARMONICS: usize = 256;
/// Harmonics below this level (dB re the strongest) are left out of the error.
pub const EVAL_FLOOR_DB: f64 = -60.0;

/// Magnitude error in dB of each harmonic 1..=256 whose reference level is
/// above -60 dB re the strongest harmonic.
pub fn harmonic_errors_db(reference: &Harmonics, decoded: &Harmonics) -> Vec<f64> {
    harmonic_errors_with_level(reference, decoded)
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

/// Level bands (dB re the strongest harmonic) of the error breakdown.
pub const LEVEL_BANDS: [(f64, f64); 3] = [(-20.0, 0.0), (-40.0, -20.0), (-60.0, -40.0)];

/// Like [`harmonic_errors_db`], each error paired with its reference level in dB
/// re the strongest harmonic.
pub fn harmonic_errors_with_level(reference: &Harmonics, decoded: &Harmonics) -> Vec<(f64, f64)> {
    let strongest = (1..=EVAL_HARMONICS)
        .map(|h| reference.magnitude(h))
        .fold(0.0f32, f32::max);
    if strongest <= 0.0 {
        return Vec::new();
    }
    let decoded_strongest = (1..=EVAL_HARMONICS)
        .map(|h| decoded.magnitude(h))
        .fold(0.0f32, f32::max)
        .max(1e-30);
    let db = |m: f32| 20.0 * f64::from(m.max(1e-9)).log10();
    let decoded_db = |m: f32| 20.0 * f64::from((m / decoded_strongest).max(1e-9)).log10();
    (1..=EVAL_HARMONICS)
        .map(|h| (db(reference.magnitude(h)) - db(strongest), h))
        .filter(|&(level, _)| level > EVAL_FLOOR_DB)
        .map(|(level, h)| (level, (decoded_db(decoded.magnitude(h)) - level).abs()))
        .collect()
}

/// Waveform SNR in dB of `decoded` against `reference` (2048-sample renderings)
/// after the circular shift that best aligns them.
pub fn snr_best_shift(reference: &Harmonics, decoded: &Harmonics) -> f64 {
    let a = harmonics_to_frame(reference);
    let b = harmonics_to_frame(decoded);
    let n = a.len();
    let mut planner = FftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(n);
    let ifft = planner.plan_fft_inverse(n);
    let mut fa: Vec<Complex64> = a
        .iter()
        .map(|&x| Complex64::new(f64::from(x), 0.0))
        .collect();
    let mut fb: Vec<Complex64> = b
        .iter()
        .map(|&x| Complex64::new(f64::from(x), 0.0))
        .collect();
    fft.process(&mut fa);
    fft.process(&mut fb);
    let mut xc: Vec<Complex64> = fa.iter().zip(&fb).map(|(x, y)| x * y.conj()).collect();
    ifft.process(&mut xc);
    let shift = (0..n)
        .max_by(|&i, &j| xc[i].re.total_cmp(&xc[j].re))
        .unwrap_or(0);
    let signal: f64 = a.iter().map(|&x| f64::from(x).powi(2)).sum();
    let noise: f64 = (0..n)
        .map(|i| (f64::from(a[(i + shift) % n]) - f64::from(b[i])).powi(2))
        .sum();
    10.0 * (signal / noise.max(1e-30)).log10()
}

/// Statistics of one family.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FamilyStats {
    /// Frames measured.
    pub frames: usize,
    /// Mean harmonic-magnitude error, dB.
    pub mean_db: f64,
    /// 95th percentile of the harmonic-magnitude error, dB.
    pub p95_db: f64,
    /// Mean waveform SNR after the best shift, dB.
    pub mean_snr_db: f64,
}

/// The whole evaluation.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Per family, and "all".
    pub families: BTreeMap<String, FamilyStats>,
    /// Reconstruction of sine, triangle, saw and square: (name, SNR dB, mean error dB).
    pub classic: Vec<(String, f64, f64)>,
    /// Largest over mean spectral step along each 64-step path: (median, worst).
    pub smoothness: (f64, f64),
    /// Interpolation paths measured.
    pub paths: usize,
    /// The same along tables as [`Model::table`] builds them (paced evenly in timbre).
    pub table_smoothness: (f64, f64),
    /// Both (lines, tables) with the steps of levels floored at -80 dB re full scale.
    pub absolute_smoothness: ((f64, f64), (f64, f64)),
    /// The linear baseline's mean harmonic error per family (and "all",
    /// "all but noise"): PCA of the training frames' levels with as many
    /// components as the latent has numbers, and with 8.
    pub baseline: BTreeMap<String, (f64, f64)>,
    /// Per anchor shape: the source's own quiet energy and the mean of the
    /// frames moved from it by [`FLOOR_MOVES`] ([`macro_move_floor`]), dB.
    pub floors: Vec<(String, f64, f64)>,
    /// Smoothness of the tables the synth builds between two test frames
    /// dropped on anchors ([`Model::table_through`]: exact at both ends): (median, worst).
    pub anchored_smoothness: (f64, f64),
    /// The error of every family by reference level ([`LEVEL_BANDS`]):
    /// (share of the compared harmonics, mean error dB) per band.
    pub by_level: Vec<(f64, f64)>,
}

fn stats(errors: &mut [f64], snrs: &[f64], frames: usize) -> FamilyStats {
    errors.sort_by(f64::total_cmp);
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    FamilyStats {
        frames,
        mean_db: mean(errors),
        p95_db: errors
            .get((errors.len() as f64 * 0.95) as usize)
            .copied()
            .unwrap_or(0.0),
        mean_snr_db: mean(snrs),
    }
}

/// The linear baseline: the PCA of scaled levels ([`crate::levels::to_unit`]).
pub struct LinearBaseline {
    pca: Pca,
}

impl LinearBaseline {
    /// Fits `components` principal components to the levels of `frames`.
    pub fn fit(frames: &[Harmonics], components: usize) -> Self {
        let rows: Vec<Vec<f32>> = frames.iter().map(Model::input_levels).collect();
        Self {
            pca: Pca::fit(&rows, components),
        }
    }

    /// A frame through the baseline: its levels projected on the components
    /// and back (sine phase; the error measures magnitudes only).
    pub fn reconstruct(&self, frame: &Harmonics) -> Harmonics {
        let unit = self.pca.approximate(&Model::input_levels(frame));
        levels::spectrum(&levels::from_unit(&unit), None)
    }
}

fn mean_error(frames: &[Harmonics], decoded: &[Harmonics]) -> (f64, usize) {
    let (sum, n) = frames
        .iter()
        .zip(decoded)
        .flat_map(|(r, d)| harmonic_errors_db(r, d))
        .fold((0.0, 0usize), |(s, n), e| (s + e, n + 1));
    (sum, n)
}

/// Harmonics at least this far below the source's strongest are its quiet
/// part, where a floor of faint harmonics added by a macro move shows.
pub const QUIET_BELOW_DB: f64 = -40.0;

/// The share of `frame`'s energy (harmonics 1..=512) in the harmonics where
/// `source` is quiet (more than 40 dB below its strongest), in dB. For the
/// source itself it is the source's own quiet energy; a frame moved from it
/// with a floor of faint harmonics the network could not place scores far
/// higher.
pub fn quiet_energy_db(source: &Harmonics, frame: &Harmonics) -> f64 {
    let top = crate::vae::HARMONICS;
    let strongest = (1..=top)
        .map(|h| source.magnitude(h))
        .fold(0.0f32, f32::max);
    let threshold = f64::from(strongest) * 10f64.powf(QUIET_BELOW_DB / 20.0);
    let (mut quiet, mut total) = (0.0f64, 0.0f64);
    for h in 1..=top {
        let e = f64::from(frame.magnitude(h)).powi(2);
        total += e;
        if f64::from(source.magnitude(h)) < threshold {
            quiet += e;
        }
    }
    10.0 * (quiet.max(1e-30) / total.max(1e-30)).log10()
}

/// The macro moves [`macro_move_floor`] makes from an anchor: macro 1 and
/// macro 2 (the pad's axes) each by ±0.2.
pub const FLOOR_MOVES: [(usize, f32); 4] = [(0, 0.2), (0, -0.2), (1, 0.2), (1, -0.2)];

/// The frames the synth plays from an exact anchor of `source` with each of
/// [`FLOOR_MOVES`] applied ("Every Anchor" mode, one anchor), and the mean
/// [`quiet_energy_db`] of their moved frames against the source's own.
pub fn macro_move_floor(
    model: &Model,
    source: &Harmonics,
) -> Result<(f64, Vec<Harmonics>), ModelError> {
    let canonical = Model::canonical(source);
    let latent = model.encode(&canonical)?;
    let residual = model.residual(&canonical, &latent)?;
    let centre = model.macros_to_latent(&[0.0; MACROS]);
    let mut frames = Vec::new();
    for (k, amount) in FLOOR_MOVES {
        let mut knobs = [0.0; MACROS];
        knobs[k] = amount;
        let moved = model.macros_to_latent(&knobs);
        let z: crate::Latent = std::array::from_fn(|i| latent[i] + moved[i] - centre[i]);
        let mut f = model
            .anchored_frames(&[z], &[Some(residual.clone())], &[(0, 0.0)])?
            .remove(0);
        crate::families::normalise(&mut f, crate::vae::HARMONICS);
        frames.push(f);
    }
    let mean = frames
        .iter()
        .map(|f| quiet_energy_db(&canonical, f))
        .sum::<f64>()
        / frames.len() as f64;
    Ok((mean, frames))
}

/// Reconstructs spectra through the model (encode, then decode the mean).
pub fn reconstruct(model: &Model, frames: &[Harmonics]) -> Result<Vec<Harmonics>, ModelError> {
    model.decode(&model.encode_batch(frames)?)
}

/// Largest over mean spectral step along each path; (median, worst) over the paths.
/// Mean absolute difference in dB between two spectra's harmonics 1..=256,
/// levels floored at -80 dB re full scale (the step this report measured
/// before the audible [`spectral_step`]; it also counts harmonics fading in or
/// out far below the strongest).
fn absolute_step(a: &Harmonics, b: &Harmonics) -> f64 {
    let db = |m: f32| 20.0 * f64::from(m.max(1e-4)).log10();
    (1..=EVAL_HARMONICS)
        .map(|h| (db(a.magnitude(h)) - db(b.magnitude(h))).abs())
        .sum::<f64>()
        / EVAL_HARMONICS as f64
}

fn step_ratios(paths: &[Vec<Harmonics>], step: fn(&Harmonics, &Harmonics) -> f64) -> (f64, f64) {
    let mut ratios: Vec<f64> = paths
        .iter()
        .filter_map(|frames| {
            let steps: Vec<f64> = frames.windows(2).map(|w| step(&w[0], &w[1])).collect();
            let mean = steps.iter().sum::<f64>() / steps.len().max(1) as f64;
            (mean > 1e-6).then(|| steps.iter().copied().fold(0.0, f64::max) / mean)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    match ratios.len() {
        0 => (0.0, 0.0),
        n => (ratios[n / 2], ratios[n - 1]),
    }
}

/// Evaluates on a split, at most `per_family` frames of each family.
pub fn evaluate(
    model: &Model,
    data: &Dataset,
    split: Split,
    per_family: usize,
    paths: usize,
) -> Result<Report, ModelError> {
    let mut by_family: BTreeMap<String, Vec<Harmonics>> = BTreeMap::new();
    for e in data.split(split) {
        let list = by_family.entry(e.family.clone()).or_default();
        if list.len() < per_family {
            list.push(coeffs_to_harmonics(&e.coeffs));
        }
    }
    let mut report = Report::default();
    let training: Vec<Harmonics> = data
        .split(Split::Train)
        .iter()
        .map(|e| coeffs_to_harmonics(&e.coeffs))
        .collect();
    let baselines = [
        LinearBaseline::fit(&training, LATENT),
        LinearBaseline::fit(&training, MACROS),
    ];
    let mut baseline_sums = [[(0.0, 0usize); 2]; 2];
    let (mut tonal_err, mut tonal_snr, mut tonal_frames) = (Vec::new(), Vec::new(), 0);
    let (mut all_err, mut all_snr, mut all_frames) = (Vec::new(), Vec::new(), 0);
    let mut bands = [(0usize, 0.0f64); LEVEL_BANDS.len()];
    for (family, frames) in &by_family {
        let decoded = reconstruct(model, frames)?;
        let mut errors = Vec::new();
        let mut snrs = Vec::new();
        for (r, d) in frames.iter().zip(&decoded) {
            for (level, error) in harmonic_errors_with_level(r, d) {
                if let Some(b) = LEVEL_BANDS
                    .iter()
                    .position(|&(lo, hi)| level > lo && level <= hi)
                {
                    bands[b].0 += 1;
                    bands[b].1 += error;
                }
                errors.push(error);
            }
            snrs.push(snr_best_shift(r, d));
        }
        let mut linear = [0.0; 2];
        for (b, baseline) in baselines.iter().enumerate() {
            let approx: Vec<Harmonics> = frames.iter().map(|f| baseline.reconstruct(f)).collect();
            let (sum, n) = mean_error(frames, &approx);
            linear[b] = sum / n.max(1) as f64;
            for (total, tonal) in [(0, true), (1, family != "noise")] {
                if tonal {
                    baseline_sums[total][b].0 += sum;
                    baseline_sums[total][b].1 += n;
                }
            }
        }
        report
            .baseline
            .insert(family.clone(), (linear[0], linear[1]));
        if family != "noise" {
            tonal_err.extend_from_slice(&errors);
            tonal_snr.extend_from_slice(&snrs);
            tonal_frames += frames.len();
        }
        all_err.extend_from_slice(&errors);
        all_snr.extend_from_slice(&snrs);
        all_frames += frames.len();
        report
            .families
            .insert(family.clone(), stats(&mut errors, &snrs, frames.len()));
    }
    report
        .families
        .insert("all".into(), stats(&mut all_err, &all_snr, all_frames));
    report.families.insert(
        "all but noise".into(),
        stats(&mut tonal_err, &tonal_snr, tonal_frames),
    );
    for (name, sums) in ["all", "all but noise"].into_iter().zip(baseline_sums) {
        let mean = |(s, n): (f64, usize)| s / n.max(1) as f64;
        report
            .baseline
            .insert(name.into(), (mean(sums[0]), mean(sums[1])));
    }
    let compared = bands.iter().map(|b| b.0).sum::<usize>().max(1) as f64;
    report.by_level = bands
        .iter()
        .map(|&(n, sum)| (n as f64 / compared, sum / n.max(1) as f64))
        .collect();

    for (name, shape) in [
        ("sine", Shape::Sine),
        ("triangle", Shape::Triangle),
        ("saw", Shape::Saw),
        ("square", Shape::Square),
    ] {
        let mut h = shape.harmonics();
        crate::families::align_phase(&mut h);
        crate::families::normalise(&mut h, crate::vae::HARMONICS);
        let d = &reconstruct(model, std::slice::from_ref(&h))?[0];
        let errors = harmonic_errors_db(&h, d);
        let mean = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
        report
            .classic
            .push((name.to_string(), snr_best_shift(&h, d), mean));
    }

    for (name, shape) in floor_shapes() {
        let h = Model::canonical(&shape.harmonics());
        let (moved, _) = macro_move_floor(model, &h)?;
        report
            .floors
            .push((name.to_string(), quiet_energy_db(&h, &h), moved));
    }

    let test: Vec<Harmonics> = data
        .split(split)
        .iter()
        .map(|e| coeffs_to_harmonics(&e.coeffs))
        .collect();
    if test.len() >= 2 && paths > 0 {
        let mut rng = Rng::new(64);
        let (mut lines, mut tables, mut anchored) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..paths {
            let i = (rng.next_u64() % test.len() as u64) as usize;
            let j = (rng.next_u64() % test.len() as u64) as usize;
            let ends = model.encode_batch(&[test[i].clone(), test[j].clone()])?;
            lines.push(model.decode(&path_latents(&ends, PATH_FRAMES))?);
            tables.push(model.table(&ends, PATH_FRAMES)?);
            anchored.push(model.table_through(&[test[i].clone(), test[j].clone()], PATH_FRAMES)?);
        }
        report.paths = lines.len();
        report.smoothness = step_ratios(&lines, spectral_step);
        report.table_smoothness = step_ratios(&tables, spectral_step);
        report.anchored_smoothness = step_ratios(&anchored, spectral_step);
        report.absolute_smoothness = (
            step_ratios(&lines, absolute_step),
            step_ratios(&tables, absolute_step),
        );
    }
    Ok(report)
}

/// The anchors whose macro-move floor the report measures: the saw, the
/// triangle and the factory "vowel_a" shape.
pub fn floor_shapes() -> [(&'static str, Shape); 3] {
    [
        ("saw", Shape::Saw),
        ("triangle", Shape::Triangle),
        ("vowel_a", Shape::Formant([7.0, 11.0, 25.0])),
    ]
}

impl Report {
    /// The report as Markdown tables.
    pub fn markdown(&self) -> String {
        let mut out = format!("| family | frames | mean error (dB) | p95 error (dB) | linear baseline, {LATENT} components (dB) | linear baseline, {MACROS} components (dB) | mean SNR (dB) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (name, s) in &self.families {
            let (wide, narrow) = self.baseline.get(name).copied().unwrap_or_default();
            out += &format!(
                "| {name} | {} | {:.2} | {:.2} | {wide:.2} | {narrow:.2} | {:.1} |\n",
                s.frames, s.mean_db, s.p95_db, s.mean_snr_db
            );
        }
        out += "\n| reference level (dB re strongest) | share of harmonics | mean error (dB) |\n| --- | ---: | ---: |\n";
        for (&(lo, hi), &(share, mean)) in LEVEL_BANDS.iter().zip(&self.by_level) {
            out += &format!(
                "| {lo:.0} to {hi:.0} | {:.0} % | {mean:.2} |\n",
                share * 100.0
            );
        }
        out += "\n| classic shape | SNR (dB) | mean error (dB) |\n| --- | ---: | ---: |\n";
        for (name, snr, err) in &self.classic {
            out += &format!("| {name} | {snr:.1} | {err:.2} |\n");
        }
        out += "\n| anchor | its quiet energy (dB) | after a macro move (dB) |\n| --- | ---: | ---: |\n";
        for (name, own, moved) in &self.floors {
            out += &format!("| {name} | {own:.1} | {moved:.1} |\n");
        }
        out += "(Quiet energy: the share of a frame's energy in the harmonics where the anchor is more than 40 dB below its strongest; after a macro move: mean over macro 1 and 2 moved by ±0.2 from the exact anchor, as the synth plays it.)\n";
        out += &format!(
            "\nInterpolation smoothness (largest / mean spectral step along 64-step straight latent paths between {} random test pairs; the network alone; a step is the mean dB change of harmonics 1..256, levels re each frame's strongest harmonic floored at -60 dB): median {:.2}, worst {:.2}.\n",
            self.paths, self.smoothness.0, self.smoothness.1
        );
        out += &format!(
            "The same along 64-frame tables as the synth builds them (`Model::table`: frames paced evenly in timbre): median {:.2}, worst {:.2}.\n",
            self.table_smoothness.0, self.table_smoothness.1
        );
        out += &format!(
            "Tables through two test frames dropped on anchors A and B, as the synth and `nwt table` build them (`Model::table_through`: exact at both ends, levels and phases of the sources carried along the path): median {:.2}, worst {:.2}.\n",
            self.anchored_smoothness.0, self.anchored_smoothness.1
        );
        let ((lm, lw), (tm, tw)) = self.absolute_smoothness;
        out += &format!(
            "With levels floored at -80 dB re full scale instead (harmonics fading in or out far below the strongest count too): lines median {lm:.2}, worst {lw:.2}; tables median {tm:.2}, worst {tw:.2}.\n"
        );
        out
    }
}
