//! The unison kernel for x86-64 CPUs with AVX-512F: sixteen lanes per register.
//!
//! The AVX2 kernel's method ([`super::avx2`]) with all sixteen unison lanes of
//! a note in one 512-bit register, for runs of one or two frames: every
//! sample, the lanes' table indices go to a small array; lanes `j`, `j + 4`,
//! `j + 8` and `j + 12` load their four taps from each frame as one 512-bit
//! row (one 128-bit block each); the frames are mixed on the rows; a 4×4 transpose in each 128-bit block gives
//! the vectors `x[-1]`, `x[0]`, `x[1]`, `x[2]` with the lanes in their natural
//! order; the interpolator and the stereo gains run on all sixteen lanes.
//! Each sample's sixteen-lane sums are folded to eight and added into the
//! output eight samples at a time, as the AVX2 kernel does.

use super::avx2::{add_sums, Weights};
use super::frame_mix::FrameRun;
use super::lanes::UnisonLanes;
use crate::CONTROL_BLOCK;
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// Lanes per register: every unison lane of a note.
const WIDTH: usize = 16;
const _: () = assert!(crate::MAX_UNISON == WIDTH);

/// Renders samples `run.start..run.end` of every lane into the buffers,
/// reading `run.frames` frames as [`super::avx2::render`] does. A table
/// fade (four frames) and a note of eight lanes or fewer go to the AVX2
/// kernel: on the Zen 4 build machine the sixteen-lane kernel is slower in a
/// fade (its four frames cost 48 128-bit inserts per sample, against 32 in
/// the AVX2 kernel's two groups), and half empty with eight lanes.
///
/// # Safety
/// The CPU must have AVX-512F, AVX2 and FMA; the rest as
/// [`super::avx2::render`].
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
        let args = (tables, run, weights.t, end);
        match (run.frames, lanes.count() > 8) {
            (1, true) => kernel::<1>(args, lanes, out_l, out_r),
            (2, true) => kernel::<2>(args, lanes, out_l, out_r),
            _ => super::avx2::render(tables, run, weights, lanes, out_l, out_r),
        }
    }
}

/// Lanes `j`, `j + 4`, `j + 8` and `j + 12`'s four taps at `idx` in frame
/// `frame` (one 128-bit block each).
#[target_feature(enable = "avx2,fma,avx512f")]
#[inline]
unsafe fn row(frame: *const f32, idx: &[u32; WIDTH], j: usize) -> __m512 {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe {
        let v = _mm512_castps128_ps512(_mm_loadu_ps(frame.add(idx[j] as usize)));
        let v = _mm512_insertf32x4::<1>(v, _mm_loadu_ps(frame.add(idx[j + 4] as usize)));
        let v = _mm512_insertf32x4::<2>(v, _mm_loadu_ps(frame.add(idx[j + 8] as usize)));
        _mm512_insertf32x4::<3>(v, _mm_loadu_ps(frame.add(idx[j + 12] as usize)))
    }
}

/// The sixteen lanes of `values`.
#[target_feature(enable = "avx2,fma,avx512f")]
#[inline]
unsafe fn load_u32(values: &[u32; WIDTH]) -> __m512i {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe { _mm512_loadu_si512(values.as_ptr().cast()) }
}

/// `x·a + y·b` on sixteen lanes.
#[target_feature(enable = "avx2,fma,avx512f")]
#[inline]
unsafe fn mix(x: __m512, a: f32, y: __m512, b: f32) -> __m512 {
    _mm512_fmadd_ps(x, _mm512_set1_ps(a), _mm512_mul_ps(y, _mm512_set1_ps(b)))
}

/// Niemitalo's optimal 4-point, 3rd-order interpolator on sixteen lanes (the
/// scalar [`super::interpolate`]).
#[target_feature(enable = "avx2,fma,avx512f")]
#[inline]
unsafe fn interpolate(xm1: __m512, x0: __m512, x1: __m512, x2: __m512, z: __m512) -> __m512 {
    // SAFETY: this function's `# Safety` contract (the CPU features it is
    // compiled for, and every index within the tables it reads) is all the
    // intrinsics and pointer reads below need.
    unsafe {
        let even1 = _mm512_add_ps(x1, x0);
        let odd1 = _mm512_sub_ps(x1, x0);
        let even2 = _mm512_add_ps(x2, xm1);
        let odd2 = _mm512_sub_ps(x2, xm1);
        let [k0, k1, k2, k3] = super::INTERPOLATOR;
        let c0 = mix(even1, k0[0], even2, k0[1]);
        let c1 = mix(odd1, k1[0], odd2, k1[1]);
        let c2 = mix(even1, k2[0], even2, k2[1]);
        let c3 = mix(odd1, k3[0], odd2, k3[1]);
        _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_fmadd_ps(c3, z, c2), z, c1), z, c0)
    }
}

/// Rows (four lanes' taps each) to columns: tap `k` of lanes `4b..4b + 4` in
/// 128-bit block `b`.
#[target_feature(enable = "avx2,fma,avx512f")]
#[inline]
unsafe fn transpose(rows: [__m512; 4]) -> [__m512; 4] {
    let t0 = _mm512_castps_pd(_mm512_unpacklo_ps(rows[0], rows[1]));
    let t1 = _mm512_castps_pd(_mm512_unpacklo_ps(rows[2], rows[3]));
    let t2 = _mm512_castps_pd(_mm512_unpackhi_ps(rows[0], rows[1]));
    let t3 = _mm512_castps_pd(_mm512_unpackhi_ps(rows[2], rows[3]));
    [
        _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t1)),
        _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t1)),
        _mm512_castpd_ps(_mm512_unpacklo_pd(t2, t3)),
        _mm512_castpd_ps(_mm512_unpackhi_pd(t2, t3)),
    ]
}

/// The sixteen lanes of `v` folded to eight (lane `k` plus lane `k + 8`).
#[target_feature(enable = "avx2,fma,avx512f")]
#[inline]
unsafe fn fold(v: __m512) -> __m256 {
    let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
    _mm256_add_ps(_mm512_castps512_ps256(v), hi)
}

/// Runs the sixteen lanes over every sample of the run, keeping each
/// sample's stereo sums (folded to eight lanes); then adds the sums into the
/// output eight samples at a time.
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn kernel<const FRAMES: usize>(
    (tables, run, t, end): ([&[f32]; 2], &FrameRun, &[f32; CONTROL_BLOCK], usize),
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
        let frac_scale = _mm512_set1_ps(1.0 / (1u32 << 24) as f32);
        let half = _mm512_set1_ps(0.5);
        let mut phase = load_u32(&lanes.phase);
        let inc = load_u32(&lanes.inc);
        let offset = load_u32(&lanes.offset);
        let bits = load_u32(&lanes.bits);
        let shift = _mm512_sub_epi32(_mm512_set1_epi32(32), bits);
        let gain_l = _mm512_loadu_ps(lanes.gain_l.as_ptr());
        let gain_r = _mm512_loadu_ps(lanes.gain_r.as_ptr());
        // Every sample of the run writes its sums before `add_sums` reads them.
        let mut acc_l = [const { MaybeUninit::<__m256>::uninit() }; CONTROL_BLOCK];
        let mut acc_r = [const { MaybeUninit::<__m256>::uninit() }; CONTROL_BLOCK];
        let mut idx = [0u32; WIDTH];
        for (k, i) in (run.start..end).enumerate() {
            let t = _mm512_set1_ps(t[i]);
            let at = _mm512_add_epi32(_mm512_srlv_epi32(phase, shift), offset);
            _mm512_storeu_si512(idx.as_mut_ptr().cast(), at);
            let mut rows = [_mm512_setzero_ps(); 4];
            for (j, r) in rows.iter_mut().enumerate() {
                let mut x = row(frame_a, &idx, j);
                if FRAMES == 2 {
                    x = _mm512_fmadd_ps(_mm512_sub_ps(row(frame_b, &idx, j), x), t, x);
                }
                *r = x;
            }
            let [xm1, x0, x1, x2] = transpose(rows);
            let frac_bits = _mm512_srli_epi32::<8>(_mm512_sllv_epi32(phase, bits));
            let z = _mm512_fmsub_ps(_mm512_cvtepi32_ps(frac_bits), frac_scale, half);
            let y = interpolate(xm1, x0, x1, x2, z);
            acc_l[k].write(fold(_mm512_mul_ps(y, gain_l)));
            acc_r[k].write(fold(_mm512_mul_ps(y, gain_r)));
            phase = _mm512_add_epi32(phase, inc);
        }
        _mm512_storeu_si512(lanes.phase.as_mut_ptr().cast(), phase);
        add_sums(&acc_l, len, out_l, run.start);
        add_sums(&acc_r, len, out_r, run.start);
    }
}
