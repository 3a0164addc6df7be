//! Anchor slots A–D: the latents the neural table's path runs through.
//!
//! An anchor is a factory shape (encoded by the worker), a waveform the user
//! imported (its source cycle is kept and encoded by the worker, so a new model
//! re-encodes it), or a latent vector (the captured current sound, or one read
//! from a preset). Anchors are shared between the GUI, the host's state and
//! the decoder worker; the audio thread never touches them.

use nwt_model::model::MAX_ANCHORS;
use nwt_model::{Harmonics, Shape};
use serde::{Deserialize, Serialize};

/// Slot names, in path order.
pub const SLOT_NAMES: [&str; MAX_ANCHORS] = ["A", "B", "C", "D"];

/// A factory shape an anchor can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorShape {
    /// A pure sine.
    Sine,
    /// A triangle.
    Triangle,
    /// A saw (the Init sound).
    Saw,
    /// A square.
    Square,
    /// A pulse with 25 % duty.
    Pulse25,
    /// A narrow pulse with 10 % duty.
    Pulse10,
    /// All harmonics falling as 1/h² (dark, round).
    Dark,
    /// All harmonics falling as 1/h^0.6 (bright, buzzy).
    Bright,
    /// Odd harmonics falling as 1/h^1.5 (hollow, clarinet-like).
    Hollow,
    /// A vowel "ah".
    VowelA,
    /// A vowel "oh".
    VowelO,
    /// An organ registration.
    Organ,
}

impl AnchorShape {
    /// Every factory anchor shape.
    pub const ALL: [AnchorShape; 12] = [
        AnchorShape::Sine,
        AnchorShape::Triangle,
        AnchorShape::Saw,
        AnchorShape::Square,
        AnchorShape::Pulse25,
        AnchorShape::Pulse10,
        AnchorShape::Dark,
        AnchorShape::Bright,
        AnchorShape::Hollow,
        AnchorShape::VowelA,
        AnchorShape::VowelO,
        AnchorShape::Organ,
    ];

    /// The name used on the command line and in files (`saw`, `vowel_a`, ...).
    pub fn id(self) -> &'static str {
        match self {
            AnchorShape::Sine => "sine",
            AnchorShape::Triangle => "triangle",
            AnchorShape::Saw => "saw",
            AnchorShape::Square => "square",
            AnchorShape::Pulse25 => "pulse25",
            AnchorShape::Pulse10 => "pulse10",
            AnchorShape::Dark => "dark",
            AnchorShape::Bright => "bright",
            AnchorShape::Hollow => "hollow",
            AnchorShape::VowelA => "vowel_a",
            AnchorShape::VowelO => "vowel_o",
            AnchorShape::Organ => "organ",
        }
    }

    /// The shape named `id` (case-insensitive), if any.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.id().eq_ignore_ascii_case(id.trim()))
    }

    /// The shape's exact spectrum.
    pub fn harmonics(self) -> Harmonics {
        let shape = match self {
            AnchorShape::Sine => Shape::Sine,
            AnchorShape::Triangle => Shape::Triangle,
            AnchorShape::Saw => Shape::Saw,
            AnchorShape::Square => Shape::Square,
            AnchorShape::Pulse25 => Shape::Pulse(0.25),
            AnchorShape::Pulse10 => Shape::Pulse(0.1),
            AnchorShape::Dark => Shape::Tilted(2.0),
            AnchorShape::Bright => Shape::Tilted(0.6),
            AnchorShape::Hollow => Shape::OddTilted(1.5),
            AnchorShape::VowelA => Shape::Formant([7.0, 11.0, 25.0]),
            AnchorShape::VowelO => Shape::Formant([4.5, 8.0, 25.0]),
            AnchorShape::Organ => Shape::Drawbars([1.0, 1.0, 0.6, 0.8, 0.0, 0.5, 0.0, 0.3, 0.2]),
        };
        shape.harmonics()
    }
}

/// What one anchor slot holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Anchor {
    /// A factory shape, encoded by the worker.
    Shape {
        /// The shape.
        shape: AnchorShape,
    },
    /// An imported single cycle (any length), encoded by the worker.
    Wave {
        /// Where it came from (a file name), for display.
        name: String,
        /// The cycle's samples.
        samples: Vec<f32>,
    },
    /// A point in the latent space (the captured current sound, or from a preset).
    Latent {
        /// A label for display.
        name: String,
        /// The latent vector (the model's latent size).
        latent: Vec<f32>,
    },
}

impl Anchor {
    /// An anchor saved as a latent of the first model (16 numbers, which mean
    /// nothing to the current model) as the cycle that latent stood for,
    /// decoded by the first model's decoder (`nwt_model::legacy`); `None` for
    /// every other anchor. The sound is kept, and the table now runs exactly
    /// through it.
    pub fn migrated_from_v1(&self) -> Option<Result<Anchor, String>> {
        use nwt_model::legacy::{V1Decoder, V1_LATENT};
        static DECODER: std::sync::OnceLock<Result<V1Decoder, String>> = std::sync::OnceLock::new();
        let Anchor::Latent { name, latent } = self else {
            return None;
        };
        if latent.len() != V1_LATENT {
            return None;
        }
        let decoder = DECODER.get_or_init(|| V1Decoder::embedded().map_err(|e| e.to_string()));
        Some(match decoder {
            Ok(decoder) => decoder
                .cycle(latent)
                .map(|samples| Anchor::Wave {
                    name: name.clone(),
                    samples,
                })
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("the first model's decoder does not load: {e}")),
        })
    }

    /// A factory-shape anchor.
    pub fn shape(shape: AnchorShape) -> Self {
        Anchor::Shape { shape }
    }

    /// A short label for lists and logs.
    pub fn label(&self) -> String {
        match self {
            Anchor::Shape { shape } => shape.id().to_string(),
            Anchor::Wave { name, .. } | Anchor::Latent { name, .. } => name.clone(),
        }
    }
}

/// The four anchor slots; the table's path runs through the filled ones in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anchors {
    /// Slots A, B, C, D.
    pub slots: [Option<Anchor>; MAX_ANCHORS],
}

impl Default for Anchors {
    /// The Init sound: a saw in slot A, the other slots empty.
    fn default() -> Self {
        Self {
            slots: [Some(Anchor::shape(AnchorShape::Saw)), None, None, None],
        }
    }
}

impl Anchors {
    /// Anchors filled from factory shapes, in slot order (at most four are used).
    pub fn from_shapes(shapes: &[AnchorShape]) -> Self {
        let mut slots: [Option<Anchor>; MAX_ANCHORS] = Default::default();
        for (slot, shape) in slots.iter_mut().zip(shapes) {
            *slot = Some(Anchor::shape(*shape));
        }
        Self { slots }
    }

    /// The index of a slot named `A`..`D` (case-insensitive).
    pub fn slot_index(name: &str) -> Option<usize> {
        SLOT_NAMES
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name.trim()))
    }
}

crate::stable_enum! {
    /// How the macro knobs move the table.
    pub enum MacroMode: 17 {
        /// The macro offset is added to every anchor, so every frame of the table
        /// moves by the same amount.
        Anchors = 0, "anchors", "Every Anchor";
        /// The macro offset grows along the path, from nothing at the first frame
        /// to all of it at the last: the knobs bend where the scan ends up while
        /// its start stays on anchor A. (With a straight path, an offset added to
        /// the whole path equally would be the same table as "Every Anchor".)
        Path = 16, "path", "Along Path";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_ids_round_trip() {
        for shape in AnchorShape::ALL {
            assert_eq!(AnchorShape::from_id(shape.id()), Some(shape));
        }
        assert_eq!(AnchorShape::from_id("Vowel_A"), Some(AnchorShape::VowelA));
        assert_eq!(AnchorShape::from_id("kazoo"), None);
    }

    #[test]
    fn anchors_serialise_and_parse_back() {
        let mut anchors = Anchors::from_shapes(&[AnchorShape::Sine, AnchorShape::Square]);
        anchors.slots[2] = Some(Anchor::Latent {
            name: "captured".into(),
            latent: vec![0.5; 16],
        });
        anchors.slots[3] = Some(Anchor::Wave {
            name: "cello.wav".into(),
            samples: vec![0.0, 1.0, 0.0, -1.0],
        });
        let json = serde_json::to_string(&anchors).unwrap();
        let back: Anchors = serde_json::from_str(&json).unwrap();
        assert_eq!(back, anchors);
        assert_eq!(Anchors::slot_index("c"), Some(2));
        assert_eq!(Anchors::slot_index("E"), None);
    }
}

/// A wavetable the user imported, played as it is (not through the model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserTable {
    /// Where it came from (a file name), for display.
    pub name: String,
    /// Identifies the content (a hash of the samples), so the worker notices a
    /// new table without comparing every sample.
    pub id: u64,
    /// The frames (each one cycle, all the same length).
    pub frames: Vec<Vec<f32>>,
}

impl UserTable {
    /// A table from frames of one cycle each; `None` when there are no frames,
    /// more than [`crate::MAX_FRAMES`], frames of different or too short
    /// lengths, or non-finite samples.
    pub fn new(name: &str, frames: Vec<Vec<f32>>) -> Option<Self> {
        let len = frames.first()?.len();
        let ok = frames.len() <= crate::MAX_FRAMES
            && len >= 4
            && frames
                .iter()
                .all(|f| f.len() == len && f.iter().all(|v| v.is_finite()));
        if !ok {
            return None;
        }
        let bytes: Vec<u8> = frames
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        Some(Self {
            name: name.to_string(),
            id: nwt_model::rng::fnv1a(&bytes),
            frames,
        })
    }
}

/// The anchor slots as the parameters keep them: behind a lock (GUI, worker
/// and loading threads only), with a revision the audio thread can read that
/// counts every replacement, including the one a DAW's state load makes.
#[derive(Debug, Default)]
pub struct AnchorStore {
    slots: std::sync::RwLock<Anchors>,
    revision: std::sync::atomic::AtomicU64,
}

impl AnchorStore {
    /// A copy of the slots.
    pub fn snapshot(&self) -> Anchors {
        self.slots.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the slots equal `other`.
    pub fn equals(&self, other: &Anchors) -> bool {
        *self.slots.read().unwrap_or_else(|e| e.into_inner()) == *other
    }

    /// Replaces the slots and counts a new revision.
    pub fn replace(&self, anchors: Anchors) {
        *self.slots.write().unwrap_or_else(|e| e.into_inner()) = anchors;
        self.bump();
    }

    /// Counts a new revision of the sound (the slots or what they stand for changed).
    pub fn bump(&self) {
        self.revision
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// How many times the sound was replaced (lock-free; the audio thread may read it).
    pub fn revision(&self) -> u64 {
        self.revision.load(std::sync::atomic::Ordering::Acquire)
    }
}

impl<'a> nice_plug::params::persist::PersistentField<'a, Anchors> for AnchorStore {
    fn set(&self, new_value: Anchors) {
        self.replace(new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Anchors) -> R,
    {
        f(&self.slots.read().unwrap_or_else(|e| e.into_inner()))
    }
}
