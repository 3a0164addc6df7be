//! Offline rendering (a DAW's bounce, export or freeze) of the built CLAP
//! plugin: with CLAP's render extension set to offline, `process()` waits
//! for the decoder, so a bounce equals `nwt render` of the same settings and
//! notes sample for sample, a macro set before the first block is heard from
//! the first block, and a state loaded before the bounce plays from its first
//! sample. The blocks are run back to back, far faster than real time, as a
//! bounce runs them.

mod common;

use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use common::{note_off, note_on, on_audio_thread, ParamInfo, Synth};
use nwt_engine::analysis::largest_difference;
use nwt_engine::neural::{DecoderWorker, WorkerOptions};
use nwt_engine::offline::{self, OfflineNote, RenderOptions};
use nwt_engine::SynthParams;
use std::sync::Arc;
use std::time::Duration;

const SR: f32 = 48_000.0;
const BLOCK: usize = 512;
const TOTAL: usize = 94 * BLOCK;

/// The engine with `settings` and its decoder worker, as `nwt render` runs them.
fn engine(settings: &[(&str, f32)]) -> (nwt_engine::Synth, DecoderWorker) {
    let params = Arc::new(SynthParams::default());
    for (id, value) in settings {
        params.set_by_id(id, &value.to_string(), SR).unwrap();
    }
    params.reset_smoothers(SR);
    let mut synth = nwt_engine::Synth::new(params, SR);
    let model = nwt_model::Model::embedded().unwrap();
    let worker = DecoderWorker::attach(&mut synth, model, WorkerOptions::default()).unwrap();
    (synth, worker)
}

/// The first `len` samples (left) of one note on `key` at velocity 0.8 from
/// the first sample to `end`, in blocks of `BLOCK` with `hook` before each.
fn render_note(
    synth: &mut nwt_engine::Synth,
    key: u8,
    end: usize,
    len: usize,
    hook: impl FnMut(u64, &SynthParams),
) -> Vec<f32> {
    let mut options = RenderOptions::new(SR);
    options.block_size = BLOCK;
    options.max_tail = BLOCK as u64;
    let note = OfflineNote {
        key,
        start: 0,
        end: end as u64,
        velocity: 0.8,
        channel: 0,
    };
    offline::render(synth, &[note], options, hook).left[..len].to_vec()
}

/// What `nwt render` produces: the engine with its worker, settled before every block.
fn reference(settings: &[(&str, f32)], key: u8) -> Vec<f32> {
    let (mut synth, worker) = engine(settings);
    render_note(&mut synth, key, TOTAL - BLOCK, TOTAL, |_, _| {
        assert!(worker.settle(Duration::from_secs(60)));
    })
}

/// Renders `TOTAL` samples in blocks of `BLOCK` back to back with a note on
/// `key` from the first sample (released one block before the end) and
/// `first` events (sorted) in the first block.
fn bounce(synth: &mut Synth, key: u16, first: &[ParamValueEvent]) -> Vec<f32> {
    let mut audio = synth.start(BLOCK as u32);
    let out = on_audio_thread(&mut audio, |audio| {
        let mut out = Vec::with_capacity(TOTAL);
        for b in 0..TOTAL / BLOCK {
            let mut events = EventBuffer::new();
            if b == 0 {
                for e in first {
                    events.push(e);
                }
                events.push(&note_on(0, 0, key, 1, 0.8));
            }
            if b == TOTAL / BLOCK - 1 {
                events.push(&note_off(0, 0, key, 1));
            }
            audio.process(BLOCK, &events);
            out.extend_from_slice(&audio.left[..BLOCK]);
        }
        out
    });
    synth.stop(audio);
    out
}

fn param<'a>(params: &'a [ParamInfo], name: &str) -> &'a ParamInfo {
    params
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("the plugin has a {name} parameter"))
}

#[test]
fn an_offline_bounce_plays_a_macro_set_before_it_from_the_first_block() {
    let mut synth = Synth::new();
    synth.set_offline_rendering();
    let params = synth.params();
    let macro_1 = param(&params, "Macro 1");
    let set = ParamValueEvent::new(
        0,
        ClapId::new(macro_1.id),
        Pckn::match_all(),
        macro_1.value_at(0.95),
    );
    let bounced = bounce(&mut synth, 57, &[set]);
    assert!(bounced.iter().all(|v| v.is_finite()));

    let expected = reference(&[("macro_1", 0.9)], 57);
    let at_rest = reference(&[], 57);
    let moved = largest_difference(&expected, &at_rest);
    assert!(moved > 0.01, "macro 1 at 0.9 changes the sound ({moved})");
    // From the first block: the whole bounce equals nwt render's.
    let off = largest_difference(&bounced, &expected);
    assert!(
        off < 1e-6,
        "the bounce differs from nwt render by up to {off}"
    );
}

#[test]
fn a_state_loaded_before_a_bounce_plays_from_its_first_sample() {
    // A session saved with macro 2 at -0.8 ...
    let mut saved = Synth::new();
    let params = saved.params();
    let macro_2 = param(&params, "Macro 2");
    let set = ParamValueEvent::new(
        0,
        ClapId::new(macro_2.id),
        Pckn::match_all(),
        macro_2.value_at(0.1),
    );
    let mut audio = saved.start(BLOCK as u32);
    on_audio_thread(&mut audio, |audio| {
        let mut events = EventBuffer::new();
        events.push(&set);
        audio.process(BLOCK, &events);
    });
    saved.stop(audio);
    let state = saved.save_state();

    // ... loaded into a fresh instance, then bounced.
    let mut synth = Synth::new();
    synth.load_state(&state);
    synth.set_offline_rendering();
    let bounced = bounce(&mut synth, 45, &[]);
    let expected = reference(&[("macro_2", -0.8)], 45);
    let off = largest_difference(&bounced, &expected);
    assert!(
        off < 1e-6,
        "the bounce differs from nwt render by up to {off}"
    );
}

/// The mean level difference in dB of harmonics 1–40 of `f0` (those within
/// 60 dB of the strongest) between `a` and `b`.
fn spectral_error_db(a: &[f32], b: &[f32], f0: f64) -> f64 {
    use nwt_engine::analysis::dft_magnitude;
    let w = nwt_engine::analysis::kaiser(a.len(), 12.0);
    let levels = |x: &[f32]| -> Vec<f64> {
        (1..=40)
            .map(|k| {
                20.0 * dft_magnitude(x, &w, k as f64 * f0, f64::from(SR))
                    .max(1e-12)
                    .log10()
            })
            .collect()
    };
    let (la, lb) = (levels(a), levels(b));
    let top = la.iter().cloned().fold(f64::MIN, f64::max);
    let (sum, n) = la
        .iter()
        .zip(&lb)
        .filter(|(x, _)| **x > top - 60.0)
        .fold((0.0, 0), |(s, n), (x, y)| (s + (x - y).abs(), n + 1));
    sum / f64::from(n.max(1))
}

#[test]
fn a_host_that_never_says_offline_is_caught_by_its_pace() {
    // A batch renderer that runs blocks back to back without setting the
    // render mode, with macro 1 automated to 0.9 one block after 1 s.
    const BLOCKS: usize = 282; // 3 s
    const CHANGE_BLOCK: usize = 94;
    let change_at = CHANGE_BLOCK * BLOCK;
    let mut synth = Synth::new();
    let params = synth.params();
    let macro_1 = param(&params, "Macro 1");
    let set = ParamValueEvent::new(
        0,
        ClapId::new(macro_1.id),
        Pckn::match_all(),
        macro_1.value_at(0.95),
    );
    let mut audio = synth.start(BLOCK as u32);
    let bounced = on_audio_thread(&mut audio, |audio| {
        let mut out = Vec::with_capacity(BLOCKS * BLOCK);
        for b in 0..BLOCKS {
            let mut events = EventBuffer::new();
            if b == 0 {
                events.push(&note_on(0, 0, 57, 1, 0.8));
            }
            if b == CHANGE_BLOCK {
                events.push(&set);
            }
            audio.process(BLOCK, &events);
            out.extend_from_slice(&audio.left[..BLOCK]);
        }
        out
    });
    synth.stop(audio);

    // nwt render of the same score: settled before every block.
    let render = |change: bool| {
        let (mut synth, worker) = engine(&[]);
        let len = BLOCKS * BLOCK;
        render_note(&mut synth, 57, len, len, |position, params| {
            if change && position == change_at as u64 {
                params.set_by_id("macro_1", "0.9", SR).unwrap();
            }
            assert!(worker.settle(Duration::from_secs(60)));
        })
    };
    let expected = render(true);
    let unmoved = render(false);

    let f0 = 220.0;
    let window = |x: &[f32], from: f64, to: f64| {
        x[(from * f64::from(SR)) as usize..(to * f64::from(SR)) as usize].to_vec()
    };
    let at = change_at as f64 / f64::from(SR);
    // Right after the change (one block plus the table's crossfade) and later.
    for (from, to) in [(at + 0.05, at + 0.45), (2.3, 2.9)] {
        let got = spectral_error_db(
            &window(&bounced, from, to),
            &window(&expected, from, to),
            f0,
        );
        let moved = spectral_error_db(
            &window(&unmoved, from, to),
            &window(&expected, from, to),
            f0,
        );
        println!(
            "{from:.2}–{to:.2} s: {got:.3} dB from nwt render (the macro moves it {moved:.2} dB)"
        );
        assert!(
            moved > 1.0,
            "the macro change should be audible ({moved} dB)"
        );
        assert!(got < 0.5, "{got} dB from nwt render at {from:.2}–{to:.2} s");
    }
}

/// Macro 1's value automated at block `b` (a deterministic wander).
fn wander(b: usize) -> f64 {
    let x = (b as f64 * 0.37).sin() * 0.5 + (b as f64 * 0.061).sin() * 0.4;
    0.5 + 0.5 * x.clamp(-1.0, 1.0)
}

#[test]
fn dense_automation_offline_is_deterministic_and_follows_the_grid() {
    // Macro 1 automated at every block of an offline bounce (as a DAW's
    // automation lane or the fuzzer does): two bounces are bit-identical and
    // equal the engine rendered on the same table grid.
    const BLOCKS: usize = 188; // 2 s
    let bounce_once = || {
        let mut synth = Synth::new();
        synth.set_offline_rendering();
        let params = synth.params();
        let macro_1 = param(&params, "Macro 1");
        let mut audio = synth.start(BLOCK as u32);
        let started = std::time::Instant::now();
        let out = on_audio_thread(&mut audio, |audio| {
            let mut out = Vec::with_capacity(BLOCKS * BLOCK);
            for b in 0..BLOCKS {
                let mut events = EventBuffer::new();
                events.push(&ParamValueEvent::new(
                    0,
                    ClapId::new(macro_1.id),
                    Pckn::match_all(),
                    macro_1.value_at(wander(b)),
                ));
                if b == 0 {
                    events.push(&note_on(0, 0, 57, 1, 0.8));
                }
                audio.process(BLOCK, &events);
                out.extend_from_slice(&audio.left[..BLOCK]);
            }
            out
        });
        let wall = started.elapsed().as_secs_f64();
        synth.stop(audio);
        println!(
            "offline bounce with macro 1 automated every block: {:.1}× real time",
            BLOCKS as f64 * BLOCK as f64 / f64::from(SR) / wall
        );
        out
    };
    let first = bounce_once();
    let second = bounce_once();
    assert!(first == second, "two bounces differ");

    // The engine on the same grid: what `nwt render` does with automation.
    let (mut synth, worker) = engine(&[]);
    worker.set_offline(true);
    let mut grid = nwt_engine::neural::TableGrid::default();
    let macro_plain = |b: usize| 2.0 * wander(b) - 1.0;
    let len = BLOCKS * BLOCK;
    let expected = render_note(&mut synth, 57, len, len, |position, params| {
        let b = position as usize / BLOCK;
        params
            .set_by_id("macro_1", &format!("{}", macro_plain(b)), SR)
            .unwrap();
        if grid.wait_now(params, position, SR) {
            assert!(worker.settle(Duration::from_secs(60)));
        }
    });
    let off = largest_difference(&first, &expected);
    assert!(
        off < 1e-6,
        "the bounce differs from the engine on the grid by {off}"
    );
}

#[test]
fn latent_automation_inside_a_block_is_heard_at_its_sample_offline() {
    // Macro 1 set at sample 300 of the block starting at 94 · 512 (1.0027 s
    // + 300 samples): the plugin splits the block there (sample-accurate
    // automation) and the offline grid waits for the new table before the
    // second part, so the table changes at that sample.
    use nwt_engine::{SliceEvents, SynthEvent, Transport};
    const BLOCKS: usize = 120;
    const CHANGE_BLOCK: usize = 94;
    const OFFSET: usize = 300;
    let mut synth = Synth::new();
    synth.set_offline_rendering();
    let params = synth.params();
    let macro_1 = param(&params, "Macro 1");
    let mut audio = synth.start(BLOCK as u32);
    let bounced = on_audio_thread(&mut audio, |audio| {
        let mut out = Vec::with_capacity(BLOCKS * BLOCK);
        for b in 0..BLOCKS {
            let mut events = EventBuffer::new();
            if b == 0 {
                events.push(&note_on(0, 0, 57, 1, 0.8));
            }
            if b == CHANGE_BLOCK {
                events.push(&ParamValueEvent::new(
                    OFFSET as u32,
                    ClapId::new(macro_1.id),
                    Pckn::match_all(),
                    macro_1.value_at(0.95),
                ));
            }
            audio.process(BLOCK, &events);
            out.extend_from_slice(&audio.left[..BLOCK]);
        }
        out
    });
    synth.stop(audio);

    // The engine cut at the same samples, on the same grid.
    let render = |change_at: usize| {
        let (mut engine, worker) = engine(&[]);
        let params = engine.params().clone();
        worker.set_offline(true);
        let mut grid = nwt_engine::neural::TableGrid::default();
        let mut cuts: Vec<usize> = (0..=BLOCKS).map(|b| b * BLOCK).collect();
        cuts.push(change_at);
        cuts.sort_unstable();
        cuts.dedup();
        let mut out = vec![0.0f32; BLOCKS * BLOCK];
        let mut right = vec![0.0f32; BLOCKS * BLOCK];
        for w in cuts.windows(2) {
            let (from, to) = (w[0], w[1]);
            if from == change_at {
                params.set_by_id("macro_1", "0.9", SR).unwrap();
            }
            if grid.wait_now(&params, from as u64, SR) {
                assert!(worker.settle(Duration::from_secs(60)));
            }
            let events = if from == 0 {
                vec![SynthEvent::NoteOn {
                    timing: 0,
                    voice_id: Some(1),
                    channel: 0,
                    key: 57,
                    velocity: 0.8,
                }]
            } else {
                Vec::new()
            };
            let mut io = SliceEvents::new(&events, 16);
            engine.process(
                &mut out[from..to],
                &mut right[from..to],
                Transport::default(),
                &mut io,
            );
        }
        out
    };
    let at = CHANGE_BLOCK * BLOCK + OFFSET;
    let expected = render(at);
    let a_block_early = render(CHANGE_BLOCK * BLOCK);
    let off = largest_difference(&bounced, &expected);
    let early = largest_difference(&bounced, &a_block_early);
    println!("change at sample {at}: {off:e} from the engine cut there, {early:.3} from a change at the block's start");
    assert!(early > 1e-3, "the test cannot tell the sample ({early})");
    assert!(
        off < 1e-6,
        "the bounce differs by {off} from a change at its sample"
    );
}
