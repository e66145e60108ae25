//! The import engine: stream a CSV file through a compiled mapping, merge the rows of each
//! encounter, hand batches of canonical encounters to a [`Sink`], and account for every row.
//!
//! Guarantees: rows received = accepted + rejected; every rejected row is written to the rejects
//! CSV with its line, column and reason; codes the mapping does not know are counted. The file is
//! streamed (memory holds one batch, plus a 64-bit hash per key when rows of one encounter may be
//! spread through the file).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use pmhc_core::import::ImportCounts;
use pmhc_core::{Encounter, PseudonymKey};
use serde::Serialize;

use crate::csv_safe::write_safe_record;
use crate::mapping::{CompiledMapping, Encoding, MappingError, MappingSpec, RowError, RowsPerEncounter, UnknownCodeSeen};

/// Where mapped encounters go (the store, in the CLI; a vector in tests).
pub trait Sink {
    /// Write one batch; keys are unique within a batch.
    fn write(&mut self, batch: Vec<Encounter>) -> Result<(), String>;
}

impl Sink for Vec<Encounter> {
    fn write(&mut self, batch: Vec<Encounter>) -> Result<(), String> {
        self.extend(batch);
        Ok(())
    }
}

/// An import that could not run or could not finish (as opposed to rows that were rejected).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the mapping does not fit {path}")]
    Mapping { path: PathBuf, source: MappingError },
    #[error("{path}: the file is empty (no header row)")]
    Empty { path: PathBuf },
    #[error("{path}: line {line}: {message}")]
    Csv { path: PathBuf, line: u64, message: String },
    #[error("cannot write the rejects file {path}")]
    Rejects { path: PathBuf, source: csv::Error },
    #[error("storing encounters failed after {rows} rows: {message}")]
    Sink { rows: u64, message: String },
}

/// How often a code the mapping does not know was seen.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UnknownCodeCount {
    pub field: String,
    pub column: String,
    pub value: String,
    pub count: u64,
}

/// The first rejected rows, for the terminal and the JSON summary (all of them are in the file).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RejectedRow {
    pub line: u64,
    pub column: Option<String>,
    pub reason: String,
}

/// What the engine did with a file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EngineSummary {
    /// The rows read (after the header and the mapping's `skip_rows`), accepted and rejected; the
    /// write counts are the sink's to add ([`ImportCounts::add_written`]).
    #[serde(flatten)]
    pub counts: ImportCounts,
    /// Rows skipped as declared by the mapping (`skip_rows`), not data.
    pub skipped_rows: u64,
    /// Encounters the accepted rows made (fewer than rows when rows merge).
    pub encounters: u64,
    pub unknown_codes: Vec<UnknownCodeCount>,
    /// Columns of optional fields the file lacks (those fields stay unknown).
    pub absent_columns: Vec<String>,
    pub rejects_path: Option<PathBuf>,
    pub first_rejects: Vec<RejectedRow>,
    /// Bytes read (not part of the summary shown).
    #[serde(skip)]
    pub bytes: u64,
    /// Why the import stopped early: its first [`STOP_AFTER`] rows all failed the same way
    /// ("stopped: every row fails with …"); nothing was passed to the sink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// An import whose first this many rows are all rejected for the same reason stops there.
pub const STOP_AFTER: u64 = 1_000;

/// What makes two rejections "the same reason": the column, and the reason with the values it
/// quotes (`…`) and its numbers left out ("`2016/01/03` is not a date" and "`2016/01/04` is not
/// a date" are the same; a wrong number of fields is one reason, however many).
fn reason_shape(err: &RowError) -> String {
    let mut out = String::with_capacity(err.reason.len() + 16);
    out.push_str(err.column.as_deref().unwrap_or(""));
    out.push('\u{0}');
    let mut quoted = false;
    let mut digits = false;
    for c in err.reason.chars() {
        if c == '`' {
            quoted = !quoted;
            if quoted {
                out.push_str("`…`");
            }
            continue;
        }
        if quoted {
            continue;
        }
        if c.is_ascii_digit() {
            if !digits {
                out.push('#');
            }
            digits = true;
            continue;
        }
        digits = false;
        out.push(c);
    }
    out
}

/// Watches the first rows for "every row fails the same way".
#[derive(Default)]
struct StopWatch {
    /// The shape of the first rejection and the rejection itself (to name it).
    first: Option<(String, RowError, u64)>,
    /// A row was accepted, or rejected for another reason: the import runs to the end.
    mixed: bool,
}

impl StopWatch {
    fn rejected(&mut self, line: u64, err: &RowError) {
        if self.mixed {
            return;
        }
        let shape = reason_shape(err);
        match &self.first {
            None => self.first = Some((shape, err.clone(), line)),
            Some((s, _, _)) if *s != shape => self.mixed = true,
            Some(_) => {}
        }
    }

    /// After `received` rows with `accepted` accepted: the reason to stop, if it is time.
    fn verdict(&self, received: u64, accepted: u64) -> Option<String> {
        if self.mixed || accepted > 0 || received != STOP_AFTER {
            return None;
        }
        let (_, err, line) = self.first.as_ref()?;
        let column = err.column.as_deref().map(|c| format!("column {c}: ")).unwrap_or_default();
        Some(format!(
            "stopped: every row fails with {column}{} (the first {STOP_AFTER} rows, from line {line}; nothing was kept: fix the \
             mapping or the file and import again)",
            err.reason
        ))
    }
}

/// Options of one run.
pub struct EngineOptions<'a> {
    pub batch_size: usize,
    /// Where rejected rows go; `None` to not write them (they are still counted).
    pub rejects_path: Option<PathBuf>,
    pub pseudonym_key: Option<PseudonymKey>,
    /// Called after every batch with the bytes read so far.
    pub progress: Option<&'a dyn Fn(u64)>,
}

impl Default for EngineOptions<'_> {
    fn default() -> Self {
        EngineOptions { batch_size: 5_000, rejects_path: None, pseudonym_key: None, progress: None }
    }
}

const FIRST_REJECTS: usize = 20;

/// Rows decoded to text, reusing buffers.
struct RowReader {
    reader: csv::Reader<BufReader<File>>,
    record: csv::ByteRecord,
    encoding: Encoding,
    decoded: Vec<String>,
    /// The file's lines end with CRLF: the csv reader counts a line only when it consumes its
    /// `\n`, which for CRLF happens as the next record starts, so every record after the first
    /// is reported a line early.
    crlf: bool,
    /// Records read so far.
    records: u64,
}

enum Row<'a> {
    Fields(Vec<&'a str>),
    /// Not decodable: the reason and the fields as far as they can be shown.
    Undecodable(String, Vec<String>),
}

impl RowReader {
    fn open(path: &Path, spec: &MappingSpec) -> Result<(RowReader, Vec<String>), ImportError> {
        let io = |source| ImportError::Io { path: path.to_path_buf(), source };
        let mut file = File::open(path).map_err(io)?;
        // Skip a UTF-8 byte-order mark.
        let mut bom = [0u8; 3];
        let n = file.read(&mut bom).map_err(io)?;
        let start = if n == 3 && bom == [0xEF, 0xBB, 0xBF] { 3 } else { 0 };
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        // How the first line ends (a header longer than 64 KiB counts as LF).
        let mut head = vec![0u8; 1 << 16];
        let n = file.read(&mut head).map_err(io)?;
        let crlf = head[..n].iter().position(|&b| b == b'\n').is_some_and(|i| i > 0 && head[i - 1] == b'\r');
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut delim = [0u8; 4];
        spec.source.delimiter.encode_utf8(&mut delim);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delim[0])
            .buffer_capacity(1 << 20)
            .from_reader(BufReader::with_capacity(1 << 20, file));
        let encoding = spec.encoding().map_err(|source| ImportError::Mapping { path: path.to_path_buf(), source })?;
        let mut rr = RowReader { reader, record: csv::ByteRecord::new(), encoding, decoded: Vec::new(), crlf, records: 0 };
        let header = match rr.next(path)? {
            None => return Err(ImportError::Empty { path: path.to_path_buf() }),
            Some((_, Row::Fields(f))) => f.iter().map(|s| s.trim().to_string()).collect(),
            Some((_, Row::Undecodable(why, _))) => {
                return Err(ImportError::Csv { path: path.to_path_buf(), line: 1, message: format!("the header row {why}") });
            }
        };
        Ok((rr, header))
    }

    fn bytes(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next row, decoded, with the line it starts on.
    fn next(&mut self, path: &Path) -> Result<Option<(u64, Row<'_>)>, ImportError> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0) + u64::from(self.crlf && self.records > 0);
                return Err(ImportError::Csv { path: path.to_path_buf(), line, message: e.to_string() });
            }
        }
        let line = self.record.position().map(|p| p.line()).unwrap_or(0) + u64::from(self.crlf && self.records > 0);
        self.records += 1;
        let row = match self.encoding {
            Encoding::Utf8 => {
                // Validate the row's bytes once and slice fields out of it (no copy). A field
                // boundary inside a character counts as invalid too.
                let whole = std::str::from_utf8(self.record.as_slice()).ok();
                let mut out = Vec::with_capacity(self.record.len());
                let mut bad: Option<usize> = None;
                for i in 0..self.record.len() {
                    match (whole, self.record.range(i)) {
                        (Some(w), Some(r)) => match w.get(r) {
                            Some(f) => out.push(f),
                            None => {
                                bad = Some(i);
                                break;
                            }
                        },
                        _ => {
                            bad = Some(i);
                            break;
                        }
                    }
                }
                if let Some(first) = bad {
                    // Name the first field that is not valid on its own.
                    let found = self
                        .record
                        .iter()
                        .enumerate()
                        .skip(if whole.is_some() { first } else { 0 })
                        .find_map(|(i, f)| std::str::from_utf8(f).err().map(|e| (i, f.get(e.valid_up_to()).copied(), e.valid_up_to())));
                    let (i, byte, offset) = found.unwrap_or((first, None, 0));
                    let byte = byte.unwrap_or(0xFF);
                    let shown = self.record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                    return Ok(Some((
                        line,
                        Row::Undecodable(
                            format!(
                                "is not valid UTF-8 (field {} has byte 0x{byte:02X} at offset {offset}; declare the file's `encoding` in the mapping)",
                                i + 1
                            ),
                            shown,
                        ),
                    )));
                }
                Row::Fields(out)
            }
            Encoding::Windows1252 => {
                self.decoded.clear();
                for field in self.record.iter() {
                    let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(field);
                    self.decoded.push(s.into_owned());
                }
                Row::Fields(self.decoded.iter().map(String::as_str).collect())
            }
        };
        Ok(Some((line, row)))
    }
}

struct Rejects {
    writer: Option<csv::Writer<File>>,
    path: Option<PathBuf>,
    header: Vec<String>,
    first: Vec<RejectedRow>,
}

impl Rejects {
    fn reject(&mut self, line: u64, err: RowError, fields: &[&str]) -> Result<(), ImportError> {
        if self.first.len() < FIRST_REJECTS {
            self.first.push(RejectedRow { line, column: err.column.clone(), reason: err.reason.clone() });
        }
        let Some(path) = &self.path else { return Ok(()) };
        let wrap = |source| ImportError::Rejects { path: path.clone(), source };
        if self.writer.is_none() {
            let file = File::create(path).map_err(|e| wrap(csv::Error::from(e)))?;
            // Flexible: a rejected row may have fewer or more fields than the header.
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(file);
            let mut head = vec!["line".to_string(), "column".into(), "reason".into()];
            head.extend(self.header.iter().cloned());
            write_safe_record(&mut w, &head).map_err(wrap)?;
            self.writer = Some(w);
        }
        if let Some(w) = self.writer.as_mut() {
            let line_s = line.to_string();
            let mut rec: Vec<&str> = vec![&line_s, err.column.as_deref().unwrap_or(""), &err.reason];
            rec.extend_from_slice(fields);
            write_safe_record(w, &rec).map_err(wrap)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Option<PathBuf>, ImportError> {
        if let Some(w) = self.writer.as_mut() {
            let path = self.path.clone().unwrap_or_default();
            w.flush().map_err(|e| ImportError::Rejects { path, source: csv::Error::from(e) })?;
            return Ok(self.path.clone());
        }
        Ok(None)
    }
}

/// A row of a file pmhc wrote, as it was before the export's formula prefix (see
/// [`pmhc_core::csv_safe`]): each cell a slice of itself, no copy. A rejected row written back
/// through `write_safe_record` gets its prefixes again, so the rejects file shows the row as read.
fn restore_formula_prefix(fields: &mut [&str]) {
    for f in fields {
        *f = pmhc_core::csv_safe::restore(f);
    }
}

fn key_hash(state: &impl BuildHasher, key: &str) -> u64 {
    let mut h = state.build_hasher();
    key.hash(&mut h);
    h.finish()
}

/// Import one file through a mapping into a sink.
pub fn run(path: &Path, spec: &MappingSpec, options: EngineOptions<'_>, sink: &mut dyn Sink) -> Result<EngineSummary, ImportError> {
    let (mut rows, header) = RowReader::open(path, spec)?;
    let mapping = CompiledMapping::compile(spec.clone(), &header, options.pseudonym_key.clone())
        .map_err(|source| ImportError::Mapping { path: path.to_path_buf(), source })?;
    let hasher = std::collections::hash_map::RandomState::new();
    let skip = u64::from(spec.source.skip_rows);

    // Pass 1 (only when rows of one encounter may be spread through the file): the index of the
    // last row of every key, so each encounter is emitted, merged, as soon as it is complete.
    let mut last_row: HashMap<u64, u64> = HashMap::new();
    if mapping.rows_per_encounter() == RowsPerEncounter::Many {
        let (mut pass1, _) = RowReader::open(path, spec)?;
        let mut index = 0u64;
        while let Some((_, row)) = pass1.next(path)? {
            index += 1;
            if index <= skip {
                continue;
            }
            if let Row::Fields(mut f) = row {
                if spec.source.restore_formula_prefix {
                    restore_formula_prefix(&mut f);
                }
                if let Ok(k) = mapping.key(&f) {
                    last_row.insert(key_hash(&hasher, &k), index);
                }
            }
        }
    }

    let mut summary = EngineSummary { absent_columns: mapping.absent_columns.clone(), ..EngineSummary::default() };
    let mut rejects = Rejects { writer: None, path: options.rejects_path.clone(), header: header.clone(), first: Vec::new() };
    let mut unknown: HashMap<UnknownCodeSeen, u64> = HashMap::new();
    let mut unknown_row: Vec<UnknownCodeSeen> = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    let mut pending: HashMap<String, Encounter> = HashMap::new();
    let mut batch: Vec<Encounter> = Vec::with_capacity(options.batch_size);
    let rules = mapping.merge_rules().clone();
    let width = header.len();
    let mut index = 0u64;
    let mut watch = StopWatch::default();

    let flush = |batch: &mut Vec<Encounter>, sink: &mut dyn Sink, summary: &mut EngineSummary, bytes: u64| -> Result<(), ImportError> {
        if batch.is_empty() {
            return Ok(());
        }
        summary.encounters += batch.len() as u64;
        sink.write(std::mem::take(batch)).map_err(|message| ImportError::Sink { rows: summary.counts.received, message })?;
        if let Some(p) = options.progress {
            p(bytes);
        }
        Ok(())
    };

    loop {
        if let Some(why) = watch.verdict(summary.counts.received, summary.counts.accepted) {
            summary.stopped = Some(why);
            break;
        }
        let Some((line, row)) = rows.next(path)? else { break };
        index += 1;
        if index <= skip {
            summary.skipped_rows += 1;
            continue;
        }
        summary.counts.received += 1;
        let mut fields = match row {
            Row::Fields(f) => f,
            Row::Undecodable(reason, shown) => {
                summary.counts.rejected += 1;
                let refs: Vec<&str> = shown.iter().map(String::as_str).collect();
                let err = RowError { column: None, reason: format!("the row {reason}") };
                watch.rejected(line, &err);
                rejects.reject(line, err, &refs)?;
                continue;
            }
        };
        if fields.len() != width {
            summary.counts.rejected += 1;
            let reason = if fields.len() < width {
                format!("the row has {} fields, the header has {width} (a truncated or broken line?)", fields.len())
            } else {
                format!("the row has {} fields, the header has {width} (an unquoted delimiter?)", fields.len())
            };
            let err = RowError { column: None, reason };
            watch.rejected(line, &err);
            rejects.reject(line, err, &fields)?;
            continue;
        }
        if spec.source.restore_formula_prefix {
            restore_formula_prefix(&mut fields);
        }
        unknown_row.clear();
        let mapped = mapping.map_row(&fields, &mut unknown_row);
        for u in unknown_row.drain(..) {
            *unknown.entry(u).or_insert(0) += 1;
        }
        let enc = match mapped {
            Ok(e) => e,
            Err(err) => {
                summary.counts.rejected += 1;
                watch.rejected(line, &err);
                rejects.reject(line, err, &fields)?;
                continue;
            }
        };
        let h = key_hash(&hasher, &enc.source_key);
        match mapping.rows_per_encounter() {
            RowsPerEncounter::One => {
                let full = key_hash(&hasher, &format!("{}\u{0}{}", enc.source_system, enc.source_key));
                if !seen.insert(full) {
                    summary.counts.rejected += 1;
                    let err = RowError { column: None, reason: format!("duplicate encounter key `{}` (an earlier row of this file has it; set `rows_per_encounter = \"many\"` in the mapping if rows should merge)", enc.source_key) };
                    watch.rejected(line, &err);
                    rejects.reject(line, err, &fields)?;
                    continue;
                }
                summary.counts.accepted += 1;
                batch.push(enc);
            }
            RowsPerEncounter::Many => {
                summary.counts.accepted += 1;
                let complete = last_row.get(&h).is_none_or(|&last| last <= index);
                let merged = match pending.remove(&enc.source_key) {
                    Some(mut acc) => {
                        acc.merge(enc, &rules);
                        acc
                    }
                    None => enc,
                };
                if complete {
                    batch.push(merged);
                } else {
                    pending.insert(merged.source_key.clone(), merged);
                }
            }
        }
        if batch.len() >= options.batch_size {
            flush(&mut batch, sink, &mut summary, rows.bytes())?;
        }
    }
    // Groups whose last row was rejected (or whose key hash was shared) end with the file.
    let mut rest: Vec<Encounter> = pending.into_values().collect();
    rest.sort_by(|a, b| a.source_key.cmp(&b.source_key));
    for e in rest {
        batch.push(e);
        if batch.len() >= options.batch_size {
            flush(&mut batch, sink, &mut summary, rows.bytes())?;
        }
    }
    summary.bytes = rows.bytes();
    let bytes = summary.bytes;
    flush(&mut batch, sink, &mut summary, bytes)?;
    summary.rejects_path = rejects.finish()?;
    summary.first_rejects = std::mem::take(&mut rejects.first);
    let mut codes: Vec<UnknownCodeCount> = unknown
        .into_iter()
        .map(|(u, count)| UnknownCodeCount { field: u.field.to_string(), column: u.column, value: u.value, count })
        .collect();
    codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (&a.field, &a.value).cmp(&(&b.field, &b.value))));
    summary.unknown_codes = codes;
    debug_assert_eq!(summary.counts.received, summary.counts.accepted + summary.counts.rejected);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_the_wrong_number_of_fields_are_written_to_the_rejects_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("in.csv");
        std::fs::write(&path, "id,day,beat\n1,2021-05-01,K1\n2,2021-05-02\n3,2021-05-03,K2,extra\n4,2021-05-04,K3\n").expect("write");
        let spec = MappingSpec::from_toml(
            "[source]\nname = \"t\"\nsystem = \"t\"\n[key]\ncolumns = [\"id\"]\n[fields.occurred]\ncolumn = \"day\"\n[fields.beat]\ncolumn = \"beat\"\n",
        )
        .expect("valid");
        let rejects = dir.path().join("rejects.csv");
        let mut sink: Vec<Encounter> = Vec::new();
        let options = EngineOptions { rejects_path: Some(rejects.clone()), ..EngineOptions::default() };
        let s = run(&path, &spec, options, &mut sink).expect("runs to the end");
        assert_eq!((s.counts.received, s.counts.accepted, s.counts.rejected), (4, 2, 2));
        let text = std::fs::read_to_string(&rejects).expect("rejects file");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[1].starts_with("3,,\"the row has 2 fields") && lines[1].ends_with(",2,2021-05-02"), "{}", lines[1]);
        assert!(lines[2].starts_with("4,,\"the row has 4 fields") && lines[2].ends_with(",3,2021-05-03,K2,extra"), "{}", lines[2]);
    }

    const BEAT_MAPPING: &str = "[source]\nname = \"t\"\nsystem = \"t\"\n[key]\ncolumns = [\"id\"]\n[fields.occurred]\ncolumn = \"day\"\n[fields.beat]\ncolumn = \"beat\"\n";

    /// The rejects file is opened in spreadsheets: a rejected row's text that would be read as
    /// a formula is written with a leading `'` (the header's too); numbers stay as they are.
    #[test]
    fn the_rejects_file_holds_no_formulas() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("in.csv");
        std::fs::write(&path, "id,day,beat,-note\n\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",not a date,-122.33,@cmd\n2,2021-05-02,K1,+1\n")
            .expect("write");
        let spec = MappingSpec::from_toml(BEAT_MAPPING).expect("valid");
        let rejects = dir.path().join("rejects.csv");
        let mut sink: Vec<Encounter> = Vec::new();
        let options = EngineOptions { rejects_path: Some(rejects.clone()), ..EngineOptions::default() };
        let s = run(&path, &spec, options, &mut sink).expect("runs to the end");
        assert_eq!((s.counts.accepted, s.counts.rejected), (1, 1));
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(&rejects).expect("rejects file");
        let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().expect("rejects rows");
        assert_eq!(rows[0].iter().collect::<Vec<_>>(), ["line", "column", "reason", "id", "day", "beat", "'-note"]);
        assert_eq!(rows[1].iter().skip(3).collect::<Vec<_>>(), ["'=HYPERLINK(\"http://x\",\"y\")", "not a date", "-122.33", "'@cmd"]);
    }

    /// A file pmhc wrote (`restore_formula_prefix`): the prefix its export added comes off; without
    /// the option every cell is read as it is.
    #[test]
    fn pmhc_own_files_lose_the_formula_prefix() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("in.csv");
        std::fs::write(&path, "id,day,beat\n'=1+1,2021-05-01,''-x\n'-1,2021-05-02,'@K1\n").expect("write");
        let beats = |restore: bool| {
            let mut spec = MappingSpec::from_toml(BEAT_MAPPING).expect("valid");
            spec.source.restore_formula_prefix = restore;
            let mut sink: Vec<Encounter> = Vec::new();
            let s = run(&path, &spec, EngineOptions::default(), &mut sink).expect("runs");
            assert_eq!(s.counts.rejected, 0, "{:?}", s.first_rejects);
            sink.into_iter().map(|e| (e.source_key, e.area.beat.unwrap_or_default())).collect::<Vec<_>>()
        };
        let pairs = |v: [(&str, &str); 2]| v.map(|(k, b)| (k.to_string(), b.to_string())).to_vec();
        // `'-1` is not a prefixed cell (`-1` is a number, written without one): it stays.
        assert_eq!(beats(true), pairs([("=1+1", "'-x"), ("'-1", "@K1")]));
        assert_eq!(beats(false), pairs([("'=1+1", "''-x"), ("'-1", "'@K1")]));
    }
}

#[cfg(test)]
mod line_numbers {
    use super::*;

    /// A rejected row's line is the line it starts on in the file, whatever ends the lines
    /// (Seattle's use-of-force CSV ends them with CRLF), also after a quoted field spanning lines.
    #[test]
    fn rejected_rows_name_their_line_in_crlf_and_lf_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let spec = MappingSpec::from_toml(
            "[source]\nname = \"t\"\nsystem = \"t\"\n[key]\ncolumns = [\"id\"]\n[fields.occurred]\ncolumn = \"day\"\n[fields.beat]\ncolumn = \"beat\"\n",
        )
        .expect("valid");
        let rows = ["id,day,beat", "1,2021-05-01,K1", "2,not a date,K2", "3,2021-05-03,\"two", "lines\"", "4,nope,K4", "5,2021-05-05,K5"];
        for (name, end) in [("lf", "\n"), ("crlf", "\r\n")] {
            let path = dir.path().join(format!("{name}.csv"));
            std::fs::write(&path, rows.join(end) + end).expect("write");
            let mut sink: Vec<Encounter> = Vec::new();
            let s = run(&path, &spec, EngineOptions::default(), &mut sink).expect("runs");
            let lines: Vec<u64> = s.first_rejects.iter().map(|r| r.line).collect();
            assert_eq!(lines, [3, 6], "{name}");
        }
    }
}

#[cfg(test)]
mod stopping {
    use super::*;

    const MAPPING: &str = "[source]\nname = \"t\"\nsystem = \"t\"\n[key]\ncolumns = [\"id\"]\n[fields.occurred]\ncolumn = \"day\"\nformat = \"%Y-%m-%d\"\n[fields.beat]\ncolumn = \"beat\"\n";

    fn import(rows: impl Iterator<Item = String>) -> (EngineSummary, Vec<Encounter>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("in.csv");
        let mut text = String::from("id,day,beat\n");
        for r in rows {
            text.push_str(&r);
            text.push('\n');
        }
        std::fs::write(&path, text).expect("write");
        let spec = MappingSpec::from_toml(MAPPING).expect("valid");
        let mut sink: Vec<Encounter> = Vec::new();
        let s = run(&path, &spec, EngineOptions { batch_size: 7, ..EngineOptions::default() }, &mut sink).expect("runs");
        assert_eq!(s.counts.received, s.counts.accepted + s.counts.rejected);
        (s, sink)
    }

    /// A wrong date format on every row (a mapping for another export): the import stops after
    /// the first 1,000 rows, keeps nothing and says why, instead of rejecting 5,000 rows one by one.
    #[test]
    fn every_row_failing_the_same_way_stops_the_import_at_the_first_thousand() {
        let (s, sink) = import((0..5_209).map(|i| format!("{i},{:02}/05/2021,K1", i % 28 + 1)));
        assert_eq!((s.counts.received, s.counts.accepted, s.counts.rejected, s.encounters), (STOP_AFTER, 0, STOP_AFTER, 0));
        assert!(sink.is_empty());
        let why = s.stopped.expect("stopped");
        assert!(why.starts_with("stopped: every row fails with column day: "), "{why}");
        assert!(why.contains("from line 2") && why.contains("nothing was kept"), "{why}");
    }

    /// One row accepted, or two reasons, among the first 1,000: the import runs to the end.
    #[test]
    fn mixed_results_run_to_the_end() {
        let bad = |i: u32| format!("{i},{:02}/05/2021,K1", i % 28 + 1);
        let (s, sink) = import((0..1_500).map(|i| if i == 999 { format!("{i},2021-05-01,K1") } else { bad(i) }));
        assert_eq!((s.counts.received, s.counts.accepted, s.stopped.is_some()), (1_500, 1, false));
        assert_eq!(sink.len(), 1);
        let (s, _) = import((0..1_500).map(|i| if i == 500 { format!("{i},2021-05-01") } else { bad(i) }));
        assert_eq!((s.counts.received, s.counts.rejected, s.stopped.is_some()), (1_500, 1_500, false));
        // Fewer rows than 1,000, all bad: the import ends, it does not stop.
        let (s, _) = import((0..999).map(bad));
        assert_eq!((s.counts.received, s.counts.rejected, s.stopped.is_some()), (999, 999, false));
    }

    #[test]
    fn reasons_differing_only_in_values_are_the_same() {
        let e = |c: Option<&str>, r: &str| RowError { column: c.map(String::from), reason: r.into() };
        let a = reason_shape(&e(Some("day"), "occurred: `01/05/2021` does not match the date-time format %Y-%m-%d"));
        assert_eq!(a, reason_shape(&e(Some("day"), "occurred: `28/05/2021` does not match the date-time format %Y-%m-%d")));
        assert_ne!(a, reason_shape(&e(Some("date"), "occurred: `28/05/2021` does not match the date-time format %Y-%m-%d")));
        assert_eq!(
            reason_shape(&e(None, "the row has 2 fields, the header has 3 (a truncated or broken line?)")),
            reason_shape(&e(None, "the row has 1 fields, the header has 3 (a truncated or broken line?)"))
        );
    }
}
