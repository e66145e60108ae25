//! The service inventory as CSV (pure: the caller passes the partners and saves the rows): one row per service, read whole and checked before anything is
//! saved (a file with any bad row saves nothing and lists every problem with its line), and written
//! back in the same columns.

use pmhc_core::capacity::CapacityUpdate;
use pmhc_core::services::{Hours, Intercept, Service, ServiceKind};
use pmhc_core::sharing::Partner;

use crate::csv_safe::write_safe_record;

/// The columns, in order (`provider` is a partner's name or number).
pub const COLUMNS: &[&str] = &[
    "provider", "name", "kind", "intercept", "eligibility", "hours", "capacity", "police_dropoff", "transit_access", "phone",
    "address", "area",
];

/// A problem with one row of a file read whole (the inventory, capacity reports, training records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub message: String,
}

/// The columns a file read whole may have.
pub(crate) struct Columns<'a> {
    pub all: &'a [&'a str],
    pub required: &'a [&'a str],
    /// Refuse a column not in `all` (a misspelt one would otherwise be read as empty).
    pub refuse_unknown: bool,
    /// The format is one pmhc also writes (the inventory): take off the `'` its export puts
    /// before a text a spreadsheet would read as a formula ([`pmhc_core::csv_safe::restore`]).
    pub restore_formula_prefix: bool,
}

/// Read a CSV file whole: each row becomes a `T` through `row` (given a getter by column name,
/// trimmed, empty when absent) or the row's problems. Every row, or every problem with its line.
pub(crate) fn read_rows<T>(
    bytes: &[u8],
    columns: &Columns,
    mut row: impl FnMut(&dyn Fn(&str) -> String) -> Result<T, Vec<String>>,
) -> Result<Vec<T>, Vec<RowProblem>> {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let header: Vec<String> = match r.headers() {
        Ok(h) => h.iter().map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![RowProblem { line: 1, message: format!("cannot read the header: {e}") }]),
    };
    let listed = columns.all.join(", ");
    if columns.refuse_unknown {
        let unknown: Vec<&str> = header.iter().map(String::as_str).filter(|h| !columns.all.contains(h)).collect();
        if !unknown.is_empty() {
            return Err(vec![RowProblem { line: 1, message: format!("unknown columns: {} (the columns are: {listed})", unknown.join(", ")) }]);
        }
    }
    let missing: Vec<&str> = columns.required.iter().copied().filter(|c| !header.iter().any(|h| h == c)).collect();
    if !missing.is_empty() {
        return Err(vec![RowProblem { line: 1, message: format!("missing columns: {} (the columns are: {listed})", missing.join(", ")) }]);
    }
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for rec in r.records() {
        match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line());
                let get = |name: &str| {
                    let cell = header.iter().position(|h| h == name).and_then(|i| rec.get(i)).unwrap_or("");
                    let cell = if columns.restore_formula_prefix { pmhc_core::csv_safe::restore(cell) } else { cell };
                    cell.trim().to_string()
                };
                match row(&get) {
                    Ok(t) => out.push(t),
                    Err(messages) => problems.extend(messages.into_iter().map(|message| RowProblem { line, message })),
                }
            }
            Err(e) => problems.push(RowProblem { line: e.position().map_or(0, |p| p.line()), message: e.to_string() }),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

fn yes_no(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "no" | "n" | "false" | "0" => Ok(false),
        "yes" | "y" | "true" | "1" => Ok(true),
        other => Err(format!("`{other}` is not yes or no")),
    }
}

/// Read an inventory file against the known partners. Every row or a list of every problem.
pub fn parse_inventory(bytes: &[u8], partners: &[Partner]) -> Result<Vec<Service>, Vec<RowProblem>> {
    let columns = Columns {
        all: COLUMNS,
        required: &["provider", "name", "kind", "intercept", "hours"],
        refuse_unknown: false,
        restore_formula_prefix: true,
    };
    let mut seen: Vec<(i64, String)> = Vec::new();
    read_rows(bytes, &columns, |get| {
        let one = |m: String| vec![m];
        let provider = get("provider");
        let Some(p) = partners.iter().find(|p| p.name.eq_ignore_ascii_case(&provider) || p.id.to_string() == provider) else {
            return Err(one(format!("provider `{provider}` is not a partner (see `pmhc partner list`)")));
        };
        let kind = get("kind").parse::<ServiceKind>().map_err(|e| one(format!("kind: {e}")))?;
        let intercept = get("intercept").parse::<Intercept>().map_err(|e| one(format!("intercept: {e}")))?;
        let capacity = match get("capacity").as_str() {
            "" => None,
            c => Some(c.parse::<u32>().map_err(|_| one(format!("capacity: `{c}` is not a whole number")))?),
        };
        let dropoff = yes_no(&get("police_dropoff")).map_err(|e| one(format!("police_dropoff: {e}")))?;
        let transit = yes_no(&get("transit_access")).map_err(|e| one(format!("transit_access: {e}")))?;
        let s = Service {
            id: 0,
            provider: p.id,
            name: get("name"),
            kind,
            intercept,
            eligibility: get("eligibility"),
            hours: get("hours"),
            capacity,
            police_dropoff: dropoff,
            transit_access: transit,
            phone: get("phone"),
            address: get("address"),
            area: get("area"),
        };
        s.validate().map_err(|e| one(e.to_string()))?;
        let key = (s.provider, s.name.to_ascii_lowercase());
        if seen.contains(&key) {
            return Err(one(format!("`{}` of {} appears twice", s.name, p.name)));
        }
        seen.push(key);
        Ok(s)
    })
}

/// The columns of a capacity file, in order (`total` may be empty).
pub const CAPACITY_COLUMNS: &[&str] = &["service_id", "reported_at", "available", "total"];

/// The formats `reported_at` is read in (a day alone is its midnight).
pub fn parse_reported_at(s: &str) -> Option<chrono::NaiveDateTime> {
    let s = s.trim();
    ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.and_time(chrono::NaiveTime::MIN)))
}

/// Read a file of capacity reports against the known services (`now`: no report may be later).
/// Every row or a list of every problem.
pub fn parse_capacity(bytes: &[u8], services: &[Service], now: chrono::NaiveDateTime) -> Result<Vec<CapacityUpdate>, Vec<RowProblem>> {
    let columns = Columns { all: CAPACITY_COLUMNS, required: &CAPACITY_COLUMNS[..3], refuse_unknown: false, restore_formula_prefix: false };
    read_rows(bytes, &columns, |get| {
        let mut row_problems = Vec::new();
        let service = get("service_id");
        let service_id = match service.parse::<i64>().ok().filter(|id| services.iter().any(|s| s.id == *id)) {
            Some(id) => Some(id),
            None => {
                row_problems.push(format!("service `{service}` is not a service (see `pmhc services list`)"));
                None
            }
        };
        let reported_at = parse_reported_at(&get("reported_at"));
        match reported_at.map(|at| CapacityUpdate::check_time(at, now)) {
            None => row_problems.push(format!("reported_at: `{}` is not a date and time (YYYY-MM-DD HH:MM)", get("reported_at"))),
            Some(Err(e)) => row_problems.push(format!("reported_at: {e}")),
            Some(Ok(())) => {}
        }
        let count = |name: &str, problems: &mut Vec<String>| match get(name).parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(format!("{name}: `{}` is not a whole number", get(name)));
                None
            }
        };
        let available = count("available", &mut row_problems);
        let total = if get("total").is_empty() { Some(None) } else { count("total", &mut row_problems).map(Some) };
        match (service_id, reported_at, available, total) {
            (Some(service_id), Some(reported_at), Some(available), Some(total)) if row_problems.is_empty() => {
                Ok(CapacityUpdate { service_id, reported_at, available, total })
            }
            _ => Err(row_problems),
        }
    })
}

/// The inventory as CSV (the import's columns; providers by name), spreadsheet-safe
/// ([`crate::csv_safe`]); [`parse_inventory`] reads it back as it was.
pub fn inventory_csv(services: &[Service], partners: &[Partner]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    write_safe_record(&mut w, COLUMNS)?;
    for s in services {
        let provider = partners.iter().find(|p| p.id == s.provider).map_or_else(|| s.provider.to_string(), |p| p.name.clone());
        let yn = |b: bool| if b { "yes" } else { "no" };
        write_safe_record(&mut w, [
            provider.as_str(),
            &s.name,
            s.kind.as_str(),
            s.intercept.as_str(),
            &s.eligibility,
            &s.hours,
            &s.capacity.map(|c| c.to_string()).unwrap_or_default(),
            yn(s.police_dropoff),
            yn(s.transit_access),
            &s.phone,
            &s.address,
            &s.area,
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Whether a service is open at a local time (services whose hours cannot be read count as closed).
pub fn open_at(s: &Service, at: chrono::NaiveDateTime) -> bool {
    s.hours.parse::<Hours>().is_ok_and(|h| h.open_at(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmhc_core::sharing::Sector;

    fn partners() -> Vec<Partner> {
        vec![Partner { id: 1, name: "County BH".into(), sector: Sector::BehavioralHealth }]
    }

    #[test]
    fn reads_checks_and_writes_back() {
        let csv = "provider,name,kind,intercept,eligibility,hours,capacity,police_dropoff,transit_access,phone,address,area\n\
                   County BH,Crisis Centre,crisis_centre,0,adults,24/7,12,yes,yes,555,1 Main,North\n\
                   1,Detox East,detox,1,,Mon-Fri 08:00-17:00,,no,no,,,East\n";
        let got = parse_inventory(csv.as_bytes(), &partners()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].capacity, Some(12));
        assert!(got[0].police_dropoff && !got[1].police_dropoff);
        let back = inventory_csv(&got, &partners()).unwrap();
        assert_eq!(parse_inventory(&back, &partners()).unwrap(), got);
    }

    #[test]
    fn formulas_are_exported_as_text_and_read_back_as_they_were() {
        let base = parse_inventory(b"provider,name,kind,intercept,hours,capacity\nCounty BH,Detox,detox,1,24/7,12\n", &partners()).unwrap();
        let tricky = Service {
            name: "=HYPERLINK(\"http://x\",\"y\")".into(),
            eligibility: "-adults only".into(),
            phone: "+1 555 0100".into(),
            address: "@home".into(),
            area: "'=A1".into(),
            ..base[0].clone()
        };
        let back = inventory_csv(std::slice::from_ref(&tricky), &partners()).unwrap();
        let text = String::from_utf8(back.clone()).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert_eq!(row, "County BH,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",detox,1,'-adults only,24/7,12,no,no,'+1 555 0100,'@home,''=A1");
        assert_eq!(parse_inventory(&back, &partners()).unwrap(), vec![tricky]);
    }

    #[test]
    fn every_bad_row_is_named_with_its_line() {
        let csv = "provider,name,kind,intercept,hours,capacity,police_dropoff\n\
                   Nobody,A,detox,1,24/7,,no\n\
                   County BH,B,spa,1,24/7,,no\n\
                   County BH,C,detox,9,24/7,,no\n\
                   County BH,D,detox,1,whenever,,no\n\
                   County BH,E,detox,1,24/7,lots,no\n\
                   County BH,F,detox,1,24/7,,maybe\n\
                   County BH,G,detox,1,24/7,,no\n\
                   County BH,G,detox,1,24/7,,no\n";
        let problems = parse_inventory(csv.as_bytes(), &partners()).unwrap_err();
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 7, 9], "{problems:?}");
        assert!(problems[0].message.contains("not a partner"));
        let missing = parse_inventory(b"provider,name\nx,y\n", &partners()).unwrap_err();
        assert!(missing[0].message.contains("missing columns"), "{missing:?}");
    }

    #[test]
    fn capacity_files_are_read_whole_or_not_at_all() {
        let services = parse_inventory(b"provider,name,kind,intercept,hours\nCounty BH,Detox,detox,1,24/7\n", &partners()).unwrap();
        let services: Vec<Service> = services.into_iter().map(|s| Service { id: 7, ..s }).collect();
        let good = "service_id,reported_at,available,total\n7,2026-03-01 08:00,0,12\n7,2026-03-02,3,\n";
        let now = parse_reported_at("2026-06-01 00:00").unwrap();
        let got = parse_capacity(good.as_bytes(), &services, now).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].available, got[0].total), (0, Some(12)));
        assert_eq!((got[1].reported_at.to_string(), got[1].total), ("2026-03-02 00:00:00".to_string(), None));
        let bad = "service_id,reported_at,available,total\n8,2026-03-01 08:00,0,\n7,yesterday,-1,x\n7,2026-03-01 08:00,1,\n7,2027-01-01,1,\n";
        let problems = parse_capacity(bad.as_bytes(), &services, now).unwrap_err();
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 3, 3, 5], "{problems:?}");
        assert!(problems[4].message.contains("future"), "{problems:?}");
        assert!(problems[0].message.contains("not a service") && problems[1].message.contains("reported_at"));
        assert!(parse_capacity(b"service_id,available\n7,1\n", &services, now).unwrap_err()[0].message.contains("reported_at"));
    }
}
