//! A minimal CLAP host for the end-to-end tests in `clap_host.rs`, built on `clack-host`.
//!
//! [`Synth`] is a plugin instance living on the thread that created it (its main thread): it
//! enumerates parameters, reads their values and saves and loads state. [`Synth::start`]
//! activates it and returns an [`Audio`], the processing side, which [`on_audio_thread`] moves to
//! a dedicated audio thread for each chunk of `process()` calls, as a DAW would. Main-thread
//! callbacks requested by the plugin are run between chunks ([`Synth::run_main_thread_callbacks`]).
//!
//! The C structs of the two plugin extensions used for parameters and state
//! (`clap/ext/params.h` and `clap/ext/state.h`) are mirrored in `ffi`, with the `clap_plugin`
//! and stream pointers passed as `*const c_void` (ABI compatible); the editor test uses
//! `clack-extensions` for `clap.gui`, whose host side [`TestHost`] declares.
#![allow(dead_code)] // each test binary uses a different part of the host

use clack_host::events::event_types::{NoteEndEvent, NoteOffEvent, NoteOnEvent};
use clack_host::events::Match;
use clack_host::extensions::{Extension, PluginExtensionSide, RawExtension};
use clack_host::prelude::*;
use clack_host::stream::{InputStream, OutputStream};
use std::ffi::{c_char, c_void, CStr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

pub const PLUGIN_ID: &CStr = c"org.neural-wavetable.synth";
pub const PLUGIN_NAME: &str = "Neural Wavetable";
pub const SAMPLE_RATE: f64 = 48_000.0;
pub const MAX_FRAMES: u32 = 4096;

mod ffi {
    use std::ffi::{c_char, c_void};

    pub const CLAP_NAME_SIZE: usize = 256;
    pub const CLAP_PATH_SIZE: usize = 1024;

    pub const CLAP_PARAM_IS_STEPPED: u32 = 1 << 0;
    pub const CLAP_PARAM_IS_READONLY: u32 = 1 << 3;
    pub const CLAP_PARAM_IS_MODULATABLE: u32 = 1 << 10;
    pub const CLAP_PARAM_IS_MODULATABLE_PER_NOTE_ID: u32 = 1 << 11;

    #[repr(C)]
    pub struct ClapParamInfo {
        pub id: u32,
        pub flags: u32,
        pub cookie: *mut c_void,
        pub name: [c_char; CLAP_NAME_SIZE],
        pub module: [c_char; CLAP_PATH_SIZE],
        pub min_value: f64,
        pub max_value: f64,
        pub default_value: f64,
    }

    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct ClapPluginParams {
        pub count: Option<unsafe extern "C" fn(plugin: *const c_void) -> u32>,
        pub get_info: Option<
            unsafe extern "C" fn(
                plugin: *const c_void,
                index: u32,
                info: *mut ClapParamInfo,
            ) -> bool,
        >,
        pub get_value:
            Option<unsafe extern "C" fn(plugin: *const c_void, id: u32, value: *mut f64) -> bool>,
        pub value_to_text: Option<
            unsafe extern "C" fn(
                plugin: *const c_void,
                id: u32,
                value: f64,
                display: *mut c_char,
                size: u32,
            ) -> bool,
        >,
        pub text_to_value: Option<
            unsafe extern "C" fn(
                plugin: *const c_void,
                id: u32,
                display: *const c_char,
                value: *mut f64,
            ) -> bool,
        >,
        pub flush: Option<
            unsafe extern "C" fn(
                plugin: *const c_void,
                input: *const c_void,
                output: *const c_void,
            ),
        >,
    }

    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct ClapPluginState {
        pub save:
            Option<unsafe extern "C" fn(plugin: *const c_void, stream: *const c_void) -> bool>,
        pub load:
            Option<unsafe extern "C" fn(plugin: *const c_void, stream: *const c_void) -> bool>,
    }
}

/// The plugin side of `clap.params`.
#[derive(Copy, Clone)]
struct PluginParams(RawExtension<PluginExtensionSide, ffi::ClapPluginParams>);

// SAFETY: the identifier is the one of `clap_plugin_params`, mirrored by `ffi::ClapPluginParams`.
unsafe impl Extension for PluginParams {
    const IDENTIFIERS: &'static [&'static CStr] = &[c"clap.params"];
    type ExtensionSide = PluginExtensionSide;

    unsafe fn from_raw(raw: RawExtension<Self::ExtensionSide>) -> Self {
        // SAFETY: the pointer was returned for the `clap.params` identifier.
        Self(unsafe { raw.cast() })
    }
}

/// The plugin side of `clap.state`.
#[derive(Copy, Clone)]
struct PluginState(RawExtension<PluginExtensionSide, ffi::ClapPluginState>);

// SAFETY: the identifier is the one of `clap_plugin_state`, mirrored by `ffi::ClapPluginState`.
unsafe impl Extension for PluginState {
    const IDENTIFIERS: &'static [&'static CStr] = &[c"clap.state"];
    type ExtensionSide = PluginExtensionSide;

    unsafe fn from_raw(raw: RawExtension<Self::ExtensionSide>) -> Self {
        // SAFETY: the pointer was returned for the `clap.state` identifier.
        Self(unsafe { raw.cast() })
    }
}

/// One parameter as described by `clap.params` `get_info`.
#[derive(Clone, Debug)]
pub struct ParamInfo {
    pub id: u32,
    flags: u32,
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub default: f64,
}

impl ParamInfo {
    pub fn is_stepped(&self) -> bool {
        self.flags & ffi::CLAP_PARAM_IS_STEPPED != 0
    }

    pub fn is_readonly(&self) -> bool {
        self.flags & ffi::CLAP_PARAM_IS_READONLY != 0
    }

    pub fn is_poly_modulatable(&self) -> bool {
        self.flags & ffi::CLAP_PARAM_IS_MODULATABLE_PER_NOTE_ID != 0
    }

    pub fn is_modulatable(&self) -> bool {
        self.flags & ffi::CLAP_PARAM_IS_MODULATABLE != 0
    }

    pub fn range(&self) -> f64 {
        self.max - self.min
    }

    /// `min + fraction * (max - min)`, rounded to an integer for stepped parameters.
    pub fn value_at(&self, fraction: f64) -> f64 {
        let value = self.min + fraction * self.range();
        if self.is_stepped() {
            value.round()
        } else {
            value
        }
    }
}

/// Host callbacks that may arrive from any thread.
struct TestHostShared {
    callback_requested: AtomicBool,
}

impl SharedHandler<'_> for TestHostShared {
    fn request_restart(&self) {}

    fn request_process(&self) {}

    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::Release);
    }
}

/// The host side of `clap.gui` (what a DAW offers an embedded editor): resize
/// and show/hide requests are accepted, nothing else is needed here.
impl clack_extensions::gui::HostGuiImpl for TestHostShared {
    fn resize_hints_changed(&self) {}

    fn request_resize(&self, _new_size: clack_extensions::gui::GuiSize) -> Result<(), HostError> {
        Ok(())
    }

    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }

    fn closed(&self, _was_destroyed: bool) {}
}

struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = TestHostShared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder.register::<clack_extensions::gui::HostGui>();
    }
}

/// The plugin library, built for this test's profile and target folder
/// (`NWT_CLAP_PLUGIN` names another).
pub fn built_plugin_path() -> PathBuf {
    if let Some(path) = std::env::var_os("NWT_CLAP_PLUGIN") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "NWT_CLAP_PLUGIN={} is not a file",
            path.display()
        );
        return path;
    }
    built(
        &["-p", "neural-wavetable", "--lib"],
        "libneural_wavetable.so",
    )
}

/// The `nwt` tool (its own crate, `nwt-cli`), built for this test's profile
/// and target folder.
#[allow(dead_code)] // not every test binary renders a reference
pub fn built_nwt_path() -> PathBuf {
    built(&["-p", "nwt-cli", "--bin", "nwt"], "nwt")
}

/// Runs `cargo build --quiet ARGS` for this test's profile and target folder
/// and returns `file` in the profile's folder.
fn built(args: &[&str], file: &str) -> PathBuf {
    // The test binary lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in <target>/<profile>/deps")
        .to_path_buf();
    let target_dir = profile_dir
        .parent()
        .expect("the profile folder has a parent")
        .to_path_buf();
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev".to_string(),
        Some(name) => name.to_string(),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .arg("build")
        .arg("--quiet")
        .args(args)
        .arg("--profile")
        .arg(&profile)
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {file}: {e}"));
    assert!(
        status.success(),
        "`cargo build {} --profile {profile}` failed: {status}",
        args.join(" ")
    );
    let path = profile_dir.join(file);
    assert!(
        path.is_file(),
        "cargo built {file} but {} does not exist",
        path.display()
    );
    path
}

/// The plugin's CLAP entry, loaded once per test process from a copy named like a bundle.
fn plugin_entry() -> &'static PluginEntry {
    static ENTRY: OnceLock<PluginEntry> = OnceLock::new();
    ENTRY.get_or_init(|| {
        let source = built_plugin_path();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("nwt-clap-host-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let bundle = dir.join("neural-wavetable.clap");
        std::fs::copy(&source, &bundle).unwrap_or_else(|e| {
            panic!(
                "cannot copy {} to {}: {e}",
                source.display(),
                bundle.display()
            )
        });

        // SAFETY: the library is our own CLAP plugin; loading it runs its (trusted) initialisers.
        let entry = unsafe { PluginEntry::load(&bundle) }
            .unwrap_or_else(|e| panic!("cannot load CLAP bundle {}: {e}", bundle.display()));

        // The library stays mapped after its file is unlinked, so do not leave copies behind.
        let _ = std::fs::remove_file(&bundle);
        let _ = std::fs::remove_dir(&dir);
        entry
    })
}

/// A plugin instance, used from the thread that created it (its main thread).
pub struct Synth {
    instance: PluginInstance<TestHost>,
}

impl Synth {
    pub fn new() -> Self {
        let entry = plugin_entry();
        let factory = entry
            .get_plugin_factory()
            .expect("the bundle exposes no CLAP plugin factory");
        let descriptor = factory
            .plugin_descriptors()
            .find(|d| d.id() == Some(PLUGIN_ID))
            .unwrap_or_else(|| panic!("the factory has no plugin with id {PLUGIN_ID:?}"));
        assert_eq!(
            descriptor.name().and_then(|n| n.to_str().ok()),
            Some(PLUGIN_NAME),
            "unexpected plugin name"
        );

        let host_info = HostInfo::new(
            "nwt clap_host test",
            "Neural Wavetable developers",
            "https://example.invalid",
            "0.1.0",
        )
        .expect("valid host info");
        let instance = PluginInstance::<TestHost>::new(
            |_| TestHostShared {
                callback_requested: AtomicBool::new(false),
            },
            |_| (),
            entry,
            PLUGIN_ID,
            &host_info,
        )
        .expect("the plugin instance could not be created");
        Self { instance }
    }

    /// Activates at 48 kHz with the given maximum block size and starts processing.
    pub fn start(&mut self, max_frames: u32) -> Audio {
        let config = PluginAudioConfiguration {
            sample_rate: SAMPLE_RATE,
            min_frames_count: 1,
            max_frames_count: max_frames,
        };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .expect("plugin activation failed");
        let processor = stopped
            .start_processing()
            .unwrap_or_else(|_| panic!("start_processing failed"));
        Audio::new(processor, max_frames as usize)
    }

    /// Stops processing and deactivates.
    pub fn stop(&mut self, audio: Audio) {
        let stopped = audio.processor.stop_processing();
        self.instance.deactivate(stopped);
        self.run_main_thread_callbacks();
    }

    /// Tells the plugin, through CLAP's render extension, that the host renders
    /// offline (a bounce) rather than in real time; call before [`Synth::start`].
    pub fn set_offline_rendering(&mut self) {
        use clack_extensions::render::{PluginRender, RenderMode};
        let handle = self.instance.plugin_handle();
        let render = handle
            .get_extension::<PluginRender>()
            .expect("the plugin implements clap.render");
        render
            .set(&handle, RenderMode::Offline)
            .expect("the plugin accepts offline rendering");
    }

    /// The plugin's main-thread handle, for extensions the host here does not wrap.
    pub fn plugin_handle(&mut self) -> PluginMainThreadHandle<'_> {
        self.instance.plugin_handle()
    }

    /// Runs `on_main_thread` if the plugin asked for it (as a host's event loop would).
    pub fn run_main_thread_callbacks(&mut self) {
        let requested = self.instance.access_shared_handler(|shared| {
            shared.callback_requested.swap(false, Ordering::AcqRel)
        });
        if requested {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Calls `f` with the `clap.params` vtable and the raw plugin pointer.
    fn with_params<R>(&mut self, f: impl FnOnce(&ffi::ClapPluginParams, *const c_void) -> R) -> R {
        let handle = self.instance.plugin_handle();
        let ext = handle
            .get_extension::<PluginParams>()
            .expect("the plugin does not implement clap.params");
        f(handle.use_extension(&ext.0), handle.as_raw_ptr().cast())
    }

    /// Calls `f` with the `clap.state` vtable and the raw plugin pointer.
    fn with_state<R>(&mut self, f: impl FnOnce(&ffi::ClapPluginState, *const c_void) -> R) -> R {
        let handle = self.instance.plugin_handle();
        let ext = handle
            .get_extension::<PluginState>()
            .expect("the plugin does not implement clap.state");
        f(handle.use_extension(&ext.0), handle.as_raw_ptr().cast())
    }

    /// Enumerates all parameters.
    pub fn params(&mut self) -> Vec<ParamInfo> {
        self.with_params(|params, plugin| {
            let count = params.count.expect("clap.params count is null");
            let get_info = params.get_info.expect("clap.params get_info is null");
            // SAFETY: valid plugin pointer, main thread.
            let count = unsafe { count(plugin) };
            (0..count)
                .map(|index| {
                    // SAFETY: all-zero is a valid `clap_param_info`.
                    let mut info: ffi::ClapParamInfo = unsafe { std::mem::zeroed() };
                    // SAFETY: valid plugin pointer, index in range, valid out pointer.
                    let ok = unsafe { get_info(plugin, index, &mut info) };
                    assert!(ok, "get_info({index}) failed");
                    ParamInfo {
                        id: info.id,
                        flags: info.flags,
                        name: c_chars_to_string(&info.name),
                        min: info.min_value,
                        max: info.max_value,
                        default: info.default_value,
                    }
                })
                .collect()
        })
    }

    /// Current value of every given parameter, through `get_value`.
    pub fn param_values(&mut self, params: &[ParamInfo]) -> Vec<f64> {
        self.with_params(|ext, plugin| {
            let get_value = ext.get_value.expect("clap.params get_value is null");
            params
                .iter()
                .map(|p| {
                    let mut value = f64::NAN;
                    // SAFETY: valid plugin pointer, main thread, valid out pointer.
                    let ok = unsafe { get_value(plugin, p.id, &mut value) };
                    assert!(ok, "get_value failed for parameter {:?}", p.name);
                    value
                })
                .collect()
        })
    }

    /// Display text of `value` for the given parameter, through `value_to_text`.
    pub fn value_text(&mut self, param: &ParamInfo, value: f64) -> String {
        self.with_params(|ext, plugin| {
            let value_to_text = ext
                .value_to_text
                .expect("clap.params value_to_text is null");
            let mut buffer: [c_char; 256] = [0; 256];
            // SAFETY: valid plugin pointer, main thread, buffer of the given size.
            let ok = unsafe {
                value_to_text(
                    plugin,
                    param.id,
                    value,
                    buffer.as_mut_ptr(),
                    buffer.len() as u32,
                )
            };
            assert!(ok, "value_to_text failed for parameter {:?}", param.name);
            c_chars_to_string(&buffer)
        })
    }

    pub fn save_state(&mut self) -> Vec<u8> {
        self.with_state(|state, plugin| {
            let save = state.save.expect("clap.state save is null");
            let mut bytes = Vec::new();
            let mut stream = OutputStream::from_writer(&mut bytes);
            let stream_ptr = std::ptr::from_mut(stream.as_raw_mut()).cast::<c_void>();
            // SAFETY: valid plugin pointer, main thread, stream valid for the call.
            let ok = unsafe { save(plugin, stream_ptr) };
            assert!(ok, "clap.state save failed");
            bytes
        })
    }

    pub fn load_state(&mut self, bytes: &[u8]) {
        self.with_state(|state, plugin| {
            let load = state.load.expect("clap.state load is null");
            let mut reader = bytes;
            let mut stream = InputStream::from_reader(&mut reader);
            let stream_ptr = std::ptr::from_mut(stream.as_raw_mut()).cast::<c_void>();
            // SAFETY: valid plugin pointer, main thread, stream valid for the call.
            let ok = unsafe { load(plugin, stream_ptr) };
            assert!(ok, "clap.state load failed");
        });
        self.run_main_thread_callbacks();
    }
}

fn c_chars_to_string(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A `CLAP_EVENT_NOTE_END` reported by the plugin, with its time in samples since activation.
#[derive(Clone, Copy, Debug)]
pub struct NoteEnd {
    pub time: u64,
    pub note_id: Match<u32>,
    pub channel: Match<u16>,
    pub key: Match<u16>,
}

/// The audio-thread side: a started processor with its host buffers. It is `Send` and is moved
/// to an audio thread for every chunk of process calls (see [`on_audio_thread`]).
pub struct Audio {
    processor: StartedPluginAudioProcessor<TestHost>,
    ports: AudioPorts,
    pub left: Vec<f32>,
    pub right: Vec<f32>,
    out_events: EventBuffer,
    /// Samples processed since activation (also passed as `steady_time`).
    pub position: u64,
    pub note_ends: Vec<NoteEnd>,
}

impl Audio {
    fn new(processor: StartedPluginAudioProcessor<TestHost>, max_frames: usize) -> Self {
        Self {
            processor,
            ports: AudioPorts::with_capacity(2, 1),
            left: vec![0.0; max_frames],
            right: vec![0.0; max_frames],
            out_events: EventBuffer::with_capacity(8192),
            position: 0,
            note_ends: Vec::with_capacity(1 << 16),
        }
    }

    /// One `process()` call of `frames` frames with the given input events (which must be sorted
    /// by time). The output is left in `self.left[..frames]` and `self.right[..frames]`.
    pub fn process(&mut self, frames: usize, events: &EventBuffer) {
        let Self {
            processor,
            ports,
            left,
            right,
            out_events,
            position,
            note_ends,
        } = self;

        // Hosts may hand over dirty buffers; the plugin must overwrite every sample.
        left[..frames].fill(f32::NAN);
        right[..frames].fill(f32::NAN);
        out_events.clear();

        let inputs = InputAudioBuffers::empty();
        let mut outputs = ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only([
                &mut left[..frames],
                &mut right[..frames],
            ]),
        }]);
        let input_events = InputEvents::from_buffer(events);
        let mut output_events = OutputEvents::from_buffer(out_events);
        if let Err(e) = processor.process(
            &inputs,
            &mut outputs,
            &input_events,
            &mut output_events,
            Some(*position),
            None,
        ) {
            panic!("process() of {frames} frames at sample {position} failed: {e}");
        }

        for event in out_events.iter() {
            if let Some(end) = event.as_event::<NoteEndEvent>() {
                note_ends.push(NoteEnd {
                    time: *position + u64::from(end.header().time()),
                    note_id: end.note_id(),
                    channel: end.channel(),
                    key: end.key(),
                });
            }
        }
        *position += frames as u64;
    }

    /// Processes `total` frames in blocks of `block` frames, sending `events` (sorted, with
    /// times relative to the first block) in the first block; returns the stereo output.
    pub fn render(&mut self, total: usize, block: usize, events: &EventBuffer) -> Stereo {
        let first_block = block.min(total);
        if let Some(late) = events
            .iter()
            .find(|e| e.header().time() as usize >= first_block)
        {
            panic!(
                "render(): event at frame {} is outside the first block",
                late.header().time()
            );
        }
        on_audio_thread(self, |audio| {
            let mut out = Stereo::with_capacity(total);
            let empty = EventBuffer::new();
            let mut done = 0;
            while done < total {
                let frames = block.min(total - done);
                audio.process(frames, if done == 0 { events } else { &empty });
                out.left.extend_from_slice(&audio.left[..frames]);
                out.right.extend_from_slice(&audio.right[..frames]);
                done += frames;
            }
            out
        })
    }
}

/// Runs `job` on a dedicated audio thread and waits for it.
pub fn on_audio_thread<R: Send>(audio: &mut Audio, job: impl FnOnce(&mut Audio) -> R + Send) -> R {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("clap-audio".into())
            .spawn_scoped(scope, || job(audio))
            .expect("cannot spawn the audio thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

pub struct Stereo {
    pub left: Vec<f32>,
    pub right: Vec<f32>,
}

impl Stereo {
    pub fn with_capacity(frames: usize) -> Self {
        Self {
            left: Vec::with_capacity(frames),
            right: Vec::with_capacity(frames),
        }
    }

    pub fn mono(&self) -> Vec<f32> {
        self.left
            .iter()
            .zip(&self.right)
            .map(|(l, r)| 0.5 * (l + r))
            .collect()
    }

    pub fn assert_finite(&self, what: &str) {
        for (channel, samples) in [("left", &self.left), ("right", &self.right)] {
            if let Some(i) = samples.iter().position(|x| !x.is_finite()) {
                panic!("{what}: {channel} sample {i} is {}", samples[i]);
            }
        }
    }

    /// Index one past the last sample (either channel) with `|x| >= threshold`.
    pub fn end_of_signal(&self, threshold: f32) -> usize {
        self.left
            .iter()
            .zip(&self.right)
            .rposition(|(l, r)| l.abs().max(r.abs()) >= threshold)
            .map_or(0, |i| i + 1)
    }
}

pub fn note_on(time: u32, channel: u16, key: u16, note_id: u32, velocity: f64) -> NoteOnEvent {
    NoteOnEvent::new(time, Pckn::new(0u16, channel, key, note_id), velocity)
}

pub fn note_off(time: u32, channel: u16, key: u16, note_id: u32) -> NoteOffEvent {
    NoteOffEvent::new(time, Pckn::new(0u16, channel, key, note_id), 0.0)
}
