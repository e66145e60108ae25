//! Every text field of a form or a JSON body within its limit (`pmhc_core::limits`: 4 KiB for
//! short fields, 64 KiB for free text): a request with a longer value is answered 422 naming the
//! field, before any handler reads it. Uploads (multipart) are not read here: their CSV rows are
//! checked field by field by the import, which rejects an over-long row naming the column.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pmhc_core::limits;

use crate::error::{ApiError, AppError, FieldProblem, PageError};

/// The middleware (see the module's documentation). A form or JSON body over the body limit is
/// answered 413.
pub async fn field_limits(req: Request, next: Next) -> Response {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let form = ct.starts_with("application/x-www-form-urlencoded");
    let json = ct.starts_with("application/json");
    if !form && !json {
        return next.run(req).await;
    }
    let api = req.uri().path().starts_with("/api/");
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let e = AppError::TooLarge(crate::MAX_FORM_BYTES);
            return if api { ApiError(e).into_response() } else { PageError(e).into_response() };
        }
    };
    let problem = if form { form_problem(&bytes) } else { json_problem(&bytes) };
    if let Some(p) = problem {
        let e = AppError::Invalid(vec![FieldProblem { field: p.field.clone(), message: p.to_string() }]);
        return if api { ApiError(e).into_response() } else { PageError(e).into_response() };
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn form_problem(body: &[u8]) -> Option<limits::TooLong> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.iter().find_map(|(k, v)| limits::check(k, k).and_then(|_| limits::check(k, v)).err())
}

fn json_problem(body: &[u8]) -> Option<limits::TooLong> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    walk(&v, &mut String::new())
}

fn walk(v: &serde_json::Value, path: &mut String) -> Option<limits::TooLong> {
    match v {
        serde_json::Value::String(s) => limits::check(if path.is_empty() { "body" } else { path }, s).err(),
        serde_json::Value::Array(items) => {
            let len = path.len();
            for (i, item) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                let p = walk(item, path);
                path.truncate(len);
                if p.is_some() {
                    return p;
                }
            }
            None
        }
        serde_json::Value::Object(map) => {
            let len = path.len();
            for (k, item) in map {
                if let Err(e) = limits::check("key", k) {
                    return Some(limits::TooLong { field: format!("a key in {}", if path.is_empty() { "body" } else { path }), ..e });
                }
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let p = walk(item, path);
                path.truncate(len);
                if p.is_some() {
                    return p;
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_long_values_are_named_by_their_path() {
        let long = "x".repeat(limits::SHORT_TEXT + 1);
        let body = serde_json::json!({"referrals": [{"service": "a"}, {"service": long}]}).to_string();
        assert_eq!(json_problem(body.as_bytes()).map(|p| p.field), Some("referrals[1].service".into()));
        let body = serde_json::json!({"note": long}).to_string();
        assert_eq!(json_problem(body.as_bytes()), None, "a note is free text");
        let form = format!("precinct={long}");
        assert_eq!(form_problem(form.as_bytes()).map(|p| p.field), Some("precinct".into()));
        assert_eq!(form_problem(b"precinct=North&note=x"), None);
    }
}
