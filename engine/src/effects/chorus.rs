//! Chorus / ensemble: up to four voices per channel, each a copy of the input
//! read from a delay line swept by a sine. The right channel's voices sweep
//! halfway between the left's and a little faster, so a mono input comes out
//! wide.

use super::fast_math::fold_sin;
use super::line::DelayLine;
use super::oversample::Plain;
use super::{sample_f32, EffectContext, MixGains, Ramp};
use super::{MAX_CHORUS_DELAY_MS, MAX_CHORUS_DEPTH_MS, MAX_CHORUS_VOICES};

/// The right channel's sweeps run this much faster than the left's, so the
/// two channels' delays never stay in step (a fixed offset alone leaves some
/// voice counts strongly correlated on steady tones).
const RIGHT_RATE: f64 = 1.13;

/// The chorus's settings for one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChorusSettings {
    /// On.
    pub on: bool,
    /// Sweep rate in Hz.
    pub rate_hz: f32,
    /// Sweep depth in ms (either side of the delay).
    pub depth_ms: f32,
    /// Base delay in ms.
    pub delay_ms: f32,
    /// Voices per channel.
    pub voices: usize,
    /// Dry/wet.
    pub mix: f32,
}

/// Samples pushed and read back as one block (the line holds this many
/// more than the longest delay).
const PIECE: usize = super::CHUNK;

/// The chorus (see the module docs).
#[derive(Debug, Clone)]
pub struct Chorus {
    lines: [DelayLine; 2],
    /// Each channel's sweep phase in cycles.
    phase: [f64; 2],
    mix: Ramp,
    /// Each voice's delay (samples) at the end of the last block (`None`
    /// before the first).
    last: Option<[[f32; MAX_CHORUS_VOICES as usize]; 2]>,
}

impl Chorus {
    /// A chorus for `sample_rate` (allocates its lines).
    pub fn new(sample_rate: f32) -> Self {
        let max = ((MAX_CHORUS_DELAY_MS + MAX_CHORUS_DEPTH_MS + 1.0) * 1e-3 * sample_rate).ceil()
            as usize
            + PIECE;
        Self {
            lines: [DelayLine::new(max), DelayLine::new(max)],
            phase: [0.0, 0.0],
            mix: Ramp::default(),
            last: None,
        }
    }

    /// Voice `v` of `voices` on channel `ch`: its delay in samples at sweep phase `phase`.
    fn delay(s: &ChorusSettings, sr: f32, phase: f64, ch: usize, v: usize, voices: usize) -> f32 {
        let offset = v as f64 / voices as f64 + 0.5 * ch as f64 / voices as f64;
        // The turns' fraction in `f64`, its sine by the vectorisable
        // approximation (error below 4e-6 of the depth).
        let turns = (phase + offset).fract() as f32;
        let sweep = fold_sin::<Plain>(std::f32::consts::TAU * turns);
        let ms = (s.delay_ms + s.depth_ms * sweep).max(0.1);
        ms * 1e-3 * sr
    }

    /// Processes a stereo block in place.
    pub fn process(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        s: &ChorusSettings,
        ctx: &EffectContext,
    ) {
        let n = left.len();
        let sr = ctx.sample_rate;
        let voices = s.voices.clamp(1, MAX_CHORUS_VOICES as usize);
        let mut end = [[0.0f32; MAX_CHORUS_VOICES as usize]; 2];
        for (ch, e) in end.iter_mut().enumerate() {
            let rate = f64::from(s.rate_hz) * RIGHT_RATE.powi(ch as i32);
            self.phase[ch] = (self.phase[ch] + rate * n as f64 / f64::from(sr)).fract();
            for (v, d) in e.iter_mut().enumerate().take(voices) {
                *d = Self::delay(s, sr, self.phase[ch], ch, v, voices);
            }
        }
        let last = self.last.unwrap_or(end);
        self.mix.target = s.mix;
        let gains = MixGains::new(&mut self.mix, n);
        let scale = 1.0 / voices as f32;
        let per_sample = 1.0 / n as f32;
        for (ch, buf) in [left, right].into_iter().enumerate() {
            let line = &mut self.lines[ch];
            let (start, end) = (last[ch], end[ch]);
            for (p, piece) in buf.chunks_mut(PIECE).enumerate() {
                let m = piece.len();
                let offset = p * PIECE;
                // The piece goes in first; each voice then reads it back as
                // a block, `m − 1 − i` samples further back than sample `i`
                // would have read just after its own push.
                line.push_block(piece);
                let mut wet = [0.0f32; PIECE];
                for v in 0..voices {
                    let mut delays = [0.0f32; PIECE];
                    for (i, d) in delays[..m].iter_mut().enumerate() {
                        let t = sample_f32(offset + i + 1) * per_sample;
                        *d = start[v] + (end[v] - start[v]) * t + (m - 1) as f32;
                    }
                    let mut voice = [0.0f32; PIECE];
                    line.read_descending(&delays[..m], &mut voice[..m]);
                    for (w, x) in wet[..m].iter_mut().zip(&voice[..m]) {
                        *w += x;
                    }
                }
                for (i, x) in piece.iter_mut().enumerate() {
                    *x = gains.mix(offset + i, *x, wet[i] * scale);
                }
            }
        }
        self.last = Some(end);
    }

    /// The longest a sample stays inside before it reaches the output, in samples.
    pub fn memory_samples(&self, s: &ChorusSettings, sample_rate: f32) -> usize {
        ((s.delay_ms + s.depth_ms + 1.0) * 1e-3 * sample_rate) as usize
    }

    /// Silences the lines.
    pub fn reset(&mut self) {
        for l in &mut self.lines {
            l.clear();
        }
        self.mix = Ramp::default();
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mono_input_comes_out_wide() {
        let sr = 48_000.0;
        let ctx = EffectContext {
            sample_rate: sr,
            tempo: 120.0,
        };
        let s = ChorusSettings {
            on: true,
            rate_hz: 0.8,
            depth_ms: 4.0,
            delay_ms: 12.0,
            voices: 2,
            mix: 0.5,
        };
        // The chorus's own signal (mix 1): the channels are nearly unrelated.
        // Mixed half and half with the (identical) dry signal they cannot fall
        // far below 0.5; the default two voices stay under 0.7.
        for voices in 1..=4 {
            let wet = run(
                &ChorusSettings {
                    voices,
                    mix: 1.0,
                    ..s
                },
                &ctx,
            );
            let half = run(
                &ChorusSettings {
                    voices,
                    mix: 0.5,
                    ..s
                },
                &ctx,
            );
            println!("{voices} voices: correlation {wet:.3} wet, {half:.3} at mix 0.5");
            assert!(wet.abs() < 0.3, "{voices} voices, wet: {wet}");
            assert!(half < 0.85, "{voices} voices, mix 0.5: {half}");
        }
        assert!(run(&s, &ctx) < 0.7);
    }

    fn run(s: &ChorusSettings, ctx: &EffectContext) -> f32 {
        let sr = ctx.sample_rate;
        let mut chorus = Chorus::new(sr);
        // A saw-like mono tone with a few partials.
        let mut l: Vec<f32> = (0..192_000)
            .map(|i| {
                let t = i as f32 / sr;
                (1..8)
                    .map(|k| (std::f32::consts::TAU * 220.0 * k as f32 * t).sin() / k as f32)
                    .sum::<f32>()
                    * 0.3
            })
            .collect();
        let mut r = l.clone();
        for (a, b) in l.chunks_mut(32).zip(r.chunks_mut(32)) {
            chorus.process(a, b, s, ctx);
        }
        crate::analysis::correlation(&l[48_000..], &r[48_000..])
    }
}
