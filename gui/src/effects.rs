//! The effects page: drive, chorus, delay and reverb, each a section with
//! its on switch first, in the order the sound passes them. It takes the
//! place of the voice sections (oscillator, envelopes, filter, LFO) when the
//! "Effects" tab above them is chosen.

use crate::access::ParamAccess;
use crate::knob::{choice, knob};
use crate::theme;
use egui::Ui;
use nice_plug::prelude::Param;
use nwt_engine::params::EffectsParams;
use nwt_engine::params::ParamRef;

/// Knob diameter, as in the voice sections.
const KNOB: f32 = 32.0;

fn ptr<P: Param>(p: &P) -> ParamRef<'_> {
    ParamRef::new(p)
}

/// A switch with a short label, lowered to sit level with the knobs' names.
fn switch(ui: &mut Ui, param: ParamRef<'_>, access: &dyn ParamAccess, label: &str) {
    ui.vertical(|ui| {
        ui.add_space(14.0);
        crate::knob::switch(ui, param, access, label);
    });
}

/// Draws the four effects in two rows.
pub fn effects_sections(ui: &mut Ui, fx: &EffectsParams, a: &dyn ParamAccess) {
    ui.horizontal_top(|ui| {
        theme::section(ui, "Drive", |ui| {
            ui.horizontal(|ui| {
                switch(ui, ptr(&fx.drive_on), a, "On");
                choice(ui, ptr(&fx.drive_mode), a, 76.0);
                knob(ui, ptr(&fx.drive_amount), a, KNOB);
                knob(ui, ptr(&fx.drive_tone), a, KNOB);
                knob(ui, ptr(&fx.drive_mix), a, KNOB);
            });
        });
        theme::section(ui, "Chorus", |ui| {
            ui.horizontal(|ui| {
                switch(ui, ptr(&fx.chorus_on), a, "On");
                knob(ui, ptr(&fx.chorus_rate), a, KNOB);
                knob(ui, ptr(&fx.chorus_depth), a, KNOB);
                knob(ui, ptr(&fx.chorus_delay), a, KNOB);
                knob(ui, ptr(&fx.chorus_voices), a, KNOB);
                knob(ui, ptr(&fx.chorus_mix), a, KNOB);
            });
        });
    });
    ui.horizontal_top(|ui| {
        theme::section(ui, "Delay", |ui| {
            ui.horizontal(|ui| {
                switch(ui, ptr(&fx.delay_on), a, "On");
                choice(ui, ptr(&fx.delay_mode), a, 70.0);
                switch(ui, ptr(&fx.delay_sync), a, "Sync");
                knob(ui, ptr(&fx.delay_time), a, KNOB);
                choice(ui, ptr(&fx.delay_division), a, 52.0);
                knob(ui, ptr(&fx.delay_feedback), a, KNOB);
                knob(ui, ptr(&fx.delay_tone), a, KNOB);
                knob(ui, ptr(&fx.delay_mix), a, KNOB);
            });
        });
        theme::section(ui, "Reverb", |ui| {
            ui.horizontal(|ui| {
                switch(ui, ptr(&fx.reverb_on), a, "On");
                knob(ui, ptr(&fx.reverb_size), a, KNOB);
                knob(ui, ptr(&fx.reverb_decay), a, KNOB);
                knob(ui, ptr(&fx.reverb_damping), a, KNOB);
                knob(ui, ptr(&fx.reverb_predelay), a, KNOB);
                knob(ui, ptr(&fx.reverb_width), a, KNOB);
                knob(ui, ptr(&fx.reverb_mix), a, KNOB);
            });
        });
    });
}

/// How many of the four effects are on (for the tab's label).
pub fn effects_on(fx: &EffectsParams) -> usize {
    [&fx.drive_on, &fx.chorus_on, &fx.delay_on, &fx.reverb_on]
        .iter()
        .filter(|p| p.value())
        .count()
}
