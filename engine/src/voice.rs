//! One sounding note: its unison oscillators, envelopes, filter and modulation state.

use crate::envelope::{Adsr, AdsrShape};
use crate::events::NoteExpression;
use crate::filter::{FilterMode, Svf, SvfCoefs};
use crate::oscillator::{self, FrameRamp};
use crate::wavetable::{level_for, WavetableSet};
use crate::{CONTROL_BLOCK, MAX_UNISON};

/// Cutoff (Hz) above which an open low-pass starts to leave the signal path.
const OPEN_FROM_HZ: f32 = 16_000.0;
/// Cutoff (Hz) at which an open low-pass is bypassed completely.
const OPEN_AT_HZ: f32 = 19_500.0;

/// Everything a voice needs for one control block that is the same for all voices.
#[derive(Debug, Clone, Copy)]
pub struct BlockContext<'a> {
    /// Samples in this block (`1..=CONTROL_BLOCK`).
    pub n: usize,
    /// Output sample rate.
    pub sample_rate: f32,
    /// The table every voice plays.
    pub table: &'a WavetableSet,
    /// While a new table fades in: the old table and its weight at the block's start and end.
    pub previous: Option<(&'a WavetableSet, f32, f32)>,
    /// Global position (parameter plus LFO) at the block's start and end.
    pub position: (f32, f32),
    /// Semitones added to every note (pitch parameter plus bend).
    pub pitch_offset: f32,
    /// Unison oscillators per voice.
    pub unison: usize,
    /// Detune of the outermost unison oscillators in cents.
    pub detune: f32,
    /// Stereo spread of the unison oscillators, `0..=1`.
    pub spread: f32,
    /// Filter response.
    pub filter_mode: FilterMode,
    /// Base cutoff in Hz.
    pub cutoff: f32,
    /// Resonance `0..=1`.
    pub resonance: f32,
    /// Key tracking `0..=1`.
    pub key_track: f32,
    /// Filter envelope depth in semitones.
    pub filter_env_amount: f32,
    /// LFO offset of the cutoff in semitones.
    pub lfo_cutoff: f32,
    /// Amp envelope shape.
    pub amp_shape: AdsrShape,
    /// Filter envelope shape.
    pub filter_shape: AdsrShape,
    /// Fraction of the remaining glide covered in this block.
    pub glide_coef: f32,
    /// Velocity sensitivity `0..=1`.
    pub velocity_sensitivity: f32,
}

/// A voice's own polyphonic modulation, already converted to plain units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoiceMods {
    /// Added to the position.
    pub position: f32,
    /// Added to the pitch, in semitones.
    pub pitch: f32,
    /// Multiplies the cutoff.
    pub cutoff_ratio: f32,
    /// Multiplies the level.
    pub gain: f32,
    /// Pan `-1..=1` (0 leaves the stereo image as it is).
    pub pan: f32,
}

impl Default for VoiceMods {
    fn default() -> Self {
        Self {
            position: 0.0,
            pitch: 0.0,
            cutoff_ratio: 1.0,
            gain: 1.0,
            pan: 0.0,
        }
    }
}

/// A note's own expressions: polyphonic aftertouch and CLAP note expressions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expressions {
    /// Pressure `0..=1`, once the note has received one.
    pub pressure: Option<f32>,
    /// Brightness `0..=1` (0.5 = centre), once received; read like CC 74.
    pub brightness: Option<f32>,
    /// Tuning in semitones.
    pub tuning: f32,
    /// Gain ratio.
    pub volume: f32,
    /// Pan `-1..=1`.
    pub pan: f32,
}

impl Default for Expressions {
    fn default() -> Self {
        Self {
            pressure: None,
            brightness: None,
            tuning: 0.0,
            volume: 1.0,
            pan: 0.0,
        }
    }
}

impl Expressions {
    /// Takes in one expression (out-of-range values clamp, non-finite ones are ignored).
    pub fn apply(&mut self, expression: NoteExpression) {
        let ok = |v: f32| v.is_finite().then_some(v);
        match expression {
            NoteExpression::Pressure(v) => {
                self.pressure = ok(v).map(|v| v.clamp(0.0, 1.0)).or(self.pressure)
            }
            NoteExpression::Brightness(v) => {
                self.brightness = ok(v).map(|v| v.clamp(0.0, 1.0)).or(self.brightness)
            }
            NoteExpression::Tuning(v) => {
                self.tuning = ok(v).map_or(self.tuning, |v| v.clamp(-128.0, 128.0))
            }
            NoteExpression::Volume(v) => {
                self.volume = ok(v).map_or(self.volume, |v| v.clamp(0.0, 4.0))
            }
            NoteExpression::Pan(v) => self.pan = ok(v).map_or(self.pan, |v| v.clamp(-1.0, 1.0)),
        }
    }
}

/// Normalised polyphonic modulation offsets sent by the host for one voice.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PolyOffsets {
    /// Offset of `position`.
    pub position: Option<f32>,
    /// Offset of `cutoff`.
    pub cutoff: Option<f32>,
    /// Offset of `pitch`.
    pub pitch: Option<f32>,
}

/// How a voice that must stop quickly (stolen or choked) fades out.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fade {
    gain: f32,
    step: f32,
}

/// One note.
#[derive(Debug, Clone, Default)]
pub struct Voice {
    pub(crate) active: bool,
    pub(crate) id: Option<i32>,
    pub(crate) channel: u8,
    pub(crate) key: u8,
    pub(crate) released: bool,
    pub(crate) age: u64,
    pub(crate) poly: PolyOffsets,
    /// Released by its key while the sustain pedal holds it.
    pub(crate) sustained: bool,
    pub(crate) expression: Expressions,
    velocity: f32,
    phases: [u32; MAX_UNISON],
    pitch: f32,
    target_pitch: f32,
    amp: Adsr,
    filter_env: Adsr,
    svf: [Svf; 2],
    position: Option<f32>,
    fade: Option<Fade>,
}

/// How a new note starts.
#[derive(Debug, Clone, Copy)]
pub struct NoteStart {
    /// The host's note id, if it sent one.
    pub id: Option<i32>,
    /// MIDI channel.
    pub channel: u8,
    /// MIDI key.
    pub key: u8,
    /// Velocity `0..=1`.
    pub velocity: f32,
    /// Note-on order, for stealing the oldest.
    pub age: u64,
    /// Pitch (in semitones) to glide from; `None` starts on the note.
    pub glide_from: Option<f32>,
}

impl Voice {
    /// Where in the table this voice played at the end of its last block
    /// (0..1); `None` when it is silent or has not rendered yet.
    pub fn table_position(&self) -> Option<f32> {
        self.position.filter(|_| self.active)
    }

    /// Starts a note in this voice with the given oscillator start phases.
    pub fn start(&mut self, note: NoteStart, phases: [u32; MAX_UNISON]) {
        let key_pitch = f32::from(note.key);
        *self = Self {
            active: true,
            id: note.id,
            channel: note.channel,
            key: note.key,
            released: false,
            age: note.age,
            poly: PolyOffsets::default(),
            velocity: if note.velocity.is_finite() {
                note.velocity.clamp(0.0, 1.0)
            } else {
                1.0
            },
            phases,
            pitch: note
                .glide_from
                .filter(|p| p.is_finite())
                .unwrap_or(key_pitch),
            target_pitch: key_pitch,
            ..Self::default()
        };
        self.amp.trigger();
        self.filter_env.trigger();
    }

    /// The note-on velocity, `0..=1`.
    pub fn velocity(&self) -> f32 {
        self.velocity
    }

    /// Enters the release stage.
    pub fn release(&mut self) {
        self.released = true;
        self.sustained = false;
        self.amp.release();
        self.filter_env.release();
    }

    /// Fades out over `samples` samples, then stops (used for stealing and choking).
    pub fn fade_out(&mut self, samples: usize) {
        let current = self.fade.map_or(1.0, |f| f.gain);
        self.released = true;
        self.fade = Some(Fade {
            gain: current,
            step: 1.0 / samples.max(1) as f32,
        });
    }

    /// True while fading out after being stolen or choked.
    pub fn is_fading(&self) -> bool {
        self.fade.is_some()
    }

    /// Remaining gain of a fading voice (1 when not fading).
    pub fn fade_gain(&self) -> f32 {
        self.fade.map_or(1.0, |f| f.gain)
    }

    /// Stops at once, without a fade.
    pub fn kill(&mut self) {
        self.active = false;
    }

    /// The filter's integrator states, left and right (for tests).
    pub fn filter_state(&self) -> [[f32; 2]; 2] {
        [self.svf[0].state(), self.svf[1].state()]
    }

    /// The note's current pitch in semitones (after glide).
    pub fn pitch(&self) -> f32 {
        self.pitch
    }

    /// Renders one control block, adding into `out_l`/`out_r`. Returns false once
    /// the voice has finished (envelope or fade at zero).
    pub fn render(
        &mut self,
        ctx: &BlockContext,
        mods: VoiceMods,
        out_l: &mut [f32],
        out_r: &mut [f32],
    ) -> bool {
        let n = ctx.n.min(CONTROL_BLOCK).min(out_l.len()).min(out_r.len());
        self.pitch += (self.target_pitch - self.pitch) * ctx.glide_coef;
        let pitch = self.pitch + ctx.pitch_offset + mods.pitch;
        let pos_end = (ctx.position.1 + mods.position).clamp(0.0, 1.0);
        let pos_start = self
            .position
            .unwrap_or_else(|| (ctx.position.0 + mods.position).clamp(0.0, 1.0));
        self.position = Some(pos_end);

        let mut osc_l = [0.0f32; CONTROL_BLOCK];
        let mut osc_r = [0.0f32; CONTROL_BLOCK];
        let start_phases = self.phases;
        self.phases = self.render_oscillators(
            ctx,
            ctx.table,
            pitch,
            (pos_start, pos_end),
            &start_phases,
            &mut osc_l[..n],
            &mut osc_r[..n],
        );
        if let Some((old, w0, w1)) = ctx.previous {
            let mut old_l = [0.0f32; CONTROL_BLOCK];
            let mut old_r = [0.0f32; CONTROL_BLOCK];
            self.render_oscillators(
                ctx,
                old,
                pitch,
                (pos_start, pos_end),
                &start_phases,
                &mut old_l[..n],
                &mut old_r[..n],
            );
            let step = (w1 - w0) / n as f32;
            for i in 0..n {
                let w = w0 + step * i as f32;
                osc_l[i] += (old_l[i] - osc_l[i]) * w;
                osc_r[i] += (old_r[i] - osc_r[i]) * w;
            }
        }

        let env = self.filter_env.advance(&ctx.filter_shape, n);
        let semis = ctx.key_track * (f32::from(self.key) - 60.0)
            + ctx.filter_env_amount * env
            + ctx.lfo_cutoff;
        let cutoff = ctx.cutoff * mods.cutoff_ratio * (semis / 12.0).exp2();
        let coefs = SvfCoefs::new(ctx.filter_mode, cutoff, ctx.resonance, ctx.sample_rate);
        // A low-pass opened to the top of its range fades out of the signal path
        // entirely, so an open filter colours nothing (and costs nothing).
        let dry = match ctx.filter_mode {
            FilterMode::LowPass => {
                ((cutoff - OPEN_FROM_HZ) / (OPEN_AT_HZ - OPEN_FROM_HZ)).clamp(0.0, 1.0)
            }
            _ => 0.0,
        };
        if dry >= 1.0 {
            self.svf.iter_mut().for_each(Svf::reset);
        } else {
            for i in 0..n {
                let (l, r) = (osc_l[i], osc_r[i]);
                osc_l[i] = l + (self.svf[0].process(&coefs, l) - l) * (1.0 - dry);
                osc_r[i] = r + (self.svf[1].process(&coefs, r) - r) * (1.0 - dry);
            }
            self.svf.iter_mut().for_each(Svf::flush_tiny);
        }

        let sens = ctx.velocity_sensitivity.clamp(0.0, 1.0);
        let velocity_gain = (1.0 - sens + sens * self.velocity) * mods.gain.clamp(0.0, 16.0);
        // Balance: a pan turns the far side down, the near side stays.
        let pan = mods.pan.clamp(-1.0, 1.0);
        let (pan_l, pan_r) = ((1.0 - pan).min(1.0), (1.0 + pan).min(1.0));
        for i in 0..n {
            let mut gain = self.amp.next(&ctx.amp_shape) * velocity_gain;
            if let Some(fade) = &mut self.fade {
                gain *= fade.gain;
                fade.gain = (fade.gain - fade.step).max(0.0);
            }
            out_l[i] += osc_l[i] * gain * pan_l;
            out_r[i] += osc_r[i] * gain * pan_r;
        }

        let finished = !self.amp.is_active() || self.fade.is_some_and(|f| f.gain <= 0.0);
        if finished {
            self.active = false;
        }
        !finished
    }

    /// Renders every unison oscillator from `phases` into the buffers; returns the phases after.
    #[allow(clippy::too_many_arguments)]
    fn render_oscillators(
        &self,
        ctx: &BlockContext,
        set: &WavetableSet,
        pitch: f32,
        position: (f32, f32),
        phases: &[u32; MAX_UNISON],
        out_l: &mut [f32],
        out_r: &mut [f32],
    ) -> [u32; MAX_UNISON] {
        let mut after = *phases;
        let ramp = FrameRamp::new(set, position.0, position.1, out_l.len());
        let unison = ctx.unison.clamp(1, MAX_UNISON);
        let norm = 1.0 / (unison as f32).sqrt();
        for (j, phase) in after.iter_mut().enumerate().take(unison) {
            let spread = if unison > 1 {
                2.0 * j as f32 / (unison - 1) as f32 - 1.0
            } else {
                0.0
            };
            let freq = 440.0 * ((pitch + ctx.detune * spread * 0.01 - 69.0) / 12.0).exp2();
            let (Some(inc), Some(level)) = (
                oscillator::increment(freq, ctx.sample_rate),
                level_for(freq / ctx.sample_rate),
            ) else {
                continue;
            };
            let angle = (ctx.spread * spread + 1.0) * std::f32::consts::FRAC_PI_4;
            let gain_l = angle.cos() * std::f32::consts::SQRT_2 * norm;
            let gain_r = angle.sin() * std::f32::consts::SQRT_2 * norm;
            *phase =
                oscillator::render(set, level, &ramp, *phase, inc, gain_l, gain_r, out_l, out_r);
        }
        after
    }
}
