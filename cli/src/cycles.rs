//! Reading cycles and tables from files, and the tables the synth would build.

use crate::*;

/// Reads one cycle from a WAV file of any format: a short file is the cycle;
/// `FILE@N` takes frame N of a wavetable (frame 0 without `@N`); a longer
/// recording gives its middle pitch-detected cycle.
pub(crate) fn read_cycle_samples(spec: &Path) -> Result<(String, Vec<f32>)> {
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
pub(crate) fn read_audible_cycle(spec: &Path) -> Result<(String, Vec<f32>, nwt_model::Harmonics)> {
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
pub(crate) fn read_cycle(spec: &Path) -> Result<nwt_model::Harmonics> {
    Ok(read_audible_cycle(spec)?.2)
}

/// Reads a wavetable (or the cycles of a recording) as an imported table.
pub(crate) fn read_user_table(path: &Path) -> Result<UserTable> {
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
pub(crate) fn frame_of(h: &nwt_model::Harmonics) -> Vec<f32> {
    nwt_model::families::harmonics_to_frame(h)
}

/// The neural table the synth plays with these cycles on anchors A, B, ...
/// (macros at rest), built as the plugin builds it.
pub(crate) fn synth_table(
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
pub(crate) fn current_table(
    params: &SynthParams,
    model: &Model,
) -> Result<nwt_engine::WavetableSet> {
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
