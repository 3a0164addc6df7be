//! Unloading the plugin while its decoder worker is mid-decode, 100 times in a
//! row, through a real CLAP host (`clack-host`): no hang, no crash, no thread
//! left behind. (Its own test binary, so no other test's threads are counted.)

mod common;

use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use common::{note_on, Synth};
use std::time::{Duration, Instant};

/// Threads of this process.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| tasks.count())
        .unwrap_or(0)
}

/// The thread count once it has not changed for 300 ms (the warm-up's
/// inference threads exit on their own after their pool is dropped).
fn stable_threads() -> usize {
    let mut last = threads();
    let mut since = Instant::now();
    let deadline = since + Duration::from_secs(5);
    while since.elapsed() < Duration::from_millis(300) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        let n = threads();
        if n != last {
            last = n;
            since = Instant::now();
        }
    }
    last
}

/// Waits (up to 5 s) until at most `limit` threads remain: the decoder's
/// inference pool lets its threads exit on their own after it is dropped.
fn threads_after_settling(limit: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = threads();
        if n <= limit || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One life of an instance: activate (the worker starts), ask for a new table
/// with 256 frames, play one block, then deactivate and destroy it.
fn one_life(round: u32) {
    let mut synth = Synth::new();
    let params = synth.params();
    let find = |name: &str| {
        params
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no parameter named {name}"))
            .clone()
    };
    let (frames, macro_1) = (find("Frames"), find("Macro 1"));
    let mut audio = synth.start(512);
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 0, 60, 1, 0.8));
    for (p, value) in [
        (&frames, frames.max),
        (&macro_1, 0.3 + 0.01 * f64::from(round)),
    ] {
        events.push(&ParamValueEvent::new(
            0,
            ClapId::new(p.id),
            Pckn::match_all(),
            value,
        ));
    }
    audio.render(512, 512, &events).assert_finite("one block");
    std::thread::sleep(Duration::from_micros(u64::from(round % 10) * 500));
    synth.stop(audio);
    drop(synth);
}

#[test]
fn unloading_mid_decode_100_times_leaves_no_thread() {
    // Thread pools the process keeps (candle's, the host's) start on first use.
    one_life(0);
    let baseline = stable_threads();
    let started = Instant::now();
    for round in 0..100 {
        one_life(round);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "100 instances activated, decoding and unloaded in {:.2} s",
        elapsed.as_secs_f64()
    );
    assert_eq!(
        threads_after_settling(baseline),
        baseline,
        "a thread outlived its plugin instance"
    );
}
