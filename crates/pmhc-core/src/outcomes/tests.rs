//! Tests of the outcome engine against direct, independent computations.

use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;

use super::*;
use crate::codes::*;
use crate::definition::{Period, Periods, SharedDefinition};
use crate::encounter::{Encounter, Referral};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[derive(Debug, Clone)]
struct Spec {
    day: u32,
    month_only: bool,
    precinct: u8,
    subject: Option<u8>,
    mh: bool,
    arrested: Option<bool>,
    force: u8,
    race: u8,
    referral: Option<u8>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u32..730,
        prop::bool::weighted(0.15),
        0u8..4,
        prop::option::weighted(0.8, 0u8..25),
        prop::bool::weighted(0.85),
        prop::option::of(any::<bool>()),
        0u8..6,
        0u8..10,
        prop::option::weighted(0.3, 0u8..8),
    )
        .prop_map(|(day, month_only, precinct, subject, mh, arrested, force, race, referral)| Spec {
            day,
            month_only,
            precinct,
            subject,
            mh,
            arrested,
            force,
            race,
            referral,
        })
}

fn encounter(i: usize, s: &Spec) -> Encounter {
    let mut date = d(2021, 1, 1) + chrono::Days::new(u64::from(s.day));
    let mut e = Encounter::new("t", format!("k{i}"), date);
    if s.month_only {
        date = d(date.year(), date.month(), 1);
        e.occurred_on = date;
        e.date_precision = DatePrecision::Month;
    }
    e.area.precinct = (s.precinct > 0).then(|| format!("P{}", s.precinct));
    e.subject_key = s.subject.map(|p| format!("p-{p}"));
    e.mental_health_flag = Some(s.mh);
    e.arrested = s.arrested;
    e.use_of_force = UseOfForce::ALL[usize::from(s.force)];
    e.race_ethnicity = RaceEthnicity::ALL[usize::from(s.race)];
    if let Some(r) = s.referral {
        e.referrals.push(Referral {
            service_type: ServiceType::CrisisCentre,
            service: None,
            result: ReferralResult::ALL[usize::from(r)],
        });
    }
    e
}

fn data(specs: &[Spec]) -> OutcomeData {
    let mut data = OutcomeData::new();
    for (i, s) in specs.iter().enumerate() {
        data.push_encounter(&encounter(i, s));
    }
    data
}

/// The period rule, written independently: a date known to the day is in the period when the day
/// is; a date known to the month only when the whole month is.
fn in_period(e: &Encounter, p: &Period) -> bool {
    match e.date_precision {
        DatePrecision::Month => {
            let first = d(e.occurred_on.year(), e.occurred_on.month(), 1);
            let last = first.checked_add_months(chrono::Months::new(1)).unwrap().pred_opt().unwrap();
            p.from <= first && last <= p.to
        }
        _ => p.contains(e.occurred_on),
    }
}

fn period_strategy() -> impl Strategy<Value = Period> {
    (0u32..700, 1u32..400).prop_map(|(a, len)| {
        let from = d(2021, 1, 1) + chrono::Days::new(u64::from(a));
        Period { from, to: from + chrono::Days::new(u64::from(len)) }
    })
}

fn request(b: Period, c: Period) -> ReportRequest {
    ReportRequest { periods: Periods { baseline: b, comparison: c }, breakdowns: Dimension::ALL.to_vec(), monthly: true }
}

fn dref() -> DefinitionRef {
    DefinitionRef::new(1, &SharedDefinition::default())
}

fn proportion(v: Option<&MeasureValue>) -> Option<(u64, u64)> {
    v.and_then(|v| v.fraction())
}

/// Brute-force repeat rule: k encounters within w days, all inside the period.
fn oracle_repeat(encounters: &[Encounter], p: &Period, k: usize, w: i64) -> (u64, u64) {
    let mut by: std::collections::BTreeMap<&str, Vec<NaiveDate>> = Default::default();
    for e in encounters {
        if e.mental_health_flag == Some(true)
            && in_period(e, p)
            && let Some(s) = &e.subject_key
        {
            by.entry(s).or_default().push(e.occurred_on);
        }
    }
    let people = by.len() as u64;
    let mut repeat = 0;
    for dates in by.values_mut() {
        dates.sort();
        let mut meets = false;
        for i in 0..dates.len() {
            for j in i + 1..dates.len() {
                if j - i + 1 >= k && (dates[j] - dates[i]).num_days() <= w {
                    meets = true;
                }
            }
        }
        repeat += u64::from(meets);
    }
    (people, repeat)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn counts_match_a_direct_computation(specs in prop::collection::vec(spec(), 0..160), b in period_strategy(), c in period_strategy(), k in 2u32..4, w in 1u32..200) {
        let encounters: Vec<Encounter> = specs.iter().enumerate().map(|(i, s)| encounter(i, s)).collect();
        let data = data(&specs);
        let mut def = SharedDefinition::default();
        def.repeat.min_encounters = k;
        def.repeat.window_days = w;
        let index = OutcomeIndex::build(&data, &def, &OutcomeFilter::default());
        let report = index.report(DefinitionRef::new(1, &def), &request(b, c));
        for (p, pr) in [(b, &report.periods.baseline), (c, &report.periods.comparison)] {
            let inside: Vec<&Encounter> = encounters.iter().filter(|e| in_period(e, &p)).collect();
            let mh: Vec<&&Encounter> = inside.iter().filter(|e| e.mental_health_flag == Some(true)).collect();
            prop_assert_eq!(pr.all_encounters, Some(inside.len() as u64));
            prop_assert_eq!(pr.encounters, Some(mh.len() as u64));
            let arrests = mh.iter().filter(|e| e.arrested == Some(true)).count() as u64;
            let known = mh.iter().filter(|e| e.arrested.is_some()).count() as u64;
            if known > 0 {
                prop_assert_eq!(proportion(pr.measures.get(Measure::Arrest)), Some((arrests, known)));
            } else {
                let not_measurable = matches!(pr.measures.get(Measure::Arrest), Some(MeasureValue::NotMeasurable { .. }));
                prop_assert!(not_measurable);
            }
            let force = mh.iter().filter(|e| e.use_of_force.any_force() == Some(true)).count() as u64;
            let force_known = mh.iter().filter(|e| e.use_of_force != UseOfForce::Unknown).count() as u64;
            if force_known > 0 {
                prop_assert_eq!(proportion(pr.measures.get(Measure::AnyForce)), Some((force, force_known)));
            }
            let confirmed = mh.iter().filter(|e| e.referrals.iter().any(|r| matches!(r.result, ReferralResult::Accepted | ReferralResult::Connected))).count() as u64;
            let with_result = mh.iter().filter(|e| e.referrals.iter().any(|r| r.result != ReferralResult::Unknown)).count() as u64;
            if with_result > 0 {
                prop_assert_eq!(proportion(pr.measures.get(Measure::ConfirmedConnection)), Some((confirmed, with_result)));
            }
            let (people, repeat) = oracle_repeat(&encounters, &p, k as usize, i64::from(w));
            if people > 0 {
                prop_assert_eq!(proportion(pr.measures.get(Measure::RepeatPeople)), Some((repeat, people)));
                // The case-management list is a second implementation of the same rule.
                let list = repeat_people(&data, &def, &OutcomeFilter::default(), &p);
                prop_assert_eq!(list.len() as u64, repeat);
            } else {
                let not_measurable = matches!(pr.measures.get(Measure::RepeatPeople), Some(MeasureValue::NotMeasurable { .. }));
                prop_assert!(not_measurable);
            }
        }
        // Every breakdown adds up to the total, in both periods and for every measure.
        for bd in &report.breakdowns {
            for (total, side) in [(&report.periods.baseline, 0), (&report.periods.comparison, 1)] {
                let sum: u64 = bd.groups.iter().map(|g| {
                    let v = if side == 0 { &g.baseline } else { &g.comparison };
                    match v.get(Measure::Encounters) { Some(MeasureValue::Count { count: Some(c), .. }) => *c, _ => 0 }
                }).sum();
                prop_assert_eq!(Some(sum), total.encounters, "breakdown {:?}", bd.by);
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_row_order(specs in prop::collection::vec(spec(), 0..120), b in period_strategy(), c in period_strategy(), seed in any::<u64>()) {
        let data1 = data(&specs);
        let mut shuffled = specs.clone();
        // A deterministic shuffle from the seed.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let data2 = data(&shuffled);
        let def = SharedDefinition::default();
        let r1 = OutcomeIndex::build(&data1, &def, &OutcomeFilter::default()).report(dref(), &request(b, c));
        let r2 = OutcomeIndex::build(&data2, &def, &OutcomeFilter::default()).report(dref(), &request(b, c));
        // Group order follows names, so the whole report is identical.
        prop_assert_eq!(serde_json::to_string(&r1).unwrap(), serde_json::to_string(&r2).unwrap());
    }

    #[test]
    fn areas_add_up_to_the_whole(specs in prop::collection::vec(spec(), 0..120), b in period_strategy()) {
        let data = data(&specs);
        let def = SharedDefinition::default();
        let whole = OutcomeIndex::build(&data, &def, &OutcomeFilter::default()).report(dref(), &request(b, b));
        let mut sum = 0;
        let mut arrests = 0;
        for p in 0..4 {
            let filter = OutcomeFilter { precinct: (p > 0).then(|| format!("P{p}")), ..Default::default() };
            let index = OutcomeIndex::build(&data, &def, &filter);
            let r = index.report(dref(), &request(b, b));
            if p == 0 {
                continue; // the unfiltered report again
            }
            sum += r.periods.baseline.encounters.unwrap();
            arrests += proportion(r.periods.baseline.measures.get(Measure::Arrest)).map_or(0, |x| x.0);
        }
        // Records with no precinct are the remainder.
        let none = specs.iter().enumerate().filter(|(i, s)| s.precinct == 0 && s.mh && in_period(&encounter(*i, s), &b)).count() as u64;
        prop_assert_eq!(sum + none, whole.periods.baseline.encounters.unwrap());
        let none_arrests = specs.iter().enumerate().filter(|(i, s)| s.precinct == 0 && s.mh && s.arrested == Some(true) && in_period(&encounter(*i, s), &b)).count() as u64;
        prop_assert_eq!(arrests + none_arrests, proportion(whole.periods.baseline.measures.get(Measure::Arrest)).map_or(0, |x| x.0));
    }
}

proptest! {
    // Each case solves two disclosure problems of up to a few thousand cells with linear
    // programmes: fewer cases than the cheap properties.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn public_mode_never_shows_a_small_count(specs in prop::collection::vec(spec(), 0..200), b in period_strategy(), c in period_strategy()) {
        let data = data(&specs);
        let def = SharedDefinition::default();
        let mut report = OutcomeIndex::build(&data, &def, &OutcomeFilter::default()).report(dref(), &request(b, c));
        // The attacker recovers no suppressed count from what the report shows.
        let (problem, suppression) = disclosure_audit(&report);
        prop_assert!(crate::disclosure::derivable(&problem, &suppression).is_empty());
        make_public(&mut report);
        let json = serde_json::to_value(&report).unwrap();
        let mut bad = Vec::new();
        small_counts(&json, "", &mut bad);
        prop_assert!(bad.is_empty(), "small counts shown: {:?}", bad);
    }
}

/// Every count field (numerator, denominator, count, n, people, encounters, all_encounters) with a
/// value of 1 to 10.
fn small_counts(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                let p = format!("{path}/{k}");
                if matches!(k.as_str(), "numerator" | "denominator" | "count" | "n" | "people" | "encounters" | "all_encounters")
                    && x.as_u64().is_some_and(|c| (1..=PUBLIC_THRESHOLD).contains(&c))
                {
                    out.push(p.clone());
                }
                small_counts(x, &p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                small_counts(x, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn a_small_example_by_hand() {
    // Baseline 2021: 4 MH encounters, 2 arrests; comparison 2022: 4 MH encounters, 1 arrest.
    let mut data = OutcomeData::new();
    let rows = [
        (d(2021, 3, 1), Some(true), Some("a")),
        (d(2021, 4, 1), Some(true), Some("a")),
        (d(2021, 5, 1), Some(false), Some("b")),
        (d(2021, 12, 31), None, None),
        (d(2022, 1, 1), Some(false), Some("a")),
        (d(2022, 6, 1), Some(true), Some("c")),
        (d(2022, 12, 1), Some(false), Some("c")),
        (d(2022, 12, 31), Some(false), Some("d")),
    ];
    for (i, (date, arrested, subject)) in rows.iter().enumerate() {
        let mut e = Encounter::new("t", format!("{i}"), *date);
        e.mental_health_flag = Some(true);
        e.arrested = *arrested;
        e.subject_key = subject.map(String::from);
        data.push_encounter(&e);
    }
    let mut other = Encounter::new("t", "x", d(2021, 6, 1));
    other.mental_health_flag = Some(false);
    data.push_encounter(&other);
    let index = OutcomeIndex::build(&data, &SharedDefinition::default(), &OutcomeFilter::default());
    let b = Period::parse("2021-01-01..2021-12-31").unwrap();
    let c = Period::parse("2022-01-01..2022-12-31").unwrap();
    let r = index.report(dref(), &request(b, c));
    assert_eq!(r.periods.baseline.encounters, Some(4));
    assert_eq!(r.periods.baseline.all_encounters, Some(5));
    assert_eq!(proportion(r.periods.baseline.measures.get(Measure::Arrest)), Some((2, 3)));
    assert_eq!(proportion(r.periods.comparison.measures.get(Measure::Arrest)), Some((1, 4)));
    // Person a: 2021-03-01 and 2021-04-01 (31 days) repeat in 2021; the 2022 one is alone.
    assert_eq!(proportion(r.periods.baseline.measures.get(Measure::RepeatPeople)), Some((1, 2)));
    // Person c: 2022-06-01 and 2022-12-01 are 183 days apart: not a repeat under 90 days.
    assert_eq!(proportion(r.periods.comparison.measures.get(Measure::RepeatPeople)), Some((0, 3)));
    let ch = r.changes.get(Measure::Arrest).unwrap();
    assert!(ch.sentence.starts_with("Arrests fell from 66.7% to 25.0%"), "{}", ch.sentence);
    assert!(ch.absolute_ci95.is_some());
    // Force is never recorded: not measurable, and the change says so.
    assert!(matches!(r.periods.baseline.measures.get(Measure::AnyForce), Some(MeasureValue::NotMeasurable { .. })));
    assert!(r.changes.get(Measure::AnyForce).unwrap().sentence.contains("not measurable"));
    assert_eq!(r.monthly.len(), 24);
    assert_eq!(r.monthly[2].encounters, Some(1));
}

#[test]
fn without_person_keys_repeat_is_not_measurable() {
    let mut data = OutcomeData::new();
    for i in 0..5 {
        let mut e = Encounter::new("t", format!("{i}"), d(2021, 1, 1 + i));
        e.mental_health_flag = Some(true);
        data.push_encounter(&e);
    }
    let index = OutcomeIndex::build(&data, &SharedDefinition::default(), &OutcomeFilter::default());
    let p = Period::parse("2021-01-01..2021-01-31").unwrap();
    let r = index.report(dref(), &request(p, p));
    match r.periods.baseline.measures.get(Measure::RepeatPeople) {
        Some(MeasureValue::NotMeasurable { not_measurable }) => assert!(not_measurable.contains("person key")),
        other => panic!("{other:?}"),
    }
}

fn month_only_spec(day: u32) -> Spec {
    Spec { day, month_only: true, precinct: 1, subject: None, mh: true, arrested: Some(false), force: 1, race: 0, referral: None }
}

#[test]
fn a_period_cutting_a_month_of_month_precision_data_is_refused_with_whole_month_periods() {
    // Encounters dated only to the month, January to May 2021 (days 0..150).
    let specs: Vec<Spec> = (0..150).step_by(3).map(month_only_spec).collect();
    let index = OutcomeIndex::build(&data(&specs), &SharedDefinition::default(), &OutcomeFilter::default());
    let cut = Period::new(d(2021, 1, 15), d(2021, 5, 31)).unwrap();
    let e = index.check_precision(&cut).unwrap_err();
    assert_eq!(e.unit, "month");
    assert_eq!(e.cut, "2021-01");
    assert_eq!(e.inside, Some(Period::new(d(2021, 2, 1), d(2021, 5, 31)).unwrap()));
    assert_eq!(e.around, Period::new(d(2021, 1, 1), d(2021, 5, 31)).unwrap());
    let text = e.to_string();
    assert!(text.contains("2021-02-01..2021-05-31") && text.contains("2021-01-01..2021-05-31"), "{text}");
    // Whole months pass; so does a cut month that holds no month-precision encounter.
    index.check_precision(&Period::new(d(2021, 2, 1), d(2021, 5, 31)).unwrap()).unwrap();
    index.check_precision(&Period::new(d(2021, 2, 1), d(2021, 8, 15)).unwrap()).unwrap();
    // Day-precision data may be cut anywhere.
    let days: Vec<Spec> = (0..150).map(|day| Spec { month_only: false, ..month_only_spec(day) }).collect();
    let index = OutcomeIndex::build(&data(&days), &SharedDefinition::default(), &OutcomeFilter::default());
    index.check_precision(&cut).unwrap();
}

fn shown_numerator(r: &OutcomeReport, m: Measure) -> Option<u64> {
    match r.periods.baseline.measures.get(m) {
        Some(MeasureValue::Proportion { numerator, .. }) => *numerator,
        _ => None,
    }
}

/// Dallas, all encounters, baseline: level 3 was suppressed but 780 − 570 − 209 = 1 gave it away.
#[test]
fn force_levels_do_not_give_away_a_suppressed_level() {
    let mut specs = Vec::new();
    for (force, n) in [(3u8, 120), (4, 40), (5, 1), (1, 200), (2, 30)] {
        for _ in 0..n {
            specs.push(Spec { force, precinct: 1, ..month_only_spec(10) });
        }
    }
    let specs: Vec<Spec> = specs.into_iter().map(|s| Spec { month_only: false, ..s }).collect();
    let index = OutcomeIndex::build(&data(&specs), &SharedDefinition::default(), &OutcomeFilter::default());
    let p = Period::new(d(2021, 1, 1), d(2021, 12, 31)).unwrap();
    let mut r = index.report(dref(), &request(p, p));
    make_public(&mut r);
    let levels = [Measure::AnyForce, Measure::ForceLevel1, Measure::ForceLevel2, Measure::ForceLevel3].map(|m| shown_numerator(&r, m));
    assert_eq!(levels[3], None, "level 3 (1) is suppressed");
    assert!(levels[..3].iter().filter(|v| v.is_none()).count() >= 1, "any force = levels 1 + 2 + 3 must not give level 3 away: {levels:?}");
}

/// A note carrying counts that are suppressed is written again without them.
#[test]
fn a_note_does_not_reveal_suppressed_counts() {
    // Four mental-health encounters, two with a person key: "the 2 of 4 … that carry a person key".
    let specs: Vec<Spec> =
        (0..4).map(|i| Spec { subject: (i < 2).then_some(1), month_only: false, ..month_only_spec(10 + i) }).collect();
    let index = OutcomeIndex::build(&data(&specs), &SharedDefinition::default(), &OutcomeFilter::default());
    let p = Period::new(d(2021, 1, 1), d(2021, 12, 31)).unwrap();
    let mut r = index.report(dref(), &request(p, p));
    assert!(r.notes.iter().any(|n| n.contains("the 2 of 4")), "{:?}", r.notes);
    make_public(&mut r);
    let text = r.notes.join("\n");
    assert!(!text.contains("2 of 4"), "{text}");
    assert!(text.contains("repeat-encounter measures cover the mental-health encounters that carry a person key"), "{text}");
}

/// What ends a diversion: the new setting counts an emergency detention recorded in the
/// `involuntary_hold` field (Dallas's APOWW) and an emergency-department referral; a version saved
/// before the setting existed (its JSON has no `ended_by`) keeps the old rule exactly.
#[test]
fn diversion_ends_with_a_hold_by_field_or_disposition_under_new_definitions_only() {
    let mut data = OutcomeData::new();
    let kinds: [(Option<bool>, Option<bool>, Disposition, Option<ServiceType>, Option<bool>); 8] = [
        (Some(false), None, Disposition::Unknown, None, None),                    // diverted either way
        (Some(false), Some(true), Disposition::Unknown, None, None),              // hold by field
        (Some(false), None, Disposition::InvoluntaryHold, None, None),            // hold by disposition
        (Some(false), None, Disposition::Referral, Some(ServiceType::EmergencyDepartment), None), // ED
        (Some(false), None, Disposition::Referral, Some(ServiceType::CrisisCentre), None),        // diverted
        (Some(true), None, Disposition::Unknown, None, None),                     // arrested
        (None, Some(true), Disposition::Unknown, None, None),                     // outside the denominator
        (Some(false), None, Disposition::Citation, None, Some(true)),             // cited: diverted by default
    ];
    for (i, (arrested, hold, disposition, service, cited)) in kinds.iter().enumerate() {
        let mut e = Encounter::new("t", format!("{i}"), d(2021, 1, 1 + i as u32));
        e.mental_health_flag = Some(true);
        e.arrested = *arrested;
        e.involuntary_hold = *hold;
        e.disposition = *disposition;
        e.cited = *cited;
        if let Some(s) = service {
            e.referrals.push(Referral { service_type: *s, service: None, result: ReferralResult::Made });
        }
        data.push_encounter(&e);
    }
    let p = Period::parse("2021-01-01..2021-01-31").unwrap();
    let diversion = |def: &SharedDefinition| {
        let index = OutcomeIndex::build(&data, def, &OutcomeFilter::default());
        proportion(index.report(dref(), &request(p, p)).periods.baseline.measures.get(Measure::Diversion))
    };
    assert_eq!(diversion(&SharedDefinition::default()), Some((3, 7)));
    // As an older pmhc stored its default: no `ended_by`.
    let old_json = r#"{"name":"pmhc default definitions","diversion":{"excluded_dispositions":["arrest","involuntary_hold"],"excluded_service_types":["emergency_department"]}}"#;
    let old: SharedDefinition = serde_json::from_str(old_json).unwrap();
    assert_eq!(old.diversion, crate::definition::DiversionDefinition::before_ended_by());
    assert_eq!(diversion(&old), Some((4, 7)), "the hold recorded only in its field counted as a diversion before");
    // Saving it again as a new version brings the setting in.
    assert_eq!(diversion(&old.clone().for_new_version()), Some((3, 7)));
    // A citation ends a diversion when the workgroup says so.
    let mut def = SharedDefinition::default();
    def.diversion.ended_by.as_mut().unwrap().push(crate::definition::DiversionEnd::Citation);
    assert_eq!(diversion(&def), Some((2, 7)));
    // An arrest always ends one.
    def.diversion.ended_by = Some(vec![crate::definition::DiversionEnd::InvoluntaryHold]);
    assert!(def.validate().unwrap_err().to_string().contains("arrest"));
}

/// The wording the outside recomputation found misleading: "fell from 1.29 to 1.29 a day", a
/// relative change of −100% beside an interval that misses it, a zero-width interval for 100% in
/// both periods, and "+0.0 points, 95% CI −0.0 to +0.0".
#[test]
fn changes_are_worded_as_they_are_shown() {
    let mut data = OutcomeData::new();
    // January: 40 encounters (1.29 a day), 10 arrests; February: 36 (1.29 a day), none.
    for i in 0..76u32 {
        let (date, arrested) = if i < 40 { (d(2021, 1, 1 + i % 31), i < 10) } else { (d(2021, 2, 1 + i % 28), false) };
        let mut e = Encounter::new("t", format!("{i}"), date);
        e.mental_health_flag = Some(true);
        e.arrested = Some(arrested);
        e.involuntary_hold = Some(true);
        e.cited = Some(false);
        data.push_encounter(&e);
    }
    let index = OutcomeIndex::build(&data, &SharedDefinition::default(), &OutcomeFilter::default());
    let r = index.report(dref(), &request(Period::parse("2021-01-01..2021-01-31").unwrap(), Period::parse("2021-02-01..2021-02-28").unwrap()));
    let ch = |m| r.changes.get(m).unwrap();
    assert_eq!(ch(Measure::Encounters).sentence, "Mental-health encounters remained unchanged at 1.29 a day (\u{2212}0.4%, 95% CI \u{2212}36.5% to +56.3%).");
    let arrest = ch(Measure::Arrest);
    assert!(arrest.sentence.starts_with("Arrests fell from 25.0% to 0.0% of encounters"), "{}", arrest.sentence);
    assert_eq!((arrest.relative, arrest.relative_ci95), (None, None), "−100% is not estimable");
    assert!(arrest.significant, "the difference in points is: {}", arrest.sentence);
    let hold = ch(Measure::InvoluntaryHold);
    assert_eq!((hold.relative, hold.relative_ci95, hold.significant), (None, None, false));
    assert!(hold.sentence.starts_with("Involuntary holds / emergency detentions remained unchanged at 100.0% of"), "{}", hold.sentence);
    let cited = ch(Measure::Citation);
    assert!(cited.sentence.starts_with("Citations remained unchanged at 0.0% of"), "{}", cited.sentence);
    for (_, c) in r.changes.iter() {
        assert!(!c.sentence.contains("\u{2212}0.0") && !c.sentence.contains("+0.0") && !c.sentence.contains("-0.0"), "{}", c.sentence);
    }
}

/// Deterministic encounters over 2021–2022 (a small linear congruential generator).
fn varied_specs(n: usize, seed: u64) -> Vec<Spec> {
    let mut x = seed;
    let mut next = |m: u64| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((x >> 33) % m) as u8
    };
    (0..n)
        .map(|_| Spec {
            day: u32::from(next(240)) * 3 + u32::from(next(3)),
            month_only: false,
            precinct: next(4),
            subject: Some(next(60)),
            mh: next(10) < 9,
            arrested: Some(next(5) == 0),
            force: next(6),
            race: next(10),
            referral: (next(3) == 0).then(|| next(8)),
        })
        .collect()
}

fn release_of(specs: &[Spec], periods: (Period, Period), earlier: &[(usize, ReleaseCells)]) -> Result<ReleaseCells, ReleaseRefusal> {
    let index = OutcomeIndex::build(&data(specs), &SharedDefinition::default(), &OutcomeFilter::default());
    let mut r = index.report(dref(), &request(periods.0, periods.1));
    publish(&mut r, earlier)
}

fn years() -> (Period, Period) {
    (Period::new(d(2021, 1, 1), d(2021, 12, 31)).unwrap(), Period::new(d(2022, 1, 1), d(2022, 12, 31)).unwrap())
}

/// Re-publishing the same periods after late records arrived: released alone, the second release
/// gives the late records away (their counts are differences between the two); protected jointly
/// with the first, nothing of either, nor any small difference, can be worked out.
#[test]
fn a_republication_after_late_records_is_protected_jointly_with_the_first() {
    let first = varied_specs(900, 7);
    let a = release_of(&first, years(), &[]).unwrap();
    assert_eq!(recoverable_across(std::slice::from_ref(&a)), (vec![], vec![]));
    // Three late records in one precinct and month.
    let mut later = first.clone();
    later.extend((0..3).map(|i| Spec { day: 40 + i, precinct: 2, force: 1, race: 1, arrested: Some(true), referral: None, ..first[0].clone() }));
    let alone = release_of(&later, years(), &[]).unwrap();
    let leaked = recoverable_across(&[a.clone(), alone]);
    assert!(!leaked.0.is_empty(), "the attack this guards against must work on a release made alone");
    let joint = release_of(&later, years(), &[(1, a.clone())]).unwrap();
    assert_eq!(recoverable_across(&[a, joint]), (vec![], vec![]), "nothing exact, no range under 10 wide");
}

/// The Toronto attack: a Jan–May release and a Jan–Jun release would give June away; periods that
/// overlap without being equal are refused, and so are periods that cut a month.
#[test]
fn overlapping_periods_and_cut_months_are_refused() {
    let specs = varied_specs(600, 11);
    let may = Period::new(d(2021, 1, 1), d(2021, 5, 31)).unwrap();
    let june = Period::new(d(2021, 1, 1), d(2021, 6, 30)).unwrap();
    let later = Period::new(d(2022, 1, 1), d(2022, 12, 31)).unwrap();
    let a = release_of(&specs, (may, later), &[]).unwrap();
    match release_of(&specs, (june, later), &[(1, a.clone())]) {
        Err(ReleaseRefusal::PartialOverlap { new, earlier, release: 1 }) => assert_eq!((new, earlier), (june, may)),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The same periods again, and disjoint ones, are fine.
    assert!(release_of(&specs, (may, later), &[(1, a.clone())]).is_ok());
    let cut = Period::new(d(2021, 1, 15), d(2021, 5, 31)).unwrap();
    assert_eq!(release_of(&specs, (cut, later), &[]).unwrap_err(), ReleaseRefusal::NotWholeMonths(cut));
}
