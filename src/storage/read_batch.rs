//! Point reads that arrive together are read together.
//!
//! At 64 clients every `RecordEvent` read its employee and, on PostgreSQL,
//! the employee's status: two statements an event, against a third of one
//! for the write itself, which the event coalescer batches (issue 15,
//! fourteenth round: of PostgreSQL's CPU, more than half went to
//! per-statement work, sending results, planning, starting portals). The
//! callers waiting while one read runs are read next as one statement
//! (`… IN (…)`, or one lateral join), like the event writes in
//! [`super::coalesce`].
//!
//! No timer: a lone call reads at once, and a batch is whatever queued up
//! behind the read before it. Whoever holds the turn reads every key
//! queued (up to [`MAX_KEYS`]) and hands each caller its own row.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::StoreResult;
use crate::domain::ids::OrgId;

/// Most keys read by one statement.
pub const MAX_KEYS: usize = 64;

type Reply<V> = oneshot::Sender<StoreResult<Option<V>>>;

struct Waiting<K, V> {
    org: OrgId,
    key: K,
    reply: Reply<V>,
}

pub struct ReadBatcher<K, V> {
    /// The `read` label of the batch size metric.
    name: &'static str,
    queue: Mutex<Vec<Waiting<K, V>>>,
    /// Held while a batch is read; tokio's mutex is fair, so callers take
    /// turns in arrival order.
    turn: tokio::sync::Mutex<()>,
}

impl<K: Eq + Hash + Clone, V: Clone> ReadBatcher<K, V> {
    /// A batcher whose batch sizes are recorded under `read = name`.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            queue: Mutex::new(Vec::new()),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// The row for `key` (`None`: there is none), read through `read`
    /// together with whatever other calls are waiting. `read` reads the
    /// distinct keys of one organisation (at most [`MAX_KEYS`]) and answers
    /// the rows it found; whoever holds the turn reads the others' keys
    /// with its own `read`, so it must not depend on the caller. When it
    /// fails for several keys, each caller reads its key alone, outside the
    /// turn, so one caller's failure is its own and a database that is
    /// down holds the turn for one read, not one per key.
    pub async fn get<'a, R>(&self, org: OrgId, key: K, read: R) -> StoreResult<Option<V>>
    where
        R: Fn(OrgId, Vec<K>) -> BoxFuture<'a, StoreResult<HashMap<K, V>>>,
    {
        let (reply, mut mine) = oneshot::channel();
        self.lock_queue().push(Waiting {
            org,
            key: key.clone(),
            reply,
        });
        loop {
            // An answer that comes while waiting is taken at once, without
            // waiting for the rest of the turn holder's work.
            let turn = tokio::select! {
                biased;
                answer = &mut mine => match answer {
                    Ok(result) => return result,
                    Err(_) => return alone(org, key, &read).await,
                },
                turn = self.turn.lock() => turn,
            };
            match mine.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => {
                    drop(turn);
                    return alone(org, key, &read).await;
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let taken = self.take();
            read_taken(self.name, taken, &read).await;
            drop(turn);
        }
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Waiting<K, V>>> {
        // A panic while pushing or draining leaves the queue whole.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The waiting calls, up to [`MAX_KEYS`] of them, in order.
    fn take(&self) -> Vec<Waiting<K, V>> {
        let mut queue = self.lock_queue();
        let n = queue.len().min(MAX_KEYS);
        queue.drain(..n).collect()
    }
}

/// Reads `key` by itself: the caller who took it was cancelled before
/// answering, or its batch failed.
async fn alone<'a, K, V, R>(org: OrgId, key: K, read: &R) -> StoreResult<Option<V>>
where
    K: Eq + Hash + Clone,
    R: Fn(OrgId, Vec<K>) -> BoxFuture<'a, StoreResult<HashMap<K, V>>>,
{
    read(org, vec![key.clone()])
        .await
        .map(|mut found| found.remove(&key))
}

/// Reads `taken` one organisation at a time and answers every call.
async fn read_taken<'a, K, V, R>(name: &'static str, taken: Vec<Waiting<K, V>>, read: &R)
where
    K: Eq + Hash + Clone,
    V: Clone,
    R: Fn(OrgId, Vec<K>) -> BoxFuture<'a, StoreResult<HashMap<K, V>>>,
{
    let mut by_org: Vec<(OrgId, Vec<Waiting<K, V>>)> = Vec::new();
    for w in taken {
        match by_org.iter_mut().find(|(org, _)| *org == w.org) {
            Some((_, group)) => group.push(w),
            None => by_org.push((w.org, vec![w])),
        }
    }
    for (org, group) in by_org {
        let mut keys: Vec<K> = Vec::with_capacity(group.len());
        for w in &group {
            if !keys.contains(&w.key) {
                keys.push(w.key.clone());
            }
        }
        #[allow(clippy::cast_precision_loss)] // at most MAX_KEYS
        metrics::histogram!(crate::metrics::families::READ_BATCH_SIZE, "read" => name)
            .record(keys.len() as f64);
        match read(org, keys).await {
            Ok(found) => {
                for w in group {
                    let _ = w.reply.send(Ok(found.get(&w.key).cloned()));
                }
            }
            Err(e) if group.len() == 1 => {
                if let Some(w) = group.into_iter().next() {
                    let _ = w.reply.send(Err(e));
                }
            }
            // Dropping the replies sends each caller to read alone.
            Err(_) => drop(group),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::storage::StoreError;

    /// Reads `keys` after a pause, so that callers queue up behind it;
    /// key 13 fails, key 0 has no row.
    fn reader(
        reads: Arc<Mutex<Vec<Vec<u32>>>>,
    ) -> impl Fn(OrgId, Vec<u32>) -> BoxFuture<'static, StoreResult<HashMap<u32, String>>> {
        move |_org, keys| {
            let reads = Arc::clone(&reads);
            Box::pin(async move {
                reads
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(keys.clone());
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                if keys.contains(&13) {
                    return Err(StoreError::Unavailable("13 fails".into()));
                }
                Ok(keys
                    .into_iter()
                    .filter(|k| *k != 0)
                    .map(|k| (k, format!("row {k}")))
                    .collect())
            })
        }
    }

    /// Calls for `keys`, each spawned after the one before has started.
    async fn spawn_calls(
        batcher: &Arc<ReadBatcher<u32, String>>,
        reads: &Arc<Mutex<Vec<Vec<u32>>>>,
        keys: &[u32],
    ) -> Vec<tokio::task::JoinHandle<StoreResult<Option<String>>>> {
        let org = OrgId::new_random();
        let mut calls = Vec::new();
        for &key in keys {
            let (batcher, reads) = (Arc::clone(batcher), Arc::clone(reads));
            calls.push(tokio::spawn(async move {
                batcher.get(org, key, reader(reads)).await
            }));
            // Each call queues before the next: the first starts its read.
            tokio::task::yield_now().await;
        }
        calls
    }

    #[tokio::test]
    async fn callers_waiting_behind_a_read_share_the_next() {
        let batcher = Arc::new(ReadBatcher::<u32, String>::new("test"));
        let reads = Arc::new(Mutex::new(Vec::new()));
        let calls = spawn_calls(&batcher, &reads, &[1, 2, 3, 2, 0, 4]).await;
        let mut answers = Vec::new();
        for c in calls {
            answers.push(c.await.unwrap().unwrap());
        }
        assert_eq!(
            answers,
            vec![
                Some("row 1".to_owned()),
                Some("row 2".to_owned()),
                Some("row 3".to_owned()),
                Some("row 2".to_owned()),
                None,
                Some("row 4".to_owned()),
            ]
        );
        let reads = reads.lock().unwrap().clone();
        // The first alone, the five queued behind it in one read, each key
        // once.
        assert_eq!(reads, vec![vec![1], vec![2, 3, 0, 4]]);
    }

    #[tokio::test]
    async fn a_failed_batch_is_read_again_key_by_key_outside_the_turn() {
        let batcher = Arc::new(ReadBatcher::<u32, String>::new("test"));
        let reads = Arc::new(Mutex::new(Vec::new()));
        let calls = spawn_calls(&batcher, &reads, &[1, 13, 5]).await;
        let mut answers = Vec::new();
        for c in calls {
            answers.push(c.await.unwrap().map_err(|e| e.to_string()));
        }
        assert_eq!(answers[0], Ok(Some("row 1".to_owned())));
        assert!(answers[1].as_ref().is_err_and(|e| e.contains("13 fails")));
        assert_eq!(answers[2], Ok(Some("row 5".to_owned())));
        let mut reads = reads.lock().unwrap().clone();
        // The two alone, in either order, after the failed batch.
        reads[2..].sort();
        assert_eq!(reads, vec![vec![1], vec![13, 5], vec![5], vec![13]]);
    }

    #[tokio::test]
    async fn a_batch_reads_at_most_max_keys_and_organisations_apart() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let calls_made = Arc::new(AtomicUsize::new(0));
        let (a, b) = (OrgId::new_random(), OrgId::new_random());
        let read = {
            let (sizes, calls_made) = (Arc::clone(&sizes), Arc::clone(&calls_made));
            move |org: OrgId, keys: Vec<u32>| {
                let (sizes, calls_made) = (Arc::clone(&sizes), Arc::clone(&calls_made));
                Box::pin(async move {
                    calls_made.fetch_add(1, Ordering::SeqCst);
                    sizes
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((org, keys.len()));
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok(keys.into_iter().map(|k| (k, k)).collect())
                }) as BoxFuture<'static, StoreResult<HashMap<u32, u32>>>
            }
        };
        let batcher = Arc::new(ReadBatcher::<u32, u32>::new("test"));
        let mut calls = Vec::new();
        for key in 0..(u32::try_from(MAX_KEYS).unwrap() + 11) {
            let org = if key == 5 { b } else { a };
            let (batcher, read) = (Arc::clone(&batcher), read.clone());
            calls.push(tokio::spawn(
                async move { batcher.get(org, key, read).await },
            ));
            if key == 0 {
                tokio::task::yield_now().await;
            }
        }
        for (key, c) in calls.into_iter().enumerate() {
            assert_eq!(c.await.unwrap().unwrap(), Some(u32::try_from(key).unwrap()));
        }
        let sizes = sizes.lock().unwrap().clone();
        // The first alone; then 64 keys taken, of which one organisation's
        // key is read apart; then the 10 left.
        assert_eq!(sizes, vec![(a, 1), (a, 63), (b, 1), (a, 10)]);
        assert_eq!(calls_made.load(Ordering::SeqCst), 4);
    }
}
