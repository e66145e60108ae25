//! One encounter, drawn in a fixed order from the main stream: the call, the place, the officers,
//! what happened (disposition, force, referrals) and the call number.

use chrono::{Datelike, NaiveTime, TimeDelta};
use pmhc_core::{
    Area, CallSource, Disposition, Encounter, HousingStatus, Officer, Referral, ReferralResult, ResponseModel,
    UseOfForce,
};

use crate::rates::*;
use crate::{AGENCY, Generator};
use crate::jurisdiction::{Chosen, Pool, certified_count, point_in, round6};
use crate::people::Person;
use crate::rng::{Draw, MainRng, cumulative};
use crate::window::Tables;

impl Generator {
    fn call_number(&mut self, year: i32) -> String {
        if year != self.seq_year {
            self.seq_year = year;
            self.seq = 0;
        }
        self.seq += 1;
        let mut s = String::with_capacity(16);
        s.push_str("DC");
        push_decimal(&mut s, u64::try_from(year).unwrap_or(0), 4);
        push_decimal(&mut s, self.seq, 7);
        s
    }

    pub(crate) fn build(&mut self, sec: u32) -> Encounter {
        let day = i64::from(self.cur_day);
        let t = day * 86_400 + i64::from(sec);
        let (idx, nth) = self.take_person(t);
        let person = self.person(idx);
        let date = self.cur_date;
        let call_number = self.call_number(date.year());
        let hour = sec / 3600;
        let reported = date.and_time(NaiveTime::MIN) + TimeDelta::seconds(i64::from(sec));
        let w = &self.window;
        let progress = w.progress(day);
        let tables = &self.tables;
        let rng = &mut self.rng;

        // The call.
        let ct_i = rng.pick(&tables.call);
        let ct = &CALL_TYPES[ct_i];
        let call_source = {
            let u = rng.f();
            let line988 = if day >= w.line988 { CALL_SOURCE_988 } else { 0.0 };
            let [p911, pnon, poff, _] = CALL_SOURCE_WEIGHTS;
            if u < line988 {
                CallSource::Transfer988
            } else if u < p911 {
                CallSource::Emergency911
            } else if u < p911 + pnon {
                CallSource::NonEmergency
            } else if u < p911 + pnon + poff {
                CallSource::OfficerInitiated
            } else {
                CallSource::Other
            }
        };
        let on_view = call_source == CallSource::OfficerInitiated;
        let prio = rng.pick(&tables.priority[ct_i]);

        // Where.
        let (beat_i, (lat, lon)) = if rng.chance(HOME_BEAT_SHARE) {
            let b = person.home_beat;
            if rng.chance(HOME_POINT_SHARE) {
                let j = HOME_POINT_JITTER_DEG;
                (
                    b,
                    (
                        person.home.0 + (rng.f() * 2.0 - 1.0) * j,
                        person.home.1 + (rng.f() * 2.0 - 1.0) * j,
                    ),
                )
            } else {
                (b, point_in(rng, &self.beats[b].bbox))
            }
        } else {
            let b = rng.pick(&tables.beat);
            (b, point_in(rng, &self.beats[b].bbox))
        };
        let beat = &self.beats[beat_i];
        let precinct = beat.precinct;

        // Who responds.
        let restricted = MOBILE_EXCLUDED.contains(&ct_i);
        let model = if person.class == 2 && day >= w.casemgmt && rng.chance(CASEMGMT_SHARE * progress) {
            ResponseModel::CaseManagement
        } else if day >= w.mobile
            && !on_view
            && !restricted
            && rng.chance(if call_source == CallSource::Transfer988 {
                MOBILE_SHARE_988
            } else {
                MOBILE_SHARE
            })
        {
            ResponseModel::MobileCrisis
        } else if day >= w.launch
            && !on_view
            && (PILOT_PRECINCTS.contains(&precinct) || day >= w.citywide)
            && (CORESP_HOURS.0..CORESP_HOURS.1).contains(&hour)
            && rng.chance(CORESP_SHARE * progress)
        {
            ResponseModel::CoResponder
        } else if rng.chance(CIT_SHARE_BEFORE + (CIT_SHARE_AFTER - CIT_SHARE_BEFORE) * progress)
            && certified_count(&self.roster.precincts[precinct], day) > 0
        {
            ResponseModel::Cit
        } else {
            let u = rng.f();
            if u < 0.005 {
                ResponseModel::Other
            } else if u < 0.015 {
                ResponseModel::Unknown
            } else {
                ResponseModel::StandardPatrol
            }
        };
        let m = match model {
            ResponseModel::Cit => M_CIT,
            ResponseModel::CoResponder => M_CORESP,
            ResponseModel::MobileCrisis => M_MOBILE,
            ResponseModel::CaseManagement => M_CASEMGMT,
            _ => M_STANDARD,
        };

        // What the call turned out to be.
        let final_i = if ct.clear {
            let u = rng.f();
            if u < FINAL_SAME_CLEAR {
                ct_i
            } else if u < FINAL_SAME_CLEAR + FINAL_OTHER_CLEAR {
                rng.below(5) as usize
            } else {
                5 + rng.below(5) as usize
            }
        } else if rng.chance(FINAL_GENERAL_TO_CRISIS) {
            CRISIS
        } else {
            ct_i
        };
        let recognised = if on_view {
            None
        } else {
            Some(rng.chance(if ct.clear { RECOGNISED_CLEAR } else { RECOGNISED_GENERAL }))
        };
        let mh_flag = CALL_TYPES[final_i].clear || !rng.chance(MH_FLAG_FALSE_GENERAL_FINAL);

        // Outcome.
        let d_i = rng.pick(&tables.disposition[m][ct_i]);
        let disposition = DISPOSITIONS[d_i];
        let located = d_i != D_UTL;
        let weapon = located && rng.chance(ct.weapon);
        let force_scale =
            FORCE_BY_DISPOSITION[d_i] * if weapon { FORCE_WEAPON_FACTOR } else { 1.0 } * tables.force_norm[m][ct_i];
        let force = {
            let u = rng.f();
            let levels = [
                UseOfForce::RestraintOnly,
                UseOfForce::Level1,
                UseOfForce::Level2,
                UseOfForce::Level3,
            ];
            let mut acc = 0.0;
            let mut level = UseOfForce::None;
            for (i, l) in levels.into_iter().enumerate() {
                acc += FORCE_BASE[m][i] * force_scale;
                if u < acc {
                    level = l;
                    break;
                }
            }
            level
        };
        let force_i = match force {
            UseOfForce::RestraintOnly => 1,
            UseOfForce::Level1 => 2,
            UseOfForce::Level2 => 3,
            UseOfForce::Level3 => 4,
            _ => 0,
        };
        let mut force_types: Vec<String> = Vec::new();
        if force_i > 0 {
            let mut ft = [usize::MAX; 2];
            match force {
                UseOfForce::RestraintOnly => ft[0] = FT_HANDCUFFING,
                UseOfForce::Level1 => {
                    ft[0] = FORCE_TYPES_L1[rng.below(3) as usize];
                    if rng.chance(0.3) {
                        ft[1] = FORCE_TYPES_L1[rng.below(3) as usize];
                    }
                }
                UseOfForce::Level2 => {
                    ft[0] = FORCE_TYPES_L2[rng.below(4) as usize];
                    if rng.chance(0.5) {
                        ft[1] = FORCE_TYPES_L1[rng.below(3) as usize];
                    }
                }
                _ => {
                    ft[0] = FORCE_TYPES_L3[rng.below(2) as usize];
                    if rng.chance(0.5) {
                        ft[1] = FORCE_TYPES_L2[rng.below(4) as usize];
                    }
                }
            }
            ft.sort_unstable();
            force_types.reserve(2);
            let mut last = usize::MAX;
            for f in ft {
                if f != usize::MAX && f != last {
                    force_types.push(FORCE_TYPES[f].to_string());
                    last = f;
                }
            }
        }
        let subject_injured = located && rng.chance(SUBJECT_INJURY[force_i]);
        let officer_injured = rng.chance(OFFICER_INJURY[force_i]);

        // Officers.
        let mut count = rng.pick(&tables.officer_count[m]) + 1;
        if (matches!(d_i, D_ARREST | D_HOLD) || force_i >= 2) && count < 3 && rng.chance(0.5) {
            count += 1;
        }
        let pool = &self.roster.precincts[precinct];
        let certified = certified_count(pool, day);
        let mut chosen = Chosen {
            slots: [(Pool::Unit, usize::MAX); 3],
            n: 0,
        };
        let local = Pool::Precinct(precinct);
        match model {
            ResponseModel::CoResponder => {
                chosen.fill(rng, Pool::Unit, 0, self.roster.unit.len(), 1);
                chosen.fill(rng, local, 0, pool.len(), count);
            }
            ResponseModel::Cit => {
                chosen.fill(rng, local, 0, certified, 1);
                chosen.fill(rng, local, 0, pool.len(), count);
            }
            ResponseModel::StandardPatrol | ResponseModel::Other | ResponseModel::Unknown => {
                // Standard patrol means no CIT officer reached the call.
                let lo = if certified < pool.len() { certified } else { 0 };
                chosen.fill(rng, local, lo, pool.len(), count);
            }
            _ => chosen.fill(rng, local, 0, pool.len(), count),
        }
        let n = chosen.n;
        let chosen = chosen.slots;
        let years_elapsed = u16::try_from(day.max(0) / 365).unwrap_or(u16::MAX);
        let mut officers: Vec<Officer> = Vec::with_capacity(n);
        let mut cit_arrived = false;
        for &(p, i) in &chosen[..n] {
            let o = match p {
                Pool::Unit => &self.roster.unit[i],
                Pool::Precinct(q) => &self.roster.precincts[q][i],
            };
            let cert = o.cert_day <= day;
            cit_arrived |= cert;
            officers.push(Officer {
                id: Some(o.id.clone()),
                years_experience: Some(o.base_years.saturating_add(years_elapsed)),
                cit_certified: Some(cert),
            });
        }
        officers.sort_by(|a, b| a.id.cmp(&b.id));
        let (cit_requested, cit_dispatched) = if cit_arrived {
            (true, true)
        } else {
            let unmet = match m {
                M_STANDARD => {
                    CIT_REQUESTED_UNMET_BEFORE + (CIT_REQUESTED_UNMET_AFTER - CIT_REQUESTED_UNMET_BEFORE) * progress
                }
                _ => 0.05,
            };
            let requested = rng.chance(unmet);
            (requested, requested && rng.chance(0.5))
        };
        let clinician = match model {
            ResponseModel::CoResponder | ResponseModel::MobileCrisis => true,
            ResponseModel::CaseManagement => rng.chance(0.5),
            _ => false,
        };

        // Times.
        let (dispatched, arrived) = if on_view {
            (reported, reported)
        } else {
            let q = rng
                .lognormal(DISPATCH_MEDIAN_MIN[prio] * 60.0, DISPATCH_SIGMA)
                .max(15.0);
            let travel_median = if model == ResponseModel::MobileCrisis {
                TRAVEL_MOBILE_MEDIAN_MIN
            } else {
                TRAVEL_MEDIAN_MIN
            };
            let tr = rng.lognormal(travel_median * 60.0, TRAVEL_SIGMA).max(60.0);
            let dsp = reported + TimeDelta::seconds(q as i64);
            (dsp, dsp + TimeDelta::seconds(tr as i64))
        };
        let scene_factor = match model {
            ResponseModel::CoResponder => 1.2,
            ResponseModel::MobileCrisis => 1.3,
            _ => 1.0,
        };
        let on_scene = rng
            .lognormal(ON_SCENE_MEDIAN_MIN[d_i] * scene_factor * 60.0, ON_SCENE_SIGMA)
            .clamp(180.0, 720.0 * 60.0) as i64;
        let cleared = arrived + TimeDelta::seconds(on_scene);
        let updated = cleared + TimeDelta::seconds(3600 + i64::from(rng.below(71 * 3600)));

        // People details.
        let substance = rng.chance(if person.sud {
            SUD_ENCOUNTER_WITH
        } else {
            SUD_ENCOUNTER_WITHOUT
        });
        let mut b = [usize::MAX; 3];
        b[0] = ct.behaviours[rng.below(ct.behaviours.len() as u32) as usize];
        if substance && rng.chance(BEHAVIOUR_INTOXICATED) {
            b[1] = B_INTOXICATED;
        }
        if rng.chance(BEHAVIOUR_EXTRA) {
            b[2] = rng.below(BEHAVIOURS.len() as u32) as usize;
        }
        b.sort_unstable();
        let mut behaviours = Vec::with_capacity(3);
        let mut last = usize::MAX;
        for x in b {
            if x != usize::MAX && x != last {
                behaviours.push(BEHAVIOURS[x].to_string());
                last = x;
            }
        }

        // Referrals.
        let warm = matches!(
            model,
            ResponseModel::CoResponder | ResponseModel::MobileCrisis | ResponseModel::CaseManagement
        );
        let referrals = referrals(rng, tables, d_i, &person, substance, warm, hour);
        let connected = referrals.iter().any(|r| r.result == ReferralResult::Connected);

        // Assemble.
        let mut e = Encounter::new(self.source_system.clone(), call_number.clone(), date);
        e.source_updated_at = Some(updated);
        e.agency = Some(AGENCY.to_string());
        e.call_number = Some(call_number);
        e.occurred_time = Some(reported.time());
        e.date_precision = pmhc_core::DatePrecision::Minute;
        e.reported_at = Some(reported);
        e.dispatched_at = Some(dispatched);
        e.arrived_at = Some(arrived);
        e.cleared_at = Some(cleared);
        e.area = Area {
            precinct: Some(beat.precinct_name.to_string()),
            sector: Some(beat.sector.to_string()),
            beat: Some(beat.code.clone()),
            latitude: Some(round6(lat)),
            longitude: Some(round6(lon)),
        };
        e.call_source = call_source;
        e.priority = Some(PRIORITIES[prio].to_string());
        e.initial_call_type = Some(ct.name.to_string());
        e.final_call_type = Some(CALL_TYPES[final_i].name.to_string());
        e.mh_recognised_at_dispatch = recognised;
        e.mental_health_flag = Some(mh_flag);
        e.response_model = model;
        e.cit_requested = Some(cit_requested);
        e.cit_dispatched = Some(cit_dispatched);
        e.cit_arrived = Some(cit_arrived);
        e.clinician_on_scene = Some(clinician);
        e.officers = officers;
        e.time_on_scene_minutes = Some((on_scene / 60) as u32);
        e.disposition = disposition;
        e.arrested = Some(disposition == Disposition::Arrest);
        e.cited = Some(disposition == Disposition::Citation);
        e.involuntary_hold = Some(disposition == Disposition::InvoluntaryHold);
        e.referrals = referrals;
        e.use_of_force = force;
        e.force_types = force_types;
        e.subject_injured = Some(subject_injured);
        e.officer_injured = Some(officer_injured);
        e.weapon_involved = Some(weapon);
        e.behaviours = behaviours;
        e.substance_use = Some(substance);
        if located {
            e.veteran = person.veteran;
            e.housing_status = person.housing;
            e.subject_key = Some(self.subject_key(idx));
            e.age_band = person.age;
            e.gender = person.gender;
            e.race_ethnicity = person.race;
        }

        let stop =
            (connected || model == ResponseModel::CaseManagement) && self.rng.chance(REPEAT_STOP_AFTER_CONNECTION);
        self.schedule(idx, nth, &person, t, stop);
        e
    }
}

const PRIORITIES: [&str; 4] = ["1", "2", "3", "4"];

fn referrals(
    rng: &mut MainRng,
    tables: &Tables,
    d_i: usize,
    person: &Person,
    substance: bool,
    warm: bool,
    hour: u32,
) -> Vec<Referral> {
    let mut services = [usize::MAX; 3];
    let mut n = 0;
    let mut fixed_result: Option<ReferralResult> = None;
    match d_i {
        D_REFERRAL | D_DECLINED => {
            let mut w = REFERRAL_SERVICE_WEIGHTS;
            if substance {
                w[S_SUD] *= 4.0;
                w[S_DETOX] *= 3.0;
            }
            if matches!(person.housing, HousingStatus::Unhoused | HousingStatus::Unstable) {
                w[S_HOUSING] *= 4.0;
            }
            if person.veteran == Some(true) {
                w[S_VA] = w[S_OUTPATIENT] / 2.0;
                w[S_OUTPATIENT] /= 2.0;
            }
            let count = if d_i == D_DECLINED {
                fixed_result = Some(ReferralResult::Declined);
                1
            } else {
                rng.pick(&tables.referral_count) + 1
            };
            let cum = cumulative(w);
            while n < count {
                let mut tries = 0;
                loop {
                    let s = rng.pick(&cum);
                    if !services[..n].contains(&s) {
                        services[n] = s;
                        n += 1;
                        break;
                    }
                    tries += 1;
                    if tries > 8 {
                        break;
                    }
                }
                if tries > 8 {
                    break;
                }
            }
        }
        D_DIVERTED => {
            let cum = [0.40, 0.70, 0.85, 1.0];
            services[0] = [S_CRISIS, S_SUD, S_DETOX, S_OUTPATIENT][rng.pick(&cum)];
            n = 1;
        }
        D_TRANSPORT if rng.chance(REFERRAL_ON_TRANSPORT) => {
            services[0] = if rng.chance(0.45) { S_CRISIS } else { S_ED };
            n = 1;
            let u = rng.f();
            fixed_result = Some(if u < 0.60 {
                ReferralResult::Connected
            } else if u < 0.95 {
                ReferralResult::Accepted
            } else {
                ReferralResult::TurnedAwayNoCapacity
            });
        }
        D_HOLD if rng.chance(REFERRAL_ON_HOLD) => {
            services[0] = S_ED;
            n = 1;
            fixed_result = Some(if rng.chance(0.7) {
                ReferralResult::Connected
            } else {
                ReferralResult::Accepted
            });
        }
        D_RESOLVED if rng.chance(REFERRAL_ON_RESOLVED) => {
            let cum = [3.0, 6.0, 8.0, 10.0];
            services[0] = [S_WARM, S_988, S_OUTPATIENT, S_PEER][rng.pick(&cum)];
            n = 1;
        }
        _ => {}
    }
    let mut out = Vec::with_capacity(n);
    for &s in &services[..n] {
        let (name, service_type) = SERVICES[s];
        let result = fixed_result.unwrap_or_else(|| {
            let mut w = REFERRAL_RESULTS;
            if warm {
                w[0] -= WARM_HANDOFF_SHIFT;
                w[2] += WARM_HANDOFF_SHIFT;
            }
            if matches!(s, S_OUTPATIENT | S_VA | S_PEER | S_CASEMGMT) && !(8..18).contains(&hour) {
                w[6] *= CLOSED_OUT_OF_HOURS_FACTOR;
            }
            [
                ReferralResult::Made,
                ReferralResult::Accepted,
                ReferralResult::Connected,
                ReferralResult::Declined,
                ReferralResult::TurnedAwayNoCapacity,
                ReferralResult::TurnedAwayNotEligible,
                ReferralResult::TurnedAwayClosed,
            ][rng.pick(&cumulative(w))]
        });
        out.push(Referral {
            service_type,
            service: Some(name.to_string()),
            result,
        });
    }
    out
}

/// Decimal, zero-padded to at least `width` digits.
fn push_decimal(s: &mut String, mut v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    for &c in &buf[start..] {
        s.push(char::from(c));
    }
}
