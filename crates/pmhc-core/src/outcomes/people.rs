//! The case-management population: the people who meet the repeat-encounter definition in a
//! period, with their encounter dates. Written directly from the records (not from the index), so
//! it doubles as a second implementation of the repeat rule.

use chrono::NaiveDate;
use serde::Serialize;

use crate::definition::{Period, SharedDefinition};

use super::data::OutcomeData;
use super::index::{LaneRanges, OutcomeFilter, lane_of};
use super::measure::CompiledDefinition;

/// A person who meets the repeat rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepeatPerson {
    /// The pseudonymous person key.
    pub subject_key: String,
    /// Their mental-health encounters in the period.
    pub encounters: usize,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Every encounter date in the period, oldest first.
    pub dates: Vec<NaiveDate>,
}

/// The people with at least `min_encounters` mental-health encounters within `window_days` of each
/// other inside `period`, most encounters first.
pub fn repeat_people(
    data: &OutcomeData,
    definition: &SharedDefinition,
    filter: &OutcomeFilter,
    period: &Period,
) -> Vec<RepeatPerson> {
    let def = CompiledDefinition::new(definition, &data.symbols);
    let ranges = LaneRanges::of(period);
    let keep = filter.matcher(&data.symbols);
    let mut by_person: std::collections::HashMap<u32, Vec<NaiveDate>> = std::collections::HashMap::new();
    for r in &data.records {
        if !keep(r) {
            continue;
        }
        let Some(s) = r.subject else { continue };
        let (lane, bucket) = lane_of(r.occurred_on, r.date_precision);
        if !ranges.contains(lane, bucket) || !def.is_mental_health(r) {
            continue;
        }
        by_person.entry(s).or_default().push(r.occurred_on);
    }
    let k = definition.repeat.min_encounters.max(2) as usize;
    let w = i64::from(definition.repeat.window_days);
    let mut out: Vec<RepeatPerson> = by_person
        .into_iter()
        .filter_map(|(s, mut dates)| {
            dates.sort_unstable();
            let meets = dates.windows(k).any(|win| (win[k - 1] - win[0]).num_days() <= w);
            meets.then(|| RepeatPerson {
                subject_key: data.symbols.name(s).to_string(),
                encounters: dates.len(),
                first: dates[0],
                last: dates[dates.len() - 1],
                dates,
            })
        })
        .collect();
    out.sort_by(|a, b| b.encounters.cmp(&a.encounters).then_with(|| a.subject_key.cmp(&b.subject_key)));
    out
}
