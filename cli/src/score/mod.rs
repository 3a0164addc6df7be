//! Note lists for the `nwt render` command-line tool.
//!
//! A score is a flat list of [`NoteSpan`]s in seconds, built either from a
//! compact text spec (see [`parse_notes`]) or from a Standard MIDI File (see
//! [`read_midi`], which [`read_midi_score`] extends with the file's
//! controllers, pitch bends and aftertouch). Every list returned by this module is sorted by start time
//! (stable, so notes starting together keep their source order).

mod midi;
pub use midi::{read_midi_score, Control, ControlSpan};
use nwt_engine::offline::{note_events, OfflineNote, TimedEvent};
use nwt_engine::{NoteExpression, SynthEvent};

/// Largest MIDI file [`read_midi`] accepts, in bytes (64 MiB).
pub const MAX_MIDI_BYTES: usize = 64 * 1024 * 1024;

/// Largest number of notes [`read_midi`] and [`parse_notes`] produce.
pub const MAX_NOTES: usize = 1_000_000;

/// One note to render.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteSpan {
    /// MIDI key number, 0..=127 (60 = C4, 69 = A4).
    pub key: u8,
    /// Onset, in seconds from the start of the render.
    pub start: f64,
    /// Time from note-on to note-off, in seconds (always > 0).
    pub duration: f64,
    /// Note-on velocity, 0..=1.
    pub velocity: f32,
    /// MIDI channel `0..16` (0 for notes from a text spec).
    pub channel: u8,
}

/// Why a note spec or MIDI file could not be turned into notes.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The note spec contains no notes at all.
    #[error("note spec is empty; expected e.g. `A4@0:1,C#6@0.5:1.5`")]
    EmptySpec,
    /// A comma-separated entry of the spec is blank (e.g. a stray comma).
    #[error("note entry {index} of the spec is empty (stray comma?)")]
    EmptyEntry {
        /// 1-based position of the entry in the spec.
        index: usize,
    },
    /// An entry does not have the `NOTE@START:DURATION[vVELOCITY]` shape.
    #[error("malformed note entry `{entry}`: {reason}")]
    MalformedEntry {
        /// The offending entry, trimmed.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A note name (or MIDI number) that cannot be parsed.
    #[error("invalid note `{name}`: {reason}")]
    InvalidNoteName {
        /// The offending name, trimmed.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A well-formed note name whose MIDI number is outside 0..=127.
    #[error("note `{name}` would be MIDI note {value}, outside 0..=127 (C-1..=G9)")]
    NoteOutOfRange {
        /// The offending name, trimmed.
        name: String,
        /// The MIDI number it denotes.
        value: i64,
    },
    /// A start time, duration or velocity that is not acceptable.
    #[error("invalid {what} `{token}`: {reason}")]
    InvalidValue {
        /// Which field: "start time", "duration" or "velocity".
        what: &'static str,
        /// The offending token, trimmed.
        token: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The default velocity passed to [`parse_notes`] is outside 0..=1.
    #[error("default velocity {0} is outside 0..=1")]
    InvalidDefaultVelocity(f32),
    /// More than [`MAX_NOTES`] notes.
    #[error("too many notes: more than {limit}")]
    TooManyNotes {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The MIDI file is larger than [`MAX_MIDI_BYTES`].
    #[error("MIDI file is {size} bytes, over the {limit}-byte limit")]
    MidiTooLarge {
        /// Size of the file, in bytes.
        size: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The MIDI parser rejected the file.
    #[error("malformed MIDI file: {0}")]
    Midi(#[from] midly::Error),
    /// The file's structure or contents are broken (e.g. truncated).
    #[error("malformed MIDI file: {0}")]
    MalformedMidi(String),
    /// A valid MIDI file that this reader does not handle.
    #[error("unsupported MIDI file: {0}")]
    UnsupportedMidi(String),
}

// ---------------------------------------------------------------------------
// Note names
// ---------------------------------------------------------------------------

/// Parses a scientific-pitch note name into a MIDI key number.
///
/// The name is a letter `A`-`G` (either case), an optional accidental (`#` or
/// `♯` for sharp, `b` or `♭` for flat) and an integer octave, where MIDI 60 is
/// C4: `"A4"` -> 69, `"C#6"` -> 85, `"Db3"` -> 49, `"B#3"` -> 60, `"Cb4"` -> 59,
/// `"C-1"` -> 0, `"G9"` -> 127. Surrounding whitespace is ignored. Names outside
/// 0..=127 and malformed names are errors.
pub fn parse_note_name(s: &str) -> Result<u8, ScoreError> {
    let name = s.trim();
    let bad = |reason| ScoreError::InvalidNoteName {
        name: name.to_owned(),
        reason,
    };
    let mut chars = name.chars();
    let letter = chars.next().ok_or_else(|| bad("empty note name"))?;
    let natural = letter_semitone(letter).ok_or_else(|| bad("must start with a letter A-G"))?;
    let (accidental, octave) = split_accidental(chars.as_str());
    if octave.is_empty() {
        return Err(bad("missing octave number (e.g. A4, C-1)"));
    }
    let octave: i32 = octave
        .parse()
        .map_err(|_| bad("octave must be an integer such as 4 or -1"))?;
    let value = 12 * (i64::from(octave) + 1) + natural + accidental;
    key_from_i64(name, value)
}

/// Semitone of a natural note within its octave (C = 0), case-insensitive.
fn letter_semitone(letter: char) -> Option<i64> {
    match letter.to_ascii_uppercase() {
        'C' => Some(0),
        'D' => Some(2),
        'E' => Some(4),
        'F' => Some(5),
        'G' => Some(7),
        'A' => Some(9),
        'B' => Some(11),
        _ => None,
    }
}

/// Splits an optional leading accidental off `rest`, returning its semitone
/// offset and the remainder.
fn split_accidental(rest: &str) -> (i64, &str) {
    let mut chars = rest.chars();
    match chars.next() {
        Some('#' | '♯') => (1, chars.as_str()),
        Some('b' | '♭') => (-1, chars.as_str()),
        _ => (0, rest),
    }
}

/// Checks that `value` is a MIDI key number.
fn key_from_i64(name: &str, value: i64) -> Result<u8, ScoreError> {
    u8::try_from(value)
        .ok()
        .filter(|key| *key <= 127)
        .ok_or_else(|| ScoreError::NoteOutOfRange {
            name: name.to_owned(),
            value,
        })
}

/// Parses a note given either as a name (`"A4"`) or a bare MIDI number (`"69"`).
fn parse_key(s: &str) -> Result<u8, ScoreError> {
    let token = s.trim();
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
        return parse_note_name(token);
    }
    let value: i64 = token.parse().map_err(|_| ScoreError::InvalidNoteName {
        name: token.to_owned(),
        reason: "MIDI note number is far outside 0..=127",
    })?;
    key_from_i64(token, value)
}

// ---------------------------------------------------------------------------
// Text note specs
// ---------------------------------------------------------------------------

/// Parses a comma-separated note spec such as `"A4@0:1, C#6@0.5:1.5v0.8"`.
///
/// Each entry is `NOTE@START:DURATION` with an optional velocity suffix
/// `vVELOCITY` (or `V`), where:
/// - `NOTE` is a note name accepted by [`parse_note_name`] or a bare MIDI
///   number 0..=127 (`"69@0:1"`);
/// - `START` is the onset in seconds, finite and >= 0;
/// - `DURATION` is the length in seconds, finite and > 0;
/// - `VELOCITY` is in 0..=1; entries without it get `default_velocity`.
///
/// Whitespace around any part is ignored. Empty specs, blank entries (stray
/// commas), and any invalid part are errors, as is a `default_velocity`
/// outside 0..=1. The result is sorted by start time (stable).
pub fn parse_notes(spec: &str, default_velocity: f32) -> Result<Vec<NoteSpan>, ScoreError> {
    if !(0.0..=1.0).contains(&default_velocity) {
        return Err(ScoreError::InvalidDefaultVelocity(default_velocity));
    }
    if spec.trim().is_empty() {
        return Err(ScoreError::EmptySpec);
    }
    let mut notes = Vec::new();
    for (position, entry) in spec.split(',').enumerate() {
        if notes.len() >= MAX_NOTES {
            return Err(ScoreError::TooManyNotes { limit: MAX_NOTES });
        }
        notes.push(parse_entry(entry, position + 1, default_velocity)?);
    }
    sort_by_start(&mut notes);
    Ok(notes)
}

/// Parses one `NOTE@START:DURATION[vVELOCITY]` entry.
fn parse_entry(entry: &str, index: usize, default_velocity: f32) -> Result<NoteSpan, ScoreError> {
    let entry = entry.trim();
    if entry.is_empty() {
        return Err(ScoreError::EmptyEntry { index });
    }
    let malformed = |reason| ScoreError::MalformedEntry {
        entry: entry.to_owned(),
        reason,
    };
    let (key, timing) = entry
        .split_once('@')
        .ok_or_else(|| malformed("expected NOTE@START:DURATION, e.g. A4@0:1"))?;
    let (times, velocity) = match timing.split_once(['v', 'V']) {
        Some((times, velocity)) => (times, Some(velocity)),
        None => (timing, None),
    };
    let (start, duration) = times
        .split_once(':')
        .ok_or_else(|| malformed("expected `:` between start and duration, e.g. A4@0:1"))?;
    let key = parse_key(key)?;
    let start = parse_start(start)?;
    let duration = parse_duration(duration, start)?;
    let velocity = match velocity {
        Some(token) => parse_velocity(token)?,
        None => default_velocity,
    };
    Ok(NoteSpan {
        key,
        start,
        duration,
        velocity,
        channel: 0,
    })
}

/// Builds an [`ScoreError::InvalidValue`].
fn invalid_value(what: &'static str, token: &str, reason: &'static str) -> ScoreError {
    ScoreError::InvalidValue {
        what,
        token: token.trim().to_owned(),
        reason,
    }
}

/// Parses a number of seconds, rejecting NaN and infinities.
fn parse_seconds(what: &'static str, token: &str) -> Result<f64, ScoreError> {
    let value: f64 = token
        .trim()
        .parse()
        .map_err(|_| invalid_value(what, token, "not a number"))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(invalid_value(what, token, "must be finite"))
    }
}

/// Parses a start time: finite seconds >= 0.
fn parse_start(token: &str) -> Result<f64, ScoreError> {
    let start = parse_seconds("start time", token)?;
    if start < 0.0 {
        return Err(invalid_value("start time", token, "must not be negative"));
    }
    Ok(start)
}

/// Parses a duration: finite seconds > 0, with a finite end time.
fn parse_duration(token: &str, start: f64) -> Result<f64, ScoreError> {
    let duration = parse_seconds("duration", token)?;
    if duration <= 0.0 {
        return Err(invalid_value("duration", token, "must be greater than 0"));
    }
    if !(start + duration).is_finite() {
        return Err(invalid_value(
            "duration",
            token,
            "note would end at infinity",
        ));
    }
    Ok(duration)
}

/// Parses a velocity in 0..=1.
fn parse_velocity(token: &str) -> Result<f32, ScoreError> {
    let velocity: f32 = token
        .trim()
        .parse()
        .map_err(|_| invalid_value("velocity", token, "not a number"))?;
    if (0.0..=1.0).contains(&velocity) {
        Ok(velocity)
    } else {
        Err(invalid_value("velocity", token, "must be in 0..=1"))
    }
}

/// Sorts notes by start time, keeping the order of simultaneous notes.
fn sort_by_start(notes: &mut [NoteSpan]) {
    notes.sort_by(|a, b| a.start.total_cmp(&b.start));
}

/// Total length of a score: the latest `start + duration`, or 0 for no notes.
pub fn end_time(notes: &[NoteSpan]) -> f64 {
    notes
        .iter()
        .map(|note| note.start + note.duration)
        .fold(0.0, f64::max)
}
/// The synth's events for `notes` and `controls` at `sample_rate`: note `i`
/// gets note id `i`; control changes, bends and pressure keep their channel
/// (all-notes-off and all-sound-off become the synth's own events).
pub fn timeline(notes: &[NoteSpan], controls: &[ControlSpan], sample_rate: f32) -> Vec<TimedEvent> {
    let to_samples = |s: f64| (s.max(0.0) * f64::from(sample_rate)).round() as u64;
    let offline: Vec<OfflineNote> = notes
        .iter()
        .map(|n| OfflineNote {
            key: n.key,
            start: to_samples(n.start),
            end: to_samples(n.start + n.duration),
            velocity: n.velocity,
            channel: n.channel,
        })
        .collect();
    let mut events = note_events(&offline);
    events.extend(controls.iter().map(|c| {
        let (timing, channel) = (0, c.channel);
        let event = match c.control {
            Control::ControlChange { cc: 123, .. } => SynthEvent::AllNotesOff { timing },
            Control::ControlChange { cc: 120, .. } => SynthEvent::AllSoundOff { timing },
            Control::ControlChange { cc, value } => SynthEvent::Control {
                timing,
                channel,
                cc,
                value,
            },
            Control::PitchBend(value) => SynthEvent::PitchBend {
                timing,
                channel,
                value,
            },
            Control::ChannelPressure(pressure) => SynthEvent::ChannelPressure {
                timing,
                channel,
                pressure,
            },
            Control::PolyPressure { key, pressure } => SynthEvent::Expression {
                timing,
                voice_id: None,
                channel,
                key,
                expression: NoteExpression::Pressure(pressure),
            },
        };
        TimedEvent {
            at: to_samples(c.seconds),
            event,
        }
    }));
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    // ----- note names -----

    #[test]
    fn note_names_across_the_range() {
        let cases = [
            ("C-1", 0),
            ("C#-1", 1),
            ("Db-1", 1),
            ("B-1", 11),
            ("C0", 12),
            ("Db3", 49),
            ("B#3", 60),
            ("C4", 60),
            ("c4", 60),
            ("Cb4", 59),
            ("A4", 69),
            ("a4", 69),
            ("Bb4", 70),
            ("bb4", 70),
            ("E#4", 65),
            ("Fb4", 64),
            ("C#6", 85),
            ("G♯5", 80),
            ("A♭5", 80),
            ("F#9", 126),
            ("G9", 127),
            ("  A4  ", 69),
        ];
        for (name, key) in cases {
            assert_eq!(parse_note_name(name).ok(), Some(key), "{name}");
        }
    }

    #[test]
    fn bad_note_names_are_errors() {
        for name in [
            "",
            "H4",
            "4",
            "A",
            "A#",
            "A##4",
            "Ax4",
            "A4.5",
            "A 4",
            "A4b",
            "#4",
            "A+-4",
            "A99999999999",
        ] {
            assert!(
                matches!(
                    parse_note_name(name),
                    Err(ScoreError::InvalidNoteName { .. })
                ),
                "{name:?}"
            );
        }
        for (name, value) in [("Cb-1", -1), ("G#9", 128), ("C10", 132), ("C-2", -12)] {
            match parse_note_name(name) {
                Err(ScoreError::NoteOutOfRange { value: got, .. }) => assert_eq!(got, value),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn error_messages_name_the_token() {
        let message = parse_note_name("H4").unwrap_err().to_string();
        assert!(message.contains("`H4`"), "{message}");
        let message = parse_notes("A4@0:-1", 1.0).unwrap_err().to_string();
        assert!(
            message.contains("`-1`") && message.contains("duration"),
            "{message}"
        );
    }

    // ----- note specs -----

    /// A channel-0 note (shared with the MIDI tests).
    pub(super) fn note(key: u8, start: f64, duration: f64, velocity: f32) -> NoteSpan {
        NoteSpan {
            key,
            start,
            duration,
            velocity,
            channel: 0,
        }
    }

    #[test]
    fn parses_the_example_spec() {
        let notes = parse_notes("A4@0:1,C#6@0.5:1.5", 0.8).unwrap();
        assert_eq!(
            notes,
            vec![note(69, 0.0, 1.0, 0.8), note(85, 0.5, 1.5, 0.8)]
        );
        assert_eq!(end_time(&notes), 2.0);
    }

    #[test]
    fn parses_velocity_numbers_and_whitespace() {
        let notes = parse_notes(" 69 @ 0 : 1 v 0.5 ,\tC4@1:0.25V1, 0@2:1e-3v0", 0.7).unwrap();
        assert_eq!(
            notes,
            vec![
                note(69, 0.0, 1.0, 0.5),
                note(60, 1.0, 0.25, 1.0),
                note(0, 2.0, 0.001, 0.0),
            ]
        );
    }

    #[test]
    fn spec_results_are_sorted_stably() {
        let notes = parse_notes("C4@2:1,E4@0:1,G4@2:1,A4@0:1", 1.0).unwrap();
        let keys: Vec<u8> = notes.iter().map(|n| n.key).collect();
        assert_eq!(keys, vec![64, 69, 60, 67]);
    }

    #[test]
    fn bad_specs_are_errors() {
        let bad = [
            "",
            "   ",
            "A4@0:1,",
            ",A4@0:1",
            "A4@0:1,,C4@1:1",
            "A4",
            "A4@0",
            "A4@0;1",
            "@0:1",
            "H4@0:1",
            "128@0:1",
            "99999999999999999999999@0:1",
            "A4@-1:1",
            "A4@-0.001:1",
            "A4@NaN:1",
            "A4@inf:1",
            "A4@0:0",
            "A4@0:-1",
            "A4@0:inf",
            "A4@0:nan",
            "A4@x:1",
            "A4@0:1v",
            "A4@0:1v1.5",
            "A4@0:1v-0.1",
            "A4@0:1vnan",
            "A4@0:1v0.5v0.5",
            "A4@1e308:1e308",
        ];
        for spec in bad {
            assert!(parse_notes(spec, 1.0).is_err(), "{spec:?} should fail");
        }
        assert!(matches!(parse_notes("", 1.0), Err(ScoreError::EmptySpec)));
        assert!(matches!(
            parse_notes("A4@0:1,,C4@1:1", 1.0),
            Err(ScoreError::EmptyEntry { index: 2 })
        ));
    }

    #[test]
    fn bad_default_velocity_is_an_error() {
        for velocity in [-0.1, 1.01, f32::NAN, f32::INFINITY] {
            assert!(matches!(
                parse_notes("A4@0:1", velocity),
                Err(ScoreError::InvalidDefaultVelocity(_))
            ));
        }
    }

    #[test]
    fn end_time_of_nothing_is_zero() {
        assert_eq!(end_time(&[]), 0.0);
        let notes = [note(60, 3.0, 0.5, 1.0), note(60, 1.0, 5.0, 1.0)];
        assert_eq!(end_time(&notes), 6.0);
    }
}
