//! Test databases: a fresh SQLite file per test, or a fresh PostgreSQL database per test when
//! `PMHC_TEST_POSTGRES` names a server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use pmhc_core::*;
use pmhc_store::Store;
use sqlx::Connection;

pub const POSTGRES_ENV: &str = "PMHC_TEST_POSTGRES";

/// Run `body` on a migrated store backed by a fresh temporary SQLite file.
pub async fn with_sqlite<F, Fut>(body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("pmhc.db").display());
    let store = Store::open(&url).await.expect("open sqlite");
    assert_eq!(store.backend_name(), "sqlite");
    let outcome = tokio::spawn(body(store.clone())).await;
    store.close().await;
    drop(dir);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Run `body` on a store backed by a fresh PostgreSQL database, dropped afterwards (also when
/// the body panics). Skips (passes) when `PMHC_TEST_POSTGRES` is unset.
pub async fn with_postgres<F, Fut>(test: &str, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(server) = std::env::var(POSTGRES_ENV) else {
        assert!(std::env::var_os("PMHC_REQUIRE_ALL").is_none(), "PMHC_REQUIRE_ALL is set but {POSTGRES_ENV} is not");
        println!("skipped {test} on PostgreSQL: set {POSTGRES_ENV}=postgres://... to run it");
        return;
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = pmhc_store::clock::real_now().timestamp_subsec_nanos();
    let name = format!("pmhc_test_{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut admin = sqlx::PgConnection::connect(&server).await.expect("connect to PMHC_TEST_POSTGRES");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.expect("create db");
    let url = with_database(&server, &name);
    let store = Store::open(&url).await.expect("open postgres");
    assert_eq!(store.backend_name(), "postgres");
    let outcome = tokio::spawn(body(store.clone())).await;
    store.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .expect("drop db");
    let _ = admin.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// `url` with its database (path) replaced by `db`, keeping any query string.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Generate `sqlite` and `postgres` test functions (in a module named after the body) that run
/// the same `async fn body(store: Store)` on each backend.
#[macro_export]
macro_rules! both_backends {
    ($($body:ident),+ $(,)?) => {
        $(
            mod $body {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::helpers::with_sqlite(super::$body).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::helpers::with_postgres(stringify!($body), super::$body).await;
                }
            }
        )+
    };
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
    day(y, m, d).and_hms_opt(h, min, s).expect("valid time")
}

/// A record with every field set (after `normalize`).
pub fn full_record(key: &str) -> Encounter {
    let mut e = Encounter::new("seattle", key, day(2023, 7, 14));
    e.source_updated_at = Some(at(2023, 7, 20, 8, 30, 0));
    e.agency = Some("Seattle PD".into());
    e.call_number = Some("2023-00123456".into());
    e.occurred_time = NaiveTime::from_hms_opt(22, 41, 5);
    e.reported_at = Some(day(2023, 7, 14).and_hms_micro_opt(22, 41, 5, 123_456).expect("time"));
    e.dispatched_at = Some(at(2023, 7, 14, 22, 44, 0));
    e.arrived_at = Some(at(2023, 7, 14, 22, 52, 30));
    e.cleared_at = Some(at(2023, 7, 15, 0, 10, 0));
    e.area = Area {
        precinct: Some("North".into()),
        sector: Some("N2".into()),
        beat: Some("N2-B".into()),
        latitude: Some(47.606_209_1),
        longitude: Some(-122.332_071_3),
    };
    e.call_source = CallSource::Emergency911;
    e.priority = Some("2".into());
    e.initial_call_type = Some("SUICIDAL PERSON".into());
    e.final_call_type = Some("CRISIS COMPLAINT - GENERAL".into());
    e.mh_recognised_at_dispatch = Some(true);
    e.mental_health_flag = Some(true);
    e.response_model = ResponseModel::Cit;
    e.cit_requested = Some(true);
    e.cit_dispatched = Some(true);
    e.cit_arrived = Some(false);
    e.clinician_on_scene = Some(false);
    e.officers = vec![
        Officer { id: Some("7731".into()), years_experience: Some(12), cit_certified: Some(true) },
        Officer { id: Some("4410".into()), years_experience: None, cit_certified: Some(false) },
    ];
    e.disposition = Disposition::VoluntaryTransport;
    e.referrals = vec![
        Referral { service_type: ServiceType::CrisisCentre, service: Some("Crisis Solutions Center".into()), result: ReferralResult::Accepted },
        Referral { service_type: ServiceType::Line988, service: None, result: ReferralResult::Made },
    ];
    e.use_of_force = UseOfForce::RestraintOnly;
    e.force_types = vec!["Handcuffing".into(), "Escort – arm \"hold\"".into()];
    e.subject_injured = Some(false);
    e.officer_injured = Some(false);
    e.weapon_involved = Some(true);
    e.behaviours = vec!["Suicidal threats".into(), "Disorientation/confusion".into(), "Émotion ☂".into()];
    e.veteran = Some(false);
    e.housing_status = HousingStatus::Unstable;
    e.substance_use = Some(true);
    e.subject_key = Some("p-0123456789abcdef01234567".into());
    e.age_band = AgeBand::A25To34;
    e.gender = Gender::NonBinary;
    e.race_ethnicity = RaceEthnicity::Multiple;
    e.normalize();
    e.validate().expect("the full record is valid");
    e
}

/// A record with only its keys and date.
pub fn minimal_record(key: &str) -> Encounter {
    let mut e = Encounter::new("seattle", key, day(2022, 1, 3));
    e.normalize();
    e
}
