//! Which value of a rule parameter applies to an employee on a date.
//!
//! Precedence (policy.proto): an employee-level override, else a valid
//! agreement's terms, else an organisation-level override, else the pack's
//! default. Overrides apply from their effective date (the latest one of a
//! key on or before the date wins); agreements are dated.

use chrono::{Duration, NaiveDate};
use uuid::Uuid;

use crate::domain::policy::{AgreementTerms, EmployeePolicy, OverrideScope};
use crate::domain::rules::catalog;
use crate::domain::rules::pack::RulePack;

/// Parameter lookups for one employee on one pack.
#[derive(Clone, Debug)]
pub struct Params<'a> {
    pub pack: RulePack,
    pub policy: &'a EmployeePolicy,
}

/// A resolved value and the agreement that set it, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value {
    pub value: i64,
    pub agreement: Option<Uuid>,
}

impl Value {
    #[must_use]
    pub fn minutes(self) -> Duration {
        Duration::minutes(self.value)
    }
}

impl<'a> Params<'a> {
    #[must_use]
    pub fn new(pack: RulePack, policy: &'a EmployeePolicy) -> Self {
        Self { pack, policy }
    }

    /// The value of `rule`/`name` on `date`. Unknown parameters are 0 (a
    /// programming error caught by the catalog tests).
    #[must_use]
    pub fn get(&self, rule: &str, name: &str, date: NaiveDate) -> Value {
        let of_scope = |employee_level: bool| {
            self.policy
                .overrides
                .iter()
                .filter(|o| {
                    o.rule_pack == self.pack
                        && o.rule_id == rule
                        && o.parameter == name
                        && o.effective_from <= date
                        && matches!(o.scope, OverrideScope::Employee(_)) == employee_level
                })
                .max_by_key(|o| o.effective_from)
        };
        if let Some(o) = of_scope(true) {
            return Value {
                value: o.value,
                agreement: None,
            };
        }
        if let Some(v) = self.agreement_value(rule, name, date) {
            return v;
        }
        if let Some(o) = of_scope(false) {
            return Value {
                value: o.value,
                agreement: None,
            };
        }
        Value {
            value: catalog::param(self.pack.as_str(), rule, name).map_or(0, |s| s.default),
            agreement: None,
        }
    }

    /// Shorthand for a minutes parameter.
    #[must_use]
    pub fn minutes(&self, rule: &str, name: &str, date: NaiveDate) -> Duration {
        self.get(rule, name, date).minutes()
    }

    fn agreement_value(&self, rule: &str, name: &str, date: NaiveDate) -> Option<Value> {
        self.policy
            .agreements
            .iter()
            .filter(|a| a.covers(date))
            .find_map(|a| {
                let v = match (&a.terms, rule, name) {
                    (
                        AgreementTerms::ExtendedOvertime {
                            limit_7d_minutes: v,
                            ..
                        },
                        "no.overtime_7d",
                        "limit",
                    )
                    | (
                        AgreementTerms::ExtendedOvertime {
                            limit_4w_minutes: v,
                            ..
                        },
                        "no.overtime_4w",
                        "limit",
                    )
                    | (
                        AgreementTerms::ExtendedOvertime {
                            limit_52w_minutes: v,
                            ..
                        },
                        "no.overtime_52w",
                        "limit",
                    )
                    | (
                        AgreementTerms::ExtendedOvertime {
                            limit_26w_minutes: v,
                            ..
                        },
                        "no.overtime_26w",
                        "limit",
                    )
                    | (
                        AgreementTerms::ReducedRest {
                            daily_rest_minutes: v,
                            ..
                        },
                        "no.daily_rest",
                        "min_rest",
                    )
                    | (
                        AgreementTerms::ReducedRest {
                            weekly_rest_minutes: v,
                            ..
                        },
                        "no.weekly_rest",
                        "min_rest",
                    )
                    | (
                        AgreementTerms::Averaging {
                            daily_cap_minutes: v,
                            ..
                        },
                        "no.normal_hours",
                        "daily_normal",
                    )
                    | (
                        AgreementTerms::Averaging {
                            weekly_cap_minutes: v,
                            ..
                        },
                        "no.normal_hours",
                        "weekly_normal",
                    ) => *v,
                    _ => 0,
                };
                (v > 0).then_some(Value {
                    value: v,
                    agreement: Some(a.id),
                })
            })
    }

    /// The warning threshold of a maximum: `warning_at` basis points of it.
    #[must_use]
    pub fn warning(&self, limit: Duration, date: NaiveDate) -> Option<Duration> {
        let bp = self.get(self.pack.limits_rule(), "warning_at", date).value;
        (bp < 10_000).then(|| Duration::seconds(limit.num_seconds() * bp / 10_000))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};
    use uuid::Uuid;

    use super::Params;
    use crate::domain::policy::{EmployeePolicy, OverrideScope, RuleOverride, ValueUnit};
    use crate::domain::rules::pack::RulePack;

    fn warning_at(bp: i64) -> EmployeePolicy {
        EmployeePolicy {
            overrides: vec![RuleOverride {
                id: Uuid::nil(),
                scope: OverrideScope::Organisation,
                rule_pack: RulePack::NoAml,
                rule_id: "no.limits".into(),
                parameter: "warning_at".into(),
                value: bp,
                unit: ValueUnit::BasisPoints,
                reason: String::new(),
                effective_from: crate::domain::policy::always(),
                updated_at: chrono::DateTime::UNIX_EPOCH,
                updated_by: String::new(),
            }],
            ..EmployeePolicy::default()
        }
    }

    /// The warning threshold is `warning_at` basis points of the limit;
    /// 10000 (the catalog's maximum) means no warning at all.
    #[test]
    fn the_warning_is_a_share_of_the_limit_and_10000_is_none() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let limit = Duration::minutes(600);
        let default = EmployeePolicy::default();
        let p = Params::new(RulePack::NoAml, &default);
        assert_eq!(p.warning(limit, day), Some(Duration::minutes(480)));
        let nearly = warning_at(9999);
        assert_eq!(
            Params::new(RulePack::NoAml, &nearly).warning(limit, day),
            Some(Duration::seconds(600 * 60 * 9999 / 10_000))
        );
        let none = warning_at(10_000);
        assert_eq!(
            Params::new(RulePack::NoAml, &none).warning(limit, day),
            None
        );
        let half = warning_at(5000);
        assert_eq!(
            Params::new(RulePack::NoAml, &half).warning(Duration::minutes(25 * 60), day),
            Some(Duration::minutes(750))
        );
    }
}
