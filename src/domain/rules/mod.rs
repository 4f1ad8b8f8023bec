//! Rule packs: parameters, and the checks that turn a working-time record
//! into findings.

pub mod catalog;
pub mod common;
pub mod context;
#[cfg(test)]
mod coverage;
pub mod de_arbzg;
pub mod eu_wtd;
pub mod names;
pub mod no_aml;
pub mod pack;
#[cfg(test)]
mod pattern_thresholds;
pub mod patterns;
#[cfg(test)]
mod regressions;
#[cfg(test)]
mod thresholds;
#[cfg(test)]
mod worked_examples;

use context::RuleContext;

use crate::domain::engine::finding::Draft;

/// Rules whose windows span many weeks: recomputed over a year around a
/// change, from stored day totals rather than events.
pub const LONG_RULES: &[&str] = &[
    "no.overtime_52w",
    "no.overtime_26w",
    "no.total_7d",
    "no.averaging",
    "eu.avg_48h",
    "de.avg_8h",
    "de.sundays_off",
];

/// Whether `rule` is one of the [`LONG_RULES`].
#[must_use]
pub fn is_long_rule(rule: &str) -> bool {
    LONG_RULES.contains(&rule)
}

/// Every finding of the employee's pack for windows starting in the
/// context's scope, ordered by `at`, then rule.
#[must_use]
pub fn evaluate(ctx: &RuleContext<'_>) -> Vec<Draft> {
    let mut out = Vec::new();
    match ctx.params.pack {
        pack::RulePack::EuWtd => eu_wtd::evaluate(ctx, &mut out),
        pack::RulePack::DeArbzg => de_arbzg::evaluate(ctx, &mut out),
        pack::RulePack::NoAml => no_aml::evaluate(ctx, &mut out),
    }
    // Patterns are policy, not law: they run in every pack and for exempt
    // employees too (rules.md example 12), whose pack checks return early.
    patterns::evaluate(ctx, &mut out);
    common::missing_clock_out(ctx, &mut out);
    common::record_gaps_at_lock(ctx, &mut out);
    // Findings are keyed by where their window starts: storage reconciles
    // the stored findings whose window starts in the same scope, so a draft
    // outside it would be inserted again on every recompute.
    out.retain(|d| {
        let scope = ctx.scope_of(d.rule_id);
        d.window.start >= scope.start && d.window.start < scope.end
    });
    out.sort_by(|a, b| (a.at, a.rule_id, a.window.start).cmp(&(b.at, b.rule_id, b.window.start)));
    out
}
