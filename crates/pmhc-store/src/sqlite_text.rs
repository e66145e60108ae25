//! Allocation-free text encoding of date and time values for SQLite.
//!
//! Dates are formatted without `chrono::format`, on the stack, byte-identical to what sqlx writes
//! for `NaiveDate`, `NaiveTime` and `NaiveDateTime` (so stored values compare and decode the same
//! whichever path wrote them).

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// A small stack buffer for formatting.
pub(crate) struct Buf {
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
}

/// A formatted value: on the stack, or (for years outside 0..=9999 and leap seconds) on the heap.
pub(crate) enum Text {
    Stack(Buf),
    Heap(String),
}

impl Text {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Only ASCII digits and separators are ever written to a `Buf`.
            Text::Stack(b) => std::str::from_utf8(&b.b[..b.n]).unwrap_or_default(),
            Text::Heap(s) => s,
        }
    }
}

fn plain_year(d: NaiveDate) -> bool {
    (0..=9999).contains(&d.year())
}

/// `%F`, as sqlx encodes a `NaiveDate` for SQLite.
pub(crate) fn date(d: NaiveDate) -> Text {
    if !plain_year(d) {
        return Text::Heap(d.format("%F").to_string());
    }
    let mut b = Buf::new();
    b.date(d);
    Text::Stack(b)
}

/// `%T%.f`, as sqlx encodes a `NaiveTime` for SQLite.
pub(crate) fn time(t: NaiveTime) -> Text {
    if t.nanosecond() >= 1_000_000_000 {
        return Text::Heap(t.format("%T%.f").to_string());
    }
    let mut b = Buf::new();
    b.time(t);
    Text::Stack(b)
}

/// `%F %T%.f`, as sqlx encodes a `NaiveDateTime` for SQLite.
pub(crate) fn datetime(t: NaiveDateTime) -> Text {
    if !plain_year(t.date()) || t.nanosecond() >= 1_000_000_000 {
        return Text::Heap(t.format("%F %T%.f").to_string());
    }
    let mut b = Buf::new();
    b.date(t.date());
    b.byte(b' ');
    b.time(t.time());
    Text::Stack(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_chrono_and_therefore_sqlx() {
        let d = NaiveDate::from_ymd_opt(2023, 7, 4).unwrap();
        for nano in [0, 5, 1_000, 123_000, 120_000_000, 999_999_999, 1_000_000, 100] {
            let t = NaiveTime::from_hms_nano_opt(9, 5, 7, nano).unwrap();
            assert_eq!(time(t).as_str(), t.format("%T%.f").to_string());
            let dt = d.and_time(t);
            assert_eq!(datetime(dt).as_str(), dt.format("%F %T%.f").to_string());
        }
        for d in [d, NaiveDate::from_ymd_opt(1, 1, 1).unwrap(), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()] {
            assert_eq!(date(d).as_str(), d.format("%F").to_string());
        }
        let far = NaiveDate::from_ymd_opt(12345, 1, 1).unwrap();
        assert_eq!(date(far).as_str(), far.format("%F").to_string());
        let leap = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
        assert_eq!(time(leap).as_str(), leap.format("%T%.f").to_string());
    }
}
