//! The SoundFont 2 file walk: RIFF chunks, sample headers, instrument
//! zones and their generators.

use super::*;

/// One RIFF chunk: its id and its data (without the pad byte).
pub(super) struct Chunk<'a> {
    pub(super) id: [u8; 4],
    pub(super) data: &'a [u8],
}

/// Checks the RIFF header and form type and returns the form's body.
pub(super) fn riff_body(bytes: &[u8]) -> Result<&[u8], Sf2Error> {
    let header = take(bytes, 0, 12, "the RIFF header")?;
    if &header[..4] != b"RIFF" {
        return Err(Sf2Error::NotRiff);
    }
    if &header[8..12] != b"sfbk" {
        return Err(Sf2Error::NotSoundFont(fourcc(&header[8..12])));
    }
    let size = u32_at(header, 4) as usize;
    let form = take(bytes, 8, size, "the RIFF form")?;
    form.get(4..).ok_or_else(|| Sf2Error::Truncated {
        what: "the RIFF form type".to_string(),
        needed: 4,
        available: size,
    })
}

/// Splits `body` into its chunks, checking that each fits.
pub(super) fn sub_chunks<'a>(body: &'a [u8], context: &str) -> Result<Vec<Chunk<'a>>, Sf2Error> {
    let mut chunks = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let header = take(body, at, 8, &format!("a chunk header in {context}"))?;
        let id = [header[0], header[1], header[2], header[3]];
        let size = u32_at(header, 4) as usize;
        let data = take(
            body,
            at + 8,
            size,
            &format!("chunk '{}' in {context}", fourcc(&id)),
        )?;
        chunks.push(Chunk { id, data });
        // Chunks are padded to an even size; a missing final pad byte is tolerated.
        at = at + 8 + size + (size & 1);
    }
    Ok(chunks)
}

/// The chunks inside the `LIST` chunk of type `kind`.
pub(super) fn list<'a>(
    chunks: &[Chunk<'a>],
    kind: &[u8; 4],
    name: &'static str,
) -> Result<Vec<Chunk<'a>>, Sf2Error> {
    let body = chunks
        .iter()
        .filter(|c| &c.id == b"LIST" && c.data.len() >= 4)
        .find(|c| &c.data[..4] == kind)
        .ok_or(Sf2Error::MissingChunk(name))?;
    sub_chunks(&body.data[4..], name)
}

/// The data of the first chunk with id `id`.
pub(super) fn chunk<'a>(
    chunks: &[Chunk<'a>],
    id: &[u8; 4],
    name: &'static str,
) -> Result<&'a [u8], Sf2Error> {
    chunks
        .iter()
        .find(|c| &c.id == id)
        .map(|c| c.data)
        .ok_or(Sf2Error::MissingChunk(name))
}

/// Splits a table chunk into its fixed-size records (at least one: the terminal record).
pub(super) fn records<'a>(
    data: &'a [u8],
    len: usize,
    name: &'static str,
) -> Result<Vec<&'a [u8]>, Sf2Error> {
    if data.is_empty() || !data.len().is_multiple_of(len) {
        return Err(Sf2Error::BadChunkSize {
            chunk: name,
            size: data.len(),
            record: len,
        });
    }
    Ok(data.chunks_exact(len).collect())
}

/// `len` bytes of `bytes` from `at`, or a [`Sf2Error::Truncated`] naming `what`.
pub(super) fn take<'a>(
    bytes: &'a [u8],
    at: usize,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Sf2Error> {
    let available = bytes.len().saturating_sub(at);
    if len > available {
        return Err(Sf2Error::Truncated {
            what: what.to_string(),
            needed: len,
            available,
        });
    }
    Ok(&bytes[at..at + len])
}

/// Little-endian `u16` at `at` (the caller guarantees the bounds).
pub(super) fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// Little-endian `u32` at `at` (the caller guarantees the bounds).
pub(super) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// A four-character code as printable text.
pub(super) fn fourcc(id: &[u8]) -> String {
    id.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}

/// A fixed-size, NUL-padded name field as text (Latin-1), without trailing spaces.
pub(super) fn name_field(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let name: String = bytes[..end].iter().map(|&b| b as char).collect();
    name.trim_end().to_string()
}

/// One `shdr` record, with positions still absolute in the `smpl` chunk.
pub(super) struct SampleHeader {
    pub(super) name: String,
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) loop_start: u32,
    pub(super) loop_end: u32,
    pub(super) sample_rate: u32,
    pub(super) original_pitch: u8,
    pub(super) pitch_correction: i8,
    pub(super) sample_type: u16,
}

impl SampleHeader {
    /// Parses one 46-byte `shdr` record.
    pub(super) fn parse(record: &[u8]) -> Self {
        Self {
            name: name_field(&record[..20]),
            start: u32_at(record, 20),
            end: u32_at(record, 24),
            loop_start: u32_at(record, 28),
            loop_end: u32_at(record, 32),
            sample_rate: u32_at(record, 36),
            original_pitch: record[40],
            pitch_correction: record[41] as i8,
            sample_type: u16_at(record, 44),
        }
    }

    /// Builds the sample from its slice of the `smpl` chunk, making the loop relative and
    /// folding in the tuning of the first instrument zone that plays it.
    pub(super) fn into_sample(self, pcm: &[u8], sample_use: SampleUse) -> Sf2Sample {
        let inside = self.start <= self.loop_start
            && self.loop_start < self.loop_end
            && self.loop_end <= self.end;
        let (loop_start, loop_end) = if inside {
            (self.loop_start - self.start, self.loop_end - self.start)
        } else {
            (0, 0)
        };
        let data = pcm
            .chunks_exact(2)
            .map(|p| f32::from(i16::from_le_bytes([p[0], p[1]])) / 32768.0)
            .collect();
        let correction = i16::from(self.pitch_correction) + sample_use.fine_tune;
        Sf2Sample {
            name: self.name,
            sample_rate: self.sample_rate,
            original_pitch: sample_use.root_key.unwrap_or(self.original_pitch),
            pitch_correction: correction.clamp(i8::MIN.into(), i8::MAX.into()) as i8,
            loop_start,
            loop_end,
            data,
            instruments: sample_use.instruments,
        }
    }
}

/// The sample headers without the terminal `EOS` record.
pub(super) fn sample_headers(records: Vec<&[u8]>) -> Vec<SampleHeader> {
    let real = records.len() - 1;
    records[..real]
        .iter()
        .map(|r| SampleHeader::parse(r))
        .collect()
}

/// What the instrument zones say about one sample.
#[derive(Debug, Clone, Default)]
pub(super) struct SampleUse {
    /// Names of the instruments with a zone playing the sample, in file order.
    pub(super) instruments: Vec<String>,
    /// The first such zone's `overridingRootKey`, if it sets one.
    pub(super) root_key: Option<u8>,
    /// The first such zone's `fineTune` in cents (0 when unset).
    pub(super) fine_tune: i16,
}

/// The generators of one instrument zone that matter here.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ZoneGens {
    pub(super) sample: Option<usize>,
    pub(super) root_key: Option<u8>,
    pub(super) fine_tune: Option<i16>,
}

impl ZoneGens {
    /// Reads a zone's generator records (4 bytes each: operator, amount).
    pub(super) fn parse(gens: &[&[u8]]) -> Self {
        let mut zone = Self::default();
        for gen in gens {
            let amount = u16_at(gen, 2);
            match u16_at(gen, 0) {
                GEN_SAMPLE_ID => zone.sample = Some(usize::from(amount)),
                GEN_ROOT_KEY => zone.root_key = u8::try_from(amount).ok().filter(|&k| k < 128),
                GEN_FINE_TUNE => zone.fine_tune = Some(amount as i16),
                _ => {}
            }
        }
        zone
    }
}

/// For each of `samples` sample headers, what the instruments playing it say about it:
/// their names and, from the first zone using it (falling back to its instrument's
/// global zone), the root key and fine tuning.
pub(super) fn sample_uses(pdta: &[Chunk], samples: usize) -> Result<Vec<SampleUse>, Sf2Error> {
    let inst = records(chunk(pdta, b"inst", "inst")?, INST_LEN, "inst")?;
    let ibag = records(chunk(pdta, b"ibag", "ibag")?, BAG_GEN_LEN, "ibag")?;
    let igen = records(chunk(pdta, b"igen", "igen")?, BAG_GEN_LEN, "igen")?;
    let mut uses = vec![SampleUse::default(); samples];
    for (i, pair) in inst.windows(2).enumerate() {
        let name = name_field(&pair[0][..20]);
        let bags = index_range(pair, 20, i, ibag.len() - 1, "inst")?;
        let mut global = ZoneGens::default();
        for b in bags.clone() {
            let gens = index_range(&ibag[b..b + 2], 0, b, igen.len() - 1, "ibag")?;
            let zone = ZoneGens::parse(&igen[gens]);
            let Some(id) = zone.sample else {
                if b == bags.start {
                    global = zone;
                }
                continue;
            };
            let entry = uses.get_mut(id).ok_or_else(|| Sf2Error::BadSampleId {
                instrument: name.clone(),
                id,
                samples,
            })?;
            if entry.instruments.is_empty() {
                entry.root_key = zone.root_key.or(global.root_key);
                entry.fine_tune = zone.fine_tune.or(global.fine_tune).unwrap_or(0);
            }
            if !entry.instruments.contains(&name) {
                entry.instruments.push(name.clone());
            }
        }
    }
    Ok(uses)
}

/// The index range `[pair[0], pair[1])` held as `u16` at byte `at` of two consecutive
/// records, checked to be in order and within `0..=max`.
pub(super) fn index_range(
    pair: &[&[u8]],
    at: usize,
    record: usize,
    max: usize,
    table: &'static str,
) -> Result<Range<usize>, Sf2Error> {
    let (from, to) = (
        usize::from(u16_at(pair[0], at)),
        usize::from(u16_at(pair[1], at)),
    );
    if from > to || to > max {
        let (record, index) = if to > max {
            (record + 1, to)
        } else {
            (record, from)
        };
        return Err(Sf2Error::BadIndex {
            table,
            record,
            index,
            max,
        });
    }
    Ok(from..to)
}
