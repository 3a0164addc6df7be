//! The latent pad: the plane of the model's two strongest macro axes, with
//! the factory shapes and the anchors drawn where they sit in it, the table's
//! path through them, and the current sound as a point that can be dragged
//! (dragging moves macro knobs 1 and 2). It can instead show a pair of the
//! named knobs, brightness across and warmth up ([`PadPair`]), as a plain
//! two-knob pad.

use crate::access::ParamAccess;
use crate::theme;
use egui::Role;
use egui::{
    pos2, vec2, Align2, Color32, FontId, Id, Pos2, Rect, Response, Sense, Stroke, Ui, WidgetInfo,
};
use nice_plug::prelude::{FloatParam, Param};
use nwt_engine::neural::WorkerStatus;
use nwt_engine::params::ParamRef;
use nwt_engine::SynthParams;
use nwt_model::model::MacroAxes;
use nwt_model::Latent;

/// Half the pad's extent in macro units (±1 = ±3σ along the axis).
pub const RANGE: f32 = 1.5;

/// The accessible label of the pad.
pub const LABEL: &str = "Latent pad";

/// The two knobs the pad shows and drags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadPair {
    /// Macro knobs 1 and 2 (the latent plane with the shapes and anchors).
    Macros,
    /// The brightness and warmth knobs.
    BrightnessWarmth,
}

impl PadPair {
    /// The name on its selector.
    pub fn name(self) -> &'static str {
        match self {
            Self::Macros => "Macros 1-2",
            Self::BrightnessWarmth => "Brightness x Warmth",
        }
    }

    /// Its two knobs: across and up.
    pub fn knobs(self, params: &SynthParams) -> [&FloatParam; 2] {
        match self {
            Self::Macros => [&params.macro_1, &params.macro_2],
            Self::BrightnessWarmth => [&params.brightness, &params.warmth],
        }
    }
}

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

fn to_screen(rect: Rect, range: f32, p: [f32; 2]) -> Pos2 {
    let x = (p[0] / range).clamp(-1.05, 1.05);
    let y = (p[1] / range).clamp(-1.05, 1.05);
    pos2(
        rect.center().x + x * rect.width() / 2.0,
        rect.center().y - y * rect.height() / 2.0,
    )
}

/// Whether the macros and anchors shape what plays: only with the neural table.
pub fn is_live(params: &SynthParams) -> bool {
    params.table.value() == nwt_engine::factory::TableSource::Neural
}

/// Where everything on the pad goes, in macro units and on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct PadLayout {
    /// Half the view's extent in macro units (at least [`RANGE`]): the view
    /// grows to hold every shape, anchor and the path.
    pub range: f32,
    /// Each filled anchor: slot and where its ring goes (where the macros
    /// moved it: in "Every Anchor" mode every anchor moves with macros 1 and
    /// 2; along the path, each by its share of the path).
    pub rings: Vec<(usize, Pos2)>,
    /// Each factory shape: its dot, and its label's box when the label fits
    /// without covering another label or a ring (else it is left out).
    pub shapes: Vec<(String, Pos2, Option<Rect>)>,
    /// The table's path.
    pub path: Vec<Pos2>,
    /// Where each ring's anchor really is (differs when its ring stepped aside).
    pub anchored_at: Vec<Pos2>,
}

/// Radius of an anchor ring.
const RING: f32 = 8.0;

/// Lays out the pad for `status` in `rect`, with macros 1 and 2 at `macros`.
pub fn layout(
    status: &WorkerStatus,
    mode: nwt_engine::neural::MacroMode,
    macros: [f32; 2],
    rect: Rect,
    font_width: impl Fn(&str) -> f32,
) -> PadLayout {
    let Some(axes) = &status.axes else {
        return PadLayout {
            range: RANGE,
            rings: Vec::new(),
            shapes: Vec::new(),
            path: Vec::new(),
            anchored_at: Vec::new(),
        };
    };
    // The anchors as the table plays them (moved by the named knobs), so
    // the rings sit where the path runs.
    let filled: Vec<(usize, [f32; 2])> = status
        .anchors_played
        .iter()
        .zip(&status.anchor_latents)
        .enumerate()
        .filter_map(|(slot, (played, z))| {
            played
                .as_ref()
                .or(z.as_ref())
                .map(|z| (slot, project(axes, z)))
        })
        .collect();
    let n = filled.len();
    let rings_units: Vec<(usize, [f32; 2])> = filled
        .iter()
        .enumerate()
        .map(|(i, (slot, p))| {
            let share = match mode {
                nwt_engine::neural::MacroMode::Anchors => 1.0,
                nwt_engine::neural::MacroMode::Path if n > 1 => i as f32 / (n - 1) as f32,
                nwt_engine::neural::MacroMode::Path => 0.0,
            };
            (*slot, [p[0] + macros[0] * share, p[1] + macros[1] * share])
        })
        .collect();
    let shapes_units: Vec<(String, [f32; 2])> = status
        .shapes
        .iter()
        .map(|(shape, z)| (shape.id().to_string(), project(axes, z)))
        .collect();
    let path_units: Vec<[f32; 2]> = status.path.iter().map(|z| project(axes, z)).collect();
    let extent = rings_units
        .iter()
        .map(|(_, p)| *p)
        .chain(shapes_units.iter().map(|(_, p)| *p))
        .chain(path_units.iter().copied())
        .flat_map(|p| [p[0].abs(), p[1].abs()])
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max);
    // A little room around the outermost point; grows in steps so the view
    // does not breathe with every knob move.
    let range = if extent * 1.15 > RANGE {
        (extent * 1.15 / 0.5).ceil() * 0.5
    } else {
        RANGE
    };
    // Anchors at (nearly) the same place: the later ring steps aside so
    // both letters stay readable (a short line marks where it really is).
    let mut rings: Vec<(usize, Pos2)> = Vec::new();
    let mut anchored_at = Vec::new();
    for (slot, p) in &rings_units {
        let true_at = to_screen(rect, range, *p);
        let mut at = true_at;
        let mut turn = 0.0f32;
        while rings.iter().any(|(_, r)| r.distance(at) < 2.0 * RING) && turn < 6.3 {
            at = true_at + vec2(turn.cos(), turn.sin()) * (2.0 * RING + 1.0);
            turn += 0.8;
        }
        rings.push((*slot, at));
        anchored_at.push(true_at);
    }
    // Labels: right of the dot, else left, above, below; left out when all collide.
    let mut taken: Vec<Rect> = rings
        .iter()
        .map(|(_, c)| Rect::from_center_size(*c, vec2(2.0 * RING + 2.0, 2.0 * RING + 2.0)))
        .collect();
    let mut shapes = Vec::new();
    for (name, p) in shapes_units {
        let dot = to_screen(rect, range, p);
        let size = vec2(font_width(&name), 11.0);
        let candidates = [
            Rect::from_min_size(dot + vec2(5.0, -size.y / 2.0), size),
            Rect::from_min_size(dot + vec2(-5.0 - size.x, -size.y / 2.0), size),
            Rect::from_min_size(dot + vec2(-size.x / 2.0, -5.0 - size.y), size),
            Rect::from_min_size(dot + vec2(-size.x / 2.0, 5.0), size),
        ];
        let place = candidates
            .into_iter()
            .find(|c| rect.contains_rect(*c) && !taken.iter().any(|t| t.intersects(*c)));
        if let Some(r) = place {
            taken.push(r);
        }
        shapes.push((name, dot, place));
    }
    PadLayout {
        range,
        rings,
        shapes,
        path: path_units
            .iter()
            .map(|p| to_screen(rect, range, *p))
            .collect(),
        anchored_at,
    }
}

/// The pad's current point: the sound at `position` when a table has been
/// decoded, else the two knobs' values.
fn current_point(status: &WorkerStatus, position: f32, knobs: [f32; 2]) -> [f32; 2] {
    path_point(status, position).unwrap_or(knobs)
}

/// Where the newest table's path is at `position` (0..1) on the macro plane.
pub fn path_point(status: &WorkerStatus, position: f32) -> Option<[f32; 2]> {
    let axes = status.axes.as_ref()?;
    let path = &status.path;
    let (i, j, t) = nwt_engine::neural::frame_pair(position, path.len())?;
    let z: Latent = std::array::from_fn(|d| path[i][d] + (path[j][d] - path[i][d]) * t);
    Some(project(axes, &z))
}

/// Draws the pad `size` points square and handles dragging; `played` are
/// the table positions the sounding voices read (modulation included), each
/// drawn where it is on the path.
pub fn latent_pad(
    ui: &mut Ui,
    params: &SynthParams,
    access: &dyn ParamAccess,
    status: &WorkerStatus,
    size: f32,
    pair: PadPair,
    played: &[f32],
) -> Response {
    let (rect, response) = ui.allocate_exact_size(vec2(size, size), Sense::click_and_drag());
    let live = is_live(params);
    let semantic = pair == PadPair::BrightnessWarmth;
    let macros = {
        let m = params.macro_values();
        [m[0], m[1]]
    };
    let font = FontId::proportional(9.5);
    let layout = layout(status, params.macro_mode.value(), macros, rect, |text| {
        ui.ctx().fonts_mut(|f| {
            f.layout_no_wrap(text.to_string(), font.clone(), Color32::WHITE)
                .size()
                .x
        })
    });
    // The named pair spans its knobs' range, -1..1, edge to edge.
    let range = if semantic { 1.0 } else { layout.range };
    let [x_knob, y_knob] = pair.knobs(params);
    let knob_ptrs: [ParamRef<'_>; 2] = [ParamRef::new(x_knob), ParamRef::new(y_knob)];
    // The knobs as set (host modulation is not part of what a drag changes).
    let knobs = [
        x_knob.unmodulated_plain_value(),
        y_knob.unmodulated_plain_value(),
    ];
    let position = params.position.value();
    let point = if semantic {
        knobs
    } else {
        current_point(status, position, knobs)
    };
    let gain = if semantic {
        1.0
    } else {
        macro_gain(params.macro_mode.value(), position)
    };
    // Knob units per point of pointer movement.
    let units_per_point = 2.0 * range / rect.width() / gain;

    let mut response = response;
    let moved = drag_knobs(
        ui,
        &response,
        access,
        knob_ptrs,
        (knobs, point),
        (rect, range, units_per_point),
    );
    if moved.is_some() {
        response.mark_changed();
    }

    let painter = ui.painter_at(rect);
    paint_grid(&painter, rect, x_knob.name(), y_knob.name());
    // Shapes, path and anchors live on the macro plane only.
    if !semantic {
        paint_map(&painter, &layout, live, &font);
    }
    let shown = moved.map_or(point, |m| {
        [
            point[0] + (m[0] - knobs[0]) * gain,
            point[1] + (m[1] - knobs[1]) * gain,
        ]
    });
    // The voices' dots live on the macro plane only.
    let played = if semantic { &[][..] } else { played };
    paint_points(&painter, (rect, range), status, played, shown, live);

    response.widget_info(|| WidgetInfo::labeled(Role::Canvas, true, LABEL));
    response.on_hover_text(if semantic { NAMED_HELP } else { MACRO_HELP })
}

/// The pad's tooltip on the named pair.
const NAMED_HELP: &str = "Brightness (across) and warmth (up), each -1..1: drag the bright point \
     (or click) to move both knobs.";
/// The pad's tooltip on the macro plane.
const MACRO_HELP: &str =
    "The two strongest directions of the model's latent space (macro knobs 1 and 2). \
     Grey dots: factory shapes; rings: your anchors as the knobs move them; the line: \
     the table's path; white dots: what each sounding voice plays now. \
     Drag the bright point (or click) to move the sound.";

/// How far the point moves per knob unit on the macro plane. "Every
/// Anchor" moves the whole path (the point follows the pointer one to one);
/// "Along Path" weights the offset by how far along the path the position
/// is, so the knobs move more for the point to follow (and cannot move it
/// at the path's start).
fn macro_gain(mode: nwt_engine::neural::MacroMode, position: f32) -> f32 {
    match mode {
        nwt_engine::neural::MacroMode::Anchors => 1.0,
        nwt_engine::neural::MacroMode::Path => position.clamp(0.0, 1.0).max(0.1),
    }
}

/// What each sounding voice plays (`played` table positions, on the path),
/// the bright point at `shown`, and a note when the macros do not shape
/// what plays (then everything is dimmed).
fn paint_points(
    painter: &egui::Painter,
    (rect, range): (Rect, f32),
    status: &WorkerStatus,
    played: &[f32],
    shown: [f32; 2],
    live: bool,
) {
    let fade = |c: Color32| if live { c } else { c.gamma_multiply(0.35) };
    // What the voices play, where modulation has taken them.
    for at in played.iter().filter_map(|&pos| path_point(status, pos)) {
        let v = to_screen(rect, range, at);
        painter.circle_filled(v, 3.5, fade(Color32::WHITE));
        painter.circle_stroke(v, 3.5, Stroke::new(1.0, fade(theme::ACCENT_HOT)));
    }
    let p = to_screen(rect, range, shown);
    painter.circle_filled(p, 6.0, fade(theme::ACCENT_HOT));
    painter.circle_stroke(
        p,
        9.0,
        Stroke::new(1.5, fade(Color32::WHITE.gamma_multiply(0.7))),
    );
    if !live {
        painter.text(
            rect.center_bottom() - vec2(0.0, 18.0),
            Align2::CENTER_BOTTOM,
            "the macros shape the neural table only",
            FontId::proportional(10.0),
            theme::TEXT_DIM,
        );
    }
}

/// A drag on the pad, or a click (the point jumps to the pointer), moves
/// the two knobs as one gesture: their new values (`-1..=1`), if they moved.
fn drag_knobs(
    ui: &Ui,
    response: &Response,
    access: &dyn ParamAccess,
    knob_ptrs: [ParamRef<'_>; 2],
    (knobs, point): ([f32; 2], [f32; 2]),
    (rect, range, units_per_point): (Rect, f32, f32),
) -> Option<[f32; 2]> {
    let id = Id::unique("latent-pad");
    let mut moved = None;
    if response.drag_started() || response.clicked() {
        for p in knob_ptrs {
            access.begin(p);
        }
        // (knob values, drag distance already applied)
        ui.data_mut(|d| d.insert_temp(id, (knobs, egui::Vec2::ZERO)));
    }
    if response.dragged() || response.clicked() {
        let (start, applied) = ui
            .data(|d| d.get_temp::<([f32; 2], egui::Vec2)>(id))
            .unwrap_or((knobs, egui::Vec2::ZERO));
        let (delta, total) = if response.clicked() {
            // A click moves the point to the pointer.
            let delta = response.interact_pointer_pos().map_or([0.0; 2], |pos| {
                let now = to_screen(rect, range, point);
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
    moved
}

/// The pad's ground: its grid and the two knobs' names.
fn paint_grid(painter: &egui::Painter, rect: Rect, x_name: &str, y_name: &str) {
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
        x_name,
        FontId::proportional(10.0),
        theme::TEXT_DIM,
    );
    painter.text(
        rect.left_top() + vec2(4.0, 4.0),
        Align2::LEFT_TOP,
        y_name,
        FontId::proportional(10.0),
        theme::TEXT_DIM,
    );
}

/// The macro plane's map: the factory shapes, the table's path and the
/// anchors' rings (dimmed unless `live`).
fn paint_map(painter: &egui::Painter, layout: &PadLayout, live: bool, font: &FontId) {
    let fade = |c: Color32| if live { c } else { c.gamma_multiply(0.35) };
    let (shapes, path, rings) = (&layout.shapes, &layout.path, &layout.rings);
    for (name, dot, label) in shapes {
        painter.circle_filled(*dot, 3.0, fade(theme::TEXT_DIM));
        if let Some(r) = label {
            painter.text(
                r.left_center(),
                Align2::LEFT_CENTER,
                name,
                font.clone(),
                fade(theme::TEXT_DIM),
            );
        }
    }
    if path.len() > 1 {
        painter.add(egui::Shape::line(
            path.to_vec(),
            Stroke::new(1.5, fade(theme::ACCENT.gamma_multiply(0.6))),
        ));
    }
    for ((slot, at), true_at) in rings.iter().zip(&layout.anchored_at) {
        let colour = fade(theme::ANCHORS[*slot]);
        if at.distance(*true_at) > 0.5 {
            painter.line_segment([*true_at, *at], Stroke::new(1.0, colour));
        }
        painter.circle_filled(*at, RING, theme::PLOT.gamma_multiply(0.8));
        painter.circle_stroke(*at, RING, Stroke::new(2.0, colour));
        painter.text(
            *at,
            Align2::CENTER_CENTER,
            nwt_engine::anchors::SLOT_NAMES[*slot],
            FontId::proportional(10.0),
            colour,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nwt_engine::neural::{AnchorShape, MacroMode};

    fn status() -> WorkerStatus {
        status_with(&[AnchorShape::Saw, AnchorShape::VowelA, AnchorShape::Sine])
    }

    fn status_with(anchors: &[AnchorShape]) -> WorkerStatus {
        let model = nwt_model::Model::embedded().unwrap();
        let latent = |shape: AnchorShape| model.encode(&shape.harmonics()).unwrap();
        let shapes: Vec<(AnchorShape, Latent)> =
            AnchorShape::ALL.iter().map(|s| (*s, latent(*s))).collect();
        let mut anchor_latents: [Option<Latent>; 4] = Default::default();
        for (slot, shape) in anchors.iter().copied().enumerate() {
            anchor_latents[slot] = Some(latent(shape));
        }
        WorkerStatus {
            axes: Some(model.macros().clone()),
            shapes,
            anchor_latents,
            ..WorkerStatus::default()
        }
    }

    fn rect() -> Rect {
        Rect::from_min_size(pos2(0.0, 0.0), vec2(232.0, 232.0))
    }

    #[test]
    fn rings_sit_on_the_anchors_as_played_when_the_named_knobs_moved_them() {
        let mut status = status_with(&[AnchorShape::Saw, AnchorShape::Square]);
        let axes = status.axes.clone().unwrap();
        let width = |t: &str| 5.5 * t.len() as f32;
        let encoded = layout(&status, MacroMode::Anchors, [0.0, 0.0], rect(), width);
        // Anchor A as a knob moved it: half a macro unit along axis 1.
        let mut moved = status.anchor_latents[0].unwrap();
        let along = project(&axes, &moved);
        for (d, v) in moved.iter_mut().enumerate() {
            *v += 0.5 * axes.axes[0][d] * 3.0 * axes.sigma[0];
        }
        status.anchors_played[0] = Some(moved);
        let played = layout(&status, MacroMode::Anchors, [0.0, 0.0], rect(), width);
        let want = to_screen(rect(), played.range, project(&axes, &moved));
        assert!(
            played.rings[0].1.distance(want) < 1e-3,
            "ring A where it plays"
        );
        assert!((project(&axes, &moved)[0] - along[0] - 0.5).abs() < 1e-3);
        assert!(
            played.rings[0].1.distance(encoded.rings[0].1) > 10.0,
            "it moved"
        );
        assert_eq!(played.rings[1].1, encoded.rings[1].1, "B, unmoved, stays");
    }

    #[test]
    fn rings_go_where_the_macros_moved_the_anchors() {
        let status = status();
        let width = |t: &str| 5.5 * t.len() as f32;
        let rest = layout(&status, MacroMode::Anchors, [0.0, 0.0], rect(), width);
        let moved = layout(&status, MacroMode::Anchors, [0.4, -0.2], rect(), width);
        assert_eq!(rest.range, moved.range);
        let px = rect().width() / 2.0 / rest.range;
        for ((_, a), (_, b)) in rest.rings.iter().zip(&moved.rings) {
            assert!((b.x - a.x - 0.4 * px).abs() < 1e-3, "{a:?} -> {b:?}");
            assert!((b.y - a.y - 0.2 * px).abs() < 1e-3, "screen y is down");
        }
        // Along the path: the first anchor stays, the last moves all the way.
        let path = layout(&status, MacroMode::Path, [0.4, 0.0], rect(), width);
        assert_eq!(path.rings[0].1, rest.rings[0].1);
        assert!((path.rings[2].1.x - rest.rings[2].1.x - 0.4 * px).abs() < 1e-3);
        assert!((path.rings[1].1.x - rest.rings[1].1.x - 0.2 * px).abs() < 1e-3);
    }

    #[test]
    fn labels_never_cover_each_other_or_a_ring_and_everything_is_in_view() {
        // vowel_a and vowel_o sit almost on top of each other.
        let status = status_with(&[
            AnchorShape::Saw,
            AnchorShape::VowelA,
            AnchorShape::VowelO,
            AnchorShape::Sine,
        ]);
        let width = |t: &str| 5.5 * t.len() as f32;
        let pad = layout(&status, MacroMode::Anchors, [0.0, 0.0], rect(), width);
        let labels: Vec<Rect> = pad.shapes.iter().filter_map(|(_, _, r)| *r).collect();
        assert!(
            labels.len() >= pad.shapes.len() / 2,
            "most labels fit: {}",
            labels.len()
        );
        for (i, a) in labels.iter().enumerate() {
            assert!(rect().contains_rect(*a));
            for b in &labels[i + 1..] {
                assert!(!a.intersects(*b), "{a:?} and {b:?} collide");
            }
            for (_, ring) in &pad.rings {
                assert!(!a.intersects(Rect::from_center_size(*ring, vec2(2.0 * RING, 2.0 * RING))));
            }
        }
        for (i, (_, a)) in pad.rings.iter().enumerate() {
            for (_, b) in &pad.rings[i + 1..] {
                assert!(
                    a.distance(*b) >= 2.0 * RING,
                    "rings {a:?} and {b:?} overlap"
                );
            }
        }
        for p in pad
            .shapes
            .iter()
            .map(|(_, p, _)| *p)
            .chain(pad.rings.iter().map(|(_, p)| *p))
        {
            assert!(rect().contains(p), "{p:?} is off the pad");
        }
    }

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
