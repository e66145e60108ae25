//! Privacy-preserving record linkage: the same person seen by two partners is found without either
//! partner's identities leaving it. Each partner encodes its people's identifiers into Bloom-filter
//! encodings under a secret shared by the linkage project's partners (never the installation's
//! pseudonymisation secret); only the encodings are exchanged and compared.
//!
//! **Encoding** (a cryptographic long-term key, CLK, after Schnell, Bachteler and Reiher 2011):
//! each identifier becomes tokens — the letter bigrams of a name or postcode (padded, after
//! [`crate::person::normalize`]), the year, month, day and the unordered day–month pair of a date
//! of birth, the first letter of sex — and each token sets [`LinkField::hashes`] bits of a
//! [`BASE_BITS`]-bit filter. The bit positions are drawn from a generator seeded with
//! HMAC-SHA-256(secret, field, token): a token's positions are unpredictable without the
//! secret and, unlike double hashing, show no arithmetic pattern to mine.
//!
//! **Hardening**, against the frequency and pattern attacks published on CLKs:
//! - *Keyed positions*: a token's bits come from a generator seeded by the keyed hash, not from
//!   double hashing, whose arithmetic progressions of positions let an attacker find bigrams
//!   without the key (Kroll and Steinmetzer 2015).
//! - *Balancing* (Schnell and Borgs 2016): the filter is joined with its complement and the
//!   [`ENCODING_BITS`] bits are shuffled by a permutation drawn from the secret, so every encoding
//!   has exactly half its bits set — its weight says nothing about how long or how common the
//!   names are — and the bits of one token are spread over both halves without a visible pattern.
//!   On balanced encodings the Dice coefficient equals the share of agreeing bits (unrelated
//!   people score about 0.5, the same person close to 1).
//! - Salting the name tokens by a stable field (the year of birth) was tried and left out: on the
//!   FEBRL duplicates a typo in the year then loses the names too, and 10% of true pairs fell to
//!   the unrelated people's scores (0.61 against 0.75 unsalted). Whether balancing alone holds
//!   against a frequency attack is measured (docs/performance.md), not assumed.
//!
//! **Matching** ([`link`]): Hamming locality-sensitive hashing over the encodings' bits for
//! blocking (a pair is compared only when one of [`BANDS`] samples of [`BAND_BITS`] bits agree
//! exactly: the same person nearly always, unrelated people about 1 time in 65,000 per band),
//! the Dice coefficient of the candidates, a one-to-one assignment best score first, and a
//! threshold from the data when none is given (six standard deviations above the unrelated
//! pairs' peak) with a clerical-review band just below it.

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bits of the filter before balancing.
pub const BASE_BITS: usize = 1024;
/// Bits of an encoding (the filter and its complement, shuffled).
pub const ENCODING_BITS: usize = 2 * BASE_BITS;
const WORDS: usize = ENCODING_BITS / 64;
/// The format of an encoding file's first line.
pub const FORMAT: &str = "pmhc-clk/1";
/// The hardening this version applies, as the file's header says it.
pub const HARDENING: &str = "keyed-positions+balanced";
/// The smallest secret taken, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// Blocking: how many samples of bits, and how many bits each.
pub const BANDS: usize = 64;
pub const BAND_BITS: usize = 16;
/// Width of the clerical-review band below the threshold.
pub const REVIEW_BAND: f64 = 0.05;

/// Why linkage input is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the secret holds {0} bytes; a linkage secret holds at least {MIN_SECRET_BYTES} random bytes (raw, or as hex)")]
    ShortSecret(usize),
    #[error("fewer than two usable identifiers ({0})")]
    TooFewIdentifiers(String),
    #[error("unknown identifier `{0}`: use given_name, surname, date_of_birth, sex or postcode")]
    UnknownField(String),
    #[error("not an encoding: {0}")]
    BadEncoding(String),
}

/// The secret of a linkage project, shared by its partners.
#[derive(Clone)]
pub struct LinkageSecret(Vec<u8>);

impl std::fmt::Debug for LinkageSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkageSecret(..)")
    }
}

impl LinkageSecret {
    /// A key file's bytes: hex (64 or more digits, surrounding white space ignored), or the raw
    /// bytes themselves.
    pub fn from_key_file(bytes: &[u8]) -> Result<LinkageSecret, LinkError> {
        let text = std::str::from_utf8(bytes).ok().map(str::trim).filter(|t| t.len() >= 2 * MIN_SECRET_BYTES && t.bytes().all(|b| b.is_ascii_hexdigit()));
        let secret = match text.and_then(|t| hex::decode(t).ok()) {
            Some(decoded) => decoded,
            None => bytes.to_vec(),
        };
        if secret.len() < MIN_SECRET_BYTES {
            return Err(LinkError::ShortSecret(secret.len()));
        }
        Ok(LinkageSecret(secret))
    }

    /// What the encodings' header names the secret by: equal for the same secret, and saying
    /// nothing of it (a keyed hash of a fixed text).
    pub fn fingerprint(&self) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(b"pmhc linkage secret fingerprint");
        format!("k-{}", hex::encode(&mac.finalize().into_bytes()[..8]))
    }
}

/// An identifier that can be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkField {
    GivenName,
    Surname,
    DateOfBirth,
    Sex,
    Postcode,
}

impl LinkField {
    pub const ALL: [LinkField; 5] = [LinkField::GivenName, LinkField::Surname, LinkField::DateOfBirth, LinkField::Sex, LinkField::Postcode];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkField::GivenName => "given_name",
            LinkField::Surname => "surname",
            LinkField::DateOfBirth => "date_of_birth",
            LinkField::Sex => "sex",
            LinkField::Postcode => "postcode",
        }
    }

    pub fn parse(s: &str) -> Result<LinkField, LinkError> {
        LinkField::ALL.into_iter().find(|f| f.as_str() == s.trim()).ok_or_else(|| LinkError::UnknownField(s.trim().to_string()))
    }

    /// Bits each of the field's tokens sets: names and the date of birth weigh most, sex least.
    /// A typical record (two names and a date of birth) sets about half the filter's bits, where a
    /// Bloom filter's similarities separate best (unrelated people then agree on about half the
    /// bits of their encodings).
    pub fn hashes(self) -> usize {
        match self {
            LinkField::GivenName | LinkField::Surname => 40,
            LinkField::DateOfBirth => 40,
            LinkField::Postcode => 20,
            LinkField::Sex => 20,
        }
    }
}

/// A person's identifiers as one record gives them (what is not known is `None`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LinkIdentifiers {
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: Option<String>,
    pub postcode: Option<String>,
}

impl std::fmt::Debug for LinkIdentifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkIdentifiers(..)")
    }
}

/// The letters (and digits) of a name or postcode as compared: normalised, everything else left out.
fn letters(s: &str) -> String {
    crate::person::normalize(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Padded bigrams: `_a`, `an`, `nn`, `na`, `a_` for "anna".
fn bigrams(s: &str) -> Vec<String> {
    let padded: Vec<char> = std::iter::once('_').chain(s.chars()).chain(std::iter::once('_')).collect();
    padded.windows(2).map(|w| w.iter().collect()).collect()
}

impl LinkIdentifiers {
    /// Each usable identifier's tokens, in field order.
    fn tokens(&self) -> Vec<(LinkField, Vec<String>)> {
        let mut out = Vec::new();
        let name = |v: &Option<String>| v.as_deref().map(letters).filter(|s| !s.is_empty());
        if let Some(n) = name(&self.given_name) {
            out.push((LinkField::GivenName, bigrams(&n)));
        }
        if let Some(n) = name(&self.surname) {
            out.push((LinkField::Surname, bigrams(&n)));
        }
        if let Some(d) = self.date_of_birth {
            let (m, day) = (d.month(), d.day());
            out.push((
                LinkField::DateOfBirth,
                vec![format!("y{}", d.year()), format!("m{m}"), format!("d{day}"), format!("p{}-{}", m.min(day), m.max(day))],
            ));
        }
        if let Some(s) = name(&self.sex).and_then(|s| s.chars().next()) {
            out.push((LinkField::Sex, vec![s.to_string()]));
        }
        if let Some(p) = name(&self.postcode) {
            out.push((LinkField::Postcode, bigrams(&p)));
        }
        out
    }
}

/// One person's encoding: [`ENCODING_BITS`] bits, exactly half of them set.
#[derive(Clone, PartialEq, Eq)]
pub struct Encoding([u64; WORDS]);

impl std::fmt::Debug for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Encoding({}…)", &self.to_hex()[..16])
    }
}

impl Encoding {
    pub fn bit(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }

    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub fn ones(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// The Dice coefficient: 2|A∧B| / (|A| + |B|).
    pub fn dice(&self, other: &Encoding) -> f64 {
        let both: u32 = self.0.iter().zip(&other.0).map(|(a, b)| (a & b).count_ones()).sum();
        let total = self.ones() + other.ones();
        if total == 0 { 0.0 } else { 2.0 * f64::from(both) / f64::from(total) }
    }

    pub fn to_hex(&self) -> String {
        let mut bytes = Vec::with_capacity(WORDS * 8);
        for w in &self.0 {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        hex::encode(bytes)
    }

    pub fn from_hex(s: &str) -> Result<Encoding, LinkError> {
        let bytes = hex::decode(s.trim()).map_err(|e| LinkError::BadEncoding(e.to_string()))?;
        if bytes.len() != WORDS * 8 {
            return Err(LinkError::BadEncoding(format!("{} bytes, an encoding has {}", bytes.len(), WORDS * 8)));
        }
        let mut words = [0u64; WORDS];
        for (w, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            *w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        }
        Ok(Encoding(words))
    }
}

/// SplitMix64: a small generator for bit positions, seeded from a keyed hash.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Encodes identifiers under one secret (the keyed hash and the permutation made once).
pub struct Encoder {
    mac: Hmac<Sha256>,
    permutation: Vec<u16>,
}

impl Encoder {
    pub fn new(secret: &LinkageSecret) -> Encoder {
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret.0).expect("HMAC accepts any key length");
        let mut seed = mac.clone();
        seed.update(b"pmhc linkage permutation");
        let out = seed.finalize().into_bytes();
        let mut rng = SplitMix(u64::from_le_bytes(out[..8].try_into().expect("8 bytes")));
        let mut permutation: Vec<u16> = (0..ENCODING_BITS as u16).collect();
        for i in (1..permutation.len()).rev() {
            permutation.swap(i, rng.below(i + 1));
        }
        Encoder { mac, permutation }
    }

    /// The encoding of a person's identifiers; at least two must be usable.
    pub fn encode(&self, ids: &LinkIdentifiers) -> Result<Encoding, LinkError> {
        let tokens = ids.tokens();
        if tokens.len() < 2 {
            let have: Vec<&str> = tokens.iter().map(|(f, _)| f.as_str()).collect();
            return Err(LinkError::TooFewIdentifiers(if have.is_empty() { "none".into() } else { have.join(", ") }));
        }
        let mut filter = [false; BASE_BITS];
        for (field, grams) in &tokens {
            for gram in grams {
                let mut mac = self.mac.clone();
                mac.update(field.as_str().as_bytes());
                mac.update(&[0]);
                mac.update(gram.as_bytes());
                let out = mac.finalize().into_bytes();
                let mut rng = SplitMix(u64::from_le_bytes(out[..8].try_into().expect("8 bytes")) ^ u64::from_le_bytes(out[8..16].try_into().expect("8 bytes")).rotate_left(17));
                for _ in 0..field.hashes() {
                    filter[rng.below(BASE_BITS)] = true;
                }
            }
        }
        // Balanced: the filter, then its complement, shuffled by the secret's permutation.
        let mut e = Encoding([0; WORDS]);
        for (i, &on) in filter.iter().enumerate() {
            let (a, b) = (self.permutation[i] as usize, self.permutation[BASE_BITS + i] as usize);
            e.set(if on { a } else { b });
        }
        Ok(e)
    }
}

/// One accepted link or review pair: indexes into the two lists, and the score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub score: f64,
}

/// What matching found.
#[derive(Debug, Clone, PartialEq)]
pub struct Linkage {
    /// One-to-one links at or above the threshold, best first.
    pub links: Vec<Pair>,
    /// Pairs just below the threshold (within [`REVIEW_BAND`]) of records left unlinked, for a
    /// person to look at.
    pub review: Vec<Pair>,
    pub threshold: f64,
    /// Whether the threshold was found in the data (else it was given).
    pub threshold_from_data: bool,
    /// Pairs compared (those blocking put together).
    pub comparisons: u64,
    /// The scores of the pairs compared, in [`HISTOGRAM_BINS`] bins from 0 to 1: the
    /// distribution the threshold is read from.
    pub scores: Vec<u64>,
}

/// The bit positions of each band (fixed: blocking needs no secret, the encodings carry it).
fn bands() -> Vec<[u16; BAND_BITS]> {
    let mut rng = SplitMix(0x706D_6863_6C6B_0001);
    (0..BANDS)
        .map(|_| {
            let mut band = [0u16; BAND_BITS];
            for b in &mut band {
                *b = rng.below(ENCODING_BITS) as u16;
            }
            band
        })
        .collect()
}

fn signature(e: &Encoding, band: &[u16; BAND_BITS]) -> u16 {
    band.iter().enumerate().fold(0u16, |acc, (i, &bit)| acc | (u16::from(e.bit(bit as usize)) << i))
}

/// Bins of the score histogram over [0, 1] (0.005 wide).
pub const HISTOGRAM_BINS: usize = 200;

/// The threshold read from the scores of the pairs compared: unrelated people's scores form a
/// peak (about 0.5 on balanced encodings, a little more among the pairs blocking puts together);
/// the threshold is that peak plus six of its standard deviations, the deviation estimated from
/// the peak's half width on its upper side (which the same people's scores, far above, do not
/// reach). Never below 0.6 nor above 0.95.
fn threshold_from(hist: &[u64]) -> f64 {
    let width = 1.0 / hist.len() as f64;
    let centre = |i: usize| (i as f64 + 0.5) * width;
    let (lo, hi) = ((0.3 / width) as usize, (0.75 / width) as usize);
    let Some(mode) = (lo..hi.min(hist.len())).max_by_key(|&i| (hist[i], std::cmp::Reverse(i))) else { return 0.8 };
    if hist[mode] == 0 {
        return 0.8;
    }
    let half = hist[mode] as f64 / 2.0;
    let upper = (mode..hist.len()).find(|&i| (hist[i] as f64) < half).unwrap_or(mode + 1);
    // Interpolated half width at half maximum, then σ of a normal peak.
    let above = hist[upper - 1] as f64;
    let below = hist[upper] as f64;
    let frac = if above > below { (above - half) / (above - below) } else { 0.5 };
    let hwhm = ((upper - 1 - mode) as f64 + frac) * width + width / 2.0;
    let sigma = hwhm / (2.0f64 * std::f64::consts::LN_2).sqrt();
    (centre(mode) + 6.0 * sigma).clamp(0.6, 0.95)
}

/// Link two lists of encodings (made under the same secret): blocking, Dice, one-to-one.
pub fn link(a: &[Encoding], b: &[Encoding], threshold: Option<f64>) -> Linkage {
    let bands = bands();
    // Each band's buckets of the second list (signature → indexes), as offsets into one array.
    const SIGNATURES: usize = 1 << BAND_BITS;
    let buckets: Vec<(Vec<u32>, Vec<u32>)> = bands
        .iter()
        .map(|band| {
            let sigs: Vec<u16> = b.iter().map(|e| signature(e, band)).collect();
            let mut offsets = vec![0u32; SIGNATURES + 1];
            for &s in &sigs {
                offsets[s as usize + 1] += 1;
            }
            for i in 0..SIGNATURES {
                offsets[i + 1] += offsets[i];
            }
            let mut fill = offsets.clone();
            let mut members = vec![0u32; b.len()];
            for (j, &s) in sigs.iter().enumerate() {
                members[fill[s as usize] as usize] = j as u32;
                fill[s as usize] += 1;
            }
            (offsets, members)
        })
        .collect();
    let mut candidates: Vec<Pair> = Vec::new();
    let mut comparisons = 0u64;
    let mut seen: Vec<u32> = Vec::new();
    let mut hist = vec![0u64; HISTOGRAM_BINS];
    for (i, e) in a.iter().enumerate() {
        seen.clear();
        for (band, (offsets, members)) in bands.iter().zip(&buckets) {
            let s = signature(e, band) as usize;
            seen.extend_from_slice(&members[offsets[s] as usize..offsets[s + 1] as usize]);
        }
        seen.sort_unstable();
        seen.dedup();
        for &j in &seen {
            comparisons += 1;
            let score = e.dice(&b[j as usize]);
            hist[((score * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1)] += 1;
            candidates.push(Pair { a: i, b: j as usize, score });
        }
    }
    let (threshold, threshold_from_data) = match threshold {
        Some(t) => (t, false),
        None => (threshold_from(&hist), true),
    };
    candidates.retain(|p| p.score >= threshold - REVIEW_BAND);
    candidates.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.a.cmp(&y.a)).then(x.b.cmp(&y.b)));
    let (mut used_a, mut used_b) = (vec![false; a.len()], vec![false; b.len()]);
    let mut links = Vec::new();
    let mut review = Vec::new();
    for p in candidates {
        if used_a[p.a] || used_b[p.b] {
            continue;
        }
        if p.score >= threshold {
            used_a[p.a] = true;
            used_b[p.b] = true;
            links.push(p);
        } else {
            review.push(p);
        }
    }
    // A review pair only while both records are still unlinked.
    review.retain(|p| !used_a[p.a] && !used_b[p.b]);
    Linkage { links, review, threshold, threshold_from_data, comparisons, scores: hist }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secret(n: u8) -> LinkageSecret {
        LinkageSecret::from_key_file(&[n; 32]).unwrap()
    }

    fn person(given: &str, surname: &str, dob: &str) -> LinkIdentifiers {
        LinkIdentifiers {
            given_name: Some(given.into()),
            surname: Some(surname.into()),
            date_of_birth: NaiveDate::parse_from_str(dob, "%Y-%m-%d").ok(),
            ..LinkIdentifiers::default()
        }
    }

    #[test]
    fn the_secret_is_read_raw_or_as_hex_and_must_be_long() {
        let hex = "ab".repeat(32);
        let a = LinkageSecret::from_key_file(format!("{hex}\n").as_bytes()).unwrap();
        let b = LinkageSecret::from_key_file(&[0xab; 32]).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint(), "hex and raw bytes are the same secret");
        assert_eq!(LinkageSecret::from_key_file(b"short").unwrap_err(), LinkError::ShortSecret(5));
        assert_ne!(secret(1).fingerprint(), secret(2).fingerprint());
        assert!(!format!("{:?}", secret(1)).contains("1"), "the secret is not printed");
    }

    #[test]
    fn an_encoding_is_balanced_and_the_same_person_scores_high() {
        let enc = Encoder::new(&secret(7));
        let a = enc.encode(&person("Anna", "Lindqvist", "1984-03-12")).unwrap();
        assert_eq!(a.ones() as usize, BASE_BITS, "exactly half the bits");
        let same = enc.encode(&person("  ANNA ", "lindqvist", "1984-03-12")).unwrap();
        assert_eq!(a, same, "case and spaces do not matter");
        let typo = enc.encode(&person("Ana", "Lindqvist", "1984-03-12")).unwrap();
        let swapped = enc.encode(&person("Anna", "Lindqvist", "1984-12-03")).unwrap();
        let other = enc.encode(&person("Marcus", "Okafor", "1990-07-28")).unwrap();
        assert!(a.dice(&typo) > 0.85, "a typo: {}", a.dice(&typo));
        assert!(a.dice(&swapped) > 0.85, "day and month swapped: {}", a.dice(&swapped));
        assert!(a.dice(&other) < 0.65, "someone else: {}", a.dice(&other));
        assert_eq!(Encoding::from_hex(&a.to_hex()).unwrap(), a);
    }

    #[test]
    fn fewer_than_two_identifiers_are_refused() {
        let enc = Encoder::new(&secret(7));
        let only_name = LinkIdentifiers { surname: Some("Lindqvist".into()), given_name: Some(" - ".into()), ..Default::default() };
        assert_eq!(enc.encode(&only_name).unwrap_err(), LinkError::TooFewIdentifiers("surname".into()));
        assert!(enc.encode(&LinkIdentifiers::default()).is_err());
    }

    #[test]
    fn balancing_hides_how_long_the_names_are() {
        let enc = Encoder::new(&secret(3));
        let short = enc.encode(&person("Li", "Wu", "1970-06-15")).unwrap();
        let long = enc.encode(&person("Maximiliane", "Vandenberghe-Oosterhuis", "1970-06-15")).unwrap();
        assert_eq!((short.ones(), long.ones()), (BASE_BITS as u32, BASE_BITS as u32));
    }

    /// Generated people, and a copy of each with the corruptions the issue names (a typo in a
    /// name, day and month swapped, a field missing): every copy is found, nobody else.
    #[test]
    fn linking_generated_people_with_typos() {
        let enc = Encoder::new(&secret(5));
        let mut rng = SplitMix(42);
        let word = |rng: &mut SplitMix, n: usize| (0..n).map(|_| (b'a' + rng.below(26) as u8) as char).collect::<String>();
        let n = 2000;
        let people: Vec<LinkIdentifiers> = (0..n)
            .map(|_| {
                let (g, s) = (4 + rng.below(5), 5 + rng.below(6));
                LinkIdentifiers {
                    given_name: Some(word(&mut rng, g)),
                    surname: Some(word(&mut rng, s)),
                    date_of_birth: NaiveDate::from_ymd_opt(1930 + rng.below(80) as i32, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32),
                    ..Default::default()
                }
            })
            .collect();
        let copies: Vec<LinkIdentifiers> = people
            .iter()
            .map(|p| {
                let mut c = p.clone();
                match rng.below(100) {
                    0..20 => {
                        let mut g: Vec<char> = c.given_name.as_deref().unwrap_or_default().chars().collect();
                        let at = rng.below(g.len());
                        g[at] = (b'a' + rng.below(26) as u8) as char;
                        c.given_name = Some(g.into_iter().collect());
                    }
                    20..25 => c.date_of_birth = c.date_of_birth.and_then(|d| NaiveDate::from_ymd_opt(d.year(), d.day().min(12), d.month())),
                    25..30 => c.surname = None,
                    _ => {}
                }
                c
            })
            .collect();
        let a: Vec<Encoding> = people.iter().map(|p| enc.encode(p).unwrap()).collect();
        let b: Vec<Encoding> = copies.iter().map(|p| enc.encode(p).unwrap()).collect();
        let l = link(&a, &b, None);
        let right = l.links.iter().filter(|p| p.a == p.b).count();
        let (precision, recall) = (right as f64 / l.links.len() as f64, right as f64 / n as f64);
        eprintln!("precision {precision}, recall {recall}, threshold {}, {} comparisons", l.threshold, l.comparisons);
        assert!(precision > 0.995 && recall > 0.98, "precision {precision}, recall {recall}, threshold {}", l.threshold);
        assert!(l.comparisons < (n * n / 20) as u64, "blocking compares {} of {} pairs", l.comparisons, n * n);
    }

    #[test]
    fn linking_finds_each_person_once() {
        let enc = Encoder::new(&secret(9));
        let people = [("Anna", "Lindqvist", "1984-03-12"), ("Marcus", "Okafor", "1990-07-28"), ("Li", "Wei", "1979-11-02"), ("Sofia", "Garcia", "2001-05-30")];
        let a: Vec<Encoding> = people.iter().map(|(g, s, d)| enc.encode(&person(g, s, d)).unwrap()).collect();
        let mut b: Vec<Encoding> = people.iter().rev().map(|(g, s, d)| enc.encode(&person(&g.to_lowercase(), s, d)).unwrap()).collect();
        b.push(enc.encode(&person("Nobody", "Known", "1950-01-01")).unwrap());
        let l = link(&a, &b, Some(0.8));
        let mut found: Vec<(usize, usize)> = l.links.iter().map(|p| (p.a, p.b)).collect();
        found.sort();
        assert_eq!(found, vec![(0, 3), (1, 2), (2, 1), (3, 0)]);
        assert!(l.comparisons < (a.len() * b.len()) as u64 + 1);
    }

    proptest! {
        #[test]
        fn encodings_are_deterministic_and_unlinkable_across_secrets(g in "[a-zA-Z]{2,12}", s in "[a-zA-Z]{2,14}", y in 1920i32..2010, m in 1u32..13, d in 1u32..29) {
            let ids = LinkIdentifiers { given_name: Some(g), surname: Some(s), date_of_birth: NaiveDate::from_ymd_opt(y, m, d), ..Default::default() };
            let (one, two) = (Encoder::new(&secret(1)), Encoder::new(&secret(2)));
            let a = one.encode(&ids).unwrap();
            prop_assert_eq!(&a, &one.encode(&ids).unwrap());
            prop_assert_eq!(a.ones() as usize, BASE_BITS);
            // Under another secret the same person looks like anyone else.
            prop_assert!(a.dice(&two.encode(&ids).unwrap()) < 0.65);
        }
    }
}
