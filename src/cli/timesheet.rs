//! `tidsvakt timesheet` and `tidsvakt headroom`: read the working-time record
//! through `TimesheetService` and print it with [`super::timesheet_render`].
//!
//! Every flag is checked before any network call: a week, month or date
//! that does not exist, `--from` after `--to`, or two ways of choosing the
//! dates at once are refused with a message naming the flag.

use anyhow::anyhow;
use chrono::{DateTime, Datelike as _, Months, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use clap::Args;
use uuid::Uuid;

use super::client::{Connection, explain};
use super::timesheet_render::{render_headroom, render_timesheet};
use crate::grpc::convert::timestamp;
use crate::pb;
use crate::pb::timesheet_service_client::TimesheetServiceClient;

/// The most days one `GetTimesheet` may cover.
const MAX_DAYS: i64 = 366;

/// Which local dates a timesheet covers. At most one of `--week`, `--month`
/// and `--from`/`--to`; none means the current ISO week (of today's UTC
/// date).
#[derive(Debug, Args)]
pub struct TimesheetArgs {
    /// Employee id (UUID).
    #[arg(long)]
    pub employee: Uuid,
    /// An ISO week, e.g. 2026-W47 (Monday to Sunday). Default: the current
    /// ISO week, by today's date in UTC.
    #[arg(long, value_name = "YYYY-Www", value_parser = parse_week, conflicts_with_all = ["month", "from", "to"])]
    pub week: Option<NaiveDate>,
    /// A calendar month, e.g. 2026-11.
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month, conflicts_with_all = ["from", "to"])]
    pub month: Option<NaiveDate>,
    /// First local date, e.g. 2026-11-01 (with --to).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, requires = "to")]
    pub from: Option<NaiveDate>,
    /// Last local date, inclusive, e.g. 2026-11-30 (with --from).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, requires = "from")]
    pub to: Option<NaiveDate>,
}

/// What `tidsvakt headroom` asks.
#[derive(Debug, Args)]
pub struct HeadroomArgs {
    /// Employee id (UUID).
    #[arg(long)]
    pub employee: Uuid,
    /// The instant to evaluate, RFC 3339, e.g. 2026-11-23T10:00:00Z
    /// (default: now).
    #[arg(long)]
    pub at: Option<DateTime<Utc>>,
    /// Also show instants in this IANA time zone, e.g. Europe/Oslo.
    #[arg(long, env = "TIDSVAKT_TZ", value_parser = parse_tz)]
    pub tz: Option<Tz>,
}

/// `2026-W47` → the Monday of that ISO week.
fn parse_week(s: &str) -> Result<NaiveDate, String> {
    let bad = || format!("'{s}' is not an ISO week like 2026-W47");
    let (year, week) = s
        .split_once(['-'])
        .and_then(|(y, w)| Some((y, w.strip_prefix(['W', 'w'])?)))
        .ok_or_else(bad)?;
    if year.len() != 4 || week.is_empty() || week.len() > 2 {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let week: u32 = week.parse().map_err(|_| bad())?;
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(|| {
        // 28 December is always in the last ISO week of its year.
        let weeks = NaiveDate::from_ymd_opt(year, 12, 28).map_or(52, |d| d.iso_week().week());
        format!("week {week} does not exist: {year} has weeks 1 to {weeks}")
    })
}

/// `2026-11` → 1 November 2026.
fn parse_month(s: &str) -> Result<NaiveDate, String> {
    let bad = || format!("'{s}' is not a month like 2026-11");
    let (year, month) = s.split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let month: u32 = month.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} does not exist: months are 01 to 12"));
    }
    NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("'{s}' is not a date like 2026-11-01 ({e})"))
}

fn parse_tz(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>()
        .map_err(|_| format!("'{s}' is not an IANA time zone like Europe/Oslo"))
}

impl TimesheetArgs {
    /// The first and last local date asked for; `today` decides the default
    /// week.
    pub fn dates(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), String> {
        let (start, end) = match (self.week, self.month, self.from, self.to) {
            (Some(monday), _, _, _) => (monday, monday + chrono::Days::new(6)),
            (None, Some(first), _, _) => {
                let last = first
                    .checked_add_months(Months::new(1))
                    .and_then(|d| d.pred_opt())
                    .ok_or_else(|| format!("--month {first}: out of range"))?;
                (first, last)
            }
            (None, None, Some(from), Some(to)) => {
                if from > to {
                    return Err(format!("--from {from} is after --to {to}"));
                }
                (from, to)
            }
            (None, None, Some(_), None) => return Err("--from needs --to".to_owned()),
            (None, None, None, Some(_)) => return Err("--to needs --from".to_owned()),
            (None, None, None, None) => {
                let monday =
                    today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
                (monday, monday + chrono::Days::new(6))
            }
        };
        let days = (end - start).num_days() + 1;
        if days > MAX_DAYS {
            return Err(format!(
                "--from {start} --to {end} spans {days} days; at most {MAX_DAYS} are allowed"
            ));
        }
        Ok((start, end))
    }
}

fn local_date(d: NaiveDate) -> pb::LocalDate {
    pb::LocalDate {
        year: d.year(),
        month: i32::try_from(d.month()).unwrap_or_default(),
        day: i32::try_from(d.day()).unwrap_or_default(),
    }
}

/// The `GetTimesheet` request for these flags, or why they are wrong.
pub fn timesheet_request(
    args: &TimesheetArgs,
    today: NaiveDate,
) -> Result<pb::GetTimesheetRequest, String> {
    let (start, end) = args.dates(today)?;
    Ok(pb::GetTimesheetRequest {
        employee_id: args.employee.to_string(),
        dates: Some(pb::LocalDateRange {
            start: Some(local_date(start)),
            end: Some(local_date(end)),
        }),
    })
}

/// Fetches and prints a timesheet.
pub async fn timesheet(conn: &Connection, args: &TimesheetArgs) -> anyhow::Result<()> {
    let request = timesheet_request(args, Utc::now().date_naive()).map_err(|e| anyhow!(e))?;
    let request = conn.request(request)?;
    let mut client = TimesheetServiceClient::new(conn.channel().await?);
    let r = client
        .get_timesheet(request)
        .await
        .map_err(explain)?
        .into_inner();
    print!("{}", render_timesheet(&r));
    Ok(())
}

/// Fetches and prints the headroom.
pub async fn headroom(conn: &Connection, args: &HeadroomArgs) -> anyhow::Result<()> {
    let request = conn.request(pb::GetHeadroomRequest {
        employee_id: args.employee.to_string(),
        at: args.at.map(timestamp),
    })?;
    let mut client = TimesheetServiceClient::new(conn.channel().await?);
    let r = client
        .get_headroom(request)
        .await
        .map_err(explain)?
        .into_inner();
    print!("{}", render_headroom(&r, args.tz));
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::client::ClientCommand;
    use crate::config::{Cli, Command};

    const EMP: &str = "c966f463-b4f7-48d3-807e-a1234f4a04dc";

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn parse(flags: &[&str]) -> Result<(Connection, TimesheetArgs), String> {
        let argv = ["tidsvakt", "timesheet", "--employee", EMP]
            .iter()
            .chain(flags)
            .copied();
        match Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .command
        {
            Command::Client(ClientCommand::Timesheet { conn, args }) => Ok((conn, args)),
            other => panic!("parsed as {other:?}"),
        }
    }

    /// The dates the flags ask for, `today` being Wednesday 25 Nov 2026.
    fn dates(flags: &[&str]) -> Result<(NaiveDate, NaiveDate), String> {
        parse(flags)?.1.dates(day("2026-11-25"))
    }

    #[test]
    fn good_dates() {
        let range = |a, b| Ok((day(a), day(b)));
        assert_eq!(dates(&[]), range("2026-11-23", "2026-11-29"));
        assert_eq!(
            dates(&["--week", "2026-W47"]),
            range("2026-11-16", "2026-11-22")
        );
        // ISO week 1 of 2026 starts in 2025; 2026 has 53 weeks.
        assert_eq!(
            dates(&["--week", "2026-W01"]),
            range("2025-12-29", "2026-01-04")
        );
        assert_eq!(
            dates(&["--week", "2026-W53"]),
            range("2026-12-28", "2027-01-03")
        );
        assert_eq!(
            dates(&["--month", "2026-11"]),
            range("2026-11-01", "2026-11-30")
        );
        assert_eq!(
            dates(&["--month", "2028-02"]),
            range("2028-02-01", "2028-02-29")
        );
        assert_eq!(
            dates(&["--from", "2026-11-01", "--to", "2026-11-30"]),
            range("2026-11-01", "2026-11-30")
        );
        assert_eq!(
            dates(&["--from", "2024-01-01", "--to", "2024-12-31"]),
            range("2024-01-01", "2024-12-31")
        );
    }

    /// Each bad input is refused with a message naming the flag.
    #[test]
    fn bad_dates_name_the_flag() {
        let err = |flags: &[&str]| dates(flags).unwrap_err();
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["--week", "2026-W60"],
                &["--week", "week 60 does not exist: 2026 has weeks 1 to 53"],
            ),
            (
                &["--week", "2027-W53"],
                &["--week", "week 53 does not exist: 2027 has weeks 1 to 52"],
            ),
            (&["--week", "2026-47"], &["--week", "not an ISO week"]),
            (
                &["--month", "2026-13"],
                &["--month", "month 13 does not exist"],
            ),
            (&["--month", "11-2026"], &["--month", "not a month"]),
            (
                &["--week", "2026-W47", "--month", "2026-11"],
                &["--week", "--month", "cannot be used with"],
            ),
            (
                &[
                    "--month",
                    "2026-11",
                    "--from",
                    "2026-11-01",
                    "--to",
                    "2026-11-02",
                ],
                &["--month", "--from", "cannot be used with"],
            ),
            (&["--from", "2026-11-01"], &["--to"]),
            (&["--from", "2026-11-31", "--to", "2026-12-01"], &["--from"]),
            (
                &["--from", "2026-11-30", "--to", "2026-11-01"],
                &["--from 2026-11-30 is after --to 2026-11-01"],
            ),
            (
                &["--from", "2024-01-01", "--to", "2025-01-01"],
                &["--from", "367 days; at most 366"],
            ),
        ];
        for (flags, wanted) in cases {
            let e = err(flags);
            for w in *wanted {
                assert!(e.contains(w), "{flags:?}: {e:?} does not contain {w:?}");
            }
        }
        let e = Cli::try_parse_from(["tidsvakt", "timesheet", "--employee", "kari"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--employee"), "{e}");
    }

    #[test]
    fn the_request_carries_the_dates() {
        let (_, args) = parse(&["--week", "2026-W47"]).unwrap();
        let r = timesheet_request(&args, day("2026-11-25")).unwrap();
        assert_eq!(r.employee_id, EMP);
        let dates = r.dates.unwrap();
        assert_eq!(
            dates.start,
            Some(pb::LocalDate {
                year: 2026,
                month: 11,
                day: 16
            })
        );
        assert_eq!(
            dates.end,
            Some(pb::LocalDate {
                year: 2026,
                month: 11,
                day: 22
            })
        );
    }

    /// Bad dates fail before any connection is tried: the server address
    /// here is unreachable, and the error is still about the flags.
    #[tokio::test]
    async fn bad_dates_fail_before_the_network() {
        let (mut conn, args) = parse(&["--from", "2026-11-30", "--to", "2026-11-01"]).unwrap();
        conn.addr = "http://127.0.0.1:1".into();
        conn.token = Some("tv1_x".into());
        let e = timesheet(&conn, &args).await.unwrap_err().to_string();
        assert_eq!(e, "--from 2026-11-30 is after --to 2026-11-01");
    }

    #[test]
    fn headroom_flags() {
        let parse = |flags: &[&str]| {
            let argv = ["tidsvakt", "headroom", "--employee", EMP]
                .iter()
                .chain(flags)
                .copied();
            Cli::try_parse_from(argv).map(|c| match c.command {
                Command::Client(ClientCommand::Headroom { args, .. }) => args,
                other => panic!("parsed as {other:?}"),
            })
        };
        let a = parse(&["--at", "2026-11-23T10:00:00Z", "--tz", "Europe/Oslo"]).unwrap();
        assert_eq!(a.at.unwrap().to_rfc3339(), "2026-11-23T10:00:00+00:00");
        assert_eq!(a.tz, Some(chrono_tz::Europe::Oslo));
        let e = parse(&["--tz", "Mars/Olympus"]).unwrap_err().to_string();
        assert!(
            e.contains("--tz") && e.contains("not an IANA time zone"),
            "{e}"
        );
        let e = parse(&["--at", "yesterday"]).unwrap_err().to_string();
        assert!(e.contains("--at"), "{e}");
    }
}
