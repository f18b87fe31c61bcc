//! [`Turns`]: a first-come, first-served queue that lets one call of an object run at a time,
//! across its `.await`s. A Durable Object already delivers no new event while a storage
//! operation is in flight, but it does while the object waits for anything else (the feed
//! object, for one); the queue makes the serialization explicit, independent of the storage
//! backend, and the same in the native simulation as in workerd.

use std::{
    cell::RefCell,
    collections::VecDeque,
    fmt,
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, Waker},
};

#[derive(Default)]
struct State {
    busy: bool,
    next_ticket: u64,
    queue: VecDeque<(u64, Option<Waker>)>,
}

impl State {
    fn wake_front(&mut self) {
        if let Some((_, Some(waker))) = self.queue.front_mut() {
            waker.wake_by_ref();
        }
    }
}

/// The queue. Cloning shares it.
#[derive(Clone, Default)]
pub struct Turns(Rc<RefCell<State>>);

impl fmt::Debug for Turns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.0.borrow();
        f.debug_struct("Turns")
            .field("busy", &state.busy)
            .field("waiting", &state.queue.len())
            .finish()
    }
}

impl Turns {
    /// Waits for this caller's turn; the turn lasts until the returned guard is dropped.
    pub fn take(&self) -> Take {
        let mut state = self.0.borrow_mut();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push_back((ticket, None));
        Take {
            turns: self.clone(),
            ticket,
            done: false,
        }
    }

    /// Whether a call holds the turn now.
    pub fn busy(&self) -> bool {
        self.0.borrow().busy
    }
}

/// The future of [`Turns::take`]. Dropping it before its turn leaves the queue.
#[derive(Debug)]
pub struct Take {
    turns: Turns,
    ticket: u64,
    done: bool,
}

impl Future for Take {
    type Output = Turn;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Turn> {
        let ticket = self.ticket;
        let mut state = self.turns.0.borrow_mut();
        let first = state.queue.front().is_some_and(|(t, _)| *t == ticket);
        if first && !state.busy {
            state.queue.pop_front();
            state.busy = true;
            drop(state);
            self.done = true;
            return Poll::Ready(Turn {
                turns: self.turns.clone(),
            });
        }
        if let Some(slot) = state.queue.iter_mut().find(|(t, _)| *t == ticket) {
            slot.1 = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Take {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut state = self.turns.0.borrow_mut();
        let ticket = self.ticket;
        state.queue.retain(|(t, _)| *t != ticket);
        if !state.busy {
            state.wake_front();
        }
    }
}

/// One caller's turn; the next caller's starts when it is dropped.
#[derive(Debug)]
pub struct Turn {
    turns: Turns,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut state = self.turns.0.borrow_mut();
        state.busy = false;
        state.wake_front();
    }
}

#[cfg(test)]
mod tests {
    use std::{
        pin::pin,
        task::{Context, Poll, Waker},
    };

    use super::*;

    fn poll<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn turns_are_taken_in_arrival_order() {
        let turns = Turns::default();
        let mut a = pin!(turns.take());
        let mut b = pin!(turns.take());
        let mut c = pin!(turns.take());
        let Poll::Ready(first) = poll(a.as_mut()) else {
            panic!("the first caller goes at once");
        };
        assert!(turns.busy());
        assert!(poll(c.as_mut()).is_pending());
        assert!(poll(b.as_mut()).is_pending());
        drop(first);
        assert!(poll(c.as_mut()).is_pending(), "c came after b");
        let Poll::Ready(second) = poll(b.as_mut()) else {
            panic!("b is next");
        };
        drop(second);
        assert!(poll(c.as_mut()).is_ready());
    }

    #[test]
    fn a_caller_that_gives_up_leaves_the_queue() {
        let turns = Turns::default();
        let first = match poll(pin!(turns.take())) {
            Poll::Ready(turn) => turn,
            Poll::Pending => panic!("free"),
        };
        {
            let mut gone = Box::pin(turns.take());
            assert!(poll(gone.as_mut()).is_pending());
        }
        let mut next = pin!(turns.take());
        drop(first);
        assert!(poll(next.as_mut()).is_ready());
    }
}
