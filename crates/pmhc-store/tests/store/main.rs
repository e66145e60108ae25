//! The store's integration tests. Every test in `both_backends!` runs on SQLite (a fresh temp
//! file) and on PostgreSQL (a fresh database, when `PMHC_TEST_POSTGRES` is set).

mod helpers;
mod bench;

use helpers::*;
use pmhc_core::*;
use pmhc_core::import::ImportCounts;
use pmhc_store::*;

both_backends!(
    migrate_twice_is_a_noop,
    migration_status_lists_every_version,
    pseudonym_key_is_created_once_and_stable,
    roundtrip_full_record,
    roundtrip_minimal_record,
    write_batch_counts_inserted_unchanged_updated_stale,
    duplicate_keys_in_a_batch_are_refused,
    invalid_record_refuses_the_whole_batch,
    error_mid_batch_leaves_nothing_written,
    large_batches_span_several_chunks,
    several_source_systems_in_one_batch,
    list_and_count_with_each_filter,
    list_orders_and_pages,
    import_records,
    unknown_import_ids_are_refused,
    outcome_data_follows_every_write,
    definitions_are_versioned,
    partners_own_their_source_systems,
    agreements_and_consents_round_trip,
    services_and_referral_moves,
    capacity_updates_and_referral_subjects,
    the_clock_moves_the_rules_not_the_records,
    a_lock_releases_itself_and_ends_the_sessions,
    a_full_disk_is_said_and_the_store_recovers,
    versions_are_kept_with_the_record_and_never_changed,
);

async fn migrated(store: &Store) {
    store.migrate().await.expect("migrate");
}

async fn migrate_twice_is_a_noop(store: Store) {
    assert!(!store.is_initialised().await.unwrap(), "a fresh database is not initialised");
    store.migrate().await.unwrap();
    assert!(store.is_initialised().await.unwrap());
    let before = store.migration_status().await.unwrap();
    assert!(!store.has_encounters().await.unwrap(), "an empty database");
    store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[minimal_record("a")]).await.unwrap();
    assert!(store.has_encounters().await.unwrap());
    store.migrate().await.unwrap();
    assert_eq!(store.migration_status().await.unwrap(), before, "a second migrate changes nothing");
    assert!(store.is_initialised().await.unwrap());
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 1, "data survives");
}

async fn migration_status_lists_every_version(store: Store) {
    let migrator = if store.backend_name() == "sqlite" { &SQLITE_MIGRATOR } else { &POSTGRES_MIGRATOR };
    let versions: Vec<i64> = migrator.iter().map(|m| m.version).collect();
    let status = store.migration_status().await.unwrap();
    assert_eq!(status.iter().map(|s| s.version).collect::<Vec<_>>(), versions);
    assert!(status.iter().all(|s| !s.applied && s.applied_at.is_none() && !s.description.is_empty()));
    let t0 = pmhc_store::clock::real_now() - chrono::Duration::minutes(5);
    store.migrate().await.unwrap();
    let status = store.migration_status().await.unwrap();
    assert_eq!(status.iter().map(|s| s.version).collect::<Vec<_>>(), versions);
    for s in &status {
        assert!(s.applied, "{s:?}");
        let at = s.applied_at.expect("applied_at");
        assert!(at > t0 && at < pmhc_store::clock::real_now() + chrono::Duration::minutes(5), "{at}");
    }
    assert_eq!(status[0].description, "initial");
}

async fn pseudonym_key_is_created_once_and_stable(store: Store) {
    migrated(&store).await;
    // Concurrent first calls agree.
    let (a, b, c) = tokio::join!(store.pseudonym_key(), store.pseudonym_key(), store.pseudonym_key());
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    let p = |k: &PseudonymKey| k.pseudonymize("seattle", "46424");
    assert_eq!(p(&a), p(&b));
    assert_eq!(p(&a), p(&c));
    assert_eq!(p(&a), p(&store.pseudonym_key().await.unwrap()), "stable on later calls");
    // Not a constant key.
    assert_ne!(p(&a), PseudonymKey::from_bytes([0; 32]).pseudonymize("seattle", "46424"));
}

async fn roundtrip_full_record(store: Store) {
    migrated(&store).await;
    let e = full_record("F-1");
    assert_eq!(store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, std::slice::from_ref(&e)).await.unwrap().inserted, 1);
    let back = store.get_encounter("seattle", "F-1").await.unwrap().expect("stored");
    assert_eq!(back, e);
    assert_eq!(back.content_hash(), e.content_hash());
    let listed = store.list_encounters(&EncounterFilter::default(), 10, 0).await.unwrap();
    assert_eq!(listed, vec![e]);
}

async fn roundtrip_minimal_record(store: Store) {
    migrated(&store).await;
    let e = minimal_record("M-1");
    store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, std::slice::from_ref(&e)).await.unwrap();
    assert_eq!(store.get_encounter("seattle", "M-1").await.unwrap(), Some(e));
    assert_eq!(store.get_encounter("seattle", "nope").await.unwrap(), None);
    assert_eq!(store.get_encounter("other", "M-1").await.unwrap(), None);
}

async fn write_batch_counts_inserted_unchanged_updated_stale(store: Store) {
    migrated(&store).await;
    let mut a = full_record("A");
    let b = minimal_record("B");
    let mut c = minimal_record("C");
    c.source_updated_at = Some(at(2024, 1, 10, 0, 0, 0));
    let counts = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[a.clone(), b.clone(), c.clone()]).await.unwrap();
    assert_eq!(counts, ImportCounts { inserted: 3, updated: 0, unchanged: 0, stale: 0, ..Default::default() });
    assert_eq!(counts.encounters(), 3);

    let counts = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[a.clone(), b.clone(), c.clone()]).await.unwrap();
    assert_eq!(counts, ImportCounts { inserted: 0, updated: 0, unchanged: 3, stale: 0, ..Default::default() });

    // A changes with a newer version; B changes without versions; C arrives in an older version.
    a.disposition = Disposition::Arrest;
    a.source_updated_at = Some(at(2023, 8, 1, 0, 0, 0));
    let mut b2 = b.clone();
    b2.gender = Gender::Female;
    let mut c_old = c.clone();
    c_old.gender = Gender::Male;
    c_old.source_updated_at = Some(at(2024, 1, 9, 0, 0, 0));
    let d = minimal_record("D");
    let counts = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[a.clone(), b2.clone(), c_old, d.clone()]).await.unwrap();
    assert_eq!(counts, ImportCounts { inserted: 1, updated: 2, unchanged: 0, stale: 1, ..Default::default() });
    assert_eq!(store.get_encounter("seattle", "A").await.unwrap(), Some(a.clone()));
    assert_eq!(store.get_encounter("seattle", "B").await.unwrap(), Some(b2.clone()));
    assert_eq!(store.get_encounter("seattle", "C").await.unwrap(), Some(c.clone()), "stale version not written");

    // An incoming record without a version is not stale; neither is a stored one without it.
    let mut c_unversioned = c.clone();
    c_unversioned.source_updated_at = None;
    c_unversioned.veteran = Some(true);
    let mut b_versioned = b2.clone();
    b_versioned.source_updated_at = Some(at(2000, 1, 1, 0, 0, 0));
    let counts = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[c_unversioned.clone(), b_versioned.clone()]).await.unwrap();
    assert_eq!(counts, ImportCounts { inserted: 0, updated: 2, unchanged: 0, stale: 0, ..Default::default() });
    assert_eq!(store.get_encounter("seattle", "C").await.unwrap(), Some(c_unversioned));
    assert_eq!(store.get_encounter("seattle", "B").await.unwrap(), Some(b_versioned));

    // The same version with other content is an update (not stale: only *older* is stale).
    let mut a_same_version = a.clone();
    a_same_version.priority = Some("1".into());
    let counts = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, std::slice::from_ref(&a_same_version)).await.unwrap();
    assert_eq!(counts.updated, 1);
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 4);
    assert_eq!(store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[]).await.unwrap(), ImportCounts::default());
}

async fn duplicate_keys_in_a_batch_are_refused(store: Store) {
    migrated(&store).await;
    let batch = [minimal_record("X"), minimal_record("Y"), full_record("X")];
    match store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &batch).await {
        Err(StoreError::DuplicateKey { source_system, source_key, first, second }) => {
            assert_eq!((source_system.as_str(), source_key.as_str(), first, second), ("seattle", "X", 0, 2));
        }
        other => panic!("expected DuplicateKey, got {other:?}"),
    }
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 0);
    // The same key in two source systems is two encounters.
    let mut other = minimal_record("X");
    other.source_system = "dallas".into();
    assert_eq!(store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[minimal_record("X"), other]).await.unwrap().inserted, 2);
}

async fn invalid_record_refuses_the_whole_batch(store: Store) {
    migrated(&store).await;
    let mut bad = minimal_record("bad");
    bad.area.latitude = Some(123.0);
    let err = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[minimal_record("ok"), bad]).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidEncounter { index: 1, .. }), "{err:?}");
    assert!(err.to_string().contains("seattle/bad"), "{err}");
    let mut empty_key = minimal_record("x");
    empty_key.source_key = "  ".into();
    assert!(store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[empty_key]).await.is_err());
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 0);
}

async fn error_mid_batch_leaves_nothing_written(store: Store) {
    migrated(&store).await;
    let existing = minimal_record("existing");
    store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, std::slice::from_ref(&existing)).await.unwrap();
    // A trigger refusing one record makes the database fail after earlier chunks were written.
    match store.backend_name() {
        "sqlite" => {
            let pool = store.sqlite_pool().unwrap();
            sqlx::query(
                "CREATE TRIGGER poison BEFORE INSERT ON encounters WHEN NEW.source_key = 'poison' \
                 BEGIN SELECT RAISE(ABORT, 'poisoned record'); END",
            )
            .execute(pool)
            .await
            .unwrap();
        }
        _ => {
            let pool = store.postgres_pool().unwrap();
            sqlx::query(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.source_key = 'poison' THEN RAISE EXCEPTION 'poisoned record'; END IF; RETURN NEW; END $$",
            )
            .execute(pool)
            .await
            .unwrap();
            sqlx::query("CREATE TRIGGER poison BEFORE INSERT ON encounters FOR EACH ROW EXECUTE FUNCTION poison()")
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let mut changed = existing.clone();
    changed.gender = Gender::Female;
    let mut batch = vec![changed];
    batch.extend((0..1500).map(|i| minimal_record(&format!("new-{i:04}"))));
    batch.push(minimal_record("poison"));
    let err = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &batch).await.unwrap_err();
    assert!(matches!(err, StoreError::Database { op: "insert encounters", .. }), "{err:?}");
    assert!(err.to_string().contains("poisoned record"), "{err}");
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 1, "no record of the batch");
    assert_eq!(store.get_encounter("seattle", "existing").await.unwrap(), Some(existing), "no update either");
    // The store is still usable afterwards.
    batch.pop();
    assert_eq!(store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &batch).await.unwrap(), ImportCounts { inserted: 1500, updated: 1, unchanged: 0, stale: 0, ..Default::default() });
}

async fn large_batches_span_several_chunks(store: Store) {
    migrated(&store).await;
    // 1 + 2 + ... sizes that exercise every power-of-two chunk and the 512-row chunk.
    let batch: Vec<Encounter> = (0..2047)
        .map(|i| {
            let mut e = if i % 3 == 0 { full_record(&format!("K{i:05}")) } else { minimal_record(&format!("K{i:05}")) };
            e.occurred_on = day(2020, 1, 1) + chrono::Days::new(i % 900);
            e
        })
        .collect();
    assert_eq!(store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &batch).await.unwrap().inserted, 2047);
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 2047);
    for i in [0usize, 1, 511, 512, 1023, 2046] {
        assert_eq!(store.get_encounter("seattle", &batch[i].source_key).await.unwrap().as_ref(), Some(&batch[i]));
    }
    // Re-import with every 10th record changed.
    let mut again = batch.clone();
    for e in again.iter_mut().step_by(10) {
        e.priority = Some("changed".into());
    }
    let counts = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &again).await.unwrap();
    assert_eq!(counts, ImportCounts { inserted: 0, updated: 205, unchanged: 2047 - 205, stale: 0, ..Default::default() });
    assert_eq!(store.get_encounter("seattle", "K02040").await.unwrap().as_ref(), Some(&again[2040]));
}

async fn several_source_systems_in_one_batch(store: Store) {
    migrated(&store).await;
    let mk = |sys: &str, key: &str| {
        let mut e = minimal_record(key);
        e.source_system = sys.into();
        e
    };
    let batch = vec![mk("a", "1"), mk("b", "1"), mk("a", "2"), mk("c", "9")];
    assert_eq!(store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &batch).await.unwrap().inserted, 4);
    let mut next = batch.clone();
    next[1].gender = Gender::Male;
    next.push(mk("b", "2"));
    let counts = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &next).await.unwrap();
    assert_eq!(counts, ImportCounts { inserted: 1, updated: 1, unchanged: 3, stale: 0, ..Default::default() });
    let f = EncounterFilter { source_system: Some("b".into()), ..Default::default() };
    assert_eq!(store.count_encounters(&f).await.unwrap(), 2);
}

/// Twelve encounters over three months, two precincts, two systems.
fn filter_fixture() -> Vec<Encounter> {
    (0..12u32)
        .map(|i| {
            let mut e = minimal_record(&format!("E{i:02}"));
            e.source_system = if i % 4 == 3 { "dallas".into() } else { "seattle".into() };
            e.occurred_on = day(2023, 1 + i / 4, 1 + i);
            e.area.precinct = Some(if i % 2 == 0 { "North" } else { "South" }.into());
            e.disposition = if i % 3 == 0 { Disposition::Arrest } else { Disposition::Referral };
            e.response_model = if i < 6 { ResponseModel::Cit } else { ResponseModel::CoResponder };
            e.subject_key = (i % 5 == 0).then(|| "p-repeat".to_string());
            e.normalize();
            e
        })
        .collect()
}

async fn list_and_count_with_each_filter(store: Store) {
    migrated(&store).await;
    let all = filter_fixture();
    store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &all).await.unwrap();
    let check = async |f: EncounterFilter, pred: &(dyn Fn(&Encounter) -> bool + Sync)| {
        let mut want: Vec<&str> = all.iter().filter(|e| pred(e)).map(|e| e.source_key.as_str()).collect();
        want.sort();
        let listed = store.list_encounters(&f, 100, 0).await.unwrap();
        let mut got: Vec<&str> = listed.iter().map(|e| e.source_key.as_str()).collect();
        got.sort();
        let got: Vec<String> = got.into_iter().map(String::from).collect();
        assert_eq!(got, want, "{f:?}");
        assert_eq!(store.count_encounters(&f).await.unwrap(), want.len() as u64, "{f:?}");
        assert!(!want.is_empty() || f == EncounterFilter { subject_key: Some("nobody".into()), ..Default::default() });
    };
    check(EncounterFilter::default(), &|_| true).await;
    check(EncounterFilter { source_system: Some("dallas".into()), ..Default::default() }, &|e| e.source_system == "dallas").await;
    check(EncounterFilter { from: Some(day(2023, 2, 1)), ..Default::default() }, &|e| e.occurred_on >= day(2023, 2, 1)).await;
    check(EncounterFilter { to: Some(day(2023, 2, 6)), ..Default::default() }, &|e| e.occurred_on <= day(2023, 2, 6)).await;
    check(
        EncounterFilter { from: Some(day(2023, 2, 6)), to: Some(day(2023, 2, 6)), ..Default::default() },
        &|e| e.occurred_on == day(2023, 2, 6),
    )
    .await;
    check(EncounterFilter { precinct: Some("North".into()), ..Default::default() }, &|e| e.area.precinct.as_deref() == Some("North")).await;
    // Whatever the case typed.
    check(EncounterFilter { precinct: Some("nORTH".into()), ..Default::default() }, &|e| e.area.precinct.as_deref() == Some("North")).await;
    check(EncounterFilter { disposition: Some(Disposition::Arrest), ..Default::default() }, &|e| e.disposition == Disposition::Arrest).await;
    check(
        EncounterFilter { response_model: Some(ResponseModel::CoResponder), ..Default::default() },
        &|e| e.response_model == ResponseModel::CoResponder,
    )
    .await;
    check(EncounterFilter { subject_key: Some("p-repeat".into()), ..Default::default() }, &|e| e.subject_key.as_deref() == Some("p-repeat")).await;
    check(EncounterFilter { subject_key: Some("nobody".into()), ..Default::default() }, &|_| false).await;
    check(
        EncounterFilter {
            source_system: Some("seattle".into()),
            from: Some(day(2023, 1, 2)),
            to: Some(day(2023, 3, 31)),
            precinct: Some("North".into()),
            disposition: Some(Disposition::Referral),
            response_model: Some(ResponseModel::Cit),
            subject_key: None,
            partners: Some(vec![pmhc_core::sharing::DEFAULT_PARTNER]),
        },
        &|e| {
            e.source_system == "seattle"
                && e.occurred_on >= day(2023, 1, 2)
                && e.area.precinct.as_deref() == Some("North")
                && e.disposition == Disposition::Referral
                && e.response_model == ResponseModel::Cit
        },
    )
    .await;
}

async fn list_orders_and_pages(store: Store) {
    migrated(&store).await;
    let mut batch = filter_fixture();
    // Same day as E11, with and without times, to check the tie-breaks.
    let same_day = batch[11].occurred_on;
    for (key, time) in [("T1", Some((9, 0))), ("T2", Some((18, 30))), ("T0", None)] {
        let mut e = minimal_record(key);
        e.occurred_on = same_day;
        e.occurred_time = time.and_then(|(h, m)| chrono::NaiveTime::from_hms_opt(h, m, 0));
        e.normalize();
        batch.push(e);
    }
    store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &batch).await.unwrap();
    let all = store.list_encounters(&EncounterFilter::default(), 1000, 0).await.unwrap();
    let keys: Vec<&str> = all.iter().map(|e| e.source_key.as_str()).collect();
    assert_eq!(&keys[..4], &["T2", "T1", "E11", "T0"], "time desc, unknown times last, then system (dallas < seattle) and key");
    for w in all.windows(2) {
        assert!(w[0].occurred_on >= w[1].occurred_on);
    }
    assert_eq!(all.len(), 15);
    // Pages partition the list.
    let mut paged = Vec::new();
    for page in 0..4 {
        paged.extend(store.list_encounters(&EncounterFilter::default(), 4, page * 4).await.unwrap());
    }
    assert_eq!(paged, all);
    assert!(store.list_encounters(&EncounterFilter::default(), 4, 100).await.unwrap().is_empty());
    assert!(store.list_encounters(&EncounterFilter::default(), 0, 0).await.unwrap().is_empty());
}

async fn import_records(store: Store) {
    migrated(&store).await;
    assert!(store.list_imports(None, 10).await.unwrap().is_empty());
    let meta = NewImport {
        file_name: "spd_crisis_2023.csv".into(),
        file_sha256: "ab".repeat(32),
        mapping_name: "seattle-crisis".into(),
        source_system: "seattle".into(),
        partner: pmhc_core::sharing::DEFAULT_PARTNER,
    };
    let first = store.start_import(&meta).await.unwrap();
    let counts = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, Some(first), &[full_record("1"), minimal_record("2")]).await.unwrap();
    let mut totals = ImportCounts { received: 3, accepted: 2, rejected: 1, ..Default::default() };
    totals.add_written(counts);
    store.finish_import(first, &totals, ImportStatus::Partial).await.unwrap();
    let second = store.start_import(&NewImport { file_name: "again.csv".into(), ..meta.clone() }).await.unwrap();
    assert!(second > first);

    let list = store.list_imports(None, 10).await.unwrap();
    assert_eq!(list.len(), 2);
    let (s, f) = (&list[0], &list[1]);
    assert_eq!((s.id, s.file_name.as_str(), s.status, s.finished_at), (second, "again.csv", ImportStatus::Running, None));
    assert_eq!(f.id, first);
    assert_eq!(f.file_name, meta.file_name);
    assert_eq!(f.file_sha256, meta.file_sha256);
    assert_eq!(f.mapping_name, meta.mapping_name);
    assert_eq!(f.source_system, meta.source_system);
    assert_eq!(f.status, ImportStatus::Partial);
    let c = f.counts;
    assert_eq!((c.received, c.accepted, c.rejected, c.inserted, c.updated, c.unchanged, c.stale), (3, 2, 1, 2, 0, 0, 0));
    let finished = f.finished_at.expect("finished_at");
    assert!(finished >= f.started_at);
    assert!((pmhc_store::clock::real_now() - finished).num_minutes().abs() < 5);
    assert_eq!(store.list_imports(None, 1).await.unwrap().len(), 1);

    // Finishing again (e.g. failed later) overwrites the totals.
    store.finish_import(second, &ImportCounts::default(), ImportStatus::Failed).await.unwrap();
    assert_eq!(store.list_imports(None, 1).await.unwrap()[0].status, ImportStatus::Failed);
}

async fn unknown_import_ids_are_refused(store: Store) {
    migrated(&store).await;
    let err = store.finish_import(4242, &ImportCounts::default(), ImportStatus::Failed).await.unwrap_err();
    assert!(matches!(err, StoreError::ImportNotFound(4242)), "{err:?}");
    // An encounter cannot point to an import that does not exist (foreign key).
    let err = store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, Some(4242), &[minimal_record("1")]).await.unwrap_err();
    assert!(matches!(err, StoreError::Database { .. }), "{err:?}");
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 0);
}

// ---- tests that concern opening, not a backend's behaviour ----

#[tokio::test]
async fn open_accepts_every_sqlite_url_form() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).display().to_string();
    for url in [
        format!("sqlite:{}", p("a.db")),
        format!("sqlite://{}", p("b.db")),
        p("c.sqlite"),
        p("d.sqlite3"),
        p("e.db"),
        "sqlite::memory:".to_string(),
    ] {
        let store = Store::open(&url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(store.backend_name(), "sqlite");
        store.migrate().await.unwrap();
        assert!(store.is_initialised().await.unwrap());
        store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[minimal_record("1")]).await.unwrap();
        assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 1);
        store.close().await;
    }
    assert!(dir.path().join("a.db").exists() && dir.path().join("b.db").exists());
    // The file is in WAL mode.
    let store = Store::open(&p("a.db")).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(store.sqlite_pool().unwrap()).await.unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(store.sqlite_pool().unwrap()).await.unwrap();
    assert_eq!(fk, 1);
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(store.sqlite_pool().unwrap()).await.unwrap();
    assert_eq!(sync, 1, "NORMAL");
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(store.sqlite_pool().unwrap()).await.unwrap();
    assert_eq!(busy, 5000);
}

#[tokio::test]
async fn open_rejects_bad_urls_with_context() {
    for url in ["mysql://u@h/db", "pmhc", "", "sqlite:", "/tmp/file.txt"] {
        let err = Store::open(url).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidUrl { .. }), "{url}: {err:?}");
    }
    let err = Store::open("sqlite:/nonexistent-dir/sub/x.db").await.unwrap_err();
    assert!(matches!(err, StoreError::Open { backend: "sqlite", .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent-dir/sub/x.db"), "{err}");
    let err = Store::open("postgres://someone:hunter2@127.0.0.1:1/db").await.unwrap_err();
    assert!(matches!(err, StoreError::Open { backend: "postgres", .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("someone:***@127.0.0.1:1") && !msg.contains("hunter2"), "{msg}");
}

#[test]
fn both_dialects_list_the_same_migration_versions() {
    let v = |m: &sqlx::migrate::Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
    assert!(!v(&SQLITE_MIGRATOR).is_empty());
    assert_eq!(v(&SQLITE_MIGRATOR), v(&POSTGRES_MIGRATOR));
}

/// Records of outcome data with their symbols resolved to text, sorted: comparable across stores.
fn resolved(d: &pmhc_core::outcomes::OutcomeData) -> Vec<String> {
    let mut out: Vec<String> = d
        .records
        .iter()
        .map(|r| {
            let n = |s: Option<u32>| s.map(|s| d.symbols.name(s).to_string());
            let names = (n(r.agency), n(r.precinct), n(r.sector), n(r.beat), n(r.initial_call_type), n(r.final_call_type), n(r.subject));
            let mut bare = r.clone();
            (bare.agency, bare.precinct, bare.sector, bare.beat) = (None, None, None, None);
            (bare.initial_call_type, bare.final_call_type, bare.subject) = (None, None, None);
            format!("{bare:?} {names:?}")
        })
        .collect();
    out.sort();
    out
}

async fn outcome_data_follows_every_write(store: Store) {
    migrated(&store).await;
    let mut a = full_record("A");
    let b = minimal_record("B");
    let mut c = full_record("C");
    c.source_system = "other".into();
    store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[a.clone(), b.clone(), c.clone()]).await.unwrap();
    // An update must reach the engine's copy too.
    a.disposition = Disposition::Arrest;
    a.arrested = Some(true);
    a.area.precinct = Some("Nörth \"<x>\"".into());
    let mut d = minimal_record("D");
    d.area.beat = Some("B\u{1f}2".into()); // a control character inside a value
    store.write_batch(pmhc_core::sharing::DEFAULT_PARTNER, None, &[a.clone(), d.clone()]).await.unwrap();
    let mut expected = pmhc_core::outcomes::OutcomeData::new();
    for e in [&a, &b, &c, &d] {
        let mut e = e.clone();
        e.normalize();
        expected.push_encounter(&e);
    }
    let loaded = store.load_outcome_data(None).await.unwrap();
    assert_eq!(resolved(&loaded), resolved(&expected));
    let only = store.load_outcome_data(Some("other")).await.unwrap();
    assert_eq!(only.records.len(), 1);
    assert!(store.load_outcome_data(Some("nobody")).await.unwrap().records.is_empty());
}

async fn definitions_are_versioned(store: Store) {
    migrated(&store).await;
    let v1 = store.current_definition().await.unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.definition, pmhc_core::definition::SharedDefinition::default());
    let mut d = v1.definition.clone();
    d.repeat.window_days = 60;
    d.name = "Workgroup, March".into();
    let v2 = store.save_definition(&d, "coordinator", "60 days").await.unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(store.current_definition().await.unwrap().definition, d);
    assert_eq!(store.definition_version(Some(1)).await.unwrap().unwrap().definition, v1.definition);
    let history = store.definition_history().await.unwrap();
    assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(history[0].author, "coordinator");
    d.repeat.min_encounters = 1;
    assert!(store.save_definition(&d, "x", "").await.unwrap_err().to_string().contains("min_encounters"));
    assert_eq!(store.definition_history().await.unwrap().len(), 2, "an invalid definition is not saved");
}

async fn partners_own_their_source_systems(store: Store) {
    use pmhc_core::sharing::{DEFAULT_PARTNER, Sector};
    migrated(&store).await;
    let police = store.add_partner("City Police", Sector::LawEnforcement).await.unwrap();
    assert!(matches!(store.add_partner("City Police", Sector::Other).await, Err(StoreError::PartnerExists(_))));
    assert_eq!(store.find_partner("City Police").await.unwrap().id, police.id);
    assert_eq!(store.find_partner(&police.id.to_string()).await.unwrap().sector, Sector::LawEnforcement);
    // The police write source "cad"; the default partner writes "rms".
    let mut a = minimal_record("1");
    a.source_system = "cad".into();
    let mut b = minimal_record("2");
    b.source_system = "rms".into();
    store.write_batch(police.id, None, std::slice::from_ref(&a)).await.unwrap();
    store.write_batch(DEFAULT_PARTNER, None, std::slice::from_ref(&b)).await.unwrap();
    // The default partner cannot write into the police's source system, nor the police into a
    // batch that mixes theirs with another's: nothing of the batch is written.
    let mut a2 = minimal_record("3");
    a2.source_system = "cad".into();
    match store.write_batch(DEFAULT_PARTNER, None, std::slice::from_ref(&a2)).await {
        Err(StoreError::ForeignSource { system, owner, .. }) => assert_eq!((system.as_str(), owner), ("cad", police.id)),
        other => panic!("{other:?}"),
    }
    let mut b2 = minimal_record("4");
    b2.source_system = "rms".into();
    let mut c = minimal_record("5");
    c.source_system = "cad".into();
    assert!(store.write_batch(police.id, None, &[c, b2]).await.is_err());
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 2);
    // The partner filter.
    let only = |ps: Vec<i64>| EncounterFilter { partners: Some(ps), ..Default::default() };
    let keys = |v: Vec<Encounter>| v.into_iter().map(|e| e.source_key).collect::<Vec<_>>();
    assert_eq!(keys(store.list_encounters(&only(vec![police.id]), 10, 0).await.unwrap()), vec!["1"]);
    assert_eq!(store.count_encounters(&only(vec![])).await.unwrap(), 0);
    assert_eq!(store.count_encounters(&only(vec![DEFAULT_PARTNER, police.id])).await.unwrap(), 2);
    // The outcome data knows each record's partner.
    let data = store.load_outcome_data(None).await.unwrap();
    let mut partners: Vec<i64> = data.records.iter().map(|r| r.partner).collect();
    partners.sort();
    assert_eq!(partners, vec![DEFAULT_PARTNER, police.id]);
}

async fn agreements_and_consents_round_trip(store: Store) {
    use pmhc_core::sharing::*;
    migrated(&store).await;
    let clinic = store.add_partner("Clinic", Sector::SubstanceUseTreatment).await.unwrap();
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let a = InformationSharingAgreement {
        id: 0,
        title: "Care coordination MOU".into(),
        discloser: DEFAULT_PARTNER,
        recipient: clinic.id,
        direction: Direction::OneWay,
        field_groups: "incident_details,substance_use_details".parse().unwrap(),
        purpose: Purpose::CareCoordination,
        legal_basis: "45 CFR 164.506(c)".into(),
        effective_on: day("2021-01-01"),
        expires_on: day("2021-12-31"),
        ended_on: None,
        discloser_approved_on: None,
        recipient_approved_on: None,
    };
    let saved = store.add_agreement(&a, "tester").await.unwrap();
    assert_eq!(store.list_agreements().await.unwrap(), vec![saved.clone()]);
    // The discloser's approval, once; a partner not a party cannot approve.
    assert!(!saved.approved());
    assert!(store.approve_agreement(saved.id, 999, day("2020-12-01"), "x").await.is_err());
    let approved = store.approve_agreement(saved.id, DEFAULT_PARTNER, day("2020-12-01"), "admin1").await.unwrap();
    assert_eq!(approved.discloser_approved_on, Some(day("2020-12-01")));
    let again = store.approve_agreement(saved.id, DEFAULT_PARTNER, day("2020-12-05"), "admin2").await.unwrap();
    assert_eq!(again.discloser_approved_on, Some(day("2020-12-01")), "an approval given is kept");
    assert!(again.approved() && again.in_force(day("2021-03-01")));
    let saved = again;
    assert!(matches!(store.add_agreement(&InformationSharingAgreement { recipient: DEFAULT_PARTNER, ..a.clone() }, "t").await, Err(StoreError::Invalid(_))));
    assert!(matches!(store.add_agreement(&InformationSharingAgreement { recipient: 999, ..a.clone() }, "t").await, Err(StoreError::PartnerNotFound(_))));
    store.end_agreement(saved.id, day("2021-06-01")).await.unwrap();
    assert_eq!(store.list_agreements().await.unwrap()[0].ended_on, Some(day("2021-06-01")));
    assert!(store.end_agreement(saved.id, day("2021-07-01")).await.is_err());

    let c = Consent {
        id: 0,
        subject_key: "S1".into(),
        discloser: DEFAULT_PARTNER,
        recipient: clinic.id,
        information: "substance use at encounters".into(),
        purpose: Purpose::CareCoordination,
        expires_on: None,
        expiry_event: Some("end of treatment".into()),
        right_to_revoke_acknowledged: true,
        signed_by: "the person".into(),
        signed_on: day("2021-02-01"),
        revoked_on: None,
    };
    let saved = store.add_consent(&c, "tester").await.unwrap();
    assert!(matches!(store.add_consent(&Consent { signed_by: String::new(), ..c.clone() }, "t").await, Err(StoreError::Invalid(_))));
    assert_eq!(store.list_consents(Some("S1")).await.unwrap(), vec![saved.clone()]);
    assert!(store.list_consents(Some("S2")).await.unwrap().is_empty());
    assert_eq!(store.consents_to(clinic.id, &["S1", "S9"]).await.unwrap(), vec![saved.clone()]);
    let revoked = store.revoke_consent(saved.id, day("2021-03-01")).await.unwrap();
    assert_eq!(revoked.revoked_on, Some(day("2021-03-01")));
    assert!(store.consents_to(clinic.id, &["S1"]).await.unwrap().is_empty());

    let now = pmhc_store::clock::real_now();
    let d = DisclosureRecord {
        consent_id: saved.id,
        subject_key: "S1".into(),
        discloser: DEFAULT_PARTNER,
        recipient: clinic.id,
        purpose: Purpose::CareCoordination,
        username: "nurse".into(),
        channel: "page".into(),
        source_system: "s".into(),
        source_key: "k".into(),
        disclosed_at: now,
    };
    store.record_disclosures(std::slice::from_ref(&d)).await.unwrap();
    let listed = store.list_disclosures("S1", now - chrono::Duration::days(1)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].source_key, "k");
    assert!(store.list_disclosures("S1", now + chrono::Duration::days(1)).await.unwrap().is_empty());
}

async fn services_and_referral_moves(store: Store) {
    use pmhc_core::services::*;
    use pmhc_core::sharing::DEFAULT_PARTNER;
    migrated(&store).await;
    let s = Service {
        id: 0,
        provider: DEFAULT_PARTNER,
        name: "Crisis Centre North".into(),
        kind: ServiceKind::CrisisCentre,
        intercept: Intercept::Community,
        eligibility: "adults".into(),
        hours: "24/7".into(),
        capacity: Some(12),
        police_dropoff: true,
        transit_access: true,
        phone: "555-0100".into(),
        address: "1 Main St".into(),
        area: "North".into(),
    };
    let saved = store.save_service(&s).await.unwrap();
    // Saving the same provider and name again changes it, keeping its id.
    let again = store.save_service(&Service { capacity: Some(14), ..s.clone() }).await.unwrap();
    assert_eq!(again.id, saved.id);
    assert_eq!(store.list_services().await.unwrap()[0].capacity, Some(14));
    assert!(matches!(store.save_service(&Service { hours: "Mon 8am".into(), ..s.clone() }).await, Err(StoreError::Invalid(_))));

    let r = store.create_referral("cad", "1", saved.id, ReferralState::Sent, "officer1", DEFAULT_PARTNER).await.unwrap();
    assert_eq!(r.state, ReferralState::Sent);
    assert!(matches!(store.move_referral(r.id, ReferralState::Connected, None, "x", 1).await, Err(StoreError::Invalid(_))), "no skipping");
    assert!(matches!(store.move_referral(r.id, ReferralState::TurnedAway, None, "x", 1).await, Err(StoreError::Invalid(_))), "reason needed");
    store.move_referral(r.id, ReferralState::Accepted, None, "nurse", 1).await.unwrap();
    let done = store.move_referral(r.id, ReferralState::Connected, None, "nurse", 1).await.unwrap();
    assert_eq!(done.state, ReferralState::Connected);
    let events = store.referral_events(r.id).await.unwrap();
    let path: Vec<_> = events.iter().map(|e| (e.from, e.to)).collect();
    assert_eq!(path, vec![
        (None, ReferralState::Sent),
        (Some(ReferralState::Sent), ReferralState::Accepted),
        (Some(ReferralState::Accepted), ReferralState::Connected),
    ]);
    assert_eq!(events[1].actor, "nurse");
    assert_eq!(store.referrals_of("cad", "1").await.unwrap().len(), 1);
    assert!(store.create_referral("cad", "1", saved.id, ReferralState::Connected, "x", 1).await.is_err());
}

async fn capacity_updates_and_referral_subjects(store: Store) {
    use pmhc_core::services::*;
    use pmhc_core::sharing::DEFAULT_PARTNER;
    migrated(&store).await;
    let s = Service {
        id: 0,
        provider: DEFAULT_PARTNER,
        name: "Detox East".into(),
        kind: ServiceKind::Detox,
        intercept: Intercept::LawEnforcement,
        eligibility: String::new(),
        hours: "24/7".into(),
        capacity: Some(6),
        police_dropoff: false,
        transit_access: false,
        phone: String::new(),
        address: String::new(),
        area: String::new(),
    };
    let saved = store.save_service(&s).await.unwrap();
    let a = store.add_capacity_update(saved.id, at(2026, 3, 1, 8, 0, 0), 0, Some(8), "nurse").await.unwrap();
    let b = store.add_capacity_update(saved.id, at(2026, 2, 1, 8, 0, 0), 2, None, "nurse").await.unwrap();
    assert_ne!(a, b);
    let (one, by) = store.capacity_update(a).await.unwrap().expect("the report");
    assert_eq!((one.service_id, one.available, one.total, by.as_str()), (saved.id, 0, Some(8), "nurse"));
    assert!(store.capacity_update(a + b + 1).await.unwrap().is_none());
    assert!(matches!(store.add_capacity_update(saved.id, at(2099, 1, 1, 0, 0, 0), 1, None, "x").await, Err(StoreError::Invalid(_))), "not in the future");
    assert!(matches!(store.add_capacity_update(saved.id + 99, at(2026, 3, 1, 8, 0, 0), 1, None, "x").await, Err(StoreError::NotFound { what: "service", .. })));
    let ups = store.capacity_updates().await.unwrap();
    assert_eq!(ups.len(), 2);
    assert_eq!((ups[0].reported_at, ups[0].available, ups[0].total), (at(2026, 2, 1, 8, 0, 0), 2, None), "oldest first");
    assert_eq!((ups[1].service_id, ups[1].available, ups[1].total), (saved.id, 0, Some(8)));

    // A referral of a stored encounter carries its groups and precinct; one of an encounter not
    // stored carries nothing known.
    let mut e = minimal_record("p1");
    e.area.precinct = Some("North".into());
    e.race_ethnicity = RaceEthnicity::Hispanic;
    e.gender = Gender::Female;
    e.age_band = AgeBand::A25To34;
    store.write_batch(DEFAULT_PARTNER, None, &[e]).await.unwrap();
    let r = store.create_referral("seattle", "p1", saved.id, ReferralState::Sent, "officer1", DEFAULT_PARTNER).await.unwrap();
    store.move_referral(r.id, ReferralState::Accepted, None, "nurse", 1).await.unwrap();
    store.move_referral(r.id, ReferralState::Connected, None, "nurse", 1).await.unwrap();
    store.create_referral("elsewhere", "x", saved.id, ReferralState::Sent, "officer1", DEFAULT_PARTNER).await.unwrap();
    let rows = store.referral_subjects().await.unwrap();
    assert_eq!(rows.len(), 2);
    let (f, subj) = &rows[0];
    assert_eq!((f.state, f.connected_at.is_some()), (ReferralState::Connected, true));
    assert_eq!(subj.owner, Some(DEFAULT_PARTNER));
    assert_eq!((subj.race_ethnicity, subj.gender, subj.age_band, subj.precinct.as_deref()), (RaceEthnicity::Hispanic, Gender::Female, AgeBand::A25To34, Some("North")));
    assert_eq!(rows[1].1, pmhc_core::capacity::ReferralSubject::default());
    let facts: Vec<_> = store.referral_facts().await.unwrap().into_iter().map(|x| x.2).collect();
    assert_eq!(facts, rows.iter().map(|x| x.0.clone()).collect::<Vec<_>>(), "the same facts as the gap report reads");
}

/// Rules read the store's clock (a referral's moves, the latest capacity report allowed); the
/// record-keeping stamps (the import history) keep the real time.
async fn the_clock_moves_the_rules_not_the_records(store: Store) {
    use pmhc_core::services::*;
    use pmhc_core::sharing::DEFAULT_PARTNER;
    migrated(&store).await;
    let at = pmhc_store::clock::parse_instant("2031-06-15T12:00:00Z").unwrap();
    let store = store.with_clock(Clock::fixed(at));
    assert_eq!(store.clock().today(), chrono::NaiveDate::from_ymd_opt(2031, 6, 15).unwrap());
    let s = Service {
        id: 0,
        provider: DEFAULT_PARTNER,
        name: "Mobile crisis".into(),
        kind: ServiceKind::MobileCrisis,
        intercept: Intercept::Community,
        eligibility: "anyone".into(),
        hours: "24/7".into(),
        capacity: Some(3),
        police_dropoff: false,
        transit_access: false,
        phone: "555-0101".into(),
        address: String::new(),
        area: "All".into(),
    };
    let saved = store.save_service(&s).await.unwrap();
    let r = store.create_referral("cad", "9", saved.id, ReferralState::Sent, "officer1", DEFAULT_PARTNER).await.unwrap();
    store.move_referral(r.id, ReferralState::Accepted, None, "nurse", DEFAULT_PARTNER).await.unwrap();
    let events = store.referral_events(r.id).await.unwrap();
    assert!(events.iter().all(|e| e.at == at), "moves are made at the clock's now: {events:?}");
    // Capacity reports up to the clock's now (a day of slack), not past it.
    let t = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    store.add_capacity_update(saved.id, t("2031-06-15 11:00"), 1, Some(3), "nurse").await.unwrap();
    assert!(store.add_capacity_update(saved.id, t("2031-06-20 00:00"), 1, Some(3), "nurse").await.is_err(), "in the future");
    // The import history is a record: the real time.
    let meta = NewImport {
        file_name: "f.csv".into(),
        file_sha256: String::new(),
        mapping_name: "m".into(),
        source_system: "cad".into(),
        partner: DEFAULT_PARTNER,
    };
    store.start_import(&meta).await.unwrap();
    let started = store.list_imports(None, 1).await.unwrap()[0].started_at;
    assert!((pmhc_store::clock::real_now() - started).num_minutes().abs() < 5, "{started}");
}

/// Five failures lock an account and end its sessions; the lock releases itself after ten
/// minutes, and a new lock needs five new failures.
async fn a_lock_releases_itself_and_ends_the_sessions(store: Store) {
    use pmhc_core::access::{LOCKOUT_ATTEMPTS, LOCKOUT_WINDOW, Role, Roles};
    migrated(&store).await;
    let t0 = pmhc_store::clock::parse_instant("2031-06-15T12:00:00Z").unwrap();
    let at = |minutes: i64| store.clone().with_clock(Clock::fixed(t0 + chrono::Duration::minutes(minutes)));
    let s = at(0);
    let u = s.create_user("kim", "Kim", Roles::of(&[Role::Officer]), pmhc_core::sharing::DEFAULT_PARTNER, "hash").await.unwrap();
    s.create_session("h1", u.id, "csrf", t0 + chrono::Duration::hours(1), true).await.unwrap();
    for i in 1..=LOCKOUT_ATTEMPTS {
        let locked = s.record_failed_sign_in("kim", LOCKOUT_WINDOW, LOCKOUT_ATTEMPTS).await.unwrap();
        assert_eq!(locked, i == LOCKOUT_ATTEMPTS, "failure {i}");
    }
    let (kim, _) = s.user_by_username("kim").await.unwrap().unwrap();
    assert!(kim.locked && kim.locked_until == Some(t0 + chrono::Duration::minutes(10)), "{kim:?}");
    assert!(s.session("h1").await.unwrap().is_none(), "locking ends the sessions");
    // Nine minutes on: still locked. Eleven: released by itself.
    assert!(at(9).user_by_username("kim").await.unwrap().unwrap().0.locked);
    let later = at(11);
    assert!(!later.user_by_username("kim").await.unwrap().unwrap().0.locked, "released");
    // One more failure does not lock it again: the count started afresh.
    assert!(!later.record_failed_sign_in("kim", LOCKOUT_WINDOW, LOCKOUT_ATTEMPTS).await.unwrap());
    for _ in 1..LOCKOUT_ATTEMPTS {
        later.record_failed_sign_in("kim", LOCKOUT_WINDOW, LOCKOUT_ATTEMPTS).await.unwrap();
    }
    assert!(later.user_by_username("kim").await.unwrap().unwrap().0.locked, "five new failures lock it again");
}

/// Fill the "disk": SQLite's `max_page_count` on every connection of the pool (it is a setting of
/// each connection), PostgreSQL a trigger raising SQLSTATE 53100 (`disk_full`). `None` lifts it.
async fn disk_full(store: &Store, full: bool) {
    match (store.sqlite_pool(), store.postgres_pool()) {
        (Some(pool), _) => {
            // Hold every connection the pool may have at once, so each gets the setting.
            let mut held = Vec::new();
            for _ in 0..pool.options().get_max_connections() {
                held.push(pool.acquire().await.expect("acquire"));
            }
            for c in &mut held {
                let pages: i64 = if full {
                    sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut **c).await.expect("page_count")
                } else {
                    4_294_967_294
                };
                let _: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}")))
                    .fetch_optional(&mut **c)
                    .await
                    .expect("max_page_count");
            }
        }
        (_, Some(pool)) => {
            let statements: &[&str] = if full {
                &[
                    "CREATE OR REPLACE FUNCTION pmhc_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                     RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$",
                    "DROP TRIGGER IF EXISTS pmhc_test_disk_full ON encounters",
                    "DROP TRIGGER IF EXISTS pmhc_test_disk_full ON audit_log",
                    "CREATE TRIGGER pmhc_test_disk_full BEFORE INSERT OR UPDATE ON encounters FOR EACH ROW EXECUTE FUNCTION pmhc_test_disk_full()",
                    "CREATE TRIGGER pmhc_test_disk_full BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION pmhc_test_disk_full()",
                ]
            } else {
                &[
                    "DROP TRIGGER pmhc_test_disk_full ON encounters",
                    "DROP TRIGGER pmhc_test_disk_full ON audit_log",
                    "DROP FUNCTION pmhc_test_disk_full()",
                ]
            };
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(s.to_string())).execute(pool).await.expect("disk-full trigger");
            }
        }
        _ => unreachable!(),
    }
}

fn audit_event(n: u32) -> pmhc_core::audit::AuditEvent {
    pmhc_core::audit::AuditEvent {
        at: format!("2026-01-01T00:00:{:02}.00Z", n % 60),
        actor: "tester".into(),
        partner: None,
        action: pmhc_core::audit::AuditAction::View,
        object: format!("encounter:seattle/{n}"),
        field_groups: vec![],
        source: "test".into(),
        outcome: pmhc_core::audit::AuditOutcome::Success,
        detail: "a detail long enough to need pages ".repeat(20),
    }
}

async fn a_full_disk_is_said_and_the_store_recovers(store: Store) {
    migrated(&store).await;
    let p = pmhc_core::sharing::DEFAULT_PARTNER;
    let first: Vec<Encounter> = (0..200).map(|i| full_record(&format!("a-{i:04}"))).collect();
    store.write_batch(p, None, &first).await.expect("first batch");
    store.append_audit(audit_event(0)).await.expect("first entry");
    disk_full(&store, true).await;
    // Writes fail with a message that says the disk is full, and keep nothing.
    let big: Vec<Encounter> = (0..5000).map(|i| full_record(&format!("b-{i:05}"))).collect();
    let mut said = false;
    for _ in 0..3 {
        let err = store.write_batch(p, None, &big).await.expect_err("the disk is full");
        assert!(err.is_disk_full(), "{err:?}");
        assert!(err.to_string().contains("disk holding the"), "{err}");
        said = true;
    }
    assert!(said);
    // A connection left in a transaction by the failure was closed and replaced (see
    // `healthy_after_release`): a new SQLite connection does not carry the cap, so set it again.
    disk_full(&store, true).await;
    let mut entry_refused = false;
    for n in 1..200 {
        match store.append_audit(audit_event(n)).await {
            Ok(_) => continue,
            Err(e) => {
                assert!(e.is_disk_full(), "{e:?}");
                entry_refused = true;
                break;
            }
        }
    }
    assert!(entry_refused, "the audit trail hits the full disk too");
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 200, "nothing of the failed batches");
    // Reads keep working meanwhile, on every connection.
    for _ in 0..30 {
        assert_eq!(store.count_encounters(&EncounterFilter::default()).await.expect("a read while full"), 200);
    }
    // Space returns: writes work again without a restart, on every connection.
    disk_full(&store, false).await;
    for _ in 0..30 {
        assert_eq!(store.count_encounters(&EncounterFilter::default()).await.expect("a read after"), 200);
    }
    let counts = store.write_batch(p, None, &big).await.expect("a write after space returned");
    assert_eq!(counts.inserted, 5000);
    for n in 300..310 {
        store.append_audit(audit_event(n)).await.expect("an entry after space returned");
    }
    assert_eq!(store.count_encounters(&EncounterFilter::default()).await.unwrap(), 5200);
}

/// A record saved one at a time keeps each version that changed it, numbered from 1, in the write's
/// transaction (a refused write keeps none); versions cannot be changed or removed. A partner's
/// person-key namespace round-trips.
async fn versions_are_kept_with_the_record_and_never_changed(store: Store) {
    migrated(&store).await;
    let p = pmhc_core::sharing::DEFAULT_PARTNER;
    let note = VersionNote { saved_by: "officer1", channel: "field form" };
    let mut e = minimal_record("V-1");
    assert_eq!(store.write_encounter_version(p, &e, note).await.unwrap(), Some(1));
    assert_eq!(store.write_encounter_version(p, &e, note).await.unwrap(), None, "unchanged: no version");
    e.area.precinct = Some("North".into());
    e.subject_key = Some("p-0123456789abcdef01234567".into());
    let edit = VersionNote { saved_by: "clinician1", channel: "field form edit" };
    assert_eq!(store.write_encounter_version(p, &e, edit).await.unwrap(), Some(2));
    assert_eq!(store.get_encounter(&e.source_system, "V-1").await.unwrap().as_ref(), Some(&e));
    let vs = store.encounter_versions(&e.source_system, "V-1").await.unwrap();
    assert_eq!(vs.iter().map(|v| (v.version, v.saved_by.as_str(), v.channel.as_str())).collect::<Vec<_>>(), [(1, "officer1", "field form"), (2, "clinician1", "field form edit")]);
    assert_eq!(vs[0].record.area.precinct, None);
    assert_eq!(vs[1].record, e);
    // Another partner's source is refused whole: no version either.
    let other = store.add_partner("Clinic", pmhc_core::sharing::Sector::BehavioralHealth).await.unwrap();
    e.area.precinct = Some("South".into());
    assert!(store.write_encounter_version(other.id, &e, note).await.is_err());
    assert_eq!(store.encounter_versions(&e.source_system, "V-1").await.unwrap().len(), 2);
    assert!(store.encounter_versions("nowhere", "V-1").await.unwrap().is_empty());
    // Append-only.
    for sql in ["UPDATE encounter_versions SET saved_by = 'x'", "DELETE FROM encounter_versions"] {
        let refused = match (store.sqlite_pool(), store.postgres_pool()) {
            (Some(pool), _) => sqlx::query(sql).execute(pool).await.is_err(),
            (_, Some(pool)) => sqlx::query(sql).execute(pool).await.is_err(),
            _ => unreachable!(),
        };
        assert!(refused, "{sql}: versions are kept as saved");
    }
    // The namespace of a partner's person keys.
    assert_eq!(store.person_namespace(p).await.unwrap(), None);
    store.set_person_namespace(p, Some("county-rms")).await.unwrap();
    assert_eq!(store.person_namespace(p).await.unwrap().as_deref(), Some("county-rms"));
    assert_eq!(store.person_namespace(other.id).await.unwrap(), None);
    store.set_person_namespace(p, None).await.unwrap();
    assert_eq!(store.person_namespace(p).await.unwrap(), None);
    assert!(store.set_person_namespace(999, Some("x")).await.is_err(), "no such partner");
}
