//! One raw text read as a field's kind: text, yes/no, numbers, dates and times (with a fast path
//! for the two ISO 8601 shapes), codes, lists and JSON.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use pmhc_core::{DatePrecision, Field, Value};

use super::compile::Reader;
use super::row::RowError;

pub(super) fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(s));
    if is(&["true", "yes", "y", "t", "1"]) {
        Some(true)
    } else if is(&["false", "no", "n", "f", "0"]) {
        Some(false)
    } else {
        None
    }
}

/// Read one raw text as the field's kind (no codes involved).
pub(super) fn read_value(field: Field, reader: &Reader, raw: &str) -> Result<Value, RowError> {
    let bad = |what: String| RowError { column: None, reason: format!("{}: {what}", field.name()) };
    let t = raw.trim();
    Ok(match reader {
        Reader::Text => Value::Text(t.to_string()),
        Reader::List(sep) => match sep {
            Some(sep) if sep == "json" => Value::List(
                serde_json::from_str::<Vec<String>>(t).map_err(|e| bad(format!("not a JSON list of texts: {e}")))?,
            ),
            Some(sep) => Value::List(t.split(sep.as_str()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()),
            None => Value::List(vec![t.to_string()]),
        },
        Reader::Json => Value::Json(t.to_string()),
        Reader::Bool => Value::Bool(parse_bool(t).ok_or_else(|| bad(format!("`{t}` is not yes/no")))?),
        Reader::Integer => {
            let i = t.parse::<i64>().or_else(|e| {
                // Accept "7.0" but not "7.5".
                match t.parse::<f64>() {
                    Ok(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(f as i64),
                    _ => Err(e),
                }
            });
            Value::Integer(i.map_err(|_| bad(format!("`{t}` is not a whole number")))?)
        }
        Reader::Decimal => {
            let f = t.parse::<f64>().map_err(|_| bad(format!("`{t}` is not a number")))?;
            if !f.is_finite() {
                return Err(bad(format!("`{t}` is not a finite number")));
            }
            Value::Decimal(f)
        }
        Reader::Code(_) => Value::Text(t.to_string()),
        Reader::DateTime(fmts) => {
            for f in fmts {
                if let Some(dt) = iso_fast(t, f) {
                    return Ok(Value::DateTime(dt));
                }
                if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
                    return Ok(Value::DateTime(dt));
                }
                if let Ok(d) = NaiveDate::parse_from_str(t, f) {
                    return Ok(Value::DateTime(d.and_time(NaiveTime::MIN)));
                }
            }
            return Err(bad(format!("`{t}` does not match the date-time format {}", fmts.join(" or "))));
        }
        Reader::Occurrence(fmts) => {
            for (f, precision) in fmts {
                match precision {
                    DatePrecision::Minute => {
                        if let Some(dt) = iso_fast(t, f) {
                            return Ok(Value::Occurrence { date: dt.date(), time: Some(dt.time()), precision: DatePrecision::Minute });
                        }
                        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
                            return Ok(Value::Occurrence { date: dt.date(), time: Some(dt.time()), precision: DatePrecision::Minute });
                        }
                    }
                    DatePrecision::Day => {
                        if let Some(dt) = iso_fast(t, f) {
                            return Ok(Value::Occurrence { date: dt.date(), time: None, precision: DatePrecision::Day });
                        }
                        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
                            return Ok(Value::Occurrence { date: d, time: None, precision: DatePrecision::Day });
                        }
                        // A format with a time on a date-precision field: keep the date only.
                        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
                            return Ok(Value::Occurrence { date: dt.date(), time: None, precision: DatePrecision::Day });
                        }
                    }
                    DatePrecision::Month => {
                        if let Ok(d) = NaiveDate::parse_from_str(&format!("{t} 1"), &format!("{f} %d")) {
                            return Ok(Value::Occurrence { date: d, time: None, precision: DatePrecision::Month });
                        }
                    }
                    DatePrecision::Year => {
                        if let Ok(d) = NaiveDate::parse_from_str(&format!("{t} 1 1"), &format!("{f} %m %d")) {
                            return Ok(Value::Occurrence { date: d, time: None, precision: DatePrecision::Year });
                        }
                    }
                }
            }
            let names: Vec<&str> = fmts.iter().map(|(f, _)| f.as_str()).collect();
            return Err(bad(format!("`{t}` does not match the date format {}", names.join(" or "))));
        }
    })
}

/// The two ISO 8601 shapes most exports (and pmhc's own CSV) use, parsed without chrono's
/// general format interpreter: `%Y-%m-%d` and `%Y-%m-%dT%H:%M:%S`, digits at fixed places.
/// Anything else (or an impossible date) returns `None` and takes the general path, which gives
/// the same answer or the error message.
fn iso_fast(t: &str, format: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let date = || -> Option<NaiveDate> {
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
    };
    match format {
        "%Y-%m-%d" if b.len() == 10 => Some(date()?.and_time(NaiveTime::MIN)),
        "%Y-%m-%dT%H:%M:%S" if b.len() == 19 && b[10] == b'T' && b[13] == b':' && b[16] == b':' => {
            Some(date()?.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn iso_fast_agrees_with_chrono(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2})?") {
            for f in ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"] {
                if let Some(fast) = iso_fast(&s, f) {
                    let slow = NaiveDateTime::parse_from_str(&s, f)
                        .ok()
                        .or_else(|| NaiveDate::parse_from_str(&s, f).ok().map(|d| d.and_time(NaiveTime::MIN)));
                    prop_assert_eq!(Some(fast), slow);
                }
            }
        }
    }

    #[test]
    fn iso_fast_takes_only_its_shapes() {
        assert!(iso_fast("2024-02-29", "%Y-%m-%d").is_some());
        assert!(iso_fast("2023-02-29", "%Y-%m-%d").is_none());
        assert!(iso_fast("2024-2-29", "%Y-%m-%d").is_none());
        assert!(iso_fast("2024-02-29T24:00:00", "%Y-%m-%dT%H:%M:%S").is_none());
        assert!(iso_fast("2024-02-29", "%d/%m/%Y").is_none());
    }
}
