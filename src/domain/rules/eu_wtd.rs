//! Pack `eu-wtd`: Directive 2003/88/EC (rules.md § 3).

use chrono::Duration;

use super::common::{self, draft, rolling_rest};
use super::context::RuleContext;
use super::no_aml::neutral_days;
use crate::domain::employee::Locale::{En, Nb};
use crate::domain::engine::finding::{Draft, Severity};
use crate::domain::engine::record::Span;
use crate::domain::engine::text::{duration, instant, pick};

/// Every `eu.*` check.
pub fn evaluate(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    if ctx.exempt {
        return;
    }
    let day = ctx.date(ctx.scope.start);
    let weeks = ctx.params.get("eu.avg_48h", "weeks", day).value;
    let limit = ctx.params.minutes("eu.avg_48h", "limit", day);
    common::weekly_average(ctx, out, "eu.avg_48h", weeks, limit, &|m| {
        neutral_days(ctx, m)
    });
    rolling_rest(
        ctx,
        out,
        "eu.daily_rest",
        Duration::hours(24),
        ("24 hours", "24 timer"),
        false,
    );
    rolling_rest(
        ctx,
        out,
        "eu.weekly_rest",
        Duration::days(7),
        ("7 days", "7 dager"),
        true,
    );
    breaks(ctx, out);
    common::night_average(ctx, out, "eu.night_avg", false);
}

/// `eu.breaks` (Art. 4): a working day (shift) of more than 6 h needs a
/// break of at least `min_break` (the Directive leaves the length to
/// national law; 15 min is policy).
fn breaks(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "eu.breaks";
    for shift in &ctx.record.shifts {
        if !ctx.in_scope(shift.span.start) {
            continue;
        }
        let after = ctx.params.minutes(RULE, "break_after", shift.day);
        let min = ctx.params.minutes(RULE, "min_break", shift.day);
        let longest = shift
            .breaks
            .iter()
            .map(Span::len)
            .max()
            .unwrap_or_else(Duration::zero);
        if shift.worked > after && longest < min {
            let words = pick(
                ctx.locale,
                format!(
                    "{} arbeid fra {} uten en pause på minst {}",
                    duration(Nb, shift.worked),
                    instant(Nb, ctx.tz, shift.span.start),
                    duration(Nb, min)
                ),
                format!(
                    "{} worked from {} without a break of at least {}",
                    duration(En, shift.worked),
                    instant(En, ctx.tz, shift.span.start),
                    duration(En, min)
                ),
            );
            out.push(draft(
                ctx,
                RULE,
                Severity::Violation,
                shift.span,
                common::reached_in(&ctx.record.segments[shift.segments.clone()], after)
                    .unwrap_or(shift.span.end),
                longest,
                min,
                true,
                words,
                None,
                ctx.evidence(shift.span),
            ));
        }
    }
}
