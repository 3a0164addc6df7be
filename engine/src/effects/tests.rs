use super::*;

fn all_on() -> RackSettings {
    let params = crate::params::effects::EffectsParams::default();
    let mut s = params.settings();
    s.drive.on = true;
    s.chorus.on = true;
    s.delay.on = true;
    s.reverb.on = true;
    s
}

fn tone(n: usize, sr: f32) -> Vec<f32> {
    (0..n)
        .map(|i| 0.3 * (std::f32::consts::TAU * 220.0 * i as f32 / sr).sin())
        .collect()
}

#[test]
fn with_every_effect_off_the_sound_passes_bit_for_bit() {
    let sr = 48_000.0;
    let mut rack = EffectsRack::new(sr);
    let s = crate::params::effects::EffectsParams::default().settings();
    assert!(!s.any_on());
    let input = tone(10_000, sr);
    let (mut l, mut r) = (input.clone(), input.clone());
    rack.process(&mut l, &mut r, &s, 120.0);
    assert_eq!(l, input);
    assert_eq!(r, input);
}

#[test]
fn the_rack_sleeps_once_its_tails_die_and_wakes_for_sound() {
    let sr = 48_000.0;
    let mut rack = EffectsRack::new(sr);
    let mut s = all_on();
    s.reverb.decay_s = 1.0;
    s.delay.feedback = 0.5;
    let block = 256;
    let mut l = tone(block, sr);
    let mut r = l.clone();
    rack.process(&mut l, &mut r, &s, 120.0);
    assert!(!rack.is_asleep());
    // Silence in: the tail rings on, then the rack sleeps.
    let mut slept_after = None;
    let mut tail_peak = 0.0f32;
    for b in 0..(12.0 * sr) as usize / block {
        let (mut l, mut r) = (vec![0.0; block], vec![0.0; block]);
        rack.process(&mut l, &mut r, &s, 120.0);
        if b > 2 && b < 20 {
            tail_peak = tail_peak.max(peak(&l, &r));
        }
        if rack.is_asleep() {
            slept_after = Some(b * block);
            // Asleep, it leaves silence silent.
            assert!(peak(&l, &r) <= SILENCE);
            break;
        }
    }
    assert!(tail_peak > 1e-3, "no tail after the tone: {tail_peak}");
    let slept = slept_after.expect("the rack never slept");
    println!("asleep {:.2} s after the input stopped", slept as f32 / sr);
    // Sound comes in: it wakes and plays it.
    let mut l = tone(block, sr);
    let mut r = l.clone();
    rack.process(&mut l, &mut r, &s, 120.0);
    assert!(!rack.is_asleep());
}

#[test]
fn nan_resets_the_rack_and_silences_the_block() {
    let sr = 48_000.0;
    let mut rack = EffectsRack::new(sr);
    let s = all_on();
    let mut l = tone(512, sr);
    let mut r = l.clone();
    rack.process(&mut l, &mut r, &s, 120.0);
    let mut l = tone(512, sr);
    l[100] = f32::NAN;
    let mut r = tone(512, sr);
    r[7] = f32::INFINITY;
    rack.process(&mut l, &mut r, &s, 120.0);
    assert!(l[64..128].iter().chain(&r[..64]).all(|&v| v == 0.0));
    assert!(rack.resets() >= 1);
    // The next block is clean again.
    let (mut l, mut r) = (tone(512, sr), tone(512, sr));
    rack.process(&mut l, &mut r, &s, 120.0);
    assert!(l.iter().chain(&r).all(|v| v.is_finite()));
}

#[test]
fn switching_an_effect_does_not_click() {
    let sr = 48_000.0;
    let mut rack = EffectsRack::new(sr);
    let mut s = crate::params::effects::EffectsParams::default().settings();
    // The largest sample-to-sample step while the drive is steadily off, steadily
    // on, and while it switches: a switch must not step further than either.
    let (mut off, mut on, mut switching) = (0.0f32, 0.0f32, 0.0f32);
    let mut last = 0.0f32;
    let n = 64;
    let input = tone(48_000, sr);
    for (b, chunk) in input.chunks(n).enumerate() {
        // The drive on for a while, then off again (its output lags the dry
        // signal by its filters' delay: the fade must hide the jump).
        s.drive.on = (100..400).contains(&b);
        s.drive.amount = 0.3;
        let (mut l, mut r) = (chunk.to_vec(), chunk.to_vec());
        rack.process(&mut l, &mut r, &s, 120.0);
        for &v in &l {
            let step = (v - last).abs();
            last = v;
            match b {
                20..=95 | 420.. => off = off.max(step),
                110..=395 => on = on.max(step),
                _ => switching = switching.max(step),
            }
        }
    }
    println!("largest steps: off {off}, on {on}, switching {switching}");
    assert!(
        switching <= 1.1 * off.max(on),
        "a switch stepped {switching}"
    );
}

#[test]
fn every_effect_handles_extreme_rates_and_block_sizes() {
    for sr in [8_000.0f32, 22_050.0, 192_000.0, 384_000.0] {
        let mut rack = EffectsRack::new(sr);
        let mut s = all_on();
        s.delay.sync = false;
        s.delay.time_ms = 2_000.0;
        s.reverb.size = 1.0;
        s.reverb.predelay_ms = 250.0;
        s.chorus.delay_ms = 30.0;
        s.chorus.depth_ms = 10.0;
        for block in [1usize, 7, 64, 1_000, 4_096] {
            let mut l = tone(block, sr);
            let mut r = l.clone();
            rack.process(&mut l, &mut r, &s, 33.0);
            assert!(l.iter().chain(&r).all(|v| v.is_finite() && v.abs() < 10.0));
        }
    }
}

#[test]
fn a_long_silent_tail_never_turns_denormal() {
    // The longest reverb and the most feedback, then a minute of silence
    // processed by each effect alone (no sleeping): every sample is either 0
    // or a normal number, so the tail never runs at denormal speed.
    let sr = 48_000.0;
    let mut s = all_on();
    s.reverb.decay_s = 20.0;
    s.reverb.damping = 0.8;
    s.delay.feedback = 0.95;
    s.delay.tone_hz = 800.0;
    let ctx = EffectContext {
        sample_rate: sr,
        tempo: 120.0,
    };
    let mut reverb = Reverb::new(sr);
    let mut delay = Delay::new(sr);
    let mut chorus = Chorus::new(sr);
    let mut drive = Drive::default();
    let block = 4_800;
    let mut subnormal = 0usize;
    for b in 0..(60.0 * sr) as usize / block {
        let mut l = if b == 0 {
            tone(block, sr)
        } else {
            vec![0.0; block]
        };
        let mut r = l.clone();
        drive.process(&mut l, &mut r, &s.drive, &ctx);
        chorus.process(&mut l, &mut r, &s.chorus, &ctx);
        delay.process(&mut l, &mut r, &s.delay, &ctx);
        reverb.process(&mut l, &mut r, &s.reverb, &ctx);
        subnormal += l.iter().chain(&r).filter(|v| v.is_subnormal()).count();
    }
    assert_eq!(subnormal, 0);
}
