//! Who a change to the plans re-judges, and over which part of each
//! employee's record. The plan store queues them inside the change's own
//! transaction, so a crash cannot keep the plan and lose the queueing; the
//! HR console names the same people before a change is confirmed.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::engine::record::Span;
use super::ids::EmployeeId;
use super::local_days::start_of_day;
use super::policy::{Absence, Agreement, OrgHoliday, OverrideScope, RuleOverride, Schedule};

/// Everyone's record from local date `from` on, or only `employee`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejudge {
    /// `None`: everyone in the organisation, leavers too, since their
    /// record is judged as well.
    pub employee: Option<EmployeeId>,
    /// The first local date the change can move a finding on.
    pub from: NaiveDate,
}

impl Rejudge {
    /// A schedule applies from its first date.
    #[must_use]
    pub fn schedule(s: &Schedule) -> Self {
        Self::one(s.employee, s.valid_from)
    }

    /// A new agreement applies from its first date.
    #[must_use]
    pub fn agreement(a: &Agreement) -> Self {
        Self::one(a.employee, a.valid_from)
    }

    /// An ended agreement stops applying the day after its last day.
    #[must_use]
    pub fn agreement_end(a: &Agreement) -> Self {
        let from = a.valid_to.map_or(a.valid_from, agreement_end_rejudged_from);
        Self::one(a.employee, from)
    }

    /// An absence, added or cancelled, from its first day.
    #[must_use]
    pub fn absence(a: &Absence) -> Self {
        Self::one(a.employee, a.first)
    }

    /// An override, set or deleted, applies from its effective date: the
    /// record is judged again from there on, not back to the beginning
    /// (issue 13 item 9).
    #[must_use]
    pub fn rule_override(o: &RuleOverride) -> Self {
        let employee = match o.scope {
            OverrideScope::Organisation => None,
            OverrideScope::Employee(e) => Some(e),
        };
        Self {
            employee,
            from: o.effective_from,
        }
    }

    /// An organisation holiday, added or removed, re-judges everyone.
    #[must_use]
    pub fn holiday(h: &OrgHoliday) -> Self {
        Self {
            employee: None,
            from: holiday_rejudged_from(h.date),
        }
    }

    fn one(employee: EmployeeId, from: NaiveDate) -> Self {
        Self {
            employee: Some(employee),
            from,
        }
    }

    /// The part of a record in `tz` to judge again at `now`: from local
    /// midnight of `from` (never after `now`, for a change dated ahead)
    /// to a day past `now`, which covers every event already received.
    #[must_use]
    pub fn span(&self, tz: Tz, now: DateTime<Utc>) -> Span {
        let start = start_of_day(tz, self.from).min(now);
        Span::new(start, now + Duration::days(1))
    }
}

/// The first local date a holiday on `date` changes: the § 10-10 window of
/// a holiday opens on its eve.
#[must_use]
pub fn holiday_rejudged_from(date: NaiveDate) -> NaiveDate {
    date - Duration::days(1)
}

/// The first local date ending an agreement on `last_day` changes.
#[must_use]
pub fn agreement_end_rejudged_from(last_day: NaiveDate) -> NaiveDate {
    last_day + Duration::days(1)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::policy::{AgreementBasis, AgreementTerms, ValueUnit};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_span_starts_at_local_midnight_of_the_first_date() {
        let now = Utc.with_ymd_and_hms(2026, 11, 19, 20, 0, 0).unwrap();
        let r = Rejudge {
            employee: None,
            from: holiday_rejudged_from(date(2026, 11, 17)),
        };
        let oslo = r.span(chrono_tz::Europe::Oslo, now);
        assert_eq!(
            oslo.start,
            Utc.with_ymd_and_hms(2026, 11, 15, 23, 0, 0).unwrap()
        );
        assert_eq!(
            oslo.end,
            Utc.with_ymd_and_hms(2026, 11, 20, 20, 0, 0).unwrap()
        );
        let new_york = r.span(chrono_tz::America::New_York, now);
        assert_eq!(
            new_york.start,
            Utc.with_ymd_and_hms(2026, 11, 16, 5, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_change_dated_ahead_starts_now() {
        let now = Utc.with_ymd_and_hms(2026, 11, 19, 20, 0, 0).unwrap();
        let r = Rejudge {
            employee: None,
            from: date(2027, 1, 1),
        };
        assert_eq!(r.span(chrono_tz::UTC, now).start, now);
    }

    #[test]
    fn an_agreement_ended_is_rejudged_from_the_day_after_its_last() {
        let e = EmployeeId(uuid::Uuid::new_v4());
        let mut a = Agreement {
            id: uuid::Uuid::nil(),
            employee: e,
            basis: AgreementBasis::Individual,
            valid_from: date(2026, 6, 1),
            valid_to: None,
            reference: "ref".into(),
            terms: AgreementTerms::HomeOffice {
                max_home_share_percent: 40,
                required_office_weekdays: Vec::new(),
                availability: None,
            },
            created_at: DateTime::UNIX_EPOCH,
            created_by: String::new(),
            ended_at: None,
            end_reason: None,
        };
        assert_eq!(Rejudge::agreement(&a), Rejudge::one(e, date(2026, 6, 1)));
        a.valid_to = Some(date(2026, 12, 31));
        assert_eq!(
            Rejudge::agreement_end(&a),
            Rejudge::one(e, date(2027, 1, 1))
        );
    }

    #[test]
    fn an_override_rejudges_its_scope_from_its_effective_date() {
        let e = EmployeeId(uuid::Uuid::new_v4());
        let mut o = RuleOverride {
            id: uuid::Uuid::nil(),
            scope: OverrideScope::Organisation,
            rule_pack: crate::domain::rules::pack::RulePack::NoAml,
            rule_id: "no.daily_rest".into(),
            parameter: "min_rest".into(),
            value: 600,
            unit: ValueUnit::Minutes,
            reason: "tariff".into(),
            effective_from: date(2026, 11, 2),
            updated_at: DateTime::UNIX_EPOCH,
            updated_by: String::new(),
        };
        let everyone = Rejudge {
            employee: None,
            from: date(2026, 11, 2),
        };
        assert_eq!(Rejudge::rule_override(&o), everyone);
        o.scope = OverrideScope::Employee(e);
        assert_eq!(
            Rejudge::rule_override(&o),
            Rejudge::one(e, date(2026, 11, 2))
        );
    }
}
