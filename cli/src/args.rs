//! Arguments shared by several commands: the sound, the model, `--set` and `--anchor`.

use crate::*;

/// A sound as the command line describes it: a preset, then parameter and
/// anchor changes and an imported table.
#[derive(clap::Args)]
pub(crate) struct SoundArgs {
    /// Factory or user preset name (see `nwt presets`) or a .nwtpreset file.
    #[arg(long, default_value = "Init")]
    pub(crate) preset: String,
    /// Set a parameter by stable id to a plain value or its display text, e.g.
    /// --set cutoff=800 --set filter_mode="High Pass". Repeatable; applied after the preset.
    #[arg(long = "set", value_name = "PARAM=VALUE")]
    pub(crate) set: Vec<String>,
    /// Set an anchor slot (A..D) of the neural table: a factory shape (sine,
    /// triangle, saw, square, pulse25, pulse10, dark, bright, hollow, vowel_a,
    /// vowel_o, organ), a WAV file holding one cycle (FILE@N: frame N of a wavetable), or `none`. Repeatable;
    /// applied after the preset, e.g. --anchor A=sine --anchor B=cello.wav.
    #[arg(long = "anchor", value_name = "SLOT=SHAPE|FILE|none")]
    pub(crate) anchors: Vec<String>,
    /// Play a wavetable WAV (Serum/Vital/Surge, any format; or the cycles of a
    /// recording) as it is, without the model: sets `table` to `Imported`.
    #[arg(long, value_name = "FILE.wav")]
    pub(crate) import_table: Option<PathBuf>,
}

impl SoundArgs {
    /// Loads the sound into `params`; returns the preset it started from.
    pub(crate) fn load(&self, params: &SynthParams, sample_rate: f32) -> Result<Preset> {
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
pub(crate) fn apply_set_args(
    params: &SynthParams,
    specs: &[String],
    sample_rate: f32,
) -> Result<()> {
    for assignment in specs {
        let (id, value) = assignment
            .split_once('=')
            .with_context(|| format!("--set takes PARAM=VALUE, got `{assignment}`"))?;
        params.set_by_id(id.trim(), value.trim(), sample_rate)?;
    }
    Ok(())
}

/// Which model to use.
#[derive(clap::Args)]
pub(crate) struct ModelArgs {
    /// A weights file (safetensors) to use instead of the model built into nwt.
    #[arg(long)]
    pub(crate) weights: Option<PathBuf>,
}

impl ModelArgs {
    /// Loads the model onto the CPU.
    pub(crate) fn load(&self) -> Result<Model> {
        Ok(match &self.weights {
            Some(path) => {
                Model::load(path).with_context(|| format!("loading {}", path.display()))?
            }
            None => Model::embedded()?,
        })
    }

    /// Loads the model onto the device `--device` asks for, printing which one runs it.
    pub(crate) fn load_on(&self, device: &str) -> Result<Model> {
        let model = self.load()?;
        let (device, name) = nwt_model::select_device(device == "gpu");
        let model = model.to_device(&device)?;
        eprintln!("model runs on {name}");
        Ok(model)
    }
}

/// A latent vector as stored by `nwt encode`.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct LatentFile {
    /// Id of the model that made it.
    pub(crate) model: String,
    /// The latent coordinates.
    pub(crate) latent: Vec<f32>,
}

/// Applies `--anchor SLOT=SOURCE` settings to `params`.
pub(crate) fn apply_anchor_args(params: &SynthParams, specs: &[String]) -> Result<()> {
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
