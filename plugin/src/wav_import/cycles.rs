//! Cutting single cycles from a recording at rising zero crossings of its
//! steady part, resampled to [`CYCLE_LEN`] samples.

use super::*;

/// Pitch-tracks a recording and cuts cycles from its steady part.
pub(super) fn cut_recording(mono: &[f32], sample_rate: u32) -> Result<Imported, ImportError> {
    let steady_start = mono.len() / 10;
    let steady = mono.get(steady_start..).unwrap_or_default();
    let f0 = median_pitch(steady, sample_rate).ok_or(ImportError::NoSteadyPitch)?;
    let period = f64::from(sample_rate) / f64::from(f0);
    let cycles = cut_cycles(mono, steady_start, period);
    if cycles.is_empty() {
        return Err(ImportError::NoSteadyPitch);
    }
    Ok(Imported::Recording { f0_hz: f0, cycles })
}

/// Cuts up to [`MAX_RECORDING_CYCLES`] cycles of `period` samples, evenly
/// spaced from `steady_start` on, each starting at a rising crossing of the
/// signal's mean and resampled to [`CYCLE_LEN`] samples.
pub(super) fn cut_cycles(x: &[f32], steady_start: usize, period: f64) -> Vec<Vec<f32>> {
    let len = x.len() as f64;
    if !period.is_finite() || period < 2.0 || period > len {
        return Vec::new();
    }
    let kernel = SincKernel::new(period / CYCLE_LEN as f64);
    let margin = kernel.half_width + 1.0;
    let (mut lo, mut hi) = ((steady_start as f64).max(margin), len - period - margin);
    if hi < lo {
        (lo, hi) = (0.0, len - period);
    }
    if hi < lo {
        return Vec::new();
    }
    let mean = mean(x.get(lo as usize..).unwrap_or_default());
    // First cycle: the steepest rising crossing within one period.
    let first = rising_crossings(x, mean, lo, (lo + period).min(hi))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(lo, |(pos, _)| pos);
    let periods = ((hi - first) / period).floor().max(0.0) as usize;
    let count = periods.saturating_add(1).min(MAX_RECORDING_CYCLES);
    let radius = (period / 8.0).max(2.0);
    let mut starts = Vec::with_capacity(count);
    starts.push(first);
    let (mut last_index, mut last_start) = (0usize, first);
    for i in 1..count {
        // Whole periods after the first cycle, rounded and evenly spread;
        // each start is predicted from the previous one so that drift in the
        // pitch estimate does not accumulate.
        let index = (i * periods + (count - 1) / 2) / (count - 1);
        let expected = last_start + index.saturating_sub(last_index) as f64 * period;
        let start = rising_crossings(x, mean, expected - radius, expected + radius)
            .min_by(|a, b| (a.0 - expected).abs().total_cmp(&(b.0 - expected).abs()))
            .map_or(expected, |(pos, _)| pos)
            .clamp(0.0, len - period);
        starts.push(start);
        (last_index, last_start) = (index, start);
    }
    starts
        .iter()
        .map(|&start| kernel.resample(x, start, period, CYCLE_LEN))
        .collect()
}

/// Rising crossings of `level` between positions `from` and `to`: fractional
/// position and slope (per sample).
pub(super) fn rising_crossings(
    x: &[f32],
    level: f64,
    from: f64,
    to: f64,
) -> impl Iterator<Item = (f64, f64)> + '_ {
    let lo = from.max(0.0).floor() as usize;
    let hi = (to.max(0.0).ceil() as usize).saturating_add(1).min(x.len());
    let segment = x.get(lo..hi).unwrap_or_default();
    segment.windows(2).enumerate().filter_map(move |(i, pair)| {
        let &[p, q] = pair else { return None };
        let (a, b) = (f64::from(p) - level, f64::from(q) - level);
        (a < 0.0 && b >= 0.0).then(|| ((lo + i) as f64 + a / (a - b), b - a))
    })
}
