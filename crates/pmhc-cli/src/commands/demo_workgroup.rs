//! The demo's interagency workgroup: members across the sectors the guidance names (one missing,
//! so the page has a gap to show), the community's demographics and what most members say of
//! themselves, a year of monthly meetings up to the clock's today with agendas, attendance,
//! minutes and numbered decisions, the next meeting planned, and action items (most done, some
//! dropped, some open and overdue). Made up, reproducible from the seed, dated from the one clock.

use anyhow::Result;
use chrono::{Datelike, Days, Months, NaiveDate};
use pmhc_core::sharing::Sector;
use pmhc_core::workgroup::{
    ActionItem, ActionStatus, AgendaItem, Attendance, AttendanceRecord, Charge, CommunityShare, Decision, Demographic, LivedExperience, Meeting, MeetingKind,
    Member, MemberRole, SelfDescription,
};
use pmhc_store::Store;
use pmhc_synth::rng::Stream;

/// (name, affiliation, sector, role)
const MEMBERS: [(&str, &str, Sector, MemberRole); 15] = [
    ("Deputy Chief Maria Alvarez", "City Police Department", Sector::LawEnforcement, MemberRole::Chair),
    ("Dr. James Okafor", "County Behavioral Health", Sector::BehavioralHealth, MemberRole::CoChair),
    ("Lt. Sam Becker", "City Police Department (CIT coordinator)", Sector::LawEnforcement, MemberRole::Member),
    ("Sgt. Priya Natarajan", "City Police Department", Sector::LawEnforcement, MemberRole::Member),
    ("Ana Torres", "Regional 988 Crisis Line", Sector::CrisisServices, MemberRole::Member),
    ("Marcus Lee", "Mobile Crisis Team", Sector::CrisisServices, MemberRole::Member),
    ("Grace Whitfield", "NAMI County", Sector::Advocacy, MemberRole::Member),
    ("Devon Harris", "Peer Support Network", Sector::LivedExperience, MemberRole::Member),
    ("Rosa Jimenez", "Community member", Sector::LivedExperience, MemberRole::Member),
    ("Helen Park", "Families for Mental Health", Sector::Families, MemberRole::Member),
    ("Tom Bradley", "Recovery Services of the County", Sector::SubstanceUseTreatment, MemberRole::Member),
    ("Dr. Aisha Rahman", "St. Luke's Emergency Department", Sector::BehavioralHealth, MemberRole::Member),
    ("Kevin O'Brien", "Dispatch / 911 Communications", Sector::CrisisServices, MemberRole::Member),
    ("Lena Fischer", "Project coordinator", Sector::Other, MemberRole::Staff),
    ("Ofc. Dana Wright", "City Police Department", Sector::LawEnforcement, MemberRole::Substitute),
];

const RACE: [(&str, f64); 5] =
    [("White", 0.48), ("Black or African American", 0.24), ("Hispanic or Latino", 0.18), ("Asian", 0.07), ("Another group or more than one", 0.03)];
const AGE: [(&str, f64); 4] = [("18 to 29", 0.22), ("30 to 44", 0.27), ("45 to 64", 0.33), ("65 and over", 0.18)];

const TOPICS: [&str; 12] = [
    "Shared definition of a mental health call",
    "CIT training schedule for the next quarter",
    "988 and 911 call transfer protocol",
    "Baseline data: the four key outcomes",
    "Drop-off capacity at the crisis centre",
    "Information-sharing agreement with the county",
    "Repeat encounters: the case-management list",
    "Community forum on the co-responder programme",
    "Transportation to treatment after hours",
    "Review of use-of-force reports",
    "Sustainability plan and funding",
    "Member survey results and next year's priorities",
];

const DECISIONS: [&str; 8] = [
    "Adopt the shared definition as drafted by the data subcommittee.",
    "Ask the county to extend the crisis centre's police drop-off hours.",
    "Hold a public forum with NAMI and the peer network in the spring.",
    "Report the four key outcomes to the workgroup every quarter.",
    "Invite the housing authority to join the workgroup.",
    "Pilot the 988 transfer protocol on the night shift.",
    "Add people with lived experience as co-trainers of the CIT course.",
    "Request a line item for the co-responder team in next year's budget.",
];

const ACTIONS: [&str; 10] = [
    "Draft the letter to the county behavioral health director",
    "Circulate the baseline report before the next meeting",
    "Book the venue and interpreters for the community forum",
    "Collect dispatch call-type codes from the communications centre",
    "Ask the housing authority who would represent them",
    "Share the CIT attendance list with the chair",
    "Prepare talking points for the chief's radio interview",
    "Update the resource guide with the new peer respite",
    "Schedule the data subcommittee's first meeting",
    "Send the member survey",
];

fn first_tuesday(y: i32, m: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    let offset = (7 + 1 - first.weekday().num_days_from_monday() as i64) % 7;
    first.checked_add_days(Days::new(offset as u64))
}

/// Add the workgroup (nothing when the database has members already).
pub async fn add(store: &Store, seed: u64) -> Result<(usize, usize, usize)> {
    if !store.workgroup_members().await?.is_empty() {
        return Ok((0, 0, 0));
    }
    let today = store.clock().today();
    let start = today.checked_sub_months(Months::new(14)).unwrap_or(today);
    let mut d = Stream::named(seed, "workgroup");
    store
        .save_workgroup_charge(&Charge {
            name: "County Police–Mental Health Collaboration Workgroup".into(),
            vision: "People in a mental health crisis get the care they need, and no one is hurt or jailed for being in crisis.".into(),
            mission: "Police, behavioral health, crisis services, people with lived experience, families and advocates plan, run and review the county's response together, with data.".into(),
            principles: vec![
                "People with lived experience and their families are equal partners.".into(),
                "Decisions follow the data, and the data is shared.".into(),
                "Every voice is heard at every meeting.".into(),
            ],
            focus_areas: vec!["Training".into(), "Data collection and performance measurement".into(), "Policies and procedures".into(), "Crisis services capacity".into()],
        })
        .await?;
    let mut rows: Vec<Member> = MEMBERS
        .iter()
        .enumerate()
        .map(|(i, (name, affiliation, sector, role))| Member {
            id: 0,
            name: name.to_string(),
            username: None,
            affiliation: affiliation.to_string(),
            partner: None,
            sector: *sector,
            role: *role,
            // The substitute attends for the CIT coordinator (the third row).
            substitute_for: (*role == MemberRole::Substitute).then_some(-3),
            joined_on: start.checked_add_days(Days::new(if i < 10 { 0 } else { 30 * (i as u64 - 9) })).unwrap_or(start),
            left_on: None,
        })
        .collect();
    // One member left half-way (staff turnover).
    rows.push(Member {
        id: 0,
        name: "Capt. Ray Morgan".into(),
        username: None,
        affiliation: "Sheriff's Office".into(),
        partner: None,
        sector: Sector::LawEnforcement,
        role: MemberRole::Member,
        substitute_for: None,
        joined_on: start,
        left_on: start.checked_add_months(Months::new(6)),
    });
    let members = store.save_workgroup_members(&rows).await?;
    let mut community = Vec::new();
    for (g, s) in RACE {
        community.push(CommunityShare { category: "Race and ethnicity".into(), group: g.into(), share: s, source: "U.S. Census Bureau, ACS 5-year estimates".into(), year: today.year() - 2 });
    }
    for (g, s) in AGE {
        community.push(CommunityShare { category: "Age (adults)".into(), group: g.into(), share: s, source: "U.S. Census Bureau, ACS 5-year estimates".into(), year: today.year() - 2 });
    }
    store.save_community_demographics(&community).await?;
    for (i, m) in members.iter().enumerate() {
        if d.f() < 0.2 {
            continue; // not everyone answers
        }
        let race = if i % 3 == 0 { RACE[1].0 } else if i % 5 == 0 { RACE[2].0 } else { RACE[0].0 };
        let age = AGE[1 + (d.below(3) as usize)].0;
        let lived = match m.sector {
            Sector::LivedExperience => Some(LivedExperience::Lived),
            Sector::Families => Some(LivedExperience::Family),
            _ if d.f() < 0.2 => Some(LivedExperience::Both),
            _ => Some(LivedExperience::Neither),
        };
        let demographics = vec![Demographic { category: "Race and ethnicity".into(), group: race.into() }, Demographic { category: "Age (adults)".into(), group: age.into() }];
        store.save_self_description(m.id, &SelfDescription { lived_experience: lived, demographics, in_own_words: String::new() }).await?;
    }
    // A year of monthly meetings up to today, and the next one planned.
    let mut meetings = Vec::new();
    for k in (0..=12u32).rev() {
        let Some(month) = today.checked_sub_months(Months::new(k)) else { continue };
        let Some(day) = first_tuesday(month.year(), month.month()) else { continue };
        let day = if day >= today { match today.checked_add_months(Months::new(1)).and_then(|n| first_tuesday(n.year(), n.month())) { Some(n) => n, None => continue } } else { day };
        if meetings.iter().any(|m: &Meeting| m.held_on == day) {
            continue;
        }
        let held = day < today;
        let n = meetings.len();
        let presenters: Vec<i64> = members.iter().filter(|m| m.holds_seat() && m.current_on(day)).map(|m| m.id).collect();
        let agenda = vec![
            AgendaItem { title: "Welcome and introductions".into(), presenter: Some(members[0].id), minutes: Some(10) },
            AgendaItem { title: TOPICS[n % TOPICS.len()].into(), presenter: presenters.get(d.below(presenters.len().max(1) as u64) as usize).copied(), minutes: Some(30) },
            AgendaItem { title: TOPICS[(n + 5) % TOPICS.len()].into(), presenter: presenters.get(d.below(presenters.len().max(1) as u64) as usize).copied(), minutes: Some(20) },
            AgendaItem { title: "Round table: one update from each sector".into(), presenter: None, minutes: Some(20) },
        ];
        let mut attendance = Vec::new();
        let mut decisions = Vec::new();
        let mut minutes = String::new();
        if held {
            for m in members.iter().filter(|m| m.current_on(day)) {
                let u = d.f();
                let a = if m.role == MemberRole::Substitute { (u < 0.3).then_some(Attendance::Present) } else if u < 0.78 { Some(Attendance::Present) } else if u < 0.9 { Some(Attendance::Excused) } else { Some(Attendance::Absent) };
                if let Some(a) = a {
                    attendance.push(AttendanceRecord { member: m.id, attendance: a });
                }
            }
            for j in 0..(1 + d.below(2)) {
                decisions.push(Decision { number: j as u32 + 1, text: DECISIONS[(n * 2 + j as usize) % DECISIONS.len()].into() });
            }
            minutes = format!(
                "## Summary\n\nThe chair welcomed the members. **{}** was discussed: the data subcommittee presented the numbers and every sector gave its view.\n\n- The 988 line reported its monthly volume.\n- NAMI and the peer network raised transportation after hours.\n\nSee the [PMHC toolkit](https://bja.ojp.gov/program/pmhc) for the framework.",
                TOPICS[n % TOPICS.len()]
            );
        }
        meetings.push(Meeting { id: 0, held_on: day, kind: MeetingKind::Workgroup, title: format!("Workgroup meeting, {}", day.format("%B %Y")), location: "City Hall, Room 204".into(), agenda, attendance, minutes, decisions });
    }
    let saved = store.save_meetings(&meetings).await?;
    let owners: Vec<i64> = members.iter().filter(|m| m.left_on.is_none()).map(|m| m.id).collect();
    let mut items = Vec::new();
    for m in saved.iter().filter(|m| m.held_on < today) {
        for j in 0..(1 + d.below(3)) {
            let due = m.held_on.checked_add_days(Days::new(21 + d.below(21))).unwrap_or(m.held_on);
            let age = (today - m.held_on).num_days();
            let u = d.f();
            let status = if due >= today { ActionStatus::Open } else if age > 120 && u < 0.85 || age <= 120 && u < 0.55 { ActionStatus::Done } else if u < 0.9 { ActionStatus::Open } else { ActionStatus::Dropped };
            let closed_on = (status != ActionStatus::Open).then(|| due.min(today.pred_opt().unwrap_or(today)).max(m.held_on));
            let decision = (!m.decisions.is_empty() && j == 0).then_some(1);
            items.push(ActionItem {
                id: 0,
                meeting: m.id,
                decision,
                owner: owners[d.below(owners.len() as u64) as usize],
                text: ACTIONS[(items.len() * 3 + j as usize) % ACTIONS.len()].into(),
                due_on: due,
                status,
                follow_up: if status == ActionStatus::Done { format!("{}: done and reported at the next meeting", closed_on.unwrap_or(due)) } else { String::new() },
                closed_on,
            });
        }
    }
    let n = store.save_action_items(&items).await?.len();
    Ok((members.len(), saved.len(), n))
}
