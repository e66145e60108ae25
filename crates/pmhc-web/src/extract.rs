//! The API's extractors, whose rejections are the API's JSON errors (`ApiBody`, `ApiQuery`,
//! `ApiPath`), the CSRF header of API calls made with a session, and the query parameters and
//! forms the features share (`opt`, `date_param`, `code_param`, `offset_param`, `limit_param`,
//! `NextQuery`, `CsrfForm`).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use pmhc_core::CodeList;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppError;
use crate::auth::Principal;
use crate::error::{ApiError, FieldProblem};

/// A request body read whole, parsed as JSON only after the handler has checked the caller's
/// permission (so a refused caller learns nothing about the body's validity).
pub struct ApiBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(ApiBody)
            .map_err(|e| ApiError(AppError::BadRequest(e.body_text())))
    }
}

impl ApiBody {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        let mut de = serde_json::Deserializer::from_slice(&self.0);
        let value = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Ok(v) => v,
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                return if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                    Err(AppError::BadRequest(format!("the body is not valid JSON: {inner}")))
                } else {
                    Err(AppError::Invalid(vec![FieldProblem {
                        field: if path == "." { "body".into() } else { path },
                        message: inner.to_string(),
                    }]))
                };
            }
        };
        de.end().map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
        Ok(value)
    }
}

/// `Query<T>` answering bad parameters with the API's error JSON.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e: QueryRejection| ApiError(AppError::BadRequest(e.body_text())))
    }
}

/// `Path<T>` answering bad path segments with the API's error JSON.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e: PathRejection| ApiError(AppError::BadRequest(e.body_text())))
    }
}

/// Unsafe API calls made with a browser session need the CSRF token in a header.
pub(crate) fn check_header_csrf(who: &Principal, headers: &HeaderMap) -> Result<(), AppError> {
    who.check_csrf(headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or(""))
}

// --- Query parameters ----------------------------------------------------------------------

/// A parameter's text, trimmed; `None` when absent or empty.
pub(crate) fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A date parameter (YYYY-MM-DD).
pub(crate) fn date_param(name: &str, v: &Option<String>) -> Result<Option<chrono::NaiveDate>, AppError> {
    match opt(v) {
        None => Ok(None),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("{name}: `{s}` is not a date (YYYY-MM-DD)"))),
    }
}

/// A code parameter of a code list (e.g. a disposition).
pub(crate) fn code_param<C: CodeList>(name: &str, v: &Option<String>) -> Result<Option<C>, AppError> {
    opt(v).map(|s| C::parse_code(s).map_err(|e| AppError::BadRequest(format!("{name}: {e}")))).transpose()
}

/// The offset of a page of a list (0 by default; at most what the database counts to).
pub(crate) fn offset_param(offset: Option<u64>) -> u64 {
    offset.unwrap_or(0).min(i64::MAX as u64)
}

/// How many items of a list the API answers with: 1 to 1,000, 100 by default.
pub(crate) fn limit_param(limit: Option<u32>) -> u32 {
    limit.unwrap_or(100).clamp(1, 1000)
}

/// `?next=PATH`: where to go afterwards (made safe with `auth::safe_next`).
#[derive(Deserialize)]
pub(crate) struct NextQuery {
    pub(crate) next: Option<String>,
}

/// A form that carries nothing but its CSRF token (a button).
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}
