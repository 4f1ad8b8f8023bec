//! Background work, safe with many replicas: the outbox sender, the weekly
//! digest scheduler and the sweep for what only the passing of time makes
//! true (a clock-out forgotten, a day whose core hours are over).
//!
//! Each job has a `*_once` step that does one round and returns, so tests
//! drive them with a manual clock instead of sleeping; [`Jobs::run`] loops
//! them in production. Claims are leases on rows, decisions unique keys,
//! so two replicas never send one message twice or queue one digest twice.

pub mod digest;
pub mod render;
pub mod sweep;
pub mod unrecorded;
pub mod words;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use crate::clock::Clock;
use crate::domain::nudge::backoff::Backoff;
use crate::domain::nudge::decide::NudgePolicy;
use crate::domain::nudge::schedule::DigestSchedule;
use crate::mail::{Mailer, Templates};
use crate::redact::without_addresses;
use crate::storage::outbox::{OutboxMessage, Outcome};
use crate::storage::{Store, StoreError, StoreResult};
use render::{Render, RenderError, Renderer};
use unrecorded::{Kept, Unrecorded};

/// How the jobs run.
#[derive(Clone, Debug)]
pub struct JobSettings {
    /// Names this process's claims (host and a random suffix by default).
    pub worker_id: String,
    /// How long a claim holds a message: longer than any send may take.
    pub lease: Duration,
    /// Messages claimed per round.
    pub batch: i64,
    pub backoff: Backoff,
    pub digest: DigestSchedule,
    pub policy: NudgePolicy,
    pub outbox_every: StdDuration,
    pub digest_every: StdDuration,
    pub sweep_every: StdDuration,
    /// The recompute worker's rest before each pass, however long the last
    /// took (`recompute::run_worker`; it runs with or without
    /// `background_jobs`). Tests lengthen it to look at a queue the worker
    /// would otherwise drain under them.
    pub recompute_rest: StdDuration,
    /// The public base URL of the web pages, without a trailing slash
    /// (`https://tid.example.com`): every link in an email starts with it.
    /// `None` leaves links out.
    pub app_url: Option<String>,
    /// How long after leaving an employee's identity is kept
    /// (`domain::retention`); `None` keeps it for ever.
    pub retention: Option<Duration>,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            worker_id: format!(
                "tidsvakt-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            lease: Duration::minutes(5),
            retention: Some(crate::domain::retention::DEFAULT_RETENTION),
            batch: 32,
            backoff: Backoff::default(),
            digest: DigestSchedule::default(),
            policy: NudgePolicy::default(),
            outbox_every: StdDuration::from_secs(5),
            digest_every: StdDuration::from_secs(60),
            sweep_every: StdDuration::from_secs(300),
            // Freshness goal 1 s; 500 ms made the lag's p99 0.74 s (issue
            // 15, round 17).
            recompute_rest: StdDuration::from_millis(250),
            app_url: None,
        }
    }
}

/// What one outbox round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxRound {
    pub sent: usize,
    /// Failed and left for a retry.
    pub retrying: usize,
    pub dead: usize,
    pub cancelled: usize,
    /// Due, but the recipient is in quiet hours now: held, no attempt used.
    pub deferred: usize,
}

/// The background jobs and what they need.
pub struct Jobs {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub mailer: Arc<Mailer>,
    pub templates: Arc<Templates>,
    pub settings: JobSettings,
    /// When this process last swept: the next sweep acts on thresholds
    /// passed since.
    last_sweep: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// Outcomes the store failed to take, recorded before the next claim.
    unrecorded: Unrecorded,
}

impl Jobs {
    #[must_use]
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        mailer: Arc<Mailer>,
        templates: Arc<Templates>,
        settings: JobSettings,
    ) -> Self {
        Self {
            store,
            clock,
            mailer,
            templates,
            settings,
            last_sweep: std::sync::Mutex::new(None),
            unrecorded: Unrecorded::default(),
        }
    }

    fn renderer(&self) -> Renderer<'_> {
        Renderer {
            store: self.store.as_ref(),
            templates: &self.templates,
            mailer: &self.mailer,
            app_url: self.settings.app_url.as_deref(),
            quiet: self.settings.policy.quiet,
        }
    }

    /// How many outcomes wait for the database ([`unrecorded`]).
    #[must_use]
    pub fn unrecorded(&self) -> usize {
        self.unrecorded.len()
    }

    /// Records what earlier rounds could not, then claims the messages due
    /// now, sends them, and records how it went.
    ///
    /// Due nudges to one person, or alerts to one manager, leave as one
    /// email ([`render::merges`]): the claim takes a recipient's due
    /// messages of a kind together, and they are rendered, sent and retried
    /// as one, so nobody gets two emails with the same subject in the same
    /// second.
    ///
    /// # Errors
    /// Storage errors. When the store fails mid-round the round ends there:
    /// the outcomes known so far and the claims not used are kept in memory
    /// and recorded first thing next round ([`unrecorded`]).
    #[tracing::instrument(skip_all)]
    pub async fn run_outbox_once(&self) -> StoreResult<OutboxRound> {
        // Nothing new is claimed before what is already known is stored.
        self.record_unrecorded().await?;
        let now = self.clock.now();
        let s = &self.settings;
        let claimed = self
            .store
            .claim_due(now, now + s.lease, &s.worker_id, s.batch)
            .await?;
        let mut round = OutboxRound::default();
        let mut groups = merge_groups(claimed).into_iter();
        while let Some(group) = groups.next() {
            if let Err(e) = self.send_group(&group, &mut round).await {
                let at = self.clock.now();
                for m in groups.flatten() {
                    self.keep(&m, Outcome::Released, at);
                }
                tracing::warn!(
                    error = %e,
                    kept = self.unrecorded.len(),
                    "the database failed mid-round; outcomes and unused claims are kept until it is back"
                );
                return Err(e);
            }
        }
        Ok(round)
    }

    /// Renders, sends and records one email's messages; a store error ends
    /// the round, with this group's outcomes (or its claims) kept.
    async fn send_group(
        &self,
        group: &[OutboxMessage],
        round: &mut OutboxRound,
    ) -> StoreResult<()> {
        let s = &self.settings;
        let outcomes: Vec<Outcome> = match self.renderer().render_all(group, self.clock.now()).await
        {
            Ok(Render::Send(envelope, rendered, parts)) => {
                // A round can outlast a lease (slow relays): never send
                // on a claim another worker may hold by now.
                let at = self.clock.now();
                let mut held = true;
                for m in group {
                    match self
                        .store
                        .renew_lease(m.org, m.id, &s.worker_id, at, at + s.lease)
                        .await
                    {
                        Ok(h) => held &= h,
                        Err(e) => return Err(self.release(group, e)),
                    }
                }
                if !held {
                    tracing::warn!(message_id = %group[0].id, "claim lost before sending; left to its new holder");
                    return Ok(());
                }
                match self.mailer.send(&envelope, &rendered).await {
                    Ok(()) => group
                        .iter()
                        .map(|m| match parts.iter().find(|p| p.message == m.id) {
                            Some(p) if p.told => Outcome::Sent {
                                subject: rendered.subject.clone(),
                                omitted: p.omitted.clone(),
                            },
                            _ => Outcome::Cancelled {
                                reason: "every finding it was about was resolved before it was due"
                                    .into(),
                            },
                        })
                        .collect(),
                    Err(e) if e.is_transient() => self.retries(group, &e.to_string()),
                    Err(e) => {
                        let error = without_addresses(&e.to_string()).into_owned();
                        group
                            .iter()
                            .map(|_| Outcome::Failed {
                                error: error.clone(),
                                retry_at: None,
                            })
                            .collect()
                    }
                }
            }
            Ok(Render::Defer(until)) => group.iter().map(|_| Outcome::Deferred { until }).collect(),
            Ok(Render::Cancel(reason)) => group
                .iter()
                .map(|_| Outcome::Cancelled {
                    reason: reason.clone(),
                })
                .collect(),
            // A row that cannot be read back, or a template bug: retried
            // like a send failure, so a fix deployed in time still
            // delivers it.
            Err(RenderError::Store(StoreError::Corrupt(e))) => {
                self.retries(group, &format!("reading the message failed: {e}"))
            }
            // The store itself failed: nothing was tried.
            Err(RenderError::Store(e)) => return Err(self.release(group, e)),
            Err(e) => self.retries(group, &e.to_string()),
        };
        // The instant the outcome became known: a send's `sent_at`.
        let at = self.clock.now();
        let mut outcomes = group.iter().zip(outcomes);
        while let Some((m, outcome)) = outcomes.next() {
            count(m, &outcome, round);
            match self
                .store
                .finish(m.org, m.id, &s.worker_id, outcome.clone(), at)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(message_id = %m.id, "lost the claim before recording the outcome");
                }
                Err(e) => {
                    self.keep(m, outcome, at);
                    for (m, outcome) in outcomes {
                        count(m, &outcome, round);
                        self.keep(m, outcome, at);
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Outcomes for a failed send of `group`: retried together, the delay
    /// counted from now, the instant of the failure (not the round's start,
    /// which a slow relay can leave far behind).
    fn retries(&self, group: &[OutboxMessage], error: &str) -> Vec<Outcome> {
        let error = without_addresses(error);
        let backoff = &self.settings.backoff;
        let failed_at = self.clock.now();
        // One draw for the whole group, and one time: its messages are
        // retried together (from the freshest one's count), and each dies
        // only when its own attempts run out.
        let attempts = group.iter().map(tries).min().unwrap_or(1);
        let draw = rand::random::<f64>();
        let together = backoff.after(attempts, draw).map(|d| failed_at + d);
        group
            .iter()
            .map(|m| Outcome::Failed {
                error: error.clone().into_owned(),
                retry_at: backoff.after(tries(m), draw).and(together),
            })
            .collect()
    }

    /// Keeps `group`'s claims for release once the store is back; `e` back.
    fn release(&self, group: &[OutboxMessage], e: StoreError) -> StoreError {
        let at = self.clock.now();
        for m in group {
            self.keep(m, Outcome::Released, at);
        }
        e
    }

    fn keep(&self, m: &OutboxMessage, outcome: Outcome, at: DateTime<Utc>) {
        self.unrecorded.keep(Kept {
            org: m.org,
            message: m.id,
            outcome,
            at,
        });
    }

    /// Records what earlier rounds could not, oldest first; the number
    /// recorded. Stops at the first store error and keeps the rest.
    ///
    /// # Errors
    /// The store's, with what is left still kept.
    pub async fn record_unrecorded(&self) -> StoreResult<usize> {
        let mut kept = self.unrecorded.take().into_iter();
        let mut recorded = 0;
        while let Some(k) = kept.next() {
            let result = self
                .store
                .finish(
                    k.org,
                    k.message,
                    &self.settings.worker_id,
                    k.outcome.clone(),
                    k.at,
                )
                .await;
            match result {
                Ok(done) => {
                    recorded += 1;
                    if done {
                        tracing::info!(message_id = %k.message, outcome = outcome_name(&k.outcome), at = %k.at, "outcome recorded now that the database is back");
                    } else {
                        tracing::warn!(message_id = %k.message, "lost the claim before recording the outcome");
                    }
                }
                Err(e) => {
                    let mut rest = vec![k];
                    rest.extend(kept);
                    self.unrecorded.put_back(rest);
                    return Err(e);
                }
            }
        }
        Ok(recorded)
    }

    /// Sends until nothing is due (tests and the CLI); at most `rounds` rounds.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn drain_outbox(&self, rounds: usize) -> StoreResult<OutboxRound> {
        let mut total = OutboxRound::default();
        for _ in 0..rounds {
            let r = self.run_outbox_once().await?;
            if r == OutboxRound::default() {
                break;
            }
            total.sent += r.sent;
            total.retrying += r.retrying;
            total.dead += r.dead;
            total.cancelled += r.cancelled;
            total.deferred += r.deferred;
        }
        Ok(total)
    }

    /// Queues the weekly digests that are due.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn schedule_digests_once(&self) -> StoreResult<usize> {
        digest::schedule_due(self.store.as_ref(), &self.settings.digest, self.clock.now()).await
    }

    /// Reminders for forgotten clock-outs, and re-evaluation of findings that
    /// only time makes true.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn sweep_once(&self) -> StoreResult<sweep::SweepRound> {
        let now = self.clock.now();
        let since = {
            let last = self
                .last_sweep
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            last.unwrap_or(now - sweep::FIRST_LOOK_BACK)
        };
        let round = sweep::run_once(self.store.as_ref(), &self.settings.policy, since, now).await?;
        *self
            .last_sweep
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(now);
        Ok(round)
    }

    /// Anonymises the leavers whose retention period is over; returns how
    /// many. Safe on every replica: an employee is anonymised once.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn retention_once(&self) -> StoreResult<usize> {
        let Some(period) = self.settings.retention else {
            return Ok(0);
        };
        let now = self.clock.now();
        let cutoff = crate::domain::retention::cutoff(now, period);
        let mut done = 0;
        loop {
            let due = self.store.leavers_before(cutoff, 100).await?;
            if due.is_empty() {
                break;
            }
            for (org, id) in due {
                if self.store.anonymise_employee(org, id, now).await? {
                    tracing::info!(organisation_id = %org, employee_id = %id, "leaver anonymised at the end of the retention period");
                    done += 1;
                }
            }
        }
        Ok(done)
    }

    /// Runs every job on its interval until the task is dropped. Errors are
    /// logged and the job tries again on its next tick; the outbox sooner
    /// while it holds unrecorded outcomes ([`unrecorded::retry_wait`]).
    pub async fn run(self: Arc<Self>) {
        let outbox = Arc::clone(&self).outbox_loop();
        let digests = {
            let jobs = Arc::clone(&self);
            tick(self.settings.digest_every, move || {
                let jobs = Arc::clone(&jobs);
                async move { jobs.schedule_digests_once().await.map(|_| ()) }
            })
        };
        let sweeps = {
            let jobs = Arc::clone(&self);
            tick(self.settings.sweep_every, move || {
                let jobs = Arc::clone(&jobs);
                async move { jobs.sweep_once().await.map(|_| ()) }
            })
        };
        let retention = {
            let jobs = Arc::clone(&self);
            tick(StdDuration::from_secs(3600), move || {
                let jobs = Arc::clone(&jobs);
                async move { jobs.retention_once().await.map(|_| ()) }
            })
        };
        tokio::join!(outbox, digests, sweeps, retention);
    }
}

impl Jobs {
    /// The outbox's live loop: a round every `outbox_every`, and after a
    /// round that left outcomes unrecorded another one soon, backing off to
    /// the interval while the database stays away.
    async fn outbox_loop(self: Arc<Self>) {
        let every = self.settings.outbox_every;
        let mut failures = 0;
        loop {
            let wait = match self.run_outbox_once().await {
                Ok(_) => {
                    failures = 0;
                    every
                }
                Err(e) if !self.unrecorded.is_empty() => {
                    failures += 1;
                    let wait = unrecorded::retry_wait(failures, every);
                    tracing::warn!(error = %e, kept = self.unrecorded.len(), retry_in_ms = wait.as_millis(), "outbox outcomes not recorded yet; trying again soon");
                    wait
                }
                Err(e) => {
                    tracing::warn!(error = %e, "background job failed; retrying on the next tick");
                    every
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// Claimed messages in the emails they make: the messages of a kind that
/// [`render::merges`] to one recipient together (oldest first, so the
/// first names the email), every other message alone; in claim order.
#[must_use]
pub fn merge_groups(claimed: Vec<OutboxMessage>) -> Vec<Vec<OutboxMessage>> {
    let mut groups: Vec<Vec<OutboxMessage>> = Vec::new();
    for m in claimed {
        let joins = render::merges(m.kind)
            .then(|| {
                groups.iter().position(|g| {
                    g[0].org == m.org && g[0].recipient == m.recipient && g[0].kind == m.kind
                })
            })
            .flatten();
        match joins {
            Some(k) => groups[k].push(m),
            None => groups.push(vec![m]),
        }
    }
    groups
}

/// Counts and logs how one message's attempt ended.
fn count(m: &OutboxMessage, outcome: &Outcome, round: &mut OutboxRound) {
    let attempts = tries(m);
    match outcome {
        Outcome::Sent { .. } => {
            round.sent += 1;
            metrics::counter!(crate::metrics::families::OUTBOX_SENT, "kind" => m.kind.as_str())
                .increment(1);
            tracing::info!(message_id = %m.id, kind = m.kind.as_str(), "email sent");
        }
        Outcome::Failed {
            retry_at: Some(at),
            error,
        } => {
            round.retrying += 1;
            metrics::counter!(crate::metrics::families::OUTBOX_RETRIES).increment(1);
            tracing::warn!(message_id = %m.id, attempts, retry_at = %at, error = %error, "email not sent; will retry");
        }
        Outcome::Failed {
            retry_at: None,
            error,
        } => {
            round.dead += 1;
            metrics::counter!(crate::metrics::families::OUTBOX_DEAD).increment(1);
            tracing::error!(message_id = %m.id, attempts, error = %error, "email is dead: out of attempts or rejected");
        }
        Outcome::Deferred { until } => {
            round.deferred += 1;
            tracing::debug!(message_id = %m.id, until = %until, "email held for the recipient's morning");
        }
        Outcome::Cancelled { reason } => {
            round.cancelled += 1;
            tracing::info!(message_id = %m.id, reason = %reason, "email cancelled");
        }
        Outcome::Released => {}
    }
}

/// A message's attempts so far, this one included.
fn tries(m: &OutboxMessage) -> u32 {
    u32::try_from(m.attempts).unwrap_or(u32::MAX)
}

/// What a kept outcome was, for the log (no error texts, no subjects).
fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Sent { .. } => "sent",
        Outcome::Deferred { .. } => "deferred",
        Outcome::Failed {
            retry_at: Some(_), ..
        } => "retrying",
        Outcome::Failed { retry_at: None, .. } => "dead",
        Outcome::Cancelled { .. } => "cancelled",
        Outcome::Released => "released",
    }
}

async fn tick<F, Fut>(every: StdDuration, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<()>>,
{
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(e) = step().await {
            tracing::warn!(error = %e, "background job failed; retrying on the next tick");
        }
    }
}
