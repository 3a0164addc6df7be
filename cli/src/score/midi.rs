//! Standard MIDI Files: notes, controllers, pitch bend and aftertouch.

use super::{sort_by_start, NoteSpan, ScoreError, MAX_MIDI_BYTES, MAX_NOTES};
use std::collections::{HashMap, VecDeque};

use midly::{Format, Fps, MetaMessage, MidiMessage, Timing, TrackEventKind};

/// Tempo assumed until the first set-tempo event: 120 BPM.
const DEFAULT_MICROS_PER_QUARTER: u32 = 500_000;

/// Largest number of controller, bend and aftertouch events [`read_midi_score`] keeps.
pub const MAX_CONTROLS: usize = 4_000_000;

/// A performance event of a MIDI file other than a note.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(clippy::enum_variant_names)] // named as the MIDI specification names them
pub enum Control {
    /// A control change; `value` is the 7-bit value / 127.
    ControlChange {
        /// Controller number.
        cc: u8,
        /// Value `0..=1`.
        value: f32,
    },
    /// Pitch bend `-1..=1`.
    PitchBend(f32),
    /// Channel pressure (aftertouch) `0..=1`.
    ChannelPressure(f32),
    /// Polyphonic key pressure `0..=1` of one key.
    PolyPressure {
        /// MIDI key.
        key: u8,
        /// Pressure.
        pressure: f32,
    },
}

/// A [`Control`] at a time, on a channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControlSpan {
    /// When, in seconds from the start.
    pub seconds: f64,
    /// MIDI channel `0..16`.
    pub channel: u8,
    /// What.
    pub control: Control,
}

/// Everything [`read_midi_score`] takes from a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    /// The notes, sorted by start.
    pub notes: Vec<NoteSpan>,
    /// Controllers, bends and aftertouch, sorted by time (stable).
    pub controls: Vec<ControlSpan>,
}

// ---------------------------------------------------------------------------
// Standard MIDI Files
// ---------------------------------------------------------------------------

/// Reads a Standard MIDI File into notes.
///
/// - Formats 0 and 1 with any number of tracks; format 2 (independent
///   sequences) is refused. RIFF-wrapped (RMID) files are accepted.
/// - Metrical (PPQ) timing follows the tempo map built from set-tempo events
///   in any track (120 BPM until the first one); SMPTE timecode timing uses
///   its fixed tick rate and ignores tempo events.
/// - Notes are paired per track, channel and key: a note-on with velocity 0
///   is a note-off, and overlapping notes of the same key end first-in,
///   first-out. Stray note-offs are ignored. Notes still held when the file
///   ends stop at the file's last event (end-of-track included). Notes that
///   would last zero time are dropped. Channel 10 is not special.
/// - Velocity is the note-on velocity / 127.
/// - Events after a track's end-of-track marker are ignored; a missing marker
///   is tolerated.
///
/// Malformed input (garbage, truncated chunks, unreadable events, fewer
/// tracks than declared, zero ticks per beat or frame) is an error, as are
/// files over [`MAX_MIDI_BYTES`] or with more than [`MAX_NOTES`] notes. Bytes
/// after the last declared track are ignored.
#[cfg_attr(not(test), allow(dead_code))] // the notes alone: the tests read through it
pub fn read_midi(bytes: &[u8]) -> Result<Vec<NoteSpan>, ScoreError> {
    read_midi_score(bytes).map(|score| score.notes)
}

/// Reads a Standard MIDI File like [`read_midi`], keeping also its control
/// changes, pitch bends, channel pressure and polyphonic key pressure (at
/// most [`MAX_CONTROLS`]; more is an error), each with its channel.
pub fn read_midi_score(bytes: &[u8]) -> Result<Score, ScoreError> {
    if bytes.len() > MAX_MIDI_BYTES {
        return Err(ScoreError::MidiTooLarge {
            size: bytes.len(),
            limit: MAX_MIDI_BYTES,
        });
    }
    check_chunk_layout(bytes)?;
    let (header, tracks) = midly::parse(bytes)?;
    if header.format == Format::Sequential {
        return Err(ScoreError::UnsupportedMidi(
            "format 2 (independent sequences) is not supported; use format 0 or 1".to_owned(),
        ));
    }
    let mut collector = NoteCollector::default();
    for (index, track) in tracks.enumerate() {
        collector.read_track(index, track?)?;
    }
    let clock = Clock::new(header.timing, collector.tempo_changes)?;
    let mut notes = to_seconds(&collector.notes, collector.last_tick, &clock);
    sort_by_start(&mut notes);
    let mut controls: Vec<ControlSpan> = collector
        .controls
        .iter()
        .map(|&(tick, channel, control)| ControlSpan {
            seconds: clock.seconds_at(tick),
            channel,
            control,
        })
        .collect();
    controls.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    Ok(Score { notes, controls })
}

/// Walks the chunk headers of a plain (`MThd`-first) file and checks that no
/// chunk runs past the end of the data and that every declared track is
/// present. This catches truncation, which the lenient MIDI parser would
/// otherwise silently accept. RIFF-wrapped files are left to the parser.
fn check_chunk_layout(bytes: &[u8]) -> Result<(), ScoreError> {
    if !bytes.starts_with(b"MThd") {
        return Ok(());
    }
    let mut offset = 0usize;
    let mut declared_tracks: Option<usize> = None;
    let mut found_tracks = 0usize;
    while offset < bytes.len() && declared_tracks.is_none_or(|n| found_tracks < n) {
        let (id, body) = read_chunk(bytes, offset)?;
        if id == b"MThd" && declared_tracks.is_none() {
            declared_tracks = Some(declared_track_count(body)?);
        } else if id == b"MTrk" {
            found_tracks += 1;
        }
        offset += 8 + body.len();
    }
    let declared = declared_tracks.unwrap_or(0);
    if found_tracks < declared {
        return Err(ScoreError::MalformedMidi(format!(
            "header declares {declared} tracks but the file holds only {found_tracks} (truncated?)"
        )));
    }
    Ok(())
}

/// Reads the chunk starting at `offset`: its 4-byte id and its body.
fn read_chunk(bytes: &[u8], offset: usize) -> Result<(&[u8], &[u8]), ScoreError> {
    let truncated = |what: String| ScoreError::MalformedMidi(format!("{what} (truncated?)"));
    let head = bytes
        .get(offset..offset.saturating_add(8))
        .ok_or_else(|| truncated(format!("incomplete chunk header at byte {offset}")))?;
    let (id, len) = head.split_at(4);
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let body_start = offset + 8;
    let body = body_start
        .checked_add(len)
        .and_then(|end| bytes.get(body_start..end))
        .ok_or_else(|| {
            truncated(format!(
                "chunk `{}` at byte {offset} declares {len} bytes but only {} remain",
                String::from_utf8_lossy(id),
                bytes.len() - body_start
            ))
        })?;
    Ok((id, body))
}

/// The track count field of an `MThd` chunk body.
fn declared_track_count(header: &[u8]) -> Result<usize, ScoreError> {
    match header.get(2..4) {
        Some(&[hi, lo]) => Ok(usize::from(u16::from_be_bytes([hi, lo]))),
        _ => Err(ScoreError::MalformedMidi(
            "header chunk is too short".to_owned(),
        )),
    }
}

/// A note in ticks; `end` is `None` while (or if never) released.
#[derive(Debug, Clone, Copy)]
struct TickNote {
    key: u8,
    channel: u8,
    velocity: u8,
    start: u64,
    end: Option<u64>,
}

/// Accumulates notes and tempo changes over all tracks of a file.
#[derive(Debug, Default)]
struct NoteCollector {
    /// Notes in the order their note-ons were read (track by track).
    notes: Vec<TickNote>,
    /// `(tick, channel, control)` in reading order.
    controls: Vec<(u64, u8, Control)>,
    /// `(tick, microseconds per quarter note)` in reading order.
    tempo_changes: Vec<(u64, u32)>,
    /// Tick of the latest event in any track.
    last_tick: u64,
}

impl NoteCollector {
    /// Reads one track's events, failing on an unreadable event.
    fn read_track(&mut self, index: usize, mut events: midly::EventIter) -> Result<(), ScoreError> {
        let mut tick = 0u64;
        // Indices into `self.notes` of held notes, per (channel, key), oldest first.
        let mut held: HashMap<(u8, u8), VecDeque<usize>> = HashMap::new();
        let track_len = events.unread().len();
        loop {
            let unread = events.unread().len();
            let Some(event) = events.next() else {
                if unread > 0 {
                    return Err(ScoreError::MalformedMidi(format!(
                        "track {index}: unreadable event at byte {} of the track",
                        track_len - unread
                    )));
                }
                return Ok(());
            };
            let event = event?;
            tick += u64::from(event.delta.as_int());
            self.last_tick = self.last_tick.max(tick);
            if matches!(event.kind, TrackEventKind::Meta(MetaMessage::EndOfTrack)) {
                return Ok(());
            }
            self.handle_event(tick, event.kind, &mut held)?;
        }
    }

    /// Applies one event at absolute `tick`.
    fn handle_event(
        &mut self,
        tick: u64,
        kind: TrackEventKind,
        held: &mut HashMap<(u8, u8), VecDeque<usize>>,
    ) -> Result<(), ScoreError> {
        match kind {
            TrackEventKind::Midi { channel, message } => {
                let channel = channel.as_int();
                match message {
                    MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                        self.note_on(tick, channel, key.as_int(), vel.as_int(), held)?;
                    }
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                        self.note_off(tick, channel, key.as_int(), held);
                    }
                    MidiMessage::Controller { controller, value } => self.control(
                        tick,
                        channel,
                        Control::ControlChange {
                            cc: controller.as_int(),
                            value: f32::from(value.as_int()) / 127.0,
                        },
                    )?,
                    MidiMessage::PitchBend { bend } => {
                        let value = (f32::from(bend.0.as_int()) - 8192.0) / 8192.0;
                        self.control(tick, channel, Control::PitchBend(value.max(-1.0)))?
                    }
                    MidiMessage::ChannelAftertouch { vel } => self.control(
                        tick,
                        channel,
                        Control::ChannelPressure(f32::from(vel.as_int()) / 127.0),
                    )?,
                    MidiMessage::Aftertouch { key, vel } => self.control(
                        tick,
                        channel,
                        Control::PolyPressure {
                            key: key.as_int(),
                            pressure: f32::from(vel.as_int()) / 127.0,
                        },
                    )?,
                    MidiMessage::ProgramChange { .. } => {}
                }
            }
            TrackEventKind::Meta(MetaMessage::Tempo(micros)) => {
                self.tempo_changes.push((tick, micros.as_int()));
            }
            _ => {}
        }
        Ok(())
    }

    /// Keeps a control event, enforcing [`MAX_CONTROLS`].
    fn control(&mut self, tick: u64, channel: u8, control: Control) -> Result<(), ScoreError> {
        if self.controls.len() >= MAX_CONTROLS {
            return Err(ScoreError::UnsupportedMidi(format!(
                "more than {MAX_CONTROLS} controller, bend and aftertouch events"
            )));
        }
        self.controls.push((tick, channel, control));
        Ok(())
    }

    /// Starts a note, enforcing [`MAX_NOTES`].
    fn note_on(
        &mut self,
        tick: u64,
        channel: u8,
        key: u8,
        velocity: u8,
        held: &mut HashMap<(u8, u8), VecDeque<usize>>,
    ) -> Result<(), ScoreError> {
        if self.notes.len() >= MAX_NOTES {
            return Err(ScoreError::TooManyNotes { limit: MAX_NOTES });
        }
        held.entry((channel, key))
            .or_default()
            .push_back(self.notes.len());
        self.notes.push(TickNote {
            key,
            channel,
            velocity,
            start: tick,
            end: None,
        });
        Ok(())
    }

    /// Ends the oldest held note of this channel and key, if any.
    fn note_off(
        &mut self,
        tick: u64,
        channel: u8,
        key: u8,
        held: &mut HashMap<(u8, u8), VecDeque<usize>>,
    ) {
        let oldest = held.get_mut(&(channel, key)).and_then(VecDeque::pop_front);
        if let Some(note) = oldest.and_then(|index| self.notes.get_mut(index)) {
            note.end = Some(tick);
        }
    }
}

/// Converts tick notes to seconds, closing held notes at `last_tick` and
/// dropping notes of zero length.
fn to_seconds(notes: &[TickNote], last_tick: u64, clock: &Clock) -> Vec<NoteSpan> {
    notes
        .iter()
        .filter_map(|note| {
            let start = clock.seconds_at(note.start);
            let end = clock.seconds_at(note.end.unwrap_or(last_tick));
            (end > start).then(|| NoteSpan {
                key: note.key,
                channel: note.channel,
                start,
                duration: end - start,
                velocity: f32::from(note.velocity) / 127.0,
            })
        })
        .collect()
}

/// One constant-tempo stretch of a metrical tempo map.
#[derive(Debug, Clone, Copy)]
struct TempoSegment {
    /// First tick of the segment.
    tick: u64,
    /// Time of `tick`, in seconds.
    seconds: f64,
    /// Tempo in microseconds per quarter note.
    micros_per_quarter: f64,
}

/// Converts absolute ticks to seconds.
#[derive(Debug)]
enum Clock {
    /// PPQ timing with a tempo map; segments are sorted, the first at tick 0.
    Metrical {
        ticks_per_quarter: f64,
        segments: Vec<TempoSegment>,
    },
    /// SMPTE timing: a fixed number of ticks per second.
    Timecode { ticks_per_second: f64 },
}

impl Clock {
    /// Builds the clock for a file's timing and its tempo changes (in any
    /// order; at equal ticks the one read last wins).
    fn new(timing: Timing, mut tempo_changes: Vec<(u64, u32)>) -> Result<Clock, ScoreError> {
        match timing {
            Timing::Metrical(ppq) => {
                let ppq = ppq.as_int();
                if ppq == 0 {
                    return Err(ScoreError::MalformedMidi(
                        "header gives 0 ticks per quarter note".to_owned(),
                    ));
                }
                tempo_changes.sort_by_key(|&(tick, _)| tick);
                Ok(Clock::Metrical {
                    ticks_per_quarter: f64::from(ppq),
                    segments: tempo_segments(f64::from(ppq), &tempo_changes),
                })
            }
            Timing::Timecode(fps, ticks_per_frame) => {
                if ticks_per_frame == 0 {
                    return Err(ScoreError::MalformedMidi(
                        "header gives 0 ticks per SMPTE frame".to_owned(),
                    ));
                }
                Ok(Clock::Timecode {
                    ticks_per_second: frames_per_second(fps) * f64::from(ticks_per_frame),
                })
            }
        }
    }

    /// Time of an absolute tick, in seconds.
    fn seconds_at(&self, tick: u64) -> f64 {
        match self {
            Clock::Timecode { ticks_per_second } => tick as f64 / ticks_per_second,
            Clock::Metrical {
                ticks_per_quarter,
                segments,
            } => {
                let index = segments
                    .partition_point(|segment| segment.tick <= tick)
                    .saturating_sub(1);
                segments.get(index).map_or(0.0, |segment| {
                    segment.seconds
                        + (tick - segment.tick) as f64 * segment.micros_per_quarter
                            / (1e6 * ticks_per_quarter)
                })
            }
        }
    }
}

/// Builds the tempo map from tempo changes sorted by tick.
fn tempo_segments(ticks_per_quarter: f64, tempo_changes: &[(u64, u32)]) -> Vec<TempoSegment> {
    let mut segments = vec![TempoSegment {
        tick: 0,
        seconds: 0.0,
        micros_per_quarter: f64::from(DEFAULT_MICROS_PER_QUARTER),
    }];
    for &(tick, micros) in tempo_changes {
        let micros_per_quarter = f64::from(micros);
        let Some(last) = segments.last_mut() else {
            break;
        };
        if tick == last.tick {
            last.micros_per_quarter = micros_per_quarter;
            continue;
        }
        let seconds = last.seconds
            + (tick - last.tick) as f64 * last.micros_per_quarter / (1e6 * ticks_per_quarter);
        segments.push(TempoSegment {
            tick,
            seconds,
            micros_per_quarter,
        });
    }
    segments
}

/// Exact SMPTE frame rate (29.97 drop-frame is 30 / 1.001).
fn frames_per_second(fps: Fps) -> f64 {
    match fps {
        Fps::Fps24 => 24.0,
        Fps::Fps25 => 25.0,
        Fps::Fps29 => 30.0 / 1.001,
        Fps::Fps30 => 30.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::end_time;
    use crate::score::tests::note;
    use midly::num::{u15, u24, u28, u4, u7};
    use midly::{Header, Smf, TrackEvent};

    // ----- MIDI files -----

    fn on(key: u8, vel: u8) -> TrackEventKind<'static> {
        TrackEventKind::Midi {
            channel: u4::new(0),
            message: MidiMessage::NoteOn {
                key: u7::new(key),
                vel: u7::new(vel),
            },
        }
    }

    fn off(key: u8) -> TrackEventKind<'static> {
        TrackEventKind::Midi {
            channel: u4::new(0),
            message: MidiMessage::NoteOff {
                key: u7::new(key),
                vel: u7::new(64),
            },
        }
    }

    fn on_channel(channel: u8, key: u8, vel: u8) -> TrackEventKind<'static> {
        TrackEventKind::Midi {
            channel: u4::new(channel),
            message: MidiMessage::NoteOn {
                key: u7::new(key),
                vel: u7::new(vel),
            },
        }
    }

    fn tempo(bpm: u32) -> TrackEventKind<'static> {
        TrackEventKind::Meta(MetaMessage::Tempo(u24::new(60_000_000 / bpm)))
    }

    /// A track from `(absolute tick, event)` pairs, closed by end-of-track.
    fn track(events: &[(u32, TrackEventKind<'static>)], end: u32) -> Vec<TrackEvent<'static>> {
        let mut previous = 0;
        let mut track: Vec<TrackEvent> = events
            .iter()
            .map(|&(tick, kind)| {
                let delta = tick - previous;
                previous = tick;
                TrackEvent {
                    delta: u28::new(delta),
                    kind,
                }
            })
            .collect();
        track.push(TrackEvent {
            delta: u28::new(end - previous),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        });
        track
    }

    fn encode(format: Format, timing: Timing, tracks: Vec<Vec<TrackEvent<'static>>>) -> Vec<u8> {
        let mut smf = Smf::new(Header::new(format, timing));
        smf.tracks = tracks;
        let mut bytes = Vec::new();
        smf.write_std(&mut bytes).unwrap();
        bytes
    }

    /// Two tracks at 480 PPQ: 120 BPM by default, 60 BPM from tick 960 (1 s)
    /// set in the second track. Seconds: t/960 up to tick 960, then
    /// 1 + (t - 960)/480.
    fn two_track_file() -> Vec<u8> {
        let conductor_and_lead = track(
            &[
                (0, on(69, 127)),   // 0 s
                (480, off(69)),     // 0.5 s
                (720, on(72, 64)),  // 0.75 s
                (1200, on(72, 0)),  // 1.5 s (velocity-0 note-off)
                (2400, on(64, 32)), // 4 s, never released
            ],
            2400,
        );
        let second = track(
            &[
                (960, tempo(60)),
                (1440, on(60, 100)), // 2 s
                (1680, on(60, 50)),  // 2.5 s, overlaps the first C4
                (1920, off(60)),     // 3 s: ends the first C4 (FIFO)
                (2400, off(60)),     // 4 s: ends the second
                (2400, off(61)),     // stray note-off: ignored
            ],
            2880, // 5 s: end of the file
        );
        encode(
            Format::Parallel,
            Timing::Metrical(u15::new(480)),
            vec![conductor_and_lead, second],
        )
    }

    fn assert_notes_close(actual: &[NoteSpan], expected: &[NoteSpan]) {
        assert_eq!(actual.len(), expected.len(), "{actual:#?}");
        for (a, e) in actual.iter().zip(expected) {
            assert_eq!(a.key, e.key, "{actual:#?}");
            assert!((a.start - e.start).abs() < 1e-9, "{a:?} vs {e:?}");
            assert!((a.duration - e.duration).abs() < 1e-9, "{a:?} vs {e:?}");
            assert!((a.velocity - e.velocity).abs() < 1e-6, "{a:?} vs {e:?}");
        }
    }

    #[test]
    fn midi_round_trip_with_tempo_change() {
        let notes = read_midi(&two_track_file()).unwrap();
        assert_notes_close(
            &notes,
            &[
                note(69, 0.0, 0.5, 1.0),
                note(72, 0.75, 0.75, 64.0 / 127.0),
                note(60, 2.0, 1.0, 100.0 / 127.0),
                note(60, 2.5, 1.5, 50.0 / 127.0),
                note(64, 4.0, 1.0, 32.0 / 127.0),
            ],
        );
        assert!((end_time(&notes) - 5.0).abs() < 1e-9);
    }

    fn midi(channel: u8, message: MidiMessage) -> TrackEventKind<'static> {
        TrackEventKind::Midi {
            channel: u4::new(channel),
            message,
        }
    }

    #[test]
    fn controllers_bends_and_aftertouch_keep_their_time_and_channel() {
        use midly::num::u14;
        use midly::PitchBend;
        let events = track(
            &[
                (0, on_channel(2, 60, 100)),
                (
                    48,
                    midi(
                        2,
                        MidiMessage::Controller {
                            controller: u7::new(64),
                            value: u7::new(127),
                        },
                    ),
                ),
                (
                    96,
                    midi(
                        3,
                        MidiMessage::PitchBend {
                            bend: PitchBend(u14::new(0)),
                        },
                    ),
                ),
                (
                    144,
                    midi(
                        3,
                        MidiMessage::PitchBend {
                            bend: PitchBend(u14::new(12288)),
                        },
                    ),
                ),
                (
                    192,
                    midi(2, MidiMessage::ChannelAftertouch { vel: u7::new(127) }),
                ),
                (
                    192,
                    midi(
                        2,
                        MidiMessage::Aftertouch {
                            key: u7::new(60),
                            vel: u7::new(0),
                        },
                    ),
                ),
                (240, on_channel(2, 60, 0)),
            ],
            240,
        );
        let bytes = encode(
            Format::SingleTrack,
            Timing::Metrical(u15::new(96)),
            vec![events],
        );
        let score = read_midi_score(&bytes).unwrap();
        assert_eq!(score.notes.len(), 1);
        assert_eq!(score.notes[0].channel, 2);
        // 96 PPQ at 120 BPM: 48 ticks = 0.25 s.
        let expected = [
            (0.25, 2, Control::ControlChange { cc: 64, value: 1.0 }),
            (0.5, 3, Control::PitchBend(-1.0)),
            (0.75, 3, Control::PitchBend(0.5)),
            (1.0, 2, Control::ChannelPressure(1.0)),
            (
                1.0,
                2,
                Control::PolyPressure {
                    key: 60,
                    pressure: 0.0,
                },
            ),
        ];
        assert_eq!(score.controls.len(), expected.len(), "{:?}", score.controls);
        for (c, (seconds, channel, control)) in score.controls.iter().zip(expected) {
            assert!((c.seconds - seconds).abs() < 1e-9, "{c:?}");
            assert_eq!((c.channel, c.control), (channel, control));
        }
        // read_midi gives the notes only.
        assert_eq!(read_midi(&bytes).unwrap(), score.notes);
    }

    #[test]
    fn midi_velocity_zero_is_note_off_and_channels_pair_separately() {
        let lead = track(
            &[
                (0, on_channel(9, 60, 90)),
                (0, on_channel(3, 60, 90)),
                (240, on_channel(3, 60, 0)), // ends channel 3 only
                (480, on_channel(9, 60, 0)), // ends channel 9 (drums are not special)
            ],
            960,
        );
        let bytes = encode(
            Format::SingleTrack,
            Timing::Metrical(u15::new(96)),
            vec![lead],
        );
        let notes = read_midi(&bytes).unwrap();
        // 96 PPQ at 120 BPM: 192 ticks per second.
        assert_notes_close(
            &notes,
            &[
                note(60, 0.0, 2.5, 90.0 / 127.0),
                note(60, 0.0, 1.25, 90.0 / 127.0),
            ],
        );
    }

    #[test]
    fn midi_tempo_at_tick_zero_and_zero_length_notes() {
        let lead = track(
            &[
                (0, tempo(240)),
                (0, on(60, 127)),
                (0, off(60)), // zero length: dropped
                (480, on(62, 127)),
                (960, off(62)),
            ],
            960,
        );
        let bytes = encode(
            Format::SingleTrack,
            Timing::Metrical(u15::new(480)),
            vec![lead],
        );
        assert_notes_close(&read_midi(&bytes).unwrap(), &[note(62, 0.25, 0.25, 1.0)]);
    }

    #[test]
    fn midi_smpte_timing_ignores_tempo() {
        let lead = track(&[(0, tempo(60)), (500, on(69, 127)), (1500, off(69))], 1500);
        // 25 fps x 40 ticks per frame = 1000 ticks per second.
        let bytes = encode(
            Format::SingleTrack,
            Timing::Timecode(Fps::Fps25, 40),
            vec![lead],
        );
        assert_notes_close(&read_midi(&bytes).unwrap(), &[note(69, 0.5, 1.0, 1.0)]);
    }

    #[test]
    fn midi_without_notes_is_empty() {
        let bytes = encode(
            Format::Parallel,
            Timing::Metrical(u15::new(480)),
            vec![track(&[], 0), track(&[(0, tempo(90))], 100)],
        );
        assert_eq!(read_midi(&bytes).unwrap(), vec![]);
    }

    #[test]
    fn midi_garbage_is_an_error() {
        for bytes in [
            &b""[..],
            b"hello world, this is not MIDI",
            b"MThd",
            b"MThd\0\0\0\x06\0\x01\0",
            &[0xFF; 64],
        ] {
            assert!(read_midi(bytes).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = two_track_file();
        for len in 0..bytes.len() {
            assert!(read_midi(&bytes[..len]).is_err(), "prefix of {len} bytes");
        }
    }

    /// A one-track format-0 file around `track_body`.
    fn raw_file(ppq: u16, track_body: &[u8]) -> Vec<u8> {
        let mut bytes = b"MThd\0\0\0\x06\0\0\0\x01".to_vec();
        bytes.extend_from_slice(&ppq.to_be_bytes());
        bytes.extend_from_slice(b"MTrk");
        bytes.extend_from_slice(&(track_body.len() as u32).to_be_bytes());
        bytes.extend_from_slice(track_body);
        bytes
    }

    #[test]
    fn malformed_events_are_errors() {
        // Note-on missing its data bytes.
        assert!(read_midi(&raw_file(480, &[0x00, 0x90])).is_err());
        // Data byte without any running status.
        assert!(read_midi(&raw_file(480, &[0x00, 0x40, 0x40])).is_err());
        // Delta time that runs off the end of the track.
        assert!(read_midi(&raw_file(480, &[0x80, 0x80])).is_err());
        // Zero ticks per quarter note.
        let ok_track = [
            0x00, 0x90, 0x3C, 0x40, 0x60, 0x3C, 0x00, 0x00, 0xFF, 0x2F, 0x00,
        ];
        assert!(read_midi(&raw_file(480, &ok_track)).is_ok());
        assert!(read_midi(&raw_file(0, &ok_track)).is_err());
    }

    #[test]
    fn format_2_is_refused() {
        let bytes = encode(
            Format::Sequential,
            Timing::Metrical(u15::new(480)),
            vec![track(&[(0, on(60, 100)), (10, off(60))], 10)],
        );
        assert!(matches!(
            read_midi(&bytes),
            Err(ScoreError::UnsupportedMidi(_))
        ));
    }

    #[test]
    fn trailing_bytes_after_the_declared_tracks_are_ignored() {
        let mut bytes = two_track_file();
        bytes.extend_from_slice(&[0, 0, 0]);
        assert_eq!(read_midi(&bytes).unwrap().len(), 5);
    }

    #[test]
    fn corrupted_files_never_panic() {
        let original = two_track_file();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 4 {
                let index = (next() % bytes.len() as u64) as usize;
                bytes[index] = next() as u8;
            }
            let _ = read_midi(&bytes);
        }
    }

    #[test]
    fn oversized_files_are_refused() {
        let bytes = vec![0u8; MAX_MIDI_BYTES + 1];
        assert!(matches!(
            read_midi(&bytes),
            Err(ScoreError::MidiTooLarge { .. })
        ));
    }

    #[test]
    fn too_many_notes_are_refused() {
        // One status byte, then note-ons by running status: 3 bytes each.
        let mut body = vec![0x00, 0x90, 0x3C, 0x40];
        for _ in 0..MAX_NOTES {
            body.extend_from_slice(&[0x00, 0x3C, 0x40]);
        }
        assert!(matches!(
            read_midi(&raw_file(480, &body)),
            Err(ScoreError::TooManyNotes { .. })
        ));
    }
}
