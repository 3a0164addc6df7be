//! What the editor remembers between sessions (kept with the parameters so
//! the host saves it).

/// What the editor remembers between sessions: its window size and scale,
/// and the preset last loaded or saved (its "changed" marker compares against
/// it). Lives with the parameters so the host saves it with the session.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct EditorMemory {
    /// Window width in logical pixels, before scaling.
    pub width: f32,
    /// Window height in logical pixels, before scaling.
    pub height: f32,
    /// The user's zoom factor (1.0 = 100 %).
    pub scale: f32,
    /// The preset the sound came from: a factory name or a user file's path.
    pub preset: Option<String>,
    /// The folder the WAV browser last opened a file from.
    pub wave_folder: Option<std::path::PathBuf>,
}

impl EditorMemory {
    /// The editor's design size.
    pub const DEFAULT_SIZE: (f32, f32) = (1200.0, 900.0);
    /// Smallest window size.
    pub const MIN_SIZE: (f32, f32) = (900.0, 640.0);
    /// Largest window size.
    pub const MAX_SIZE: (f32, f32) = (3000.0, 2000.0);
    /// Zoom factors offered.
    pub const SCALES: [f32; 6] = [0.75, 0.9, 1.0, 1.25, 1.5, 2.0];

    /// The same memory with any out-of-range or non-finite value replaced by a
    /// usable one (a session file may hold anything).
    pub fn sanitized(&self) -> Self {
        let fit = |v: f32, lo: f32, hi: f32, default: f32| {
            if v.is_finite() {
                v.clamp(lo, hi)
            } else {
                default
            }
        };
        Self {
            width: fit(
                self.width,
                Self::MIN_SIZE.0,
                Self::MAX_SIZE.0,
                Self::DEFAULT_SIZE.0,
            ),
            height: fit(
                self.height,
                Self::MIN_SIZE.1,
                Self::MAX_SIZE.1,
                Self::DEFAULT_SIZE.1,
            ),
            scale: fit(self.scale, 0.5, 3.0, 1.0),
            preset: self.preset.clone(),
            wave_folder: self.wave_folder.clone(),
        }
    }
}

impl Default for EditorMemory {
    fn default() -> Self {
        Self {
            width: Self::DEFAULT_SIZE.0,
            height: Self::DEFAULT_SIZE.1,
            scale: 1.0,
            preset: None,
            wave_folder: None,
        }
    }
}
