//! One sounding note: its unison oscillators, envelopes, filter and modulation state.

use crate::envelope::{Adsr, AdsrShape};
use crate::events::NoteExpression;
use crate::filter::{CoefMemo, FilterBatch, FilterMode, StereoBlock, Svf, SvfCoefs, FILTER_LANES};
use crate::oscillator::{
    render_reads, FrameMix, FrameRamp, LaneMemo, Simd, TableFade, TableReads, UnisonSpread,
};
use crate::sources::{SourceSettings, VoiceSources};
use crate::wavetable::WavetableSet;
use crate::{CONTROL_BLOCK, MAX_UNISON};
use std::cell::{OnceCell, RefCell};

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
    /// The unison oscillators' detune ratios and stereo gains.
    pub unison: UnisonSpread,
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
    /// Mod envelope shape.
    pub mod_shape: AdsrShape,
    /// Fraction of the remaining glide covered in this block.
    pub glide_coef: f32,
    /// Velocity sensitivity `0..=1`.
    pub velocity_sensitivity: f32,
    /// The sub oscillator's and the noise's settings.
    pub sources: SourceSettings,
    /// The oscillator kernel to run.
    pub simd: Simd,
    /// The block's frame ramps, worked out once for every voice at the same
    /// positions (a fresh [`RampCache::default`] per block).
    pub ramps: &'a RampCache,
    /// Numbers the spread, table layout and sample rate the voices' lanes
    /// depend on ([`crate::oscillator::LaneEpoch`]); 0: keep no lanes.
    pub lane_epoch: u64,
}

/// The frame ramps of one block (of the table and of the table fading out),
/// shared by the voices that read the same positions: all of them unless a
/// voice's own modulation moves its position. The first voice works them
/// out; a voice at other positions works out its own in their place. Meant
/// to live for one block (its key also holds the tables and the block
/// length, so a cache kept longer is still right, only slower).
#[derive(Debug, Default)]
pub struct RampCache {
    entry: RefCell<Option<BlockRamps>>,
}

/// What [`RampCache`] holds.
#[derive(Debug)]
struct BlockRamps {
    /// What they were worked out for.
    key: RampKey,
    ramp: FrameRamp,
    old: Option<FrameRamp>,
    /// The frame runs and weights of the two ramps and the table fade,
    /// worked out by the first voice whose kernel needs them.
    mix: OnceCell<FrameMix>,
}

/// The start and end positions (bits), the block length, the tables
/// (addresses) and the table fade's weights (bits) a [`BlockRamps`] was
/// worked out for.
type RampKey = (u32, u32, usize, usize, usize, u32, u32);

fn ramp_key(ctx: &BlockContext, position: (f32, f32), n: usize) -> RampKey {
    let (old, from, to) = ctx.previous.map_or((0, 0, 0), |(old, from, to)| {
        (
            std::ptr::from_ref(old) as usize,
            from.to_bits(),
            to.to_bits(),
        )
    });
    (
        position.0.to_bits(),
        position.1.to_bits(),
        n,
        std::ptr::from_ref(ctx.table) as usize,
        old,
        from,
        to,
    )
}

impl BlockRamps {
    fn new(ctx: &BlockContext, position: (f32, f32), n: usize) -> Self {
        let ramp = FrameRamp::new(ctx.table, position.0, position.1, n);
        let old = ctx
            .previous
            .map(|(old, ..)| FrameRamp::new(old, position.0, position.1, n));
        Self {
            key: ramp_key(ctx, position, n),
            ramp,
            old,
            mix: OnceCell::new(),
        }
    }

    /// What a note reads in this block.
    fn reads<'a>(&'a self, ctx: &BlockContext<'a>) -> TableReads<'a> {
        TableReads {
            set: ctx.table,
            ramp: &self.ramp,
            fade: ctx
                .previous
                .zip(self.old.as_ref())
                .map(|((set, from, to), ramp)| TableFade {
                    set,
                    ramp,
                    from,
                    to,
                }),
            mix: &self.mix,
        }
    }
}

impl RampCache {
    /// Calls `f` with what a note reads at `position` over `n` samples (the
    /// ramps of the table and of the table fading out, if any, and their
    /// frame mix), worked out here unless the cache holds them already.
    fn with<R>(
        &self,
        ctx: &BlockContext,
        position: (f32, f32),
        n: usize,
        f: impl FnOnce(TableReads) -> R,
    ) -> R {
        let key = ramp_key(ctx, position, n);
        match self.entry.try_borrow_mut() {
            Ok(mut entry) => {
                if entry.as_ref().is_some_and(|ramps| ramps.key != key) {
                    *entry = None;
                }
                let ramps = entry.get_or_insert_with(|| BlockRamps::new(ctx, position, n));
                f(ramps.reads(ctx))
            }
            // Never while one voice renders at a time; a voice's own ramps
            // rather than a panic on the audio thread if that ever changes.
            Err(_) => {
                let own = BlockRamps::new(ctx, position, n);
                f(own.reads(ctx))
            }
        }
    }
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
    /// Added to the resonance.
    pub resonance: f32,
    /// Added to the sub's level.
    pub sub_level: f32,
    /// Added to the noise's level.
    pub noise_level: f32,
}

impl Default for VoiceMods {
    fn default() -> Self {
        Self {
            position: 0.0,
            pitch: 0.0,
            cutoff_ratio: 1.0,
            gain: 1.0,
            pan: 0.0,
            resonance: 0.0,
            sub_level: 0.0,
            noise_level: 0.0,
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

/// The filter a voice's block goes through (worked out as the voice begins its block).
#[derive(Debug, Clone, Copy)]
pub struct FilterPlan {
    /// This block's coefficients.
    pub coefs: SvfCoefs,
    /// Share of the filtered signal, `0..=1` (an opening low-pass fades out).
    pub wet: f32,
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
    /// The note's random value `-1..=1` (the matrix's "Random" source).
    pub(crate) random: f32,
    velocity: f32,
    phases: [u32; MAX_UNISON],
    /// Each unison oscillator's mip level in the last block (`None`: silent).
    levels: [Option<u8>; MAX_UNISON],
    pitch: f32,
    target_pitch: f32,
    amp: Adsr,
    filter_env: Adsr,
    /// The mod envelope (a matrix source; advanced with the filter envelope).
    pub(crate) mod_env: Adsr,
    svf: [Svf; 2],
    /// The sub oscillator and the noise.
    sources: VoiceSources,
    /// LFO 1 and 2 of this voice (used when an LFO runs per voice).
    pub(crate) lfos: [crate::lfo::Lfo; 2],
    /// Samples since note-on (an LFO's delay and fade-in count from it).
    pub(crate) since_on: u64,
    position: Option<f32>,
    fade: Option<Fade>,
    /// The unison lanes of the last block, for the next at the same pitch.
    lanes: LaneMemo,
    /// The filter's last coefficients, for the next block at the same cutoff.
    coefs: CoefMemo,
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
    /// The key's pitch in fractional MIDI semitones, as the tuning in use
    /// maps it (the key itself in 12-EDO).
    pub pitch: f32,
}

impl Voice {
    /// Where in the table this voice played at the end of its last block
    /// (0..1); `None` when it is silent or has not rendered yet.
    pub fn table_position(&self) -> Option<f32> {
        self.position.filter(|_| self.active)
    }

    /// Starts a note in this voice with the given oscillator start phases.
    pub fn start(&mut self, note: NoteStart, phases: [u32; MAX_UNISON]) {
        let key_pitch = if note.pitch.is_finite() {
            note.pitch
        } else {
            f32::from(note.key)
        };
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
            sources: VoiceSources::new(
                (note.age as u32).wrapping_mul(0x9e37_79b9) ^ u32::from(note.key) << 24,
            ),
            ..Self::default()
        };
        self.amp.trigger();
        self.filter_env.trigger();
        self.mod_env.trigger();
    }

    /// The note-on velocity, `0..=1`.
    pub fn velocity(&self) -> f32 {
        self.velocity
    }

    /// The amp envelope's level now, `0..=1`.
    pub fn amp_level(&self) -> f32 {
        self.amp.level()
    }

    /// Enters the release stage.
    pub fn release(&mut self) {
        self.released = true;
        self.sustained = false;
        self.amp.release();
        self.filter_env.release();
        self.mod_env.release();
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
    /// the voice has finished (envelope or fade at zero). (The synth renders
    /// its voices in groups instead, so their filters run side by side:
    /// [`render_group`].)
    pub fn render(
        &mut self,
        ctx: &BlockContext,
        mods: VoiceMods,
        out_l: &mut [f32],
        out_r: &mut [f32],
    ) -> bool {
        let mut sounding = true;
        let voices = [Some(self), None, None, None];
        render_group(ctx, voices, &[mods; FILTER_LANES], out_l, out_r, |_| {
            sounding = false
        });
        sounding
    }

    /// The first part of a block: glide, position and the oscillators into
    /// `block` (added to it), and the filter this block needs; `None` when the
    /// filter is open and out of the path (its state is then cleared).
    fn begin_block(
        &mut self,
        ctx: &BlockContext,
        mods: VoiceMods,
        block: &mut StereoBlock,
    ) -> Option<FilterPlan> {
        let n = ctx.n.min(CONTROL_BLOCK);
        self.pitch += (self.target_pitch - self.pitch) * ctx.glide_coef;
        let pitch = self.pitch + ctx.pitch_offset + mods.pitch;
        let pos_end = (ctx.position.1 + mods.position).clamp(0.0, 1.0);
        let pos_start = self
            .position
            .unwrap_or_else(|| (ctx.position.0 + mods.position).clamp(0.0, 1.0));
        self.position = Some(pos_end);

        let [osc_l, osc_r] = block;
        let (phases, levels) = self.render_oscillators(
            ctx,
            pitch,
            (pos_start, pos_end),
            &mut osc_l[..n],
            &mut osc_r[..n],
        );
        self.phases = phases;
        self.levels = levels;
        let sources = &ctx.sources;
        self.sources.render(
            sources,
            sources.sub_level + mods.sub_level,
            sources.noise_level + mods.noise_level,
            pitch,
            ctx.sample_rate,
            &mut osc_l[..n],
            &mut osc_r[..n],
        );

        let env = self.filter_env.advance(&ctx.filter_shape, n);
        self.mod_env.advance(&ctx.mod_shape, n);
        // The key as tuned: a filter that tracks the keyboard follows the scale.
        let semis = ctx.key_track * (self.target_pitch - 60.0)
            + ctx.filter_env_amount * env
            + ctx.lfo_cutoff;
        // (`SvfCoefs::new` clamps the sum to the resonance's range.)
        let resonance = ctx.resonance + mods.resonance;
        let (cutoff, coefs) = self.coefs.coefs(
            ctx.filter_mode,
            (ctx.cutoff, mods.cutoff_ratio, semis),
            resonance,
            ctx.sample_rate,
        );
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
            None
        } else {
            Some(FilterPlan {
                coefs,
                wet: 1.0 - dry,
            })
        }
    }

    /// The last part of a block: the amp envelope, velocity, pan and fade
    /// applied to the (filtered) `block`, added into `out_l`/`out_r`. Returns
    /// false once the voice has finished.
    fn finish_block(
        &mut self,
        ctx: &BlockContext,
        mods: VoiceMods,
        block: &StereoBlock,
        out_l: &mut [f32],
        out_r: &mut [f32],
    ) -> bool {
        let n = ctx.n.min(CONTROL_BLOCK).min(out_l.len()).min(out_r.len());
        let [osc_l, osc_r] = block;
        let sens = ctx.velocity_sensitivity.clamp(0.0, 1.0);
        let velocity_gain = (1.0 - sens + sens * self.velocity) * mods.gain.clamp(0.0, 16.0);
        // Balance: a pan turns the far side down, the near side stays.
        let pan = mods.pan.clamp(-1.0, 1.0);
        let (pan_l, pan_r) = ((1.0 - pan).min(1.0), (1.0 + pan).min(1.0));
        let mut gains = [0.0f32; CONTROL_BLOCK];
        self.amp.fill(&ctx.amp_shape, &mut gains[..n]);
        for gain in gains[..n].iter_mut() {
            *gain *= velocity_gain;
        }
        if let Some(fade) = &mut self.fade {
            for gain in gains[..n].iter_mut() {
                *gain *= fade.gain;
                fade.gain = (fade.gain - fade.step).max(0.0);
            }
        }
        for i in 0..n {
            out_l[i] += osc_l[i] * gains[i] * pan_l;
            out_r[i] += osc_r[i] * gains[i] * pan_r;
        }

        let finished = !self.amp.is_active() || self.fade.is_some_and(|f| f.gain <= 0.0);
        if finished {
            self.active = false;
        }
        !finished
    }

    /// Renders every unison oscillator from the voice's phases into the
    /// buffers, crossfading from the old table while one fades out; returns
    /// the phases and mip levels after. An oscillator whose mip level changed
    /// since the last block (a glide or bend crossed a level) crossfades from
    /// the old level to the new one over this block.
    fn render_oscillators(
        &mut self,
        ctx: &BlockContext,
        pitch: f32,
        position: (f32, f32),
        out_l: &mut [f32],
        out_r: &mut [f32],
    ) -> ([u32; MAX_UNISON], [Option<u8>; MAX_UNISON]) {
        let n = out_l.len();
        ctx.ramps.with(ctx, position, n, |reads| {
            self.render_lanes(ctx, pitch, reads, out_l, out_r)
        })
    }

    /// [`Voice::render_oscillators`] with what the block's notes read.
    fn render_lanes(
        &mut self,
        ctx: &BlockContext,
        pitch: f32,
        reads: TableReads,
        out_l: &mut [f32],
        out_r: &mut [f32],
    ) -> ([u32; MAX_UNISON], [Option<u8>; MAX_UNISON]) {
        let n = out_l.len();
        let set = ctx.table;
        let mut lanes = self.lanes.for_note(
            set,
            &ctx.unison,
            pitch,
            ctx.sample_rate,
            ctx.lane_epoch,
            self.phases,
        );
        let levels: [Option<u8>; MAX_UNISON] =
            std::array::from_fn(|j| lanes.level(j).map(|k| k as u8));
        let mut from = [None; MAX_UNISON];
        let mut changed = false;
        for j in 0..ctx.unison.count {
            if let (Some(old), Some(new)) = (self.levels[j], levels[j]) {
                if old != new {
                    from[j] = Some(usize::from(old));
                    changed = true;
                }
            }
        }
        if changed {
            let mut old_lanes = lanes.with_levels(set, &from);
            let (mut old_l, mut old_r) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
            render_reads(
                ctx.simd,
                reads,
                &mut old_lanes,
                &mut old_l[..n],
                &mut old_r[..n],
            );
            let (mut new_l, mut new_r) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
            render_reads(
                ctx.simd,
                reads,
                &mut lanes,
                &mut new_l[..n],
                &mut new_r[..n],
            );
            for i in 0..n {
                let w = i as f32 / n as f32;
                out_l[i] += old_l[i] + (new_l[i] - old_l[i]) * w;
                out_r[i] += old_r[i] + (new_r[i] - old_r[i]) * w;
            }
        } else {
            render_reads(ctx.simd, reads, &mut lanes, out_l, out_r);
        }
        (lanes.phase, levels)
    }
}

/// Renders one control block of up to [`FILTER_LANES`] voices (`mods[k]` is
/// `voices[k]`'s modulation): every voice's oscillators, then the group's
/// filters stepped side by side (their serial chains overlap), then each
/// voice's envelope, pan and fade mixed into `out_l`/`out_r` in group order.
/// `ended` hears of each voice that finished in this block.
pub fn render_group(
    ctx: &BlockContext,
    mut voices: [Option<&mut Voice>; FILTER_LANES],
    mods: &[VoiceMods; FILTER_LANES],
    out_l: &mut [f32],
    out_r: &mut [f32],
    mut ended: impl FnMut(&Voice),
) {
    let mut blocks = [[[0.0f32; CONTROL_BLOCK]; 2]; FILTER_LANES];
    let mut batch = FilterBatch::default();
    let mut filtered = [false; FILTER_LANES];
    for (k, voice) in voices.iter_mut().enumerate() {
        let Some(voice) = voice else { continue };
        if let Some(plan) = voice.begin_block(ctx, mods[k], &mut blocks[k]) {
            batch.set(k, voice.svf, &plan.coefs, plan.wet);
            filtered[k] = true;
        }
    }
    batch.run(ctx.filter_mode, &mut blocks, ctx.n);
    for (k, voice) in voices.iter_mut().enumerate() {
        let Some(voice) = voice else { continue };
        if filtered[k] {
            voice.svf = batch.state(k);
        }
        if !voice.finish_block(ctx, mods[k], &blocks[k], out_l, out_r) {
            ended(voice);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oscillator::{render_unison, Lane, TableFade, UnisonLanes};
    use crate::wavetable::{level_for, level_harmonics};
    use nwt_model::Shape;

    const SR: f32 = 48_000.0;

    fn context<'a>(
        table: &'a WavetableSet,
        pitch_offset: f32,
        simd: Simd,
        ramps: &'a RampCache,
    ) -> BlockContext<'a> {
        BlockContext {
            n: CONTROL_BLOCK,
            sample_rate: SR,
            table,
            previous: None,
            position: (0.0, 0.0),
            pitch_offset,
            unison: UnisonSpread::new(1, 0.0, 0.0),
            filter_mode: FilterMode::LowPass,
            cutoff: 20_000.0,
            resonance: 0.0,
            key_track: 0.0,
            filter_env_amount: 0.0,
            lfo_cutoff: 0.0,
            amp_shape: AdsrShape::new(0.0, 0.0, 1.0, 10.0, SR),
            filter_shape: AdsrShape::new(0.0, 0.0, 1.0, 10.0, SR),
            mod_shape: AdsrShape::new(0.0, 0.0, 1.0, 10.0, SR),
            glide_coef: 1.0,
            velocity_sensitivity: 0.0,
            sources: Default::default(),
            simd,
            ramps,
            lane_epoch: 0,
        }
    }

    /// A voice playing `key` from `phases`.
    fn started(key: u8, phases: u32) -> Voice {
        let mut voice = Voice::default();
        let note = NoteStart {
            id: None,
            channel: 0,
            key,
            velocity: 1.0,
            age: 0,
            glide_from: None,
            pitch: f32::from(key),
        };
        voice.start(note, [phases; MAX_UNISON]);
        voice
    }

    /// A fresh voice on `key` rendered alone (a ramp cache of its own) with
    /// `mods`, added into `out`.
    fn alone(table: &WavetableSet, simd: Simd, key: u8, mods: VoiceMods, out: &mut StereoBlock) {
        let [l, r] = out;
        started(key, 0x2468_ace0).render(
            &context(table, 0.0, simd, &RampCache::default()),
            mods,
            l,
            r,
        );
    }

    /// A saw crossing from mip level 3 to 4 between two blocks (as in a glide
    /// or bend) fades from the old level's output to the new one's over the
    /// block instead of jumping.
    #[test]
    fn a_mip_level_change_crossfades_over_the_block() {
        let saw = WavetableSet::from_harmonics(&[Shape::Saw.harmonics()]).unwrap();
        // Level 3 holds up to the frequency where its top harmonic reaches Nyquist.
        let edge = SR / (2.0 * level_harmonics(3) as f32);
        let semis = |f: f32| 69.0 + 12.0 * (f / 440.0).log2();
        let key = 60u8;
        let (below, above) = (semis(edge) - 0.02 - 60.0, semis(edge) + 0.02 - 60.0);
        for simd in Simd::available() {
            let mut voice = started(key, 0x1234_5678);
            let (mut l, mut r) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
            voice.render(
                &context(&saw, below, simd, &RampCache::default()),
                VoiceMods::default(),
                &mut l,
                &mut r,
            );
            assert_eq!(voice.levels[0], Some(3));

            // What the old and the new level each play in the next block.
            let freq = 440.0 * ((60.0 + above - 69.0) / 12.0).exp2();
            assert_eq!(level_for(freq / SR), Some(4));
            let ramp = FrameRamp::new(&saw, 0.0, 0.0, CONTROL_BLOCK);
            let play = |level: usize| {
                let mut lanes = UnisonLanes::new(&saw, 1, voice.phases);
                let lane = Lane {
                    inc: crate::oscillator::increment(freq, SR).unwrap(),
                    level,
                    gain_l: 1.0,
                    gain_r: 1.0,
                };
                lanes.set(&saw, 0, Some(lane));
                let mut out = [0.0f32; CONTROL_BLOCK];
                let mut right = [0.0f32; CONTROL_BLOCK];
                render_unison(
                    Simd::Scalar,
                    &saw,
                    &ramp,
                    None::<TableFade>,
                    &mut lanes,
                    &mut out,
                    &mut right,
                );
                out
            };
            let (old, new) = (play(3), play(4));

            let mut hard = voice.clone();
            hard.levels = [None; MAX_UNISON];
            let (mut faded, mut switched) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
            voice.render(
                &context(&saw, above, simd, &RampCache::default()),
                VoiceMods::default(),
                &mut faded,
                &mut r,
            );
            hard.render(
                &context(&saw, above, simd, &RampCache::default()),
                VoiceMods::default(),
                &mut switched,
                &mut r,
            );
            assert_eq!(voice.levels[0], Some(4));
            // A hard switch jumps by the harmonics level 4 leaves out...
            let jump = (switched[0] - old[0]).abs();
            assert!(jump > 1e-3, "{simd:?}: the levels differ by {jump}");
            // ...the crossfade starts on the old level and ends on the new one.
            for i in 0..CONTROL_BLOCK {
                let w = i as f32 / CONTROL_BLOCK as f32;
                let want = old[i] + (new[i] - old[i]) * w;
                assert!((faded[i] - want).abs() < 1e-5, "{simd:?} sample {i}");
            }
            println!("{simd:?}: a hard switch would jump by {jump:.4}; the fade starts {:.1e} from the old level", (faded[0] - old[0]).abs());
        }
    }

    /// Voices of one block at different positions (a voice's own position
    /// modulation) share one [`RampCache`] and each still plays what it plays
    /// alone with a cache of its own.
    #[test]
    fn voices_at_different_positions_sharing_one_ramp_cache_play_as_alone() {
        let table =
            WavetableSet::from_harmonics(&Shape::morph(&[Shape::Sine, Shape::Saw], 16)).unwrap();
        let positions = [0.0, 0.3, 0.0, 0.7];
        let mods: [VoiceMods; FILTER_LANES] = std::array::from_fn(|k| VoiceMods {
            position: positions[k],
            ..VoiceMods::default()
        });
        for simd in Simd::available() {
            let shared = RampCache::default();
            let ctx = context(&table, 0.0, simd, &shared);
            let mut voices: Vec<Voice> = (0..4)
                .map(|k| started(48 + 7 * k as u8, 0x2468_ace0))
                .collect();
            let (mut l, mut r) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
            let mut members = voices.iter_mut();
            let group = std::array::from_fn(|_| members.next());
            render_group(&ctx, group, &mods, &mut l, &mut r, |_| {});

            let mut apart = [[0.0f32; CONTROL_BLOCK]; 2];
            for (k, m) in mods.iter().enumerate() {
                alone(&table, simd, 48 + 7 * k as u8, *m, &mut apart);
            }
            let moved = crate::analysis::largest_difference(&l, &apart[0]);
            assert!(
                moved < 1e-6,
                "{}: shared cache differs by {moved}",
                simd.name()
            );
            assert!(crate::analysis::largest_difference(&r, &apart[1]) < 1e-6);
            // The positions matter: voice 2 at 0.3 is not voice 2 at 0.
            let (mut other, mut at) = ([[0.0f32; CONTROL_BLOCK]; 2], [[0.0f32; CONTROL_BLOCK]; 2]);
            alone(&table, simd, 55, VoiceMods::default(), &mut other);
            alone(&table, simd, 55, mods[1], &mut at);
            assert!(crate::analysis::largest_difference(&other[0], &at[0]) > 1e-3);
        }
    }
}
