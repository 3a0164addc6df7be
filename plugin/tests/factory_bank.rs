//! Every factory preset renders: a chord (a single note for basses and Init)
//! through the real engine and decoder worker gives finite, audible audio that
//! stays below 0 dBFS and ends in silence.

use neural_wavetable::preset::factory_presets;
use nwt_engine::neural::{DecoderWorker, WorkerOptions};
use nwt_engine::offline::{self, OfflineNote, RenderOptions};
use nwt_engine::{Synth, SynthParams};
use nwt_model::Model;
use std::sync::Arc;
use std::time::Duration;

const SR: f32 = 48_000.0;

fn dbfs(x: f32) -> f32 {
    20.0 * x.max(1e-12).log10()
}

#[test]
fn every_factory_preset_sounds_and_ends_in_silence() {
    let model = Model::embedded().expect("the shipped weights load");
    let presets = factory_presets();
    assert!(presets.len() >= 33);
    for preset in presets {
        let params = Arc::new(SynthParams::default());
        preset.load_into(&params, SR).unwrap();
        params.reset_smoothers(SR);
        let mut synth = Synth::new(params.clone(), SR);
        let worker =
            DecoderWorker::attach(&mut synth, model.clone(), WorkerOptions::default()).unwrap();
        assert!(worker.settle(Duration::from_secs(60)), "{}", preset.name);
        assert_eq!(worker.status().error, None, "{}", preset.name);
        // Basses and Init (the plain, unattenuated saw) play one note, the rest a triad.
        let keys: &[u8] = match preset.category.as_str() {
            "Bass" => &[36],
            "Init" => &[57],
            _ => &[48, 55, 63],
        };
        let notes: Vec<OfflineNote> = keys
            .iter()
            .map(|&key| OfflineNote {
                key,
                start: 0,
                end: (1.5 * SR) as u64,
                velocity: 0.8,
                channel: 0,
            })
            .collect();
        let mut options = RenderOptions::new(SR);
        options.max_tail = (12.0 * SR) as u64;
        let out = offline::render(&mut synth, &notes, options, |_, _| {
            worker.settle(Duration::from_secs(60));
        });
        let name = &preset.name;
        let all = out.left.iter().chain(&out.right);
        assert!(
            all.clone().all(|x| x.is_finite()),
            "{name}: non-finite output"
        );
        let peak = all.fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(
            dbfs(peak) > -40.0,
            "{name}: nearly silent ({:.1} dBFS)",
            dbfs(peak)
        );
        assert!(dbfs(peak) < 0.0, "{name}: clips ({:.1} dBFS)", dbfs(peak));
        assert_eq!(
            synth.active_voices(),
            0,
            "{name}: still sounding after 12 s of tail"
        );
        // The render stops once every voice has ended; its last samples are the release's end.
        let tail = &out.left[out.left.len().saturating_sub(32)..];
        let tail_peak = tail.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(
            dbfs(tail_peak) < -100.0,
            "{name}: ends at {:.1} dBFS",
            dbfs(tail_peak)
        );
        println!(
            "{:<20} {:<6} peak {:>6.1} dBFS, {:.2} s",
            name,
            preset.category,
            dbfs(peak),
            out.left.len() as f32 / SR
        );
    }
}

/// The bank is level-matched: on the standard chord every factory preset's
/// loudest momentary loudness (EBU R128) sits within ±2 LU of the target, and
/// no preset peaks above -1 dBFS.
#[test]
fn the_bank_is_level_matched_on_the_standard_chord() {
    use neural_wavetable::loudness::{self, PEAK_CEILING_DBFS, TARGET_LUFS, WINDOW_LU};
    let model = Model::embedded().unwrap();
    let mut failures = Vec::new();
    let mut figures = Vec::new();
    for preset in factory_presets() {
        let l = loudness::preset_loudness(&preset, &model).unwrap();
        figures.push(l.momentary_max_lufs);
        println!(
            "{:<22} {:>6.1} LUFS {:>6.1} dBFS",
            preset.name, l.momentary_max_lufs, l.peak_dbfs
        );
        if (l.momentary_max_lufs - TARGET_LUFS).abs() > WINDOW_LU {
            failures.push(format!("{}: {:.1} LUFS", preset.name, l.momentary_max_lufs));
        }
        if l.peak_dbfs > PEAK_CEILING_DBFS {
            failures.push(format!("{}: peaks at {:.1} dBFS", preset.name, l.peak_dbfs));
        }
    }
    let spread = figures.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        - figures.iter().copied().fold(f64::INFINITY, f64::min);
    println!("spread over the bank: {spread:.1} LU");
    assert!(failures.is_empty(), "{failures:#?}");
    // Init with one note (C4), the clean reference.
    let init = neural_wavetable::preset::Preset::factory("Init").unwrap();
    let (left, right) = loudness::render_notes(&init, &model, &[(60, 0.0, 1.5)]).unwrap();
    let one = loudness::measure(&left, &right, loudness::SAMPLE_RATE).unwrap();
    println!(
        "Init, one note: {:.1} LUFS, peak {:.1} dBFS",
        one.momentary_max_lufs, one.peak_dbfs
    );
    assert!(one.peak_dbfs < PEAK_CEILING_DBFS);
}
