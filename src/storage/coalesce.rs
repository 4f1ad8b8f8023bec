//! Event writes that arrive together are stored together.
//!
//! A `RecordEvent` stores one event, and storing it is a fixed number of
//! statements (the duplicate checks, the insert, the recompute queue, the
//! counts, the chain) whatever the batch size. Each statement is a round
//! trip to the database's connection thread, and those hand-offs, not the
//! work, were most of the server's CPU at 64 clients (issue 15). So the
//! calls waiting while one batch is written are written next as one batch:
//! the same statements once for all of them.
//!
//! No timer: a lone call is written at once, and a batch is whatever queued
//! up behind the previous one. Whoever holds the turn writes everything
//! queued (up to [`MAX_EVENTS`]) and hands each caller its own results; a
//! caller whose request went in someone else's batch just picks them up.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::{EventWrite, StoreError, StoreResult};
use crate::domain::event::ClockEvent;
use crate::domain::ids::OrgId;

/// Most events written as one batch.
pub const MAX_EVENTS: usize = 1000;

/// Requests this large are a batch already (a `SyncEvents` message) and are
/// written at once, beside the coalesced ones: waiting for a turn would only
/// take away the group commit and, on PostgreSQL, the parallel transactions
/// they had (measured: `SyncEvents` at 0.58 of raw inserts through the
/// coalescer against 0.69 without, 0.19 against 0.37 on PostgreSQL).
pub const ALONE_FROM: usize = 64;

type Reply = oneshot::Sender<StoreResult<Vec<EventWrite>>>;

/// One caller's events, waiting for a turn.
struct Waiting {
    org: OrgId,
    events: Vec<ClockEvent>,
    now: DateTime<Utc>,
    reply: Reply,
}

/// One write the turn holder makes: requests of one organisation.
pub struct Batch {
    pub org: OrgId,
    /// Every request's events, in queue order.
    pub events: Vec<ClockEvent>,
    /// The latest of the requests' receipt instants: the batch is stored
    /// then, so that is each event's `received_at`.
    pub now: DateTime<Utc>,
}

#[derive(Default)]
pub struct EventCoalescer {
    queue: Mutex<Vec<Waiting>>,
    /// Held while a batch is written; tokio's mutex is fair, so callers
    /// take turns in arrival order.
    turn: tokio::sync::Mutex<()>,
}

impl EventCoalescer {
    /// Stores `events` through `write`, together with whatever other calls
    /// are waiting. `write` stores one batch in one commit and answers one
    /// result per event in order; when it fails for a batch of several
    /// requests, each is written again alone, so one request's failure is
    /// its own.
    pub async fn record<'a, W>(
        &self,
        org: OrgId,
        events: Vec<ClockEvent>,
        now: DateTime<Utc>,
        write: W,
    ) -> StoreResult<Vec<EventWrite>>
    where
        W: Fn(Batch) -> BoxFuture<'a, StoreResult<Vec<EventWrite>>>,
    {
        let (reply, mut mine) = oneshot::channel();
        self.lock_queue().push(Waiting {
            org,
            events: events.clone(),
            now,
            reply,
        });
        loop {
            let turn = self.turn.lock().await;
            match mine.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => {
                    // The caller who took this request was cancelled before
                    // answering; its write may have committed. Events are
                    // idempotent by id, so writing them again is safe (an
                    // event it stored comes back as a duplicate).
                    drop(turn);
                    return self.alone(org, events, now, &write).await;
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let taken = self.take();
            if taken.is_empty() {
                // Not reachable while the turn is held around every write
                // (a request is queued, answered or dropped); should it
                // happen, yield instead of spinning on the free turn.
                drop(turn);
                tokio::task::yield_now().await;
                continue;
            }
            write_taken(taken, &write).await;
            drop(turn);
        }
    }

    /// Writes one request by itself, outside any batch.
    async fn alone<'a, W>(
        &self,
        org: OrgId,
        events: Vec<ClockEvent>,
        now: DateTime<Utc>,
        write: &W,
    ) -> StoreResult<Vec<EventWrite>>
    where
        W: Fn(Batch) -> BoxFuture<'a, StoreResult<Vec<EventWrite>>>,
    {
        let _turn = self.turn.lock().await;
        write(Batch { org, events, now }).await
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        // A panic while pushing or draining leaves the queue whole.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The waiting requests up to [`MAX_EVENTS`] (at least one), in order.
    fn take(&self) -> Vec<Waiting> {
        let mut queue = self.lock_queue();
        let mut total = 0;
        let n = queue
            .iter()
            .take_while(|w| {
                total += w.events.len();
                total <= MAX_EVENTS
            })
            .count()
            .max(1)
            .min(queue.len());
        queue.drain(..n).collect()
    }
}

/// Writes `taken` one organisation at a time and answers every request.
async fn write_taken<'a, W>(taken: Vec<Waiting>, write: &W)
where
    W: Fn(Batch) -> BoxFuture<'a, StoreResult<Vec<EventWrite>>>,
{
    let mut by_org: Vec<(OrgId, Vec<Waiting>)> = Vec::new();
    for w in taken {
        match by_org.iter_mut().find(|(org, _)| *org == w.org) {
            Some((_, group)) => group.push(w),
            None => by_org.push((w.org, vec![w])),
        }
    }
    for (org, group) in by_org {
        let batch = Batch {
            org,
            events: group.iter().flat_map(|w| w.events.clone()).collect(),
            now: group.iter().map(|w| w.now).max().unwrap_or_default(),
        };
        match write(batch).await {
            Ok(results) if results.len() == group.iter().map(|w| w.events.len()).sum::<usize>() => {
                let mut results = results.into_iter();
                for w in group {
                    let own: Vec<EventWrite> = results.by_ref().take(w.events.len()).collect();
                    let _ = w.reply.send(Ok(own));
                }
            }
            Ok(_) => {
                for w in group {
                    let _ = w.reply.send(Err(StoreError::Corrupt(
                        "the store answered a different number of results than events".into(),
                    )));
                }
            }
            Err(e) if group.len() == 1 => {
                if let Some(w) = group.into_iter().next() {
                    let _ = w.reply.send(Err(e));
                }
            }
            Err(_) => {
                for w in group {
                    let own = write(Batch {
                        org,
                        events: w.events,
                        now: w.now,
                    })
                    .await;
                    let _ = w.reply.send(own);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use uuid::Uuid;

    use super::*;
    use crate::domain::event::{EventKind, StoredEvent};
    use crate::domain::ids::{EmployeeId, EventId};

    fn event(n: u128) -> ClockEvent {
        ClockEvent {
            event_id: EventId(Uuid::from_u128(n)),
            employee_id: EmployeeId(Uuid::from_u128(1)),
            kind: EventKind::ClockIn,
            occurred_at: DateTime::<Utc>::UNIX_EPOCH,
            location: None,
            device_id: String::new(),
        }
    }

    /// Stores every batch as new, records the batch sizes, fails a batch
    /// holding event 13, and holds the first batch until `go` opens.
    struct FakeStore {
        sizes: Mutex<Vec<usize>>,
        go: tokio::sync::Semaphore,
    }

    impl FakeStore {
        async fn write(&self, batch: Batch) -> StoreResult<Vec<EventWrite>> {
            let first = {
                let mut sizes = self.sizes.lock().unwrap();
                sizes.push(batch.events.len());
                sizes.len() == 1
            };
            if first {
                let _ = self.go.acquire().await;
            }
            if batch
                .events
                .iter()
                .any(|e| e.event_id.0 == Uuid::from_u128(13))
            {
                return Err(StoreError::Unavailable("event 13 is refused".into()));
            }
            Ok(batch
                .events
                .into_iter()
                .map(|event| {
                    EventWrite::New(StoredEvent {
                        event,
                        received_at: batch.now,
                    })
                })
                .collect())
        }
    }

    /// Ten calls queued behind a slow write go out as one batch; that batch
    /// fails because of one call, so each is written alone, and only that
    /// call hears the error. Every caller gets exactly its own events.
    #[tokio::test]
    async fn queued_calls_share_a_batch_and_a_failure_stays_with_its_call() {
        let coalescer = Arc::new(EventCoalescer::default());
        let store = Arc::new(FakeStore {
            sizes: Mutex::new(Vec::new()),
            go: tokio::sync::Semaphore::new(0),
        });
        let org = OrgId(Uuid::from_u128(7));
        let call = |events: Vec<ClockEvent>| {
            let (c, s) = (coalescer.clone(), store.clone());
            tokio::spawn(async move {
                c.record(org, events, DateTime::<Utc>::UNIX_EPOCH, |b| {
                    Box::pin(s.write(b))
                })
                .await
            })
        };
        let first = call(vec![event(1)]);
        while store.sizes.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        // Calls of 1, 2, …, 10 events; the call of 4 holds event 13.
        let mut next = 100;
        let mut queued = Vec::new();
        for n in 1..=10 {
            let events: Vec<ClockEvent> = (0..n)
                .map(|i| {
                    next += 1;
                    if n == 4 && i == 0 {
                        event(13)
                    } else {
                        event(next)
                    }
                })
                .collect();
            let ids: Vec<EventId> = events.iter().map(|e| e.event_id).collect();
            queued.push((ids, call(events)));
        }
        while coalescer.lock_queue().len() < 10 {
            tokio::task::yield_now().await;
        }
        store.go.add_permits(1);

        assert_eq!(first.await.unwrap().unwrap().len(), 1);
        for (ids, handle) in queued {
            let result = handle.await.unwrap();
            if ids.contains(&EventId(Uuid::from_u128(13))) {
                assert!(matches!(result, Err(StoreError::Unavailable(_))));
                continue;
            }
            let got: Vec<EventId> = result
                .unwrap()
                .into_iter()
                .map(|w| match w {
                    EventWrite::New(s) => s.event.event_id,
                    _ => panic!("not new"),
                })
                .collect();
            assert_eq!(got, ids);
        }
        // The first alone, the ten together (55 events), then each again.
        assert_eq!(
            *store.sizes.lock().unwrap(),
            vec![1, 55, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        );
    }
}
