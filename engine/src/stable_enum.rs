//! Enum parameters whose host automation survives new variants.
//!
//! A host stores an enum parameter's automation as a normalised value,
//! `index / (steps)`. With nice-plug's derived [`Enum`](nice_plug::prelude::Enum)
//! the steps are the variants, so appending a variant moves every existing
//! variant's normalised value and a saved song's automation points somewhere
//! else. Here each variant has a fixed **code** in a fixed range of
//! `CODES` steps; a new variant takes a free code and nothing else moves.
//!
//! The first variants of each enum sit at `old_index × spread`, so their
//! normalised values are the ones the derived enum gave them
//! (`i / (n − 1) == i·s / ((n − 1)·s)`, exactly in `f32`): automation recorded
//! before the change keeps its meaning too. A free code reads, displays and
//! parses as the nearest assigned code below it (so a host's value-to-text and
//! text-to-value round trip); the editor's menus list each variant once.
//!
//! The DAW state stores an enum parameter's code (nice-plug writes the plain
//! value when an enum has no ids): a host that set a free code gets exactly
//! that value back after a save and load, as hosts and clap-validator check.
//! Presets store the variant's id. State saved before the codes held ids;
//! the plugin's `filter_state` turns them into codes.
//! `engine/tests/enum_automation.rs` checks every enum parameter's
//! (variant id, normalised value) against a committed snapshot.

/// For each of `N` codes, the value of the nearest assigned code at or below
/// it. `entries` are `(code, value)`; code 0 must be assigned and codes must
/// be distinct and below `N` (checked at compile time when used in a `static`).
pub const fn alias_table<T: Copy, const N: usize>(entries: &[(usize, T)]) -> [T; N] {
    let mut out = [entries[0].1; N];
    let mut assigned = [false; N];
    let mut i = 0;
    while i < entries.len() {
        let code = entries[i].0;
        assert!(code < N, "a variant's code is outside the enum's range");
        assert!(!assigned[code], "two variants share a code");
        assigned[code] = true;
        i += 1;
    }
    assert!(assigned[0], "code 0 must be assigned");
    let mut code = 0;
    while code < N {
        // The nearest assigned code at or below `code`.
        let mut best = 0;
        let mut found = false;
        let mut j = 0;
        while j < entries.len() {
            let c = entries[j].0;
            if c <= code && (!found || c > entries[best].0) {
                best = j;
                found = true;
            }
            j += 1;
        }
        out[code] = entries[best].1;
        code += 1;
    }
    out
}

/// Declares an automatable enum with a stable code per variant (see the
/// module docs). Syntax:
///
/// ```ignore
/// stable_enum! {
///     /// Docs.
///     pub enum Shape: 33 {
///         /// Docs of the variant.
///         Sine = 0, "sine", "Sine";
///         Triangle = 8, "triangle", "Triangle";
///     }
/// }
/// ```
///
/// `33` is the number of codes (never change it); each variant gives its code,
/// its stable id (saved in presets and DAW state) and its display name.
#[macro_export]
macro_rules! stable_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $codes:literal {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $code:literal, $id:literal, $label:literal;
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
        }

        impl $name {
            /// The parameter's range: codes `0..CODES` (fixed forever).
            pub const CODES: usize = $codes;
            /// Every variant, in declaration order.
            pub const ALL_VARIANTS: &'static [$name] = &[$($name::$variant),+];
            const BY_CODE: [$name; $codes] =
                $crate::stable_enum::alias_table(&[$(($code, $name::$variant)),+]);
            const NAMES: [&'static str; $codes] =
                $crate::stable_enum::alias_table(&[$(($code, $label)),+]);
            const IDS: [&'static str; $codes] =
                $crate::stable_enum::alias_table(&[$(($code, $id)),+]);

            /// This variant's stable code (its plain parameter value).
            pub const fn code(self) -> usize {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The variant a code stands for (a free code reads as the
            /// nearest assigned one below it; past the range, the last).
            pub fn from_code(code: usize) -> Self {
                Self::BY_CODE[code.min($codes - 1)]
            }

            /// The variant's stable id.
            pub fn id(self) -> &'static str {
                Self::IDS[self.code()]
            }

            /// The variant with stable id `id`.
            pub fn from_id(id: &str) -> Option<Self> {
                Self::ALL_VARIANTS.iter().copied().find(|v| v.id() == id)
            }

            /// The code of the variant with stable id `id`.
            pub fn code_of_id(id: &str) -> Option<usize> {
                Self::from_id(id).map(Self::code)
            }

            /// The stable id of the variant code `code` plays.
            pub fn id_of_code(code: usize) -> &'static str {
                Self::from_code(code).id()
            }

            /// The variant's display name.
            pub fn label(self) -> &'static str {
                Self::NAMES[self.code()]
            }
        }

        impl nice_plug::prelude::Enum for $name {
            fn variants() -> &'static [&'static str] {
                static NAMES: [&str; $codes] = $name::NAMES;
                &NAMES
            }

            /// `None`: nice-plug then saves the DAW state's value as the code
            /// itself (as stable as the id, see the module docs), so a free
            /// code a host set comes back exactly as it was.
            fn ids() -> Option<&'static [&'static str]> {
                None
            }

            fn to_index(self) -> usize {
                self.code()
            }

            fn from_index(index: usize) -> Self {
                Self::from_code(index)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use nice_plug::prelude::{Enum, EnumParam, Param};

    crate::stable_enum! {
        /// A test enum: two variants of the first generation (spread 4), one added later.
        pub enum Fruit: 5 {
            /// First.
            Apple = 0, "apple", "Apple";
            /// Second.
            Pear = 4, "pear", "Pear";
            /// Added later, in the room after Apple.
            Plum = 1, "plum", "Plum";
        }
    }

    #[test]
    fn free_codes_read_as_the_variant_below() {
        assert_eq!(Fruit::from_code(0), Fruit::Apple);
        assert_eq!(Fruit::from_code(1), Fruit::Plum);
        assert_eq!(Fruit::from_code(3), Fruit::Plum);
        assert_eq!(Fruit::from_code(4), Fruit::Pear);
        assert_eq!(Fruit::from_code(99), Fruit::Pear);
        assert_eq!(
            Fruit::variants(),
            &["Apple", "Plum", "Plum", "Plum", "Pear"]
        );
        assert_eq!(Fruit::from_id("plum"), Some(Fruit::Plum));
        assert_eq!(Fruit::Pear.label(), "Pear");
        assert_eq!(Fruit::CODES, 5);
        assert_eq!(Fruit::code_of_id("pear"), Some(4));
        assert_eq!(Fruit::id_of_code(2), "plum");
    }

    #[test]
    fn normalised_values_and_text_round_trip() {
        let p = EnumParam::new("Fruit", Fruit::Apple);
        // The first generation keeps the normalised values of a two-variant enum.
        assert_eq!(p.preview_normalized(Fruit::Pear), 1.0);
        assert_eq!(p.preview_normalized(Fruit::Apple), 0.0);
        // A free code's text parses back to the variant it plays.
        let text = p.normalized_value_to_string(0.5, false);
        assert_eq!(text, "Plum");
        let v = p.string_to_normalized_value(&text).unwrap();
        assert_eq!(p.preview_plain(v), Fruit::Plum);
        assert_eq!(p.normalized_value_to_string(v, false), text);
    }
}
