//! How the parameters are made: ranges, units, steps and display.

use super::*;

pub(super) fn ms_range(min: f32, max: f32) -> FloatRange {
    FloatRange::Skewed {
        min,
        max,
        factor: FloatRange::skew_factor(-2.5),
    }
}

/// An LFO's rate in Hz, 0.01 to 50.
pub(super) fn lfo_rate_param(name: &str, default: f32) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min: 0.01,
            max: 50.0,
            factor: FloatRange::skew_factor(-2.0),
        },
    )
    .with_unit(" Hz")
    .with_step_size(0.01)
}

pub(super) fn time_param(name: &str, default: f32, min: f32) -> FloatParam {
    FloatParam::new(name, default, ms_range(min, 10_000.0))
        .with_unit(" ms")
        .with_step_size(0.1)
}

pub(super) fn unit_param(name: &str, default: f32) -> FloatParam {
    fraction_param(name, default).with_smoother(SmoothingStyle::Linear(20.0))
}

/// A `0..=1` parameter shown (and stepped) to three decimals, so a value
/// never reads "0.69999987".
pub(super) fn fraction_param(name: &str, default: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 1.0 })
        .with_step_size(0.001)
        .with_value_to_string(no_negative_zero(3))
}

/// Displays a value with `decimals` digits and never as "-0.00" (a value that
/// rounds to zero shows as zero, so text round-trips exactly).
pub(super) fn no_negative_zero(decimals: usize) -> Arc<dyn Fn(f32) -> String + Send + Sync> {
    Arc::new(move |v| {
        let text = format!("{v:.decimals$}");
        match text.strip_prefix('-') {
            Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
            _ => text,
        }
    })
}

pub(super) fn bipolar_param(name: &str, unit: &'static str, range: f32) -> FloatParam {
    FloatParam::new(
        name,
        0.0,
        FloatRange::Linear {
            min: -range,
            max: range,
        },
    )
    .with_smoother(SmoothingStyle::Linear(20.0))
    .with_unit(unit)
    .with_step_size(0.01)
    .with_value_to_string(no_negative_zero(2))
}

pub(super) fn macro_param(n: usize) -> FloatParam {
    knob_param(&format!("Macro {n}"))
}

/// A bipolar knob of the decoder, `-1..=1`, centred.
pub(super) fn knob_param(name: &str) -> FloatParam {
    FloatParam::new(
        name,
        0.0,
        FloatRange::Linear {
            min: -1.0,
            max: 1.0,
        },
    )
    .with_step_size(0.001)
    .with_value_to_string(no_negative_zero(3))
}
