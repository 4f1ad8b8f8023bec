//! *My time* and a report's timesheet: a week or a month of days with
//! intervals, breaks, worked, scheduled, flex and its balance, absences and
//! holidays, and every finding explained with its citation. The figures are
//! `GetTimesheet`'s, so the page and the RPC cannot disagree.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike as _, Duration, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::WebState;
use super::error::WebError;
use super::format;
use super::i18n::word;
use super::now::monday;
use super::session::Person;
use super::view;
use crate::domain::employee::Locale;
use crate::domain::ids::EmployeeId;
use crate::domain::rules::names;
use crate::grpc::timesheet_convert::date_pb;
use crate::grpc::{Ctx, timesheet_service};
use crate::jobs::words;
use crate::links;
use crate::pb;

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    pub week: Option<String>,
    pub month: Option<String>,
}

/// The dates a page shows, and the neighbours' queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub is_month: bool,
}

impl Period {
    /// Parses `week=2026-W49` or `month=2026-12`; neither means the week of
    /// `today`. A malformed value is an error naming the parameter.
    pub fn parse(q: &PeriodQuery, today: NaiveDate) -> Result<Self, String> {
        if let Some(m) = q.month.as_deref().filter(|s| !s.is_empty()) {
            let (y, mo) = m
                .split_once('-')
                .and_then(|(y, mo)| Some((y.parse::<i32>().ok()?, mo.parse::<u32>().ok()?)))
                .ok_or_else(|| format!("month: '{m}' is not YYYY-MM"))?;
            let start = NaiveDate::from_ymd_opt(y, mo, 1)
                .filter(|_| (1900..=9999).contains(&y))
                .ok_or_else(|| format!("month: '{m}' is not a month"))?;
            let next = if mo == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y, mo + 1, 1)
            }
            .ok_or_else(|| format!("month: '{m}' is not a month"))?;
            return Ok(Self {
                start,
                end: next - Duration::days(1),
                is_month: true,
            });
        }
        if let Some(w) = q.week.as_deref().filter(|s| !s.is_empty()) {
            let (y, n) = w
                .split_once("-W")
                .and_then(|(y, n)| Some((y.parse::<i32>().ok()?, n.parse::<u32>().ok()?)))
                .ok_or_else(|| format!("week: '{w}' is not YYYY-Www"))?;
            let start = NaiveDate::from_isoywd_opt(y, n, chrono::Weekday::Mon)
                .filter(|_| (1900..=9999).contains(&y))
                .ok_or_else(|| format!("week: '{w}' is not a week"))?;
            return Ok(Self {
                start,
                end: start + Duration::days(6),
                is_month: false,
            });
        }
        let start = monday(today);
        Ok(Self {
            start,
            end: start + Duration::days(6),
            is_month: false,
        })
    }

    fn query(&self) -> String {
        if self.is_month {
            format!("month={:04}-{:02}", self.start.year(), self.start.month())
        } else {
            format!("week={}", links::iso_week(self.start))
        }
    }

    fn previous(&self) -> Self {
        if self.is_month {
            let p = self.start - Duration::days(1);
            Self::month_of(p)
        } else {
            self.shifted(-7)
        }
    }

    fn next(&self) -> Self {
        if self.is_month {
            Self::month_of(self.end + Duration::days(1))
        } else {
            self.shifted(7)
        }
    }

    fn shifted(&self, days: i64) -> Self {
        Self {
            start: self.start + Duration::days(days),
            end: self.end + Duration::days(days),
            is_month: false,
        }
    }

    fn month_of(d: NaiveDate) -> Self {
        let q = PeriodQuery {
            week: None,
            month: Some(format!("{:04}-{:02}", d.year(), d.month())),
        };
        Self::parse(&q, d).unwrap_or(Self {
            start: d,
            end: d,
            is_month: true,
        })
    }

    fn label(&self, l: Locale) -> String {
        if self.is_month {
            let s = words::long_date(l, self.start);
            // "tirsdag 1. desember 2026" → "desember 2026".
            s.split_whitespace()
                .rev()
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            words::week_label(l, self.start)
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BreakView {
    pub from: String,
    pub to: String,
    pub length: String,
}

#[derive(Debug, Serialize)]
pub struct IntervalView {
    pub from: String,
    pub to: String,
    pub open: bool,
    pub location: String,
    pub worked: String,
    pub breaks: Vec<BreakView>,
    pub amended: bool,
}

#[derive(Debug, Serialize)]
pub struct FindingRef {
    pub id: String,
    pub tone: &'static str,
}

#[derive(Debug, Serialize)]
struct DayView {
    date: String,
    label: String,
    link: String,
    weekend: bool,
    holiday: String,
    intervals: Vec<IntervalView>,
    worked: String,
    scheduled: String,
    flex: String,
    balance: String,
    absences: Vec<String>,
    findings: Vec<FindingRef>,
    worked_minutes: i64,
}

#[derive(Debug, Serialize)]
pub struct FindingView {
    pub id: String,
    pub name: String,
    pub severity: String,
    pub tone: &'static str,
    pub resolved: bool,
    pub when: String,
    pub explanation: String,
    pub citation: String,
    pub day_link: String,
}

#[derive(Debug, Serialize)]
struct TimeView {
    heading: String,
    period: String,
    base: String,
    query: String,
    prev: String,
    next: String,
    this_week: String,
    this_month: String,
    is_month: bool,
    time_zone: String,
    days: Vec<DayView>,
    totals: Vec<(String, String)>,
    balance_start: String,
    balance_end: String,
    findings: Vec<FindingView>,
}

pub fn interval_view(l: Locale, tz: Tz, i: &pb::WorkInterval) -> IntervalView {
    let at = |t: Option<&prost_types::Timestamp>| {
        format::ts(t)
            .map(|t| format::clock(tz, t))
            .unwrap_or_default()
    };
    IntervalView {
        from: at(i.start.as_ref()),
        to: if i.open {
            word(l, "open").into()
        } else {
            at(i.end.as_ref())
        },
        open: i.open,
        location: format::location(l, i.location).into(),
        worked: format::minutes(l, i.worked_minutes_on_day),
        breaks: i
            .breaks
            .iter()
            .map(|b| BreakView {
                from: at(b.start.as_ref()),
                to: at(b.end.as_ref()),
                length: format::minutes(l, b.minutes),
            })
            .collect(),
        amended: i.amended,
    }
}

pub fn finding_view(l: Locale, tz: Tz, f: &pb::Finding, day_link: String) -> FindingView {
    let (severity, tone) = format::severity(l, f.severity);
    FindingView {
        id: f.finding_id.clone(),
        name: names::name(&f.rule_id, l).into(),
        severity: severity.into(),
        tone,
        resolved: f.status == pb::FindingStatus::Resolved as i32,
        when: format::ts(f.at.as_ref())
            .map(|t| format::instant(l, tz, t))
            .unwrap_or_default(),
        explanation: f.explanation.clone(),
        citation: f.citation.clone(),
        day_link,
    }
}

/// The local day a finding is shown on: the day of its `at`.
pub fn finding_day(tz: Tz, f: &pb::Finding) -> Option<NaiveDate> {
    format::ts(f.at.as_ref()).map(|t| t.with_timezone(&tz).date_naive())
}

pub fn pb_date(d: Option<&pb::LocalDate>) -> Option<NaiveDate> {
    d.and_then(|d| {
        NaiveDate::from_ymd_opt(
            d.year,
            u32::try_from(d.month).ok()?,
            u32::try_from(d.day).ok()?,
        )
    })
}

/// Reads the timesheet through the use case and lays it out.
#[allow(clippy::too_many_lines)] // one view model, laid out field by field
async fn render_time(
    ctx: &Ctx,
    person: &Person,
    employee: EmployeeId,
    q: &PeriodQuery,
    own: bool,
) -> Result<Response, WebError> {
    let l = person.locale;
    // "This week" is the reader's week.
    let viewer_tz = person
        .employee
        .as_ref()
        .map_or(chrono_tz::Europe::Oslo, |e| e.fields.time_zone);
    let today = ctx.clock.now().with_timezone(&viewer_tz).date_naive();
    let period = Period::parse(q, today).map_err(|why| WebError::BadRequest(l, why))?;
    // The use case checks that this person may read the record: a
    // colleague's is PERMISSION_DENIED, another organisation's NOT_FOUND.
    let sheet = timesheet_service::get_timesheet(
        ctx,
        &person.caller,
        pb::GetTimesheetRequest {
            employee_id: employee.to_string(),
            dates: Some(pb::LocalDateRange {
                start: Some(date_pb(period.start)),
                end: Some(date_pb(period.end)),
            }),
        },
    )
    .await
    .map_err(|e| person.fail(e))?;
    let tz: Tz = sheet.time_zone.parse().unwrap_or(viewer_tz);
    // The reader's own record is at hand; another's is read once access
    // was granted above.
    let target = match person.employee.as_ref().filter(|e| e.id == employee) {
        Some(me) => me.clone(),
        None => ctx
            .employee(&person.caller, employee, "employee")
            .await
            .map_err(|e| person.fail(e))?,
    };
    let base = if own {
        "/time".to_owned()
    } else {
        format!("/people/{employee}/time")
    };
    let day_link = |d: NaiveDate| format!("{base}/{d}");
    let days = sheet
        .days
        .iter()
        .filter_map(|d| {
            let date = pb_date(d.date.as_ref())?;
            Some(DayView {
                date: date.to_string(),
                label: format::date(l, date),
                link: day_link(date),
                weekend: date.weekday().number_from_monday() >= 6,
                holiday: d.holiday_name.clone(),
                intervals: d
                    .intervals
                    .iter()
                    .map(|i| interval_view(l, tz, i))
                    .collect(),
                worked: format::minutes(l, d.worked_minutes),
                scheduled: format::minutes(l, d.scheduled_minutes),
                flex: format::signed_minutes(l, d.flex_minutes),
                balance: format::signed_minutes(l, d.flex_balance_minutes),
                absences: d
                    .absences
                    .iter()
                    .map(|a| {
                        format!(
                            "{} {}",
                            format::absence(l, a.kind),
                            format::minutes(l, a.minutes)
                        )
                    })
                    .collect(),
                findings: d
                    .finding_ids
                    .iter()
                    .map(|id| FindingRef {
                        id: id.clone(),
                        tone: sheet
                            .findings
                            .iter()
                            .find(|f| &f.finding_id == id)
                            .map_or("pattern", |f| format::severity(l, f.severity).1),
                    })
                    .collect(),
                worked_minutes: d.worked_minutes,
            })
        })
        .collect();
    let t = sheet.totals.clone().unwrap_or_default();
    let mut totals = vec![
        (
            word(l, "worked").to_owned(),
            format::minutes(l, t.worked_minutes),
        ),
        (
            word(l, "scheduled").to_owned(),
            format::minutes(l, t.scheduled_minutes),
        ),
        (
            word(l, "flex").to_owned(),
            format::signed_minutes(l, t.flex_minutes),
        ),
        (
            word(l, "overtime").to_owned(),
            format::minutes(l, t.overtime_minutes),
        ),
        (
            word(l, "night").to_owned(),
            format::minutes(l, t.night_minutes),
        ),
        (
            word(l, "sunday_holiday").to_owned(),
            format::minutes(l, t.sunday_holiday_minutes),
        ),
        (
            word(l, "home").to_owned(),
            format::minutes(l, t.home_minutes),
        ),
    ];
    for a in &t.absences {
        totals.push((
            format::absence(l, a.kind).to_owned(),
            format::minutes(l, a.minutes),
        ));
    }
    let mut findings: Vec<FindingView> = sheet
        .findings
        .iter()
        .map(|f| {
            let link = finding_day(tz, f).map(&day_link).unwrap_or_default();
            finding_view(l, tz, f, format!("{link}#finding-{}", f.finding_id))
        })
        .collect();
    // Legal first, open before resolved.
    findings.sort_by_key(|f| (f.tone != "violation", f.tone != "warning", f.resolved));
    let now_week = monday(today);
    let v = TimeView {
        heading: if own {
            word(l, "time_title").to_owned()
        } else {
            format!("{} {}", word(l, "timesheet_of"), target.fields.name)
        },
        period: period.label(l),
        query: period.query(),
        prev: format!("{base}?{}", period.previous().query()),
        next: format!("{base}?{}", period.next().query()),
        this_week: format!("{base}?week={}", links::iso_week(now_week)),
        this_month: format!("{base}?month={:04}-{:02}", today.year(), today.month()),
        base,
        is_month: period.is_month,
        time_zone: sheet.time_zone.clone(),
        days,
        totals,
        balance_start: format::signed_minutes(l, sheet.flex_balance_start_minutes),
        balance_end: format::signed_minutes(l, sheet.flex_balance_end_minutes),
        findings,
    };
    let title = v.heading.clone();
    Ok(view::render(
        StatusCode::OK,
        "time.html.j2",
        l,
        &person.chrome(if own { "time" } else { "team" }),
        &title,
        &v,
    ))
}

/// `GET /time`: my own week or month.
pub async fn page(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let id = person.own()?.id;
    render_time(&state.ctx, &person, id, &q, true).await
}

/// `GET /people/{employee}/time`: a report's timesheet, read only.
pub async fn person_page(
    State(state): State<WebState>,
    person: Person,
    Path(employee): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let id = uuid::Uuid::parse_str(&employee)
        .map(EmployeeId)
        .map_err(|_| WebError::NotFound(person.locale))?;
    let own = person.employee.as_ref().is_some_and(|e| e.id == id);
    render_time(&state.ctx, &person, id, &q, own).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_parse_weeks_months_and_default_to_this_week() {
        let today = d(2026, 12, 3);
        let none = PeriodQuery::default();
        assert_eq!(
            Period::parse(&none, today).unwrap(),
            Period {
                start: d(2026, 11, 30),
                end: d(2026, 12, 6),
                is_month: false
            }
        );
        let feb = PeriodQuery {
            week: None,
            month: Some("2028-02".into()),
        };
        assert_eq!(Period::parse(&feb, today).unwrap().end, d(2028, 2, 29));
        let w53 = PeriodQuery {
            week: Some("2026-W53".into()),
            month: None,
        };
        assert_eq!(Period::parse(&w53, today).unwrap().start, d(2026, 12, 28));
        assert_eq!(
            Period::parse(&w53, today).unwrap().next().start,
            d(2027, 1, 4)
        );
        for bad in ["2026-13", "x", "0000-01"] {
            let q = PeriodQuery {
                week: None,
                month: Some(bad.into()),
            };
            assert!(
                Period::parse(&q, today).unwrap_err().starts_with("month:"),
                "{bad}"
            );
        }
        let q = PeriodQuery {
            week: Some("2025-W53".into()),
            month: None,
        };
        assert!(Period::parse(&q, today).unwrap_err().starts_with("week:"));
    }
}
