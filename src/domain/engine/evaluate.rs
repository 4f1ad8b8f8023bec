//! One evaluation: events and plans in, record, ledger, days and findings out.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::days::{DayTotals, Plan, day_totals, night_spans, sunday_spans};
use super::finding::Draft;
use super::ledger::{LedgerSegment, NormalLimits, classify, monday_of, overtime_spans};
use super::params::Params;
use super::record::{Record, Span};
use crate::domain::clock_status::{Anomaly, Interval, pair};
use crate::domain::employee::Locale;
use crate::domain::event::EffectiveEvent;
use crate::domain::ids::EmployeeId;
use crate::domain::local_days::local_date;
use crate::domain::policy::EmployeePolicy;
use crate::domain::rules::pack::RulePack;
use crate::domain::rules::{self, context::RuleContext};

/// Whose record, under which rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub employee: EmployeeId,
    pub tz: Tz,
    pub pack: RulePack,
    /// § 10-12 (or the pack's equivalent): no working-time rule applies.
    pub exempt: bool,
    pub locale: Locale,
}

/// Which windows an evaluation judges.
#[derive(Clone, Copy, Debug)]
pub struct Scope {
    /// Windows of rules up to 4 weeks long starting in here.
    pub short: Span,
    /// Windows of long rules ([`rules::is_long_rule`]) starting in here.
    pub long: Span,
}

impl Scope {
    /// No windows at all: the evaluation computes the record, ledger and day
    /// totals and judges nothing (what payroll needs).
    #[must_use]
    pub fn none() -> Self {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        Self::all(Span::new(t, t))
    }

    /// One span for both.
    #[must_use]
    pub fn all(span: Span) -> Self {
        Self {
            short: span,
            long: span,
        }
    }
}

/// Figures from outside the loaded events that long windows need: what an
/// incremental recompute reads from stored day totals instead of events.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// The instants whose loaded ledger is exact; outside it the figures
    /// below are used instead. `None`: the loaded record is all there is.
    pub trusted: Option<Span>,
    /// Overtime spans outside the loaded range.
    pub overtime: Vec<Span>,
    /// Worked time per ISO week (Monday) outside the loaded range.
    pub weekly_worked: BTreeMap<NaiveDate, Duration>,
    /// The ledger's normal time per local date outside the loaded range
    /// (`no.averaging` reads it).
    pub daily_normal: BTreeMap<NaiveDate, Duration>,
    /// Worked time per local date outside the loaded range (`de.sunday_comp`
    /// and `de.sundays_off` read it).
    pub daily_worked: BTreeMap<NaiveDate, Duration>,
}

impl History {
    /// Adds one stored date's figures: its worked and normal time and the
    /// overtime spans the limits count. Both the recompute and
    /// `GetHeadroom` build their history this way.
    pub fn add_day(
        &mut self,
        day: NaiveDate,
        worked: Duration,
        normal: Duration,
        overtime: &[Span],
    ) {
        self.overtime.extend(overtime.iter().copied());
        *self
            .weekly_worked
            .entry(monday_of(day))
            .or_insert_with(Duration::zero) += worked;
        *self.daily_normal.entry(day).or_insert_with(Duration::zero) += normal;
        *self.daily_worked.entry(day).or_insert_with(Duration::zero) += worked;
    }

    /// Adds one stored ISO week (`monday`) whose days are all outside the
    /// loaded range: its worked time and overtime spans, with no per-date
    /// figures. Only for subjects whose rules do not read history per date
    /// ([`needs_daily_history`]).
    pub fn add_week(&mut self, monday: NaiveDate, worked: Duration, overtime: &[Span]) {
        self.overtime.extend(overtime.iter().copied());
        *self
            .weekly_worked
            .entry(monday)
            .or_insert_with(Duration::zero) += worked;
    }
}

/// Whether the rules of `pack` under `policy` read history outside the
/// loaded range per local date, not only per ISO week and as overtime
/// spans: `no.averaging` sums the normal time of averaging periods that
/// start on any date (`daily_normal`), and `de.sunday_comp` counts the
/// Sundays worked in a calendar year (`daily_worked`). Every other rule
/// reads `weekly_worked` and `overtime`, which whole stored weeks give.
/// Choice: an averaging agreement asks for dates under any pack, so a pack
/// that gains an averaging rule cannot silently read less.
#[must_use]
pub fn needs_daily_history(pack: RulePack, policy: &EmployeePolicy) -> bool {
    pack == RulePack::DeArbzg
        || policy.agreements.iter().any(|a| {
            matches!(
                a.terms,
                crate::domain::policy::AgreementTerms::Averaging { .. }
            )
        })
}

/// Everything derived from one employee's record.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    /// The paired intervals (open ones included), in start order.
    pub intervals: Vec<Interval>,
    pub record: Record,
    pub anomalies: Vec<Anomaly>,
    pub ledger: Vec<LedgerSegment>,
    /// Per local date; only dates with work.
    pub days: BTreeMap<NaiveDate, DayTotals>,
    /// Findings for windows starting in the scope.
    pub findings: Vec<Draft>,
    /// Overtime spans the rules read: the trusted ledger plus history.
    pub overtime: Vec<Span>,
    /// Worked time per ISO week the rules read (key: Monday).
    pub weekly_worked: BTreeMap<NaiveDate, Duration>,
    /// The ledger's normal time per local date the rules read.
    pub daily_normal: BTreeMap<NaiveDate, Duration>,
    /// Worked time per local date the rules read.
    pub daily_worked: BTreeMap<NaiveDate, Duration>,
    /// Night time (rules.md § 1, `no.night`) around the worked dates.
    pub nights: Vec<Span>,
    /// Sunday/holiday windows (§ 10-10) around the worked dates; empty
    /// outside `no-aml`.
    pub sundays: Vec<Span>,
}

/// The ledger's normal limits for a pack, with agreements and overrides:
/// the one definition the ledger and the headroom both read.
pub struct PackLimits<'a> {
    pub params: &'a Params<'a>,
    pub plan: &'a Plan<'a>,
}

impl NormalLimits for PackLimits<'_> {
    fn daily(&self, day: NaiveDate) -> Duration {
        match self.params.pack {
            // The Directive has no normal hours; days are unlimited and the
            // week follows the common 40 h norm (a payroll choice).
            RulePack::EuWtd => Duration::hours(24),
            RulePack::DeArbzg => self.params.minutes("de.daily_max", "normal", day),
            RulePack::NoAml => self.params.minutes("no.normal_hours", "daily_normal", day),
        }
    }

    fn weekly(&self, monday: NaiveDate) -> Duration {
        match self.params.pack {
            RulePack::EuWtd => Duration::hours(40),
            // Six Werktage of 8 h.
            RulePack::DeArbzg => self.params.minutes("de.daily_max", "normal", monday) * 6,
            RulePack::NoAml => {
                let by_rule = self.params.get("no.normal_hours", "weekly_normal", monday);
                let statutory = Duration::minutes(
                    self.plan
                        .schedule(monday)
                        .shift_work
                        .weekly_normal_minutes(),
                );
                // An averaging agreement raises the weekly cap above the statutory hours.
                if by_rule.agreement.is_some() {
                    by_rule.minutes()
                } else {
                    by_rule.minutes().min(statutory)
                }
            }
        }
    }
}

/// The record of `intervals` under the plan: breaks paid or not, and the
/// § 10-9 (2) extra break after a long day as working time. The extra
/// break is found on the record built without it (which breaks were
/// taken), then the record is built again with it paid; the shifts do not
/// change.
fn build_record(
    subject: Subject,
    intervals: &[Interval],
    plan: &Plan<'_>,
    params: &Params<'_>,
) -> Record {
    let breaks_paid = |d: NaiveDate| plan.schedule(d).breaks_paid;
    let record = Record::build(subject.tz, intervals, breaks_paid);
    if subject.pack != RulePack::NoAml || subject.exempt {
        return record;
    }
    let extra = rules::no_aml::extra_break_spans(subject.tz, &record, plan, params);
    if extra.is_empty() {
        record
    } else {
        Record::build_with_extra(subject.tz, intervals, breaks_paid, &extra)
    }
}

/// The figures the rules read: the loaded ledger and days inside
/// `history.trusted`, the stored history outside it. An incremental
/// recompute loads a margin it does not trust: the ledger of a partly
/// loaded week starts from zero.
fn merged(
    tz: Tz,
    ledger: &[LedgerSegment],
    days: &BTreeMap<NaiveDate, DayTotals>,
    history: &History,
) -> History {
    let trusted = history.trusted;
    let in_trusted_date = |d: NaiveDate| {
        trusted.is_none_or(|t| d >= local_date(tz, t.start) && d < local_date(tz, t.end))
    };
    let mut overtime: Vec<Span> = overtime_spans(ledger)
        .into_iter()
        .filter_map(|s| match trusted {
            None => Some(s),
            Some(t) => {
                let c = Span::new(s.start.max(t.start), s.end.min(t.end));
                (!c.is_empty()).then_some(c)
            }
        })
        .collect();
    overtime.extend(history.overtime.iter().copied());
    overtime.sort();
    let mut out = History {
        trusted: None,
        overtime,
        ..history.clone()
    };
    for (date, t) in days.iter().filter(|(d, _)| in_trusted_date(**d)) {
        out.add_day(*date, t.worked, t.normal, &[]);
    }
    out
}

/// Evaluates `events` (the effective record of the loaded range) against the
/// plans, judging windows that start inside `scope`.
#[must_use]
pub fn evaluate(
    subject: Subject,
    events: &[EffectiveEvent],
    policy: &EmployeePolicy,
    as_of: DateTime<Utc>,
    scope: Scope,
    history: &History,
) -> Evaluation {
    let pairing = pair(events);
    let plan = Plan::new(subject.employee, policy, subject.pack.national_holidays());
    let params = Params::new(subject.pack, policy);
    let record = build_record(subject, &pairing.intervals, &plan, &params);
    let ledger = classify(
        subject.tz,
        &record,
        &PackLimits {
            params: &params,
            plan: &plan,
        },
        subject.exempt,
    );

    let (first, last) = match (record.segments.first(), record.segments.last()) {
        (Some(f), Some(l)) => (
            local_date(subject.tz, f.span.start),
            local_date(subject.tz, l.span.end),
        ),
        _ => (
            local_date(subject.tz, scope.short.start),
            local_date(subject.tz, scope.short.start),
        ),
    };
    // Night hours are the law's in `no-aml` (§ 10-11); the other packs have
    // none in v1, so the policy's 21:00–06:00 (`pol.night`) applies.
    let night_rule = rules::patterns::night_rule(subject.pack);
    let nights = night_spans(subject.tz, first, last, |d| {
        (
            params.get(night_rule, "night_start", d).value,
            params.get(night_rule, "night_end", d).value,
        )
    });
    let sundays = if subject.pack == RulePack::NoAml {
        sunday_spans(subject.tz, &plan.holidays, first, last)
    } else {
        Vec::new()
    };
    let days = day_totals(subject.tz, &ledger, &nights, &sundays);

    let History {
        overtime,
        weekly_worked,
        daily_normal,
        daily_worked,
        ..
    } = merged(subject.tz, &ledger, &days, history);
    let judging = !(scope.short.is_empty() && scope.long.is_empty());
    // The figures move into the rules' context and back out: cloned, a
    // recompute's year of history was copied twice per evaluation.
    let ctx = RuleContext {
        tz: subject.tz,
        locale: subject.locale,
        exempt: subject.exempt,
        record: &record,
        ledger: &ledger,
        anomalies: &pairing.anomalies,
        params,
        plan: &plan,
        as_of,
        scope: scope.short,
        long_scope: scope.long,
        work: if judging { record.spans() } else { Vec::new() },
        overtime,
        weekly_worked,
        daily_normal,
        daily_worked,
        nights,
        sundays,
    };
    let findings = if judging {
        rules::evaluate(&ctx)
    } else {
        Vec::new()
    };
    let RuleContext {
        overtime,
        weekly_worked,
        daily_normal,
        daily_worked,
        nights,
        sundays,
        ..
    } = ctx;
    Evaluation {
        intervals: pairing.intervals,
        anomalies: pairing.anomalies,
        record,
        ledger,
        days,
        findings,
        overtime,
        weekly_worked,
        daily_normal,
        daily_worked,
        nights,
        sundays,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::local_days::start_of_day;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    /// An incremental recompute trusts its loaded days `[Mon, Thu)`; the
    /// Thursday it loaded as a margin is the stored history's, counted
    /// once (a mutation run found `d < end` → `d <= end` unnoticed).
    #[test]
    fn the_first_untrusted_day_comes_from_history_only() {
        let tz = chrono_tz::Europe::Oslo;
        let (mon, thu) = (day(16), day(19));
        let mut history = History {
            trusted: Some(Span::new(start_of_day(tz, mon), start_of_day(tz, thu))),
            ..History::default()
        };
        history.add_day(thu, Duration::hours(8), Duration::hours(8), &[]);
        let seven = DayTotals {
            worked: Duration::hours(7),
            normal: Duration::hours(7),
            ..DayTotals::default()
        };
        let days: BTreeMap<NaiveDate, DayTotals> = [mon, day(17), day(18), thu]
            .into_iter()
            .map(|d| (d, seven))
            .collect();
        let out = merged(tz, &[], &days, &history);
        assert_eq!(out.daily_worked[&thu], Duration::hours(8));
        assert_eq!(out.daily_normal[&thu], Duration::hours(8));
        assert_eq!(out.daily_worked[&mon], Duration::hours(7));
        assert_eq!(out.weekly_worked[&mon], Duration::hours(3 * 7 + 8));
        assert_eq!(out.trusted, None, "the merged figures are the whole truth");
    }

    /// Loaded overtime counts only inside the trusted span (clipped to it);
    /// the stored history supplies the rest, and the result is in order.
    #[test]
    fn loaded_overtime_is_clipped_to_the_trusted_span() {
        let tz = chrono_tz::Europe::Oslo;
        let t = |d: u32, h: u32| {
            use chrono::TimeZone;
            tz.with_ymd_and_hms(2026, 11, d, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let seg = |a, b, overtime| LedgerSegment {
            span: Span::new(a, b),
            overtime,
            shift_day: day(16),
            interval: uuid::Uuid::nil(),
            location: None,
            extra_break: false,
        };
        let ledger = [
            seg(t(15, 20), t(16, 2), true),
            seg(t(17, 8), t(17, 17), false),
            seg(t(17, 17), t(17, 19), true),
            seg(t(18, 22), t(19, 3), true),
            seg(t(19, 4), t(19, 6), true),
        ];
        let history = History {
            trusted: Some(Span::new(t(16, 0), t(19, 0))),
            overtime: vec![Span::new(t(14, 18), t(14, 20))],
            ..History::default()
        };
        let out = merged(tz, &ledger, &BTreeMap::new(), &history);
        assert_eq!(
            out.overtime,
            vec![
                Span::new(t(14, 18), t(14, 20)),
                Span::new(t(16, 0), t(16, 2)),
                Span::new(t(17, 17), t(17, 19)),
                Span::new(t(18, 22), t(19, 0)),
            ]
        );
        // Without a trusted span, everything loaded counts.
        let all = merged(tz, &ledger, &BTreeMap::new(), &History::default());
        assert_eq!(all.overtime.len(), 4);
        assert_eq!(all.overtime[0], Span::new(t(15, 20), t(16, 2)));
    }
}
