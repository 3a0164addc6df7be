//! Telling an offline render from live playback by its pace, for hosts that
//! render offline without saying so (batch renderers such as DawDreamer run
//! a plugin as fast as it goes and never set CLAP's or VST3's offline mode).
//!
//! The rule: the *lead* is how far the audio rendered runs ahead of the wall
//! clock, leaking away with a time constant of [`LEAK_S`] (so a live host's
//! render-ahead bursts after a seek fade instead of adding up) and never
//! below zero (a host that pauses builds no credit). Time spent waiting for
//! our own decoder does not count as wall time: it is ours, not the host's
//! pace. Above [`ENTER_LEAD_S`] the host is rendering offline; below
//! [`LEAVE_LEAD_S`] it has come back to real time.
//!
//! Why these numbers: a live host renders at most a buffer ahead, or with
//! anticipative processing a few hundred milliseconds (REAPER's default is
//! 200 ms); a burst of 200 ms after every seek, seeks every second, holds the
//! leaking lead under 0.32 s. A render at twice real time reaches 0.75 s
//! within 1.4 s of wall time, at ten times within 0.1 s (0.9 s of audio).
//! Back at real time the lead falls under 0.25 s within a few seconds.

/// Lead (seconds of audio ahead of the wall clock) above which the host is
/// taken to render offline.
pub const ENTER_LEAD_S: f64 = 0.75;
/// Lead below which an offline render is taken to have returned to real time.
pub const LEAVE_LEAD_S: f64 = 0.25;
/// Time constant with which the lead leaks away.
pub const LEAK_S: f64 = 1.0;

/// Watches the pace of `process` calls (see the module docs). Plain
/// arithmetic on the audio thread: no allocation, no lock.
#[derive(Debug, Clone, Default)]
pub struct PaceDetector {
    lead: f64,
    /// The last call: when it began (wall seconds), the audio it rendered
    /// and the time it spent waiting for the decoder.
    last: Option<(f64, f64, f64)>,
    offline: bool,
}

impl PaceDetector {
    /// A call begins at `wall` seconds (any fixed origin): takes in the
    /// previous call and says whether this block is rendered offline.
    pub fn begin(&mut self, wall: f64) -> bool {
        if let Some((then, audio, waited)) = self.last {
            let elapsed = (wall - then - waited).max(0.0);
            let kept = if elapsed.is_finite() {
                (-elapsed / LEAK_S).exp()
            } else {
                0.0
            };
            let lead = self.lead * kept + audio - elapsed;
            self.lead = if lead.is_finite() { lead.max(0.0) } else { 0.0 };
        }
        self.last = Some((wall, 0.0, 0.0));
        if !self.offline && self.lead > ENTER_LEAD_S {
            self.offline = true;
        } else if self.offline && self.lead < LEAVE_LEAD_S {
            self.offline = false;
        }
        self.offline
    }

    /// The call that began last rendered `audio` seconds and waited
    /// `waited` seconds for the decoder.
    pub fn end(&mut self, audio: f64, waited: f64) {
        if let Some(last) = &mut self.last {
            last.1 = audio.max(0.0);
            last.2 = waited.max(0.0);
        }
    }

    /// Whether the last call was taken as offline.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// The current lead in seconds.
    pub fn lead(&self) -> f64 {
        self.lead
    }

    /// Forgets the pace (the host activated us afresh).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f64 = 48_000.0;

    /// Drives the detector as a host would: blocks of `block` samples, the
    /// `n`th call beginning at `when(n)` seconds; a call taken as offline
    /// waits `wait` seconds. Returns the offline decision of every call.
    fn host(calls: usize, block: usize, when: impl Fn(usize) -> f64, wait: f64) -> Vec<bool> {
        let mut pace = PaceDetector::default();
        let mut waited_so_far = 0.0;
        (0..calls)
            .map(|n| {
                let offline = pace.begin(when(n) + waited_so_far);
                let waited = if offline { wait } else { 0.0 };
                waited_so_far += waited;
                pace.end(block as f64 / SR, waited);
                offline
            })
            .collect()
    }

    #[test]
    fn a_live_host_is_never_offline() {
        // 128-sample blocks at real time with ±1 ms of jitter.
        let period = 128.0 / SR;
        let jitter = |n: usize| ((n * 7919) % 200) as f64 * 1e-5 - 1e-3;
        let calls = host(
            200_000,
            128,
            |n| n as f64 * period + jitter(n).max(-period),
            0.0,
        );
        assert!(calls.iter().all(|&o| !o));
    }

    #[test]
    fn anticipative_processing_after_every_seek_stays_live() {
        // Each second the user seeks: the host renders 200 ms ahead at once,
        // then keeps that lead in real time.
        let period = 128.0 / SR;
        let ahead = (0.2 / period) as usize;
        let per_second = (1.0 / period) as usize;
        let when = |n: usize| {
            let (second, k) = (n / per_second, n % per_second);
            second as f64 + k.saturating_sub(ahead) as f64 * period
        };
        let mut pace = PaceDetector::default();
        let mut worst = 0.0f64;
        for n in 0..60 * per_second {
            assert!(!pace.begin(when(n)), "taken as offline at call {n}");
            worst = worst.max(pace.lead());
            pace.end(period, 0.0);
        }
        println!("largest lead with a 200 ms burst every second: {worst:.3} s");
        assert!(worst < 0.5);
    }

    #[test]
    fn a_fast_render_is_offline_within_a_second_of_audio() {
        // Ten times real time, and every offline block waits 5 ms for a
        // table (our wait, which must not count against the host's pace).
        let period = 512.0 / SR / 10.0;
        let calls = host(2_000, 512, |n| n as f64 * period, 0.005);
        let first = calls.iter().position(|&o| o).expect("never offline");
        let audio = first as f64 * 512.0 / SR;
        println!("offline from {audio:.2} s of audio");
        assert!(audio < 1.0, "offline only after {audio} s of audio");
        assert!(calls[first..].iter().all(|&o| o), "flapped back to live");
    }

    #[test]
    fn a_render_that_returns_to_real_time_goes_live_again() {
        // 20 s of audio at ten times real time, then real time.
        let period = 512.0 / SR;
        let fast = (20.0 / period) as usize;
        let when = |n: usize| {
            if n < fast {
                n as f64 * period / 10.0
            } else {
                fast as f64 * period / 10.0 + (n - fast) as f64 * period
            }
        };
        let calls = host(fast + (10.0 / period) as usize, 512, when, 0.0);
        assert!(calls[fast - 1]);
        let back = calls[fast..]
            .iter()
            .position(|&o| !o)
            .expect("stayed offline");
        let seconds = back as f64 * period;
        println!("live again {seconds:.2} s after real time resumed");
        assert!(seconds < 5.0);
        assert!(calls[fast + back..].iter().all(|&o| !o));
    }

    #[test]
    fn a_pause_builds_no_credit_and_nonsense_clocks_are_harmless() {
        let mut pace = PaceDetector::default();
        pace.begin(0.0);
        pace.end(0.01, 0.0);
        // Ten seconds without a call, then real time again.
        pace.begin(10.0);
        assert_eq!(pace.lead(), 0.0);
        pace.end(f64::NAN, f64::INFINITY);
        assert!(!pace.begin(f64::NAN));
        assert!(!pace.begin(-5.0));
        assert!(pace.lead().is_finite());
    }
}
