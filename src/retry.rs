//! When a request is tried again, how long to wait first, and what a failure means.
//!
//! Reads are idempotent: 408, 429, 500, 502, 503 and 504 answers and network errors are
//! retried, by default 5 times, waiting 1, 2, 4, 8 then 16 seconds, or what the server's
//! `Retry-After` asks. Creating an execution is not idempotent: a failure that may have
//! happened after the server acted on the request ([`is_ambiguous`]) is never resent blindly;
//! the caller first looks the execution up.

/// How one attempt ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// The server answered with this status.
    Status(u16),
    /// No answer: the connection broke or the request timed out, maybe after it was sent.
    NetworkError,
    /// No connection was made (refused, unknown name): the request reached nobody.
    Unsent,
    /// The request cannot be sent at all (a permission the runtime lacks, a URL or port
    /// `fetch` refuses, an unreadable file input): another attempt would fail the same way.
    Unsendable,
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// The outcome is final: a success, or an error to report.
    Accept,
    /// Wait this many seconds, then try again.
    RetryAfter(f64),
    /// The outcome was retryable but no retry is left.
    GiveUp,
}

/// A retry policy: how many retries, and the first wait of the doubling schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Wait before the first retry, in seconds; each next wait doubles.
    pub first_wait_seconds: f64,
}

/// Statuses that a later attempt may turn into a success.
pub const RETRYABLE_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// The longest `Retry-After` honoured, in seconds: a server asking for more is waited on
/// this long, so a misconfigured proxy cannot park a script for a day.
pub const MAX_RETRY_AFTER_SECONDS: f64 = 300.0;

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            retries: 5,
            first_wait_seconds: 1.0,
        }
    }
}

impl RetryPolicy {
    /// Seconds to wait before retry number `retry` (0 for the first).
    pub fn wait_before(&self, retry: u32) -> f64 {
        self.first_wait_seconds * 2f64.powi(retry.min(62) as i32)
    }

    /// Decides what follows an attempt after `retries_done` retries; `retry_after` is the
    /// server's `Retry-After` in seconds, when it sent one.
    pub fn decide(
        &self,
        retries_done: u32,
        outcome: Outcome,
        retry_after: Option<f64>,
    ) -> Decision {
        let retryable = match outcome {
            Outcome::NetworkError | Outcome::Unsent => true,
            Outcome::Unsendable => false,
            Outcome::Status(status) => RETRYABLE_STATUSES.contains(&status),
        };
        if !retryable {
            return Decision::Accept;
        }
        if retries_done >= self.retries {
            return Decision::GiveUp;
        }

        let wait = match retry_after {
            Some(seconds) if seconds.is_finite() => seconds.clamp(0.0, MAX_RETRY_AFTER_SECONDS),
            _ => self.wait_before(retries_done),
        };
        Decision::RetryAfter(wait)
    }
}

/// Whether a failed create may have created the execution anyway: the connection broke
/// after the request was sent, or a gateway or the server failed while handling it. 408,
/// 429 and 503 say the request was not handled, so resending it is safe.
pub fn is_ambiguous(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::NetworkError | Outcome::Status(500 | 502 | 504)
    )
}

/// The exported error class for a final error status.
pub fn error_class(status: u16) -> &'static str {
    match status {
        401 => "AuthenticationError",
        403 => "ForbiddenError",
        404 => "NotFoundError",
        422 => "InputValidationError",
        _ => "HttpError",
    }
}

/// Seconds to wait that a `Retry-After` value asks for: a number of seconds, or an HTTP
/// date (`Sun, 06 Nov 1994 08:49:37 GMT`) compared with `now_seconds` (Unix time).
pub fn parse_retry_after(value: &str, now_seconds: f64) -> Option<f64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // An integer parse: float parsing would add several KB to the WebAssembly module.
        return Some(
            value
                .parse::<u64>()
                .map_or(MAX_RETRY_AFTER_SECONDS, |seconds| seconds as f64),
        );
    }
    let date = parse_http_date(value)?;
    Some((date - now_seconds).max(0.0))
}

/// Unix seconds of an IMF-fixdate, the HTTP date format servers must send.
fn parse_http_date(value: &str) -> Option<f64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];

    let (_weekday, rest) = value.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u32 = day.parse().ok()?;
    let month = MONTHS.iter().position(|name| name == month)? as u32 + 1;
    let year: i64 = year.parse().ok()?;
    let clock: Vec<u32> = time
        .split(':')
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    let [hours, minutes, seconds] = clock.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day) || *hours > 23 || *minutes > 59 || *seconds > 60 {
        return None;
    }

    let days = days_from_civil(year, month, day);
    let seconds_of_day = i64::from(hours * 3600 + minutes * 60 + seconds);
    Some((days * 86_400 + seconds_of_day) as f64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_is_one_two_four_eight_sixteen() {
        let policy = RetryPolicy::default();
        let mut waits = Vec::new();
        let mut retries = 0;
        while let Decision::RetryAfter(wait) = policy.decide(retries, Outcome::Status(503), None) {
            waits.push(wait);
            retries += 1;
        }
        assert_eq!(waits, [1.0, 2.0, 4.0, 8.0, 16.0]);
        assert_eq!(
            policy.decide(5, Outcome::Status(503), None),
            Decision::GiveUp
        );
    }

    #[test]
    fn retryable_outcomes() {
        let policy = RetryPolicy::default();
        for status in RETRYABLE_STATUSES {
            assert_eq!(
                policy.decide(0, Outcome::Status(status), None),
                Decision::RetryAfter(1.0)
            );
        }
        assert_eq!(
            policy.decide(2, Outcome::NetworkError, None),
            Decision::RetryAfter(4.0)
        );
        assert_eq!(
            policy.decide(0, Outcome::Unsent, None),
            Decision::RetryAfter(1.0)
        );
        assert_eq!(
            policy.decide(0, Outcome::Unsendable, None),
            Decision::Accept
        );
        for status in [200, 201, 204, 400, 401, 403, 404, 409, 422, 501, 505] {
            assert_eq!(
                policy.decide(0, Outcome::Status(status), None),
                Decision::Accept
            );
        }
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let policy = RetryPolicy::default();
        let decide = |seconds| policy.decide(0, Outcome::Status(429), Some(seconds));
        assert_eq!(decide(7.0), Decision::RetryAfter(7.0));
        assert_eq!(decide(0.0), Decision::RetryAfter(0.0));
        assert_eq!(decide(1e9), Decision::RetryAfter(MAX_RETRY_AFTER_SECONDS));
        assert_eq!(decide(f64::NAN), Decision::RetryAfter(1.0));
    }

    #[test]
    fn custom_policies_and_huge_counts() {
        let policy = RetryPolicy {
            retries: 0,
            first_wait_seconds: 0.5,
        };
        assert_eq!(
            policy.decide(0, Outcome::NetworkError, None),
            Decision::GiveUp
        );
        let many = RetryPolicy {
            retries: u32::MAX,
            first_wait_seconds: 0.5,
        };
        assert_eq!(many.wait_before(3), 4.0);
        assert!(many.wait_before(u32::MAX).is_finite());
    }

    #[test]
    fn ambiguous_create_failures() {
        for outcome in [
            Outcome::NetworkError,
            Outcome::Status(500),
            Outcome::Status(502),
            Outcome::Status(504),
        ] {
            assert!(is_ambiguous(outcome), "{outcome:?}");
        }
        for status in [408, 429, 503, 400, 401, 404, 422] {
            assert!(!is_ambiguous(Outcome::Status(status)), "{status}");
        }
        assert!(!is_ambiguous(Outcome::Unsent));
        assert!(!is_ambiguous(Outcome::Unsendable));
    }

    #[test]
    fn error_classes_by_status() {
        assert_eq!(error_class(401), "AuthenticationError");
        assert_eq!(error_class(403), "ForbiddenError");
        assert_eq!(error_class(404), "NotFoundError");
        assert_eq!(error_class(422), "InputValidationError");
        assert_eq!(error_class(409), "HttpError");
        assert_eq!(error_class(500), "HttpError");
    }

    #[test]
    fn retry_after_values() {
        // 1994-11-06T08:49:37Z is 784111777 in Unix time.
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(parse_retry_after(date, 784_111_770.0), Some(7.0));
        assert_eq!(parse_retry_after(date, 784_111_800.0), Some(0.0));
        assert_eq!(parse_retry_after(" 120 ", 0.0), Some(120.0));
        assert_eq!(
            parse_retry_after("99999999999999999999999", 0.0),
            Some(MAX_RETRY_AFTER_SECONDS)
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", -5.0),
            Some(5.0)
        );
        assert_eq!(
            parse_retry_after("Tue, 29 Feb 2028 12:00:00 GMT", 1_835_438_400.0),
            Some(0.0)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, 0.0), None, "{bad}");
        }
    }
}
