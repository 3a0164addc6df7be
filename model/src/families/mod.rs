//! Procedural families of single-cycle waveforms: the synthetic half of the
//! autoencoder's training data.
//!
//! Every [`Family`] turns a `u64` seed into one frame. Its parameters are drawn
//! from a small seeded PRNG, and every frame is finished the same way: band-limited
//! to [`MAX_HARMONIC`], DC removed, rotated to the canonical phase
//! ([`align_phase`]) and peak-normalised ([`normalise`]).
//!
//! Time-domain generators (FM, waveshaping, phase distortion) render one cycle at
//! 8 × [`FRAME_LEN`] samples and keep harmonics `1..=MAX_HARMONIC` of its FFT. The
//! cycle is periodic, so nothing leaks between bins, and these waves are
//! continuous, so what folds back from beyond 8× lies far below `f32` resolution.
//! Discontinuous waves (pulses, hard sync) are piecewise linear and are instead
//! integrated exactly, segment by segment, so they carry no aliasing at all.
//!
//! # Reproducibility
//!
//! [`Family::generate`] is bit-identical on every run and platform. It uses only
//! IEEE basic arithmetic and square roots (correctly rounded everywhere), the
//! `libm` crate for `sin`/`cos`/`exp`/`ln`/`tanh`/`atan2` (pure Rust, the same
//! code on every platform; see `turns.rs`) rather than the platform's libm
//! (whose last bits differ between systems), and its own scalar FFT rather
//! than a SIMD FFT (whose rounding depends on the CPU it finds).

use crate::rng::Rng;
use crate::{Harmonics, Shape, FRAME_LEN, MAX_HARMONIC};
use std::f64::consts::TAU;
use std::ops::{Add, Mul, Sub};
use std::sync::OnceLock;
use turns::{cos_turns, exp, ln, sin_cos_turns, sin_turns};

mod captured;
mod generators;
mod render;
#[cfg(test)]
mod tests;
mod turns;

use generators::*;
use render::*;

/// Oversampling factor of the time-domain generators.
const OVERSAMPLE: usize = 8;
/// Samples per cycle at which the time-domain generators render.
const RENDER_LEN: usize = FRAME_LEN * OVERSAMPLE;

/// A procedural family of single-cycle waveforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Sine, triangle, saw, square or ramp-down, alone or a blend of two.
    Classic,
    /// A pulse with a duty cycle in `0.02..0.98`.
    PulseWidth,
    /// A tilted spectrum shaped by one to three formant bumps, sine or random phases.
    Additive,
    /// Odd harmonics with a random tilt and phase pattern, sometimes a few quiet even ones.
    OddHarmonic,
    /// Phase modulation at integer ratios: one modulator, or a two-operator stack.
    FmPm,
    /// A sine (or a sine plus one harmonic) through tanh, a hard clip or a sine wavefolder.
    Waveshaped,
    /// A saw or triangle hard-synced to the cycle at a ratio in `1..8`.
    HardSync,
    /// Casio-style phase distortion of a cosine, resonant variants included.
    PhaseDistortion,
    /// Random harmonic amplitudes under a random smooth spectral envelope, random phases.
    NoiseSeeded,
    /// A crossfade of two frames from two different other families.
    Mixture,
    /// A glottal-like source through 2–5 resonances at vowel-like formant
    /// frequencies (a sung or spoken vowel's cycle).
    Formant,
    /// A cycle drawn point by point in an editor: naive (aliased), any length,
    /// resampled and quantised as a user's file is.
    Drawn,
    /// One period cut from a synthesised recording of a spoken vowel (jitter,
    /// breath, a noise floor, the recording's band limit).
    SpokenVowel,
}

/// The families a [`Family::Mixture`] draws from: all but itself (the last of [`Family::ALL`]).
const SOURCES: &[Family] = Family::ALL.split_at(Family::ALL.len() - 1).0;

impl Family {
    /// Every family, in a fixed order.
    pub const ALL: [Family; 13] = [
        Family::Classic,
        Family::PulseWidth,
        Family::Additive,
        Family::OddHarmonic,
        Family::FmPm,
        Family::Waveshaped,
        Family::HardSync,
        Family::PhaseDistortion,
        Family::NoiseSeeded,
        Family::Formant,
        Family::Drawn,
        Family::SpokenVowel,
        Family::Mixture,
    ];

    /// Short stable name ("classic", "pulse", "additive", "odd", "fm", "shaped",
    /// "sync", "pd", "noise", "mix", "formant", "drawn", "vowel").
    pub fn name(self) -> &'static str {
        match self {
            Family::Classic => "classic",
            Family::PulseWidth => "pulse",
            Family::Additive => "additive",
            Family::OddHarmonic => "odd",
            Family::FmPm => "fm",
            Family::Waveshaped => "shaped",
            Family::HardSync => "sync",
            Family::PhaseDistortion => "pd",
            Family::NoiseSeeded => "noise",
            Family::Mixture => "mix",
            Family::Formant => "formant",
            Family::Drawn => "drawn",
            Family::SpokenVowel => "vowel",
        }
    }

    /// The frame this family makes for `seed` (same seed → bit-identical result on
    /// every run and platform): band-limited to [`MAX_HARMONIC`], DC-free,
    /// phase-aligned ([`align_phase`]) and peak-normalised ([`normalise`]).
    pub fn generate(self, seed: u64) -> Harmonics {
        let mut rng = Rng::with_stream(seed, self as u64);
        finish(self.raw(&mut rng))
    }

    /// The family's unfinished spectrum for the parameters `rng` draws.
    fn raw(self, rng: &mut Rng) -> Harmonics {
        match self {
            Family::Classic => classic(rng),
            Family::PulseWidth => pulse(rng),
            Family::Additive => additive(rng),
            Family::OddHarmonic => odd_harmonic(rng),
            Family::FmPm => phase_modulation(rng),
            Family::Waveshaped => waveshaped(rng),
            Family::HardSync => hard_sync(rng),
            Family::PhaseDistortion => phase_distortion(rng),
            Family::NoiseSeeded => noise(rng),
            Family::Mixture => mixture(rng),
            Family::Formant => formant(rng),
            Family::Drawn => captured::drawn(rng),
            Family::SpokenVowel => captured::spoken_vowel(rng),
        }
    }
}

// ---------------------------------------------------------------------------
// Public spectrum tools
// ---------------------------------------------------------------------------

/// Band-limits (keeps harmonics `1..=max_harmonic`, at most [`MAX_HARMONIC`]),
/// removes DC and peak-normalises a spectrum in place, so the time-domain peak of
/// its [`FRAME_LEN`]-sample rendering ([`harmonics_to_frame`]) is 1. Silent input
/// stays silent.
///
/// The peak is measured on the sample grid, so a later time shift (such as
/// [`align_phase`]) can move it slightly; align first for an exact peak.
pub fn normalise(h: &mut Harmonics, max_harmonic: usize) {
    band_limit(h, max_harmonic.min(MAX_HARMONIC));
    let peak = render_frame(h).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if peak > 0.0 && peak.is_finite() {
        let gain = 1.0 / peak;
        for v in h.cos.iter_mut().chain(h.sin.iter_mut()) {
            *v = (f64::from(*v) * gain) as f32;
        }
    }
}

/// Harmonic spectrum of a [`FRAME_LEN`]-sample time-domain frame (one cycle), by
/// forward FFT. DC and the Nyquist bin are dropped; non-finite samples count as zero.
///
/// Other lengths work too: harmonics up to `min((len - 1) / 2, MAX_HARMONIC)` are
/// kept, by FFT for powers of two up to 65536 and by a slower direct transform
/// otherwise.
pub fn frame_to_harmonics(frame: &[f32]) -> Harmonics {
    let samples: Vec<f64> = frame
        .iter()
        .map(|&v| if v.is_finite() { f64::from(v) } else { 0.0 })
        .collect();
    spectrum(&samples)
}

/// The [`FRAME_LEN`]-sample time-domain rendering of a spectrum (inverse FFT):
/// sample `n` is the waveform at phase `n / FRAME_LEN`.
pub fn harmonics_to_frame(h: &Harmonics) -> Vec<f32> {
    render_frame(h).into_iter().map(|v| v as f32).collect()
}

/// Rotates the waveform in time so harmonic 1 has sine phase (`cos[1] = 0`,
/// `sin[1] > 0`): a canonical alignment, so the same shape always lands at the
/// same phase. If harmonic 1 is below 1e-3 of the strongest harmonic, aligns on
/// the strongest (the lowest such, on a tie) instead, choosing the smallest
/// rotation that gives it sine phase. Magnitudes are unchanged; silence is left alone.
pub fn align_phase(h: &mut Harmonics) {
    let Some(k) = reference_harmonic(h) else {
        return;
    };
    let (c, s) = coefficient(h, k);
    // Harmonic k as a phasor c - i·s; a shift of τ cycles turns it by k·τ turns,
    // and sine phase is -1/4 turn. Wrap k·τ into half a turn for the smallest shift.
    let phase = turns::atan2(-s, c) / TAU;
    let mut turn = -0.25 - phase;
    turn -= turns::round(turn);
    rotate(h, turn / k as f64);
}

// ---------------------------------------------------------------------------
// Finishing and spectrum helpers
// ---------------------------------------------------------------------------

/// Band-limits, aligns and normalises a generator's raw spectrum (a sine stands
/// in for a degenerate one, which no generator should make).
fn finish(mut h: Harmonics) -> Harmonics {
    band_limit(&mut h, MAX_HARMONIC);
    let finite = h.cos.iter().chain(&h.sin).all(|v| v.is_finite());
    let audible = h.cos.iter().chain(&h.sin).any(|&v| v != 0.0);
    if !(finite && audible) {
        h = Shape::Sine.harmonics();
    }
    align_phase(&mut h);
    normalise(&mut h, MAX_HARMONIC);
    h
}

/// Zeroes DC and every harmonic above `max_harmonic`.
fn band_limit(h: &mut Harmonics, max_harmonic: usize) {
    for v in [&mut h.cos, &mut h.sin] {
        for (k, x) in v.iter_mut().enumerate() {
            if k == 0 || k > max_harmonic {
                *x = 0.0;
            }
        }
    }
}

/// `(cos, sin)` amplitude of harmonic `k`, zero where the vectors stop.
fn coefficient(h: &Harmonics, k: usize) -> (f64, f64) {
    let c = h.cos.get(k).copied().unwrap_or(0.0);
    let s = h.sin.get(k).copied().unwrap_or(0.0);
    (f64::from(c), f64::from(s))
}

/// The harmonic [`align_phase`] aligns on, or `None` for silence.
fn reference_harmonic(h: &Harmonics) -> Option<usize> {
    let power = |k: usize| {
        let (c, s) = coefficient(h, k);
        c * c + s * s
    };
    let top = h.cos.len().max(h.sin.len()).saturating_sub(1);
    let (strongest, max) =
        (1..=top).map(|k| (k, power(k))).fold(
            (0, 0.0),
            |best, cur| if cur.1 > best.1 { cur } else { best },
        );
    if !(max > 0.0 && max.is_finite()) {
        None
    } else if power(1) >= 1e-6 * max {
        Some(1)
    } else {
        Some(strongest)
    }
}

/// Shifts the waveform in time: `x(t)` becomes `x(t + turns)`.
fn rotate(h: &mut Harmonics, turns: f64) {
    let len = h.cos.len().min(h.sin.len());
    for k in 1..len {
        let (s, c) = sin_cos_turns(k as f64 * turns);
        let (a, b) = (f64::from(h.cos[k]), f64::from(h.sin[k]));
        h.cos[k] = (a * c + b * s) as f32;
        h.sin[k] = (b * c - a * s) as f32;
    }
}

/// `h` with every amplitude multiplied by `gain`.
fn scaled(mut h: Harmonics, gain: f32) -> Harmonics {
    for v in h.cos.iter_mut().chain(h.sin.iter_mut()) {
        *v *= gain;
    }
    h
}

/// Gentle fourth-order roll-off above `cutoff` (no roll-off for an infinite cutoff).
fn roll_off(h: usize, cutoff: f64) -> f64 {
    let x = h as f64 / cutoff;
    let x2 = x * x;
    1.0 / (1.0 + x2 * x2)
}

/// A spectrum with amplitudes `amplitude(h)`, in sine phase or in random phases.
fn spectrum_with_phases(
    rng: &mut Rng,
    random_phases: bool,
    amplitude: impl Fn(usize) -> f64,
) -> Harmonics {
    Harmonics::from_fn(|h| {
        let a = amplitude(h);
        if random_phases {
            let (s, c) = sin_cos_turns(rng.uniform());
            (a * c, a * s)
        } else {
            (0.0, a)
        }
    })
}

// ---------------------------------------------------------------------------
// Seeded PRNG
// ---------------------------------------------------------------------------

/// Log-uniform in `[lo, hi)` (`0 < lo < hi`), with the deterministic
/// `exp`/`ln` of this module (the same on every machine).
fn log_range(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    exp(rng.range(ln(lo), ln(hi)))
}
