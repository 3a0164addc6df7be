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

/// The odd taps as a filter over past samples, newest first:
/// `c[K−1] … c[0] c[0] … c[K−1]`, times `scale`: symmetric, which
/// [`filter_groups`] relies on.
fn mirrored(taps: &[f32], scale: f32) -> Vec<f32> {
    let k = taps.len();
    (0..2 * k)
        .map(|j| scale * if j < k { taps[k - 1 - j] } else { taps[j - k] })
        .collect()
}

/// The most samples one stage takes in one call (a drive piece at the
/// third stage's input, four times the host samples of a piece).
pub const MAX_STAGE_INPUT: usize = 256;

/// `acc[n] = Σ_j taps[j]·buf[n + h − j]` for `n < acc.len()`: one output per
/// sample of the block after the `h` past samples at the start of `buf`.
#[inline(always)]
fn filter<A: MulAdd>(taps: &[f32], buf: &[f32], h: usize, acc: &mut [f32]) {
    debug_assert!(taps.iter().eq(taps.iter().rev()), "taps not symmetric");
    let m = acc.len();
    let wide = m - m % (GROUPS * LANES);
    filter_groups::<GROUPS, A>(taps, buf, h, &mut acc[..wide], 0);
    let narrow = m - m % LANES;
    filter_groups::<1, A>(taps, buf, h, &mut acc[wide..narrow], wide);
    for (n, a) in acc.iter_mut().enumerate().skip(narrow) {
        *a = taps
            .iter()
            .enumerate()
            .map(|(j, &c)| c * buf[n + h - j])
            .sum();
    }
}

/// How a multiply-add is done: [`Plain`] (a multiply and an add, exact
/// everywhere) or [`Fused`] (one `fma` instruction, for code compiled with
/// the FMA feature: elsewhere it would be a library call).
pub trait MulAdd {
    /// `a·b + c`.
    fn mul_add(a: f32, b: f32, c: f32) -> f32;
}

/// A multiply, then an add.
pub struct Plain;

impl MulAdd for Plain {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// One fused multiply-add (only inside functions compiled with FMA).
pub struct Fused;

impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// Outputs computed together per register.
const LANES: usize = 8;
/// Registers of sums filled together: independent chains of additions, so
/// the adds' latency overlaps (one chain of sums waited four cycles a tap:
/// with four, the filters run at the multiply-add's throughput).
const GROUPS: usize = 4;

/// [`filter`] over `acc` (a multiple of `G · LANES` long, output `first`
/// onwards): every tap is one load and one multiply-add per register of
/// sums, and nothing goes back to memory until all taps are in (taps outer
/// over the whole block stored and reloaded every sum at every tap).
#[inline(always)]
fn filter_groups<const G: usize, A: MulAdd>(
    taps: &[f32],
    buf: &[f32],
    h: usize,
    acc: &mut [f32],
    first: usize,
) {
    for (g, out) in acc.chunks_exact_mut(G * LANES).enumerate() {
        let base = first + g * G * LANES + h;
        let mut sums = [[0.0f32; LANES]; G];
        // Tap `j` reads from `base − j`. The taps are symmetric (see
        // [`mirrored`]), so tap `r` of them reads from the start of the
        // stretch onwards, `r` further: an offset that only grows, with no
        // subtraction to check (the checks were a tenth of the drive's time).
        let stretch = &buf[base + 1 - taps.len()..base + G * LANES];
        for (r, &c) in taps.iter().enumerate() {
            let src = &stretch[r..r + G * LANES];
            for (sum, x) in sums.iter_mut().zip(src.chunks_exact(LANES)) {
                for (s, &x) in sum.iter_mut().zip(x) {
                    *s = A::mul_add(c, x, *s);
                }
            }
        }
        out.copy_from_slice(sums.as_flattened());
    }
}

/// A 2× interpolator: each input sample gives two outputs.
#[derive(Debug, Clone)]
struct Up2 {
    /// The mirrored taps, doubled (zero-stuffing halves the level).
    taps: Vec<f32>,
    pairs: usize,
    /// The last `2·pairs − 1` inputs (oldest first), then room for a block:
    /// kept between calls, so nothing is cleared or copied in per call but
    /// the block and the history carried over.
    buf: Vec<f32>,
    /// The interpolated samples of a block.
    acc: Vec<f32>,
}

impl Up2 {
    fn new(taps: &[f32]) -> Self {
        Self {
            buf: vec![0.0; 2 * taps.len() - 1 + MAX_STAGE_INPUT],
            acc: vec![0.0; MAX_STAGE_INPUT],
            pairs: taps.len(),
            taps: mirrored(taps, 2.0),
        }
    }

    /// Interpolates `x` (at most [`MAX_STAGE_INPUT`] samples) into
    /// `out[..2·x.len()]`, delayed by `pairs` input samples: each input's
    /// centre-tap sample, then the interpolated one after it.
    #[inline(always)]
    fn run<A: MulAdd>(&mut self, x: &[f32], out: &mut [f32]) {
        let m = x.len();
        let (centre, between) = self.phases::<A>(x);
        // Zipped slices, not indices: bounds-checked indexing made this a
        // scalar loop that reloaded every pointer per sample (8 % of the
        // drive's time in `perf`).
        for ((pair, &centre), &between) in out[..2 * m].chunks_exact_mut(2).zip(centre).zip(between)
        {
            pair[0] = centre;
            pair[1] = between;
        }
        self.advance(m);
    }

    /// The two phases of `x` interpolated, apart: each input's centre-tap
    /// sample and the interpolated sample after it, `x.len()` of each.
    /// [`Up2::advance`] by `x.len()` follows once they have been used.
    #[inline(always)]
    fn phases<A: MulAdd>(&mut self, x: &[f32]) -> (&[f32], &[f32]) {
        let (m, h, k) = (x.len(), 2 * self.pairs - 1, self.pairs);
        self.buf[h..h + m].copy_from_slice(x);
        filter::<A>(&self.taps, &self.buf, h, &mut self.acc[..m]);
        (&self.buf[h - k..h - k + m], &self.acc[..m])
    }

    /// Keeps the history for the next call after `m` inputs.
    #[inline(always)]
    fn advance(&mut self, m: usize) {
        let h = 2 * self.pairs - 1;
        self.buf.copy_within(m..m + h, 0);
    }

    fn reset(&mut self) {
        self.buf.fill(0.0);
    }
}

/// A 2× decimator: each pair `[older, newer]` gives one output. The centre
/// tap falls on the older sample of each pair, every other tap on the newer
/// ones: two streams, one per phase.
#[derive(Debug, Clone)]
struct Down2 {
    taps: Vec<f32>,
    pairs: usize,
    /// The last `pairs − 1` older and `2·pairs − 1` newer samples (oldest
    /// first), then room for a block of each, kept between calls.
    older: Vec<f32>,
    newer: Vec<f32>,
    /// The filtered newer stream of a block.
    acc: Vec<f32>,
}

impl Down2 {
    fn new(taps: &[f32]) -> Self {
        Self {
            older: vec![0.0; taps.len() - 1 + MAX_STAGE_INPUT],
            newer: vec![0.0; 2 * taps.len() - 1 + MAX_STAGE_INPUT],
            acc: vec![0.0; MAX_STAGE_INPUT],
            pairs: taps.len(),
            taps: mirrored(taps, 1.0),
        }
    }

    /// Decimates `x` (pairs; at most [`MAX_STAGE_INPUT`] of them) into
    /// `out[..x.len() / 2]`.
    #[inline(always)]
    fn run<A: MulAdd>(&mut self, x: &[f32], out: &mut [f32]) {
        let m = x.len() / 2;
        let (older, newer) = self.phases_mut(m);
        for ((o, nw), pair) in older.iter_mut().zip(newer).zip(x[..2 * m].chunks_exact(2)) {
            *o = pair[0];
            *nw = pair[1];
        }
        self.finish::<A>(m, out);
    }

    /// Where the next `m` pairs go, their two phases apart (older samples,
    /// newer samples); [`Down2::finish`] decimates them.
    #[inline(always)]
    fn phases_mut(&mut self, m: usize) -> (&mut [f32], &mut [f32]) {
        let (ho, hn) = (self.pairs - 1, 2 * self.pairs - 1);
        (&mut self.older[ho..ho + m], &mut self.newer[hn..hn + m])
    }

    /// Decimates the `m` pairs written through [`Down2::phases_mut`] into `out[..m]`.
    #[inline(always)]
    fn finish<A: MulAdd>(&mut self, m: usize, out: &mut [f32]) {
        let (ho, hn) = (self.pairs - 1, 2 * self.pairs - 1);
        filter::<A>(&self.taps, &self.newer, hn, &mut self.acc[..m]);
        // The older sample `pairs − 1` pairs back is `older[n]`.
        for ((o, a), old) in out[..m].iter_mut().zip(&self.acc[..m]).zip(&self.older) {
            *o = 0.5 * old + a;
        }
        self.older.copy_within(m..m + ho, 0);
        self.newer.copy_within(m..m + hn, 0);
    }

    fn reset(&mut self) {
        self.older.fill(0.0);
        self.newer.fill(0.0);
    }
}

/// The three up stages and three down stages of one channel.
#[derive(Debug, Clone)]
pub struct Oversampler {
    up: [Up2; 3],
    down: [Down2; 3],
    /// The signal between stages: at twice and four times the host rate.
    twice: Vec<f32>,
    four: Vec<f32>,
}

/// Tap pairs and Kaiser β (9: about 90 dB stop-band) of the stages, the one
/// nearest the host rate first. The outer two have 5 and 3 pairs (6 and 4
/// before): the drive's aliasing test keeps its worst alias 73.4 dB under
/// the note (wavefold; 75.4 with the longer stages), and the drive costs a
/// tenth less. The first stage cannot shrink: with 14 pairs at β 7 the
/// wavefold's aliases rose to −58 dB.
const STAGES: [(usize, f64); 3] = [(18, 9.0), (5, 9.0), (3, 9.0)];

impl Default for Oversampler {
    fn default() -> Self {
        Self {
            up: STAGES.map(|(pairs, beta)| Up2::new(&halfband_taps(pairs, beta))),
            down: STAGES.map(|(pairs, beta)| Down2::new(&halfband_taps(pairs, beta))),
            twice: vec![0.0; 2 * MAX_BLOCK],
            four: vec![0.0; 4 * MAX_BLOCK],
        }
    }
}

/// Host samples one call of [`Oversampler::process`] takes at most.
pub const MAX_BLOCK: usize = MAX_STAGE_INPUT / 4;

impl Oversampler {
    /// Runs `x` (at most [`MAX_BLOCK`] samples) up to [`FACTOR`] times its
    /// rate, through `shape`, and back down in place. `shape` gets the
    /// oversampled signal as its two phases (the even samples and the odd
    /// ones, `FACTOR / 2 · x.len()` of each; host sample `i` is
    /// `FACTOR / 2` samples of each from `FACTOR / 2 · i`), so the last
    /// stage up hands its phases to the first stage down without
    /// interleaving them and splitting them again (a fifth of the drive's
    /// time went to that).
    #[inline(always)]
    pub fn process<A: MulAdd>(
        &mut self,
        x: &mut [f32],
        shape: impl FnOnce(&mut [f32], &mut [f32]),
    ) {
        let m = x.len().min(MAX_BLOCK);
        let (a, b) = (&mut self.twice, &mut self.four);
        self.up[0].run::<A>(&x[..m], &mut a[..2 * m]);
        self.up[1].run::<A>(&a[..2 * m], &mut b[..4 * m]);
        let (centre, between) = self.up[2].phases::<A>(&b[..4 * m]);
        let (even, odd) = self.down[2].phases_mut(4 * m);
        even.copy_from_slice(centre);
        odd.copy_from_slice(between);
        shape(even, odd);
        self.up[2].advance(4 * m);
        self.down[2].finish::<A>(4 * m, &mut b[..4 * m]);
        self.down[1].run::<A>(&b[..4 * m], &mut a[..2 * m]);
        self.down[0].run::<A>(&a[..2 * m], &mut x[..m]);
    }

    /// Clears every stage.
    pub fn reset(&mut self) {
        for s in &mut self.up {
            s.reset();
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
        let mut peak = 0.0f32;
        // Odd block lengths, so the stages' histories carry across calls.
        let x: Vec<f32> = (0..4_800)
            .map(|i| (std::f32::consts::TAU * f * i as f32 / sr).sin())
            .collect();
        let mut done = 0;
        for len in [1usize, 37, 64, 5, 63, 2].iter().cycle() {
            if done >= x.len() {
                break;
            }
            let len = (*len).min(x.len() - done);
            let mut y = [0.0; MAX_BLOCK];
            y[..len].copy_from_slice(&x[done..done + len]);
            let mut seen = 0;
            os.process::<Plain>(&mut y[..len], |even, odd| seen = even.len() + odd.len());
            assert_eq!(seen, FACTOR * len);
            if done > 2_000 {
                peak = y[..len].iter().fold(peak, |m, v| m.max(v.abs()));
            }
            done += len;
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
