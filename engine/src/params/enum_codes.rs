//! Which enum stands behind each enum parameter: how a preset's stable
//! variant ids map to the parameter's codes (`crate::stable_enum`), and what
//! the variant indices of format-2 presets meant.

use super::PhaseMode;
use crate::anchors::MacroMode;
use crate::effects::{DelayDivision, DelayMode, DriveMode};
use crate::factory::TableSource;
use crate::filter::FilterMode;
use crate::lfo::{LfoDivision, LfoMode, LfoShape};
use crate::modulation::{ModDestination, ModSource};
use crate::sources::{NoiseColor, SubShape};

/// How one enum parameter's stable ids and codes map to each other.
#[derive(Debug, Clone, Copy)]
pub struct EnumCodes {
    /// The stable id of the variant a code plays.
    pub id_of: fn(usize) -> &'static str,
    /// The code of the variant with a stable id.
    pub code_of: fn(&str) -> Option<usize>,
    /// Presets of format 2 stored the variant's index in declaration order;
    /// the variants of that time sit at `index × v2_spread` (frozen: format 2
    /// will never hold a later variant).
    pub v2_spread: usize,
    /// Codes of the parameter (`0..codes`).
    pub codes: usize,
}

macro_rules! codes {
    ($t:ty, $spread:literal) => {
        EnumCodes {
            id_of: <$t>::id_of_code,
            code_of: <$t>::code_of_id,
            v2_spread: $spread,
            codes: <$t>::CODES,
        }
    };
}

/// The enum behind parameter `param_id`, or `None` for a parameter that is
/// not an enum. (A test checks this against every `EnumParam` there is.)
pub fn enum_codes(param_id: &str) -> Option<EnumCodes> {
    let slot_kind = param_id
        .rsplit_once('_')
        .filter(|(_, n)| n.parse::<usize>().is_ok())
        .map(|(kind, _)| kind);
    Some(match (param_id, slot_kind) {
        ("table", _) => codes!(TableSource, 8),
        ("macro_mode", _) => codes!(MacroMode, 16),
        ("phase_mode", _) => codes!(PhaseMode, 16),
        ("filter_mode", _) => codes!(FilterMode, 16),
        ("lfo_shape", _) => codes!(LfoShape, 8),
        ("lfo_division", _) => codes!(LfoDivision, 8),
        // Added with LFO 2 (never in a format-2 preset).
        ("lfo2_shape", _) => codes!(LfoShape, 1),
        ("lfo2_division", _) => codes!(LfoDivision, 1),
        // Added with the effects rack (never in a format-2 preset).
        ("drive_mode", _) => codes!(DriveMode, 1),
        ("delay_mode", _) => codes!(DelayMode, 1),
        ("delay_division", _) => codes!(DelayDivision, 1),
        // Added with the LFO modes (never in a format-2 preset).
        ("lfo_mode", _) | ("lfo2_mode", _) => codes!(LfoMode, 1),
        // Added with the sub and the noise (never in a format-2 preset).
        ("sub_shape", _) => codes!(SubShape, 1),
        ("noise_color", _) => codes!(NoiseColor, 1),
        (_, Some("mod_source")) => codes!(ModSource, 12),
        (_, Some("mod_destination")) => codes!(ModDestination, 4),
        _ => return None,
    })
}
