//! Cycles measured from SoundFont samples: period, windows, band limit.

use super::*;

/// Cuts up to `max_cycles` single cycles from `sample` and returns their harmonic spectra.
///
/// The cycles start at different offsets spread evenly across the sustain loop (when it
/// is at least [`MIN_LOOP`] samples long), or else across the middle half of the sample.
/// The period is [`Sf2Sample::period`]; samples whose period is outside
/// [`MIN_PERIOD`]`..=`[`MAX_PERIOD`], or whose unlooped data is shorter than one
/// measurement window (two periods), give nothing. Each spectrum holds harmonics
/// `1..=min(MAX_HARMONIC, floor(0.45·P))`, nothing near or above the sample's own Nyquist
/// frequency, measured with phase zero at the cycle's first sample; see the
/// [module docs](super) for the method. Cycles with an RMS below [`SILENCE_RMS`] are skipped.
pub fn extract_cycles(sample: &Sf2Sample, max_cycles: usize) -> Vec<Harmonics> {
    extract_cycles_with_period(sample, sample.period(), max_cycles)
}

/// [`extract_cycles`] with the period (in samples, fractional) given instead of taken
/// from the sample's tuning, e.g. one refined by a pitch estimate.
pub fn extract_cycles_with_period(
    sample: &Sf2Sample,
    period: f64,
    max_cycles: usize,
) -> Vec<Harmonics> {
    if max_cycles == 0 || !(MIN_PERIOD..=MAX_PERIOD).contains(&period) {
        return Vec::new();
    }
    let analyzer = Analyzer::new(period);
    let Some(plan) = CyclePlan::new(sample, analyzer.len, max_cycles) else {
        return Vec::new();
    };
    let mut segment = vec![0.0; analyzer.len];
    plan.starts
        .iter()
        .filter_map(|&start| {
            plan.read(&sample.data, start, &mut segment);
            let cycle = analyzer.measure(&segment);
            (spectrum_rms(&cycle) >= SILENCE_RMS).then_some(cycle)
        })
        .collect()
}

/// The RMS of the waveform a spectrum describes (Parseval).
pub(super) fn spectrum_rms(spectrum: &Harmonics) -> f64 {
    let power: f64 = spectrum
        .cos
        .iter()
        .zip(&spectrum.sin)
        .map(|(&c, &s)| f64::from(c).powi(2) + f64::from(s).powi(2))
        .sum();
    (power / 2.0).sqrt()
}

/// Where the cycles of one sample are measured.
pub(super) struct CyclePlan {
    /// First sample of each measurement window.
    pub(super) starts: Vec<usize>,
    /// The sustain loop, if the signal is read looped.
    pub(super) looped: Option<Range<usize>>,
}

impl CyclePlan {
    /// Plans up to `max_cycles` windows of `window` samples over the loop or the middle
    /// of `sample`; `None` if an unlooped sample is shorter than one window.
    pub(super) fn new(sample: &Sf2Sample, window: usize, max_cycles: usize) -> Option<Self> {
        let (starts, looped) = match sample.sustain_loop() {
            Some(looped) => (looped.clone(), Some(looped)),
            None => (middle_starts(sample.data.len(), window)?, None),
        };
        let span = starts.len();
        let count = max_cycles.min(span);
        let starts = (0..count)
            .map(|j| starts.start + j * span / count)
            .collect();
        Some(Self { starts, looped })
    }

    /// Fills `out` with the signal from `start` on, repeating the loop past its end.
    pub(super) fn read(&self, data: &[f32], start: usize, out: &mut [f64]) {
        for (n, value) in out.iter_mut().enumerate() {
            let mut i = start + n;
            if let Some(looped) = &self.looped {
                if i >= looped.end {
                    i = looped.start + (i - looped.start) % looped.len();
                }
            }
            *value = f64::from(data[i]);
        }
    }
}

/// The starts of `window`-sample windows inside the middle half of a `len`-sample
/// signal, or of one centred window if the middle half is too short for one.
pub(super) fn middle_starts(len: usize, window: usize) -> Option<Range<usize>> {
    if window > len {
        return None;
    }
    let (first, end) = (len / 4, len - len / 4);
    if first + window <= end {
        Some(first..end - window + 1)
    } else {
        let centred = (len - window) / 2;
        Some(centred..centred + 1)
    }
}

/// Measures harmonics `1..=H` of a signal with a fixed fractional period `P` over a Hann
/// window of [`WINDOW_PERIODS`] periods, by a chirp-z transform (Bluestein's algorithm).
pub(super) struct Analyzer {
    /// Samples per window, `floor(K·P) + 1`.
    pub(super) len: usize,
    /// Highest harmonic measured.
    pub(super) harmonics: usize,
    /// Hann window times the input chirp `e^{-iπn²/P}`, per window sample.
    pub(super) pre: Vec<Complex64>,
    /// FFT of the kernel `e^{+iπk²/P}`, `k = −(len−1)..=H`, scaled by 1/FFT size.
    pub(super) kernel: Vec<Complex64>,
    /// Output chirp `e^{-iπh²/P}` times `2/Σw`, per harmonic `0..=H`.
    pub(super) post: Vec<Complex64>,
    pub(super) forward: Arc<dyn Fft<f64>>,
    pub(super) inverse: Arc<dyn Fft<f64>>,
}

impl Analyzer {
    /// Prepares the measurement of period `period` (in samples, at least 1).
    pub(super) fn new(period: f64) -> Self {
        let span = WINDOW_PERIODS as f64 * period;
        let len = span.floor() as usize + 1;
        let harmonics = ((BAND_LIMIT * period).floor() as usize).min(MAX_HARMONIC);
        let size = (len + harmonics).next_power_of_two();
        let mut planner = FftPlanner::new();
        let forward = planner.plan_fft_forward(size);
        let inverse = planner.plan_fft_inverse(size);
        // e^{-iπk²/P}, with k² reduced modulo 2P (exactly, in f64) to keep the phase precise.
        let chirp = |k: usize| {
            let k = k as f64;
            let turns = (k * k).rem_euclid(2.0 * period) / period;
            Complex64::from_polar(1.0, -PI * turns)
        };
        let window: Vec<f64> = (0..len)
            .map(|n| 0.5 - 0.5 * (TAU * n as f64 / span).cos())
            .collect();
        let gain = 2.0 / window.iter().sum::<f64>();
        let pre = window
            .iter()
            .enumerate()
            .map(|(n, &w)| chirp(n) * w)
            .collect();
        let mut kernel = vec![Complex64::default(); size];
        for (k, value) in kernel.iter_mut().enumerate().take(harmonics + 1) {
            *value = chirp(k).conj();
        }
        for k in 1..len {
            kernel[size - k] = chirp(k).conj();
        }
        forward.process(&mut kernel);
        let scale = 1.0 / size as f64;
        kernel.iter_mut().for_each(|v| *v *= scale);
        let post = (0..=harmonics).map(|h| chirp(h) * gain).collect();
        Self {
            len,
            harmonics,
            pre,
            kernel,
            post,
            forward,
            inverse,
        }
    }

    /// The spectrum of the `len`-sample segment `signal`, with phase zero at its first sample.
    pub(super) fn measure(&self, signal: &[f64]) -> Harmonics {
        let mut buffer = vec![Complex64::default(); self.kernel.len()];
        for ((b, &x), &p) in buffer.iter_mut().zip(signal).zip(&self.pre) {
            *b = p * x;
        }
        self.forward.process(&mut buffer);
        for (b, &k) in buffer.iter_mut().zip(&self.kernel) {
            *b *= k;
        }
        self.inverse.process(&mut buffer);
        let mut out = Harmonics::silent();
        let measured = buffer.iter().zip(&self.post).take(self.harmonics + 1);
        for ((cos, sin), (&b, &post)) in out.cos.iter_mut().zip(&mut out.sin).zip(measured).skip(1)
        {
            let x = b * post;
            *cos = x.re as f32;
            *sin = -x.im as f32;
        }
        out
    }
}

/// A grouping key for splitting samples by instrument: the first instrument using the
/// sample if any, else the sample name without its trailing note names, numbers, stereo
/// markers and separators (`"Piano C#4(L)"` → `"Piano"`, `"tromboneEb6"` → `"trombone"`).
pub fn sample_family(sample: &Sf2Sample) -> String {
    if let Some(first) = sample.instruments.first() {
        return first.clone();
    }
    let mut name = sample.name.trim();
    while let Some(shorter) = strip_suffix(name) {
        name = shorter;
    }
    if name.is_empty() {
        sample.name.trim().to_string()
    } else {
        name.to_string()
    }
}

/// `name` without one trailing run of separators or digits, or one trailing stereo
/// marker (`L`, `R`) or note name (`C`, `c`, `Eb`); `None` if there is none to strip.
pub(super) fn strip_suffix(name: &str) -> Option<&str> {
    let is_separator = |c: char| " -_.,()[]#".contains(c);
    for strip in [is_separator, |c: char| c.is_ascii_digit()] {
        let shorter = name.trim_end_matches(strip);
        if shorter.len() < name.len() {
            return Some(shorter);
        }
    }
    let chars: Vec<char> = name.chars().rev().take(3).collect();
    let letter_at_boundary = |letter: usize| {
        chars.get(letter + 1).is_some_and(|&before| {
            !before.is_ascii_uppercase()
                && (chars[letter].is_ascii_uppercase() || !before.is_ascii_lowercase())
        })
    };
    let note = |c: char| matches!(c.to_ascii_uppercase(), 'A'..='G');
    let cut = match chars.as_slice() {
        ['L' | 'R', before, ..] if !before.is_ascii_alphabetic() => 1,
        ['b', n, ..] if n.is_ascii_uppercase() && note(*n) && letter_at_boundary(1) => 2,
        [n, ..] if note(*n) && letter_at_boundary(0) => 1,
        _ => return None,
    };
    Some(&name[..name.len() - cut])
}
