//! All unison oscillators of one note in one pass.
//!
//! The unison oscillators of a note share their table, their frame pair and
//! crossfade weight per sample, and mostly their mip level; they differ in
//! phase, increment and stereo gains. [`UnisonLanes`] holds them side by side
//! (structure of arrays, one lane per oscillator) so a SIMD kernel can step all
//! of them at once. [`Simd::best`] picks the widest kernel the CPU has at run
//! time; the binaries are built for baseline x86-64 and never assume it.
//!
//! Kernels:
//! - [`Simd::Scalar`]: every lane through the one-oscillator loop,
//!   [`super::render`]. The reference, and the path of CPUs without AVX2 and of
//!   other architectures.
//! - [`Simd::Avx2`] (x86-64 with AVX2 and FMA): eight lanes per 256-bit
//!   register. Each lane's four interpolation taps are one unaligned 128-bit load
//!   per frame (two lanes per register), the two frames are mixed while the taps
//!   are still rows, and a 4×4 transpose turns rows into "tap k of every lane"
//!   before the interpolator runs on all lanes. Hardware gathers are avoided:
//!   on the AMD Zen 4 build machine a gather-based kernel was 3× slower than
//!   this one (see BENCHMARKS.md).
//! - [`Simd::Avx512`] (x86-64 with AVX-512F): all sixteen lanes of a note in
//!   one 512-bit register, rows of four lanes' taps, the same transpose in
//!   each 128-bit block. Used where it was measured faster than the AVX2
//!   kernel (see the variant's doc).
//!
//! The kernels use `std::arch` intrinsics behind `is_x86_feature_detected!`
//! rather than a SIMD crate. `wide` picks its implementation when it is
//! compiled (`cfg(target_feature)`), so in a baseline x86-64 build its
//! vectors are SSE pairs even inside a function multiversioned for AVX2
//! (`multiversion`); and letting the compiler vectorise the lane loop for
//! each target (what `multiversion` does with plain code) gave hardware
//! gathers, 3× slower than the transposing kernel here (BENCHMARKS.md).
//! The kernels need operations a portable vector type does not offer: a
//! 128-bit load into either half of a register, the per-128-bit-block
//! unpacks of the transpose, per-lane variable shifts. `pulp` would give
//! runtime dispatch and safe wrappers around these same intrinsics; the
//! project keeps the unsafe code to two modules with stated contracts
//! instead, checked by the kernel-equality test on every level the CPU has.

use super::frame_mix::FrameMix;
use super::lanes::{TableFade, UnisonLanes};
use super::{render, FrameRamp};
use crate::wavetable::WavetableSet;
use crate::CONTROL_BLOCK;
use std::cell::OnceCell;

/// A kernel the oscillators can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Simd {
    /// One lane at a time (any CPU).
    #[default]
    Scalar,
    /// Eight lanes at a time with AVX2 and FMA (x86-64).
    Avx2,
    /// Sixteen lanes at a time with AVX-512F (x86-64) where that was
    /// measured faster: notes of more than eight oscillators outside a table
    /// fade. The AVX2 kernel takes the rest (on the Zen 4 build machine the
    /// sixteen-lane kernel is 4 % faster without a fade and 3 % slower with
    /// one, whose four frames cost it 48 128-bit inserts per sample).
    Avx512,
}

impl Simd {
    /// The fastest kernel this CPU runs.
    pub fn best() -> Self {
        if avx512_available() {
            Self::Avx512
        } else if avx2_available() {
            Self::Avx2
        } else {
            Self::Scalar
        }
    }

    /// This kernel where the CPU runs it, else the scalar one.
    pub fn or_scalar(self) -> Self {
        if Self::available().contains(&self) {
            self
        } else {
            Self::Scalar
        }
    }

    /// Every kernel this CPU runs, slowest first (always starts with `Scalar`).
    pub fn available() -> Vec<Self> {
        let mut kernels = vec![Self::Scalar];
        if avx2_available() {
            kernels.push(Self::Avx2);
            if avx512_available() {
                kernels.push(Self::Avx512);
            }
        }
        kernels
    }

    /// The kernel's name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Scalar => "scalar",
            Self::Avx2 => "avx2+fma",
            Self::Avx512 => "avx512f",
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn avx2_available() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2_available() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
fn avx512_available() -> bool {
    avx2_available() && std::arch::is_x86_feature_detected!("avx512f")
}

#[cfg(not(target_arch = "x86_64"))]
fn avx512_available() -> bool {
    false
}

/// What the notes of a block read: the table and its frame ramp, the table
/// fading out (if any), and the frame runs and weights those imply (worked
/// out by the first note whose kernel needs them, then shared by every note
/// at the same positions).
#[derive(Debug, Clone, Copy)]
pub struct TableReads<'a> {
    /// The table.
    pub set: &'a WavetableSet,
    /// Its frame ramp for this block.
    pub ramp: &'a FrameRamp,
    /// The table fading out, if any.
    pub fade: Option<TableFade<'a>>,
    /// `FrameMix::new(ramp, fade, n)` for the block's `n` samples, once
    /// worked out.
    pub mix: &'a OnceCell<FrameMix>,
}

/// Renders every lane of `lanes` over `out_l.len()` samples (at most
/// [`CONTROL_BLOCK`]), adding into the buffers, with kernel `simd`; advances
/// the lanes' phases. With `fade`, the output crossfades from the old table
/// to `set` (the lanes read both at the same places). A kernel the CPU lacks
/// falls back to the scalar one.
pub fn render_unison(
    simd: Simd,
    set: &WavetableSet,
    ramp: &FrameRamp,
    fade: Option<TableFade>,
    lanes: &mut UnisonLanes,
    out_l: &mut [f32],
    out_r: &mut [f32],
) {
    let mix = OnceCell::new();
    let reads = TableReads {
        set,
        ramp,
        fade,
        mix: &mix,
    };
    render_reads(simd, reads, lanes, out_l, out_r);
}

/// [`render_unison`] with the block's frame runs and weights shared with the
/// block's other notes (`reads.mix`: worked out here when a kernel needs
/// them and nobody has yet, or when it covers another length).
pub fn render_reads(
    simd: Simd,
    reads: TableReads,
    lanes: &mut UnisonLanes,
    out_l: &mut [f32],
    out_r: &mut [f32],
) {
    let TableReads {
        set, ramp, fade, ..
    } = reads;
    let n = out_l.len().min(out_r.len()).min(CONTROL_BLOCK);
    let (out_l, out_r) = (&mut out_l[..n], &mut out_r[..n]);
    match simd {
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2 | Simd::Avx512
            if lanes.count > 2
                && avx2_available()
                && lanes.fits(set)
                && fade.is_none_or(|f| lanes.same_layout(set, f.set)) =>
        {
            let mix = reads
                .mix
                .get_or_init(|| FrameMix::new(ramp, fade.as_ref(), n));
            if mix.len() != n {
                let mix = OnceCell::from(FrameMix::new(ramp, fade.as_ref(), n));
                return render_reads(simd, TableReads { mix: &mix, ..reads }, lanes, out_l, out_r);
            }
            let weights = super::avx2::Weights {
                t: &ramp.t,
                mix: mix.weights(),
            };
            for run in mix.runs() {
                let tables = [set.data(), fade.map_or(set.data(), |f| f.set.data())];
                // SAFETY: AVX2 and FMA are present (checked above), and
                // AVX-512F for its kernel; `fits` (and
                // `same_layout` for the old table) and the ramps' offsets
                // (frames of their sets) keep every read inside the tables.
                unsafe {
                    if simd == Simd::Avx512 && avx512_available() {
                        super::avx512::render(tables, run, &weights, lanes, out_l, out_r)
                    } else {
                        super::avx2::render(tables, run, &weights, lanes, out_l, out_r)
                    }
                }
            }
        }
        _ => match fade {
            None => render_scalar(set, ramp, lanes, out_l, out_r),
            Some(fade) => {
                let (mut new_l, mut new_r) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
                let (mut old_l, mut old_r) = ([0.0f32; CONTROL_BLOCK], [0.0f32; CONTROL_BLOCK]);
                let mut old_lanes = lanes.clone();
                render_scalar(set, ramp, lanes, &mut new_l[..n], &mut new_r[..n]);
                render_scalar(
                    fade.set,
                    fade.ramp,
                    &mut old_lanes,
                    &mut old_l[..n],
                    &mut old_r[..n],
                );
                for i in 0..n {
                    let w = fade.weight(i, n);
                    out_l[i] += new_l[i] + (old_l[i] - new_l[i]) * w;
                    out_r[i] += new_r[i] + (old_r[i] - new_r[i]) * w;
                }
            }
        },
    }
}

/// Every lane through the one-oscillator loop.
fn render_scalar(
    set: &WavetableSet,
    ramp: &FrameRamp,
    lanes: &mut UnisonLanes,
    out_l: &mut [f32],
    out_r: &mut [f32],
) {
    for j in 0..lanes.count {
        if lanes.gain_l[j] == 0.0 && lanes.gain_r[j] == 0.0 {
            let steps = lanes.inc[j].wrapping_mul(out_l.len() as u32);
            lanes.phase[j] = lanes.phase[j].wrapping_add(steps);
            continue;
        }
        lanes.phase[j] = render(
            set,
            usize::from(lanes.level[j]),
            ramp,
            lanes.phase[j],
            lanes.inc[j],
            lanes.gain_l[j],
            lanes.gain_r[j],
            out_l,
            out_r,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oscillator::increment;
    use crate::oscillator::Lane;
    use crate::wavetable::level_for;
    use crate::MAX_UNISON;
    use nwt_model::rng::Rng;
    use nwt_model::Shape;

    /// A table of `frames` random-ish spectra.
    fn table(frames: usize, rng: &mut Rng) -> WavetableSet {
        let shapes = [Shape::Saw, Shape::Square, Shape::Triangle, Shape::Sine];
        let spectra: Vec<_> = (0..frames)
            .map(|_| {
                let mut h = shapes[rng.below(4)].harmonics();
                for v in h.cos.iter_mut().chain(h.sin.iter_mut()) {
                    *v *= 0.5 + rng.uniform() as f32;
                }
                h
            })
            .collect();
        WavetableSet::from_harmonics(&spectra).unwrap()
    }

    /// Lanes of a detuned unison around `freq`, spread wide enough to straddle a mip level.
    fn lanes(set: &WavetableSet, count: usize, freq: f32, rng: &mut Rng) -> UnisonLanes {
        let phases = std::array::from_fn(|_| rng.next_u32());
        let mut lanes = UnisonLanes::new(set, count, phases);
        for j in 0..count {
            let f = freq * (1.0 + 0.3 * (rng.uniform() as f32 - 0.5));
            let lane = increment(f, 48_000.0)
                .zip(level_for(f / 48_000.0))
                .map(|(inc, level)| Lane {
                    inc,
                    level,
                    gain_l: rng.uniform() as f32,
                    gain_r: rng.uniform() as f32,
                });
            lanes.set(set, j, lane);
        }
        lanes
    }

    #[test]
    fn every_kernel_matches_the_scalar_one_sample_by_sample() {
        let mut rng = Rng::new(7);
        let kernels = Simd::available();
        println!("kernels on this machine: {kernels:?}");
        let mut worst = 0.0f32;
        for case in 0..600 {
            let frames = [1, 2, 7, 64][case % 4];
            let set = table(frames, &mut rng);
            let count = 1 + case % MAX_UNISON;
            let freq = 20.0 * 2f32.powf(rng.uniform() as f32 * 10.0);
            let base = lanes(&set, count, freq, &mut rng);
            let from = rng.uniform() as f32;
            let to = if case % 3 == 0 {
                from
            } else {
                rng.uniform() as f32
            };
            let n = if case % 5 == 0 {
                1 + rng.below(CONTROL_BLOCK)
            } else {
                CONTROL_BLOCK
            };
            let ramp = FrameRamp::new(&set, from, to, n);
            // Every other case fades out an older table (of any frame count).
            let old = table([1, 3, 64][case % 3], &mut rng);
            let old_ramp = FrameRamp::new(&old, to, from, n);
            let fade = (case % 2 == 1).then(|| TableFade {
                set: &old,
                ramp: &old_ramp,
                from: rng.uniform() as f32,
                to: rng.uniform() as f32,
            });
            let mut want = (vec![0.25f32; n], vec![-0.5f32; n]);
            let mut reference = base.clone();
            render_unison(
                Simd::Scalar,
                &set,
                &ramp,
                fade,
                &mut reference,
                &mut want.0,
                &mut want.1,
            );
            for &simd in &kernels {
                let mut got = (vec![0.25f32; n], vec![-0.5f32; n]);
                let mut lanes = base.clone();
                render_unison(simd, &set, &ramp, fade, &mut lanes, &mut got.0, &mut got.1);
                assert_eq!(lanes.phase, reference.phase, "{simd:?} case {case}");
                for i in 0..n {
                    let d = (got.0[i] - want.0[i])
                        .abs()
                        .max((got.1[i] - want.1[i]).abs());
                    worst = worst.max(d);
                    assert!(d <= 1e-5, "{simd:?} case {case} sample {i}: {d}");
                }
            }
        }
        println!("largest difference from the scalar kernel: {worst:e}");
    }
}
