//! The table view: the current frame's waveform, every frame of the table as a
//! heat map (frames top to bottom, one cycle left to right) with the position
//! of every sounding voice marked, and the current frame's harmonic spectrum.

use crate::theme;
use egui::{
    pos2, vec2, Align2, Color32, ColorImage, FontId, Rect, Stroke, TextureHandle, TextureOptions,
    Ui,
};
use rustfft::num_complex::Complex32;
use std::sync::Arc;

/// Harmonics drawn in the spectrum.
pub const SPECTRUM_HARMONICS: usize = 256;
/// The spectrum's floor in dB below the strongest harmonic.
pub const SPECTRUM_FLOOR_DB: f32 = -90.0;
/// Columns of the heat map (samples of each cycle shown).
const HEAT_COLUMNS: usize = 256;

/// Frames to show, shared with whoever made them.
pub type Frames = Arc<Vec<Vec<f32>>>;

/// Caches between frames: the heat map's texture and the spectrum.
#[derive(Default)]
pub struct TableView {
    // Each cache keeps the frames it was made from: comparing with
    // `Arc::ptr_eq` against a live `Arc` cannot be fooled by a reused address.
    texture: Option<(Frames, TextureHandle)>,
    spectrum: Option<(Frames, usize, Vec<f32>)>,
}

/// The magnitudes of harmonics 1..=`SPECTRUM_HARMONICS` of one cycle in dB
/// relative to the strongest (floored at [`SPECTRUM_FLOOR_DB`]).
pub fn harmonic_levels_db(cycle: &[f32]) -> Vec<f32> {
    let n = cycle.len();
    if n < 4 {
        return vec![SPECTRUM_FLOOR_DB; SPECTRUM_HARMONICS];
    }
    let mut buffer: Vec<Complex32> = cycle.iter().map(|&v| Complex32::new(v, 0.0)).collect();
    rustfft::FftPlanner::new()
        .plan_fft_forward(n)
        .process(&mut buffer);
    let top = (n / 2 - 1).min(SPECTRUM_HARMONICS);
    let mags: Vec<f32> = (1..=top).map(|h| buffer[h].norm()).collect();
    let peak = mags.iter().cloned().fold(1e-12, f32::max);
    let mut db: Vec<f32> = mags
        .iter()
        .map(|m| (20.0 * (m / peak).max(1e-9).log10()).max(SPECTRUM_FLOOR_DB))
        .collect();
    db.resize(SPECTRUM_HARMONICS, SPECTRUM_FLOOR_DB);
    db
}

fn heat_colour(v: f32) -> Color32 {
    let t = v.clamp(-1.0, 1.0);
    let base = theme::PLOT;
    let target = if t >= 0.0 { theme::WARM } else { theme::ACCENT };
    let a = t.abs().powf(0.8);
    Color32::from_rgb(
        (base.r() as f32 + (target.r() as f32 - base.r() as f32) * a) as u8,
        (base.g() as f32 + (target.g() as f32 - base.g() as f32) * a) as u8,
        (base.b() as f32 + (target.b() as f32 - base.b() as f32) * a) as u8,
    )
}

/// The frame index nearest `position` (0..1) in a table of `count` frames.
pub fn frame_at(position: f32, count: usize) -> usize {
    let last = count.saturating_sub(1);
    ((position.clamp(0.0, 1.0) * last as f32).round() as usize).min(last)
}

impl TableView {
    /// Draws the three views into `ui`, `width` wide.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        frames: &Frames,
        position: f32,
        voices: &[f32],
        width: f32,
        grow: f32,
    ) {
        if frames.is_empty() {
            ui.label("No table yet: the decoder is starting.");
            return;
        }
        let index = frame_at(position, frames.len());
        let cycle = &frames[index];

        // Waveform.
        let (rect, _) = ui.allocate_exact_size(vec2(width, 110.0 * grow), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, theme::PLOT);
        painter.line_segment(
            [rect.left_center(), rect.right_center()],
            Stroke::new(0.5, theme::GRID),
        );
        let points: Vec<egui::Pos2> = (0..=400)
            .map(|i| {
                let s = (i * cycle.len() / 400).min(cycle.len() - 1);
                pos2(
                    rect.left() + rect.width() * i as f32 / 400.0,
                    rect.center().y - cycle[s].clamp(-1.0, 1.0) * rect.height() * 0.45,
                )
            })
            .collect();
        painter.add(egui::Shape::line(
            points,
            Stroke::new(1.8, theme::ACCENT_HOT),
        ));
        caption(
            &painter,
            rect.left_top() + vec2(4.0, 3.0),
            Align2::LEFT_TOP,
            format!("frame {} of {}", index + 1, frames.len()),
        );

        // Heat map with voice positions.
        let texture = match &self.texture {
            Some((k, t)) if Arc::ptr_eq(k, frames) => t.clone(),
            _ => {
                let rows = frames.len();
                let mut image =
                    ColorImage::new([HEAT_COLUMNS, rows], vec![theme::PLOT; HEAT_COLUMNS * rows]);
                for (r, frame) in frames.iter().enumerate() {
                    for c in 0..HEAT_COLUMNS {
                        let s = (c * frame.len() / HEAT_COLUMNS).min(frame.len().saturating_sub(1));
                        image.pixels[r * HEAT_COLUMNS + c] =
                            heat_colour(frame.get(s).copied().unwrap_or(0.0));
                    }
                }
                let t = ui
                    .ctx()
                    .load_texture("table-heat-map", image, TextureOptions::LINEAR);
                self.texture = Some((Arc::clone(frames), t.clone()));
                t
            }
        };
        let (rect, _) = ui.allocate_exact_size(vec2(width, 190.0 * grow), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.image(
            texture.id(),
            rect,
            Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
            Color32::WHITE,
        );
        let y_of = |p: f32| rect.top() + p.clamp(0.0, 1.0) * rect.height();
        painter.line_segment(
            [
                pos2(rect.left(), y_of(position)),
                pos2(rect.right(), y_of(position)),
            ],
            Stroke::new(1.0, Color32::WHITE.gamma_multiply(0.6)),
        );
        for &v in voices {
            let y = y_of(v);
            painter.circle_filled(pos2(rect.left() + 6.0, y), 3.5, theme::WARM);
            painter.line_segment(
                [pos2(rect.left() + 10.0, y), pos2(rect.right(), y)],
                Stroke::new(1.0, theme::WARM.gamma_multiply(0.5)),
            );
        }
        caption(
            &painter,
            rect.right_top() + vec2(-4.0, 3.0),
            Align2::RIGHT_TOP,
            match voices.len() {
                1 => "1 voice".to_string(),
                n => format!("{n} voices"),
            },
        );

        // Spectrum.
        let levels = match &self.spectrum {
            Some((k, i, levels)) if Arc::ptr_eq(k, frames) && *i == index => levels.clone(),
            _ => {
                let levels = harmonic_levels_db(cycle);
                self.spectrum = Some((Arc::clone(frames), index, levels.clone()));
                levels
            }
        };
        let (rect, _) = ui.allocate_exact_size(vec2(width, 90.0 * grow), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, theme::PLOT);
        let x_of = |h: usize| {
            rect.left() + rect.width() * ((h as f32).ln() / (SPECTRUM_HARMONICS as f32).ln())
        };
        for (i, db) in levels.iter().enumerate() {
            let h = i + 1;
            let top = rect.bottom() - rect.height() * (1.0 - db / SPECTRUM_FLOOR_DB);
            painter.line_segment(
                [
                    pos2(x_of(h).max(rect.left() + 1.0), rect.bottom()),
                    pos2(x_of(h).max(rect.left() + 1.0), top),
                ],
                Stroke::new(1.5, theme::ACCENT),
            );
        }
        caption(
            &painter,
            rect.right_top() + vec2(-4.0, 3.0),
            Align2::RIGHT_TOP,
            "harmonics 1-256 (log), 0 to -90 dB".to_string(),
        );
    }
}

/// A plot's caption on a dark box, drawn after the traces so they never run
/// through its letters.
fn caption(painter: &egui::Painter, at: egui::Pos2, align: Align2, text: String) {
    let galley = painter.layout_no_wrap(text, FontId::proportional(10.0), theme::TEXT);
    let rect = align.anchor_size(at, galley.size()).expand(2.0);
    painter.rect_filled(rect, 2.0, theme::PLOT.gamma_multiply(0.85));
    painter.galley(rect.min + vec2(2.0, 2.0), galley, theme::TEXT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saw_falls_6_db_per_octave() {
        let n = 2048;
        let saw: Vec<f32> = (0..n)
            .map(|i| {
                let phase = i as f32 / n as f32;
                (1..=300)
                    .map(|h| (2.0 * std::f32::consts::PI * h as f32 * phase).sin() / h as f32)
                    .sum()
            })
            .collect();
        let db = harmonic_levels_db(&saw);
        assert!(db[0].abs() < 0.01);
        assert!((db[1] + 6.02).abs() < 0.05, "harmonic 2: {}", db[1]);
        assert!((db[7] + 18.06).abs() < 0.05, "harmonic 8: {}", db[7]);
        assert!((db[255] + 48.16).abs() < 0.1, "harmonic 256: {}", db[255]);
    }

    #[test]
    fn frame_index_follows_position() {
        assert_eq!(frame_at(0.0, 64), 0);
        assert_eq!(frame_at(1.0, 64), 63);
        assert_eq!(frame_at(0.5, 3), 1);
        assert_eq!(frame_at(f32::NAN.max(0.0), 1), 0);
    }
}
