//! Reconnection delays: exponential backoff with jitter, reset after a healthy connection.

use std::time::{Duration, Instant};

/// Exponential backoff with up to `jitter_ratio` of each delay randomly removed.
///
/// The n-th consecutive failure waits `min(max, initial × 2ⁿ)` minus a random part of up to
/// `jitter_ratio` of that. A connection that stayed healthy for `reset_after` resets the
/// sequence, so a stream that drops once a day reconnects after about `initial`.
///
/// ```
/// use std::time::Duration;
/// use ld_datasource_http::Backoff;
///
/// let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
/// let first = b.next_delay();
/// assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    jitter_ratio: f64,
    reset_after: Duration,
    attempts: u32,
    connected_at: Option<Instant>,
}

impl Backoff {
    /// The LaunchDarkly streaming defaults: 50% jitter, reset after 60 s of good connection.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max: max.max(initial),
            jitter_ratio: 0.5,
            reset_after: Duration::from_secs(60),
            attempts: 0,
            connected_at: None,
        }
    }

    /// Changes the jitter ratio (clamped to `0.0..=1.0`).
    pub fn with_jitter(mut self, ratio: f64) -> Self {
        self.jitter_ratio = if ratio.is_finite() {
            ratio.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// Changes how long a connection must stay healthy to reset the backoff.
    pub fn with_reset_after(mut self, reset_after: Duration) -> Self {
        self.reset_after = reset_after;
        self
    }

    /// Changes the initial delay (for example to honour an SSE `retry:` field), keeping the
    /// number of attempts so far.
    pub fn set_initial(&mut self, initial: Duration) {
        self.initial = initial.min(self.max);
    }

    /// The delay before the next attempt, with random jitter.
    pub fn next_delay(&mut self) -> Duration {
        self.next_delay_with(rand::random::<f64>())
    }

    /// The delay before the next attempt, with `unit` (in `0.0..1.0`) choosing the jitter.
    pub fn next_delay_with(&mut self, unit: f64) -> Duration {
        self.maybe_reset(Instant::now());
        let exp = self.attempts.min(31);
        let base = self
            .initial
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max)
            .min(self.max);
        self.attempts = self.attempts.saturating_add(1);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        base.mul_f64(1.0 - self.jitter_ratio * unit)
    }

    /// Records that a connection succeeded (data is flowing).
    pub fn connected(&mut self) {
        self.connected_at = Some(Instant::now());
    }

    /// Records that the connection ended; resets the sequence if it had been healthy for long
    /// enough.
    pub fn disconnected(&mut self) {
        self.maybe_reset(Instant::now());
        self.connected_at = None;
    }

    /// Starts over from the initial delay.
    pub fn reset(&mut self) {
        self.attempts = 0;
        self.connected_at = None;
    }

    fn maybe_reset(&mut self, now: Instant) {
        if let Some(since) = self.connected_at
            && now.duration_since(since) >= self.reset_after
        {
            self.attempts = 0;
            self.connected_at = None;
        }
    }

    #[cfg(test)]
    fn connected_at(&mut self, at: Instant) {
        self.connected_at = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn delays_double_up_to_the_maximum_without_jitter() {
        let mut b = Backoff::new(S(1), S(30)).with_jitter(0.0);
        let delays: Vec<u64> = (0..8).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn jitter_removes_at_most_half_of_the_delay() {
        let mut b = Backoff::new(S(4), S(30));
        assert_eq!(b.next_delay_with(0.0), S(4));
        assert_eq!(b.next_delay_with(0.999_999_999).as_millis(), 4000);
        assert_eq!(b.next_delay_with(1.0), S(8));
        let mut b = Backoff::new(S(4), S(30));
        assert_eq!(b.next_delay_with(1.0), S(2));
        for _ in 0..100 {
            let d = Backoff::new(S(10), S(30)).next_delay();
            assert!(d >= S(5) && d <= S(10), "{d:?}");
        }
    }

    #[test]
    fn a_connection_healthy_for_the_reset_interval_resets_the_sequence() {
        let mut b = Backoff::new(S(1), S(30)).with_jitter(0.0);
        for _ in 0..4 {
            b.next_delay();
        }
        b.connected_at(Instant::now() - S(61));
        b.disconnected();
        assert_eq!(b.next_delay(), S(1));
    }

    #[test]
    fn a_short_lived_connection_does_not_reset_the_sequence() {
        let mut b = Backoff::new(S(1), S(30)).with_jitter(0.0);
        b.next_delay();
        b.next_delay();
        b.connected();
        b.disconnected();
        assert_eq!(b.next_delay(), S(4));
    }

    #[test]
    fn huge_attempt_counts_saturate_at_the_maximum() {
        let mut b = Backoff::new(Duration::from_millis(1), S(3600)).with_jitter(0.0);
        for _ in 0..200 {
            b.next_delay();
        }
        assert_eq!(b.next_delay(), S(3600));
    }

    #[test]
    fn explicit_reset_starts_over() {
        let mut b = Backoff::new(S(1), S(30)).with_jitter(0.0);
        b.next_delay();
        b.next_delay();
        b.reset();
        assert_eq!(b.next_delay(), S(1));
    }
}
