//! The network's representation of a frame: the level of each harmonic in dB
//! re the frame's strongest, and, apart from it, each harmonic's phase.
//!
//! Harmonic `h` of a spectrum is `m_h · sin(2πht + φ_h)`, so its cosine and
//! sine amplitudes are `m sin φ` and `m cos φ`. Levels are floored at
//! [`FLOOR_DB`]: a level at or below the floor is silence, so a decoded frame
//! has no faint floor of harmonics the network could not place. The network
//! sees levels scaled to `0..1` ([`to_unit`]: 0 = the floor, 1 = the strongest
//! harmonic).

use crate::vae::HARMONICS;
use crate::Harmonics;

/// Lowest level the network represents, in dB re the strongest harmonic.
pub const FLOOR_DB: f32 = -80.0;
/// Levels up to this far above the floor are silence too: the network's
/// output hovers around the floor for harmonics it means to be silent, and a
/// level rebuilt as `decoded + (source − decoded)` lands on the floor only to
/// within rounding.
pub const SILENCE_MARGIN_DB: f32 = 1.0;

/// The magnitude of a harmonic at `level` dB re the strongest (0 for
/// silence: at or below the floor plus [`SILENCE_MARGIN_DB`], or not a number).
pub fn magnitude(level: f32) -> f32 {
    if level > FLOOR_DB + SILENCE_MARGIN_DB {
        (level.min(40.0) * (std::f32::consts::LN_10 / 20.0)).exp()
    } else {
        0.0
    }
}

/// The levels of harmonics `1..=HARMONICS` in dB re the strongest of them,
/// floored at [`FLOOR_DB`] (a silent spectrum is all floor).
pub fn levels_db(h: &Harmonics) -> Vec<f32> {
    let mags: Vec<f32> = (1..=HARMONICS).map(|k| h.magnitude(k)).collect();
    let strongest = mags.iter().fold(0.0f32, |m, &v| m.max(v));
    if strongest <= 0.0 || !strongest.is_finite() {
        return vec![FLOOR_DB; HARMONICS];
    }
    mags.iter()
        .map(|&m| {
            if m > 0.0 {
                (20.0 * (m / strongest).log10()).max(FLOOR_DB)
            } else {
                FLOOR_DB
            }
        })
        .collect()
}

/// The phase `φ_h` of harmonics `1..=HARMONICS` (0 for a silent one).
pub fn phases(h: &Harmonics) -> Vec<f32> {
    (1..=HARMONICS)
        .map(|k| {
            let c = h.cos.get(k).copied().unwrap_or(0.0);
            let s = h.sin.get(k).copied().unwrap_or(0.0);
            if c == 0.0 && s == 0.0 {
                0.0
            } else {
                c.atan2(s)
            }
        })
        .collect()
}

/// A spectrum with the given levels (dB; see [`magnitude`] for silence)
/// and phases (`None`: every harmonic in sine phase, the default for a frame
/// that has no source to take its phases from).
pub fn spectrum(levels: &[f32], phases: Option<&[f32]>) -> Harmonics {
    let mut out = Harmonics::silent();
    for (k, &level) in levels.iter().enumerate().take(HARMONICS) {
        let m = magnitude(level);
        if m == 0.0 {
            continue;
        }
        let phi = phases.and_then(|p| p.get(k)).copied().unwrap_or(0.0);
        out.cos[k + 1] = m * phi.sin();
        out.sin[k + 1] = m * phi.cos();
    }
    out
}

/// Levels in dB scaled for the network: `1 + level / 80`, so 0 is the floor.
pub fn to_unit(levels: &[f32]) -> Vec<f32> {
    levels.iter().map(|&l| 1.0 - l / FLOOR_DB).collect()
}

/// The network's scaled levels back in dB (below the floor clamps to it).
pub fn from_unit(unit: &[f32]) -> Vec<f32> {
    unit.iter()
        .map(|&u| {
            if u.is_finite() {
                ((1.0 - u) * FLOOR_DB).max(FLOOR_DB)
            } else {
                FLOOR_DB
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Shape;

    #[test]
    fn levels_and_phases_rebuild_the_spectrum() {
        let saw = Shape::Saw.harmonics();
        let back = spectrum(&levels_db(&saw), Some(&phases(&saw)));
        let strongest = saw.magnitude(1);
        for k in 1..=HARMONICS {
            for (x, y) in [(saw.cos[k], back.cos[k]), (saw.sin[k], back.sin[k])] {
                assert!((x / strongest - y).abs() < 1e-5, "harmonic {k}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn the_floor_is_silence_and_the_scale_maps_it_to_zero() {
        let mut h = Harmonics::silent();
        h.sin[1] = 1.0;
        h.sin[2] = 1e-5; // -100 dB
        h.sin[3] = 1.05e-4; // -79.6 dB: within the silence margin
        let l = levels_db(&h);
        assert_eq!(l[0], 0.0);
        assert_eq!(l[1], FLOOR_DB);
        let u = to_unit(&l);
        assert_eq!((u[0], u[1]), (1.0, 0.0));
        assert_eq!(from_unit(&[-0.5, 0.5]), vec![FLOOR_DB, -40.0]);
        let back = spectrum(&l, None);
        assert_eq!(back.magnitude(2), 0.0);
        assert_eq!(back.magnitude(3), 0.0);
        assert!((back.sin[1] - 1.0).abs() < 1e-6);
    }
}
