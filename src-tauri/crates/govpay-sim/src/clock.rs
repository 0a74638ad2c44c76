//! The simulator's clock: real time plus an offset that tests can move forward,
//! so 90-minute expiry or a dispute's evidence deadline can be reached at once.

use std::time::Duration;

use time::OffsetDateTime;

#[derive(Debug, Clone, Default)]
pub(crate) struct Clock {
    offset: Duration,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset
    }

    pub fn advance(&mut self, by: Duration) {
        self.offset += by;
    }
}

/// `2016-01-21T17:15:00.000Z`, as the API writes timestamps.
pub(crate) fn iso_millis(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `2022-07-28`, as the API writes settlement dates.
pub(crate) fn iso_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// Parses a search date: `YYYY-MM-DDThh:mm:ssZ` (the documented form) or any RFC 3339 time.
pub(crate) fn parse_search_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Parses `YYYY-MM-DD` as the start of that day in UTC.
pub(crate) fn parse_search_date(s: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format)
        .ok()
        .map(|d| d.midnight().assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_api() {
        let t = time::macros::datetime!(2016-01-21 17:15:00.123 UTC);
        assert_eq!(iso_millis(t), "2016-01-21T17:15:00.123Z");
        assert_eq!(iso_date(t), "2016-01-21");
    }

    #[test]
    fn parses_search_dates() {
        assert!(parse_search_time("2026-01-01T00:00:00Z").is_some());
        assert!(parse_search_time("2026-01-01").is_none());
        assert!(parse_search_date("2026-01-01").is_some());
        assert!(parse_search_date("01/01/2026").is_none());
    }

    #[test]
    fn advancing_moves_now_forward() {
        let mut c = Clock::default();
        let before = c.now();
        c.advance(Duration::from_secs(3600));
        assert!(c.now() - before >= time::Duration::minutes(59));
    }
}
