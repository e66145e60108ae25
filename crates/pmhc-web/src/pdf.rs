//! PDF of the HTML report, printed by headless Chromium.
//!
//! Why Chromium and not a Rust PDF library: the PDF is then exactly the HTML report (same SVG
//! charts, same print stylesheet), with no second layout to keep in step, and no typesetting
//! engine in pmhc's build. The cost is a runtime dependency: where Chromium is missing, the PDF
//! download says so (503) and the HTML report still works (a browser's "Print to PDF" gives the
//! same document).

use std::path::PathBuf;
use std::time::Duration;

use crate::AppError;

/// The Chromium to use: `PMHC_CHROMIUM`, else the usual install paths.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PMHC_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Print an HTML document to PDF bytes.
pub async fn html_to_pdf(html: &str) -> Result<Vec<u8>, AppError> {
    let exe = chromium().ok_or_else(|| {
        AppError::Unavailable(
            "the PDF needs Chromium on the server (install the `chromium` package or set PMHC_CHROMIUM); \
             download the HTML report and print it instead"
                .into(),
        )
    })?;
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.into()))?;
    let input = dir.path().join("report.html");
    let output = dir.path().join("report.pdf");
    tokio::fs::write(&input, html).await.map_err(|e| AppError::Internal(e.into()))?;
    let mut cmd = tokio::process::Command::new(&exe);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--no-pdf-header-footer",
    ])
    .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
    .arg(format!("--print-to-pdf={}", output.display()))
    .arg(format!("file://{}", input.display()))
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    let run = cmd.output();
    let out = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .map_err(|_| AppError::Unavailable("Chromium did not print the PDF within 90 s".into()))?
        .map_err(|e| AppError::Unavailable(format!("cannot run {}: {e}", exe.display())))?;
    let pdf = tokio::fs::read(&output).await.unwrap_or_default();
    if !pdf.starts_with(b"%PDF") {
        let err = String::from_utf8_lossy(&out.stderr);
        tracing::warn!(status = ?out.status, stderr = %err.chars().take(2000).collect::<String>(), "Chromium did not print");
        return Err(AppError::Unavailable("Chromium could not print the report; see the server log".into()));
    }
    Ok(pdf)
}
