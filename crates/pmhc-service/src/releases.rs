//! The register of public releases: every public output — the public page and API, `pmhc report
//! --public`, public downloads — is a release, made once and frozen.
//!
//! What the public may see is the **published question**: the shared definitions' `[periods]`
//! (whole months), the whole jurisdiction with every breakdown and the monthly series. The public
//! page and API answer it, or one group of one of its breakdowns (a precinct, a response model),
//! or fewer of its breakdowns — never other periods, filters, sources or definitions versions
//! (those stay for signed-in users, whose reports are internal). `pmhc report --public --release`
//! publishes any other question as a release of its own.
//!
//! A release is made the first time its question is asked after the numbers changed (new data, new
//! definitions): disclosure control protects it jointly with every earlier release
//! ([`pmhc_core::outcomes::publish`]), or refuses it with the reason, and the register keeps its
//! cells so that later releases are protected jointly with it. While the numbers stay the same the
//! same release is served again, suppressed exactly as it was published.

use std::collections::HashMap;
use std::sync::Arc;

use pmhc_core::audit::{AuditAction, AuditOutcome};
use pmhc_core::definition::Period;
use pmhc_core::outcomes::{Dimension, OutcomeFilter, OutcomeReport, ReleaseCells, apply_release, group_view, publish};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::audit::{self, Actor};
use crate::outcomes::ReportQuery;
use crate::{ServiceContext, ServiceError};

/// A public report as a release of the register.
#[derive(Debug, Clone)]
pub struct Release {
    pub id: i64,
    /// When the release was made (UTC).
    pub created_at: String,
    pub made_by: String,
    /// Made by this request (not served again).
    pub new: bool,
    pub report: Arc<OutcomeReport>,
}

/// A release as the register lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseInfo {
    pub id: i64,
    pub created_at: String,
    pub made_by: String,
    pub definitions_version: u32,
    pub baseline: String,
    pub comparison: String,
    /// The question: filter, breakdowns, monthly series, source.
    pub question: serde_json::Value,
    /// What the data was when it was made (the newest encounter and the imports).
    pub data_stamp: String,
    /// Counts published and suppressed.
    pub published: usize,
    pub suppressed: usize,
}

/// What a release answers; the register's key (as canonical JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Question {
    definitions_version: u32,
    baseline: Period,
    comparison: Period,
    filter: OutcomeFilter,
    breakdowns: Vec<String>,
    monthly: bool,
    source: Option<String>,
}

/// Releases served recently, by question: the unsuppressed report they were made from (the
/// outcome cache's, compared by pointer) and the release.
#[derive(Default)]
pub(crate) struct ReleaseCache {
    served: Mutex<HashMap<String, (Arc<OutcomeReport>, Release)>>,
}

/// The public report for a question (see the module documentation). `new_release`: publish the
/// question as asked as a release of its own (`pmhc report --public --release`); otherwise only
/// the published question, or a view of it, is answered and anything else is
/// [`ServiceError::NotPublished`].
pub async fn public_report(cx: &ServiceContext, actor: &Actor, q: &ReportQuery, new_release: bool) -> Result<Release, ServiceError> {
    let current = cx.outcomes().current_definition().await?;
    let version = q.definitions_version.unwrap_or(current.version);
    if new_release {
        let published = current.definition.periods;
        let (Some(baseline), Some(comparison)) = (q.baseline.or(published.map(|p| p.baseline)), q.comparison.or(published.map(|p| p.comparison))) else {
            return Err(ServiceError::NoPeriods);
        };
        let question = Question {
            definitions_version: version,
            baseline,
            comparison,
            filter: q.filter.clone(),
            breakdowns: q.breakdowns.iter().map(|d| d.id().to_string()).collect(),
            monthly: q.monthly,
            source: q.source.clone(),
        };
        let full = ReportQuery { public: false, scope: None, periods_from_data: false, baseline: Some(baseline), comparison: Some(comparison), ..q.clone() };
        return release_of(cx, actor, &question, &full).await;
    }
    let Some(p) = current.definition.periods else {
        return Err(ServiceError::NotPublished(
            "no periods are published: the shared definitions in force have no [periods] (an editor of the definitions sets \
             them; `pmhc definitions show` explains)"
                .into(),
        ));
    };
    let asked = |what: Option<Period>, published: Period| what.is_none_or(|w| w == published);
    if !(asked(q.baseline, p.baseline) && asked(q.comparison, p.comparison)) || q.source.is_some() || version != current.version {
        return Err(ServiceError::NotPublished(format!(
            "public outputs answer the published periods only ({} against {}, under the definitions in force), for the \
             whole jurisdiction or one group of a breakdown; other periods, sources and definitions versions are for \
             signed-in users (an internal report), or a new release (`pmhc report --public --release`)",
            p.baseline, p.comparison
        )));
    }
    let question = Question {
        definitions_version: current.version,
        baseline: p.baseline,
        comparison: p.comparison,
        filter: OutcomeFilter::default(),
        breakdowns: Dimension::ALL.iter().map(|d| d.id().to_string()).collect(),
        monthly: true,
        source: None,
    };
    let full = ReportQuery {
        definitions_version: None,
        baseline: Some(p.baseline),
        comparison: Some(p.comparison),
        periods_from_data: false,
        breakdowns: Dimension::ALL.to_vec(),
        monthly: true,
        filter: OutcomeFilter::default(),
        source: None,
        public: false,
        scope: None,
    };
    let release = release_of(cx, actor, &question, &full).await?;
    view(release, q)
}

/// The published release as asked: one group of a breakdown (a filter on one of the dimensions a
/// filter can name), or fewer breakdowns, or no months.
fn view(release: Release, q: &ReportQuery) -> Result<Release, ServiceError> {
    let conds = q.filter.conditions();
    let report = match conds.as_slice() {
        [] => {
            let all = Dimension::ALL.iter().all(|d| q.breakdowns.contains(d));
            if all && q.monthly {
                return Ok(release);
            }
            let mut r = (*release.report).clone();
            r.breakdowns.retain(|b| q.breakdowns.contains(&b.by));
            if !q.monthly {
                r.monthly.clear();
            }
            r
        }
        [(dim, key)] => group_view(&release.report, *dim, key).ok_or_else(|| {
            ServiceError::NotPublished(format!("`{key}` is not a published group of the {} breakdown", dim.label().to_lowercase()))
        })?,
        _ => {
            return Err(ServiceError::NotPublished(
                "the public report answers one filter at a time (a group of one breakdown); crossings are not published".into(),
            ));
        }
    };
    Ok(Release { report: Arc::new(report), ..release })
}

/// The release of a question: the one that published these numbers, or a new one.
async fn release_of(cx: &ServiceContext, actor: &Actor, question: &Question, full: &ReportQuery) -> Result<Release, ServiceError> {
    let key = serde_json::to_string(question).map_err(|e| ServiceError::Internal(format!("writing a release question failed: {e}")))?;
    let source = cx.outcomes().report(full).await?;
    // One release is made at a time: each is protected jointly with all those before it.
    let mut served = cx.releases().served.lock().await;
    if let Some((from, release)) = served.get(&key)
        && Arc::ptr_eq(from, &source)
    {
        return Ok(release.clone());
    }
    let store = cx.store();
    if let Some(latest) = store.latest_release(&key, None).await? {
        let cells = decode_cells(&latest.cells, latest.id)?;
        let mut report = (*source).clone();
        if apply_release(&mut report, &cells) {
            let release = Release { id: latest.id, created_at: latest.created_at, made_by: latest.made_by, new: false, report: Arc::new(report) };
            served.insert(key, (source, release.clone()));
            return Ok(release);
        }
    }
    let mut earlier = Vec::new();
    for r in store.releases().await? {
        earlier.push((usize::try_from(r.id).unwrap_or(0), decode_cells(&r.cells, r.id)?));
    }
    let mut report = (*source).clone();
    let (report, cells) = tokio::task::spawn_blocking(move || publish(&mut report, &earlier).map(|cells| (report, cells)))
        .await
        .map_err(|e| ServiceError::Internal(format!("protecting a release failed: {e}")))?
        .map_err(ServiceError::ReleaseRefused)?;
    let data_stamp = store.data_stamp().await?;
    let cells_json = serde_json::to_string(&cells).map_err(|e| ServiceError::Internal(format!("writing a release failed: {e}")))?;
    let report_json = serde_json::to_string(&report).map_err(|e| ServiceError::Internal(format!("writing a release failed: {e}")))?;
    let (baseline, comparison) = (question.baseline.to_string(), question.comparison.to_string());
    audit::record(
        cx,
        actor,
        AuditAction::Create,
        format!("release:{baseline}/{comparison}"),
        &[],
        AuditOutcome::Success,
        format!("public release of {key} from data {data_stamp}"),
    )
    .await?;
    let (id, made) = store
        .insert_release(&pmhc_store::NewRelease {
            made_by: &actor.name,
            question: &key,
            data_stamp: &data_stamp,
            definitions_version: question.definitions_version,
            baseline: &baseline,
            comparison: &comparison,
            report: &report_json,
            cells: &cells_json,
        })
        .await?;
    let release = Release { id, created_at: made, made_by: actor.name.clone(), new: true, report: Arc::new(report) };
    served.insert(key, (source, release.clone()));
    Ok(release)
}

fn decode_cells(text: &str, id: i64) -> Result<ReleaseCells, ServiceError> {
    serde_json::from_str(text).map_err(|e| ServiceError::Internal(format!("release {id} in the register cannot be read: {e}")))
}

/// The register, oldest first. Anyone may read it: it says what was published, when and from what.
pub async fn register(cx: &ServiceContext) -> Result<Vec<ReleaseInfo>, ServiceError> {
    let mut out = Vec::new();
    for r in cx.store().releases().await? {
        let cells = decode_cells(&r.cells, r.id)?;
        let published = cells.cells.iter().filter(|c| c.status == pmhc_core::disclosure::CellStatus::Shown).count();
        let suppressed = cells
            .cells
            .iter()
            .filter(|c| matches!(c.status, pmhc_core::disclosure::CellStatus::Primary | pmhc_core::disclosure::CellStatus::Complementary))
            .count();
        out.push(ReleaseInfo {
            id: r.id,
            created_at: r.created_at,
            made_by: r.made_by,
            definitions_version: r.definitions_version,
            baseline: r.baseline,
            comparison: r.comparison,
            question: serde_json::from_str(&r.question).unwrap_or(serde_json::Value::Null),
            data_stamp: r.data_stamp,
            published,
            suppressed,
        });
    }
    Ok(out)
}

/// Every release's cells, oldest first (for an attack over the whole register).
pub async fn register_cells(cx: &ServiceContext) -> Result<Vec<ReleaseCells>, ServiceError> {
    cx.store().releases().await?.iter().map(|r| decode_cells(&r.cells, r.id)).collect()
}
