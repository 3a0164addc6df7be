//! Hostile files: every file in `tests/data/malformed` is refused with a
//! clear error, and a refused preset leaves the current sound untouched.

use neural_wavetable::preset::Preset;
use nwt_engine::SynthParams;
use std::path::{Path, PathBuf};

fn malformed(extension: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the malformed corpus exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == extension))
        .collect();
    files.sort();
    files
}

#[test]
fn malformed_presets_are_refused_and_change_nothing() {
    let files = malformed("nwtpreset");
    assert!(files.len() >= 10, "{} malformed presets", files.len());
    let params = SynthParams::default();
    params.set_by_id("cutoff", "777", 48_000.0).unwrap();
    let before = Preset::capture(&params, "before", "", "");
    for path in &files {
        let outcome = Preset::load(path).and_then(|p| p.load_into(&params, 48_000.0));
        let error = outcome
            .err()
            .unwrap_or_else(|| panic!("{} loaded", path.display()))
            .to_string();
        assert!(
            error.len() > 10,
            "{}: unclear error {error:?}",
            path.display()
        );
        println!(
            "{:<28} {error:.100}",
            path.file_name().unwrap().to_string_lossy()
        );
        assert_eq!(
            Preset::capture(&params, "before", "", ""),
            before,
            "{}",
            path.display()
        );
    }
}

#[test]
fn malformed_wavs_are_refused_with_a_clear_error() {
    let files = malformed("wav");
    assert!(files.len() >= 10, "{} malformed WAVs", files.len());
    for path in &files {
        let error = neural_wavetable::wav_import::import_file(path)
            .err()
            .unwrap_or_else(|| panic!("{} imported", path.display()))
            .to_string();
        assert!(
            error.len() > 10,
            "{}: unclear error {error:?}",
            path.display()
        );
        println!(
            "{:<34} {error:.100}",
            path.file_name().unwrap().to_string_lossy()
        );
    }
}
