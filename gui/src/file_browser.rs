//! A file browser (WAV files, or the kinds it is told) drawn in egui: works the same in every host and in the
//! standalone app (a native dialog inside a plugin window is fragile on Linux).

use crate::theme;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Most entries listed from one folder.
const MAX_ENTRIES: usize = 2000;

/// An open browser.
#[derive(Debug, Clone)]
pub struct FileBrowser {
    /// What the chosen file is for (shown in the title).
    pub purpose: String,
    folder: PathBuf,
    typed: String,
    entries: Vec<(OsString, bool)>,
    error: Option<String>,
    /// Where the window opens (next to the button that opened it).
    at: Option<egui::Pos2>,
    /// The file extensions listed (lower case).
    extensions: &'static [&'static str],
}

/// What the user did with the browser this frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserAction {
    /// Still open.
    Open,
    /// Closed without a choice.
    Cancelled,
    /// A file was chosen.
    Chosen(PathBuf),
}

/// Whether `name` ends in one of `extensions`.
fn has_extension(name: &str, extensions: &[&str]) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

impl FileBrowser {
    /// A browser for `purpose` starting in `folder` (or the home folder).
    pub fn new(purpose: impl Into<String>, folder: Option<PathBuf>) -> Self {
        let folder = folder
            .filter(|f| f.is_dir())
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/"));
        let mut browser = Self {
            at: None,
            extensions: &["wav"],
            purpose: purpose.into(),
            typed: folder.display().to_string(),
            folder: folder.clone(),
            entries: Vec::new(),
            error: None,
        };
        browser.enter(folder);
        browser
    }

    /// Lists `folder`: sub-folders first, then the files it lists, each sorted by name
    /// (the first [`MAX_ENTRIES`] of them).
    fn enter(&mut self, folder: PathBuf) {
        match std::fs::read_dir(&folder) {
            Ok(dir) => {
                let mut entries: Vec<(OsString, bool)> = dir
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name();
                        let shown = name.to_string_lossy().into_owned();
                        // `is_dir` on the path follows links to folders.
                        let is_dir = e.path().is_dir();
                        (!shown.starts_with('.')
                            && (is_dir || has_extension(&shown, self.extensions)))
                        .then_some((name, is_dir))
                    })
                    .collect();
                entries.sort_by_cached_key(|(name, is_dir)| {
                    (!*is_dir, name.to_string_lossy().to_lowercase())
                });
                entries.truncate(MAX_ENTRIES);
                self.entries = entries;
                self.typed = folder.display().to_string();
                self.folder = folder;
                self.error = None;
            }
            Err(e) => self.error = Some(format!("{}: {e}", folder.display())),
        }
    }

    /// Lists files with these extensions (lower case, no dot) instead of WAVs.
    pub fn accepting(mut self, extensions: &'static [&'static str]) -> Self {
        self.extensions = extensions;
        let folder = self.folder.clone();
        self.enter(folder);
        self
    }

    /// Opens the window at `pos` (next to the button that asked for it).
    pub fn at(mut self, pos: egui::Pos2) -> Self {
        self.at = Some(pos);
        self
    }

    /// The folder listed.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Draws the browser as a window; returns what happened.
    pub fn show(&mut self, ctx: &egui::Context, shortcuts: &[(String, PathBuf)]) -> BrowserAction {
        let mut action = BrowserAction::Open;
        let mut open = true;
        let mut window = egui::Window::new(format!("Load WAV: {}", self.purpose))
            .id(egui::Id::unique("wav-browser"));
        if let Some(pos) = self.at {
            window = window.default_pos(pos);
        }
        window
            .collapsible(false)
            .resizable(true)
            .default_size([460.0, 380.0])
            .open(&mut open)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    if ui.button("Up").clicked() {
                        if let Some(parent) = self.folder.parent() {
                            self.enter(parent.to_path_buf());
                        }
                    }
                    for (name, path) in shortcuts {
                        if ui.button(name).clicked() {
                            let _ = std::fs::create_dir_all(path);
                            self.enter(path.clone());
                        }
                    }
                });
                let field = ui
                    .add(egui::TextEdit::singleline(&mut self.typed).desired_width(f32::INFINITY));
                if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    let typed = PathBuf::from(self.typed.trim());
                    if typed.is_dir() {
                        self.enter(typed);
                    } else if typed.is_file() {
                        action = BrowserAction::Chosen(typed);
                    } else {
                        self.error = Some(format!("{} does not exist", typed.display()));
                    }
                }
                if let Some(e) = &self.error {
                    ui.colored_label(theme::WARM, e);
                }
                ui.separator();
                egui::ScrollArea::vertical()
                    .max_height(260.0)
                    .show(ui, |ui| {
                        let mut go = None;
                        for (name, is_dir) in &self.entries {
                            let shown = name.to_string_lossy();
                            let label = if *is_dir {
                                format!("{shown}/")
                            } else {
                                shown.into_owned()
                            };
                            if ui.selectable_label(false, label).clicked() {
                                go = Some((self.folder.join(name), *is_dir));
                            }
                        }
                        if self.entries.is_empty() {
                            ui.label("No folders or WAV files here.");
                        }
                        match go {
                            Some((path, true)) => self.enter(path),
                            Some((path, false)) => action = BrowserAction::Chosen(path),
                            None => {}
                        }
                    });
                ui.separator();
                ui.horizontal(|ui| {
                    ui.label(
                        egui::RichText::new("Or drop a WAV file onto the editor.")
                            .color(theme::TEXT_DIM),
                    );
                    if ui.button("Cancel").clicked() {
                        action = BrowserAction::Cancelled;
                    }
                });
            });
        if !open {
            action = BrowserAction::Cancelled;
        }
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_folders_then_wav_files_only() {
        let dir = std::env::temp_dir().join(format!("nwt-browser-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for f in ["b.wav", "A.WAV", "notes.txt", ".hidden.wav"] {
            std::fs::write(dir.join(f), b"x").unwrap();
        }
        let browser = FileBrowser::new("test", Some(dir.clone()));
        let names: Vec<&str> = browser
            .entries
            .iter()
            .filter_map(|(n, _)| n.to_str())
            .collect();
        assert_eq!(names, ["sub", "A.WAV", "b.wav"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_folder_falls_back_to_home() {
        let browser = FileBrowser::new("test", Some(PathBuf::from("/definitely/not/here")));
        assert!(browser.folder().is_dir());
    }
}
