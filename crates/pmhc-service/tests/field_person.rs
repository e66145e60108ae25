//! The field form knows the person and the officers (issue 19), on SQLite and — when
//! `PMHC_TEST_POSTGRES` names a server — PostgreSQL: an imported encounter and a field-form entry
//! of the same agency person id, and separately of the same name and date of birth typed with
//! other spacing and case, share one person key, and the repeat-encounter measure counts them
//! together; a badge number on a field entry counts in "a trained officer reached the call";
//! a saved entry is edited by its own partner's field-form users only, audited, every version
//! kept; bad identifiers are refused naming their field, nothing saved; nothing identifying is
//! stored, audited or answered back. Dates come from the store's clock (`PMHC_NOW`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{Days, NaiveDate};
use pmhc_core::access::{Role, Roles};
use pmhc_core::definition::Period;
use pmhc_core::outcomes::{Measure, MeasureValue, OutcomeFilter, repeat_people};
use pmhc_core::sharing::Sector;
use pmhc_service::audit::Actor;
use pmhc_service::encounters::{edit_field_form, record_field_form, versions};
use pmhc_service::model::{AuditFilter, User};
use pmhc_service::sharing::Viewer;
use pmhc_service::{Acting, ErrorKind, ServiceContext, ServiceError};
use pmhc_store::{Clock, Store};
use sqlx::Connection;

const MAPPING: &str = r#"
[source]
name = "county-rms"
system = "county-rms"
[key]
columns = ["incident"]
[fields.occurred]
column = "day"
[fields.mental_health_flag]
value = true
[fields.cit_requested]
column = "cit"
[fields.officer_id]
column = "officer"
[fields.subject_key]
column = "person"
[fields.subject_name]
columns = ["first", "last"]
combine = "join"
[fields.subject_birth_date]
column = "dob"
format = "%m/%d/%Y"
"#;

async fn user(cx: &ServiceContext, name: &str, role: Role, partner: i64) -> User {
    pmhc_service::accounts::add_user(cx, name, name, Roles::from(role), partner, "a long test passphrase").await.expect("a user")
}

fn actor(u: &User) -> Actor {
    Actor { name: u.username.clone(), partner: Some(u.partner.to_string()), source: "test".into() }
}

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A field-form submission by `u`, as the page sends it.
async fn submit(cx: &ServiceContext, u: &User, pairs: &[(&str, &str)]) -> Result<pmhc_core::Encounter, ServiceError> {
    let values = form(pairs);
    let e = pmhc_core::field_form::parse(&values).map_err(ServiceError::InvalidFields)?;
    let viewer = Viewer::today(cx, u).await?;
    record_field_form(cx, &actor(u), Acting::User(u), &viewer, e, &pmhc_core::field_form::person(&values), None).await
}

fn fields_of(r: Result<pmhc_core::Encounter, ServiceError>) -> Vec<String> {
    match r {
        Err(ServiceError::InvalidFields(p)) => p.into_iter().map(|p| p.field).collect(),
        other => panic!("refused naming fields, not {other:?}"),
    }
}

async fn scenario(store: Store) {
    store.migrate().await.expect("migrations");
    let store = store.with_clock(Clock::from_env().expect("PMHC_NOW"));
    let cx = ServiceContext::new(store.clone());
    let today = cx.clock().local_today();
    let ago = |n: u64| today - Days::new(n);
    let us = |d: NaiveDate| d.format("%m/%d/%Y").to_string();
    let officer = user(&cx, "officer1", Role::Officer, 1).await;
    let clinician = user(&cx, "clinician1", Role::Clinician, 1).await;
    let member = user(&cx, "member1", Role::WorkgroupMember, 1).await;
    let member_viewer = Viewer::today(&cx, &member).await.expect("a viewer");
    let clinic = pmhc_service::partners::add(&cx, &Actor::cli(), Acting::Operator, "Clinic", Sector::BehavioralHealth).await.expect("a partner");
    let outsider = user(&cx, "their-officer", Role::Officer, clinic.id).await;

    // The partner's records system: its person ids, or names with dates of birth.
    let dir = tempfile::tempdir().expect("a folder");
    let csv = dir.path().join("rms.csv");
    let rows = [
        format!("I-1,{},no,,AB-17,,,", ago(40)),
        format!("I-2,{},no,,,Mary Ann,SMITH,{}", ago(30), us(NaiveDate::from_ymd_opt(1980, 4, 30).expect("a day"))),
        format!("I-3,{},no,,Z-99,,,", ago(20)),
    ];
    std::fs::write(&csv, format!("incident,day,cit,officer,person,first,last,dob\n{}\n", rows.join("\n"))).expect("the file");
    let req = pmhc_service::imports::ImportRequest {
        path: csv.clone(),
        file_name: "rms.csv".into(),
        mapping_name: "county-rms".into(),
        spec: pmhc_import::MappingSpec::from_toml(MAPPING).expect("the mapping"),
        batch_size: 100,
        rejects_path: None,
        progress: None,
        on_start: None,
        partner: 1,
        actor: Actor::cli(),
    };
    let imported = pmhc_service::imports::import_file(&cx, req).await.expect("the import");
    assert_eq!(imported.summary.counts.accepted, 3, "{:?}", imported.summary);
    let key_of = |k: &'static str| {
        let store = store.clone();
        async move { store.get_encounter("county-rms", k).await.expect("read").expect("imported").subject_key.expect("a person key") }
    };
    let (by_id, by_name) = (key_of("I-1").await, key_of("I-2").await);

    // Named once: the partner's field form makes keys where its imports do.
    pmhc_service::partners::set_person_namespace(&cx, &Actor::cli(), Acting::Operator, "1", Some("county-rms")).await.expect("the namespace");
    let draft1 = "F-field-person-1";
    let first = submit(&cx, &officer, &[
        ("draft_id", draft1),
        ("occurred_on", &ago(5).to_string()),
        ("agency_person_id", " ab-17 "),
        ("cit_requested", "yes"),
        ("officers", "4127, 5150"),
    ])
    .await
    .expect("saved");
    assert_eq!(first.subject_key.as_deref(), Some(by_id.as_str()), "the same agency person id, one person key");
    let second = submit(&cx, &clinician, &[
        ("draft_id", "F-field-person-2"),
        ("occurred_on", &ago(3).to_string()),
        ("person_name", "  mary   ann smith "),
        ("date_of_birth", "1980-04-30"),
        ("disposition", "referral"),
    ])
    .await
    .expect("saved");
    assert_eq!(second.subject_key.as_deref(), Some(by_name.as_str()), "the same name and date of birth, one person key");

    // The repeat-encounter measure counts each of them twice, imported and field entries together.
    let period = Period { from: ago(89), to: today };
    let dv = store.current_definition().await.expect("the definitions");
    let data = store.load_outcome_data(None).await.expect("outcome data");
    let mut people: Vec<(String, usize)> =
        repeat_people(&data, &dv.definition, &OutcomeFilter::default(), &period).into_iter().map(|p| (p.subject_key, p.encounters)).collect();
    people.sort();
    let mut expected = vec![(by_id.clone(), 2), (by_name.clone(), 2)];
    expected.sort();
    assert_eq!(people, expected);
    let q = pmhc_service::outcomes::ReportQuery { baseline: Some(Period { from: ago(400), to: ago(300) }), comparison: Some(period), ..Default::default() };
    let report = pmhc_service::outcomes::compute_report(&cx, &q).await.expect("the report");
    let repeat = report.periods.comparison.measures.0.iter().find(|(m, _)| *m == Measure::RepeatPeople).map(|(_, v)| v.clone());
    assert!(
        matches!(repeat, Some(MeasureValue::Proportion { numerator: Some(2), denominator: Some(3), .. })),
        "2 of the 3 people seen had repeat encounters: {repeat:?}"
    );

    // Badge 4127 completed basic CIT: the field entry that requested CIT was reached by a trained
    // officer (5150 is not on the roster; one trained officer is enough).
    let (a, by) = (Actor::cli(), Acting::Operator);
    pmhc_service::training::import_courses(&cx, &a, by, "courses.csv", b"name,kind,hours,refresher_months\nCIT,basic_cit,40,24\n").await.expect("courses");
    let roster = "staff_number,name,agency,precinct,shift,role,active\n4127,Officer A,City PD,North,Day,patrol_officer,yes\n";
    pmhc_service::training::import_roster(&cx, &a, by, 1, "roster.csv", roster.as_bytes()).await.expect("the roster");
    let completions = format!(
        "staff_number,course,session_date,location,instructors,completed_on,pre_score,post_score,evaluation\n4127,CIT,{},Academy,police,,50,80,4\n",
        ago(300)
    );
    pmhc_service::training::import_completions(&cx, &a, by, 1, "completions.csv", completions.as_bytes()).await.expect("completions");
    let reader = pmhc_service::training::CoverageReader::operator(vec![1, clinic.id]);
    let coverage = pmhc_service::training::training_coverage(&cx, &reader, today).await.expect("the coverage");
    let total = &coverage.reach[0];
    assert_eq!((total.requested, total.reached_by_trained, total.not_known), (1, 1, 0), "{total:?}");

    // Completed later by its partner's clinician: no identifiers keeps the person key; audited as
    // a change; both versions kept.
    let viewer1 = Viewer::today(&cx, &clinician).await.expect("a viewer");
    let mut edited = pmhc_core::field_form::parse(&form(&[
        ("draft_id", draft1),
        ("occurred_on", &ago(5).to_string()),
        ("cit_requested", "yes"),
        ("officers", "4127, 5150"),
        ("disposition", "voluntary_transport"),
    ]))
    .expect("parsed");
    let none = pmhc_core::person::PersonIdentifiers::default();
    let saved = edit_field_form(&cx, &actor(&clinician), Acting::User(&clinician), &viewer1, draft1, edited.clone(), &none).await.expect("edited");
    assert_eq!(saved.subject_key.as_deref(), Some(by_id.as_str()), "the person key is kept");
    assert_eq!(saved.disposition, pmhc_core::Disposition::VoluntaryTransport);
    let history = versions(&cx, &actor(&officer), Acting::User(&officer), &viewer1, &saved.source_system, draft1).await.expect("versions");
    assert_eq!(history.iter().map(|v| (v.version, v.saved_by.as_str(), v.channel.as_str())).collect::<Vec<_>>(), [(1, "officer1", "field form"), (2, "clinician1", "field form edit")]);
    assert_eq!(history[0].record.disposition, pmhc_core::Disposition::Unknown);
    // Not another partner's users, nor a role without the field form; nothing changed.
    let viewer2 = Viewer::today(&cx, &outsider).await.expect("a viewer");
    edited.disposition = pmhc_core::Disposition::Arrest;
    let theirs = edit_field_form(&cx, &actor(&outsider), Acting::User(&outsider), &viewer2, draft1, edited.clone(), &none).await.expect_err("another partner's");
    assert_eq!(theirs.kind(), ErrorKind::NotFound, "another partner's record is as absent as one that does not exist: {theirs}");
    let refused = edit_field_form(&cx, &actor(&member), Acting::User(&member), &member_viewer, draft1, edited.clone(), &none).await.expect_err("a member");
    assert_eq!(refused.kind(), ErrorKind::Refused);
    assert!(versions(&cx, &actor(&outsider), Acting::User(&outsider), &viewer2, &saved.source_system, draft1).await.is_err());
    assert_eq!(store.encounter_versions(&saved.source_system, draft1).await.expect("versions").len(), 2);
    // A person's identifiers given in an edit set the key again.
    let again = pmhc_core::person::PersonIdentifiers { agency_person_id: Some("Z-99".into()), ..Default::default() };
    let moved = edit_field_form(&cx, &actor(&officer), Acting::User(&officer), &viewer1, draft1, edited.clone(), &again).await.expect("edited");
    assert_eq!(moved.subject_key, Some(key_of("I-3").await));

    // Bad input: refused next to the field, nothing saved.
    let bad = |pairs: Vec<(&'static str, String)>| {
        let mut v: Vec<(&str, String)> = vec![("draft_id", "F-field-person-bad".into()), ("occurred_on", ago(1).to_string()), ("disposition", "referral".into())];
        v.extend(pairs);
        v
    };
    for (pairs, field) in [
        (bad(vec![("person_name", "Jo Doe".into()), ("date_of_birth", (today + Days::new(1)).to_string())]), "date_of_birth"),
        (bad(vec![("person_name", "Jo Doe".into()), ("date_of_birth", "1899-12-31".into())]), "date_of_birth"),
        (bad(vec![("person_name", "Jo Doe".into())]), "date_of_birth"),
        (bad(vec![("agency_person_id", "9".repeat(201))]), "agency_person_id"),
    ] {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(fields_of(submit(&cx, &officer, &pairs).await), [field]);
    }
    assert!(store.get_encounter(&saved.source_system, "F-field-person-bad").await.expect("read").is_none(), "nothing saved");

    // Nothing identifying is stored, audited or answered back.
    let trail = pmhc_service::audit::list(&cx, &Actor::cli(), Acting::Operator, AuditFilter::default(), 1000, 0).await.expect("the trail");
    assert!(trail.iter().any(|e| e.event.actor == "clinician1" && e.event.detail == "field form edit" && e.event.action == pmhc_core::audit::AuditAction::Change));
    let mut everything = format!("{trail:?}{first:?}{second:?}{saved:?}");
    for v in store.encounter_versions(&saved.source_system, draft1).await.expect("versions") {
        everything.push_str(&serde_json::to_string(&v.record).expect("json"));
    }
    for k in [draft1, "F-field-person-2"] {
        everything.push_str(&format!("{:?}", store.get_encounter(&saved.source_system, k).await.expect("read")));
    }
    for secret in ["AB-17", "ab-17", "mary", "Mary", "SMITH", "1980-04-30", "04/30/1980"] {
        assert!(!everything.contains(secret), "{secret} is stored, audited or answered back");
    }
}

#[tokio::test]
async fn field_entries_link_to_imported_people_and_count_on_sqlite() {
    let dir = tempfile::tempdir().expect("a folder");
    let store = Store::open(&format!("sqlite:{}", dir.path().join("pmhc.db").display())).await.expect("a store");
    scenario(store.clone()).await;
    store.close().await;
}

#[tokio::test]
async fn field_entries_link_to_imported_people_and_count_on_postgres() {
    let Ok(server) = std::env::var("PMHC_TEST_POSTGRES") else {
        assert!(std::env::var_os("PMHC_REQUIRE_ALL").is_none(), "PMHC_REQUIRE_ALL is set but PMHC_TEST_POSTGRES is not");
        println!("skipped on PostgreSQL: set PMHC_TEST_POSTGRES=postgres://... to run it");
        return;
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!("pmhc_field_person_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut admin = sqlx::PgConnection::connect(&server).await.expect("connect to PMHC_TEST_POSTGRES");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).execute(&mut admin).await.expect("drop db");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.expect("create db");
    let base = server.split('?').next().unwrap_or(&server);
    let base = base.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or_else(|| base.to_string());
    let store = Store::open(&format!("{base}/{name}")).await.expect("a store");
    let outcome = tokio::spawn(scenario(store.clone())).await;
    store.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut admin).await.expect("drop db");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
