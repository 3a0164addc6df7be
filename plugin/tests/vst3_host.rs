//! The built VST3 bundle in a real, widely used VST3 host: Spotify's
//! pedalboard (a Python package around JUCE's VST3 hosting, which runs
//! headless on Linux). `vst3_host.py` loads the bundle, lists and sets
//! parameters, renders a note offline (pitch, level, finite samples, equal to
//! `nwt render` of the same notes sample for sample, a macro set before the
//! render heard from its first block), saves and restores the state
//! (identical parameters, state bytes and audio) and runs two instances at
//! once.
//!
//! Needs `python3` with `pedalboard` and `numpy` (`.ci/run` installs them;
//! `NWT_PYTHON` names another interpreter). Without them the test fails and
//! says how to install them.

mod common;

use std::path::Path;
use std::process::Command;

/// A `.vst3` bundle folder around the built library, as `cargo xtask bundle` lays it out.
fn make_bundle(dir: &Path) -> std::path::PathBuf {
    let library = common::built_plugin_path();
    let bundle = dir.join("Neural Wavetable.vst3");
    let binary_dir = bundle.join("Contents").join("x86_64-linux");
    std::fs::create_dir_all(&binary_dir).unwrap();
    std::fs::copy(&library, binary_dir.join("Neural Wavetable.so")).unwrap();
    bundle
}

/// `nwt render` of A3 held 2 s at velocity 100/127 in 512-sample blocks, with `extra` arguments.
fn reference(out: &Path, extra: &[&str]) {
    let result = Command::new(common::built_nwt_path())
        .args([
            "render",
            "--notes",
            "A3@0:2v0.78740157",
            "--block-size",
            "512",
        ])
        .args(extra)
        .arg("-o")
        .arg(out)
        .output()
        .expect("nwt runs");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn the_vst3_bundle_works_in_pedalboard() {
    let python = std::env::var("NWT_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python)
        .args(["-c", "import pedalboard, numpy"])
        .output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs {python} with pedalboard and numpy: `{python} -m pip install pedalboard numpy` \
         (.ci/run does it); {probe:?}"
    );

    let dir = std::env::temp_dir().join(format!("nwt-vst3-host-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = make_bundle(&dir);
    reference(&dir.join("rest.wav"), &[]);
    reference(&dir.join("macro.wav"), &["--set", "macro_1=0.9"]);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vst3_host.py");
    let result = Command::new(&python)
        .arg(&script)
        .arg(&bundle)
        .arg(&dir)
        .output()
        .expect("the host script runs");
    let stdout = String::from_utf8_lossy(&result.stdout);
    eprintln!("{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        result.status.success() && stdout.contains("all VST3 checks passed"),
        "the VST3 host checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
}
