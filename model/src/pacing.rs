//! Evenly paced table paths.
//!
//! The decoder does not change its output at a constant rate along a straight
//! line in the latent space: in places the spectrum moves several times
//! faster than elsewhere (often near an anchor, where harmonics fade in or
//! out). A table whose frames are
//! evenly spaced in the latent space then has a few large timbre steps between
//! neighbouring frames and long stretches where little happens.
//!
//! Pacing puts each segment's frames at equal spectral distances instead: a
//! coarse decode of [`PACING_STEPS`] sub-steps per segment measures how far
//! the spectrum travels ([`pacing_step`]: the mean dB change of harmonics
//! 1..=256 re the strongest, as the evaluation measures steps, plus their
//! turns of phase in dB-equivalents), and the frames
//! are placed at equal fractions of that distance. Every segment keeps its frames, so anchors stay where they
//! were (the first and last frame of a segment are its anchors exactly).

use crate::Harmonics;

/// Coarse sub-steps per segment measured to pace a path.
pub const PACING_STEPS: usize = 32;
/// Harmonics a spectral step compares.
pub const STEP_HARMONICS: usize = 256;
/// Floor of a spectral step's levels, in dB re the frame's strongest harmonic
/// (the floor of the evaluation's harmonic error: quieter harmonics are
/// inaudible beside the strongest and do not count).
pub const STEP_FLOOR_DB: f64 = -60.0;

/// Levels in dB of harmonics 1..=256 re the strongest of them, floored at
/// [`STEP_FLOOR_DB`].
fn levels(x: &Harmonics) -> [f64; STEP_HARMONICS] {
    let strongest = (1..=STEP_HARMONICS)
        .map(|h| x.magnitude(h))
        .fold(0.0f32, f32::max);
    if strongest.is_nan() || strongest <= 0.0 {
        return [STEP_FLOOR_DB; STEP_HARMONICS];
    }
    std::array::from_fn(|i| {
        let ratio = f64::from(x.magnitude(i + 1) / strongest);
        (20.0 * ratio.max(1e-12).log10()).max(STEP_FLOOR_DB)
    })
}

/// How far the timbre moves from `a` to `b`: the mean absolute difference of
/// the levels of harmonics 1..=256, each in dB re its frame's strongest
/// harmonic and floored at -60 dB.
pub fn spectral_step(a: &Harmonics, b: &Harmonics) -> f64 {
    let (la, lb) = (levels(a), levels(b));
    la.iter().zip(&lb).map(|(x, y)| (x - y).abs()).sum::<f64>() / STEP_HARMONICS as f64
}

/// dB of level change that alter a harmonic as much as one radian of phase
/// change: a small level change of `x` dB scales the harmonic by about
/// `1 + x·ln 10 / 20`, a small turn of `φ` radians moves it by about `φ`
/// of its magnitude, so one radian weighs `20 / ln 10` dB.
const DB_PER_RADIAN: f64 = 20.0 / std::f64::consts::LN_10;

/// How far a table frame moves from `a` to `b` for pacing: the
/// [`spectral_step`] of the levels plus the turn of phase of the waveform
/// in dB-equivalents ([`DB_PER_RADIAN`]): each harmonic's turn weighted by
/// its magnitude in both frames. Two anchors whose sources hold harmonics
/// in opposite phase turn them half a cycle along the segment; paced by
/// levels alone (which move mostly where harmonics rise past the −60 dB
/// floor, late in a segment), the early frames were far apart and the turn
/// jumped 0.45 radian between two of them, so their blend correlated 0.94.
pub fn pacing_step(a: &Harmonics, b: &Harmonics) -> f64 {
    let (mut turned, mut weight) = (0.0f64, 0.0f64);
    for h in 1..=STEP_HARMONICS {
        let (ca, sa) = (f64::from(a.cos[h]), f64::from(a.sin[h]));
        let (cb, sb) = (f64::from(b.cos[h]), f64::from(b.sin[h]));
        let w = ca.hypot(sa) * cb.hypot(sb);
        if w > 0.0 && w.is_finite() {
            // The chord between the two unit phasors, 2·sin(turn / 2): the
            // turn itself for small turns, with no trigonometry.
            let cos_turn = (ca * cb + sa * sb) / w;
            turned += w * (2.0 - 2.0 * cos_turn).max(0.0).sqrt();
            weight += w;
        }
    }
    let turn = if weight > 0.0 { turned / weight } else { 0.0 };
    spectral_step(a, b) + DB_PER_RADIAN * turn
}

/// A place on a path through anchors: between anchor `segment` and
/// `segment + 1`, at fraction `t` in `0..=1`.
pub type PathPosition = (usize, f32);

/// Where frame `i` of `frames` sits on a path through `anchors` anchors when
/// the frames are evenly spaced in the latent space.
pub fn uniform_position(i: usize, frames: usize, anchors: usize) -> PathPosition {
    let segments = anchors.saturating_sub(1);
    if segments == 0 || frames <= 1 {
        return (0, 0.0);
    }
    let x = i as f32 / (frames - 1) as f32 * segments as f32;
    let s = (x.floor() as usize).min(segments - 1);
    (s, x - s as f32)
}

/// The latents [`paced_positions`] needs decoded: [`PACING_STEPS`] sub-steps
/// of every segment, `segments × PACING_STEPS + 1` points.
pub fn coarse_latents<const N: usize>(anchors: &[[f32; N]]) -> Vec<[f32; N]> {
    let segments = anchors.len().saturating_sub(1);
    let mut out = Vec::with_capacity(segments * PACING_STEPS + 1);
    for s in 0..segments {
        for k in 0..PACING_STEPS {
            out.push(point_on(anchors, (s, k as f32 / PACING_STEPS as f32)));
        }
    }
    if let Some(last) = anchors.last() {
        out.push(*last);
    }
    out
}

/// The point at `position` on the piecewise-linear path through `anchors`.
/// The ends of the path are its anchors exactly.
pub fn point_on<const N: usize>(anchors: &[[f32; N]], (s, t): PathPosition) -> [f32; N] {
    let a = anchors[s.min(anchors.len() - 1)];
    let b = anchors[(s + 1).min(anchors.len() - 1)];
    if t <= 0.0 {
        return a;
    }
    if t >= 1.0 {
        return b;
    }
    std::array::from_fn(|d| a[d] + (b[d] - a[d]) * t)
}

/// Positions of `frames` frames on a path of `segments` segments whose coarse
/// decode ([`coarse_latents`]) gave `coarse`: each segment keeps the frames
/// evenly spaced positions would give it, placed at equal spectral distances
/// along it. A segment that barely moves (or a coarse decode of the wrong
/// length) keeps even spacing.
pub fn paced_positions(coarse: &[Harmonics], segments: usize, frames: usize) -> Vec<PathPosition> {
    let uniform: Vec<PathPosition> = (0..frames)
        .map(|i| uniform_position(i, frames, segments + 1))
        .collect();
    if segments == 0 || coarse.len() != segments * PACING_STEPS + 1 {
        return uniform;
    }
    // Cumulative distance at each coarse point, per segment.
    let cumulative: Vec<Vec<f64>> = (0..segments)
        .map(|s| {
            let points = &coarse[s * PACING_STEPS..=(s + 1) * PACING_STEPS];
            let steps: Vec<f64> = points
                .windows(2)
                .map(|w| pacing_step(&w[0], &w[1]))
                .collect();
            let total: f64 = steps.iter().sum();
            // A tiny share of even spacing keeps the map strictly increasing.
            let even = total.max(1e-9) * 1e-3 / PACING_STEPS as f64;
            let mut acc = vec![0.0];
            for step in steps {
                acc.push(acc.last().copied().unwrap_or(0.0) + step + even);
            }
            acc
        })
        .collect();
    uniform
        .into_iter()
        .map(|(s, t)| {
            let acc = &cumulative[s];
            let total = acc[PACING_STEPS];
            if !total.is_finite() || total <= 1e-6 {
                return (s, t);
            }
            let target = f64::from(t) * total;
            let k = acc
                .windows(2)
                .position(|w| target <= w[1])
                .unwrap_or(PACING_STEPS - 1);
            let span = (acc[k + 1] - acc[k]).max(1e-12);
            let within = ((target - acc[k]) / span).clamp(0.0, 1.0);
            let paced = ((k as f64 + within) / PACING_STEPS as f64).clamp(0.0, 1.0) as f32;
            (s, if t >= 1.0 { 1.0 } else { paced })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spectrum of a full-scale fundamental and a harmonic 2 at `db` dB.
    fn level(db: f64) -> Harmonics {
        let mut h = Harmonics::silent();
        h.sin[1] = 1.0;
        h.sin[2] = 10f64.powf(db / 20.0) as f32;
        h
    }

    #[test]
    fn steps_count_levels_re_the_strongest_down_to_60_db() {
        // Harmonic 2 from -10 to -20 dB: 10 dB over 256 harmonics.
        assert!((spectral_step(&level(-10.0), &level(-20.0)) - 10.0 / 256.0).abs() < 1e-9);
        // Below -60 dB nothing counts; a louder copy is the same timbre.
        assert_eq!(spectral_step(&level(-70.0), &level(-90.0)), 0.0);
        let mut louder = level(-10.0);
        louder.sin[1] *= 4.0;
        louder.sin[2] *= 4.0;
        assert!(spectral_step(&level(-10.0), &louder) < 1e-9);
    }

    #[test]
    fn frames_are_spread_at_equal_spectral_distances() {
        // One segment whose spectrum moves only in its first quarter: the
        // coarse levels fall 40 dB over the first quarter of the sub-steps, then stay.
        let quarter = PACING_STEPS / 4;
        let coarse: Vec<Harmonics> = (0..=PACING_STEPS)
            .map(|k| level(-40.0 * k.min(quarter) as f64 / quarter as f64))
            .collect();
        let positions = paced_positions(&coarse, 1, 9);
        assert_eq!(positions.first(), Some(&(0, 0.0)));
        assert_eq!(positions.last(), Some(&(0, 1.0)));
        // Frames 1..7 fall inside the first quarter, evenly.
        for (i, &(s, t)) in positions.iter().enumerate().take(8).skip(1) {
            assert_eq!(s, 0);
            assert!((t - i as f32 * 0.25 / 8.0).abs() < 0.01, "frame {i}: {t}");
        }
    }

    #[test]
    fn anchors_keep_their_frames_and_flat_segments_stay_even() {
        // Two segments, the first flat, the second moving evenly: 7 frames.
        let mut coarse: Vec<Harmonics> = (0..=PACING_STEPS).map(|_| level(-6.0)).collect();
        coarse.extend((1..=PACING_STEPS).map(|k| level(-6.0 - k as f64)));
        let positions = paced_positions(&coarse, 2, 7);
        let even: Vec<PathPosition> = (0..7).map(|i| uniform_position(i, 7, 3)).collect();
        for (p, e) in positions.iter().zip(&even) {
            assert_eq!(p.0, e.0);
            assert!((p.1 - e.1).abs() < 1e-4, "{p:?} vs {e:?}");
        }
        // A coarse decode of the wrong length keeps even spacing.
        assert_eq!(paced_positions(&coarse[..5], 2, 7), even);
    }

    #[test]
    fn coarse_points_run_through_the_anchors() {
        let anchors = [[0.0f32, 1.0], [1.0, 1.0], [1.0, 3.0]];
        let points = coarse_latents(&anchors);
        assert_eq!(points.len(), 2 * PACING_STEPS + 1);
        assert_eq!(points[0], anchors[0]);
        assert_eq!(points[PACING_STEPS], anchors[1]);
        assert_eq!(points[2 * PACING_STEPS], anchors[2]);
        assert_eq!(point_on(&anchors, (1, 0.5)), [1.0, 2.0]);
    }
}
