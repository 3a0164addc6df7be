//! The decoder worker: one thread per plugin instance that owns the model and
//! turns parameter and anchor changes into wavetable sets.

use super::anchors::{Anchor, AnchorShape};
use super::{build_paced_table, build_user_table, AnchorEncoder, Pacing, PathPacing, TableRequest};
use crate::params::SynthParams;
use crate::wavetable::WavetableSet;
use crossbeam::queue::ArrayQueue;
use nwt_model::model::MacroAxes;
use nwt_model::{Latent, Model};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

/// How often the worker looks at the parameters while they move (for
/// [`ACTIVE_SPELL`] after the last change), so a knob turned without a wake
/// call is still seen at once.
pub const POLL_INTERVAL: Duration = Duration::from_micros(500);
/// How long after a change the worker keeps polling at [`POLL_INTERVAL`].
pub const ACTIVE_SPELL: Duration = Duration::from_millis(200);
/// Longest sleep of an idle worker: it wakes when something changes (the
/// audio thread, the editor, `settle` and shutdown wake it), and once a
/// second in case a change came without a wake call.
pub const IDLE_SLEEP: Duration = Duration::from_secs(1);
/// How long the parameters must rest before the worker measures the pacing of
/// a table it built with an earlier table's pacing (see [`Pacing::Reuse`]).
pub const REST_BEFORE_PACING: Duration = Duration::from_millis(50);
/// Sets the audio thread may hand back before the worker frees them.
const RETURN_CAPACITY: usize = 8;
/// Decodes remembered for tracing a played table back to its request.
const HISTORY: usize = 256;

/// The two lock-free queues between the worker and the audio thread, and a
/// way for the audio thread to wake the worker.
#[derive(Clone)]
pub struct TableLink {
    /// New sets, worker to audio thread (holds at most one: a newer set replaces an unplayed one).
    pub incoming: Arc<ArrayQueue<Box<WavetableSet>>>,
    /// Sets the audio thread is done with, audio thread to worker (which frees them).
    pub returns: Arc<ArrayQueue<Box<WavetableSet>>>,
    /// The worker's thread, once it runs.
    worker: Arc<OnceLock<Thread>>,
}

impl TableLink {
    /// A fresh pair of queues.
    pub fn new() -> Self {
        Self {
            incoming: Arc::new(ArrayQueue::new(1)),
            returns: Arc::new(ArrayQueue::new(RETURN_CAPACITY)),
            worker: Arc::new(OnceLock::new()),
        }
    }

    /// Wakes the worker (lock-free: an atomic swap, and a futex wake only
    /// when the worker sleeps); the audio thread calls it when a decoder
    /// input changed.
    pub fn wake(&self) {
        if let Some(thread) = self.worker.get() {
            thread.unpark();
        }
    }
}

impl Default for TableLink {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TableLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableLink")
            .field("incoming", &self.incoming.len())
            .field("returns", &self.returns.len())
            .finish()
    }
}

/// How to start a worker.
#[derive(Debug, Clone, Default)]
pub struct WorkerOptions {
    /// Run inference on a GPU when the build has one (cargo feature `cuda` or
    /// `metal`) and one answers; the CPU otherwise.
    pub prefer_gpu: bool,
    /// Where the worker reports what it does; give the same one to successive
    /// workers of a plugin instance so its editor can keep one handle.
    pub info: Option<Arc<NeuralInfo>>,
}

/// Where table position `position` (0..1; not finite reads as 0) falls
/// among `count` frames: the two nearest frames and the fraction between
/// them, as the oscillator reads them. `None` for no frames.
pub fn frame_pair(position: f32, count: usize) -> Option<(usize, usize, f32)> {
    let last = count.checked_sub(1)?;
    let x = if position.is_finite() {
        position.clamp(0.0, 1.0) * last as f32
    } else {
        0.0
    };
    let i = (x.floor() as usize).min(last);
    Some((i, (i + 1).min(last), x - i as f32))
}

/// The cycle played at `position` in `frames`: the two nearest frames
/// crossfaded, as the voices do. What "capture the current sound" stores.
pub fn cycle_at(frames: &[Vec<f32>], position: f32) -> Option<Vec<f32>> {
    let (i, j, t) = frame_pair(position, frames.len())?;
    Some(
        frames[i]
            .iter()
            .zip(&frames[j])
            .map(|(a, b)| a + (b - a) * t)
            .collect(),
    )
}

/// What the worker has done, for logs, the GUI and tests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerStatus {
    /// The device inference runs on ("CPU", "CUDA 0", ...).
    pub device: String,
    /// Tables built so far.
    pub tables_built: u64,
    /// Time the last table took, request read to set queued.
    pub last_build: Duration,
    /// The last failure, if the last attempt failed.
    pub error: Option<String>,
    /// The latents of the newest table's frames, in order.
    pub path: Vec<Latent>,
    /// The newest table's frames (2048 samples each, peak-normalised), for display.
    pub frames: Arc<Vec<Vec<f32>>>,
    /// The latent of each filled anchor slot of the newest table.
    pub anchor_latents: [Option<Latent>; 4],
    /// Each filled anchor as the newest table plays it: moved by the named
    /// knobs (the path runs through these before the macros move them).
    pub anchors_played: [Option<Latent>; 4],
    /// The latent of every factory shape (filled after the first table).
    pub shapes: Vec<(AnchorShape, Latent)>,
    /// The model's macro axes (for drawing latents on the macro plane).
    pub axes: Option<MacroAxes>,
    /// Semantic-knob charts computed so far (one per anchor and knob).
    pub knob_charts: usize,
}

/// Called after every change of the worker's report (an editor asks for a repaint).
pub type InfoListener = Arc<dyn Fn() + Send + Sync>;

/// The worker's report, shared with the editor (never touched by the audio thread).
#[derive(Default)]
pub struct NeuralInfo {
    status: RwLock<WorkerStatus>,
    listener: RwLock<Option<InfoListener>>,
    worker: RwLock<Option<Thread>>,
}

impl std::fmt::Debug for NeuralInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NeuralInfo")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl NeuralInfo {
    /// A copy of the latest status.
    pub fn status(&self) -> WorkerStatus {
        self.status
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The device inference runs on (empty while no worker runs).
    pub fn device(&self) -> String {
        self.status
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .device
            .clone()
    }

    /// Wakes the worker now (the editor calls it after changing a parameter
    /// or an anchor, so the decode starts at once; never the audio thread,
    /// which uses [`TableLink::wake`]).
    pub fn wake_worker(&self) {
        if let Some(thread) = self
            .worker
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            thread.unpark();
        }
    }

    fn set_worker(&self, thread: Thread) {
        *self.worker.write().unwrap_or_else(|e| e.into_inner()) = Some(thread);
    }

    /// Calls `listener` after every change of the report from now on.
    pub fn set_listener(&self, listener: InfoListener) {
        *self.listener.write().unwrap_or_else(|e| e.into_inner()) = Some(listener);
    }

    /// Changes the report without telling the listener (for what the
    /// editor does not show).
    fn record(&self, f: impl FnOnce(&mut WorkerStatus)) {
        f(&mut self.status.write().unwrap_or_else(|e| e.into_inner()));
    }

    fn update(&self, f: impl FnOnce(&mut WorkerStatus)) {
        self.record(f);
        if let Some(listener) = self
            .listener
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            listener();
        }
    }
}

struct Progress {
    /// The last request handled (built or failed).
    completed: Option<TableRequest>,
    /// `(serial, when its request was read)` of recent tables.
    history: VecDeque<(u64, Instant)>,
}

struct Shared {
    params: Arc<SynthParams>,
    info: Arc<NeuralInfo>,
    stop: AtomicBool,
    /// Someone waits in [`DecoderWorker::settle`]: measure the pacing now.
    settling: AtomicUsize,
    progress: Mutex<Progress>,
    changed: Condvar,
    /// Times the worker woke up (for tests and benches of its idle cost).
    wakeups: AtomicU64,
    /// An offline render: decode only inside [`DecoderWorker::settle`], so
    /// the tables a render plays depend on its audio alone, never on when
    /// the worker happened to look between the render's waits.
    offline: AtomicBool,
}

impl Shared {
    fn progress(&self) -> MutexGuard<'_, Progress> {
        // A panic while holding the lock cannot leave Progress inconsistent.
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running decoder worker. Dropping it stops the thread and waits for it
/// (at most the length of one decode).
pub struct DecoderWorker {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for DecoderWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecoderWorker")
            .field("status", &self.status())
            .finish()
    }
}

impl DecoderWorker {
    /// Starts a worker thread that owns `model`, reads `params` and feeds `link`.
    pub fn spawn(
        params: Arc<SynthParams>,
        model: Model,
        link: TableLink,
        options: WorkerOptions,
    ) -> std::io::Result<Self> {
        let (device, device_name) = nwt_model::select_device(options.prefer_gpu);
        let (model, device_name) = match model.to_device(&device) {
            Ok(m) => (m, device_name),
            Err(_) => (model, "CPU".to_string()),
        };
        let info = options.info.unwrap_or_default();
        info.update(|s| {
            *s = WorkerStatus {
                device: device_name,
                axes: Some(model.macros().clone()),
                ..WorkerStatus::default()
            }
        });
        let shared = Arc::new(Shared {
            params,
            info,
            stop: AtomicBool::new(false),
            settling: AtomicUsize::new(0),
            progress: Mutex::new(Progress {
                completed: None,
                history: VecDeque::with_capacity(HISTORY),
            }),
            changed: Condvar::new(),
            wakeups: AtomicU64::new(0),
            offline: AtomicBool::new(false),
        });
        let thread_shared = shared.clone();
        let thread_link = link.clone();
        let thread = std::thread::Builder::new()
            .name("nwt-decoder".into())
            .spawn(move || run(&thread_shared, &model, &thread_link))?;
        let _ = link.worker.set(thread.thread().clone());
        shared.info.set_worker(thread.thread().clone());
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Connects `synth` to a new worker that reads the synth's parameters
    /// (call off the audio thread; replaces any earlier link).
    pub fn attach(
        synth: &mut crate::Synth,
        model: Model,
        options: WorkerOptions,
    ) -> std::io::Result<Self> {
        let link = TableLink::new();
        let worker = Self::spawn(synth.params().clone(), model, link.clone(), options)?;
        synth.set_table_link(Some(link));
        Ok(worker)
    }

    /// Asks the worker to look at the parameters now instead of at its next poll.
    pub fn wake(&self) {
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }

    /// Offline (`true`): the worker decodes only while someone waits in
    /// [`DecoderWorker::settle`]; live (`false`, the default): whenever the
    /// inputs change.
    pub fn set_offline(&self, offline: bool) {
        self.shared.offline.store(offline, Ordering::Release);
        if !offline {
            self.wake();
        }
    }

    /// Waits until the worker has handled the current parameters and anchors
    /// (the table is queued, or the attempt failed) or `timeout` passes.
    /// Returns whether it settled. Offline renders call this before each block
    /// so the same inputs give the same audio, bit for bit.
    pub fn settle(&self, timeout: Duration) -> bool {
        self.shared.settling.fetch_add(1, Ordering::AcqRel);
        let settled = self.wait_settled(timeout);
        self.shared.settling.fetch_sub(1, Ordering::AcqRel);
        settled
    }

    fn wait_settled(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        self.wake();
        let mut progress = self.shared.progress();
        loop {
            let done = progress
                .completed
                .as_ref()
                .is_some_and(|r| r.is_current(&self.shared.params));
            if done {
                return true;
            }
            let now = Instant::now();
            if now >= deadline || self.thread.as_ref().is_none_or(|t| t.is_finished()) {
                return false;
            }
            // Wake up now and then: a parameter may change without anyone notifying us.
            let wait = (deadline - now).min(Duration::from_millis(5));
            progress = self
                .shared
                .changed
                .wait_timeout(progress, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            self.wake();
        }
    }

    /// The worker's status.
    pub fn status(&self) -> WorkerStatus {
        self.shared.info.status()
    }

    /// How many times the worker thread has woken up so far.
    pub fn wakeups(&self) -> u64 {
        self.shared.wakeups.load(Ordering::Relaxed)
    }

    /// The device inference runs on.
    pub fn device_name(&self) -> String {
        self.shared.info.device()
    }

    /// The shared report (device, timings, the newest table's latents).
    pub fn info(&self) -> &Arc<NeuralInfo> {
        &self.shared.info
    }

    /// When the request behind the table with this serial was read (recent tables only).
    pub fn requested_at(&self, serial: u64) -> Option<Instant> {
        self.shared
            .progress()
            .history
            .iter()
            .find(|(s, _)| *s == serial)
            .map(|(_, t)| *t)
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            // A panic in the worker has already been reported by the panic hook.
            let _ = thread.join();
            // No device while no worker runs.
            self.shared.info.update(|s| s.device.clear());
        }
    }
}

impl Drop for DecoderWorker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// For the editor's latent pad, once, after the first table is out (off the
/// knob-to-sound path, with no lock held): the latent of every factory shape.
fn report_shapes(shared: &Shared, model: &Model, encoder: &mut AnchorEncoder) {
    if shared.info.status.read().is_ok_and(|s| s.shapes.is_empty()) {
        let shapes = AnchorShape::ALL
            .into_iter()
            .filter_map(|shape| {
                let z = encoder.latent(model, 0, &Anchor::shape(shape)).ok()?;
                Some((shape, z))
            })
            .collect();
        shared.info.update(|s| s.shapes = shapes);
    }
}

/// How much nicer than the thread that starts it the decoder runs (Linux
/// niceness added, capped at 19). At equal priority, a table build (3–5 ms)
/// that the scheduler had put on the audio thread's core delayed the audio
/// thread's next wake-up by the whole build: with macro automation at 20 Hz,
/// 14.8 of 3,766 blocks late per `nwt render --realtime` run on average over
/// 8 runs (1–23), each woken 2.6–8.3 ms after it was due; 10 nicer, 1.6 —
/// 1.1 with no table built at all (the machine's own noise); 19 nicer was
/// no better. BENCHMARKS.md, "Deadlines".
const WORKER_NICENESS: i32 = 10;

/// Lets every thread of normal priority (an audio thread a host did not make
/// real-time, the standalone app's, the editor) go before the decoder, which
/// still gets the core whenever they rest (a real-time audio thread goes
/// before it anyway). Linux only: there `setpriority` with 0 sets the
/// calling thread's niceness; elsewhere the worker keeps its priority.
fn yield_to_the_audio_thread() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `getpriority` and `setpriority` read only their integer
        // arguments; `who` 0 is the calling thread. A failure (no
        // permission) leaves the priority as it was, which is harmless, so
        // the result is not needed.
        let _ = unsafe {
            let now = libc::getpriority(libc::PRIO_PROCESS, 0);
            libc::setpriority(libc::PRIO_PROCESS, 0, (now + WORKER_NICENESS).min(19))
        };
    }
}

fn run(shared: &Shared, model: &Model, link: &TableLink) {
    yield_to_the_audio_thread();
    let mut w = WorkerState::new();
    while !shared.stop.load(Ordering::Acquire) {
        // Free the sets the audio thread has finished with.
        while let Some(old) = link.returns.pop() {
            drop(old);
        }
        let stale = w
            .last
            .as_ref()
            .is_none_or(|r| !r.is_current(&shared.params));
        let settling = shared.settling.load(Ordering::Acquire) > 0;
        // Offline, only a render's wait asks for a table.
        let held = shared.offline.load(Ordering::Acquire) && !settling;
        // While knobs move, tables reuse the last pacing (no extra decode on
        // the knob-to-sound path); once they rest, the table is re-paced.
        let repace = !stale && !w.paced && (settling || w.built_at.elapsed() >= REST_BEFORE_PACING);
        if stale {
            w.last_change = Instant::now();
        }
        if (stale || repace) && !held {
            w.build(shared, model, link, stale, settling);
        }
        if let Some(request) = &w.last {
            let resting = w.paced && w.last_change.elapsed() >= ACTIVE_SPELL;
            if chart_one(shared, model, &mut w.encoder, request, resting) {
                continue;
            }
        }
        std::thread::park_timeout(sleep_time(w.last_change, w.paced, w.built_at));
        shared.wakeups.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the worker keeps from pass to pass.
struct WorkerState {
    encoder: AnchorEncoder,
    /// The request the last table was built for.
    last: Option<TableRequest>,
    /// The last table's serial number.
    serial: u64,
    /// The pacing of the last table, and whether it was measured for its
    /// own path.
    pacing: Option<PathPacing>,
    paced: bool,
    /// When the last table was built, when its parameters were read, and
    /// the sound revision it was read at.
    built_at: Instant,
    last_read_at: Instant,
    last_revision: u64,
    /// When the worker last saw the parameters change.
    last_change: Instant,
}

impl WorkerState {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            encoder: AnchorEncoder::default(),
            last: None,
            serial: 0,
            pacing: None,
            paced: true,
            built_at: now,
            last_read_at: now,
            last_revision: 0,
            last_change: now,
        }
    }

    /// The request to build, when its parameters were read and the sound
    /// revision then: the current parameters' (`stale`), or the last ones.
    fn request(&self, shared: &Shared, stale: bool) -> (TableRequest, Instant, u64) {
        // When the parameters were read, stamped after the read: a read
        // that saw a change is stamped after it (a read overlapping the
        // store may be stamped after it without seeing it; the next poll
        // then builds again). A re-paced table keeps the stamp of the
        // state it was built from.
        match (&self.last, stale) {
            (Some(previous), false) => (previous.clone(), self.last_read_at, self.last_revision),
            _ => {
                // Read before the request: a replacement made during the
                // read counts as not yet built.
                let revision = shared.params.sound_revision();
                let request = TableRequest::read(&shared.params);
                (request, Instant::now(), revision)
            }
        }
    }

    /// Builds the table of the current parameters (`stale`), or the last
    /// one again with pacing measured for its own path, and publishes it.
    fn build(
        &mut self,
        shared: &Shared,
        model: &Model,
        link: &TableLink,
        stale: bool,
        settling: bool,
    ) {
        // Coalescing: only the newest state is decoded; changes made while
        // this decode runs are picked up by the next pass.
        let started = Instant::now();
        let (request, read_at, revision) = self.request(shared, stale);
        let mode = match &self.pacing {
            Some(earlier) if stale && !settling => Pacing::Reuse(earlier),
            _ => Pacing::Measure,
        };
        let result = match (&request.user, shared.params.user_table_snapshot()) {
            (Some(_), Some(table)) => {
                build_user_table(&table).map(|set| (set, Vec::new(), Vec::new(), None))
            }
            _ => build_paced_table(model, &mut self.encoder, &request, mode)
                .map(|t| (t.set, t.latents, t.played, Some((t.pacing, t.measured)))),
        };
        let mut progress = shared.progress();
        let mut built = false;
        self.paced = true;
        match result {
            Ok((set, latents, played, table_pacing)) => {
                if let Some((table_pacing, measured)) = table_pacing {
                    self.pacing = Some(table_pacing);
                    self.paced = measured;
                }
                self.serial += 1;
                let table = Built {
                    set,
                    latents,
                    played,
                    serial: self.serial,
                    revision,
                    read_at,
                    started,
                };
                publish(
                    shared,
                    link,
                    model,
                    &mut self.encoder,
                    &request,
                    &mut progress,
                    table,
                );
                built = true;
            }
            Err(e) => {
                shared.info.update(|s| s.error = Some(e.to_string()));
            }
        }
        // Settled once the table of this state is final (paced for its path).
        // A table with reused pacing is not final: settle waits for the
        // re-paced one (even if an earlier final table had the same state).
        progress.completed = self.paced.then(|| request.clone());
        drop(progress);
        shared.changed.notify_all();
        if built {
            report_shapes(shared, model, &mut self.encoder);
        }
        self.built_at = Instant::now();
        self.last_read_at = read_at;
        self.last_revision = revision;
        self.last = Some(request);
    }
}

/// A table the worker has just built, with what the editor and `settle`
/// learn of it.
struct Built {
    set: WavetableSet,
    /// The latent path of its frames.
    latents: Vec<Latent>,
    /// The latents its anchors played at, in slot order of the filled slots.
    played: Vec<Latent>,
    serial: u64,
    /// The sound revision it was read at.
    revision: u64,
    /// When its parameters were read.
    read_at: Instant,
    /// When its decode started.
    started: Instant,
}

/// Hands a built table to the audio thread and tells the editor of it.
fn publish(
    shared: &Shared,
    link: &TableLink,
    model: &Model,
    encoder: &mut AnchorEncoder,
    request: &TableRequest,
    progress: &mut Progress,
    table: Built,
) {
    let Built {
        mut set,
        latents,
        played,
        serial,
        revision,
        read_at,
        started,
    } = table;
    let frames: Vec<Vec<f32>> = (0..set.frame_count()).map(|i| set.frame(i)).collect();
    set.set_serial(serial);
    set.set_revision(revision);
    if progress.history.len() == HISTORY {
        progress.history.pop_front();
    }
    progress.history.push_back((serial, read_at));
    // A newer set replaces one the audio thread has not taken yet.
    if let Some(unplayed) = link.incoming.force_push(Box::new(set)) {
        drop(unplayed);
    }
    shared.info.update(|s| {
        s.tables_built += 1;
        s.last_build = started.elapsed();
        s.error = None;
        s.path = latents;
        s.frames = Arc::new(frames);
    });
    // After the push; the encoder has these latents cached.
    let anchor_latents: [Option<Latent>; 4] = std::array::from_fn(|slot| {
        let anchor = request.anchors.slots.get(slot)?.as_ref()?;
        encoder.latent(model, slot, anchor).ok()
    });
    // The filled slots, in order, are the table's points.
    let mut played = played.into_iter();
    let anchors_played: [Option<Latent>; 4] = std::array::from_fn(|slot| {
        request.anchors.slots.get(slot)?.as_ref()?;
        played.next()
    });
    shared.info.update(|s| {
        s.anchor_latents = anchor_latents;
        s.anchors_played = anchors_played;
    });
}

/// Once the sound rests (`resting`; or while a semantic knob is in use, or
/// one is routed in the modulation matrix, so a wheel can move it any
/// moment), computes one of the charts the knobs will need, so a knob's
/// first move costs what a later one does. A chart gives way to any change
/// within one of its steps. True when it computed one.
fn chart_one(
    shared: &Shared,
    model: &Model,
    encoder: &mut AnchorEncoder,
    request: &TableRequest,
    resting: bool,
) -> bool {
    let wanted = resting || shared.params.knobs_routed();
    let stop = || shared.stop.load(Ordering::Acquire) || !request.is_current(&shared.params);
    if matches!(
        encoder.prepare_knob_chart(model, request, wanted, &stop),
        Ok(true)
    ) {
        let charts = encoder.knob_chart_count();
        // The editor does not show it: no repaint for it.
        shared.info.record(|s| s.knob_charts = charts);
        return true;
    }
    false
}

/// How long the worker sleeps unless woken: briefly while things move (no
/// added delay for a change nobody announced), until the re-pacing is due,
/// else long.
fn sleep_time(last_change: Instant, paced: bool, built_at: Instant) -> Duration {
    if last_change.elapsed() < ACTIVE_SPELL {
        POLL_INTERVAL
    } else if !paced {
        REST_BEFORE_PACING
            .saturating_sub(built_at.elapsed())
            .max(POLL_INTERVAL)
    } else {
        IDLE_SLEEP
    }
}
