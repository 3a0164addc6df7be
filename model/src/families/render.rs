//! Rendering cycles: piecewise-linear waves integrated exactly, time-domain
//! waves through the module's own deterministic FFT.

use super::*;

// ---------------------------------------------------------------------------
// Exact spectra of piecewise-linear waves, and oversampled rendering
// ---------------------------------------------------------------------------

/// A straight piece of a waveform: from value `v0` at time `t0` to `v1` at `t1`
/// (times in cycles, `0 ≤ t0 ≤ t1 ≤ 1`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment {
    pub(super) t0: f64,
    pub(super) t1: f64,
    pub(super) v0: f64,
    pub(super) v1: f64,
}

impl Segment {
    /// A constant piece.
    pub(super) fn flat(t0: f64, t1: f64, v: f64) -> Self {
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
pub(super) fn piecewise_linear(segments: &[Segment]) -> Harmonics {
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
pub(super) fn render(mut wave: impl FnMut(f64) -> f64) -> Harmonics {
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
pub(super) struct Cx {
    pub(super) re: f64,
    pub(super) im: f64,
}

impl Cx {
    const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// `e^{i·2π·t}`.
    pub(super) fn turns(t: f64) -> Self {
        let (s, c) = sin_cos_turns(t);
        Self::new(c, s)
    }

    pub(super) fn conj(self) -> Self {
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
pub(super) const MAX_FFT_LOG2: usize = 16;

/// Twiddles `e^{-2πik/n}` (`k < n/2`) and the bit-reversal permutation of one size.
pub(super) struct FftTables {
    pub(super) twiddles: Vec<Cx>,
    pub(super) reversed: Vec<u32>,
}

impl FftTables {
    pub(super) fn new(n: usize) -> Self {
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
pub(super) fn fft_tables(n: usize) -> &'static FftTables {
    static TABLES: [OnceLock<FftTables>; MAX_FFT_LOG2 + 1] =
        [const { OnceLock::new() }; MAX_FFT_LOG2 + 1];
    debug_assert!(n.is_power_of_two() && (2..=1 << MAX_FFT_LOG2).contains(&n));
    TABLES[n.trailing_zeros() as usize].get_or_init(|| FftTables::new(n))
}

/// In-place forward FFT (`X[k] = Σ x[n]·e^{-2πikn/N}`), radix 2, for a power of
/// two `2 ≤ N ≤ 2^MAX_FFT_LOG2`.
pub(super) fn fft(data: &mut [Cx]) {
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
pub(super) fn spectrum(samples: &[f64]) -> Harmonics {
    let n = samples.len();
    if n.is_power_of_two() && (4..=1 << MAX_FFT_LOG2).contains(&n) {
        fft_spectrum(samples)
    } else {
        dft_spectrum(samples)
    }
}

/// [`spectrum`] for a power-of-two length: the real signal packed into a complex
/// FFT of half the length, then unpacked.
pub(super) fn fft_spectrum(samples: &[f64]) -> Harmonics {
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
pub(super) fn dft_spectrum(samples: &[f64]) -> Harmonics {
    let n = samples.len();
    let top = (n.saturating_sub(1) / 2).min(MAX_HARMONIC);
    let scale = 2.0 / n.max(1) as f64;
    // The same sines and cosines as computing each term's angle afresh, once.
    let table: Vec<(f64, f64)> = (0..n).map(|j| sin_cos_turns(j as f64 / n as f64)).collect();
    Harmonics::from_fn(|h| {
        if h > top {
            return (0.0, 0.0);
        }
        let (mut c, mut s) = (0.0, 0.0);
        for (i, &v) in samples.iter().enumerate() {
            let (sn, cs) = table[(h * i) % n];
            c += v * cs;
            s += v * sn;
        }
        (c * scale, s * scale)
    })
}

/// The [`FRAME_LEN`]-sample rendering of a spectrum, in `f64`: the real part of
/// a forward FFT of `cos + i·sin` gives `Σ cos·cos(θ) + sin·sin(θ)` directly.
pub(super) fn render_frame(h: &Harmonics) -> Vec<f64> {
    let mut z = vec![Cx::default(); FRAME_LEN];
    for (k, bin) in z.iter_mut().enumerate().take(MAX_HARMONIC + 1).skip(1) {
        let (c, s) = coefficient(h, k);
        *bin = Cx::new(c, s);
    }
    fft(&mut z);
    z.into_iter().map(|v| v.re).collect()
}
