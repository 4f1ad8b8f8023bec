//! `tidsvakt schedule|agreement|absence|holiday|override`: the plans the HR
//! console edits, for scripts, through AdminService's plan RPCs. The server
//! checks every value (the same checks as the pages); a refusal names the
//! flag it came from.

use std::fmt::Write as _;

use anyhow::anyhow;
use chrono::{NaiveDate, NaiveTime};
use clap::{Args, Subcommand, ValueEnum};
use tonic::{Code, Status};

use super::client::Connection;
use crate::domain::policy::day_normal_minutes;
use crate::domain::rules::catalog;
use crate::grpc::timesheet_convert::{date_pb, unit_pb};
use crate::pb;
use crate::pb::admin_service_client::AdminServiceClient;

/// `HH:MM`, for clap.
fn hhmm(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| "expected HH:MM, for example 08:00".into())
}

/// `HH:MM-HH:MM`, for clap.
fn hhmm_span(s: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or("expected HH:MM-HH:MM, for example 09:00-14:30")?;
    Ok((hhmm(a.trim())?, hhmm(b.trim())?))
}

/// Working days as `Weekday` numbers (Monday 1).
#[derive(Clone, Debug)]
pub struct Weekdays(Vec<i32>);

/// `mon,tue,…`, for clap.
fn weekdays(s: &str) -> Result<Weekdays, String> {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    s.split(',')
        .map(|d| {
            let d = d.trim().to_ascii_lowercase();
            DAYS.iter()
                .position(|x| *x == d)
                .map(|i| i32::try_from(i + 1).unwrap_or_default())
                .ok_or_else(|| format!("'{d}' is not a weekday; use mon,tue,wed,thu,fri,sat,sun"))
        })
        .collect::<Result<_, _>>()
        .map(Weekdays)
}

#[derive(Debug, Subcommand)]
pub enum ScheduleAction {
    /// Give one or more employees a weekly plan from a date.
    ///
    /// Example: tidsvakt schedule set --employee 1b2c… --employee 3d4e…
    /// --from 2026-11-02 --days mon,tue,wed,thu,fri --start 08:00 --end 16:00
    /// --break-minutes 30 --core 09:00-14:30 --flex 07:00-18:00
    Set(ScheduleSet),
    /// List schedules (the organisation's, or one employee's).
    ///
    /// Example: tidsvakt schedule list --employee 1b2c…
    List {
        #[arg(long)]
        employee: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ScheduleSet {
    /// Employee id; repeat for several employees.
    #[arg(long, required = true)]
    employee: Vec<String>,
    /// First date the plan applies, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: NaiveDate,
    /// Last date, YYYY-MM-DD (default: open-ended).
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<NaiveDate>,
    /// Working days.
    #[arg(long, value_name = "DAYS", value_parser = weekdays, default_value = "mon,tue,wed,thu,fri")]
    days: Weekdays,
    /// Planned start of each working day.
    #[arg(long, value_name = "HH:MM", value_parser = hhmm)]
    start: NaiveTime,
    /// Planned end of each working day.
    #[arg(long, value_name = "HH:MM", value_parser = hhmm)]
    end: NaiveTime,
    /// Planned break in minutes.
    #[arg(long, default_value_t = 0)]
    break_minutes: i64,
    /// Breaks count as working time.
    #[arg(long)]
    breaks_paid: bool,
    /// Core hours.
    #[arg(long, value_name = "HH:MM-HH:MM", value_parser = hhmm_span)]
    core: Option<(NaiveTime, NaiveTime)>,
    /// Flexitime frame.
    #[arg(long, value_name = "HH:MM-HH:MM", value_parser = hhmm_span)]
    flex: Option<(NaiveTime, NaiveTime)>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AgreementKindArg {
    HomeOffice,
    ExtendedOvertime,
    Averaging,
    ReducedRest,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BasisArg {
    Individual,
    TariffRepresentatives,
    LabourInspectorate,
}

#[derive(Debug, Subcommand)]
pub enum AgreementAction {
    /// Record an agreement, within what the law lets its basis agree.
    ///
    /// Example: tidsvakt agreement create --employee 1b2c… --kind
    /// extended-overtime --basis tariff-representatives --from 2026-11-02
    /// --to 2027-11-01 --reference "Sak 2026/14" --overtime-7d 1200
    Create(AgreementCreate),
    /// List agreements (the organisation's, or one employee's).
    ///
    /// Example: tidsvakt agreement list
    List {
        #[arg(long)]
        employee: Option<String>,
    },
    /// End an agreement after a last day (it is kept, not deleted).
    ///
    /// Example: tidsvakt agreement end --agreement 5f6a… --last-day
    /// 2026-12-31 --reason "Replaced by the new tariff agreement"
    End {
        #[arg(long)]
        agreement: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        last_day: NaiveDate,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct AgreementCreate {
    #[arg(long)]
    employee: String,
    #[arg(long, value_enum)]
    kind: AgreementKindArg,
    #[arg(long, value_enum)]
    basis: BasisArg,
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: NaiveDate,
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<NaiveDate>,
    /// Where the signed agreement is.
    #[arg(long)]
    reference: String,
    /// Home office: highest share of working time at home, percent.
    #[arg(long, default_value_t = 0)]
    home_share: i32,
    /// Extended overtime: limit per 7 days, minutes.
    #[arg(long, default_value_t = 0)]
    overtime_7d: i64,
    /// Extended overtime: limit per 4 weeks, minutes.
    #[arg(long, default_value_t = 0)]
    overtime_4w: i64,
    /// Extended overtime: limit per 52 weeks, minutes.
    #[arg(long, default_value_t = 0)]
    overtime_52w: i64,
    /// Extended overtime: limit per 26 weeks, minutes (Arbeidstilsynet).
    #[arg(long, default_value_t = 0)]
    overtime_26w: i64,
    /// Averaging: period in weeks.
    #[arg(long, default_value_t = 0)]
    period_weeks: i32,
    /// Averaging: most normal time per 24 hours, minutes.
    #[arg(long, default_value_t = 0)]
    daily_cap: i64,
    /// Averaging: most normal time per 7 days, minutes.
    #[arg(long, default_value_t = 0)]
    weekly_cap: i64,
    /// Reduced rest: shortest daily rest, minutes.
    #[arg(long, default_value_t = 0)]
    daily_rest: i64,
    /// Reduced rest: shortest weekly rest, minutes.
    #[arg(long, default_value_t = 0)]
    weekly_rest: i64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AbsenceKindArg {
    Sick,
    Vacation,
    Leave,
    TimeOffInLieu,
}

#[derive(Debug, Subcommand)]
pub enum AbsenceAction {
    /// Record an absence for one or more employees.
    ///
    /// Example: tidsvakt absence add --employee 1b2c… --employee 3d4e…
    /// --kind sick --from 2026-11-10 --to 2026-11-12
    Add {
        /// Employee id; repeat for several employees.
        #[arg(long, required = true)]
        employee: Vec<String>,
        #[arg(long, value_enum)]
        kind: AbsenceKindArg,
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: NaiveDate,
        /// Minutes per day for a partial absence (default: whole days).
        #[arg(long, default_value_t = 0)]
        minutes_per_day: i64,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// List absences.
    ///
    /// Example: tidsvakt absence list --include-cancelled
    List {
        #[arg(long)]
        employee: Option<String>,
        #[arg(long)]
        include_cancelled: bool,
    },
    /// Cancel an absence (it is kept, marked cancelled).
    ///
    /// Example: tidsvakt absence cancel --absence 7a8b… --reason "Came to work"
    Cancel {
        #[arg(long)]
        absence: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum HolidayKindArg {
    Public,
    Eve,
    DayOff,
}

#[derive(Debug, Subcommand)]
pub enum HolidayAction {
    /// Add an organisation holiday, eve or day off.
    ///
    /// Example: tidsvakt holiday add --date 2026-12-23 --name "Lille julaften"
    /// --kind eve --window-start 12:00
    Add {
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: NaiveDate,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        kind: HolidayKindArg,
        /// When the Sunday/holiday window opens on an eve.
        #[arg(long, value_name = "HH:MM", value_parser = hhmm)]
        window_start: Option<NaiveTime>,
    },
    /// List a year's holidays, national and the organisation's own.
    ///
    /// Example: tidsvakt holiday list --year 2026
    List {
        #[arg(long)]
        year: i32,
    },
    /// Remove an organisation holiday.
    ///
    /// Example: tidsvakt holiday remove --holiday 9c0d…
    Remove {
        #[arg(long)]
        holiday: String,
    },
}

#[derive(Debug, Subcommand)]
#[allow(clippy::doc_markdown)] // the doc is the --help text, examples as typed
pub enum OverrideAction {
    /// Change a rule parameter for the organisation or one employee, from a
    /// date, within the range the law allows (see the rule catalog).
    ///
    /// Example: tidsvakt override set --organisation --rule no.overtime_7d
    /// --parameter limit --value 540 --effective-from 2026-11-02 --reason
    /// "Stricter house rule"
    Set {
        /// The whole organisation.
        #[arg(
            long,
            conflicts_with = "employee",
            required_unless_present = "employee"
        )]
        organisation: bool,
        /// One employee.
        #[arg(long)]
        employee: Option<String>,
        #[arg(long, default_value = "no-aml")]
        rule_pack: String,
        #[arg(long)]
        rule: String,
        #[arg(long)]
        parameter: String,
        #[arg(long, allow_negative_numbers = true)]
        value: i64,
        /// First date it applies (default: always).
        #[arg(long, value_name = "YYYY-MM-DD")]
        effective_from: Option<NaiveDate>,
        #[arg(long)]
        reason: String,
    },
    /// List overrides.
    ///
    /// Example: tidsvakt override list
    List {
        #[arg(long)]
        employee: Option<String>,
    },
    /// Delete an override.
    ///
    /// Example: tidsvakt override delete --override 2e3f…
    Delete {
        #[arg(long = "override")]
        id: String,
    },
}

/// A refusal naming the flag it came from: the server names its field
/// (`schedule.valid_to: is before valid_from`); `renames` maps the field's
/// last part to a flag where the two differ.
fn refused(s: &Status, renames: &[(&str, &str)]) -> anyhow::Error {
    let message = s.message();
    match (s.code(), message.split_once(": ")) {
        (
            Code::InvalidArgument | Code::FailedPrecondition | Code::NotFound,
            Some((field, reason)),
        ) if !field.contains(' ') => {
            let leaf = field
                .rsplit('.')
                .next()
                .unwrap_or(field)
                .split('[')
                .next()
                .unwrap_or_default();
            let flag = renames
                .iter()
                .find(|(f, _)| *f == leaf)
                .map_or_else(|| leaf.replace('_', "-"), |(_, flag)| (*flag).to_owned());
            anyhow!("{:?}: --{flag}: {reason}", s.code())
        }
        _ => anyhow!("{:?}: {message}", s.code()),
    }
}

fn date_text(d: Option<&pb::LocalDate>) -> String {
    d.map_or_else(
        || "-".to_owned(),
        |d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
    )
}

fn time_pb(t: NaiveTime) -> pb::LocalTime {
    use chrono::Timelike as _;
    pb::LocalTime {
        hours: i32::try_from(t.hour()).unwrap_or_default(),
        minutes: i32::try_from(t.minute()).unwrap_or_default(),
    }
}

fn time_text(t: Option<&pb::LocalTime>) -> String {
    t.map_or_else(String::new, |t| format!("{:02}:{:02}", t.hours, t.minutes))
}

fn span_text(a: Option<&pb::LocalTime>, b: Option<&pb::LocalTime>) -> String {
    match (a, b) {
        (Some(_), Some(_)) => format!("{}-{}", time_text(a), time_text(b)),
        _ => "-".to_owned(),
    }
}

#[allow(clippy::unnecessary_wraps)] // the requests' `page` field is an Option
fn page() -> Option<pb::PageRequest> {
    Some(pb::PageRequest {
        page_size: 500,
        page_token: String::new(),
    })
}

fn enum_text(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix)
        .to_lowercase()
        .replace('_', " ")
}

/// Runs `schedule …` and returns what it prints.
///
/// # Errors
/// When the server cannot be reached or refuses.
#[allow(clippy::too_many_lines)] // one arm per subcommand, each a request and its output
pub async fn schedule(conn: &Connection, action: ScheduleAction) -> anyhow::Result<String> {
    let mut client = AdminServiceClient::new(conn.channel().await?);
    let mut out = String::new();
    match action {
        ScheduleAction::Set(a) => {
            let normal = day_normal_minutes(a.start, a.end, a.break_minutes, a.breaks_paid);
            let renames = [
                ("employee_id", "employee"),
                ("valid_from", "from"),
                ("valid_to", "to"),
                ("weekday", "days"),
                ("normal_minutes", "end"),
                ("core_start", "core"),
                ("core_end", "core"),
                ("flex_frame_start", "flex"),
                ("flex_frame_end", "flex"),
            ];
            for employee in &a.employee {
                let s = client
                    .set_schedule(
                        conn.request(pb::SetScheduleRequest {
                            schedule: Some(pb::Schedule {
                                employee_id: employee.clone(),
                                valid_from: Some(date_pb(a.from)),
                                valid_to: a.to.map(date_pb),
                                days: a
                                    .days
                                    .0
                                    .iter()
                                    .map(|w| pb::ScheduleDay {
                                        weekday: *w,
                                        normal_minutes: normal,
                                        start: Some(time_pb(a.start)),
                                        end: Some(time_pb(a.end)),
                                        break_minutes: a.break_minutes,
                                    })
                                    .collect(),
                                breaks_paid: a.breaks_paid,
                                core_start: a.core.map(|c| time_pb(c.0)),
                                core_end: a.core.map(|c| time_pb(c.1)),
                                flex_frame_start: a.flex.map(|c| time_pb(c.0)),
                                flex_frame_end: a.flex.map(|c| time_pb(c.1)),
                                ..Default::default()
                            }),
                        })?,
                    )
                    .await
                    .map_err(|s| refused(&s, &renames))?
                    .into_inner()
                    .schedule
                    .unwrap_or_default();
                writeln!(
                    out,
                    "set schedule {} for {} from {}",
                    s.schedule_id,
                    s.employee_id,
                    date_text(s.valid_from.as_ref())
                )?;
            }
        }
        ScheduleAction::List { employee } => {
            let r = client
                .list_schedules(conn.request(pb::ListSchedulesRequest {
                    employee_id: employee.unwrap_or_default(),
                    page: page(),
                    ..Default::default()
                })?)
                .await
                .map_err(|s| refused(&s, &[("employee_id", "employee")]))?
                .into_inner();
            writeln!(
                out,
                "{:<36}  {:<10}  {:<10}  {:<27}  {:<11}  {:>5}  {:<11}  flex",
                "employee", "from", "to", "days", "hours", "break", "core"
            )?;
            for s in r.schedules {
                const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
                let days: Vec<&str> = s
                    .days
                    .iter()
                    .filter_map(|d| DAYS.get(usize::try_from(d.weekday - 1).ok()?).copied())
                    .collect();
                let first = s.days.first();
                writeln!(
                    out,
                    "{:<36}  {:<10}  {:<10}  {:<27}  {:<11}  {:>5}  {:<11}  {}",
                    s.employee_id,
                    date_text(s.valid_from.as_ref()),
                    date_text(s.valid_to.as_ref()),
                    days.join(","),
                    span_text(
                        first.and_then(|d| d.start.as_ref()),
                        first.and_then(|d| d.end.as_ref())
                    ),
                    first.map_or(0, |d| d.break_minutes),
                    span_text(s.core_start.as_ref(), s.core_end.as_ref()),
                    span_text(s.flex_frame_start.as_ref(), s.flex_frame_end.as_ref()),
                )?;
            }
        }
    }
    Ok(out)
}

/// Runs `agreement …` and returns what it prints.
///
/// # Errors
/// When the server cannot be reached or refuses.
#[allow(clippy::too_many_lines)] // one arm per subcommand, each a request and its output
pub async fn agreement(conn: &Connection, action: AgreementAction) -> anyhow::Result<String> {
    use pb::agreement::Terms;
    let mut client = AdminServiceClient::new(conn.channel().await?);
    let mut out = String::new();
    match action {
        AgreementAction::Create(a) => {
            let terms = match a.kind {
                AgreementKindArg::HomeOffice => Terms::HomeOffice(pb::HomeOfficeTerms {
                    max_home_share_percent: a.home_share,
                    ..Default::default()
                }),
                AgreementKindArg::ExtendedOvertime => {
                    Terms::ExtendedOvertime(pb::ExtendedOvertimeTerms {
                        overtime_7d_limit_minutes: a.overtime_7d,
                        overtime_4w_limit_minutes: a.overtime_4w,
                        overtime_52w_limit_minutes: a.overtime_52w,
                        overtime_26w_limit_minutes: a.overtime_26w,
                    })
                }
                AgreementKindArg::Averaging => Terms::Averaging(pb::AveragingTerms {
                    period_weeks: a.period_weeks,
                    daily_cap_minutes: a.daily_cap,
                    weekly_cap_minutes: a.weekly_cap,
                }),
                AgreementKindArg::ReducedRest => Terms::ReducedRest(pb::ReducedRestTerms {
                    daily_rest_minutes: a.daily_rest,
                    weekly_rest_minutes: a.weekly_rest,
                }),
            };
            let stored = client
                .create_agreement(conn.request(pb::CreateAgreementRequest {
                    agreement: Some(pb::Agreement {
                        employee_id: a.employee,
                        basis: match a.basis {
                            BasisArg::Individual => pb::AgreementBasis::Individual,
                            BasisArg::TariffRepresentatives => {
                                pb::AgreementBasis::TariffRepresentatives
                            }
                            BasisArg::LabourInspectorate => pb::AgreementBasis::LabourInspectorate,
                        } as i32,
                        valid_from: Some(date_pb(a.from)),
                        valid_to: a.to.map(date_pb),
                        reference: a.reference,
                        terms: Some(terms),
                        ..Default::default()
                    }),
                })?)
                .await
                .map_err(|s| {
                    refused(
                        &s,
                        &[
                            ("employee_id", "employee"),
                            ("valid_from", "from"),
                            ("valid_to", "to"),
                            ("terms", "kind"),
                            ("max_home_share_percent", "home-share"),
                            ("overtime_7d_limit_minutes", "overtime-7d"),
                            ("overtime_4w_limit_minutes", "overtime-4w"),
                            ("overtime_52w_limit_minutes", "overtime-52w"),
                            ("overtime_26w_limit_minutes", "overtime-26w"),
                            ("daily_cap_minutes", "daily-cap"),
                            ("weekly_cap_minutes", "weekly-cap"),
                            ("daily_rest_minutes", "daily-rest"),
                            ("weekly_rest_minutes", "weekly-rest"),
                        ],
                    )
                })?
                .into_inner()
                .agreement
                .unwrap_or_default();
            writeln!(
                out,
                "created agreement {} for {} from {} to {}",
                stored.agreement_id,
                stored.employee_id,
                date_text(stored.valid_from.as_ref()),
                date_text(stored.valid_to.as_ref())
            )?;
        }
        AgreementAction::List { employee } => {
            let r = client
                .list_agreements(conn.request(pb::ListAgreementsRequest {
                    employee_id: employee.unwrap_or_default(),
                    page: page(),
                    ..Default::default()
                })?)
                .await
                .map_err(|s| refused(&s, &[("employee_id", "employee")]))?
                .into_inner();
            writeln!(
                out,
                "{:<36}  {:<36}  {:<17}  {:<22}  {:<10}  {:<10}  status",
                "agreement", "employee", "kind", "basis", "from", "to"
            )?;
            for a in r.agreements {
                let kind = match &a.terms {
                    Some(Terms::HomeOffice(_)) => "home office",
                    Some(Terms::ExtendedOvertime(_)) => "extended overtime",
                    Some(Terms::Averaging(_)) => "averaging",
                    Some(Terms::ReducedRest(_)) => "reduced rest",
                    None => "-",
                };
                writeln!(
                    out,
                    "{:<36}  {:<36}  {:<17}  {:<22}  {:<10}  {:<10}  {}",
                    a.agreement_id,
                    a.employee_id,
                    kind,
                    enum_text(a.basis().as_str_name(), "AGREEMENT_BASIS_"),
                    date_text(a.valid_from.as_ref()),
                    date_text(a.valid_to.as_ref()),
                    if a.ended_at.is_some() {
                        "ended"
                    } else {
                        "valid"
                    }
                )?;
            }
        }
        AgreementAction::End {
            agreement,
            last_day,
            reason,
        } => {
            let a = client
                .end_agreement(conn.request(pb::EndAgreementRequest {
                    agreement_id: agreement,
                    last_day: Some(date_pb(last_day)),
                    reason,
                })?)
                .await
                .map_err(|s| refused(&s, &[("agreement_id", "agreement")]))?
                .into_inner()
                .agreement
                .unwrap_or_default();
            writeln!(
                out,
                "ended agreement {}; its last day is {}",
                a.agreement_id,
                date_text(a.valid_to.as_ref())
            )?;
        }
    }
    Ok(out)
}

/// Runs `absence …` and returns what it prints.
///
/// # Errors
/// When the server cannot be reached or refuses.
#[allow(clippy::too_many_lines)] // one arm per subcommand, each a request and its output
pub async fn absence(conn: &Connection, action: AbsenceAction) -> anyhow::Result<String> {
    let mut client = AdminServiceClient::new(conn.channel().await?);
    let mut out = String::new();
    let renames = [
        ("employee_id", "employee"),
        ("dates", "to"),
        ("start", "from"),
        ("end", "to"),
        ("absence_id", "absence"),
    ];
    match action {
        AbsenceAction::Add {
            employee,
            kind,
            from,
            to,
            minutes_per_day,
            note,
        } => {
            for e in employee {
                let a = client
                    .create_absence(conn.request(pb::CreateAbsenceRequest {
                        absence: Some(pb::Absence {
                            employee_id: e,
                            kind: match kind {
                                AbsenceKindArg::Sick => pb::AbsenceKind::Sick,
                                AbsenceKindArg::Vacation => pb::AbsenceKind::Vacation,
                                AbsenceKindArg::Leave => pb::AbsenceKind::Leave,
                                AbsenceKindArg::TimeOffInLieu => pb::AbsenceKind::TimeOffInLieu,
                            } as i32,
                            dates: Some(pb::LocalDateRange {
                                start: Some(date_pb(from)),
                                end: Some(date_pb(to)),
                            }),
                            minutes_per_day,
                            note: note.clone(),
                            ..Default::default()
                        }),
                    })?)
                    .await
                    .map_err(|s| refused(&s, &renames))?
                    .into_inner()
                    .absence
                    .unwrap_or_default();
                let dates = a.dates.unwrap_or_default();
                writeln!(
                    out,
                    "recorded absence {} ({}) for {} from {} to {}",
                    a.absence_id,
                    enum_text(
                        pb::AbsenceKind::try_from(a.kind)
                            .unwrap_or_default()
                            .as_str_name(),
                        "ABSENCE_KIND_"
                    ),
                    a.employee_id,
                    date_text(dates.start.as_ref()),
                    date_text(dates.end.as_ref())
                )?;
            }
        }
        AbsenceAction::List {
            employee,
            include_cancelled,
        } => {
            let r = client
                .list_absences(conn.request(pb::ListAbsencesRequest {
                    employee_id: employee.unwrap_or_default(),
                    include_cancelled,
                    page: page(),
                    ..Default::default()
                })?)
                .await
                .map_err(|s| refused(&s, &renames))?
                .into_inner();
            writeln!(
                out,
                "{:<36}  {:<36}  {:<16}  {:<10}  {:<10}  {:>7}  status",
                "absence", "employee", "kind", "from", "to", "min/day"
            )?;
            for a in r.absences {
                let dates = a.dates.unwrap_or_default();
                writeln!(
                    out,
                    "{:<36}  {:<36}  {:<16}  {:<10}  {:<10}  {:>7}  {}",
                    a.absence_id,
                    a.employee_id,
                    enum_text(a.kind().as_str_name(), "ABSENCE_KIND_"),
                    date_text(dates.start.as_ref()),
                    date_text(dates.end.as_ref()),
                    if a.minutes_per_day == 0 {
                        "all".to_owned()
                    } else {
                        a.minutes_per_day.to_string()
                    },
                    if a.cancelled_at.is_some() {
                        "cancelled"
                    } else {
                        "active"
                    }
                )?;
            }
        }
        AbsenceAction::Cancel { absence, reason } => {
            let a = client
                .cancel_absence(conn.request(pb::CancelAbsenceRequest {
                    absence_id: absence,
                    reason,
                })?)
                .await
                .map_err(|s| refused(&s, &renames))?
                .into_inner()
                .absence
                .unwrap_or_default();
            writeln!(out, "cancelled absence {}", a.absence_id)?;
        }
    }
    Ok(out)
}

/// Runs `holiday …` and returns what it prints.
///
/// # Errors
/// When the server cannot be reached or refuses.
#[allow(clippy::too_many_lines)] // one arm per subcommand, each a request and its output
pub async fn holiday(conn: &Connection, action: HolidayAction) -> anyhow::Result<String> {
    let mut client = AdminServiceClient::new(conn.channel().await?);
    let mut out = String::new();
    let renames = [
        ("holiday_id", "holiday"),
        ("start", "year"),
        ("end", "year"),
    ];
    match action {
        HolidayAction::Add {
            date,
            name,
            kind,
            window_start,
        } => {
            let h = client
                .add_holiday(conn.request(pb::AddHolidayRequest {
                    holiday: Some(pb::Holiday {
                        date: Some(date_pb(date)),
                        name,
                        kind: match kind {
                            HolidayKindArg::Public => pb::HolidayKind::Public,
                            HolidayKindArg::Eve => pb::HolidayKind::Eve,
                            HolidayKindArg::DayOff => pb::HolidayKind::DayOff,
                        } as i32,
                        window_start: window_start.map(time_pb),
                        ..Default::default()
                    }),
                })?)
                .await
                .map_err(|s| refused(&s, &renames))?
                .into_inner()
                .holiday
                .unwrap_or_default();
            writeln!(
                out,
                "added holiday {} ({}) on {}: {}",
                h.holiday_id,
                enum_text(h.kind().as_str_name(), "HOLIDAY_KIND_"),
                date_text(h.date.as_ref()),
                h.name
            )?;
        }
        HolidayAction::List { year } => {
            let (Some(from), Some(to)) = (
                NaiveDate::from_ymd_opt(year, 1, 1),
                NaiveDate::from_ymd_opt(year, 12, 31),
            ) else {
                anyhow::bail!("--year: {year} is not a year");
            };
            let r = client
                .list_holidays(conn.request(pb::ListHolidaysRequest {
                    dates: Some(pb::LocalDateRange {
                        start: Some(date_pb(from)),
                        end: Some(date_pb(to)),
                    }),
                })?)
                .await
                .map_err(|s| refused(&s, &renames))?
                .into_inner();
            writeln!(
                out,
                "{:<10}  {:<10}  {:<6}  {:<12}  {:<36}  name",
                "date", "kind", "window", "source", "holiday"
            )?;
            for h in r.holidays {
                writeln!(
                    out,
                    "{:<10}  {:<10}  {:<6}  {:<12}  {:<36}  {}",
                    date_text(h.date.as_ref()),
                    enum_text(h.kind().as_str_name(), "HOLIDAY_KIND_"),
                    if h.window_start.is_some() {
                        time_text(h.window_start.as_ref())
                    } else {
                        "-".to_owned()
                    },
                    enum_text(h.source().as_str_name(), "HOLIDAY_SOURCE_"),
                    if h.holiday_id.is_empty() {
                        "-"
                    } else {
                        &h.holiday_id
                    },
                    h.name
                )?;
            }
        }
        HolidayAction::Remove { holiday } => {
            let h = client
                .remove_holiday(conn.request(pb::RemoveHolidayRequest {
                    holiday_id: holiday,
                })?)
                .await
                .map_err(|s| refused(&s, &renames))?
                .into_inner()
                .holiday
                .unwrap_or_default();
            writeln!(
                out,
                "removed holiday {} on {}: {}",
                h.holiday_id,
                date_text(h.date.as_ref()),
                h.name
            )?;
        }
    }
    Ok(out)
}

/// Runs `override …` and returns what it prints.
///
/// # Errors
/// When the server cannot be reached or refuses.
#[allow(clippy::too_many_lines)] // one arm per subcommand, each a request and its output
pub async fn rule_override(conn: &Connection, action: OverrideAction) -> anyhow::Result<String> {
    use pb::rule_override::Scope;
    let mut client = AdminServiceClient::new(conn.channel().await?);
    let mut out = String::new();
    let renames = [
        ("employee_id", "employee"),
        ("scope", "organisation"),
        ("rule_id", "rule"),
        ("unit", "parameter"),
        ("override_id", "override"),
    ];
    let scope_text = |s: Option<&Scope>| match s {
        Some(Scope::EmployeeId(e)) => e.clone(),
        _ => "organisation".to_owned(),
    };
    match action {
        OverrideAction::Set {
            organisation,
            employee,
            rule_pack,
            rule,
            parameter,
            value,
            effective_from,
            reason,
        } => {
            // The unit is the parameter's own, from the catalog; an unknown
            // parameter is left to the server to refuse, naming it.
            let unit = catalog::param(&rule_pack, &rule, &parameter).map_or(0, |p| unit_pb(p.unit));
            let r = client
                .set_rule_override(conn.request(pb::SetRuleOverrideRequest {
                    rule_override: Some(pb::RuleOverride {
                        scope: Some(match employee {
                            Some(e) if !organisation => Scope::EmployeeId(e),
                            _ => Scope::Organisation(true),
                        }),
                        rule_pack,
                        rule_id: rule,
                        parameter,
                        value,
                        unit,
                        reason,
                        effective_from: effective_from.map(date_pb),
                        ..Default::default()
                    }),
                })?)
                .await
                .map_err(|s| refused(&s, &renames))?
                .into_inner();
            let o = r.rule_override.unwrap_or_default();
            writeln!(
                out,
                "{} override {} for {}: {} {} = {} from {}",
                if r.replaced { "replaced" } else { "set" },
                o.override_id,
                scope_text(o.scope.as_ref()),
                o.rule_id,
                o.parameter,
                o.value,
                date_text(o.effective_from.as_ref())
            )?;
        }
        OverrideAction::List { employee } => {
            let r = client
                .list_rule_overrides(conn.request(pb::ListRuleOverridesRequest {
                    employee_id: employee.unwrap_or_default(),
                    page: page(),
                    ..Default::default()
                })?)
                .await
                .map_err(|s| refused(&s, &renames))?
                .into_inner();
            writeln!(
                out,
                "{:<36}  {:<36}  {:<22}  {:<12}  {:>8}  {:<10}  reason",
                "override", "scope", "rule", "parameter", "value", "from"
            )?;
            for o in r.overrides {
                writeln!(
                    out,
                    "{:<36}  {:<36}  {:<22}  {:<12}  {:>8}  {:<10}  {}",
                    o.override_id,
                    scope_text(o.scope.as_ref()),
                    o.rule_id,
                    o.parameter,
                    o.value,
                    date_text(o.effective_from.as_ref()),
                    o.reason
                )?;
            }
        }
        OverrideAction::Delete { id } => {
            let o = client
                .delete_rule_override(
                    conn.request(pb::DeleteRuleOverrideRequest { override_id: id })?,
                )
                .await
                .map_err(|s| refused(&s, &renames))?
                .into_inner()
                .rule_override
                .unwrap_or_default();
            writeln!(
                out,
                "deleted override {} ({} {})",
                o.override_id, o.rule_id, o.parameter
            )?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_field_is_named_as_its_flag() {
        let s = Status::invalid_argument("schedule.valid_to: is before valid_from");
        assert_eq!(
            refused(&s, &[("valid_to", "to")]).to_string(),
            "InvalidArgument: --to: is before valid_from"
        );
        let s = Status::invalid_argument(
            "agreement.extended_overtime.overtime_7d_limit_minutes: 1300 is outside 0..1200",
        );
        assert_eq!(
            refused(&s, &[("overtime_7d_limit_minutes", "overtime-7d")]).to_string(),
            "InvalidArgument: --overtime-7d: 1300 is outside 0..1200"
        );
        let s = Status::permission_denied("this needs an ADMIN token");
        assert_eq!(
            refused(&s, &[]).to_string(),
            "PermissionDenied: this needs an ADMIN token"
        );
    }

    #[test]
    fn weekdays_and_times_parse_or_say_what_is_expected() {
        assert_eq!(weekdays("mon,Fri").unwrap().0, [1, 5]);
        assert_eq!(
            weekdays("mon,xyz").unwrap_err(),
            "'xyz' is not a weekday; use mon,tue,wed,thu,fri,sat,sun"
        );
        assert!(hhmm("8").is_err());
        assert_eq!(
            hhmm_span("09:00-14:30").unwrap(),
            (
                NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(14, 30, 0).unwrap()
            )
        );
    }
}
