//! A deterministic simulation of one user's session object under concurrency.
//!
//! The model: one [`UserObject`] (the user `SUB`'s session object) over a [`YieldingKv`], a
//! `MemoryKv` that answers `Pending` once before each `get`, `put`, `delete` and `list`, so
//! that every storage operation of the store's async code is a point where another call
//! may run. The object delivers revocations to a [`FeedObject`] through a [`SimFeed`], which
//! yields too and, in some schedules, fails at random (the outbox and
//! [`UserObject::flush_outbox`] then deliver the entries later).
//!
//! A schedule is one seeded run: a single-threaded [`Executor`] holds the operations in
//! flight (each a spawned future that calls the object once) and, at every step, the
//! schedule's random generator chooses to poll one ready operation, start a new one, move
//! the simulated clock, or let one of the [`LOCATIONS`] read the feed through its cache
//! (kept for [`FEED_CACHE_TTL_MS`]). The actors: honest clients, each holding its session's
//! current refresh token (refreshing, from two tabs at once with the same token, losing a
//! response, retrying with its previous token), an attacker replaying stolen tokens, logouts
//! of one session (by id or by refresh token), RFC 7009 revocations of access tokens (one
//! at a time and in concurrent bursts), logout everywhere, new logins, listing, and the
//! alarm that flushes the outbox.
//!
//! Every operation is recorded with the moment it was invoked (its first poll, when it
//! takes its place in the object's queue) and the moment it answered. The invariants:
//! 1. never two current refresh tokens in a session: every grant for one presented token
//!    hands out the same successor, and at the end, every token the stored state would
//!    still accept leads to the session's one current token;
//! 2. a replay outside the rules (a token older than the immediately previous one, or the
//!    previous one after the reuse interval, each known to be rotated away before the
//!    replay was invoked) is never granted, and ends the session (checked by 3);
//! 3. no refresh invoked after a revocation of its session answered is granted (logout,
//!    RFC 7009 with a refresh token, logout everywhere for the sessions that started before
//!    it answered, a reuse detection, a replay outside the rules), no listing shows such a
//!    session, and at the end every token of an ended session is refused;
//! 4. a location reading the feed `FEED_CACHE_TTL` or more after a revocation answered shows
//!    it (a session's `sid`; an access token's `jti` or its session's `sid`; the subject of
//!    a logout everywhere and the `sid` of every session it ended); a revocation whose feed
//!    delivery failed is due once a later revocation answered (each delivers the whole
//!    outbox first) or a flush answered that nothing is left, and at the end, with the
//!    outbox flushed, the feed shows every revocation;
//! 5. the feed never lists more `jti`s of one session than the cap;
//! 6. a retry with the immediately previous token inside the reuse interval, with nothing
//!    else touching the session since its rotation, gets the successor its rotation got.
//!
//! 1, 2, 3 and 6 are checked against the history at the end of each schedule, 4 and 5 at
//! every location read, and all of them against the object's stored state and the feed
//! after the last operation. A violation is reported with its schedule, seed and trace.
//!
//! The negative control runs the same schedules with [`UserObject::without_turns`] (calls
//! interleave at every storage operation, as over a store shared without turns) and must
//! find a fork.
//!
//! Determinism: every choice comes from the seeded generator, session ids and `jti`s from
//! it or from counters. Refresh tokens and outbox nonces come from the platform's random
//! generator, but no choice depends on their values (models are indexed by position, never
//! by token), so a seed replays the same schedule. One result may differ between runs: when
//! the feed fails, which of the batches staged in the same millisecond a partly failed flush
//! delivers first follows their nonces, so the counts of feed checks can vary slightly.

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    fmt,
    future::Future,
    pin::Pin,
    rc::Rc,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll, Wake, Waker},
    time::Instant,
};

use revocable_core::RevocationFeed;
use revocable_issuer::{
    objects::{
        local::run_to_completion, Call, Command, FeedObject, FeedSink, Outcome, Settings,
        UserObject,
    },
    rules::{
        self, Lifetimes, PreviousView, RefreshDecision, RefreshView, SessionView,
        MAX_REVOKED_ACCESS_TOKENS_PER_SESSION,
    },
    store::{memory::MemoryKv, subject_key, FeedAppend, Kv, ListPage, Put, StoreError},
    tokens,
};
use serde_json::Map;

/// Schedules of the main test.
const SCHEDULES: u64 = 3_000;
/// Schedules the negative control may take to find a violation.
const CONTROL_SCHEDULES: u64 = 300;
/// The first schedule's seed; `SIMULATION_SEED` replaces it (decimal or 0x-hex).
const BASE_SEED: u64 = 0x5eed_5e55_1075_0001;

/// The simulated clock's start (milliseconds).
const T0_MS: i64 = 1_750_000_000_000;
/// The one user all actors act on.
const SUB: &str = "alice@example.com";
/// How long a location keeps a feed it read (`FEED_CACHE_TTL`).
const FEED_CACHE_TTL_MS: i64 = 1_000;
/// Locations reading the feed.
const LOCATIONS: usize = 3;
/// At most this many sessions per schedule.
const MAX_SESSIONS: usize = 5;
/// At most this many honest clients (devices) per schedule.
const MAX_CLIENTS: usize = 4;
/// A schedule that takes more steps than this has a task that never finishes.
const MAX_STEPS: u64 = 20_000;

const FORK: &str = "1. never two current refresh tokens in a session";
const REPLAY: &str = "2. every replay outside the rules ends the session";
const FINAL: &str = "3. no refresh succeeds after a revocation answered";
const FEED: &str = "4. every location's feed shows a revocation within its TTL";
const CAP: &str = "5. the per-session cap on revoked access tokens holds";
const RETRY: &str = "6. a retry inside the reuse interval gets the same successor";
const PROGRESS: &str = "every operation finishes";

// ---- a seeded random generator ----------------------------------------------------------

/// SplitMix64: tiny, seedable, good enough to choose schedules.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }

    /// True `percent` times in 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// An index into `weights`, chosen in proportion to them.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut roll = self.next() % total;
        for (i, w) in weights.iter().enumerate() {
            if roll < *w {
                return i;
            }
            roll -= w;
        }
        weights.len() - 1
    }

    /// An id of 22 base64url characters (the shape of a `jti` or a session id's random part).
    fn id(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..tokens::ID_CHARS)
            .map(|_| char::from(ALPHABET[self.below(ALPHABET.len())]))
            .collect()
    }
}

/// The seed of schedule `n`.
fn schedule_seed(base: u64, n: u64) -> u64 {
    Rng(base ^ n.wrapping_mul(0xd1b5_4a32_d192_ed03)).next()
}

// ---- the executor -------------------------------------------------------------------------

/// Set by a task's waker; the executor polls only tasks whose flag is set.
#[derive(Debug, Default)]
struct ReadyFlag(AtomicBool);

impl Wake for ReadyFlag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}

struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    ready: Arc<ReadyFlag>,
    waker: Waker,
}

/// A single-threaded executor that polls one ready task at a time, chosen by the caller's
/// generator.
#[derive(Default)]
struct Executor {
    tasks: Vec<Task>,
}

enum Polled {
    One,
    NoneReady,
    Empty,
}

impl Executor {
    fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        let ready = Arc::new(ReadyFlag(AtomicBool::new(true)));
        let waker = Waker::from(Arc::clone(&ready));
        self.tasks.push(Task {
            future: Box::pin(future),
            ready,
            waker,
        });
    }

    fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Polls one ready task chosen by `rng`.
    fn poll_one(&mut self, rng: &mut Rng) -> Polled {
        if self.tasks.is_empty() {
            return Polled::Empty;
        }
        let ready: Vec<usize> = (0..self.tasks.len())
            .filter(|&i| self.tasks[i].ready.0.load(Ordering::Relaxed))
            .collect();
        if ready.is_empty() {
            return Polled::NoneReady;
        }
        let i = ready[rng.below(ready.len())];
        let task = &mut self.tasks[i];
        task.ready.0.store(false, Ordering::Relaxed);
        let mut cx = Context::from_waker(&task.waker);
        if task.future.as_mut().poll(&mut cx).is_ready() {
            self.tasks.swap_remove(i);
        }
        Polled::One
    }
}

/// Runs a future to completion outside the schedule (the checks after it): nothing else
/// runs, so each storage operation's one `Pending` is followed by its answer.
fn block_on<F: Future>(future: F) -> F::Output {
    run_to_completion(future, 100_000)
        .expect("future did not complete: an unfinished call holds the object's turn")
}

// ---- storage and feed adapters ------------------------------------------------------------

/// Answers `Pending` once, waking its task at once.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A `MemoryKv` whose every operation is a scheduling point: it yields once, then runs.
struct YieldingKv {
    inner: MemoryKv,
    points: Rc<Cell<u64>>,
}

impl YieldingKv {
    fn point(&self) -> YieldOnce {
        self.points.set(self.points.get() + 1);
        YieldOnce(false)
    }
}

impl Kv for YieldingKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.point().await;
        self.inner.get(key).await
    }

    async fn put(&self, key: &str, entry: Put<'_>) -> Result<(), StoreError> {
        self.point().await;
        self.inner.put(key, entry).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.point().await;
        self.inner.delete(key).await
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage, StoreError> {
        self.point().await;
        self.inner.list(prefix, cursor).await
    }
}

/// Decides which feed deliveries fail.
struct Faults {
    rng: RefCell<Rng>,
    percent: Cell<u64>,
}

/// The user object's way to the feed object: a scheduling point, then (unless it fails)
/// the append.
struct SimFeed {
    feed: Rc<FeedObject<MemoryKv>>,
    faults: Rc<Faults>,
    points: Rc<Cell<u64>>,
}

impl FeedSink for SimFeed {
    async fn append(&self, entries: &[FeedAppend]) -> Result<(), StoreError> {
        self.points.set(self.points.get() + 1);
        YieldOnce(false).await;
        if self
            .faults
            .rng
            .borrow_mut()
            .chance(self.faults.percent.get())
        {
            return Err(StoreError::Backend("feed append"));
        }
        let now = self.feed.store().kv().now();
        self.feed.append(entries, now).await
    }
}

// ---- the model ----------------------------------------------------------------------------

/// A moment of the schedule: `seq` orders every invocation and answer.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    seq: u64,
    ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Client(usize),
    Attacker,
    Admin,
    Alarm,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(c) => write!(f, "client {c}"),
            Self::Attacker => f.write_str("attacker"),
            Self::Admin => f.write_str("admin"),
            Self::Alarm => f.write_str("alarm"),
        }
    }
}

/// What an operation asks (sessions by index into [`Model::sessions`]).
#[derive(Debug, Clone)]
enum Op {
    Start(usize),
    Refresh {
        session: usize,
        token: String,
    },
    RevokeRefresh {
        session: usize,
        token: String,
    },
    RevokeAccess {
        session: usize,
        jti: String,
        exp: i64,
    },
    End(usize),
    Logout,
    List,
    Flush,
}

impl Op {
    /// Whether this answer says that the object's outbox was empty once it was done: a
    /// revocation answers only after delivering the whole outbox, and a flush reports what
    /// is left.
    fn delivers_outbox(&self, answer: &Answer) -> bool {
        match self {
            Self::End(_)
            | Self::RevokeRefresh { .. }
            | Self::RevokeAccess { .. }
            | Self::Logout => !matches!(answer, Answer::Failed(_)),
            Self::Refresh { .. } => *answer == Answer::Refused { reuse: true },
            Self::Flush => *answer == Answer::Flushed(0),
            Self::Start(_) | Self::List => false,
        }
    }
}

/// What an operation got back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Granted { token: String, access_exp: i64 },
    Refused { reuse: bool },
    Done,
    Unknown,
    Sessions(Vec<String>),
    LoggedOut(usize),
    Flushed(usize),
    Failed(StoreError),
    Other(String),
}

impl Answer {
    fn of(result: Result<Outcome, StoreError>) -> Self {
        match result {
            Ok(Outcome::Granted(grant)) => Self::Granted {
                token: grant.refresh_token,
                access_exp: grant.access_exp,
            },
            Ok(Outcome::Refused { reuse }) => Self::Refused { reuse },
            Ok(Outcome::Done) => Self::Done,
            Ok(Outcome::UnknownSession) => Self::Unknown,
            Ok(Outcome::Sessions { sessions }) => {
                Self::Sessions(sessions.into_iter().map(|s| s.id).collect())
            }
            Ok(Outcome::LoggedOut { sessions, .. }) => Self::LoggedOut(sessions),
            Ok(other) => Self::Other(format!("{other:?}")),
            Err(e) => Self::Failed(e),
        }
    }

    fn granted(&self) -> Option<&str> {
        match self {
            Self::Granted { token, .. } => Some(token),
            _ => None,
        }
    }

    /// The revocation is in force (it answered, or only its feed delivery failed).
    fn in_force(&self) -> bool {
        matches!(
            self,
            Self::Done | Self::LoggedOut(_) | Self::Failed(StoreError::FeedDelivery)
        )
    }
}

#[derive(Debug)]
struct Record {
    actor: Actor,
    op: Op,
    /// The answer never reaches the client (a lost response).
    lost: bool,
    invoked: Option<Stamp>,
    answered: Option<(Stamp, Answer)>,
}

impl Record {
    fn granted(&self) -> Option<&str> {
        self.answered.as_ref().and_then(|(_, a)| a.granted())
    }
    fn invoked_seq(&self) -> u64 {
        self.invoked.map_or(u64::MAX, |s| s.seq)
    }
    fn answered_seq(&self) -> u64 {
        self.answered.as_ref().map_or(u64::MAX, |(s, _)| s.seq)
    }
}

#[derive(Debug)]
struct SessionModel {
    sid: String,
    /// Every refresh token handed out for it, in order of appearance.
    tokens: Vec<String>,
    /// Access tokens (`jti`, `exp`) it handed out.
    access: Vec<(String, i64)>,
    started: Option<Stamp>,
}

#[derive(Debug, Default, Clone)]
struct Client {
    session: Option<usize>,
    current: Option<String>,
    previous: Option<String>,
}

/// What the feed must show, from a moment on.
#[derive(Debug, Clone)]
enum Revoked {
    Session(usize),
    /// An access token: by its `jti`, or by its session's `sid`.
    AccessToken(usize, String),
    Subject,
}

#[derive(Debug)]
struct Expected {
    what: Revoked,
    since: Stamp,
    op: usize,
    reported: bool,
}

#[derive(Debug, Default)]
struct Model {
    sessions: Vec<SessionModel>,
    token_owner: BTreeMap<String, (usize, usize)>,
    jti_owner: BTreeMap<String, usize>,
    ops: Vec<Record>,
    clients: Vec<Client>,
    stolen: Vec<String>,
    /// Revocations that answered: the feed must show them `FEED_CACHE_TTL` later.
    expected: Vec<Expected>,
    /// Revocations whose feed delivery failed: due once a flush of the outbox answers.
    undelivered: Vec<(Revoked, Stamp, usize)>,
    trace: Vec<String>,
}

impl Model {
    fn add_token(&mut self, session: usize, token: &str) {
        if !self.token_owner.contains_key(token) {
            let index = self.sessions[session].tokens.len();
            self.sessions[session].tokens.push(token.to_owned());
            self.token_owner.insert(token.to_owned(), (session, index));
        }
    }

    fn label(&self, token: &str) -> String {
        self.token_owner
            .get(token)
            .map_or_else(|| "?".to_owned(), |(s, i)| format!("s{s}.t{i}"))
    }

    fn describe(&self, op: usize) -> String {
        let record = &self.ops[op];
        let what = match &record.op {
            Op::Start(s) => format!("start s{s}"),
            Op::Refresh { token, .. } => format!("refresh {}", self.label(token)),
            Op::RevokeRefresh { token, .. } => {
                format!("revoke refresh token {}", self.label(token))
            }
            Op::RevokeAccess { session, jti, .. } => {
                format!("revoke access token s{session}/{jti:.6}")
            }
            Op::End(s) => format!("end session s{s}"),
            Op::Logout => "logout everywhere".to_owned(),
            Op::List => "list sessions".to_owned(),
            Op::Flush => "flush outbox".to_owned(),
        };
        let lost = if record.lost { " (response lost)" } else { "" };
        format!("#{op} {}: {what}{lost}", record.actor)
    }

    fn describe_revoked(&self, what: &Revoked) -> String {
        match what {
            Revoked::Session(s) => format!("the sid of s{s}"),
            Revoked::AccessToken(s, jti) => format!("the jti {jti:.6} (or the sid) of s{s}"),
            Revoked::Subject => "the subject".to_owned(),
        }
    }

    fn describe_answer(&self, answer: &Answer) -> String {
        match answer {
            Answer::Granted { token, .. } => format!("granted {}", self.label(token)),
            Answer::Sessions(ids) => {
                let labels: Vec<String> = ids
                    .iter()
                    .map(|id| {
                        self.sessions
                            .iter()
                            .position(|s| &s.sid == id)
                            .map_or_else(|| "?".to_owned(), |s| format!("s{s}"))
                    })
                    .collect();
                format!("sessions [{}]", labels.join(", "))
            }
            other => format!("{other:?}"),
        }
    }

    /// Refreshes presenting `token` that were granted, in invocation order.
    fn grants_for(&self, token: &str) -> Vec<usize> {
        let mut grants: Vec<usize> = (0..self.ops.len())
            .filter(|&i| {
                matches!(&self.ops[i].op, Op::Refresh { token: t, .. } if t == token)
                    && self.ops[i].granted().is_some()
            })
            .collect();
        grants.sort_by_key(|&i| self.ops[i].invoked_seq());
        grants
    }

    /// The successor the first grant for `token` handed out.
    fn successor(&self, token: &str) -> Option<&str> {
        self.grants_for(token)
            .first()
            .and_then(|&i| self.ops[i].granted())
    }

    /// Whether a refresh presenting `token` was granted and answered before `seq`.
    fn granted_before(&self, token: &str, seq: u64) -> bool {
        self.grants_for(token)
            .iter()
            .any(|&i| self.ops[i].answered_seq() < seq)
    }

    /// Whether operation `op` (a refresh) presented a token outside the rules: one rotated
    /// away before it was invoked that is older than the immediately previous, or the
    /// previous one after the reuse interval.
    fn replay_outside_the_rules(&self, op: usize, interval_ms: i64) -> bool {
        let record = &self.ops[op];
        let (Op::Refresh { token, .. }, Some(invoked)) = (&record.op, record.invoked) else {
            return false;
        };
        if !self.granted_before(token, invoked.seq) {
            return false;
        }
        let grants = self.grants_for(token);
        let Some(&rotation) = grants.first() else {
            return false;
        };
        let rotated_ms = self.ops[rotation].invoked.map_or(i64::MAX, |s| s.ms);
        let older = self
            .successor(token)
            .is_some_and(|next| self.granted_before(next, invoked.seq));
        older || invoked.ms - rotated_ms >= interval_ms
    }

    /// The session that operation `op`, answered at `answered` with `answer`, revoked (in
    /// force even when only its feed delivery failed). Ending a session by id fails delivery
    /// whenever the outbox cannot be emptied, also for a session the object does not know
    /// (yet): that one ended only if it started before the answer.
    fn session_revoked_by(&self, op: &Op, answered: Stamp, answer: &Answer) -> Option<usize> {
        let failed = *answer == Answer::Failed(StoreError::FeedDelivery);
        match op {
            Op::End(s) => {
                let started = self.sessions[*s]
                    .started
                    .is_some_and(|at| at.seq < answered.seq);
                (*answer == Answer::Done || failed && started).then_some(*s)
            }
            Op::RevokeRefresh { session, .. } => {
                (*answer == Answer::Done || failed).then_some(*session)
            }
            Op::Refresh { session, .. } => matches!(answer, Answer::Refused { reuse: true })
                .then_some(*session)
                .or(failed.then_some(*session)),
            _ => None,
        }
    }

    /// When each session's revocation first answered (including a feed-delivery failure:
    /// the revocation is in force all the same), with the operation that did it.
    fn ended(&self, interval_ms: i64) -> Vec<Option<(u64, usize)>> {
        let mut ended: Vec<Option<(u64, usize)>> = vec![None; self.sessions.len()];
        let mut end = |session: usize, seq: u64, op: usize| {
            if ended[session].is_none_or(|(at, _)| seq < at) {
                ended[session] = Some((seq, op));
            }
        };
        for (i, record) in self.ops.iter().enumerate() {
            let Some((answered, answer)) = &record.answered else {
                continue;
            };
            if let Some(s) = self.session_revoked_by(&record.op, *answered, answer) {
                end(s, answered.seq, i);
            }
            match &record.op {
                // A replay outside the rules ends the session even when it is refused
                // without reuse (the session had ended already).
                Op::Refresh { session, .. }
                    if answer.granted().is_none()
                        && self.replay_outside_the_rules(i, interval_ms) =>
                {
                    end(*session, answered.seq, i);
                }
                Op::Logout if answer.in_force() => {
                    for (s, session) in self.sessions.iter().enumerate() {
                        if session.started.is_some_and(|at| at.seq < answered.seq) {
                            end(s, answered.seq, i);
                        }
                    }
                }
                _ => {}
            }
        }
        ended
    }
}

#[derive(Debug, Clone)]
struct Violation {
    invariant: &'static str,
    detail: String,
}

// ---- the world: the object, the feed, the clock, the model --------------------------------

struct World {
    object: UserObject<YieldingKv, SimFeed>,
    feed: Rc<FeedObject<MemoryKv>>,
    faults: Rc<Faults>,
    settings: Settings,
    clock_ms: Cell<i64>,
    seq: Cell<u64>,
    step: Cell<u64>,
    points: Rc<Cell<u64>>,
    /// Checks made, per invariant.
    checks: RefCell<BTreeMap<&'static str, u64>>,
    model: RefCell<Model>,
    violations: RefCell<Vec<Violation>>,
}

enum Invocation {
    Call(Call, i64),
    Flush,
}

impl World {
    fn stamp(&self) -> Stamp {
        self.seq.set(self.seq.get() + 1);
        Stamp {
            seq: self.seq.get(),
            ms: self.clock_ms.get(),
        }
    }

    fn trace(&self, model: &mut Model, text: String) {
        let line = format!(
            "{:>5} {:>6}ms  {text}",
            self.step.get(),
            self.clock_ms.get() - T0_MS
        );
        model.trace.push(line);
    }

    fn check(&self, ok: bool, invariant: &'static str, detail: impl FnOnce() -> String) {
        *self.checks.borrow_mut().entry(invariant).or_default() += 1;
        if !ok {
            self.violations.borrow_mut().push(Violation {
                invariant,
                detail: detail(),
            });
        }
    }

    fn advance(&self, ms: i64) {
        let now = self.clock_ms.get() + ms;
        self.clock_ms.set(now);
        self.object.store().kv().inner.set_now(rules::secs(now));
        self.feed.store().kv().set_now(rules::secs(now));
    }

    /// Records the invocation of `op` and builds its call.
    fn invoke(&self, op: usize) -> Invocation {
        let stamp = self.stamp();
        let mut model = self.model.borrow_mut();
        model.ops[op].invoked = Some(stamp);
        let text = format!("{} invoked", model.describe(op));
        self.trace(&mut model, text);
        let command = match model.ops[op].op.clone() {
            Op::Start(s) => Command::Start {
                sid: model.sessions[s].sid.clone(),
                sub: SUB.to_owned(),
                scope: None,
                claims: Map::new(),
            },
            Op::Refresh { token, .. } => Command::Refresh { token, scope: None },
            Op::RevokeRefresh { token, .. } => Command::RevokeRefreshToken { token },
            Op::RevokeAccess { session, jti, exp } => Command::RevokeAccessToken {
                sid: model.sessions[session].sid.clone(),
                jti,
                exp,
            },
            Op::End(s) => Command::EndSession {
                sid: model.sessions[s].sid.clone(),
            },
            Op::Logout => Command::LogoutEverywhere {
                sub: SUB.to_owned(),
            },
            Op::List => Command::ListSessions {
                sub: SUB.to_owned(),
            },
            Op::Flush => return Invocation::Flush,
        };
        Invocation::Call(
            Call {
                settings: self.settings,
                command,
            },
            stamp.ms,
        )
    }

    /// Records the answer of `op`: what the clients now hold, what the feed must show.
    fn answer(&self, op: usize, answer: Answer) {
        let stamp = self.stamp();
        let model = &mut *self.model.borrow_mut();
        self.record_answer(model, op, stamp, &answer);
        let text = format!(
            "{} answered {}",
            model.describe(op),
            model.describe_answer(&answer)
        );
        self.trace(model, text);
    }

    fn record_answer(&self, model: &mut Model, op: usize, stamp: Stamp, answer: &Answer) {
        let (actor, lost, what) = {
            let r = &model.ops[op];
            (r.actor, r.lost, r.op.clone())
        };
        model.ops[op].answered = Some((stamp, answer.clone()));
        let delivered = !matches!(answer, Answer::Failed(StoreError::FeedDelivery));
        let due = |model: &mut Model, what: Revoked| {
            if delivered {
                model.expected.push(Expected {
                    what,
                    since: stamp,
                    op,
                    reported: false,
                });
            } else {
                model.undelivered.push((what, stamp, op));
            }
        };
        match (what.clone(), answer) {
            (Op::Start(s), Answer::Granted { token, access_exp }) => {
                model.sessions[s].started = Some(stamp);
                model.add_token(s, token);
                self.hand_out_access_token(model, s, *access_exp);
                if let Actor::Client(c) = actor {
                    model.clients[c] = Client {
                        session: Some(s),
                        current: Some(token.clone()),
                        previous: None,
                    };
                }
            }
            (
                Op::Refresh {
                    session,
                    token: presented,
                },
                Answer::Granted { token, access_exp },
            ) => {
                model.add_token(session, token);
                self.hand_out_access_token(model, session, *access_exp);
                match actor {
                    Actor::Client(c) if !lost => {
                        let client = &mut model.clients[c];
                        if client.current.as_deref() == Some(presented.as_str()) {
                            client.previous = Some(presented);
                            client.current = Some(token.clone());
                        }
                    }
                    Actor::Attacker => model.stolen.push(token.clone()),
                    _ => {}
                }
            }
            (Op::Refresh { session, .. }, _) => {
                if let Actor::Client(c) = actor {
                    if !lost && model.clients[c].session == Some(session) {
                        model.clients[c] = Client::default();
                    }
                }
            }
            (Op::RevokeAccess { session, jti, .. }, answer) if answer.in_force() => {
                due(model, Revoked::AccessToken(session, jti));
            }
            (Op::Logout, answer) if answer.in_force() => {
                // It ended every session started before it answered (those that an earlier
                // revocation ended too: their entries are delivered by now, see below).
                for s in 0..model.sessions.len() {
                    if model.sessions[s]
                        .started
                        .is_some_and(|at| at.seq < stamp.seq)
                    {
                        due(model, Revoked::Session(s));
                    }
                }
                due(model, Revoked::Subject);
            }
            _ => {}
        }
        if let Some(s) = model.session_revoked_by(&what, stamp, answer) {
            due(model, Revoked::Session(s));
        }
        // A revocation answers, and a flush answers that nothing is left, only once the
        // whole outbox is delivered: the entries of every revocation whose delivery failed
        // before (calls take turns, so before it answered) are in the feed now.
        if what.delivers_outbox(answer) {
            let now_due = std::mem::take(&mut model.undelivered);
            for (what, _, op) in now_due {
                model.expected.push(Expected {
                    what,
                    since: stamp,
                    op,
                    reported: false,
                });
            }
        }
    }

    fn hand_out_access_token(&self, model: &mut Model, session: usize, exp: i64) {
        let jti = format!("{:022}", model.jti_owner.len());
        model.jti_owner.insert(jti.clone(), session);
        model.sessions[session].access.push((jti, exp));
    }

    fn shows(&self, model: &Model, feed: &RevocationFeed, what: &Revoked) -> bool {
        let has_sid = |s: usize| feed.sid.iter().any(|e| e.id == model.sessions[s].sid);
        match what {
            Revoked::Session(s) => has_sid(*s),
            Revoked::AccessToken(s, jti) => has_sid(*s) || feed.jti.iter().any(|e| &e.id == jti),
            Revoked::Subject => feed.sub.iter().any(|e| e.id == SUB),
        }
    }

    /// Invariants 4 and 5 on a feed a location serves at `now_ms`.
    fn check_feed(&self, location: &str, feed: &RevocationFeed, fetched_ms: i64, now_ms: i64) {
        let model = &mut *self.model.borrow_mut();
        for i in 0..model.expected.len() {
            let e = &model.expected[i];
            if e.reported || e.since.ms + FEED_CACHE_TTL_MS > now_ms {
                continue;
            }
            let shown = self.shows(model, feed, &e.what);
            self.check(shown, FEED, || {
                format!(
                    "{location} at +{}ms (feed read at +{}ms) does not show {}, revoked by {} \
                     which answered at +{}ms",
                    now_ms - T0_MS,
                    fetched_ms - T0_MS,
                    model.describe_revoked(&e.what),
                    model.describe(e.op),
                    e.since.ms - T0_MS,
                )
            });
            if !shown {
                model.expected[i].reported = true;
            }
        }
        let mut per_session: BTreeMap<usize, usize> = BTreeMap::new();
        for entry in &feed.jti {
            if let Some(&s) = model.jti_owner.get(&entry.id) {
                *per_session.entry(s).or_default() += 1;
            }
        }
        for (s, count) in per_session {
            self.check(count <= MAX_REVOKED_ACCESS_TOKENS_PER_SESSION, CAP, || {
                format!("{location}: {count} jti entries of session s{s}")
            });
        }
    }

    /// Invariants 1, 2, 3 and 6 over the whole history.
    fn check_history(&self) {
        let model = self.model.borrow();
        let interval = self.settings.reuse_interval_ms;
        let ended = model.ended(interval);
        for (i, record) in model.ops.iter().enumerate() {
            match &record.op {
                Op::Refresh { session, token } => {
                    let granted = record.granted();
                    // 1: every grant for one presented token hands out the same successor.
                    if let Some(next) = granted {
                        let first = model.successor(token);
                        self.check(first == Some(next), FORK, || {
                            format!(
                                "{} got {}, another refresh with {} got {}",
                                model.describe(i),
                                model.label(next),
                                model.label(token),
                                first.map_or_else(|| "?".to_owned(), |t| model.label(t)),
                            )
                        });
                    }
                    // 2: a replay outside the rules is never granted (and ends the session:
                    // `ended` counts it, so 3 covers what follows).
                    if model.replay_outside_the_rules(i, interval) {
                        self.check(granted.is_none(), REPLAY, || {
                            format!(
                                "{} presented a token outside the rules (reuse interval {interval} \
                                 ms) and was granted",
                                model.describe(i)
                            )
                        });
                    }
                    // 3: nothing refreshes once a revocation of the session answered.
                    if let (Some(_), Some((at, by))) = (granted, ended[*session]) {
                        self.check(record.invoked_seq() < at, FINAL, || {
                            format!(
                                "{} was granted, invoked after {} answered",
                                model.describe(i),
                                model.describe(by)
                            )
                        });
                    }
                    self.check_retry(&model, i, *session, token);
                }
                Op::List => {
                    if let Some((_, Answer::Sessions(ids))) = &record.answered {
                        for (s, end) in ended.iter().enumerate() {
                            let Some((at, by)) = end else { continue };
                            let listed = ids.contains(&model.sessions[s].sid);
                            self.check(!(listed && *at < record.invoked_seq()), FINAL, || {
                                format!(
                                    "{} listed s{s}, invoked after {} answered",
                                    model.describe(i),
                                    model.describe(*by)
                                )
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// 6: a refresh with the immediately previous token, inside the reuse interval, with
    /// nothing else touching the session since that token's rotation, is granted the same
    /// successor (calls run in arrival order, so "since" is by invocation).
    fn check_retry(&self, model: &Model, op: usize, session: usize, token: &str) {
        let record = &model.ops[op];
        let grants = model.grants_for(token);
        let Some(&rotation) = grants.first() else {
            return;
        };
        let (Some(rotated), Some(invoked)) = (model.ops[rotation].invoked, record.invoked) else {
            return;
        };
        if rotation == op
            || record.answered.is_none()
            || rotated.seq > invoked.seq
            || invoked.ms - rotated.ms >= self.settings.reuse_interval_ms
        {
            return;
        }
        let disturbed = model.ops.iter().any(|other| {
            let touches = match &other.op {
                Op::Refresh {
                    session: s,
                    token: t,
                } => *s == session && t != token,
                Op::RevokeRefresh { session: s, .. }
                | Op::RevokeAccess { session: s, .. }
                | Op::End(s) => *s == session,
                Op::Logout => true,
                Op::Start(_) | Op::List | Op::Flush => false,
            };
            let seq = other.invoked_seq();
            touches && seq > rotated.seq && seq < invoked.seq
        });
        if disturbed {
            return;
        }
        let expected = model.ops[rotation].granted();
        self.check(record.granted() == expected, RETRY, || {
            format!(
                "{} answered {}, but {} had rotated {} to {} {}ms earlier and nothing else \
                 touched the session since",
                model.describe(op),
                record
                    .answered
                    .as_ref()
                    .map_or_else(String::new, |(_, a)| model.describe_answer(a)),
                model.describe(rotation),
                model.label(token),
                expected.map_or_else(|| "?".to_owned(), |t| model.label(t)),
                invoked.ms - rotated.ms,
            )
        });
    }

    /// After the last operation: the object's state and the feed, checked directly.
    fn check_final_state(&self) {
        let now_ms = self.clock_ms.get();
        let interval = self.settings.reuse_interval_ms;
        let lifetimes = self.settings.lifetimes;
        let ended = self.model.borrow().ended(interval);
        let store = self.object.store();
        let user = subject_key(SUB);

        // 1: the tokens the stored state would still accept all lead to one successor.
        {
            let model = self.model.borrow();
            for (s, session) in model.sessions.iter().enumerate() {
                if ended[s].is_some() {
                    continue;
                }
                let stored = block_on(store.session(&user, &session.sid))
                    .unwrap_or_else(|e| panic!("session read: {e}"));
                let Some(stored) = stored else { continue };
                let view = SessionView {
                    expires: stored.expires,
                    gen: stored.gen,
                    current: &stored.current,
                    current_exp: stored.current_exp,
                    previous: stored.previous.as_ref().map(|p| PreviousView {
                        hash: &p.hash,
                        rotated_ms: p.rotated_ms,
                    }),
                    revoked: stored.revoked_at.is_some(),
                };
                let mut leads_to: Vec<(String, String)> = Vec::new();
                for token in &session.tokens {
                    let hash = tokens::hash_refresh_token(token);
                    let record = block_on(store.refresh_token(&hash))
                        .unwrap_or_else(|e| panic!("refresh token read: {e}"));
                    let Some(record) = record else { continue };
                    let token_view = RefreshView {
                        gen: record.gen,
                        exp: record.exp,
                    };
                    match rules::decide_refresh(
                        now_ms,
                        &hash,
                        token_view,
                        Some(view),
                        interval,
                        &lifetimes,
                    ) {
                        RefreshDecision::Rotate(_) => leads_to.push((token.clone(), hash)),
                        RefreshDecision::Replay(_) => {
                            let next = model
                                .successor(token)
                                .map_or_else(String::new, tokens::hash_refresh_token);
                            leads_to.push((token.clone(), next));
                        }
                        _ => {}
                    }
                }
                let one = leads_to.iter().all(|(_, next)| *next == stored.current);
                self.check(one, FORK, || {
                    let accepted: Vec<String> =
                        leads_to.iter().map(|(t, _)| model.label(t)).collect();
                    format!(
                        "session s{s} still accepts [{}], which do not all lead to its current \
                         token",
                        accepted.join(", ")
                    )
                });
            }
        }

        // 2, 3: every token of an ended session is refused.
        let probes: Vec<(usize, String)> = {
            let model = self.model.borrow();
            (0..model.sessions.len())
                .filter(|&s| ended[s].is_some())
                .flat_map(|s| model.sessions[s].tokens.iter().map(move |t| (s, t.clone())))
                .collect()
        };
        for (s, token) in probes {
            let call = Call {
                settings: self.settings,
                command: Command::Refresh {
                    token: token.clone(),
                    scope: None,
                },
            };
            let answer = Answer::of(block_on(self.object.call(&call, now_ms)));
            let model = self.model.borrow();
            self.check(answer.granted().is_none(), FINAL, || {
                let by = ended[s].map_or_else(String::new, |(_, by)| model.describe(by));
                format!(
                    "after the schedule, {} of ended session s{s} (ended by {by}) was granted",
                    model.label(&token)
                )
            });
        }

        // 4 eventually, 5: once the outbox is flushed, the feed shows every revocation, and
        // never more jti entries per session than the cap.
        self.faults.percent.set(0);
        let left = block_on(self.object.flush_outbox());
        self.check(left == Ok(0), FEED, || {
            format!("the outbox still holds {left:?} batches with the feed taking everything")
        });
        let feed = block_on(self.feed.read(rules::secs(now_ms)))
            .unwrap_or_else(|e| panic!("feed read: {e}"));
        {
            let model = self.model.borrow();
            for (s, end) in ended.iter().enumerate() {
                let Some((_, by)) = end else { continue };
                let shown = self.shows(&model, &feed, &Revoked::Session(s));
                self.check(shown, FEED, || {
                    let by = model.describe(*by);
                    format!("after flushing the outbox, the feed does not show s{s}, ended by {by}")
                });
            }
            let pending = model
                .expected
                .iter()
                .map(|e| (&e.what, e.op))
                .chain(model.undelivered.iter().map(|(w, _, op)| (w, *op)));
            for (what, op) in pending {
                self.check(self.shows(&model, &feed, what), FEED, || {
                    format!(
                        "after flushing the outbox, the feed does not show {}, revoked by {}",
                        model.describe_revoked(what),
                        model.describe(op)
                    )
                });
            }
        }
        self.check_feed("the feed object", &feed, now_ms, now_ms);
    }
}

/// One operation: invoked at its first poll (where it takes its place in the object's
/// queue), answered when the object returns.
async fn run(world: Rc<World>, op: usize) {
    let answer = match world.invoke(op) {
        Invocation::Call(call, now_ms) => Answer::of(world.object.call(&call, now_ms).await),
        Invocation::Flush => match world.object.flush_outbox().await {
            Ok(left) => Answer::Flushed(left),
            Err(e) => Answer::Failed(e),
        },
    };
    world.answer(op, answer);
}

// ---- a schedule ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Calls take turns (the object as deployed).
    Turns,
    /// Calls interleave at every storage operation (the negative control).
    Interleaved,
}

/// What one schedule did and found.
struct ScheduleResult {
    operations: u64,
    steps: u64,
    points: u64,
    checks: BTreeMap<&'static str, u64>,
    violations: Vec<Violation>,
    trace: Vec<String>,
}

struct Schedule {
    rng: Rng,
    world: Rc<World>,
    executor: Executor,
    /// Each location's cached feed and when it was read.
    locations: Vec<Option<(i64, RevocationFeed)>>,
    budget: usize,
}

/// What an actor can do (how often: [`ACTIONS`]).
#[derive(Debug, Clone, Copy)]
enum Action {
    Refresh,
    TwoTabs,
    LoseResponse,
    RetryPrevious,
    AttackerReplay,
    EndSession,
    RevokeRefreshToken,
    RevokeAccessToken,
    RevokeAccessTokens,
    LogoutEverywhere,
    Login,
    ListSessions,
    FlushOutbox,
}

const ACTIONS: [(Action, u64); 13] = [
    (Action::Refresh, 6),
    (Action::TwoTabs, 3),
    (Action::LoseResponse, 1),
    (Action::RetryPrevious, 2),
    (Action::AttackerReplay, 3),
    (Action::EndSession, 1),
    (Action::RevokeRefreshToken, 1),
    (Action::RevokeAccessToken, 2),
    (Action::RevokeAccessTokens, 1),
    (Action::LogoutEverywhere, 1),
    (Action::Login, 2),
    (Action::ListSessions, 1),
    (Action::FlushOutbox, 2),
];

impl Schedule {
    fn new(seed: u64, mode: Mode) -> Self {
        let mut rng = Rng(seed);
        let reuse_interval_ms = [0, 1_000, 2_000, 10_000][rng.weighted(&[1, 3, 3, 2])];
        let feed_failures = if rng.chance(30) { 25 } else { 0 };
        let budget = rng.between(10, 26) as usize;
        let points = Rc::new(Cell::new(0));
        let now = rules::secs(T0_MS);
        let feed = Rc::new(FeedObject::new(MemoryKv::new(now)));
        let faults = Rc::new(Faults {
            rng: RefCell::new(Rng(rng.next())),
            percent: Cell::new(feed_failures),
        });
        let kv = YieldingKv {
            inner: MemoryKv::new(now),
            points: Rc::clone(&points),
        };
        let sink = SimFeed {
            feed: Rc::clone(&feed),
            faults: Rc::clone(&faults),
            points: Rc::clone(&points),
        };
        let object = match mode {
            Mode::Turns => UserObject::new(kv, sink),
            Mode::Interleaved => UserObject::without_turns(kv, sink),
        };
        let world = Rc::new(World {
            object,
            feed,
            faults,
            settings: Settings {
                lifetimes: Lifetimes::default(),
                reuse_interval_ms,
            },
            clock_ms: Cell::new(T0_MS),
            seq: Cell::new(0),
            step: Cell::new(0),
            points,
            checks: RefCell::default(),
            model: RefCell::default(),
            violations: RefCell::default(),
        });
        {
            let model = &mut *world.model.borrow_mut();
            let text = format!(
                "schedule: reuse interval {reuse_interval_ms} ms, feed failures \
                 {feed_failures}%, {budget} operations, {mode:?}"
            );
            world.trace(model, text);
        }
        Self {
            rng,
            world,
            executor: Executor::default(),
            locations: vec![None; LOCATIONS],
            budget,
        }
    }

    fn spawn(&mut self, actor: Actor, op: Op, lost: bool) {
        let index = {
            let mut model = self.world.model.borrow_mut();
            model.ops.push(Record {
                actor,
                op,
                lost,
                invoked: None,
                answered: None,
            });
            model.ops.len() - 1
        };
        self.executor.spawn(run(Rc::clone(&self.world), index));
        self.budget = self.budget.saturating_sub(1);
    }

    fn login(&mut self) -> bool {
        let (s, client) = {
            let mut model = self.world.model.borrow_mut();
            if model.sessions.len() >= MAX_SESSIONS {
                return false;
            }
            let client = match model.clients.iter().position(|c| c.session.is_none()) {
                Some(c) => c,
                None if model.clients.len() < MAX_CLIENTS => {
                    model.clients.push(Client::default());
                    model.clients.len() - 1
                }
                None => self.rng.below(model.clients.len()),
            };
            let sid = format!("{}{}", tokens::route_for_subject(SUB), self.rng.id());
            debug_assert!(tokens::looks_like_session_id(&sid));
            model.sessions.push(SessionModel {
                sid,
                tokens: Vec::new(),
                access: Vec::new(),
                started: None,
            });
            (model.sessions.len() - 1, client)
        };
        self.spawn(Actor::Client(client), Op::Start(s), false);
        true
    }

    /// A client that holds a session's token, chosen at random.
    fn client_with(&mut self, previous: bool) -> Option<(usize, usize, String)> {
        let model = self.world.model.borrow();
        let candidates: Vec<(usize, usize, String)> = model
            .clients
            .iter()
            .enumerate()
            .filter_map(|(c, client)| {
                let token = if previous {
                    client.previous.clone()
                } else {
                    client.current.clone()
                };
                Some((c, client.session?, token?))
            })
            .collect();
        drop(model);
        (!candidates.is_empty()).then(|| candidates[self.rng.below(candidates.len())].clone())
    }

    /// A session that has handed out tokens, chosen at random, with its owner if a client
    /// holds it.
    fn some_session(&mut self) -> Option<(usize, Actor)> {
        let model = self.world.model.borrow();
        let started: Vec<usize> = (0..model.sessions.len())
            .filter(|&s| !model.sessions[s].tokens.is_empty())
            .collect();
        if started.is_empty() {
            return None;
        }
        let s = started[self.rng.below(started.len())];
        let actor = model
            .clients
            .iter()
            .position(|c| c.session == Some(s))
            .map_or(Actor::Admin, Actor::Client);
        Some((s, actor))
    }

    fn try_action(&mut self, action: Action) -> bool {
        match action {
            Action::Refresh | Action::TwoTabs | Action::LoseResponse => {
                let Some((c, session, token)) = self.client_with(false) else {
                    return false;
                };
                let lost = matches!(action, Action::LoseResponse);
                let op = Op::Refresh { session, token };
                if matches!(action, Action::TwoTabs) {
                    self.spawn(Actor::Client(c), op.clone(), false);
                }
                self.spawn(Actor::Client(c), op, lost);
                if self.rng.chance(10) {
                    self.steal_current_of(c);
                }
            }
            Action::RetryPrevious => {
                let Some((c, session, token)) = self.client_with(true) else {
                    return false;
                };
                self.spawn(Actor::Client(c), Op::Refresh { session, token }, false);
            }
            Action::AttackerReplay => {
                let token = {
                    let mut model = self.world.model.borrow_mut();
                    if model.stolen.is_empty() || self.rng.chance(40) {
                        // A token from a leaked log or backup: one already rotated away
                        // (not its session's newest) when there is one.
                        let rotated: Vec<String> = model
                            .sessions
                            .iter()
                            .flat_map(|s| s.tokens.iter().rev().skip(1).cloned())
                            .collect();
                        let all = if rotated.is_empty() {
                            model
                                .sessions
                                .iter()
                                .flat_map(|s| s.tokens.clone())
                                .collect()
                        } else {
                            rotated
                        };
                        if all.is_empty() {
                            return false;
                        }
                        let token = all[self.rng.below(all.len())].clone();
                        model.stolen.push(token);
                    }
                    model.stolen[self.rng.below(model.stolen.len())].clone()
                };
                let session = self.world.model.borrow().token_owner[&token].0;
                self.spawn(Actor::Attacker, Op::Refresh { session, token }, false);
            }
            Action::EndSession => {
                let Some((s, actor)) = self.some_session() else {
                    return false;
                };
                self.spawn(actor, Op::End(s), false);
            }
            Action::RevokeRefreshToken => {
                let Some((s, actor)) = self.some_session() else {
                    return false;
                };
                let token = {
                    let model = self.world.model.borrow();
                    let tokens = &model.sessions[s].tokens;
                    let newest = tokens.len() - 1;
                    let pick = if self.rng.chance(70) {
                        newest
                    } else {
                        self.rng.below(tokens.len())
                    };
                    tokens[pick].clone()
                };
                self.spawn(actor, Op::RevokeRefresh { session: s, token }, false);
            }
            Action::RevokeAccessToken => {
                let Some((s, actor)) = self.some_session() else {
                    return false;
                };
                let (jti, exp) = {
                    let model = self.world.model.borrow();
                    let access = &model.sessions[s].access;
                    access[self.rng.below(access.len())].clone()
                };
                let op = Op::RevokeAccess {
                    session: s,
                    jti,
                    exp,
                };
                self.spawn(actor, op, false);
            }
            Action::RevokeAccessTokens => {
                // A burst of revocations of distinct access tokens of one session (the
                // object trusts the worker's verification, so fresh `jti`s stand for tokens
                // the session issued), more than the cap allows.
                let Some((s, actor)) = self.some_session() else {
                    return false;
                };
                let burst = self.rng.between(4, 12);
                for _ in 0..burst {
                    let (jti, exp) = {
                        let mut model = self.world.model.borrow_mut();
                        let exp = model.sessions[s].access.last().map_or(0, |a| a.1);
                        let jti = self.rng.id();
                        model.jti_owner.insert(jti.clone(), s);
                        model.sessions[s].access.push((jti.clone(), exp));
                        (jti, exp)
                    };
                    let op = Op::RevokeAccess {
                        session: s,
                        jti,
                        exp,
                    };
                    self.spawn(actor, op, false);
                }
            }
            Action::LogoutEverywhere => self.spawn(Actor::Client(0), Op::Logout, false),
            Action::Login => return self.login(),
            Action::ListSessions => self.spawn(Actor::Admin, Op::List, false),
            Action::FlushOutbox => {
                if self.world.faults.percent.get() == 0 {
                    return false;
                }
                self.spawn(Actor::Alarm, Op::Flush, false);
            }
        }
        true
    }

    fn steal_current_of(&mut self, client: usize) {
        let mut model = self.world.model.borrow_mut();
        if let Some(token) = model.clients[client].current.clone() {
            let text = format!("attacker steals {}", model.label(&token));
            self.world.trace(&mut model, text);
            model.stolen.push(token);
        }
    }

    fn start_operation(&mut self) {
        let weights: Vec<u64> = ACTIONS.iter().map(|(_, w)| *w).collect();
        for _ in 0..20 {
            let action = ACTIONS[self.rng.weighted(&weights)].0;
            if self.try_action(action) {
                return;
            }
        }
        if !self.login() {
            self.spawn(Actor::Admin, Op::List, false);
        }
    }

    fn advance_clock(&mut self) {
        let ms = match self.rng.weighted(&[80, 15, 5]) {
            0 => self.rng.between(0, 150),
            1 => self.rng.between(300, 1_500),
            _ => self.rng.between(2_000, 4_000),
        };
        self.world.advance(ms);
    }

    /// A location serves the feed: from its cache while that is younger than the TTL.
    fn read_feed(&mut self) {
        let location = self.rng.below(LOCATIONS);
        let now = self.world.clock_ms.get();
        let fresh =
            matches!(&self.locations[location], Some((at, _)) if now - at < FEED_CACHE_TTL_MS);
        if !fresh {
            let feed = block_on(self.world.feed.read(rules::secs(now)))
                .unwrap_or_else(|e| panic!("feed read: {e}"));
            self.locations[location] = Some((now, feed));
        }
        if let Some((at, feed)) = &self.locations[location] {
            let name = format!("location {location}");
            self.world.check_feed(&name, feed, *at, now);
        }
    }

    fn run(mut self) -> ScheduleResult {
        self.login();
        self.login();
        let mut steps = 0;
        loop {
            steps += 1;
            self.world.step.set(steps);
            if steps > MAX_STEPS {
                self.world.check(false, PROGRESS, || {
                    format!(
                        "{} operations still running after {MAX_STEPS} steps",
                        self.executor.tasks.len()
                    )
                });
                break;
            }
            let roll = self.rng.below(100);
            let polled = if self.budget > 0 {
                match roll {
                    0..=49 => Some(self.executor.poll_one(&mut self.rng)),
                    50..=74 => {
                        self.start_operation();
                        None
                    }
                    75..=89 => {
                        self.advance_clock();
                        None
                    }
                    _ => {
                        self.read_feed();
                        None
                    }
                }
            } else {
                match roll {
                    0..=79 => Some(self.executor.poll_one(&mut self.rng)),
                    80..=89 => {
                        self.advance_clock();
                        None
                    }
                    _ => {
                        self.read_feed();
                        None
                    }
                }
            };
            match polled {
                Some(Polled::Empty) if self.budget == 0 => break,
                Some(Polled::NoneReady) => {
                    self.world.check(false, PROGRESS, || {
                        format!(
                            "{} operations wait and none can run (a lost wake-up)",
                            self.executor.tasks.len()
                        )
                    });
                    break;
                }
                _ => {}
            }
        }
        let finished = self.executor.is_empty();
        // The futures hold the world; drop them before the checks.
        self.executor = Executor::default();
        self.world.check_history();
        if finished {
            self.world.check_final_state();
        }
        let world = &self.world;
        let model = world.model.borrow();
        ScheduleResult {
            operations: model.ops.len() as u64,
            steps,
            points: world.points.get(),
            checks: world.checks.borrow().clone(),
            violations: world.violations.borrow().clone(),
            trace: model.trace.clone(),
        }
    }
}

// ---- running many schedules ---------------------------------------------------------------

fn base_seed() -> u64 {
    match std::env::var("SIMULATION_SEED") {
        Ok(text) => {
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|e| panic!("SIMULATION_SEED {text:?}: {e}"))
        }
        Err(_) => BASE_SEED,
    }
}

/// The first violation of a run, with what it takes to replay it.
struct Found {
    schedule: u64,
    seed: u64,
    steps: u64,
    violation: Violation,
    others: usize,
    trace: Vec<String>,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "invariant \"{}\" violated in schedule {} (seed {:#018x}, SIMULATION_SEED={:#x}) \
             after {} steps:",
            self.violation.invariant,
            self.schedule,
            self.seed,
            base_seed(),
            self.steps
        )?;
        writeln!(f, "  {}", self.violation.detail)?;
        if self.others > 0 {
            writeln!(
                f,
                "  (and {} more violations in this schedule)",
                self.others
            )?;
        }
        writeln!(f, "trace (step, time since start, event):")?;
        for line in &self.trace {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Totals {
    schedules: u64,
    operations: u64,
    points: u64,
    checks: BTreeMap<&'static str, u64>,
    violations: u64,
    /// Violations per invariant, and the first of each.
    by_invariant: BTreeMap<&'static str, (u64, Found)>,
}

impl Totals {
    /// "N checks (1: n, 2: n, ...)": how often each invariant was put to the test.
    fn checks(&self) -> String {
        let total: u64 = self.checks.values().sum();
        let each: Vec<String> = self
            .checks
            .iter()
            .map(|(invariant, n)| {
                let number = invariant.split('.').next().unwrap_or(invariant);
                format!("{number}: {}", with_thousands(*n))
            })
            .collect();
        format!("{} checks ({})", with_thousands(total), each.join(", "))
    }
}

/// Runs up to `schedules` schedules; with `stop`, until the first schedule after which
/// `stop` says that enough was found.
fn simulate(mode: Mode, schedules: u64, stop: Option<&dyn Fn(&Totals) -> bool>) -> Totals {
    let base = base_seed();
    let mut totals = Totals::default();
    for n in 0..schedules {
        let seed = schedule_seed(base, n);
        let result = Schedule::new(seed, mode).run();
        totals.schedules += 1;
        totals.operations += result.operations;
        totals.points += result.points;
        for (invariant, n) in &result.checks {
            *totals.checks.entry(invariant).or_default() += n;
        }
        totals.violations += result.violations.len() as u64;
        for violation in &result.violations {
            let (count, _) = totals
                .by_invariant
                .entry(violation.invariant)
                .or_insert_with(|| {
                    let found = Found {
                        schedule: n,
                        seed,
                        steps: result.steps,
                        violation: violation.clone(),
                        others: result.violations.len() - 1,
                        trace: result.trace.clone(),
                    };
                    (0, found)
                });
            *count += 1;
        }
        if stop.is_some_and(|enough| enough(&totals)) {
            break;
        }
    }
    totals
}

fn with_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn simulation_with_turns_keeps_every_invariant() {
    let started = Instant::now();
    let totals = simulate(Mode::Turns, SCHEDULES, None);
    println!(
        "simulation: {} schedules, {} operations, {} interleaving points, {}, {} violations \
         ({:.1?})",
        with_thousands(totals.schedules),
        with_thousands(totals.operations),
        with_thousands(totals.points),
        totals.checks(),
        with_thousands(totals.violations),
        started.elapsed(),
    );
    if !totals.by_invariant.is_empty() {
        let mut report = String::new();
        for (invariant, (count, found)) in &totals.by_invariant {
            report.push_str(&format!(
                "{count} violations of \"{invariant}\"; the first:\n{found}\n"
            ));
        }
        panic!("{report}");
    }
}

#[test]
fn simulation_without_turns_finds_a_fork() {
    let started = Instant::now();
    let both = |totals: &Totals| {
        totals.by_invariant.contains_key(FORK) && totals.by_invariant.contains_key(FINAL)
    };
    let totals = simulate(Mode::Interleaved, CONTROL_SCHEDULES, Some(&both));
    let summary = format!(
        "negative control (without turns): {} schedules, {} operations, {}, {} violations \
         ({:.1?})",
        totals.schedules,
        with_thousands(totals.operations),
        totals.checks(),
        with_thousands(totals.violations),
        started.elapsed(),
    );
    println!("{summary}");
    for invariant in [FORK, FINAL] {
        if let Some((count, found)) = totals.by_invariant.get(invariant) {
            println!(
                "negative control: \"{invariant}\" failed {count} times, first in schedule {} \
                 after {} steps:\n{found}",
                found.schedule, found.steps
            );
        }
    }
    assert!(
        totals.by_invariant.contains_key(FORK),
        "{summary}: no fork found, so the simulation cannot see what turns prevent"
    );
}
