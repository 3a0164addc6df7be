//! nwt-gui: Neural Wavetable's editor, drawn with egui through nice-plug-egui.
//!
//! For now a plain editor: the anchor slots, the decoder's device, and every
//! parameter as a slider with its value; the full musician's editor replaces
//! it later.

use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::LogicalSize;
use nice_plug::prelude::Params;
use nice_plug_egui::widgets::generic_ui::{GenericSlider, ParamWidget};
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, Frame, NiceEguiApp,
    RepaintNotifier,
};
use nwt_engine::neural::{Anchor, AnchorShape, NeuralInfo};
use nwt_engine::SynthParams;
use std::sync::Arc;

/// The editor's default size in logical pixels.
pub const DEFAULT_SIZE: (f32, f32) = (760.0, 560.0);

/// The editor window's state (size, scale, open or not).
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(LogicalSize::new(DEFAULT_SIZE.0, DEFAULT_SIZE.1), 1.0)
}

/// Columns of parameters in the plain editor.
const COLUMNS: usize = 3;

/// The editor application: draws every parameter of [`SynthParams`].
pub struct EditorApp {
    params: Arc<SynthParams>,
    info: Arc<NeuralInfo>,
    gui: Option<GuiContext>,
}

impl EditorApp {
    /// An editor for `params`; `info` is the decoder worker's report.
    pub fn new(params: Arc<SynthParams>, info: Arc<NeuralInfo>) -> Self {
        Self {
            params,
            info,
            gui: None,
        }
    }

    /// One combo box per anchor slot: empty, a factory shape, or the current
    /// sound captured (at the current position); an imported or captured anchor
    /// shows its name until replaced.
    fn anchor_row(&self, ui: &mut egui::Ui) {
        let mut anchors = self.params.anchors_snapshot();
        let mut changed = false;
        ui.horizontal(|ui| {
            ui.label("Anchors");
            for (slot, name) in anchors
                .slots
                .iter_mut()
                .zip(nwt_engine::neural::anchors::SLOT_NAMES)
            {
                let current = slot.as_ref().map_or_else(|| "-".to_string(), Anchor::label);
                egui::ComboBox::from_id_salt(("anchor", name))
                    .selected_text(format!("{name}: {current}"))
                    .show_ui(ui, |ui| {
                        if ui.selectable_label(slot.is_none(), "-").clicked() {
                            *slot = None;
                            changed = true;
                        }
                        let position = self.params.position.value();
                        if let Some(latent) = self.info.latent_at(position) {
                            if ui
                                .selectable_label(false, "capture current sound")
                                .clicked()
                            {
                                *slot = Some(Anchor::Latent {
                                    name: format!("captured {position:.2}"),
                                    latent: latent.to_vec(),
                                });
                                changed = true;
                            }
                        }
                        for shape in AnchorShape::ALL {
                            let selected =
                                matches!(slot, Some(Anchor::Shape { shape: s }) if *s == shape);
                            if ui.selectable_label(selected, shape.id()).clicked() {
                                *slot = Some(Anchor::shape(shape));
                                changed = true;
                            }
                        }
                    });
            }
        });
        if changed {
            self.params.set_anchors(anchors);
        }
    }
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        ui.heading("Neural Wavetable");
        let status = self.info.status();
        ui.label(match (&status.device, &status.error) {
            (device, _) if device.is_empty() => "Decoder: not running".to_string(),
            (device, Some(error)) => format!("Decoder: {device} · last table failed: {error}"),
            (device, None) => format!(
                "Decoder: {device} · {} tables · last built in {:.1} ms",
                status.tables_built,
                status.last_build.as_secs_f64() * 1e3
            ),
        });
        self.anchor_row(ui);
        ui.label("Every parameter of the synth. Drag to change; double-click to reset.");
        ui.separator();
        let Some(gui) = &self.gui else { return };
        let setter = gui.param_setter();
        let params = self.params.param_map();
        let per_column = params.len().div_ceil(COLUMNS);
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.columns(COLUMNS, |columns| {
                    for (column, chunk) in columns.iter_mut().zip(params.chunks(per_column)) {
                        for (_, ptr, _) in chunk {
                            // SAFETY: the pointers come from `self.params`, which outlives this frame.
                            unsafe {
                                column.label(ptr.name());
                                GenericSlider.add_widget_raw(column, ptr, &setter);
                            }
                            column.add_space(4.0);
                        }
                    }
                });
            });
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}

/// Creates the editor for the plugin.
pub fn create(
    params: Arc<SynthParams>,
    info: Arc<NeuralInfo>,
    state: Arc<EguiEditorState>,
) -> Option<EguiEditor<EditorApp>> {
    create_egui_editor(
        state,
        RepaintNotifier::new(),
        EguiNiceSettings {
            title: "Neural Wavetable".to_string(),
            ..Default::default()
        },
        EditorApp::new(params, info),
    )
}
