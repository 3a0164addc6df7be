//! Undo and redo of the sound (every parameter and the anchors), one step per
//! gesture: a knob drag, a menu pick, a typed value, a preset load. Changes
//! the host makes on its own (automation, a state load) are not steps: the
//! history takes them as the new starting point.

use crate::access::{ParamAccess, Sound};
use nice_plug::prelude::Params;
use nwt_engine::SynthParams;

/// Steps kept.
const LIMIT: usize = 100;

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
}

impl History {
    /// Looks at the sound once a frame. `gesture` is true while the user is
    /// in the middle of one (a button held down): nothing is recorded until it
    /// ends. `by_user` is true when the user did something this frame; a
    /// change without it came from the host and is not a step.
    pub fn track(&mut self, params: &SynthParams, gesture: bool, by_user: bool) {
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
        self.settled = Some(Sound::capture(params));
        self.redo.push(step);
        true
    }

    /// Goes forward one undone step; false when there is none.
    pub fn redo(&mut self, params: &SynthParams, access: &dyn ParamAccess) -> bool {
        let Some(step) = self.redo.pop() else {
            return false;
        };
        apply_change(&step.before, &step.after, params, access);
        self.settled = Some(Sound::capture(params));
        self.undo.push(step);
        true
    }
}

/// Sets every parameter that differs between `from` and `to` to its value in
/// `to` (each one host gesture, so the host records it), and the anchors if
/// they differ.
fn apply_change(from: &Sound, to: &Sound, params: &SynthParams, access: &dyn ParamAccess) {
    for (id, ptr, _) in params.param_map() {
        let (Some(&want), Some(&was)) = (to.values.get(&id), from.values.get(&id)) else {
            continue;
        };
        if want.to_bits() != was.to_bits() {
            // SAFETY: the pointers come from `params`, alive for this call.
            let normalized = unsafe { ptr.preview_normalized(want) };
            access.begin(ptr);
            access.set(ptr, normalized);
            access.end(ptr);
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
