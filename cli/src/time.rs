//! Times as people read them: UTC timestamps and rough durations.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, by the system clock.
pub(crate) fn system_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `2027-01-15 08:00:00 UTC` (proleptic Gregorian calendar).
pub(crate) fn utc(timestamp: i64) -> String {
    let (days, secs) = (timestamp.div_euclid(86_400), timestamp.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The date of a day counted from 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The two largest units of a duration: `3 h 12 min`, `4 min 30 s`, `2 d 1 h`.
pub(crate) fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60);
    let pair = |big: u64, big_unit: &str, small: u64, small_unit: &str| {
        if small == 0 { format!("{big} {big_unit}") } else { format!("{big} {big_unit} {small} {small_unit}") }
    };
    if d > 0 {
        pair(d, "d", h, "h")
    } else if h > 0 {
        pair(h, "h", m, "min")
    } else if m > 0 {
        pair(m, "min", s, "s")
    } else {
        format!("{s} s")
    }
}

/// `in 4 min 30 s`, `3 h 12 min ago`, or `just now`.
pub(crate) fn relative(timestamp: i64, now: i64) -> String {
    let diff = timestamp.saturating_sub(now);
    match diff {
        0 => "just now".to_owned(),
        d if d > 0 => format!("in {}", duration(d.unsigned_abs())),
        d => format!("{} ago", duration(d.unsigned_abs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_800_000_000), "2027-01-15 08:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
        // Extreme claims print without overflowing.
        assert!(utc(i64::MAX).ends_with("UTC"));
        assert!(utc(i64::MIN).ends_with("UTC"));
    }

    #[test]
    fn durations_keep_two_units() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(270), "4 min 30 s");
        assert_eq!(duration(3600), "1 h");
        assert_eq!(duration(11_520), "3 h 12 min");
        assert_eq!(duration(90_000), "1 d 1 h");
        assert_eq!(relative(100, 100), "just now");
        assert_eq!(relative(100, 11_620), "3 h 12 min ago");
        assert!(relative(i64::MAX, i64::MIN).starts_with("in "));
    }
}
