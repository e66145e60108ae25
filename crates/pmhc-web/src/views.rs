//! The page templates (askama, compiled in and auto-escaped) and the data each shows.

use askama::Template;

use crate::present::Nav;

/// Render a template; a rendering failure (a bug) becomes a short plain page, logged.
pub fn render<T: Template>(t: &T) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "template rendering failed");
        "<!DOCTYPE html><title>Error</title><p>The page could not be rendered.</p>".into()
    })
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub status: u16,
    pub message: String,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignIn {
    pub nav: Nav,
    pub error: Option<String>,
    pub next: String,
    pub username: String,
    pub pre_csrf: String,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct Users {
    pub nav: Nav,
    pub error: Option<String>,
    pub new_token: Option<String>,
    pub users: Vec<(String, String, String, String, String, String)>,
    pub tokens: Vec<(i64, String, String, String, String, String)>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub partners: Vec<pmhc_core::sharing::Partner>,
}

#[derive(Default)]
pub struct AuditFilterForm {
    pub actor: String,
    pub object: String,
    pub from: String,
    pub to: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct Audit {
    pub nav: Nav,
    pub f: AuditFilterForm,
    pub actions: Vec<(&'static str, bool)>,
    pub outcomes: Vec<(&'static str, bool)>,
    pub entries: Vec<AuditRow>,
    pub verified: Option<(bool, String)>,
    pub next: Option<String>,
    pub csv_href: String,
}

/// One audit entry as the page shows it.
pub struct AuditRow {
    pub id: u64,
    pub at: String,
    pub actor: String,
    pub partner: String,
    pub source: String,
    pub action: &'static str,
    pub object: String,
    pub groups: String,
    pub outcome: &'static str,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "reauth.html")]
pub struct Reauth {
    pub nav: Nav,
    pub next: String,
    pub error: Option<String>,
}
