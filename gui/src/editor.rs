//! The whole editor page, independent of the window it is drawn in: the
//! plugin draws it through nice-plug-egui, the tests through egui_kittest.

use crate::access::{ParamAccess, PresetEntry, Sound, SoundLibrary, WaveFile, CATEGORIES};
use crate::file_browser::{BrowserAction, FileBrowser};
use crate::history::History;
use crate::keyboard::Keyboard;
use crate::knob::{choice, knob, toggle};
use crate::table_view::{Frames, TableView};
use crate::{pad, theme};
use egui::{pos2, vec2, Align2, Color32, FontId, Rect, RichText, Stroke, Ui};
use nice_plug::prelude::{Enum, Param, ParamPtr};
use nwt_engine::factory::TableSource;
use nwt_engine::neural::anchors::SLOT_NAMES;
use nwt_engine::neural::{Anchor, AnchorShape, NeuralInfo, UserTable, WorkerStatus};
use nwt_engine::params::EditorMemory;
use nwt_engine::telemetry::{AudioReport, ReportReader};
use nwt_engine::{NoteInbox, SynthParams};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Points per knob in the synth sections.
const KNOB: f32 = 32.0;
/// Width of the table view.
const TABLE_WIDTH: f32 = 400.0;
/// Samples in an anchor thumbnail.
const THUMB_POINTS: usize = 128;
/// Width of the preset name's slot in the top bar.
const PRESET_NAME_WIDTH: f32 = 190.0;
/// Width of the status line's message slot (the readouts follow it).
const STATUS_WIDTH: f32 = 760.0;
/// How long a message stays in the status line.
const MESSAGE_TIME: Duration = Duration::from_secs(6);

/// Macros, frames, macro mode, table source and sound revision.
type DecoderInputs = ([f32; nwt_model::model::MACROS], usize, usize, usize, u64);

/// Where a chosen or dropped WAV goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaveTarget {
    /// An anchor slot (0..4): the file's cycle (or a table's first frame) is encoded.
    Anchor(usize),
    /// The table itself: a multi-frame file plays as an imported table.
    Table,
}

/// Everything the editor shows and remembers between frames.
pub struct Editor {
    params: Arc<SynthParams>,
    info: Arc<NeuralInfo>,
    library: Arc<dyn SoundLibrary>,
    access: Arc<dyn ParamAccess>,
    reports: Option<Arc<Mutex<ReportReader>>>,
    report: AudioReport,
    meter: [f32; 2],
    table_view: TableView,
    presets: Vec<PresetEntry>,
    baseline: Option<(PresetEntry, Sound)>,
    message: Option<(String, bool, Instant)>,
    browser: Option<(FileBrowser, WaveTarget)>,
    save_as: Option<(String, String)>,
    anchor_rects: [Rect; 4],
    table_rect: Rect,
    thumbs: [Option<(String, Vec<f32>)>; 4],
    factory_frames: Option<(TableSource, Frames)>,
    user_frames: Option<(u64, Frames)>,
    /// The remembered preset key last looked up for the changed marker.
    checked_preset: Option<Option<String>>,
    /// When a new audio report last arrived.
    report_at: Instant,
    /// The on-screen keyboard, and where it sends notes (none in a bare editor).
    keyboard: Keyboard,
    inbox: Option<NoteInbox>,
    /// The output reached 0 dBFS since the clip light was last reset.
    clipped: bool,
    /// Undo and redo of the sound.
    history: History,
    /// How much the plots grow with the window (see [`Editor::growth`]).
    grow: f32,
    /// What the decoder's table depended on at the end of the last frame.
    decoder_inputs: Option<DecoderInputs>,
    /// A preset to load once the user answers "save changes?".
    pending_load: Option<PresetEntry>,
    /// A preset to load once "Save As" (asked for by that question) is done.
    load_after_save: Option<PresetEntry>,
}

fn ptr<P: Param>(p: &P) -> ParamPtr {
    p.as_ptr()
}

/// `THUMB_POINTS` samples of a cycle, peak-normalised.
fn cycle_thumb(samples: &[f32]) -> Vec<f32> {
    let full = peak_normalised(samples);
    (0..THUMB_POINTS)
        .map(|i| {
            full.get(i * full.len() / THUMB_POINTS)
                .copied()
                .unwrap_or(0.0)
        })
        .collect()
}

fn shape_thumb(shape: AnchorShape) -> Vec<f32> {
    let h = shape.harmonics();
    let samples: Vec<f32> = (0..THUMB_POINTS)
        .map(|i| h.eval(i as f64 / THUMB_POINTS as f64) as f32)
        .collect();
    cycle_thumb(&samples)
}

fn draw_wave(ui: &Ui, rect: Rect, samples: &[f32], colour: Color32) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, theme::PLOT);
    painter.line_segment(
        [rect.left_center(), rect.right_center()],
        Stroke::new(0.5, theme::GRID),
    );
    if samples.len() < 2 {
        return;
    }
    let n = samples.len() - 1;
    let points: Vec<egui::Pos2> = samples
        .iter()
        .enumerate()
        .map(|(i, v)| {
            pos2(
                rect.left() + rect.width() * i as f32 / n as f32,
                rect.center().y - v.clamp(-1.0, 1.0) * rect.height() * 0.42,
            )
        })
        .collect();
    painter.add(egui::Shape::line(points, Stroke::new(1.4, colour)));
}

impl Editor {
    /// An editor for `params`. `info` is the decoder's report, `library` reads
    /// and writes presets and WAVs, `access` changes parameters and `reports`
    /// (when audio runs) carries the audio thread's reports.
    pub fn new(
        params: Arc<SynthParams>,
        info: Arc<NeuralInfo>,
        library: Arc<dyn SoundLibrary>,
        access: Arc<dyn ParamAccess>,
        reports: Option<Arc<Mutex<ReportReader>>>,
    ) -> Self {
        let presets = library.presets();
        Self {
            params,
            info,
            library,
            access,
            reports,
            report: AudioReport::default(),
            meter: [0.0; 2],
            table_view: TableView::default(),
            presets,
            baseline: None,
            message: None,
            browser: None,
            save_as: None,
            anchor_rects: [Rect::NOTHING; 4],
            table_rect: Rect::NOTHING,
            thumbs: Default::default(),
            factory_frames: None,
            user_frames: None,
            checked_preset: None,
            report_at: Instant::now(),
            keyboard: Keyboard::default(),
            inbox: None,
            clipped: false,
            history: History::default(),
            grow: 1.0,
            decoder_inputs: None,
            pending_load: None,
            load_after_save: None,
        }
    }

    /// Gives the editor a keyboard that plays into `inbox`.
    pub fn set_inbox(&mut self, inbox: NoteInbox) {
        self.inbox = Some(inbox);
    }

    /// The on-screen keyboard's state.
    pub fn keyboard(&self) -> &Keyboard {
        &self.keyboard
    }

    /// Changes how parameters are set (the plugin passes its host's context
    /// each time the window opens).
    pub fn set_access(&mut self, access: Arc<dyn ParamAccess>) {
        self.access = access;
    }

    /// Forgets what belonged to the last window (the heat map's texture lives
    /// in that window's egui context; open dialogs) and re-reads which preset
    /// the sound came from (the host may have loaded another state meanwhile):
    /// call when a window opens.
    pub fn window_opened(&mut self) {
        self.table_view = TableView::default();
        self.browser = None;
        self.save_as = None;
        self.baseline = None;
        self.checked_preset = None;
        self.meter = [0.0; 2];
        if let Some(inbox) = &self.inbox {
            self.keyboard.release_all(inbox);
        }
    }

    /// The presets listed (refreshed when the window opens and after a save).
    pub fn presets(&self) -> &[PresetEntry] {
        &self.presets
    }

    /// Re-reads the preset list.
    pub fn refresh_presets(&mut self) {
        self.presets = self.library.presets();
    }

    /// The preset the sound came from, if any, and whether the sound has changed since.
    pub fn current_preset(&self) -> Option<(&PresetEntry, bool)> {
        self.baseline
            .as_ref()
            .map(|(entry, sound)| (entry, sound.differs_from(&self.params)))
    }

    /// The audio report the editor shows (voices, levels, load).
    pub fn shown_report(&self) -> &AudioReport {
        &self.report
    }

    /// Whether the clip light is on.
    pub fn clipped(&self) -> bool {
        self.clipped
    }

    /// The status line's message and whether it is an error.
    pub fn message(&self) -> Option<(&str, bool)> {
        self.message.as_ref().map(|(m, e, _)| (m.as_str(), *e))
    }

    fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some((text.into(), error, Instant::now()));
    }

    /// Loads a preset: applies it through the parameter access and remembers it.
    pub fn load_preset(&mut self, entry: &PresetEntry) {
        match self.library.load(entry) {
            Ok(sound) => {
                sound.apply(&self.params, self.access.as_ref());
                self.params
                    .update_editor_memory(|m| m.preset = Some(entry.key.clone()));
                self.say(format!("Loaded {}", entry.name), false);
                self.baseline = Some((entry.clone(), sound));
            }
            Err(e) => self.say(format!("{} was not loaded: {e}", entry.name), true),
        }
    }

    fn step_preset(&mut self, step: isize) {
        if self.presets.is_empty() {
            return;
        }
        let n = self.presets.len() as isize;
        let at = self
            .baseline
            .as_ref()
            .and_then(|(e, _)| self.presets.iter().position(|p| p.key == e.key))
            .map_or(if step > 0 { -1 } else { 0 }, |i| i as isize);
        let next = (at + step).rem_euclid(n) as usize;
        let entry = self.presets[next].clone();
        self.request_load(entry);
    }

    /// Loads `entry`, first asking (Save / Discard / Cancel) when that would
    /// drop unsaved changes to the current preset.
    pub fn request_load(&mut self, entry: PresetEntry) {
        if self.current_preset().is_some_and(|(_, dirty)| dirty) {
            self.pending_load = Some(entry);
        } else {
            self.load_preset(&entry);
        }
    }

    /// The preset waiting for the answer to "save changes?", if the question is open.
    pub fn pending_load(&self) -> Option<&PresetEntry> {
        self.pending_load.as_ref()
    }

    /// The question before a preset change would drop unsaved edits.
    fn unsaved_changes_window(&mut self, ctx: &egui::Context) {
        let Some(entry) = self.pending_load.clone() else {
            return;
        };
        let name = self
            .current_preset()
            .map_or_else(String::new, |(e, _)| e.name.clone());
        let mut answer = None;
        egui::Window::new("Unsaved changes")
            .collapsible(false)
            .resizable(false)
            .anchor(Align2::CENTER_CENTER, vec2(0.0, 0.0))
            .show(ctx, |ui| {
                ui.label(format!(
                    "{name} has changes that are not saved. Save them before loading {}?",
                    entry.name
                ));
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() {
                        answer = Some(0);
                    }
                    if ui.button("Discard").clicked() {
                        answer = Some(1);
                    }
                    if ui.button("Cancel").clicked()
                        || ui.input(|i| i.key_pressed(egui::Key::Escape))
                    {
                        answer = Some(2);
                    }
                });
            });
        match answer {
            Some(0) => {
                self.pending_load = None;
                match self
                    .baseline
                    .as_ref()
                    .filter(|(e, _)| e.user)
                    .map(|(e, _)| e.clone())
                {
                    Some(own) => {
                        self.save_preset(&own.name, &own.category, Some(&own));
                        self.load_preset(&entry);
                    }
                    // A factory preset: save as a new one, then load.
                    None => {
                        self.open_save_as();
                        self.load_after_save = Some(entry);
                    }
                }
            }
            Some(1) => {
                self.pending_load = None;
                self.load_preset(&entry);
            }
            Some(_) => self.pending_load = None,
            None => {}
        }
    }

    /// Where the WAV browser opens: the folder of the last WAV loaded, else
    /// the user's wavetable folder.
    fn browse_from(&self) -> Option<PathBuf> {
        self.params
            .editor_memory()
            .wave_folder
            .filter(|f| f.is_dir())
            .or_else(|| self.library.wave_folder())
    }

    /// Undoes the last step of the sound (Ctrl+Z).
    pub fn undo(&mut self) {
        let access = self.access.clone();
        if self.history.undo(&self.params, access.as_ref()) {
            self.say("Undone", false);
        }
    }

    /// Redoes the last undone step (Ctrl+Shift+Z or Ctrl+Y).
    pub fn redo(&mut self) {
        let access = self.access.clone();
        if self.history.redo(&self.params, access.as_ref()) {
            self.say("Redone", false);
        }
    }

    /// Undo and redo from the keyboard (not while a text field has the keys),
    /// and the frame's look at the sound for the history.
    fn track_history(&mut self, ui: &Ui) {
        let ctx = ui.ctx().clone();
        if !ctx.egui_wants_keyboard_input() {
            let redo = ctx.input_mut(|i| {
                i.consume_key(
                    egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
                    egui::Key::Z,
                ) || i.consume_key(egui::Modifiers::COMMAND, egui::Key::Y)
            });
            let undo = ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z));
            if redo {
                self.redo();
            } else if undo {
                self.undo();
            }
        }
        let (gesture, by_user) = ctx.input(|i| {
            (
                i.pointer.any_down(),
                i.pointer.any_released()
                    || i.pointer.any_pressed()
                    || !i.raw.dropped_files.is_empty()
                    || i.events.iter().any(|e| {
                        matches!(
                            e,
                            egui::Event::Key { .. }
                                | egui::Event::Text(_)
                                | egui::Event::MouseWheel { .. }
                        )
                    }),
            )
        });
        self.history.track(&self.params, gesture, by_user);
    }

    /// Saves the sound as a user preset called `name` in `category`: over
    /// `replace` (the user preset it came from) or as a new file.
    pub fn save_preset(&mut self, name: &str, category: &str, replace: Option<&PresetEntry>) {
        match self.library.save(name, category, &self.params, replace) {
            Ok(entry) => {
                self.refresh_presets();
                self.params
                    .update_editor_memory(|m| m.preset = Some(entry.key.clone()));
                self.say(format!("Saved {} to {}", entry.name, entry.key), false);
                self.baseline = Some((entry, Sound::capture(&self.params)));
            }
            Err(e) => self.say(format!("Not saved: {e}"), true),
        }
    }

    /// Reads a WAV file into an anchor slot or the table.
    pub fn load_wave(&mut self, path: &Path, target: WaveTarget) {
        let wave = match self.library.read_wave(path) {
            Ok(w) => w,
            Err(e) => {
                self.say(format!("{} was not loaded: {e}", path.display()), true);
                return;
            }
        };
        match target {
            WaveTarget::Anchor(slot) => {
                let Some((name, samples)) = wave.anchor_cycle(self.params.position.value()) else {
                    self.say(format!("{} holds no cycle", path.display()), true);
                    return;
                };
                let mut anchors = self.params.anchors_snapshot();
                anchors.slots[slot] = Some(Anchor::Wave {
                    name: name.clone(),
                    samples,
                });
                self.params.set_anchors(anchors);
                self.say(
                    format!("Anchor {}: {name} (encoding)", SLOT_NAMES[slot]),
                    false,
                );
            }
            WaveTarget::Table => {
                let table = match wave {
                    WaveFile::Table(t) => t,
                    WaveFile::Cycle { name, samples } => match UserTable::new(&name, vec![samples])
                    {
                        Some(t) => t,
                        None => {
                            self.say(format!("{} is not a usable table", path.display()), true);
                            return;
                        }
                    },
                };
                let summary = format!("Table: {} ({} frames)", table.name, table.frames.len());
                self.params.set_user_table(Some(table));
                let p = ptr(&self.params.table);
                // SAFETY: `p` points into `self.params`.
                let v = unsafe { p.preview_normalized(TableSource::User.to_index() as f32) };
                self.access.begin(p);
                self.access.set(p, v);
                self.access.end(p);
                self.say(summary, false);
            }
        }
    }

    /// Writes the table playing now into the user's wavetable folder, named
    /// after the preset.
    pub fn export_table(&mut self, status: &WorkerStatus) {
        let frames = match self.params.table.value() {
            // The worker's copy: imported tables are band-limited to 2048 samples there.
            TableSource::Neural | TableSource::User => status.frames.clone(),
            _ => self.frames_to_show(status),
        };
        let name = self
            .baseline
            .as_ref()
            .map_or_else(|| "Init".to_string(), |(e, _)| e.name.clone());
        match self.library.export_table(&name, &frames) {
            Ok(path) => self.say(
                format!("Exported {} frames to {}", frames.len(), path.display()),
                false,
            ),
            Err(e) => self.say(format!("Not exported: {e}"), true),
        }
    }

    /// How much the pad, the table view and the heat map grow in a window
    /// larger than the design size (1 at the design size, at most 2.5; the
    /// knobs keep their size).
    pub fn growth(&self) -> f32 {
        self.grow
    }

    /// Draws the editor into `ui`.
    pub fn show(&mut self, ui: &mut Ui) {
        let room = ui.ctx().content_rect().size();
        let (w, h) = EditorMemory::DEFAULT_SIZE;
        self.grow = (room.x / w).min(room.y / h).clamp(1.0, 2.5);
        self.take_report(ui);
        let remembered = self.params.editor_memory().preset;
        if self.checked_preset.as_ref() != Some(&remembered) {
            // First frame, or the host loaded another state: find the preset
            // the sound came from again (once per change of the remembered key).
            self.checked_preset = Some(remembered.clone());
            if self.baseline.as_ref().map(|(e, _)| &e.key) != remembered.as_ref() {
                self.baseline = None;
                self.restore_baseline();
            }
        }
        if self
            .message
            .as_ref()
            .is_some_and(|(_, _, t)| t.elapsed() > MESSAGE_TIME)
        {
            self.message = None;
        }
        let status = self.info.status();
        self.handle_drops(ui);

        self.top_bar(ui, &status);
        ui.add_space(4.0);
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                theme::section(ui, "Latent space", |ui| self.latent_section(ui, &status));
            });
            ui.vertical(|ui| {
                theme::section(ui, "Table", |ui| self.table_section(ui, &status));
            });
            ui.vertical(|ui| {
                theme::section(ui, "Anchors", |ui| self.anchor_section(ui, &status));
                let access = self.access.clone();
                theme::section(ui, "Modulation", |ui| {
                    crate::modulation::modulation_section(ui, &self.params, access.as_ref())
                });
            });
        });
        ui.add_space(4.0);
        self.synth_sections(ui);
        if let Some(inbox) = &self.inbox {
            ui.add_space(4.0);
            let width = ui.available_width() - 16.0;
            let keyboard = &mut self.keyboard;
            theme::section(ui, "Keyboard", |ui| keyboard.show(ui, inbox, width));
        }
        if let Some((browser, target)) = &mut self.browser {
            let mut shortcuts = Vec::new();
            if let Some(dir) = self.library.wave_folder() {
                shortcuts.push(("Wavetables".to_string(), dir));
            }
            if let Some(home) = std::env::var_os("HOME") {
                shortcuts.push(("Home".to_string(), PathBuf::from(home)));
            }
            let target = *target;
            match browser.show(ui.ctx(), &shortcuts) {
                BrowserAction::Open => {}
                BrowserAction::Cancelled => self.browser = None,
                BrowserAction::Chosen(path) => {
                    self.browser = None;
                    if let Some(folder) = path.parent() {
                        let folder = folder.to_path_buf();
                        self.params
                            .update_editor_memory(|m| m.wave_folder = Some(folder));
                    }
                    self.load_wave(&path, target);
                }
            }
        }
        self.save_as_window(ui.ctx());
        self.unsaved_changes_window(ui.ctx());
        self.track_history(ui);
        self.wake_decoder_on_change();
        self.schedule_repaint(ui.ctx());
    }

    /// Wakes the decoder worker when this frame changed what its table depends
    /// on (a knob, the pad, a preset, an anchor), so the decode starts now
    /// rather than when the audio thread next looks.
    fn wake_decoder_on_change(&mut self) {
        let p = &self.params;
        let inputs = (
            p.macro_values(),
            p.frame_count(),
            p.macro_mode.value().to_index(),
            p.table.value().to_index(),
            p.sound_revision(),
        );
        if self.decoder_inputs.as_ref() != Some(&inputs) {
            self.decoder_inputs = Some(inputs);
            self.info.wake_worker();
        }
    }

    /// Asks for the next frame only while something animates: falling meters
    /// and voice markers (at most 30 frames a second) and a message that
    /// must disappear. Otherwise the editor waits for input, a parameter
    /// change, or the audio and decoder threads' repaint request (see
    /// [`crate::Live`]): an idle editor draws nothing.
    fn schedule_repaint(&self, ctx: &egui::Context) {
        if self.meter.iter().any(|m| *m > 1e-4) || self.report.voices > 0 {
            ctx.request_repaint_after(crate::REPAINT_POLL);
        }
        if let Some((_, _, at)) = &self.message {
            ctx.request_repaint_after(MESSAGE_TIME.saturating_sub(at.elapsed()));
        }
    }

    /// Takes the newest audio report. A report only counts when it is new:
    /// when audio stops (plugin deactivated, host suspended) the meters fall
    /// and the voice markers go after 200 ms instead of freezing.
    fn take_report(&mut self, ui: &Ui) {
        let mut fresh = false;
        if let Some(reports) = &self.reports {
            if let Ok(mut r) = reports.lock() {
                let report = r.latest();
                if report.blocks != self.report.blocks {
                    self.report = report;
                    self.report_at = Instant::now();
                    fresh = true;
                }
            }
        }
        if self.report_at.elapsed() > Duration::from_millis(200) {
            self.report.voices = 0;
            self.report.peak = [0.0; 2];
            self.report.load = 0.0;
        }
        // Peak meter: a new peak shows at once and falls with a 300 ms time constant.
        let dt = ui.ctx().input(|i| i.stable_dt).clamp(0.0, 0.5);
        let fall = (-dt / 0.3).exp();
        for (m, p) in self.meter.iter_mut().zip(self.report.peak) {
            *m = (*m * fall).max(if fresh { p } else { 0.0 });
        }
    }

    fn restore_baseline(&mut self) {
        let Some(key) = self.params.editor_memory().preset else {
            return;
        };
        let Some(entry) = self.presets.iter().find(|p| p.key == key).cloned() else {
            return;
        };
        if let Ok(sound) = self.library.load(&entry) {
            self.baseline = Some((entry, sound));
        }
    }

    fn handle_drops(&mut self, ui: &Ui) {
        let (dropped, pointer) = ui
            .ctx()
            .input(|i| (i.raw.dropped_files.clone(), i.pointer.latest_pos()));
        for file in dropped {
            let path = file.path().to_path_buf();
            let target = pointer.and_then(|p| {
                if let Some(slot) = self.anchor_rects.iter().position(|r| r.contains(p)) {
                    Some(WaveTarget::Anchor(slot))
                } else if self.table_rect.contains(p) {
                    Some(WaveTarget::Table)
                } else {
                    None
                }
            });
            match target {
                Some(target) => self.load_wave(&path, target),
                None => self.say(
                    "Drop a WAV onto an anchor slot (A to D) or onto the table view",
                    true,
                ),
            }
        }
    }

    fn top_bar(&mut self, ui: &mut Ui, status: &WorkerStatus) {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("NEURAL WAVETABLE")
                    .strong()
                    .size(15.0)
                    .color(theme::ACCENT),
            );
            ui.add_space(12.0);
            if ui.button("<").on_hover_text("Previous preset").clicked() {
                self.step_preset(-1);
            }
            let (name, dirty) = match self.current_preset() {
                Some((e, d)) => (e.name.clone(), d),
                None => ("Init".to_string(), false),
            };
            let font = FontId::proportional(13.0);
            let shown = theme::elide(ui, &name, font.clone(), PRESET_NAME_WIDTH - 34.0);
            let title = if dirty { format!("{shown} *") } else { shown };
            let mut chosen = None;
            // A fixed slot: the buttons after the name never move.
            let menu = theme::fixed(ui, vec2(PRESET_NAME_WIDTH, 22.0), |ui| {
                let button = egui::Button::new(RichText::new(title).font(font))
                    .min_size(vec2(PRESET_NAME_WIDTH, 22.0));
                egui::containers::menu::MenuButton::from_button(button)
                    .ui(ui, |ui| {
                        for (label, user) in [("Factory", false), ("User", true)] {
                            ui.menu_button(label, |ui| {
                                let mut any = false;
                                let mut categories: Vec<String> =
                                    CATEGORIES.iter().map(|c| c.to_string()).collect();
                                for p in self.presets.iter().filter(|p| p.user == user) {
                                    if !categories.contains(&p.category) {
                                        categories.push(p.category.clone());
                                    }
                                }
                                for category in categories {
                                    let entries: Vec<&PresetEntry> = self
                                        .presets
                                        .iter()
                                        .filter(|p| p.user == user && p.category == category)
                                        .collect();
                                    if entries.is_empty() {
                                        continue;
                                    }
                                    any = true;
                                    ui.menu_button(&category, |ui| {
                                        for e in entries {
                                            if ui
                                                .button(&e.name)
                                                .on_hover_text(format!("by {}", e.author))
                                                .clicked()
                                            {
                                                chosen = Some(e.clone());
                                                ui.close();
                                            }
                                        }
                                    });
                                }
                                if !any {
                                    ui.label("none yet");
                                }
                            });
                        }
                    })
                    .0
            });
            menu.on_hover_text(if dirty {
                format!("{name}: the sound differs from the saved preset")
            } else {
                format!("{name}: browse presets by category")
            });
            if let Some(e) = chosen {
                self.request_load(e);
            }
            if ui.button(">").on_hover_text("Next preset").clicked() {
                self.step_preset(1);
            }
            let user_baseline = self
                .baseline
                .as_ref()
                .filter(|(e, _)| e.user)
                .map(|(e, _)| e.clone());
            if ui
                .button("Save")
                .on_hover_text("Save over the user preset, or save as a new one")
                .clicked()
            {
                match user_baseline {
                    Some(entry) => self.save_preset(&entry.name, &entry.category, Some(&entry)),
                    None => self.open_save_as(),
                }
            }
            if ui.button("Save As…").clicked() {
                self.open_save_as();
            }
            if ui
                .add_enabled(self.history.undo_steps() > 0, egui::Button::new("Undo"))
                .on_hover_text("Undo the last change (Ctrl+Z)")
                .clicked()
            {
                self.undo();
            }
            if ui
                .add_enabled(self.history.redo_steps() > 0, egui::Button::new("Redo"))
                .on_hover_text("Redo (Ctrl+Shift+Z)")
                .clicked()
            {
                self.redo();
            }
            ui.add_space(16.0);
            self.meter_and_scale(ui);
        });
        // The status line always has its row, so nothing moves when a message comes or goes.
        let message = self.message.clone();
        ui.horizontal(|ui| {
            theme::fixed(ui, vec2(STATUS_WIDTH, 16.0), |ui| {
                if let Some((text, error, _)) = &message {
                    ui.label(RichText::new(text).size(11.0).color(if *error {
                        theme::WARM
                    } else {
                        theme::TEXT_DIM
                    }))
                    .on_hover_text(text);
                }
            });
            self.readouts(ui, status);
        });
    }

    fn open_save_as(&mut self) {
        let (name, category) = self
            .baseline
            .as_ref()
            .map(|(e, _)| (e.name.clone(), e.category.clone()))
            .unwrap_or_else(|| ("My Sound".to_string(), "Lead".to_string()));
        self.save_as = Some((name, category));
    }

    fn save_as_window(&mut self, ctx: &egui::Context) {
        let Some((name, category)) = &mut self.save_as else {
            return;
        };
        let mut action = None;
        egui::Window::new("Save preset as")
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.label("Name");
                    let field = ui.text_edit_singleline(name);
                    if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        action = Some(true);
                    }
                });
                ui.horizontal(|ui| {
                    ui.label("Category");
                    egui::ComboBox::from_id_salt("save-category")
                        .selected_text(category.as_str())
                        .show_ui(ui, |ui| {
                            for c in CATEGORIES {
                                ui.selectable_value(category, c.to_string(), c);
                            }
                        });
                });
                ui.horizontal(|ui| {
                    if ui.button("Save preset").clicked() {
                        action = Some(true);
                    }
                    if ui.button("Cancel").clicked() {
                        action = Some(false);
                    }
                });
            });
        match action {
            Some(true) => {
                let (name, category) = self.save_as.take().unwrap_or_default();
                self.save_preset(name.trim(), &category, None);
                if let Some(entry) = self.load_after_save.take() {
                    self.load_preset(&entry);
                }
            }
            Some(false) => {
                self.save_as = None;
                self.load_after_save = None;
            }
            None => {}
        }
    }

    /// The output meter and the scale menu (top bar).
    fn meter_and_scale(&mut self, ui: &mut Ui) {
        self.output_meter(ui);
        self.scale_menu(ui);
    }

    /// CPU load, decode time and device (the status row's right end).
    fn readouts(&mut self, ui: &mut Ui, status: &WorkerStatus) {
        let worst = self.report.worst_load;
        let worst_colour = if worst >= 1.0 {
            Color32::RED
        } else if worst >= 0.5 {
            theme::WARM
        } else {
            ui.visuals().text_color()
        };
        theme::fixed(ui, vec2(128.0, 16.0), |ui| {
            ui.label(
                RichText::new(format!(
                    "CPU {:.1} %  worst {:.0} %",
                    self.report.load * 100.0,
                    worst * 100.0
                ))
                .size(11.0)
                .color(worst_colour),
            )
        })
        .on_hover_text(
            "Time spent computing audio, as a share of the time available: the average, \
             and the slowest block of the last second (at 100 % a block missed its deadline)",
        );
        let decode = if status.device.is_empty() {
            "decoder off".to_string()
        } else if let Some(e) = &status.error {
            format!("decoder error: {e}")
        } else {
            format!("decode {:.1} ms", status.last_build.as_secs_f64() * 1e3)
        };
        theme::fixed(ui, vec2(96.0, 16.0), |ui| ui.label(RichText::new(&decode).size(11.0)))
            .on_hover_text(format!(
                "{decode}: how long the last wavetable took to decode, from the change to the finished table"
            ));
        let device = if status.device.is_empty() {
            "-"
        } else {
            &status.device
        };
        theme::fixed(ui, vec2(64.0, 16.0), |ui| {
            ui.label(RichText::new(format!("on {device}")).size(11.0))
        })
        .on_hover_text(format!("The neural decoder runs on {device}"));
        // Last in the row, so it moves nothing when it shows.
        if self.report.sanitized > 0 {
            ui.label(
                RichText::new(format!("{} bad samples", self.report.sanitized))
                    .size(11.0)
                    .color(theme::WARM),
            )
            .on_hover_text(
                "The synth produced NaN or infinite samples and silenced them: \
                 this is a bug, please report it with the preset",
            );
        }
    }

    fn scale_menu(&mut self, ui: &mut Ui) {
        let memory = self.params.editor_memory();
        let mut scale = memory.scale;
        egui::ComboBox::from_id_salt("scale")
            .width(64.0)
            .selected_text(format!("{:.0} %", scale * 100.0))
            .show_ui(ui, |ui| {
                for s in EditorMemory::SCALES {
                    ui.selectable_value(&mut scale, s, format!("{:.0} %", s * 100.0));
                }
            })
            .response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Scale"));
        if (scale - memory.scale).abs() > 1e-6 {
            self.params.update_editor_memory(|m| m.scale = scale);
            ui.ctx().set_zoom_factor(scale);
        }
    }

    /// The output meter: left and right peaks on a -60..0 dBFS scale with
    /// ticks at -48, -24, -12 and -6 dBFS, and a clip light that stays on
    /// once the output reached 0 dBFS, until clicked.
    fn output_meter(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("dBFS").size(10.0).color(theme::TEXT_DIM));
        let (rect, response) = ui.allocate_exact_size(vec2(110.0, 18.0), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        let x_of = |db: f32| rect.left() + rect.width() * ((db + 60.0) / 60.0).clamp(0.0, 1.0);
        for (c, level) in self.meter.iter().enumerate() {
            let db = 20.0 * level.max(1e-6).log10();
            let row = Rect::from_min_size(
                pos2(rect.left(), rect.top() + 2.0 + c as f32 * 8.0),
                vec2(rect.width(), 6.0),
            );
            painter.rect_filled(row, 2.0, theme::PLOT);
            let colour = if db > -0.5 {
                Color32::RED
            } else if db > -6.0 {
                theme::WARM
            } else {
                theme::ACCENT
            };
            painter.rect_filled(
                Rect::from_min_max(row.min, pos2(x_of(db), row.max.y)),
                2.0,
                colour,
            );
        }
        for db in [-48.0, -24.0, -12.0, -6.0] {
            let x = x_of(db);
            painter.line_segment(
                [pos2(x, rect.top()), pos2(x, rect.bottom())],
                Stroke::new(1.0, theme::BACKGROUND),
            );
        }
        let peak_db = |v: f32| 20.0 * v.max(1e-6).log10();
        response.on_hover_text(format!(
            "Output peak: L {:.1} dBFS, R {:.1} dBFS (scale -60 to 0 dBFS; ticks at -48, -24, -12, -6)",
            peak_db(self.meter[0]),
            peak_db(self.meter[1])
        ));
        if self.report.peak.iter().any(|p| *p >= 1.0) {
            self.clipped = true;
        }
        let (light, response) = ui.allocate_exact_size(vec2(12.0, 18.0), egui::Sense::click());
        ui.painter().rect_filled(
            light.shrink2(vec2(1.0, 3.0)),
            2.0,
            if self.clipped {
                Color32::RED
            } else {
                theme::PLOT
            },
        );
        response.widget_info(|| {
            egui::WidgetInfo::selected(egui::Role::Button, true, self.clipped, "Clip")
        });
        let clicked = response
            .on_hover_text("Clip: on once the output reached 0 dBFS; click to reset")
            .clicked();
        if clicked {
            self.clipped = false;
        }
    }

    fn latent_section(&mut self, ui: &mut Ui, status: &WorkerStatus) {
        let access = self.access.clone();
        pad::latent_pad(ui, &self.params, access.as_ref(), status, 232.0 * self.grow);
        if !pad::is_live(&self.params) {
            // The macros shape the neural table only: dimmed, still usable.
            ui.multiply_opacity(0.45);
        }
        let p = &self.params;
        let macros = [
            &p.macro_1, &p.macro_2, &p.macro_3, &p.macro_4, &p.macro_5, &p.macro_6, &p.macro_7,
            &p.macro_8,
        ];
        for row in macros.chunks(4) {
            ui.horizontal(|ui| {
                for m in row {
                    knob(ui, ptr(*m), access.as_ref(), 30.0);
                }
            });
        }
        choice(ui, ptr(&p.macro_mode), access.as_ref(), 120.0);
    }

    fn frames_to_show(&mut self, status: &WorkerStatus) -> Frames {
        let source = self.params.table.value();
        match source {
            TableSource::Neural => status.frames.clone(),
            TableSource::User => match self.params.user_table_key() {
                // Compared by id: the table itself is copied only when it changes.
                Some((id, _)) => match &self.user_frames {
                    Some((cached, f)) if *cached == id => f.clone(),
                    _ => {
                        let frames: Frames = Arc::new(
                            self.params
                                .user_table_snapshot()
                                .map(|t| t.frames.iter().map(|f| peak_normalised(f)).collect())
                                .unwrap_or_default(),
                        );
                        self.user_frames = Some((id, Arc::clone(&frames)));
                        frames
                    }
                },
                None => Arc::new(Vec::new()),
            },
            factory => match &self.factory_frames {
                Some((s, f)) if *s == factory => f.clone(),
                _ => {
                    let frames: Frames = Arc::new(
                        factory
                            .build()
                            .map(|set| (0..set.frame_count()).map(|i| set.frame(i)).collect())
                            .unwrap_or_default(),
                    );
                    self.factory_frames = Some((factory, Arc::clone(&frames)));
                    frames
                }
            },
        }
    }

    fn table_section(&mut self, ui: &mut Ui, status: &WorkerStatus) {
        let access = self.access.clone();
        let p = self.params.clone();
        ui.horizontal(|ui| {
            choice(ui, ptr(&p.table), access.as_ref(), 110.0);
            knob(ui, ptr(&p.position), access.as_ref(), 30.0);
            knob(ui, ptr(&p.frames), access.as_ref(), 30.0);
            ui.vertical(|ui| {
                ui.add_space(14.0);
                let load = ui
                    .button("Load table…")
                    .on_hover_text("Play a WAV (Serum/Vital tables too) as the table");
                if load.clicked() {
                    self.browser = Some((
                        FileBrowser::new("the table", self.browse_from()).at(load.rect.left_bottom()),
                        WaveTarget::Table,
                    ));
                }
                if ui
                    .button("Export table")
                    .on_hover_text("Write the table you hear as a 2048-sample wavetable WAV (Serum, Vital, Surge) into your wavetable folder")
                    .clicked()
                {
                    self.export_table(status);
                }
            });
        });
        let frames = self.frames_to_show(status);
        let top = ui.cursor().min;
        let position = p.position.value();
        self.table_view.show(
            ui,
            &frames,
            position,
            self.report.voice_positions(),
            TABLE_WIDTH * self.grow,
            self.grow,
        );
        self.table_rect = Rect::from_min_max(
            top,
            pos2(top.x + TABLE_WIDTH * self.grow, ui.cursor().min.y),
        );
        let view = ui.interact(
            self.table_rect,
            egui::Id::unique("table-view"),
            egui::Sense::hover(),
        );
        view.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, TABLE_VIEW_LABEL));
        if ui.ctx().input(|i| !i.raw.hovered_files.is_empty()) {
            view.on_hover_text("Drop the WAV here to play it as the table");
        }
    }

    fn anchor_section(&mut self, ui: &mut Ui, status: &WorkerStatus) {
        if !pad::is_live(&self.params) {
            // The anchors shape the neural table only: dimmed, still usable.
            ui.multiply_opacity(0.45);
        }
        // "Capture" stores the cycle heard now, whatever the table source.
        let heard = self.frames_to_show(status);
        let mut anchors = self.params.anchors_snapshot();
        let filled: Vec<usize> = (0..4).filter(|&s| anchors.slots[s].is_some()).collect();
        let dragging_files = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
        let mut changed = false;
        let mut open_browser = None;
        for (slot, (slot_name, colour)) in SLOT_NAMES.into_iter().zip(theme::ANCHORS).enumerate() {
            let top = ui.cursor().min;
            ui.horizontal(|ui| {
                ui.label(RichText::new(slot_name).strong().size(16.0).color(colour));
                let (thumb_rect, thumb) = ui.allocate_exact_size(vec2(100.0, 46.0), egui::Sense::hover());
                let samples = self.thumbnail(slot, anchors.slots[slot].as_ref(), &filled, status);
                match &samples {
                    Some(s) => draw_wave(ui, thumb_rect, s, colour),
                    None => {
                        ui.painter().rect_stroke(thumb_rect, 3.0, Stroke::new(1.0, theme::GRID), egui::StrokeKind::Inside);
                        ui.painter().text(thumb_rect.center(), Align2::CENTER_CENTER, "empty", FontId::proportional(10.0), theme::TEXT_DIM);
                    }
                }
                thumb
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, anchor_label(slot)));
                thumb.on_hover_text("Drop a WAV here to encode it into this slot (from a multi-frame table: the frame at the current position)");
                ui.vertical(|ui| {
                    let label = anchors.slots[slot].as_ref().map_or_else(|| "-".to_string(), Anchor::label);
                    ui.label(RichText::new(label).size(11.0));
                    ui.horizontal(|ui| {
                        let current = match &anchors.slots[slot] {
                            None => "(empty)".to_string(),
                            Some(Anchor::Shape { shape }) => shape.id().to_string(),
                            Some(_) => "custom".to_string(),
                        };
                        theme::fixed(ui, vec2(92.0, 20.0), |ui| {
                        egui::ComboBox::from_id_salt(("anchor-shape", slot)).width(92.0).height(420.0).truncate().selected_text(current).show_ui(ui, |ui| {
                            if ui.selectable_label(anchors.slots[slot].is_none(), "(empty)").clicked() && slot > 0 {
                                anchors.slots[slot] = None;
                                changed = true;
                            }
                            for shape in AnchorShape::ALL {
                                let on = matches!(&anchors.slots[slot], Some(Anchor::Shape { shape: s }) if *s == shape);
                                if ui.selectable_label(on, shape.id()).clicked() {
                                    anchors.slots[slot] = Some(Anchor::shape(shape));
                                    changed = true;
                                }
                            }
                        })
                        .response
                        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, format!("Shape for anchor {}", SLOT_NAMES[slot])));
                        });
                        let load = ui.small_button("Load…").on_hover_text("Encode a WAV cycle into this slot");
                        if load.clicked() {
                            open_browser = Some((slot, load.rect.left_bottom()));
                        }
                        let position = self.params.position.value();
                        let capture = ui.small_button("Capture").on_hover_text("Store the sound at the current position in this slot");
                        if capture.clicked() {
                            if let Some(samples) = nwt_engine::neural::cycle_at(&heard, position) {
                                anchors.slots[slot] = Some(Anchor::Wave { name: format!("captured {position:.2}"), samples });
                                changed = true;
                            }
                        }
                    });
                });
            });
            let rect = Rect::from_min_max(top, pos2(top.x + 300.0, ui.cursor().min.y));
            self.anchor_rects[slot] = rect;
            if dragging_files
                && ui
                    .ctx()
                    .input(|i| i.pointer.latest_pos())
                    .is_some_and(|p| rect.contains(p))
            {
                ui.painter().rect_stroke(
                    rect,
                    4.0,
                    Stroke::new(2.0, colour),
                    egui::StrokeKind::Outside,
                );
            }
            ui.add_space(6.0);
        }
        if changed {
            self.params.set_anchors(anchors);
        }
        if let Some((slot, at)) = open_browser {
            self.browser = Some((
                FileBrowser::new(format!("anchor {}", SLOT_NAMES[slot]), self.browse_from()).at(at),
                WaveTarget::Anchor(slot),
            ));
        }
    }

    /// The thumbnail of an anchor: its source waveform, or for an anchor
    /// given as a latent (from a preset) the table's frame where the path passes it.
    fn thumbnail(
        &mut self,
        slot: usize,
        anchor: Option<&Anchor>,
        filled: &[usize],
        status: &WorkerStatus,
    ) -> Option<Vec<f32>> {
        let anchor = anchor?;
        let key = match anchor {
            Anchor::Shape { shape } => format!("shape:{}", shape.id()),
            Anchor::Wave { samples, .. } => {
                format!("wave:{:016x}", nwt_engine::neural::cycle_hash(samples))
            }
            Anchor::Latent { .. } => {
                let rank = filled.iter().position(|&s| s == slot)?;
                let last = status.frames.len().checked_sub(1)?;
                let pos = if filled.len() > 1 {
                    rank as f32 / (filled.len() - 1) as f32
                } else {
                    0.0
                };
                let frame = &status.frames[(pos * last as f32).round() as usize];
                return Some(cycle_thumb(frame));
            }
        };
        if let Some((k, t)) = &self.thumbs[slot] {
            if *k == key {
                return Some(t.clone());
            }
        }
        let thumb = match anchor {
            Anchor::Shape { shape } => shape_thumb(*shape),
            Anchor::Wave { samples, .. } => cycle_thumb(samples),
            Anchor::Latent { .. } => return None,
        };
        self.thumbs[slot] = Some((key, thumb.clone()));
        Some(thumb)
    }

    fn synth_sections(&mut self, ui: &mut Ui) {
        let a = self.access.clone();
        let a = a.as_ref();
        let p = self.params.clone();
        ui.horizontal_top(|ui| {
            theme::section(ui, "Oscillator", |ui| {
                ui.horizontal(|ui| {
                    knob(ui, ptr(&p.unison), a, KNOB);
                    knob(ui, ptr(&p.detune), a, KNOB);
                    knob(ui, ptr(&p.spread), a, KNOB);
                    knob(ui, ptr(&p.phase), a, KNOB);
                    choice(ui, ptr(&p.phase_mode), a, 62.0);
                    knob(ui, ptr(&p.pitch), a, KNOB);
                    knob(ui, ptr(&p.glide), a, KNOB);
                    knob(ui, ptr(&p.bend_range), a, KNOB);
                });
            });
            theme::section(ui, "Amp envelope", |ui| {
                ui.horizontal(|ui| {
                    knob(ui, ptr(&p.amp_attack), a, KNOB);
                    knob(ui, ptr(&p.amp_decay), a, KNOB);
                    knob(ui, ptr(&p.amp_sustain), a, KNOB);
                    knob(ui, ptr(&p.amp_release), a, KNOB);
                    knob(ui, ptr(&p.velocity_sensitivity), a, KNOB);
                });
            });
            theme::section(ui, "Master", |ui| {
                knob(ui, ptr(&p.gain), a, KNOB);
            });
        });
        ui.horizontal_top(|ui| {
            theme::section(ui, "Filter", |ui| {
                ui.horizontal(|ui| {
                    choice(ui, ptr(&p.filter_mode), a, 80.0);
                    knob(ui, ptr(&p.cutoff), a, KNOB);
                    knob(ui, ptr(&p.resonance), a, KNOB);
                    knob(ui, ptr(&p.key_track), a, KNOB);
                    knob(ui, ptr(&p.filter_env_amount), a, KNOB);
                    knob(ui, ptr(&p.filter_attack), a, KNOB);
                    knob(ui, ptr(&p.filter_decay), a, KNOB);
                    knob(ui, ptr(&p.filter_sustain), a, KNOB);
                    knob(ui, ptr(&p.filter_release), a, KNOB);
                });
            });
            theme::section(ui, "LFO", |ui| {
                ui.horizontal(|ui| {
                    choice(ui, ptr(&p.lfo_shape), a, 70.0);
                    knob(ui, ptr(&p.lfo_rate), a, KNOB);
                    ui.vertical(|ui| {
                        ui.add_space(14.0);
                        toggle(ui, ptr(&p.lfo_sync), a);
                    });
                    choice(ui, ptr(&p.lfo_division), a, 60.0);
                    knob(ui, ptr(&p.lfo_to_position), a, KNOB);
                    knob(ui, ptr(&p.lfo_to_cutoff), a, KNOB);
                });
            });
        });
    }
}

/// The accessible label of the table view (a drop target for tables).
pub const TABLE_VIEW_LABEL: &str = "Table view";

/// The accessible label of an anchor slot's thumbnail ("Anchor A").
pub fn anchor_label(slot: usize) -> String {
    format!("Anchor {}", SLOT_NAMES[slot.min(3)])
}

/// A cycle scaled so its peak is 1 (a user table's frame as shown).
fn peak_normalised(frame: &[f32]) -> Vec<f32> {
    let peak = frame.iter().fold(1e-9f32, |m, v| m.max(v.abs()));
    frame.iter().map(|v| v / peak).collect()
}
