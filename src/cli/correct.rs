//! `tidsvakt correct add|void|move`: corrections of the record through
//! `ClockService.CorrectEvent`. Nothing is edited: each correction is an
//! amendment with its reason, which a labour inspector can read.

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use uuid::Uuid;

use super::client::{Connection, LocationArg, location_pb, status_text};
use super::period::flagged;
use crate::grpc::convert::timestamp;
use crate::pb;
use crate::pb::clock_service_client::ClockServiceClient;
use crate::pb::correct_event_request::Change;

#[derive(Debug, Subcommand)]
pub enum CorrectAction {
    /// Add an event that was never recorded, e.g. a forgotten clock-out.
    #[command(after_help = "Examples:
  tidsvakt correct add --employee $EMP --kind clock-out --at 2026-10-29T16:30:00Z \\
      --reason \"forgot to clock out\"
  tidsvakt correct add --employee $EMP --kind clock-in --at 2026-10-30T07:00:00Z \\
      --location home --reason \"the phone was offline\"")]
    Add {
        #[command(flatten)]
        common: CorrectArgs,
        /// What happened.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// When it happened, as RFC 3339, e.g. 2026-10-29T16:30:00Z.
        #[arg(long)]
        at: DateTime<Utc>,
        /// Where the work that follows takes place (clock-in and break-end).
        #[arg(long, value_enum)]
        location: Option<LocationArg>,
    },
    /// Take an event out of the record (it stays stored, marked void).
    #[command(after_help = "Example:
  tidsvakt correct void --employee $EMP --event 5f1c2d3e-… --reason \"clocked in twice\"")]
    Void {
        #[command(flatten)]
        common: CorrectArgs,
        /// The event's id, or the amendment id of an earlier add.
        #[arg(long)]
        event: Uuid,
    },
    /// Move an event to another instant.
    #[command(after_help = "Example:
  tidsvakt correct move --employee $EMP --event 5f1c2d3e-… --to 2026-10-29T15:00:00Z \\
      --reason \"left at three, clocked out at home\"")]
    Move {
        #[command(flatten)]
        common: CorrectArgs,
        /// The event's id, or the amendment id of an earlier add.
        #[arg(long)]
        event: Uuid,
        /// The corrected instant, as RFC 3339.
        #[arg(long)]
        to: DateTime<Utc>,
    },
}

/// What every correction needs.
#[derive(Debug, Args)]
pub struct CorrectArgs {
    /// The employee whose record is corrected (UUID).
    #[arg(long)]
    pub employee: Uuid,
    /// Why, in words (1 to 500 characters): the record must explain itself.
    #[arg(long)]
    pub reason: String,
    /// The correction's id (UUID), to repeat it safely from a script.
    /// Default: a new one.
    #[arg(long)]
    pub amendment_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    ClockIn,
    ClockOut,
    BreakStart,
    BreakEnd,
}

const FLAGS: [(&str, &str); 9] = [
    ("amendment_id", "--amendment-id"),
    ("employee_id", "--employee"),
    ("reason", "--reason"),
    ("add.kind", "--kind"),
    ("add.occurred_at", "--at"),
    ("add.location", "--location"),
    ("void.event_id", "--event"),
    ("move.event_id", "--event"),
    ("move.occurred_at", "--to"),
];

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Runs `tidsvakt correct …` and returns what to print.
///
/// # Errors
/// A reason that is empty or too long; a refusal from the server, naming
/// the flag.
pub async fn correct_text(conn: &Connection, action: CorrectAction) -> anyhow::Result<String> {
    let (common, change, what) = match action {
        CorrectAction::Add {
            common,
            kind,
            at,
            location,
        } => {
            let (k, name) = match kind {
                KindArg::ClockIn => (pb::EventKind::ClockIn, "clock in"),
                KindArg::ClockOut => (pb::EventKind::ClockOut, "clock out"),
                KindArg::BreakStart => (pb::EventKind::BreakStart, "break start"),
                KindArg::BreakEnd => (pb::EventKind::BreakEnd, "break end"),
            };
            let change = Change::Add(pb::AddEventChange {
                kind: k as i32,
                occurred_at: Some(timestamp(at)),
                location: location.map_or(0, |l| location_pb(l) as i32),
            });
            (common, change, format!("{name} added at {}", utc(at)))
        }
        CorrectAction::Void { common, event } => (
            common,
            Change::Void(pb::VoidEventChange {
                event_id: event.to_string(),
            }),
            format!("event {event} voided"),
        ),
        CorrectAction::Move { common, event, to } => (
            common,
            Change::Move(pb::MoveEventChange {
                event_id: event.to_string(),
                occurred_at: Some(timestamp(to)),
            }),
            format!("event {event} moved to {}", utc(to)),
        ),
    };
    let reason = common.reason.trim();
    if reason.is_empty() {
        anyhow::bail!("--reason: is required; say why the record is corrected");
    }
    if reason.chars().count() > 500 {
        anyhow::bail!(
            "--reason: is {} characters; at most 500",
            reason.chars().count()
        );
    }
    let amendment_id = common.amendment_id.unwrap_or_else(Uuid::new_v4);
    let mut client = ClockServiceClient::new(conn.channel().await?);
    let r = client
        .correct_event(conn.request(pb::CorrectEventRequest {
            amendment_id: amendment_id.to_string(),
            employee_id: common.employee.to_string(),
            reason: reason.to_string(),
            change: Some(change),
        })?)
        .await
        .map_err(|s| flagged(&s, &FLAGS))?
        .into_inner();
    let outcome = if r.duplicate {
        "was already recorded"
    } else {
        "recorded"
    };
    Ok(format!(
        "amendment {amendment_id} {outcome}: {what} ({reason})\n{}",
        status_text(r.status.as_ref())
    ))
}
