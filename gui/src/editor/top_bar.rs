//! The top bar (preset name and buttons, undo/redo, meter, scale), the status
//! row (message, CPU, decode time, device) and the Save As window.

use super::*;

impl Editor {
    pub(super) fn top_bar(&mut self, ui: &mut Ui, status: &WorkerStatus) {
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
                                if let Some(e) = preset_menu(ui, &self.presets, user) {
                                    chosen = Some(e);
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
            self.save_and_history_buttons(ui);
            ui.add_space(16.0);
            self.meter_and_scale(ui);
        });
        self.status_row(ui, status);
    }

    /// Save, Save As, Undo and Redo.
    fn save_and_history_buttons(&mut self, ui: &mut Ui) {
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
    }

    /// The status row under the bar: the last message, then the readouts.
    fn status_row(&mut self, ui: &mut Ui, status: &WorkerStatus) {
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

    pub(super) fn open_save_as(&mut self) {
        let (name, category) = self
            .baseline
            .as_ref()
            .map(|(e, _)| (e.name.clone(), e.category.clone()))
            .unwrap_or_else(|| ("My Sound".to_string(), "Lead".to_string()));
        self.save_as = Some((name, category));
    }

    pub(super) fn save_as_window(&mut self, ctx: &egui::Context) {
        let Some((name, category)) = &mut self.save_as else {
            return;
        };
        let mut action = None;
        // Modal: nothing behind it takes a click or a key while it is open.
        let modal = egui::Modal::new(egui::Id::unique("save-preset-as")).show(ctx, |ui| {
            ui.heading("Save preset as");
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
        if action.is_none() && modal.should_close() {
            // Escape or a click outside: cancelled.
            action = Some(false);
        }
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
    pub(super) fn meter_and_scale(&mut self, ui: &mut Ui) {
        self.output_meter(ui);
        self.tuning_menu(ui);
        self.scale_menu(ui);
    }

    /// CPU load, decode time and device (the status row's right end).
    pub(super) fn readouts(&mut self, ui: &mut Ui, status: &WorkerStatus) {
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

    /// The tuning menu: 12-EDO, the built-in scales, or a file (.scl with
    /// an optional .kbm, or .tun).
    pub(super) fn tuning_menu(&mut self, ui: &mut Ui) {
        use nwt_engine::tuning::{Tuning, BUILT_IN};
        let current = self.params.tuning.get();
        let shown = current
            .as_ref()
            .map_or("12-EDO".to_string(), |t| t.name.clone());
        let mut chosen: Option<Option<Tuning>> = None;
        let mut browse = false;
        let response = egui::ComboBox::from_id_salt("tuning")
            .width(96.0)
            .selected_text(RichText::new(&shown).size(11.0))
            .show_ui(ui, |ui| {
                for (name, _) in BUILT_IN {
                    let on = current
                        .as_ref()
                        .map_or(name == "12-EDO", |t| t.name == name);
                    if ui.selectable_label(on, name).clicked() {
                        chosen = Some(if name == "12-EDO" {
                            None
                        } else {
                            Tuning::built_in(name)
                        });
                    }
                }
                ui.separator();
                if ui
                    .button("Load .scl / .kbm / .tun…")
                    .on_hover_text(
                        "A Scala scale (.scl), a keyboard map for it (.kbm) or an AnaMark .tun",
                    )
                    .clicked()
                {
                    browse = true;
                }
            })
            .response;
        response
            .on_hover_text(format!(
                "Tuning: {shown}. Saved with the preset and the session; a change \
                 applies from the next note"
            ))
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Tuning"));
        if let Some(tuning) = chosen {
            self.set_tuning(tuning);
        }
        if browse {
            self.browser = Some((
                FileBrowser::new("the tuning", self.browse_from())
                    .accepting(&["scl", "kbm", "tun"]),
                WaveTarget::Tuning,
            ));
        }
    }

    pub(super) fn scale_menu(&mut self, ui: &mut Ui) {
        let memory = self.params.editor_memory();
        let mut scale = memory.scale;
        // Where the whole synth would not fit the screen at the chosen scale,
        // the window shows it at the largest zoom that does (`screen::fit_zoom`).
        let shown = ui.ctx().zoom_factor();
        let fitted = shown + 1e-3 < scale;
        egui::ComboBox::from_id_salt("scale")
            .width(64.0)
            .selected_text(if fitted {
                format!("{:.0} %*", scale * 100.0)
            } else {
                format!("{:.0} %", scale * 100.0)
            })
            .show_ui(ui, |ui| {
                for s in EditorMemory::SCALES {
                    ui.selectable_value(&mut scale, s, format!("{:.0} %", s * 100.0));
                }
            })
            .response
            .on_hover_text(if fitted {
                format!(
                    "Editor scale. At {:.0} % the whole synth would not fit this screen: \
                     it is shown at {:.0} %, the most that fits",
                    scale * 100.0,
                    shown * 100.0
                )
            } else {
                "Editor scale".to_string()
            })
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Scale"));
        if (scale - memory.scale).abs() > 1e-6 {
            self.params.update_editor_memory(|m| m.scale = scale);
            ui.ctx().set_zoom_factor(self.zoom());
        }
    }

    /// The output meter: left and right peaks on a -60..0 dBFS scale with
    /// ticks at -48, -24, -12 and -6 dBFS, and a clip light that stays on
    /// once the output reached 0 dBFS, until clicked.
    pub(super) fn output_meter(&mut self, ui: &mut Ui) {
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
}

/// The presets of one side (factory or `user`) by category, as menus: the
/// one picked, if any.
fn preset_menu(ui: &mut Ui, presets: &[PresetEntry], user: bool) -> Option<PresetEntry> {
    let mut chosen = None;
    let mut any = false;
    let mut categories: Vec<String> = CATEGORIES.iter().map(|c| c.to_string()).collect();
    for p in presets.iter().filter(|p| p.user == user) {
        if !categories.contains(&p.category) {
            categories.push(p.category.clone());
        }
    }
    for category in categories {
        let entries: Vec<&PresetEntry> = presets
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
    chosen
}
