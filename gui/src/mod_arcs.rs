//! Modulation shown on the knobs it moves, as Vital and Serum draw it: a
//! thin arc beside the knob's own, over the range the matrix's routes sweep
//! it (both ways for a bipolar source such as an LFO, one way for an
//! envelope, the wheel or velocity).
//!
//! The editor works the ranges out once a frame ([`publish`]); each knob
//! reads its own ([`range_of`]) by its parameter's name.

use egui::{Context, Id};
use nice_plug::prelude::{FloatParam, Param};
use nwt_engine::modulation::{
    ModDestination, ModSource, CUTOFF_SEMITONES, LEVEL_DB, LFO_RATE_OCTAVES, PITCH_SEMITONES,
};
use nwt_engine::SynthParams;
use std::collections::HashMap;
use std::sync::Arc;

/// Where the ranges live in egui's memory between [`publish`] and the knobs.
fn key() -> Id {
    Id::unique("nwt-modulation-arcs")
}

/// Each modulated knob's swing in normalised units around its value:
/// `(lowest, highest)` offsets.
pub type Ranges = HashMap<String, (f32, f32)>;

/// True for the sources that swing both ways around zero.
pub fn is_bipolar(source: ModSource) -> bool {
    matches!(
        source,
        ModSource::Lfo1
            | ModSource::Lfo2
            | ModSource::PitchBend
            | ModSource::Key
            | ModSource::Random
            | ModSource::Timbre
    )
}

/// How a destination's amount moves its knob's plain value.
enum Reach<'a> {
    /// Adds `scale × amount` to the plain value.
    Add(&'a FloatParam, f32),
    /// Multiplies the plain value by `2^(semitones × amount / 12)`.
    Semitones(&'a FloatParam, f32),
}

fn reach(p: &SynthParams, d: ModDestination) -> Option<Reach<'_>> {
    use ModDestination::*;
    let knobs = p.knob_params();
    let macros = [
        &p.macro_1, &p.macro_2, &p.macro_3, &p.macro_4, &p.macro_5, &p.macro_6, &p.macro_7,
        &p.macro_8,
    ];
    Some(match d {
        Position => Reach::Add(&p.position, 1.0),
        Cutoff => Reach::Semitones(&p.cutoff, CUTOFF_SEMITONES),
        Resonance => Reach::Add(&p.resonance, 1.0),
        Pitch => Reach::Add(&p.pitch, PITCH_SEMITONES),
        Level => Reach::Add(&p.gain, LEVEL_DB),
        ReverbMix => Reach::Add(&p.effects.reverb_mix, 1.0),
        DelayMix => Reach::Add(&p.effects.delay_mix, 1.0),
        DriveAmount => Reach::Add(&p.effects.drive_amount, 1.0),
        LfoRate => Reach::Semitones(&p.lfo_rate, 12.0 * LFO_RATE_OCTAVES),
        Lfo2Rate => Reach::Semitones(&p.lfo2_rate, 12.0 * LFO_RATE_OCTAVES),
        SubLevel => Reach::Add(&p.sources.sub_level, 1.0),
        NoiseLevel => Reach::Add(&p.sources.noise_level, 1.0),
        d => {
            if let Some(i) = d.macro_index() {
                Reach::Add(macros[i], 1.0)
            } else {
                Reach::Add(knobs.get(d.knob_index()?)?, 1.0)
            }
        }
    })
}

/// The normalised offset from the knob's value that `amount` of the
/// destination moves it.
fn offset(reach: &Reach, amount: f32) -> (String, f32) {
    let (param, plain) = match reach {
        Reach::Add(param, scale) => (*param, param.modulated_plain_value() + scale * amount),
        Reach::Semitones(param, semis) => (
            *param,
            param.modulated_plain_value() * (semis * amount / 12.0).exp2(),
        ),
    };
    let now = param.modulated_normalized_value();
    (
        param.name().to_string(),
        param.preview_normalized(plain) - now,
    )
}

/// Every modulated knob's swing, from the matrix and LFO 1's own routes as
/// they stand.
pub fn ranges(p: &SynthParams) -> Ranges {
    let mut out = Ranges::new();
    for route in p.mod_routes() {
        if route.source == ModSource::Off || route.amount == 0.0 {
            continue;
        }
        let Some(reach) = reach(p, route.destination) else {
            continue;
        };
        let (name, up) = offset(&reach, route.amount);
        let (_, down) = offset(&reach, -route.amount);
        let (lo, hi) = if is_bipolar(route.source) {
            (up.min(down), up.max(down))
        } else {
            (up.min(0.0), up.max(0.0))
        };
        let entry = out.entry(name).or_insert((0.0, 0.0));
        entry.0 += lo;
        entry.1 += hi;
    }
    // LFO 1's own routes swing the position and the cutoff both ways.
    let fixed = [
        (Reach::Add(&p.position, 1.0), p.lfo_to_position.value()),
        (Reach::Semitones(&p.cutoff, 1.0), p.lfo_to_cutoff.value()),
    ];
    for (reach, amount) in fixed {
        if amount != 0.0 && amount.is_finite() {
            let (name, up) = offset(&reach, amount);
            let (_, down) = offset(&reach, -amount);
            let entry = out.entry(name).or_insert((0.0, 0.0));
            entry.0 += up.min(down);
            entry.1 += up.max(down);
        }
    }
    out
}

/// Works out the ranges for this frame and leaves them where the knobs look.
pub fn publish(ctx: &Context, p: &SynthParams) {
    let ranges = Arc::new(ranges(p));
    ctx.data_mut(|d| d.insert_temp(key(), ranges));
}

/// The swing of the knob named `name` this frame, if the matrix moves it.
pub fn range_of(ctx: &Context, name: &str) -> Option<(f32, f32)> {
    ctx.data(|d| d.get_temp::<Arc<Ranges>>(key()))
        .and_then(|r| r.get(name).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_become_swings_on_their_knobs() {
        let p = SynthParams::default();
        for (id, v) in [
            ("mod_source_4", "lfo_1"),
            ("mod_destination_4", "position"),
            ("mod_amount_4", "0.25"),
            ("mod_source_5", "mod_env"),
            ("mod_destination_5", "macro_2"),
            ("mod_amount_5", "-0.5"),
            ("position", "0.5"),
            // (Slot 3 routes timbre to the position by default.)
            ("mod_source_3", "off"),
        ] {
            p.set_by_id(id, v, 48_000.0).unwrap();
        }
        let r = ranges(&p);
        // Position 0..1 plain = normalised: an LFO swings ±0.25 around it.
        let (lo, hi) = r["Position"];
        assert!(
            (lo + 0.25).abs() < 1e-4 && (hi - 0.25).abs() < 1e-4,
            "{lo} {hi}"
        );
        // Macro 2 spans -1..1 (2 plain units a whole turn): an envelope at
        // -50 % pulls it down by a quarter of the knob, never up.
        let (lo, hi) = r["Macro 2"];
        assert!((lo + 0.25).abs() < 1e-4 && hi == 0.0, "{lo} {hi}");
        // The default matrix: the wheel on macro 1 (+50 %), upwards only.
        let (lo, hi) = r["Macro 1"];
        assert!(lo == 0.0 && (hi - 0.25).abs() < 1e-4, "{lo} {hi}");
        // Nothing routes to the resonance.
        assert!(!r.contains_key("Resonance"));
        // LFO 1's own cutoff route: ±12 semitones around 20 kHz (the top:
        // only the way down shows).
        p.set_by_id("lfo_to_cutoff", "12", 48_000.0).unwrap();
        let (lo, hi) = ranges(&p)["Cutoff"];
        assert!(lo < -0.05 && hi.abs() < 1e-6, "{lo} {hi}");
    }
}
