//! The editor window's size on the screen: the size the user chose (in
//! points, before scaling) and the scale are kept apart, and the window they
//! make together never grows past the screen.

use egui::Vec2;

/// The share of the screen the editor may take: 90 % leaves room for the
/// host's title bar and panels.
const SCREEN_SHARE: f32 = 0.9;

/// `scale`, or 100 % when it is not a positive number.
fn usable_scale(scale: f32) -> f32 {
    if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    }
}

/// The window size in points for a chosen size `base` (points) at `scale`,
/// so that the window (points × scale pixels) fits `screen` (pixels, when
/// known) with a margin for the host's frame; never below `min`.
pub fn fit_window(base: Vec2, scale: f32, screen: Option<Vec2>, min: Vec2) -> Vec2 {
    let scale = usable_scale(scale);
    let Some(screen) = screen else {
        return base;
    };
    let room = screen * SCREEN_SHARE / scale;
    base.min(room).max(min.min(room))
}

/// The zoom the editor is shown at for the chosen `scale`: the chosen one,
/// or less where the whole synth (`content` points: the design size, which
/// holds every section at 100 %) would not fit `screen` (pixels, when
/// known) at it, with the same margin as [`fit_window`]. So on a 1920×1080
/// screen 150 % and 200 % show the synth at the largest zoom that keeps all
/// of it, keyboard row included, in view, where they left a third of it
/// below the window; on a screen with room they are what they say.
pub fn fit_zoom(scale: f32, screen: Option<Vec2>, content: Vec2) -> f32 {
    let scale = usable_scale(scale);
    let Some(screen) = screen else {
        return scale;
    };
    let room = screen * SCREEN_SHARE;
    let most = (room.x / content.x).min(room.y / content.y);
    if most.is_finite() && most > 0.0 {
        scale.min(most)
    } else {
        scale
    }
}

/// The size of the screen the window is on, in pixels, when it can be asked
/// (X11, also under XWayland); `None` elsewhere.
pub fn screen_size() -> Option<Vec2> {
    #[cfg(target_os = "linux")]
    {
        use x11rb::connection::Connection;
        let (conn, screen) = x11rb::connect(None).ok()?;
        let root = conn.setup().roots.get(screen)?;
        Some(Vec2::new(
            f32::from(root.width_in_pixels),
            f32::from(root.height_in_pixels),
        ))
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_window_fits_the_screen_and_keeps_its_chosen_size_when_it_can() {
        let min = Vec2::new(900.0, 640.0);
        let base = Vec2::new(1100.0, 850.0);
        let hd = Some(Vec2::new(1920.0, 1080.0));
        // 150 % of the design size would be 1275 px tall: it fits 1080 × 0.9 instead.
        let fitted = fit_window(base, 1.5, hd, min);
        assert!(fitted.y * 1.5 <= 1080.0 * 0.9 + 0.01, "{fitted:?}");
        assert_eq!(fitted.x, 1100.0, "the width fits as chosen");
        // At 100 % the chosen size stands.
        assert_eq!(fit_window(base, 1.0, hd, min), base);
        // Unknown screen: the chosen size.
        assert_eq!(fit_window(base, 2.0, None, min), base);
        // A tiny screen: the minimum, or the screen if that is smaller still.
        let tiny = fit_window(base, 2.0, Some(Vec2::new(800.0, 600.0)), min);
        assert!(tiny.x * 2.0 <= 800.0 * 0.9 + 0.01);
    }

    #[test]
    fn the_whole_synth_fits_the_screen_at_every_scale() {
        let content = Vec2::new(1100.0, 900.0);
        let hd = Some(Vec2::new(1920.0, 1080.0));
        for scale in [0.75, 0.9, 1.0, 1.25, 1.5, 2.0] {
            let zoom = fit_zoom(scale, hd, content);
            assert!(zoom <= scale);
            assert!(content.y * zoom <= 1080.0 * 0.9 + 0.01, "{scale}: {zoom}");
            assert!(content.x * zoom <= 1920.0 * 0.9 + 0.01, "{scale}: {zoom}");
            // The window made at that zoom holds the content.
            let window = fit_window(content, zoom, hd, Vec2::new(900.0, 640.0));
            assert!(window.y >= content.y - 0.01 && window.x >= content.x - 0.01);
        }
        // 75 % to 100 % fit as chosen; 150 % and 200 % come down to the same fit.
        assert_eq!(fit_zoom(0.9, hd, content), 0.9);
        assert_eq!(fit_zoom(1.5, hd, content), fit_zoom(2.0, hd, content));
        // A 4K screen shows 200 % as chosen; an unknown screen too.
        assert_eq!(fit_zoom(2.0, Some(Vec2::new(3840.0, 2160.0)), content), 2.0);
        assert_eq!(fit_zoom(2.0, None, content), 2.0);
    }
}
