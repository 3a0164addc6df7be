//! Values typed into a knob's field: a number with an optional unit, in the
//! parameter's unit or a related one ("2k", "2 kHz" and "2000 Hz" for a
//! cutoff; "1.5 s" and "1500 ms" for a time; "50 %" for a 0..1 knob), and
//! why a text is refused.

/// Reads `text` as a plain value of a parameter whose unit is `unit` (as
/// nice-plug spells it, e.g. " Hz", " ms", " dB", " st", " ct", or "").
pub fn parse_typed(text: &str, unit: &str) -> Result<f32, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("type a number".to_string());
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(text.len());
    // "1e" would eat an exponent that is not there: keep letters out of the number.
    let (number, suffix) = match text[..split].rfind(['e', 'E']) {
        Some(i) if i + 1 == split => text.split_at(i),
        _ => text.split_at(split),
    };
    let value: f32 = number
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" does not start with a number"))?;
    if !value.is_finite() {
        return Err(format!("\"{text}\" is not a finite number"));
    }
    let suffix = suffix.trim().to_ascii_lowercase();
    let unit = unit.trim().to_ascii_lowercase();
    let scale = match (unit.as_str(), suffix.as_str()) {
        (_, "") => 1.0,
        (u, s) if u == s => 1.0,
        ("hz", "k" | "khz") => 1000.0,
        ("ms", "s" | "sec") => 1000.0,
        ("ms", "us" | "µs") => 0.001,
        ("", "%") => 0.01,
        ("st", "semitones" | "semi") => 1.0,
        ("ct", "cents" | "cent") => 1.0,
        _ => {
            let expected = match unit.as_str() {
                "hz" => "Hz, k or kHz",
                "ms" => "ms or s",
                "" => "no unit or %",
                other => other,
            };
            return Err(format!("\"{suffix}\" is not a unit here (use {expected})"));
        }
    };
    Ok(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_prefixes() {
        assert_eq!(parse_typed("2k", " Hz"), Ok(2000.0));
        assert_eq!(parse_typed("2 kHz", " Hz"), Ok(2000.0));
        assert_eq!(parse_typed("1.5khz", " Hz"), Ok(1500.0));
        assert_eq!(parse_typed("440 Hz", " Hz"), Ok(440.0));
        assert_eq!(parse_typed("440", " Hz"), Ok(440.0));
        assert_eq!(parse_typed("1.5 s", " ms"), Ok(1500.0));
        assert_eq!(parse_typed("250ms", " ms"), Ok(250.0));
        assert_eq!(parse_typed("-6 dB", " dB"), Ok(-6.0));
        assert_eq!(parse_typed("50 %", ""), Ok(0.5));
        assert_eq!(parse_typed("1e3", " Hz"), Ok(1000.0));
    }

    #[test]
    fn refusals_say_why() {
        assert!(parse_typed("", " Hz").unwrap_err().contains("number"));
        assert!(parse_typed("loud", " dB").unwrap_err().contains("number"));
        let e = parse_typed("2 q", " Hz").unwrap_err();
        assert!(e.contains("\"q\"") && e.contains("kHz"), "{e}");
        assert!(parse_typed("3 s", " Hz").is_err());
        assert!(parse_typed("inf", " Hz").is_err());
    }
}
