//! The latent pad: the plane of the model's two strongest macro axes, with
//! the factory shapes and the anchors drawn where they sit in it, the table's
//! path through them, and the current sound as a point that can be dragged
//! (dragging moves macro knobs 1 and 2).

use crate::access::ParamAccess;
use crate::theme;
use egui::Role;
use egui::{
    pos2, vec2, Align2, Color32, FontId, Id, Pos2, Rect, Response, Sense, Stroke, Ui, WidgetInfo,
};
use nice_plug::prelude::{Param, ParamPtr};
use nwt_engine::neural::WorkerStatus;
use nwt_engine::SynthParams;
use nwt_model::model::MacroAxes;
use nwt_model::Latent;

/// Half the pad's extent in macro units (±1 = ±3σ along the axis).
pub const RANGE: f32 = 1.5;

/// The accessible label of the pad.
pub const LABEL: &str = "Latent pad";

/// Where `latent` sits on the plane of macro axes 1 and 2, in macro units
/// (unclamped: ±1 is ±3σ from the training mean).
pub fn project(axes: &MacroAxes, latent: &Latent) -> [f32; 2] {
    std::array::from_fn(|k| {
        let along: f32 = latent
            .iter()
            .zip(&axes.mean)
            .zip(&axes.axes[k])
            .map(|((z, m), a)| (z - m) * a)
            .sum();
        along / (3.0 * axes.sigma[k].max(1e-9))
    })
}

fn to_screen(rect: Rect, p: [f32; 2]) -> Pos2 {
    let x = (p[0] / RANGE).clamp(-1.05, 1.05);
    let y = (p[1] / RANGE).clamp(-1.05, 1.05);
    pos2(
        rect.center().x + x * rect.width() / 2.0,
        rect.center().y - y * rect.height() / 2.0,
    )
}

/// The pad's current point: the sound at `position` when a table has been
/// decoded, else the two knobs' values.
fn current_point(status: &WorkerStatus, position: f32, knobs: [f32; 2]) -> [f32; 2] {
    let Some(axes) = &status.axes else {
        return knobs;
    };
    let path = &status.path;
    let Some((i, j, t)) = nwt_engine::neural::frame_pair(position, path.len()) else {
        return knobs;
    };
    let z: Latent = std::array::from_fn(|d| path[i][d] + (path[j][d] - path[i][d]) * t);
    project(axes, &z)
}

/// Draws the pad `size` points square and handles dragging.
pub fn latent_pad(
    ui: &mut Ui,
    params: &SynthParams,
    access: &dyn ParamAccess,
    status: &WorkerStatus,
    size: f32,
) -> Response {
    let (rect, response) = ui.allocate_exact_size(vec2(size, size), Sense::click_and_drag());
    let id = Id::unique("latent-pad");
    let knob_ptrs: [ParamPtr; 2] = [params.macro_1.as_ptr(), params.macro_2.as_ptr()];
    // The knobs as set (host modulation is not part of what a drag changes).
    let knobs = [
        params.macro_1.unmodulated_plain_value(),
        params.macro_2.unmodulated_plain_value(),
    ];
    let position = params.position.value();
    let point = current_point(status, position, knobs);
    // Knob units per point of pointer movement. "Every Anchor" moves the whole
    // path (the point follows the pointer one to one); "Along Path" weights
    // the offset by how far along the path the position is, so the knobs move
    // more for the point to follow (and cannot move it at the path's start).
    let gain = match params.macro_mode.value() {
        nwt_engine::neural::MacroMode::Anchors => 1.0,
        nwt_engine::neural::MacroMode::Path => position.clamp(0.0, 1.0).max(0.1),
    };
    let units_per_point = 2.0 * RANGE / rect.width() / gain;

    let mut response = response;
    if response.drag_started() || response.clicked() {
        for p in knob_ptrs {
            access.begin(p);
        }
        // (knob values, drag distance already applied)
        ui.data_mut(|d| d.insert_temp(id, (knobs, egui::Vec2::ZERO)));
    }
    let mut moved = None;
    if response.dragged() || response.clicked() {
        let (start, applied) = ui
            .data(|d| d.get_temp::<([f32; 2], egui::Vec2)>(id))
            .unwrap_or((knobs, egui::Vec2::ZERO));
        let (delta, total) = if response.clicked() {
            // A click moves the point to the pointer.
            let delta = response.interact_pointer_pos().map_or([0.0; 2], |pos| {
                let now = to_screen(rect, point);
                [
                    (pos.x - now.x) * units_per_point,
                    -(pos.y - now.y) * units_per_point,
                ]
            });
            (delta, applied)
        } else {
            // The whole distance since the press, so the movement before egui
            // recognises a drag counts too.
            let total = response.total_drag_delta().unwrap_or_default();
            let d = total - applied;
            ([d.x * units_per_point, -d.y * units_per_point], total)
        };
        let next = [
            (start[0] + delta[0]).clamp(-1.0, 1.0),
            (start[1] + delta[1]).clamp(-1.0, 1.0),
        ];
        ui.data_mut(|d| d.insert_temp(id, (next, total)));
        for (p, v) in knob_ptrs.iter().zip(next) {
            access.set(*p, (v + 1.0) / 2.0);
        }
        moved = Some(next);
    }
    if response.drag_stopped() || response.clicked() {
        for p in knob_ptrs {
            access.end(p);
        }
    }
    if moved.is_some() {
        response.mark_changed();
    }

    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 6.0, theme::PLOT);
    for k in -3..=3 {
        let t = k as f32 / 3.0;
        let x = rect.center().x + t * rect.width() / 2.0;
        let y = rect.center().y + t * rect.height() / 2.0;
        let stroke = Stroke::new(if k == 0 { 1.0 } else { 0.5 }, theme::GRID);
        painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], stroke);
        painter.line_segment([pos2(rect.left(), y), pos2(rect.right(), y)], stroke);
    }
    painter.text(
        rect.right_bottom() - vec2(4.0, 4.0),
        Align2::RIGHT_BOTTOM,
        "Macro 1",
        FontId::proportional(10.0),
        theme::TEXT_DIM,
    );
    painter.text(
        rect.left_top() + vec2(4.0, 4.0),
        Align2::LEFT_TOP,
        "Macro 2",
        FontId::proportional(10.0),
        theme::TEXT_DIM,
    );

    if let Some(axes) = &status.axes {
        for (shape, z) in &status.shapes {
            let p = to_screen(rect, project(axes, z));
            painter.circle_filled(p, 3.0, theme::TEXT_DIM);
            painter.text(
                p + vec2(5.0, 0.0),
                Align2::LEFT_CENTER,
                shape.id(),
                FontId::proportional(9.5),
                theme::TEXT_DIM,
            );
        }
        let path: Vec<Pos2> = status
            .path
            .iter()
            .map(|z| to_screen(rect, project(axes, z)))
            .collect();
        if path.len() > 1 {
            painter.add(egui::Shape::line(
                path,
                Stroke::new(1.5, theme::ACCENT.gamma_multiply(0.6)),
            ));
        }
        for (slot, z) in status.anchor_latents.iter().enumerate() {
            if let Some(z) = z {
                let p = to_screen(rect, project(axes, z));
                painter.circle_stroke(p, 7.0, Stroke::new(2.0, theme::ANCHORS[slot]));
                painter.text(
                    p,
                    Align2::CENTER_CENTER,
                    nwt_engine::neural::anchors::SLOT_NAMES[slot],
                    FontId::proportional(9.0),
                    theme::ANCHORS[slot],
                );
            }
        }
    }
    let shown = moved.map_or(point, |m| {
        [
            point[0] + (m[0] - knobs[0]) * gain,
            point[1] + (m[1] - knobs[1]) * gain,
        ]
    });
    let p = to_screen(rect, shown);
    painter.circle_filled(p, 7.0, theme::ACCENT_HOT);
    painter.circle_stroke(
        p,
        10.0,
        Stroke::new(1.5, Color32::WHITE.gamma_multiply(0.7)),
    );

    response.widget_info(|| WidgetInfo::labeled(Role::Canvas, true, LABEL));
    response.on_hover_text(
        "The two strongest directions of the model's latent space (macro knobs 1 and 2). \
         Grey dots: factory shapes; rings: your anchors; the line: the table's path. \
         Drag the bright point (or click) to move the sound.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_measures_macro_units() {
        let model = nwt_model::Model::embedded().unwrap();
        let axes = model.macros();
        assert!(project(axes, &axes.mean).iter().all(|v| v.abs() < 1e-5));
        let mut knobs = [0.0; nwt_model::model::MACROS];
        knobs[0] = 0.6;
        knobs[1] = -0.3;
        knobs[2] = 0.9; // orthogonal to the plane: no effect on it
        let p = project(axes, &model.macros_to_latent(&knobs));
        assert!(
            (p[0] - 0.6).abs() < 1e-3 && (p[1] + 0.3).abs() < 1e-3,
            "{p:?}"
        );
    }
}
