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
}
