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
//! IEEE basic arithmetic and square roots (correctly rounded everywhere), with its
//! own FFT and its own `sin`/`cos`/`exp`/`ln`/`tanh`/`atan2`, rather than the
//! platform's libm (whose last bits differ between systems) or a SIMD FFT (whose
//! rounding depends on the CPU it finds).

use crate::rng::Rng;
use crate::{Harmonics, Shape, FRAME_LEN, MAX_HARMONIC};
use dmath::{cos_turns, exp, ln, sin_cos_turns, sin_turns};
use std::f64::consts::TAU;
use std::ops::{Add, Mul, Sub};
use std::sync::OnceLock;

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
}

/// The families a [`Family::Mixture`] draws from: all but itself (the last of [`Family::ALL`]).
const SOURCES: &[Family] = Family::ALL.split_at(Family::ALL.len() - 1).0;

impl Family {
    /// Every family, in a fixed order.
    pub const ALL: [Family; 11] = [
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
        Family::Mixture,
    ];

    /// Short stable name ("classic", "pulse", "additive", "odd", "fm", "shaped",
    /// "sync", "pd", "noise", "mix", "formant").
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
    let phase = dmath::atan2(-s, c) / TAU;
    let mut turn = -0.25 - phase;
    turn -= dmath::round(turn);
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
// Families
// ---------------------------------------------------------------------------

/// Number of classic shapes [`classic_shape`] knows.
const CLASSIC_SHAPES: usize = 5;

/// Sine, triangle, saw, square or ramp-down, alone or a blend of two (the second
/// sometimes shifted in time).
fn classic(rng: &mut Rng) -> Harmonics {
    let (first, second) = two_distinct(rng, CLASSIC_SHAPES);
    let a = classic_shape(first);
    if rng.chance(0.4) {
        return a;
    }
    let mut b = classic_shape(second);
    if rng.chance(0.3) {
        rotate(&mut b, rng.uniform());
    }
    a.lerp(&b, rng.range(0.15, 0.85) as f32)
}

/// Classic shape number `index` (sine, triangle, saw, square, ramp-down).
fn classic_shape(index: usize) -> Harmonics {
    match index {
        0 => Shape::Sine.harmonics(),
        1 => Shape::Triangle.harmonics(),
        2 => Shape::Saw.harmonics(),
        3 => Shape::Square.harmonics(),
        _ => scaled(Shape::Saw.harmonics(), -1.0),
    }
}

/// A ±1 pulse high for `duty` of the cycle, integrated exactly.
fn pulse(rng: &mut Rng) -> Harmonics {
    let duty = rng.range(0.02, 0.98);
    piecewise_linear(&[
        Segment::flat(0.0, duty, 1.0),
        Segment::flat(duty, 1.0, -1.0),
    ])
}

/// A formant bump on the harmonic axis.
#[derive(Debug, Clone, Copy)]
struct Bump {
    centre: f64,
    width: f64,
    gain: f64,
}

impl Bump {
    fn at(&self, h: f64) -> f64 {
        let x = (h - self.centre) / self.width;
        self.gain * exp(-0.5 * x * x)
    }
}

/// A spectral tilt `h^-a` times a floor plus one to three formant bumps, with an
/// optional roll-off, in sine or random phases.
fn additive(rng: &mut Rng) -> Harmonics {
    let tilt = rng.range(0.3, 2.5);
    let floor = log_range(rng, 0.01, 1.0);
    let bumps: Vec<Bump> = (0..1 + rng.below(3))
        .map(|_| {
            let centre = log_range(rng, 2.0, 60.0);
            Bump {
                centre,
                width: rng.range(0.5, 0.25 * centre + 2.0),
                gain: log_range(rng, 1.0, 30.0),
            }
        })
        .collect();
    let cutoff = optional_cutoff(rng, 0.3, 16.0);
    let random_phases = rng.chance(0.5);
    spectrum_with_phases(rng, random_phases, |h| {
        let hf = h as f64;
        let envelope = floor + bumps.iter().map(|b| b.at(hf)).sum::<f64>();
        dmath::powf(hf, -tilt) * envelope * roll_off(h, cutoff)
    })
}

/// Odd harmonics `h^-a` in one of three phase patterns (square-like,
/// triangle-like, random), sometimes with a few quiet even harmonics.
fn odd_harmonic(rng: &mut Rng) -> Harmonics {
    let tilt = rng.range(0.5, 2.5);
    let pattern = rng.below(3);
    let cutoff = optional_cutoff(rng, 0.3, 8.0);
    let mut out = Harmonics::silent();
    for h in (1..=MAX_HARMONIC).step_by(2) {
        let a = dmath::powf(h as f64, -tilt) * roll_off(h, cutoff);
        let (s, c) = match pattern {
            0 => (1.0, 0.0),
            1 if (h / 2) % 2 == 1 => (-1.0, 0.0),
            1 => (1.0, 0.0),
            _ => sin_cos_turns(rng.uniform()),
        };
        out.cos[h] = (a * c) as f32;
        out.sin[h] = (a * s) as f32;
    }
    if rng.chance(0.35) {
        for _ in 0..1 + rng.below(4) {
            let h = 2 * (1 + rng.below(8));
            let level = log_range(rng, 0.01, 0.15);
            let (s, c) = sin_cos_turns(rng.uniform());
            out.cos[h] += (level * c) as f32;
            out.sin[h] += (level * s) as f32;
        }
    }
    out
}

/// A second modulator of a two-operator stack.
#[derive(Debug, Clone, Copy)]
struct Stack {
    ratio: f64,
    index: f64,
    /// Modulates the first modulator (a cascade) rather than the carrier.
    cascade: bool,
}

/// `sin(2πt + I·sin(2πrt + φ))` at an integer ratio `r` in `1..=8` and index `I`
/// in `0..8`, sometimes with a second modulator in cascade or in parallel.
fn phase_modulation(rng: &mut Rng) -> Harmonics {
    let ratio = (1 + rng.below(8)) as f64;
    let u = rng.uniform();
    let index = 8.0 * u * u.sqrt();
    let offset = if rng.chance(0.3) { rng.uniform() } else { 0.0 };
    let stack = rng.chance(0.3).then(|| Stack {
        ratio: (1 + rng.below(8)) as f64,
        index: rng.range(0.0, 4.0),
        cascade: rng.chance(0.5),
    });
    render(|t| {
        let second = stack.map_or(0.0, |s| s.index * sin_turns(s.ratio * t));
        let (inner, outer) = match stack {
            Some(s) if s.cascade => (second, 0.0),
            _ => (0.0, second),
        };
        let first = index * sin_turns(ratio * t + offset + inner / TAU);
        sin_turns(t + (first + outer) / TAU)
    })
}

/// A waveshaper with its drive.
#[derive(Debug, Clone, Copy)]
enum Shaper {
    Tanh(f64),
    Clip(f64),
    Fold(f64),
}

impl Shaper {
    fn apply(self, x: f64) -> f64 {
        match self {
            Shaper::Tanh(g) => dmath::tanh(g * x),
            Shaper::Clip(g) => (g * x).clamp(-1.0, 1.0),
            Shaper::Fold(g) => sin_turns(0.25 * g * x),
        }
    }
}

/// A sine (or a sine plus harmonic 2–4), optionally biased for even harmonics,
/// through tanh, a hard clip or a sine wavefolder at a random drive.
fn waveshaped(rng: &mut Rng) -> Harmonics {
    let partner = rng.chance(0.5).then(|| {
        let harmonic = (2 + rng.below(3)) as f64;
        (harmonic, rng.range(0.1, 0.7), rng.uniform())
    });
    let bias = if rng.chance(0.35) {
        rng.range(-0.5, 0.5)
    } else {
        0.0
    };
    let shaper = match rng.below(3) {
        0 => Shaper::Tanh(log_range(rng, 0.8, 20.0)),
        1 => Shaper::Clip(log_range(rng, 1.2, 10.0)),
        _ => Shaper::Fold(rng.range(1.0, 8.0)),
    };
    render(|t| {
        let x = match partner {
            Some((k, amp, phase)) => (sin_turns(t) + amp * sin_turns(k * t + phase)) / (1.0 + amp),
            None => sin_turns(t),
        };
        shaper.apply(x + bias)
    })
}

/// The slave waveform of a hard-synced oscillator.
#[derive(Debug, Clone, Copy)]
enum SyncWave {
    Saw,
    Triangle,
}

impl SyncWave {
    /// Spacing, in slave cycles, of the slave's corners and jumps.
    fn grid(self) -> f64 {
        match self {
            SyncWave::Saw => 1.0,
            SyncWave::Triangle => 0.25,
        }
    }

    /// `(slope, offset)` of the linear piece containing slave phase `u`
    /// (unwrapped, in cycles): the wave is `offset + slope·u` there.
    fn piece(self, u: f64) -> (f64, f64) {
        let j = u.floor();
        match self {
            SyncWave::Saw => (2.0, -2.0 * j - 1.0),
            SyncWave::Triangle => match u - j {
                f if f < 0.25 => (4.0, -4.0 * j),
                f if f < 0.75 => (-4.0, 2.0 + 4.0 * j),
                _ => (4.0, -4.0 * j - 4.0),
            },
        }
    }
}

/// A saw or triangle at `ratio` (1..8, integer or not) times the cycle, reset
/// to its start phase every cycle; integrated exactly.
fn hard_sync(rng: &mut Rng) -> Harmonics {
    let ratio = if rng.chance(0.35) {
        (1 + rng.below(8)) as f64
    } else {
        log_range(rng, 1.0, 8.0)
    };
    let start = if rng.chance(0.3) { rng.uniform() } else { 0.0 };
    let wave = if rng.chance(0.6) {
        SyncWave::Saw
    } else {
        SyncWave::Triangle
    };
    piecewise_linear(&sync_segments(wave, ratio, start))
}

/// The linear pieces of one master cycle of a slave `wave` at `ratio`, starting
/// (and reset) at slave phase `start`.
fn sync_segments(wave: SyncWave, ratio: f64, start: f64) -> Vec<Segment> {
    let end = start + ratio;
    let time = |u: f64| if u >= end { 1.0 } else { (u - start) / ratio };
    let mut segments = Vec::new();
    let mut u0 = start;
    while u0 < end {
        let u1 = (((u0 / wave.grid()).floor() + 1.0) * wave.grid()).min(end);
        let (slope, offset) = wave.piece(0.5 * (u0 + u1));
        segments.push(Segment {
            t0: time(u0),
            t1: time(u1),
            v0: offset + slope * u0,
            v1: offset + slope * u1,
        });
        u0 = u1;
    }
    segments
}

/// Casio-style phase distortion: a cosine read through a bent phase map (saw,
/// square, pulse or random bends), or a resonant variant.
fn phase_distortion(rng: &mut Rng) -> Harmonics {
    let map = match rng.below(5) {
        0 => {
            let d = rng.range(0.02, 0.98);
            vec![(0.0, 0.0), (d, 0.5), (1.0, 1.0)]
        }
        1 => {
            let w = rng.range(0.02, 0.48);
            vec![(0.0, 0.0), (w, 0.5), (0.5, 0.5), (0.5 + w, 1.0), (1.0, 1.0)]
        }
        2 => {
            let w = rng.range(0.05, 0.9);
            vec![(0.0, 0.0), (w, 1.0), (1.0, 1.0)]
        }
        3 => random_phase_map(rng),
        _ => return resonant_pd(rng),
    };
    render(|t| cos_turns(interpolate(&map, t)))
}

/// A random monotone phase map through one to three bends, ending after one or
/// two whole cycles (so the cosine stays continuous).
fn random_phase_map(rng: &mut Rng) -> Vec<(f64, f64)> {
    let cycles = (1 + rng.below(2)) as f64;
    let bends = 1 + rng.below(3);
    let mut times: Vec<f64> = (0..bends).map(|_| rng.range(0.02, 0.98)).collect();
    let mut phases: Vec<f64> = (0..bends).map(|_| rng.range(0.0, cycles)).collect();
    times.sort_by(f64::total_cmp);
    phases.sort_by(f64::total_cmp);
    let mut map = vec![(0.0, 0.0)];
    map.extend(times.into_iter().zip(phases));
    map.push((1.0, cycles));
    map
}

/// Resonant phase distortion: a raised cosine at a random (non-integer) multiple
/// of the cycle, reset each cycle and faded out by a saw, triangle or trapezoid
/// window (each zero where the reset happens, so the wave stays continuous).
fn resonant_pd(rng: &mut Rng) -> Harmonics {
    let resonance = log_range(rng, 1.5, 16.0);
    let window = rng.below(3);
    render(|t| {
        let w = match window {
            0 => 1.0 - t,
            1 => 1.0 - (2.0 * t - 1.0).abs(),
            _ => (2.0 * (1.0 - t)).min(1.0),
        };
        0.5 * w * (1.0 - cos_turns(resonance * t))
    })
}

/// Linear interpolation through `points` (sorted by their first coordinate).
fn interpolate(points: &[(f64, f64)], t: f64) -> f64 {
    let i = points[1..]
        .iter()
        .position(|&(x, _)| t <= x)
        .unwrap_or(points.len() - 2);
    let ((x0, y0), (x1, y1)) = (points[i], points[i + 1]);
    if x1 > x0 {
        y0 + (y1 - y0) * (t - x0) / (x1 - x0)
    } else {
        y1
    }
}

/// A ripple of the log-spectral envelope: depth (natural-log units), frequency
/// (cycles over the log-harmonic axis) and phase (cycles).
type Ripple = (f64, f64, f64);

/// Random (Rayleigh) amplitudes under a smooth random envelope (tilt, log-axis
/// ripples, optional roll-off), sometimes sparse, in random phases.
fn noise(rng: &mut Rng) -> Harmonics {
    let tilt = rng.range(0.5, 2.2);
    let ripples: Vec<Ripple> = (0..2 + rng.below(3))
        .map(|_| (rng.range(0.2, 1.5), rng.range(0.5, 4.0), rng.uniform()))
        .collect();
    let cutoff = optional_cutoff(rng, 0.5, 8.0);
    let density = if rng.chance(0.3) {
        rng.range(0.1, 0.6)
    } else {
        1.0
    };
    let log_top = ln(MAX_HARMONIC as f64);
    Harmonics::from_fn(|h| {
        let lh = ln(h as f64);
        let ripple: f64 = ripples
            .iter()
            .map(|&(depth, freq, phase)| depth * cos_turns(freq * lh / log_top + phase))
            .sum();
        let envelope = exp(ripple - tilt * lh) * roll_off(h, cutoff);
        let amp = envelope * (-2.0 * ln(1.0 - rng.uniform())).sqrt();
        let keep = h == 1 || rng.uniform() < density;
        let (s, c) = sin_cos_turns(rng.uniform());
        if keep {
            (amp * c, amp * s)
        } else {
            (0.0, 0.0)
        }
    })
}

/// Formant frequency ranges in Hz (F1..F5) of sung and spoken vowels.
const FORMANT_RANGES: [(f64, f64); 5] = [
    (250.0, 900.0),
    (600.0, 2500.0),
    (1700.0, 3300.0),
    (2800.0, 4200.0),
    (3500.0, 5000.0),
];

/// A glottal-like source (harmonics falling 9–15 dB an octave, in sine phase,
/// a little breath noise on top) at a fundamental of 80–400 Hz, through a
/// cascade of 2–5 two-pole resonances at vowel-like frequencies with
/// bandwidths of 40–250 Hz. Harmonics above 12 kHz are left out.
fn formant(rng: &mut Rng) -> Harmonics {
    let f0 = log_range(rng, 80.0, 400.0);
    let tilt = rng.range(1.5, 2.5);
    let count = 2 + rng.below(4);
    let resonances: Vec<(f64, f64)> = FORMANT_RANGES[..count]
        .iter()
        .map(|&(lo, hi)| (rng.range(lo, hi), rng.range(40.0, 250.0)))
        .collect();
    let breath = log_range(rng, 1e-4, 3e-2);
    Harmonics::from_fn(|h| {
        let f = h as f64 * f0;
        if f > 12_000.0 {
            return (0.0, 0.0);
        }
        // Source: sine phase, falling with the tilt, plus a random breath component.
        let (bs, bc) = sin_cos_turns(rng.uniform());
        let source = dmath::powf(h as f64, -tilt);
        let (mut re, mut im) = (
            source + breath * bc * source.sqrt(),
            breath * bs * source.sqrt(),
        );
        // Each resonance: F² / (F² − f² + i·f·B).
        for &(centre, bandwidth) in &resonances {
            let (dr, di) = (centre * centre - f * f, f * bandwidth);
            let norm = centre * centre / (dr * dr + di * di);
            let (gr, gi) = (dr * norm, -di * norm);
            (re, im) = (re * gr - im * gi, re * gi + im * gr);
        }
        // The complex amplitude re + i·im of a sine-phase harmonic.
        (im, re)
    })
}

/// A crossfade of finished frames from two different non-mixture families, the
/// second sometimes shifted in time. (A sum `a + g·b` is the same frame once
/// normalised, so crossfades cover sums too.)
fn mixture(rng: &mut Rng) -> Harmonics {
    let (first, second) = two_distinct(rng, SOURCES.len());
    let a = SOURCES[first].generate(rng.next_u64());
    let mut b = SOURCES[second].generate(rng.next_u64());
    if rng.chance(0.5) {
        rotate(&mut b, rng.uniform());
    }
    a.lerp(&b, rng.range(0.2, 0.8) as f32)
}

/// Two different indices below `n` (`n ≥ 2`).
fn two_distinct(rng: &mut Rng, n: usize) -> (usize, usize) {
    let first = rng.below(n);
    (first, (first + 1 + rng.below(n - 1)) % n)
}

/// With probability `p`, a log-uniform roll-off harmonic in `lowest..1023`; else none.
fn optional_cutoff(rng: &mut Rng, p: f64, lowest: f64) -> f64 {
    if rng.chance(p) {
        log_range(rng, lowest, MAX_HARMONIC as f64)
    } else {
        f64::INFINITY
    }
}

// ---------------------------------------------------------------------------
// Exact spectra of piecewise-linear waves, and oversampled rendering
// ---------------------------------------------------------------------------

/// A straight piece of a waveform: from value `v0` at time `t0` to `v1` at `t1`
/// (times in cycles, `0 ≤ t0 ≤ t1 ≤ 1`).
#[derive(Debug, Clone, Copy)]
struct Segment {
    t0: f64,
    t1: f64,
    v0: f64,
    v1: f64,
}

impl Segment {
    /// A constant piece.
    fn flat(t0: f64, t1: f64, v: f64) -> Self {
        Self {
            t0,
            t1,
            v0: v,
            v1: v,
        }
    }
}

/// The exact spectrum (harmonics `1..=MAX_HARMONIC`) of a periodic waveform made
/// of straight pieces, jumps between them allowed.
///
/// Over a piece, `∫ (a + bt)·e^{-iωt} dt = e^{-iωt}·(i·x(t)/ω + b/ω²)`; the
/// phasors `e^{-iωt}` at each end advance one harmonic at a time.
fn piecewise_linear(segments: &[Segment]) -> Harmonics {
    let pieces: Vec<Segment> = segments
        .iter()
        .copied()
        .filter(|s| s.t1 - s.t0 > 1e-12)
        .collect();
    let steps: Vec<(Cx, Cx)> = pieces
        .iter()
        .map(|s| (Cx::turns(-s.t0), Cx::turns(-s.t1)))
        .collect();
    let mut phasors = steps.clone();
    Harmonics::from_fn(|h| {
        let w = TAU * h as f64;
        let mut sum = Cx::default();
        for ((s, step), phasor) in pieces.iter().zip(&steps).zip(phasors.iter_mut()) {
            let curvature = (s.v1 - s.v0) / (s.t1 - s.t0) / (w * w);
            let end = phasor.1 * Cx::new(curvature, s.v1 / w);
            let start = phasor.0 * Cx::new(curvature, s.v0 / w);
            sum = sum + end - start;
            *phasor = (phasor.0 * step.0, phasor.1 * step.1);
        }
        (2.0 * sum.re, -2.0 * sum.im)
    })
}

/// Renders one cycle of `wave` (a function of phase in cycles) at [`RENDER_LEN`]
/// samples and returns harmonics `1..=MAX_HARMONIC` of it.
fn render(mut wave: impl FnMut(f64) -> f64) -> Harmonics {
    let samples: Vec<f64> = (0..RENDER_LEN)
        .map(|n| wave(n as f64 / RENDER_LEN as f64))
        .collect();
    spectrum(&samples)
}

// ---------------------------------------------------------------------------
// FFT
// ---------------------------------------------------------------------------

/// A complex number for the FFT.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Cx {
    re: f64,
    im: f64,
}

impl Cx {
    const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// `e^{i·2π·t}`.
    fn turns(t: f64) -> Self {
        let (s, c) = sin_cos_turns(t);
        Self::new(c, s)
    }

    fn conj(self) -> Self {
        Self::new(self.re, -self.im)
    }
}

impl Add for Cx {
    type Output = Cx;
    fn add(self, o: Cx) -> Cx {
        Cx::new(self.re + o.re, self.im + o.im)
    }
}

impl Sub for Cx {
    type Output = Cx;
    fn sub(self, o: Cx) -> Cx {
        Cx::new(self.re - o.re, self.im - o.im)
    }
}

impl Mul for Cx {
    type Output = Cx;
    fn mul(self, o: Cx) -> Cx {
        Cx::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
}

/// Largest FFT size (as a power of two) with cached tables.
const MAX_FFT_LOG2: usize = 16;

/// Twiddles `e^{-2πik/n}` (`k < n/2`) and the bit-reversal permutation of one size.
struct FftTables {
    twiddles: Vec<Cx>,
    reversed: Vec<u32>,
}

impl FftTables {
    fn new(n: usize) -> Self {
        let bits = n.trailing_zeros();
        Self {
            twiddles: (0..n / 2)
                .map(|k| Cx::turns(-(k as f64) / n as f64))
                .collect(),
            reversed: (0..n as u32)
                .map(|i| i.reverse_bits() >> (32 - bits))
                .collect(),
        }
    }
}

/// The (lazily built, shared) tables for a power of two `2 ≤ n ≤ 2^MAX_FFT_LOG2`.
fn fft_tables(n: usize) -> &'static FftTables {
    static TABLES: [OnceLock<FftTables>; MAX_FFT_LOG2 + 1] =
        [const { OnceLock::new() }; MAX_FFT_LOG2 + 1];
    debug_assert!(n.is_power_of_two() && (2..=1 << MAX_FFT_LOG2).contains(&n));
    TABLES[n.trailing_zeros() as usize].get_or_init(|| FftTables::new(n))
}

/// In-place forward FFT (`X[k] = Σ x[n]·e^{-2πikn/N}`), radix 2, for a power of
/// two `2 ≤ N ≤ 2^MAX_FFT_LOG2`.
fn fft(data: &mut [Cx]) {
    let n = data.len();
    let tables = fft_tables(n);
    for (i, &j) in tables.reversed.iter().enumerate() {
        if i < j as usize {
            data.swap(i, j as usize);
        }
    }
    let mut half = 1;
    while half < n {
        let stride = n / (2 * half);
        for block in data.chunks_exact_mut(2 * half) {
            let (lo, hi) = block.split_at_mut(half);
            for (k, (a, b)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                let t = *b * tables.twiddles[k * stride];
                *b = *a - t;
                *a = *a + t;
            }
        }
        half *= 2;
    }
}

/// Harmonics `1..=min((len - 1) / 2, MAX_HARMONIC)` of one cycle of samples.
fn spectrum(samples: &[f64]) -> Harmonics {
    let n = samples.len();
    if n.is_power_of_two() && (4..=1 << MAX_FFT_LOG2).contains(&n) {
        fft_spectrum(samples)
    } else {
        dft_spectrum(samples)
    }
}

/// [`spectrum`] for a power-of-two length: the real signal packed into a complex
/// FFT of half the length, then unpacked.
fn fft_spectrum(samples: &[f64]) -> Harmonics {
    let n = samples.len();
    let m = n / 2;
    let mut z: Vec<Cx> = samples
        .chunks_exact(2)
        .map(|p| Cx::new(p[0], p[1]))
        .collect();
    fft(&mut z);
    let twiddles = &fft_tables(n).twiddles;
    let top = (m - 1).min(MAX_HARMONIC);
    let scale = 1.0 / n as f64;
    Harmonics::from_fn(|h| {
        if h > top {
            return (0.0, 0.0);
        }
        let (a, b) = (z[h], z[m - h].conj());
        let even = a + b;
        let odd = (a - b) * Cx::new(0.0, -1.0);
        let x = even + twiddles[h] * odd; // twice the DFT bin
        (x.re * scale, -x.im * scale)
    })
}

/// [`spectrum`] for any length, by direct summation.
fn dft_spectrum(samples: &[f64]) -> Harmonics {
    let n = samples.len();
    let top = (n.saturating_sub(1) / 2).min(MAX_HARMONIC);
    let scale = 2.0 / n.max(1) as f64;
    Harmonics::from_fn(|h| {
        if h > top {
            return (0.0, 0.0);
        }
        let (mut c, mut s) = (0.0, 0.0);
        for (i, &v) in samples.iter().enumerate() {
            let (sn, cs) = sin_cos_turns(((h * i) % n) as f64 / n as f64);
            c += v * cs;
            s += v * sn;
        }
        (c * scale, s * scale)
    })
}

/// The [`FRAME_LEN`]-sample rendering of a spectrum, in `f64`: the real part of
/// a forward FFT of `cos + i·sin` gives `Σ cos·cos(θ) + sin·sin(θ)` directly.
fn render_frame(h: &Harmonics) -> Vec<f64> {
    let mut z = vec![Cx::default(); FRAME_LEN];
    for (k, bin) in z.iter_mut().enumerate().take(MAX_HARMONIC + 1).skip(1) {
        let (c, s) = coefficient(h, k);
        *bin = Cx::new(c, s);
    }
    fft(&mut z);
    z.into_iter().map(|v| v.re).collect()
}

// ---------------------------------------------------------------------------
// Seeded PRNG
// ---------------------------------------------------------------------------

/// Log-uniform in `[lo, hi)` (`0 < lo < hi`), with the deterministic
/// `exp`/`ln` of this module (the same on every machine).
fn log_range(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    exp(rng.range(ln(lo), ln(hi)))
}

// ---------------------------------------------------------------------------
// Deterministic elementary functions
// ---------------------------------------------------------------------------

mod dmath {
    //! Elementary functions from IEEE basic arithmetic only, so results are
    //! bit-identical on every platform (unlike libm). Accurate to a few ulps over
    //! the ranges the generators use.

    use std::f64::consts::{FRAC_PI_2, PI, SQRT_2, TAU};

    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    const LOG2_E: f64 = std::f64::consts::LOG2_E;

    /// Taylor coefficients of `sin(a)/a - 1` in powers of `a²` (from `a²`).
    const SIN: [f64; 7] = [
        -1.0 / 6.0,
        1.0 / 120.0,
        -1.0 / 5040.0,
        1.0 / 362_880.0,
        -1.0 / 39_916_800.0,
        1.0 / 6_227_020_800.0,
        -1.0 / 1_307_674_368_000.0,
    ];
    /// Taylor coefficients of `cos(a) - 1` in powers of `a²` (from `a²`).
    const COS: [f64; 8] = [
        -1.0 / 2.0,
        1.0 / 24.0,
        -1.0 / 720.0,
        1.0 / 40_320.0,
        -1.0 / 3_628_800.0,
        1.0 / 479_001_600.0,
        -1.0 / 87_178_291_200.0,
        1.0 / 20_922_789_888_000.0,
    ];
    /// Taylor coefficients of `exp(r)` from `r²` to `r¹³`.
    const EXP: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    /// Coefficients of `atanh(s)/s - 1` in powers of `s²`.
    const ATANH: [f64; 10] = [
        1.0 / 3.0,
        1.0 / 5.0,
        1.0 / 7.0,
        1.0 / 9.0,
        1.0 / 11.0,
        1.0 / 13.0,
        1.0 / 15.0,
        1.0 / 17.0,
        1.0 / 19.0,
        1.0 / 21.0,
    ];
    /// Coefficients of `atan(c)/c - 1` in powers of `c²`.
    const ATAN: [f64; 11] = [
        -1.0 / 3.0,
        1.0 / 5.0,
        -1.0 / 7.0,
        1.0 / 9.0,
        -1.0 / 11.0,
        1.0 / 13.0,
        -1.0 / 15.0,
        1.0 / 17.0,
        -1.0 / 19.0,
        1.0 / 21.0,
        -1.0 / 23.0,
    ];

    /// `c[0] + x·(c[1] + x·(…))`.
    fn horner(coefficients: &[f64], x: f64) -> f64 {
        coefficients.iter().rev().fold(0.0, |acc, &c| c + x * acc)
    }

    /// `x` rounded to the nearest integer, ties to even, for `|x| < 2^51`;
    /// larger values come back as they are. (Plain arithmetic: `f64::round` is a
    /// libm call on baseline x86-64, slow in the render loops.)
    pub fn round(x: f64) -> f64 {
        const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
        if x.abs() < 2_251_799_813_685_248.0 {
            // 2^51: adding SHIFT leaves no fraction bits, so the addition rounds.
            (x + SHIFT) - SHIFT
        } else {
            x
        }
    }

    /// Splits `t` cycles into a quadrant (0..4) and an angle in `[-π/4, π/4]`
    /// radians: `2πt = quadrant·π/2 + a` (mod 2π).
    fn reduce(t: f64) -> (i64, f64) {
        let r = t - round(t);
        let quadrant = round(4.0 * r);
        ((quadrant as i64).rem_euclid(4), (r - 0.25 * quadrant) * TAU)
    }

    /// `sin a` for `|a| ≤ π/4`.
    fn sin_poly(a: f64) -> f64 {
        let z = a * a;
        a + a * z * horner(&SIN, z)
    }

    /// `cos a` for `|a| ≤ π/4`.
    fn cos_poly(a: f64) -> f64 {
        let z = a * a;
        1.0 + z * horner(&COS, z)
    }

    /// `(sin 2πt, cos 2πt)`.
    pub fn sin_cos_turns(t: f64) -> (f64, f64) {
        let (quadrant, a) = reduce(t);
        let (s, c) = (sin_poly(a), cos_poly(a));
        match quadrant {
            0 => (s, c),
            1 => (c, -s),
            2 => (-s, -c),
            _ => (-c, s),
        }
    }

    /// `sin 2πt` (the same value as [`sin_cos_turns`] gives).
    pub fn sin_turns(t: f64) -> f64 {
        let (quadrant, a) = reduce(t);
        match quadrant {
            0 => sin_poly(a),
            1 => cos_poly(a),
            2 => -sin_poly(a),
            _ => -cos_poly(a),
        }
    }

    /// `cos 2πt` (the same value as [`sin_cos_turns`] gives).
    pub fn cos_turns(t: f64) -> f64 {
        let (quadrant, a) = reduce(t);
        match quadrant {
            0 => cos_poly(a),
            1 => -sin_poly(a),
            2 => -cos_poly(a),
            _ => sin_poly(a),
        }
    }

    /// `e^x` (0 below -708, infinity above 709).
    pub fn exp(x: f64) -> f64 {
        if x.is_nan() {
            return x;
        }
        if x > 709.0 {
            return f64::INFINITY;
        }
        if x < -708.0 {
            return 0.0;
        }
        let k = round(x * LOG2_E);
        let r = (x - k * LN2_HI) - k * LN2_LO;
        let p = 1.0 + r + r * r * horner(&EXP, r);
        p * f64::from_bits(((k as i64 + 1023) as u64) << 52)
    }

    /// Natural logarithm (NaN below 0, -infinity at 0).
    pub fn ln(x: f64) -> f64 {
        if x.is_nan() || x < 0.0 {
            return f64::NAN;
        }
        if x == 0.0 {
            return f64::NEG_INFINITY;
        }
        if x.is_infinite() {
            return x;
        }
        let (x, mut e) = if x < f64::MIN_POSITIVE {
            (x * 18_014_398_509_481_984.0, -54i64) // 2^54: lift subnormals
        } else {
            (x, 0)
        };
        let bits = x.to_bits();
        e += ((bits >> 52) & 0x7FF) as i64 - 1023;
        let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
        if m > SQRT_2 {
            m *= 0.5;
            e += 1;
        }
        let s = (m - 1.0) / (m + 1.0);
        let z = s * s;
        let series = 2.0 * s + 2.0 * s * z * horner(&ATANH, z);
        let e = e as f64;
        e * LN2_HI + (series + e * LN2_LO)
    }

    /// `x^y` for `x ≥ 0`.
    pub fn powf(x: f64, y: f64) -> f64 {
        exp(y * ln(x))
    }

    /// Hyperbolic tangent.
    pub fn tanh(x: f64) -> f64 {
        let a = x.abs();
        let t = if a < 1e-3 {
            let z = a * a;
            a - a * z * (1.0 / 3.0 - z * (2.0 / 15.0))
        } else if a > 20.0 {
            1.0
        } else {
            let e = exp(-2.0 * a);
            (1.0 - e) / (1.0 + e)
        };
        t.copysign(x)
    }

    /// `atan(x)` for `|x| ≤ 1`: two half-angle reductions, then a series.
    fn atan_unit(x: f64) -> f64 {
        let b = x / (1.0 + (1.0 + x * x).sqrt());
        let c = b / (1.0 + (1.0 + b * b).sqrt());
        let z = c * c;
        4.0 * (c + c * z * horner(&ATAN, z))
    }

    /// The angle of `(x, y)` in `(-π, π]`; 0 at the origin.
    pub fn atan2(y: f64, x: f64) -> f64 {
        if x == 0.0 && y == 0.0 {
            0.0
        } else if x.abs() >= y.abs() {
            let base = atan_unit(y / x);
            if x > 0.0 {
                base
            } else if y >= 0.0 {
                base + PI
            } else {
                base - PI
            }
        } else {
            let base = -atan_unit(x / y);
            if y > 0.0 {
                base + FRAC_PI_2
            } else {
                base - FRAC_PI_2
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn peak(h: &Harmonics) -> f32 {
        harmonics_to_frame(h)
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()))
    }

    fn magnitudes(h: &Harmonics) -> Vec<f64> {
        (0..=MAX_HARMONIC)
            .map(|k| {
                let (c, s) = coefficient(h, k);
                (c * c + s * s).sqrt()
            })
            .collect()
    }

    /// Relative L2 distance between two spectra (cos and sin together).
    fn distance(a: &Harmonics, b: &Harmonics) -> f64 {
        let (mut diff, mut energy) = (0.0, 0.0);
        for k in 1..=MAX_HARMONIC {
            let (ac, as_) = coefficient(a, k);
            let (bc, bs) = coefficient(b, k);
            diff += (ac - bc).powi(2) + (as_ - bs).powi(2);
            energy += 0.5 * (ac * ac + as_ * as_ + bc * bc + bs * bs);
        }
        (diff / energy).sqrt()
    }

    fn bits(h: &Harmonics) -> Vec<u32> {
        h.cos.iter().chain(&h.sin).map(|v| v.to_bits()).collect()
    }

    /// Checks `h` has its reference harmonic in sine phase.
    fn assert_aligned(h: &Harmonics, what: &str) {
        let k = reference_harmonic(h).expect("not silent");
        let mag = magnitudes(h)[k];
        let (c, s) = coefficient(h, k);
        assert!(c.abs() <= 1e-5 * mag, "{what}: cos[{k}] = {c} (mag {mag})");
        assert!(s > 0.0, "{what}: sin[{k}] = {s}");
    }

    #[test]
    fn names_are_unique_and_sources_exclude_mixture() {
        let mut names: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Family::ALL.len());
        let others: Vec<Family> = Family::ALL
            .into_iter()
            .filter(|&f| f != Family::Mixture)
            .collect();
        assert_eq!(others, SOURCES);
    }

    #[test]
    fn generation_is_deterministic_and_seed_dependent() {
        for family in Family::ALL {
            for seed in [0, 1, 42, u64::MAX] {
                let a = family.generate(seed);
                let b = family.generate(seed);
                assert_eq!(bits(&a), bits(&b), "{family:?} seed {seed}");
            }
            let frames: Vec<Harmonics> = (0..6).map(|s| family.generate(s)).collect();
            let distinct = frames
                .iter()
                .enumerate()
                .any(|(i, a)| frames[..i].iter().any(|b| bits(a) != bits(b)));
            assert!(distinct, "{family:?} ignores its seed");
        }
    }

    /// A fingerprint (FNV-1a over the bits) of seeds 0..4 of a family.
    fn fingerprint(family: Family) -> u64 {
        let mut hash = crate::rng::Fnv1a::default();
        for seed in 0..4 {
            for word in bits(&family.generate(seed)) {
                hash = hash.write(&word.to_le_bytes());
            }
        }
        hash.finish()
    }

    /// Guards bit-for-bit reproducibility across platforms and releases. When a
    /// generator changes on purpose, print the new values and update the table.
    #[test]
    fn generation_matches_reference_fingerprints() {
        const EXPECTED: [u64; 11] = [
            0xf561_40ad_8c9b_8d1c,
            0x382a_a18a_974b_0c67,
            0xadb4_b2da_c33f_d21b,
            0x0b07_fbf4_99cc_0a4f,
            0x8e22_13a9_18b8_ac1e,
            0x74f2_61f0_905b_e7de,
            0xfa96_1719_4acb_8fa1,
            0x3190_0ecd_4ceb_0142,
            0x00f9_1f8b_6c65_ec39,
            0xd353_62c0_5e34_f8b1,
            0x4030_f631_7a85_ce34,
        ];
        let got: Vec<u64> = Family::ALL.into_iter().map(fingerprint).collect();
        println!("fingerprints: {got:#018x?}");
        assert_eq!(got, EXPECTED);
    }

    #[test]
    fn every_family_is_finite_normalised_dc_free_and_aligned() {
        for family in Family::ALL {
            for seed in 0..200 {
                let h = family.generate(seed);
                let what = format!("{family:?} seed {seed}");
                assert_eq!(h.cos.len(), MAX_HARMONIC + 1, "{what}");
                assert_eq!(h.sin.len(), MAX_HARMONIC + 1, "{what}");
                assert!(h.cos.iter().chain(&h.sin).all(|v| v.is_finite()), "{what}");
                assert_eq!((h.cos[0], h.sin[0]), (0.0, 0.0), "{what}");
                let p = peak(&h);
                assert!((p - 1.0).abs() < 1e-3, "{what}: peak {p}");
                assert_aligned(&h, &what);
            }
        }
    }

    #[test]
    fn families_are_diverse() {
        for family in Family::ALL {
            let frames: Vec<Harmonics> = (0..24).map(|s| family.generate(1000 + s)).collect();
            let mut total = 0.0;
            let mut pairs = 0;
            for (i, a) in frames.iter().enumerate() {
                for b in &frames[..i] {
                    total += distance(a, b);
                    pairs += 1;
                }
            }
            let mean = total / pairs as f64;
            println!("{:<9} mean pairwise distance {mean:.3}", family.name());
            assert!(mean > 0.2, "{family:?}: {mean}");
        }
    }

    #[test]
    fn frame_round_trips() {
        for seed in 0..20 {
            let h = Family::NoiseSeeded.generate(seed);
            let frame = harmonics_to_frame(&h);
            assert_eq!(frame.len(), FRAME_LEN);
            let back = frame_to_harmonics(&frame);
            for k in 0..=MAX_HARMONIC {
                assert!((back.cos[k] - h.cos[k]).abs() < 1e-5, "cos[{k}]");
                assert!((back.sin[k] - h.sin[k]).abs() < 1e-5, "sin[{k}]");
            }
            let again = harmonics_to_frame(&back);
            for (a, b) in frame.iter().zip(&again) {
                assert!((a - b).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn rendering_matches_direct_summation() {
        let h = Family::Additive.generate(3);
        let frame = harmonics_to_frame(&h);
        for n in [0, 1, 100, 777, 1024, 2047] {
            let direct = h.eval(n as f64 / FRAME_LEN as f64);
            assert!((f64::from(frame[n]) - direct).abs() < 1e-5, "{n}");
        }
    }

    #[test]
    fn spectrum_of_known_tones_any_length() {
        for len in [2048, 1000, 16384, 7] {
            let frame: Vec<f32> = (0..len)
                .map(|n| {
                    let t = n as f64 / len as f64;
                    (0.5 * (TAU * 3.0 * t).sin() - 0.25 * (TAU * t).cos()) as f32
                })
                .collect();
            let h = frame_to_harmonics(&frame);
            assert!((h.sin[3] - 0.5).abs() < 1e-5, "{len}: {}", h.sin[3]);
            assert!((h.cos[1] + 0.25).abs() < 1e-5, "{len}: {}", h.cos[1]);
            let rest: f32 = magnitudes(&h).iter().map(|&m| m as f32).sum::<f32>() - 0.75;
            assert!(rest.abs() < 1e-4, "{len}: {rest}");
        }
        assert_eq!(frame_to_harmonics(&[]), Harmonics::silent());
    }

    #[test]
    fn exact_pulse_matches_the_factory_pulse() {
        for duty in [0.1, 0.37, 0.5, 0.9] {
            let exact = piecewise_linear(&[
                Segment::flat(0.0, duty, 1.0),
                Segment::flat(duty, 1.0, -1.0),
            ]);
            let factory = Shape::Pulse(duty as f32).harmonics();
            for k in 1..=MAX_HARMONIC {
                assert!((exact.cos[k] - factory.cos[k]).abs() < 1e-6, "{duty} {k}");
                assert!((exact.sin[k] - factory.sin[k]).abs() < 1e-6, "{duty} {k}");
            }
        }
    }

    #[test]
    fn exact_sync_at_ratio_one_is_a_saw() {
        let sync = piecewise_linear(&sync_segments(SyncWave::Saw, 1.0, 0.5));
        let saw = Shape::Saw.harmonics();
        for k in 1..=MAX_HARMONIC {
            assert!((sync.cos[k] - saw.cos[k]).abs() < 1e-6, "{k}");
            assert!((sync.sin[k] - saw.sin[k]).abs() < 1e-6, "{k}");
        }
    }

    #[test]
    fn align_phase_is_canonical_and_keeps_magnitudes() {
        for family in Family::ALL {
            for seed in 0..10 {
                let aligned = family.generate(seed);
                let mut shifted = aligned.clone();
                rotate(&mut shifted, 0.123 + 0.077 * seed as f64);
                let before = magnitudes(&shifted);
                align_phase(&mut shifted);
                assert_aligned(&shifted, family.name());
                for (a, b) in before.iter().zip(magnitudes(&shifted)) {
                    assert!((a - b).abs() < 1e-5 * (1.0 + a), "{family:?} {a} {b}");
                }
                if reference_harmonic(&aligned) == Some(1) {
                    assert!(distance(&aligned, &shifted) < 1e-4, "{family:?} {seed}");
                }
            }
        }
    }

    #[test]
    fn align_phase_uses_the_strongest_harmonic_by_the_smallest_shift() {
        let mut h = Harmonics::silent();
        h.cos[1] = 1e-5;
        h.cos[3] = 1.0; // cosine phase: a quarter turn of harmonic 3 from sine phase
        h.sin[5] = 0.5;
        align_phase(&mut h);
        assert_aligned(&h, "weak fundamental");
        assert!(h.sin[3] > 0.999);
        // Harmonic 3 turned by -1/4 turn: a shift of -1/12 cycle, so harmonic 5 turns
        // by -5/12 turn.
        let (s, c) = sin_cos_turns(-5.0 / 12.0);
        assert!((f64::from(h.cos[5]) - 0.5 * s).abs() < 1e-6);
        assert!((f64::from(h.sin[5]) - 0.5 * c).abs() < 1e-6);
        let mut silent = Harmonics::silent();
        align_phase(&mut silent);
        assert_eq!(silent, Harmonics::silent());
    }

    #[test]
    fn normalise_band_limits_removes_dc_and_keeps_silence() {
        let mut h = Shape::Saw.harmonics();
        h.cos[0] = 3.0;
        normalise(&mut h, 512);
        assert_eq!((h.cos[0], h.sin[0]), (0.0, 0.0));
        assert!(h.sin[513..].iter().all(|&v| v == 0.0));
        assert!((peak(&h) - 1.0).abs() < 1e-6);
        let mut silent = Harmonics::silent();
        normalise(&mut silent, MAX_HARMONIC);
        assert_eq!(silent, Harmonics::silent());
    }

    #[test]
    fn deterministic_math_is_accurate() {
        let mut rng = Rng::with_stream(9, 9);
        for _ in 0..10_000 {
            let t = rng.range(-3.0, 3.0);
            let (s, c) = sin_cos_turns(t);
            assert!((s - (TAU * t).sin()).abs() < 1e-14, "sin {t}");
            assert!((c - (TAU * t).cos()).abs() < 1e-14, "cos {t}");
            assert_eq!((sin_turns(t), cos_turns(t)), (s, c));
            let x = rng.range(-40.0, 40.0);
            assert!((exp(x) / x.exp() - 1.0).abs() < 1e-14, "exp {x}");
            assert!(
                (dmath::tanh(x / 8.0) - (x / 8.0).tanh()).abs() < 1e-15,
                "tanh {x}"
            );
            let y = log_range(&mut rng, 1e-300, 1e300);
            assert!(
                (ln(y) - y.ln()).abs() < 1e-13 * (1.0 + y.ln().abs()),
                "ln {y}"
            );
            let (a, b) = (rng.range(-2.0, 2.0), rng.range(-2.0, 2.0));
            assert!(
                (dmath::atan2(a, b) - a.atan2(b)).abs() < 1e-15,
                "atan2 {a} {b}"
            );
        }
        assert_eq!(dmath::atan2(0.0, -1.0), std::f64::consts::PI);
        assert!((ln(1e-310) - 1e-310f64.ln()).abs() < 1e-12);
    }
}
