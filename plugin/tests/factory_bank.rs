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
