//! An idle decoder worker sleeps: it wakes when a decoder input changes (the
//! audio thread or the editor wakes it), when someone settles, or once a
//! second, instead of polling every 0.5 ms forever; a change after a long
//! rest is still built at once.

mod common;
use common::*;
use nwt_engine::neural::{AnchorShape, Anchors, DecoderWorker, WorkerOptions, IDLE_SLEEP};
use nwt_engine::{SliceEvents, Synth, Transport};
use nwt_model::Model;
use std::time::{Duration, Instant};

const SR: f32 = 48_000.0;
const BLOCK: usize = 128;

fn rig() -> (Synth, DecoderWorker) {
    let mut synth = synth_with(&[], SR);
    synth.params().set_anchors(Anchors::from_shapes(&[
        AnchorShape::Saw,
        AnchorShape::Square,
    ]));
    let model = Model::embedded().expect("the shipped weights load");
    let worker = DecoderWorker::attach(&mut synth, model, WorkerOptions::default()).unwrap();
    assert!(worker.settle(Duration::from_secs(60)));
    (synth, worker)
}

/// Processes silent blocks at wall-clock pace for `time`.
fn play_for(synth: &mut Synth, time: Duration) {
    let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let block = Duration::from_secs_f64(BLOCK as f64 / f64::from(SR));
    let start = Instant::now();
    let mut due = start;
    while start.elapsed() < time {
        let mut io = SliceEvents::new(&[], 0);
        synth.process(&mut l, &mut r, Transport::default(), &mut io);
        due += block;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

#[test]
fn an_idle_worker_wakes_fewer_than_10_times_a_second() {
    let (mut synth, worker) = rig();
    // Let the re-pacing, the active spell after the first table and the
    // knob charts of the resting sound pass.
    wait_for_knob_charts(&mut synth, &worker);
    play_for(&mut synth, Duration::from_millis(400));
    let before = worker.wakeups();
    play_for(&mut synth, Duration::from_secs(2));
    let per_second = (worker.wakeups() - before) as f64 / 2.0;
    println!("idle worker: {per_second:.1} wake-ups a second (polling every 0.5 ms was 2,000)");
    assert!(per_second < 10.0, "{per_second} wake-ups a second");
}

#[test]
fn a_change_after_a_rest_is_built_at_once() {
    let (mut synth, worker) = rig();
    play_for(&mut synth, Duration::from_millis(400));
    let built = worker.status().tables_built;
    // A host automates macro 1: the change arrives with the next block.
    synth.params().set_by_id("macro_1", "0.6", SR).unwrap();
    let changed = Instant::now();
    let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let mut io = SliceEvents::new(&[], 0);
    synth.process(&mut l, &mut r, Transport::default(), &mut io);
    while worker.status().tables_built == built {
        assert!(
            changed.elapsed() < IDLE_SLEEP / 2,
            "the worker slept through the change"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    let took = changed.elapsed();
    println!("change after a rest: table built after {took:?}");
    assert!(took < Duration::from_millis(250), "{took:?}");
}

#[test]
fn a_change_nobody_announces_is_still_built_within_the_idle_sleep() {
    let (synth, worker) = rig();
    std::thread::sleep(Duration::from_millis(400));
    let built = worker.status().tables_built;
    // No audio thread and no wake call (a worker with no host calling process).
    synth.params().set_by_id("macro_2", "-0.5", SR).unwrap();
    let changed = Instant::now();
    while worker.status().tables_built == built {
        assert!(changed.elapsed() < IDLE_SLEEP * 3, "never built");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_resting_sound_gets_its_knob_charts_with_no_knob_touched() {
    let (mut synth, worker) = rig();
    assert!(synth.params().knob_values().iter().all(|&v| v == 0.0));
    wait_for_knob_charts(&mut synth, &worker);
}

/// Plays until the worker has the charts of the rig's two anchors × five
/// knobs (it computes them while the sound rests, so a knob's first move
/// costs what a later one does).
fn wait_for_knob_charts(synth: &mut Synth, worker: &DecoderWorker) {
    let started = Instant::now();
    while worker.status().knob_charts < 10 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{} knob charts after two minutes",
            worker.status().knob_charts
        );
        play_for(synth, Duration::from_millis(50));
    }
    println!("ten knob charts after {:?} at rest", started.elapsed());
}

/// The niceness of thread `tid` of this process (field 19 of its `stat`).
#[cfg(target_os = "linux")]
fn niceness(tid: &str) -> i32 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
    // The fields after the command name, which is in parentheses.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    after.split(' ').nth(16).unwrap().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn the_decoder_lets_the_audio_thread_go_first() {
    let (_synth, _worker) = rig();
    let tids: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let named = |name: &str| {
        tids.iter()
            .find(|tid| {
                std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
                    .is_ok_and(|comm| comm.trim() == name)
            })
            .cloned()
    };
    let worker = named("nwt-decoder").expect("the decoder thread runs");
    // SAFETY: `gettid` has no arguments and cannot fail.
    let me = unsafe { libc::gettid() }.to_string();
    let (worker, me) = (niceness(&worker), niceness(&me));
    println!("niceness: decoder {worker}, the thread that started it {me}");
    assert_eq!(worker, (me + 10).min(19));
}
