use std::sync::Mutex;

use tokio::sync::Notify;

/// A concurrency limit that adapts to the server: halved when it answers 429, grown back by
/// about one request per round of successes (additive increase, multiplicative decrease), and
/// never above its maximum.
#[derive(Debug)]
pub struct AdaptiveLimit {
    max: usize,
    state: Mutex<LimitState>,
    released: Notify,
}

#[derive(Debug)]
struct LimitState {
    limit: f64,
    in_flight: usize,
}

/// One request's right to be in flight; given back when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    owner: &'a AdaptiveLimit,
}

impl AdaptiveLimit {
    /// A limit starting at (and never above) `max`, at least 1.
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            max,
            state: Mutex::new(LimitState {
                limit: max as f64,
                in_flight: 0,
            }),
            released: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LimitState> {
        // The state is two numbers that are always consistent; a panic elsewhere cannot break it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until a request may start.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            {
                let mut state = self.state();
                if (state.in_flight as f64) < state.limit.floor().max(1.0) {
                    state.in_flight += 1;
                    return Permit { owner: self };
                }
            }
            released.await;
        }
    }

    /// The current limit.
    pub fn current(&self) -> usize {
        self.state().limit.floor().max(1.0) as usize
    }

    fn throttled(&self) {
        let mut state = self.state();
        state.limit = (state.limit / 2.0).max(1.0);
    }

    fn succeeded(&self) {
        let mut state = self.state();
        state.limit = (state.limit + 1.0 / state.limit).min(self.max as f64);
        drop(state);
        self.released.notify_waiters();
    }
}

impl Permit<'_> {
    /// The server said 429: fewer requests at once from now on.
    pub fn throttled(&self) {
        self.owner.throttled();
    }

    /// The request went through: the limit may grow back.
    pub fn succeeded(&self) {
        self.owner.succeeded();
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.owner.state().in_flight -= 1;
        self.owner.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn halves_on_throttle_and_grows_back_to_the_max() {
        let limit = AdaptiveLimit::new(8);
        let permit = limit.acquire().await;
        permit.throttled();
        assert_eq!(limit.current(), 4);
        permit.throttled();
        permit.throttled();
        permit.throttled();
        assert_eq!(limit.current(), 1, "never below one");
        for _ in 0..200 {
            permit.succeeded();
        }
        assert_eq!(limit.current(), 8, "never above the max");
    }

    #[tokio::test]
    async fn waits_while_the_limit_is_reached() {
        let limit = AdaptiveLimit::new(1);
        let first = limit.acquire().await;
        let second =
            tokio::time::timeout(std::time::Duration::from_millis(50), limit.acquire()).await;
        assert!(second.is_err(), "a second permit waits for the first");
        drop(first);
        let third =
            tokio::time::timeout(std::time::Duration::from_millis(50), limit.acquire()).await;
        assert!(third.is_ok());
    }
}
