//! The unison oscillators of a note as lanes side by side, the spread that
//! places them, and a table fading out under them: the data every kernel
//! reads. A leaf below the kernels and the dispatcher ([`super::unison`]),
//! so none of them imports another through it.

use super::FrameRamp;
use crate::wavetable::{level_for, LevelLayout, WavetableSet};
use crate::MAX_UNISON;

/// The unison oscillators of one note, one lane each. Lanes past
/// [`UnisonLanes::count`] (and silent lanes) have zero gain and read the
/// table's shortest level, so a kernel may run them without checks.
#[derive(Debug, Clone, PartialEq)]
pub struct UnisonLanes {
    pub(super) count: usize,
    /// Phase of each lane, a `u32` fraction of a cycle.
    pub phase: [u32; MAX_UNISON],
    pub(super) inc: [u32; MAX_UNISON],
    pub(super) level: [u8; MAX_UNISON],
    pub(super) offset: [u32; MAX_UNISON],
    pub(super) bits: [u32; MAX_UNISON],
    pub(super) gain_l: [f32; MAX_UNISON],
    pub(super) gain_r: [f32; MAX_UNISON],
    /// Bit `k` is set when a lane reads (or read) mip level `k`; with
    /// `reach` and `widest`, upper bounds kept as lanes are placed so the
    /// kernels' safety checks need not look at every lane.
    used: u16,
    /// The farthest any lane reads into a frame (its level's offset plus
    /// cycle length, guards excluded).
    reach: usize,
    /// The largest `bits` of any lane.
    widest: u32,
}

/// How the unison oscillators of every note spread in pitch and stereo for one
/// block: the same for all notes, so the synth works it out once per block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnisonSpread {
    /// Oscillators per note, `1..=MAX_UNISON`.
    pub count: usize,
    /// Each oscillator's frequency ratio to the note (the detune).
    pub ratio: [f32; MAX_UNISON],
    /// Each oscillator's gain into the left output (equal-power pan, `1/√count` overall).
    pub gain_l: [f32; MAX_UNISON],
    /// Each oscillator's gain into the right output.
    pub gain_r: [f32; MAX_UNISON],
}

impl UnisonSpread {
    /// `count` oscillators detuned across ±`detune_cents` and panned across
    /// ±`spread` (`0..=1`); the outermost ones reach the full detune and spread.
    pub fn new(count: usize, detune_cents: f32, spread: f32) -> Self {
        let count = count.clamp(1, MAX_UNISON);
        let norm = 1.0 / (count as f32).sqrt();
        let mut out = Self {
            count,
            ratio: [1.0; MAX_UNISON],
            gain_l: [0.0; MAX_UNISON],
            gain_r: [0.0; MAX_UNISON],
        };
        for j in 0..count {
            let place = if count > 1 {
                2.0 * j as f32 / (count - 1) as f32 - 1.0
            } else {
                0.0
            };
            out.ratio[j] = (detune_cents * place / 1200.0).exp2();
            let angle = (spread * place + 1.0) * std::f32::consts::FRAC_PI_4;
            out.gain_l[j] = angle.cos() * std::f32::consts::SQRT_2 * norm;
            out.gain_r[j] = angle.sin() * std::f32::consts::SQRT_2 * norm;
        }
        out
    }
}

impl Default for UnisonSpread {
    fn default() -> Self {
        Self::new(1, 0.0, 0.0)
    }
}

/// The mip level a silent lane reads (the shortest cycle).
const SILENT_LEVEL: usize = crate::wavetable::NUM_LEVELS - 1;

/// One oscillator's settings for a block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lane {
    /// Phase increment per sample.
    pub inc: u32,
    /// Mip level.
    pub level: usize,
    /// Gain into the left output.
    pub gain_l: f32,
    /// Gain into the right output.
    pub gain_r: f32,
}

impl UnisonLanes {
    /// `count` lanes (clamped to `1..=MAX_UNISON`) starting at `phases`, all silent
    /// until [`UnisonLanes::set`] gives them a pitch.
    pub fn new(set: &WavetableSet, count: usize, phases: [u32; MAX_UNISON]) -> Self {
        let silent = set.level(SILENT_LEVEL);
        Self {
            count: count.clamp(1, MAX_UNISON),
            phase: phases,
            inc: [0; MAX_UNISON],
            level: [SILENT_LEVEL as u8; MAX_UNISON],
            offset: [silent.offset as u32; MAX_UNISON],
            bits: [silent.bits; MAX_UNISON],
            gain_l: [0.0; MAX_UNISON],
            gain_r: [0.0; MAX_UNISON],
            used: 1 << SILENT_LEVEL,
            reach: silent.offset + (1usize << silent.bits.min(31)),
            widest: silent.bits,
        }
    }

    /// Points lane `j` at mip level `level` of `set`.
    fn place(&mut self, set: &WavetableSet, j: usize, level: usize) {
        let level = level.min(SILENT_LEVEL);
        let layout: LevelLayout = set.level(level);
        self.level[j] = level as u8;
        self.offset[j] = layout.offset as u32;
        self.bits[j] = layout.bits;
        self.used |= 1 << level;
        self.reach = self
            .reach
            .max(layout.offset + (1usize << layout.bits.min(31)));
        self.widest = self.widest.max(layout.bits);
    }

    /// Number of lanes in use.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Lanes for a note of `freq` Hz at `sample_rate` spread by `spread`
    /// (an oscillator at or above Nyquist is silent), starting at `phases`.
    pub fn for_note(
        set: &WavetableSet,
        spread: &UnisonSpread,
        freq: f32,
        sample_rate: f32,
        phases: [u32; MAX_UNISON],
    ) -> Self {
        let mut lanes = Self::new(set, spread.count, phases);
        let ratio = freq / sample_rate;
        let count = spread.count.clamp(1, MAX_UNISON);
        // The detune ratios run monotonically from the first lane to the
        // last, and so do the levels: when the outermost two share a level,
        // every lane has it (one search instead of one per lane).
        let outer = level_for(ratio * spread.ratio[0]);
        let shared = outer.filter(|&k| level_for(ratio * spread.ratio[count - 1]) == Some(k));
        for j in 0..count {
            let r = ratio * spread.ratio[j];
            let lane = super::increment_for_ratio(r).and_then(|inc| {
                Some(Lane {
                    inc,
                    level: shared.or_else(|| level_for(r))?,
                    gain_l: spread.gain_l[j],
                    gain_r: spread.gain_r[j],
                })
            });
            lanes.set(set, j, lane);
        }
        lanes
    }

    /// Gives lane `j` its increment, mip level and gains (`None` silences it).
    pub fn set(&mut self, set: &WavetableSet, j: usize, lane: Option<Lane>) {
        if j >= self.count {
            return;
        }
        let lane = lane.unwrap_or(Lane {
            inc: 0,
            level: SILENT_LEVEL,
            gain_l: 0.0,
            gain_r: 0.0,
        });
        self.place(set, j, lane.level);
        self.inc[j] = lane.inc;
        self.gain_l[j] = lane.gain_l;
        self.gain_r[j] = lane.gain_r;
    }

    /// Lane `j`'s mip level, `None` when it is silent or not in use.
    pub fn level(&self, j: usize) -> Option<usize> {
        (j < self.count && self.gain_l[j].abs() + self.gain_r[j].abs() > 0.0)
            .then_some(usize::from(self.level[j]))
    }

    /// The same lanes reading `set` at the mip levels `levels` instead (for a
    /// crossfade between levels); lanes without a level keep theirs.
    pub fn with_levels(&self, set: &WavetableSet, levels: &[Option<usize>; MAX_UNISON]) -> Self {
        let mut other = self.clone();
        for (j, level) in levels.iter().enumerate().take(self.count) {
            if let Some(level) = *level {
                other.place(set, j, level);
            }
        }
        other
    }

    /// True when `old` stores every level the lanes read where `set` does (so
    /// one index reads both), and the lanes' reads stay inside `old`.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // used by the SIMD kernels
    pub(super) fn same_layout(&self, set: &WavetableSet, old: &WavetableSet) -> bool {
        (0..crate::wavetable::NUM_LEVELS)
            .filter(|k| self.used & (1 << k) != 0)
            .all(|k| set.level(k) == old.level(k))
            && self.fits(old)
    }

    /// True when every lane's reads stay inside `set` (what the SIMD kernels rely on).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // used by the SIMD kernels
    pub(super) fn fits(&self, set: &WavetableSet) -> bool {
        let stride = set.stride();
        set.data().len() >= set.frame_count() * stride
            && self.widest <= 24
            && self.reach + 4 <= stride
    }
}

/// A table fading out under the one the lanes play (a new table arriving).
#[derive(Debug, Clone, Copy)]
pub struct TableFade<'a> {
    /// The old table.
    pub set: &'a WavetableSet,
    /// Its frame ramp for this block.
    pub ramp: &'a FrameRamp,
    /// The old table's weight at the block's first sample.
    pub from: f32,
    /// Its weight after the block's last sample.
    pub to: f32,
}

impl TableFade<'_> {
    /// The old table's weight at sample `i` of an `n`-sample block.
    pub(super) fn weight(&self, i: usize, n: usize) -> f32 {
        self.from + (self.to - self.from) / n as f32 * i as f32
    }
}
