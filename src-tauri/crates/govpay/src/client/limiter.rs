//! GOV.UK Pay's per-second limits, kept on this side so a long sync never
//! meets a 429 of its own making.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::RateLimits;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Group {
    Get,
    CreatePayment,
    Capture,
    OtherPost,
}

/// At most `limit` requests in any one-second span, so none of GOV.UK Pay's
/// fixed one-second windows can be exceeded, wherever its windows start.
#[derive(Debug)]
struct Window {
    limit: u32,
    sent: Mutex<VecDeque<Instant>>,
}

impl Window {
    fn new(limit: u32) -> Self {
        Self {
            limit: limit.max(1),
            sent: Mutex::new(VecDeque::new()),
        }
    }

    async fn acquire(&self) {
        let mut sent = self.sent.lock().await;
        loop {
            let now = Instant::now();
            while sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                sent.pop_front();
            }
            if (sent.len() as u32) < self.limit {
                sent.push_back(now);
                return;
            }
            let wait = sent
                .front()
                .map(|t| Duration::from_secs(1).saturating_sub(now.duration_since(*t)))
                .unwrap_or_default();
            tokio::time::sleep(wait + Duration::from_millis(1)).await;
        }
    }
}

#[derive(Debug)]
pub(super) struct Limiter {
    get: Window,
    create: Window,
    capture: Window,
    other: Window,
}

impl Limiter {
    pub(super) fn new(l: RateLimits) -> Self {
        Self {
            get: Window::new(l.get_per_second),
            create: Window::new(l.create_payment_per_second),
            capture: Window::new(l.capture_per_second),
            other: Window::new(l.other_post_per_second),
        }
    }

    pub(super) async fn acquire(&self, group: Group) {
        match group {
            Group::Get => self.get.acquire().await,
            Group::CreatePayment => self.create.acquire().await,
            Group::Capture => self.capture.acquire().await,
            Group::OtherPost => self.other.acquire().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_limiter_allows_at_most_n_in_any_second() {
        let window = Window::new(5);
        let start = Instant::now();
        for _ in 0..11 {
            window.acquire().await;
        }
        // 11 requests at 5 a second need two full waits.
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
}
