//! The one clock: the only place in pmhc that reads the wall clock.
//!
//! Two kinds of time, kept apart on purpose:
//! - **Domain time** ([`Clock::now`], [`Clock::today`]): what pmhc's rules consider "now" —
//!   agreements and consents in force, refreshers due, capacity reports allowed, default periods,
//!   sessions' idle and absolute limits, the 90-day inactivity rule, a referral's moves, the date
//!   a report was made. It comes from a [`Clock`] that the front end makes once ([`Clock::from_env`])
//!   and hands to the [`Store`](crate::Store); production uses the system clock, tests set
//!   `PMHC_NOW` to move it.
//! - **Record-keeping time** ([`real_now`]): when something was written — the audit trail,
//!   the import history, `created_at` stamps. Always the real time, whatever the clock says, so
//!   moving the clock can never backdate an audit entry.

use std::fmt;

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeDelta, Utc};

/// The environment variable that sets the clock: an RFC 3339 instant (`2030-01-01T00:00:00Z`).
pub const ENV: &str = "PMHC_NOW";

/// What the domain considers "now".
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock(Mode);

#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
enum Mode {
    /// The system clock.
    #[default]
    System,
    /// The system clock moved by a fixed amount: time runs on from the instant it was set to.
    Offset(TimeDelta),
    /// Always the same instant (unit tests).
    Fixed(DateTime<Utc>),
}

/// `PMHC_NOW` could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{ENV}={value:?} is not an RFC 3339 instant such as 2030-01-01T00:00:00Z ({reason})")]
pub struct ClockError {
    pub value: String,
    pub reason: String,
}

impl Clock {
    /// The system clock (production).
    pub const fn system() -> Clock {
        Clock(Mode::System)
    }

    /// A clock that reads `at` now and runs on with real time from there (`PMHC_NOW`: a test
    /// server's sessions still time out, a long command's "now" still moves).
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        Clock(Mode::Offset(at - real_now()))
    }

    /// A clock stopped at `at` (unit tests of rules that compare with "now").
    pub const fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Mode::Fixed(at))
    }

    /// The clock `PMHC_NOW` asks for, or the system clock when it is not set (or empty).
    pub fn from_env() -> Result<Clock, ClockError> {
        match std::env::var(ENV) {
            Ok(v) if !v.trim().is_empty() => Ok(Clock::starting_at(parse_instant(&v)?)),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(Clock::system()),
            Err(std::env::VarError::NotUnicode(v)) => {
                Err(ClockError { value: v.to_string_lossy().into_owned(), reason: "not valid UTF-8".into() })
            }
        }
    }

    /// Whether this clock was set (is not the system clock).
    pub fn is_set(&self) -> bool {
        self.0 != Mode::System
    }

    /// Domain "now".
    pub fn now(&self) -> DateTime<Utc> {
        match self.0 {
            Mode::System => real_now(),
            Mode::Offset(d) => real_now() + d,
            Mode::Fixed(at) => at,
        }
    }

    /// Domain "today": the UTC date of [`Clock::now`].
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Domain "now" on the server's local wall time (opening hours, a form's default date).
    pub fn local_now(&self) -> NaiveDateTime {
        self.now().with_timezone(&Local).naive_local()
    }

    /// Domain "today" on the server's local calendar.
    pub fn local_today(&self) -> NaiveDate {
        self.local_now().date()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Mode::System => f.write_str("Clock::system"),
            Mode::Offset(_) => write!(f, "Clock::starting_at(now {})", self.now().to_rfc3339()),
            Mode::Fixed(at) => write!(f, "Clock::fixed({})", at.to_rfc3339()),
        }
    }
}

/// Read an RFC 3339 instant (`2030-01-01T00:00:00Z`, `2030-01-01T09:00:00+02:00`).
pub fn parse_instant(value: &str) -> Result<DateTime<Utc>, ClockError> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ClockError { value: value.to_string(), reason: e.to_string() })
}

/// The real time, for record-keeping stamps only (the audit trail, the import history,
/// `created_at`): never for a rule. Rules ask a [`Clock`].
pub fn real_now() -> DateTime<Utc> {
    Utc::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_with_any_offset() {
        let t = parse_instant("2030-01-01T02:00:00+02:00").unwrap();
        assert_eq!(t, parse_instant("2030-01-01T00:00:00Z").unwrap());
        for bad in ["2030-01-01", "tomorrow", "2030-13-01T00:00:00Z", ""] {
            let e = parse_instant(bad).unwrap_err();
            assert!(e.to_string().contains("PMHC_NOW"), "{e}");
        }
    }

    #[test]
    fn a_clock_set_in_the_future_runs_on_from_there() {
        let at = real_now() + TimeDelta::days(3 * 365);
        let c = Clock::starting_at(at);
        assert!(c.is_set());
        let d = c.now() - at;
        assert!(d >= TimeDelta::zero() && d < TimeDelta::minutes(5), "{d}");
        // The record-keeping time is not moved.
        let real = at - real_now();
        assert!(real > TimeDelta::days(3 * 365 - 1), "{real}");
    }

    #[test]
    fn a_fixed_clock_stands_still() {
        let at = parse_instant("2028-02-29T23:59:59Z").unwrap();
        let c = Clock::fixed(at);
        assert_eq!(c.now(), at);
        assert_eq!(c.now(), c.now());
        assert!(!Clock::system().is_set());
        assert!(format!("{c:?}").contains("2028-02-29"));
    }
}
