//! Colours and the egui style of the editor.

use egui::{Color32, CornerRadius, Stroke};

/// The window background.
pub const BACKGROUND: Color32 = Color32::from_rgb(0x14, 0x16, 0x1c);
/// A section's panel.
pub const PANEL: Color32 = Color32::from_rgb(0x1d, 0x21, 0x2a);
/// Plots' background.
pub const PLOT: Color32 = Color32::from_rgb(0x0d, 0x0f, 0x14);
/// Grid lines.
pub const GRID: Color32 = Color32::from_rgb(0x2c, 0x31, 0x3d);
/// A knob's body.
pub const KNOB_BODY: Color32 = Color32::from_rgb(0x2a, 0x2f, 0x3a);
/// A knob's unlit track.
pub const TRACK: Color32 = Color32::from_rgb(0x38, 0x3e, 0x4b);
/// The main accent (values, the current sound).
pub const ACCENT: Color32 = Color32::from_rgb(0x3c, 0xc8, 0xc0);
/// The accent under the pointer.
pub const ACCENT_HOT: Color32 = Color32::from_rgb(0x7c, 0xf0, 0xe6);
/// Voices and warnings.
pub const WARM: Color32 = Color32::from_rgb(0xff, 0xa0, 0x3c);
/// Body text.
pub const TEXT: Color32 = Color32::from_rgb(0xd8, 0xdc, 0xe4);
/// Labels.
pub const TEXT_DIM: Color32 = Color32::from_rgb(0x8c, 0x94, 0xa4);
/// The anchor slots' colours, A to D.
pub const ANCHORS: [Color32; 4] = [
    Color32::from_rgb(0xff, 0x6b, 0x6b),
    Color32::from_rgb(0xff, 0xc8, 0x57),
    Color32::from_rgb(0x7b, 0xd8, 0x6a),
    Color32::from_rgb(0x8e, 0x9c, 0xff),
];

/// Applies the editor's look to `ctx`.
pub fn apply(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Dark);
    ctx.all_styles_mut(|style| {
        let v = &mut style.visuals;
        *v = egui::Visuals::dark();
        v.panel_fill = BACKGROUND;
        v.window_fill = PANEL;
        v.extreme_bg_color = PLOT;
        v.selection.bg_fill = ACCENT.gamma_multiply(0.5);
        v.selection.stroke = Stroke::new(1.0, ACCENT_HOT);
        v.widgets.noninteractive.bg_stroke = Stroke::new(1.0, GRID);
        v.widgets.inactive.corner_radius = CornerRadius::same(4);
        v.widgets.hovered.corner_radius = CornerRadius::same(4);
        v.widgets.active.corner_radius = CornerRadius::same(4);
        style.spacing.item_spacing = egui::vec2(6.0, 4.0);
    });
}

/// A titled section frame.
pub fn section<R>(ui: &mut egui::Ui, title: &str, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    egui::Frame::new()
        .fill(PANEL)
        .corner_radius(CornerRadius::same(6))
        .inner_margin(egui::Margin::same(8))
        .show(ui, |ui| {
            ui.label(egui::RichText::new(title).strong().size(12.0).color(ACCENT));
            add(ui)
        })
        .inner
}

/// Lays out `add` in a slot of exactly `size` points: whatever it draws, the
/// widgets after it stay where they are (texts that change with the sound,
/// such as a preset name or a menu's value, never push the layout around).
/// Text inside that does not fit is cut with "…".
pub fn fixed<R>(ui: &mut egui::Ui, size: egui::Vec2, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    fixed_in(
        ui,
        size,
        egui::Layout::left_to_right(egui::Align::Center),
        add,
    )
}

/// [`fixed`] with the slot's contents laid out by `layout`.
pub fn fixed_in<R>(
    ui: &mut egui::Ui,
    size: egui::Vec2,
    layout: egui::Layout,
    add: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let mut child = ui.new_child(egui::UiBuilder::new().max_rect(rect).layout(layout));
    child.set_clip_rect(rect.intersect(ui.clip_rect()));
    child.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
    add(&mut child)
}

/// `text` cut with "…" to fit `width` points in `font`.
pub fn elide(ui: &egui::Ui, text: &str, font: egui::FontId, width: f32) -> String {
    let fits = |t: &str| {
        ui.ctx().fonts_mut(|f| {
            f.layout_no_wrap(t.to_string(), font.clone(), Color32::WHITE)
                .size()
                .x
        }) <= width
    };
    if fits(text) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 0 {
        n -= 1;
        let candidate: String = chars[..n].iter().collect::<String>() + "…";
        if fits(&candidate) {
            return candidate;
        }
    }
    "…".to_string()
}

/// Buttons that pick one of `options` (a tab strip), each `size` points and
/// lit when chosen, laid out the way `ui` lays out; `hover` gives each
/// button's tooltip from its label.
pub fn pick<T: Copy + PartialEq>(
    ui: &mut egui::Ui,
    current: &mut T,
    options: &[(T, &str)],
    size: [f32; 2],
    text_size: f32,
    hover: impl Fn(&str) -> String,
) {
    // A narrow column never wraps a label ("Amp" would break in two).
    let extend = |ui: &mut egui::Ui| ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
    for &(value, label) in options {
        let text = egui::RichText::new(label).size(text_size);
        let button = egui::Button::selectable(*current == value, text);
        let response = ui
            .scope(|ui| {
                extend(ui);
                ui.add_sized(size, button)
            })
            .inner;
        if response.on_hover_text(hover(label)).clicked() {
            *current = value;
        }
    }
}

/// Runs `f` with a piece of view state (which page a section shows) that
/// egui keeps between frames under `id`, starting at `default`.
pub fn with_view_state<T: Clone + Send + Sync + 'static, R>(
    ui: &mut egui::Ui,
    id: &str,
    default: T,
    f: impl FnOnce(&mut egui::Ui, &mut T) -> R,
) -> R {
    let id = egui::Id::unique(id);
    let mut state = ui.data(|d| d.get_temp::<T>(id)).unwrap_or(default);
    let result = f(ui, &mut state);
    ui.data_mut(|d| d.insert_temp(id, state));
    result
}
