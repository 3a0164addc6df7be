//! Stopping the decoder worker while it decodes, 100 times in a row: no hang,
//! no crash, no thread left behind. (Its own test binary, so no other test's
//! worker is alive while the threads are counted.)

use nwt_engine::neural::{AnchorShape, Anchors, DecoderWorker, TableLink, WorkerOptions};
use nwt_engine::SynthParams;
use nwt_model::Model;
use std::sync::Arc;
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

/// Builds `params`' table once, so thread pools candle starts on first use
/// (shared by the process, not owned by a worker) exist before counting.
fn warm_up(model: &Model, params: &Arc<SynthParams>) {
    let link = TableLink::new();
    let worker = DecoderWorker::spawn(
        params.clone(),
        model.clone(),
        link,
        WorkerOptions::default(),
    )
    .unwrap();
    assert!(worker.settle(Duration::from_secs(60)));
}

#[test]
fn stopping_mid_decode_100_times_leaves_no_thread() {
    let model = Model::embedded().unwrap();
    warm_up(&model, &Arc::new(SynthParams::default()));
    let baseline = stable_threads();
    let started = Instant::now();
    let mut longest_stop = Duration::ZERO;
    let mut mid_decode = 0;
    for round in 0..100u32 {
        let params = Arc::new(SynthParams::default());
        // 256 frames through four anchors: the longest decode there is.
        params.set_by_id("frames", "256", 48_000.0).unwrap();
        params.set_anchors(Anchors::from_shapes(&[
            AnchorShape::Sine,
            AnchorShape::Saw,
            AnchorShape::Organ,
            AnchorShape::VowelO,
        ]));
        let link = TableLink::new();
        let worker = DecoderWorker::spawn(
            params.clone(),
            model.clone(),
            link.clone(),
            WorkerOptions::default(),
        )
        .unwrap();
        // Stop at a different point of the first decode each round.
        std::thread::sleep(Duration::from_micros(u64::from(round % 10) * 700));
        if link.incoming.is_empty() {
            mid_decode += 1;
        }
        let t = Instant::now();
        drop(worker);
        longest_stop = longest_stop.max(t.elapsed());
        // Whatever the worker queued is freed with the link, here.
        drop(link);
    }
    println!(
        "100 workers stopped ({mid_decode} while decoding) in {:.2} s; longest stop {:.1} ms",
        started.elapsed().as_secs_f64(),
        longest_stop.as_secs_f64() * 1e3
    );
    assert!(mid_decode >= 50, "only {mid_decode} stops hit a decode");
    assert_eq!(
        threads_after_settling(baseline),
        baseline,
        "a thread outlived its worker"
    );
    assert!(
        longest_stop < Duration::from_secs(5),
        "a stop took {longest_stop:?}"
    );
}
