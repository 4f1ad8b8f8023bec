//! Every metric family: its name, type and help text, in one table. Code
//! records through the constants; [`describe`] gives each family its HELP
//! line; the README's metrics table lists the same names (a test checks).

use metrics::Unit;

pub const RPC_REQUESTS: &str = "tidsvakt_rpc_requests_total";
pub const RPC_DURATION: &str = "tidsvakt_rpc_duration_seconds";
pub const RPC_ERRORS: &str = "tidsvakt_rpc_errors_total";
pub const EVENTS: &str = "tidsvakt_events_total";
pub const WRITE_GROUP_SIZE: &str = "tidsvakt_write_group_size";
pub const READ_BATCH_SIZE: &str = "tidsvakt_read_batch_size";
pub const DATABASE_UP: &str = "tidsvakt_database_up";
pub const OUTBOX_SENT: &str = "tidsvakt_outbox_sent_total";
pub const OUTBOX_RETRIES: &str = "tidsvakt_outbox_retries_total";
pub const OUTBOX_DEAD: &str = "tidsvakt_outbox_dead_total";
pub const OUTBOX_PENDING: &str = "tidsvakt_outbox_pending_messages";
pub const OUTBOX_DUE: &str = "tidsvakt_outbox_due_messages";
pub const OUTBOX_OLDEST_DUE_AGE: &str = "tidsvakt_outbox_oldest_due_age_seconds";
pub const OUTBOX_DEAD_MESSAGES: &str = "tidsvakt_outbox_dead_messages";
pub const RECOMPUTE_QUEUE_DEPTH: &str = "tidsvakt_recompute_queue_depth";
pub const RECOMPUTE_LAG: &str = "tidsvakt_recompute_lag_seconds";
pub const RECOMPUTE_DURATION: &str = "tidsvakt_recompute_duration_seconds";
pub const TIMESHEET_EVALUATIONS: &str = "tidsvakt_timesheet_evaluations_total";
pub const BUILD_INFO: &str = "tidsvakt_build_info";
pub const DATABASE_WRITABLE: &str = "tidsvakt_database_writable";
pub const AUTH_FAILURES: &str = "tidsvakt_auth_failures_total";
pub const RATE_LIMITED: &str = "tidsvakt_rate_limited_total";
pub const TLS_HANDSHAKE_FAILURES: &str = "tidsvakt_tls_handshake_failures_total";

/// How a family is exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// One metric family.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: Option<Unit>,
    pub help: &'static str,
}

const fn family(name: &'static str, kind: Kind, unit: Option<Unit>, help: &'static str) -> Family {
    Family {
        name,
        kind,
        unit,
        help,
    }
}

/// Every family the server exports.
pub const ALL: &[Family] = &[
    family(
        RPC_REQUESTS,
        Kind::Counter,
        None,
        "gRPC calls answered, by method (unknown paths count as 'other').",
    ),
    family(
        RPC_DURATION,
        Kind::Histogram,
        Some(Unit::Seconds),
        "Time from a gRPC call's arrival to its reply headers, by method.",
    ),
    family(
        RPC_ERRORS,
        Kind::Counter,
        None,
        "gRPC error answers produced by Tidsvakt's handlers, by status code.",
    ),
    family(
        EVENTS,
        Kind::Counter,
        None,
        "Clock events received by RecordEvent and SyncEvents, by outcome: new, duplicate or rejected.",
    ),
    family(
        WRITE_GROUP_SIZE,
        Kind::Histogram,
        Some(Unit::Count),
        "Writes committed together by one SQLite group commit.",
    ),
    family(
        READ_BATCH_SIZE,
        Kind::Histogram,
        Some(Unit::Count),
        "Keys read by one statement of point reads made at the same moment, by read (employee, status).",
    ),
    family(
        DATABASE_UP,
        Kind::Gauge,
        None,
        "1 while the database answers this replica, 0 when it does not.",
    ),
    family(
        OUTBOX_SENT,
        Kind::Counter,
        None,
        "Emails this replica handed to the relay, by kind.",
    ),
    family(
        OUTBOX_RETRIES,
        Kind::Counter,
        None,
        "Failed sends this replica left for a retry.",
    ),
    family(
        OUTBOX_DEAD,
        Kind::Counter,
        None,
        "Messages this replica gave up on (out of attempts or refused by the relay).",
    ),
    family(
        OUTBOX_PENDING,
        Kind::Gauge,
        None,
        "Messages waiting in the outbox, due or scheduled for later (whole database).",
    ),
    family(
        OUTBOX_DUE,
        Kind::Gauge,
        None,
        "Messages in the outbox whose time to be sent has come (whole database).",
    ),
    family(
        OUTBOX_OLDEST_DUE_AGE,
        Kind::Gauge,
        Some(Unit::Seconds),
        "How long the oldest due message has waited past its send time; 0 when none is due.",
    ),
    family(
        OUTBOX_DEAD_MESSAGES,
        Kind::Gauge,
        None,
        "Dead messages waiting for an admin to retry them (whole database).",
    ),
    family(
        RECOMPUTE_QUEUE_DEPTH,
        Kind::Gauge,
        None,
        "Employees whose day totals and findings wait to be recomputed.",
    ),
    family(
        RECOMPUTE_LAG,
        Kind::Gauge,
        Some(Unit::Seconds),
        "Age of the oldest waiting recompute; 0 when the queue is empty.",
    ),
    family(
        RECOMPUTE_DURATION,
        Kind::Histogram,
        Some(Unit::Seconds),
        "Time to recompute one employee's day totals and findings.",
    ),
    family(
        TIMESHEET_EVALUATIONS,
        Kind::Counter,
        None,
        "Timesheets this replica computed (GetTimesheet, the pages, the working-time record), by whether the record was judged for the read (judged) or an evaluation kept while it was unchanged was reused (kept).",
    ),
    family(
        BUILD_INFO,
        Kind::Gauge,
        None,
        "Always 1; the version label names the running build.",
    ),
    family(
        DATABASE_WRITABLE,
        Kind::Gauge,
        None,
        "1 while the database also takes writes; 0 when the storage is full or read-only.",
    ),
    family(
        AUTH_FAILURES,
        Kind::Counter,
        None,
        "gRPC calls refused for a missing, unknown, revoked or expired token.",
    ),
    family(
        RATE_LIMITED,
        Kind::Counter,
        None,
        "Calls refused with RESOURCE_EXHAUSTED by a call limit, by limit.",
    ),
    family(
        TLS_HANDSHAKE_FAILURES,
        Kind::Counter,
        None,
        "TLS handshakes that failed or timed out (wrong CA, no client certificate, clear text).",
    ),
];

/// Gives every family its HELP line.
pub fn describe() {
    for f in ALL {
        match (f.kind, f.unit) {
            (Kind::Counter, Some(u)) => metrics::describe_counter!(f.name, u, f.help),
            (Kind::Counter, None) => metrics::describe_counter!(f.name, f.help),
            (Kind::Gauge, Some(u)) => metrics::describe_gauge!(f.name, u, f.help),
            (Kind::Gauge, None) => metrics::describe_gauge!(f.name, f.help),
            (Kind::Histogram, Some(u)) => metrics::describe_histogram!(f.name, u, f.help),
            (Kind::Histogram, None) => metrics::describe_histogram!(f.name, f.help),
        }
    }
}

/// The call limits [`RATE_LIMITED`] is labelled with (`grpc::limiter`).
pub const RATE_LIMITS: &[&str] = &["token", "address", "streams", "failed_auth"];

/// The event outcomes [`EVENTS`] is labelled with.
pub const EVENT_OUTCOMES: &[&str] = &["new", "duplicate", "rejected"];

/// How a timesheet's figures were had ([`TIMESHEET_EVALUATIONS`]).
pub const TIMESHEET_SOURCES: &[&str] = &["judged", "kept"];

/// Registers the series whose labels are known in advance at zero, so
/// `rate()` and `increase()` have a starting point and alerts on them are
/// not blind until the first event.
pub fn zero() {
    use crate::storage::outbox::MessageKind;
    for outcome in EVENT_OUTCOMES {
        metrics::counter!(EVENTS, "outcome" => *outcome).absolute(0);
    }
    for kind in [
        MessageKind::Nudge,
        MessageKind::ManagerAlerts,
        MessageKind::Digest,
        MessageKind::Reminder,
    ] {
        metrics::counter!(OUTBOX_SENT, "kind" => kind.as_str()).absolute(0);
    }
    for source in TIMESHEET_SOURCES {
        metrics::counter!(TIMESHEET_EVALUATIONS, "source" => *source).absolute(0);
    }
    metrics::counter!(OUTBOX_RETRIES).absolute(0);
    metrics::counter!(OUTBOX_DEAD).absolute(0);
    metrics::counter!(AUTH_FAILURES).absolute(0);
    metrics::counter!(TLS_HANDSHAKE_FAILURES).absolute(0);
    for limit in RATE_LIMITS {
        metrics::counter!(RATE_LIMITED, "limit" => *limit).absolute(0);
    }
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_a_distinct_name_and_help() {
        let mut names: Vec<&str> = ALL.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(
            ALL.iter()
                .all(|f| f.help.len() > 20 && f.name.starts_with("tidsvakt_"))
        );
    }

    #[test]
    fn counters_end_in_total_and_durations_in_seconds() {
        for f in ALL {
            assert_eq!(
                f.kind == Kind::Counter,
                f.name.ends_with("_total"),
                "{}",
                f.name
            );
            if f.unit == Some(Unit::Seconds) {
                assert!(f.name.ends_with("_seconds"), "{}", f.name);
            }
        }
    }

    #[test]
    fn the_readme_lists_every_family() {
        let readme = include_str!("../../README.md");
        for f in ALL {
            assert!(
                readme.contains(&format!("`{}", f.name)),
                "README lacks {}",
                f.name
            );
        }
    }
}
