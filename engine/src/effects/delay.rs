//! Stereo and ping-pong delay, its time in ms or synced to the host tempo,
//! with a tone filter and a soft limiter in the feedback loop.
//!
//! A time change (a new setting or a tempo change) glides the read position
//! over about 60 ms, as a tape delay does, instead of jumping: no click. The
//! loop gain is at most 0.95 and the filters and limiter only lose energy, so
//! the echoes always die away.

use super::line::{flush, DelayLine, OnePole};
use super::MAX_DELAY_MS;
use super::{EffectContext, MixGains, Ramp};
use crate::memo::Memo;

crate::stable_enum! {
    /// How the two channels' echoes run.
    pub enum DelayMode: 8 {
        /// Each channel echoes itself.
        Stereo = 0, "stereo", "Stereo";
        /// The input's sum bounces left, right, left …
        PingPong = 1, "ping_pong", "Ping-Pong";
    }
}

crate::stable_enum! {
    /// A synced delay time, as a note length.
    pub enum DelayDivision: 32 {
        /// A thirty-second-note triplet.
        ThirtySecondTriplet = 0, "1/32t", "1/32 T";
        /// A thirty-second note.
        ThirtySecond = 1, "1/32", "1/32";
        /// A dotted thirty-second note.
        ThirtySecondDotted = 2, "1/32d", "1/32 D";
        /// A sixteenth-note triplet.
        SixteenthTriplet = 3, "1/16t", "1/16 T";
        /// A sixteenth note.
        Sixteenth = 4, "1/16", "1/16";
        /// A dotted sixteenth note.
        SixteenthDotted = 5, "1/16d", "1/16 D";
        /// An eighth-note triplet.
        EighthTriplet = 6, "1/8t", "1/8 T";
        /// An eighth note.
        Eighth = 7, "1/8", "1/8";
        /// A dotted eighth note.
        EighthDotted = 8, "1/8d", "1/8 D";
        /// A quarter-note triplet.
        QuarterTriplet = 9, "1/4t", "1/4 T";
        /// A quarter note.
        Quarter = 10, "1/4", "1/4";
        /// A dotted quarter note.
        QuarterDotted = 11, "1/4d", "1/4 D";
        /// A half-note triplet.
        HalfTriplet = 12, "1/2t", "1/2 T";
        /// A half note.
        Half = 13, "1/2", "1/2";
        /// A dotted half note.
        HalfDotted = 14, "1/2d", "1/2 D";
        /// A whole-note triplet.
        WholeTriplet = 15, "1/1t", "1/1 T";
        /// A whole note.
        Whole = 16, "1/1", "1/1";
        /// A dotted whole note.
        WholeDotted = 17, "1/1d", "1/1 D";
    }
}

impl DelayDivision {
    /// Length in quarter-note beats.
    pub fn beats(self) -> f64 {
        let code = self.code();
        let base = 0.125 * f64::from(1u32 << (code / 3)); // 1/32 .. 1/1
        match code % 3 {
            0 => base * 2.0 / 3.0,
            1 => base,
            _ => base * 1.5,
        }
    }
}

/// The delay's settings for one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelaySettings {
    /// On.
    pub on: bool,
    /// Stereo or ping-pong.
    pub mode: DelayMode,
    /// Time follows the tempo.
    pub sync: bool,
    /// Time in ms when not synced.
    pub time_ms: f32,
    /// Time when synced.
    pub division: DelayDivision,
    /// Feedback, `0..=0.95`.
    pub feedback: f32,
    /// Low-pass in the loop, Hz.
    pub tone_hz: f32,
    /// Dry/wet.
    pub mix: f32,
}

impl DelaySettings {
    /// The delay time in seconds at `tempo` bpm (capped at [`MAX_DELAY_MS`]).
    pub fn seconds(&self, tempo: f64) -> f32 {
        let s = if self.sync {
            let tempo = if tempo.is_finite() && tempo > 1.0 {
                tempo
            } else {
                120.0
            };
            (self.division.beats() * 60.0 / tempo) as f32
        } else {
            self.time_ms * 1e-3
        };
        s.clamp(1e-3, MAX_DELAY_MS * 1e-3)
    }
}

/// Time constant of the read position's glide after a time change.
const GLIDE_SECONDS: f32 = 0.06;
/// High-pass in the loop (keeps repeats from piling up low end).
const LOOP_HIGHPASS_HZ: f32 = 60.0;

/// The delay (see the module docs).
#[derive(Debug, Clone)]
pub struct Delay {
    lines: [DelayLine; 2],
    low: [OnePole; 2],
    high: [OnePole; 2],
    /// The read position in samples now (gliding towards the setting).
    delay: Option<f32>,
    /// The glide, loop low-pass and loop high-pass coefficients for the
    /// last tone and rate.
    coefs: Memo<(f32, f32), (f32, f32, f32)>,
    mix: Ramp,
}

/// A limiter that is transparent below ±0.5 and never exceeds ±1.
#[inline(always)]
fn limit(x: f32) -> f32 {
    let a = x.abs();
    if a <= 0.5 {
        x
    } else {
        let over = a - 0.5;
        x.signum() * (0.5 + over / (1.0 + 2.0 * over))
    }
}

/// The most samples read and written as one block.
const PIECE: usize = super::CHUNK;

impl Delay {
    /// A delay for `sample_rate` (allocates lines for [`MAX_DELAY_MS`]).
    pub fn new(sample_rate: f32) -> Self {
        let max = (MAX_DELAY_MS * 1e-3 * sample_rate).ceil() as usize + 2;
        Self {
            lines: [DelayLine::new(max), DelayLine::new(max)],
            low: Default::default(),
            high: Default::default(),
            delay: None,
            coefs: Memo::default(),
            mix: Ramp::default(),
        }
    }

    /// Processes a stereo block in place.
    pub fn process(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        s: &DelaySettings,
        ctx: &EffectContext,
    ) {
        let n = left.len();
        let sr = ctx.sample_rate;
        let target = s.seconds(ctx.tempo) * sr;
        let mut delay = self.delay.unwrap_or(target);
        let (glide, low, high) = self.coefs.get((s.tone_hz, sr), |(tone_hz, sr)| {
            (
                1.0 - (-1.0 / (GLIDE_SECONDS * sr)).exp(),
                OnePole::coef(tone_hz.min(0.45 * sr), sr),
                OnePole::coef(LOOP_HIGHPASS_HZ, sr),
            )
        });
        let fb = s.feedback.clamp(0.0, 0.95);
        self.mix.target = s.mix;
        let gains = MixGains::new(&mut self.mix, n);
        let ping_pong = s.mode == DelayMode::PingPong;
        let mut done = 0;
        while done < n {
            // A piece no longer than the delay: its reads all come from
            // before it, so they run as blocks before its writes.
            let m = (n - done)
                .min(PIECE)
                .min(delay.min(target).max(1.0) as usize);
            let mut delays = [0.0f32; PIECE];
            for d in &mut delays[..m] {
                delay += (target - delay) * glide;
                // One sample behind the write: the line's newest sample is
                // one delay ago.
                *d = delay - 1.0;
            }
            let mut y = [[0.0f32; PIECE]; 2];
            for (line, y) in self.lines.iter().zip(&mut y) {
                line.read_descending(&delays[..m], &mut y[..m]);
            }
            let mut input = [[0.0f32; PIECE]; 2];
            for i in 0..m {
                let j = done + i;
                let (x_l, x_r) = (left[j], right[j]);
                let (y_l, y_r) = (y[0][i], y[1][i]);
                let loop_l = self.high[0].high(self.low[0].low(y_l, low), high);
                let loop_r = self.high[1].high(self.low[1].low(y_r, low), high);
                let (in_l, in_r) = if ping_pong {
                    (0.5 * (x_l + x_r) + fb * loop_r, fb * loop_l)
                } else {
                    (x_l + fb * loop_l, x_r + fb * loop_r)
                };
                input[0][i] = flush(limit(in_l));
                input[1][i] = flush(limit(in_r));
                left[j] = gains.mix(j, x_l, y_l);
                right[j] = gains.mix(j, x_r, y_r);
            }
            for (line, x) in self.lines.iter_mut().zip(&input) {
                line.push_block(&x[..m]);
            }
            done += m;
        }
        self.delay = Some(delay);
    }

    /// The longest a sample stays inside before it reaches the output, in
    /// samples (one trip round the loop, gliding included).
    pub fn memory_samples(&self, s: &DelaySettings, ctx: &EffectContext) -> usize {
        let now = self.delay.unwrap_or(0.0);
        (s.seconds(ctx.tempo) * ctx.sample_rate).max(now) as usize + 2
    }

    /// Silences the lines.
    pub fn reset(&mut self) {
        for l in &mut self.lines {
            l.clear();
        }
        self.low = Default::default();
        self.high = Default::default();
        self.delay = None;
        self.mix = Ramp::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synced(division: DelayDivision) -> DelaySettings {
        DelaySettings {
            on: true,
            mode: DelayMode::Stereo,
            sync: true,
            time_ms: 100.0,
            division,
            feedback: 0.0,
            tone_hz: 20_000.0,
            mix: 1.0,
        }
    }

    /// Sample index of the loudest output after an impulse at sample 0.
    fn echo_at(s: &DelaySettings, tempo: f64, sr: f32) -> usize {
        let mut d = Delay::new(sr);
        let ctx = EffectContext {
            sample_rate: sr,
            tempo,
        };
        let n = (2.5 * sr) as usize;
        let mut l = vec![0.0f32; n];
        l[0] = 1.0;
        let mut r = l.clone();
        for (a, b) in l.chunks_mut(64).zip(r.chunks_mut(64)) {
            d.process(a, b, s, &ctx);
        }
        l.iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(i, _)| i)
            .unwrap()
    }

    #[test]
    fn a_synced_echo_lands_on_the_beat_at_two_tempos() {
        for (tempo, division) in [
            (120.0, DelayDivision::Quarter),
            (93.0, DelayDivision::EighthDotted),
            (140.0, DelayDivision::SixteenthTriplet),
        ] {
            for sr in [44_100.0f32, 48_000.0] {
                let want = division.beats() * 60.0 / tempo * f64::from(sr);
                let got = echo_at(&synced(division), tempo, sr);
                assert!(
                    (got as f64 - want).abs() <= 1.0,
                    "{division:?} at {tempo} bpm, {sr} Hz: echo at {got}, beat at {want:.2}"
                );
            }
        }
    }

    #[test]
    fn divisions_have_their_lengths() {
        assert_eq!(DelayDivision::Quarter.beats(), 1.0);
        assert_eq!(DelayDivision::ThirtySecond.beats(), 0.125);
        assert_eq!(DelayDivision::EighthDotted.beats(), 0.75);
        assert!((DelayDivision::QuarterTriplet.beats() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(DelayDivision::Whole.beats(), 4.0);
        assert_eq!(DelayDivision::WholeDotted.beats(), 6.0);
    }

    #[test]
    fn full_feedback_never_runs_away_and_a_tempo_change_glides() {
        let sr = 48_000.0;
        let mut d = Delay::new(sr);
        let mut s = synced(DelayDivision::Sixteenth);
        s.feedback = 0.95;
        s.mode = DelayMode::PingPong;
        let mut peak = 0.0f32;
        let mut worst_step = 0.0f32;
        let mut last = 0.0f32;
        for block in 0..3_000 {
            // A loud tone for the first second, then a tempo change every 0.2 s.
            let tempo = 90.0 + 60.0 * ((block / 150) % 2) as f64;
            let ctx = EffectContext {
                sample_rate: sr,
                tempo,
            };
            let mut l: Vec<f32> = (0..64)
                .map(|i| {
                    let t = (block * 64 + i) as f32 / sr;
                    if block < 750 {
                        (std::f32::consts::TAU * 110.0 * t).sin()
                    } else {
                        0.0
                    }
                })
                .collect();
            let mut r = l.clone();
            d.process(&mut l, &mut r, &s, &ctx);
            for &y in &l {
                assert!(y.is_finite());
                peak = peak.max(y.abs());
                if block > 800 {
                    worst_step = worst_step.max((y - last).abs());
                }
                last = y;
            }
        }
        assert!(peak <= 1.0, "peak {peak}");
        // A 110 Hz tone at ≤ 1 moves at most 2π·110/48000 ≈ 0.0144 a sample;
        // a jump in the read position would step far more.
        println!("largest step {worst_step}");
        assert!(worst_step < 0.1, "largest step {worst_step}");
    }
}
