//! The outbox under faults, on both back-ends, with the manual clock and a
//! relay held mid-send ([`crate::smtp::SmtpServer::hold`]) instead of
//! sleeps: a retry waits its documented delay from the failure, however
//! long the relay took to fail; and a database outage while mail goes out
//! sends nothing twice and keeps no other message waiting for its lease.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sqlx::{Connection as _, Executor as _};
use tidsvakt::jobs::OutboxRound;
use tidsvakt::storage::StoreResult;
use tidsvakt::storage::outbox::{MessageStatus, OutboxMessage, OutboxStore as _};

use crate::helpers::*;
use crate::nudges::{list, mails, no_break, oslo, send_due};
use crate::smtp::Mode;

/// Runs an outbox round whose relay answers `DATA` at `answered` (the
/// clock is moved while the reply is held).
async fn slow_round(app: &TestApp, answered: DateTime<Utc>) -> StoreResult<OutboxRound> {
    app.mailbox.hold();
    let jobs = Arc::clone(&app.jobs);
    let round = tokio::spawn(async move { jobs.run_outbox_once().await });
    app.mailbox.wait_held(1, StdDuration::from_secs(10)).await;
    app.clock.set(answered);
    app.mailbox.release();
    round.await.unwrap()
}

/// Every message of the organisation in `status`.
async fn messages(app: &TestApp, status: MessageStatus) -> Vec<OutboxMessage> {
    let org = app.org_id().await;
    app.store.messages_in(org, status, None, 100).await.unwrap()
}

async fn a_retry_waits_its_delay_from_the_failure_not_from_the_round(app: TestApp) {
    let a = app.create_employee("A1").await;
    let start = oslo(11, 23, 15, 0);
    app.clock.set(start);
    no_break(&app, &a.employee_id, 23).await;
    list(&app, &a.employee_id).await;
    app.mailbox.set_mode(Mode::Transient);

    // The relay takes 20 s to answer 451.
    let failed = start + Duration::seconds(20);
    assert_eq!(slow_round(&app, failed).await.unwrap().retrying, 1);
    let retry = messages(&app, MessageStatus::Pending).await[0].send_after;
    // README: 30 s doubling, with equal jitter: the first delay is 15–30 s.
    let delay = retry - failed;
    assert!(
        delay >= Duration::seconds(15) && delay < Duration::seconds(30),
        "first delay {delay} after the failure at {failed}"
    );
    app.mailbox.set_mode(Mode::Accept);
    app.clock.set(failed + Duration::milliseconds(14_999));
    assert_eq!(send_due(&app).await, 0, "not before 15 s");
    app.clock.set(retry - Duration::microseconds(1));
    assert_eq!(send_due(&app).await, 0, "not before its retry time");

    // The second failure, 20 s into a round at the retry time: 30–60 s.
    app.mailbox.set_mode(Mode::Transient);
    app.clock.set(retry);
    let failed = retry + Duration::seconds(20);
    assert_eq!(slow_round(&app, failed).await.unwrap().retrying, 1);
    let pending = messages(&app, MessageStatus::Pending).await;
    assert_eq!(pending[0].attempts, 2);
    let retry = pending[0].send_after;
    let delay = retry - failed;
    assert!(
        delay >= Duration::seconds(30) && delay < Duration::seconds(60),
        "second delay {delay} after the failure at {failed}"
    );
    app.mailbox.set_mode(Mode::Accept);
    app.clock.set(failed + Duration::milliseconds(29_999));
    assert_eq!(send_due(&app).await, 0, "not before 30 s");
    app.clock.set(retry);
    assert_eq!(send_due(&app).await, 1, "due at its retry time");
    assert_eq!(app.mailbox.messages().len(), 1);
}

/// The database down for the server, the way it goes down in production.
enum Outage {
    /// `SQLite`: another process holds the write lock (a backup, or an
    /// admin's `sqlite3` session left in a transaction). Reads go on;
    /// writes fail after the busy timeout (10 s).
    Sqlite(sqlx::AnyConnection),
    /// `PostgreSQL` restarting or failing over: every session is cut and
    /// new ones are refused.
    Postgres { admin: String, name: String },
}

impl Outage {
    async fn begin(app: &TestApp) -> Self {
        match &app.db {
            Db::Sqlite => {
                let mut conn = sqlx::AnyConnection::connect(&app.database_url)
                    .await
                    .unwrap();
                conn.execute("BEGIN IMMEDIATE").await.unwrap();
                Self::Sqlite(conn)
            }
            Db::Postgres(admin) => {
                let name = app
                    .database_url
                    .rsplit('/')
                    .next()
                    .and_then(|n| n.split('?').next())
                    .unwrap()
                    .to_owned();
                let mut conn = sqlx::AnyConnection::connect(admin).await.unwrap();
                conn.execute(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false").as_str())
                    .await
                    .unwrap();
                conn.execute(
                    format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                    )
                    .as_str(),
                )
                .await
                .unwrap();
                Self::Postgres {
                    admin: admin.clone(),
                    name,
                }
            }
        }
    }

    async fn end(self) {
        match self {
            Self::Sqlite(mut conn) => {
                conn.execute("ROLLBACK").await.unwrap();
            }
            Self::Postgres { admin, name } => {
                let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
                conn.execute(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true").as_str())
                    .await
                    .unwrap();
            }
        }
    }
}

async fn a_database_outage_while_sending_sends_nothing_twice_and_holds_nothing_back(app: TestApp) {
    let mut ids = Vec::new();
    for name in ["A1", "B1", "C1"] {
        ids.push(app.create_employee(name).await.employee_id);
    }
    let start = oslo(11, 23, 15, 0);
    app.clock.set(start);
    for id in &ids {
        no_break(&app, id, 23).await;
        list(&app, id).await;
    }

    // The first of the three emails is with the relay when the database
    // goes; the relay accepts it 2 s into the round.
    app.mailbox.hold();
    let jobs = Arc::clone(&app.jobs);
    let round = tokio::spawn(async move { jobs.run_outbox_once().await });
    app.mailbox.wait_held(1, StdDuration::from_secs(10)).await;
    let outage = Outage::begin(&app).await;
    let accepted = start + Duration::seconds(2);
    app.clock.set(accepted);
    app.mailbox.release();
    assert!(
        round.await.unwrap().is_err(),
        "the round ends at the first failed write"
    );
    assert_eq!(app.mailbox.messages().len(), 1);
    assert_eq!(
        app.jobs.unrecorded(),
        3,
        "the send, and the two claims not used"
    );

    // Back 20 s later. The worker's next round records the send with its
    // own instant and gives the claims back, so the other two go at once
    // rather than when their leases run out.
    let back = accepted + Duration::seconds(20);
    app.clock.set(back);
    outage.end().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE claimed_by IS NOT NULL")
            .await,
        3,
        "all three still claimed until the worker records"
    );
    let round = app.jobs.run_outbox_once().await.unwrap();
    assert_eq!(round.sent, 2);
    assert_eq!(app.jobs.unrecorded(), 0);

    let first = mails(&app)[0].to[0].email.clone();
    let sent = messages(&app, MessageStatus::Sent).await;
    assert_eq!(sent.len(), 3);
    for m in &sent {
        let to = format!(
            "{}@example.no",
            ["a1", "b1", "c1"][ids
                .iter()
                .position(|id| *id == m.recipient.to_string())
                .unwrap()]
        );
        let expected = if to == first { accepted } else { back };
        assert_eq!(m.sent_at, Some(expected), "{to}");
        assert_eq!(m.attempts, 1, "{to}: a claim given back costs no attempt");
    }

    // Past every lease of the first round: nothing goes out again.
    app.clock.set(start + Duration::minutes(6));
    assert_eq!(send_due(&app).await, 0);
    let mut to: Vec<String> = mails(&app).iter().map(|m| m.to[0].email.clone()).collect();
    to.sort();
    assert_eq!(to, ["a1@example.no", "b1@example.no", "c1@example.no"]);
}

crate::both_backends!(
    a_retry_waits_its_delay_from_the_failure_not_from_the_round,
    a_database_outage_while_sending_sends_nothing_twice_and_holds_nothing_back,
);
