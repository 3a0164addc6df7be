//! [`ParamRef`]: a parameter borrowed from the `Params` that own it, with
//! safe methods. nice-plug hands out type-erased parameters as raw
//! [`ParamPtr`]s whose every method is `unsafe` (the pointer must still
//! point at a live parameter); the editor's widgets take a `ParamRef`
//! instead, whose lifetime is that of the borrow it came from, so the
//! pointer cannot outlive its parameter and the widgets need no `unsafe`.

use super::SynthParams;
use nice_plug::prelude::{Param, ParamPtr, Params};
use std::marker::PhantomData;

/// A parameter borrowed for `'a` (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamRef<'a> {
    ptr: ParamPtr,
    _borrow: PhantomData<&'a ()>,
}

// Every method below dereferences `ptr`, which points at a parameter that
// lives at least as long as `'a`: `new` takes it from a borrow of the
// parameter itself, `SynthParams::param_refs` from a borrow of the params
// that hold it, and `from_ptr` makes its caller promise as much.
impl<'a> ParamRef<'a> {
    /// The parameter `param`, for as long as it is borrowed.
    pub fn new<P: Param>(param: &'a P) -> Self {
        Self {
            ptr: param.as_ptr(),
            _borrow: PhantomData,
        }
    }

    /// A parameter known by its raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point at a parameter that lives at least as long as `'a`.
    pub unsafe fn from_ptr(ptr: ParamPtr) -> Self {
        Self {
            ptr,
            _borrow: PhantomData,
        }
    }

    /// The raw pointer (for host calls and as a key).
    pub fn ptr(self) -> ParamPtr {
        self.ptr
    }

    /// The parameter's name.
    pub fn name(self) -> String {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.name() }.to_string()
    }

    /// The unit shown after its value (" Hz", " %", …).
    pub fn unit(self) -> String {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.unit() }.to_string()
    }

    /// Its value as set (before host modulation), normalised.
    pub fn normalized(self) -> f32 {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.unmodulated_normalized_value() }
    }

    /// Its value with host modulation, normalised.
    pub fn modulated_normalized(self) -> f32 {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.modulated_normalized_value() }
    }

    /// Its default, normalised.
    pub fn default_normalized(self) -> f32 {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.default_normalized_value() }
    }

    /// Steps for a stepped parameter (`None`: continuous).
    pub fn step_count(self) -> Option<usize> {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.step_count() }
    }

    /// The text for normalised value `normalized`, with the unit if `units`.
    pub fn text(self, normalized: f32, units: bool) -> String {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.normalized_value_to_string(normalized, units) }
    }

    /// The normalised value `text` stands for, if it reads.
    pub fn parse(self, text: &str) -> Option<f32> {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.string_to_normalized_value(text) }
    }

    /// Plain value `plain` normalised (clamped and snapped as the parameter does).
    pub fn normalize(self, plain: f32) -> f32 {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.preview_normalized(plain) }
    }

    /// Normalised value `normalized` as a plain one.
    pub fn plain(self, normalized: f32) -> f32 {
        // SAFETY: see the comment on this `impl`.
        unsafe { self.ptr.preview_plain(normalized) }
    }

    /// Sets it directly, telling no host (tests and offline use only: a
    /// plugin's editor goes through the host).
    pub fn set_directly(self, normalized: f32) {
        // SAFETY: see the comment on this `impl`.
        unsafe {
            self.ptr._internal_set_normalized_value(normalized);
        }
    }
}

impl SynthParams {
    /// Every parameter as (id, [`ParamRef`], group), borrowed from `self`.
    pub fn param_refs(&self) -> Vec<(String, ParamRef<'_>, String)> {
        self.param_map()
            .into_iter()
            // SAFETY: `param_map` points into `self`, borrowed for the refs' lifetime.
            .map(|(id, ptr, group)| (id, unsafe { ParamRef::from_ptr(ptr) }, group))
            .collect()
    }
}
