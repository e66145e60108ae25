//! Terminal output: summaries and tables for people (JSON/CSV are written by the commands).

use pmhc_core::{CodeList, Encounter};
use pmhc_import::EngineSummary;
use pmhc_store::ImportRecord;

fn n(v: u64) -> String {
    pmhc_report::thousands(v)
}

/// The summary of `pmhc import` for people.
pub fn import_report(file: &str, mapping: &str, r: &EngineSummary, seconds: f64) {
    let c = &r.counts;
    println!("Imported {file} with mapping `{mapping}` in {seconds:.1} s");
    println!("  rows read      {:>12}", n(c.received));
    println!("    accepted     {:>12}", n(c.accepted));
    println!("    rejected     {:>12}", n(c.rejected));
    if r.skipped_rows > 0 {
        println!("  (plus {} non-data row(s) skipped as the mapping declares)", r.skipped_rows);
    }
    println!("  encounters     {:>12}   (rows of one encounter are merged)", n(r.encounters));
    println!("    inserted     {:>12}", n(c.inserted));
    println!("    updated      {:>12}", n(c.updated));
    println!("    unchanged    {:>12}", n(c.unchanged));
    if c.stale > 0 {
        println!("    stale        {:>12}   (older than the stored version; not written)", n(c.stale));
    }
    if !r.absent_columns.is_empty() {
        println!("\nColumns the mapping reads but the file lacks (those fields stay unknown): {}", r.absent_columns.join(", "));
    }
    if !r.unknown_codes.is_empty() {
        println!("\nCodes the mapping does not know ({} distinct; extend its `codes` to place them):", r.unknown_codes.len());
        for u in r.unknown_codes.iter().take(15) {
            println!("  {:>8} × {} `{}` (column {})", n(u.count), u.field, u.value, u.column);
        }
        if r.unknown_codes.len() > 15 {
            println!("  ... and {} more (see --json)", r.unknown_codes.len() - 15);
        }
    }
    if c.rejected > 0 {
        println!("\nRejected rows (first {}):", r.first_rejects.len());
        for j in r.first_rejects.iter().take(10) {
            match &j.column {
                Some(c) => println!("  line {}: column {c}: {}", j.line, j.reason),
                None => println!("  line {}: {}", j.line, j.reason),
            }
        }
        if let Some(p) = &r.rejects_path {
            println!("All {} rejected rows, with line, column and reason: {}", n(c.rejected), p.display());
        }
    }
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

fn clip(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub fn encounter_table(rows: &[Encounter]) {
    println!(
        "{:<16} {:<12} {:<16} {:<10} {:<30} {:<15} {:<18} {:<14}",
        "occurred", "source", "key", "precinct", "call type", "response", "disposition", "force"
    );
    for e in rows {
        let when = match e.occurred_at() {
            Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
            None => e.occurred_on.format("%Y-%m-%d").to_string(),
        };
        let call = e.final_call_type.as_ref().or(e.initial_call_type.as_ref()).cloned().unwrap_or_default();
        println!(
            "{:<16} {:<12} {:<16} {:<10} {:<30} {:<15} {:<18} {:<14}",
            when,
            clip(&e.source_system, 12),
            clip(&e.source_key, 16),
            clip(opt(&e.area.precinct), 10),
            clip(&call, 30),
            e.response_model.as_str(),
            e.disposition.as_str(),
            e.use_of_force.as_str()
        );
    }
}

pub fn encounter_detail(e: &Encounter) {
    let yn = |v: Option<bool>| match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    let when = match e.occurred_at() {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => format!("{} ({} precision)", e.occurred_on, e.date_precision),
    };
    println!("Encounter {} / {}", e.source_system, e.source_key);
    println!("  occurred            {when}");
    println!("  agency              {}", opt(&e.agency));
    println!("  call number         {}", opt(&e.call_number));
    println!("  area                precinct {} · sector {} · beat {}", opt(&e.area.precinct), opt(&e.area.sector), opt(&e.area.beat));
    println!("  call source         {}", e.call_source.label());
    println!("  call type           {} → {}", opt(&e.initial_call_type), opt(&e.final_call_type));
    println!("  MH at dispatch      {}", yn(e.mh_recognised_at_dispatch));
    println!("  response model      {}", e.response_model.label());
    println!("  CIT requested/dispatched/arrived  {} / {} / {}", yn(e.cit_requested), yn(e.cit_dispatched), yn(e.cit_arrived));
    println!("  clinician on scene  {}", yn(e.clinician_on_scene));
    println!("  officers            {}", e.officers.iter().filter_map(|o| o.id.clone()).collect::<Vec<_>>().join(", "));
    println!("  time on scene       {}", e.time_on_scene_minutes.map(|m| format!("{m} min")).unwrap_or_else(|| "unknown".into()));
    println!("  disposition         {}", e.disposition.label());
    println!("  arrested / cited / involuntary hold  {} / {} / {}", yn(e.arrested), yn(e.cited), yn(e.involuntary_hold));
    for r in &e.referrals {
        println!("  referral            {} {} ({})", r.service_type.label(), opt(&r.service), r.result.label());
    }
    println!("  use of force        {} {}", e.use_of_force.label(), e.force_types.join(", "));
    println!("  injuries            subject {} · officer {}", yn(e.subject_injured), yn(e.officer_injured));
    println!("  subject             {} · {} · {} · housing {}", e.age_band.label(), e.gender.label(), e.race_ethnicity.label(), e.housing_status.label());
    println!("  subject key         {}", opt(&e.subject_key));
}

pub fn imports_table(list: &[ImportRecord]) {
    println!("{:>5} {:<20} {:<9} {:>9} {:>9} {:>9} {:>9} {:>9}  file", "id", "started (UTC)", "status", "rows", "rejected", "inserted", "updated", "unchanged");
    for i in list {
        println!(
            "{:>5} {:<20} {:<9} {:>9} {:>9} {:>9} {:>9} {:>9}  {} ({})",
            i.id,
            i.started_at.format("%Y-%m-%d %H:%M:%S"),
            i.status.as_str(),
            i.counts.received,
            i.counts.rejected,
            i.counts.inserted,
            i.counts.updated,
            i.counts.unchanged,
            i.file_name,
            i.mapping_name
        );
    }
}
