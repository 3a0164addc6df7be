//! When an offline render waits for the decoder: at a change of the
//! decoder's inputs, but at most once per [`GRID_S`] of audio.
//!
//! A bounce that waited for a fresh table at every block ran at the
//! decoder's pace whenever the latent knobs moved every block (host
//! automation, an LFO on a macro): one decode per block, slower than real
//! time. On the grid, a change after a quiet spell is waited for at once (a
//! step of automation is heard at its block), while a stream of changes is
//! sampled once per grid step, and the worker decodes nothing between the
//! waits (`DecoderWorker::set_offline`). Every decision depends on the audio
//! position and the parameters alone, so two bounces are bit-identical, and
//! `nwt render` and the plugin, using the same grid, agree.

use super::DecoderInputs;
use crate::params::SynthParams;

/// Longest stretch of audio between two offline waits while the decoder's
/// inputs keep changing (40 ms: a stream of automation is heard as a table
/// every 40 ms, within two 1024-sample blocks at 48 kHz).
pub const GRID_S: f64 = 0.04;

/// The grid's state for one render (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct TableGrid {
    /// The inputs of the last wait and its audio position (samples).
    waited: Option<(DecoderInputs, u64)>,
}

impl TableGrid {
    /// Before the block at `position` (samples from the render's start, at
    /// `sample_rate`): whether to wait for the table of the current inputs.
    pub fn wait_now(&mut self, params: &SynthParams, position: u64, sample_rate: f32) -> bool {
        let inputs = DecoderInputs::read(params);
        let grid = (GRID_S * f64::from(sample_rate.max(1.0))).round() as u64;
        let due = match self.waited {
            None => true,
            Some((last, at)) => last != inputs && position.saturating_sub(at) >= grid,
        };
        if due {
            self.waited = Some((inputs, position));
        }
        due
    }

    /// Forgets the last wait (a new render begins).
    pub fn reset(&mut self) {
        self.waited = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_change_is_waited_for_at_once_and_a_stream_once_a_grid_step() {
        let params = SynthParams::default();
        let sr = 48_000.0;
        let mut grid = TableGrid::default();
        let block = 256u64;
        assert!(grid.wait_now(&params, 0, sr), "the first block waits");
        // Nothing changes: no waits.
        assert!((1..100).all(|b| !grid.wait_now(&params, b * block, sr)));
        // A step after a quiet spell: waited for at its block.
        params.set_by_id("macro_1", "0.5", sr).unwrap();
        assert!(grid.wait_now(&params, 100 * block, sr));
        // A change every block: one wait per 40 ms (1920 samples).
        let mut waits = Vec::new();
        for b in 101..400u64 {
            params
                .set_by_id("macro_1", &format!("{}", (b % 7) as f32 * 0.1), sr)
                .unwrap();
            if grid.wait_now(&params, b * block, sr) {
                waits.push(b * block);
            }
        }
        let gaps: Vec<u64> = waits.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().all(|&g| (1920..1920 + block).contains(&g)),
            "{gaps:?}"
        );
        assert!(waits.len() >= 35, "{} waits", waits.len());
    }
}
