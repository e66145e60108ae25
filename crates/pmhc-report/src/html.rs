pub fn render_html(_r: &pmhc_core::outcomes::OutcomeReport) -> String { String::new() }
