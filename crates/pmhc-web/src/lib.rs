//! # pmhc-web
//!
//! `pmhc serve`: the web application of pmhc — server-rendered, accessible pages for the
//! coordinator, analysts and the field, and the JSON API under `/api/v1` for integrations —
//! over the same service layer (`pmhc-service`) as the CLI.
//!
//! - [`app`] builds the router (testable without a port); [`serve`] binds it and shuts down
//!   gracefully on Ctrl-C / SIGTERM.
//! - Authentication ([`auth`]): browser sessions (an HttpOnly, SameSite=Lax cookie holding a
//!   random secret; the database keeps its SHA-256) with a per-session CSRF token on every form,
//!   and bearer API tokens for machine clients. Every route names the
//!   [`Permission`](pmhc_core::access::Permission) it needs.
//! - Static assets (CSS, a little progressive-enhancement JavaScript) are compiled into the
//!   binary.
//! - One folder per feature (`accounts`, `audit`, `encounters`, `imports`, `outcomes`,
//!   `referrals`, `services`, `sharing`, `training`) holds its routes, pages and API part; no
//!   feature imports another, and the shared modules (`auth`, `extract`, `present`, `error`, …)
//!   import no feature.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use pmhc_service::ServiceContext;
use tower_http::set_header::SetResponseHeaderLayer;

// Shared modules: none of them imports a feature (`openapi` names every feature's API handlers
// and types, and is the one exception).
pub mod auth;
mod charts;
mod error;
mod extract;
mod filters;
mod limits;
pub mod openapi;
mod pdf;
mod present;
mod statics;
mod markdown;
mod views;

// One folder per feature (its routes in `mod.rs`, its pages and its API part); no feature imports
// another.
mod accounts;
mod audit;
mod encounters;
pub mod imports;
mod outcomes;
mod referrals;
mod services;
mod sharing;
mod training;
mod workgroup;

// The features' router tests share `testing`; `tests` checks the whole application and the layout.
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

use error::{ApiError, PageError};
pub use error::AppError;
pub use openapi::openapi_document;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// Mark cookies `Secure` and send HSTS: set when pmhc is reached over HTTPS (behind a TLS
    /// proxy).
    pub behind_tls: bool,
    /// The reverse proxies whose `X-Forwarded-For` names the client (none: the peer is the client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The largest upload accepted (import files), in bytes.
    pub max_upload_bytes: usize,
    /// Where uploads are kept while they are imported (a temporary folder when `None`).
    pub work_dir: Option<std::path::PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            behind_tls: false,
            trusted_proxies: Vec::new(),
            max_upload_bytes: 256 << 20,
            work_dir: None,
        }
    }
}

/// What every handler can reach. Data only through the use cases of `pmhc_service`, which take
/// the service context (`cx`): the store is not reachable from here.
#[derive(Clone)]
pub struct AppState {
    /// The service context: the store behind it, the outcome cache, the sign-in throttle.
    pub(crate) cx: ServiceContext,
    pub imports: Arc<imports::ImportJobs>,
    pub config: Arc<ServeConfig>,
    work_dir: Arc<tempfile::TempDir>,
}

impl AppState {
    pub fn new(cx: ServiceContext, config: ServeConfig) -> anyhow::Result<AppState> {
        let work_dir = match &config.work_dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                tempfile::Builder::new().prefix("pmhc-uploads-").tempdir_in(d)?
            }
            None => tempfile::Builder::new().prefix("pmhc-uploads-").tempdir()?,
        };
        Ok(AppState { cx, imports: Arc::new(imports::ImportJobs::default()), config: Arc::new(config), work_dir: Arc::new(work_dir) })
    }

    pub(crate) fn upload_dir(&self) -> &std::path::Path {
        self.work_dir.path()
    }
}

/// Requests taking longer than this are answered 408 (imports run in the background, so no
/// request needs long).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Requests handled at once.
const MAX_IN_FLIGHT: usize = 512;
/// Request bodies other than uploads.
pub(crate) const MAX_FORM_BYTES: usize = 1 << 20;

/// The whole application: pages, API, static assets, and the layers every request passes.
pub fn app(state: AppState) -> Router {
    let upload_limit = state.config.max_upload_bytes;
    let hsts = state.config.behind_tls;
    let mut router = Router::new()
        .merge(accounts::routes())
        .merge(outcomes::routes())
        .merge(encounters::routes())
        .merge(imports::routes())
        .merge(sharing::routes())
        .merge(services::routes())
        .merge(training::routes())
        .merge(workgroup::routes())
        .merge(referrals::routes())
        .merge(audit::routes())
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { PageError(AppError::NotFound("there is no such page".into())) })
        .nest("/api/v1", api_routes())
        .merge(statics::routes())
        .merge(imports::upload_routes().layer(DefaultBodyLimit::max(upload_limit)))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn(limits::field_limits))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; \
                 frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ));
    if hsts {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    router
        // At most this many requests in flight; more wait their turn (a bound on memory and
        // database connections under a burst).
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// The API, nested under `/api/v1`: every feature's part and the OpenAPI document; any other
/// address there is answered with the API's JSON 404.
fn api_routes() -> Router<AppState> {
    Router::new()
        .merge(openapi::routes())
        .merge(accounts::api_routes())
        .merge(encounters::api_routes())
        .merge(outcomes::api_routes())
        .merge(imports::api_routes())
        .merge(sharing::api_routes())
        .merge(referrals::api_routes())
        .merge(training::api_routes())
        .merge(workgroup::api_routes())
        .merge(services::api_routes())
        .fallback(|| async { ApiError(AppError::NotFound("no such API endpoint; see /api/v1/openapi.json".into())) })
}

/// Serve until Ctrl-C or SIGTERM, then finish the requests in flight. `ready` is called with the
/// bound address (port 0 picks a free port).
pub async fn serve(cx: ServiceContext, config: ServeConfig, ready: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr()?;
    let state = AppState::new(cx, config)?;
    // Warm the outcome cache (definitions, data, index) so the first dashboard is fast.
    let warm = state.cx.clone();
    tokio::spawn(async move {
        let q = pmhc_service::outcomes::ReportQuery { periods_from_data: true, ..Default::default() };
        if let Err(e) = warm.outcomes().report(&q).await {
            tracing::info!(error = %e, "outcome cache not warmed");
        }
    });
    let sweeper = state.cx.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(300)).await;
            if let Err(e) = pmhc_service::signin::remove_expired_sessions(&sweeper).await {
                tracing::warn!(error = %e, "could not remove expired sessions");
            }
        }
    });
    ready(addr);
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
