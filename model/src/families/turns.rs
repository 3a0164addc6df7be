//! The families' elementary functions: the `libm` crate (a pure-Rust port of
//! musl's libm, built from the same source on every platform, so its results
//! are the same bits everywhere, unlike the system libm behind `f64::sin`),
//! with angles in turns.
//!
//! Sines and cosines take turns and reduce them exactly (`t - rint(t)` and the
//! quarter turn are exact in binary), so a quarter or half turn gives exactly
//! 0 or ±1 and large arguments lose nothing before `libm` sees them.

use std::f64::consts::TAU;

pub use libm::{atan2, exp, log as ln, pow as powf, rint as round, tanh};

/// `t` as a quadrant (0..4) and an angle in radians within ±1/8 turn of it.
fn reduce(t: f64) -> (i64, f64) {
    let r = t - round(t);
    let quadrant = round(4.0 * r);
    ((quadrant as i64).rem_euclid(4), (r - 0.25 * quadrant) * TAU)
}

/// `(sin, cos)` of `t` turns.
pub fn sin_cos_turns(t: f64) -> (f64, f64) {
    let (quadrant, a) = reduce(t);
    let (s, c) = libm::sincos(a);
    match quadrant {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// `sin` of `t` turns.
pub fn sin_turns(t: f64) -> f64 {
    sin_cos_turns(t).0
}

/// `cos` of `t` turns.
pub fn cos_turns(t: f64) -> f64 {
    sin_cos_turns(t).1
}
