//! The shipped mappings against the real public datasets in `../shared/data` (see its README).
//! Every expected number here was checked by hand against the CSV (Python `csv`, independently of
//! the engine). When a file is absent (a user's machine) the test says so and passes; in CI the
//! data is always present.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use pmhc_core::{
    CallSource, DatePrecision, Disposition, Encounter, Gender, PseudonymKey, RaceEthnicity, ReferralResult, ResponseModel, ServiceType,
    UseOfForce,
};
use pmhc_import::{EngineOptions, EngineSummary, run, shipped};

fn data(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        assert!(std::env::var_os("PMHC_REQUIRE_ALL").is_none(), "PMHC_REQUIRE_ALL is set but {} is missing", p.display());
        println!("skipped: {} not present", p.display());
        None
    }
}

fn import_with(mapping: &str, path: &Path, key: Option<PseudonymKey>) -> (EngineSummary, Vec<Encounter>) {
    let spec = shipped::shipped(mapping).expect("shipped mapping").expect("valid mapping");
    let mut out: Vec<Encounter> = Vec::new();
    let options = EngineOptions {
        pseudonym_key: key,
        ..EngineOptions::default()
    };
    let summary = run(path, &spec, options, &mut out).expect("import runs");
    assert_eq!(summary.counts.received, summary.counts.accepted + summary.counts.rejected);
    assert_eq!(summary.encounters as usize, out.len());
    (summary, out)
}

fn import(mapping: &str, path: &Path) -> (EngineSummary, Vec<Encounter>) {
    import_with(mapping, path, None)
}

fn by_key(out: &[Encounter]) -> HashMap<&str, &Encounter> {
    let map: HashMap<&str, &Encounter> = out.iter().map(|e| (e.source_key.as_str(), e)).collect();
    assert_eq!(map.len(), out.len(), "encounter keys are unique");
    map
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
    day(y, m, d).and_hms_opt(h, min, s).expect("time")
}

fn officer_ids(e: &Encounter) -> Vec<&str> {
    e.officers.iter().filter_map(|o| o.id.as_deref()).collect()
}

fn count<K: Ord>(out: &[Encounter], f: impl Fn(&Encounter) -> K) -> BTreeMap<K, usize> {
    let mut m = BTreeMap::new();
    for e in out {
        *m.entry(f(e)).or_insert(0) += 1;
    }
    m
}

// ---------------------------------------------------------------------------------------------
// Toronto persons in crisis

#[test]
fn toronto_persons_in_crisis() {
    let Some(path) = data("toronto-persons-in-crisis/raw_data_first32000.csv") else {
        return;
    };
    let (s, out) = import("toronto-pic", &path);
    assert_eq!(
        (s.counts.received, s.counts.accepted, s.counts.rejected, s.skipped_rows, s.encounters),
        (32_000, 32_000, 0, 0, 32_000)
    );
    assert!(s.unknown_codes.is_empty(), "{:?}", s.unknown_codes);
    assert!(s.first_rejects.is_empty());
    let m = by_key(&out);

    // Line 2: 1254908, 2014 January, Suicide-related, D51, no apprehension, Downtown Yonge East.
    let e = m["1254908"];
    assert_eq!(
        (e.occurred_on, e.occurred_time, e.date_precision),
        (day(2014, 1, 1), None, DatePrecision::Month)
    );
    assert_eq!(e.initial_call_type.as_deref(), Some("Suicide-related"));
    assert_eq!(e.final_call_type.as_deref(), Some("Suicide-related"));
    assert_eq!(e.area.precinct.as_deref(), Some("D51"));
    assert_eq!(e.area.beat.as_deref(), Some("Downtown Yonge East"));
    assert_eq!(e.area.sector, None);
    assert_eq!(e.involuntary_hold, Some(false));
    assert_eq!((e.mental_health_flag, e.mh_recognised_at_dispatch), (Some(true), Some(true)));
    assert_eq!(e.agency.as_deref(), Some("Toronto Police Service"));
    assert_eq!(e.arrested, None, "the file says nothing about arrest");
    assert_eq!(e.subject_key, None);

    // Line 470: 1302485, 2014 January, apprehension Yes.
    let e = m["1302485"];
    assert_eq!(e.involuntary_hold, Some(true));
    assert_eq!(e.area.precinct.as_deref(), Some("D51"));
    // Line 4: 1256454, neighbourhood "NSA" (not specified) is null.
    let e = m["1256454"];
    assert_eq!((e.area.precinct.as_deref(), e.area.beat.as_deref()), (Some("D41"), None));
    assert_eq!(e.initial_call_type.as_deref(), Some("Suicide-related"));
    // Last line: 4529275, 2015 June (EVENT_DATE is garbled there and ignored).
    let e = m["4529275"];
    assert_eq!((e.occurred_on, e.area.precinct.as_deref()), (day(2015, 6, 1), Some("D53")));
    assert_eq!(e.area.beat.as_deref(), Some("Leaside-Bennington"));

    assert_eq!(out.iter().filter(|e| e.involuntary_hold == Some(true)).count(), 7_044);
    assert_eq!(out.iter().filter(|e| e.area.beat.is_none()).count(), 116);
    assert_eq!(out.iter().filter(|e| e.area.precinct.as_deref() == Some("D51")).count(), 3_847);
    let types = count(&out, |e| e.initial_call_type.clone().unwrap_or_default());
    assert_eq!(types["Person in Crisis"], 19_913);
    assert_eq!(types["Suicide-related"], 9_706);
    assert_eq!(types["Overdose"], 2_381);
    let months = count(&out, |e| e.occurred_on);
    assert_eq!(months.len(), 18);
    assert_eq!(months[&day(2015, 6, 1)], 746);
}

// ---------------------------------------------------------------------------------------------
// Dallas use of force 2016

#[test]
fn dallas_use_of_force() {
    let Some(path) = data("dallas-uof-2016/37-00049_UOF-P_2016_prepped.csv") else {
        return;
    };
    let (s, out) = import("dallas-uof", &path);
    // Row 2 of the file is the second header (skipped, not data).
    assert_eq!((s.counts.received, s.counts.accepted, s.counts.rejected, s.skipped_rows), (2_383, 2_383, 0, 1));
    // 1,517 (subject, day) encounters of 1,432 identified people + 147 unidentified-subject rows,
    // each its own encounter.
    assert_eq!(s.encounters, 1_664);
    assert!(s.unknown_codes.is_empty(), "{:?}", s.unknown_codes);
    let m = by_key(&out);
    let unidentified: Vec<&Encounter> = out.iter().filter(|e| e.source_key.starts_with('~')).collect();
    assert_eq!(unidentified.len(), 147);
    assert!(unidentified.iter().all(|e| e.subject_key.is_none()));
    let people: std::collections::HashSet<&str> = out.iter().filter_map(|e| e.subject_key.as_deref()).collect();
    assert_eq!(people.len(), 1_432);

    // Subject 43676 on 2/14/16: nine officers; force up to Pepperball/Taser/Other Impact Weapon
    // (level 2); offense APOWW on 7 rows (all marked arrested = Yes) and "No Arrest" on 2: an
    // emergency detention, not an arrest.
    let e = m["43676|2/14/16"];
    assert_eq!(
        officer_ids(e),
        vec!["10693", "10695", "10731", "10759", "10823", "10923", "10969", "7445", "9669"]
    );
    assert_eq!(
        e.officers
            .iter()
            .find(|o| o.id.as_deref() == Some("7445"))
            .and_then(|o| o.years_experience),
        Some(19)
    );
    assert_eq!(e.use_of_force, UseOfForce::Level2);
    assert_eq!(
        e.force_types,
        vec![
            "Handcuffing Take Down",
            "Held Suspect Down",
            "Joint Locks",
            "Other Impact Weapon",
            "Pepperball Impact",
            "Pepperball Saturation",
            "Take Down - Group",
            "Taser",
            "Verbal Command",
            "Weapon display at Person"
        ]
    );
    assert_eq!(
        (e.involuntary_hold, e.arrested, e.mental_health_flag),
        (Some(true), Some(false), Some(true))
    );
    assert_eq!(
        (e.weapon_involved, e.substance_use, e.subject_injured, e.officer_injured),
        (Some(true), Some(true), Some(true), Some(false))
    );
    assert_eq!(
        (e.occurred_on, e.occurred_time),
        (day(2016, 2, 14), Some(at(2016, 2, 14, 20, 30, 0).time()))
    );
    assert_eq!(
        (e.area.precinct.as_deref(), e.area.sector.as_deref(), e.area.beat.as_deref()),
        (Some("SOUTHEAST"), Some("330"), Some("338"))
    );
    assert_eq!((e.area.latitude, e.area.longitude), (Some(32.7135), Some(-96.661932)));
    assert_eq!((e.gender, e.race_ethnicity), (Gender::Female, RaceEthnicity::Black));
    assert_eq!(e.subject_key.as_deref(), Some("43676"));

    // Subject 47555 on 11/26/16: 3 rows by officers 9881 (twice) and 10813, display only.
    let e = m["47555|11/26/16"];
    assert_eq!(officer_ids(e), vec!["10813", "9881"]);
    assert_eq!(e.use_of_force, UseOfForce::None);
    assert_eq!(e.force_types, vec!["Taser Display at Person", "Weapon display at Person"]);
    assert_eq!(
        (e.arrested, e.involuntary_hold, e.mental_health_flag),
        (Some(true), Some(false), Some(false))
    );

    // Subject 41672 on 3/3/16: the only LVNR (neck restraint) = level 3.
    assert_eq!(m["41672|3/3/16"].use_of_force, UseOfForce::Level3);
    // Subject 19059 on 8/14/16: INCIDENT_TIME is NULL, so the date has day precision.
    let e = m["19059|8/14/16"];
    assert_eq!(
        (e.occurred_on, e.occurred_time, e.date_precision),
        (day(2016, 8, 14), None, DatePrecision::Day)
    );
    assert_eq!((e.involuntary_hold, e.arrested), (Some(true), Some(false)));
    // Subject 44426 on 4/5/16: APOWW (arrested Yes) + "No Arrest" (No): not arrested; mentally unstable.
    let e = m["44426|4/5/16"];
    assert_eq!(
        (e.arrested, e.involuntary_hold, e.mental_health_flag, e.officer_injured),
        (Some(false), Some(true), Some(true), Some(true))
    );

    // Unidentified subjects: UOF 34831 (officer 9219) is one report about two people (White and
    // Black, otherwise identical): two encounters, never merged.
    let two: Vec<&&Encounter> = unidentified.iter().filter(|e| e.source_key.starts_with("~34831|9219|")).collect();
    assert_eq!(two.len(), 2);
    let mut races: Vec<RaceEthnicity> = two.iter().map(|e| e.race_ethnicity).collect();
    races.sort();
    assert_eq!(races, vec![RaceEthnicity::Black, RaceEthnicity::White]);
    // The one unidentified row with race NULL keys fine (NULL is a per-field null).
    assert!(m.contains_key("~34329, 34330|7766|NULL|Male|Evading Arrest|No injuries noted or visible"));

    // Encounter-level totals (hand-computed): level, arrest (APOWW-only rows are not arrests),
    // emergency detention, mental health (mentally unstable or APOWW).
    let levels = count(&out, |e| e.use_of_force);
    assert_eq!(
        levels,
        BTreeMap::from([
            (UseOfForce::None, 361),
            (UseOfForce::Level1, 948),
            (UseOfForce::Level2, 354),
            (UseOfForce::Level3, 1)
        ])
    );
    assert_eq!(out.iter().filter(|e| e.arrested == Some(true)).count(), 1_199);
    assert_eq!(out.iter().filter(|e| e.involuntary_hold == Some(true)).count(), 227);
    assert_eq!(out.iter().filter(|e| e.mental_health_flag == Some(true)).count(), 345);
}

#[test]
fn dallas_keys_hold_no_subject_id_with_a_pseudonym_key() {
    let Some(path) = data("dallas-uof-2016/37-00049_UOF-P_2016_prepped.csv") else {
        return;
    };
    let secret = PseudonymKey::from_bytes([3; 32]);
    let (s, out) = import_with("dallas-uof", &path, Some(secret.clone()));
    assert_eq!((s.counts.accepted, s.encounters), (2_383, 1_664));
    let key = secret.pseudonymize("dallas-pd-uof#key", "43676|2/14/16");
    let e = out.iter().find(|e| e.source_key == key).expect("43676's encounter");
    assert_eq!(e.officers.len(), 9);
    assert_eq!(e.subject_key, Some(secret.pseudonymize("dallas-pd-uof", "43676")));
    assert!(out.iter().all(|e| e.source_key.starts_with("p-")));
}

// ---------------------------------------------------------------------------------------------
// Seattle use of force

#[test]
fn seattle_use_of_force() {
    let Some(path) = data("seattle-use-of-force/Use_Of_Force.csv") else {
        return;
    };
    let (s, out) = import("seattle-uof", &path);
    assert_eq!((s.counts.received, s.counts.accepted, s.counts.rejected, s.skipped_rows), (15_181, 15_181, 0, 0));
    // 9,642 (subject, day) encounters + 336 rows of the six placeholder subjects, one each.
    assert_eq!(s.encounters, 9_978);
    assert!(s.unknown_codes.is_empty(), "{:?}", s.unknown_codes);
    let m = by_key(&out);
    assert_eq!(out.iter().filter(|e| e.source_key.starts_with('~')).count(), 336);
    assert!(
        out.iter()
            .filter(|e| e.source_key.starts_with('~'))
            .all(|e| e.subject_key.is_none())
    );

    // Subject 16299 on 08/15/2018: two officers' reports (Incident_Num 32203 and 32207), Level 1.
    let e = m["16299|08/15/2018"];
    assert_eq!(officer_ids(e), vec!["1783", "2474"]);
    assert_eq!(e.use_of_force, UseOfForce::Level1);
    assert_eq!(
        (e.occurred_on, e.occurred_time),
        (day(2018, 8, 15), Some(at(2018, 8, 15, 5, 59, 0).time()))
    );
    assert_eq!(
        (e.area.precinct.as_deref(), e.area.sector.as_deref(), e.area.beat.as_deref()),
        (Some("South"), Some("ROBERT"), Some("R1"))
    );
    assert_eq!((e.gender, e.race_ethnicity), (Gender::Female, RaceEthnicity::White));
    // Subject 19827 on 04/19/2019: six officers, Level 1 and Level 2 reports: Level 2; the
    // earliest report time (6:59 PM).
    let e = m["19827|04/19/2019"];
    assert_eq!(e.officers.len(), 6);
    assert_eq!(e.use_of_force, UseOfForce::Level2);
    assert_eq!(e.occurred_time, Some(at(2019, 4, 19, 18, 59, 0).time()));
    assert_eq!(e.race_ethnicity, RaceEthnicity::Black);
    // Subject 7746 on 12/06/2015: 16 officers, one officer-involved shooting: Level 3.
    let e = m["7746|12/06/2015"];
    assert_eq!(e.officers.len(), 16);
    assert_eq!(e.use_of_force, UseOfForce::Level3);
    assert_eq!(e.force_types, vec!["Officer-involved shooting"]);
    assert_eq!(e.occurred_time, Some(at(2015, 12, 6, 12, 37, 0).time()));
    // A placeholder subject's row is its own encounter, keyed by the row ID.
    let e = m["~2016UOF-1573-978-1023"];
    assert_eq!(
        (e.use_of_force, e.subject_key.as_deref(), e.gender),
        (UseOfForce::Level2, None, Gender::Unknown)
    );
    assert_eq!(officer_ids(e), vec!["141"]);
    // Junk area codes are null: subject 21585 on 10/28/2019 is OOJ / (empty) / 99.
    let e = m["21585|10/28/2019"];
    assert_eq!(
        (e.area.precinct.as_deref(), e.area.sector.as_deref(), e.area.beat.as_deref()),
        (None, None, None)
    );

    let levels = count(&out, |e| e.use_of_force);
    assert_eq!(
        levels,
        BTreeMap::from([(UseOfForce::Level1, 7_213), (UseOfForce::Level2, 2_604), (UseOfForce::Level3, 161)])
    );
    assert_eq!(
        out.iter().filter(|e| !e.force_types.is_empty()).count(),
        66,
        "encounters with an OIS"
    );
    assert!(out.iter().all(|e| {
        e.area
            .precinct
            .as_deref()
            .is_none_or(|p| ["West", "North", "East", "South", "Southwest"].contains(&p))
    }));
}

// ---------------------------------------------------------------------------------------------
// Seattle call data (CAD)

#[test]
fn seattle_call_data_portal_columns() {
    let Some(path) = data("seattle-call-data-samples/db_call_data_2018-2023.csv") else {
        return;
    };
    let (s, out) = import("seattle-call-data", &path);
    assert_eq!((s.counts.received, s.counts.accepted, s.counts.rejected, s.encounters), (222, 222, 0, 222));
    assert!(s.unknown_codes.is_empty(), "{:?}", s.unknown_codes);
    let m = by_key(&out);

    // Line 119: a suicidal-person call (telephone, priority 2) that closed as a crisis complaint.
    let e = m["2021000291990"];
    assert_eq!(e.call_number.as_deref(), Some("2021000291990"));
    assert_eq!(e.initial_call_type.as_deref(), Some("SUICIDE - SUICIDAL PERSON AND ATTEMPTS"));
    assert_eq!(
        e.final_call_type.as_deref(),
        Some("CRISIS COMPLAINT - GENERAL"),
        "the `--` prefix is removed"
    );
    assert_eq!((e.mh_recognised_at_dispatch, e.mental_health_flag), (Some(true), Some(true)));
    assert_eq!(e.call_source, CallSource::NonEmergency);
    assert_eq!(e.priority.as_deref(), Some("2"));
    assert_eq!(e.disposition, Disposition::ResolvedOnScene);
    assert_eq!((e.arrested, e.cited), (Some(false), Some(false)));
    assert_eq!(e.occurred_on, day(2021, 11, 3));
    assert_eq!(e.reported_at, Some(at(2021, 11, 3, 11, 56, 59)));
    assert_eq!(e.arrived_at, Some(at(2021, 11, 3, 12, 56, 45)));
    assert_eq!(
        (e.area.precinct.as_deref(), e.area.sector.as_deref(), e.area.beat.as_deref()),
        (Some("EAST"), Some("CHARLIE"), Some("C3"))
    );
    assert_eq!((e.area.latitude, e.area.longitude), (Some(47.61703719), Some(-122.2845855)));
    // Line 125: dispatched as a suspicious person, closed as a crisis complaint (not recognised).
    let e = m["2018000484641"];
    assert_eq!((e.mh_recognised_at_dispatch, e.mental_health_flag), (Some(false), Some(true)));
    // Line 50: an arrest.
    let e = m["2019000068304"];
    assert_eq!((e.disposition, e.arrested), (Disposition::Arrest, Some(true)));
    assert_eq!(e.call_source, CallSource::Emergency911);

    let disp = count(&out, |e| e.disposition);
    assert_eq!(
        disp,
        BTreeMap::from([
            (Disposition::ResolvedOnScene, 122),
            (Disposition::Arrest, 9),
            (Disposition::Citation, 8),
            (Disposition::NoActionPossible, 51),
            (Disposition::UnableToLocate, 24),
            (Disposition::Other, 8),
        ])
    );
    let src = count(&out, |e| e.call_source);
    assert_eq!(
        src,
        BTreeMap::from([
            (CallSource::Emergency911, 107),
            (CallSource::NonEmergency, 66),
            (CallSource::OfficerInitiated, 13),
            (CallSource::Other, 36)
        ])
    );
    assert_eq!(out.iter().filter(|e| e.mh_recognised_at_dispatch == Some(true)).count(), 5);
    assert_eq!(out.iter().filter(|e| e.mental_health_flag == Some(true)).count(), 8);
    assert_eq!(out.iter().filter(|e| e.arrived_at.is_none()).count(), 36);
    assert!(out.iter().all(|e| !e.final_call_type.as_deref().unwrap_or("").starts_with("--")));
}

#[test]
fn seattle_call_data_r_exports() {
    let files = [
        ("seattle-call-data-samples/potential_db_calls_2010-2023.csv", 1_031, 8, 13),
        ("seattle-call-data-samples/potential_mad_beach_calls_2010-2023.csv", 2_706, 68, 96),
        ("seattle-call-data-samples/potential_madrona_calls_2010-2023.csv", 446, 5, 14),
    ];
    for (rel, rows, recognised, flagged) in files {
        let Some(path) = data(rel) else { return };
        let (s, out) = import("seattle-call-data-r", &path);
        assert_eq!((s.counts.received, s.counts.accepted, s.counts.rejected, s.encounters), (rows, rows, 0, rows), "{rel}");
        assert!(s.unknown_codes.is_empty(), "{rel}: {:?}", s.unknown_codes);
        assert!(
            out.iter()
                .all(|e| e.date_precision == DatePrecision::Day && e.occurred_time.is_none())
        );
        assert_eq!(
            out.iter().filter(|e| e.mh_recognised_at_dispatch == Some(true)).count(),
            recognised,
            "{rel}"
        );
        assert_eq!(out.iter().filter(|e| e.mental_health_flag == Some(true)).count(), flagged, "{rel}");
    }
    // potential_db line 2: 2024000109132, 2024-04-22, a behavioral-crisis call closed as a
    // disturbance, assistance rendered.
    let Some(path) = data("seattle-call-data-samples/potential_db_calls_2010-2023.csv") else {
        return;
    };
    let (_, out) = import("seattle-call-data-r", &path);
    let m = by_key(&out);
    let e = m["2024000109132"];
    assert_eq!(e.occurred_on, day(2024, 4, 22));
    assert_eq!(e.initial_call_type.as_deref(), Some("PERSON IN BEHAVIORAL/EMOTIONAL CRISIS"));
    assert_eq!(e.final_call_type.as_deref(), Some("DISTURBANCE - OTHER"));
    assert_eq!((e.mh_recognised_at_dispatch, e.mental_health_flag), (Some(true), Some(false)));
    assert_eq!(
        (e.disposition, e.call_source, e.priority.as_deref()),
        (Disposition::ResolvedOnScene, CallSource::Emergency911, Some("3"))
    );
    assert_eq!((e.area.latitude, e.area.longitude), (Some(47.62005728), Some(-122.28099815)));
}

/// The portal export and the R export share 68 CAD events; with the `--` prefix removed they agree
/// on every field both formats have, so the same event is the same encounter.
#[test]
fn seattle_call_data_both_exports_agree_on_shared_events() {
    let (Some(portal), Some(r)) = (
        data("seattle-call-data-samples/db_call_data_2018-2023.csv"),
        data("seattle-call-data-samples/potential_db_calls_2010-2023.csv"),
    ) else {
        return;
    };
    let (_, a) = import("seattle-call-data", &portal);
    let (_, b) = import("seattle-call-data-r", &r);
    let b = by_key(&b);
    let mut shared = 0;
    for e in &a {
        let Some(o) = b.get(e.source_key.as_str()) else { continue };
        shared += 1;
        assert_eq!(e.source_system, o.source_system);
        assert_eq!(e.occurred_on, o.occurred_on, "{}", e.source_key);
        assert_eq!(
            (&e.initial_call_type, &e.final_call_type, e.disposition, e.call_source, &e.priority),
            (&o.initial_call_type, &o.final_call_type, o.disposition, o.call_source, &o.priority),
            "{}",
            e.source_key
        );
        assert_eq!(
            (e.mh_recognised_at_dispatch, e.mental_health_flag),
            (o.mh_recognised_at_dispatch, o.mental_health_flag)
        );
    }
    assert_eq!(shared, 68);
}

// ---------------------------------------------------------------------------------------------
// Seattle crisis data (a fixture in the export's exact shape: the real file is only a header)

#[test]
fn seattle_crisis_header_matches_the_mapping() {
    let Some(path) = data("seattle-crisis-data-header/2021_05_17_crisis_data_TRUNCATED_sample.csv") else {
        return;
    };
    // The sample holds one good row and one truncated at field 13, whose open quote swallows the
    // rest of the file (the `TRUNCATED` marker).
    let (s, out) = import("seattle-crisis", &path);
    assert_eq!((s.counts.received, s.counts.accepted, s.counts.rejected, s.encounters), (2, 1, 1, 1));
    assert_eq!(s.first_rejects[0].line, 3);
    assert!(
        s.first_rejects[0].reason.contains("the row has 13 fields, the header has 25"),
        "{}",
        s.first_rejects[0].reason
    );
    let e = &out[0];
    assert_eq!(e.source_key, "78352");
    assert_eq!(e.disposition, Disposition::VoluntaryTransport);
    assert_eq!(e.area.beat.as_deref(), Some("U2"));
}

#[test]
fn seattle_crisis_fixture() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seattle_crisis_sample.csv");
    let (s, out) = import("seattle-crisis", &path);
    assert_eq!((s.counts.received, s.counts.accepted, s.counts.rejected, s.encounters), (20, 20, 0, 17));
    // The one disposition the mapping does not know is counted (and mapped to `other`).
    assert_eq!(s.unknown_codes.len(), 1, "{:?}", s.unknown_codes);
    assert_eq!(
        (
            s.unknown_codes[0].field.as_str(),
            s.unknown_codes[0].value.as_str(),
            s.unknown_codes[0].count
        ),
        ("disposition", "Welfare Check Completed", 1)
    );
    let m = by_key(&out);
    assert!(out.iter().all(|e| e.mental_health_flag == Some(true)));

    // A row in the portal's shape (invented values): placeholder reported date, trailing spaces,
    // CIT officer arrived.
    let e = m["900017"];
    assert_eq!(e.occurred_at(), Some(at(2015, 9, 2, 14, 10, 37)));
    assert_eq!(e.source_updated_at, None, "1900-01-01 is a placeholder");
    assert_eq!(e.reported_at, None);
    assert_eq!(
        (e.disposition, e.arrested, e.involuntary_hold),
        (Disposition::VoluntaryTransport, Some(false), Some(false))
    );
    assert_eq!(e.call_source, CallSource::Emergency911);
    assert_eq!(e.final_call_type.as_deref(), Some("CRISIS COMPLAINT - GENERAL"));
    assert_eq!(e.mh_recognised_at_dispatch, Some(true));
    assert_eq!(
        (e.cit_requested, e.cit_dispatched, e.cit_arrived),
        (Some(false), Some(false), Some(true))
    );
    assert_eq!(e.response_model, ResponseModel::Cit);
    assert_eq!((e.use_of_force, e.veteran), (UseOfForce::None, Some(false)));
    assert_eq!(e.officers.len(), 1);
    assert_eq!(
        (
            e.officers[0].id.as_deref(),
            e.officers[0].years_experience,
            e.officers[0].cit_certified
        ),
        (Some("9017"), None, Some(false))
    );
    assert_eq!(
        (e.area.precinct.as_deref(), e.area.sector.as_deref(), e.area.beat.as_deref()),
        (Some("North"), Some("UNION"), Some("U2"))
    );

    // Two dispositions of one template (invented values): the most severe (a referral over no
    // action) and the referral.
    let e = m["900052"];
    assert_eq!(e.disposition, Disposition::Referral);
    assert_eq!(e.referrals.len(), 1);
    assert_eq!(
        (e.referrals[0].service_type, e.referrals[0].result),
        (ServiceType::MobileCrisis, ReferralResult::Made)
    );
    assert_eq!(e.mh_recognised_at_dispatch, Some(false));
    assert_eq!(e.response_model, ResponseModel::Unknown);
    assert_eq!((officer_ids(e), e.officers[0].years_experience), (vec!["8052"], Some(8)));

    // Emergent detention + resources declined; force "Y " on one row; a real reported date.
    let e = m["400001"];
    assert_eq!(
        (e.disposition, e.involuntary_hold, e.arrested),
        (Disposition::InvoluntaryHold, Some(true), Some(false))
    );
    assert_eq!(e.use_of_force, UseOfForce::Level1);
    assert_eq!(e.source_updated_at, Some(at(2018, 3, 6, 0, 0, 0)));
    assert_eq!(
        (e.cit_requested, e.cit_dispatched, e.cit_arrived),
        (Some(true), Some(true), Some(true))
    );
    assert_eq!(e.officers[0].cit_certified, Some(true));

    let e = m["400002"];
    assert_eq!(
        (e.disposition, e.arrested, e.call_source),
        (Disposition::Arrest, Some(true), CallSource::OfficerInitiated)
    );
    assert_eq!(e.final_call_type.as_deref(), Some("ASSAULTS - HARASSMENT, THREATS"));
    assert_eq!(m["400003"].disposition, Disposition::Other, "Chronic Complaint");
    assert_eq!(m["400003"].call_source, CallSource::NonEmergency);

    let referral = |k: &str| {
        let e = m[k];
        assert_eq!(e.referrals.len(), 1, "{k}");
        (e.disposition, e.referrals[0].service_type)
    };
    assert_eq!(referral("400004"), (Disposition::Referral, ServiceType::Housing));
    assert_eq!(m["400004"].veteran, Some(true));
    assert_eq!(referral("400005"), (Disposition::Referral, ServiceType::Line988));
    assert_eq!(referral("400006"), (Disposition::Referral, ServiceType::CaseManagement));
    assert_eq!(referral("400007"), (Disposition::Referral, ServiceType::Other));
    assert_eq!(referral("400008"), (Disposition::Referral, ServiceType::Other));
    assert_eq!(referral("400009"), (Disposition::Referral, ServiceType::SubstanceUseTreatment));
    assert_eq!(referral("400012"), (Disposition::VoluntaryTransport, ServiceType::CrisisCentre));
    assert_eq!(referral("400013"), (Disposition::Referral, ServiceType::CrisisCentre));
    assert_eq!(m["400005"].officers[0].years_experience, Some(0));

    let e = m["400010"];
    assert_eq!(e.disposition, Disposition::UnableToLocate);
    assert_eq!(
        (e.area.precinct.as_deref(), e.area.sector.as_deref(), e.area.beat.as_deref()),
        (None, None, None)
    );

    // Arrest and voluntary committal by two officers: arrest, both officers.
    let e = m["400011"];
    assert_eq!((e.disposition, e.arrested), (Disposition::Arrest, Some(true)));
    assert_eq!(officer_ids(e), vec!["1001", "1002"]);
    assert_eq!(
        e.officers.iter().map(|o| (o.years_experience, o.cit_certified)).collect::<Vec<_>>(),
        vec![(Some(20), Some(true)), (Some(4), Some(false))]
    );

    // "N/A" is no disposition; text to 911 is a 911 call.
    let e = m["400014"];
    assert_eq!(
        (e.disposition, e.arrested, e.call_source, e.veteran),
        (Disposition::Unknown, None, CallSource::Emergency911, Some(true))
    );
    let e = m["400015"];
    assert_eq!(e.disposition, Disposition::Other);
    assert_eq!(
        (e.area.precinct.as_deref(), e.area.sector.as_deref(), e.area.beat.as_deref()),
        (None, None, None)
    );
}
