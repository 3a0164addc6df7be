//! Branch-free approximations of `2^t` and `sin` that vectorise: the
//! library calls they stand for are scalar calls the compiler cannot
//! unroll, and cost the drive's shaper most of its time (and the reverb a
//! twentieth of its time, eight of each a piece).

use super::oversample::MulAdd;

/// Adding and taking away 1.5·2²³ rounds an `f32` of magnitude below 2²²
/// to the nearest integer, and leaves that integer in the low mantissa bits
/// of the sum: branch-free and vectorisable, where `round` is a library call
/// on baseline x86-64 and a float-to-int `as` cast a saturating scalar
/// sequence.
const ROUNDER: f32 = 12_582_912.0;

/// `2^t` for `t` in `−126..126`: the nearest integer into the exponent bits,
/// the fraction (`−½..=½`) by a degree-5 polynomial fitted for the least
/// worst relative error (below 2e-7 in `f32`), branch-free so loops of it
/// vectorise. The degree-7 Taylor series of `e^(f·ln 2)` it replaced was
/// ten times more accurate than an audio signal can show and cost a
/// multiply and two multiply-adds more per oversampled sample.
#[inline(always)]
pub(super) fn exp2<A: MulAdd>(t: f32) -> f32 {
    // [`ROUNDER`] rounds, and integer arithmetic on the sum's bits builds
    // `2^whole` (the saturating `as` cast it replaced made the shaper a
    // scalar loop, a third of the drive's time).
    let shifted = t + ROUNDER;
    let whole = shifted - ROUNDER;
    let f = t - whole;
    /// `2^f ≈ Σ cₖ fᵏ` on `−½..=½` (weighted Chebyshev fit, iterated
    /// towards equal ripple).
    const FIT: [f32; 6] = [
        1.000_000_1,
        0.693_146_94,
        0.240_221_2,
        0.055_507_135,
        0.009_675_508,
        0.001_327_635_4,
    ];
    let p = FIT.iter().rev().fold(0.0, |p, &c| A::mul_add(p, f, c));
    let bits = shifted
        .to_bits()
        .wrapping_sub(ROUNDER.to_bits())
        .wrapping_add(127)
        << 23;
    p * f32::from_bits(bits)
}

/// `sin(x)` for the folder: a polynomial after folding into `−π/2..=π/2`
/// (error below 4e-6, smooth at the folds).
#[inline(always)]
pub(super) fn fold_sin<A: MulAdd>(x: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, PI, TAU};
    let turns = (x / TAU + ROUNDER) - ROUNDER;
    let mut t = x - TAU * turns;
    if t > FRAC_PI_2 {
        t = PI - t;
    } else if t < -FRAC_PI_2 {
        t = -PI - t;
    }
    let t2 = t * t;
    const TAYLOR: [f32; 5] = [1.0, -1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0, 1.0 / 362_880.0];
    t * TAYLOR.iter().rev().fold(0.0, |p, &c| A::mul_add(p, t2, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::oversample::Plain;

    #[test]
    fn exp2_is_accurate_across_its_range() {
        let mut worst = 0.0f64;
        for i in -40_000..=40_000 {
            let t = i as f32 * 1e-3 * std::f32::consts::LOG2_E;
            let want = 2f64.powf(f64::from(t));
            let err = (f64::from(exp2::<Plain>(t)) / want - 1.0).abs();
            worst = worst.max(err);
        }
        assert!(worst < 5e-7, "worst relative error {worst:e}");
    }

    #[test]
    fn fold_sin_is_accurate_across_many_turns() {
        let mut worst = 0.0f64;
        for i in -200_000..=200_000 {
            let x = i as f32 * 1e-3;
            let err = (f64::from(fold_sin::<Plain>(x)) - f64::from(x).sin()).abs();
            worst = worst.max(err);
        }
        // The argument itself is an `f32` (its rounding at 200 rad is 8e-6).
        assert!(worst < 3e-5, "worst error {worst:e}");
    }
}
