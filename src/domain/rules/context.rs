//! What every rule reads.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::clock_status::Anomaly;
use crate::domain::employee::Locale;
use crate::domain::engine::days::Plan;
use crate::domain::engine::finding::Evidence;
use crate::domain::engine::ledger::LedgerSegment;
use crate::domain::engine::params::Params;
use crate::domain::engine::record::{Record, Span};
use crate::domain::local_days::local_date;

/// The inputs of one evaluation.
pub struct RuleContext<'a> {
    pub tz: Tz,
    pub locale: Locale,
    pub exempt: bool,
    pub record: &'a Record,
    pub ledger: &'a [LedgerSegment],
    pub anomalies: &'a [Anomaly],
    pub params: Params<'a>,
    pub plan: &'a Plan<'a>,
    pub as_of: DateTime<Utc>,
    /// Only windows (and shifts) starting in here are evaluated: the part of
    /// the record a change can have affected.
    pub scope: Span,
    /// The same for rules with windows of many weeks (see
    /// [`super::is_long_rule`]): a change reaches back a year for them.
    pub long_scope: Span,
    /// Work spans in order; by default the record's segments.
    pub work: Vec<Span>,
    /// Overtime spans in order: the ledger's, plus any older or newer ones
    /// an incremental recompute read from stored day totals.
    pub overtime: Vec<Span>,
    /// Worked time per ISO week (key: Monday), for averages over many weeks.
    pub weekly_worked: BTreeMap<NaiveDate, Duration>,
    /// The ledger's normal time per local date: the loaded ledger's, plus
    /// stored day totals outside it (for averaging periods).
    pub daily_normal: BTreeMap<NaiveDate, Duration>,
    /// Worked time per local date: the loaded record's, plus stored day
    /// totals outside it.
    pub daily_worked: BTreeMap<NaiveDate, Duration>,
    /// Night time (the pack's night hours) over the loaded record.
    pub nights: Vec<Span>,
    /// The § 10-10 Sunday/holiday windows over the loaded record; empty
    /// outside `no-aml`.
    pub sundays: Vec<Span>,
}

impl RuleContext<'_> {
    /// The local date of an instant.
    #[must_use]
    pub fn date(&self, t: DateTime<Utc>) -> NaiveDate {
        local_date(self.tz, t)
    }

    /// Whether a window starting at `t` is this evaluation's to judge.
    #[must_use]
    pub fn in_scope(&self, t: DateTime<Utc>) -> bool {
        t >= self.scope.start && t < self.scope.end
    }

    /// The scope of `rule`.
    #[must_use]
    pub fn scope_of(&self, rule: &str) -> Span {
        if super::is_long_rule(rule) {
            self.long_scope
        } else {
            self.scope
        }
    }

    /// The intervals with work inside `window`, as evidence.
    #[must_use]
    pub fn evidence(&self, window: Span) -> Vec<Evidence> {
        let mut out: Vec<Evidence> = Vec::new();
        for seg in &self.record.segments {
            if seg.span.clipped(window.start, window.end) > Duration::zero()
                && !out.iter().any(|e| e.interval == seg.interval)
            {
                let shift_interval = self.interval_bounds(seg.interval);
                out.push(Evidence {
                    interval: seg.interval,
                    start: shift_interval.map(|s| s.start),
                    end: shift_interval.map(|s| s.end),
                });
            }
        }
        out
    }

    /// An interval's first start and last end.
    fn interval_bounds(&self, interval: uuid::Uuid) -> Option<Span> {
        let mut segs = self
            .record
            .segments
            .iter()
            .filter(|s| s.interval == interval);
        let first = segs.next()?;
        let last = segs.next_back().unwrap_or(first);
        Some(Span::new(first.span.start, last.span.end))
    }
}
