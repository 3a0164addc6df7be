//! `cargo xtask`: project tasks.
//!
//! - `cargo xtask bundle neural-wavetable --release`: builds the plugin and
//!   writes `Neural Wavetable.clap` and `Neural Wavetable.vst3` to
//!   target/bundled/ (nice-plug-xtask).
//! - `cargo xtask dataset`, `train`, `eval`: build the training data, train
//!   the autoencoder into assets/model.safetensors, and measure it.
//! - `cargo xtask install`: copies those bundles into the user's plugin
//!   folders (~/.clap and ~/.vst3 on Linux; the platform's usual folders
//!   elsewhere). Run `bundle` first.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

mod model_tasks;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("install") => install(),
        Some(task @ ("dataset" | "train" | "eval" | "semantic")) => {
            nice_plug_xtask::chdir_workspace_root()?;
            match task {
                "dataset" => model_tasks::dataset(rest),
                "train" => model_tasks::train(rest),
                "semantic" => model_tasks::semantic(rest),
                _ => model_tasks::eval(rest),
            }
        }
        Some(_) => nice_plug_xtask::main(),
        None => {
            eprintln!("usage: cargo xtask <bundle PACKAGE [--release] | install | dataset | train | eval | semantic>");
            nice_plug_xtask::main()
        }
    }
}

fn home() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .context("cannot find the home folder (HOME is not set)")
}

/// Where CLAP and VST3 bundles go for the current user.
fn plugin_dirs() -> Result<(PathBuf, PathBuf)> {
    let home = home()?;
    Ok(if cfg!(target_os = "macos") {
        let base = home.join("Library/Audio/Plug-Ins");
        (base.join("CLAP"), base.join("VST3"))
    } else if cfg!(target_os = "windows") {
        let local = std::env::var_os("LOCALAPPDATA")
            .map(PathBuf::from)
            .unwrap_or(home.join("AppData/Local"));
        (
            local.join("Programs/Common/CLAP"),
            local.join("Programs/Common/VST3"),
        )
    } else {
        (home.join(".clap"), home.join(".vst3"))
    })
}

fn copy_recursively(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_recursively(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        std::fs::copy(from, to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

fn install() -> Result<()> {
    nice_plug_xtask::chdir_workspace_root()?;
    let bundled = Path::new("target/bundled");
    let (clap_dir, vst3_dir) = plugin_dirs()?;
    let mut installed = 0;
    for entry in std::fs::read_dir(bundled).with_context(|| {
        format!(
            "{} not found: run `cargo xtask bundle neural-wavetable --release` first",
            bundled.display()
        )
    })? {
        let path = entry?.path();
        let dest_dir = match path.extension().and_then(|e| e.to_str()) {
            Some("clap") => &clap_dir,
            Some("vst3") => &vst3_dir,
            _ => continue,
        };
        std::fs::create_dir_all(dest_dir)?;
        let dest = dest_dir.join(path.file_name().expect("bundle has a name"));
        if dest.is_dir() {
            std::fs::remove_dir_all(&dest)?;
        }
        copy_recursively(&path, &dest)?;
        println!("installed {}", dest.display());
        installed += 1;
    }
    if installed == 0 {
        bail!("no .clap or .vst3 bundle in {}: run `cargo xtask bundle neural-wavetable --release` first", bundled.display());
    }
    Ok(())
}
