//! Neural Wavetable's plugin glue: the nice-plug [`Plugin`] (CLAP, VST3 and the
//! standalone app), plus what the `nwt` command-line tool shares with it
//! (presets, note lists, WAV files). Thin by design: the DSP lives in
//! `nwt-engine`, the editor in `nwt-gui`.

use nice_plug::prelude::*;
use nwt_engine::events::is_editor_voice;
use nwt_engine::neural::{DecoderWorker, NeuralInfo, WorkerOptions};
use nwt_engine::telemetry::{report_channel, ReportReader, ReportWriter};
use nwt_engine::{
    EventIo, NoteExpression, Synth, SynthEvent, SynthParams, Transport as EngineTransport, VoiceEnd,
};
use nwt_engine::{NoteInbox, WithInbox};
use nwt_model::Model;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub mod folders;
pub mod library;
pub mod loudness;
pub mod pace;
pub mod preset;
pub mod table_check;
pub mod wav;
pub mod wav_import;

/// Samples processed by every instance in this process (the standalone app reports it).
pub static SAMPLES_PROCESSED: AtomicU64 = AtomicU64::new(0);
/// Sample rate of the most recently activated instance (the standalone app reports with it).
pub static SAMPLE_RATE: AtomicU32 = AtomicU32::new(48_000);
/// When set, the plugin offers no editor (the standalone app sets it when there is no display).
pub static HEADLESS: AtomicBool = AtomicBool::new(false);

/// The preset new instances start with (the standalone app's `--preset`).
static STARTUP_PRESET: Mutex<Option<preset::Preset>> = Mutex::new(None);

/// The editor scale new instances start with (the standalone app's `--scale`), as f32 bits.
static STARTUP_SCALE: AtomicU32 = AtomicU32::new(0);

/// Makes instances created from now on open their editor at `scale` (1.5 = 150 %).
pub fn set_startup_scale(scale: f32) {
    STARTUP_SCALE.store(scale.to_bits(), Ordering::Relaxed);
}

/// Makes instances created from now on start with `preset` (the standalone
/// app calls it before the wrapper creates the plugin).
pub fn set_startup_preset(preset: preset::Preset) {
    *STARTUP_PRESET.lock().unwrap_or_else(|e| e.into_inner()) = Some(preset);
}

/// Set to prefer a GPU for inference (`NWT_DEVICE=gpu`) in builds with the
/// `cuda` or `metal` feature; the CPU is the default and the fallback.
pub const DEVICE_ENV: &str = "NWT_DEVICE";

/// Worker options from the environment ([`DEVICE_ENV`]), reporting to `info`.
pub fn worker_options_from_env(info: Arc<NeuralInfo>) -> WorkerOptions {
    WorkerOptions {
        prefer_gpu: std::env::var(DEVICE_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("gpu")),
        info: Some(info),
    }
}

/// On machines with two cores or fewer, limits candle's CPU inference to one
/// thread (unless `RAYON_NUM_THREADS` is already set), so the decoder never
/// competes with the audio thread for the second core: measured on a 2-core
/// machine, the knob-to-sound p99 is 7.9 ms with one thread and 13.1 ms with
/// two (BENCHMARKS.md). For programs that own their process (the standalone
/// app, `nwt`); call it first thing in `main`, before any thread starts.
pub fn limit_inference_threads_on_small_machines() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores <= 2 && std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
}

/// Longest an offline render (a bounce, an export, a freeze) waits in one
/// `process` call for the decoder to build the table of the current
/// parameters; past it the block renders with the table it has, and the log
/// says so.
pub const OFFLINE_TABLE_WAIT: Duration = Duration::from_secs(10);

/// The Neural Wavetable plugin.
pub struct NeuralWavetable {
    params: Arc<SynthParams>,
    synth: Synth,
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    /// The model, loaded once per instance and handed to each worker.
    model: Option<Model>,
    /// The decoder worker, running while the plugin is active.
    worker: Option<DecoderWorker>,
    /// What the worker reports (device, timings, the newest table's latents), for the editor.
    info: Arc<NeuralInfo>,
    /// The audio thread's end of the editor's report channel.
    reports: ReportWriter,
    /// The editor's end (locked only by the editor; the audio thread never locks).
    report_reader: Arc<Mutex<ReportReader>>,
    /// Notes from the editor's keyboard.
    inbox: NoteInbox,
    /// Wakes the editor when something it shows changes (realtime-safe).
    repaint: nice_plug_egui::RepaintNotifier,
    /// How the host runs us: offline renders wait for the decoder.
    process_mode: ProcessMode,
    /// Offline blocks rendered without the current table (the wait timed out).
    stale_offline_blocks: u64,
    /// Tells an offline render by its pace when the host does not flag it.
    pace: pace::PaceDetector,
    /// Whether the worker was last told the render is offline.
    worker_offline: bool,
    /// When an offline render waits for the decoder (the same grid as `nwt render`).
    grid: nwt_engine::neural::TableGrid,
    /// Samples rendered since `activate` (the grid's clock).
    position: u64,
    /// The origin of the pace detector's wall clock.
    clock: Instant,
}

/// The embedded model, loaded once per process: every instance holds a
/// clone, which shares the weights (candle tensors are reference counted),
/// so an extra instance, such as one a host makes just to scan the plugin,
/// does not load them again.
fn shared_model() -> Result<Model, String> {
    static MODEL: std::sync::OnceLock<Result<Model, String>> = std::sync::OnceLock::new();
    MODEL
        .get_or_init(|| Model::embedded().map_err(|e| e.to_string()))
        .clone()
}

impl Default for NeuralWavetable {
    fn default() -> Self {
        let params = Arc::new(SynthParams::default());
        if let Some(p) = STARTUP_PRESET
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            match p.load_into(&params, 48_000.0) {
                Ok(()) => params.update_editor_memory(|m| m.preset = Some(p.name.clone())),
                Err(e) => nice_error!("the start-up preset {} was not loaded: {e}", p.name),
            }
        }
        let scale = f32::from_bits(STARTUP_SCALE.load(Ordering::Relaxed));
        if scale > 0.0 {
            params.update_editor_memory(|m| m.scale = scale);
        }
        let model = match shared_model() {
            Ok(model) => Some(model),
            Err(e) => {
                nice_error!("the neural model did not load ({e}); the synth plays factory tables");
                None
            }
        };
        let (reports, report_reader) = report_channel();
        let repaint = nice_plug_egui::RepaintNotifier::new();
        let info = Arc::new(NeuralInfo::default());
        let notifier = repaint.clone();
        info.set_listener(Arc::new(move || notifier.request_repaint()));
        Self {
            synth: Synth::new(params.clone(), 48_000.0),
            editor_state: nwt_gui::window_state(&params),
            params,
            reports,
            report_reader: Arc::new(Mutex::new(report_reader)),
            model,
            worker: None,
            info,
            process_mode: ProcessMode::Realtime,
            stale_offline_blocks: 0,
            pace: pace::PaceDetector::default(),
            worker_offline: false,
            grid: nwt_engine::neural::TableGrid::default(),
            position: 0,
            clock: Instant::now(),
            inbox: NoteInbox::default(),
            repaint,
        }
    }
}

impl NeuralWavetable {
    /// Starts the decoder worker if it is not running (main thread).
    fn start_worker(&mut self) {
        if self.worker.is_some() {
            return;
        }
        let Some(model) = self.model.clone() else {
            return;
        };
        let options = worker_options_from_env(self.info.clone());
        match DecoderWorker::attach(&mut self.synth, model, options) {
            Ok(worker) => {
                nice_log!("neural decoder running on {}", worker.device_name());
                self.worker = Some(worker);
            }
            Err(e) => nice_error!("cannot start the decoder thread: {e}"),
        }
    }

    /// Offline only, when the table grid says so (a change of the decoder's
    /// inputs, at most once per 40 ms of audio: `nwt_engine::neural::TableGrid`,
    /// as `nwt render` does): waits until the decoder has built the table of
    /// the current parameters and anchors, at most [`OFFLINE_TABLE_WAIT`], so
    /// a bounce plays a change from its block and two bounces of a project
    /// are identical.
    fn wait_for_table(&mut self) {
        let Some(worker) = &self.worker else {
            return;
        };
        // Offline there is no deadline to miss; the wait may lock and allocate.
        let settled = util::permit_alloc(|| worker.settle(OFFLINE_TABLE_WAIT));
        if !settled {
            self.stale_offline_blocks += 1;
            if self.stale_offline_blocks == 1 || self.stale_offline_blocks.is_power_of_two() {
                nice_warn!(
                    "offline render: the decoder did not finish the current table within {:?} \
                     ({} blocks so far rendered with the previous table)",
                    OFFLINE_TABLE_WAIT,
                    self.stale_offline_blocks
                );
            }
        }
    }

    /// Stops the decoder worker (main thread); waits at most one decode.
    fn stop_worker(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.stop();
        }
    }
}

/// Converts a nice-plug note event into the engine's event, if the engine uses it.
pub fn engine_event<S>(event: NoteEvent<S>) -> Option<SynthEvent> {
    match event {
        e @ (NoteEvent::NoteOn { .. }
        | NoteEvent::NoteOff { .. }
        | NoteEvent::Choke { .. }
        | NoteEvent::PolyModulation { .. }) => note_event(e),
        e @ (NoteEvent::MidiPitchBend { .. }
        | NoteEvent::MidiChannelPressure { .. }
        | NoteEvent::MidiCC { .. }) => channel_event(e),
        e @ (NoteEvent::PolyPressure { .. }
        | NoteEvent::PolyTuning { .. }
        | NoteEvent::PolyVolume { .. }
        | NoteEvent::PolyPan { .. }
        | NoteEvent::PolyBrightness { .. }) => expression_event(e),
        _ => None,
    }
}

/// A note starting, ending or choked, or a host's per-voice modulation.
fn note_event<S>(event: NoteEvent<S>) -> Option<SynthEvent> {
    let channel = |c: nice_plug::midi::Channel| c.number().unwrap_or(0);
    match event {
        NoteEvent::NoteOn {
            timing,
            voice_id,
            channel: ch,
            key,
            velocity,
        } => Some(SynthEvent::NoteOn {
            timing,
            voice_id: voice_id.id(),
            channel: channel(ch),
            key: key.number()?,
            velocity,
        }),
        NoteEvent::NoteOff {
            timing,
            voice_id,
            channel: ch,
            key,
            ..
        } => Some(SynthEvent::NoteOff {
            timing,
            voice_id: voice_id.id(),
            channel: channel(ch),
            key: key.number_or_middle_c(),
        }),
        NoteEvent::Choke {
            timing,
            voice_id,
            channel: ch,
            key,
        } => Some(SynthEvent::Choke {
            timing,
            voice_id: voice_id.id(),
            channel: channel(ch),
            key: key.number_or_middle_c(),
        }),
        NoteEvent::PolyModulation {
            timing,
            voice_id,
            poly_modulation_id,
            normalized_offset,
        } => Some(SynthEvent::PolyModulation {
            timing,
            voice_id,
            poly_modulation_id,
            normalized_offset,
        }),
        _ => None,
    }
}

/// A channel-wide MIDI message: pitch bend, channel pressure, a controller.
fn channel_event<S>(event: NoteEvent<S>) -> Option<SynthEvent> {
    match event {
        NoteEvent::MidiPitchBend {
            timing,
            channel,
            value,
        } => Some(SynthEvent::PitchBend {
            timing,
            channel,
            value: value * 2.0 - 1.0,
        }),
        NoteEvent::MidiChannelPressure {
            timing,
            channel,
            pressure,
        } => Some(SynthEvent::ChannelPressure {
            timing,
            channel,
            pressure,
        }),
        NoteEvent::MidiCC { timing, cc, .. } if cc == control_change::ALL_NOTES_OFF => {
            Some(SynthEvent::AllNotesOff { timing })
        }
        NoteEvent::MidiCC { timing, cc, .. } if cc == control_change::ALL_SOUND_OFF => {
            Some(SynthEvent::AllSoundOff { timing })
        }
        NoteEvent::MidiCC {
            timing,
            channel,
            cc,
            value,
        } => Some(SynthEvent::Control {
            timing,
            channel,
            cc,
            value,
        }),
        _ => None,
    }
}

/// A per-note expression (CLAP's and MPE's pressure, tuning, volume, pan, brightness).
fn expression_event<S>(event: NoteEvent<S>) -> Option<SynthEvent> {
    match event {
        NoteEvent::PolyPressure {
            timing,
            voice_id,
            channel: ch,
            key,
            pressure,
        } => expression(
            timing,
            voice_id,
            ch,
            key,
            NoteExpression::Pressure(pressure),
        ),
        NoteEvent::PolyTuning {
            timing,
            voice_id,
            channel: ch,
            key,
            tuning,
        } => expression(timing, voice_id, ch, key, NoteExpression::Tuning(tuning)),
        NoteEvent::PolyVolume {
            timing,
            voice_id,
            channel: ch,
            key,
            gain,
        } => expression(timing, voice_id, ch, key, NoteExpression::Volume(gain)),
        NoteEvent::PolyPan {
            timing,
            voice_id,
            channel: ch,
            key,
            pan,
        } => expression(timing, voice_id, ch, key, NoteExpression::Pan(pan)),
        NoteEvent::PolyBrightness {
            timing,
            voice_id,
            channel: ch,
            key,
            brightness,
        } => expression(
            timing,
            voice_id,
            ch,
            key,
            NoteExpression::Brightness(brightness),
        ),
        _ => None,
    }
}

/// A per-note expression for the voice the host names by id, or else by channel and key.
fn expression(
    timing: u32,
    voice_id: nice_plug::midi::VoiceID,
    channel: nice_plug::midi::Channel,
    key: nice_plug::midi::Key,
    expression: NoteExpression,
) -> Option<SynthEvent> {
    Some(SynthEvent::Expression {
        timing,
        voice_id: voice_id.id(),
        channel: channel.number().unwrap_or(0),
        key: key.number_or_middle_c(),
        expression,
    })
}

/// Feeds the host's events to the engine and tells the host of ended voices.
struct HostEvents<'a, C: ProcessContext<NeuralWavetable>> {
    context: &'a mut C,
}

impl<C: ProcessContext<NeuralWavetable>> EventIo for HostEvents<'_, C> {
    fn next_event(&mut self) -> Option<SynthEvent> {
        while let Some(event) = self.context.next_event() {
            if let Some(e) = engine_event(event) {
                return Some(e);
            }
        }
        None
    }

    fn voice_ended(&mut self, end: VoiceEnd) {
        if is_editor_voice(end.voice_id) {
            return; // the editor's keyboard played it, not the host
        }
        // A full host queue drops the notification; nothing else can be done on the audio thread.
        let _ = self.context.try_send_event(NoteEvent::VoiceTerminated {
            timing: end.timing,
            voice_id: end.voice_id.map_or(
                nice_plug::midi::VoiceID::Wildcard,
                nice_plug::midi::VoiceID::ID,
            ),
            channel: nice_plug::midi::Channel::Number(end.channel),
            key: nice_plug::midi::Key::Number(end.key),
        });
    }
}

/// DAW state saved before enum parameters had stable codes holds each enum's
/// variant id; today's state holds the code. Turns the ids into codes.
pub fn migrate_enum_ids(state: &mut PluginState) {
    use nice_plug::plugin::ParamValue;
    for (id, value) in state.params.iter_mut() {
        if let (Some(codes), ParamValue::String(variant)) =
            (nwt_engine::params::enum_codes(id), &*value)
        {
            if let Some(code) = (codes.code_of)(variant) {
                *value = ParamValue::I32(code as i32);
            }
        }
    }
}

impl Plugin for NeuralWavetable {
    const NAME: &'static str = "Neural Wavetable";
    const VENDOR: &'static str = "Neural Wavetable";
    const URL: &'static str = "https://neural-wavetable.invalid";
    const EMAIL: &'static str = "info@neural-wavetable.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: None,
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    }];

    const MIDI_INPUT: MidiConfig = MidiConfig::MidiCCs;
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = nice_plug_egui::EguiEditor<nwt_gui::EditorApp>;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        if HEADLESS.load(Ordering::Relaxed) {
            return None;
        }
        nwt_gui::create(
            self.params.clone(),
            self.info.clone(),
            Arc::new(library::PluginLibrary),
            Some(self.report_reader.clone()),
            self.editor_state.clone(),
            nwt_gui::Live {
                inbox: Some(self.inbox.clone()),
                repaint: self.repaint.clone(),
            },
        )
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.synth.set_sample_rate(buffer_config.sample_rate);
        self.process_mode = buffer_config.process_mode;
        self.pace.reset();
        self.grid.reset();
        self.position = 0;
        self.worker_offline = false;
        if buffer_config.process_mode == ProcessMode::Offline {
            nice_log!("rendering offline: the sound's changes wait for their tables");
        }
        SAMPLE_RATE.store(buffer_config.sample_rate as u32, Ordering::Relaxed);
        self.start_worker();
        true
    }

    fn deactivate(&mut self) {
        self.stop_worker();
    }

    fn reset(&mut self) {
        self.synth.reset();
    }

    fn filter_state(state: &mut PluginState) {
        migrate_enum_ids(state);
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // Offline when the host says so, or when it renders far ahead of the
        // wall clock without saying so (`pace`).
        let call = Instant::now();
        let by_pace = self
            .pace
            .begin(call.duration_since(self.clock).as_secs_f64());
        let offline = self.process_mode == ProcessMode::Offline || by_pace;
        if offline != self.worker_offline {
            self.worker_offline = offline;
            self.grid.reset();
            if let Some(worker) = &self.worker {
                worker.set_offline(offline);
            }
            if by_pace && self.process_mode != ProcessMode::Offline {
                // An offline block, which may wait and allocate anyway; the
                // return to real time is a live block and logs nothing.
                util::permit_alloc(|| {
                    nice_log!("rendering far ahead of real time: taken as offline (the sound's changes wait for their tables)")
                });
            }
        }
        if offline
            && self
                .grid
                .wait_now(&self.params, self.position, self.synth.sample_rate())
        {
            self.wait_for_table();
        }
        let started = Instant::now();
        let waited = started.duration_since(call).as_secs_f64();
        let transport = context.transport();
        let engine_transport = EngineTransport {
            tempo: transport.tempo.unwrap_or(120.0),
            position_beats: if transport.playing {
                transport.pos_beats()
            } else {
                None
            },
        };
        let samples = buffer.samples();
        let channels = buffer.as_slice();
        let (left, rest) = channels
            .split_first_mut()
            .expect("the layout has two output channels");
        let right = &mut rest[0];
        let mut io = WithInbox::new(Some(&self.inbox), HostEvents { context });
        self.synth.process(left, right, engine_transport, &mut io);
        let peak = |c: &[f32]| c.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let audio_seconds = samples as f64 / f64::from(self.synth.sample_rate());
        let peaks = [peak(left), peak(right)];
        let synth = &self.synth;
        let visible = self.reports.publish(
            peaks,
            started.elapsed().as_secs_f64(),
            audio_seconds,
            |report| synth.fill_report(report),
        );
        if visible {
            // An atomic store; the editor's timer picks it up (at most 30 Hz).
            self.repaint.request_repaint();
        }
        SAMPLES_PROCESSED.fetch_add(samples as u64, Ordering::Relaxed);
        self.pace.end(audio_seconds, waited);
        self.position += samples as u64;
        if self.synth.is_sounding() {
            // A voice, or the reverb's or delay's tail: the host must keep
            // calling even though no note is held.
            ProcessStatus::KeepAlive
        } else {
            ProcessStatus::Normal
        }
    }
}

impl ClapPlugin for NeuralWavetable {
    const CLAP_ID: &'static str = "org.neural-wavetable.synth";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("A neural wavetable synthesizer");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::Instrument,
        ClapFeature::Synthesizer,
        ClapFeature::Stereo,
    ];
    const CLAP_POLY_MODULATION_CONFIG: Option<PolyModulationConfig> = Some(PolyModulationConfig {
        max_voice_capacity: nwt_engine::MAX_VOICES as u32,
        supports_overlapping_voices: true,
    });
}

impl Vst3Plugin for NeuralWavetable {
    const VST3_CLASS_ID: [u8; 16] = *b"NeuralWavetable1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[
        Vst3SubCategory::Instrument,
        Vst3SubCategory::Synth,
        Vst3SubCategory::Stereo,
    ];
}

nice_export_clap!(NeuralWavetable);
nice_export_vst3!(NeuralWavetable);

#[cfg(test)]
mod state_tests {
    use super::*;
    use nice_plug::plugin::ParamValue;

    #[test]
    fn state_with_enum_ids_loads_as_codes() {
        let json = r#"{"version": "0.1.0", "params": {
            "filter_mode": {"string": "highpass"}, "mod_destination_2": {"string": "macro_3"},
            "lfo_shape": {"string": "no_such_shape"}, "cutoff": {"f32": 900.0}}, "fields": {}}"#;
        let mut state: PluginState = serde_json::from_str(json).unwrap();
        migrate_enum_ids(&mut state);
        use nwt_engine::filter::FilterMode;
        use nwt_engine::modulation::ModDestination;
        assert!(matches!(
            state.params["filter_mode"],
            ParamValue::I32(c) if c as usize == FilterMode::HighPass.code()
        ));
        assert!(matches!(
            state.params["mod_destination_2"],
            ParamValue::I32(c) if c as usize == ModDestination::Macro3.code()
        ));
        // An id no variant has is left for nice-plug to refuse (the
        // parameter keeps its value).
        assert!(matches!(state.params["lfo_shape"], ParamValue::String(_)));
        assert!(matches!(state.params["cutoff"], ParamValue::F32(_)));
    }
}

#[cfg(all(test, target_os = "linux"))]
mod instance_cost_tests {
    use super::*;

    /// The process's resident memory in bytes (Linux).
    fn resident_bytes() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: u64 = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        pages * 4096
    }

    #[test]
    fn an_extra_instance_costs_little_memory() {
        // Hosts create instances just to scan them: after the first, each
        // extra one shares what never changes (the model's weights).
        let first = NeuralWavetable::default();
        let before = resident_bytes();
        let started = Instant::now();
        let more: Vec<NeuralWavetable> = (0..8).map(|_| NeuralWavetable::default()).collect();
        let per_instance = resident_bytes().saturating_sub(before) / 8;
        println!(
            "an extra instance: {:.1} MiB resident, {:.1} ms to create (debug build)",
            per_instance as f64 / (1 << 20) as f64,
            started.elapsed().as_secs_f64() * 1e3 / 8.0
        );
        assert!(
            per_instance <= 8 << 20,
            "an extra instance costs {} MiB",
            per_instance >> 20
        );
        drop((first, more));
    }
}
