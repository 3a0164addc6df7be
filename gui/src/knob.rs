//! Parameter controls: a rotary knob (drag, Shift-drag for fine steps,
//! double-click for the default, click the value to type one, tooltip) and a drop-down for stepped parameters.

use crate::access::ParamAccess;
use crate::theme;
use egui::Role;
use egui::{
    pos2, vec2, Align2, Color32, FontId, Id, Response, Sense, Shape, Stroke, Ui, WidgetInfo,
};
use nice_plug::prelude::ParamPtr;
use nwt_engine::params::ParamRef;
use std::f32::consts::PI;

/// Normalised change per pixel of drag.
const DRAG_SPEED: f32 = 0.005;
/// Normalised change per pixel of drag with Shift (or Ctrl/Cmd) held.
const FINE_DRAG_SPEED: f32 = 0.0005;
/// The knob's sweep in radians (from 7 to 5 o'clock).
const SWEEP: f32 = 1.5 * PI;

/// The accessible label of a knob's typed-entry field, for `name`.
pub fn value_label(name: &str) -> String {
    format!("{name} value")
}

/// The name shown above a knob: the section's title already says "Amp",
/// "Filter" or "LFO", so a knob drops it ("Filter Decay" shows "Decay",
/// "LFO > Cutoff" shows "To Cutoff").
pub fn short_name(name: &str) -> String {
    // "Mod 2 Source": the row already says which slot.
    if let Some(rest) = name.strip_prefix("Mod ") {
        if let Some((slot, what)) = rest.split_once(' ') {
            if slot.chars().all(|c| c.is_ascii_digit()) {
                return what.to_string();
            }
        }
    }
    // The sub and noise page reads left to right: Sub, its shape and
    // octave, then Noise and its colour.
    match name {
        "Sub Level" => return "Sub".into(),
        "Sub Octave" => return "Octave".into(),
        "Noise Level" => return "Noise".into(),
        "Noise Color" => return "Color".into(),
        _ => {}
    }
    for prefix in [
        "Amp ", "Filter ", "Mod Env ", "LFO 2 ", "LFO ", "Drive ", "Chorus ", "Delay ", "Reverb ",
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return match rest.strip_prefix("> ") {
                Some(target) => format!("To {target}"),
                None => rest.to_string(),
            };
        }
    }
    name.to_string()
}

/// Reads a parameter's name, normalised value, default and display text.
fn read(param: ParamRef<'_>) -> (String, f32, f32, String) {
    let v = param.normalized();
    (
        param.name(),
        v,
        param.default_normalized(),
        param.text(v, true),
    )
}

/// The values of a stepped parameter as a drop-down's items, the current
/// one selected (with units when `units`); returns the one clicked.
pub(crate) fn menu_items(ui: &mut Ui, param: ParamRef<'_>, units: bool) -> Option<f32> {
    let (value, steps) = (param.normalized(), param.step_count().unwrap_or(1).max(1));
    let mut picked = None;
    for i in 0..=steps {
        let v = i as f32 / steps as f32;
        let label = param.text(v, units);
        if is_free_enum_code(param, &label, v) {
            continue;
        }
        if ui
            .selectable_label((v - value).abs() < 0.5 / steps as f32, label)
            .clicked()
        {
            picked = Some(v);
        }
    }
    picked
}

/// Whether step `v` of an enum parameter is a free code (room kept for
/// variants to come, see `nwt_engine::stable_enum`): its text names a
/// variant whose own step is another, so the menu lists that variant once.
fn is_free_enum_code(param: ParamRef<'_>, label: &str, v: f32) -> bool {
    if !matches!(param.ptr(), ParamPtr::EnumParam(_)) {
        return false;
    }
    let own = param.parse(label);
    own.is_some_and(|own| (own - v).abs() > 1e-6)
}

/// Sets `param` to `normalized` as one host gesture.
pub(crate) fn set_gesture(access: &dyn ParamAccess, param: ParamRef<'_>, normalized: f32) {
    access.begin(param);
    access.set(param, normalized.clamp(0.0, 1.0));
    access.end(param);
}

/// How long a refused typed value's reason shows.
const REFUSED_TIME: std::time::Duration = std::time::Duration::from_secs(4);
/// Scroll distance of one wheel notch when the system reports points.
const WHEEL_NOTCH: f32 = 40.0;

/// The normalised value typed `text` stands for: the parameter's own text
/// (a menu's choice) or a number with a unit (see [`crate::typed`]).
fn typed_value(param: ParamRef<'_>, text: &str) -> Result<f32, String> {
    if param.step_count().is_none() {
        let unit = param.unit();
        match crate::typed::parse_typed(text, &unit) {
            Ok(plain) => return Ok(param.normalize(plain)),
            Err(why) => {
                return param.parse(text.trim()).ok_or(why);
            }
        }
    }
    param
        .parse(text.trim())
        .ok_or_else(|| format!("\"{}\" is not one of its values", text.trim()))
}

/// Height of a drop-down with its name above: a knob's height, so the two
/// line up in a row.
const CHOICE_HEIGHT: f32 = 66.0;

/// A knob for `param`, `diameter` points wide, with its name above and its
/// value below. Returns the knob's response (changed when the value moved).
pub fn knob(ui: &mut Ui, param: ParamRef<'_>, access: &dyn ParamAccess, diameter: f32) -> Response {
    let (name, value, default, text) = read(param);
    let id = Id::unique(("knob", &name));
    let width = (diameter + 18.0).max(52.0);
    let row = 14.0;
    let (rect, _) = ui.allocate_exact_size(vec2(width, diameter + 2.0 * row + 6.0), Sense::hover());
    let knob_rect = egui::Rect::from_center_size(
        pos2(rect.center().x, rect.top() + row + 2.0 + diameter / 2.0),
        vec2(diameter, diameter),
    );
    let value_rect =
        egui::Rect::from_min_max(pos2(rect.left(), knob_rect.bottom() + 2.0), rect.max);

    let mut response = ui.interact(knob_rect, id, Sense::click_and_drag());
    let new_value = drag(ui, &response, id, param, access, (value, default));
    if new_value.is_some() {
        response.mark_changed();
    }
    let shown = new_value.unwrap_or(value);
    let active = response.hovered() || response.dragged();
    paint(ui, (rect, knob_rect), &name, (default, shown), active);
    if value_field(ui, value_rect, id, param, access, (&name, &text, shown)) {
        response.mark_changed();
    }
    show_refusal(ui, id, value_rect, &name);
    if response.hovered() && wheel(ui, param, access, value) {
        response.mark_changed();
    }

    response.widget_info(|| WidgetInfo::slider(true, f64::from(shown), &name));
    response.on_hover_text(format!(
        "{name}: {text}\nDrag up or right to raise · Shift-drag for fine steps · \
         the wheel moves it 1 % a notch · double-click for the default · click the value to type it (units: 2k, 2 kHz, 1.5 s, 50 %)"
    ))
}

/// A drag (fine with Shift or Ctrl) or a double-click (the default) on the
/// knob: the value it set, if any.
fn drag(
    ui: &Ui,
    response: &Response,
    id: Id,
    param: ParamRef<'_>,
    access: &dyn ParamAccess,
    (value, default): (f32, f32),
) -> Option<f32> {
    let mut new_value = None;
    if response.drag_started() {
        access.begin(param);
        // (unclamped value, drag distance already applied)
        ui.data_mut(|d| d.insert_temp(id, (value, egui::Vec2::ZERO)));
    }
    if response.dragged() {
        // The total distance since the press, so the movement before egui
        // recognises a drag counts too; the speed applies to each new part,
        // so pressing Shift mid-drag slows the knob down without a jump.
        let fine = ui.input(|i| i.modifiers.shift || i.modifiers.command);
        let speed = if fine { FINE_DRAG_SPEED } else { DRAG_SPEED };
        let total = response.total_drag_delta().unwrap_or_default();
        let (start, applied) = ui
            .data(|d| d.get_temp::<(f32, egui::Vec2)>(id))
            .unwrap_or((value, total));
        let delta = total - applied;
        let v = (start + (delta.x - delta.y) * speed).clamp(0.0, 1.0);
        ui.data_mut(|d| d.insert_temp(id, (v, total)));
        access.set(param, v);
        new_value = Some(v);
    }
    if response.drag_stopped() {
        access.end(param);
    }
    if response.double_clicked() {
        set_gesture(access, param, default);
        new_value = Some(default);
    }
    new_value
}

/// Draws the knob: its name, track, value arc, the modulation's sweep and
/// the pointer.
fn paint(
    ui: &Ui,
    (rect, knob_rect): (egui::Rect, egui::Rect),
    name: &str,
    (default, shown): (f32, f32),
    active: bool,
) {
    let diameter = knob_rect.width();
    let painter = ui.painter();
    painter.text(
        pos2(rect.center().x, rect.top() + 1.0),
        Align2::CENTER_TOP,
        short_name(name),
        FontId::proportional(11.0),
        theme::TEXT_DIM,
    );
    let centre = knob_rect.center();
    let radius = diameter / 2.0;
    let start_angle = 0.75 * PI;
    let arc_at = |from: f32, to: f32, r: f32| -> Vec<egui::Pos2> {
        let steps = 32;
        (0..=steps)
            .map(|i| {
                let a = start_angle + SWEEP * (from + (to - from) * i as f32 / steps as f32);
                centre + vec2(a.cos(), a.sin()) * r
            })
            .collect()
    };
    let arc = |from: f32, to: f32| arc_at(from, to, radius - 3.0);
    painter.circle_filled(centre, radius - 5.0, theme::KNOB_BODY);
    painter.add(Shape::line(arc(0.0, 1.0), Stroke::new(4.0, theme::TRACK)));
    let bipolar = (default - 0.5).abs() < 1e-6;
    let from = if bipolar { 0.5 } else { 0.0 };
    let colour = if active {
        theme::ACCENT_HOT
    } else {
        theme::ACCENT
    };
    if (shown - from).abs() > 1e-4 {
        painter.add(Shape::line(
            arc(from.min(shown), from.max(shown)),
            Stroke::new(4.0, colour),
        ));
    }
    // What the modulation matrix sweeps, just outside the knob's own track.
    if let Some((lo, hi)) = crate::mod_arcs::range_of(ui.ctx(), name) {
        let (from, to) = ((shown + lo).clamp(0.0, 1.0), (shown + hi).clamp(0.0, 1.0));
        if to - from > 1e-3 {
            painter.add(Shape::line(
                arc_at(from, to, radius + 1.5),
                Stroke::new(2.0, theme::WARM),
            ));
        }
    }
    let a = start_angle + SWEEP * shown;
    painter.line_segment(
        [
            centre + vec2(a.cos(), a.sin()) * (radius * 0.25),
            centre + vec2(a.cos(), a.sin()) * (radius - 6.0),
        ],
        Stroke::new(2.0, Color32::WHITE),
    );
}

/// The value under the knob, or the field a click on it opens to type
/// one. True when a typed value was set.
fn value_field(
    ui: &mut Ui,
    value_rect: egui::Rect,
    id: Id,
    param: ParamRef<'_>,
    access: &dyn ParamAccess,
    (name, text, shown): (&str, &str, f32),
) -> bool {
    let mut changed = false;
    let edit_id = id.with("edit");
    let editing: Option<String> = ui.data(|d| d.get_temp(edit_id));
    let label = value_label(name);
    match editing {
        Some(mut buffer) => {
            let field = ui.put(
                value_rect,
                egui::TextEdit::singleline(&mut buffer)
                    .hint_text(text)
                    .font(FontId::proportional(11.0))
                    .align(Align2::CENTER_CENTER),
            );
            field.widget_info(|| WidgetInfo::labeled(Role::TextInput, true, &label));
            if !field.has_focus() && !field.lost_focus() {
                field.request_focus();
            }
            let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
            let escape = ui.input(|i| i.key_pressed(egui::Key::Escape));
            if escape {
                ui.data_mut(|d| d.remove::<String>(edit_id));
            } else if field.lost_focus() || enter {
                match typed_value(param, &buffer) {
                    Ok(v) => {
                        set_gesture(access, param, v);
                        changed = true;
                    }
                    Err(why) => ui.data_mut(|d| {
                        d.insert_temp(id.with("refused"), (why, std::time::Instant::now()));
                    }),
                }
                ui.data_mut(|d| d.remove::<String>(edit_id));
            } else {
                ui.data_mut(|d| d.insert_temp(edit_id, buffer));
            }
        }
        None => {
            let value_response = ui.interact(value_rect, id.with("value"), Sense::click());
            value_response.widget_info(|| WidgetInfo::labeled(Role::Button, true, &label));
            let hovered = value_response.hovered();
            ui.painter().text(
                value_rect.center_top() + vec2(0.0, 1.0),
                Align2::CENTER_TOP,
                param.text(shown, true),
                FontId::proportional(11.0),
                if hovered { Color32::WHITE } else { theme::TEXT },
            );
            if value_response.clicked() {
                // An empty field showing the current value as a hint: typing replaces it.
                ui.data_mut(|d| d.insert_temp(edit_id, String::new()));
            }
            value_response.on_hover_text("Click to type a value");
        }
    }

    changed
}

/// Why the last typed text was refused, for a few seconds under the knob.
fn show_refusal(ui: &mut Ui, id: Id, value_rect: egui::Rect, name: &str) {
    let refused: Option<(String, std::time::Instant)> = ui.data(|d| d.get_temp(id.with("refused")));
    if let Some((why, at)) = refused {
        if at.elapsed() < REFUSED_TIME {
            let area = egui::Rect::from_center_size(
                value_rect.center_bottom() + vec2(0.0, 10.0),
                vec2(180.0, 16.0),
            );
            // A floating area above the panels: the refusal shows in place
            // and never widens the row it sits in (nothing moves).
            egui::Area::new(id.with("refused-area"))
                .order(egui::Order::Tooltip)
                .fixed_pos(area.min)
                .interactable(false)
                .show(ui.ctx(), |ui| {
                    ui.set_max_width(area.width());
                    ui.add(
                        egui::Label::new(
                            egui::RichText::new(format!("{name}: {why}"))
                                .size(10.0)
                                .color(theme::WARM),
                        )
                        .truncate(),
                    );
                });
            ui.ctx().request_repaint_after(REFUSED_TIME);
        } else {
            ui.data_mut(|d| d.remove::<(String, std::time::Instant)>(id.with("refused")));
        }
    }
}

/// The mouse wheel over the knob: 1 % a notch (0.1 % with Shift), one step
/// of a stepped parameter. True when it moved the value.
fn wheel(ui: &mut Ui, param: ParamRef<'_>, access: &dyn ParamAccess, value: f32) -> bool {
    let (notches, fine) = ui.input(|i| {
        let mut fine = i.modifiers.shift || i.modifiers.command;
        let mut notches = 0.0;
        for e in &i.events {
            if let egui::Event::MouseWheel {
                unit,
                delta,
                modifiers,
                ..
            } = e
            {
                fine |= modifiers.shift || modifiers.command;
                notches += match unit {
                    egui::MouseWheelUnit::Line => delta.y,
                    egui::MouseWheelUnit::Point => delta.y / WHEEL_NOTCH,
                    egui::MouseWheelUnit::Page => delta.y * 10.0,
                };
            }
        }
        (notches, fine)
    });
    if notches != 0.0 {
        // The page does not scroll under a knob.
        ui.input_mut(|i| i.smooth_scroll_delta = egui::Vec2::ZERO);
        let steps = param.step_count();
        let step = match steps {
            Some(n) => 1.0 / n.max(1) as f32,
            None if fine => 0.001,
            None => 0.01,
        };
        let notches = notches.signum() * notches.abs().round().max(1.0);
        let v = (value + notches * step).clamp(0.0, 1.0);
        set_gesture(access, param, v);
        return true;
    }
    false
}

/// A drop-down for a stepped parameter (an enum or a switch), with its name above.
pub fn choice(ui: &mut Ui, param: ParamRef<'_>, access: &dyn ParamAccess, width: f32) -> Response {
    let (name, _, _, text) = read(param);
    // A fixed slot: a longer value never pushes the next controls aside.
    let top = egui::Layout::top_down(egui::Align::Min);
    theme::fixed_in(ui, vec2(width + 26.0, CHOICE_HEIGHT), top, |ui| {
        ui.vertical(|ui| {
            ui.label(
                egui::RichText::new(short_name(&name))
                    .size(11.0)
                    .color(theme::TEXT_DIM),
            );
            let mut picked = None;
            let inner = egui::ComboBox::from_id_salt(("choice", &name))
                .width(width + 26.0)
                .truncate()
                .selected_text(text)
                .show_ui(ui, |ui| picked = menu_items(ui, param, true));
            if let Some(v) = picked {
                set_gesture(access, param, v);
            }
            inner
                .response
                .on_hover_text(format!("{name}: pick a value"))
        })
        .inner
    })
}

/// A toggle for a boolean parameter with a short `label` beside it (its
/// section names what it switches); the full name shows on hover.
pub fn switch(ui: &mut Ui, param: ParamRef<'_>, access: &dyn ParamAccess, label: &str) -> Response {
    let (name, value, _, _) = read(param);
    let mut on = value > 0.5;
    let response = ui.checkbox(&mut on, label).on_hover_text(&name);
    if response.changed() {
        set_gesture(access, param, if on { 1.0 } else { 0.0 });
    }
    response.widget_info(|| WidgetInfo::selected(Role::CheckBox, true, on, &name));
    response
}

/// A toggle for a boolean parameter.
pub fn toggle(ui: &mut Ui, param: ParamRef<'_>, access: &dyn ParamAccess) -> Response {
    let (name, value, _, _) = read(param);
    let mut on = value > 0.5;
    let response = ui.checkbox(&mut on, name.as_str());
    if response.changed() {
        set_gesture(access, param, if on { 1.0 } else { 0.0 });
    }
    response
}

#[cfg(test)]
mod tests {
    use super::short_name;

    #[test]
    fn knob_names_drop_the_section() {
        assert_eq!(short_name("Filter Decay"), "Decay");
        assert_eq!(short_name("LFO > Position"), "To Position");
        assert_eq!(short_name("Cutoff"), "Cutoff");
        assert_eq!(short_name("Mod 3 Destination"), "Destination");
        assert_eq!(short_name("Mod Wheel"), "Mod Wheel");
        assert_eq!(short_name("Reverb Pre-Delay"), "Pre-Delay");
    }
}
