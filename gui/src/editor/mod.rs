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
use nice_plug::prelude::{Enum, Param};
use nwt_engine::anchors::SLOT_NAMES;
use nwt_engine::factory::TableSource;
use nwt_engine::neural::{
    Anchor, AnchorShape, Anchors, DecoderInputs, NeuralInfo, UserTable, WorkerStatus,
};
use nwt_engine::params::{EditorMemory, ParamRef};
use nwt_engine::telemetry::{AudioReport, ReportReader};
use nwt_engine::{NoteInbox, SynthParams};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod actions;
mod sections;
mod top_bar;

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

/// Where a chosen or dropped WAV goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaveTarget {
    /// An anchor slot (0..4): the file's cycle (or a table's first frame) is encoded.
    Anchor(usize),
    /// The table itself: a multi-frame file plays as an imported table.
    Table,
    /// The tuning: a Scala scale or keyboard map, or an AnaMark `.tun`.
    Tuning,
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
    /// Which two knobs the latent pad shows and drags.
    pad_pair: pad::PadPair,
    /// The seed of the last dice draw (shown beside the Dice button).
    dice_seed: Option<u64>,
    /// Whether the bottom rows show the voice or the effects.
    page: BottomPage,
    /// The screen the window is on, in pixels, when known: a scale is shown
    /// at most at the zoom that keeps the whole synth on it.
    screen: Option<egui::Vec2>,
}

/// What the rows under the table show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BottomPage {
    /// Oscillator, amp envelope, master, filter, LFO.
    Voice,
    /// Drive, chorus, delay, reverb.
    Effects,
}

fn ptr<P: Param>(p: &P) -> ParamRef<'_> {
    ParamRef::new(p)
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
            pad_pair: pad::PadPair::Macros,
            dice_seed: None,
            page: BottomPage::Voice,
            screen: None,
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
    /// Tells the editor the size of the screen its window is on (pixels).
    pub fn set_screen(&mut self, screen: Option<egui::Vec2>) {
        self.screen = screen;
    }

    /// The zoom the chosen scale is shown at: the scale, or less where the
    /// whole synth would not fit the screen at it ([`crate::screen::fit_zoom`]).
    pub fn zoom(&self) -> f32 {
        let design = vec2(EditorMemory::DEFAULT_SIZE.0, EditorMemory::DEFAULT_SIZE.1);
        crate::screen::fit_zoom(self.params.editor_memory().scale, self.screen, design)
    }

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
        crate::mod_arcs::publish(ui.ctx(), &self.params);

        self.top_bar(ui, &status);
        ui.add_space(4.0);
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                theme::section(ui, "Latent space", |ui| self.latent_section(ui, &status));
            });
            ui.vertical(|ui| {
                theme::section(ui, "Table", |ui| self.table_section(ui, &status));
                // The tabs for the rows below, in the room under the table.
                ui.add_space(4.0);
                self.page_tabs(ui);
            });
            ui.vertical(|ui| {
                theme::section(ui, "Anchors", |ui| self.anchor_section(ui, &status));
                let access = self.access.clone();
                theme::section(ui, "Modulation", |ui| {
                    crate::modulation::modulation_section(ui, &self.params, access.as_ref())
                });
                theme::section(ui, "Timbre", |ui| self.timbre_section(ui));
            });
        });
        ui.add_space(4.0);
        match self.page {
            BottomPage::Voice => self.synth_sections(ui),
            BottomPage::Effects => {
                let access = self.access.clone();
                crate::effects::effects_sections(ui, &self.params.effects, access.as_ref());
            }
        }
        if let Some(inbox) = &self.inbox {
            ui.add_space(4.0);
            let width = ui.available_width() - 16.0;
            // While a prompt (Save As, unsaved changes) is open, keys typed
            // belong to it: the computer keyboard plays nothing.
            self.keyboard
                .set_suspended(self.save_as.is_some() || self.pending_load.is_some(), inbox);
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
                    if target == WaveTarget::Tuning {
                        self.load_tuning(&path);
                    } else {
                        self.load_wave(&path, target);
                    }
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
        let inputs = DecoderInputs::read(&self.params);
        if self.decoder_inputs != Some(inputs) {
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
