//! `pmhc link`: privacy-preserving record linkage (see `pmhc_core::linkage`). Encoding runs where
//! the identities are, matching where the encodings meet; neither needs a database, and neither
//! writes an identifier anywhere.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use pmhc_core::linkage::{self, Encoder, Encoding, LinkField, LinkIdentifiers, LinkageSecret};

use crate::cli::LinkCommand;

pub(crate) fn link(cmd: LinkCommand) -> Result<u8> {
    match cmd {
        LinkCommand::Encode { file, secret_file, id, fields, dob_format, output } => encode(&file, &secret_file, &id, &fields, &dob_format, &output),
        LinkCommand::Match { a, b, output, threshold, review } => matching(&a, &b, &output, threshold, review.as_deref()),
    }
}

/// The first line of an encoding file: the format, the key's fingerprint and the schema.
fn header(fingerprint: &str, fields: &[LinkField]) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.as_str()).collect();
    format!(
        "#{};key={fingerprint};bits={};hardening={};fields={}",
        linkage::FORMAT,
        linkage::ENCODING_BITS,
        linkage::HARDENING,
        names.join(",")
    )
}

/// Write a file whole or not at all: to a temporary file beside it, renamed when complete.
fn write_whole(path: &Path, body: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, body).with_context(|| format!("write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("write {}", path.display()))?;
    Ok(())
}

fn rejects_path(output: &Path) -> PathBuf {
    let mut s = output.as_os_str().to_owned();
    s.push(".rejects.csv");
    PathBuf::from(s)
}

fn encode(file: &Path, secret_file: &Path, id: &str, fields: &[String], dob_format: &str, output: &Path) -> Result<u8> {
    let secret = LinkageSecret::from_key_file(&std::fs::read(secret_file).with_context(|| format!("read the secret {}", secret_file.display()))?)
        .with_context(|| format!("the secret in {}", secret_file.display()))?;
    let mut columns: Vec<(LinkField, String)> = Vec::new();
    for f in fields {
        let Some((name, column)) = f.split_once('=') else { bail!("--field `{f}`: write IDENTIFIER=COLUMN, e.g. --field surname=last_name") };
        let field = LinkField::parse(name)?;
        if columns.iter().any(|(g, _)| *g == field) {
            bail!("--field {}: given twice", field.as_str());
        }
        columns.push((field, column.trim().to_string()));
    }
    if columns.len() < 3 {
        bail!("{} identifier(s) given: encode at least three (--field given_name=…, surname=…, date_of_birth=…)", columns.len());
    }
    columns.sort();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(file)
        .with_context(|| format!("read {}", file.display()))?;
    let headers: Vec<String> = reader.headers().with_context(|| format!("{}: the header row", file.display()))?.iter().map(|h| h.trim().to_string()).collect();
    let index = |column: &str| headers.iter().position(|h| h == column);
    let id_at = index(id).with_context(|| format!("{}: no column `{id}` (the header has {})", file.display(), headers.join(", ")))?;
    let mut at: Vec<(LinkField, usize)> = Vec::new();
    let missing: Vec<&str> = columns.iter().filter(|(_, c)| index(c).is_none()).map(|(_, c)| c.as_str()).collect();
    if !missing.is_empty() {
        bail!("{}: no column {} (the header has {})", file.display(), missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "), headers.join(", "));
    }
    for (f, c) in &columns {
        at.push((*f, index(c).expect("checked above")));
    }
    let encoder = Encoder::new(&secret);
    let fingerprint = secret.fingerprint();
    let mut out = Vec::new();
    writeln!(out, "{}", header(&fingerprint, &columns.iter().map(|(f, _)| *f).collect::<Vec<_>>()))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["id", "encoding"])?;
    let mut rejects = csv::Writer::from_writer(Vec::new());
    rejects.write_record(["line", "id", "reason"])?;
    let (mut encoded, mut skipped) = (0u64, 0u64);
    for (n, row) in reader.records().enumerate() {
        let line = n + 2;
        let row = row.with_context(|| format!("{}: line {line}", file.display()))?;
        let row_id = row.get(id_at).unwrap_or_default().trim().to_string();
        let mut ids = LinkIdentifiers::default();
        let mut notes = Vec::new();
        for (field, i) in &at {
            let v = row.get(*i).map(str::trim).filter(|v| !v.is_empty());
            match field {
                LinkField::GivenName => ids.given_name = v.map(String::from),
                LinkField::Surname => ids.surname = v.map(String::from),
                LinkField::Sex => ids.sex = v.map(String::from),
                LinkField::Postcode => ids.postcode = v.map(String::from),
                LinkField::DateOfBirth => {
                    ids.date_of_birth = v.and_then(|d| match NaiveDate::parse_from_str(d, dob_format) {
                        Ok(date) => Some(date),
                        Err(_) => {
                            notes.push(format!("the date of birth is not written {dob_format}"));
                            None
                        }
                    })
                }
            }
        }
        if row_id.is_empty() {
            rejects.write_record([line.to_string(), String::new(), "no id".to_string()])?;
            skipped += 1;
            continue;
        }
        match encoder.encode(&ids) {
            Ok(e) => {
                w.write_record([row_id.as_str(), e.to_hex().as_str()])?;
                encoded += 1;
            }
            Err(e) => {
                notes.insert(0, e.to_string());
                rejects.write_record([line.to_string(), row_id, notes.join("; ")])?;
                skipped += 1;
            }
        }
    }
    out.extend(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?);
    write_whole(output, &out)?;
    let rejects_file = rejects_path(output);
    if skipped > 0 {
        write_whole(&rejects_file, &rejects.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    } else if rejects_file.exists() {
        std::fs::remove_file(&rejects_file).with_context(|| format!("remove the old {}", rejects_file.display()))?;
    }
    eprintln!("{encoded} encoded into {} (key {fingerprint})", output.display());
    if skipped > 0 {
        eprintln!("{skipped} row(s) skipped: fewer than two usable identifiers; listed in {}", rejects_file.display());
        return Ok(crate::EXIT_PARTIAL);
    }
    Ok(0)
}

/// An encoding file: its key fingerprint, and the ids with their encodings.
fn read_encodings(path: &Path) -> Result<(String, Vec<String>, Vec<Encoding>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let meta: HashMap<&str, &str> = first.trim().split(';').filter_map(|kv| kv.split_once('=')).collect();
    if !first.starts_with(&format!("#{}", linkage::FORMAT)) {
        bail!("{}: not a pmhc encoding file (its first line is not #{}…)", path.display(), linkage::FORMAT);
    }
    let key = meta.get("key").map(|k| k.to_string()).with_context(|| format!("{}: the header names no key", path.display()))?;
    let mut r = csv::Reader::from_reader(rest.as_bytes());
    let (mut ids, mut encodings) = (Vec::new(), Vec::new());
    for (n, row) in r.records().enumerate() {
        let row = row.with_context(|| format!("{}: line {}", path.display(), n + 3))?;
        let (Some(id), Some(hex)) = (row.get(0), row.get(1)) else { bail!("{}: line {}: an id and an encoding", path.display(), n + 3) };
        encodings.push(Encoding::from_hex(hex).with_context(|| format!("{}: line {}", path.display(), n + 3))?);
        ids.push(id.to_string());
    }
    Ok((key, ids, encodings))
}

fn matching(a: &Path, b: &Path, output: &Path, threshold: Option<f64>, review: Option<&Path>) -> Result<u8> {
    if let Some(t) = threshold
        && !(0.5..=1.0).contains(&t)
    {
        bail!("--threshold {t}: a Dice score between 0.5 and 1.0");
    }
    let (key_a, ids_a, enc_a) = read_encodings(a)?;
    let (key_b, ids_b, enc_b) = read_encodings(b)?;
    if key_a != key_b {
        bail!(
            "{} ({key_a}) and {} ({key_b}) were encoded under different secrets: their encodings cannot be compared. \
             Encode both with the linkage project's secret.",
            a.display(),
            b.display()
        );
    }
    let started = std::time::Instant::now();
    let l = linkage::link(&enc_a, &enc_b, threshold);
    let write_pairs = |pairs: &[linkage::Pair]| -> Result<Vec<u8>> {
        let mut rows: Vec<(&str, &str, f64)> = pairs.iter().map(|p| (ids_a[p.a].as_str(), ids_b[p.b].as_str(), p.score)).collect();
        rows.sort_by(|x, y| x.0.cmp(y.0).then(x.1.cmp(y.1)));
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["a_id", "b_id", "score"])?;
        for (x, y, s) in rows {
            w.write_record([x, y, &format!("{s:.4}")])?;
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    };
    write_whole(output, &write_pairs(&l.links)?)?;
    if let Some(path) = review {
        write_whole(path, &write_pairs(&l.review)?)?;
    }
    eprintln!(
        "threshold {:.4} ({}); {} links of {} × {} records; {} pairs for review; {} pairs compared in {:.2} s",
        l.threshold,
        if l.threshold_from_data { "read from the scores" } else { "given" },
        l.links.len(),
        ids_a.len(),
        ids_b.len(),
        l.review.len(),
        l.comparisons,
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}
