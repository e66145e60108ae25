use chrono::{TimeZone, Utc};
use pmhc_core::access::Roles;
use pmhc_core::sharing::Sector;
use pmhc_core::workgroup::{Decision, LivedExperience, MeetingKind, MemberRole};
use pmhc_store::{AuditFilter, Clock, Store, User};

use super::*;

fn actor(u: &User) -> Actor {
    Actor { name: u.username.clone(), partner: Some(u.partner.to_string()), source: "test".into() }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a day")
}

async fn entries(store: &Store, object: &str) -> Vec<(AuditAction, Vec<String>, String)> {
    let f = AuditFilter { object_prefix: Some(object.to_string()), ..AuditFilter::default() };
    store.list_audit(&f, 100, 0).await.expect("audit").into_iter().map(|e| (e.event.action, e.event.field_groups, e.event.detail)).collect()
}

fn member(name: &str, sector: Sector, username: Option<&str>) -> Member {
    Member {
        id: 0,
        name: name.into(),
        username: username.map(String::from),
        affiliation: "NAMI".into(),
        partner: None,
        sector,
        role: MemberRole::Member,
        substitute_for: None,
        joined_on: day(2024, 1, 1),
        left_on: None,
    }
}

/// The coordinator keeps the workgroup; a member reads it, sees only their own self-description
/// and keeps only their own action items; other roles are refused; every change is audited before
/// it is made (an item created in a meeting, overdue on the clock, then done by its owner).
#[tokio::test]
async fn the_workgroup_is_kept_by_the_coordinator_and_read_by_its_members() {
    let store = Store::open("sqlite::memory:").await.expect("store").with_clock(Clock::fixed(Utc.with_ymd_and_hms(2025, 3, 20, 12, 0, 0).unwrap()));
    store.migrate().await.expect("migrate");
    let cx = ServiceContext::new(store.clone());
    let user = |name: &'static str, role: Role| {
        let store = store.clone();
        async move { store.create_user(name, name, Roles::of(&[role]), 1, "x").await.expect("user") }
    };
    let (coord, admin, ana, bo, officer) = (
        user("coord", Role::ProjectCoordinator).await,
        user("admin", Role::Administrator).await,
        user("ana", Role::WorkgroupMember).await,
        user("bo", Role::WorkgroupMember).await,
        user("officer", Role::Officer).await,
    );
    let (c, a) = (Acting::User(&coord), actor(&coord));

    let refused = save_member(&cx, &actor(&ana), Acting::User(&ana), member("X", Sector::Other, None)).await;
    assert!(matches!(refused, Err(ServiceError::NotYourPartner(_))), "{refused:?}");
    assert!(matches!(members(&cx, Acting::User(&officer)).await, Err(ServiceError::NotYourPartner(_))));

    let m_ana = save_member(&cx, &a, c, member("Ana", Sector::LivedExperience, Some("ana"))).await.expect("ana");
    let m_bo = save_member(&cx, &a, c, member("Bo", Sector::LawEnforcement, Some("bo"))).await.expect("bo");
    let bad = save_member(&cx, &a, c, member("Cy", Sector::Housing, Some("nobody"))).await.expect_err("unknown account");
    assert!(matches!(&bad, ServiceError::InvalidFields(p) if p[0].field == "username"), "{bad:?}");
    assert_eq!(entries(&store, "workgroup-member").await.len(), 2, "the refused one left no entry");

    // Ana describes herself; the coordinator reads it; Bo and the administrator do not.
    let said = SelfDescription { lived_experience: Some(LivedExperience::Lived), demographics: Vec::new(), in_own_words: "peer".into() };
    describe_member(&cx, &actor(&ana), Acting::User(&ana), m_ana.id, said.clone()).await.expect("described");
    let r = describe_member(&cx, &actor(&bo), Acting::User(&bo), m_ana.id, said.clone()).await;
    assert!(matches!(r, Err(ServiceError::NotYourPartner(_))), "{r:?}");
    assert_eq!(super::member(&cx, &a, c, m_ana.id).await.expect("read").self_description, Some(said.clone()));
    for who in [&bo, &admin] {
        let v = super::member(&cx, &actor(who), Acting::User(who), m_ana.id).await.expect("read");
        assert!(v.self_description.is_none() && !v.may_describe, "{} does not see it", who.username);
    }
    let e = entries(&store, &format!("workgroup-member:{}", m_ana.id)).await;
    assert!(e.iter().all(|(_, groups, _)| groups == &["demographics"]), "{e:?}");
    assert_eq!(e.iter().filter(|(a, _, _)| *a == AuditAction::View).count(), 1, "the coordinator's reading");

    // A meeting, an action item from its decision, overdue on the clock, done by its owner.
    let meeting = Meeting {
        id: 0,
        held_on: day(2025, 2, 3),
        kind: MeetingKind::Workgroup,
        title: "February".into(),
        location: String::new(),
        agenda: Vec::new(),
        attendance: Vec::new(),
        minutes: "Met.".into(),
        decisions: vec![Decision { number: 1, text: "Ask NAMI".into() }],
    };
    let mut hostile = meeting.clone();
    hostile.minutes = "[x](javascript:alert(1))".into();
    assert!(matches!(save_meeting(&cx, &a, c, hostile).await, Err(ServiceError::InvalidFields(p)) if p[0].field == "minutes"));
    assert!(store.meetings().await.expect("meetings").is_empty(), "nothing saved");
    let saved = save_meeting(&cx, &a, c, meeting).await.expect("meeting");
    let item = ActionItem {
        id: 0,
        meeting: saved.id,
        decision: Some(1),
        owner: m_ana.id,
        text: "Call NAMI".into(),
        due_on: day(2025, 3, 1),
        status: ActionStatus::Open,
        follow_up: String::new(),
        closed_on: None,
    };
    let early = ActionItem { due_on: day(2025, 1, 1), ..item.clone() };
    assert!(matches!(add_action_item(&cx, &a, c, early).await, Err(ServiceError::InvalidFields(p)) if p[0].field == "due_on"));
    let item = add_action_item(&cx, &a, c, item).await.expect("item");
    let all = action_items(&cx, Acting::User(&bo)).await.expect("items");
    assert_eq!(wg::overdue(&all, cx.clock().today()).len(), 1, "due 1 March, today 20 March");
    let done = ActionChange { status: Some(ActionStatus::Done), note: Some("Called; they join in April".into()), ..ActionChange::default() };
    let r = change_action_item(&cx, &actor(&bo), Acting::User(&bo), item.id, done.clone()).await;
    assert!(matches!(r, Err(ServiceError::NotYourPartner(_))), "Bo does not own it: {r:?}");
    let r = change_action_item(&cx, &actor(&ana), Acting::User(&ana), item.id, ActionChange { due_on: Some(day(2025, 6, 1)), ..ActionChange::default() }).await;
    assert!(matches!(r, Err(ServiceError::NotYourPartner(_))), "the owner changes the status and notes only: {r:?}");
    let changed = change_action_item(&cx, &actor(&ana), Acting::User(&ana), item.id, done).await.expect("done");
    assert_eq!((changed.status, changed.closed_on), (ActionStatus::Done, Some(day(2025, 3, 20))));
    assert_eq!(changed.follow_up, "2025-03-20 (ana): Called; they join in April");
    assert!(wg::overdue(&store.action_items().await.expect("items"), cx.clock().today()).is_empty());
    assert_eq!(entries(&store, &format!("action-item:{}", item.id)).await.len(), 1);
    let _ = m_bo;
}

/// Members, meetings and action items go out as CSV and come back unchanged; a file with a
/// problem saves nothing and names the line.
#[tokio::test]
async fn csv_round_trips_and_refuses_whole_files() {
    let store = Store::open("sqlite::memory:").await.expect("store");
    store.migrate().await.expect("migrate");
    let cx = ServiceContext::new(store.clone());
    let (a, by) = (Actor::cli(), Acting::Operator);
    let members_file = "name,sector,role,substitute_for,joined_on,left_on\nAna,lived_experience,chair,,2024-01-01,\nBo,law_enforcement,member,,2024-01-01,\nBo's deputy,law_enforcement,substitute,Bo,2024-02-01,\n";
    let n = csv::import_members(&cx, &a, by, "m.csv", members_file.as_bytes()).await.expect("members");
    assert_eq!((n.added, n.changed), (3, 0));
    let meetings_file = "held_on,kind,title,agenda,present,decisions,minutes\n2025-01-06,workgroup,January,\"Welcome | Ana | 10\nData | Bo\",Ana; Bo's deputy,\"Adopt the charge\nAsk 988\",\"=1+1 # Minutes\"\n";
    csv::import_meetings(&cx, &a, by, "x.csv", meetings_file.as_bytes()).await.expect("meetings");
    let actions_file = "meeting_on,decision,owner,text,due_on\n2025-01-06,2,Bo,Invite the 988 centre,2025-02-01\n";
    csv::import_actions(&cx, &a, by, "a.csv", actions_file.as_bytes()).await.expect("actions");
    let before = (store.workgroup_members().await.unwrap(), store.meetings().await.unwrap(), store.action_items().await.unwrap());
    assert_eq!(before.0.iter().find(|m| m.name == "Bo's deputy").and_then(|m| m.substitute_for), before.0.iter().find(|m| m.name == "Bo").map(|m| m.id));
    assert_eq!(before.1[0].minutes, "=1+1 # Minutes");
    let m = csv::members_csv(&cx, &a, by).await.expect("export");
    let g = csv::meetings_csv(&cx, &a, by).await.expect("export");
    let t = csv::actions_csv(&cx, &a, by).await.expect("export");
    assert!(String::from_utf8_lossy(&g).contains("'=1+1"), "spreadsheet-safe");
    for (f, bytes) in [("m", &m), ("g", &g), ("t", &t)] {
        let r = match f {
            "m" => csv::import_members(&cx, &a, by, f, bytes).await,
            "g" => csv::import_meetings(&cx, &a, by, f, bytes).await,
            _ => csv::import_actions(&cx, &a, by, f, bytes).await,
        };
        assert_eq!(r.expect("again").added, 0, "{f}: matched, not added");
    }
    let after = (store.workgroup_members().await.unwrap(), store.meetings().await.unwrap(), store.action_items().await.unwrap());
    assert_eq!(before, after);
    let bad = "meeting_on,owner,text,due_on\n2025-01-06,Nobody,x,2025-02-01\n2025-01-06,Ana,y,2024-12-01\n";
    let e = csv::import_actions(&cx, &a, by, "bad.csv", bad.as_bytes()).await.expect_err("refused").to_string();
    assert!(e.contains("line 2: owner: `Nobody` is not a member") && e.contains("line 3: due_on"), "{e}");
    assert_eq!(store.action_items().await.unwrap().len(), 1, "nothing saved");
}
