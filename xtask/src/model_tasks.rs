//! `cargo xtask dataset | train | eval | semantic`: building the training
//! data, training the autoencoder, measuring it, and fitting and measuring the
//! semantic knobs' directions.

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use nwt_model::dataset::{Dataset, DatasetConfig, Split, SOUNDFONT};
use nwt_model::train::{self, TrainConfig};
use nwt_model::{eval, Model};
use std::path::{Path, PathBuf};

/// Default dataset location (not committed: it is rebuilt from code and the soundfont).
pub const DATASET: &str = "target/nwt-dataset.bin";
/// Shipped weights.
pub const WEIGHTS: &str = "assets/model.safetensors";

fn flag<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .with_context(|| format!("{name} needs a value"))?
            .parse()
            .map_err(|_| anyhow::anyhow!("bad value for {name}")),
        None => Ok(default),
    }
}

/// Installs Debian's fluid-soundfont-gm when the soundfont is missing.
fn ensure_soundfont() -> Result<PathBuf> {
    let path = PathBuf::from(SOUNDFONT);
    if !path.exists() {
        println!("{SOUNDFONT} is missing: installing Debian's fluid-soundfont-gm (MIT licence)");
        let ok = std::process::Command::new("apt-get")
            .args(["install", "-y", "-q", "fluid-soundfont-gm"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok || !path.exists() {
            bail!("could not install fluid-soundfont-gm; install it (apt-get install fluid-soundfont-gm) and retry");
        }
    }
    Ok(path)
}

/// `cargo xtask dataset [--per-family N] [--cycles C] [--seed S] [--out FILE]`
pub fn dataset(args: &[String]) -> Result<()> {
    let config = DatasetConfig {
        per_family: flag(args, "--per-family", 2000)?,
        seed: flag(args, "--seed", 2018)?,
        cycles_per_sample: flag(args, "--cycles", 6)?,
        soundfont: Some(ensure_soundfont()?),
    };
    let out: PathBuf = flag(args, "--out", PathBuf::from(DATASET))?;
    let started = std::time::Instant::now();
    let data = Dataset::build(&config)?;
    print!("{}", data.describe());
    data.save(&out)?;
    println!(
        "wrote {} frames to {} in {:.1} s",
        data.examples.len(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn load_dataset(args: &[String]) -> Result<Dataset> {
    let path: PathBuf = flag(args, "--dataset", PathBuf::from(DATASET))?;
    Dataset::load(&path).with_context(|| {
        format!(
            "reading {} (run `cargo xtask dataset` first)",
            path.display()
        )
    })
}

/// `cargo xtask train [--epochs N] [--minutes M] [--seed S] [--lr RATE] [--beta KL] [--batch B] [--family-weight FAMILY=W,...] [--init WEIGHTS] [--out FILE]`
/// (`--init` fine-tunes existing weights instead of starting from the PCA of the training levels)
pub fn train(args: &[String]) -> Result<()> {
    let data = load_dataset(args)?;
    let defaults = TrainConfig::default();
    let config = TrainConfig {
        epochs: flag(args, "--epochs", defaults.epochs)?,
        seed: flag(args, "--seed", defaults.seed)?,
        time_limit_s: flag(args, "--minutes", defaults.time_limit_s / 60.0)? * 60.0,
        learning_rate: flag(args, "--lr", defaults.learning_rate)?,
        beta: flag(args, "--beta", defaults.beta)?,
        batch: flag(args, "--batch", defaults.batch)?,
        family_weights: match args.iter().position(|a| a == "--family-weight") {
            Some(i) => args
                .get(i + 1)
                .context("--family-weight needs FAMILY=W[,FAMILY=W...]")?
                .split(',')
                .map(|pair| {
                    let (family, w) = pair
                        .split_once('=')
                        .context("--family-weight takes FAMILY=W")?;
                    Ok((family.to_string(), w.parse().context("bad family weight")?))
                })
                .collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
        },
        init: args
            .iter()
            .position(|a| a == "--init")
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from),
    };
    let out: PathBuf = flag(args, "--out", PathBuf::from(WEIGHTS))?;
    println!(
        "training on {} frames: {config:?}",
        data.split(Split::Train).len()
    );
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} steps, ETA {eta_precise} {msg}",
        )?
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let (weights, history) = train::train(&data, &config, |p| {
        bar.set_length(p.total_steps as u64);
        bar.set_position(p.step as u64);
        let val = p
            .validation
            .map_or(String::new(), |v| format!(" | val {:.3} dB", v.level_db));
        bar.set_message(format!(
            "epoch {} level {:.3} dB kl {:.1}{val}",
            p.epoch + 1,
            p.train.level_db,
            p.train.kl
        ));
    })?;
    bar.finish();
    for (epoch, (t, v)) in history.iter().enumerate() {
        println!(
            "epoch {:3}: train level {:.4} dB kl {:.1} | val level {:.4} dB kl {:.1}",
            epoch + 1,
            t.level_db,
            t.kl,
            v.level_db,
            v.kl
        );
    }
    let model = train::model_from_weights(&weights, &data)?;
    train::save_weights(&weights, model.macros(), &out)?;
    let size = std::fs::metadata(&out)?.len();
    println!(
        "wrote {} ({:.1} MB) after {:.1} min",
        out.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64() / 60.0
    );
    Model::load(&out).context("the written weights do not load back")?;
    Ok(())
}

/// `cargo xtask eval [--weights FILE] [--per-family N] [--paths N] [--write]`: prints the
/// report; `--write` also puts it into assets/MODEL.md between markers.
pub fn eval(args: &[String]) -> Result<()> {
    let data = load_dataset(args)?;
    let weights: PathBuf = flag(args, "--weights", PathBuf::from(WEIGHTS))?;
    let model = Model::load(&weights)?;
    let per_family = flag(args, "--per-family", 400)?;
    let paths = flag(args, "--paths", 50)?;
    let report = eval::evaluate(&model, &data, Split::Test, per_family, paths)?;
    let text = report.markdown();
    println!("{text}");
    if args.iter().any(|a| a == "--write") {
        write_into_model_md(Path::new("assets/MODEL.md"), &text)?;
        println!("updated assets/MODEL.md");
    }
    Ok(())
}

fn write_into_model_md(path: &Path, text: &str) -> Result<()> {
    const START: &str = "<!-- eval:start -->";
    const END: &str = "<!-- eval:end -->";
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{START}\n{text}{END}");
    let new = match (doc.find(START), doc.find(END)) {
        (Some(a), Some(b)) if b > a => format!("{}{}{}", &doc[..a], block, &doc[b + END.len()..]),
        _ => format!("{doc}\n## Measured quality (cargo xtask eval)\n\n{block}\n"),
    };
    std::fs::write(path, new)?;
    Ok(())
}

/// `cargo xtask semantic [--weights FILE] [--fit N] [--test N]`: fits the
/// semantic knobs' directions on N training frames (encoded by the model),
/// writes assets/semantic.json and reports what each knob does over the test
/// split's frames.
pub fn semantic(args: &[String]) -> Result<()> {
    use nwt_model::semantic::{self, SemanticAxes};
    let data = load_dataset(args)?;
    let weights: PathBuf = flag(args, "--weights", PathBuf::from(WEIGHTS))?;
    let model = Model::load(&weights)?;
    let fit_n = flag(args, "--fit", 20_000usize)?;
    let test_n = flag(args, "--test", 400usize)?;
    let frames = |split: Split, n: usize| -> Vec<nwt_model::Harmonics> {
        let examples = data.split(split);
        let step = (examples.len() / n.max(1)).max(1);
        examples
            .iter()
            .step_by(step)
            .take(n)
            .map(|e| nwt_model::model::coeffs_to_harmonics(&e.coeffs))
            .collect()
    };
    let started = std::time::Instant::now();
    let train = frames(Split::Train, fit_n);
    let latents = model.encode_batch(&train)?;
    let raw: Vec<_> = train
        .iter()
        .map(|h| semantic::raw_descriptors(&nwt_model::levels::levels_db(&Model::canonical(h))))
        .collect();
    let mut axes = SemanticAxes::fit(model.id(), &latents, &raw);
    let jacobian_n = flag(args, "--jacobian", 300usize)?;
    if let Some(step_n) = latents.len().checked_div(jacobian_n) {
        // Directions from the decoder's own derivatives around training sounds.
        let step_n = step_n.max(1);
        let around: Vec<_> = latents
            .iter()
            .step_by(step_n)
            .take(jacobian_n)
            .copied()
            .collect();
        let eps = flag(args, "--step", 0.25f32)?;
        axes.refit_on_decoder(&model, &around, eps)?;
    }
    let out = Path::new("assets/semantic.json");
    std::fs::write(out, serde_json::to_string_pretty(&axes)?)?;
    let test = frames(Split::Test, test_n);
    let anchors = model.encode_batch(&test)?;
    let iterations = flag(args, "--iterations", 0usize)?;
    let reports = if iterations > 0 {
        semantic::evaluate_charts(&model, &axes, &anchors, iterations)?
    } else {
        semantic::evaluate(&model, &axes, &anchors)?
    };
    println!(
        "fitted on {} training frames, evaluated on {} test frames ({:.1} s); wrote {}\n",
        train.len(),
        test.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    println!("ranges (1st..99th percentile): {:?}\n", axes.ranges);
    println!("{}", semantic::markdown(&reports));
    Ok(())
}
