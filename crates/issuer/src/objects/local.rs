//! The objects in memory (native only): [`LocalBackend`] is what `wrangler dev` runs, minus
//! the runtime: one [`UserObject`] per routing prefix over a [`MemoryKv`], one
//! [`FeedObject`], a shared clock, and failure injection for the feed. The integration tests
//! drive `routes::handle` over it; the simulation drives the objects directly.

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    future::Future,
    pin::pin,
    rc::Rc,
    task::{Context, Poll, Waker},
};

use revocable_core::RevocationFeed;

use super::{Backend, Call, FeedObject, FeedSink, Outcome, UserObject};
use crate::store::{memory::MemoryKv, FeedAppend, StoreError};

/// Polls `future` with a no-op waker until it is ready, at most `polls` times; `None` if it
/// is still pending then. The in-memory objects never wait on anything outside the process:
/// a call that stays pending is blocked on a turn another unfinished call holds.
pub fn run_to_completion<F: Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    (0..polls).find_map(|_| match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    })
}

/// A [`FeedSink`] that appends straight to an in-memory [`FeedObject`].
#[derive(Debug, Clone)]
pub struct LocalFeed {
    feed: Rc<FeedObject<MemoryKv>>,
    failing: Rc<Cell<bool>>,
}

impl FeedSink for LocalFeed {
    async fn append(&self, entries: &[FeedAppend]) -> Result<(), StoreError> {
        if self.failing.get() {
            return Err(StoreError::Backend("feed append"));
        }
        let now = self.feed.store().kv().now();
        self.feed.append(entries, now).await
    }
}

/// Every object of one issuer, in memory.
#[derive(Debug)]
pub struct LocalBackend {
    users: RefCell<BTreeMap<String, Rc<UserObject<MemoryKv, LocalFeed>>>>,
    feed: Rc<FeedObject<MemoryKv>>,
    failing: Rc<Cell<bool>>,
    now: Cell<i64>,
}

impl LocalBackend {
    /// No objects yet, the clock at `now` (seconds).
    pub fn new(now: i64) -> Self {
        Self {
            users: RefCell::default(),
            feed: Rc::new(FeedObject::new(MemoryKv::new(now))),
            failing: Rc::default(),
            now: Cell::new(now),
        }
    }

    /// Moves every object's clock (stored entries past their TTL disappear).
    pub fn set_now(&self, now: i64) {
        self.now.set(now);
        self.feed.store().kv().set_now(now);
        for object in self.users.borrow().values() {
            object.store().kv().set_now(now);
        }
    }

    /// Makes the feed object refuse (or take again) every append.
    pub fn fail_feed(&self, failing: bool) {
        self.failing.set(failing);
    }

    /// The session object `route`, created on first use.
    pub fn object(&self, route: &str) -> Rc<UserObject<MemoryKv, LocalFeed>> {
        let mut users = self.users.borrow_mut();
        let object = users.entry(route.to_owned()).or_insert_with(|| {
            let feed = LocalFeed {
                feed: Rc::clone(&self.feed),
                failing: Rc::clone(&self.failing),
            };
            Rc::new(UserObject::new(MemoryKv::new(self.now.get()), feed))
        });
        Rc::clone(object)
    }

    /// Every session object so far, by routing prefix.
    pub fn objects(&self) -> Vec<(String, Rc<UserObject<MemoryKv, LocalFeed>>)> {
        self.users
            .borrow()
            .iter()
            .map(|(route, object)| (route.clone(), Rc::clone(object)))
            .collect()
    }

    /// The feed object.
    pub fn feed_object(&self) -> &FeedObject<MemoryKv> {
        &self.feed
    }
}

impl Backend for LocalBackend {
    async fn call(&self, route: &str, call: &Call, now_ms: i64) -> Result<Outcome, StoreError> {
        self.object(route).call(call, now_ms).await
    }

    async fn feed(&self, now: i64) -> Result<RevocationFeed, StoreError> {
        self.feed.read(now).await
    }
}
