//! The voice manager: note events in, stereo audio out.
//!
//! [`Synth::process`] renders any block length in control blocks of at most
//! [`CONTROL_BLOCK`] samples, split exactly at event times. It allocates
//! nothing, takes no lock and does no I/O: every buffer lives in the struct or
//! on the stack, and the factory tables are built in [`Synth::new`].

use crate::controllers::{finite_in, Controllers};
use crate::effects::EffectsRack;
use crate::envelope::AdsrShape;
use crate::factory;
use crate::factory::TableSource;
use crate::filter::FILTER_LANES;
use crate::lfo::{Lfo, LfoMode, LfoMotion, LfoShape};
use crate::modulation::{self, SourceValues};
use crate::neural::{DecoderInputs, TableLink};
use crate::oscillator::{LaneEpoch, Simd, UnisonSpread};
use crate::params::{PhaseMode, SynthParams, POLY_CUTOFF, POLY_PITCH, POLY_POSITION};
use crate::voice::{render_group, BlockContext, NoteStart, RampCache, Voice, VoiceMods};
use crate::wavetable::WavetableSet;
use crate::{CONTROL_BLOCK, MAX_UNISON, MAX_VOICES};
use nice_plug::prelude::Param;
use nwt_model::rng::Rng;
use std::sync::Arc;

mod hold;
mod mods;
mod notes;

/// Voices that may still be fading out after being stolen, beyond [`MAX_VOICES`].
const FADE_SLOTS: usize = 16;
/// Every voice slot: the playing ones and the fading ones.
const VOICE_SLOTS: usize = MAX_VOICES + FADE_SLOTS;
/// Fade-out of a stolen voice, in seconds.
const STEAL_FADE: f32 = 0.004;
/// Fade-out of a choked voice, in seconds.
const CHOKE_FADE: f32 = 0.001;
/// Longest a note start waits, in seconds, for the table of a sound just
/// loaded (a preset, a DAW state, new anchors) while the worker builds it, so
/// the old or the fallback table is never heard for a table coming within a
/// block or two (BENCHMARKS.md has the time to the first table after a load).
pub const LOAD_HOLD: f32 = 0.025;
/// Note starts that can wait for a table at once (more start at once).
const HOLD_CAPACITY: usize = 64;
/// Crossfade from one wavetable to the next, in seconds.
const TABLE_FADE: f32 = 0.005;
/// Start phases of the unison voices in "Fixed" phase mode, added to the set
/// phase (32-bit fractions of a cycle; the first voice's is 0, so one voice
/// starts exactly at the set phase). A fixed table, searched once so that for
/// every unison count each of the first 24 harmonics of the voices' sum has
/// about the power of independent voices (with 16 voices: 0.6–2.4×, mean
/// 1.16×) and a sum of saws peaks at most 2 dB above one saw, where voices
/// starting in phase sum to 16× the power at note-on (+12 dB) and evenly
/// spread phases (the golden ratio's steps) cancel the fundamental. With 2–4
/// voices some harmonic is always weak at note-on (two voices at any fixed
/// offset comb-filter); detune moves the notches within the first beats.
const UNISON_START_PHASES: [u32; 16] = [
    0,
    3_863_302_995,
    2_453_290_753,
    2_496_135_501,
    3_593_250_577,
    2_471_998_220,
    758_814_681,
    3_731_120_597,
    908_350_609,
    3_477_447_782,
    477_029_389,
    2_853_872_258,
    261_096_550,
    1_912_491_076,
    2_430_706_582,
    3_140_598_720,
];

pub use crate::events::{EventIo, SliceEvents, SynthEvent, Transport, VoiceEnd};

/// Smoothed global values at the end of the previous control block.
#[derive(Debug, Clone, Copy, Default)]
struct Previous {
    position: Option<f32>,
    gain: Option<f32>,
}

/// Which table a slot of the synth refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TableSlot {
    /// A factory table in the bank.
    Bank(usize),
    /// The newest table from the decoder worker (neural, or an imported table).
    Neural,
    /// The neural table being faded out after a swap.
    Retired,
}

/// Bank index played while the neural table has not arrived yet (the saw).
fn fallback_index() -> usize {
    TableSource::Saw.index().unwrap_or(0)
}

fn resolve<'a>(
    bank: &'a [WavetableSet],
    neural: &'a Option<Box<WavetableSet>>,
    retired: &'a Option<Box<WavetableSet>>,
    slot: TableSlot,
) -> &'a WavetableSet {
    let fallback = &bank[fallback_index()];
    match slot {
        TableSlot::Bank(i) => bank.get(i).unwrap_or(fallback),
        TableSlot::Neural => neural.as_deref().unwrap_or(fallback),
        TableSlot::Retired => retired.as_deref().unwrap_or(fallback),
    }
}

/// The synthesizer: voices, tables, LFO and the parameters they read.
///
/// Neural tables arrive from the decoder worker over a [`TableLink`]: at the
/// start of each control block (at most [`CONTROL_BLOCK`] samples) the synth
/// takes the newest set (when no fade is running), crossfades from the old one over `TABLE_FADE` (5 ms) and hands the
/// old one back for the worker to free. It never waits and never frees a set.
pub struct Synth {
    params: Arc<SynthParams>,
    sample_rate: f32,
    /// The factory tables (shared by every synth in the process).
    bank: Arc<[WavetableSet]>,
    neural: Option<Box<WavetableSet>>,
    retired: Option<Box<WavetableSet>>,
    link: Option<TableLink>,
    swaps: u64,
    current: TableSlot,
    fade: Option<(TableSlot, f32)>,
    voices: Vec<Voice>,
    next_age: u64,
    rng: Rng,
    lfo: Lfo,
    /// LFO 2 (read only through the modulation matrix).
    lfo2: Lfo,
    /// LFO 1's and LFO 2's values at the end of the last control block (what
    /// the matrix reads this block).
    lfo_values: [f32; 2],
    /// How each LFO runs this block (mode, phase, delay, fade-in).
    lfo_motion: [LfoMotion; 2],
    /// Each LFO's shape this block.
    lfo_shapes: [LfoShape; 2],
    /// A per-voice LFO 1's fixed route depths this block (position, cutoff
    /// semitones), applied to each voice; zero for a global LFO 1.
    lfo_fixed: (f32, f32),
    /// Draws each note's random value (apart from `rng`, so the phases it
    /// draws are what they were before).
    note_rng: Rng,
    controllers: Controllers,
    /// Note starts waiting for the table of a newly loaded sound.
    held: Vec<HeldNote>,
    /// Samples the held notes have waited.
    held_for: usize,
    /// The sound revision whose table the synth stopped waiting for.
    gave_up: Option<u64>,
    /// What the decoder's table depended on when last looked at: a change
    /// wakes the worker.
    decoder_inputs: DecoderInputs,
    /// Output samples the last-line sanitiser had to replace (NaN or infinite).
    sanitized: u64,
    last_pitch: Option<f32>,
    previous: Previous,
    /// The oscillator kernel (the fastest the CPU has).
    simd: Simd,
    /// Numbers what the voices' unison lanes depend on besides their pitch.
    lane_epoch: LaneEpoch,
    /// The effects rack after the voices (its lines sized for `sample_rate`).
    rack: EffectsRack,
}

/// A note start waiting for its table (see [`LOAD_HOLD`]).
#[derive(Debug, Clone, Copy)]
struct HeldNote {
    voice_id: Option<i32>,
    channel: u8,
    key: u8,
    velocity: f32,
    /// Its note-off came while it waited: it starts and is released at once.
    released: bool,
}

/// `Some(id)` when the event names a note id; used to match events to voices.
fn matches(voice: &Voice, voice_id: Option<i32>, channel: u8, key: u8) -> bool {
    match voice_id {
        Some(id) => voice.id == Some(id),
        None => voice.channel == channel && voice.key == key,
    }
}

fn finite_or(v: f32, fallback: f32) -> f32 {
    if v.is_finite() {
        v
    } else {
        fallback
    }
}

impl Synth {
    /// Creates a synth for `sample_rate`, building the factory tables and
    /// snapping the parameter smoothers to their values (allocates).
    pub fn new(params: Arc<SynthParams>, sample_rate: f32) -> Self {
        params.reset_smoothers(sanitize_rate(sample_rate));
        crate::sources::prepare();
        let mut synth = Self {
            params,
            sample_rate: sanitize_rate(sample_rate),
            bank: factory::shared_bank(),
            neural: None,
            retired: None,
            link: None,
            swaps: 0,
            current: TableSlot::Bank(fallback_index()),
            fade: None,
            voices: vec![Voice::default(); VOICE_SLOTS],
            next_age: 0,
            rng: Rng::new(0x5eed),
            lfo: Lfo::default(),
            lfo2: Lfo::default(),
            lfo_values: [0.0; 2],
            lfo_motion: [LfoMotion::default(); 2],
            lfo_shapes: [LfoShape::Sine; 2],
            lfo_fixed: (0.0, 0.0),
            note_rng: Rng::new(0x2a7d),
            controllers: Controllers::default(),
            held: Vec::with_capacity(HOLD_CAPACITY),
            held_for: 0,
            gave_up: None,
            decoder_inputs: DecoderInputs::default(),
            sanitized: 0,
            last_pitch: None,
            previous: Previous::default(),
            simd: Simd::best(),
            lane_epoch: LaneEpoch::default(),
            rack: EffectsRack::new(sanitize_rate(sample_rate)),
        };
        synth.current = synth.wanted_table();
        synth.rack.set_simd(synth.simd);
        synth
    }

    /// Runs the oscillators, the drive and the reverb on `simd` (the scalar
    /// kernel when the CPU lacks it); for comparisons and benchmarks.
    pub fn set_simd(&mut self, simd: Simd) {
        self.simd = simd.or_scalar();
        self.rack.set_simd(self.simd);
    }

    /// The parameters this synth reads.
    pub fn params(&self) -> &Arc<SynthParams> {
        &self.params
    }

    /// Changes the sample rate and snaps the parameter smoothers (call when the
    /// host activates the plugin, off the audio thread).
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sanitize_rate(sample_rate);
        self.params.reset_smoothers(self.sample_rate);
        if (self.rack.sample_rate() - self.sample_rate).abs() > 0.5 {
            // Allocates: the rack's lines are sized for the new rate.
            self.rack = EffectsRack::new(self.sample_rate);
            self.rack.set_simd(self.simd);
        }
        self.reset();
    }

    /// The sample rate in use.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Silences every voice and clears modulation state (no allocation).
    pub fn reset(&mut self) {
        for v in &mut self.voices {
            v.kill();
        }
        self.current = self.wanted_table();
        self.fade = None;
        self.lfo.reset();
        self.lfo2.reset();
        self.lfo_values = [0.0; 2];
        self.note_rng = Rng::new(0x2a7d);
        self.controllers = Controllers::default();
        self.held.clear();
        self.held_for = 0;
        self.params
            .set_macro_modulation(&[0.0; nwt_model::model::MACROS]);
        self.params
            .set_knob_modulation(&[0.0; nwt_model::semantic::DESCRIPTORS]);
        self.last_pitch = None;
        self.previous = Previous::default();
        self.rng = Rng::new(0x5eed);
        self.next_age = 0;
        self.rack.reset();
    }

    /// Whether anything still sounds: a voice, or an effect's tail (the
    /// rack sleeps once its tails have fallen below −120 dB).
    pub fn is_sounding(&self) -> bool {
        self.voices.iter().any(|v| v.active) || !self.held.is_empty() || !self.rack.is_asleep()
    }

    /// Notes sounding (including releasing and fading voices).
    pub fn active_voices(&self) -> usize {
        self.voices.iter().filter(|v| v.active).count()
    }

    /// The table currently playing.
    pub fn current_table(&self) -> &WavetableSet {
        resolve(&self.bank, &self.neural, &self.retired, self.current)
    }

    /// Connects the synth to a decoder worker's queues (call off the audio
    /// thread, e.g. when the plugin is activated). `None` disconnects.
    pub fn set_table_link(&mut self, link: Option<TableLink>) {
        self.link = link;
    }

    /// The serial of the table playing now (see [`WavetableSet::serial`]).
    pub fn playing_serial(&self) -> u64 {
        self.current_table().serial()
    }

    /// Writes the voices' table positions and the playing table's serial into
    /// `report` (audio thread: no allocation).
    pub fn fill_report(&self, report: &mut crate::telemetry::AudioReport) {
        let mut n = 0;
        for p in self.voices.iter().filter_map(Voice::table_position) {
            if n == report.positions.len() {
                break;
            }
            report.positions[n] = p;
            n += 1;
        }
        report.voices = n;
        report.table_serial = self.playing_serial();
        report.sanitized = self.sanitized;
    }

    /// Output samples the last-line sanitiser had to replace because they
    /// were NaN or infinite, since the synth was made. Every computation
    /// before it guards its inputs, so this stays 0 whatever a host sends;
    /// the tests check it, and the editor's telemetry shows it.
    pub fn sanitized_samples(&self) -> u64 {
        self.sanitized
    }

    /// Sounding voices (for tests).
    pub fn voices(&self) -> impl Iterator<Item = &Voice> {
        self.voices.iter().filter(|v| v.active)
    }

    /// Neural tables taken from the worker so far.
    pub fn table_swaps(&self) -> u64 {
        self.swaps
    }

    /// True while an old table fades out under a new one.
    pub fn is_fading_tables(&self) -> bool {
        self.fade.is_some()
    }

    /// The table the parameters ask for: a factory table, the neural table, or
    /// the saw while the first neural table is still being decoded.
    fn wanted_table(&self) -> TableSlot {
        match self.params.table.value().index() {
            Some(i) => TableSlot::Bank(i.min(self.bank.len() - 1)),
            None if self.neural.is_some() => TableSlot::Neural,
            None => TableSlot::Bank(fallback_index()),
        }
    }

    /// Follows the `table` parameter and newly arrived tables: a change
    /// crossfades from the old table to the new one (a change asked for during
    /// a fade waits for it to end; with nothing sounding the switch is immediate).
    fn choose_table(&mut self) {
        let wanted = self.wanted_table();
        if wanted != self.current && self.fade.is_none() {
            if self.active_voices() > 0 {
                self.fade = Some((self.current, 1.0));
            }
            self.current = wanted;
        }
    }

    /// At a block boundary: hands back a faded-out set and takes the newest
    /// set from the worker. Lock-free and allocation-free; a full return queue
    /// keeps the set for the next block rather than freeing it here.
    fn receive_table(&mut self) {
        let Some(link) = &self.link else {
            return;
        };
        if self.fade.is_none() {
            if let Some(old) = self.retired.take() {
                if let Err(old) = link.returns.push(old) {
                    self.retired = Some(old);
                }
            }
        }
        if self.fade.is_some() || self.retired.is_some() {
            return;
        }
        let Some(new) = link.incoming.pop() else {
            return;
        };
        self.swaps += 1;
        let audible = self.current == TableSlot::Neural && self.active_voices() > 0;
        if let Some(old) = self.neural.replace(new) {
            if audible {
                self.retired = Some(old);
                self.fade = Some((TableSlot::Retired, 1.0));
            } else if let Err(old) = link.returns.push(old) {
                self.retired = Some(old);
            }
        }
    }

    /// Renders `left.len()` samples (the two buffers should be equally long; the
    /// shorter length is used) into the buffers, overwriting them. `io` yields
    /// the block's events in timing order and hears of every voice that ends.
    pub fn process(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        transport: Transport,
        io: &mut impl EventIo,
    ) {
        let len = left.len().min(right.len());
        left[..len].fill(0.0);
        right[..len].fill(0.0);
        // Host automation arrives between blocks: wake the worker now.
        self.wake_worker_on_change();
        self.sync_lfo(transport);
        let mut pending = io.next_event();
        let mut pos = 0;
        while pos < len {
            // Table changes first, so a note starting here starts on the new table.
            self.receive_table();
            self.choose_table();
            self.start_held_notes(pos as u32, &mut |e| io.voice_ended(e));
            while let Some(event) = pending {
                if event.timing() as usize > pos {
                    break;
                }
                if !self.hold(event) {
                    self.handle_event(event, pos as u32, &mut |e| io.voice_ended(e));
                }
                pending = io.next_event();
            }
            let next_timing = pending.map_or(len, |e| (e.timing() as usize).clamp(pos + 1, len));
            let end = next_timing.min(pos + CONTROL_BLOCK).min(len);
            if !self.held.is_empty() {
                self.held_for += end - pos;
            }
            self.render_block(
                &mut left[pos..end],
                &mut right[pos..end],
                transport,
                pos as u32,
                &mut |e| io.voice_ended(e),
            );
            pos = end;
        }
        // Events stamped past the end of the block still apply.
        while let Some(event) = pending {
            self.handle_event(event, len.saturating_sub(1) as u32, &mut |e| {
                io.voice_ended(e)
            });
            pending = io.next_event();
        }
        // The modulation matrix may have moved a macro during the block.
        self.wake_worker_on_change();
    }

    /// Wakes the decoder worker when what its table depends on changed
    /// (lock-free; the worker otherwise sleeps).
    fn wake_worker_on_change(&mut self) {
        let Some(link) = &self.link else {
            return;
        };
        let inputs = DecoderInputs::read(&self.params);
        if inputs != self.decoder_inputs {
            self.decoder_inputs = inputs;
            link.wake();
        }
    }

    fn render_block(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        transport: Transport,
        offset: u32,
        on_end: &mut impl FnMut(VoiceEnd),
    ) {
        let n = left.len();
        let sr = self.sample_rate;
        let p = self.params.clone();
        let steps = n as u32;

        let fade_step = n as f32 / (TABLE_FADE * sr);
        let previous = self.fade.map(|(from, w0)| {
            let w1 = (w0 - fade_step).max(0.0);
            (from, w0, w1)
        });
        self.fade = previous.and_then(|(from, _, w1)| (w1 > 0.0).then_some((from, w1)));

        self.lfo_motion = [p.lfo_motion.motion(0), p.lfo_motion.motion(1)];
        self.lfo_shapes = [p.lfo_shape.value(), p.lfo2_shape.value()];
        let mpe = p.mpe.value();
        let routes = p.mod_routes();
        let shared = self.shared_sources(mpe);
        let shared_targets = modulation::shared_targets(&routes, &shared);
        p.set_macro_modulation(&shared_targets.macros);
        p.set_knob_modulation(&shared_targets.knobs);

        let [lfo_shape, lfo2_shape] = self.lfo_shapes;
        let [motion, motion2] = self.lfo_motion;
        // LFO 1's fixed routes (position, cutoff) read it as the matrix's
        // shared destinations do: faded in by the newest held note's age.
        let lfo_depth = self.newest_note_lfo_depth(0);
        let lfo_start = self.lfo.value_ahead(lfo_shape, motion.phase) * lfo_depth;
        let lfo_speed = f64::from(finite_in(shared_targets.lfo_octaves, -16.0, 16.0, 0.0)).exp2();
        let lfo_cycles = self.lfo_cycles_per_sample(transport, 0) * lfo_speed;
        self.lfo.advance(lfo_cycles * n as f64);
        let lfo_end = self.lfo.value_ahead(lfo_shape, motion.phase) * lfo_depth;
        let lfo2_speed = f64::from(finite_in(shared_targets.lfo2_octaves, -16.0, 16.0, 0.0)).exp2();
        let lfo2_cycles = self.lfo_cycles_per_sample(transport, 1) * lfo2_speed;
        self.lfo2.advance(lfo2_cycles * n as f64);
        self.lfo_values = [
            self.lfo.value_ahead(lfo_shape, motion.phase),
            self.lfo2.value_ahead(lfo2_shape, motion2.phase),
        ];
        // A per-voice LFO 1 takes its fixed routes to each voice instead.
        let voice_lfo1 = motion.mode == LfoMode::Voice;
        let (lfo_start, lfo_end) = if voice_lfo1 {
            (0.0, 0.0)
        } else {
            (lfo_start, lfo_end)
        };

        let pos_param = finite_or(p.position.smoothed.next_step(steps), 0.0);
        let pos_param_start = self.previous.position.unwrap_or(pos_param);
        self.previous.position = Some(pos_param);
        let lfo_pos = finite_or(p.lfo_to_position.smoothed.next_step(steps), 0.0);
        let lfo_cut = finite_or(p.lfo_to_cutoff.smoothed.next_step(steps), 0.0).clamp(-96.0, 96.0);
        self.lfo_fixed = if voice_lfo1 {
            (lfo_pos, lfo_cut)
        } else {
            (0.0, 0.0)
        };
        let position = (
            (pos_param_start + lfo_start * lfo_pos).clamp(0.0, 1.0),
            (pos_param + lfo_end * lfo_pos).clamp(0.0, 1.0),
        );

        // The smoothed values the voices read, read (and so moved on) in
        // every block, whether or not a voice sounds.
        let pitch = finite_or(p.pitch.smoothed.next_step(steps), 0.0);
        let detune = finite_or(p.detune.smoothed.next_step(steps), 0.0).clamp(0.0, 100.0);
        let spread = finite_or(p.spread.smoothed.next_step(steps), 0.0).clamp(0.0, 1.0);
        let cutoff = finite_or(p.cutoff.smoothed.next_step(steps), 20_000.0).clamp(20.0, 20_000.0);
        let resonance = finite_or(p.resonance.smoothed.next_step(steps), 0.0);
        let key_track = finite_or(p.key_track.smoothed.next_step(steps), 0.0).clamp(0.0, 1.0);
        let filter_env_amount =
            finite_or(p.filter_env_amount.smoothed.next_step(steps), 0.0).clamp(-96.0, 96.0);
        let sources = p.sources.settings(steps);

        if !self.voices.iter().any(|v| v.active) {
            // Nothing sounds: only what outlives the block moves on.
            self.effects_and_gain(left, right, transport, &shared_targets, true);
            return;
        }

        let glide_s = finite_or(p.glide.value(), 0.0).max(0.0) * 1e-3;
        let glide_coef = if glide_s * sr < 1.0 {
            1.0
        } else {
            1.0 - (-(n as f32) / (glide_s * sr)).exp()
        };
        let bend_range = p.bend_range.value().clamp(0, 48) as f32;

        let ramps = RampCache::default();
        let table = resolve(&self.bank, &self.neural, &self.retired, self.current);
        let unison = UnisonSpread::new(
            p.unison.value().clamp(1, MAX_UNISON as i32) as usize,
            detune,
            spread,
        );
        let ctx = BlockContext {
            n,
            sample_rate: sr,
            table,
            previous: previous.map(|(from, w0, w1)| {
                (
                    resolve(&self.bank, &self.neural, &self.retired, from),
                    w0,
                    w1,
                )
            }),
            position,
            pitch_offset: pitch + self.controllers.global_bend * bend_range,
            unison,
            filter_mode: p.filter_mode.value(),
            cutoff,
            resonance,
            key_track,
            filter_env_amount,
            lfo_cutoff: lfo_cut * lfo_end,
            amp_shape: AdsrShape::new(
                p.amp_attack.value(),
                p.amp_decay.value(),
                p.amp_sustain.value(),
                p.amp_release.value(),
                sr,
            ),
            filter_shape: AdsrShape::new(
                p.filter_attack.value(),
                p.filter_decay.value(),
                p.filter_sustain.value(),
                p.filter_release.value(),
                sr,
            ),
            mod_shape: AdsrShape::new(
                p.mod_env_attack.value(),
                p.mod_env_decay.value(),
                p.mod_env_sustain.value(),
                p.mod_env_release.value(),
                sr,
            ),
            glide_coef,
            velocity_sensitivity: finite_or(p.velocity_sensitivity.value(), 1.0),
            sources,
            simd: self.simd,
            ramps: &ramps,
            lane_epoch: self.lane_epoch.update(table, &unison, sr),
        };

        let end_timing = offset + n as u32 - 1;
        // Sounding voices in groups of FILTER_LANES, their filters side by side.
        let mut mods = [VoiceMods::default(); VOICE_SLOTS];
        for (m, voice) in mods.iter_mut().zip(&self.voices) {
            if voice.active {
                *m = self.voice_mods(voice, &routes, &shared, mpe);
            }
        }
        let mut sounding = self
            .voices
            .iter_mut()
            .zip(mods)
            .filter(|(voice, _)| voice.active)
            .peekable();
        while sounding.peek().is_some() {
            let mut group_mods = [VoiceMods::default(); FILTER_LANES];
            let group = std::array::from_fn(|k| {
                sounding.next().map(|(voice, m)| {
                    group_mods[k] = m;
                    voice
                })
            });
            render_group(&ctx, group, &group_mods, left, right, |voice| {
                on_end(VoiceEnd {
                    timing: end_timing,
                    voice_id: voice.id,
                    channel: voice.channel,
                    key: voice.key,
                })
            });
        }

        // Per-voice LFOs and the notes' ages move on.
        let cycles = [lfo_cycles * n as f64, lfo2_cycles * n as f64];
        for voice in self.voices.iter_mut().filter(|v| v.active) {
            voice.since_on = voice.since_on.saturating_add(n as u64);
            for (k, lfo) in voice.lfos.iter_mut().enumerate() {
                if self.lfo_motion[k].mode == LfoMode::Voice {
                    lfo.advance(cycles[k]);
                }
            }
        }

        self.effects_and_gain(left, right, transport, &shared_targets, false);
    }

    /// The block's last stage: the effects rack and the master gain (with
    /// the sanitiser). `silent`: no voice wrote into the block, so an asleep
    /// rack whose switches rest is skipped, and the gain with it (silence
    /// passes both unchanged).
    fn effects_and_gain(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        transport: Transport,
        shared_targets: &modulation::SharedTargets,
        silent: bool,
    ) {
        let p = &self.params;
        let n = left.len();
        let steps = n as u32;
        let skip_rack = silent && self.rack.stays_asleep(p.effects.switches());
        if !skip_rack {
            let mut fx = p.effects.settings();
            let add = |v: f32, by: f32| finite_or(v + by, v).clamp(0.0, 1.0);
            fx.drive.amount = add(fx.drive.amount, shared_targets.drive_amount);
            fx.delay.mix = add(fx.delay.mix, shared_targets.delay_mix);
            fx.reverb.mix = add(fx.reverb.mix, shared_targets.reverb_mix);
            self.rack.process(left, right, &fx, transport.tempo);
        }

        let gain_db = finite_or(
            p.gain.smoothed.next_step(steps),
            crate::params::DEFAULT_GAIN_DB,
        )
        .clamp(-60.0, 6.0);
        let gain_end = 10f32.powf(gain_db / 20.0);
        let gain_start = self.previous.gain.unwrap_or(gain_end);
        self.previous.gain = Some(gain_end);
        let step = (gain_end - gain_start) / n as f32;
        // (Silence the rack did not touch stays silence at any gain.)
        if !skip_rack {
            self.sanitized += apply_gain_and_sanitize(left, right, gain_start, step);
        }
    }
}

/// Multiplies the block by a gain ramp (`start + step·(i+1)`) and replaces
/// NaN, infinity and tiny values by 0; returns how many samples were NaN or
/// infinite (the sanitiser's count).
fn apply_gain_and_sanitize(left: &mut [f32], right: &mut [f32], start: f32, step: f32) -> u64 {
    let mut fixed = 0u64;
    for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
        let g = start + step * (i + 1) as f32;
        let (yl, yr) = (*l * g, *r * g);
        fixed += u64::from(!yl.is_finite()) + u64::from(!yr.is_finite());
        *l = sanitize_sample(yl);
        *r = sanitize_sample(yr);
    }
    fixed
}

/// Keeps the sample rate in a range the DSP handles (1 kHz to 1.536 MHz).
fn sanitize_rate(sample_rate: f32) -> f32 {
    if sample_rate.is_finite() {
        sample_rate.clamp(1_000.0, 1_536_000.0)
    } else {
        48_000.0
    }
}

/// Replaces NaN and infinity by silence and flushes denormals, so nothing
/// non-finite ever reaches the host.
#[inline]
fn sanitize_sample(x: f32) -> f32 {
    if x.is_finite() && x.abs() > 1e-30 {
        x
    } else {
        0.0
    }
}

#[cfg(test)]
mod sanitiser_tests {
    use super::*;

    #[test]
    fn the_sanitiser_counts_what_it_fixes() {
        let mut l = [0.5, f32::NAN, 1e-35, f32::INFINITY];
        let mut r = [f32::NEG_INFINITY, 0.25, 0.0, 2.0];
        let fixed = apply_gain_and_sanitize(&mut l, &mut r, 1.0, 0.0);
        assert_eq!(fixed, 3, "NaN, +inf, -inf");
        assert_eq!(
            l,
            [0.5, 0.0, 0.0, 0.0],
            "tiny values are flushed, not counted"
        );
        assert_eq!(r, [0.0, 0.25, 0.0, 2.0]);
    }
}
