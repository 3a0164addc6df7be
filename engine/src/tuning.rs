//! Microtuning: which pitch each MIDI key plays.
//!
//! A [`Tuning`] is kept as the text of the files it came from (a Scala
//! `.scl` scale with an optional `.kbm` keyboard map, or an AnaMark `.tun`),
//! so it travels inside presets and DAW sessions instead of as a path that
//! may vanish. Scala files are read by `tuning-library-rs` (a port of the
//! Surge team's tuning library, the reference reader most synths share);
//! `.tun`, which that library does not read, is read here: its `[Exact
//! Tuning]` (or older `[Tuning]`) section gives each key's cents above a base
//! frequency. A few scales are built in ([`BUILT_IN`]).
//!
//! The audio thread reads only [`TuningTable`]: one pitch per key, in
//! fractional semitones on the MIDI scale (69 = A 440 Hz), in atomics.
//! Glide, pitch bend, MPE bend and modulation add to the tuned pitch, and the
//! oscillator picks its mip level from the resulting frequency, so a scale
//! that stretches the top of the keyboard stays alias-free.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::RwLock;
use tuning_library_rs::{AllowTuningOnUnmapped, KeyboardMapping, Scale, Tuning as Mapping};

/// Keys a tuning maps.
pub const KEYS: usize = 128;

/// A tuning as the user loaded it: the files' text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    /// What the editor shows (the scale's description, or the file name).
    pub name: String,
    /// The source text.
    pub source: TuningSource,
}

/// The text a tuning was read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TuningSource {
    /// A Scala scale and, optionally, a keyboard map (without one, the
    /// default map of Scala and Surge: key 60 is the scale's first degree
    /// and sounds where 12-EDO's middle C does, 261.63 Hz).
    Scala {
        /// The `.scl` file.
        scl: String,
        /// The `.kbm` file, if any.
        kbm: Option<String>,
    },
    /// An AnaMark `.tun` file.
    Tun {
        /// The file.
        text: String,
    },
}

/// Why a tuning could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TuningError {
    /// The Scala reader refused the scale or the map.
    #[error("not a usable Scala scale or keyboard map ({0})")]
    Scala(String),
    /// A `.tun` file without a usable tuning section.
    #[error(".tun file: {0}")]
    Tun(String),
    /// A key whose frequency is not a positive finite number.
    #[error("key {key} would sound at {hz} Hz")]
    BadPitch {
        /// The MIDI key.
        key: usize,
        /// What it came to.
        hz: f64,
    },
}

/// The scales built in: name and `.scl` text.
pub const BUILT_IN: [(&str, &str); 5] = [
    (
        "12-EDO",
        "! 12-EDO\n12 equal divisions of the octave\n 12\n!\n 100.\n 200.\n 300.\n 400.\n 500.\n 600.\n 700.\n 800.\n 900.\n 1000.\n 1100.\n 2/1\n",
    ),
    (
        "19-EDO",
        "! 19-EDO\n19 equal divisions of the octave\n 19\n!\n 63.157895\n 126.315789\n 189.473684\n 252.631579\n 315.789474\n 378.947368\n 442.105263\n 505.263158\n 568.421053\n 631.578947\n 694.736842\n 757.894737\n 821.052632\n 884.210526\n 947.368421\n 1010.526316\n 1073.684211\n 1136.842105\n 2/1\n",
    ),
    (
        "24-EDO",
        "! 24-EDO\n24 equal divisions of the octave (quarter tones)\n 24\n!\n 50.\n 100.\n 150.\n 200.\n 250.\n 300.\n 350.\n 400.\n 450.\n 500.\n 550.\n 600.\n 650.\n 700.\n 750.\n 800.\n 850.\n 900.\n 950.\n 1000.\n 1050.\n 1100.\n 1150.\n 2/1\n",
    ),
    (
        "Just intonation",
        "! just.scl\n5-limit just intonation, 12 notes from C\n 12\n!\n 16/15\n 9/8\n 6/5\n 5/4\n 4/3\n 45/32\n 3/2\n 8/5\n 5/3\n 9/5\n 15/8\n 2/1\n",
    ),
    (
        "Bohlen-Pierce",
        "! bohlen-pierce.scl\nBohlen-Pierce: 13 equal divisions of the tritave (3:1)\n 13\n!\n 146.304231\n 292.608462\n 438.912693\n 585.216923\n 731.521154\n 877.825385\n 1024.129616\n 1170.433847\n 1316.738078\n 1463.042308\n 1609.346539\n 1755.650770\n 3/1\n",
    ),
];

impl Tuning {
    /// A built-in scale by name (see [`BUILT_IN`]).
    pub fn built_in(name: &str) -> Option<Self> {
        BUILT_IN
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(n, scl)| Self {
                name: (*n).to_string(),
                source: TuningSource::Scala {
                    scl: (*scl).to_string(),
                    kbm: None,
                },
            })
    }

    /// A Scala scale with an optional keyboard map, checked.
    pub fn scala(scl: &str, kbm: Option<&str>) -> Result<Self, TuningError> {
        let tuning = Self {
            name: scala_description(scl),
            source: TuningSource::Scala {
                scl: scl.to_string(),
                kbm: kbm.map(str::to_string),
            },
        };
        tuning.pitches()?;
        Ok(tuning)
    }

    /// An AnaMark `.tun` file, checked.
    pub fn tun(text: &str, name: &str) -> Result<Self, TuningError> {
        let tuning = Self {
            name: name.to_string(),
            source: TuningSource::Tun {
                text: text.to_string(),
            },
        };
        tuning.pitches()?;
        Ok(tuning)
    }

    /// Reads a tuning from files: a `.scl` (with `kbm`, the text of a
    /// `.kbm`, if given) or a `.tun`, told apart by their text.
    pub fn from_text(text: &str, kbm: Option<&str>, name: &str) -> Result<Self, TuningError> {
        if text.lines().any(|l| {
            let l = l.trim().to_ascii_lowercase();
            l == "[tuning]" || l == "[exact tuning]"
        }) {
            Self::tun(text, name)
        } else {
            Self::scala(text, kbm)
        }
    }

    /// Every key's pitch in fractional MIDI semitones (69 = 440 Hz).
    pub fn pitches(&self) -> Result<[f32; KEYS], TuningError> {
        let hz = match &self.source {
            TuningSource::Scala { scl, kbm } => scala_frequencies(scl, kbm.as_deref())?,
            TuningSource::Tun { text } => tun_frequencies(text)?,
        };
        let mut out = [0.0f32; KEYS];
        for (key, (&f, o)) in hz.iter().zip(&mut out).enumerate() {
            if !(f.is_finite() && f > 0.0) {
                return Err(TuningError::BadPitch { key, hz: f });
            }
            *o = (69.0 + 12.0 * (f / 440.0).log2()) as f32;
        }
        Ok(out)
    }
}

/// The description line of a `.scl` (its first line that is not a comment).
fn scala_description(scl: &str) -> String {
    scl.lines()
        .map(str::trim)
        .find(|l| !l.starts_with('!'))
        .filter(|l| !l.is_empty())
        .unwrap_or("Scala scale")
        .to_string()
}

/// Each key's frequency from a Scala scale and map.
fn scala_frequencies(scl: &str, kbm: Option<&str>) -> Result<[f64; KEYS], TuningError> {
    let scale = Scale::parse_scl_data(scl).map_err(|e| TuningError::Scala(format!("{e:?}")))?;
    let mapping = match kbm {
        Some(k) => Mapping::from_scale_and_keyboard_mapping(
            scale,
            KeyboardMapping::parse_kbm_data(k).map_err(|e| TuningError::Scala(format!("{e:?}")))?,
            AllowTuningOnUnmapped(false),
        ),
        None => Mapping::from_scale(scale),
    }
    .map_err(|e| TuningError::Scala(format!("{e:?}")))?;
    // Unmapped keys sound as their nearest mapped neighbours interpolate.
    let mapping = mapping.with_skipped_notes_interpolated();
    Ok(std::array::from_fn(|key| {
        mapping.frequency_for_midi_note(key as i32)
    }))
}

/// Each key's frequency from an AnaMark `.tun`: the `[Exact Tuning]`
/// section if there is one, else `[Tuning]`; `note N = cents` above
/// `BaseFreq` (8.1757989156 Hz, MIDI key 0 in 12-EDO, unless given); keys
/// it does not list keep 12-EDO.
fn tun_frequencies(text: &str) -> Result<[f64; KEYS], TuningError> {
    const DEFAULT_BASE: f64 = 8.175_798_915_6;
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines() {
        let line = line.split(';').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            sections.push((
                line[1..line.len() - 1].trim().to_ascii_lowercase(),
                Vec::new(),
            ));
        } else if let (Some((key, value)), Some(section)) =
            (line.split_once('='), sections.last_mut())
        {
            section
                .1
                .push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let section = sections
        .iter()
        .find(|(name, _)| name == "exact tuning")
        .or_else(|| sections.iter().find(|(name, _)| name == "tuning"))
        .ok_or_else(|| TuningError::Tun("no [Tuning] or [Exact Tuning] section".into()))?;
    let mut base = DEFAULT_BASE;
    let mut cents: [f64; KEYS] = std::array::from_fn(|k| 100.0 * k as f64);
    let mut listed = 0;
    for (key, value) in &section.1 {
        let number = |v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| TuningError::Tun(format!("'{key} = {value}' is not a number")))
        };
        if key == "basefreq" {
            base = number(value)?;
        } else if let Some(n) = key.strip_prefix("note") {
            let n: usize = n
                .trim()
                .parse()
                .ok()
                .filter(|&n| n < KEYS)
                .ok_or_else(|| TuningError::Tun(format!("'{key}' is not a note 0-127")))?;
            cents[n] = number(value)?;
            listed += 1;
        }
    }
    if listed == 0 {
        return Err(TuningError::Tun("the tuning section lists no notes".into()));
    }
    if !(base.is_finite() && base > 0.0) {
        return Err(TuningError::Tun(format!(
            "BaseFreq {base} is not a frequency"
        )));
    }
    Ok(std::array::from_fn(|k| base * (cents[k] / 1200.0).exp2()))
}

/// The tuning in use, kept with the DAW session (GUI and state threads), and
/// the pitch of every key for the audio thread (atomics only).
#[derive(Debug)]
pub struct TuningStore {
    tuning: RwLock<Option<Tuning>>,
    table: TuningTable,
}

impl Default for TuningStore {
    fn default() -> Self {
        Self {
            tuning: RwLock::new(None),
            table: TuningTable::default(),
        }
    }
}

impl TuningStore {
    /// The tuning in use (`None`: 12-EDO, A4 = 440 Hz).
    pub fn get(&self) -> Option<Tuning> {
        self.tuning
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Uses `tuning` (`None`: 12-EDO). A tuning that does not read leaves
    /// everything as it was and says why.
    pub fn set(&self, tuning: Option<Tuning>) -> Result<(), TuningError> {
        let pitches = match &tuning {
            Some(t) => t.pitches()?,
            None => std::array::from_fn(|k| k as f32),
        };
        *self.tuning.write().unwrap_or_else(|e| e.into_inner()) = tuning;
        self.table.store(&pitches);
        Ok(())
    }

    /// What the audio thread reads.
    pub fn table(&self) -> &TuningTable {
        &self.table
    }
}

impl<'a> nice_plug::params::persist::PersistentField<'a, Option<Tuning>> for TuningStore {
    fn set(&self, new_value: Option<Tuning>) {
        // A session whose tuning no longer reads plays in 12-EDO rather
        // than failing to load.
        if self.set(new_value).is_err() {
            let _ = self.set(None);
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<Tuning>) -> R,
    {
        f(&self.tuning.read().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Every key's pitch (fractional MIDI semitones) in atomics: the audio
/// thread reads a key's pitch at note-on without a lock.
#[derive(Debug)]
pub struct TuningTable {
    pitch: [AtomicU32; KEYS],
    /// Bumped on every change.
    revision: AtomicU64,
}

impl Default for TuningTable {
    fn default() -> Self {
        Self {
            pitch: std::array::from_fn(|k| AtomicU32::new((k as f32).to_bits())),
            revision: AtomicU64::new(0),
        }
    }
}

impl TuningTable {
    /// Key `key`'s pitch in fractional MIDI semitones.
    #[inline]
    pub fn pitch(&self, key: u8) -> f32 {
        self.pitch
            .get(usize::from(key))
            .map_or(f32::from(key), |p| {
                f32::from_bits(p.load(Ordering::Relaxed))
            })
    }

    /// How many times the table changed.
    pub fn revision(&self) -> u64 {
        self.revision.load(Ordering::Acquire)
    }

    fn store(&self, pitches: &[f32; KEYS]) {
        for (slot, p) in self.pitch.iter().zip(pitches) {
            slot.store(p.to_bits(), Ordering::Relaxed);
        }
        self.revision.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_19_edo_steps_63_cents_from_middle_c() {
        let p = Tuning::built_in("19-EDO").unwrap().pitches().unwrap();
        // The default map: key 60 is the first degree, at 12-EDO's middle C.
        assert!((p[60] - 60.0).abs() < 1e-4, "{}", p[60]);
        for k in 60..80 {
            let step = (p[k + 1] - p[k]) * 100.0;
            assert!((step - 1200.0 / 19.0).abs() < 0.01, "key {k}: {step} ct");
        }
    }

    #[test]
    fn a_keyboard_map_puts_middle_c_at_256_hz() {
        let scl = BUILT_IN[0].1;
        let kbm = "! middle C at 256 Hz\n0\n0\n127\n60\n60\n256.0\n0\n";
        let p = Tuning::scala(scl, Some(kbm)).unwrap().pitches().unwrap();
        let hz = 440.0 * ((p[60] - 69.0) / 12.0).exp2();
        assert!((hz - 256.0).abs() < 0.01, "{hz}");
        assert!((p[72] - p[60] - 12.0).abs() < 1e-4);
    }

    #[test]
    fn a_tun_file_gives_each_key_its_cents() {
        let tun = "[Tuning]\nnote 69=6900\n\n[Exact Tuning]\nBaseFreq=8.1757989156\nnote 60=6000.0\nnote 61=6050.0\n";
        let p = Tuning::from_text(tun, None, "test")
            .unwrap()
            .pitches()
            .unwrap();
        assert!((p[61] - 60.5).abs() < 1e-4, "{}", p[61]);
        assert!((p[60] - 60.0).abs() < 1e-4);
        // Keys it does not list stay in 12-EDO.
        assert!((p[64] - 64.0).abs() < 1e-4);
    }

    #[test]
    fn a_broken_file_is_refused_and_changes_nothing() {
        let store = TuningStore::default();
        store.set(Tuning::built_in("24-EDO")).unwrap();
        let before = store.table().pitch(61);
        for bad in ["! nothing\n", "[Tuning]\nnote 300=5\n", "x\n3\n100.0\n"] {
            assert!(Tuning::from_text(bad, None, "bad").is_err(), "{bad:?} read");
        }
        assert!(Tuning::scala(BUILT_IN[1].1, Some("garbage")).is_err());
        assert_eq!(store.table().pitch(61), before);
        assert!((before - 60.5).abs() < 1e-4, "24-EDO: {before}");
    }
}
