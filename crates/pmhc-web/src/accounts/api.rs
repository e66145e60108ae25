//! `/api/v1/me`: who is calling, and what their roles allow.

use axum::Json;
use pmhc_core::access::Permission;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::error::ErrorBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    /// The user's roles: `administrator`, `project_coordinator`, `data_specialist`, `officer`,
    /// `clinician`, `workgroup_member`.
    pub roles: Vec<String>,
    /// The partner the user works for.
    pub partner: i64,
    /// What these roles may do.
    pub permissions: Vec<String>,
}

/// Who is calling, and what their role allows.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub(super) async fn me(Auth(who): Auth) -> Json<Me> {
    Json(Me {
        username: who.user.username.clone(),
        display_name: who.user.display_name.clone(),
        roles: who.roles().iter().map(|r| r.as_str().to_string()).collect(),
        partner: who.user.partner,
        permissions: Permission::ALL
            .iter()
            .filter(|p| who.roles().can(**p))
            .map(|p| serde_json::to_value(p).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
            .collect(),
    })
}


