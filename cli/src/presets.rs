//! `nwt presets`: listing, loudness, saving and checking presets.

use crate::*;

#[derive(Subcommand)]
pub(crate) enum PresetCommand {
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

pub(crate) fn preset_command(command: PresetCommand) -> Result<()> {
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
                .zip(nwt_engine::anchors::SLOT_NAMES)
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
