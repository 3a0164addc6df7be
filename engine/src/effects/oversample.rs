//! Eight-times oversampling for the drive: three half-band stages up
//! (48 → 96 → 192 → 384 kHz at a 48 kHz host rate) and three down.
//!
//! Each stage is a linear-phase half-band FIR (Kaiser-windowed sinc, every
//! other tap zero). The first stage does the work: at twice the host rate it
//! passes 0–0.208·fs and stops from 0.292·fs at 90 dB, so nothing folds into
//! 0–20 kHz at 48 kHz; the two outer stages have wide transitions and few
//! taps. Why eight times and not four: a sine driven 30 dB into a smooth
//! clipper keeps harmonics near 80 dB down only beyond the 70th; at four
//! times, harmonics 34–42 of a 5 kHz note fold back into the audible band
//! at about −45 dB (see `drive`'s aliasing test).

use crate::analysis::bessel_i0;

/// The oversampling factor.
pub const FACTOR: usize = 8;

/// The odd taps `h[1], h[3], …` of a half-band low-pass with `pairs` of them
/// (length `4·pairs − 1`), Kaiser window `beta`, normalised for unity DC gain
/// (the centre tap is ½).
pub fn halfband_taps(pairs: usize, beta: f64) -> Vec<f32> {
    let m = (2 * pairs - 1) as f64; // the outermost tap index
    let raw: Vec<f64> = (0..pairs)
        .map(|i| {
            let n = (2 * i + 1) as f64;
            let sinc = (std::f64::consts::PI * n / 2.0).sin() / (std::f64::consts::PI * n);
            let w =
                bessel_i0(beta * (1.0 - (n / (m + 1.0)).powi(2)).max(0.0).sqrt()) / bessel_i0(beta);
            sinc * w
        })
        .collect();
    // The odd taps on both sides sum to ½.
    let sum: f64 = raw.iter().sum::<f64>() * 2.0;
    raw.iter().map(|&c| (c * 0.5 / sum) as f32).collect()
}

/// The odd taps laid out against a contiguous window of one polyphase
/// branch, newest sample first: `c[K−1] … c[0] c[0] … c[K−1]`, zero-padded
/// to a multiple of eight, times `scale`. A half-band stage's filtering is
/// then one plain dot product (vectorised), not a strided symmetric sum.
fn mirrored(taps: &[f32], scale: f32) -> Vec<f32> {
    let k = taps.len();
    let mut full: Vec<f32> = (0..2 * k)
        .map(|j| scale * if j < k { taps[k - 1 - j] } else { taps[j - k] })
        .collect();
    full.resize((2 * k).div_ceil(8) * 8, 0.0);
    full
}

/// `Σ a[i]·b[i]` over `a`'s length (a multiple of eight), in eight partial sums.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    (acc[0] + acc[4]) + (acc[1] + acc[5]) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Past samples of one stream, newest first, written twice so that any
/// window of `len` samples is one contiguous slice.
#[derive(Debug, Clone)]
struct History {
    buf: Vec<f32>,
    len: usize,
    pos: usize,
}

impl History {
    fn new(len: usize) -> Self {
        Self {
            buf: vec![0.0; 2 * len],
            len,
            pos: 0,
        }
    }

    #[inline(always)]
    fn push(&mut self, x: f32) {
        self.pos = if self.pos == 0 {
            self.len - 1
        } else {
            self.pos - 1
        };
        self.buf[self.pos] = x;
        self.buf[self.pos + self.len] = x;
    }

    /// The newest `len` samples, newest first.
    #[inline(always)]
    fn window(&self) -> &[f32] {
        &self.buf[self.pos..self.pos + self.len]
    }

    fn reset(&mut self) {
        self.buf.fill(0.0);
    }
}

/// A 2× interpolator: one input sample in, two out.
#[derive(Debug, Clone)]
struct Up2 {
    /// The mirrored taps, doubled (zero-stuffing halves the level).
    taps: Vec<f32>,
    pairs: usize,
    hist: History,
}

impl Up2 {
    fn new(taps: &[f32]) -> Self {
        let full = mirrored(taps, 2.0);
        Self {
            hist: History::new(full.len()),
            pairs: taps.len(),
            taps: full,
        }
    }

    /// The two output samples for input `x`, delayed by `pairs` input
    /// samples: the centre tap's sample, then the interpolated one after it.
    #[inline(always)]
    fn process(&mut self, x: f32) -> [f32; 2] {
        self.hist.push(x);
        let w = self.hist.window();
        [w[self.pairs], dot(&self.taps, w)]
    }
}

/// A 2× decimator: two input samples in, one out. The centre tap falls on
/// the older sample of each pair, every other tap on the newer ones: two
/// histories, one per phase.
#[derive(Debug, Clone)]
struct Down2 {
    taps: Vec<f32>,
    pairs: usize,
    older: History,
    newer: History,
}

impl Down2 {
    fn new(taps: &[f32]) -> Self {
        let full = mirrored(taps, 1.0);
        Self {
            older: History::new(taps.len()),
            newer: History::new(full.len()),
            pairs: taps.len(),
            taps: full,
        }
    }

    /// One output for the pair `[older, newer]`.
    #[inline(always)]
    fn process(&mut self, x: [f32; 2]) -> f32 {
        self.older.push(x[0]);
        self.newer.push(x[1]);
        0.5 * self.older.window()[self.pairs - 1] + dot(&self.taps, self.newer.window())
    }

    fn reset(&mut self) {
        self.older.reset();
        self.newer.reset();
    }
}

/// The three up stages and three down stages of one channel.
#[derive(Debug, Clone)]
pub struct Oversampler {
    up: [Up2; 3],
    down: [Down2; 3],
}

/// Tap pairs and Kaiser β (9: about 90 dB stop-band) of the stages, the one
/// nearest the host rate first.
const STAGES: [(usize, f64); 3] = [(18, 9.0), (6, 9.0), (4, 9.0)];

impl Default for Oversampler {
    fn default() -> Self {
        Self {
            up: STAGES.map(|(pairs, beta)| Up2::new(&halfband_taps(pairs, beta))),
            down: STAGES.map(|(pairs, beta)| Down2::new(&halfband_taps(pairs, beta))),
        }
    }
}

impl Oversampler {
    /// Upsamples `x` into `FACTOR` samples.
    #[inline]
    pub fn up(&mut self, x: f32, out: &mut [f32; FACTOR]) {
        let a = self.up[0].process(x);
        let mut b = [0.0; 4];
        for (j, &v) in a.iter().enumerate() {
            let [p, q] = self.up[1].process(v);
            b[2 * j] = p;
            b[2 * j + 1] = q;
        }
        for (j, &v) in b.iter().enumerate() {
            let [p, q] = self.up[2].process(v);
            out[2 * j] = p;
            out[2 * j + 1] = q;
        }
    }

    /// Decimates `FACTOR` samples into one.
    #[inline]
    pub fn down(&mut self, x: &[f32; FACTOR]) -> f32 {
        let mut b = [0.0; 4];
        for (j, v) in b.iter_mut().enumerate() {
            *v = self.down[2].process([x[2 * j], x[2 * j + 1]]);
        }
        let a = [
            self.down[1].process([b[0], b[1]]),
            self.down[1].process([b[2], b[3]]),
        ];
        self.down[0].process(a)
    }

    /// Clears every stage.
    pub fn reset(&mut self) {
        for s in &mut self.up {
            s.hist.reset();
        }
        for s in &mut self.down {
            s.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_passes_the_audio_band_and_keeps_level() {
        let mut os = Oversampler::default();
        let sr = 48_000.0f32;
        let f = 1_000.0f32;
        let mut up = [0.0; FACTOR];
        let mut peak = 0.0f32;
        for i in 0..4_800 {
            let x = (std::f32::consts::TAU * f * i as f32 / sr).sin();
            os.up(x, &mut up);
            let y = os.down(&up);
            if i > 2_000 {
                peak = peak.max(y.abs());
            }
        }
        assert!((peak - 1.0).abs() < 0.01, "1 kHz round trip peak {peak}");
    }

    #[test]
    fn halfband_taps_sum_to_a_half() {
        let taps = halfband_taps(18, 8.0);
        let sum: f32 = taps.iter().sum::<f32>() * 2.0;
        assert!((sum - 0.5).abs() < 1e-6);
    }
}
