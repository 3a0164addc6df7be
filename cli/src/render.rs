//! `nwt render`: notes, MIDI files and automation through the synth, offline or paced in real time.

use crate::*;

#[derive(clap::Args)]
pub(crate) struct RenderArgs {
    #[command(flatten)]
    pub(crate) sound: SoundArgs,
    /// Notes as NOTE@START:DURATION[vVELOCITY], comma-separated; seconds; C4 is MIDI 60.
    /// NOTE is a name (A4, C#6, Db3) or a MIDI number. Example: "A4@0:1,C#6@0.5:1.5v0.6".
    #[arg(long)]
    pub(crate) notes: Option<String>,
    /// A Standard MIDI File rendered with its tempo map: notes with their
    /// channels, and the controllers the synth uses (sustain pedal, mod wheel,
    /// CC 74), pitch bend, channel and polyphonic aftertouch.
    #[arg(long)]
    pub(crate) midi: Option<PathBuf>,
    /// Output sample rate in Hz (8000..=384000).
    #[arg(long, default_value_t = 48_000)]
    pub(crate) sample_rate: u32,
    /// Velocity (0..1) of notes that do not give their own.
    #[arg(long, default_value_t = 0.8)]
    pub(crate) velocity: f32,
    /// Samples per processing block, as a host would use (1..=4096).
    #[arg(long, default_value_t = 512)]
    pub(crate) block_size: usize,
    /// Move parameters during the render: PARAM@SECONDS=VALUE, comma-separated
    /// and repeatable, e.g. --automate "macro_1@0.5=0.8,macro_1@1.5=-0.8". A
    /// point applies at the first block that starts at or after its time.
    #[arg(long, value_name = "PARAM@SECONDS=VALUE,...")]
    pub(crate) automate: Vec<String>,
    /// Pace the render block by block at wall-clock speed with the decoder
    /// working as in a host, so the audio shows the real knob-to-sound delay.
    /// Without it, each block waits until the decoder has caught up with the
    /// parameters, so the same inputs always render the same samples. Reports
    /// the blocks that missed their deadline and the knob-to-sound delays.
    #[arg(long)]
    pub(crate) realtime: bool,
    /// Tempo in beats per minute for tempo-synced delay and LFO (a host's
    /// tempo; 120 when not given).
    #[arg(long, default_value_t = 120.0)]
    pub(crate) bpm: f64,
    /// Render exactly this many seconds after the last note ends (a DAW
    /// export's fixed tail). Without it the render runs until the voices and
    /// the effects' tail have died away (tail kept down to -90 dBFS, at most
    /// 30 s).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) tail: Option<f64>,
    /// Play in this tuning instead of the preset's: a Scala `.scl` file, an
    /// AnaMark `.tun` file, or a built-in scale (12-EDO, 19-EDO, 24-EDO,
    /// "Just intonation", Bohlen-Pierce).
    #[arg(long, value_name = "FILE|NAME")]
    pub(crate) tuning: Option<String>,
    /// Anchors A and B drawn at random from the model's space (blends of
    /// the factory shapes, nudged), reproducible by seed: the same seed
    /// renders the same sound, bit for bit. Replaces the preset's anchors.
    #[arg(long, value_name = "SEED")]
    pub(crate) dice: Option<u64>,
    /// A Scala `.kbm` keyboard map for the `--tuning` scale (which key plays
    /// the scale's first degree, the reference key and frequency).
    #[arg(long, value_name = "FILE", requires = "tuning")]
    pub(crate) kbm: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
    /// Output WAV file.
    #[arg(short, long)]
    pub(crate) output: PathBuf,
}

/// The tuning `--tuning` names: a built-in scale, or a `.scl`/`.tun` file
/// (with `kbm`, a `.kbm` file, for a scale).
fn read_tuning(spec: &str, kbm: Option<&Path>) -> Result<nwt_engine::tuning::Tuning> {
    use nwt_engine::tuning::Tuning;
    let kbm_text = kbm
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display())))
        .transpose()?;
    let path = Path::new(spec);
    let text = match Tuning::built_in(spec) {
        Some(built_in) if kbm_text.is_none() => return Ok(built_in),
        Some(Tuning {
            source: nwt_engine::tuning::TuningSource::Scala { scl, .. },
            ..
        }) => scl,
        _ => std::fs::read_to_string(path).with_context(|| {
            format!("--tuning {spec}: not a built-in scale, and cannot read it as a file")
        })?,
    };
    let name = path
        .file_stem()
        .map_or(spec.to_string(), |s| s.to_string_lossy().into_owned());
    Tuning::from_text(&text, kbm_text.as_deref(), &name).with_context(|| format!("--tuning {spec}"))
}

/// Sample rates `nwt render` takes, in Hz: the range the synth is tested over.
const SAMPLE_RATES: std::ops::RangeInclusive<u32> = 8_000..=384_000;
/// Block sizes it takes: what hosts use.
const BLOCK_SIZES: std::ops::RangeInclusive<usize> = 1..=4096;
/// Tempos it takes, in bpm: what DAWs offer.
const TEMPOS: std::ops::RangeInclusive<f64> = 20.0..=999.0;
/// The longest `--tail`, in seconds: far past any reverb or delay here.
const MAX_TAIL_S: f64 = 300.0;
/// How long the decoder may take for one table before the render gives up
/// (a cold start on a slow machine takes a few seconds).
const SETTLE: Duration = Duration::from_secs(120);
/// Renders shorter than this (seconds) draw no progress bar.
const PROGRESS_FROM_S: f64 = 5.0;

pub(crate) fn render(args: RenderArgs, device: &str) -> Result<()> {
    check_ranges(&args)?;
    let sr = args.sample_rate as f32;
    let (notes, controls) = read_score(&args)?;
    let params = Arc::new(SynthParams::default());
    let preset = args.sound.load(&params, sr)?;
    if let Some(spec) = &args.tuning {
        params
            .tuning
            .set(Some(read_tuning(spec, args.kbm.as_deref())?))?;
    }
    let model = args.model.load()?;
    if let Some(seed) = args.dice {
        params.set_anchors(nwt_engine::neural::dice::dice(&model, seed)?);
        params.set_by_id("table", "Neural", sr)?;
    }
    if let Some(saved) = preset.model.as_deref().filter(|m| *m != model.id()) {
        eprintln!(
            "note: preset {} was saved with model {saved}; rendering with {}",
            preset.name,
            model.id()
        );
    }
    let mut automation = read_automation(&args.automate)?;
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
    if !worker.settle(SETTLE) {
        bail!("the neural decoder did not finish the first table");
    }
    if let Some(error) = worker.status().error {
        bail!("the neural table could not be built: {error}");
    }
    let mut options = RenderOptions::new(sr);
    options.block_size = args.block_size;
    options.tempo = args.bpm;
    options.fixed_tail = args.tail.map(to_samples);
    let expected = to_samples(score::end_time(&notes))
        + to_samples(f64::from(params.amp_release.value()) * 1e-3);
    let bar = progress_bar(expected, expected < to_samples(PROGRESS_FROM_S));
    let mut unsettled = 0usize;
    // Offline, the tables follow the audio's grid, not the worker's timing.
    let mut grid = nwt_engine::neural::TableGrid::default();
    if !args.realtime {
        worker.set_offline(true);
    }
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
        } else if grid.wait_now(synth.params(), pos, sr) && !worker.settle(SETTLE) {
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

/// A clear error for a rate, block size, tempo or tail out of range.
fn check_ranges(args: &RenderArgs) -> Result<()> {
    if !SAMPLE_RATES.contains(&args.sample_rate) {
        bail!(
            "--sample-rate must be between {} and {} Hz, got {}",
            SAMPLE_RATES.start(),
            SAMPLE_RATES.end(),
            args.sample_rate
        );
    }
    if !BLOCK_SIZES.contains(&args.block_size) {
        bail!(
            "--block-size must be between {} and {}, got {}",
            BLOCK_SIZES.start(),
            BLOCK_SIZES.end(),
            args.block_size
        );
    }
    if !(args.bpm.is_finite() && TEMPOS.contains(&args.bpm)) {
        bail!(
            "--bpm must be between {} and {}, got {}",
            TEMPOS.start(),
            TEMPOS.end(),
            args.bpm
        );
    }
    if let Some(tail) = args.tail {
        if !(tail.is_finite() && (0.0..=MAX_TAIL_S).contains(&tail)) {
            bail!("--tail must be between 0 and {MAX_TAIL_S} seconds, got {tail}");
        }
    }
    Ok(())
}

/// The notes and controller moves of `--notes` and `--midi` (at least one note).
fn read_score(args: &RenderArgs) -> Result<(Vec<score::NoteSpan>, Vec<score::ControlSpan>)> {
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
    Ok((notes, controls))
}

/// Every `--automate` point, in time order.
fn read_automation(specs: &[String]) -> Result<AutomationPlayer> {
    let mut points = Vec::new();
    for spec in specs {
        points.extend(parse_automation(spec).context("in --automate")?);
    }
    points.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    Ok(AutomationPlayer::new(points))
}

/// The render's progress bar over `expected` samples (drawn nowhere if `hidden`).
fn progress_bar(expected: u64, hidden: bool) -> ProgressBar {
    let bar = ProgressBar::new(expected.max(1));
    bar.set_style(
        ProgressStyle::with_template("{spinner} rendering [{bar:40}] {percent:>3}% {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    if hidden {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}
