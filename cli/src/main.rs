//! `nwt`: Neural Wavetable on the command line. Renders notes through the same
//! engine code the plugin runs.

use anyhow::{bail, Context, Result};
use automation::{parse_automation, AutomationPlayer};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use neural_wavetable::preset::file_slug;
use neural_wavetable::preset::{self, Preset};
use neural_wavetable::wav;
use neural_wavetable::wav_import::{self, Imported};
use nwt_engine::neural::{Anchor, AnchorShape, Anchors, DecoderWorker, UserTable, WorkerOptions};
use nwt_engine::offline::{self, RenderOptions};
use nwt_engine::{Synth, SynthParams};
use nwt_model::Model;
use realtime::RealtimeClock;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod args;
mod automation;
mod check_tables;
mod cycles;
mod presets;
mod realtime;
mod render;
mod score;

pub(crate) use args::*;
pub(crate) use cycles::*;
pub(crate) use presets::*;
pub(crate) use render::*;

/// Neural Wavetable's command-line tool.
#[derive(Parser)]
#[command(
    name = "nwt",
    version,
    about,
    long_about = "Neural Wavetable's command-line tool: render notes to WAV \
through the same engine the CLAP/VST3 plugin and the standalone app run.\n\n\
Example:\n  nwt render --notes \"A4@0:1,C#6@0.5:1.5\" -o out.wav"
)]
struct Cli {
    /// Where the neural model runs: `cpu`, or `gpu` (CUDA or Metal in builds
    /// with the `cuda`/`metal` feature; falls back to the CPU when none
    /// answers). The device used is printed.
    #[arg(long, global = true, default_value = "cpu", value_parser = ["cpu", "gpu"])]
    device: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render notes (from --notes and/or a MIDI file) to a 32-bit float stereo WAV.
    ///
    /// The render runs on past the last release until the synth is silent.
    Render(RenderArgs),
    /// List the factory presets and the presets in the user's preset folder.
    Presets {
        /// Also measure each preset on the standard chord (C3 E3 G3 C4,
        /// velocity 0.8): its loudest momentary loudness (EBU R128, LUFS)
        /// and its sample peak; the factory bank sits at -19 LUFS ± 2 LU
        /// and peaks at or below -1 dBFS.
        #[arg(long)]
        loudness: bool,
    },
    /// Show or save a preset (.nwtpreset).
    #[command(subcommand)]
    Preset(PresetCommand),
    /// Encode one cycle (a WAV file of any length, rate and bit depth; mono or
    /// the first channel) into a latent vector, written as JSON.
    Encode {
        /// The cycle.
        input: PathBuf,
        /// Latent JSON file.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Decode a latent vector (JSON from `nwt encode`) into one 2048-sample cycle (32-bit float WAV).
    Decode {
        /// Latent JSON file.
        input: PathBuf,
        /// Output WAV.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Encode then decode one cycle: hear what the model makes of it (its
    /// decoded harmonic levels, with the cycle's own phases).
    Reconstruct {
        /// The cycle (any length, sample rate or bit depth; mono or the first channel).
        input: PathBuf,
        /// Output WAV: one 2048-sample cycle, 32-bit float mono.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Write the table the synth plays with 1..=4 cycles on anchors A–D
    /// (exact at each anchor, the network's morph between them) as a
    /// Serum/Vital/Surge wavetable WAV (2048 samples a frame, `clm ` chunk).
    Table {
        /// Anchor cycles, comma-separated WAV files (1 to 4).
        #[arg(long, value_delimiter = ',')]
        anchors: Vec<PathBuf>,
        /// Frames in the table (1..=256).
        #[arg(long, default_value_t = 64)]
        frames: usize,
        /// Output wavetable WAV.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Write the table a sound plays (neural, imported or factory) as a
    /// Serum/Vital/Surge wavetable: 32-bit float WAV, 2048 samples a frame, `clm ` chunk.
    Export {
        #[command(flatten)]
        sound: SoundArgs,
        #[command(flatten)]
        model: ModelArgs,
        /// Output wavetable WAV; without it the table goes to the user's
        /// wavetable folder, named after the preset.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Measure the factory bank's neural tables as a position scan hears them:
    /// phase seams between neighbouring frames, the halfway blend's dip, the
    /// loudness range along each table and faint decoder floors (plateau
    /// frames); at each preset's own settings, at the knobs' corners, or at
    /// random settings.
    CheckTables {
        /// Also measure with macros 1 and 2 at ±0.5 and ±1 and each named
        /// knob at its limits.
        #[arg(long)]
        corners: bool,
        /// Also measure this many random knob settings per preset.
        #[arg(long, default_value_t = 0)]
        random: usize,
        /// Print every table, not only those that miss a goal.
        #[arg(long)]
        verbose: bool,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// List every parameter's stable id and its value in a preset (default Init).
    Params {
        /// Factory preset name or preset file.
        #[arg(long, default_value = "Init")]
        preset: String,
    },
}

fn main() -> Result<()> {
    // Die quietly when stdout is a closed pipe (`nwt presets | head`), as Unix tools do.
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    neural_wavetable::limit_inference_threads_on_small_machines();
    let cli = Cli::parse();
    let device = cli.device;
    match cli.command {
        Command::Render(args) => render(args, &device),
        Command::Presets { loudness } => list_presets(loudness),
        Command::Preset(command) => preset_command(command),
        Command::Encode {
            input,
            output,
            model,
        } => encode(&input, &output, &model, &device),
        Command::Decode {
            input,
            output,
            model,
        } => decode(&input, &output, &model, &device),
        Command::Reconstruct {
            input,
            output,
            model,
        } => reconstruct(&input, &output, &model, &device),
        Command::Table {
            anchors,
            frames,
            output,
            model,
        } => table(&anchors, frames, &output, &model, &device),
        Command::Export {
            sound,
            model,
            output,
        } => export(&sound, &model, output, &device),
        Command::CheckTables {
            corners,
            random,
            verbose,
            model,
        } => check_tables::run(corners, random, verbose, &model.load_on(&device)?),
        Command::Params { preset } => list_params(&preset),
    }
}

/// `nwt presets`: the factory and user presets, with their loudness if asked.
fn list_presets(loudness: bool) -> Result<()> {
    let model = if loudness {
        Some(Model::embedded()?)
    } else {
        None
    };
    let describe = |p: &Preset| -> String {
        match &model {
            None => String::new(),
            Some(model) => match neural_wavetable::loudness::preset_loudness(p, model) {
                Ok(l) => format!(
                    " {:>6.1} LUFS {:>6.1} dBFS",
                    l.momentary_max_lufs, l.peak_dbfs
                ),
                Err(e) => format!(" (not measured: {e})"),
            },
        }
    };
    println!("factory:");
    for p in preset::factory_presets() {
        println!("  {:<22} {:<8}{}", p.name, p.category, describe(&p));
    }
    let user = preset::user_presets();
    if !user.is_empty() {
        println!("user:");
    }
    for (path, p) in user {
        match p {
            Ok(p) => println!(
                "  {:<22} {:<8}{} {}",
                p.name,
                p.category,
                describe(&p),
                path.display()
            ),
            Err(e) => println!("  (unreadable) {}: {e}", path.display()),
        }
    }
    Ok(())
}

/// `nwt encode`: a cycle's latent, as a latent file.
fn encode(input: &Path, output: &Path, model: &ModelArgs, device: &str) -> Result<()> {
    let model = model.load_on(device)?;
    let latent = model.encode(&read_cycle(input)?)?;
    let file = LatentFile {
        model: model.id().to_string(),
        latent: latent.to_vec(),
    };
    std::fs::write(output, serde_json::to_string_pretty(&file)?)?;
    println!(
        "wrote {} ({} latent values, model {})",
        output.display(),
        latent.len(),
        model.id()
    );
    Ok(())
}

/// `nwt decode`: a latent file's cycle.
fn decode(input: &Path, output: &Path, model: &ModelArgs, device: &str) -> Result<()> {
    let model = model.load_on(device)?;
    let text =
        std::fs::read_to_string(input).with_context(|| format!("reading {}", input.display()))?;
    let file: LatentFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a latent file", input.display()))?;
    if file.latent.len() == nwt_model::legacy::V1_LATENT {
        // A latent of model 1: its own decoder still knows the cycle.
        let frame = nwt_model::legacy::V1Decoder::embedded()?.cycle(&file.latent)?;
        wav::write_mono_f32(output, 48_000, &frame)?;
        println!(
            "wrote {}: one 2048-sample cycle, decoded by model 1 (the latent is model 1's)",
            output.display()
        );
        return Ok(());
    }
    let latent: nwt_model::Latent = file.latent.as_slice().try_into().map_err(|_| {
        anyhow::anyhow!(
            "{} has {} latent values; this model takes {}",
            input.display(),
            file.latent.len(),
            nwt_model::vae::LATENT
        )
    })?;
    if latent.iter().any(|v| !v.is_finite()) {
        bail!("{} holds a non-finite latent value", input.display());
    }
    if file.model != model.id() {
        eprintln!(
            "note: {} was made by model {}, decoding with {}",
            input.display(),
            file.model,
            model.id()
        );
    }
    let frame = frame_of(&model.decode(&[latent])?[0]);
    wav::write_mono_f32(output, 48_000, &frame)?;
    println!("wrote {}: one 2048-sample cycle", output.display());
    Ok(())
}

/// `nwt reconstruct`: what the network makes of a cycle.
fn reconstruct(input: &Path, output: &Path, model: &ModelArgs, device: &str) -> Result<()> {
    // What the network makes of the cycle: its decoded levels with the
    // cycle's own phases (the network's miss, which the synth's
    // tables add back at an anchor, left out so it can be heard).
    let model = model.load_on(device)?;
    let h = read_cycle(input)?;
    let levels = model.decode_levels(&[model.encode(&h)?])?;
    let phases = nwt_model::levels::phases(&Model::canonical(&h));
    let mut decoded = nwt_model::levels::spectrum(&levels[0], Some(&phases));
    nwt_model::families::normalise(&mut decoded, nwt_model::vae::HARMONICS);
    let frame = frame_of(&decoded);
    wav::write_mono_f32(output, 48_000, &frame)?;
    println!("wrote {}: one 2048-sample cycle", output.display());
    Ok(())
}

/// `nwt table`: a wavetable through 1 to 4 anchor cycles.
fn table(
    anchors: &[PathBuf],
    frames: usize,
    output: &Path,
    model: &ModelArgs,
    device: &str,
) -> Result<()> {
    if anchors.is_empty() || anchors.len() > 4 {
        bail!("--anchors takes 1 to 4 WAV files, got {}", anchors.len());
    }
    if !(1..=nwt_engine::MAX_FRAMES).contains(&frames) {
        bail!(
            "--frames takes 1..={}, got {frames}",
            nwt_engine::MAX_FRAMES
        );
    }
    let model = model.load_on(device)?;
    let cycles = anchors
        .iter()
        .map(|p| read_audible_cycle(p).map(|(name, samples, _)| (name, samples)))
        .collect::<Result<Vec<_>>>()?;
    let set = synth_table(&model, cycles, frames)?;
    let frames_td: Vec<Vec<f32>> = (0..set.frame_count())
        .map(|i| set.frame(i).to_vec())
        .collect();
    wav::write_wavetable(output, 48_000, &frames_td)?;
    println!(
        "wrote {}: {} frames of 2048 samples with a clm chunk",
        output.display(),
        frames_td.len()
    );
    Ok(())
}

/// `nwt export`: a sound's current table as a wavetable file.
fn export(
    sound: &SoundArgs,
    model: &ModelArgs,
    output: Option<PathBuf>,
    device: &str,
) -> Result<()> {
    let params = SynthParams::default();
    let preset = sound.load(&params, 48_000.0)?;
    let output = match output {
        Some(path) => path,
        None => neural_wavetable::folders::wavetables_dir()?
            .join(format!("{}.wav", file_slug(&preset.name))),
    };
    let set = current_table(&params, &model.load_on(device)?)?;
    let frames: Vec<Vec<f32>> = (0..set.frame_count()).map(|i| set.frame(i)).collect();
    wav::write_wavetable(&output, 48_000, &frames)?;
    println!(
        "wrote {}: {} frames of 2048 samples with a clm chunk",
        output.display(),
        frames.len()
    );
    Ok(())
}

/// `nwt params`: every parameter's stable id and its value in a preset.
fn list_params(preset: &str) -> Result<()> {
    let params = SynthParams::default();
    preset::resolve(preset)?.load_into(&params, 48_000.0)?;
    for (id, value) in params.describe() {
        println!("{id:<20} {value}");
    }
    Ok(())
}
