//! The user's folders for presets and wavetables, in the platform's usual
//! data folder (Linux: `~/.local/share/neural-wavetable`), created on first use.
//! `NWT_USER_DIR` points them elsewhere (tests, portable installs).

use std::path::PathBuf;

/// Environment variable that overrides the user data folder.
pub const USER_DIR_ENV: &str = "NWT_USER_DIR";

/// Why a user folder is not available.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The platform has no home or data folder for this user.
    #[error("no user data folder on this system (set {USER_DIR_ENV} to choose one)")]
    NoDataDir,
    /// The folder could not be created.
    #[error("cannot create {path}: {source}")]
    Create {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The user data folder (not created).
pub fn user_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(USER_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "neural-wavetable", "neural-wavetable")
        .map(|d| d.data_dir().to_path_buf())
}

fn sub_dir(name: &str) -> Result<PathBuf, FolderError> {
    let dir = user_data_dir().ok_or(FolderError::NoDataDir)?.join(name);
    std::fs::create_dir_all(&dir).map_err(|source| FolderError::Create {
        path: dir.display().to_string(),
        source,
    })?;
    Ok(dir)
}

/// The user's preset folder, created if missing.
pub fn presets_dir() -> Result<PathBuf, FolderError> {
    sub_dir("presets")
}

/// The user's wavetable folder, created if missing.
pub fn wavetables_dir() -> Result<PathBuf, FolderError> {
    sub_dir("wavetables")
}
