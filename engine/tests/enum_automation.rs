//! Host automation of enum parameters survives new variants.
//!
//! A host stores an enum parameter's automation as a normalised value. Each
//! variant of every enum parameter has a fixed code in a fixed range
//! (`nwt_engine::stable_enum`), so adding a variant moves nothing. This test
//! holds every (parameter, variant id, normalised value) against the
//! committed `enum_automation.snapshot`: a variant that moved, vanished or
//! changed its id fails it; a new variant passes and is listed, to be added to
//! the snapshot (`NWT_UPDATE_ENUM_SNAPSHOT=1 cargo test -p nwt-engine --test
//! enum_automation` rewrites the file).

use nice_plug::prelude::{ParamPtr, Params};
use nwt_engine::params::enum_codes;
use nwt_engine::SynthParams;
use std::collections::BTreeMap;

const SNAPSHOT_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/enum_automation.snapshot"
);

/// `(parameter id, variant id)` → normalised value, for every assigned code
/// of every enum parameter, as the parameters compute it now.
fn current() -> BTreeMap<(String, String), f32> {
    let params = SynthParams::default();
    let mut out = BTreeMap::new();
    let mut enums = 0;
    for (id, ptr, _) in params.param_map() {
        let is_enum = matches!(ptr, ParamPtr::EnumParam(_));
        let codes = enum_codes(&id);
        assert_eq!(
            is_enum,
            codes.is_some(),
            "{id}: enum_codes() and the parameter disagree on whether it is an enum"
        );
        let Some(codes) = codes else { continue };
        enums += 1;
        // SAFETY: the pointer comes from `params`, alive for this loop.
        let steps = unsafe { ptr.step_count() }.expect("an enum is stepped");
        assert_eq!(steps + 1, codes.codes, "{id}: range is not its codes");
        for code in 0..codes.codes {
            let variant = (codes.id_of)(code);
            if (codes.code_of)(variant) != Some(code) {
                continue; // a free code
            }
            // SAFETY: as above.
            let (normalized, text) = unsafe {
                let n = ptr.preview_normalized(code as f32);
                (n, ptr.normalized_value_to_string(n, false))
            };
            // The host's text for it parses back to the same value.
            // SAFETY: as above.
            let back = unsafe { ptr.string_to_normalized_value(&text) };
            assert_eq!(back, Some(normalized), "{id} {variant}: text {text:?}");
            out.insert((id.clone(), variant.to_string()), normalized);
        }
    }
    assert!(enums >= 8, "only {enums} enum parameters found");
    out
}

fn parse(snapshot: &str) -> BTreeMap<(String, String), f32> {
    snapshot
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut f = l.split_whitespace();
            let (Some(param), Some(variant), Some(v)) = (f.next(), f.next(), f.next()) else {
                panic!("bad snapshot line {l:?}");
            };
            let v: f32 = v.parse().expect("a number");
            ((param.to_string(), variant.to_string()), v)
        })
        .collect()
}

fn render(values: &BTreeMap<(String, String), f32>) -> String {
    let mut text = String::from(
        "# parameter id, variant id, normalised value (what a host stores as automation).\n\
         # Never change a line: append new variants (engine/tests/enum_automation.rs).\n",
    );
    for ((param, variant), v) in values {
        text.push_str(&format!("{param} {variant} {v}\n"));
    }
    text
}

#[test]
fn no_enum_variant_moves() {
    let now = current();
    if std::env::var_os("NWT_UPDATE_ENUM_SNAPSHOT").is_some() {
        let mut merged = parse(&std::fs::read_to_string(SNAPSHOT_FILE).unwrap_or_default());
        merged.extend(now.clone());
        std::fs::write(SNAPSHOT_FILE, render(&merged)).expect("write the snapshot");
    }
    let snapshot = parse(&std::fs::read_to_string(SNAPSHOT_FILE).expect("the snapshot file"));
    assert!(
        snapshot.len() >= 60,
        "the snapshot lists {} values",
        snapshot.len()
    );
    let mut moved = Vec::new();
    for (key, &was) in &snapshot {
        match now.get(key) {
            Some(&is) if is == was => {}
            Some(&is) => moved.push(format!("{} {}: {was} -> {is}", key.0, key.1)),
            None => moved.push(format!("{} {}: gone", key.0, key.1)),
        }
    }
    assert!(
        moved.is_empty(),
        "host automation would point elsewhere:\n{}",
        moved.join("\n")
    );
    let new: Vec<_> = now.keys().filter(|k| !snapshot.contains_key(*k)).collect();
    if !new.is_empty() {
        println!("not yet in the snapshot (add them): {new:?}");
    }
}

#[test]
fn the_first_variants_keep_their_old_normalised_values() {
    // Before stable codes, a variant's value was index / (variants - 1).
    let now = current();
    for (param, variant, old) in [
        ("filter_mode", "bandpass", 0.5f32),
        ("filter_mode", "highpass", 1.0),
        ("lfo_shape", "square", 0.75),
        ("table", "pulse", 3.0 / 8.0),
        ("mod_source_1", "velocity", 0.8),
        ("mod_destination_3", "macro_1", 5.0 / 17.0),
        ("mod_destination_3", "formant", 1.0),
        ("phase_mode", "random", 1.0),
    ] {
        let is = now[&(param.to_string(), variant.to_string())];
        assert_eq!(is, old, "{param} {variant}");
    }
}
