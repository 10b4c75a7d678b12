//! When a request is tried again, and how long to wait first.
//!
//! The policy is the one of Kestra's official Python client: statuses 408, 429, 500, 502,
//! 503 and 504 are retried, 5 attempts in all, waiting 1, 2, 4, 8 then 16 seconds after
//! each failed attempt; 401 stops at once.

/// What to do with the status of one attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decision {
    /// The response is final: hand it to the caller (a success or a non-retryable error).
    Accept,
    /// The server wants credentials: fail at once.
    AuthenticationRequired,
    /// Wait this many seconds, then try again.
    RetryAfter(f64),
    /// The last attempt failed with a retryable status: wait this many seconds, as the
    /// reference client does, then give up.
    GiveUpAfter(f64),
}

/// A retry policy: which statuses are retried, how many attempts, which waits.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Wait after the first failed attempt, in seconds; each next wait doubles.
    pub first_wait_seconds: f64,
    /// Statuses that are worth another attempt.
    pub retryable_statuses: &'static [u16],
}

/// Statuses that a later attempt may turn into a success.
pub const RETRYABLE_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            first_wait_seconds: 1.0,
            retryable_statuses: &RETRYABLE_STATUSES,
        }
    }
}

impl RetryPolicy {
    /// Seconds to wait after the failed attempt number `attempt` (0 for the first).
    pub fn wait_after(&self, attempt: u32) -> f64 {
        self.first_wait_seconds * 2f64.powi(attempt.min(62) as i32)
    }

    /// Decides what follows attempt number `attempt` (0 for the first) answered `status`.
    pub fn decide(&self, attempt: u32, status: u16) -> Decision {
        if status == 401 {
            return Decision::AuthenticationRequired;
        }
        if !self.retryable_statuses.contains(&status) {
            return Decision::Accept;
        }

        let wait = self.wait_after(attempt);
        if attempt.saturating_add(1) >= self.attempts {
            return Decision::GiveUpAfter(wait);
        }
        Decision::RetryAfter(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_schedule_is_one_two_four_eight_sixteen() {
        let policy = RetryPolicy::default();
        let waits: Vec<f64> = (0..5).map(|attempt| policy.wait_after(attempt)).collect();
        assert_eq!(waits, [1.0, 2.0, 4.0, 8.0, 16.0]);
    }

    #[test]
    fn retryable_statuses_wait_then_give_up() {
        let policy = RetryPolicy::default();
        for status in RETRYABLE_STATUSES {
            assert_eq!(policy.decide(0, status), Decision::RetryAfter(1.0));
            assert_eq!(policy.decide(3, status), Decision::RetryAfter(8.0));
            assert_eq!(policy.decide(4, status), Decision::GiveUpAfter(16.0));
        }
    }

    #[test]
    fn five_attempts_then_give_up() {
        let policy = RetryPolicy::default();
        let mut requests = 0;
        let mut waits = Vec::new();
        for attempt in 0.. {
            requests += 1;
            match policy.decide(attempt, 503) {
                Decision::RetryAfter(wait) => waits.push(wait),
                Decision::GiveUpAfter(wait) => {
                    waits.push(wait);
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(requests, 5);
        assert_eq!(waits, [1.0, 2.0, 4.0, 8.0, 16.0]);
    }

    #[test]
    fn other_statuses_are_final() {
        let policy = RetryPolicy::default();
        for status in [200, 201, 204, 400, 403, 404, 409, 422, 501, 505] {
            assert_eq!(policy.decide(0, status), Decision::Accept);
        }
        assert_eq!(policy.decide(0, 401), Decision::AuthenticationRequired);
        assert_eq!(policy.decide(3, 401), Decision::AuthenticationRequired);
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let policy = RetryPolicy {
            attempts: u32::MAX,
            ..RetryPolicy::default()
        };
        assert!(policy.wait_after(u32::MAX).is_finite());
    }
}
