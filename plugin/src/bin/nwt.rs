//! `nwt`: Neural Wavetable on the command line. Renders notes through the same
//! engine code the plugin runs.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use neural_wavetable::automation::{parse_automation, AutomationPlayer};
use neural_wavetable::preset::file_slug;
use neural_wavetable::preset::{self, Preset};
use neural_wavetable::realtime::RealtimeClock;
use neural_wavetable::wav_import::{self, Imported};
use neural_wavetable::{score, wav};
use nwt_engine::neural::{Anchor, AnchorShape, Anchors, DecoderWorker, UserTable, WorkerOptions};
use nwt_engine::offline::{self, RenderOptions};
use nwt_engine::{Synth, SynthParams};
use nwt_model::Model;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

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
    /// List every parameter's stable id and its value in a preset (default Init).
    Params {
        /// Factory preset name or preset file.
        #[arg(long, default_value = "Init")]
        preset: String,
    },
}

#[derive(Subcommand)]
enum PresetCommand {
    /// Print a preset: its name, category, author, anchors and every parameter.
    Show {
        /// A factory or user preset's name, or a preset file.
        preset: String,
    },
    /// Save a sound as a preset file: a starting preset plus --set/--anchor changes.
    Save {
        /// The new preset's name.
        #[arg(long)]
        name: String,
        /// Its category (Bass, Lead, Pad, Pluck, Keys, FX, ...).
        #[arg(long, default_value = "User")]
        category: String,
        /// Who made it.
        #[arg(long, default_value = "")]
        author: String,
        /// The preset to start from.
        #[arg(long, default_value = "Init")]
        from: String,
        /// Parameter changes, PARAM=VALUE (as for `nwt render --set`).
        #[arg(long = "set", value_name = "PARAM=VALUE")]
        set: Vec<String>,
        /// Anchor changes, SLOT=SHAPE|FILE|none (as for `nwt render --anchor`).
        #[arg(long = "anchor", value_name = "SLOT=SHAPE|FILE|none")]
        anchors: Vec<String>,
        /// Output file; without it the preset goes to the user's preset folder.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// A sound as the command line describes it: a preset, then parameter and
/// anchor changes and an imported table.
#[derive(clap::Args)]
struct SoundArgs {
    /// Factory or user preset name (see `nwt presets`) or a .nwtpreset file.
    #[arg(long, default_value = "Init")]
    preset: String,
    /// Set a parameter by stable id to a plain value or its display text, e.g.
    /// --set cutoff=800 --set filter_mode="High Pass". Repeatable; applied after the preset.
    #[arg(long = "set", value_name = "PARAM=VALUE")]
    set: Vec<String>,
    /// Set an anchor slot (A..D) of the neural table: a factory shape (sine,
    /// triangle, saw, square, pulse25, pulse10, dark, bright, hollow, vowel_a,
    /// vowel_o, organ), a WAV file holding one cycle (FILE@N: frame N of a wavetable), or `none`. Repeatable;
    /// applied after the preset, e.g. --anchor A=sine --anchor B=cello.wav.
    #[arg(long = "anchor", value_name = "SLOT=SHAPE|FILE|none")]
    anchors: Vec<String>,
    /// Play a wavetable WAV (Serum/Vital/Surge, any format; or the cycles of a
    /// recording) as it is, without the model: sets `table` to `Imported`.
    #[arg(long, value_name = "FILE.wav")]
    import_table: Option<PathBuf>,
}

impl SoundArgs {
    /// Loads the sound into `params`; returns the preset it started from.
    fn load(&self, params: &SynthParams, sample_rate: f32) -> Result<Preset> {
        let preset = preset::resolve(&self.preset)?;
        preset.load_into(params, sample_rate)?;
        apply_set_args(params, &self.set, sample_rate)?;
        apply_anchor_args(params, &self.anchors)?;
        if let Some(path) = &self.import_table {
            params.set_user_table(Some(read_user_table(path)?));
            params.set_by_id("table", "Imported", sample_rate)?;
        }
        Ok(preset)
    }
}

/// Applies `--set PARAM=VALUE` settings.
fn apply_set_args(params: &SynthParams, specs: &[String], sample_rate: f32) -> Result<()> {
    for assignment in specs {
        let (id, value) = assignment
            .split_once('=')
            .with_context(|| format!("--set takes PARAM=VALUE, got `{assignment}`"))?;
        params.set_by_id(id.trim(), value.trim(), sample_rate)?;
    }
    Ok(())
}

fn preset_command(command: PresetCommand) -> Result<()> {
    match command {
        PresetCommand::Show { preset } => {
            let p = preset::resolve(&preset)?;
            println!("name      {}", p.name);
            println!("category  {}", p.category);
            println!("author    {}", p.author);
            println!("version   {}", p.version);
            println!("model     {}", p.model.as_deref().unwrap_or("-"));
            let params = SynthParams::default();
            p.load_into(&params, 48_000.0)?;
            for (slot, name) in params
                .anchors_snapshot()
                .slots
                .iter()
                .zip(nwt_engine::neural::anchors::SLOT_NAMES)
            {
                let label = slot.as_ref().map_or_else(|| "-".to_string(), Anchor::label);
                println!("anchor {name}  {label}");
            }
            for (id, value) in params.describe() {
                println!("{id:<20} {value}");
            }
            Ok(())
        }
        PresetCommand::Save {
            name,
            category,
            author,
            from,
            set,
            anchors,
            output,
        } => {
            let params = SynthParams::default();
            let sound = SoundArgs {
                preset: from,
                set,
                anchors,
                import_table: None,
            };
            sound.load(&params, 48_000.0)?;
            let p = Preset::capture(&params, &name, &category, &author);
            let path = match output {
                Some(path) => path,
                None => neural_wavetable::folders::presets_dir()?.join(format!(
                    "{}.{}",
                    file_slug(&name),
                    preset::PRESET_EXTENSION
                )),
            };
            std::fs::write(&path, p.to_json())
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("saved preset {} to {}", p.name, path.display());
            Ok(())
        }
    }
}

/// Which model to use.
#[derive(clap::Args)]
struct ModelArgs {
    /// A weights file (safetensors) to use instead of the model built into nwt.
    #[arg(long)]
    weights: Option<PathBuf>,
}

impl ModelArgs {
    /// Loads the model onto the CPU.
    fn load(&self) -> Result<Model> {
        Ok(match &self.weights {
            Some(path) => {
                Model::load(path).with_context(|| format!("loading {}", path.display()))?
            }
            None => Model::embedded()?,
        })
    }

    /// Loads the model onto the device `--device` asks for, printing which one runs it.
    fn load_on(&self, device: &str) -> Result<Model> {
        let model = self.load()?;
        let (device, name) = nwt_model::select_device(device == "gpu");
        let model = model.to_device(&device)?;
        eprintln!("model runs on {name}");
        Ok(model)
    }
}

/// A latent vector as stored by `nwt encode`.
#[derive(serde::Serialize, serde::Deserialize)]
struct LatentFile {
    /// Id of the model that made it.
    model: String,
    /// The latent coordinates.
    latent: Vec<f32>,
}

/// Reads one cycle from a WAV file of any format: a short file is the cycle;
/// `FILE@N` takes frame N of a wavetable (frame 0 without `@N`); a longer
/// recording gives its middle pitch-detected cycle.
fn read_cycle_samples(spec: &Path) -> Result<(String, Vec<f32>)> {
    let text = spec.to_string_lossy();
    let (path, frame) = match text.rsplit_once('@') {
        Some((p, n)) if !Path::new(&*text).exists() => (
            PathBuf::from(p),
            Some(
                n.parse::<usize>()
                    .with_context(|| format!("`{text}`: after @ comes a frame number"))?,
            ),
        ),
        _ => (spec.to_path_buf(), None),
    };
    let name = path
        .file_name()
        .map_or_else(|| text.to_string(), |n| n.to_string_lossy().into_owned());
    let samples = match wav_import::import_file(&path)? {
        Imported::Cycle(cycle) => {
            if frame.is_some_and(|n| n > 0) {
                bail!(
                    "{} is a single cycle; it has no frame {}",
                    path.display(),
                    frame.unwrap_or(0)
                );
            }
            cycle
        }
        Imported::Table { frames, .. } => {
            let n = frame.unwrap_or(0);
            let count = frames.len();
            frames.into_iter().nth(n).with_context(|| {
                format!(
                    "{} has {count} frames; there is no frame {n}",
                    path.display()
                )
            })?
        }
        Imported::Recording { cycles, .. } => {
            let n = frame.unwrap_or(cycles.len() / 2);
            let count = cycles.len();
            cycles.into_iter().nth(n).with_context(|| {
                format!(
                    "{} gave {count} cycles; there is no cycle {n}",
                    path.display()
                )
            })?
        }
    };
    let label = match frame {
        Some(n) => format!("{name}@{n}"),
        None => name,
    };
    Ok((label, samples))
}

/// Reads one cycle (see [`read_cycle_samples`]) and refuses a silent one:
/// its label, its samples and its spectrum.
fn read_audible_cycle(spec: &Path) -> Result<(String, Vec<f32>, nwt_model::Harmonics)> {
    let (label, samples) = read_cycle_samples(spec)?;
    let h = nwt_model::Harmonics::from_cycle(&samples);
    if (1..=nwt_model::MAX_HARMONIC).all(|k| h.magnitude(k) < 1e-6) {
        bail!(
            "{} is silent (or pure DC): nothing to encode",
            spec.display()
        );
    }
    Ok((label, samples, h))
}

/// Reads one audible cycle as a spectrum ([`read_audible_cycle`]).
fn read_cycle(spec: &Path) -> Result<nwt_model::Harmonics> {
    Ok(read_audible_cycle(spec)?.2)
}

/// Reads a wavetable (or the cycles of a recording) as an imported table.
fn read_user_table(path: &Path) -> Result<UserTable> {
    let frames = match wav_import::import_file(path)? {
        Imported::Cycle(cycle) => vec![cycle],
        Imported::Table { frames, .. } => frames,
        Imported::Recording { cycles, .. } => cycles,
    };
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    UserTable::new(&name, frames)
        .with_context(|| format!("{} does not make a playable table", path.display()))
}

/// One 2048-sample cycle of a spectrum.
fn frame_of(h: &nwt_model::Harmonics) -> Vec<f32> {
    nwt_model::families::harmonics_to_frame(h)
}

#[derive(clap::Args)]
struct RenderArgs {
    #[command(flatten)]
    sound: SoundArgs,
    /// Notes as NOTE@START:DURATION[vVELOCITY], comma-separated; seconds; C4 is MIDI 60.
    /// NOTE is a name (A4, C#6, Db3) or a MIDI number. Example: "A4@0:1,C#6@0.5:1.5v0.6".
    #[arg(long)]
    notes: Option<String>,
    /// A Standard MIDI File rendered with its tempo map: notes with their
    /// channels, and the controllers the synth uses (sustain pedal, mod wheel,
    /// CC 74), pitch bend, channel and polyphonic aftertouch.
    #[arg(long)]
    midi: Option<PathBuf>,
    /// Output sample rate in Hz (8000..=384000).
    #[arg(long, default_value_t = 48_000)]
    sample_rate: u32,
    /// Velocity (0..1) of notes that do not give their own.
    #[arg(long, default_value_t = 0.8)]
    velocity: f32,
    /// Samples per processing block, as a host would use (1..=4096).
    #[arg(long, default_value_t = 512)]
    block_size: usize,
    /// Move parameters during the render: PARAM@SECONDS=VALUE, comma-separated
    /// and repeatable, e.g. --automate "macro_1@0.5=0.8,macro_1@1.5=-0.8". A
    /// point applies at the first block that starts at or after its time.
    #[arg(long, value_name = "PARAM@SECONDS=VALUE,...")]
    automate: Vec<String>,
    /// Pace the render block by block at wall-clock speed with the decoder
    /// working as in a host, so the audio shows the real knob-to-sound delay.
    /// Without it, each block waits until the decoder has caught up with the
    /// parameters, so the same inputs always render the same samples. Reports
    /// the blocks that missed their deadline and the knob-to-sound delays.
    #[arg(long)]
    realtime: bool,
    #[command(flatten)]
    model: ModelArgs,
    /// Output WAV file.
    #[arg(short, long)]
    output: PathBuf,
}

/// The neural table the synth plays with these cycles on anchors A, B, ...
/// (macros at rest), built as the plugin builds it.
fn synth_table(
    model: &Model,
    cycles: Vec<(String, Vec<f32>)>,
    frames: usize,
) -> Result<nwt_engine::WavetableSet> {
    use nwt_engine::neural::{build_table, AnchorEncoder, TableRequest};
    let mut anchors = Anchors::default();
    for (slot, (name, samples)) in anchors.slots.iter_mut().zip(cycles) {
        *slot = Some(Anchor::Wave { name, samples });
    }
    let params = SynthParams::default();
    params.set_anchors(anchors);
    let mut request = TableRequest::read(&params);
    request.frames = frames;
    Ok(build_table(model, &mut AnchorEncoder::default(), &request)?)
}

/// The table `params` make the synth play, built as the plugin builds it.
fn current_table(params: &SynthParams, model: &Model) -> Result<nwt_engine::WavetableSet> {
    use nwt_engine::factory::TableSource;
    use nwt_engine::neural::{build_table, build_user_table, AnchorEncoder, TableRequest};
    Ok(match params.table.value() {
        TableSource::Neural => build_table(
            model,
            &mut AnchorEncoder::default(),
            &TableRequest::read(params),
        )?,
        TableSource::User => {
            let table = params
                .user_table_snapshot()
                .context("the table is `Imported` but no table was imported")?;
            build_user_table(&table)?
        }
        factory => factory.build()?,
    })
}

/// Applies `--anchor SLOT=SOURCE` settings to `params`.
fn apply_anchor_args(params: &SynthParams, specs: &[String]) -> Result<()> {
    if specs.is_empty() {
        return Ok(());
    }
    let mut anchors: Anchors = params.anchors_snapshot();
    for spec in specs {
        let (slot, source) = spec
            .split_once('=')
            .with_context(|| format!("--anchor takes SLOT=SOURCE, got `{spec}`"))?;
        let index = Anchors::slot_index(slot)
            .with_context(|| format!("--anchor `{spec}`: the slot is A, B, C or D"))?;
        let source = source.trim();
        anchors.slots[index] = if source.eq_ignore_ascii_case("none") {
            None
        } else if let Some(shape) = AnchorShape::from_id(source) {
            Some(Anchor::shape(shape))
        } else if Path::new(source).is_file()
            || source
                .rsplit_once('@')
                .is_some_and(|(file, _)| Path::new(file).is_file())
        {
            let (name, samples, _) = read_audible_cycle(Path::new(source))?;
            Some(Anchor::Wave { name, samples })
        } else {
            let shapes: Vec<&str> = AnchorShape::ALL.iter().map(|s| s.id()).collect();
            bail!(
                "--anchor `{spec}`: `{source}` is neither a shape ({}) nor a WAV file (FILE or FILE@FRAME)",
                shapes.join(", ")
            );
        };
    }
    params.set_anchors(anchors);
    Ok(())
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
        Command::Presets { loudness } => {
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
        Command::Preset(command) => preset_command(command),
        Command::Encode {
            input,
            output,
            model,
        } => {
            let model = model.load_on(&device)?;
            let latent = model.encode(&read_cycle(&input)?)?;
            let file = LatentFile {
                model: model.id().to_string(),
                latent: latent.to_vec(),
            };
            std::fs::write(&output, serde_json::to_string_pretty(&file)?)?;
            println!(
                "wrote {} ({} latent values, model {})",
                output.display(),
                latent.len(),
                model.id()
            );
            Ok(())
        }
        Command::Decode {
            input,
            output,
            model,
        } => {
            let model = model.load_on(&device)?;
            let text = std::fs::read_to_string(&input)
                .with_context(|| format!("reading {}", input.display()))?;
            let file: LatentFile = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a latent file", input.display()))?;
            if file.latent.len() == nwt_model::legacy::V1_LATENT {
                // A latent of model 1: its own decoder still knows the cycle.
                let frame = nwt_model::legacy::V1Decoder::embedded()?.cycle(&file.latent)?;
                wav::write_mono_f32(&output, 48_000, &frame)?;
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
            wav::write_mono_f32(&output, 48_000, &frame)?;
            println!("wrote {}: one 2048-sample cycle", output.display());
            Ok(())
        }
        Command::Reconstruct {
            input,
            output,
            model,
        } => {
            // What the network makes of the cycle: its decoded levels with the
            // cycle's own phases (the network's miss, which the synth's
            // tables add back at an anchor, left out so it can be heard).
            let model = model.load_on(&device)?;
            let h = read_cycle(&input)?;
            let levels = model.decode_levels(&[model.encode(&h)?])?;
            let phases = nwt_model::levels::phases(&Model::canonical(&h));
            let mut decoded = nwt_model::levels::spectrum(&levels[0], Some(&phases));
            nwt_model::families::normalise(&mut decoded, nwt_model::vae::HARMONICS);
            let frame = frame_of(&decoded);
            wav::write_mono_f32(&output, 48_000, &frame)?;
            println!("wrote {}: one 2048-sample cycle", output.display());
            Ok(())
        }
        Command::Table {
            anchors,
            frames,
            output,
            model,
        } => {
            if anchors.is_empty() || anchors.len() > 4 {
                bail!("--anchors takes 1 to 4 WAV files, got {}", anchors.len());
            }
            if !(1..=nwt_engine::MAX_FRAMES).contains(&frames) {
                bail!(
                    "--frames takes 1..={}, got {frames}",
                    nwt_engine::MAX_FRAMES
                );
            }
            let model = model.load_on(&device)?;
            let cycles = anchors
                .iter()
                .map(|p| read_audible_cycle(p).map(|(name, samples, _)| (name, samples)))
                .collect::<Result<Vec<_>>>()?;
            let set = synth_table(&model, cycles, frames)?;
            let frames_td: Vec<Vec<f32>> = (0..set.frame_count())
                .map(|i| set.frame(i).to_vec())
                .collect();
            wav::write_wavetable(&output, 48_000, &frames_td)?;
            println!(
                "wrote {}: {} frames of 2048 samples with a clm chunk",
                output.display(),
                frames_td.len()
            );
            Ok(())
        }
        Command::Export {
            sound,
            model,
            output,
        } => {
            let params = SynthParams::default();
            let preset = sound.load(&params, 48_000.0)?;
            let output = match output {
                Some(path) => path,
                None => neural_wavetable::folders::wavetables_dir()?
                    .join(format!("{}.wav", file_slug(&preset.name))),
            };
            let set = current_table(&params, &model.load_on(&device)?)?;
            let frames: Vec<Vec<f32>> = (0..set.frame_count()).map(|i| set.frame(i)).collect();
            wav::write_wavetable(&output, 48_000, &frames)?;
            println!(
                "wrote {}: {} frames of 2048 samples with a clm chunk",
                output.display(),
                frames.len()
            );
            Ok(())
        }
        Command::Params { preset } => {
            let params = SynthParams::default();
            preset::resolve(&preset)?.load_into(&params, 48_000.0)?;
            for (id, value) in params.describe() {
                println!("{id:<20} {value}");
            }
            Ok(())
        }
    }
}

fn render(args: RenderArgs, device: &str) -> Result<()> {
    if !(8_000..=384_000).contains(&args.sample_rate) {
        bail!(
            "--sample-rate must be between 8000 and 384000 Hz, got {}",
            args.sample_rate
        );
    }
    if !(1..=4096).contains(&args.block_size) {
        bail!(
            "--block-size must be between 1 and 4096, got {}",
            args.block_size
        );
    }
    let sr = args.sample_rate as f32;
    let mut notes = Vec::new();
    let mut controls = Vec::new();
    if let Some(spec) = &args.notes {
        notes.extend(score::parse_notes(spec, args.velocity).context("in --notes")?);
    }
    if let Some(path) = &args.midi {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let file =
            score::read_midi_score(&bytes).with_context(|| format!("in {}", path.display()))?;
        notes.extend(file.notes);
        controls.extend(file.controls);
    }
    if notes.is_empty() {
        bail!("nothing to render: give --notes and/or --midi");
    }

    let params = Arc::new(SynthParams::default());
    let preset = args.sound.load(&params, sr)?;
    let model = args.model.load()?;
    if let Some(saved) = preset.model.as_deref().filter(|m| *m != model.id()) {
        eprintln!(
            "note: preset {} was saved with model {saved}; rendering with {}",
            preset.name,
            model.id()
        );
    }
    let mut points = Vec::new();
    for spec in &args.automate {
        points.extend(parse_automation(spec).context("in --automate")?);
    }
    points.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let mut automation = AutomationPlayer::new(points);
    // Points at time 0 are part of the starting sound.
    automation.apply_until(0.0, &params, sr);
    params.reset_smoothers(sr);

    let to_samples = |s: f64| (s * f64::from(sr)).round() as u64;
    let timeline = score::timeline(&notes, &controls, sr);

    let mut synth = Synth::new(params.clone(), sr);
    let worker = DecoderWorker::attach(
        &mut synth,
        model,
        WorkerOptions {
            prefer_gpu: device == "gpu",
            ..WorkerOptions::default()
        },
    )?;
    eprintln!("neural decoder runs on {}", worker.device_name());
    const SETTLE: Duration = Duration::from_secs(120);
    if !worker.settle(SETTLE) {
        bail!("the neural decoder did not finish the first table");
    }
    if let Some(error) = worker.status().error {
        bail!("the neural table could not be built: {error}");
    }
    let mut options = RenderOptions::new(sr);
    options.block_size = args.block_size;
    let expected = to_samples(score::end_time(&notes))
        + to_samples(f64::from(params.amp_release.value()) * 1e-3);
    let bar = ProgressBar::new(expected.max(1));
    bar.set_style(
        ProgressStyle::with_template("{spinner} rendering [{bar:40}] {percent:>3}% {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    if expected < to_samples(5.0) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut unsettled = 0usize;
    let mut clock = args
        .realtime
        .then(|| RealtimeClock::new(sr, args.block_size));
    let rendered = offline::render_events_watched(&mut synth, timeline, options, |pos, synth| {
        bar.set_position(pos.min(expected));
        let seconds = pos as f64 / f64::from(sr);
        let changed = automation.apply_until(seconds, synth.params(), sr) > 0;
        if let Some(clock) = clock.as_mut() {
            if changed {
                clock.parameters_changed();
            }
            let serial = synth.playing_serial();
            clock.table_playing(serial, worker.requested_at(serial));
            clock.before_block(pos);
        } else if !worker.settle(SETTLE) {
            unsettled += 1;
        }
    });
    bar.finish_and_clear();
    if let Some(clock) = clock {
        println!("real time: {}", clock.finish());
    }
    if unsettled > 0 {
        eprintln!("warning: the decoder fell behind at {unsettled} blocks; the render may not be reproducible");
    }
    if let Some(error) = worker.status().error {
        eprintln!("warning: a neural table could not be built: {error}");
    }
    let swaps = synth.table_swaps();
    drop(worker);

    wav::write_stereo_f32(
        &args.output,
        args.sample_rate,
        &rendered.left,
        &rendered.right,
    )?;
    let peak = rendered
        .left
        .iter()
        .chain(&rendered.right)
        .fold(0.0f32, |m, x| m.max(x.abs()));
    println!(
        "wrote {}: {:.2} s at {} Hz, stereo 32-bit float, {} notes, preset {}, peak {:.1} dBFS, {} neural tables",
        args.output.display(),
        rendered.left.len() as f64 / f64::from(sr),
        args.sample_rate,
        notes.len(),
        preset.name,
        20.0 * peak.max(1e-10).log10(),
        swaps
    );
    Ok(())
}
