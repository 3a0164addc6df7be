//! Tables that run exactly through their anchors' sources.
//!
//! The network decodes harmonic levels; what it misses of an anchor's source
//! is kept as a [`Residual`]: the source's levels minus the decoded levels at
//! the anchor's latent (dB, both floored at [`levels::FLOOR_DB`]), and the source's
//! phases. A table frame at place `(s, t)` between anchors `s` and `s + 1` is
//! the network's levels at its latent plus `(1 − t)` of anchor `s`'s level
//! residual and `t` of anchor `s + 1`'s, with each harmonic's phase moving
//! from the one anchor's to the other's along the shorter arc (the
//! normalised blend of their unit phasors; a harmonic silent in one source
//! takes the other's phase, so it only fades). At an anchor the frame is its source
//! (every harmonic above the floor exactly); a macro move away from it keeps
//! the source's phases and applies the network's change as a gain per
//! harmonic, so the network's error at the anchor is never heard as a
//! floor of faint harmonics or a wiggle of the waveform.
//!
//! With a single residual (one anchor) it applies to every frame in full.
//! An anchor with no source (a latent) has no residual: its frames take the
//! network's levels and sine phase.
//!
//! The synth, `nwt table` and the evaluation all build tables with these
//! functions, so what the command line writes is what the plugin plays.

use crate::levels;

/// The phasor of a harmonic in sine phase: cosine amplitude 0, sine 1.
const SINE_PHASE: (f32, f32) = (0.0, 1.0);

use crate::pacing::PathPosition;
use crate::vae::HARMONICS;
use crate::Harmonics;

/// What the network misses of one anchor's source.
#[derive(Debug, Clone, PartialEq)]
pub struct Residual {
    /// Source levels minus decoded levels, dB, per harmonic `1..=HARMONICS`.
    pub levels_db: Vec<f32>,
    /// The source's phase of each harmonic as a unit phasor: its cosine and
    /// sine amplitude over its magnitude (`(0, 1)`, sine phase, for a silent one).
    pub phasors: Vec<(f32, f32)>,
    /// The network's levels at the anchor's latent, dB (the source's levels
    /// are these plus [`Residual::levels_db`]).
    pub decoded_db: Vec<f32>,
    /// Per harmonic: whether the source is silent there, and whether the
    /// network is (computed once, from the two rows above).
    pub silent: Vec<(bool, bool)>,
}

/// How far the network's level must rise above its level at the anchors
/// before a harmonic that is silent in the anchors' sources sounds, dB. Near
/// its floor the network's levels wander by a few dB along a path (its error
/// there is of that size), which would otherwise put a floor of faint
/// harmonics into frames between and around anchors that have none; a
/// change the network means (a macro move toward a brighter sound) rises
/// far more.
pub const SILENT_HARMONIC_RISE_DB: f32 = 12.0;

impl Residual {
    /// The residual of a source whose spectrum, as the encoder sees it
    /// ([`crate::Model::canonical`]), is `canonical`, against the network's
    /// levels `decoded` (dB) at its encoding ([`crate::Model::residual`]
    /// decodes them).
    pub fn between(canonical: &Harmonics, decoded: &[f32]) -> Self {
        let want = levels::levels_db(canonical);
        Self {
            levels_db: want.iter().zip(decoded).map(|(w, d)| w - d).collect(),
            phasors: (1..=HARMONICS)
                .map(|k| {
                    let (c, s) = (canonical.cos[k], canonical.sin[k]);
                    let m = c.hypot(s);
                    if m > 0.0 && m.is_finite() {
                        (c / m, s / m)
                    } else {
                        SINE_PHASE
                    }
                })
                .collect(),
            silent: want
                .iter()
                .zip(decoded)
                .map(|(&w, &d)| (levels::magnitude(w) == 0.0, levels::magnitude(d) == 0.0))
                .collect(),
            decoded_db: decoded.to_vec(),
        }
    }
}

/// The frames of a table whose network levels are `decoded` (one per frame,
/// from [`Model::decode_levels`]), at `positions` on a path through anchors
/// with `residuals` (see the module's doc): unnormalised spectra, levels re
/// the strongest harmonic near 0 dB.
pub fn frames(
    decoded: &[Vec<f32>],
    positions: &[PathPosition],
    residuals: &[Option<Residual>],
) -> Vec<Harmonics> {
    let single = residuals.len() == 1;
    decoded
        .iter()
        .zip(positions)
        .map(|(net, &(s, t))| {
            let (s, t) = if single {
                (0, 0.0)
            } else {
                (s, t.clamp(0.0, 1.0))
            };
            let a = residuals.get(s).and_then(Option::as_ref);
            let b = residuals.get(s + 1).and_then(Option::as_ref);
            // A residual of an anchor the path does not reach counts nothing.
            let (a, b) = if t <= 0.0 {
                (a, None)
            } else if t >= 1.0 {
                (b, None)
            } else {
                (a, b)
            };
            let (wa, wb) = if t > 0.0 && t < 1.0 {
                (1.0 - t, t)
            } else {
                (1.0, 0.0)
            };
            let mut out = Harmonics::silent();
            for (k, &decoded_level) in net.iter().enumerate().take(HARMONICS) {
                let ta = term(a, k, decoded_level);
                let tb = term(b, k, decoded_level);
                // A harmonic silent in the source of every anchor the frame
                // draws on stays silent unless the network raises it clearly.
                let gated = match (ta.silent_source, b.map(|_| tb.silent_source)) {
                    (Some(da), None) => decoded_level - da < SILENT_HARMONIC_RISE_DB,
                    (Some(da), Some(Some(db))) => {
                        decoded_level - da.max(db) < SILENT_HARMONIC_RISE_DB
                    }
                    _ => false,
                };
                let m = levels::magnitude(ta.level * wa + tb.level * wb);
                if m == 0.0 || gated {
                    continue;
                }
                // A harmonic silent in one source takes the other's phase.
                let (pa, pb) = match (ta.silent_source, tb.silent_source) {
                    (Some(_), None) if b.is_some() => (tb.phase, tb.phase),
                    (None, Some(_)) => (ta.phase, ta.phase),
                    _ => (ta.phase, tb.phase),
                };
                // The normalised blend of the two phasors: the shorter arc,
                // with no trigonometry per frame. (Turning at a constant rate
                // instead put harmonics of opposite phase in quadrature half
                // way, which made those frames peakier, so 3 dB quieter once
                // peak-normalised; exactly opposite phases switch half way.)
                let (mut c, mut s) = (pa.0 * wa + pb.0 * wb, pa.1 * wa + pb.1 * wb);
                let norm = c.hypot(s);
                if norm > 1e-6 {
                    (c, s) = (c / norm, s / norm);
                } else {
                    (c, s) = if wa >= wb { pa } else { pb };
                }
                out.cos[k + 1] = m * c;
                out.sin[k + 1] = m * s;
            }
            out
        })
        .collect()
}

/// What one anchor contributes to harmonic `k` of a frame whose network
/// level is `net`.
struct Term {
    /// The level it pulls the harmonic to, dB.
    level: f32,
    /// The source's phase as a unit phasor (sine phase without a source).
    phase: (f32, f32),
    /// `Some(network level at the anchor)` when the source is silent there.
    silent_source: Option<f32>,
}

fn term(r: Option<&Residual>, k: usize, net: f32) -> Term {
    let Some(r) = r else {
        return Term {
            level: net,
            phase: SINE_PHASE,
            silent_source: None,
        };
    };
    let decoded = r.decoded_db[k];
    let phase = r.phasors[k];
    let (source_silent, network_silent) = r.silent[k];
    if source_silent {
        return Term {
            level: net + r.levels_db[k],
            phase,
            silent_source: Some(decoded),
        };
    }
    // Where the network is at its floor at the anchor, its change from there
    // is measured from a level it cannot show: the source's level holds.
    let level = if network_silent {
        decoded + r.levels_db[k]
    } else {
        net + r.levels_db[k]
    };
    Term {
        level,
        phase,
        silent_source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::levels::FLOOR_DB;

    fn residual(level: f32, phase: f32) -> Residual {
        Residual {
            levels_db: vec![level; HARMONICS],
            phasors: vec![(phase.sin(), phase.cos()); HARMONICS],
            decoded_db: vec![-20.0; HARMONICS],
            silent: vec![(false, false); HARMONICS],
        }
    }

    #[test]
    fn residuals_follow_the_path_weights_and_phases_the_shorter_arc() {
        let net = vec![vec![-20.0f32; HARMONICS]; 3];
        let positions = [(0, 0.0), (0, 0.5), (0, 1.0)];
        let residuals = [Some(residual(-10.0, 0.0)), Some(residual(10.0, 1.0))];
        let out = frames(&net, &positions, &residuals);
        let db = |h: &Harmonics| 20.0 * h.magnitude(5).log10();
        assert!((db(&out[0]) + 30.0).abs() < 1e-3);
        assert!((db(&out[1]) + 20.0).abs() < 1e-3);
        assert!((db(&out[2]) + 10.0).abs() < 1e-3);
        let phase = levels::phases(&out[1])[4];
        assert!((phase - 0.5).abs() < 1e-5, "{phase}");
        // One anchor: its residual applies to every frame.
        let one = frames(&net, &[(0, 0.7)], &[Some(residual(-10.0, 0.0))]);
        assert!((db(&one[0]) + 30.0).abs() < 1e-3);
        // No residual: the network's levels in sine phase.
        let none = frames(&net, &[(0, 0.3)], &[None, None]);
        assert!((db(&none[0]) + 20.0).abs() < 1e-3 && none[0].cos[5] == 0.0);
    }

    #[test]
    fn a_harmonic_silent_in_the_source_and_the_network_stays_silent() {
        let mut net = vec![vec![-20.0f32; HARMONICS]];
        net[0][1] = FLOOR_DB;
        let mut r = residual(0.0, 0.0);
        r.levels_db[1] = -3.0;
        let out = frames(&net, &[(0, 0.0)], &[Some(r)]);
        assert_eq!(out[0].magnitude(2), 0.0);
        assert!(out[0].magnitude(1) > 0.0);
    }

    #[test]
    fn a_harmonic_silent_in_the_sources_sounds_only_when_the_network_raises_it_clearly() {
        // Harmonic 3 is silent in the anchor's source; the network put it
        // at -78 dB there.
        let mut r = residual(0.0, 0.0);
        r.decoded_db[2] = -78.0;
        r.levels_db[2] = FLOOR_DB - -78.0;
        r.silent[2] = (true, false);
        let frame_with = |level: f32| {
            let mut net = vec![vec![-20.0f32; HARMONICS]];
            net[0][2] = level;
            frames(&net, &[(0, 0.0)], &[Some(r.clone())]).remove(0)
        };
        // A wander of a few dB near the floor stays silent...
        assert_eq!(frame_with(-70.0).magnitude(3), 0.0);
        // ...a clear rise (a macro move toward a brighter sound) sounds.
        let db = 20.0 * frame_with(-50.0).magnitude(3).log10();
        assert!((db - (-52.0)).abs() < 1e-3, "{db}");
    }

    #[test]
    fn a_silent_source_takes_the_other_anchors_phase() {
        let net = vec![vec![-20.0f32; HARMONICS]; 1];
        let a = residual(0.0, 0.0);
        // Anchor B's source is silent at harmonic 5: the frame keeps A's phase
        // all the way, while its level fades.
        let mut silent = residual(0.0, 2.0);
        silent.levels_db[4] = FLOOR_DB - -20.0;
        silent.silent[4] = (true, false);
        let out = frames(&net, &[(0, 0.7)], &[Some(a), Some(silent)]);
        assert!(levels::phases(&out[0])[4].abs() < 1e-5);
        assert!(out[0].magnitude(5) > 0.0);
    }

    #[test]
    fn where_the_network_is_at_its_floor_the_source_level_holds() {
        // The source has harmonic 4 at -20 dB, the network -80 dB (its floor).
        let mut r = residual(0.0, 0.0);
        r.decoded_db[3] = FLOOR_DB;
        r.levels_db[3] = -20.0 - FLOOR_DB;
        r.silent[3] = (false, true);
        let mut net = vec![vec![-20.0f32; HARMONICS]];
        net[0][3] = -60.0; // a macro move lifts the network there
        let out = frames(&net, &[(0, 0.0)], &[Some(r)]);
        let db = 20.0 * out[0].magnitude(4).log10();
        assert!((db + 20.0).abs() < 1e-3, "{db}");
    }
}
