//! Unison lanes remembered between blocks.
//!
//! A held note at a steady pitch asks for the same lanes (increments, mip
//! levels, gains) every control block; only their phases move. Working them
//! out again was about 5 % of the 64-voice × 16-unison block (`perf` on
//! `synth/64_voices_x16_unison_neural_static_rack`, BENCHMARKS.md), so each
//! voice keeps its last lanes in a [`LaneMemo`] and the synth counts, in a
//! [`LaneEpoch`], the changes of everything else they depend on.

use super::lanes::{UnisonLanes, UnisonSpread};
use super::pitch_hz;
use crate::wavetable::{LevelLayout, WavetableSet, NUM_LEVELS};
use crate::MAX_UNISON;

/// Numbers the changes of what every voice's lanes depend on besides its
/// pitch: the unison spread, the table's level layout and the sample rate.
/// Epoch 0 is never given out (a context that passes 0 asks for no memo).
#[derive(Debug, Default)]
pub struct LaneEpoch {
    basis: Option<(UnisonSpread, [LevelLayout; NUM_LEVELS], u32)>,
    epoch: u64,
}

impl LaneEpoch {
    /// The epoch for a block that plays `set` with `spread` at `sample_rate`:
    /// the last one when all three are as they were, a new one otherwise.
    pub fn update(&mut self, set: &WavetableSet, spread: &UnisonSpread, sample_rate: f32) -> u64 {
        let basis = (*spread, set.layouts(), sample_rate.to_bits());
        if self.basis.as_ref() != Some(&basis) {
            self.basis = Some(basis);
            self.epoch += 1;
        }
        self.epoch
    }
}

/// One voice's lanes of its last block and what they were worked out from.
#[derive(Debug, Clone, Default)]
pub struct LaneMemo {
    last: Option<(u64, u32, UnisonLanes)>,
}

impl LaneMemo {
    /// [`UnisonLanes::for_note`] for a note at MIDI `pitch` ([`pitch_hz`]),
    /// starting at `phases`: the remembered lanes when `epoch` (from
    /// [`LaneEpoch::update`]; 0 for none) and `pitch` are those of the last
    /// call, worked out afresh otherwise. Either way the same lanes.
    pub fn for_note(
        &mut self,
        set: &WavetableSet,
        spread: &UnisonSpread,
        pitch: f32,
        sample_rate: f32,
        epoch: u64,
        phases: [u32; MAX_UNISON],
    ) -> UnisonLanes {
        if epoch != 0 {
            if let Some((e, p, lanes)) = &self.last {
                if *e == epoch && *p == pitch.to_bits() {
                    let mut lanes = lanes.clone();
                    lanes.phase = phases;
                    return lanes;
                }
            }
        }
        let lanes = UnisonLanes::for_note(set, spread, pitch_hz(pitch), sample_rate, phases);
        if epoch != 0 {
            self.last = Some((epoch, pitch.to_bits(), lanes.clone()));
        }
        lanes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nwt_model::Shape;

    const SR: f32 = 48_000.0;

    fn fresh(
        set: &WavetableSet,
        spread: &UnisonSpread,
        pitch: f32,
        phases: [u32; MAX_UNISON],
    ) -> UnisonLanes {
        UnisonLanes::for_note(
            set,
            spread,
            440.0 * ((pitch - 69.0) / 12.0).exp2(),
            SR,
            phases,
        )
    }

    #[test]
    fn remembered_lanes_are_the_lanes_worked_out_afresh() {
        let saw = WavetableSet::from_harmonics(&[Shape::Saw.harmonics()]).unwrap();
        let sine = WavetableSet::from_harmonics(&[Shape::Sine.harmonics()]).unwrap();
        assert_ne!(saw.layouts(), sine.layouts(), "the two layouts differ");
        let (mut epochs, mut memo) = (LaneEpoch::default(), LaneMemo::default());
        let mut phases = [0u32; MAX_UNISON];
        // Each step: the table, the spread and the pitch a block plays.
        let steps = [
            (&saw, UnisonSpread::new(16, 20.0, 0.5), 60.0),
            (&saw, UnisonSpread::new(16, 20.0, 0.5), 60.0),
            (&saw, UnisonSpread::new(16, 35.0, 0.5), 60.0),
            (&saw, UnisonSpread::new(16, 35.0, 0.5), 60.5),
            (&sine, UnisonSpread::new(16, 35.0, 0.5), 60.5),
            (&sine, UnisonSpread::new(3, 35.0, 0.5), 60.5),
            (&sine, UnisonSpread::new(3, 35.0, 0.5), 127.0),
        ];
        let mut seen = Vec::new();
        for (set, spread, pitch) in steps {
            let epoch = epochs.update(set, &spread, SR);
            seen.push(epoch);
            let got = memo.for_note(set, &spread, pitch, SR, epoch, phases);
            assert_eq!(got, fresh(set, &spread, pitch, phases), "{pitch} {epoch}");
            phases = got.phase.map(|p| p.wrapping_add(0x1234_5678));
        }
        assert_eq!(
            seen,
            [1, 1, 2, 2, 3, 4, 4],
            "a new epoch exactly when the spread or layout changes"
        );
        // Epoch 0 keeps nothing.
        let spread = UnisonSpread::new(2, 10.0, 0.0);
        let got = memo.for_note(&saw, &spread, 50.0, SR, 0, phases);
        assert_eq!(got, fresh(&saw, &spread, 50.0, phases));
    }
}
