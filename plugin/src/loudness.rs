//! How loud a preset is: the standard chord rendered through the real engine
//! and decoder worker, measured as EBU R128 prescribes (the `ebur128` crate:
//! K-weighting, 400-ms momentary loudness) and by its sample peak.
//!
//! The factory bank is level-matched on this measure: every preset's
//! loudest momentary loudness sits within [`WINDOW_LU`] of [`TARGET_LUFS`],
//! and the chord peaks at or below [`PEAK_CEILING_DBFS`]
//! (`plugin/tests/factory_bank.rs` enforces both; `nwt presets --loudness`
//! prints the figures). Preset authors: set `gain` so your sound lands there.

use crate::preset::Preset;
use nwt_engine::neural::{DecoderWorker, WorkerOptions};
use nwt_engine::offline::{self, OfflineNote, RenderOptions};
use nwt_engine::{Synth, SynthParams};
use nwt_model::Model;
use std::sync::Arc;
use std::time::Duration;

/// The chord every preset is measured on: C3, E3 and G3 for 1.5 s, C4 from
/// 0.2 s to 1.5 s, velocity 0.8 (MIDI key, start and end in seconds).
pub const STANDARD_CHORD: [(u8, f32, f32); 4] = [
    (48, 0.0, 1.5),
    (52, 0.0, 1.5),
    (55, 0.0, 1.5),
    (60, 0.2, 1.5),
];
/// Velocity of the standard chord's notes.
pub const CHORD_VELOCITY: f32 = 0.8;
/// Sample rate of the measurement.
pub const SAMPLE_RATE: u32 = 48_000;
/// The factory bank's loudness: maximum momentary loudness of the standard chord.
pub const TARGET_LUFS: f64 = -19.0;
/// How far a factory preset may sit from [`TARGET_LUFS`], in LU.
pub const WINDOW_LU: f64 = 2.0;
/// Highest sample peak of the standard chord, dBFS.
pub const PEAK_CEILING_DBFS: f64 = -1.0;

/// A preset's loudness on the standard chord.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loudness {
    /// Largest momentary (400 ms, K-weighted) loudness, LUFS.
    pub momentary_max_lufs: f64,
    /// Largest sample of either channel, dBFS.
    pub peak_dbfs: f64,
}

/// Why a measurement failed.
#[derive(Debug, thiserror::Error)]
pub enum LoudnessError {
    /// The loudness meter refused the signal's layout.
    #[error("loudness meter: {0}")]
    Meter(String),
    /// The decoder worker could not start or did not build the preset's table.
    #[error("decoder: {0}")]
    Decoder(String),
    /// The preset did not load.
    #[error(transparent)]
    Preset(#[from] crate::preset::PresetError),
}

/// Measures a stereo signal: the maximum momentary loudness (updated every
/// 100 ms) and the sample peak.
pub fn measure(left: &[f32], right: &[f32], sample_rate: u32) -> Result<Loudness, LoudnessError> {
    use ebur128::{EbuR128, Mode};
    let meter_error = |e: ebur128::Error| LoudnessError::Meter(e.to_string());
    let mut meter = EbuR128::new(2, sample_rate, Mode::M).map_err(meter_error)?;
    let hop = (sample_rate / 10).max(1) as usize;
    let len = left.len().min(right.len());
    let mut loudest = f64::NEG_INFINITY;
    let mut start = 0;
    while start < len {
        let end = (start + hop).min(len);
        meter
            .add_frames_planar_f32(&[&left[start..end], &right[start..end]])
            .map_err(meter_error)?;
        let momentary = meter.loudness_momentary().map_err(meter_error)?;
        if momentary.is_finite() {
            loudest = loudest.max(momentary);
        }
        start = end;
    }
    let peak = left[..len]
        .iter()
        .chain(&right[..len])
        .fold(0.0f32, |m, x| m.max(x.abs()));
    Ok(Loudness {
        momentary_max_lufs: loudest,
        peak_dbfs: 20.0 * f64::from(peak.max(1e-12)).log10(),
    })
}

/// Renders the standard chord with `preset` (the decoder settled before the
/// first sample, as a bounce renders it); returns the stereo output.
pub fn render_standard_chord(
    preset: &Preset,
    model: &Model,
) -> Result<(Vec<f32>, Vec<f32>), LoudnessError> {
    render_notes(preset, model, &STANDARD_CHORD)
}

/// Renders `notes` (MIDI key, start and end in seconds, velocity
/// [`CHORD_VELOCITY`]) with `preset`, the decoder settled first.
pub fn render_notes(
    preset: &Preset,
    model: &Model,
    notes: &[(u8, f32, f32)],
) -> Result<(Vec<f32>, Vec<f32>), LoudnessError> {
    let sr = SAMPLE_RATE as f32;
    let params = Arc::new(SynthParams::default());
    preset.load_into(&params, sr)?;
    params.reset_smoothers(sr);
    let mut synth = Synth::new(params, sr);
    let worker = DecoderWorker::attach(&mut synth, model.clone(), WorkerOptions::default())
        .map_err(|e| LoudnessError::Decoder(e.to_string()))?;
    if !worker.settle(Duration::from_secs(60)) {
        return Err(LoudnessError::Decoder(
            "the table was not built within 60 s".into(),
        ));
    }
    let notes: Vec<OfflineNote> = notes
        .iter()
        .map(|&(key, start, end)| OfflineNote {
            key,
            start: (start * sr) as u64,
            end: (end * sr) as u64,
            velocity: CHORD_VELOCITY,
            channel: 0,
        })
        .collect();
    let mut options = RenderOptions::new(sr);
    options.max_tail = (12.0 * sr) as u64;
    let out = offline::render_settled(
        &mut synth,
        &worker,
        offline::note_events(&notes),
        options,
        Duration::from_secs(60),
    );
    Ok((out.left, out.right))
}

/// [`render_standard_chord`] then [`measure`].
pub fn preset_loudness(preset: &Preset, model: &Model) -> Result<Loudness, LoudnessError> {
    let (left, right) = render_standard_chord(preset, model)?;
    measure(&left, &right, SAMPLE_RATE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_reads_as_its_known_loudness() {
        // EBU R128's calibration: a 1 kHz sine at the same level in both
        // channels reads that level in LUFS (0 dBFS → 0 LUFS).
        let sr = 48_000;
        let sine: Vec<f32> = (0..sr * 2)
            .map(|i| (std::f32::consts::TAU * 1000.0 * i as f32 / sr as f32).sin())
            .collect();
        let l = measure(&sine, &sine, sr as u32).unwrap();
        assert!((l.momentary_max_lufs - 0.0).abs() < 0.2, "{l:?}");
        assert!(l.peak_dbfs.abs() < 0.01);
        let half: Vec<f32> = sine.iter().map(|x| x * 0.5).collect();
        let l2 = measure(&half, &half, sr as u32).unwrap();
        assert!((l.momentary_max_lufs - l2.momentary_max_lufs - 6.02).abs() < 0.05);
    }
}
