//! Band-limited factory shapes, defined by their harmonic spectra.
//!
//! Every shape starts at phase 0 on a zero crossing where that is possible
//! (sine, triangle, saw), so a note that starts at phase 0 starts quietly.

use crate::Harmonics;
use std::f64::consts::PI;

/// A factory waveform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A pure sine.
    Sine,
    /// A triangle (odd harmonics falling as 1/h²).
    Triangle,
    /// A rising saw (all harmonics falling as 1/h); its jump sits half a cycle in.
    Saw,
    /// A square (odd harmonics falling as 1/h).
    Square,
    /// A pulse with the given duty cycle in `0..1` (0.5 is a square).
    Pulse(f32),
    /// All harmonics with amplitude `h^-tilt`: 0 is a click train, 1 a saw, 2 a dark wave.
    Tilted(f32),
    /// Odd harmonics only, amplitude `h^-tilt`.
    OddTilted(f32),
    /// A vowel-like spectrum: a saw source through three formant peaks at the given
    /// harmonic numbers (fundamental-relative, as a cycle has no absolute pitch).
    Formant([f32; 3]),
    /// An organ: nine drawbar levels (0..=1) at harmonics 1, 2, 3, 4, 6, 8, 10, 12, 16.
    Drawbars([f32; 9]),
}

/// Harmonic numbers of the nine organ drawbars (16', 8', 5⅓', 4', 2⅔', 2', 1⅗', 1⅓', 1').
const DRAWBAR_HARMONICS: [usize; 9] = [1, 2, 3, 4, 6, 8, 10, 12, 16];

impl Shape {
    /// The shape's spectrum, unnormalised.
    pub fn harmonics(self) -> Harmonics {
        match self {
            Shape::Sine => Harmonics::from_fn(|h| (0.0, if h == 1 { 1.0 } else { 0.0 })),
            Shape::Triangle => Harmonics::from_fn(|h| {
                if h % 2 == 0 {
                    return (0.0, 0.0);
                }
                let sign = if (h / 2) % 2 == 0 { 1.0 } else { -1.0 };
                (0.0, sign * 8.0 / (PI * PI * (h * h) as f64))
            }),
            Shape::Saw => Harmonics::from_fn(|h| {
                let sign = if h % 2 == 1 { 1.0 } else { -1.0 };
                (0.0, sign * 2.0 / (PI * h as f64))
            }),
            Shape::Square => Harmonics::from_fn(|h| {
                if h % 2 == 0 {
                    (0.0, 0.0)
                } else {
                    (0.0, 4.0 / (PI * h as f64))
                }
            }),
            Shape::Pulse(width) => {
                let w = f64::from(width.clamp(0.01, 0.99));
                // A ±1 pulse high on [0, w) (DC removed): a cosine series centred on w/2.
                Harmonics::from_fn(|h| {
                    let hf = h as f64;
                    let a = 4.0 / (PI * hf) * (PI * hf * w).sin();
                    let shift = 2.0 * PI * hf * w / 2.0;
                    (a * shift.cos(), a * shift.sin())
                })
            }
            Shape::Tilted(tilt) => Harmonics::from_fn(|h| (0.0, (h as f64).powf(-f64::from(tilt)))),
            Shape::OddTilted(tilt) => Harmonics::from_fn(|h| {
                if h % 2 == 0 {
                    (0.0, 0.0)
                } else {
                    (0.0, (h as f64).powf(-f64::from(tilt)))
                }
            }),
            Shape::Formant(peaks) => Harmonics::from_fn(|h| {
                let hf = h as f64;
                let envelope: f64 = peaks
                    .iter()
                    .enumerate()
                    .map(|(i, &p)| {
                        let p = f64::from(p.max(1.0));
                        let width = 0.18 * p + 1.0;
                        let level = [1.0, 0.5, 0.3][i];
                        level * (-0.5 * ((hf - p) / width).powi(2)).exp()
                    })
                    .sum();
                (0.0, envelope / hf.sqrt())
            }),
            Shape::Drawbars(levels) => Harmonics::from_fn(|h| {
                let level = DRAWBAR_HARMONICS
                    .iter()
                    .zip(levels)
                    .filter(|(&dh, _)| dh == h)
                    .map(|(_, l)| f64::from(l.clamp(0.0, 1.0)))
                    .sum::<f64>();
                (0.0, level)
            }),
        }
    }

    /// The frames of a factory table that morphs through `shapes`, with `frames`
    /// spectra evenly spaced along the chain (linear spectral blends in between).
    pub fn morph(shapes: &[Shape], frames: usize) -> Vec<Harmonics> {
        let spectra: Vec<Harmonics> = shapes.iter().map(|s| s.harmonics()).collect();
        match spectra.len() {
            0 => Vec::new(),
            1 => vec![spectra[0].clone(); frames.max(1)],
            n => (0..frames.max(2))
                .map(|i| {
                    let x = i as f32 / (frames.max(2) - 1) as f32 * (n - 1) as f32;
                    let a = (x.floor() as usize).min(n - 2);
                    spectra[a].lerp(&spectra[a + 1], x - a as f32)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peak(h: &Harmonics) -> f64 {
        (0..512)
            .map(|i| h.eval(i as f64 / 512.0).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn saw_rises_through_zero_at_phase_zero() {
        let saw = Shape::Saw.harmonics();
        assert!(saw.eval(0.0).abs() < 1e-9);
        assert!(
            saw.eval(0.1) > 0.15 && saw.eval(0.1) < 0.25,
            "{}",
            saw.eval(0.1)
        );
        assert!(saw.eval(0.9) < -0.15);
    }

    #[test]
    fn square_and_pulse_agree_at_half_duty() {
        let sq = Shape::Square.harmonics();
        let pulse = Shape::Pulse(0.5).harmonics();
        for ph in [0.1, 0.3, 0.6, 0.8] {
            assert!((sq.eval(ph) - pulse.eval(ph)).abs() < 1e-3, "{ph}");
        }
    }

    #[test]
    fn shapes_have_unit_scale_peaks() {
        for shape in [Shape::Sine, Shape::Triangle, Shape::Saw, Shape::Square] {
            let p = peak(&shape.harmonics());
            assert!((0.95..1.25).contains(&p), "{shape:?}: {p}");
        }
    }

    #[test]
    fn morph_hits_the_ends() {
        let frames = Shape::morph(&[Shape::Sine, Shape::Saw], 5);
        assert_eq!(frames.len(), 5);
        assert_eq!(frames[0], Shape::Sine.harmonics());
        assert_eq!(frames[4], Shape::Saw.harmonics());
    }
}
