//! Fuzzes the preset parser and loader: any bytes either load as a preset or
//! give an error; nothing panics, and loading never leaves a non-finite value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neural_wavetable::preset::Preset;
use nwt_engine::SynthParams;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(preset) = Preset::from_json(text) {
        let params = SynthParams::default();
        if preset.load_into(&params, 48_000.0).is_ok() {
            assert!(params.macro_values().iter().all(|v| v.is_finite()));
            let _ = preset.to_json();
        }
    }
});
