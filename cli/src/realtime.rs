//! Pacing a render at wall-clock speed, as an audio device would, and
//! telling the truth about it: blocks that missed their deadline (count and
//! worst lateness) and the knob-to-sound delays heard (`nwt render --realtime`).

use std::time::{Duration, Instant};

/// Paces blocks and measures deadlines and knob-to-sound delays.
#[derive(Debug)]
pub struct RealtimeClock {
    started: Instant,
    sample_rate: f64,
    block: Duration,
    /// Due time of the block being rendered.
    current_due: Option<Instant>,
    blocks: usize,
    misses: usize,
    worst_lateness: Duration,
    /// When a parameter change nothing has played yet was made.
    pending_change: Option<Instant>,
    last_serial: u64,
    delays: Vec<Duration>,
}

/// What a paced render saw.
#[derive(Debug, Clone, PartialEq)]
pub struct RealtimeSummary {
    /// Blocks rendered.
    pub blocks: usize,
    /// Blocks finished after the device would have needed them.
    pub misses: usize,
    /// The latest a block finished past its deadline.
    pub worst_lateness: Duration,
    /// Each parameter change's delay until a table built after it played, in order.
    pub knob_to_sound: Vec<Duration>,
}

impl std::fmt::Display for RealtimeSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} blocks, {} missed their deadline (worst {:.2} ms late)",
            self.blocks,
            self.misses,
            self.worst_lateness.as_secs_f64() * 1e3
        )?;
        if !self.knob_to_sound.is_empty() {
            let mut ms: Vec<f64> = self
                .knob_to_sound
                .iter()
                .map(|d| d.as_secs_f64() * 1e3)
                .collect();
            ms.sort_by(f64::total_cmp);
            let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
            write!(
                f,
                "; knob to sound over {} changes: median {:.1} ms, worst {:.1} ms",
                ms.len(),
                at(0.5),
                at(1.0)
            )?;
        }
        Ok(())
    }
}

impl RealtimeClock {
    /// A clock starting now for blocks of `block_size` samples at `sample_rate`.
    pub fn new(sample_rate: f32, block_size: usize) -> Self {
        let sample_rate = f64::from(sample_rate).max(1.0);
        Self {
            started: Instant::now(),
            sample_rate,
            block: Duration::from_secs_f64(block_size.max(1) as f64 / sample_rate),
            current_due: None,
            blocks: 0,
            misses: 0,
            worst_lateness: Duration::ZERO,
            pending_change: None,
            last_serial: 0,
            delays: Vec::new(),
        }
    }

    /// Call before rendering the block that starts at sample `pos`: closes
    /// the previous block's account and sleeps until this one is due (a
    /// device asks for block `k` at `k` block lengths after the start, and
    /// needs it one block length later).
    pub fn before_block(&mut self, pos: u64) {
        self.close_block();
        let due = self.started + Duration::from_secs_f64(pos as f64 / self.sample_rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        self.current_due = Some(due);
    }

    fn close_block(&mut self) {
        if let Some(due) = self.current_due.take() {
            self.blocks += 1;
            let deadline = due + self.block;
            if let Some(late) = Instant::now().checked_duration_since(deadline) {
                self.misses += 1;
                self.worst_lateness = self.worst_lateness.max(late);
            }
        }
    }

    /// A parameter changed now (automation): the next table built from a
    /// request read after this moment ends the wait.
    pub fn parameters_changed(&mut self) {
        self.pending_change.get_or_insert_with(Instant::now);
    }

    /// The synth plays the table `serial`, built from parameters read at
    /// `requested_at` (from the worker's history).
    pub fn table_playing(&mut self, serial: u64, requested_at: Option<Instant>) {
        if serial == self.last_serial {
            return;
        }
        self.last_serial = serial;
        if let (Some(changed), Some(read)) = (self.pending_change, requested_at) {
            if read >= changed {
                self.delays.push(changed.elapsed());
                self.pending_change = None;
            }
        }
    }

    /// Closes the last block and returns what the render saw.
    pub fn finish(mut self) -> RealtimeSummary {
        self.close_block();
        RealtimeSummary {
            blocks: self.blocks,
            misses: self.misses,
            worst_lateness: self.worst_lateness,
            knob_to_sound: self.delays,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_block_is_counted_late_and_a_fast_one_is_not() {
        // 4800 samples at 48 kHz: 100 ms per block. Block 1 is due at 100 ms
        // and needed at 200; it takes 150 ms, so it is ~50 ms late. Block 2,
        // due at 200 and needed at 300, starts late but finishes in time
        // (50 ms to spare, for a busy machine).
        let mut clock = RealtimeClock::new(48_000.0, 4800);
        clock.before_block(0);
        clock.before_block(4800);
        std::thread::sleep(Duration::from_millis(150));
        clock.before_block(9600);
        let summary = clock.finish();
        assert_eq!(summary.blocks, 3);
        assert_eq!(summary.misses, 1, "{summary}");
        assert!(
            summary.worst_lateness >= Duration::from_millis(40),
            "{summary}"
        );
    }

    #[test]
    fn a_change_is_timed_to_the_first_table_read_after_it() {
        let mut clock = RealtimeClock::new(48_000.0, 64);
        let before = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        clock.parameters_changed();
        clock.table_playing(1, Some(before));
        std::thread::sleep(Duration::from_millis(3));
        clock.table_playing(2, Some(Instant::now()));
        let summary = clock.finish();
        assert_eq!(summary.knob_to_sound.len(), 1);
        assert!(summary.knob_to_sound[0] >= Duration::from_millis(3));
        assert!(summary.to_string().contains("knob to sound over 1 changes"));
    }
}
