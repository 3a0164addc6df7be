//! Offline rendering of a list of notes through the same [`Synth`] the plugin runs.

use crate::params::SynthParams;
use crate::synth::{SliceEvents, Synth, SynthEvent, Transport};

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
}

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    /// Samples per `process` call.
    pub block_size: usize,
    /// Longest tail rendered after the last release while voices still sound.
    pub max_tail: u64,
    /// Tempo for the LFO's tempo sync.
    pub tempo: f64,
}

impl RenderOptions {
    /// 512-sample blocks, up to 30 s of tail, 120 BPM.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            block_size: 512,
            max_tail: (30.0 * sample_rate) as u64,
            tempo: 120.0,
        }
    }
}

/// Rendered stereo audio.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// Left channel.
    pub left: Vec<f32>,
    /// Right channel.
    pub right: Vec<f32>,
    /// Voices that ended during the render.
    pub voice_ends: usize,
}

/// Renders `notes` until every note has been released and the synth is silent
/// (or `max_tail` has passed). Before each block, `hook(first_sample, params)`
/// may change parameters, as a host's automation would.
pub fn render(
    synth: &mut Synth,
    notes: &[OfflineNote],
    options: RenderOptions,
    mut hook: impl FnMut(u64, &SynthParams),
) -> Rendered {
    let mut timeline: Vec<(u64, SynthEvent)> = Vec::with_capacity(notes.len() * 2);
    for (i, note) in notes.iter().enumerate() {
        let voice_id = Some(i as i32);
        let velocity = note.velocity;
        timeline.push((
            note.start,
            SynthEvent::NoteOn {
                timing: 0,
                voice_id,
                channel: 0,
                key: note.key,
                velocity,
            },
        ));
        let end = note.end.max(note.start + 1);
        timeline.push((
            end,
            SynthEvent::NoteOff {
                timing: 0,
                voice_id,
                channel: 0,
                key: note.key,
            },
        ));
    }
    // Releases sort before note-ons at the same sample.
    timeline.sort_by_key(|(at, e)| (*at, matches!(e, SynthEvent::NoteOn { .. })));
    let last_release = timeline.last().map_or(0, |(at, _)| *at);
    let block = options.block_size.max(1);
    let params = synth.params().clone();

    let mut out = Rendered::default();
    let (mut l, mut r) = (vec![0.0f32; block], vec![0.0f32; block]);
    let mut block_events = Vec::with_capacity(64);
    let mut next = 0;
    let mut pos = 0u64;
    loop {
        let done = pos >= last_release && synth.active_voices() == 0;
        if done || pos >= last_release + options.max_tail {
            break;
        }
        hook(pos, &params);
        let end = pos + block as u64;
        block_events.clear();
        while next < timeline.len() && timeline[next].0 < end {
            let (at, mut event) = timeline[next];
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
    out
}
