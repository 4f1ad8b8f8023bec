//! A small gRPC client for everyday operations: add an employee, create a
//! token, clock in and out, show status, read a timesheet and the headroom.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Request, Status};
use uuid::Uuid;

use super::timesheet::{HeadroomArgs, TimesheetArgs};
use crate::grpc::convert::timestamp;
use crate::pb;
use crate::pb::admin_service_client::AdminServiceClient;
use crate::pb::clock_service_client::ClockServiceClient;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Employees: add, list, show.
    Employee {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: EmployeeAction,
    },
    /// API tokens: create, list, revoke, rotate.
    Token {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Clock in, out, breaks.
    Clock {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: ClockAction,
    },
    /// Whether an employee is clocked in, since when and where.
    Status {
        #[command(flatten)]
        conn: Connection,
        /// Employee id (UUID).
        #[arg(long)]
        employee: String,
    },
    /// One employee's timesheet: days, intervals, totals, flex and findings.
    Timesheet {
        #[command(flatten)]
        conn: Connection,
        #[command(flatten)]
        args: TimesheetArgs,
    },
    /// How much is left before each working-time limit, and the rest bounds.
    Headroom {
        #[command(flatten)]
        conn: Connection,
        #[command(flatten)]
        args: HeadroomArgs,
    },
    /// Import employees from an HR system's CSV export: `import employees
    /// FILE [--dry-run]` (ADMIN token).
    Import {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::import::ImportAction,
    },
    /// Nudges: what was told about an employee, muting, digest previews,
    /// dead letters.
    Nudges {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::nudges::NudgeAction,
    },
    /// A payroll period's totals by pay code, as a CSV file (PAYROLL or
    /// ADMIN token).
    #[command(after_help = "Examples:
  tidsvakt export --period 2026-10 --out october.csv
  tidsvakt export --period 2026-10 --dialect excel-nb --out oktober.csv")]
    Export {
        #[command(flatten)]
        conn: Connection,
        #[command(flatten)]
        args: super::export::ExportArgs,
    },
    /// Correct an employee's record: add, void or move an event, with a
    /// reason (ADMIN, or the employee's manager).
    Correct {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::correct::CorrectAction,
    },
    /// Payroll periods: list them with their status, lock one (PAYROLL or
    /// ADMIN token).
    Period {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::period::PeriodAction,
    },
    /// Schedules: set (for one or more employees), list.
    Schedule {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::plans::ScheduleAction,
    },
    /// Agreements (home office, overtime, averaging, rest): create, list,
    /// end.
    Agreement {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::plans::AgreementAction,
    },
    /// Absences (sick leave, vacation, leave, time off in lieu): add, list,
    /// cancel.
    Absence {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::plans::AbsenceAction,
    },
    /// Organisation holidays and eves: add, list, remove.
    Holiday {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::plans::HolidayAction,
    },
    /// Rule overrides with their effective date: set, list, delete.
    Override {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::plans::OverrideAction,
    },
    /// The audit trail (the § 10-7 access log): `audit export --from --to
    /// [--employee]` prints a period as CSV (ADMIN token).
    Audit {
        #[command(flatten)]
        conn: Connection,
        #[command(subcommand)]
        action: super::audit::AuditAction,
    },
}

/// Where the server is and how to authenticate.
#[derive(Debug, Args)]
pub struct Connection {
    /// Server address.
    #[arg(
        long,
        env = "TIDSVAKT_ADDR",
        default_value = "http://127.0.0.1:50051",
        global = true
    )]
    pub addr: String,
    /// API token. Default: the contents of --token-file.
    #[arg(long, env = "TIDSVAKT_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// File holding the token, used when --token is not given.
    #[arg(
        long,
        env = "TIDSVAKT_TOKEN_FILE",
        default_value = "data/admin.token",
        global = true
    )]
    pub token_file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum EmployeeAction {
    /// Register an employee; prints the new employee id.
    Add {
        #[arg(long)]
        external_id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// Manager's employee id.
        #[arg(long)]
        manager: Option<String>,
        /// IANA time zone (default Europe/Oslo).
        #[arg(long)]
        time_zone: Option<String>,
        #[arg(long, value_enum)]
        locale: Option<LocaleArg>,
    },
    /// List employees.
    List {
        #[arg(long)]
        include_inactive: bool,
    },
    /// Deactivate an employee (the record stays).
    Deactivate {
        #[arg(long)]
        employee: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token; prints the secret once, alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Employee the token acts as (employee and manager roles).
        #[arg(long)]
        employee: Option<String>,
        /// Days until the token stops working (required for employee and
        /// manager tokens, at most 366; for inspector tokens, at most 90).
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// The department a safety-rep token reads (as set on employees);
        /// leave out for the whole organisation.
        ///
        /// Example: tidsvakt token create --name "Kari (verneombud)" --role safety-rep --department Lager
        #[arg(long)]
        department: Option<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token.
    Revoke {
        #[arg(long)]
        token_id: String,
    },
    /// Give a token a new secret; the old one works for the grace period.
    /// Prints the new secret once, alone on the last line.
    ///
    /// Example: tidsvakt token rotate --token-id 3f2b… --grace-secs 3600
    Rotate {
        #[arg(long)]
        token_id: String,
        /// Seconds the old secret keeps working (at most 7 days).
        #[arg(long, default_value_t = 3600)]
        grace_secs: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClockAction {
    /// Start work.
    In(ClockArgs),
    /// End work.
    Out(ClockArgs),
    /// Start a break.
    BreakStart(ClockArgs),
    /// End a break.
    BreakEnd(ClockArgs),
}

#[derive(Debug, Args)]
pub struct ClockArgs {
    /// Employee id (UUID).
    #[arg(long)]
    pub employee: String,
    /// Where the work takes place (clock in and break end).
    #[arg(long, value_enum, default_value = "office")]
    pub location: LocationArg,
    /// When, as RFC 3339 (default: now).
    #[arg(long)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LocationArg {
    Office,
    Home,
    Remote,
    Travel,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LocaleArg {
    Nb,
    En,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    Clock,
    Employee,
    Manager,
    Payroll,
    Admin,
    /// The safety representative (verneombud): reads the § 10-7 record.
    SafetyRep,
    /// The Labour Inspection (Arbeidstilsynet): reads the § 10-7 record;
    /// needs --expires-in-days (at most 90).
    Inspector,
}

impl Connection {
    fn secret(&self) -> anyhow::Result<String> {
        if let Some(t) = &self.token {
            return Ok(t.trim().to_owned());
        }
        let t = std::fs::read_to_string(&self.token_file).with_context(|| {
            format!(
                "no --token or TIDSVAKT_TOKEN given, and {} could not be read",
                self.token_file.display()
            )
        })?;
        Ok(t.trim().to_owned())
    }

    pub(crate) async fn channel(&self) -> anyhow::Result<Channel> {
        Channel::from_shared(self.addr.clone())
            .with_context(|| format!("bad server address '{}'", self.addr))?
            .connect()
            .await
            .with_context(|| format!("cannot reach the server at {}", self.addr))
    }

    pub(crate) fn request<T>(&self, message: T) -> anyhow::Result<Request<T>> {
        let mut r = Request::new(message);
        let value: MetadataValue<_> = format!("Bearer {}", self.secret()?)
            .parse()
            .context("the token contains characters that cannot be sent")?;
        r.metadata_mut().insert("authorization", value);
        Ok(r)
    }
}

#[allow(clippy::needless_pass_by_value)] // shaped for `map_err(explain)`
pub(crate) fn explain(s: Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", s.code(), s.message())
}

/// Runs a client command, printing results for people.
///
/// # Errors
/// When the server cannot be reached or answers with an error.
pub async fn run(command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Employee { conn, action } => employee(&conn, action).await,
        ClientCommand::Token { conn, action } => token(&conn, action).await,
        ClientCommand::Clock { conn, action } => clock(&conn, action).await,
        ClientCommand::Status { conn, employee } => {
            let mut client = ClockServiceClient::new(conn.channel().await?);
            let r = client
                .get_clock_status(conn.request(pb::GetClockStatusRequest {
                    employee_id: employee,
                })?)
                .await
                .map_err(explain)?
                .into_inner();
            print_status(r.status.as_ref());
            Ok(())
        }
        ClientCommand::Timesheet { conn, args } => super::timesheet::timesheet(&conn, &args).await,
        ClientCommand::Headroom { conn, args } => super::timesheet::headroom(&conn, &args).await,
        ClientCommand::Export { conn, args } => super::export::run(&conn, &args).await,
        ClientCommand::Audit { conn, action } => super::audit::run(&conn, action).await,
        ClientCommand::Correct { conn, action } => {
            print!("{}", super::correct::correct_text(&conn, action).await?);
            Ok(())
        }
        ClientCommand::Period { conn, action } => {
            print!("{}", super::period::period_text(&conn, action).await?);
            Ok(())
        }
        ClientCommand::Import { conn, action } => super::import::run(&conn, action).await,
        ClientCommand::Schedule { conn, action } => {
            print!("{}", super::plans::schedule(&conn, action).await?);
            Ok(())
        }
        ClientCommand::Agreement { conn, action } => {
            print!("{}", super::plans::agreement(&conn, action).await?);
            Ok(())
        }
        ClientCommand::Absence { conn, action } => {
            print!("{}", super::plans::absence(&conn, action).await?);
            Ok(())
        }
        ClientCommand::Holiday { conn, action } => {
            print!("{}", super::plans::holiday(&conn, action).await?);
            Ok(())
        }
        ClientCommand::Override { conn, action } => {
            print!("{}", super::plans::rule_override(&conn, action).await?);
            Ok(())
        }
        ClientCommand::Nudges { conn, action } => {
            print!("{}", super::nudges::nudges_text(&conn, action).await?);
            Ok(())
        }
    }
}

async fn employee(conn: &Connection, action: EmployeeAction) -> anyhow::Result<()> {
    let mut client = AdminServiceClient::new(conn.channel().await?);
    match action {
        EmployeeAction::Add {
            external_id,
            name,
            email,
            manager,
            time_zone,
            locale,
        } => {
            let e = client
                .create_employee(conn.request(pb::CreateEmployeeRequest {
                    external_id,
                    name,
                    email,
                    manager_id: manager.unwrap_or_default(),
                    time_zone: time_zone.unwrap_or_default(),
                    locale: match locale {
                        None => pb::Locale::Unspecified,
                        Some(LocaleArg::Nb) => pb::Locale::Nb,
                        Some(LocaleArg::En) => pb::Locale::En,
                    } as i32,
                    ..Default::default()
                })?)
                .await
                .map_err(explain)?
                .into_inner()
                .employee
                .unwrap_or_default();
            println!("created {} ({}) in {}", e.name, e.external_id, e.time_zone);
            println!("{}", e.employee_id);
        }
        EmployeeAction::List { include_inactive } => {
            let mut page_token = String::new();
            println!(
                "{:<36}  {:<16}  {:<24}  {:<16}  active",
                "employee id", "external id", "name", "time zone"
            );
            loop {
                let r = client
                    .list_employees(conn.request(pb::ListEmployeesRequest {
                        page: Some(pb::PageRequest {
                            page_size: 500,
                            page_token,
                        }),
                        include_inactive,
                        manager_id: String::new(),
                    })?)
                    .await
                    .map_err(explain)?
                    .into_inner();
                for e in &r.employees {
                    println!(
                        "{:<36}  {:<16}  {:<24}  {:<16}  {}",
                        e.employee_id,
                        e.external_id,
                        e.name,
                        e.time_zone,
                        if e.active { "yes" } else { "no" }
                    );
                }
                if r.next_page_token.is_empty() {
                    break;
                }
                page_token = r.next_page_token;
            }
        }
        EmployeeAction::Deactivate { employee } => {
            let e = client
                .deactivate_employee(conn.request(pb::DeactivateEmployeeRequest {
                    employee_id: employee,
                })?)
                .await
                .map_err(explain)?
                .into_inner()
                .employee
                .unwrap_or_default();
            println!("deactivated {} ({})", e.name, e.employee_id);
        }
    }
    Ok(())
}

#[allow(clippy::too_many_lines)] // one match arm per subcommand
async fn token(conn: &Connection, action: TokenAction) -> anyhow::Result<()> {
    let mut client = AdminServiceClient::new(conn.channel().await?);
    match action {
        TokenAction::Create {
            name,
            role,
            employee,
            expires_in_days,
            department,
        } => {
            let r = client
                .create_api_token(conn.request(pb::CreateApiTokenRequest {
                    name,
                    role: match role {
                        RoleArg::Clock => pb::Role::Clock,
                        RoleArg::Employee => pb::Role::Employee,
                        RoleArg::Manager => pb::Role::Manager,
                        RoleArg::Payroll => pb::Role::Payroll,
                        RoleArg::Admin => pb::Role::Admin,
                        RoleArg::SafetyRep => pb::Role::SafetyRep,
                        RoleArg::Inspector => pb::Role::Inspector,
                    } as i32,
                    employee_id: employee.unwrap_or_default(),
                    department: department.unwrap_or_default(),
                    expires_at: expires_in_days.map(|d| {
                        let t = chrono::Utc::now() + chrono::Duration::days(i64::from(d));
                        prost_types::Timestamp {
                            seconds: t.timestamp(),
                            nanos: 0,
                        }
                    }),
                })?)
                .await
                .map_err(explain)?
                .into_inner();
            let t = r.token.unwrap_or_default();
            println!(
                "created token {} '{}' ({}); the secret is shown only now:",
                t.token_id,
                t.name,
                t.role().as_str_name()
            );
            println!("{}", r.secret);
        }
        TokenAction::List => {
            let r = client
                .list_api_tokens(conn.request(pb::ListApiTokensRequest {
                    page: None,
                    include_revoked: true,
                })?)
                .await
                .map_err(explain)?
                .into_inner();
            for t in r.tokens {
                println!(
                    "{}  {:<14}  {:<24}  {}",
                    t.token_id,
                    t.role().as_str_name(),
                    t.name,
                    if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
        }
        TokenAction::Rotate {
            token_id,
            grace_secs,
        } => {
            let r = client
                .rotate_api_token(conn.request(pb::RotateApiTokenRequest {
                    token_id,
                    grace: Some(prost_types::Duration {
                        seconds: i64::from(grace_secs),
                        nanos: 0,
                    }),
                    expires_at: None,
                })?)
                .await
                .map_err(explain)?
                .into_inner();
            let t = r.token.unwrap_or_default();
            println!(
                "rotated token {} '{}'; the old secret works for {grace_secs} s more; the new secret is shown only now:",
                t.token_id, t.name
            );
            println!("{}", r.secret);
        }
        TokenAction::Revoke { token_id } => {
            client
                .revoke_api_token(conn.request(pb::RevokeApiTokenRequest {
                    token_id: token_id.clone(),
                })?)
                .await
                .map_err(explain)?;
            println!("revoked {token_id}");
        }
    }
    Ok(())
}

async fn clock(conn: &Connection, action: ClockAction) -> anyhow::Result<()> {
    let (kind, args) = match action {
        ClockAction::In(a) => (pb::EventKind::ClockIn, a),
        ClockAction::Out(a) => (pb::EventKind::ClockOut, a),
        ClockAction::BreakStart(a) => (pb::EventKind::BreakStart, a),
        ClockAction::BreakEnd(a) => (pb::EventKind::BreakEnd, a),
    };
    if args.employee.trim().is_empty() {
        bail!("--employee is required");
    }
    let location = location_pb(args.location);
    let mut client = ClockServiceClient::new(conn.channel().await?);
    let r = client
        .record_event(conn.request(pb::RecordEventRequest {
            event: Some(pb::ClockEvent {
                event_id: Uuid::new_v4().to_string(),
                employee_id: args.employee,
                kind: kind as i32,
                occurred_at: Some(timestamp(args.at.unwrap_or_else(Utc::now))),
                location: location as i32,
                device_id: "tidsvakt-cli".into(),
            }),
        })?)
        .await
        .map_err(explain)?
        .into_inner();
    let what = kind
        .as_str_name()
        .trim_start_matches("EVENT_KIND_")
        .to_lowercase()
        .replace('_', " ");
    let outcome = match r.outcome() {
        pb::EventOutcome::Duplicate => "already recorded",
        _ => "recorded",
    };
    println!("{what} {outcome}");
    print_status(r.status.as_ref());
    Ok(())
}

/// `--location` as the message's value.
pub(crate) fn location_pb(l: LocationArg) -> pb::Location {
    match l {
        LocationArg::Office => pb::Location::Office,
        LocationArg::Home => pb::Location::Home,
        LocationArg::Remote => pb::Location::Remote,
        LocationArg::Travel => pb::Location::Travel,
    }
}

fn print_status(status: Option<&pb::ClockStatus>) {
    print!("{}", status_text(status));
}

/// An employee's clock status in one line.
pub(crate) fn status_text(status: Option<&pb::ClockStatus>) -> String {
    let Some(s) = status else {
        return "no status\n".to_owned();
    };
    let at = |t: Option<&prost_types::Timestamp>| {
        t.and_then(|t| DateTime::from_timestamp(t.seconds, 0))
            .map_or_else(
                || "-".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            )
    };
    let place = s
        .location()
        .as_str_name()
        .trim_start_matches("LOCATION_")
        .to_lowercase();
    let since = at(s.state_since.as_ref());
    let clocked_in = at(s.clocked_in_since.as_ref());
    match s.state() {
        pb::ClockState::Working => {
            format!("working ({place}) since {since}; clocked in at {clocked_in}\n")
        }
        pb::ClockState::OnBreak => {
            format!("on a break since {since}; clocked in at {clocked_in} ({place})\n")
        }
        _ if s.event_count == 0 => "clocked out; no events yet\n".to_owned(),
        _ => format!("clocked out since {since}\n"),
    }
}
