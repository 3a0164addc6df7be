//! A delay line: a power-of-two ring buffer, sized once, read at whole or
//! fractional delays.

/// Adds and removes a tiny constant so a decaying feedback state never turns
/// denormal (denormal arithmetic is up to 100× slower on x86): values far
/// below it become exactly 0.
#[inline(always)]
pub fn flush(x: f32) -> f32 {
    const GUARD: f32 = 1e-20;
    (x + GUARD) - GUARD
}

/// A ring buffer holding at least `capacity` past samples.
#[derive(Debug, Clone)]
pub struct DelayLine {
    buf: Vec<f32>,
    mask: usize,
    pos: usize,
}

impl DelayLine {
    /// A line that can delay by up to `max_delay` samples (allocates).
    pub fn new(max_delay: usize) -> Self {
        let len = (max_delay + 4).next_power_of_two();
        Self {
            buf: vec![0.0; len],
            mask: len - 1,
            pos: 0,
        }
    }

    /// The longest delay it can read, in samples.
    pub fn max_delay(&self) -> usize {
        self.buf.len() - 4
    }

    /// Writes the next sample.
    #[inline(always)]
    pub fn push(&mut self, x: f32) {
        self.pos = (self.pos + 1) & self.mask;
        self.buf[self.pos] = x;
    }

    /// The sample written `delay` samples ago (0 = the newest).
    #[inline(always)]
    pub fn tap(&self, delay: usize) -> f32 {
        self.buf[self.pos.wrapping_sub(delay) & self.mask]
    }

    /// The line read `delay` samples back, linearly interpolated (clamped to
    /// `0..=max_delay`).
    #[inline(always)]
    pub fn read(&self, delay: f32) -> f32 {
        let d = delay.clamp(0.0, self.max_delay() as f32);
        let whole = d as usize;
        let frac = d - whole as f32;
        let a = self.tap(whole);
        let b = self.tap(whole + 1);
        a + (b - a) * frac
    }

    /// Writes `x` as the next `x.len()` samples (at most the line's length).
    #[inline(always)]
    pub fn push_block(&mut self, x: &[f32]) {
        let start = (self.pos + 1) & self.mask;
        let first = x.len().min(self.buf.len() - start);
        self.buf[start..start + first].copy_from_slice(&x[..first]);
        self.buf[..x.len() - first].copy_from_slice(&x[first..]);
        self.pos = (self.pos + x.len()) & self.mask;
    }

    /// `out[i] = tap(first − i)`: a run of consecutive samples, oldest
    /// first, as one or two block copies. Needs `out.len() <= first + 1`
    /// and `first` within the line.
    #[inline(always)]
    pub fn taps_descending(&self, first: usize, out: &mut [f32]) {
        debug_assert!(out.len() <= first + 1 && first <= self.mask);
        let start = self.pos.wrapping_sub(first) & self.mask;
        let head = out.len().min(self.buf.len() - start);
        out[..head].copy_from_slice(&self.buf[start..start + head]);
        let rest = out.len() - head;
        out[head..].copy_from_slice(&self.buf[..rest]);
    }

    /// `out[i] = read(delays[i] − i)`, for delays that move monotonically
    /// (a swept delay's ramp). Reading a block at once this way is how a
    /// block is read before it is written (`delays[i] − i` falls by one a
    /// sample as the line would have moved on) or after it was pushed
    /// whole (delays offset by the samples pushed since). Where the whole
    /// part stays the same across the block (nearly always: sweeps move far
    /// less than a sample a block) the two neighbours come as two block
    /// copies and the interpolation is vector arithmetic; otherwise sample
    /// by sample. Bit-identical to the sample-by-sample reads either way.
    #[inline(always)]
    pub fn read_descending(&self, delays: &[f32], out: &mut [f32]) {
        // The rack's pieces are at most this long. A zeroed scratch array
        // is a `memset` per call: two of 256 samples were a tenth of the
        // reverb's time in `perf`; one of 64, with `out` holding the newer
        // neighbours, costs nothing measurable.
        const MAX: usize = super::CHUNK;
        let m = out.len();
        let (Some(&first), Some(&last)) = (delays.first(), delays.last()) else {
            return;
        };
        let whole = first as usize;
        let steady = m <= MAX
            && first.min(last) >= 0.0
            && last as usize == whole
            && whole + 1 >= m
            && whole < self.max_delay();
        if !steady {
            for (i, (o, &d)) in out.iter_mut().zip(delays).enumerate() {
                *o = self.read(d - i as f32);
            }
            return;
        }
        let mut older = [0.0f32; MAX];
        self.taps_descending(whole, out);
        self.taps_descending(whole + 1, &mut older[..m]);
        let w = whole as f32;
        for ((o, &d), &b) in out.iter_mut().zip(delays).zip(&older) {
            *o = *o + (b - *o) * (d - w);
        }
    }

    /// Silences the line (no allocation).
    pub fn clear(&mut self) {
        self.buf.fill(0.0);
    }
}

/// A one-pole low-pass `y += a·(x − y)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnePole {
    y: f32,
}

impl OnePole {
    /// The coefficient for a cutoff of `hz` at `sample_rate`.
    pub fn coef(hz: f32, sample_rate: f32) -> f32 {
        1.0 - (-std::f32::consts::TAU * hz / sample_rate).exp()
    }

    /// One step with coefficient `a`.
    #[inline(always)]
    pub fn low(&mut self, x: f32, a: f32) -> f32 {
        self.y = flush(self.y + a * (x - self.y));
        self.y
    }

    /// One step returning the high-pass part `x − low(x)`.
    #[inline(always)]
    pub fn high(&mut self, x: f32, a: f32) -> f32 {
        x - self.low(x, a)
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.y = 0.0;
    }

    /// A stereo pair low-passed in place with coefficient `a`, the two
    /// channels side by side: `y = b·y + a·x` is one multiply and one
    /// multiply-add on each chain, the two chains overlap, and the states
    /// are flushed once at the end rather than every sample (each output is
    /// flushed, off the chain). A sample at a time with the flush inside,
    /// one channel after the other, it was a sixth of the drive's time.
    #[inline(always)]
    pub fn low_pair(pair: &mut [OnePole; 2], a: f32, left: &mut [f32], right: &mut [f32]) {
        Self::run_pair::<false>(pair, a, left, right);
    }

    /// [`OnePole::low_pair`]'s high-pass: each sample less its low-passed part.
    #[inline(always)]
    pub fn high_pair(pair: &mut [OnePole; 2], a: f32, left: &mut [f32], right: &mut [f32]) {
        Self::run_pair::<true>(pair, a, left, right);
    }

    /// The pair's low-pass, giving the low part or (`HIGH`) the rest.
    #[inline(always)]
    fn run_pair<const HIGH: bool>(
        pair: &mut [OnePole; 2],
        a: f32,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let b = 1.0 - a;
        let [mut l, mut r] = [pair[0].y, pair[1].y];
        for (x_l, x_r) in left.iter_mut().zip(right.iter_mut()) {
            l = b * l + a * *x_l;
            r = b * r + a * *x_r;
            if HIGH {
                *x_l = flush(*x_l - l);
                *x_r = flush(*x_r - r);
            } else {
                *x_l = flush(l);
                *x_r = flush(r);
            }
        }
        pair[0].y = flush(l);
        pair[1].y = flush(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_and_fractional_delays() {
        let mut line = DelayLine::new(10);
        for i in 0..20 {
            line.push(i as f32);
        }
        assert_eq!(line.tap(0), 19.0);
        assert_eq!(line.tap(5), 14.0);
        assert!((line.read(2.25) - 16.75).abs() < 1e-6);
    }

    #[test]
    fn flush_zeroes_denormals_and_keeps_audio() {
        assert_eq!(flush(1e-39), 0.0);
        assert_eq!(flush(0.5), 0.5);
        assert!((flush(1e-6) - 1e-6).abs() < 1e-12);
    }

    #[test]
    fn block_reads_and_writes_match_sample_ones() {
        let mut a = DelayLine::new(20);
        let mut b = DelayLine::new(20);
        for i in 0..30 {
            a.push(i as f32);
            b.push(i as f32);
        }
        // Samples 30..37 (crossing the 32-sample ring's end) by blocks and one by one.
        let x: Vec<f32> = (30..37).map(|i| i as f32).collect();
        let mut ahead = [0.0; 7];
        b.taps_descending(8, &mut ahead);
        b.push_block(&x);
        for (i, &v) in x.iter().enumerate() {
            assert_eq!(ahead[i], a.tap(8), "sample {i}");
            a.push(v);
        }
        for d in 0..20 {
            assert_eq!(a.tap(d), b.tap(d));
        }
    }

    #[test]
    fn swept_block_reads_match_sample_ones() {
        let mut line = DelayLine::new(40);
        for i in 0..50 {
            line.push((i as f32 * 0.37).sin());
        }
        // A steady whole part (vector path) and one crossing 12 → 13.
        for (d0, d1) in [(12.1f32, 12.6f32), (12.7, 13.2)] {
            let delays: Vec<f32> = (0..8).map(|i| d0 + (d1 - d0) * i as f32 / 7.0).collect();
            let mut out = [0.0; 8];
            line.read_descending(&delays, &mut out);
            for (i, &d) in delays.iter().enumerate() {
                assert_eq!(out[i], line.read(d - i as f32), "delay {d}");
            }
        }
    }
}
