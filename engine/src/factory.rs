//! Where the oscillator's table comes from: the neural decoder, or one of the
//! factory wavetables computed in code from [`nwt_model::Shape`]s.

use crate::wavetable::{TableError, WavetableSet};
use nwt_model::Shape;

crate::stable_enum! {
    /// The `table` parameter: the neural table decoded from the anchors and
    /// macros, or a factory table.
    pub enum TableSource: 65 {
        /// The table the decoder worker builds from the anchors and macro knobs.
        Neural = 0, "neural", "Neural";
        /// Sine → triangle → saw → square.
        Basic = 8, "basic", "Basic Shapes";
        /// A single saw frame (the Init sound).
        Saw = 16, "saw", "Saw";
        /// A pulse narrowing from 50 % to 3 % duty.
        Pulse = 24, "pulse", "Pulse Width";
        /// Spectral tilt from dark to bright.
        Tilt = 32, "tilt", "Harmonic Sweep";
        /// Odd harmonics only, dark to bright.
        Odd = 40, "odd", "Odd Harmonics";
        /// Vowel formants a-e-i-o-u.
        Formant = 48, "formant", "Formant Vowels";
        /// Organ drawbar registrations.
        Organ = 56, "organ", "Organ Drawbars";
        /// A wavetable the user imported (a Serum/Vital/Surge WAV), played as it is.
        User = 64, "user", "Imported";
    }
}

impl TableSource {
    /// Every factory (code-built) table, in parameter order.
    pub const ALL: [TableSource; 7] = [
        TableSource::Basic,
        TableSource::Saw,
        TableSource::Pulse,
        TableSource::Tilt,
        TableSource::Odd,
        TableSource::Formant,
        TableSource::Organ,
    ];

    /// Position of this factory table in [`Self::ALL`] (`None` for the tables
    /// the decoder worker builds: [`TableSource::Neural`] and [`TableSource::User`]).
    pub fn index(self) -> Option<usize> {
        Self::ALL.iter().position(|&t| t == self)
    }

    /// The shapes this table's frames morph through, and how many frames it has.
    fn recipe(self) -> (Vec<Shape>, usize) {
        match self {
            // Not built here; until the decoder delivers, the synth plays the saw.
            TableSource::Neural | TableSource::User => (vec![Shape::Saw], 1),
            TableSource::Basic => (
                vec![Shape::Sine, Shape::Triangle, Shape::Saw, Shape::Square],
                4,
            ),
            TableSource::Saw => (vec![Shape::Saw], 1),
            TableSource::Pulse => (
                (0..32)
                    .map(|i| Shape::Pulse(0.5 - 0.47 * i as f32 / 31.0))
                    .collect(),
                32,
            ),
            TableSource::Tilt => (
                (0..32)
                    .map(|i| Shape::Tilted(2.5 - 2.0 * i as f32 / 31.0))
                    .collect(),
                32,
            ),
            TableSource::Odd => (
                (0..16)
                    .map(|i| Shape::OddTilted(2.5 - 2.0 * i as f32 / 15.0))
                    .collect(),
                16,
            ),
            TableSource::Formant => (
                vec![
                    Shape::Formant([7.0, 11.0, 25.0]),
                    Shape::Formant([4.0, 18.0, 26.0]),
                    Shape::Formant([2.5, 23.0, 30.0]),
                    Shape::Formant([4.5, 8.0, 25.0]),
                    Shape::Formant([3.0, 7.0, 24.0]),
                ],
                32,
            ),
            TableSource::Organ => (
                vec![
                    Shape::Drawbars([1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
                    Shape::Drawbars([1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]),
                    Shape::Drawbars([0.8, 0.8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
                    Shape::Drawbars([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
                ],
                8,
            ),
        }
    }

    /// Builds this table's frames (allocates; call off the audio thread).
    pub fn build(self) -> Result<WavetableSet, TableError> {
        let (shapes, frames) = self.recipe();
        let spectra = if shapes.len() == frames {
            shapes.iter().map(|s| s.harmonics()).collect()
        } else {
            Shape::morph(&shapes, frames)
        };
        WavetableSet::from_harmonics(&spectra)
    }
}

/// The factory bank, built once per process and shared by every synth (it
/// never changes), so an extra plugin instance does not build it again.
pub fn shared_bank() -> std::sync::Arc<[WavetableSet]> {
    static BANK: std::sync::OnceLock<std::sync::Arc<[WavetableSet]>> = std::sync::OnceLock::new();
    BANK.get_or_init(|| build_bank().into()).clone()
}

/// Every factory table, built, indexed like [`TableSource::ALL`].
pub fn build_bank() -> Vec<WavetableSet> {
    TableSource::ALL
        .iter()
        .map(|t| {
            t.build()
                .expect("factory recipes stay within the table limits")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_factory_table_builds() {
        let bank = build_bank();
        assert_eq!(bank.len(), TableSource::ALL.len());
        for (t, set) in TableSource::ALL.iter().zip(&bank) {
            assert_eq!(set.frame_count(), t.recipe().1, "{t:?}");
            let peak = set.frame(0).iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert!((peak - 1.0).abs() < 1e-3, "{t:?} {peak}");
        }
    }
}
