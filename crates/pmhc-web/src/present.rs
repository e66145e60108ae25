//! Presentation helpers the features share: the layout's navigation ([`Nav`]), rendering a page,
//! CSV downloads, links to the pages of a filtered list, and percent-encoded query values and path
//! segments.

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use pmhc_core::access::Permission;

use crate::auth::Principal;
pub use crate::views::render;

/// A page: the template rendered (see [`render`]).
pub fn page<T: askama::Template>(t: &T) -> Response {
    Html(render(t)).into_response()
}

/// Who may open a page of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Anyone,
    /// Any signed-in user.
    SignedIn,
    /// A signed-in user whose roles hold the permission.
    Can(Permission),
}

/// The menu: every page a user opens from the layout, in order — `(address, label, id, who may
/// open it)`. The id is what a page passes to [`Nav::new`] as the active page. A user sees the
/// pages they may open, and only those (a test checks each role's menu against the pages).
pub const MENU: &[(&str, &str, &str, Access)] = &[
    ("/", "Outcomes", "dashboard", Access::Can(Permission::ViewOutcomes)),
    ("/encounters", "Encounters", "encounters", Access::Can(Permission::ViewEncounters)),
    ("/referrals", "Referrals", "referrals", Access::Can(Permission::ViewEncounters)),
    ("/encounters/new", "Field form", "field", Access::Can(Permission::EditEncounters)),
    ("/imports", "Imports", "imports", Access::Can(Permission::Import)),
    ("/definitions", "Definitions", "definitions", Access::Can(Permission::ViewDefinitions)),
    ("/reports", "Reports", "reports", Access::Can(Permission::ViewOutcomes)),
    ("/gaps", "Gaps", "gaps", Access::Can(Permission::ViewOutcomes)),
    ("/training", "Training", "training", Access::SignedIn),
    ("/workgroup", "Workgroup", "workgroup", Access::Can(Permission::ViewWorkgroup)),
    ("/workgroup/meetings", "Meetings", "meetings", Access::Can(Permission::ViewWorkgroup)),
    ("/workgroup/actions", "Action items", "actions", Access::Can(Permission::ViewWorkgroup)),
    ("/sharing", "Sharing", "sharing", Access::SignedIn),
    ("/consents", "Consents", "consents", Access::Can(Permission::ManageConsents)),
    ("/users", "Users", "users", Access::Can(Permission::ManageUsers)),
    ("/audit", "Audit", "audit", Access::Can(Permission::ViewAudit)),
    ("/public", "Public page", "public", Access::Anyone),
    ("/resources", "Resource guide", "resources", Access::Anyone),
    ("/intercepts", "Intercepts", "intercepts", Access::Anyone),
];

/// One entry of a user's menu.
pub struct MenuItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What the layout needs: who is signed in and what they may reach.
pub struct Nav {
    pub signed_in: bool,
    pub user_name: String,
    pub role: String,
    pub csrf: String,
    /// The pages this user may open (see [`MENU`]), the current one marked.
    pub items: Vec<MenuItem>,
}

impl Nav {
    pub fn new(p: Option<&Principal>, active: &'static str) -> Nav {
        Nav {
            signed_in: p.is_some(),
            user_name: p.map(|p| p.user.display_name.clone()).unwrap_or_default(),
            role: p.map(|p| p.roles().labels()).unwrap_or_default(),
            csrf: p.map(|p| p.csrf().to_string()).unwrap_or_default(),
            items: menu(p.map(|p| p.roles()))
                .into_iter()
                .map(|(href, label, id)| MenuItem { href, label, current: id == active })
                .collect(),
        }
    }
}

/// The menu of a user with these roles (`None`: not signed in): `(address, label, id)`.
pub fn menu(roles: Option<pmhc_core::access::Roles>) -> Vec<(&'static str, &'static str, &'static str)> {
    MENU.iter()
        .filter(|(_, _, _, access)| match (access, roles) {
            (Access::Anyone, _) => true,
            (Access::SignedIn, r) => r.is_some(),
            (Access::Can(p), Some(r)) => r.can(*p),
            (Access::Can(_), None) => false,
        })
        .map(|&(href, label, id, _)| (href, label, id))
        .collect()
}

/// A CSV file to download.
pub(crate) fn csv_download(file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        body,
    )
        .into_response()
}

/// A link to another page of a filtered list: the filters that are set (trimmed), then `offset`.
pub(crate) fn page_link(path: &str, filters: &[(&str, &Option<String>)], offset: u64) -> String {
    let mut params: Vec<(&str, &str)> = filters
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    let offset = offset.to_string();
    params.push(("offset", &offset));
    format!("{path}?{}", serde_urlencoded::to_string(&params).unwrap_or_default())
}

/// Percent-encode a query parameter's value (`?next=…`, `?subject=…`).
pub(crate) fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|q| q.trim_start_matches('=').to_string()).unwrap_or_default()
}

/// Percent-encode a path segment.
pub(crate) fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
