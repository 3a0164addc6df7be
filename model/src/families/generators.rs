//! The families' generators: each draws its parameters from the seeded
//! generator and makes one cycle's harmonics.

use super::*;

// ---------------------------------------------------------------------------
// Families
// ---------------------------------------------------------------------------

/// Number of classic shapes [`classic_shape`] knows.
pub(super) const CLASSIC_SHAPES: usize = 5;

/// Sine, triangle, saw, square or ramp-down, alone or a blend of two (the second
/// sometimes shifted in time).
pub(super) fn classic(rng: &mut Rng) -> Harmonics {
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
pub(super) fn classic_shape(index: usize) -> Harmonics {
    match index {
        0 => Shape::Sine.harmonics(),
        1 => Shape::Triangle.harmonics(),
        2 => Shape::Saw.harmonics(),
        3 => Shape::Square.harmonics(),
        _ => scaled(Shape::Saw.harmonics(), -1.0),
    }
}

/// A ±1 pulse high for `duty` of the cycle, integrated exactly.
pub(super) fn pulse(rng: &mut Rng) -> Harmonics {
    let duty = rng.range(0.02, 0.98);
    piecewise_linear(&[
        Segment::flat(0.0, duty, 1.0),
        Segment::flat(duty, 1.0, -1.0),
    ])
}

/// A formant bump on the harmonic axis.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bump {
    pub(super) centre: f64,
    pub(super) width: f64,
    pub(super) gain: f64,
}

impl Bump {
    pub(super) fn at(&self, h: f64) -> f64 {
        let x = (h - self.centre) / self.width;
        self.gain * exp(-0.5 * x * x)
    }
}

/// A spectral tilt `h^-a` times a floor plus one to three formant bumps, with an
/// optional roll-off, in sine or random phases.
pub(super) fn additive(rng: &mut Rng) -> Harmonics {
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
        turns::powf(hf, -tilt) * envelope * roll_off(h, cutoff)
    })
}

/// Odd harmonics `h^-a` in one of three phase patterns (square-like,
/// triangle-like, random), sometimes with a few quiet even harmonics.
pub(super) fn odd_harmonic(rng: &mut Rng) -> Harmonics {
    let tilt = rng.range(0.5, 2.5);
    let pattern = rng.below(3);
    let cutoff = optional_cutoff(rng, 0.3, 8.0);
    let mut out = Harmonics::silent();
    for h in (1..=MAX_HARMONIC).step_by(2) {
        let a = turns::powf(h as f64, -tilt) * roll_off(h, cutoff);
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
pub(super) struct Stack {
    pub(super) ratio: f64,
    pub(super) index: f64,
    /// Modulates the first modulator (a cascade) rather than the carrier.
    pub(super) cascade: bool,
}

/// `sin(2πt + I·sin(2πrt + φ))` at an integer ratio `r` in `1..=8` and index `I`
/// in `0..8`, sometimes with a second modulator in cascade or in parallel.
pub(super) fn phase_modulation(rng: &mut Rng) -> Harmonics {
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
pub(super) enum Shaper {
    Tanh(f64),
    Clip(f64),
    Fold(f64),
}

impl Shaper {
    pub(super) fn apply(self, x: f64) -> f64 {
        match self {
            Shaper::Tanh(g) => turns::tanh(g * x),
            Shaper::Clip(g) => (g * x).clamp(-1.0, 1.0),
            Shaper::Fold(g) => sin_turns(0.25 * g * x),
        }
    }
}

/// A sine (or a sine plus harmonic 2–4), optionally biased for even harmonics,
/// through tanh, a hard clip or a sine wavefolder at a random drive.
pub(super) fn waveshaped(rng: &mut Rng) -> Harmonics {
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
pub(super) enum SyncWave {
    Saw,
    Triangle,
}

impl SyncWave {
    /// Spacing, in slave cycles, of the slave's corners and jumps.
    pub(super) fn grid(self) -> f64 {
        match self {
            SyncWave::Saw => 1.0,
            SyncWave::Triangle => 0.25,
        }
    }

    /// `(slope, offset)` of the linear piece containing slave phase `u`
    /// (unwrapped, in cycles): the wave is `offset + slope·u` there.
    pub(super) fn piece(self, u: f64) -> (f64, f64) {
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
pub(super) fn hard_sync(rng: &mut Rng) -> Harmonics {
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
pub(super) fn sync_segments(wave: SyncWave, ratio: f64, start: f64) -> Vec<Segment> {
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
pub(super) fn phase_distortion(rng: &mut Rng) -> Harmonics {
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
pub(super) fn random_phase_map(rng: &mut Rng) -> Vec<(f64, f64)> {
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
pub(super) fn resonant_pd(rng: &mut Rng) -> Harmonics {
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
pub(super) fn interpolate(points: &[(f64, f64)], t: f64) -> f64 {
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
pub(super) type Ripple = (f64, f64, f64);

/// Random (Rayleigh) amplitudes under a smooth random envelope (tilt, log-axis
/// ripples, optional roll-off), sometimes sparse, in random phases.
pub(super) fn noise(rng: &mut Rng) -> Harmonics {
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
pub(super) const FORMANT_RANGES: [(f64, f64); 5] = [
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
pub(super) fn formant(rng: &mut Rng) -> Harmonics {
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
        let source = turns::powf(h as f64, -tilt);
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
pub(super) fn mixture(rng: &mut Rng) -> Harmonics {
    let (first, second) = two_distinct(rng, SOURCES.len());
    let a = SOURCES[first].generate(rng.next_u64());
    let mut b = SOURCES[second].generate(rng.next_u64());
    if rng.chance(0.5) {
        rotate(&mut b, rng.uniform());
    }
    a.lerp(&b, rng.range(0.2, 0.8) as f32)
}

/// Two different indices below `n` (`n ≥ 2`).
pub(super) fn two_distinct(rng: &mut Rng, n: usize) -> (usize, usize) {
    let first = rng.below(n);
    (first, (first + 1 + rng.below(n - 1)) % n)
}

/// With probability `p`, a log-uniform roll-off harmonic in `lowest..1023`; else none.
pub(super) fn optional_cutoff(rng: &mut Rng, p: f64, lowest: f64) -> f64 {
    if rng.chance(p) {
        log_range(rng, lowest, MAX_HARMONIC as f64)
    } else {
        f64::INFINITY
    }
}
