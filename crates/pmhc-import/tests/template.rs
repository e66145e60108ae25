//! mappings/TEMPLATE.toml is a valid mapping and does what its comments say, on a fixture in its
//! example's shape.

use std::path::Path;

use pmhc_core::{
    AgeBand, CallSource, DatePrecision, Disposition, Encounter, Gender, RaceEthnicity, ReferralResult, ServiceType, UseOfForce,
};
use pmhc_import::{EngineOptions, MappingSpec, run};

#[test]
fn the_template_is_a_working_mapping() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("../../mappings/TEMPLATE.toml")).expect("TEMPLATE.toml");
    let spec = MappingSpec::from_toml(&text).expect("the template is valid");
    let mut out: Vec<Encounter> = Vec::new();
    let s = run(
        &root.join("tests/fixtures/template_example.csv"),
        &spec,
        EngineOptions::default(),
        &mut out,
    )
    .expect("runs");
    assert_eq!((s.counts.received, s.counts.accepted, s.counts.rejected, s.encounters), (3, 3, 0, 2));
    let unknown: Vec<(&str, &str)> = s.unknown_codes.iter().map(|u| (u.field.as_str(), u.value.as_str())).collect();
    assert_eq!(unknown, vec![("disposition", "XYZ"), ("race_ethnicity", "Q")]);

    // Rows 1001-A and 1001-B: one person, one incident (key extract), two officers.
    let e = out.iter().find(|e| e.source_key == "1001|P77").expect("merged encounter");
    assert_eq!(e.disposition, Disposition::InvoluntaryHold, "most severe of ED and RES");
    assert_eq!(
        (e.involuntary_hold, e.mental_health_flag, e.mh_recognised_at_dispatch, e.cit_arrived),
        (Some(true), Some(true), Some(true), Some(true))
    );
    assert_eq!(e.use_of_force, UseOfForce::Level2);
    assert_eq!(
        e.officers.iter().map(|o| (o.id.as_deref(), o.years_experience)).collect::<Vec<_>>(),
        vec![(Some("501"), Some(12)), (Some("502"), None)]
    );
    assert_eq!(
        (e.age_band, e.gender, e.race_ethnicity),
        (AgeBand::A25To34, Gender::Female, RaceEthnicity::Black)
    );
    assert_eq!(e.final_call_type.as_deref(), Some("CRISIS COMPLAINT"));
    assert_eq!(e.behaviours, vec!["agitated", "mobile crisis called"]);
    assert_eq!(e.referrals.len(), 1);
    assert_eq!(
        (e.referrals[0].service_type, e.referrals[0].result),
        (ServiceType::MobileCrisis, ReferralResult::Made)
    );
    assert_eq!(e.time_on_scene_minutes, Some(49));
    assert_eq!(e.subject_key.as_deref(), Some("P77"), "no pseudonym key in this run");

    // Row 1002: person 0 is a placeholder, keyed by incident and officer; no time, junk beat.
    let e = out.iter().find(|e| e.source_key == "~1002|503").expect("placeholder encounter");
    assert_eq!((e.date_precision, e.subject_key.as_deref()), (DatePrecision::Day, None));
    assert_eq!(
        (e.disposition, e.race_ethnicity, e.call_source),
        (Disposition::Other, RaceEthnicity::Other, CallSource::OfficerInitiated)
    );
    assert_eq!(
        (e.area.precinct.as_deref(), e.area.beat.as_deref(), e.age_band),
        (Some("South"), None, AgeBand::Unknown)
    );
    assert_eq!(e.mh_recognised_at_dispatch, Some(false));
}

/// What the template says of ages and of `unknown` as a pattern's value holds: an age is kept
/// only as its band (an impossible age rejects the row), and a pattern whose value is `unknown`
/// leaves the field unknown without listing the value as an unknown code.
#[test]
fn ages_become_bands_and_a_pattern_may_mean_unknown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read_to_string(root.join("../../mappings/TEMPLATE.toml")).expect("TEMPLATE.toml");
    assert!(template.contains("ONLY AS ITS AGE BAND") && template.contains("A pattern's `value` may be \"unknown\""));
    let spec = MappingSpec::from_toml(
        "[source]\nname = \"t\"\nsystem = \"t\"\n[key]\ncolumns = [\"id\"]\n[fields.occurred]\ncolumn = \"day\"\n\
         [fields.subject_age]\ncolumn = \"age\"\n[fields.gender]\ncolumn = \"sex\"\n\
         patterns = [{ regex = '^N/?A$', value = \"unknown\" }, { regex = '^F', value = \"female\" }]\n",
    )
    .expect("valid");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ages.csv");
    std::fs::write(&path, "id,day,age,sex\n1,2024-01-02,34,NA\n2,2024-01-02,131,Fem\n3,2024-01-02,17,F\n").expect("write");
    let mut out: Vec<Encounter> = Vec::new();
    let s = run(&path, &spec, EngineOptions::default(), &mut out).expect("runs");
    assert_eq!((s.counts.accepted, s.counts.rejected), (2, 1), "{:?}", s.first_rejects);
    assert!(s.first_rejects[0].reason.contains("131"), "{:?}", s.first_rejects);
    assert!(s.unknown_codes.is_empty(), "{:?}", s.unknown_codes);
    let by_key = |k: &str| out.iter().find(|e| e.source_key == k).expect("encounter");
    assert_eq!((by_key("1").age_band, by_key("1").gender), (AgeBand::A25To34, Gender::Unknown));
    assert_eq!((by_key("3").age_band, by_key("3").gender), (AgeBand::Under18, Gender::Female));
}
