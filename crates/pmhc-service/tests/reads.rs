//! The reads front ends make through the service context: each checks the permission it needs,
//! narrows to the reader's partner, and the record-level ones leave their audit entry.

use pmhc_core::access::{Role, Roles};
use pmhc_core::audit::AuditAction;
use pmhc_core::sharing::Sector;
use pmhc_service::audit::Actor;
use pmhc_service::model::{AuditFilter, User};
use pmhc_service::{Acting, ErrorKind, ServiceContext, ServiceError};
use pmhc_store::{NewImport, Store};

async fn context() -> ServiceContext {
    let store = Store::open("sqlite::memory:").await.expect("an in-memory store");
    store.migrate().await.expect("migrations");
    ServiceContext::new(store)
}

async fn user(cx: &ServiceContext, name: &str, role: Role, partner: i64) -> User {
    pmhc_service::accounts::add_user(cx, name, name, Roles::from(role), partner, "a long test passphrase").await.expect("a user")
}

fn actor(u: &User) -> Actor {
    Actor { name: u.username.clone(), partner: Some(u.partner.to_string()), source: "test".into() }
}

fn refused<T: std::fmt::Debug>(r: Result<T, ServiceError>, what: &str) {
    match r {
        Err(e) => assert_eq!(e.kind(), ErrorKind::Refused, "{what}: {e}"),
        Ok(v) => panic!("{what}: allowed ({v:?})"),
    }
}

/// The audit trail as the operator reads it, oldest first (the reading's own entry follows).
async fn trail(cx: &ServiceContext) -> Vec<(String, AuditAction, String, String)> {
    let entries = pmhc_service::audit::list(cx, &Actor::cli(), Acting::Operator, AuditFilter::default(), 1000, 0).await.expect("the trail");
    let mut v: Vec<_> = entries.into_iter().map(|e| (e.event.actor, e.event.action, e.event.object, e.event.detail)).collect();
    v.reverse();
    v
}

#[tokio::test]
async fn each_read_refuses_the_roles_that_may_not() {
    let cx = context().await;
    let member = user(&cx, "member", Role::WorkgroupMember, 1).await;
    let (by, a) = (Acting::User(&member), actor(&member));
    refused(pmhc_service::imports::history(&cx, by, 10).await, "the import history");
    refused(pmhc_service::imports::get(&cx, by, 1).await, "an import");
    refused(pmhc_service::imports::rejects(&cx, &a, by, 1).await, "an import's rejected rows");
    refused(pmhc_service::audit::list(&cx, &a, by, AuditFilter::default(), 10, 0).await, "the audit trail");
    refused(pmhc_service::audit::export(&cx, &a, by, AuditFilter::default(), 10, "audit.csv").await, "the audit export");
    refused(pmhc_service::consents::list(&cx, &a, by, None, 10).await, "the consents");
    refused(pmhc_service::consents::get(&cx, &a, by, 1, "test").await, "a consent");
    refused(pmhc_service::sharing::accounting(&cx, &a, by, "S1").await, "the accounting of disclosures");
    refused(pmhc_service::accounts::visible_accounts(&cx, by).await, "the accounts");
    refused(pmhc_service::accounts::visible_tokens(&cx, by).await, "the API tokens");
    // What a workgroup member may read: outcomes and definitions, and what is no one's data.
    assert!(pmhc_service::definitions::history(&cx, by).await.is_ok_and(|h| !h.is_empty()), "the definitions");
    assert!(pmhc_service::partners::list(&cx).await.is_ok_and(|p| !p.is_empty()), "the partners");
    assert!(pmhc_service::agreements::visible(&cx, by).await.is_ok(), "its partner's agreements");
    // No refused read left an entry of its own (the front ends audit refusals), nor a change.
    assert!(trail(&cx).await.iter().all(|(who, ..)| who != "member"), "nothing recorded as the member");
}

#[tokio::test]
async fn reads_of_records_and_of_the_trail_are_audited() {
    let cx = context().await;
    let clinician = user(&cx, "clinician", Role::Clinician, 1).await;
    let auditor = user(&cx, "auditor", Role::Auditor, 1).await;
    let (c, a) = (Acting::User(&clinician), actor(&clinician));
    assert!(pmhc_service::consents::list(&cx, &a, c, Some(" S1 "), 200).await.expect("consents").is_empty());
    assert!(pmhc_service::sharing::accounting(&cx, &a, c, "S1").await.expect("the accounting").is_empty());
    let read = pmhc_service::audit::list(&cx, &actor(&auditor), Acting::User(&auditor), AuditFilter::default(), 100, 0).await.expect("the trail");
    pmhc_service::audit::export(&cx, &actor(&auditor), Acting::User(&auditor), AuditFilter::default(), 100, "audit.csv").await.expect("the export");
    let t = trail(&cx).await;
    let has = |who: &str, action: AuditAction, object: &str, detail: &str| {
        t.iter().any(|(w, ac, o, d)| w == who && *ac == action && o == object && d == detail)
    };
    assert!(has("clinician", AuditAction::View, "consents:S1", "0 consents"), "{t:?}");
    assert!(has("clinician", AuditAction::View, "accounting:S1", "0 disclosures"), "{t:?}");
    assert!(has("auditor", AuditAction::View, "audit", &format!("{} entries", read.len())), "{t:?}");
    assert!(has("auditor", AuditAction::Export, "audit.csv", &format!("{} entries", read.len() + 1)), "{t:?}");
}

#[tokio::test]
async fn a_partner_reads_its_own_imports_and_agreements_only() {
    let cx = context().await;
    let other = pmhc_service::partners::add(&cx, &Actor::cli(), Acting::Operator, "Clinic", Sector::BehavioralHealth).await.expect("a partner");
    let mine = user(&cx, "specialist", Role::DataSpecialist, 1).await;
    let theirs = user(&cx, "their-specialist", Role::DataSpecialist, other.id).await;
    let meta = |partner| NewImport { file_name: "f.csv".into(), file_sha256: String::new(), mapping_name: "pmhc".into(), source_system: format!("s{partner}"), partner };
    let own = pmhc_service::imports::begin(&cx, &Actor::cli(), &meta(1)).await.expect("an import");
    let foreign = pmhc_service::imports::begin(&cx, &Actor::cli(), &meta(other.id)).await.expect("an import");
    let by = Acting::User(&mine);
    assert_eq!(pmhc_service::imports::history(&cx, by, 10).await.expect("history").iter().map(|r| r.id).collect::<Vec<_>>(), vec![own]);
    assert_eq!(pmhc_service::imports::history(&cx, Acting::Operator, 10).await.expect("history").len(), 2, "the operator reads every partner's");
    assert_eq!(pmhc_service::imports::get(&cx, by, own).await.expect("its own").id, own);
    let absent = pmhc_service::imports::get(&cx, by, foreign).await.expect_err("another partner's");
    assert_eq!(absent.kind(), ErrorKind::NotFound, "as absent as one that does not exist");
    assert_eq!(pmhc_service::imports::summary(&cx, by, foreign).await.expect_err("another partner's").kind(), ErrorKind::NotFound);
    assert_eq!(pmhc_service::imports::rejects(&cx, &actor(&mine), by, foreign).await.expect_err("another partner's").kind(), ErrorKind::NotFound);
    assert_eq!(pmhc_service::imports::rejects(&cx, &actor(&mine), by, own).await.expect_err("none kept").kind(), ErrorKind::NotFound);
    assert_eq!(pmhc_service::imports::history(&cx, Acting::User(&theirs), 10).await.expect("history").iter().map(|r| r.id).collect::<Vec<_>>(), vec![foreign]);
    // An agreement between partner 1 and a third partner is not the clinic's to read.
    let third = pmhc_service::partners::add(&cx, &Actor::cli(), Acting::Operator, "Shelter", Sector::Housing).await.expect("a partner");
    let a = pmhc_core::sharing::InformationSharingAgreement {
        id: 0,
        title: "Police and shelter".into(),
        discloser: 1,
        recipient: third.id,
        direction: pmhc_core::sharing::Direction::OneWay,
        field_groups: "incident_details".parse().expect("groups"),
        purpose: pmhc_core::sharing::Purpose::CareCoordination,
        legal_basis: "MOU".into(),
        effective_on: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("a day"),
        expires_on: chrono::NaiveDate::from_ymd_opt(2099, 1, 1).expect("a day"),
        ended_on: None,
        discloser_approved_on: None,
        recipient_approved_on: None,
    };
    pmhc_service::agreements::propose(&cx, &Actor::cli(), Acting::Operator, a).await.expect("an agreement");
    assert_eq!(pmhc_service::agreements::visible(&cx, by).await.expect("agreements").len(), 1, "a party reads it");
    assert!(pmhc_service::agreements::visible(&cx, Acting::User(&theirs)).await.expect("agreements").is_empty(), "a third partner does not");
    assert_eq!(pmhc_service::agreements::visible(&cx, Acting::Operator).await.expect("agreements").len(), 1);
}

#[tokio::test]
async fn failures_are_named_by_kind_for_the_front_ends() {
    let cx = context().await;
    let missing = pmhc_service::partners::find(&cx, "no such partner").await.expect_err("absent");
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    let taken = pmhc_service::partners::add(&cx, &Actor::cli(), Acting::Operator, "Clinic", Sector::BehavioralHealth).await.and(
        pmhc_service::partners::add(&cx, &Actor::cli(), Acting::Operator, "Clinic", Sector::BehavioralHealth).await,
    );
    assert_eq!(taken.expect_err("a second partner of that name").kind(), ErrorKind::Conflict);
    let bad = pmhc_service::partners::add(&cx, &Actor::cli(), Acting::Operator, " ", Sector::BehavioralHealth).await.expect_err("no name");
    assert!(matches!(bad.kind(), ErrorKind::InvalidField { field, .. } if field == "name"));
    assert_eq!(ServiceError::AuditDiskFull.kind(), ErrorKind::Unavailable);
    assert_eq!(ServiceError::Internal("x".into()).kind(), ErrorKind::Internal);
    assert_eq!(ServiceError::NotProvider("Crisis line".into()).kind(), ErrorKind::NotProvider("Crisis line".into()));
}
