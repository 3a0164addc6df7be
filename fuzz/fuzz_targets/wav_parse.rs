//! Fuzzes the RIFF/WAVE reader alone (fast, so it reaches millions of inputs):
//! any bytes either parse or give an error; nothing panics, and a parsed file
//! never holds more samples than its bytes can carry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neural_wavetable::wav_import::parse_wav;

fuzz_target!(|data: &[u8]| {
    if let Ok(audio) = parse_wav(data) {
        let samples: usize = audio.channels.iter().map(Vec::len).sum();
        assert!(samples <= data.len(), "{samples} samples from {} bytes", data.len());
        assert!(audio.channels.iter().flatten().all(|v| v.is_finite()));
    }
});
