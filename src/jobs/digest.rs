//! The weekly digest: which digests are due (exactly once per manager per
//! week, by a unique key), and what one says — read from storage, computed
//! by `domain::digest`, worded here for the mail templates.

use std::collections::BTreeMap;

use crate::domain::engine::minutes::round_minutes;
use crate::domain::rules::pack::RulePack;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::digest::{self, DayFigures, Digest, ReportInput};
use crate::domain::employee::{Employee, Locale};
use crate::domain::engine::days::Plan;
use crate::domain::engine::finding::Severity;
use crate::domain::engine::params::Params;
use crate::domain::engine::reconcile::FindingStatus;
use crate::domain::engine::record::Span;
use crate::domain::engine::text::duration;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::local_days::{local_date, start_of_day};
use crate::domain::nudge::Category;
use crate::domain::nudge::decide::Audience;
use crate::domain::nudge::schedule::DigestSchedule;
use crate::links;
use crate::mail::views::{self, Common, DigestView};
use crate::storage::derived::FindingFilter;
use crate::storage::outbox::{MessageKind, NewMessage, NewNudge};
use crate::storage::{EmployeeFilter, Store, StoreResult};

use super::words;

/// The key of a manager's digest of a week.
#[must_use]
pub fn digest_key(manager: EmployeeId, monday: NaiveDate) -> String {
    format!("digest:{manager}:{monday}")
}

/// A manager's active direct reports.
///
/// # Errors
/// Storage errors.
pub async fn reports_of(
    store: &dyn Store,
    org: OrgId,
    manager: EmployeeId,
) -> StoreResult<Vec<Employee>> {
    let filter = EmployeeFilter {
        include_inactive: false,
        manager_id: Some(manager),
    };
    let mut out: Vec<Employee> = Vec::new();
    loop {
        let after = out.last().map(|e| e.fields.external_id.clone());
        let page = store
            .list_employees(org, &filter, after.as_deref(), 500)
            .await?;
        let done = page.len() < 500;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// Queues every digest that is due at `now` and not queued yet. Returns how
/// many were queued. A manager created after the send time of a week gets
/// no digest for it.
///
/// # Errors
/// Storage errors.
pub async fn schedule_due(
    store: &dyn Store,
    schedule: &DigestSchedule,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let mut queued = 0;
    for org in store.organisation_ids().await? {
        for manager in store.managers(org).await? {
            let due = schedule.latest_due(manager.fields.time_zone, now);
            if due.due_at < manager.created_at {
                continue;
            }
            // The common case every minute: this week's digest is queued.
            if store
                .message_by_key(org, &digest_key(manager.id, due.week))
                .await?
                .is_some()
            {
                continue;
            }
            let reports = reports_of(store, org, manager.id).await?;
            let message = NewMessage {
                org,
                key: digest_key(manager.id, due.week),
                kind: MessageKind::Digest,
                recipient: manager.id,
                reference: due.week.to_string(),
                send_after: due.due_at,
                // Each report can see that a digest included them.
                nudges: reports
                    .iter()
                    .map(|r| NewNudge {
                        dedup_key: format!("{}:{}", digest_key(manager.id, due.week), r.id),
                        employee: r.id,
                        audience: Audience::Manager,
                        category: "digest".into(),
                        rule_id: String::new(),
                        finding: None,
                        severity: String::new(),
                    })
                    .collect(),
            };
            if store.enqueue_message(message, now).await? {
                tracing::info!(manager_id = %manager.id, week = %due.week, "weekly digest queued");
                queued += 1;
            }
        }
    }
    Ok(queued)
}

/// What one report's week looked like, read from stored day totals (kept
/// current by the recompute worker) and the plans.
#[allow(clippy::too_many_lines)] // one report's inputs, read in the order the digest uses them
async fn report_input(
    store: &dyn Store,
    org: OrgId,
    report: &Employee,
    monday: NaiveDate,
) -> StoreResult<ReportInput> {
    let first = monday - Duration::weeks(3);
    let sunday = monday + Duration::days(6);
    let year_start = sunday - Duration::days(363);
    let policy = store.policy_of(org, report.id, first, sunday).await?;
    let plan = Plan::new(
        report.id,
        &policy,
        report.fields.rule_pack == RulePack::NoAml,
    );
    let stored = store.day_totals(org, report.id, year_start, sunday).await?;
    // Scheduled time counts from the employment's start: the creation, or
    // the first registered work if that came earlier (as payroll does).
    let (first_worked, _) = store
        .worked_before(org, report.id, sunday + Duration::days(1))
        .await?;
    let created = local_date(report.fields.time_zone, report.created_at);
    let employed_from = first_worked.map_or(created, |w| w.min(created));
    let mut days: BTreeMap<NaiveDate, DayFigures> = BTreeMap::new();
    let mut d = first.max(employed_from);
    while d <= sunday {
        let p = plan.day(d);
        let expected = (p.scheduled - p.absence_total()).max(Duration::zero());
        if expected > Duration::zero() {
            days.entry(d).or_default().expected = expected;
        }
        d += Duration::days(1);
    }
    let mut overtime_52w = Duration::zero();
    for s in &stored {
        // Overtime as the legal limits count it: the stored spans, which
        // leave out the § 10-9 (2) extra break (paid, but not toward the
        // limits), so the digest's use of a limit is the findings' own.
        let limit_overtime: Duration = s.overtime_spans.iter().map(Span::len).sum();
        overtime_52w += limit_overtime;
        if s.day < first {
            continue;
        }
        // Each date rounded once, by the rounding the timesheet and payroll
        // use, so the digest's week is the sum of the timesheet's rows.
        let whole = |secs: i64| Duration::minutes(round_minutes(Duration::seconds(secs)));
        let e = days.entry(s.day).or_default();
        e.worked = whole(s.worked);
        e.overtime = Duration::minutes(round_minutes(limit_overtime));
        e.out_of_hours = whole(s.night.max(s.sunday_holiday));
        e.home = whole(s.home);
    }
    let params = Params::new(report.fields.rule_pack, &policy);
    let limits = if report.fields.rule_pack == RulePack::NoAml
        && report.fields.exemption == crate::domain::employee::Exemption::None
    {
        vec![
            (7, params.minutes("no.overtime_7d", "limit", sunday)),
            (28, params.minutes("no.overtime_4w", "limit", sunday)),
            (364, params.minutes("no.overtime_52w", "limit", sunday)),
        ]
    } else {
        Vec::new()
    };
    let tz = report.fields.time_zone;
    let week = Span::new(
        start_of_day(tz, monday),
        start_of_day(tz, sunday + Duration::days(1)),
    );
    let mut patterns: BTreeMap<Category, i64> = BTreeMap::new();
    for f in store
        .list_findings(
            org,
            &FindingFilter {
                employees: vec![report.id],
                severities: vec![Severity::Pattern],
                at: Some(week),
                ..FindingFilter::default()
            },
            None,
            10_000,
        )
        .await?
    {
        if let Some(c) = Category::of_finding(&f.rule_id, f.severity) {
            *patterns.entry(c).or_default() += 1;
        }
    }
    // The week's violations still open: an old one was in its own week's
    // digest, and carrying it on would make every later week look bad.
    let open_violations = store
        .list_findings(
            org,
            &FindingFilter {
                employees: vec![report.id],
                severities: vec![Severity::Violation],
                statuses: vec![FindingStatus::Open],
                at: Some(week),
                ..FindingFilter::default()
            },
            None,
            10_000,
        )
        .await?
        .len();
    Ok(ReportInput {
        employee: Some(report.id),
        name: report.fields.name.clone(),
        days,
        overtime_52w,
        limits,
        patterns,
        open_violations: i64::try_from(open_violations).unwrap_or(i64::MAX),
    })
}

/// The digest of `manager` for the week starting `monday`, from current data.
///
/// # Errors
/// Storage errors.
pub async fn compute(
    store: &dyn Store,
    org: OrgId,
    manager: &Employee,
    monday: NaiveDate,
    now: DateTime<Utc>,
) -> StoreResult<Digest> {
    let mut inputs = Vec::new();
    for r in reports_of(store, org, manager.id).await? {
        // Read-your-writes: the report's queued recomputes first.
        crate::recompute::drain(store, now, Some(org), Some(r.id)).await?;
        inputs.push(report_input(store, org, &r, monday).await?);
    }
    Ok(digest::build(monday, inputs))
}

fn pct(part: Duration, whole: Duration) -> u32 {
    digest::percent(part, whole).min(100)
}

/// The digest in the manager's words, for the templates.
#[must_use]
pub fn view(d: &Digest, common: Common, locale: Locale) -> DigestView {
    let dur = |x: Duration| duration(locale, x);
    let share = |part: Duration, whole: Duration| {
        if whole > Duration::zero() {
            format!("{} %", digest::percent(part, whole))
        } else {
            "–".to_string()
        }
    };
    let scale = d.longest_day.max(Duration::hours(1));
    let base = common.app_url.clone();
    let reports = d
        .reports
        .iter()
        .map(|r| views::ReportRow {
            link: base
                .as_deref()
                .zip(r.employee)
                .map(|(b, id)| links::person_week(b, id, d.monday)),
            name: r.name.clone(),
            worked: dur(r.week.worked),
            scheduled: dur(r.week.expected),
            diff: words::signed(locale, r.week.worked - r.week.expected),
            over_schedule: r.week.worked > r.week.expected,
            overtime: r
                .limits
                .iter()
                .map(|l| views::LimitUse {
                    label: words::window_label(locale, l.days),
                    used: dur(l.used),
                    limit: dur(l.limit),
                    pct: l.percent(),
                    over: l.is_over(),
                })
                .collect(),
            patterns: r
                .patterns
                .iter()
                .map(|(c, n)| views::PatternCount {
                    category: c.as_str().to_string(),
                    label: crate::mail::copy(c.as_str(), locale)
                        .map_or_else(|| c.as_str().to_string(), |cp| cp.headline.to_string()),
                    count: *n,
                })
                .collect(),
            open_violations: r.open_violations,
            home_share: share(r.home, r.week.worked),
            trend: r
                .trend
                .iter()
                .map(|w| views::TrendWeek {
                    label: words::short_week(locale, w.monday),
                    worked: dur(w.worked),
                    scheduled: dur(w.expected),
                    diff: words::signed(locale, w.worked - w.expected),
                    worked_pct: pct(
                        w.worked,
                        r.trend
                            .iter()
                            .map(|t| t.worked.max(t.expected))
                            .max()
                            .unwrap_or(scale)
                            .max(Duration::hours(1)),
                    ),
                })
                .collect(),
            bars: r
                .days
                .iter()
                .map(|(date, f)| views::Bar {
                    label: words::short_weekday(locale, *date).to_string(),
                    worked_minutes: f.worked.num_minutes(),
                    scheduled_minutes: f.expected.num_minutes(),
                    overtime_minutes: f.overtime.num_minutes(),
                    out_of_hours_minutes: f.out_of_hours.num_minutes(),
                    worked_pct: pct(f.worked, scale),
                    scheduled_pct: pct(f.expected, scale),
                    overtime_pct: pct(f.overtime, scale),
                    worked_text: dur(f.worked),
                })
                .collect(),
        })
        .collect();
    DigestView {
        common,
        week_label: words::week_label(locale, d.monday),
        reports,
        team_worked: dur(d.team_worked),
        team_scheduled: dur(d.team_expected),
        team_diff: words::signed(locale, d.team_worked - d.team_expected),
        team_overtime: dur(d.team_overtime),
        team_open_violations: d.team_open_violations,
        team_pattern_total: d.team_patterns,
        team_home_share: share(d.team_home, d.team_worked),
        team_link: base.as_deref().map(links::team),
    }
}
