//! The editor's [`SoundLibrary`]: factory and user presets (the preset
//! module), the user's folders, and WAV files through the bounded importer.

use crate::preset::{self, file_slug, Preset, PRESET_EXTENSION};
use crate::wav_import::{self, Imported};
use nwt_engine::neural::UserTable;
use nwt_engine::SynthParams;
use nwt_gui::access::{PresetEntry, Sound, SoundLibrary, WaveFile};
use std::path::{Path, PathBuf};

/// Presets and WAVs from the factory bank and the user's folders.
#[derive(Debug, Default)]
pub struct PluginLibrary;

fn entry(p: &Preset, user: bool, key: String) -> PresetEntry {
    PresetEntry {
        name: p.name.clone(),
        category: p.category.clone(),
        author: p.author.clone(),
        user,
        key,
    }
}

fn display_name(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

impl SoundLibrary for PluginLibrary {
    fn presets(&self) -> Vec<PresetEntry> {
        let mut factory: Vec<PresetEntry> = preset::factory_presets()
            .iter()
            .map(|p| entry(p, false, p.name.clone()))
            .collect();
        factory.sort_by(|a, b| {
            (a.category.as_str(), a.name.as_str()).cmp(&(b.category.as_str(), b.name.as_str()))
        });
        let mut user: Vec<PresetEntry> = preset::user_presets()
            .into_iter()
            .filter_map(|(path, p)| p.ok().map(|p| entry(&p, true, path.display().to_string())))
            .collect();
        user.sort_by(|a, b| {
            (a.category.as_str(), a.name.as_str()).cmp(&(b.category.as_str(), b.name.as_str()))
        });
        factory.extend(user);
        factory
    }

    fn load(&self, entry: &PresetEntry) -> Result<Sound, String> {
        let p = if entry.user {
            Preset::load(Path::new(&entry.key))
        } else {
            Preset::factory(&entry.key)
        }
        .map_err(|e| e.to_string())?;
        p.validate(&SynthParams::default())
            .map_err(|e| e.to_string())?;
        Ok(Sound {
            values: p.plain_values(),
            anchors: p.anchors,
        })
    }

    fn save(
        &self,
        name: &str,
        category: &str,
        params: &SynthParams,
        replace: Option<&PresetEntry>,
    ) -> Result<PresetEntry, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("the preset needs a name".into());
        }
        let path = match replace {
            Some(old) if old.user => PathBuf::from(&old.key),
            _ => {
                let dir = crate::folders::presets_dir().map_err(|e| e.to_string())?;
                let path = dir.join(format!("{}.{PRESET_EXTENSION}", file_slug(name)));
                if path.exists() {
                    return Err(format!(
                        "{} already exists: choose another name (or load that preset and use Save)",
                        path.display()
                    ));
                }
                path
            }
        };
        let p = Preset::capture(params, name, category, "User");
        // Write a sibling first, then rename: a failed write never truncates
        // the preset being replaced.
        let temporary = path.with_extension("nwtpreset.partial");
        std::fs::write(&temporary, p.to_json())
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(entry(&p, true, path.display().to_string()))
    }

    fn read_wave(&self, path: &Path) -> Result<WaveFile, String> {
        let name = display_name(path);
        let table = |frames: Vec<Vec<f32>>| {
            UserTable::new(&name, frames)
                .map(WaveFile::Table)
                .ok_or_else(|| format!("{} does not make a playable table", path.display()))
        };
        match wav_import::import_file(path).map_err(|e| e.to_string())? {
            Imported::Cycle(samples) => Ok(WaveFile::Cycle { name, samples }),
            Imported::Table { frames, .. } => table(frames),
            Imported::Recording { cycles, .. } if cycles.len() > 1 => table(cycles),
            Imported::Recording { mut cycles, .. } => Ok(WaveFile::Cycle {
                name,
                samples: cycles.pop().unwrap_or_default(),
            }),
        }
    }

    fn wave_folder(&self) -> Option<PathBuf> {
        crate::folders::wavetables_dir().ok()
    }

    fn export_table(&self, name: &str, frames: &[Vec<f32>]) -> Result<PathBuf, String> {
        if frames.is_empty() || frames.iter().any(|f| f.len() != nwt_engine::FRAME_LEN) {
            return Err("there is no table of 2048-sample frames to export yet".into());
        }
        let dir = crate::folders::wavetables_dir().map_err(|e| e.to_string())?;
        let slug = match file_slug(name.trim()) {
            s if s.trim_matches('-').is_empty() => "table".to_string(),
            s => s,
        };
        // Never over an earlier export or the user's own file: "pad.wav",
        // then "pad-2.wav", "pad-3.wav", ...
        let path = (1..10_000)
            .map(|n| match n {
                1 => dir.join(format!("{slug}.wav")),
                n => dir.join(format!("{slug}-{n}.wav")),
            })
            .find(|p| !p.exists())
            .ok_or_else(|| format!("{} holds too many files named {slug}", dir.display()))?;
        crate::wav::write_wavetable(&path, 48_000, frames)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }
}
