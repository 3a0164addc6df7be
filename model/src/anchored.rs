//! Tables that run exactly through their anchors' sources.
//!
//! The network decodes harmonic levels; what it misses of an anchor's source
//! is kept as a [`Residual`]: the source's levels minus the decoded levels at
//! the anchor's latent (dB, both floored at [`levels::FLOOR_DB`]), and the source's
//! phases. A table frame at place `(s, t)` between anchors `s` and `s + 1` is
//! the network's levels at its latent plus `(1 − t)` of anchor `s`'s level
//! residual and `t` of anchor `s + 1`'s, with each harmonic's phase moving
//! from the one anchor's to the other's along the shorter arc (a harmonic
//! silent in a source is in sine phase there). At an anchor the frame is its source
//! (every harmonic above the floor exactly); a macro move away from it keeps
//! the source's phases and applies the network's change as a gain per
//! harmonic, so the network's error at the anchor is never heard as a
//! floor of faint harmonics or a wiggle of the waveform.
//!
//! Before the phases blend, the later anchor of each segment is aligned to
//! the earlier one ([`Alignment`]): the phase rotation of all its harmonics
//! together that best matches the earlier anchor's waveform.
//! The blend runs between the earlier anchor and the aligned later one, and
//! the alignment is undone gradually along the segment (a fraction `t` of it
//! at `t`), so both anchors stay exact while two sources that differ only by
//! polarity (or by a rotation of every phase) no longer cancel half way: without
//! it, a segment between a wave and its inverse switched polarity between two
//! neighbouring frames, and the scan half way between them dropped 12 dB.
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
    let alignments: Vec<Option<Alignment>> = residuals
        .windows(2)
        .map(|pair| match pair {
            [Some(a), Some(b)] => Some(Alignment::between(a, b)),
            _ => None,
        })
        .collect();
    let sources: Vec<Option<Vec<f32>>> = residuals
        .iter()
        .map(|r| {
            r.as_ref()
                .map(|r| (0..HARMONICS).map(|k| source_magnitude(r, k)).collect())
        })
        .collect();
    decoded
        .iter()
        .zip(positions)
        .map(|(net, &(s, t))| {
            let (s, t) = if single {
                (0, 0.0)
            } else {
                (s, t.clamp(0.0, 1.0))
            };
            // The anchors the frame draws on, by index: a residual of an
            // anchor the path does not reach counts nothing.
            let (ia, ib) = if t <= 0.0 {
                (s, None)
            } else if t >= 1.0 {
                (s + 1, None)
            } else {
                (s, Some(s + 1))
            };
            let residual = |i: usize| residuals.get(i).and_then(Option::as_ref);
            let (wa, wb) = if ib.is_some() {
                (1.0 - t, t)
            } else {
                (1.0, 0.0)
            };
            let ends = Ends {
                a: residual(ia),
                b: ib.and_then(residual),
                wa,
                wb,
                t,
            };
            // The later anchor's alignment to the earlier one, when both are there.
            let alignment = match (ends.a, ends.b) {
                (Some(_), Some(_)) => alignments.get(s).copied().flatten(),
                _ => None,
            };
            let mut out = blend(net, &ends, alignment);
            let source = |i: Option<usize>, k: usize| {
                i.and_then(|i| sources.get(i))
                    .and_then(Option::as_ref)
                    .map_or(0.0, |m| m[k])
            };
            clean_floor(&mut out, |k| wa * source(Some(ia), k) + wb * source(ib, k));
            out
        })
        .collect()
}

/// The two anchors a frame draws on and their weights.
struct Ends<'a> {
    a: Option<&'a Residual>,
    b: Option<&'a Residual>,
    wa: f32,
    wb: f32,
    /// The frame's place between them.
    t: f32,
}

/// One frame: the network's levels `net` with the anchors' residuals blended
/// in, each harmonic's phase blended along the shorter arc between the
/// earlier anchor's and the later one's turned by `alignment`, which is then
/// undone by the fraction `t`.
fn blend(net: &[f32], ends: &Ends<'_>, alignment: Option<Alignment>) -> Harmonics {
    let Ends { a, b, wa, wb, t } = *ends;
    let toward_a = alignment.map(|al| al.turn(1.0));
    let back = alignment.map(|al| al.turn(-f64::from(t)));
    let mut out = Harmonics::silent();
    for (k, &decoded_level) in net.iter().enumerate().take(HARMONICS) {
        let ta = term(a, k, decoded_level);
        let mut tb = term(b, k, decoded_level);
        if let Some(r) = toward_a {
            tb.phase = rotate(tb.phase, r);
        }
        // A harmonic silent in the source of every anchor the frame
        // draws on stays silent unless the network raises it clearly.
        let gated = match (ta.silent_source, b.map(|_| tb.silent_source)) {
            (Some(da), None) => decoded_level - da < SILENT_HARMONIC_RISE_DB,
            (Some(da), Some(Some(db))) => decoded_level - da.max(db) < SILENT_HARMONIC_RISE_DB,
            _ => false,
        };
        let m = levels::magnitude(ta.level * wa + tb.level * wb);
        if m == 0.0 || gated {
            continue;
        }
        // A harmonic silent in one source turns from sine phase there, like
        // any other: with a macro move it sounds at the anchor too, and
        // taking the other source's phase all along made it jump half a
        // cycle between the anchor's frame and the next.
        let (mut c, mut s) = arc_blend(ta.phase, tb.phase, wb);
        if let Some(r) = back {
            (c, s) = rotate((c, s), r);
        }
        out.cos[k + 1] = m * c;
        out.sin[k + 1] = m * s;
    }
    out
}

/// Third-octave bands [`clean_floor`] works in: band `j` holds harmonics
/// `32·2^(j/3) ..< 32·2^((j+1)/3)`, from 32 up to [`HARMONICS`].
const FLOOR_BANDS: usize = 12;
/// The first band [`clean_floor`] may lower (harmonic 64 up).
const FLOOR_GATED_FROM_BAND: usize = 3;
/// A band within this of its ceiling is left as it is (rounding, dB).
const FLOOR_TOLERANCE_DB: f32 = 0.01;
/// Bands quieter than this re a frame's strongest harmonic are faint: where
/// a decoder floor lives (louder ones are the sound itself and stay). Floors
/// were found 25 to 70 dB down (`nwt_engine::table_quality`); the gate
/// reaches 5 dB above that, so a band just over the edge cannot restart a
/// floor at the level where the faint range begins.
pub const FAINT_DB: f32 = -20.0;
/// How fast faint upper harmonics must fall at least, dB an octave. A
/// decoder floor is flat; many real spectra fall by 6 or more up there, but
/// not all: with 6 here, the shipped model's error on a slice of its test
/// split (every family, `model/tests/shipped.rs`) rose from under 2.0 to
/// 2.37 dB, as the floor of quantised drawn cycles, noise and sync spectra
/// was cut. Half of that keeps such spectra and still leaves no plateau
/// (`nwt_engine::table_quality` flags runs falling slower than 2).
pub const FLOOR_FALL_DB_PER_OCTAVE: f32 = 3.0;

/// The harmonics `lo..hi` of third-octave band `j` (see [`FLOOR_BANDS`]).
fn floor_band(j: usize) -> (usize, usize) {
    let edge = |j: usize| (32.0 * 2f32.powf(j as f32 / 3.0)).round() as usize;
    (edge(j), edge(j + 1).min(HARMONICS + 1))
}

/// Lowers a decoder floor. From harmonic 64 up, in third-octave bands, a
/// faint band (below [`FAINT_DB`] re the frame's strongest harmonic) must
/// lie below the band before it (as already lowered) by the smaller of two
/// falls: a third of [`FLOOR_FALL_DB_PER_OCTAVE`], or the anchors' sources'
/// own fall between those bands, `sources(k)` being their magnitude of
/// harmonic `k + 1` blended by the frame's weights (so an anchor stays exact,
/// a bright source keeps its slope when a macro darkens it, and a source's
/// formant up there may rise). A band too high is scaled down as a whole.
///
/// The network strays off its data at the edges of the space (macros at
/// ±1, named knobs at their limits), where it grew a flat plateau of
/// harmonics 30 to 65 dB down from about harmonic 60 up, heard as hiss on
/// every note; `nwt check-tables --corners` counts them. (Comparing each
/// band with the one an octave below instead copied the reference octave's
/// own ripple upward, which a slope fit still read as flat.)
pub fn clean_floor(out: &mut Harmonics, sources: impl Fn(usize) -> f32) {
    let power = |h: &Harmonics, n: usize| h.cos[n] * h.cos[n] + h.sin[n] * h.sin[n];
    let strongest = (1..=HARMONICS).fold(0.0f32, |m, n| m.max(power(out, n)));
    if strongest <= 0.0 {
        return;
    }
    let db = |p: f32| 10.0 * p.max(1e-30).log10();
    let band_db = |f: &dyn Fn(usize) -> f32, j: usize| {
        let (lo, hi) = floor_band(j);
        db((lo..hi).map(f).sum::<f32>() / (hi - lo).max(1) as f32)
    };
    let source_db = |j: usize| band_db(&|n| sources(n - 1).powi(2), j);
    let faint = db(strongest) + FAINT_DB;
    let step = FLOOR_FALL_DB_PER_OCTAVE / 3.0;
    let mut previous = band_db(&|n| power(out, n), FLOOR_GATED_FROM_BAND - 1);
    let mut source_previous = source_db(FLOOR_GATED_FROM_BAND - 1);
    for j in FLOOR_GATED_FROM_BAND..FLOOR_BANDS {
        let level = band_db(&|n| power(out, n), j);
        let source_here = source_db(j);
        // A silent source band (−300 dB) allows no rise: the fixed fall holds.
        let source_fall = if source_previous > -290.0 && source_here > -290.0 {
            source_previous - source_here
        } else {
            f32::INFINITY
        };
        source_previous = source_here;
        let ceiling = previous - source_fall.min(step);
        previous = level;
        if level >= faint || level <= ceiling + FLOOR_TOLERANCE_DB {
            continue;
        }
        let gain = 10f32.powf((ceiling - level) / 20.0);
        let (lo, hi) = floor_band(j);
        for n in lo..hi {
            out.cos[n] *= gain;
            out.sin[n] *= gain;
        }
        previous = ceiling;
    }
}

/// How the later anchor of a segment is turned to match the earlier one:
/// every harmonic's phase moves by the same `rotation` (radians, in
/// `-π..π`; π is a polarity flip), the one that maximises the correlation
/// of the two sources' waveforms. (A time shift was tried as well: undone
/// gradually along a segment it slid the waveform between neighbouring
/// frames, and their crossfade combed the upper harmonics.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alignment {
    /// Radians added to every harmonic of the later anchor.
    pub rotation: f64,
}

impl Alignment {
    /// The alignment of `b`'s source to `a`'s: the argument of
    /// `Σ m_a m_b e^{i(φa − φb)}` over the harmonics both sources have.
    pub fn between(a: &Residual, b: &Residual) -> Self {
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for k in 0..HARMONICS {
            let (ma, mb) = (source_magnitude(a, k), source_magnitude(b, k));
            if ma == 0.0 || mb == 0.0 {
                continue;
            }
            // Each phasor is (sin φ, cos φ); e^{i(φa − φb)} = cos(φa − φb) + i sin(φa − φb).
            let ((sa, ca), (sb, cb)) = (a.phasors[k], b.phasors[k]);
            let w = f64::from(ma * mb);
            re += w * f64::from(ca * cb + sa * sb);
            im += w * f64::from(sa * cb - ca * sb);
        }
        let rotation = if re == 0.0 && im == 0.0 {
            0.0
        } else {
            im.atan2(re)
        };
        Self { rotation }
    }

    /// `fraction` of the rotation as (cos, sin), for [`rotate`].
    fn turn(self, fraction: f64) -> (f32, f32) {
        let angle = self.rotation * fraction;
        (angle.cos() as f32, angle.sin() as f32)
    }
}

/// The magnitude of the source's harmonic `k + 1` (0 when silent).
fn source_magnitude(r: &Residual, k: usize) -> f32 {
    if r.silent[k].0 {
        0.0
    } else {
        levels::magnitude(r.decoded_db[k] + r.levels_db[k])
    }
}

/// The phasor a fraction `t` of the way from `pa` to `pb` along the shorter
/// arc, with no trigonometry: the normalised blend of the two, taken through
/// the arc's midpoint when they are more than a quarter turn apart. (A
/// single normalised blend of nearly opposite phasors stood still and then
/// switched half way: two neighbouring frames of a table had that
/// harmonic in opposite phase, and a scan between them cancelled it.)
fn arc_blend(pa: (f32, f32), pb: (f32, f32), t: f32) -> (f32, f32) {
    if t <= 0.0 {
        return pa;
    }
    if t >= 1.0 {
        return pb;
    }
    if pa.0 * pb.0 + pa.1 * pb.1 >= 0.0 {
        return nlerp(pa, pb, t);
    }
    let sum = (pa.0 + pb.0, pa.1 + pb.1);
    let norm = (sum.0 * sum.0 + sum.1 * sum.1).sqrt();
    // Exactly opposite: turn a quarter forward (φ + π/2 is (cos φ, −sin φ)).
    let mid = if norm > 1e-6 {
        (sum.0 / norm, sum.1 / norm)
    } else {
        (pa.1, -pa.0)
    };
    if t < 0.5 {
        nlerp(pa, mid, 2.0 * t)
    } else {
        nlerp(mid, pb, 2.0 * t - 1.0)
    }
}

/// The normalised blend of two phasors at most a quarter turn apart.
fn nlerp(pa: (f32, f32), pb: (f32, f32), t: f32) -> (f32, f32) {
    let (c, s) = (pa.0 * (1.0 - t) + pb.0 * t, pa.1 * (1.0 - t) + pb.1 * t);
    // Unit phasors: no overflow for `hypot` to guard against (it was 5 % of
    // a table build).
    let norm = (c * c + s * s).sqrt();
    if norm > 1e-6 {
        (c / norm, s / norm)
    } else {
        pa
    }
}

/// A phasor `(sin φ, cos φ)` turned by the angle whose (cos, sin) is `r`.
fn rotate(phasor: (f32, f32), r: (f32, f32)) -> (f32, f32) {
    let (sin_phi, cos_phi) = phasor;
    let (cos_r, sin_r) = r;
    (
        sin_phi * cos_r + cos_phi * sin_r,
        cos_phi * cos_r - sin_phi * sin_r,
    )
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
    fn a_harmonic_silent_in_a_source_turns_smoothly_away_from_its_anchor() {
        // Harmonic 5 is silent in A's source (sine phase there); B's source
        // has every harmonic in opposite phase. A macro move raised the
        // network's level there by 30 dB, so it sounds in A's own frame.
        let net = vec![vec![-20.0f32; HARMONICS]; 3];
        let mut a = residual(0.0, 0.0);
        a.decoded_db[4] = -50.0;
        a.levels_db[4] = FLOOR_DB - -50.0;
        a.silent[4] = (true, false);
        a.phasors[4] = SINE_PHASE;
        let b = residual(0.0, std::f32::consts::PI);
        let out = frames(&net, &[(0, 0.0), (0, 0.02), (0, 1.0)], &[Some(a), Some(b)]);
        let phase = |h: &Harmonics| levels::phases(h)[4];
        assert!(out[0].magnitude(5) > 0.0);
        let near = (phase(&out[1]) - phase(&out[0])).abs();
        assert!(near < 0.2, "turned {near} rad in 2 % of the segment");
        let end = phase(&out[2]).abs();
        assert!((end - std::f32::consts::PI).abs() < 1e-4, "{end}");
    }

    #[test]
    fn sources_in_opposite_polarity_blend_without_cancelling() {
        // B's source is A's upside down: aligned, the halfway frame keeps
        // A's levels instead of cancelling, and both ends stay exact.
        let net = vec![vec![-20.0f32; HARMONICS]; 3];
        let a = residual(0.0, 0.3);
        let b = residual(0.0, 0.3 + std::f32::consts::PI);
        let out = frames(
            &net,
            &[(0, 0.0), (0, 0.5), (0, 1.0)],
            &[Some(a.clone()), Some(b.clone())],
        );
        for h in [1, 5, 100] {
            let db = 20.0 * out[1].magnitude(h).log10();
            assert!((db + 20.0).abs() < 1e-3, "harmonic {h}: {db} dB");
        }
        let p = |h: &Harmonics| levels::phases(h)[4];
        assert!((p(&out[0]) - 0.3).abs() < 1e-4);
        let wrapped = (p(&out[2]) - (0.3 + std::f32::consts::PI)).rem_euclid(std::f32::consts::TAU);
        let off = wrapped.min(std::f32::consts::TAU - wrapped);
        assert!(off < 1e-4, "{wrapped}");
        let turn = Alignment::between(&a, &b).rotation.abs();
        assert!((turn - std::f64::consts::PI).abs() < 1e-3, "{turn}");
    }

    #[test]
    fn a_flat_faint_floor_is_lowered_but_a_source_slope_and_loud_tops_stay() {
        // A saw's first 64 harmonics over a flat floor 50 dB down.
        let mut h = Harmonics::silent();
        for k in 1..=HARMONICS {
            h.sin[k] = if k <= 64 {
                1.0 / k as f32
            } else {
                10f32.powf(-50.0 / 20.0)
            };
        }
        let before = h.clone();
        clean_floor(&mut h, |_| 0.0);
        let db = |x: &Harmonics, k: usize| 20.0 * x.magnitude(k).log10();
        // Lowered, and falling at least 3 dB an octave from harmonic 64 up.
        assert!(db(&h, 400) < db(&before, 400) - 5.0);
        assert!(
            db(&h, 400) < db(&h, 200) - 2.9,
            "{} {}",
            db(&h, 400),
            db(&h, 200)
        );
        assert_eq!(h.magnitude(10), before.magnitude(10));
        // The same floor is the source's own spectrum: it stays.
        let mut same = before.clone();
        clean_floor(&mut same, |k| before.magnitude(k + 1));
        assert_eq!(same, before);
        // A loud flat top (an impulse train) is the sound itself.
        let mut buzz = Harmonics::silent();
        for k in 1..=HARMONICS {
            buzz.cos[k] = 1.0;
        }
        let loud = buzz.clone();
        clean_floor(&mut buzz, |_| 0.0);
        assert_eq!(buzz, loud);
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
