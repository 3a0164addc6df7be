//! Offline rendering of notes and controller events through the same
//! [`Synth`] the plugin runs.

use crate::neural::DecoderWorker;
use crate::params::SynthParams;
use crate::synth::{SliceEvents, Synth, SynthEvent, Transport};
use std::time::Duration;

/// A note to render, in samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OfflineNote {
    /// MIDI key.
    pub key: u8,
    /// First sample of the note.
    pub start: u64,
    /// Sample at which the note is released.
    pub end: u64,
    /// Velocity `0..=1`.
    pub velocity: f32,
    /// MIDI channel `0..16` (matters for MPE and the sustain pedal).
    pub channel: u8,
}

/// An event at an absolute sample of a render (its own `timing` is ignored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedEvent {
    /// Sample at which it happens.
    pub at: u64,
    /// What happens.
    pub event: SynthEvent,
}

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    /// Samples per `process` call.
    pub block_size: usize,
    /// Longest tail rendered after the last event while voices or effect
    /// tails still sound.
    pub max_tail: u64,
    /// Render exactly this many samples after the last event (a DAW export
    /// with a fixed tail), whether or not anything still sounds.
    pub fixed_tail: Option<u64>,
    /// Once the voices have ended, the effects' tail is kept until it falls
    /// below this level (linear; `None` keeps it until the rack sleeps at
    /// −120 dB).
    pub tail_floor: Option<f32>,
    /// Tempo for the LFO's tempo sync and the synced delay.
    pub tempo: f64,
}

impl RenderOptions {
    /// 512-sample blocks, up to 30 s of tail kept down to −90 dBFS, 120 BPM.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            block_size: 512,
            max_tail: (30.0 * sample_rate) as u64,
            fixed_tail: None,
            tail_floor: Some(TAIL_FLOOR),
            tempo: 120.0,
        }
    }
}

/// −90 dBFS: where a render's effect tail is cut.
pub const TAIL_FLOOR: f32 = 3.162_277_7e-5;

/// Rendered stereo audio.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// Left channel.
    pub left: Vec<f32>,
    /// Right channel.
    pub right: Vec<f32>,
    /// Voices that ended during the render.
    pub voice_ends: usize,
    /// The sample where every voice had ended after the last event (the
    /// effects' tail, if any, follows it); `None` if the render stopped first.
    pub voices_ended_at: Option<usize>,
}

/// The note-ons and note-offs of `notes` (note `i` has note id `i`).
pub fn note_events(notes: &[OfflineNote]) -> Vec<TimedEvent> {
    let mut events = Vec::with_capacity(notes.len() * 2);
    for (i, note) in notes.iter().enumerate() {
        let voice_id = Some(i as i32);
        events.push(TimedEvent {
            at: note.start,
            event: SynthEvent::NoteOn {
                timing: 0,
                voice_id,
                channel: note.channel,
                key: note.key,
                velocity: note.velocity,
            },
        });
        events.push(TimedEvent {
            at: note.end.max(note.start + 1),
            event: SynthEvent::NoteOff {
                timing: 0,
                voice_id,
                channel: note.channel,
                key: note.key,
            },
        });
    }
    events
}

/// Renders `notes` until every note has been released and the synth is silent
/// (or `max_tail` has passed). Before each block, `hook(first_sample, params)`
/// may change parameters, as a host's automation would.
pub fn render(
    synth: &mut Synth,
    notes: &[OfflineNote],
    options: RenderOptions,
    hook: impl FnMut(u64, &SynthParams),
) -> Rendered {
    render_events(synth, note_events(notes), options, hook)
}

/// Renders `events` (notes, controllers, expressions, in any order) until
/// the last event has passed and the synth is silent (or `max_tail` has
/// passed). At equal times note-offs come before note-ons, and controllers
/// before both (a pedal pressed with a note holds it). Before each block,
/// `hook(first_sample, params)` may change parameters.
pub fn render_events(
    synth: &mut Synth,
    timeline: Vec<TimedEvent>,
    options: RenderOptions,
    mut hook: impl FnMut(u64, &SynthParams),
) -> Rendered {
    render_events_watched(synth, timeline, options, |pos, synth| {
        hook(pos, synth.params())
    })
}

/// [`render_events`] with a hook that sees the whole synth before each
/// block (what it plays, for measuring a render as it runs).
pub fn render_events_watched(
    synth: &mut Synth,
    mut timeline: Vec<TimedEvent>,
    options: RenderOptions,
    mut hook: impl FnMut(u64, &Synth),
) -> Rendered {
    let order = |e: &SynthEvent| match e {
        SynthEvent::NoteOn { .. } => 2,
        SynthEvent::NoteOff { .. } | SynthEvent::Choke { .. } => 1,
        _ => 0,
    };
    timeline.sort_by_key(|t| (t.at, order(&t.event)));
    let last_event = timeline.last().map_or(0, |t| t.at);
    let block = options.block_size.max(1);

    let mut out = Rendered::default();
    let (mut l, mut r) = (vec![0.0f32; block], vec![0.0f32; block]);
    let mut block_events = Vec::with_capacity(64);
    let mut next = 0;
    let mut pos = 0u64;
    loop {
        let events_done = next >= timeline.len();
        if events_done && synth.active_voices() == 0 && out.voices_ended_at.is_none() {
            out.voices_ended_at = Some(out.left.len());
        }
        let done = match options.fixed_tail {
            Some(tail) => pos >= last_event + tail,
            None => (events_done && !synth.is_sounding()) || pos >= last_event + options.max_tail,
        };
        if done {
            break;
        }
        hook(pos, synth);
        let end = pos + block as u64;
        block_events.clear();
        while next < timeline.len() && timeline[next].at < end {
            let TimedEvent { at, mut event } = timeline[next];
            *event.timing_mut() = (at - pos) as u32;
            block_events.push(event);
            next += 1;
        }
        let mut io = SliceEvents::new(&block_events, 0);
        let transport = Transport {
            tempo: options.tempo,
            position_beats: Some(
                pos as f64 / f64::from(synth.sample_rate()) * options.tempo / 60.0,
            ),
        };
        synth.process(&mut l, &mut r, transport, &mut io);
        out.voice_ends += io.ended_count;
        out.left.extend_from_slice(&l);
        out.right.extend_from_slice(&r);
        pos = end;
    }
    if let (None, Some(floor), Some(from)) =
        (options.fixed_tail, options.tail_floor, out.voices_ended_at)
    {
        let last_loud = (from..out.left.len())
            .rev()
            .find(|&i| out.left[i].abs() >= floor || out.right[i].abs() >= floor)
            .map_or(from, |i| i + 1);
        out.left.truncate(last_loud);
        out.right.truncate(last_loud);
    }
    out
}

/// Renders `timeline` as a bounce does: before a block whose decoder inputs
/// changed, `worker` finishes the table for them, at most once per
/// [`crate::neural::table_grid::GRID_S`] of audio (an LFO on a macro changes
/// them every block), and decodes nothing between those waits; not in the
/// tail, once the last event has passed and every voice has ended, where no
/// voice reads a table.
pub fn render_settled(
    synth: &mut Synth,
    worker: &DecoderWorker,
    timeline: Vec<TimedEvent>,
    options: RenderOptions,
    timeout: Duration,
) -> Rendered {
    let last_event = timeline.iter().map(|t| t.at).max().unwrap_or(0);
    let mut grid = crate::neural::TableGrid::default();
    let sample_rate = synth.sample_rate();
    worker.set_offline(true);
    let rendered = render_events_watched(synth, timeline, options, |pos, synth| {
        if (pos <= last_event || synth.active_voices() > 0)
            && grid.wait_now(synth.params(), pos, sample_rate)
        {
            worker.settle(timeout);
        }
    });
    worker.set_offline(false);
    rendered
}
