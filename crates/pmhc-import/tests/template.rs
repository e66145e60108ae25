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
