//! Reading and setting the parameters by id, the macros as the decoder
//! plays them, the anchors and imported table, and the editor's memory.

use super::*;

impl SynthParams {
    /// The macro knobs.
    pub fn macro_params(&self) -> [&FloatParam; MACROS] {
        [
            &self.macro_1,
            &self.macro_2,
            &self.macro_3,
            &self.macro_4,
            &self.macro_5,
            &self.macro_6,
            &self.macro_7,
            &self.macro_8,
        ]
    }

    /// The semantic knobs, in the order of `nwt_model::semantic::NAMES`.
    pub fn knob_params(&self) -> [&FloatParam; KNOBS] {
        [
            &self.brightness,
            &self.warmth,
            &self.richness,
            &self.odd_even,
            &self.formant,
        ]
    }

    /// The semantic knobs as the decoder plays them: each knob plus what the
    /// modulation matrix adds, clamped to `-1..=1` (non-finite values read
    /// as 0).
    pub fn knob_values(&self) -> [f32; KNOBS] {
        modulated(self.knob_params(), &self.knob_modulation)
    }

    /// The macros as the decoder plays them: each knob plus what the
    /// modulation matrix adds, clamped to `-1..=1` (non-finite values read as 0).
    pub fn macro_values(&self) -> [f32; MACROS] {
        modulated(self.macro_params(), &self.macro_modulation)
    }

    /// Sets what the modulation matrix adds to each macro (audio thread:
    /// lock-free, stores only what changed).
    pub fn set_macro_modulation(&self, offsets: &[f32; MACROS]) {
        store_changed(&self.macro_modulation, offsets);
    }

    /// Sets what the modulation matrix adds to each semantic knob (as
    /// [`SynthParams::set_macro_modulation`]).
    pub fn set_knob_modulation(&self, offsets: &[f32; KNOBS]) {
        store_changed(&self.knob_modulation, offsets);
    }

    /// The modulation matrix's slots as plain values (audio thread: atomics only).
    pub fn mod_routes(&self) -> [modulation::Route; MOD_SLOTS] {
        std::array::from_fn(|i| self.modulation[i].route())
    }

    /// Whether a modulation slot moves a semantic knob (a source routed to
    /// one with an amount other than 0).
    pub fn knobs_routed(&self) -> bool {
        self.mod_routes()
            .iter()
            .any(|r| r.amount != 0.0 && r.destination.knob_index().is_some())
    }

    /// Counts every replacement of the sound's anchors or imported table,
    /// including a DAW's state load (lock-free).
    pub fn sound_revision(&self) -> u64 {
        self.anchors.revision()
    }

    /// Frames in the neural table.
    pub fn frame_count(&self) -> usize {
        self.frames.value().clamp(8, crate::MAX_FRAMES as i32) as usize
    }

    /// A copy of the anchor slots (GUI and worker threads only).
    pub fn anchors_snapshot(&self) -> Anchors {
        self.anchors.snapshot()
    }

    /// Whether the anchor slots equal `other` (GUI and worker threads only).
    pub fn anchors_equal(&self, other: &Anchors) -> bool {
        self.anchors.equals(other)
    }

    /// Replaces the imported table (GUI, command line); `None` removes it.
    pub fn set_user_table(&self, table: Option<UserTable>) {
        *self.user_table.write().unwrap_or_else(|e| e.into_inner()) = table;
        self.anchors.bump();
    }

    /// A copy of the imported table (GUI and worker threads only).
    pub fn user_table_snapshot(&self) -> Option<UserTable> {
        self.user_table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// `(id, name)` of the imported table when the `table` parameter selects it
    /// and one is loaded.
    pub fn user_table_key(&self) -> Option<(u64, String)> {
        if self.table.value() != TableSource::User {
            return None;
        }
        self.user_table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|t| (t.id, t.name.clone()))
    }

    /// Whether [`SynthParams::user_table_key`] would return `key`, without
    /// copying the table's name (the worker asks on every wake).
    pub fn user_table_key_is(&self, key: Option<&(u64, String)>) -> bool {
        if self.table.value() != TableSource::User {
            return key.is_none();
        }
        let table = self.user_table.read().unwrap_or_else(|e| e.into_inner());
        match (table.as_ref(), key) {
            (Some(t), Some((id, name))) => t.id == *id && t.name == *name,
            (None, None) => true,
            _ => false,
        }
    }

    /// A copy of the editor's memory, sanitized.
    pub fn editor_memory(&self) -> EditorMemory {
        self.editor
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .sanitized()
    }

    /// Changes the editor's memory (GUI thread).
    pub fn update_editor_memory(&self, f: impl FnOnce(&mut EditorMemory)) {
        f(&mut self.editor.write().unwrap_or_else(|e| e.into_inner()));
    }

    /// Replaces the anchor slots (GUI, preset loading, command line).
    pub fn set_anchors(&self, anchors: Anchors) {
        self.anchors.replace(anchors);
    }

    /// Every parameter's plain (unmodulated) value by stable id: what a preset stores.
    pub fn plain_values(&self) -> std::collections::BTreeMap<String, f32> {
        self.param_map()
            .into_iter()
            // SAFETY: the pointers come from `self`, alive for this call.
            .map(|(id, ptr, _)| (id, unsafe { ptr.unmodulated_plain_value() }))
            .collect()
    }

    /// The stable ids of every parameter, in declaration order.
    pub fn ids(&self) -> Vec<String> {
        self.param_map().into_iter().map(|(id, _, _)| id).collect()
    }

    /// Sets a parameter by stable id from a plain value ("-12", "440", "0.5"; an
    /// enum's code, see [`crate::stable_enum`]) or, failing that, its display
    /// text ("Low Pass", "-12 dB") or an enum variant's stable id
    /// ("lowpass"), with the value clamped to the parameter's range. For offline
    /// rendering and tests; a host sets values through nice-plug.
    pub fn set_by_id(&self, id: &str, text: &str, sample_rate: f32) -> Result<(), ParamError> {
        let ptr = &self.ptr(id)?;
        let bad = || ParamError::BadValue {
            id: id.to_string(),
            value: text.to_string(),
        };
        // SAFETY: the pointer comes from `self.param_map()` and `self` outlives this call.
        let normalized = unsafe {
            match text.trim().parse::<f32>() {
                Ok(plain) if plain.is_finite() => ptr.preview_normalized(plain),
                Ok(_) => return Err(bad()),
                Err(_) => match ptr.string_to_normalized_value(text) {
                    Some(normalized) => normalized,
                    None => enum_codes(id)
                        .and_then(|codes| (codes.code_of)(text.trim()))
                        .map(|code| ptr.preview_normalized(code as f32))
                        .ok_or_else(bad)?,
                },
            }
        };
        if !normalized.is_finite() {
            return Err(bad());
        }
        self.set_normalized(ptr, normalized.clamp(0.0, 1.0), sample_rate);
        Ok(())
    }

    /// Sets a parameter by stable id to a normalised value in `0..=1`
    /// (non-finite values are ignored, others clamped).
    pub fn set_normalized_by_id(
        &self,
        id: &str,
        normalized: f32,
        sample_rate: f32,
    ) -> Result<(), ParamError> {
        let ptr = &self.ptr(id)?;
        if normalized.is_finite() {
            self.set_normalized(ptr, normalized.clamp(0.0, 1.0), sample_rate);
        }
        Ok(())
    }

    /// The parameter with stable id `id`.
    fn ptr(&self, id: &str) -> Result<ParamPtr, ParamError> {
        self.param_map()
            .into_iter()
            .find(|(pid, _, _)| pid == id)
            .map(|(_, ptr, _)| ptr)
            .ok_or_else(|| ParamError::UnknownId(id.to_string()))
    }

    fn set_normalized(&self, ptr: &ParamPtr, normalized: f32, sample_rate: f32) {
        // SAFETY: as above; this mirrors what nice-plug's wrappers do on automation.
        unsafe {
            ptr._internal_set_normalized_value(normalized);
            ptr._internal_update_smoother(sample_rate, false);
        }
    }

    /// Puts every parameter back to its default and the anchors back to the
    /// Init sound's (for loading a preset as a whole sound).
    pub fn reset_to_defaults(&self, sample_rate: f32) {
        for (_, ptr, _) in self.param_map() {
            // SAFETY: as above.
            let default = unsafe { ptr.default_normalized_value() };
            self.set_normalized(&ptr, default, sample_rate);
        }
        self.set_anchors(Anchors::default());
    }

    /// Snaps every smoother to its parameter's current value (used before an offline render).
    pub fn reset_smoothers(&self, sample_rate: f32) {
        for (_, ptr, _) in self.param_map() {
            // SAFETY: as above.
            unsafe { ptr._internal_update_smoother(sample_rate, true) };
        }
    }

    /// Current value of every parameter as `(id, display text)`.
    pub fn describe(&self) -> Vec<(String, String)> {
        self.param_map()
            .into_iter()
            // SAFETY: as above.
            .map(|(id, ptr, _)| unsafe {
                let text = ptr.normalized_value_to_string(ptr.unmodulated_normalized_value(), true);
                (id, text)
            })
            .collect()
    }
}

/// Each of `knobs` plus the matrix's offset in `offsets`, clamped to
/// `-1..=1` (non-finite values read as 0).
fn modulated<const N: usize>(knobs: [&FloatParam; N], offsets: &[AtomicF32; N]) -> [f32; N] {
    std::array::from_fn(|i| {
        let v = knobs[i].value() + offsets[i].load(Ordering::Relaxed);
        if v.is_finite() {
            v.clamp(-1.0, 1.0)
        } else {
            0.0
        }
    })
}

/// Stores each of `values` (non-finite as 0) in its slot where it differs.
fn store_changed(slots: &[AtomicF32], values: &[f32]) {
    for (slot, &v) in slots.iter().zip(values) {
        let v = if v.is_finite() { v } else { 0.0 };
        if slot.load(Ordering::Relaxed) != v {
            slot.store(v, Ordering::Relaxed);
        }
    }
}
