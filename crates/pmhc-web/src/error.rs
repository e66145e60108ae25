//! The application's error type and how it is answered: JSON under `/api/`, a page elsewhere.
//! Server errors are logged with their cause and answered without it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use pmhc_core::access::Permission;
use pmhc_service::{ErrorKind, ServiceError};
use serde::Serialize;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("your role may not {}", .0.describe())]
    Forbidden(Permission),
    #[error("the form expired or did not come from this site; reload the page and try again")]
    Csrf,
    #[error("confirm your password to continue (administrative actions need it entered in the last 5 minutes)")]
    ReauthRequired,
    #[error("{0}")]
    NotFound(String),
    #[error("source system `{0}` belongs to another partner: only the partner that owns a record changes it")]
    ForeignRecord(String),
    /// A provider's action asked by someone who is not of that provider.
    #[error("only the provider of `{0}` may do this")]
    NotProvider(String),
    /// An action on another partner's object (its users, agreements, audit entries).
    #[error("{0}")]
    NotYourPartner(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// Field-by-field problems (the API's answer to an invalid record).
    #[error("the record is not valid: {}", .0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    #[error("the upload is larger than the limit of {0} MiB")]
    TooLarge(usize),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub use pmhc_core::field_form::FieldProblem;

/// The API's error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: `unauthenticated`, `forbidden`, `foreign_record`, `csrf`, `not_found`, `bad_request`,
    /// `conflict`, `invalid`, `too_large`, `unavailable`, `internal`.
    pub error: String,
    /// What went wrong, for a person.
    pub message: String,
    /// Field-by-field problems, for `invalid`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::Csrf | AppError::ReauthRequired | AppError::ForeignRecord(_) | AppError::NotProvider(_) | AppError::NotYourPartner(_) => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) | AppError::NotProvider(_) | AppError::NotYourPartner(_) => "forbidden",
            AppError::ForeignRecord(_) => "foreign_record",
            AppError::Csrf => "csrf",
            AppError::ReauthRequired => "reauthentication_required",
            AppError::NotFound(_) => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid(_) => "invalid",
            AppError::TooLarge(_) => "too_large",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// Answered as a page of its own (a refusal, an outage, a bug), not as a message on the form
    /// that was sent (a mistake the person can correct and send again).
    pub fn is_not_about_the_form(&self) -> bool {
        matches!(self, AppError::ReauthRequired | AppError::Csrf | AppError::Forbidden(_) | AppError::NotProvider(_) | AppError::NotYourPartner(_) | AppError::Unavailable(_) | AppError::Internal(_))
    }

    fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
    }

    /// The JSON answer.
    pub fn into_api_response(self) -> Response {
        self.log();
        let body = ErrorBody {
            error: self.code().into(),
            message: self.to_string(),
            fields: match &self {
                AppError::Invalid(f) => f.clone(),
                _ => Vec::new(),
            },
        };
        let mut r = (self.status(), Json(body)).into_response();
        if matches!(self, AppError::Unauthenticated) {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"pmhc\""),
            );
        }
        r
    }

    /// The page answer.
    pub fn into_page_response(self) -> Response {
        self.log();
        if matches!(self, AppError::Unauthenticated) {
            return axum::response::Redirect::to("/sign-in").into_response();
        }
        if matches!(self, AppError::ReauthRequired) {
            return axum::response::Redirect::to("/reauth?next=%2Fusers").into_response();
        }
        let status = self.status();
        let page = crate::views::ErrorPage {
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            message: self.to_string(),
        };
        (status, Html(crate::views::render(&page))).into_response()
    }
}

impl From<ServiceError> for AppError {
    /// By the kind of failure the service layer names (the web never looks at the store's errors).
    fn from(e: ServiceError) -> Self {
        match e.kind() {
            ErrorKind::Invalid => AppError::BadRequest(e.to_string()),
            ErrorKind::InvalidField { field, message } => AppError::Invalid(vec![FieldProblem { field, message }]),
            ErrorKind::InvalidFields(problems) => AppError::Invalid(problems),
            ErrorKind::ForeignRecord(system) => AppError::ForeignRecord(system),
            ErrorKind::Conflict => AppError::Conflict(e.to_string()),
            ErrorKind::NotProvider(name) => AppError::NotProvider(name),
            ErrorKind::Refused => AppError::NotYourPartner(e.to_string()),
            ErrorKind::NotFound => AppError::NotFound(e.to_string()),
            // Said as it is (the disk, the key file, the audit trail), and answered 503: it passes
            // once mended.
            ErrorKind::Unavailable => AppError::Unavailable(e.to_string()),
            ErrorKind::Internal => AppError::Internal(e.into()),
        }
    }
}

/// An error answered as JSON (API handlers).
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_api_response()
    }
}

/// An error answered as a page (page handlers).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.into_page_response()
    }
}
