//! The unison kernel for x86-64 CPUs with AVX2 and FMA: eight lanes per register.
//!
//! Group by group of eight lanes (so one group's state stays in registers),
//! every sample of the run: the lanes' table indices go to a small array; each
//! pair of lanes (`j`, `j + 4`) loads its four taps from both frames as one
//! 256-bit row per frame; the frames are mixed on the rows (the weight is the
//! same for every lane); a 4×4 transpose in each 128-bit half gives the vectors
//! `x[-1]`, `x[0]`, `x[1]`, `x[2]` with the lanes in their natural order; the
//! interpolator and the stereo gains run on all eight lanes, and the sample's
//! eight-lane sums are kept. After the last group the lanes are summed into
//! the output eight samples at a time (one transposing reduction instead of a
//! horizontal sum per sample). The arithmetic is the scalar loop's, with fused
//! multiply-adds, so results agree to rounding (tested to 1e-5).

use super::frame_mix::FrameRun;
use super::lanes::UnisonLanes;
use crate::{CONTROL_BLOCK, MAX_UNISON};
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// Lanes per register.
const WIDTH: usize = 8;

/// Per-sample weights of a block: the frame crossfade `t` of the table, and
/// while a table fades out, each of the four frames' weight in the mix (the
/// table's `a` and `b`, the old table's `c` and `d`).
pub(super) struct Weights<'a> {
    pub t: &'a [f32; CONTROL_BLOCK],
    pub mix: &'a [[f32; 4]; CONTROL_BLOCK],
}

/// Renders samples `run.start..run.end` of every lane into the buffers,
/// reading `run.frames` frames: 1 (`run.a`), 2 (`a` and `b` mixed by `t`)
/// or 4 (also `c` and `d` of the old table `tables[1]`, each frame with its
/// weight in `mix`).
///
/// # Safety
/// The CPU must have AVX2 and FMA; every lane's `offset + 2^bits + 4` must fit
/// in a frame of both tables, `run.a`, `run.b` must be frame offsets in
/// `tables[0]` and `run.c`, `run.d` in `tables[1]`; the lanes' `bits` must be
/// at most 24.
pub(super) unsafe fn render(
    tables: [&[f32]; 2],
    run: &FrameRun,
    weights: &Weights<'_>,
    lanes: &mut UnisonLanes,
    out_l: &mut [f32],
    out_r: &mut [f32],
) {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe {
        let end = run.end.min(out_l.len()).min(out_r.len());
        let args = (tables, run, weights, end);
        match (run.frames, lanes.count > WIDTH) {
            (1, false) => kernel::<1, 1>(args, lanes, out_l, out_r),
            (1, true) => kernel::<1, 2>(args, lanes, out_l, out_r),
            (2, false) => kernel::<2, 1>(args, lanes, out_l, out_r),
            (2, true) => kernel::<2, 2>(args, lanes, out_l, out_r),
            (_, false) => kernel::<4, 1>(args, lanes, out_l, out_r),
            (_, true) => kernel::<4, 2>(args, lanes, out_l, out_r),
        }
    }
}

/// One group's registers: phases, increments, level offsets, level bits, gains.
#[derive(Clone, Copy)]
struct Group {
    phase: __m256i,
    inc: __m256i,
    offset: __m256i,
    shift: __m256i,
    bits: __m256i,
    gain_l: __m256,
    gain_r: __m256,
}

/// Eight lanes of `values` from lane `at`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn load_u32(values: &[u32; MAX_UNISON], at: usize) -> __m256i {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe { _mm256_loadu_si256(values[at..at + WIDTH].as_ptr().cast()) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn load_group(lanes: &UnisonLanes, g: usize) -> Group {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe {
        let at = g * WIDTH;
        let bits = load_u32(&lanes.bits, at);
        Group {
            phase: load_u32(&lanes.phase, at),
            inc: load_u32(&lanes.inc, at),
            offset: load_u32(&lanes.offset, at),
            shift: _mm256_sub_epi32(_mm256_set1_epi32(32), bits),
            bits,
            gain_l: _mm256_loadu_ps(lanes.gain_l[at..at + WIDTH].as_ptr()),
            gain_r: _mm256_loadu_ps(lanes.gain_r[at..at + WIDTH].as_ptr()),
        }
    }
}

/// Lanes `j` and `j + 4`'s four taps at `idx` in frame `frame` (low and high half).
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn row(frame: *const f32, idx: &[u32; WIDTH], j: usize) -> __m256 {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe {
        let lo = _mm_loadu_ps(frame.add(idx[j] as usize));
        let hi = _mm_loadu_ps(frame.add(idx[j + 4] as usize));
        _mm256_insertf128_ps::<1>(_mm256_castps128_ps256(lo), hi)
    }
}

/// Niemitalo's optimal 4-point, 3rd-order interpolator on eight lanes (the
/// scalar [`super::interpolate`]).
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn interpolate(xm1: __m256, x0: __m256, x1: __m256, x2: __m256, z: __m256) -> __m256 {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe {
        let even1 = _mm256_add_ps(x1, x0);
        let odd1 = _mm256_sub_ps(x1, x0);
        let even2 = _mm256_add_ps(x2, xm1);
        let odd2 = _mm256_sub_ps(x2, xm1);
        let [k0, k1, k2, k3] = super::INTERPOLATOR;
        let c0 = mix(even1, k0[0], even2, k0[1]);
        let c1 = mix(odd1, k1[0], odd2, k1[1]);
        let c2 = mix(even1, k2[0], even2, k2[1]);
        let c3 = mix(odd1, k3[0], odd2, k3[1]);
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_fmadd_ps(c3, z, c2), z, c1), z, c0)
    }
}

/// `x·a + y·b` on eight lanes.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn mix(x: __m256, a: f32, y: __m256, b: f32) -> __m256 {
    _mm256_fmadd_ps(x, _mm256_set1_ps(a), _mm256_mul_ps(y, _mm256_set1_ps(b)))
}

/// Rows (two lanes' taps each) to columns: tap `k` of lanes 0..3 in the low
/// half and of lanes 4..7 in the high half.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn transpose(rows: [__m256; 4]) -> [__m256; 4] {
    let t0 = _mm256_castps_pd(_mm256_unpacklo_ps(rows[0], rows[1]));
    let t1 = _mm256_castps_pd(_mm256_unpacklo_ps(rows[2], rows[3]));
    let t2 = _mm256_castps_pd(_mm256_unpackhi_ps(rows[0], rows[1]));
    let t3 = _mm256_castps_pd(_mm256_unpackhi_ps(rows[2], rows[3]));
    [
        _mm256_castpd_ps(_mm256_unpacklo_pd(t0, t1)),
        _mm256_castpd_ps(_mm256_unpackhi_pd(t0, t1)),
        _mm256_castpd_ps(_mm256_unpacklo_pd(t2, t3)),
        _mm256_castpd_ps(_mm256_unpackhi_pd(t2, t3)),
    ]
}

/// The eight horizontal sums of `v` (sum of `v[k]`'s lanes in lane `k`).
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn sums8(v: &[__m256; WIDTH]) -> __m256 {
    let h01 = _mm256_hadd_ps(v[0], v[1]);
    let h23 = _mm256_hadd_ps(v[2], v[3]);
    let h45 = _mm256_hadd_ps(v[4], v[5]);
    let h67 = _mm256_hadd_ps(v[6], v[7]);
    let q0 = _mm256_hadd_ps(h01, h23);
    let q1 = _mm256_hadd_ps(h45, h67);
    _mm256_add_ps(
        _mm256_permute2f128_ps::<0x20>(q0, q1),
        _mm256_permute2f128_ps::<0x31>(q0, q1),
    )
}

/// The sum of `v`'s lanes.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn sum1(v: __m256) -> f32 {
    let four = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let two = _mm_hadd_ps(four, four);
    _mm_cvtss_f32(_mm_hadd_ps(two, two))
}

/// Adds the lane sums of `acc[k]` into `out[start + k]` for `k < len`, eight
/// samples at a time.
///
/// # Safety
/// AVX2 and FMA; `acc[..len]` written.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn add_sums(
    acc: &[MaybeUninit<__m256>; CONTROL_BLOCK],
    len: usize,
    out: &mut [f32],
    start: usize,
) {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe {
        let out = &mut out[start..start + len];
        let mut k = 0;
        while k + WIDTH <= len {
            let chunk: [__m256; WIDTH] = std::array::from_fn(|i| acc[k + i].assume_init());
            let dst = out[k..k + WIDTH].as_mut_ptr();
            _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_loadu_ps(dst), sums8(&chunk)));
            k += WIDTH;
        }
        for (o, a) in out[k..].iter_mut().zip(&acc[k..len]) {
            *o += sum1(a.assume_init());
        }
    }
}

/// Runs the lanes group by group (eight lanes at a time, every sample of the
/// run), keeping each sample's eight-lane stereo sums; then adds the sums
/// into the output eight samples at a time.
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel<const FRAMES: usize, const GROUPS: usize>(
    (tables, run, weights, end): ([&[f32]; 2], &FrameRun, &Weights<'_>, usize),
    lanes: &mut UnisonLanes,
    out_l: &mut [f32],
    out_r: &mut [f32],
) {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe {
        if end <= run.start {
            return;
        }
        let len = end - run.start;
        let frame_a = tables[0].as_ptr().add(run.a);
        let frame_b = tables[0].as_ptr().add(run.b);
        let frame_c = tables[1].as_ptr().add(run.c);
        let frame_d = tables[1].as_ptr().add(run.d);
        let frac_scale = _mm256_set1_ps(1.0 / (1u32 << 24) as f32);
        let half = _mm256_set1_ps(0.5);
        // Written by the first group for every sample of the run before anything
        // reads them (no need to clear 8 KiB per call).
        let mut acc_l = [const { MaybeUninit::<__m256>::uninit() }; CONTROL_BLOCK];
        let mut acc_r = [const { MaybeUninit::<__m256>::uninit() }; CONTROL_BLOCK];
        let mut idx = [0u32; WIDTH];
        for g in 0..GROUPS {
            let mut group = load_group(lanes, g);
            for (k, i) in (run.start..end).enumerate() {
                let t = _mm256_set1_ps(weights.t[i]);
                // A fade mixes four frames: one weight each (worked out once per
                // block), a multiply and three fused multiply-adds per row.
                let [w_a, w_b, w_c, w_d] = if FRAMES == 4 {
                    let w = &weights.mix[i];
                    [0, 1, 2, 3].map(|k| _mm256_broadcast_ss(&w[k]))
                } else {
                    [t; 4]
                };
                let at =
                    _mm256_add_epi32(_mm256_srlv_epi32(group.phase, group.shift), group.offset);
                _mm256_storeu_si256(idx.as_mut_ptr().cast(), at);
                let mut rows = [_mm256_setzero_ps(); 4];
                for (j, r) in rows.iter_mut().enumerate() {
                    let mut x = row(frame_a, &idx, j);
                    if FRAMES == 2 {
                        let b = row(frame_b, &idx, j);
                        x = _mm256_fmadd_ps(_mm256_sub_ps(b, x), t, x);
                    }
                    if FRAMES == 4 {
                        x = _mm256_mul_ps(x, w_a);
                        x = _mm256_fmadd_ps(row(frame_b, &idx, j), w_b, x);
                        x = _mm256_fmadd_ps(row(frame_c, &idx, j), w_c, x);
                        x = _mm256_fmadd_ps(row(frame_d, &idx, j), w_d, x);
                    }
                    *r = x;
                }
                let [xm1, x0, x1, x2] = transpose(rows);
                let frac_bits = _mm256_srli_epi32::<8>(_mm256_sllv_epi32(group.phase, group.bits));
                let z = _mm256_fmsub_ps(_mm256_cvtepi32_ps(frac_bits), frac_scale, half);
                let y = interpolate(xm1, x0, x1, x2, z);
                if g == 0 {
                    acc_l[k].write(_mm256_mul_ps(y, group.gain_l));
                    acc_r[k].write(_mm256_mul_ps(y, group.gain_r));
                } else {
                    let (l, r) = (acc_l[k].assume_init(), acc_r[k].assume_init());
                    acc_l[k].write(_mm256_fmadd_ps(y, group.gain_l, l));
                    acc_r[k].write(_mm256_fmadd_ps(y, group.gain_r, r));
                }
                group.phase = _mm256_add_epi32(group.phase, group.inc);
            }
            let at = g * WIDTH;
            _mm256_storeu_si256(lanes.phase[at..at + WIDTH].as_mut_ptr().cast(), group.phase);
        }
        add_sums(&acc_l, len, out_l, run.start);
        add_sums(&acc_r, len, out_r, run.start);
    }
}
