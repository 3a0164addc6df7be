//! The effects rack on the stereo bus after the voices: drive → chorus →
//! delay → reverb, one effect a file.
//!
//! Every effect has the same small interface: `process(left, right,
//! settings, context)` turns a block into its output at its own mix, `reset`
//! silences it, and `memory_samples` says how long a sample can stay inside
//! before it comes out. The rack adds what they share:
//!
//! - **On/off without clicks**: switching an effect crossfades between its
//!   output and the dry signal over [`SWITCH_SECONDS`]; an effect that is off
//!   and faded out is skipped and silenced, so a sound with every effect off
//!   passes through bit for bit.
//! - **Sleep**: once the input is silent and the rack's output has stayed
//!   below −120 dBFS for longer than any effect in use holds a sample (so
//!   nothing louder can still be on its way out), the rack stops processing
//!   (an idle instance costs next to nothing) until sound comes in.
//! - **Safety**: NaN or infinity anywhere in a block resets every effect and
//!   outputs silence for that block.
//!
//! Real time: every line is allocated in [`EffectsRack::new`] for the longest
//! setting at the given sample rate (the synth builds the rack when the host
//! activates it); `process` never allocates. Feedback paths flush denormals.
//!
//! Why our own effects rather than `fundsp`'s: the rack must run inside the
//! synth's control blocks with its parameters read from atomics, sized once
//! at activation for any rate up to 384 kHz, and sleep when silent. fundsp's
//! graphs are built per sample rate and parameter set: its `reverb_stereo`
//! fixes room size and decay when it is built (moving the size knob would
//! rebuild it, which allocates, on the audio thread), its chorus has no
//! rate or voice count to automate, and it has no oversampled drive.
//! Measured on the same machine (128-sample stereo blocks, 48 kHz), fundsp
//! 0.20's `reverb_stereo` (32 lines) costs 17.9 µs to this reverb's 14.6 µs,
//! its chorus pair 4.9 µs to ours 6.1 µs (ours has 1–4 voices and stereo
//! sweeps), its feedback delay pair 1.4 µs to ours 4.7 µs (ours glides its
//! time, filters and limits the loop, and syncs to tempo); BENCHMARKS.md has
//! the figures and how they were taken.

mod chorus;
mod delay;
mod drive;
mod fast_math;
pub mod line;
mod oversample;
mod reverb;

pub use chorus::{Chorus, ChorusSettings};
pub use delay::{Delay, DelayDivision, DelayMode, DelaySettings};
pub use drive::{Drive, DriveMode, DriveSettings, MAX_DRIVE_DB};
pub use reverb::{Reverb, ReverbSettings};

// The longest settings: the lines are sized for them (the parameters' ranges
// end there too).
/// Longest delay time in milliseconds (also the synced time's cap).
pub const MAX_DELAY_MS: f32 = 2_000.0;
/// Longest reverb pre-delay in milliseconds.
pub const MAX_PREDELAY_MS: f32 = 250.0;
/// Longest chorus base delay in milliseconds.
pub const MAX_CHORUS_DELAY_MS: f32 = 30.0;
/// Deepest chorus sweep in milliseconds (either side of the base delay).
pub const MAX_CHORUS_DEPTH_MS: f32 = 10.0;
/// Most chorus voices per channel.
pub const MAX_CHORUS_VOICES: i32 = 4;

/// How long switching an effect on or off crossfades.
pub const SWITCH_SECONDS: f32 = 0.01;
/// Below this level (−120 dBFS) the rack counts its output as silent.
pub const SILENCE: f32 = 1e-6;
/// The rack processes in pieces of at most this many samples.
const CHUNK: usize = 64;

/// What the effects know of the block beyond their own settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectContext {
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// Host tempo in bpm (120 when the host gives none).
    pub tempo: f64,
}

/// Every effect's settings for one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RackSettings {
    /// Drive.
    pub drive: DriveSettings,
    /// Chorus.
    pub chorus: ChorusSettings,
    /// Delay.
    pub delay: DelaySettings,
    /// Reverb.
    pub reverb: ReverbSettings,
}

impl RackSettings {
    /// Whether any effect is on.
    pub fn any_on(&self) -> bool {
        self.drive.on || self.chorus.on || self.delay.on || self.reverb.on
    }
}

/// A value ramped linearly to its target across each block.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ramp {
    /// Where it goes.
    pub target: f32,
    current: Option<f32>,
}

impl Ramp {
    /// `(start, step)` for a block of `n` samples: sample `i` reads
    /// `start + step·(i + 1)`, the last one the target. The first block
    /// starts at the target.
    pub fn run(&mut self, n: usize) -> (f32, f32) {
        let from = self.current.unwrap_or(self.target);
        self.current = Some(self.target);
        (from, (self.target - from) / n.max(1) as f32)
    }
}

/// Dry and wet gains across a block for an equal-power mix: the dry part
/// keeps `cos(mix·π/2)`, the wet one gets `sin(mix·π/2)`, so a quarter of
/// reverb costs the dry sound 0.7 dB, not the 2.5 dB a linear crossfade
/// would (the bank's loudness and peaks stay put when effects are added).
#[derive(Debug, Clone, Copy)]
pub struct MixGains {
    dry: (f32, f32),
    wet: (f32, f32),
}

impl MixGains {
    /// The gains for a block of `n` samples whose mix `ramp` moves to its target.
    pub fn new(ramp: &mut Ramp, n: usize) -> Self {
        let (m0, step) = ramp.run(n);
        let m1 = m0 + step * n as f32;
        let angle = |m: f32| m.clamp(0.0, 1.0) * std::f32::consts::FRAC_PI_2;
        let (a0, a1) = (angle(m0), angle(m1));
        let per = 1.0 / n.max(1) as f32;
        Self {
            dry: (a0.cos(), (a1.cos() - a0.cos()) * per),
            wet: (a0.sin(), (a1.sin() - a0.sin()) * per),
        }
    }

    /// `dry·g_d + wet·g_w` at sample `i` of the block.
    #[inline(always)]
    pub fn mix(&self, i: usize, dry: f32, wet: f32) -> f32 {
        let k = sample_f32(i + 1);
        dry * (self.dry.0 + self.dry.1 * k) + wet * (self.wet.0 + self.wet.1 * k)
    }
}

/// One effect's place in the rack: its on/off fade.
#[derive(Debug, Clone, Copy, Default)]
struct Switch {
    /// `0..=1`: how much of the effect's output is heard.
    level: f32,
    /// The effect holds state (has run since it was last reset).
    dirty: bool,
}

impl Switch {
    /// Whether to run the effect this chunk; `(start, step)` of the fade.
    fn plan(&mut self, on: bool, n: usize, sample_rate: f32) -> Option<(f32, f32)> {
        let target = if on { 1.0 } else { 0.0 };
        if self.level == target && !on {
            return None;
        }
        let max_step = n as f32 / (SWITCH_SECONDS * sample_rate);
        let from = self.level;
        self.level += (target - from).clamp(-max_step, max_step);
        Some((from, (self.level - from) / n as f32))
    }
}

/// The rack (see the module docs).
#[derive(Debug, Clone)]
pub struct EffectsRack {
    sample_rate: f32,
    drive: Drive,
    chorus: Chorus,
    delay: Delay,
    reverb: Reverb,
    switches: [Switch; 4],
    /// Samples since the input or the output was last above [`SILENCE`].
    quiet_for: usize,
    asleep: bool,
    /// Blocks that held NaN or infinity.
    resets: u64,
}

impl EffectsRack {
    /// A rack for `sample_rate`, every line allocated for its longest setting.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            sample_rate,
            drive: Drive::default(),
            chorus: Chorus::new(sample_rate),
            delay: Delay::new(sample_rate),
            reverb: Reverb::new(sample_rate),
            switches: Default::default(),
            quiet_for: 0,
            asleep: true,
            resets: 0,
        }
    }

    /// The sample rate its lines were sized for.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Runs the drive and the reverb on `simd`'s instructions where the CPU
    /// has them (the baseline code otherwise).
    pub fn set_simd(&mut self, simd: crate::oscillator::Simd) {
        self.drive.set_simd(simd);
        self.reverb.set_simd(simd);
    }

    /// Whether the rack is asleep (its tails have died away and no sound
    /// comes in).
    pub fn is_asleep(&self) -> bool {
        self.asleep
    }

    /// How many blocks were reset because NaN or infinity reached the rack.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Silences every effect (no allocation).
    pub fn reset(&mut self) {
        self.drive.reset();
        self.chorus.reset();
        self.delay.reset();
        self.reverb.reset();
        self.switches = Default::default();
        self.quiet_for = 0;
        self.asleep = true;
    }

    /// The longest time in samples a sample can stay inside an effect in use.
    fn horizon(&self, s: &RackSettings, ctx: &EffectContext) -> usize {
        let sr = ctx.sample_rate;
        let mut longest = 0;
        if self.switches[1].dirty {
            longest = longest.max(self.chorus.memory_samples(&s.chorus, sr));
        }
        if self.switches[2].dirty {
            longest = longest.max(self.delay.memory_samples(&s.delay, ctx));
        }
        if self.switches[3].dirty {
            longest = longest.max(self.reverb.memory_samples(&s.reverb, sr));
        }
        // The drive's filters hold a few samples.
        longest + 256
    }

    /// Processes a stereo block in place (any length; no allocation).
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32], s: &RackSettings, tempo: f64) {
        let ctx = EffectContext {
            sample_rate: self.sample_rate,
            tempo: if tempo.is_finite() && tempo > 0.0 {
                tempo
            } else {
                120.0
            },
        };
        let len = left.len().min(right.len());
        for start in (0..len).step_by(CHUNK) {
            let end = (start + CHUNK).min(len);
            self.process_chunk(&mut left[start..end], &mut right[start..end], s, &ctx);
        }
    }

    fn process_chunk(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        s: &RackSettings,
        ctx: &EffectContext,
    ) {
        let n = left.len();
        let input_peak = peak(left, right);
        if !input_peak.is_finite() {
            self.fail(left, right);
            return;
        }
        let loud_input = input_peak > SILENCE;
        if !s.any_on() && !self.switching(s) && !self.switches.iter().any(|sw| sw.dirty) {
            // Nothing to do: the sound passes as it is.
            self.asleep = true;
            return;
        }
        if self.asleep {
            if !loud_input && !self.switching(s) {
                return;
            }
            self.asleep = false;
            self.quiet_for = 0;
        }
        let mut dry_l = [0.0f32; CHUNK];
        let mut dry_r = [0.0f32; CHUNK];
        macro_rules! run {
            ($slot:expr, $on:expr, $effect:expr, $settings:expr) => {
                if let Some((f0, fs)) = self.switches[$slot].plan($on, n, ctx.sample_rate) {
                    self.switches[$slot].dirty = true;
                    let fading = f0 != 1.0 || fs != 0.0;
                    if fading {
                        dry_l[..n].copy_from_slice(left);
                        dry_r[..n].copy_from_slice(right);
                    }
                    $effect.process(left, right, $settings, ctx);
                    if fading {
                        for i in 0..n {
                            let f = f0 + fs * sample_f32(i + 1);
                            left[i] = dry_l[i] + f * (left[i] - dry_l[i]);
                            right[i] = dry_r[i] + f * (right[i] - dry_r[i]);
                        }
                    }
                } else if self.switches[$slot].dirty {
                    $effect.reset();
                    self.switches[$slot].dirty = false;
                }
            };
        }
        run!(0, s.drive.on, self.drive, &s.drive);
        run!(1, s.chorus.on, self.chorus, &s.chorus);
        run!(2, s.delay.on, self.delay, &s.delay);
        run!(3, s.reverb.on, self.reverb, &s.reverb);
        let output_peak = peak(left, right);
        if !output_peak.is_finite() {
            self.fail(left, right);
            return;
        }
        if loud_input || output_peak > SILENCE {
            self.quiet_for = 0;
        } else {
            self.quiet_for += n;
            if self.quiet_for > self.horizon(s, ctx) && !self.switching(s) {
                self.asleep = true;
            }
        }
    }

    /// Whether an effect is fading in or out.
    /// True when silence would pass the rack unchanged and leave it as it
    /// is: asleep, and no effect fading in or out for `on` (drive, chorus,
    /// delay, reverb switched on).
    pub fn stays_asleep(&self, on: [bool; 4]) -> bool {
        self.asleep
            && self
                .switches
                .iter()
                .zip(on)
                .all(|(sw, on)| sw.level == if on { 1.0 } else { 0.0 })
    }

    fn switching(&self, s: &RackSettings) -> bool {
        let on = [s.drive.on, s.chorus.on, s.delay.on, s.reverb.on];
        self.switches
            .iter()
            .zip(on)
            .any(|(sw, on)| sw.level != if on { 1.0 } else { 0.0 })
    }

    fn fail(&mut self, left: &mut [f32], right: &mut [f32]) {
        left.fill(0.0);
        right.fill(0.0);
        let switches = self.switches;
        self.reset();
        // Keep the switches' positions (the effects are on or off as before).
        for (sw, was) in self.switches.iter_mut().zip(switches) {
            sw.level = was.level;
        }
        self.resets += 1;
    }
}

/// A sample index within a block as a float. Through `i32`: x86 converts
/// signed 32-bit integers to floats in one instruction, eight at a time,
/// where a `usize` takes a branchy sequence a lane at a time (a seventh of
/// the drive's and the reverb's time went there). Blocks are far shorter
/// than 2³¹ samples.
#[inline(always)]
pub(crate) fn sample_f32(i: usize) -> f32 {
    i as i32 as f32
}

/// The largest magnitude in the two channels (NaN if any sample is NaN or infinite).
fn peak(left: &[f32], right: &[f32]) -> f32 {
    // Eight running maxima and eight running sums of `v·0` (0 for a finite
    // sample, NaN for NaN or ±∞): lanes the compiler keeps in one register,
    // where `f32::max` over a chained iterator ran one sample at a time.
    const LANES: usize = 8;
    let mut top = [0.0f32; LANES];
    let mut poison = [0.0f32; LANES];
    for side in [left, right] {
        let mut chunks = side.chunks_exact(LANES);
        for chunk in &mut chunks {
            for j in 0..LANES {
                let a = chunk[j].abs();
                top[j] = if a > top[j] { a } else { top[j] };
                poison[j] += chunk[j] * 0.0;
            }
        }
        for &v in chunks.remainder() {
            top[0] = if v.abs() > top[0] { v.abs() } else { top[0] };
            poison[0] += v * 0.0;
        }
    }
    if poison.iter().sum::<f32>() != 0.0 {
        return f32::NAN;
    }
    top.into_iter().fold(0.0, f32::max)
}

#[cfg(test)]
mod tests;
