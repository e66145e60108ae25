//! What `pmhc demo` adds around the synthetic encounters so that every page has something to
//! show: a provider and its service inventory, closed-loop referrals with their histories made
//! from the encounters that recorded a referral, and a training programme whose roster is the
//! officers who answered the calls (so "a trained officer reached the call" agrees with the
//! encounters). Everything is made up and reproducible from the seed.

use anyhow::Result;
use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use pmhc_core::services::{ReferralState, Service, ServiceKind, TurnAwayReason};
use pmhc_core::sharing::{DEFAULT_PARTNER, PartnerId, Sector};
use pmhc_core::training::{Completion, Course, CourseKind, InstructorType, StaffMember, StaffRole};
use pmhc_core::{Encounter, ServiceType};
use pmhc_store::{NewSession, PastMove, ReferralHistory, Store};
use pmhc_synth::rng::Stream;

pub const DEMO_PROVIDER: &str = "County Behavioral Health (demo)";
/// At most this many closed-loop referrals (a sample of the encounters that recorded one): enough
/// for the referrals pages to be tried at scale.
const MAX_REFERRALS: usize = 2500;

/// An encounter that recorded a referral, remembered while the demo is generated.
#[derive(Clone)]
pub struct Candidate {
    pub source_key: String,
    pub at: NaiveDateTime,
    pub service_type: ServiceType,
}

/// The candidate of an encounter, if it recorded a referral to a kind of service the demo
/// provider offers.
pub fn candidate(e: &Encounter) -> Option<Candidate> {
    let r = e.referrals.iter().find(|r| kind_for(r.service_type).is_some())?;
    let at = e.reported_at.unwrap_or_else(|| e.occurred_on.and_time(e.occurred_time.unwrap_or_default()));
    Some(Candidate { source_key: e.source_key.clone(), at, service_type: r.service_type })
}

fn kind_for(t: ServiceType) -> Option<ServiceKind> {
    Some(match t {
        ServiceType::CrisisCentre => ServiceKind::CrisisCentre,
        ServiceType::MobileCrisis => ServiceKind::MobileCrisis,
        ServiceType::Detox => ServiceKind::Detox,
        ServiceType::OutpatientMentalHealth => ServiceKind::OutpatientMentalHealth,
        ServiceType::PeerSupport => ServiceKind::PeerSupport,
        ServiceType::Housing => ServiceKind::HousingShelter,
        ServiceType::CaseManagement => ServiceKind::CaseManagement,
        _ => return None,
    })
}

/// What the demo added besides the encounters.
#[derive(Debug, Default, serde::Serialize)]
pub struct Extras {
    pub services: usize,
    pub referrals: u64,
    pub capacity_reports: u64,
    pub staff: u64,
    pub completions: u64,
    pub workgroup_members: usize,
    pub meetings: usize,
    pub action_items: usize,
}

/// Add the provider, its services, the referrals and the training programme.
pub async fn add(
    store: &Store,
    seed: u64,
    source_system: &str,
    programme: &pmhc_synth::Programme,
    roster: &[pmhc_synth::DemoOfficer],
    candidates: Vec<Candidate>,
) -> Result<Extras> {
    let provider = match store.find_partner(DEMO_PROVIDER).await {
        Ok(p) => p.id,
        Err(_) => store.add_partner(DEMO_PROVIDER, Sector::BehavioralHealth).await?.id,
    };
    // The demo's own inventory, saved as the rest of its programme is (not an import to audit).
    let partners = store.list_partners().await?;
    let listed = pmhc_import::inventory::parse_inventory(include_bytes!("../../data/demo-services.csv"), &partners)
        .map_err(|p| anyhow::anyhow!("the demo's inventory has {} problems", p.len()))?;
    let mut services = Vec::with_capacity(listed.len());
    for s in &listed {
        services.push(store.save_service(s).await?);
    }
    let (referrals, capacity_reports) = if store.referral_facts().await?.is_empty() {
        let histories = referrals(seed, source_system, provider, &services, candidates);
        let n = store.record_referral_histories(&histories).await?;
        (n, capacity(store, seed, &services, &histories).await?)
    } else {
        (0, 0) // a second `pmhc demo` into the same database keeps what it made the first time
    };
    let (staff, completions) = training(store, seed, provider, programme, roster).await?;
    let (workgroup_members, meetings, action_items) = super::demo_workgroup::add(store, seed).await?;
    Ok(Extras { services: services.len(), referrals, capacity_reports, staff, completions, workgroup_members, meetings, action_items })
}

/// Referral histories for a sample of the candidates: most are accepted and connected within days,
/// some turned away (more often for no capacity at the busiest services), declined or cancelled.
fn referrals(seed: u64, source_system: &str, provider: PartnerId, services: &[Service], mut candidates: Vec<Candidate>) -> Vec<ReferralHistory> {
    // Evenly spread over the years: every candidate, or MAX_REFERRALS of them.
    let n = candidates.len();
    if n > MAX_REFERRALS {
        candidates = (0..MAX_REFERRALS).map(|i| candidates[i * n / MAX_REFERRALS].clone()).collect();
    }
    let mut d = Stream::named(seed, "referrals");
    let utc = |t: NaiveDateTime| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc);
    let mut out = Vec::with_capacity(candidates.len());
    for c in candidates {
        let Some(kind) = kind_for(c.service_type) else { continue };
        let Some(service) = services.iter().find(|s| s.kind == kind) else { continue };
        let officer = |at: NaiveDateTime, to| PastMove { at: utc(at), to, reason: None, actor: "demo-officer".into(), partner: DEFAULT_PARTNER };
        let clinician = |at: NaiveDateTime, to, reason| PastMove { at: utc(at), to, reason, actor: "demo-clinician".into(), partner: provider };
        let sent = c.at + TimeDelta::minutes(20 + d.below(90) as i64);
        let answered = sent + TimeDelta::minutes(30 + d.below(60 * 30) as i64);
        let mut moves = vec![officer(sent, ReferralState::Sent)];
        // The busiest services turn more people away for want of room.
        let full = match kind {
            ServiceKind::HousingShelter => 0.22,
            ServiceKind::Detox => 0.16,
            ServiceKind::CrisisCentre => 0.08,
            _ => 0.03,
        };
        let u = d.f();
        if u < full {
            moves.push(clinician(answered, ReferralState::TurnedAway, Some(TurnAwayReason::NoCapacity)));
        } else if u < full + 0.05 {
            let reason = [TurnAwayReason::NotEligible, TurnAwayReason::Closed, TurnAwayReason::NoResponse][d.below(3) as usize];
            moves.push(clinician(answered, ReferralState::TurnedAway, Some(reason)));
        } else if u < full + 0.12 {
            moves.push(officer(answered, ReferralState::Declined));
        } else if u < full + 0.15 {
            moves.push(officer(answered, ReferralState::Cancelled));
        } else if u < full + 0.20 {
            // Still waiting for an answer.
        } else {
            moves.push(clinician(answered, ReferralState::Accepted, None));
            let v = d.f();
            if v < 0.78 {
                // Connected after a few days (an exponential wait, mean three days).
                let days = -3.0 * (1.0 - d.f()).ln();
                let connected = answered + TimeDelta::minutes((days * 1440.0) as i64);
                moves.push(clinician(connected, ReferralState::Connected, None));
                if d.f() < 0.5 {
                    moves.push(clinician(connected + TimeDelta::days(7 + d.below(60) as i64), ReferralState::Completed, None));
                }
            } else if v < 0.88 {
                moves.push(officer(answered + TimeDelta::days(1 + d.below(10) as i64), ReferralState::Declined));
            }
        }
        out.push(ReferralHistory { source_system: source_system.to_string(), source_key: c.source_key, service_id: service.id, moves });
    }
    out
}

/// Refreshers every `months` after `from` (on the Monday of that week) up to today: most staff
/// take each one on time, some let it lapse (and then take no more).
fn refreshers(d: &mut Stream, today: NaiveDate, from: NaiveDate, months: u32, take: &mut impl FnMut(&mut Stream, NaiveDate)) {
    let mut last = from;
    while d.f() < 0.85 {
        let Some(next) = last.checked_add_months(Months::new(months)) else { break };
        let monday = next - TimeDelta::days(i64::from(next.weekday().num_days_from_monday()));
        if monday > today {
            break;
        }
        take(d, monday);
        last = monday;
    }
}

/// Capacity reports of the services with beds or slots: on the first of every month the referrals
/// span, the beds free that morning (fewer the busier the service), now and then a change of the
/// total (a unit closed for repairs, extra winter beds).
async fn capacity(store: &Store, seed: u64, services: &[Service], histories: &[ReferralHistory]) -> Result<u64> {
    let (Some(first), Some(last)) = (
        histories.iter().filter_map(|h| h.moves.first()).map(|m| m.at).min(),
        histories.iter().filter_map(|h| h.moves.first()).map(|m| m.at).max(),
    ) else {
        return Ok(0);
    };
    let mut d = Stream::named(seed, "capacity");
    let mut n = 0;
    for s in services {
        let Some(beds) = s.capacity.filter(|c| *c > 0) else { continue };
        let busy = match s.kind {
            ServiceKind::HousingShelter => 0.9,
            ServiceKind::Detox => 0.8,
            ServiceKind::CrisisCentre => 0.6,
            _ => 0.4,
        };
        let mut month = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).unwrap_or_default();
        while month <= last.date_naive() {
            let total = if d.f() < 0.1 { (f64::from(beds) * (0.75 + 0.5 * d.f())).round() as u32 } else { beds };
            let used = (f64::from(total) * (busy + (1.0 - busy) * (d.f() - 0.5))).round().clamp(0.0, f64::from(total)) as u32;
            let at = month.and_hms_opt(7, 0, 0).unwrap_or_default();
            store.add_capacity_update(s.id, at, total - used, Some(total), "demo-clinician").await?;
            n += 1;
            let Some(next) = month.checked_add_months(Months::new(1)) else { break };
            month = next;
        }
    }
    Ok(n)
}

fn courses() -> Vec<Course> {
    let c = |name: &str, kind, hours, refresher_months| Course { id: 0, name: name.into(), kind, hours, refresher_months };
    vec![
        c("CIT basic course (40 hours)", CourseKind::BasicCit, 40.0, Some(24)),
        c("CIT refresher", CourseKind::Refresher, 8.0, None),
        c("Crisis call-taking for dispatchers", CourseKind::Dispatcher, 16.0, Some(36)),
        c("De-escalation skills", CourseKind::DeEscalation, 8.0, None),
        c("Cultural competence in crisis response", CourseKind::CulturalCompetence, 4.0, None),
        c("Advanced: youth and families in crisis", CourseKind::Advanced, 8.0, None),
    ]
}

const SHIFTS: [&str; 3] = ["Day", "Evening", "Night"];

/// The training programme: the officers of the synthetic roster (trained on the day the encounters
/// say they became CIT-certified), dispatchers, the provider's clinicians, and their completions.
async fn training(store: &Store, seed: u64, provider: PartnerId, programme: &pmhc_synth::Programme, roster: &[pmhc_synth::DemoOfficer]) -> Result<(u64, u64)> {
    let mut saved = Vec::new();
    for c in courses() {
        saved.push(store.save_course(&c).await?);
    }
    let course = |k: CourseKind| saved.iter().find(|c| c.kind == k).map(|c| c.id).unwrap_or_default();
    let mut d = Stream::named(seed, "training");
    let mut staff: Vec<StaffMember> = Vec::new();
    let member = |partner, key: String, name: String, agency: &str, precinct: Option<&str>, shift: &str, role| StaffMember {
        id: 0,
        partner,
        staff_key: key,
        name,
        agency: agency.into(),
        precinct: precinct.map(String::from),
        shift: Some(shift.into()),
        role,
        active: true,
    };
    for o in roster {
        let role = if o.years >= 12 && d.f() < 0.3 { StaffRole::Supervisor } else { StaffRole::PatrolOfficer };
        let shift = SHIFTS[d.below(3) as usize];
        staff.push(member(DEFAULT_PARTNER, o.badge.clone(), format!("Officer {}", o.badge), "Police (demo)", Some(o.precinct.unwrap_or("Co-responder unit")), shift, role));
    }
    let dispatchers: Vec<(String, Option<NaiveDate>)> = (1..=30)
        .map(|i| {
            let trained = (d.f() < 0.6).then(|| programme.start + TimeDelta::days(59 + d.below(5 * 365) as i64));
            (format!("D{i:03}"), trained)
        })
        .collect();
    for (key, _) in &dispatchers {
        let shift = SHIFTS[d.below(3) as usize];
        staff.push(member(DEFAULT_PARTNER, key.clone(), format!("Dispatcher {key}"), "911 Communications (demo)", None, shift, StaffRole::Dispatcher));
    }
    for i in 1..=8 {
        staff.push(member(provider, format!("C{i:02}"), format!("Clinician C{i:02}"), DEMO_PROVIDER, None, SHIFTS[i % 2], StaffRole::Clinician));
    }
    store.save_staff(&staff).await?;
    let ids: std::collections::HashMap<(PartnerId, String), i64> =
        store.list_staff(None).await?.into_iter().map(|s| ((s.partner, s.staff_key), s.id)).collect();
    // Refreshers are given up to today (the store's clock), not only up to the window's end.
    let today = store.clock().today();
    let mut rows: Vec<(Option<NewSession>, Completion)> = Vec::new();
    let mut complete = |d: &mut Stream, partner: PartnerId, key: &str, course_id: i64, held_on: NaiveDate, completed_on: NaiveDate, instructors: &[InstructorType]| {
        let Some(&staff_id) = ids.get(&(partner, key.to_string())) else { return };
        let session = NewSession { course_id, held_on, location: "Regional Training Academy".into(), instructors: instructors.to_vec() };
        let pre = 40.0 + d.below(36) as f64;
        rows.push((
            Some(session),
            Completion {
                staff_id,
                session_id: 0,
                completed_on,
                pre_score: Some(pre),
                post_score: Some((pre + 10.0 + d.below(25) as f64).min(100.0)),
                evaluation: Some(3 + d.below(3) as u8),
            },
        ));
    };
    let cit_team = [InstructorType::Police, InstructorType::Clinician, InstructorType::LivedExperience, InstructorType::FamilyMember];
    for o in roster {
        let Some(on) = o.certified_on else {
            if d.f() < 0.4 {
                let day = programme.start + TimeDelta::days(370) + TimeDelta::weeks(d.below(250) as i64);
                complete(&mut d, DEFAULT_PARTNER, &o.badge, course(CourseKind::DeEscalation), day, day, &[InstructorType::Police]);
            }
            continue;
        };
        // The 40-hour course is given Monday to Friday; it is completed on the Friday.
        complete(&mut d, DEFAULT_PARTNER, &o.badge, course(CourseKind::BasicCit), on - TimeDelta::days(4), on, &cit_team);
        refreshers(&mut d, today, on, 22, &mut |d: &mut Stream, day| {
            complete(d, DEFAULT_PARTNER, &o.badge, course(CourseKind::Refresher), day, day, &[InstructorType::Police, InstructorType::LivedExperience])
        });
        if d.f() < 0.5 {
            let day = on + TimeDelta::weeks(4 + d.below(40) as i64);
            if day <= today {
                complete(&mut d, DEFAULT_PARTNER, &o.badge, course(CourseKind::CulturalCompetence), day, day, &[InstructorType::Advocate, InstructorType::LivedExperience]);
            }
        }
        if d.f() < 0.15 {
            let day = on + TimeDelta::weeks(10 + d.below(60) as i64);
            if day <= today {
                complete(&mut d, DEFAULT_PARTNER, &o.badge, course(CourseKind::Advanced), day, day, &[InstructorType::Clinician, InstructorType::FamilyMember]);
            }
        }
    }
    for (key, trained) in &dispatchers {
        if let Some(on) = trained {
            complete(&mut d, DEFAULT_PARTNER, key, course(CourseKind::Dispatcher), *on - TimeDelta::days(1), *on, &[InstructorType::Clinician, InstructorType::LivedExperience]);
            refreshers(&mut d, today, *on, 34, &mut |d: &mut Stream, day| {
                complete(d, DEFAULT_PARTNER, key, course(CourseKind::Refresher), day, day, &[InstructorType::Clinician])
            });
        }
    }
    for i in 1..=8 {
        let day = programme.co_responder_launch + TimeDelta::days(11) + TimeDelta::weeks(i);
        complete(&mut d, provider, &format!("C{i:02}"), course(CourseKind::DeEscalation), day, day, &[InstructorType::Clinician]);
    }
    let counts = store.record_completions(&rows).await?;
    Ok((staff.len() as u64, counts.added + counts.updated))
}
