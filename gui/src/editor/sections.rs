//! The editor's sections: latent space, table, anchors and the synth's
//! knobs.

use super::*;

impl Editor {
    pub(super) fn latent_section(&mut self, ui: &mut Ui, status: &WorkerStatus) {
        let access = self.access.clone();
        ui.horizontal(|ui| {
            for pair in [pad::PadPair::Macros, pad::PadPair::BrightnessWarmth] {
                if ui
                    .selectable_label(self.pad_pair == pair, pair.name())
                    .clicked()
                {
                    self.pad_pair = pair;
                }
            }
        });
        let size = 232.0 * self.grow;
        pad::latent_pad(
            ui,
            &self.params,
            access.as_ref(),
            status,
            size,
            self.pad_pair,
            self.report.voice_positions(),
        );
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
        ui.horizontal(|ui| {
            choice(ui, ptr(&p.macro_mode), access.as_ref(), 120.0);
            toggle(ui, ptr(&p.even_loudness), access.as_ref()).on_hover_text(
                "Even out the loudness along the table, so a position sweep \
                 neither fades nor swells; off keeps each frame's natural level",
            );
        });
    }

    /// The named knobs: timbre moves on top of the anchors (the neural table only).
    pub(super) fn timbre_section(&mut self, ui: &mut Ui) {
        let access = self.access.clone();
        if !pad::is_live(&self.params) {
            ui.multiply_opacity(0.45);
        }
        ui.horizontal(|ui| {
            for k in self.params.knob_params() {
                knob(ui, ptr(k), access.as_ref(), 26.0);
            }
        });
    }

    pub(super) fn frames_to_show(&mut self, status: &WorkerStatus) -> Frames {
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

    pub(super) fn table_section(&mut self, ui: &mut Ui, status: &WorkerStatus) {
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

    pub(super) fn anchor_section(&mut self, ui: &mut Ui, status: &WorkerStatus) {
        if !pad::is_live(&self.params) {
            // The anchors shape the neural table only: dimmed, still usable.
            ui.multiply_opacity(0.45);
        }
        let mut anchors = self.params.anchors_snapshot();
        let mut changed = self.dice_button(ui, status, &mut anchors);
        // "Capture" stores the cycle heard now, whatever the table source.
        let heard = self.frames_to_show(status);
        let filled: Vec<usize> = (0..4).filter(|&s| anchors.slots[s].is_some()).collect();
        let dragging_files = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
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

    /// The Dice button on the Anchors title row (it takes no room of its
    /// own): draws anchors A and B from the model's space with a new seed,
    /// shown beside it (`nwt render --dice SEED` draws the same). Needs the
    /// factory shapes' latents from the worker; disabled until they come.
    /// Returns whether it drew.
    fn dice_button(&mut self, ui: &mut Ui, status: &WorkerStatus, anchors: &mut Anchors) -> bool {
        let title = ui.min_rect();
        let at = pos2(title.left() + 70.0, title.top() - 1.0);
        let ready = status.shapes.len() == AnchorShape::ALL.len();
        let button = ui
            .put(
                Rect::from_min_size(at, vec2(44.0, 18.0)),
                egui::Button::new(RichText::new("Dice").size(11.0)).small(),
            )
            .on_hover_text(if ready {
                "Draw a new sound: anchors A and B from the model's space (C and D cleared). \
                 The seed beside it draws the same again (nwt render --dice SEED)."
            } else {
                "Dice waits for the model's first table"
            });
        if let Some(seed) = self.dice_seed {
            ui.put(
                Rect::from_min_size(at + vec2(50.0, 0.0), vec2(90.0, 18.0)),
                egui::Label::new(
                    RichText::new(format!("seed {seed}"))
                        .size(11.0)
                        .color(theme::TEXT_DIM),
                ),
            );
        }
        if !(button.clicked() && ready) {
            return false;
        }
        let shapes: Vec<nwt_model::Latent> = status.shapes.iter().map(|(_, z)| *z).collect();
        let seed = next_dice_seed(self.dice_seed);
        *anchors = nwt_engine::neural::dice::dice_from_shapes(&shapes, seed);
        self.dice_seed = Some(seed);
        true
    }

    /// The thumbnail of an anchor: its source waveform, or for an anchor
    /// given as a latent (from a preset) the table's frame where the path passes it.
    pub(super) fn thumbnail(
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

    /// The tabs that switch the bottom rows between the voice and the effects.
    pub(super) fn page_tabs(&mut self, ui: &mut Ui) {
        let on = crate::effects::effects_on(&self.params.effects);
        let effects = if on > 0 {
            format!("Effects ({on} on)")
        } else {
            "Effects".to_string()
        };
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            // A fixed size: the count in the label never moves anything.
            theme::pick(
                ui,
                &mut self.page,
                &[(BottomPage::Voice, "Voice"), (BottomPage::Effects, &effects)],
                [96.0, 20.0],
                12.0,
                |_| "Show the voice's sections or the effects rack (drive → chorus → delay → reverb)".into(),
            );
        });
    }

    pub(super) fn synth_sections(&mut self, ui: &mut Ui) {
        let a = self.access.clone();
        let a = a.as_ref();
        let p = self.params.clone();
        ui.horizontal_top(|ui| {
            theme::section(ui, "Oscillator", |ui| oscillator_section(ui, &p, a));
            theme::section(ui, "Envelope", |ui| envelope_section(ui, &p, a));
            theme::section(ui, "Master", |ui| {
                knob(ui, ptr(&p.gain), a, KNOB);
            });
        });
        ui.horizontal_top(|ui| {
            theme::section(ui, "Filter", |ui| filter_section(ui, &p, a));
            theme::section(ui, "LFO", |ui| lfo_section(ui, &p, a));
        });
    }
}

/// The oscillator section: the wavetable oscillator, or the sub and the
/// noise beside it, in the same place.
fn oscillator_section(ui: &mut Ui, p: &SynthParams, a: &dyn ParamAccess) {
    theme::with_view_state(ui, "oscillator-page", false, |ui, sources| {
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                theme::pick(
                    ui,
                    sources,
                    &[(false, "Osc"), (true, "Sub")],
                    [30.0, 18.0],
                    11.0,
                    |label| match label {
                        "Osc" => "Show the wavetable oscillator".into(),
                        _ => "Show the sub oscillator and the noise".into(),
                    },
                );
            });
            if *sources {
                let s = &p.sources;
                knob(ui, ptr(&s.sub_level), a, KNOB);
                choice(ui, ptr(&s.sub_shape), a, 62.0);
                knob(ui, ptr(&s.sub_octave), a, KNOB);
                knob(ui, ptr(&s.noise_level), a, KNOB);
                choice(ui, ptr(&s.noise_color), a, 62.0);
            } else {
                knob(ui, ptr(&p.unison), a, KNOB);
                knob(ui, ptr(&p.detune), a, KNOB);
                knob(ui, ptr(&p.spread), a, KNOB);
                knob(ui, ptr(&p.phase), a, KNOB);
                choice(ui, ptr(&p.phase_mode), a, 62.0);
                knob(ui, ptr(&p.pitch), a, KNOB);
                knob(ui, ptr(&p.glide), a, KNOB);
                knob(ui, ptr(&p.bend_range), a, KNOB);
            }
        });
    });
}

/// The envelope section: the amp envelope or the mod envelope (a matrix
/// source) in the same place.
fn envelope_section(ui: &mut Ui, p: &SynthParams, a: &dyn ParamAccess) {
    theme::with_view_state(ui, "envelope-page", false, |ui, modulation| {
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                theme::pick(
                    ui,
                    modulation,
                    &[(false, "Amp"), (true, "Mod")],
                    [34.0, 18.0],
                    11.0,
                    |label| format!("Show the {label} envelope"),
                );
            });
            if *modulation {
                knob(ui, ptr(&p.mod_env_attack), a, KNOB);
                knob(ui, ptr(&p.mod_env_decay), a, KNOB);
                knob(ui, ptr(&p.mod_env_sustain), a, KNOB);
                knob(ui, ptr(&p.mod_env_release), a, KNOB)
                    .on_hover_text("Route the mod envelope in the matrix");
                knob(ui, ptr(&p.mod_env_curve), a, KNOB);
            } else {
                knob(ui, ptr(&p.amp_attack), a, KNOB);
                knob(ui, ptr(&p.amp_decay), a, KNOB);
                knob(ui, ptr(&p.amp_sustain), a, KNOB);
                knob(ui, ptr(&p.amp_release), a, KNOB);
                knob(ui, ptr(&p.velocity_sensitivity), a, KNOB);
            }
        });
    });
}

/// The filter section.
fn filter_section(ui: &mut Ui, p: &SynthParams, a: &dyn ParamAccess) {
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
}

/// The LFO section: LFO 1 or LFO 2 in the same place (LFO 2 moves what the
/// modulation matrix routes it to).
fn lfo_section(ui: &mut Ui, p: &SynthParams, a: &dyn ParamAccess) {
    theme::with_view_state(ui, "lfo-page", false, |ui, second| {
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                theme::pick(
                    ui,
                    second,
                    &[(false, "1"), (true, "2")],
                    [20.0, 18.0],
                    11.0,
                    |label| format!("Show LFO {label}"),
                );
            });
            let motion = theme::with_view_state(ui, "lfo-view", false, |ui, motion| {
                ui.vertical(|ui| {
                    theme::pick(
                        ui,
                        motion,
                        &[(false, "Wave"), (true, "Time")],
                        [36.0, 18.0],
                        11.0,
                        |label| match label {
                            "Wave" => "Shape, rate and routes".into(),
                            _ => "Mode (global, per voice, transport), phase, delay and fade-in"
                                .into(),
                        },
                    );
                });
                *motion
            });
            if motion {
                lfo_timing(ui, p, a, *second);
            } else {
                lfo_wave(ui, p, a, *second);
            }
        });
    });
}

/// An LFO's mode (global, per voice, transport), phase, delay and fade-in.
fn lfo_timing(ui: &mut Ui, p: &SynthParams, a: &dyn ParamAccess, second: bool) {
    let m = &p.lfo_motion;
    let (mode, phase, delay, fade) = if second {
        (&m.lfo2_mode, &m.lfo2_phase, &m.lfo2_delay, &m.lfo2_fade)
    } else {
        (&m.lfo_mode, &m.lfo_phase, &m.lfo_delay, &m.lfo_fade)
    };
    choice(ui, ptr(mode), a, 80.0);
    knob(ui, ptr(phase), a, KNOB);
    knob(ui, ptr(delay), a, KNOB);
    knob(ui, ptr(fade), a, KNOB);
}

/// An LFO's shape, rate and sync, and LFO 1's fixed routes.
fn lfo_wave(ui: &mut Ui, p: &SynthParams, a: &dyn ParamAccess, second: bool) {
    let (shape, rate, sync, division) = if second {
        (
            ptr(&p.lfo2_shape),
            ptr(&p.lfo2_rate),
            ptr(&p.lfo2_sync),
            ptr(&p.lfo2_division),
        )
    } else {
        (
            ptr(&p.lfo_shape),
            ptr(&p.lfo_rate),
            ptr(&p.lfo_sync),
            ptr(&p.lfo_division),
        )
    };
    choice(ui, shape, a, 70.0);
    knob(ui, rate, a, KNOB);
    ui.vertical(|ui| {
        ui.add_space(14.0);
        crate::knob::switch(ui, sync, a, "Sync");
    });
    choice(ui, division, a, 60.0);
    if second {
        ui.add_sized(
            [116.0, 48.0],
            egui::Label::new(
                RichText::new("Route LFO 2 in the\nmodulation matrix")
                    .size(11.0)
                    .color(theme::TEXT_DIM),
            ),
        );
    } else {
        knob(ui, ptr(&p.lfo_to_position), a, KNOB);
        knob(ui, ptr(&p.lfo_to_cutoff), a, KNOB);
    }
}

/// A seed for the next dice draw, 1..=99,999 (short enough to read out and
/// type into `nwt render --dice`), from the clock and the last seed.
fn next_dice_seed(last: Option<u64>) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64 ^ d.as_secs());
    let mixed = (nanos ^ last.unwrap_or(0).rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let seed = (mixed >> 33) % 99_999 + 1;
    if Some(seed) == last {
        seed % 99_999 + 1
    } else {
        seed
    }
}
