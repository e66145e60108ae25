//! # pmhc-report
//!
//! Renders an [`OutcomeReport`](pmhc_core::outcomes::OutcomeReport) for people: a terminal table,
//! a long-format CSV, and one self-contained HTML file with SVG charts that prints well. JSON is
//! the report's own serde form. Pure code: strings in, strings out.

mod csv_out;
mod html;
mod table;

pub use csv_out::render_csv;
pub use html::{REPORT_CSS, axis as chart_axis, esc as escape_html, render_html, render_html_fragment};
pub use table::{render_table, thousands};
