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
        let out = offline::render_settled(
            &mut synth,
            &worker,
            offline::note_events(&notes),
            options,
            Duration::from_secs(60),
        );
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
        // The render stops once every voice has ended and the effects' tails
        // have died (kept down to -90 dBFS); its last samples are that end.
        let tail = &out.left[out.left.len().saturating_sub(32)..];
        let tail_peak = tail.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(
            dbfs(tail_peak) < -85.0,
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

/// Pads ring on in their effects after the dry voice has ended: a 1 s C4,
/// and 50 ms after the last voice (its amp release) has gone silent the tail
/// is still within 50 dB of the note, and wide (channels correlate < 0.9).
#[test]
fn factory_pads_ring_on_after_their_voices_end() {
    let model = Model::embedded().expect("the shipped weights load");
    let mut ringing = Vec::new();
    for preset in factory_presets()
        .into_iter()
        .filter(|p| p.category == "Pad")
    {
        let params = Arc::new(SynthParams::default());
        preset.load_into(&params, SR).unwrap();
        params.reset_smoothers(SR);
        let mut synth = Synth::new(params.clone(), SR);
        let worker =
            DecoderWorker::attach(&mut synth, model.clone(), WorkerOptions::default()).unwrap();
        assert!(worker.settle(Duration::from_secs(60)), "{}", preset.name);
        let notes = [OfflineNote {
            key: 60,
            start: 0,
            end: SR as u64,
            velocity: 0.8,
            channel: 0,
        }];
        let mut options = RenderOptions::new(SR);
        options.block_size = 64;
        options.max_tail = (12.0 * SR) as u64;
        let out = offline::render_settled(
            &mut synth,
            &worker,
            offline::note_events(&notes),
            options,
            Duration::from_secs(60),
        );
        let rms = |a: &[f32], b: &[f32]| {
            let e: f64 = a
                .iter()
                .chain(b)
                .map(|&v| f64::from(v) * f64::from(v))
                .sum();
            (e / (a.len() + b.len()) as f64).sqrt()
        };
        let note = rms(
            &out.left[(0.5 * SR) as usize..SR as usize],
            &out.right[(0.5 * SR) as usize..SR as usize],
        );
        let Some(end) = out.voices_ended_at else {
            println!("{:<16} voices never ended", preset.name);
            continue;
        };
        let (from, to) = (end + (0.05 * SR) as usize, end + (0.15 * SR) as usize);
        if out.left.len() < to {
            println!("{:<16} no tail", preset.name);
            continue;
        }
        let tail = rms(&out.left[from..to], &out.right[from..to]);
        let db = 20.0 * (tail / note).max(1e-12).log10();
        let corr = nwt_engine::analysis::correlation(&out.left[from..to], &out.right[from..to]);
        println!(
            "{:<16} voices ended at {:.2} s; 50 ms later the tail is {db:.1} dB re the note, correlation {corr:.2}",
            preset.name,
            end as f32 / SR
        );
        if db > -50.0 && corr < 0.9 {
            ringing.push(preset.name.clone());
        }
    }
    assert!(ringing.len() >= 4, "only {ringing:?} ring on");
}
