//! The modulation section: the matrix's eight slots, four at a time (the
//! "1–4" and "5–8" buttons), each a source, a destination and an amount, and
//! the MPE switch with its bend range. Compact rows of fixed-width controls,
//! so the section fits beside the anchors.

use crate::access::ParamAccess;
use crate::knob::{menu_items, set_gesture};
use crate::theme;
use egui::{RichText, Ui};
use nwt_engine::params::ParamRef;
use nwt_engine::SynthParams;

/// Widths of the source and destination menus.
const SOURCE_WIDTH: f32 = 124.0;
const DESTINATION_WIDTH: f32 = 92.0;
/// Width of the amount field.
const AMOUNT_WIDTH: f32 = 56.0;

/// Draws the slots, one row each, then the MPE row.
pub fn modulation_section(ui: &mut Ui, params: &SynthParams, access: &dyn ParamAccess) {
    theme::with_view_state(ui, "modulation-page", 0usize, |ui, page| {
        slots(ui, params, access, page)
    });
}

/// The header, the four slots of `page` (0: slots 1–4, 1: 5–8; the header's
/// buttons switch it) and the MPE row.
fn slots(ui: &mut Ui, params: &SynthParams, access: &dyn ParamAccess, page: &mut usize) {
    ui.horizontal(|ui| {
        let head = |ui: &mut Ui, text: &str, width: f32| {
            ui.add_sized(
                [width, 14.0],
                egui::Label::new(RichText::new(text).size(11.0).color(theme::TEXT_DIM)),
            );
        };
        head(ui, "Source", SOURCE_WIDTH + 8.0);
        head(ui, "Destination", DESTINATION_WIDTH + 8.0);
        head(ui, "Amount", AMOUNT_WIDTH);
        theme::pick(
            ui,
            page,
            &[(0, "1-4"), (1, "5-8")],
            [28.0, 14.0],
            10.0,
            |label| format!("Show slots {label}"),
        );
    });
    for slot in params.modulation.iter().skip(4 * *page).take(4) {
        ui.horizontal(|ui| {
            menu(ui, ParamRef::new(&slot.source), access, SOURCE_WIDTH);
            menu(
                ui,
                ParamRef::new(&slot.destination),
                access,
                DESTINATION_WIDTH,
            );
            field(ui, ParamRef::new(&slot.amount), access, 100.0, " %");
        });
    }
    ui.add_space(2.0);
    ui.horizontal(|ui| {
        let mpe = ParamRef::new(&params.mpe);
        let mut on = params.mpe.value();
        if ui
            .checkbox(&mut on, "MPE")
            .on_hover_text(
                "MIDI Polyphonic Expression: channel 1 is the master channel; channels 2-16 \
                 carry one note each, with its own bend, pressure and CC 74",
            )
            .changed()
        {
            set_gesture(access, mpe, if on { 1.0 } else { 0.0 });
        }
        ui.label(RichText::new("bend").size(11.0).color(theme::TEXT_DIM));
        field(
            ui,
            ParamRef::new(&params.mpe_bend_range),
            access,
            1.0,
            " st",
        );
    });
}

/// A drop-down of a stepped parameter's values, without a label (the row's
/// head names it); the full name shows on hover.
fn menu(ui: &mut Ui, param: ParamRef<'_>, access: &dyn ParamAccess, width: f32) {
    let (name, text) = (param.name(), param.text(param.normalized(), false));
    let mut picked = None;
    let response = theme::fixed(ui, egui::vec2(width + 22.0, 22.0), |ui| {
        egui::ComboBox::from_id_salt(("menu", &name))
            .width(width + 22.0)
            // Tall enough for every source (13) and destination without scrolling.
            .height(560.0)
            .truncate()
            .selected_text(text)
            .show_ui(ui, |ui| picked = menu_items(ui, param, false))
            .response
    })
    .on_hover_text(&name);
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, ui.is_enabled(), &name));
    if let Some(v) = picked {
        set_gesture(access, param, v);
    }
}

/// A number field for `param` showing its plain value times `scale` with
/// `suffix`: drag it sideways or click and type; a drag is one host gesture.
fn field(ui: &mut Ui, param: ParamRef<'_>, access: &dyn ParamAccess, scale: f32, suffix: &str) {
    let (name, plain, min, max) = (
        param.name(),
        param.plain(param.normalized()),
        param.plain(0.0),
        param.plain(1.0),
    );
    let mut shown = plain * scale;
    let response = ui
        .add_sized(
            [AMOUNT_WIDTH, 20.0],
            egui::DragValue::new(&mut shown)
                .range(min * scale..=max * scale)
                .speed(0.5)
                .max_decimals(0)
                .suffix(suffix),
        )
        .on_hover_text(format!("{name}: drag sideways or click to type"));
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::drag_value(ui.is_enabled(), f64::from(shown));
        info.label = Some(name.clone());
        info
    });
    if response.drag_started() {
        access.begin(param);
    }
    if response.changed() {
        let normalized = param.normalize(shown / scale);
        if !response.dragged() {
            access.begin(param);
        }
        access.set(param, normalized);
        if !response.dragged() {
            access.end(param);
        }
    }
    if response.drag_stopped() {
        access.end(param);
    }
}
