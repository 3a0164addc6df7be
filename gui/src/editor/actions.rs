//! What the editor does with presets, WAV files and tables, and undo/redo: the
//! actions behind its buttons.

use super::*;

impl Editor {
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

    pub(super) fn step_preset(&mut self, step: isize) {
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
    pub(super) fn unsaved_changes_window(&mut self, ctx: &egui::Context) {
        let Some(entry) = self.pending_load.clone() else {
            return;
        };
        let name = self
            .current_preset()
            .map_or_else(String::new, |(e, _)| e.name.clone());
        let mut answer = None;
        // Modal: nothing behind it takes a click or a key while it is open.
        let modal = egui::Modal::new(egui::Id::unique("unsaved-changes")).show(ctx, |ui| {
            ui.heading("Unsaved changes");
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
                if ui.button("Cancel").clicked() {
                    answer = Some(2);
                }
            });
        });
        if answer.is_none() && modal.should_close() {
            // Escape or a click outside: cancelled.
            answer = Some(2);
        }
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
    pub(super) fn browse_from(&self) -> Option<PathBuf> {
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
    pub(super) fn track_history(&mut self, ui: &Ui) {
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

    /// Plays in `tuning` (`None`: 12-EDO), saying so.
    pub fn set_tuning(&mut self, tuning: Option<nwt_engine::tuning::Tuning>) {
        let name = tuning
            .as_ref()
            .map_or("12-EDO".to_string(), |t| t.name.clone());
        match self.params.tuning.set(tuning) {
            Ok(()) => self.say(format!("Tuning: {name} (from the next note)"), false),
            Err(e) => self.say(format!("Tuning not changed: {e}"), true),
        }
    }

    /// Reads a tuning file: a `.scl` scale or `.tun` replaces the tuning; a
    /// `.kbm` keyboard map applies to the Scala scale in use (12-EDO if none).
    /// A file that does not read changes nothing and says why.
    pub fn load_tuning(&mut self, path: &Path) {
        use nwt_engine::tuning::{Tuning, TuningSource, BUILT_IN};
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.say(format!("{} was not loaded: {e}", path.display()), true);
                return;
            }
        };
        let name = path.file_stem().map_or_else(
            || "tuning".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let is_kbm = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("kbm"));
        let tuning = if is_kbm {
            let scl = match self.params.tuning.get().map(|t| t.source) {
                Some(TuningSource::Scala { scl, .. }) => scl,
                _ => BUILT_IN[0].1.to_string(),
            };
            Tuning::scala(&scl, Some(&text)).map(|mut t| {
                t.name = format!("{} + {name}", t.name);
                t
            })
        } else {
            Tuning::from_text(&text, None, &name)
        };
        match tuning {
            Ok(t) => self.set_tuning(Some(t)),
            Err(e) => self.say(format!("{} was not loaded: {e}", path.display()), true),
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
            WaveTarget::Tuning => self.load_tuning(path),
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
                let v = p.normalize(TableSource::User.to_index() as f32);
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
}
