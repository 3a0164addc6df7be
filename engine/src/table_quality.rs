//! Measuring a built table the way a position scan hears it: phase seams
//! between neighbouring frames, the dip of the crossfade half way between
//! them, the loudness range along the table and faint decoder floors.
//!
//! The oscillator crossfades neighbouring frames sample by sample, so what a
//! scan plays between frames `i` and `i + 1` is `(1 − t)·a + t·b`. Two frames
//! with the same harmonic levels but a partial flipped or shifted in phase
//! cancel in that blend: the cycle half way is quieter and hollow. A decoder
//! that strays off its data grows a flat plateau of faint upper harmonics
//! (a natural spectrum falls by 6 dB an octave or more up there), heard as
//! hiss on every note.
//!
//! For tests and the `nwt check-tables` command; allocates.

use crate::wavetable::WavetableSet;
use nwt_model::Harmonics;

/// Neighbouring frames whose relative harmonic levels differ by less than
/// this (power-weighted mean, dB) count as "the same levels".
pub const SAME_LEVELS_DB: f32 = 1.0;
/// Frames with the same levels must correlate at least this well.
pub const SEAM_CORRELATION: f32 = 0.95;
/// Harmonics more than this far below a frame's strongest are left out of
/// the level comparison (they carry too little to hear a phase flip).
const COMPARED_RANGE_DB: f32 = 40.0;
/// The faint band where a decoder floor lives, dB re the strongest harmonic.
pub const PLATEAU_BAND_DB: (f32, f32) = (-70.0, -25.0);
/// A faint stretch of upper harmonics falling more slowly than this (dB per
/// octave, negative = falling) is a plateau: a decoder floor is flat (0),
/// natural spectra fall by 6 or more, and the brightest factory anchor
/// (Bright, magnitudes as `1/k^0.6`) by 3.6.
pub const PLATEAU_SLOPE_DB_PER_OCTAVE: f32 = -2.0;
/// How far a plateau's bands may stray from its fitted line, dB.
pub const PLATEAU_FLATNESS_DB: f32 = 3.0;
/// The harmonics a plateau is looked for in (the bands are those the
/// decoder floor gate of `nwt_model::anchored::clean_floor` works in).
pub const PLATEAU_HARMONICS: (usize, usize) = (64, 256);
/// Third-octave bands of [`PLATEAU_HARMONICS`] (the level of each is its
/// mean power per harmonic).
const PLATEAU_BANDS: usize = 6;

/// What [`measure`] found in one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableQuality {
    /// Frames measured.
    pub frames: usize,
    /// Indices `i` of neighbouring pairs `(i, i + 1)` with the same levels
    /// (within [`SAME_LEVELS_DB`]) that correlate below [`SEAM_CORRELATION`].
    pub phase_seams: Vec<usize>,
    /// The lowest correlation among pairs with the same levels (1 when none).
    pub worst_same_level_correlation: f32,
    /// The deepest dip of the halfway blend below its two neighbours'
    /// mean RMS level, dB (0 or positive: no dip), and the pair it is at.
    pub worst_halfway_db: f32,
    /// The pair [`Self::worst_halfway_db`] was measured at.
    pub worst_halfway_pair: usize,
    /// Loudest minus quietest frame RMS, dB (silent frames left out).
    pub loudness_range_db: f32,
    /// Frames with a faint flat plateau of upper harmonics ([`plateau`]).
    pub plateau_frames: Vec<usize>,
}

impl TableQuality {
    /// Whether the table meets every goal: no phase seams, the halfway blend
    /// never more than `dip_db` quieter, a loudness range of at most
    /// `range_db`, and no plateau frames.
    pub fn meets(&self, dip_db: f32, range_db: f32) -> bool {
        self.phase_seams.is_empty()
            && self.worst_halfway_db >= -dip_db
            && self.loudness_range_db <= range_db
            && self.plateau_frames.is_empty()
    }
}

/// One frame as the measures need it: its cycle, RMS and harmonic powers.
struct FrameStats {
    cycle: Vec<f32>,
    rms: f64,
    /// Power of harmonics `1..` (index 0 = harmonic 1).
    power: Vec<f64>,
}

impl FrameStats {
    fn new(cycle: Vec<f32>) -> Self {
        let h = Harmonics::from_cycle(&cycle);
        let power = (1..=1023)
            .map(|k| f64::from(h.magnitude(k)).powi(2))
            .collect();
        let rms = rms(&cycle);
        Self { cycle, rms, power }
    }

    fn strongest(&self) -> f64 {
        self.power.iter().fold(0.0f64, |m, &p| m.max(p))
    }
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

fn db(ratio: f64) -> f32 {
    (10.0 * ratio.max(1e-30).log10()) as f32
}

/// Measures every neighbouring pair and every frame of `set` (its full-band
/// level, as a low note plays it).
pub fn measure(set: &WavetableSet) -> TableQuality {
    let stats: Vec<FrameStats> = (0..set.frame_count())
        .map(|i| FrameStats::new(set.frame(i)))
        .collect();
    let mut quality = TableQuality {
        frames: stats.len(),
        phase_seams: Vec::new(),
        worst_same_level_correlation: 1.0,
        worst_halfway_db: 0.0,
        worst_halfway_pair: 0,
        loudness_range_db: 0.0,
        plateau_frames: Vec::new(),
    };
    for (i, pair) in stats.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        if level_difference_db(a, b) < SAME_LEVELS_DB {
            let c = crate::analysis::correlation(&a.cycle, &b.cycle);
            quality.worst_same_level_correlation = quality.worst_same_level_correlation.min(c);
            if c < SEAM_CORRELATION {
                quality.phase_seams.push(i);
            }
        }
        let dip = halfway_db(a, b);
        if dip < quality.worst_halfway_db {
            quality.worst_halfway_db = dip;
            quality.worst_halfway_pair = i;
        }
    }
    let audible: Vec<f64> = stats.iter().map(|s| s.rms).filter(|&r| r > 1e-6).collect();
    if let (Some(lo), Some(hi)) = (
        audible.iter().copied().reduce(f64::min),
        audible.iter().copied().reduce(f64::max),
    ) {
        quality.loudness_range_db = db((hi / lo).powi(2));
    }
    quality.plateau_frames = stats
        .iter()
        .enumerate()
        .filter(|(_, s)| plateau(&s.power))
        .map(|(i, _)| i)
        .collect();
    quality
}

/// The power-weighted mean difference of two frames' harmonic levels, each
/// relative to its own RMS, over the harmonics within [`COMPARED_RANGE_DB`]
/// of either frame's strongest.
fn level_difference_db(a: &FrameStats, b: &FrameStats) -> f32 {
    let (na, nb) = (a.rms.powi(2).max(1e-30), b.rms.powi(2).max(1e-30));
    let floor = 10f64.powf(-f64::from(COMPARED_RANGE_DB) / 10.0);
    let (ta, tb) = (a.strongest() * floor, b.strongest() * floor);
    let (mut sum, mut weight) = (0.0f64, 0.0f64);
    for (&pa, &pb) in a.power.iter().zip(&b.power) {
        if pa < ta && pb < tb {
            continue;
        }
        let (ra, rb) = (pa / na, pb / nb);
        let w = ra + rb;
        sum += w * f64::from((db(ra.max(1e-12)) - db(rb.max(1e-12))).abs());
        weight += w;
    }
    if weight > 0.0 {
        (sum / weight) as f32
    } else {
        0.0
    }
}

/// How far the halfway blend `(a + b) / 2` lies below the mean of the two
/// frames' RMS levels, dB (negative = quieter).
fn halfway_db(a: &FrameStats, b: &FrameStats) -> f32 {
    if a.rms <= 1e-6 || b.rms <= 1e-6 {
        return 0.0;
    }
    let mid: Vec<f32> = a
        .cycle
        .iter()
        .zip(&b.cycle)
        .map(|(&x, &y)| 0.5 * (x + y))
        .collect();
    let neighbours = 0.5 * (db(a.rms.powi(2)) + db(b.rms.powi(2)));
    db(rms(&mid).powi(2)) - neighbours
}

/// Whether harmonic powers `power` (index 0 = harmonic 1) hold a faint flat
/// plateau: the third-octave bands of [`PLATEAU_HARMONICS`] that lie in
/// [`PLATEAU_BAND_DB`] re the strongest harmonic span at least an octave and
/// fall, fitted by least squares, more slowly than
/// [`PLATEAU_SLOPE_DB_PER_OCTAVE`].
pub fn plateau(power: &[f64]) -> bool {
    let strongest = power.iter().fold(0.0f64, |m, &p| m.max(p));
    if strongest <= 0.0 {
        return false;
    }
    let (lo, hi) = PLATEAU_HARMONICS;
    let octaves = (hi as f64 / lo as f64).log2();
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut found = false;
    for band in 0..PLATEAU_BANDS {
        let start =
            (lo as f64 * 2f64.powf(octaves * band as f64 / PLATEAU_BANDS as f64)).round() as usize;
        let end = (lo as f64 * 2f64.powf(octaves * (band + 1) as f64 / PLATEAU_BANDS as f64))
            .round() as usize;
        let slice = &power[(start - 1).min(power.len())..(end - 1).min(power.len())];
        let level = if slice.is_empty() {
            f32::NEG_INFINITY
        } else {
            db(slice.iter().sum::<f64>() / slice.len() as f64 / strongest)
        };
        let centre = (((start * end) as f64).sqrt() / lo as f64).log2();
        if level >= PLATEAU_BAND_DB.0 && level <= PLATEAU_BAND_DB.1 {
            run.push((centre, f64::from(level)));
        } else {
            found |= flat_run(&run);
            run.clear();
        }
    }
    found || flat_run(&run)
}

/// Whether a run of (octave, level dB) bands is a plateau: it spans an
/// octave, its least-squares line falls more slowly than
/// [`PLATEAU_SLOPE_DB_PER_OCTAVE`], and no band strays from that line by
/// more than [`PLATEAU_FLATNESS_DB`] (a resonance that rises and falls
/// again is a shape of the sound, not a floor).
fn flat_run(run: &[(f64, f64)]) -> bool {
    if run.len() < 2 || run[run.len() - 1].0 - run[0].0 < 0.99 * 2.0 / 3.0 {
        return false;
    }
    let n = run.len() as f64;
    let mx = run.iter().map(|p| p.0).sum::<f64>() / n;
    let my = run.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = run.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = run.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return false;
    }
    let slope = sxy / sxx;
    let flat = run
        .iter()
        .all(|p| (p.1 - (my + slope * (p.0 - mx))).abs() <= f64::from(PLATEAU_FLATNESS_DB));
    slope > f64::from(PLATEAU_SLOPE_DB_PER_OCTAVE) && flat
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(spectra: &[Harmonics]) -> WavetableSet {
        WavetableSet::from_harmonics(spectra).unwrap()
    }

    fn saw_like(harmonics: usize, phase_flip: Option<usize>) -> Harmonics {
        let mut h = Harmonics::silent();
        for k in 1..=harmonics {
            let sign = if phase_flip == Some(k) { -1.0 } else { 1.0 };
            h.sin[k] = sign / k as f32;
        }
        h
    }

    #[test]
    fn a_flipped_partial_is_a_seam_and_dips_half_way() {
        let mut flipped = saw_like(64, None);
        flipped.sin[1] = -flipped.sin[1];
        flipped.sin[2] = -flipped.sin[2];
        let q = measure(&table(&[saw_like(64, None), flipped]));
        assert_eq!(q.phase_seams, vec![0], "{q:?}");
        assert!(q.worst_halfway_db < -3.0, "{q:?}");
        let smooth = measure(&table(&[saw_like(64, None), saw_like(60, None)]));
        assert!(smooth.phase_seams.is_empty(), "{smooth:?}");
        assert!(smooth.worst_halfway_db > -0.1, "{smooth:?}");
    }

    #[test]
    fn loudness_range_is_the_rms_spread_of_peak_normalised_frames() {
        // A sine's RMS is 3 dB under its peak; an impulse-like frame's far more.
        let mut sine = Harmonics::silent();
        sine.sin[1] = 1.0;
        let mut buzz = Harmonics::silent();
        for k in 1..=256 {
            buzz.cos[k] = 1.0;
        }
        let q = measure(&table(&[sine, buzz]));
        let expected = 10.0 * (256.0f32 / 2.0 / 0.5).log10() - 3.0 + 3.0;
        assert!(
            q.loudness_range_db > 20.0 && q.loudness_range_db < expected + 1.0,
            "{q:?}"
        );
    }

    #[test]
    fn a_faint_flat_floor_is_a_plateau_but_a_saw_is_not() {
        let saw: Vec<f64> = (1..=512).map(|k| 1.0 / (k * k) as f64).collect();
        assert!(!plateau(&saw));
        let mut floored = saw.clone();
        for p in floored.iter_mut().skip(59).take(90) {
            *p = 10f64.powf(-44.0 / 10.0);
        }
        assert!(plateau(&floored));
        // A bright, loud flat spectrum (an impulse train) is not faint.
        assert!(!plateau(&vec![1.0; 512]));
    }
}
