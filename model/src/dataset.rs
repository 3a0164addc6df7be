//! The training data: procedural families and real instrument cycles, split
//! into train, validation and test sets that share no seed and no instrument.

use crate::families::{align_phase, normalise, Family};
use crate::model::harmonics_to_coeffs;
use crate::rng::{fnv1a, mix};
use crate::sf2;
use crate::vae::{COEFFS, HARMONICS};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

/// Where the General MIDI SoundFont of Debian's `fluid-soundfont-gm` package lives.
pub const SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
/// Family name of every real instrument cycle.
pub const INSTRUMENT_FAMILY: &str = "instrument";
const MAGIC: &[u8; 8] = b"NWTDATA1";

/// Which set an example belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Split {
    /// Used to fit the model.
    Train,
    /// Used to watch training.
    Validation,
    /// Held out for evaluation.
    Test,
}

impl Split {
    /// Stable split for a grouping key: 80 % train, 10 % validation, 10 % test.
    pub fn of(key: u64) -> Self {
        match mix(key) % 10 {
            0 => Split::Test,
            1 => Split::Validation,
            _ => Split::Train,
        }
    }

    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(c: u8) -> Option<Self> {
        [Split::Train, Split::Validation, Split::Test]
            .get(usize::from(c))
            .copied()
    }
}

fn hash_str(s: &str) -> u64 {
    fnv1a(s.as_bytes())
}

/// One frame of the dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Family name (a procedural family, or [`INSTRUMENT_FAMILY`]).
    pub family: String,
    /// Grouping key the split was drawn from (seed or instrument).
    pub group: String,
    /// The set it belongs to.
    pub split: Split,
    /// `[cos_1..cos_H, sin_1..sin_H]`, normalised and phase-aligned.
    pub coeffs: Vec<f32>,
}

/// How to build the dataset.
#[derive(Debug, Clone)]
pub struct DatasetConfig {
    /// Frames per procedural family.
    pub per_family: usize,
    /// Base seed.
    pub seed: u64,
    /// Cycles taken from each soundfont sample.
    pub cycles_per_sample: usize,
    /// The soundfont to read, if any.
    pub soundfont: Option<std::path::PathBuf>,
}

/// Errors building, saving or loading a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// File trouble.
    #[error("dataset file: {0}")]
    Io(#[from] std::io::Error),
    /// The soundfont could not be parsed.
    #[error("soundfont: {0}")]
    Soundfont(#[from] sf2::Sf2Error),
    /// Not a dataset file of this version.
    #[error("not a Neural Wavetable dataset file (or an older format)")]
    Format,
}

/// A built dataset.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Every frame.
    pub examples: Vec<Example>,
}

fn example(family: &str, group: &str, key: u64, mut h: crate::Harmonics) -> Example {
    align_phase(&mut h);
    normalise(&mut h, HARMONICS);
    Example {
        family: family.to_string(),
        group: group.to_string(),
        split: Split::of(key),
        coeffs: harmonics_to_coeffs(&h),
    }
}

impl Dataset {
    /// Builds the dataset (procedural frames, then soundfont cycles when a soundfont is given).
    pub fn build(config: &DatasetConfig) -> Result<Self, DatasetError> {
        let mut examples = Vec::new();
        for family in Family::ALL {
            for i in 0..config.per_family {
                let seed = mix(config.seed ^ hash_str(family.name())).wrapping_add(i as u64);
                examples.push(example(
                    family.name(),
                    &seed.to_string(),
                    seed,
                    family.generate(seed),
                ));
            }
        }
        if let Some(path) = &config.soundfont {
            let bytes = std::fs::read(path)?;
            for sample in sf2::read_sf2(&bytes)? {
                let group = sf2::sample_family(&sample);
                let key = hash_str(&group) ^ config.seed;
                for h in sf2::extract_cycles(&sample, config.cycles_per_sample) {
                    examples.push(example(INSTRUMENT_FAMILY, &group, key, h));
                }
            }
        }
        examples.retain(|e| {
            e.coeffs.iter().all(|v| v.is_finite()) && e.coeffs.iter().any(|v| *v != 0.0)
        });
        Ok(Self { examples })
    }

    /// The examples of one split.
    pub fn split(&self, split: Split) -> Vec<&Example> {
        self.examples.iter().filter(|e| e.split == split).collect()
    }

    /// Counts per (family, split).
    pub fn counts(&self) -> BTreeMap<(String, Split), usize> {
        let mut counts = BTreeMap::new();
        for e in &self.examples {
            *counts.entry((e.family.clone(), e.split)).or_insert(0) += 1;
        }
        counts
    }

    /// A table of counts per family and split, for printing.
    pub fn describe(&self) -> String {
        let counts = self.counts();
        let mut families: Vec<&String> = counts.keys().map(|(f, _)| f).collect();
        families.dedup();
        let mut out = format!(
            "{:<12} {:>7} {:>7} {:>7}\n",
            "family", "train", "val", "test"
        );
        for f in families {
            let get = |s| counts.get(&(f.clone(), s)).copied().unwrap_or(0);
            out += &format!(
                "{f:<12} {:>7} {:>7} {:>7}\n",
                get(Split::Train),
                get(Split::Validation),
                get(Split::Test)
            );
        }
        out
    }

    /// Writes the dataset in a small binary format.
    pub fn save(&self, path: &Path) -> Result<(), DatasetError> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        w.write_all(MAGIC)?;
        w.write_all(&(self.examples.len() as u64).to_le_bytes())?;
        for e in &self.examples {
            for s in [&e.family, &e.group] {
                w.write_all(&(s.len() as u32).to_le_bytes())?;
                w.write_all(s.as_bytes())?;
            }
            w.write_all(&[e.split.code()])?;
            for v in &e.coeffs {
                w.write_all(&v.to_le_bytes())?;
            }
        }
        w.flush()?;
        Ok(())
    }

    /// Reads a dataset written by [`Dataset::save`].
    pub fn load(path: &Path) -> Result<Self, DatasetError> {
        let mut r = std::io::BufReader::new(std::fs::File::open(path)?);
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(DatasetError::Format);
        }
        let count = read_u64(&mut r)? as usize;
        let mut examples = Vec::with_capacity(count.min(1 << 20));
        for _ in 0..count {
            let family = read_string(&mut r)?;
            let group = read_string(&mut r)?;
            let mut code = [0u8];
            r.read_exact(&mut code)?;
            let split = Split::from_code(code[0]).ok_or(DatasetError::Format)?;
            let mut buf = vec![0u8; COEFFS * 4];
            r.read_exact(&mut buf)?;
            let coeffs = buf
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            examples.push(Example {
                family,
                group,
                split,
                coeffs,
            });
        }
        Ok(Self { examples })
    }
}

fn read_u64(r: &mut impl Read) -> Result<u64, DatasetError> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_string(r: &mut impl Read) -> Result<String, DatasetError> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    let len = u32::from_le_bytes(b) as usize;
    if len > 4096 {
        return Err(DatasetError::Format);
    }
    let mut s = vec![0u8; len];
    r.read_exact(&mut s)?;
    String::from_utf8(s).map_err(|_| DatasetError::Format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_disjoint_by_group_and_reproducible() {
        let config = DatasetConfig {
            per_family: 40,
            seed: 7,
            cycles_per_sample: 0,
            soundfont: None,
        };
        let a = Dataset::build(&config).unwrap();
        let b = Dataset::build(&config).unwrap();
        assert_eq!(a.examples, b.examples);
        let mut seen: BTreeMap<&str, Split> = BTreeMap::new();
        for e in &a.examples {
            assert_eq!(*seen.entry(&e.group).or_insert(e.split), e.split);
        }
        for split in [Split::Train, Split::Validation, Split::Test] {
            assert!(!a.split(split).is_empty(), "{split:?}");
        }
    }

    #[test]
    fn save_and_load_round_trip() {
        let config = DatasetConfig {
            per_family: 3,
            seed: 1,
            cycles_per_sample: 0,
            soundfont: None,
        };
        let data = Dataset::build(&config).unwrap();
        let path = std::env::temp_dir().join(format!("nwt-dataset-{}.bin", std::process::id()));
        data.save(&path).unwrap();
        let again = Dataset::load(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(data.examples, again.examples);
        std::fs::write(&path, b"garbage!").unwrap();
        assert!(Dataset::load(&path).is_err());
        std::fs::remove_file(&path).ok();
    }
}
