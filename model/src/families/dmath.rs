//! Elementary functions from IEEE basic arithmetic only, so results are
//! bit-identical on every platform (unlike libm). Accurate to a few ulps over
//! the ranges the generators use.

use std::f64::consts::{FRAC_PI_2, PI, SQRT_2, TAU};

const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
const LOG2_E: f64 = std::f64::consts::LOG2_E;

/// Taylor coefficients of `sin(a)/a - 1` in powers of `a²` (from `a²`).
const SIN: [f64; 7] = [
    -1.0 / 6.0,
    1.0 / 120.0,
    -1.0 / 5040.0,
    1.0 / 362_880.0,
    -1.0 / 39_916_800.0,
    1.0 / 6_227_020_800.0,
    -1.0 / 1_307_674_368_000.0,
];
/// Taylor coefficients of `cos(a) - 1` in powers of `a²` (from `a²`).
const COS: [f64; 8] = [
    -1.0 / 2.0,
    1.0 / 24.0,
    -1.0 / 720.0,
    1.0 / 40_320.0,
    -1.0 / 3_628_800.0,
    1.0 / 479_001_600.0,
    -1.0 / 87_178_291_200.0,
    1.0 / 20_922_789_888_000.0,
];
/// Taylor coefficients of `exp(r)` from `r²` to `r¹³`.
const EXP: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];
/// Coefficients of `atanh(s)/s - 1` in powers of `s²`.
const ATANH: [f64; 10] = [
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
];
/// Coefficients of `atan(c)/c - 1` in powers of `c²`.
const ATAN: [f64; 11] = [
    -1.0 / 3.0,
    1.0 / 5.0,
    -1.0 / 7.0,
    1.0 / 9.0,
    -1.0 / 11.0,
    1.0 / 13.0,
    -1.0 / 15.0,
    1.0 / 17.0,
    -1.0 / 19.0,
    1.0 / 21.0,
    -1.0 / 23.0,
];

/// `c[0] + x·(c[1] + x·(…))`.
fn horner(coefficients: &[f64], x: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, &c| c + x * acc)
}

/// `x` rounded to the nearest integer, ties to even, for `|x| < 2^51`;
/// larger values come back as they are. (Plain arithmetic: `f64::round` is a
/// libm call on baseline x86-64, slow in the render loops.)
pub fn round(x: f64) -> f64 {
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
    if x.abs() < 2_251_799_813_685_248.0 {
        // 2^51: adding SHIFT leaves no fraction bits, so the addition rounds.
        (x + SHIFT) - SHIFT
    } else {
        x
    }
}

/// Splits `t` cycles into a quadrant (0..4) and an angle in `[-π/4, π/4]`
/// radians: `2πt = quadrant·π/2 + a` (mod 2π).
fn reduce(t: f64) -> (i64, f64) {
    let r = t - round(t);
    let quadrant = round(4.0 * r);
    ((quadrant as i64).rem_euclid(4), (r - 0.25 * quadrant) * TAU)
}

/// `sin a` for `|a| ≤ π/4`.
fn sin_poly(a: f64) -> f64 {
    let z = a * a;
    a + a * z * horner(&SIN, z)
}

/// `cos a` for `|a| ≤ π/4`.
fn cos_poly(a: f64) -> f64 {
    let z = a * a;
    1.0 + z * horner(&COS, z)
}

/// `(sin 2πt, cos 2πt)`.
pub fn sin_cos_turns(t: f64) -> (f64, f64) {
    let (quadrant, a) = reduce(t);
    let (s, c) = (sin_poly(a), cos_poly(a));
    match quadrant {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// `sin 2πt` (the same value as [`sin_cos_turns`] gives).
pub fn sin_turns(t: f64) -> f64 {
    let (quadrant, a) = reduce(t);
    match quadrant {
        0 => sin_poly(a),
        1 => cos_poly(a),
        2 => -sin_poly(a),
        _ => -cos_poly(a),
    }
}

/// `cos 2πt` (the same value as [`sin_cos_turns`] gives).
pub fn cos_turns(t: f64) -> f64 {
    let (quadrant, a) = reduce(t);
    match quadrant {
        0 => cos_poly(a),
        1 => -sin_poly(a),
        2 => -cos_poly(a),
        _ => sin_poly(a),
    }
}

/// `e^x` (0 below -708, infinity above 709).
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -708.0 {
        return 0.0;
    }
    let k = round(x * LOG2_E);
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let p = 1.0 + r + r * r * horner(&EXP, r);
    p * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

/// Natural logarithm (NaN below 0, -infinity at 0).
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    let (x, mut e) = if x < f64::MIN_POSITIVE {
        (x * 18_014_398_509_481_984.0, -54i64) // 2^54: lift subnormals
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7FF) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    if m > SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let series = 2.0 * s + 2.0 * s * z * horner(&ATANH, z);
    let e = e as f64;
    e * LN2_HI + (series + e * LN2_LO)
}

/// `x^y` for `x ≥ 0`.
pub fn powf(x: f64, y: f64) -> f64 {
    exp(y * ln(x))
}

/// Hyperbolic tangent.
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    let t = if a < 1e-3 {
        let z = a * a;
        a - a * z * (1.0 / 3.0 - z * (2.0 / 15.0))
    } else if a > 20.0 {
        1.0
    } else {
        let e = exp(-2.0 * a);
        (1.0 - e) / (1.0 + e)
    };
    t.copysign(x)
}

/// `atan(x)` for `|x| ≤ 1`: two half-angle reductions, then a series.
fn atan_unit(x: f64) -> f64 {
    let b = x / (1.0 + (1.0 + x * x).sqrt());
    let c = b / (1.0 + (1.0 + b * b).sqrt());
    let z = c * c;
    4.0 * (c + c * z * horner(&ATAN, z))
}

/// The angle of `(x, y)` in `(-π, π]`; 0 at the origin.
pub fn atan2(y: f64, x: f64) -> f64 {
    if x == 0.0 && y == 0.0 {
        0.0
    } else if x.abs() >= y.abs() {
        let base = atan_unit(y / x);
        if x > 0.0 {
            base
        } else if y >= 0.0 {
            base + PI
        } else {
            base - PI
        }
    } else {
        let base = -atan_unit(x / y);
        if y > 0.0 {
            base + FRAC_PI_2
        } else {
            base - FRAC_PI_2
        }
    }
}
