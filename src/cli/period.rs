//! `tidsvakt period list|lock`: payroll periods for operators, through
//! `PayrollService.ListPeriods` and `LockPeriod` (ADMIN or PAYROLL token).

use std::fmt::Write as _;

use clap::Subcommand;
use tonic::Status;

use super::client::Connection;
use crate::pb;
use crate::pb::payroll_service_client::PayrollServiceClient;

#[derive(Debug, Subcommand)]
pub enum PeriodAction {
    /// The periods with their status, oldest first: twelve up to today's
    /// by default.
    #[command(after_help = "Examples:
  tidsvakt period list
  tidsvakt period list --from 2026-01 --to 2026-12
  tidsvakt period list --from 2026-W45-4W        (four-weekly periods)")]
    List {
        /// The first period listed, e.g. 2026-01. Default: eleven periods
        /// before --to.
        #[arg(long)]
        from: Option<String>,
        /// The last period listed. Default: the period holding today (UTC).
        #[arg(long)]
        to: Option<String>,
    },
    /// Lock a period that has ended: its totals are frozen, later changes
    /// to its days become adjustment lines of the next open period, and
    /// every clock-in still without a clock-out becomes a `no.record`
    /// violation.
    #[command(after_help = "Examples:
  tidsvakt period lock --period 2026-10
  tidsvakt period lock --period 2026-11-H1      (semi-monthly periods)")]
    Lock {
        /// The period, e.g. 2026-10 (monthly), 2026-10-H2 (semi-monthly) or
        /// 2026-W45-4W (four-weekly).
        #[arg(long)]
        period: String,
    },
}

/// A refusal, with the request's field names turned into the flags that
/// set them.
pub(crate) fn flagged(s: &Status, flags: &[(&str, &str)]) -> anyhow::Error {
    let mut message = s.message().to_string();
    for (field, flag) in flags {
        if let Some(rest) = message.strip_prefix(&format!("{field}:")) {
            message = format!("{flag}:{rest}");
            break;
        }
    }
    anyhow::anyhow!("{:?}: {message}", s.code())
}

const PERIOD_FLAGS: [(&str, &str); 3] = [
    ("from_period_id", "--from"),
    ("to_period_id", "--to"),
    ("period_id", "--period"),
];

fn when(t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

fn dates(p: &pb::PayrollPeriod) -> String {
    let d = |d: Option<&pb::LocalDate>| {
        d.map_or_else(String::new, |d| {
            format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
        })
    };
    let r = p.dates.unwrap_or_default();
    format!("{} – {}", d(r.start.as_ref()), d(r.end.as_ref()))
}

/// The periods as a table.
#[must_use]
pub fn render_periods(periods: &[pb::ListedPeriod]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12}  {:<23}  {:<6}  {:<20}  {:<24}  {:>9}  {:>11}",
        "period", "dates", "status", "locked at", "locked by", "employees", "record gaps"
    );
    for l in periods {
        let p = l.period.clone().unwrap_or_default();
        let locked = p.status() == pb::PeriodStatus::Locked;
        let count = |n: i32| if locked { n.to_string() } else { String::new() };
        let line = format!(
            "{:<12}  {:<23}  {:<6}  {:<20}  {:<24}  {:>9}  {:>11}",
            p.period_id,
            dates(&p),
            if locked { "locked" } else { "open" },
            when(p.locked_at.as_ref()),
            p.locked_by,
            count(l.employee_count),
            count(l.record_violation_count),
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// What a lock did, in words.
#[must_use]
pub fn render_lock(r: &pb::LockPeriodResponse) -> String {
    let p = r.period.clone().unwrap_or_default();
    let mut out = format!(
        "locked period {} ({}) at {}\nemployees frozen: {}\n",
        p.period_id,
        dates(&p),
        when(p.locked_at.as_ref()),
        r.employee_count
    );
    if r.record_violation_count == 0 {
        out.push_str("record gaps:      0\n");
    } else {
        let _ = writeln!(
            out,
            "record gaps:      {} (no.record violations: clock-ins without a clock-out; \
             correct them with `tidsvakt correct`, and the change reaches the next open period)",
            r.record_violation_count
        );
    }
    out
}

/// Runs `tidsvakt period …` and returns what to print.
///
/// # Errors
/// When the server cannot be reached or refuses (naming the flag).
pub async fn period_text(conn: &Connection, action: PeriodAction) -> anyhow::Result<String> {
    let mut client = PayrollServiceClient::new(conn.channel().await?);
    match action {
        PeriodAction::List { from, to } => {
            let r = client
                .list_periods(conn.request(pb::ListPeriodsRequest {
                    from_period_id: from.unwrap_or_default(),
                    to_period_id: to.unwrap_or_default(),
                })?)
                .await
                .map_err(|s| flagged(&s, &PERIOD_FLAGS))?
                .into_inner();
            Ok(render_periods(&r.periods))
        }
        PeriodAction::Lock { period } => {
            let r = client
                .lock_period(conn.request(pb::LockPeriodRequest { period_id: period })?)
                .await
                .map_err(|s| flagged(&s, &PERIOD_FLAGS))?
                .into_inner();
            Ok(render_lock(&r))
        }
    }
}
