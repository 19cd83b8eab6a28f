//! Time rules (RFC 7519 §4.1.4–4.1.6), with a bounded clock leeway.
//! Arithmetic saturates: no claim value can overflow a check.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;

/// The verifier's source of the current time, in seconds since the Unix epoch.
///
/// Any `Fn() -> i64` closure is a clock, which is how tests pin time:
///
/// ```
/// # use tokenkind::Clock;
/// let fixed = || 1_700_000_000_i64;
/// assert_eq!(fixed.now(), 1_700_000_000);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The current time, in seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(_) => 0,
        }
    }
}

impl<F: Fn() -> i64 + Send + Sync + 'static> Clock for F {
    fn now(&self) -> i64 {
        self()
    }
}

fn signed(leeway: u64) -> i64 {
    i64::try_from(leeway).unwrap_or(i64::MAX)
}

/// `exp`: refused on or after `exp + leeway`.
pub(crate) fn check_expiry(exp: i64, now: i64, leeway: u64) -> Result<(), Error> {
    if now >= exp.saturating_add(signed(leeway)) {
        return Err(Error::Expired { exp, now, leeway });
    }
    Ok(())
}

/// `nbf`: refused before `nbf - leeway`.
pub(crate) fn check_not_before(nbf: Option<i64>, now: i64, leeway: u64) -> Result<(), Error> {
    match nbf {
        Some(nbf) if now < nbf.saturating_sub(signed(leeway)) => Err(Error::NotYetValid { nbf, now, leeway }),
        _ => Ok(()),
    }
}

/// `iat`: refused when later than `now + leeway`.
pub(crate) fn check_issued_at(iat: Option<i64>, now: i64, leeway: u64) -> Result<(), Error> {
    match iat {
        Some(iat) if iat > now.saturating_add(signed(leeway)) => Err(Error::IssuedInFuture { iat, now, leeway }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_boundary_is_exclusive() {
        assert_eq!(check_expiry(100, 159, 60), Ok(()));
        assert_eq!(check_expiry(100, 160, 60), Err(Error::Expired { exp: 100, now: 160, leeway: 60 }));
    }

    #[test]
    fn not_before_boundary() {
        assert_eq!(check_not_before(Some(200), 140, 60), Ok(()));
        assert_eq!(check_not_before(Some(200), 139, 60), Err(Error::NotYetValid { nbf: 200, now: 139, leeway: 60 }));
        assert_eq!(check_not_before(None, 0, 0), Ok(()));
    }

    #[test]
    fn issued_at_boundary() {
        assert_eq!(check_issued_at(Some(160), 100, 60), Ok(()));
        assert_eq!(check_issued_at(Some(161), 100, 60), Err(Error::IssuedInFuture { iat: 161, now: 100, leeway: 60 }));
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        assert!(check_expiry(i64::MAX, i64::MAX - 1, u64::MAX).is_ok());
        assert!(check_expiry(i64::MIN, 0, 60).is_err());
        assert!(check_not_before(Some(i64::MIN), i64::MIN, u64::MAX).is_ok());
        assert!(check_issued_at(Some(i64::MAX), i64::MAX, 0).is_ok());
    }
}
