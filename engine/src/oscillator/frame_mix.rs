//! What every note of a block reads alike: which frames, and with what weights.
//!
//! The frame ramps (and, while a table fades, the fade's weights) are the same
//! for every note at the same positions, so the runs of samples that read one
//! frame pair, and each sample's four frame weights during a fade, are worked
//! out once per block ([`FrameMix`], kept by [`crate::voice::RampCache`])
//! instead of once per note.

use super::lanes::TableFade;
use super::FrameRamp;
use crate::CONTROL_BLOCK;

/// Samples `start..end` of a block, over which every sample reads frames `a`
/// and `b` of the table (offsets in its data), and `c` and `d` of the table
/// fading out, if any; `frames` says how many of them the samples mix (1: `a`
/// alone, 2: `a` and `b`, 4: all four).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // used by the SIMD kernels
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct FrameRun {
    pub start: usize,
    pub end: usize,
    pub a: usize,
    pub b: usize,
    pub c: usize,
    pub d: usize,
    pub frames: usize,
}

/// The runs and weights of a block's first `n` samples, shared by every note
/// that reads the same ramps and fade.
#[derive(Debug, Clone)]
pub struct FrameMix {
    n: usize,
    runs: [FrameRun; CONTROL_BLOCK],
    count: usize,
    /// While a table fades: each sample's weights of frames `a`, `b` (the
    /// table) and `c`, `d` (the table fading out).
    weights: [[f32; 4]; CONTROL_BLOCK],
}

impl FrameMix {
    /// The mix of the first `n` samples (at most [`CONTROL_BLOCK`]) of `ramp`,
    /// fading out `fade`'s table if any.
    pub fn new(ramp: &FrameRamp, fade: Option<&TableFade>, n: usize) -> Self {
        let n = n.min(CONTROL_BLOCK);
        let mut mix = Self {
            n,
            runs: [FrameRun::default(); CONTROL_BLOCK],
            count: 0,
            weights: [[0.0; 4]; CONTROL_BLOCK],
        };
        for mut run in frame_runs(ramp, fade.map(|f| f.ramp), n) {
            run.frames = if fade.is_some() {
                4
            } else if run.a != run.b && ramp.t[run.start..run.end].iter().any(|&t| t != 0.0) {
                2
            } else {
                1
            };
            mix.runs[mix.count] = run;
            mix.count += 1;
        }
        if let Some(fade) = fade {
            for (i, w) in mix.weights.iter_mut().enumerate().take(n) {
                let (t, t_old) = (ramp.t[i], fade.ramp.t[i]);
                let old = fade.weight(i, n);
                let new = 1.0 - old;
                *w = [new - new * t, new * t, old - old * t_old, old * t_old];
            }
        }
        mix
    }

    /// How many samples it covers.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when it covers no sample.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The runs, in order.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // used by the SIMD kernels
    pub(super) fn runs(&self) -> &[FrameRun] {
        &self.runs[..self.count]
    }

    /// Each sample's four frame weights while a table fades.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // used by the SIMD kernels
    pub(super) fn weights(&self) -> &[[f32; 4]; CONTROL_BLOCK] {
        &self.weights
    }
}

/// The frame pair sample `i` of `ramp` reads.
fn pair(ramp: &FrameRamp, i: usize) -> (usize, usize) {
    if ramp.single {
        (ramp.a[0], ramp.a[0])
    } else {
        (ramp.a[i], ramp.b[i])
    }
}

/// Splits the first `n` samples of `ramp` (and of `old`, the fading table's)
/// into runs of one frame pair each (a position that crosses a frame
/// boundary inside the block makes two).
fn frame_runs<'a>(
    ramp: &'a FrameRamp,
    old: Option<&'a FrameRamp>,
    n: usize,
) -> impl Iterator<Item = FrameRun> + 'a {
    let mut start = 0;
    let frames = move |i: usize| {
        let (a, b) = pair(ramp, i);
        let (c, d) = old.map_or((a, b), |old| pair(old, i));
        [a, b, c, d]
    };
    std::iter::from_fn(move || {
        if start >= n {
            return None;
        }
        let [a, b, c, d] = frames(start);
        // Positions move linearly within a block, so the samples reading
        // this pair are one stretch from `start`: its end by bisection.
        let (mut lo, mut hi) = (start + 1, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if frames(mid) == [a, b, c, d] {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let end = lo;
        let run = FrameRun {
            start,
            end,
            a,
            b,
            c,
            d,
            frames: 0,
        };
        start = end;
        Some(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wavetable::WavetableSet;
    use nwt_model::Shape;

    #[test]
    fn frame_runs_split_where_the_pair_changes() {
        let set =
            WavetableSet::from_harmonics(&Shape::morph(&[Shape::Sine, Shape::Saw], 5)).unwrap();
        let ramp = FrameRamp::new(&set, 0.2, 0.3, CONTROL_BLOCK);
        let mix = FrameMix::new(&ramp, None, CONTROL_BLOCK);
        let runs = mix.runs();
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0].start, 0);
        assert_eq!(runs[1].end, CONTROL_BLOCK);
        assert_eq!(runs[0].end, runs[1].start);
        assert_eq!((runs[0].a, runs[1].a), (0, set.stride()));
        assert!(runs.iter().all(|run| run.frames == 2));
        let still = FrameRamp::new(&set, 0.5, 0.5, CONTROL_BLOCK);
        assert_eq!(FrameMix::new(&still, None, CONTROL_BLOCK).runs().len(), 1);
    }

    #[test]
    fn a_fade_weighs_the_four_frames_to_one() {
        let set =
            WavetableSet::from_harmonics(&Shape::morph(&[Shape::Sine, Shape::Saw], 5)).unwrap();
        let old_set = WavetableSet::from_harmonics(&[Shape::Square.harmonics()]).unwrap();
        let ramp = FrameRamp::new(&set, 0.2, 0.3, CONTROL_BLOCK);
        let old_ramp = FrameRamp::new(&old_set, 0.2, 0.3, CONTROL_BLOCK);
        let fade = TableFade {
            set: &old_set,
            ramp: &old_ramp,
            from: 0.75,
            to: 0.25,
        };
        let mix = FrameMix::new(&ramp, Some(&fade), CONTROL_BLOCK);
        assert!(mix.runs().iter().all(|run| run.frames == 4));
        for (i, w) in mix.weights().iter().enumerate() {
            let old = 0.75 - 0.5 * i as f32 / CONTROL_BLOCK as f32;
            assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{w:?}");
            assert!((w[2] + w[3] - old).abs() < 1e-6, "sample {i}: {w:?}");
            assert!((w[1] - (1.0 - old) * ramp.t[i]).abs() < 1e-6);
        }
    }
}
