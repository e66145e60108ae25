use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDateTime};
use pmhc_core::{
    AgeBand, CallSource, CodeList, Disposition, Gender, HousingStatus, RaceEthnicity, ReferralResult, ResponseModel,
    UseOfForce,
};

use super::*;

fn config(encounters: u64, seed: u64) -> DemoConfig {
    DemoConfig {
        encounters,
        seed,
        ..DemoConfig::default()
    }
}

/// 50,000 records of the default window, generated once for the rate tests.
fn sample() -> &'static [Encounter] {
    static SAMPLE: OnceLock<Vec<Encounter>> = OnceLock::new();
    SAMPLE.get_or_init(|| generate(&config(50_000, 2024)).collect())
}

fn share(records: &[&Encounter], f: impl Fn(&Encounter) -> bool) -> f64 {
    records.iter().filter(|e| f(e)).count() as f64 / records.len().max(1) as f64
}

fn all() -> Vec<&'static Encounter> {
    sample().iter().collect()
}

#[test]
fn same_seed_same_records_other_seed_other_records() {
    let a: Vec<_> = generate(&config(3_000, 7)).collect();
    let b: Vec<_> = generate(&config(3_000, 7)).collect();
    assert_eq!(a, b);
    let c: Vec<_> = generate(&config(3_000, 8)).collect();
    assert_ne!(a, c);
    let keys_a: HashSet<_> = a.iter().filter_map(|e| e.subject_key.clone()).collect();
    let keys_c: HashSet<_> = c.iter().filter_map(|e| e.subject_key.clone()).collect();
    assert!(keys_a.is_disjoint(&keys_c), "subject keys depend on the seed");
}

#[test]
fn exact_count_and_len() {
    for n in [0u64, 1, 2, 17, 1_000] {
        let g = generate(&config(n, 3));
        assert_eq!(g.len() as u64, n);
        assert_eq!(g.count() as u64, n);
    }
    let mut g = generate(&config(10, 3));
    g.next();
    assert_eq!(g.len(), 9);
}

#[test]
fn every_record_is_valid_and_normalized() {
    for e in sample() {
        assert_eq!(e.validate(), Ok(()), "{e:?}");
        let mut n = e.clone();
        n.normalize();
        assert_eq!(&n, e, "normalize() changed a record");
        assert_eq!(e.source_system, "demo-cad");
        assert_eq!(e.agency.as_deref(), Some(AGENCY));
        assert!(!e.officers.is_empty() && e.officers.len() <= 3);
        let ts = [e.reported_at, e.dispatched_at, e.arrived_at, e.cleared_at];
        assert!(ts.iter().all(Option::is_some));
        assert_eq!(e.occurred_at(), e.reported_at);
        let on_scene = (e.cleared_at.unwrap() - e.arrived_at.unwrap()).num_minutes();
        assert_eq!(i64::from(e.time_on_scene_minutes.unwrap()), on_scene);
    }
}

#[test]
fn keys_are_unique_and_well_formed() {
    let mut keys = HashSet::new();
    let mut calls = HashSet::new();
    for e in sample() {
        assert!(keys.insert(e.source_key.as_str()), "duplicate key {}", e.source_key);
        let c = e.call_number.as_deref().unwrap();
        assert!(calls.insert(c), "duplicate call number {c}");
        assert!(c.starts_with(&format!("DC{}", e.occurred_on.year())), "{c}");
        if let Some(k) = &e.subject_key {
            assert_eq!(k.len(), 26);
            assert!(k.starts_with("p-") && k[2..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        }
    }
}

#[test]
fn subject_keys_never_collide_across_people() {
    let g = generate(&config(1, 99));
    let keys: HashSet<_> = (0..200_000u64).map(|i| g.subject_key(i)).collect();
    assert_eq!(keys.len(), 200_000);
}

#[test]
fn records_are_in_occurrence_order_within_the_window() {
    let p = programme(&DemoConfig::default());
    assert_eq!(p.start, NaiveDate::from_ymd_opt(2019, 1, 1).unwrap());
    assert_eq!(p.end, NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
    assert_eq!(p.co_responder_launch, NaiveDate::from_ymd_opt(2021, 4, 1).unwrap());
    let mut prev = None;
    for e in sample() {
        let t = e.occurred_at().unwrap();
        assert!(prev <= Some(t));
        assert!(e.occurred_on >= p.start && e.occurred_on < p.end);
        prev = Some(t);
    }
}

#[test]
fn stable_demographics_per_person() {
    let mut seen: HashMap<&str, (AgeBand, Gender, RaceEthnicity, HousingStatus, Option<bool>)> = HashMap::new();
    for e in sample() {
        if let Some(k) = &e.subject_key {
            let d = (e.age_band, e.gender, e.race_ethnicity, e.housing_status, e.veteran);
            assert_eq!(*seen.entry(k).or_insert(d), d, "demographics changed for {k}");
        }
    }
}

#[test]
fn stable_officers() {
    let mut seen: HashMap<&str, u16> = HashMap::new();
    let mut certified_then_not: HashMap<&str, NaiveDate> = HashMap::new();
    for e in sample() {
        let years = e.occurred_on.year() as u16;
        for o in &e.officers {
            let id = o.id.as_deref().unwrap();
            // Experience grows by one a year (365 days) from a fixed base.
            let base = o.years_experience.unwrap() as i32
                - (e.occurred_on - NaiveDate::from_ymd_opt(2019, 1, 1).unwrap()).num_days() as i32 / 365;
            let base = base as u16;
            assert_eq!(*seen.entry(id).or_insert(base), base, "experience of {id} in {years}");
            if o.cit_certified == Some(true) {
                certified_then_not.entry(id).or_insert(e.occurred_on);
            } else if let Some(d) = certified_then_not.get(id) {
                panic!("officer {id} certified on {d} but not on {}", e.occurred_on);
            }
        }
    }
    assert!(seen.len() > 300 && seen.len() <= 370, "{} officers", seen.len());
}

#[test]
fn mobile_exclusions_name_the_right_call_types() {
    let names: Vec<_> = rates::MOBILE_EXCLUDED
        .iter()
        .map(|&i| rates::CALL_TYPES[i].name)
        .collect();
    assert_eq!(
        names,
        [
            "MENTAL HEALTH - INVOLUNTARY COMMITMENT",
            "ASSAULT",
            "DOMESTIC DISTURBANCE"
        ]
    );
    assert_eq!(
        rates::CALL_TYPES[rates::CRISIS].name,
        "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS"
    );
    assert!(rates::CALL_TYPES[..5].iter().all(|c| c.clear) && rates::CALL_TYPES[5..].iter().all(|c| !c.clear));
}

#[test]
fn sorted_lists() {
    assert!(rates::BEHAVIOURS.is_sorted());
    assert!(rates::FORCE_TYPES.is_sorted());
}

#[test]
fn rates_are_in_sane_bands() {
    let r = all();
    let n = r.len() as f64;
    let disp = |d: Disposition| share(&r, |e| e.disposition == d);
    let arrest = disp(Disposition::Arrest);
    let hold = disp(Disposition::InvoluntaryHold);
    let transport = disp(Disposition::VoluntaryTransport);
    let referral = disp(Disposition::Referral);
    let resolved = disp(Disposition::ResolvedOnScene);
    println!(
        "arrest {arrest:.3} hold {hold:.3} transport {transport:.3} referral {referral:.3} resolved {resolved:.3}"
    );
    assert!((0.03..0.08).contains(&arrest));
    assert!((0.10..0.20).contains(&hold));
    assert!((0.10..0.15).contains(&transport));
    assert!((0.15..0.30).contains(&referral));
    for d in Disposition::ALL {
        if *d != Disposition::Unknown {
            assert!(disp(*d) <= resolved, "{d} more common than resolved on scene");
        }
    }
    let utl = disp(Disposition::UnableToLocate);
    assert!((0.01..0.05).contains(&utl));
    assert!(share(&r, |e| e.disposition == Disposition::ArrestDiverted) > 0.01);

    let force = |f: UseOfForce| share(&r, |e| e.use_of_force == f);
    let any_force = share(&r, |e| e.use_of_force.any_force() == Some(true));
    println!(
        "force: restraint {:.4} l1 {:.4} l2 {:.4} l3 {:.5} any {any_force:.4}",
        force(UseOfForce::RestraintOnly),
        force(UseOfForce::Level1),
        force(UseOfForce::Level2),
        force(UseOfForce::Level3)
    );
    assert!((0.015..0.045).contains(&force(UseOfForce::Level1)));
    assert!((0.004..0.012).contains(&force(UseOfForce::Level2)));
    assert!(force(UseOfForce::Level3) < 0.002);
    assert!((0.02..0.06).contains(&force(UseOfForce::RestraintOnly)));
    assert!(
        r.iter()
            .all(|e| (e.use_of_force > UseOfForce::None) != e.force_types.is_empty())
    );

    let unhoused = share(&r, |e| e.housing_status == HousingStatus::Unhoused);
    let veteran = share(&r, |e| e.veteran == Some(true));
    let substance = share(&r, |e| e.substance_use == Some(true));
    let mh = share(&r, |e| e.mental_health_flag == Some(true));
    let recognised = share(&r, |e| e.mh_recognised_at_dispatch == Some(true));
    let s911 = share(&r, |e| e.call_source == CallSource::Emergency911);
    println!(
        "unhoused {unhoused:.3} veteran {veteran:.3} substance {substance:.3} mh {mh:.3} recognised {recognised:.3} 911 {s911:.3}"
    );
    assert!((0.15..0.25).contains(&unhoused));
    assert!((0.05..0.08).contains(&veteran));
    assert!((0.20..0.30).contains(&substance));
    assert!((0.95..1.0).contains(&mh));
    assert!((0.40..0.70).contains(&recognised));
    assert!((0.70..0.80).contains(&s911));

    let mut minutes: Vec<u32> = r.iter().filter_map(|e| e.time_on_scene_minutes).collect();
    minutes.sort_unstable();
    let median = minutes[minutes.len() / 2];
    println!("median time on scene {median} min over {n} records");
    assert!((40..=60).contains(&median));
    let median_of = |d: Disposition| {
        let mut m: Vec<u32> = r
            .iter()
            .filter(|e| e.disposition == d)
            .filter_map(|e| e.time_on_scene_minutes)
            .collect();
        m.sort_unstable();
        m[m.len() / 2]
    };
    assert!(median_of(Disposition::InvoluntaryHold) > median_of(Disposition::ResolvedOnScene));
    assert!(median_of(Disposition::VoluntaryTransport) > median_of(Disposition::ResolvedOnScene));

    // Recognised at dispatch follows the call type.
    let clear: HashSet<&str> = rates::CALL_TYPES.iter().filter(|c| c.clear).map(|c| c.name).collect();
    let (cl, gen_): (Vec<&Encounter>, Vec<&Encounter>) = r
        .iter()
        .filter(|e| e.mh_recognised_at_dispatch.is_some())
        .partition(|e| clear.contains(e.initial_call_type.as_deref().unwrap()));
    assert!(share(&cl, |e| e.mh_recognised_at_dispatch == Some(true)) > 0.8);
    assert!(share(&gen_, |e| e.mh_recognised_at_dispatch == Some(true)) < 0.2);
}

#[test]
fn consistency_of_flags() {
    for e in sample() {
        assert_eq!(e.arrested, Some(e.disposition == Disposition::Arrest));
        assert_eq!(e.cited, Some(e.disposition == Disposition::Citation));
        assert_eq!(e.involuntary_hold, Some(e.disposition == Disposition::InvoluntaryHold));
        let (req, dsp, arr) = (
            e.cit_requested.unwrap(),
            e.cit_dispatched.unwrap(),
            e.cit_arrived.unwrap(),
        );
        assert!(!arr || dsp, "arrived implies dispatched");
        assert!(!dsp || req, "dispatched implies requested");
        assert_eq!(arr, e.officers.iter().any(|o| o.cit_certified == Some(true)));
        match e.response_model {
            ResponseModel::Cit | ResponseModel::CoResponder => assert!(arr),
            ResponseModel::StandardPatrol => assert!(!arr),
            _ => {}
        }
        if matches!(
            e.response_model,
            ResponseModel::CoResponder | ResponseModel::MobileCrisis
        ) {
            assert_eq!(e.clinician_on_scene, Some(true));
        }
        if e.disposition == Disposition::Referral || e.disposition == Disposition::ResourceDeclined {
            assert!(!e.referrals.is_empty());
        }
        if e.disposition == Disposition::ResourceDeclined {
            assert!(e.referrals.iter().all(|r| r.result == ReferralResult::Declined));
        }
        if e.disposition == Disposition::UnableToLocate {
            assert!(e.subject_key.is_none() && e.use_of_force == UseOfForce::None && e.referrals.is_empty());
        }
        for w in e.referrals.windows(2) {
            assert_ne!(w[0], w[1]);
        }
        if e.call_source == CallSource::OfficerInitiated {
            assert_eq!(e.dispatched_at, e.reported_at);
        }
    }
}

#[test]
fn line_988_transfers_only_after_launch() {
    let launch = NaiveDate::from_ymd_opt(2022, 7, 16).unwrap();
    let r = all();
    assert!(
        r.iter()
            .filter(|e| e.call_source == CallSource::Transfer988)
            .all(|e| e.occurred_on >= launch)
    );
    let after: Vec<_> = r.iter().copied().filter(|e| e.occurred_on >= launch).collect();
    assert!(share(&after, |e| e.call_source == CallSource::Transfer988) > 0.02);
}

#[test]
fn repeat_people_are_skewed_and_clustered() {
    let mut per: HashMap<&str, Vec<NaiveDateTime>> = HashMap::new();
    for e in sample() {
        if let Some(k) = &e.subject_key {
            per.entry(k).or_default().push(e.occurred_at().unwrap());
        }
    }
    let people = per.len() as f64;
    let once = per.values().filter(|v| v.len() == 1).count() as f64 / people;
    let three = per.values().filter(|v| v.len() >= 3).count() as f64 / people;
    let ten = per.values().filter(|v| v.len() >= 10).count();
    let repeaters: Vec<_> = per.values().filter(|v| v.len() >= 2).collect();
    let within_90 = repeaters
        .iter()
        .filter(|v| v.windows(2).any(|w| (w[1] - w[0]).num_days() < 90))
        .count() as f64
        / repeaters.len() as f64;
    let max = per.values().map(Vec::len).max().unwrap();
    println!(
        "people {people}: once {once:.3}, 3+ {three:.3}, 10+ {ten}, max {max}, repeaters with 2 in 90 days {within_90:.3}"
    );
    assert!((0.68..0.78).contains(&once), "once {once}");
    assert!((0.07..0.14).contains(&three), "3+ {three}");
    assert!(ten >= 20, "10+ {ten}");
    assert!((0.35..0.75).contains(&within_90), "2 in 90 days {within_90}");
    // The first months already contain returning people (burn-in).
    let first_quarter: Vec<&Encounter> = sample()
        .iter()
        .filter(|e| e.occurred_on < NaiveDate::from_ymd_opt(2019, 4, 1).unwrap())
        .collect();
    let mut seen = HashSet::new();
    let repeats = first_quarter
        .iter()
        .filter(|e| e.subject_key.as_ref().is_some_and(|k| !seen.insert(k)))
        .count();
    assert!(repeats > 0);
}

#[test]
fn programme_effect_is_visible() {
    let r = all();
    let by = |m: ResponseModel| -> Vec<&Encounter> { r.iter().copied().filter(|e| e.response_model == m).collect() };
    let arrest = |v: &[&Encounter]| share(v, |e| e.disposition == Disposition::Arrest);
    let force = |v: &[&Encounter]| share(v, |e| e.use_of_force.any_force() == Some(true));
    let referral = |v: &[&Encounter]| share(v, |e| !e.referrals.is_empty());
    let (std_, cit, co) = (
        by(ResponseModel::StandardPatrol),
        by(ResponseModel::Cit),
        by(ResponseModel::CoResponder),
    );
    println!(
        "standard n={} arrest {:.3} force {:.3} referral {:.3}; cit n={} arrest {:.3} force {:.3}; co-responder n={} arrest {:.3} force {:.3} referral {:.3}",
        std_.len(),
        arrest(&std_),
        force(&std_),
        referral(&std_),
        cit.len(),
        arrest(&cit),
        force(&cit),
        co.len(),
        arrest(&co),
        force(&co),
        referral(&co)
    );
    assert!((0.05..0.085).contains(&arrest(&std_)));
    assert!(arrest(&std_) > arrest(&co) * 1.5);
    assert!(arrest(&std_) > arrest(&cit));
    assert!(force(&std_) > force(&co));
    assert!(referral(&co) > referral(&std_));

    let p = programme(&DemoConfig::default());
    let before: Vec<&Encounter> = r
        .iter()
        .copied()
        .filter(|e| e.occurred_on < p.co_responder_launch)
        .collect();
    let late: Vec<&Encounter> = r.iter().copied().filter(|e| e.occurred_on.year() >= 2023).collect();
    let specialised = |e: &Encounter| e.response_model != ResponseModel::StandardPatrol;
    println!(
        "specialised response before {:.3}, 2023+ {:.3}",
        share(&before, specialised),
        share(&late, specialised)
    );
    assert!(share(&late, specialised) > share(&before, specialised) + 0.2);
    assert!(before.iter().all(|e| e.response_model != ResponseModel::CoResponder));
    assert!(arrest(&late) < arrest(&before));
    // CIT certification rises after the launch.
    let certified = |v: &[&Encounter]| {
        let o: Vec<_> = v.iter().flat_map(|e| e.officers.iter()).collect();
        o.iter().filter(|o| o.cit_certified == Some(true)).count() as f64 / o.len() as f64
    };
    assert!(certified(&late) > certified(&before));
}

#[test]
fn areas_and_coordinates() {
    let mut beats: HashMap<&str, (&str, &str)> = HashMap::new();
    for e in sample() {
        let a = &e.area;
        let (p, s, b) = (
            a.precinct.as_deref().unwrap(),
            a.sector.as_deref().unwrap(),
            a.beat.as_deref().unwrap(),
        );
        assert!(b.starts_with(s));
        assert_eq!(*beats.entry(b).or_insert((p, s)), (p, s));
        let (lat, lon) = (a.latitude.unwrap(), a.longitude.unwrap());
        assert!(
            (38.29..38.61).contains(&lat) && (-97.81..-97.39).contains(&lon),
            "{lat} {lon}"
        );
    }
    assert_eq!(beats.len(), 45);
    let precincts: HashSet<_> = beats.values().map(|v| v.0).collect();
    assert_eq!(precincts.len(), 5);
}

#[test]
fn odd_windows_still_validate() {
    for (start, years) in [
        ((2098, 6, 1), 6),
        ((1850, 1, 1), 1),
        ((2020, 2, 29), 0),
        ((2019, 1, 1), 1),
    ] {
        let c = DemoConfig {
            encounters: 2_000,
            seed: 5,
            start: NaiveDate::from_ymd_opt(start.0, start.1, start.2).unwrap(),
            years,
            source_system: "x".into(),
        };
        let v: Vec<_> = generate(&c).collect();
        assert_eq!(v.len(), 2_000);
        assert!(v.iter().all(|e| e.validate().is_ok()));
    }
}

/// Repeat shares do not depend on the volume (run in release: 1 million records).
#[test]
#[ignore = "slow in debug; run in release"]
fn repeat_shares_at_scale() {
    let mut per: HashMap<String, u32> = HashMap::new();
    for e in generate(&config(1_000_000, 5)) {
        if let Some(k) = e.subject_key {
            *per.entry(k).or_default() += 1;
        }
    }
    let people = per.len() as f64;
    let once = per.values().filter(|&&v| v == 1).count() as f64 / people;
    let three = per.values().filter(|&&v| v >= 3).count() as f64 / people;
    let ten = per.values().filter(|&&v| v >= 10).count() as f64 / people;
    println!("1M records: {people} people, once {once:.3}, 3+ {three:.3}, 10+ {ten:.4}");
    assert!((0.68..0.78).contains(&once) && (0.07..0.14).contains(&three));
}

/// `cargo test -p pmhc-synth --release -- --ignored --nocapture`
///
/// Measures generation (including building and dropping every record), and separately the cost of
/// the record's own heap allocations (cloning and dropping records of the same shape), so that the
/// generator's own work per record can be read off as the difference.
#[test]
#[ignore = "performance measurement; run in release"]
fn speed() {
    use std::hint::black_box;
    use std::time::Instant;
    let n = 2_000_000u64;
    let t = Instant::now();
    let g = generate(&config(n, 11));
    let setup = t.elapsed();
    for e in g {
        black_box(&e);
    }
    let total = t.elapsed();
    let per = total.as_nanos() as f64 / n as f64;
    println!(
        "generate: {n} records in {total:.2?} (setup incl. burn-in {setup:.2?}): {:.0} records/s, {per:.0} ns/record",
        n as f64 / total.as_secs_f64()
    );
    let kept: Vec<Encounter> = generate(&config(200_000, 11)).collect();
    let t = Instant::now();
    for e in &kept {
        black_box(e.clone());
    }
    let alloc = t.elapsed().as_nanos() as f64 / kept.len() as f64;
    println!(
        "clone+drop of a record (its allocations): {alloc:.0} ns/record; generator work ≈ {:.0} ns/record",
        per - alloc
    );
}

/// A per-year summary of the default jurisdiction (`-- --ignored --nocapture summary_by_year`).
#[test]
#[ignore = "prints a table"]
fn summary_by_year() {
    let mut rows: std::collections::BTreeMap<i32, Vec<&Encounter>> = Default::default();
    for e in sample() {
        rows.entry(e.occurred_on.year()).or_default().push(e);
    }
    println!("year      n  standard   cit  co-resp  mobile  casemgmt  arrest  any-force  referral  cit-arrived");
    for (y, v) in rows {
        let m = |r: ResponseModel| share(&v, |e| e.response_model == r);
        println!(
            "{y} {:>6}  {:>8.3} {:>5.3}  {:>7.3}  {:>6.3}  {:>8.3}  {:>6.3}  {:>9.3}  {:>8.3}  {:>11.3}",
            v.len(),
            m(ResponseModel::StandardPatrol),
            m(ResponseModel::Cit),
            m(ResponseModel::CoResponder),
            m(ResponseModel::MobileCrisis),
            m(ResponseModel::CaseManagement),
            share(&v, |e| e.disposition == Disposition::Arrest),
            share(&v, |e| e.use_of_force.any_force() == Some(true)),
            share(&v, |e| e.disposition == Disposition::Referral),
            share(&v, |e| e.cit_arrived == Some(true)),
        );
    }
}
