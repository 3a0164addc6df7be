//! Fuzzes the WAV importer: any bytes either import or give an error; nothing
//! panics, hangs or allocates out of proportion to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neural_wavetable::wav_import::{interpret, parse_wav, Imported};

fuzz_target!(|data: &[u8]| {
    if let Ok(audio) = parse_wav(data) {
        assert!(audio.channels.iter().flatten().all(|v| v.is_finite()));
        if let Ok(imported) = interpret(&audio) {
            let samples: Vec<&f32> = match &imported {
                Imported::Cycle(c) => c.iter().collect(),
                Imported::Table { frames, .. } => frames.iter().flatten().collect(),
                Imported::Recording { cycles, .. } => cycles.iter().flatten().collect(),
            };
            assert!(samples.iter().all(|v| v.is_finite()));
        }
    }
});
