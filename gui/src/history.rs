//! Undo and redo of the sound (every parameter and the anchors), one step per
//! gesture: a knob drag, a menu pick, a typed value, a preset load. Changes
//! the host makes on its own (automation, a state load) are not steps: the
//! history takes them as the new starting point.

use crate::access::{ParamAccess, Sound};
use nwt_engine::SynthParams;

/// Steps kept.
const LIMIT: usize = 100;

/// Frames an undo or redo waits for the host to apply its values before the
/// history looks at the sound again (a host applies the editor's changes a
/// frame or so later; half a second at 60 frames a second).
const LANDING_FRAMES: u32 = 30;

/// One step: the sound before and after it. Undo puts back what the step
/// changed and nothing else, so the host's own changes since then stay.
#[derive(Debug, Clone)]
struct Step {
    before: Sound,
    after: Sound,
}

/// The undo and redo stacks.
#[derive(Debug, Default)]
pub struct History {
    undo: Vec<Step>,
    redo: Vec<Step>,
    /// The sound after the last step (what a new change is compared with).
    settled: Option<Sound>,
    /// After an undo or redo: the sound it asked for, and the frames left to
    /// wait for the host to apply it. Until it lands, the change is the
    /// undo's own, never a new step.
    landing: Option<(Sound, u32)>,
}

impl History {
    /// Looks at the sound once a frame. `gesture` is true while the user is
    /// in the middle of one (a button held down): nothing is recorded until it
    /// ends. `by_user` is true when the user did something this frame; a
    /// change without it came from the host and is not a step.
    pub fn track(&mut self, params: &SynthParams, gesture: bool, by_user: bool) {
        if let Some((wanted, frames_left)) = &mut self.landing {
            if wanted.differs_from(params) && *frames_left > 0 {
                *frames_left -= 1;
                return;
            }
            self.landing = None;
            self.settled = Some(Sound::capture(params));
            return;
        }
        let Some(settled) = &self.settled else {
            self.settled = Some(Sound::capture(params));
            return;
        };
        if gesture || !settled.differs_from(params) {
            return;
        }
        let now = Sound::capture(params);
        let before = self.settled.replace(now.clone()).expect("checked above");
        if by_user {
            self.undo.push(Step { before, after: now });
            if self.undo.len() > LIMIT {
                self.undo.remove(0);
            }
            self.redo.clear();
        }
    }

    /// Steps that can be undone.
    pub fn undo_steps(&self) -> usize {
        self.undo.len()
    }

    /// Steps that can be redone.
    pub fn redo_steps(&self) -> usize {
        self.redo.len()
    }

    /// Goes back one step; false when there is none.
    pub fn undo(&mut self, params: &SynthParams, access: &dyn ParamAccess) -> bool {
        let Some(step) = self.undo.pop() else {
            return false;
        };
        apply_change(&step.after, &step.before, params, access);
        self.expect(params, &step.after, &step.before);
        self.redo.push(step);
        true
    }

    /// Goes forward one undone step; false when there is none.
    pub fn redo(&mut self, params: &SynthParams, access: &dyn ParamAccess) -> bool {
        let Some(step) = self.redo.pop() else {
            return false;
        };
        apply_change(&step.before, &step.after, params, access);
        self.expect(params, &step.before, &step.after);
        self.undo.push(step);
        true
    }

    /// After applying the change from `from` to `to`: waits for the sound it
    /// asked for (the sound now, or the one still landing from an earlier
    /// undo, with the values the change sets) before looking again.
    fn expect(&mut self, params: &SynthParams, from: &Sound, to: &Sound) {
        let mut wanted = match self.landing.take() {
            Some((wanted, _)) => wanted,
            None => Sound::capture(params),
        };
        for (id, want) in &to.values {
            if from.values.get(id).map(|v| v.to_bits()) != Some(want.to_bits()) {
                wanted.values.insert(id.clone(), *want);
            }
        }
        if to.anchors != from.anchors {
            wanted.anchors = Some(params.anchors_snapshot());
        }
        self.settled = Some(wanted.clone());
        self.landing = Some((wanted, LANDING_FRAMES));
    }
}

/// Sets every parameter that differs between `from` and `to` to its value in
/// `to` (each one host gesture, so the host records it), and the anchors if
/// they differ.
fn apply_change(from: &Sound, to: &Sound, params: &SynthParams, access: &dyn ParamAccess) {
    for (id, param, _) in params.param_refs() {
        let (Some(&want), Some(&was)) = (to.values.get(&id), from.values.get(&id)) else {
            continue;
        };
        if want.to_bits() != was.to_bits() {
            let normalized = param.normalize(want);
            access.begin(param);
            access.set(param, normalized);
            access.end(param);
        }
    }
    if to.anchors != from.anchors {
        params.set_anchors(to.anchors.clone().unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::DirectAccess;
    use nice_plug::prelude::ParamPtr;
    use nwt_engine::params::ParamRef;
    use std::sync::Mutex;

    /// A host that applies the editor's changes a frame later, as a plugin
    /// host does (`flush` is the next frame).
    #[derive(Default)]
    struct FrameLateAccess {
        queued: Mutex<Vec<(ParamPtr, f32)>>,
    }

    impl ParamAccess for FrameLateAccess {
        fn begin(&self, _param: ParamRef<'_>) {}
        fn set(&self, param: ParamRef<'_>, normalized: f32) {
            self.queued.lock().unwrap().push((param.ptr(), normalized));
        }
        fn end(&self, _param: ParamRef<'_>) {}
    }

    impl FrameLateAccess {
        /// Applies the queued changes to the parameters of `params` they name.
        fn flush(&self, params: &SynthParams) {
            let refs = params.param_refs();
            for (ptr, v) in self.queued.lock().unwrap().drain(..) {
                if let Some((_, param, _)) = refs.iter().find(|(_, p, _)| p.ptr() == ptr) {
                    param.set_directly(v);
                }
            }
        }
    }

    /// One editor frame: the host applies last frame's changes, then the
    /// history looks (`by_user`: a key or the mouse did something).
    fn frame(h: &mut History, params: &SynthParams, access: &FrameLateAccess, by_user: bool) {
        access.flush(params);
        h.track(params, false, by_user);
    }

    #[test]
    fn undo_steps_back_through_edits_a_host_applies_a_frame_late() {
        let params = SynthParams::default();
        let access = FrameLateAccess::default();
        let mut h = History::default();
        frame(&mut h, &params, &access, false);
        // Two drags, each applied by the host a frame after the editor set it.
        for (id, v) in [("resonance", "0.6"), ("key_track", "0.4")] {
            let refs = params.param_refs();
            let param = refs.iter().find(|(i, ..)| i == id).unwrap().1;
            let plain: f32 = v.parse().unwrap();
            access.set(param, param.normalize(plain));
            // The frame the editor set it in looks before the host applied it.
            h.track(&params, false, true);
            frame(&mut h, &params, &access, true);
            frame(&mut h, &params, &access, true);
        }
        assert_eq!(h.undo_steps(), 2);
        // Ctrl+Z twice, a few frames apart, each frame a user frame.
        for _ in 0..2 {
            assert!(h.undo(&params, &access));
            h.track(&params, false, true);
            for _ in 0..3 {
                frame(&mut h, &params, &access, true);
            }
        }
        assert_eq!(params.resonance.value(), 0.0, "both drags undone");
        assert_eq!(params.key_track.value(), 0.0);
        assert_eq!((h.undo_steps(), h.redo_steps()), (0, 2));
        // Ctrl+Shift+Z twice brings both back.
        for _ in 0..2 {
            assert!(h.redo(&params, &access));
            h.track(&params, false, true);
            for _ in 0..3 {
                frame(&mut h, &params, &access, true);
            }
        }
        assert!((params.resonance.value() - 0.6).abs() < 1e-4);
        assert!((params.key_track.value() - 0.4).abs() < 1e-4);
        assert_eq!((h.undo_steps(), h.redo_steps()), (2, 0));
        // Two undos in the same frame, before the host applied the first.
        assert!(h.undo(&params, &access));
        assert!(h.undo(&params, &access));
        h.track(&params, false, true);
        frame(&mut h, &params, &access, true);
        frame(&mut h, &params, &access, true);
        assert_eq!(params.resonance.value(), 0.0);
        assert_eq!(params.key_track.value(), 0.0);
        assert_eq!(h.redo_steps(), 2);
    }

    #[test]
    fn a_gesture_is_one_step_and_host_changes_are_none() {
        let params = SynthParams::default();
        let access = DirectAccess;
        let mut h = History::default();
        h.track(&params, false, false);
        // A drag through many values is one step, recorded when it ends.
        for v in ["0.1", "0.2", "0.3"] {
            params.set_by_id("resonance", v, 48_000.0).unwrap();
            h.track(&params, true, true);
        }
        h.track(&params, false, true);
        assert_eq!(h.undo_steps(), 1);
        // The host automates the cutoff: not a step.
        params.set_by_id("cutoff", "500", 48_000.0).unwrap();
        h.track(&params, false, false);
        assert_eq!(h.undo_steps(), 1);
        assert!(h.undo(&params, &access));
        assert_eq!(params.resonance.value(), 0.0);
        assert!(
            (params.cutoff.value() - 500.0).abs() < 0.01,
            "the host's change stays"
        );
        assert!(h.redo(&params, &access));
        assert!((params.resonance.value() - 0.3).abs() < 1e-6);
        assert!(!h.redo(&params, &access));
    }
}
