//! `nwt check-tables`: the factory bank's neural tables against the goals of
//! a scan without seams (`neural_wavetable::table_check`).

use anyhow::{bail, Result};
use neural_wavetable::table_check::{check_preset, neural_presets, Checked, Settings};
use nwt_engine::neural::AnchorEncoder;
use nwt_model::Model;

/// The halfway blend may be at most this much quieter than its neighbours, dB.
const DIP_GOAL_DB: f32 = 0.5;
/// Frames' RMS along a table within this range, dB.
const RANGE_GOAL_DB: f32 = 3.0;
/// Seed of the random settings (fixed, so two runs agree).
const RANDOM_SEED: u64 = 26;

/// Measures the bank and prints a line per table that misses a goal (every
/// table with `verbose`) and a summary; fails when any table misses.
pub fn run(corners: bool, random: usize, verbose: bool, model: &Model) -> Result<()> {
    let mut settings = vec![Settings::Preset];
    if corners {
        settings.push(Settings::Corners);
    }
    if random > 0 {
        settings.push(Settings::Random {
            count: random,
            seed: RANDOM_SEED,
        });
    }
    let mut encoder = AnchorEncoder::default();
    let mut all: Vec<Checked> = Vec::new();
    for preset in neural_presets() {
        for &s in &settings {
            all.extend(check_preset(model, &mut encoder, &preset, s)?);
        }
    }
    let mut missed = 0;
    for c in &all {
        let q = &c.quality;
        let ok = q.meets(DIP_GOAL_DB, RANGE_GOAL_DB);
        missed += usize::from(!ok);
        if verbose || !ok {
            println!(
                "{:<20} {:<16} seams {:>2} (worst r {:.2})  halfway {:>6.2} dB  range {:>5.1} dB  plateau {:>2}{}",
                c.preset,
                c.setting,
                q.phase_seams.len(),
                q.worst_same_level_correlation,
                q.worst_halfway_db,
                q.loudness_range_db,
                q.plateau_frames.len(),
                if ok {
                    String::new()
                } else {
                    format!(
                        "  (seams after frames {:?}, plateau frames {:?})",
                        q.phase_seams, q.plateau_frames
                    )
                }
            );
        }
    }
    let count = |f: &dyn Fn(&Checked) -> bool| all.iter().filter(|c| f(c)).count();
    let worst = |f: &dyn Fn(&Checked) -> f32| all.iter().map(f).fold(f32::NAN, f32::max);
    println!(
        "{} tables: {} with phase seams, {} dip more than {DIP_GOAL_DB} dB half way (worst {:.2} dB), \
         {} span more than {RANGE_GOAL_DB} dB (worst {:.1} dB), {} with plateau frames ({} frames)",
        all.len(),
        count(&|c| !c.quality.phase_seams.is_empty()),
        count(&|c| c.quality.worst_halfway_db < -DIP_GOAL_DB),
        -worst(&|c| -c.quality.worst_halfway_db),
        count(&|c| c.quality.loudness_range_db > RANGE_GOAL_DB),
        worst(&|c| c.quality.loudness_range_db),
        count(&|c| !c.quality.plateau_frames.is_empty()),
        all.iter().map(|c| c.quality.plateau_frames.len()).sum::<usize>(),
    );
    if missed > 0 {
        bail!("{missed} of {} tables miss a goal", all.len());
    }
    Ok(())
}
