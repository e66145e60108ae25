//! Rendering the page templates (askama, compiled in and auto-escaped), and the error page.
//! Each feature keeps the data of its own pages (their template structs) beside its handlers.

use askama::Template;

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
