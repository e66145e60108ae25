//! Allocation-lean encoding of encounter values for SQLite.
//!
//! sqlx's SQLite driver keeps every text argument in its own heap allocation, which the worker
//! thread frees after the statement ran. At hundreds of thousands of rows per second those
//! allocations (and cross-thread frees) cost as much as SQLite itself, so this module binds
//! shared `Arc<str>` values where it can: code values and `[]` come from static tables, the
//! source system is shared across a chunk, and dates are formatted without `chrono::format`
//! (byte-identical to what sqlx writes for `NaiveDate`, `NaiveTime` and `NaiveDateTime`, so the
//! values compare and decode the same).

use std::sync::{Arc, LazyLock};

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use pmhc_core::{
    AgeBand, CallSource, CodeList, DatePrecision, Disposition, Gender, HousingStatus, RaceEthnicity, ResponseModel,
    UseOfForce,
};

/// A code list whose values are available as shared `Arc<str>`.
pub(crate) trait SharedCode: CodeList {
    fn table() -> &'static [Arc<str>];

    fn shared(self) -> Arc<str> {
        match Self::ALL.iter().position(|c| *c == self) {
            Some(i) => Self::table()[i].clone(),
            None => Arc::from(self.as_str()),
        }
    }
}

macro_rules! shared_codes {
    ($($t:ty),+ $(,)?) => {
        $(
            impl SharedCode for $t {
                fn table() -> &'static [Arc<str>] {
                    static TABLE: LazyLock<Vec<Arc<str>>> =
                        LazyLock::new(|| <$t>::ALL.iter().map(|c| Arc::from(c.as_str())).collect());
                    &TABLE
                }
            }
        )+
    };
}
shared_codes!(CallSource, ResponseModel, Disposition, UseOfForce, HousingStatus, AgeBand, Gender, RaceEthnicity, DatePrecision);

/// The text `[]`, shared.
pub(crate) fn empty_list() -> Arc<str> {
    static EMPTY: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("[]"));
    EMPTY.clone()
}

/// Reuses one `Arc<str>` while consecutive values are equal (the source system of a batch).
#[derive(Default)]
pub(crate) struct Recent(Option<Arc<str>>);

impl Recent {
    pub(crate) fn get(&mut self, s: &str) -> Arc<str> {
        match &self.0 {
            Some(a) if **a == *s => a.clone(),
            _ => {
                let a: Arc<str> = Arc::from(s);
                self.0 = Some(a.clone());
                a
            }
        }
    }
}

/// A small stack buffer for formatting.
struct Buf {
    b: [u8; 40],
    n: usize,
}

impl Buf {
    fn new() -> Self {
        Buf { b: [0; 40], n: 0 }
    }
    fn digits(&mut self, mut v: u32, width: usize) {
        for i in (0..width).rev() {
            self.b[self.n + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        self.n += width;
    }
    fn byte(&mut self, c: u8) {
        self.b[self.n] = c;
        self.n += 1;
    }
    fn date(&mut self, d: NaiveDate) {
        self.digits(d.year() as u32, 4);
        self.byte(b'-');
        self.digits(d.month(), 2);
        self.byte(b'-');
        self.digits(d.day(), 2);
    }
    /// `%T%.f`: seconds, then the fraction with 0, 3, 6 or 9 digits, as chrono writes it.
    fn time(&mut self, t: NaiveTime) {
        self.digits(t.hour(), 2);
        self.byte(b':');
        self.digits(t.minute(), 2);
        self.byte(b':');
        self.digits(t.second(), 2);
        let nano = t.nanosecond();
        if nano == 0 {
        } else if nano.is_multiple_of(1_000_000) {
            self.byte(b'.');
            self.digits(nano / 1_000_000, 3);
        } else if nano.is_multiple_of(1_000) {
            self.byte(b'.');
            self.digits(nano / 1_000, 6);
        } else {
            self.byte(b'.');
            self.digits(nano, 9);
        }
    }
    fn shared(&self) -> Arc<str> {
        // Only ASCII digits and separators were written.
        Arc::from(std::str::from_utf8(&self.b[..self.n]).unwrap_or_default())
    }
}

fn plain_year(d: NaiveDate) -> bool {
    (0..=9999).contains(&d.year())
}

/// `%F`, as sqlx encodes a `NaiveDate` for SQLite.
pub(crate) fn date(d: NaiveDate) -> Arc<str> {
    if !plain_year(d) {
        return Arc::from(d.format("%F").to_string());
    }
    let mut b = Buf::new();
    b.date(d);
    b.shared()
}

/// `%T%.f`, as sqlx encodes a `NaiveTime` for SQLite.
pub(crate) fn time(t: NaiveTime) -> Arc<str> {
    if t.nanosecond() >= 1_000_000_000 {
        return Arc::from(t.format("%T%.f").to_string());
    }
    let mut b = Buf::new();
    b.time(t);
    b.shared()
}

/// `%F %T%.f`, as sqlx encodes a `NaiveDateTime` for SQLite.
pub(crate) fn datetime(t: NaiveDateTime) -> Arc<str> {
    if !plain_year(t.date()) || t.nanosecond() >= 1_000_000_000 {
        return Arc::from(t.format("%F %T%.f").to_string());
    }
    let mut b = Buf::new();
    b.date(t.date());
    b.byte(b' ');
    b.time(t.time());
    b.shared()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_chrono_and_therefore_sqlx() {
        let d = NaiveDate::from_ymd_opt(2023, 7, 4).unwrap();
        for nano in [0, 5, 1_000, 123_000, 120_000_000, 999_999_999, 1_000_000, 100] {
            let t = NaiveTime::from_hms_nano_opt(9, 5, 7, nano).unwrap();
            assert_eq!(&*time(t), t.format("%T%.f").to_string());
            let dt = d.and_time(t);
            assert_eq!(&*datetime(dt), dt.format("%F %T%.f").to_string());
        }
        for d in [d, NaiveDate::from_ymd_opt(1, 1, 1).unwrap(), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()] {
            assert_eq!(&*date(d), d.format("%F").to_string());
        }
        let far = NaiveDate::from_ymd_opt(12345, 1, 1).unwrap();
        assert_eq!(&*date(far), far.format("%F").to_string());
        let leap = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
        assert_eq!(&*time(leap), leap.format("%T%.f").to_string());
    }

    #[test]
    fn shared_codes_are_the_codes() {
        for c in Disposition::ALL {
            assert_eq!(&*c.shared(), c.as_str());
        }
        for c in RaceEthnicity::ALL {
            assert_eq!(&*c.shared(), c.as_str());
        }
        let mut r = Recent::default();
        let a = r.get("x");
        assert!(Arc::ptr_eq(&a, &r.get("x")));
        assert_eq!(&*r.get("y"), "y");
    }
}
