//! The on-screen keyboard: play the synth without MIDI, with the mouse (press
//! a key, slide across keys) or the computer keyboard laid out as DAWs lay it
//! out (Ableton Live, Bitwig): the home row from C (A W S E D F T G Y H U J K
//! O L P ;, white keys on the home row, black keys above), Z and X shift the
//! octave, C and V the velocity. Notes go to the audio thread through a
//! [`NoteInbox`].

use crate::theme;
use egui::{pos2, vec2, Color32, Id, Key, Rect, Sense, Stroke, Ui};
use nwt_engine::events::EDITOR_VOICE_IDS;
use nwt_engine::{NoteInbox, SynthEvent};

/// Octaves drawn.
pub const OCTAVES: u8 = 3;
/// Lowest and highest octave shift (octave of the leftmost C, C4 = 60).
const OCTAVE_RANGE: (i8, i8) = (0, 8);
/// Height of the keys.
const HEIGHT: f32 = 56.0;

/// Computer keys and their semitones above the keyboard's C.
const COMPUTER_KEYS: [(Key, u8); 17] = [
    (Key::A, 0),
    (Key::W, 1),
    (Key::S, 2),
    (Key::E, 3),
    (Key::D, 4),
    (Key::F, 5),
    (Key::T, 6),
    (Key::G, 7),
    (Key::Y, 8),
    (Key::H, 9),
    (Key::U, 10),
    (Key::J, 11),
    (Key::K, 12),
    (Key::O, 13),
    (Key::L, 14),
    (Key::P, 15),
    (Key::Semicolon, 16),
];

/// Velocity change of one press of C (down) or V (up), in MIDI steps.
const VELOCITY_STEP: f32 = 20.0;

/// Whether semitone `s` of an octave is a black key.
fn is_black(s: u8) -> bool {
    matches!(s % 12, 1 | 3 | 6 | 8 | 10)
}

/// A MIDI key's name ("C4" is 60).
pub fn note_name(key: u8) -> String {
    const NAMES: [&str; 12] = [
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
    ];
    format!(
        "{}{}",
        NAMES[usize::from(key % 12)],
        i32::from(key / 12) - 1
    )
}

/// The keyboard's state between frames.
#[derive(Debug, Clone)]
pub struct Keyboard {
    /// Octave of the leftmost C (C4 = 60 is octave 4).
    pub octave: i8,
    /// Velocity of the notes played, `0..=1`.
    pub velocity: f32,
    /// The key the mouse holds down.
    mouse: Option<u8>,
    /// Keys the computer keyboard holds down: (computer key, MIDI key).
    typed: Vec<(Key, u8)>,
    /// A prompt has the keys: the computer keyboard plays nothing.
    suspended: bool,
}

impl Default for Keyboard {
    fn default() -> Self {
        Self {
            octave: 3,
            velocity: 0.8,
            mouse: None,
            typed: Vec::new(),
            suspended: false,
        }
    }
}

impl Keyboard {
    /// The MIDI key of the leftmost C.
    pub fn lowest(&self) -> u8 {
        ((i16::from(self.octave) + 1) * 12).clamp(0, 120) as u8
    }

    /// Keys sounding from this keyboard (mouse and computer keys).
    pub fn held(&self) -> Vec<u8> {
        let mut keys: Vec<u8> = self.typed.iter().map(|(_, k)| *k).collect();
        keys.extend(self.mouse);
        keys
    }

    fn start(&self, inbox: &NoteInbox, key: u8) {
        inbox.push(SynthEvent::NoteOn {
            timing: 0,
            voice_id: Some(EDITOR_VOICE_IDS + i32::from(key)),
            channel: 0,
            key,
            velocity: self.velocity.clamp(0.0, 1.0),
        });
    }

    fn stop(inbox: &NoteInbox, key: u8) {
        inbox.push(SynthEvent::NoteOff {
            timing: 0,
            voice_id: Some(EDITOR_VOICE_IDS + i32::from(key)),
            channel: 0,
            key,
        });
    }

    /// Releases every key this keyboard holds (the window lost focus or closed).
    pub fn release_all(&mut self, inbox: &NoteInbox) {
        for key in self.held() {
            Self::stop(inbox, key);
        }
        self.mouse = None;
        self.typed.clear();
    }

    /// Draws the keyboard and its controls `width` points wide and plays what
    /// the mouse and the computer keyboard press.
    pub fn show(&mut self, ui: &mut Ui, inbox: &NoteInbox, width: f32) {
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                ui.set_width(92.0);
                ui.horizontal(|ui| {
                    if ui
                        .small_button("−")
                        .on_hover_text("Octave down (Z)")
                        .clicked()
                    {
                        self.shift_octave(inbox, -1);
                    }
                    ui.label(
                        egui::RichText::new(note_name(self.lowest()))
                            .size(11.0)
                            .monospace(),
                    );
                    if ui
                        .small_button("+")
                        .on_hover_text("Octave up (X)")
                        .clicked()
                    {
                        self.shift_octave(inbox, 1);
                    }
                });
                let mut v = (self.velocity * 127.0).round();
                let response = ui
                    .add(
                        egui::DragValue::new(&mut v)
                            .range(1.0..=127.0)
                            .speed(0.5)
                            .max_decimals(0)
                            .prefix("vel "),
                    )
                    .on_hover_text(
                        "Velocity of the notes played here (1–127; C and V step it by 20)",
                    );
                response.widget_info(|| {
                    let mut info = egui::WidgetInfo::drag_value(true, f64::from(v));
                    info.label = Some("Keyboard velocity".into());
                    info
                });
                self.velocity = v / 127.0;
            });
            self.keys(ui, inbox, (width - 100.0).max(200.0));
        });
        self.computer_keys(ui, inbox);
    }

    fn shift_octave(&mut self, inbox: &NoteInbox, by: i8) {
        self.release_all(inbox);
        self.octave = (self.octave + by).clamp(OCTAVE_RANGE.0, OCTAVE_RANGE.1);
    }

    /// Where each key is: white keys first (drawn under), then black ones.
    fn layout(&self, rect: Rect) -> Vec<(u8, Rect)> {
        let whites = 7 * usize::from(OCTAVES) + 1;
        let w = rect.width() / whites as f32;
        let lowest = self.lowest();
        let mut white_rects = Vec::new();
        let mut black_rects = Vec::new();
        let mut white = 0;
        for s in 0..=(12 * OCTAVES) {
            let key = lowest.saturating_add(s).min(127);
            if is_black(s) {
                let x = rect.left() + white as f32 * w;
                black_rects.push((
                    key,
                    Rect::from_min_size(
                        pos2(x - w * 0.32, rect.top()),
                        vec2(w * 0.64, rect.height() * 0.6),
                    ),
                ));
            } else {
                white_rects.push((
                    key,
                    Rect::from_min_size(
                        pos2(rect.left() + white as f32 * w, rect.top()),
                        vec2(w, rect.height()),
                    ),
                ));
                white += 1;
            }
        }
        white_rects.extend(black_rects);
        white_rects
    }

    fn keys(&mut self, ui: &mut Ui, inbox: &NoteInbox, width: f32) {
        let (rect, _) = ui.allocate_exact_size(vec2(width, HEIGHT), Sense::hover());
        let layout = self.layout(rect);
        // The key under the pointer: black keys lie on top of white ones.
        let pointer = ui.input(|i| i.pointer.interact_pos());
        let under = pointer.and_then(|p| {
            layout
                .iter()
                .rev()
                .find(|(_, r)| r.contains(p))
                .map(|(k, _)| *k)
        });
        let mut pressed = None;
        for (key, r) in &layout {
            let id = Id::unique(("piano-key", *key));
            let response = ui.interact(*r, id, Sense::click_and_drag());
            response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Button, true, note_name(*key))
            });
            if response.is_pointer_button_down_on() {
                pressed = under;
            }
        }
        let down = ui.input(|i| i.pointer.primary_down());
        let wanted = if down {
            pressed.or(self.mouse.and(under))
        } else {
            None
        };
        if wanted != self.mouse {
            if let Some(old) = self.mouse.take() {
                Self::stop(inbox, old);
            }
            if let Some(new) = wanted {
                self.start(inbox, new);
                self.mouse = Some(new);
            }
        }

        let held = self.held();
        let painter = ui.painter_at(rect);
        for (key, r) in &layout {
            let black = is_black(key.wrapping_sub(self.lowest()));
            let lit = held.contains(key);
            let fill = match (black, lit) {
                (_, true) => theme::ACCENT,
                (true, false) => Color32::from_rgb(0x22, 0x25, 0x2d),
                (false, false) => Color32::from_rgb(0xd8, 0xdc, 0xe4),
            };
            painter.rect_filled(r.shrink(0.5), 2.0, fill);
            painter.rect_stroke(
                r.shrink(0.5),
                2.0,
                Stroke::new(1.0, theme::BACKGROUND),
                egui::StrokeKind::Inside,
            );
            if !black && key % 12 == 0 {
                painter.text(
                    r.center_bottom() - vec2(0.0, 3.0),
                    egui::Align2::CENTER_BOTTOM,
                    note_name(*key),
                    egui::FontId::proportional(9.0),
                    theme::BACKGROUND,
                );
            }
        }
    }

    /// Plays the computer keys (not while a text field or a prompt has the keys).
    /// Stops the computer keyboard playing (releasing what it holds) while
    /// `suspended`: a prompt has the keys.
    pub fn set_suspended(&mut self, suspended: bool, inbox: &NoteInbox) {
        if suspended && !self.suspended {
            self.release_all(inbox);
        }
        self.suspended = suspended;
    }

    fn computer_keys(&mut self, ui: &Ui, inbox: &NoteInbox) {
        if self.suspended || ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let events = ui.input(|i| i.events.clone());
        for event in events {
            let egui::Event::Key {
                key,
                pressed,
                repeat: false,
                modifiers,
                ..
            } = event
            else {
                continue;
            };
            if modifiers.command || modifiers.ctrl || modifiers.alt {
                continue;
            }
            if pressed {
                match key {
                    Key::Z => self.shift_octave(inbox, -1),
                    Key::X => self.shift_octave(inbox, 1),
                    Key::C | Key::V => {
                        let step = if key == Key::C {
                            -VELOCITY_STEP
                        } else {
                            VELOCITY_STEP
                        };
                        let v = (self.velocity * 127.0).round() + step;
                        self.velocity = v.clamp(1.0, 127.0) / 127.0;
                    }
                    _ => {}
                }
            }
            let Some(&(_, offset)) = COMPUTER_KEYS.iter().find(|(k, _)| *k == key) else {
                continue;
            };
            let note = self.lowest().saturating_add(offset).min(127);
            if pressed {
                if !self.typed.iter().any(|(k, _)| *k == key) {
                    self.start(inbox, note);
                    self.typed.push((key, note));
                }
            } else if let Some(i) = self.typed.iter().position(|(k, _)| *k == key) {
                let (_, held) = self.typed.remove(i);
                Self::stop(inbox, held);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_layout() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(69), "A4");
        assert_eq!(note_name(61), "C#4");
        let k = Keyboard::default();
        assert_eq!(k.lowest(), 48);
        let layout = k.layout(Rect::from_min_size(pos2(0.0, 0.0), vec2(220.0, 50.0)));
        assert_eq!(layout.len(), 12 * OCTAVES as usize + 1);
        // White keys tile the width.
        let whites: Vec<_> = layout
            .iter()
            .filter(|(key, _)| !is_black(key - 48))
            .collect();
        assert_eq!(whites.len(), 22);
        assert!((whites.last().unwrap().1.right() - 220.0).abs() < 1e-3);
    }
}
