//! A voice's extra sources beside its wavetable: a sub oscillator one or two
//! octaves down and a noise generator, both mixed in before the filter.
//!
//! The sub reads one-frame band-limited tables (sine, square) through the
//! wavetable oscillator's own mip levels and interpolator, so it meets the
//! same aliasing goal as the table (non-harmonic energy ≥ 90 dB down); the
//! tables are built once per process. Noise is white (xorshift) or pink (Paul
//! Kellet's refined filter: within ±0.05 dB of −3 dB an octave from 9 Hz to
//! Nyquist at 44.1 kHz), one mono stream a voice.

use crate::oscillator::{self, FrameRamp};
use crate::wavetable::{level_for, WavetableSet};
use crate::CONTROL_BLOCK;
use nwt_model::Shape;
use std::sync::OnceLock;

crate::stable_enum! {
    /// The sub oscillator's waveform.
    pub enum SubShape: 8 {
        /// A sine: pure weight under the note.
        Sine = 0, "sine", "Sine";
        /// A square: hollow and buzzy, odd harmonics.
        Square = 4, "square", "Square";
    }
}

crate::stable_enum! {
    /// The noise generator's colour.
    pub enum NoiseColor: 8 {
        /// White: equal energy per hertz (bright, hissy).
        White = 0, "white", "White";
        /// Pink: equal energy per octave (−3 dB an octave; softer, airy).
        Pink = 4, "pink", "Pink";
    }
}

/// The sub's and the noise's settings for one block (shared by every voice).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceSettings {
    /// Sub level `0..=1` (1: a full-scale waveform, as loud as a table frame).
    pub sub_level: f32,
    /// Sub waveform.
    pub sub_shape: SubShape,
    /// Octaves below the note (1 or 2).
    pub sub_octaves: u8,
    /// Noise level `0..=1` (1: white noise at full scale, pink at the same RMS).
    pub noise_level: f32,
    /// Noise colour.
    pub noise_color: NoiseColor,
}

impl Default for SourceSettings {
    fn default() -> Self {
        Self {
            sub_level: 0.0,
            sub_shape: SubShape::Sine,
            sub_octaves: 1,
            noise_level: 0.0,
            noise_color: NoiseColor::White,
        }
    }
}

/// The sub's tables and the one-frame ramp that reads them.
struct SubTables {
    sine: WavetableSet,
    square: WavetableSet,
    ramp: FrameRamp,
}

fn sub_tables() -> &'static SubTables {
    static TABLES: OnceLock<SubTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let build = |shape: Shape| {
            WavetableSet::from_harmonics(&[shape.harmonics()])
                .expect("one finite factory frame always builds")
        };
        let sine = build(Shape::Sine);
        let square = build(Shape::Square);
        let ramp = FrameRamp::new(&sine, 0.0, 0.0, 1);
        SubTables { sine, square, ramp }
    })
}

/// Builds the sub's tables now, so the first note that needs them does not
/// (called when a synth is built, off the audio thread).
pub fn prepare() {
    sub_tables();
}

/// Linear gain ramp over a block from `from` to `to`, applied while adding `src` into `dst`.
fn add_ramped(dst: &mut [f32], src: &[f32], from: f32, to: f32) {
    let step = (to - from) / src.len().max(1) as f32;
    for (i, (d, s)) in dst.iter_mut().zip(src).enumerate() {
        *d += s * (from + step * (i + 1) as f32);
    }
}

/// One voice's sub oscillator and noise generator.
#[derive(Debug, Clone, Default)]
pub struct VoiceSources {
    sub_phase: u32,
    /// The sub's and the noise's gains at the end of the last block (ramped
    /// from there, so a level change never steps).
    sub_gain: f32,
    noise_gain: f32,
    rng: u32,
    pink: [f32; 7],
}

impl VoiceSources {
    /// A voice's sources at note-on: the sub starts at phase 0 (so it adds
    /// the same way on every note) and the noise from `seed`.
    pub fn new(seed: u32) -> Self {
        Self {
            rng: seed | 1,
            ..Self::default()
        }
    }

    /// True when neither source sounds nor is fading out.
    fn silent(&self, sub_level: f32, noise_level: f32) -> bool {
        sub_level <= 0.0 && noise_level <= 0.0 && self.sub_gain == 0.0 && self.noise_gain == 0.0
    }

    /// Adds the sub and the noise for a note at `pitch` (MIDI semitones,
    /// fractional) into both channels of the block (`out_l.len()` samples, at
    /// most [`CONTROL_BLOCK`]); `sub_level` and `noise_level` are the block's
    /// levels with the voice's modulation, clamped to `0..=1`.
    #[allow(clippy::too_many_arguments)]
    pub fn render(
        &mut self,
        settings: &SourceSettings,
        sub_level: f32,
        noise_level: f32,
        pitch: f32,
        sample_rate: f32,
        out_l: &mut [f32],
        out_r: &mut [f32],
    ) {
        let sub_level = if sub_level.is_finite() {
            sub_level.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let noise_level = if noise_level.is_finite() {
            noise_level.clamp(0.0, 1.0)
        } else {
            0.0
        };
        if self.silent(sub_level, noise_level) {
            return;
        }
        let n = out_l.len().min(out_r.len()).min(CONTROL_BLOCK);
        let mut block = [0.0f32; CONTROL_BLOCK];
        if sub_level > 0.0 || self.sub_gain > 0.0 {
            let octaves = f32::from(settings.sub_octaves.clamp(1, 2));
            let freq = 440.0 * ((pitch - 69.0) / 12.0 - octaves).exp2();
            let ratio = freq / sample_rate;
            let tables = sub_tables();
            let set = match settings.sub_shape {
                SubShape::Sine => &tables.sine,
                SubShape::Square => &tables.square,
            };
            if let (Some(inc), Some(level)) =
                (oscillator::increment_for_ratio(ratio), level_for(ratio))
            {
                block[..n].fill(0.0);
                let mut unused = [0.0f32; CONTROL_BLOCK];
                self.sub_phase = oscillator::render(
                    set,
                    level,
                    &tables.ramp,
                    self.sub_phase,
                    inc,
                    1.0,
                    0.0,
                    &mut block[..n],
                    &mut unused[..n],
                );
                add_ramped(&mut out_l[..n], &block[..n], self.sub_gain, sub_level);
                add_ramped(&mut out_r[..n], &block[..n], self.sub_gain, sub_level);
            }
            self.sub_gain = sub_level;
        }
        if noise_level > 0.0 || self.noise_gain > 0.0 {
            match settings.noise_color {
                NoiseColor::White => {
                    for v in &mut block[..n] {
                        *v = self.white();
                    }
                }
                NoiseColor::Pink => {
                    for v in &mut block[..n] {
                        let w = self.white();
                        *v = self.pink(w);
                    }
                }
            }
            add_ramped(&mut out_l[..n], &block[..n], self.noise_gain, noise_level);
            add_ramped(&mut out_r[..n], &block[..n], self.noise_gain, noise_level);
            self.noise_gain = noise_level;
        }
    }

    /// Uniform white noise in `-1..1` (xorshift32; never gets stuck: the state is odd).
    #[inline]
    fn white(&mut self) -> f32 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        // The top 24 bits as a signed fraction.
        (x as i32 >> 8) as f32 * (1.0 / (1 << 23) as f32)
    }

    /// Paul Kellet's refined pink filter of a white sample, scaled to the
    /// white noise's RMS.
    #[inline]
    fn pink(&mut self, white: f32) -> f32 {
        let b = &mut self.pink;
        b[0] = 0.99886 * b[0] + white * 0.055_517_9;
        b[1] = 0.99332 * b[1] + white * 0.075_075_9;
        b[2] = 0.96900 * b[2] + white * 0.153_852;
        b[3] = 0.86650 * b[3] + white * 0.310_485_6;
        b[4] = 0.55000 * b[4] + white * 0.532_952_2;
        b[5] = -0.7616 * b[5] - white * 0.016_898;
        let out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + white * 0.5362;
        b[6] = white * 0.115_926;
        out * PINK_GAIN
    }
}

/// Brings Kellet's pink filter (RMS about 3.3× its input's) to the white
/// noise's RMS (measured by `pink_noise_matches_white_rms_and_falls_3_db_an_octave`).
const PINK_GAIN: f32 = 0.30;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::magnitude_spectrum_db;

    fn render(settings: SourceSettings, pitch: f32, sr: f32, len: usize) -> Vec<f32> {
        let mut voice = VoiceSources::new(12345);
        let mut out = vec![0.0; len];
        for chunk in out.chunks_mut(CONTROL_BLOCK) {
            let mut right = vec![0.0; chunk.len()];
            voice.render(
                &settings,
                settings.sub_level,
                settings.noise_level,
                pitch,
                sr,
                chunk,
                &mut right,
            );
        }
        out
    }

    #[test]
    fn the_sub_sounds_one_or_two_octaves_down_without_aliasing() {
        for (shape, octaves) in [(SubShape::Square, 1), (SubShape::Sine, 2)] {
            let settings = SourceSettings {
                sub_level: 1.0,
                sub_shape: shape,
                sub_octaves: octaves,
                ..SourceSettings::default()
            };
            // A high note, so the square's harmonics reach Nyquist.
            let sr = 48_000.0;
            let pitch = 96.0; // C7, 2093 Hz
            let out = render(settings, pitch, sr, 1 << 16);
            let spectrum = magnitude_spectrum_db(&out[4096..4096 + 32768]);
            let bin_hz = sr / 32768.0;
            let f = 440.0 * ((pitch - 69.0) / 12.0 - f32::from(octaves)).exp2();
            let (peak_bin, _) = spectrum
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap();
            let peak_hz = peak_bin as f32 * bin_hz;
            assert!(
                (peak_hz - f).abs() < 2.0 * bin_hz,
                "{shape:?}: peak {peak_hz} Hz, want {f}"
            );
            // Everything away from the harmonics of f (±12 bins, the
            // window's main lobe) is non-harmonic.
            let peak = spectrum[peak_bin];
            let worst = spectrum
                .iter()
                .enumerate()
                .skip(12)
                .filter(|(i, _)| {
                    let h = *i as f32 * bin_hz / f;
                    (h - h.round()).abs() * f > 12.0 * bin_hz
                })
                .map(|(_, &m)| m)
                .fold(f32::NEG_INFINITY, f32::max);
            let db = worst - peak;
            assert!(db < -90.0, "{shape:?}: non-harmonic energy {db:.1} dB");
        }
    }

    #[test]
    fn pink_noise_matches_white_rms_and_falls_3_db_an_octave() {
        let sr = 48_000.0;
        let mut rms = [0.0f32; 2];
        let mut spectra = Vec::new();
        for (i, color) in [NoiseColor::White, NoiseColor::Pink]
            .into_iter()
            .enumerate()
        {
            let settings = SourceSettings {
                noise_level: 1.0,
                noise_color: color,
                ..SourceSettings::default()
            };
            let out = render(settings, 60.0, sr, 1 << 18);
            let body = &out[4096..];
            rms[i] = (body.iter().map(|v| v * v).sum::<f32>() / body.len() as f32).sqrt();
            spectra.push(body.to_vec());
        }
        let ratio_db = 20.0 * (rms[1] / rms[0]).log10();
        assert!(ratio_db.abs() < 1.5, "pink is {ratio_db:.2} dB from white");
        // Band energy of the pink noise, an octave apart: 500–1000 Hz vs 2–4 kHz.
        let band = |x: &[f32], lo: f32, hi: f32| {
            let chunks = x.chunks_exact(4096);
            let mut e = 0.0f32;
            for c in chunks {
                let s = magnitude_spectrum_db(c);
                let (a, b) = ((lo / sr * 4096.0) as usize, (hi / sr * 4096.0) as usize);
                e += s[a..b].iter().map(|db| 10f32.powf(db / 10.0)).sum::<f32>();
            }
            e
        };
        let pink = &spectra[1];
        let drop = 10.0 * (band(pink, 2000.0, 4000.0) / band(pink, 500.0, 1000.0)).log10();
        // Two octaves up, equal energy per octave: the bands hold the same energy.
        assert!(
            drop.abs() < 1.0,
            "pink's octave bands differ by {drop:.2} dB"
        );
        let white = &spectra[0];
        let rise = 10.0 * (band(white, 2000.0, 4000.0) / band(white, 500.0, 1000.0)).log10();
        assert!(
            (rise - 6.02).abs() < 1.0,
            "white's bands differ by {rise:.2} dB"
        );
    }

    #[test]
    fn silent_sources_add_nothing_and_levels_ramp() {
        let mut voice = VoiceSources::new(0x1234_5678);
        let settings = SourceSettings::default();
        let mut l = [0.25f32; 64];
        let mut r = [0.5f32; 64];
        voice.render(&settings, 0.0, 0.0, 60.0, 48_000.0, &mut l, &mut r);
        assert!(l.iter().all(|&v| v == 0.25) && r.iter().all(|&v| v == 0.5));
        // A NaN level is silence, not NaN out.
        voice.render(
            &settings,
            f32::NAN,
            f32::NAN,
            60.0,
            48_000.0,
            &mut l,
            &mut r,
        );
        assert!(l.iter().all(|&v| v == 0.25));
        // Turning the noise on ramps from silence over the block.
        let mut l = [0.0f32; CONTROL_BLOCK];
        let mut r = [0.0f32; CONTROL_BLOCK];
        voice.render(&settings, 0.0, 1.0, 60.0, 48_000.0, &mut l, &mut r);
        let quarter = CONTROL_BLOCK / 4;
        let first: f32 = l[..quarter].iter().map(|v| v.abs()).sum();
        let last: f32 = l[3 * quarter..].iter().map(|v| v.abs()).sum();
        assert!(first < 0.3 * last, "no ramp: {first} vs {last}");
    }
}
