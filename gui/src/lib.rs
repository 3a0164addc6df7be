//! nwt-gui: Neural Wavetable's editor, drawn with egui through nice-plug-egui.
//!
//! The page itself is [`editor::Editor`] (latent pad and macro knobs, the
//! table view, anchors A–D, the synth sections, the preset bar, meters); it
//! reaches parameters through [`access::ParamAccess`] and presets and WAV
//! files through [`access::SoundLibrary`], which the plugin crate implements,
//! so the editor runs the same inside a host and in headless tests.
//! [`EditorApp`] puts it in a nice-plug-egui window, remembers the window's
//! size and scale in the plugin state and restores them when it opens.

pub mod access;
pub mod editor;
pub mod effects;
pub mod file_browser;
pub mod history;
pub mod keyboard;
pub mod knob;
pub mod mod_arcs;
pub mod modulation;
pub mod pad;
pub mod screen;
pub mod table_view;
pub mod theme;
pub mod typed;

use access::{ParamAccess, SoundLibrary};
use editor::Editor;
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::editor::ResizeHint;
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, Frame, NiceEguiApp,
    RepaintNotifier,
};
use nwt_engine::neural::NeuralInfo;
use nwt_engine::params::EditorMemory;
use nwt_engine::params::ParamRef;
use nwt_engine::telemetry::ReportReader;
use nwt_engine::{NoteInbox, SynthParams};
use std::sync::{Arc, Mutex};

/// The editor window's state for `params`' remembered size and scale.
pub fn window_state(params: &SynthParams) -> Arc<EguiEditorState> {
    let m = params.editor_memory();
    EguiEditorState::from_size(LogicalSize::new(m.width, m.height), m.scale)
}

/// Sets parameters through the host, so it records automation and undo.
struct HostAccess(GuiContext);

/// One of the three calls a host hears about a gesture.
#[derive(Clone, Copy)]
enum HostCall {
    Begin,
    Set(f32),
    End,
}

impl HostAccess {
    /// Tells the host of `call` on `param`: the one place the editor uses
    /// nice-plug's raw, pointer-taking parameter calls.
    fn call(&self, param: ParamRef<'_>, call: HostCall) {
        let ptr = param.ptr();
        // SAFETY: a `ParamRef` points at a parameter that is alive for as
        // long as the ref is (it comes from a borrow of the plugin's
        // parameters), and the call does not keep the pointer.
        unsafe {
            match call {
                HostCall::Begin => self.0.raw_begin_set_parameter(ptr),
                HostCall::Set(v) => self.0.raw_set_parameter_normalized(ptr, v.clamp(0.0, 1.0)),
                HostCall::End => self.0.raw_end_set_parameter(ptr),
            }
        }
    }
}

impl ParamAccess for HostAccess {
    fn begin(&self, param: ParamRef<'_>) {
        self.call(param, HostCall::Begin);
    }

    fn set(&self, param: ParamRef<'_>, normalized: f32) {
        self.call(param, HostCall::Set(normalized));
    }

    fn end(&self, param: ParamRef<'_>) {
        self.call(param, HostCall::End);
    }
}

/// The editor as a nice-plug-egui application.
pub struct EditorApp {
    editor: Editor,
    params: Arc<SynthParams>,
    /// Set when the window opens: the first frame restores the remembered size.
    restore_size: bool,
    /// The scale the window was last sized for.
    shown_scale: f32,
    /// The zoom the editor set for it (the scale, or less to fit the screen).
    applied_zoom: f32,
    /// The screen's size in pixels, when known (asked once, when the window opens).
    screen: Option<egui::Vec2>,
    /// The size the editor gave the window to fit the screen (not the user's choice).
    fitted: Option<egui::Vec2>,
}

impl EditorApp {
    /// An editor for `params`; `info` is the decoder worker's report,
    /// `library` the presets and WAV files, `reports` the audio thread's reports.
    pub fn new(
        params: Arc<SynthParams>,
        info: Arc<NeuralInfo>,
        library: Arc<dyn SoundLibrary>,
        reports: Option<Arc<Mutex<ReportReader>>>,
    ) -> Self {
        Self {
            editor: Editor::new(
                params.clone(),
                info,
                library,
                Arc::new(access::DirectAccess),
                reports,
            ),
            params,
            restore_size: false,
            shown_scale: 0.0,
            applied_zoom: 0.0,
            screen: None,
            fitted: None,
        }
    }
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        theme::apply(&egui_ctx);
        self.screen = screen::screen_size();
        self.editor.set_screen(self.screen);
        self.applied_zoom = self.editor.zoom();
        egui_ctx.set_zoom_factor(self.applied_zoom);
        // nice-plug-egui does not call `editor_closed`, and each window has a
        // new egui context: forget the last window's state here.
        self.editor.window_opened();
        self.editor.set_access(Arc::new(HostAccess(gui)));
        self.editor.refresh_presets();
        self.restore_size = true;
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        let m = self.params.editor_memory();
        let opened = std::mem::take(&mut self.restore_size);
        if opened || (m.scale - self.shown_scale).abs() > 1e-6 {
            // The chosen scale, or less where the whole synth would not fit
            // the screen at it; the chosen size at that zoom, kept on the
            // screen. Neither the chosen scale nor the chosen size changes.
            self.shown_scale = m.scale;
            let zoom = self.editor.zoom();
            self.applied_zoom = zoom;
            ui.ctx().set_zoom_factor(zoom);
            let min = EditorMemory::MIN_SIZE;
            let size = screen::fit_window(
                egui::vec2(m.width, m.height),
                zoom,
                self.screen,
                egui::vec2(min.0, min.1),
            );
            self.fitted = (size != egui::vec2(m.width, m.height)).then_some(size);
            ui.ctx()
                .send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
        }
        let (min, max) = (EditorMemory::MIN_SIZE, EditorMemory::MAX_SIZE);
        ResizableWindow::new("nwt-editor")
            .min_size(egui::vec2(min.0, min.1))
            .max_size(egui::vec2(max.0, max.1))
            .show(ui, |ui| {
                egui::ScrollArea::both()
                    .auto_shrink([false, false])
                    .show(ui, |ui| self.editor.show(ui));
            });
    }

    fn resized(&mut self, size: nice_plug_egui::baseview::WindowSize) {
        // A resize the editor asked for to fit the screen is not the user's
        // choice of size: it is not remembered.
        // `logical` is in egui points: the zoom is already divided out.
        let (w, h) = (size.logical.width as f32, size.logical.height as f32);
        if self
            .fitted
            .is_some_and(|f| (f.x - w).abs() < 1.0 && (f.y - h).abs() < 1.0)
        {
            return;
        }
        self.fitted = None;
        self.params.update_editor_memory(|m| {
            m.width = w;
            m.height = h;
        });
    }

    fn zoom_factor_changed(&mut self, zoom_factor: f32) {
        // The zoom the editor set to fit the screen is not a choice of scale.
        if (zoom_factor - self.applied_zoom).abs() > 1e-6 {
            self.params.update_editor_memory(|m| m.scale = zoom_factor);
        }
    }

    fn editor_closed(&mut self) {
        self.editor.window_opened();
        self.editor.set_access(Arc::new(access::DirectAccess));
    }
}

/// What ties an open editor to the running synth.
pub struct Live {
    /// Where the editor's keyboard sends notes (none: no keyboard).
    pub inbox: Option<NoteInbox>,
    /// What the plugin's audio and decoder threads set when the editor
    /// should redraw; the window looks at it 30 times a second and draws
    /// only when it is set (or on input), so an idle editor costs nothing.
    pub repaint: RepaintNotifier,
}

/// How often the window looks at the repaint request: at most 30 frames a
/// second while meters and voice markers move.
pub const REPAINT_POLL: std::time::Duration = std::time::Duration::from_micros(33_333);

/// Creates the editor for the plugin.
pub fn create(
    params: Arc<SynthParams>,
    info: Arc<NeuralInfo>,
    library: Arc<dyn SoundLibrary>,
    reports: Option<Arc<Mutex<ReportReader>>>,
    state: Arc<EguiEditorState>,
    live: Live,
) -> Option<EguiEditor<EditorApp>> {
    let (min, max) = (EditorMemory::MIN_SIZE, EditorMemory::MAX_SIZE);
    let mut app = EditorApp::new(params, info, library, reports);
    if let Some(inbox) = live.inbox {
        app.editor.set_inbox(inbox);
    }
    create_egui_editor(
        state,
        live.repaint,
        EguiNiceSettings {
            repaint_poll_interval: REPAINT_POLL,
            title: "Neural Wavetable".to_string(),
            resize_hint: ResizeHint::resizable().with_min_max_logical_size(
                Some(LogicalSize::new(min.0, min.1)),
                Some(LogicalSize::new(max.0, max.1)),
            ),
            ..Default::default()
        },
        app,
    )
}
