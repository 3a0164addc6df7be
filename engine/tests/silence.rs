//! Silence: one second after the last release the output is below -120 dBFS,
//! no voice is left running, no sample and no voice's filter state is
//! subnormal, and the output sanitiser never had to step in (so nothing can slow
//! down on denormals).

mod common;
use common::*;
use nwt_engine::{SliceEvents, Transport};

const SR: f32 = 48_000.0;

fn tail_after_release(settings: &[(&str, &str)]) -> (Vec<f32>, usize, usize) {
    let mut synth = synth_with(settings, SR);
    let notes = [
        note(45, 0.0, 0.5, 1.0, SR),
        note(57, 0.1, 0.5, 0.7, SR),
        note(64, 0.2, 0.5, 0.5, SR),
    ];
    let mut out = render(&mut synth, &notes, 333).left;
    let (mut l, mut r) = (vec![0.0; 333], vec![0.0; 333]);
    while out.len() < (2.0 * SR) as usize {
        synth.process(
            &mut l,
            &mut r,
            Transport::default(),
            &mut SliceEvents::new(&[], 0),
        );
        out.extend_from_slice(&l);
        // The voices' own state, not just the (sanitised) output.
        for v in synth.voices() {
            let state = v.filter_state();
            assert!(
                state.iter().flatten().all(|x| !x.is_subnormal()),
                "subnormal filter state {state:?}"
            );
        }
    }
    let subnormal = out.iter().filter(|x| x.is_subnormal()).count();
    assert_eq!(synth.sanitized_samples(), 0, "the sanitiser had work");
    (out, synth.active_voices(), subnormal)
}

#[test]
fn init_is_silent_a_second_after_release() {
    let (out, voices, subnormal) = tail_after_release(&[]);
    let tail = &out[(1.5 * SR) as usize..];
    println!("Init tail: {:.1} dBFS", peak_dbfs(tail));
    assert!(peak_dbfs(tail) < -120.0);
    assert!(
        peak_dbfs(&out[..(0.5 * SR) as usize]) > -20.0,
        "the notes did sound"
    );
    assert_eq!(voices, 0);
    assert_eq!(subnormal, 0);
}

#[test]
fn resonant_slow_release_is_silent_a_second_after_release() {
    let settings = [
        ("amp_release", "600"),
        ("resonance", "1"),
        ("cutoff", "150"),
        ("unison", "8"),
        ("phase_mode", "Random"),
    ];
    let (out, voices, subnormal) = tail_after_release(&settings);
    let tail = &out[(1.5 * SR) as usize..];
    println!("resonant tail: {:.1} dBFS", peak_dbfs(tail));
    assert!(peak_dbfs(tail) < -120.0);
    assert_eq!(voices, 0);
    assert_eq!(subnormal, 0);
}
