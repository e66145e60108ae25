//! Outcome reports, cold or warm.
//!
//! [`OutcomeCache`] keeps what a report needs between requests: the store's [`OutcomeData`] (per
//! source-system choice), the definitions in force, and the [`OutcomeIndex`] built for each
//! (definitions version, source, filter) asked for recently. A report from a built index takes
//! milliseconds even at millions of encounters. The cache notices changes made by other processes
//! through [`Store::change_stamp`], checked at most every [`OutcomeCache::STAMP_INTERVAL`]; changes
//! made through this process call [`OutcomeCache::invalidate`].
//!
//! The CLI uses the same path once ([`compute_report`]), so a page, the API and `pmhc report`
//! give the same report for the same question.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Months, NaiveDate};
use pmhc_core::definition::{DefinitionVersion, Period, Periods};
use pmhc_core::outcomes::{DefinitionRef, Dimension, OutcomeData, OutcomeFilter, OutcomeIndex, OutcomeReport, ReportRequest, make_public};
use pmhc_core::sharing::{ReportScope, scoped_outcome_data};
use pmhc_store::Store;
use tokio::sync::Mutex;

use crate::{ServiceContext, ServiceError};

/// The question a report answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportQuery {
    /// The definitions version to use (the one in force when `None`).
    pub definitions_version: Option<u32>,
    /// The periods; when absent, the definitions' default periods, else (if
    /// `periods_from_data`) the last twelve months of data against the twelve before.
    pub baseline: Option<Period>,
    pub comparison: Option<Period>,
    pub periods_from_data: bool,
    pub breakdowns: Vec<Dimension>,
    pub monthly: bool,
    pub filter: OutcomeFilter,
    /// Only encounters from this source system.
    pub source: Option<String>,
    /// Apply disclosure control (suppress small counts).
    pub public: bool,
    /// Whose records, seen through which field groups (`None`: every record in full — the CLI
    /// and the public page, which always applies disclosure control).
    pub scope: Option<ReportScope>,
}

/// The source, and for a scoped copy the scope and the definitions version whose `[disclosure]`
/// values it withholds.
type DataKey = (Option<String>, Option<(ReportScope, u32)>);
type IndexKey = (u32, DataKey, OutcomeFilter);
type Stamp = (i64, i64, i64, i64);

#[derive(Default)]
struct State {
    stamp: Option<Stamp>,
    checked: Option<Instant>,
    definition: Option<Arc<DefinitionVersion>>,
    data: HashMap<DataKey, Arc<OutcomeData>>,
    /// Most recently used last.
    indexes: Vec<(IndexKey, Arc<OutcomeIndex>)>,
    /// Finished reports by question, oldest first.
    reports: Vec<(ReportQuery, Arc<OutcomeReport>)>,
    /// Bumped whenever the cache is emptied, so a report computed before is not kept after.
    generation: u64,
}

impl State {
    fn reset(&mut self, stamp: Option<Stamp>) {
        let generation = self.generation + 1;
        *self = State { stamp, generation, ..State::default() };
    }
}

/// The warm report path (see the module documentation). Cheap to share behind an `Arc`.
pub struct OutcomeCache {
    store: Store,
    state: Mutex<State>,
    stamp_interval: Duration,
}

impl OutcomeCache {
    /// How often the cache asks the store whether another process changed the data.
    pub const STAMP_INTERVAL: Duration = Duration::from_secs(2);
    /// Indexes kept (each is a few megabytes at a million encounters).
    pub const MAX_INDEXES: usize = 24;
    /// Reports kept (a few hundred kilobytes each).
    pub const MAX_REPORTS: usize = 64;

    pub(crate) fn new(store: Store) -> Self {
        OutcomeCache { store, state: Mutex::new(State::default()), stamp_interval: Self::STAMP_INTERVAL }
    }

    /// A cache that checks the store on every request (for one-shot use and tests).
    pub(crate) fn uncached(store: Store) -> Self {
        OutcomeCache { store, state: Mutex::new(State::default()), stamp_interval: Duration::ZERO }
    }

    /// Forget everything: the next report reloads from the store.
    pub async fn invalidate(&self) {
        self.state.lock().await.reset(None);
    }

    /// The definitions in force (cached with the data).
    pub async fn current_definition(&self) -> Result<Arc<DefinitionVersion>, ServiceError> {
        let mut st = self.state.lock().await;
        self.refresh(&mut st).await?;
        self.definition_in_force(&mut st).await
    }

    /// The definitions in force, from the (refreshed) state or read once from the store.
    async fn definition_in_force(&self, st: &mut State) -> Result<Arc<DefinitionVersion>, ServiceError> {
        if let Some(d) = &st.definition {
            return Ok(d.clone());
        }
        let d = Arc::new(self.store.current_definition().await?);
        st.definition = Some(d.clone());
        Ok(d)
    }

    async fn refresh(&self, st: &mut State) -> Result<(), ServiceError> {
        let due = st.checked.is_none_or(|t| t.elapsed() >= self.stamp_interval);
        if due {
            let stamp = self.store.change_stamp().await?;
            if st.stamp != Some(stamp) {
                st.reset(Some(stamp));
            }
            st.checked = Some(Instant::now());
        }
        Ok(())
    }

    /// The index for a question, built if needed, and the definitions it was built with.
    async fn index(&self, q: &ReportQuery) -> Result<(Arc<DefinitionVersion>, Arc<OutcomeIndex>, usize), ServiceError> {
        let mut st = self.state.lock().await;
        self.refresh(&mut st).await?;
        let dv = match q.definitions_version {
            Some(v) => Arc::new(self.store.definition_version(Some(v)).await?.ok_or(ServiceError::NoSuchDefinitionVersion(v))?),
            None => self.definition_in_force(&mut st).await?,
        };
        let whole: DataKey = (q.source.clone(), None);
        let base = match st.data.get(&whole) {
            Some(d) => d.clone(),
            None => {
                let started = Instant::now();
                let d = Arc::new(self.store.load_outcome_data(q.source.as_deref()).await?);
                tracing::info!(records = d.records.len(), ms = started.elapsed().as_millis() as u64, "outcome data loaded");
                st.data.insert(whole, d.clone());
                d
            }
        };
        let data_key: DataKey = (q.source.clone(), q.scope.clone().map(|s| (s, dv.version)));
        let data = match (&q.scope, st.data.get(&data_key)) {
            (None, _) => base.clone(),
            (Some(_), Some(d)) => d.clone(),
            (Some(scope), None) => {
                // A viewer who does not see everything gets a copy with what they may see; one
                // who does shares the whole data.
                let (b, sc) = (base.clone(), scope.clone());
                let sensitive = dv.definition.disclosure.sensitive_values();
                let scoped = tokio::task::spawn_blocking(move || scoped_outcome_data(&b, &sc, &sensitive))
                    .await
                    .map_err(|e| ServiceError::Internal(format!("scoping the outcome data failed: {e}")))?;
                let d = scoped.map_or_else(|| base.clone(), Arc::new);
                // Scoped copies are kept for a few viewers' partners at most.
                if st.data.len() > 8 {
                    st.data.retain(|k, _| k.1.is_none());
                }
                st.data.insert(data_key.clone(), d.clone());
                d
            }
        };
        // A scope that sees the whole data shares the whole data's indexes.
        let data_key = if Arc::ptr_eq(&data, &base) { (q.source.clone(), None) } else { data_key };
        let key: IndexKey = (dv.version, data_key, q.filter.clone());
        if let Some(pos) = st.indexes.iter().position(|(k, _)| *k == key) {
            let entry = st.indexes.remove(pos);
            let index = entry.1.clone();
            st.indexes.push(entry);
            return Ok((dv, index, data.records.len()));
        }
        let started = Instant::now();
        let (def, filter, d2) = (dv.definition.clone(), q.filter.clone(), data.clone());
        let index = tokio::task::spawn_blocking(move || OutcomeIndex::build(&d2, &def, &filter))
            .await
            .map_err(|e| ServiceError::Internal(format!("building the outcome index failed: {e}")))?;
        tracing::info!(ms = started.elapsed().as_millis() as u64, "outcome index built");
        let index = Arc::new(index);
        if st.indexes.len() >= Self::MAX_INDEXES {
            st.indexes.remove(0);
        }
        st.indexes.push((key, index.clone()));
        Ok((dv, index, data.records.len()))
    }

    /// The groups of a breakdown (e.g. the precincts) among all mental-health encounters, for
    /// filter choices.
    pub async fn groups(&self, dim: Dimension, scope: Option<ReportScope>) -> Result<Vec<pmhc_core::outcomes::Group>, ServiceError> {
        let (_, index, _) = self.index(&ReportQuery { scope, ..ReportQuery::default() }).await?;
        Ok(index.groups(dim).to_vec())
    }

    /// The report for a question (computed once per question while the data and definitions
    /// stay the same).
    pub async fn report(&self, q: &ReportQuery) -> Result<Arc<OutcomeReport>, ServiceError> {
        let generation = {
            let mut st = self.state.lock().await;
            self.refresh(&mut st).await?;
            if let Some((_, r)) = st.reports.iter().find(|(k, _)| k == q) {
                return Ok(r.clone());
            }
            st.generation
        };
        let report = Arc::new(self.compute(q).await?);
        let mut st = self.state.lock().await;
        if st.generation == generation {
            if st.reports.len() >= Self::MAX_REPORTS {
                st.reports.remove(0);
            }
            st.reports.push((q.clone(), report.clone()));
        }
        Ok(report)
    }

    async fn compute(&self, q: &ReportQuery) -> Result<OutcomeReport, ServiceError> {
        let (dv, index, records) = self.index(q).await?;
        let mut chosen = None;
        let periods = match (q.baseline.or(dv.definition.periods.map(|p| p.baseline)), q.comparison.or(dv.definition.periods.map(|p| p.comparison))) {
            (Some(baseline), Some(comparison)) => Periods { baseline, comparison },
            _ if q.periods_from_data => {
                let p = periods_from_span(index.month_span()).ok_or_else(|| {
                    ServiceError::Invalid("there are no mental-health encounters to choose periods from".into())
                })?;
                chosen = Some(p);
                p
            }
            _ => return Err(ServiceError::NoPeriods),
        };
        for p in [&periods.baseline, &periods.comparison] {
            index.check_precision(p)?;
        }
        let req = ReportRequest { periods, breakdowns: q.breakdowns.clone(), monthly: q.monthly };
        // Milliseconds usually, but long periods and many months take longer: off the async threads.
        let dv2 = dv.clone();
        let mut report = tokio::task::spawn_blocking(move || index.report(DefinitionRef::new(dv2.version, &dv2.definition), &req))
            .await
            .map_err(|e| ServiceError::Internal(format!("computing the report failed: {e}")))?;
        if let Some(p) = chosen {
            report.notes.insert(
                0,
                format!("Periods chosen from the data: the last twelve months ({}) against the twelve before ({}).", p.comparison, p.baseline),
            );
        }
        if let Some(s) = &q.source {
            report.notes.insert(0, format!("Only encounters from source system `{s}`."));
        }
        if let Some(scope) = &q.scope
            && scope.0.len() > 1
        {
            report.notes.insert(
                0,
                "Covers your partner's encounters and those other partners share with it under agreements in force; \
                 fields an agreement does not share count as not known, and so do other partners' values that reveal \
                 substance use (e.g. an overdose call type or a detox referral): an encounter whose only mental-health \
                 sign is such a value is not counted as a mental-health encounter."
                    .into(),
            );
        }
        if records == 0 {
            report.notes.insert(0, "The database holds no encounters: import some (`pmhc import`) or make a demo (`pmhc demo`).".into());
        }
        if q.public {
            make_public(&mut report);
        }
        Ok(report)
    }
}

/// One report, computed from the store without keeping anything (the CLI's path).
pub async fn compute_report(cx: &ServiceContext, q: &ReportQuery) -> Result<OutcomeReport, ServiceError> {
    let store = cx.store();
    OutcomeCache::uncached(store.clone()).compute(q).await
}

/// The last twelve whole months with data against the twelve before; when there are fewer than
/// 24 months, the months split in two halves.
pub fn periods_from_span(span: Option<(NaiveDate, NaiveDate)>) -> Option<Periods> {
    let (first, last) = span?;
    // `last` is the last day of the last month; the day after starts the month after it.
    let end_next = last.succ_opt()?;
    let months = (end_next.year_month() - first.year_month()).max(1) as u32;
    let per = if months >= 24 { 12 } else { (months / 2).max(1) };
    let c_from = end_next.checked_sub_months(Months::new(per))?;
    let b_from = c_from.checked_sub_months(Months::new(per))?.max(first);
    let b_to = c_from.pred_opt()?;
    if b_to < b_from {
        let p = Period::new(first, last).ok()?;
        return Some(Periods { baseline: p, comparison: p });
    }
    Some(Periods { baseline: Period::new(b_from, b_to).ok()?, comparison: Period::new(c_from, last).ok()? })
}

trait YearMonth {
    fn year_month(&self) -> i32;
}

impl YearMonth for NaiveDate {
    fn year_month(&self) -> i32 {
        use chrono::Datelike;
        self.year() * 12 + self.month0() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_from_the_data_span() {
        let p = periods_from_span(Some((d("2019-01-01"), d("2023-06-30")))).unwrap();
        assert_eq!(p.comparison, Period::new(d("2022-07-01"), d("2023-06-30")).unwrap());
        assert_eq!(p.baseline, Period::new(d("2021-07-01"), d("2022-06-30")).unwrap());
        let p = periods_from_span(Some((d("2023-01-01"), d("2023-06-30")))).unwrap();
        assert_eq!(p.baseline, Period::new(d("2023-01-01"), d("2023-03-31")).unwrap());
        assert_eq!(p.comparison, Period::new(d("2023-04-01"), d("2023-06-30")).unwrap());
        let p = periods_from_span(Some((d("2023-05-01"), d("2023-05-31")))).unwrap();
        assert_eq!(p.baseline, p.comparison);
        assert_eq!(periods_from_span(None), None);
    }
}
