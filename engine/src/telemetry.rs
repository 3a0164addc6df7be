//! What the audio thread tells the editor: where each sounding voice is in the
//! table, the output's peak level, the processing load and the table playing.
//!
//! The audio thread writes an [`AudioReport`] into a triple buffer
//! ([`report_channel`]): wait-free, lock-free and allocation-free on both
//! sides, so the editor can read the newest report at its own frame rate and
//! never holds up `process`. Peaks and loads between two reads are held (the
//! largest is reported), so a short transient still reaches the meter.

use crate::MAX_VOICES;
use triple_buffer::{Input, Output, TripleBuffer};

/// One snapshot of the audio thread's state, for display.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioReport {
    /// Table position (0..1) of each sounding voice, in voice-slot order;
    /// only the first [`AudioReport::voices`] entries are meaningful.
    pub positions: [f32; MAX_VOICES],
    /// How many entries of `positions` are filled.
    pub voices: usize,
    /// Largest absolute output sample per channel since the last read.
    pub peak: [f32; 2],
    /// Processing load since the last read: time spent in `process` over the
    /// duration of the audio it made (1.0 = all of the real time).
    pub load: f32,
    /// The slowest block of the last second or so (busy time over the
    /// block's audio time): above 1 a block missed its deadline.
    pub worst_load: f32,
    /// Output samples the synth's last-line sanitiser replaced (NaN or
    /// infinite) since it started; 0 unless something is wrong.
    pub sanitized: u64,
    /// Serial of the table playing ([`crate::WavetableSet::serial`]).
    pub table_serial: u64,
    /// Blocks processed so far (tells the reader whether audio runs at all).
    pub blocks: u64,
}

impl Default for AudioReport {
    fn default() -> Self {
        Self {
            positions: [0.0; MAX_VOICES],
            voices: 0,
            peak: [0.0; 2],
            load: 0.0,
            worst_load: 0.0,
            sanitized: 0,
            table_serial: 0,
            blocks: 0,
        }
    }
}

impl AudioReport {
    /// The positions of the sounding voices.
    pub fn voice_positions(&self) -> &[f32] {
        &self.positions[..self.voices.min(MAX_VOICES)]
    }
}

/// Audio time over which the worst block is remembered (the report shows the
/// worst of the last full window and the one filling).
pub const WORST_WINDOW_SECONDS: f64 = 1.0;

/// The audio thread's end of the report channel.
pub struct ReportWriter {
    input: Input<AudioReport>,
    held_peak: [f32; 2],
    busy_seconds: f64,
    audio_seconds: f64,
    blocks: u64,
    /// Worst block load in the window being filled, and the audio time it holds.
    window_worst: f32,
    window_seconds: f64,
    /// Worst block load of the last full window.
    last_worst: f32,
    /// The voices and positions of the last report (to tell a visible change).
    last_voices: usize,
    last_positions: [f32; MAX_VOICES],
}

/// The editor's end of the report channel.
pub struct ReportReader {
    output: Output<AudioReport>,
}

impl std::fmt::Debug for ReportWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportWriter")
            .field("blocks", &self.blocks)
            .finish()
    }
}

impl std::fmt::Debug for ReportReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportReader").finish()
    }
}

/// A connected writer (for the audio thread) and reader (for the editor).
/// Allocates once, here; writing and reading never allocate.
pub fn report_channel() -> (ReportWriter, ReportReader) {
    let (input, output) = TripleBuffer::new(&AudioReport::default()).split();
    (
        ReportWriter {
            input,
            held_peak: [0.0; 2],
            busy_seconds: 0.0,
            audio_seconds: 0.0,
            blocks: 0,
            window_worst: 0.0,
            window_seconds: 0.0,
            last_worst: 0.0,
            last_voices: 0,
            last_positions: [0.0; MAX_VOICES],
        },
        ReportReader { output },
    )
}

fn sane(v: f32) -> f32 {
    if v.is_finite() {
        v.max(0.0)
    } else {
        0.0
    }
}

impl ReportWriter {
    /// Publishes one block's report (audio thread: no allocation, no lock);
    /// returns whether an editor would now draw something different.
    /// `peak` is the block's largest absolute sample per channel, `busy_seconds`
    /// the time `process` took and `audio_seconds` the duration of the audio it
    /// made. Until the reader has seen a report, peaks are held (the largest
    /// counts) and times add up, so the load is busy over audio time across
    /// every block since the last read (many tiny blocks do not make spikes).
    /// `fill` writes the synth's part ([`crate::Synth::fill_report`]).
    pub fn publish(
        &mut self,
        peak: [f32; 2],
        busy_seconds: f64,
        audio_seconds: f64,
        fill: impl FnOnce(&mut AudioReport),
    ) -> bool {
        if self.input.consumed() {
            self.held_peak = [0.0; 2];
            self.busy_seconds = 0.0;
            self.audio_seconds = 0.0;
        }
        for (held, p) in self.held_peak.iter_mut().zip(peak) {
            *held = held.max(sane(p));
        }
        if busy_seconds.is_finite() && audio_seconds.is_finite() && audio_seconds > 0.0 {
            self.busy_seconds += busy_seconds.max(0.0);
            self.audio_seconds += audio_seconds;
            let block_load = (busy_seconds.max(0.0) / audio_seconds) as f32;
            self.window_worst = self.window_worst.max(block_load);
            self.window_seconds += audio_seconds;
            if self.window_seconds >= WORST_WINDOW_SECONDS {
                self.last_worst = self.window_worst;
                self.window_worst = 0.0;
                self.window_seconds = 0.0;
            }
        }
        self.blocks += 1;
        let load = if self.audio_seconds > 0.0 {
            (self.busy_seconds / self.audio_seconds) as f32
        } else {
            0.0
        };
        let report = self.input.input_buffer_mut();
        report.peak = self.held_peak;
        report.load = load;
        report.worst_load = self.last_worst.max(self.window_worst);
        report.blocks = self.blocks;
        report.voices = 0;
        fill(report);
        // What an editor would draw differently: voices or their positions
        // changed, or the meters show something (above -80 dBFS).
        let voices = report.voices.min(MAX_VOICES);
        let visible = self.last_voices != voices
            || self.last_positions[..voices] != report.positions[..voices]
            || self.held_peak.iter().any(|p| *p > 1e-4);
        self.last_voices = voices;
        self.last_positions[..voices].copy_from_slice(&report.positions[..voices]);
        self.input.publish();
        visible
    }
}

impl ReportReader {
    /// The newest report (editor thread; never waits for the audio thread).
    pub fn latest(&mut self) -> AudioReport {
        *self.output.read()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_are_held_until_read() {
        let (mut w, mut r) = report_channel();
        w.publish([0.9, 0.1], 0.002, 0.01, |_| {});
        w.publish([0.2, 0.3], 0.0, 0.01, |_| {});
        // A zero-length call (hosts may make them) adds no time.
        w.publish([0.0, 0.0], 0.001, 0.0, |_| {});
        let seen = r.latest();
        assert_eq!(seen.peak, [0.9, 0.3]);
        assert!(
            (seen.load - 0.1).abs() < 1e-6,
            "2 ms busy over 20 ms of audio: {}",
            seen.load
        );
        assert_eq!(seen.blocks, 3);
        w.publish([0.05, 0.05], 0.005, 0.01, |_| {});
        let seen = r.latest();
        assert_eq!(seen.peak, [0.05, 0.05], "a read starts a new hold");
        assert!((seen.load - 0.5).abs() < 1e-6);
    }

    #[test]
    fn the_synth_reports_where_its_voices_play() {
        use crate::{SliceEvents, Synth, SynthEvent, SynthParams, Transport};
        let params = std::sync::Arc::new(SynthParams::default());
        params.set_by_id("position", "0.3", 48_000.0).unwrap();
        let mut synth = Synth::new(params, 48_000.0);
        let chord: Vec<SynthEvent> = [57u8, 64]
            .iter()
            .map(|&key| SynthEvent::NoteOn {
                timing: 0,
                voice_id: None,
                channel: 0,
                key,
                velocity: 0.8,
            })
            .collect();
        let (mut l, mut r) = (vec![0.0; 256], vec![0.0; 256]);
        synth.process(
            &mut l,
            &mut r,
            Transport::default(),
            &mut SliceEvents::new(&chord, 0),
        );
        let (mut w, mut reader) = report_channel();
        let peak = l.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        w.publish([peak, peak], 0.0001, 0.005, |rep| synth.fill_report(rep));
        let rep = reader.latest();
        assert_eq!(rep.voice_positions().len(), 2);
        assert!(
            rep.voice_positions().iter().all(|p| (p - 0.3).abs() < 1e-6),
            "{:?}",
            rep.voice_positions()
        );
        assert!(rep.peak[0] > 0.05, "the chord sounds");
        assert_eq!(rep.table_serial, synth.playing_serial());
    }

    #[test]
    fn the_worst_block_of_the_last_second_is_reported() {
        let (mut w, mut r) = report_channel();
        // One 10 ms block that took 15 ms among blocks that took 1 ms.
        w.publish([0.0; 2], 0.001, 0.01, |_| {});
        w.publish([0.0; 2], 0.015, 0.01, |_| {});
        for _ in 0..50 {
            w.publish([0.0; 2], 0.001, 0.01, |_| {});
        }
        let seen = r.latest();
        assert!((seen.worst_load - 1.5).abs() < 1e-6, "{}", seen.worst_load);
        assert!(seen.load < 0.5, "the average hides it: {}", seen.load);
        // Two seconds later the spike has left the window.
        for _ in 0..200 {
            w.publish([0.0; 2], 0.001, 0.01, |_| {});
        }
        assert!((r.latest().worst_load - 0.1).abs() < 1e-6);
    }

    #[test]
    fn bad_numbers_read_as_zero() {
        let (mut w, mut r) = report_channel();
        w.publish([f32::NAN, f32::INFINITY], f64::NAN, 0.01, |_| {});
        let seen = r.latest();
        assert_eq!(seen.peak, [0.0, 0.0]);
        assert_eq!(seen.load, 0.0);
    }

    #[test]
    fn reports_cross_threads_whole() {
        // Every report the writer makes is self-consistent (all positions equal
        // the block count); the reader must never see a mix of two reports.
        let (mut w, mut r) = report_channel();
        let writer = std::thread::spawn(move || {
            for n in 1..=20_000u64 {
                w.publish([0.0; 2], 0.0, 0.001, |rep| {
                    rep.voices = MAX_VOICES;
                    rep.positions = [n as f32; MAX_VOICES];
                    rep.table_serial = n;
                });
            }
        });
        let mut last = 0;
        while last < 20_000 {
            let rep = r.latest();
            if rep.blocks == 0 {
                continue;
            }
            assert!(rep.positions.iter().all(|&p| p == rep.table_serial as f32));
            assert_eq!(rep.blocks, rep.table_serial);
            assert!(rep.blocks >= last, "reports arrive in order");
            last = rep.blocks;
        }
        writer.join().unwrap();
    }
}
