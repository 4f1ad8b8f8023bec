//! The results as a markdown table (for people) and JSON (for scripts that
//! compare a before and an after).

use std::fmt::Write as _;

use serde::Serialize;

use crate::scenarios::{Outcome, Settings};
use crate::stats::Spread;

/// Everything a run measured, with what it ran on.
#[derive(Debug, Serialize)]
pub struct Report {
    pub command: String,
    pub started: String,
    pub commit: String,
    pub load_average_before: String,
    pub load_average_after: String,
    pub settings: Settings,
    pub scenarios: Vec<Outcome>,
}

fn n(v: f64) -> String {
    // Thousands separated, as in the table.
    let whole = v.round() as i64;
    let s = whole.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if whole < 0 { format!("-{out}") } else { out }
}

fn ms(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn range(s: Spread, f: fn(f64) -> String) -> String {
    format!("{} ({}–{})", f(s.median), f(s.min), f(s.max))
}

fn ratio(v: f64) -> String {
    format!("{v:.3}")
}

fn factor(v: f64) -> String {
    format!("×{v:.1}")
}

/// The table: one row per scenario, and a CPU row beside each that has one.
#[must_use]
pub fn markdown(r: &Report) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "| scenario | Tidsvakt, median (min–max) | p50 / p99 ms | ceiling in the same run | ceiling median | ceiling p50 / p99 ms | ratio (min–max by round) |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|");
    for o in &r.scenarios {
        let s = &o.summary;
        let _ = writeln!(
            t,
            "| {} | {} {} | {} / {} | {} | {} {} | {} / {} | {} |",
            o.title,
            range(s.per_second, n),
            o.unit,
            ms(s.p50_ms.median),
            ms(s.p99_ms.median),
            o.ceiling,
            n(s.ceiling_per_second.median),
            o.unit,
            ms(s.ceiling_p50_ms.median),
            ms(s.ceiling_p99_ms.median),
            range(s.ratio, ratio),
        );
    }
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "| scenario | server CPU per operation, µs | ceiling's CPU per operation, µs | CPU factor | database CPU per operation, µs: Tidsvakt / ceiling | of Tidsvakt's, while the calls ran | p99 factor | recompute drained after a round, s |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|");
    for o in &r.scenarios {
        let s = &o.summary;
        let dash = || "—".to_owned();
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            o.title,
            s.cpu_us_per_op.map_or_else(dash, |c| range(c, n)),
            s.ceiling_cpu_us_per_op
                .map_or_else(|| "— (in the load generator)".into(), |c| range(c, n)),
            s.cpu_factor.map_or_else(dash, |c| range(c, factor)),
            match (s.db_cpu_us_per_op, s.ceiling_db_cpu_us_per_op) {
                (Some(ours), Some(theirs)) => format!("{} / {}", range(ours, n), range(theirs, n)),
                _ => dash(),
            },
            s.db_cpu_in_round_us_per_op
                .map_or_else(dash, |c| range(c, n)),
            range(s.p99_factor, factor),
            range(s.recompute_drained_s, |v| format!("{v:.1}")),
        );
    }
    let fresh: Vec<&Outcome> = r
        .scenarios
        .iter()
        .filter(|o| o.summary.lag_p99_s.is_some())
        .collect();
    if !fresh.is_empty() {
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "| scenario | rate held, events/s | findings' lag p99, s | lag at most, s | goal |"
        );
        let _ = writeln!(t, "|---|---|---|---|---|");
        for o in fresh {
            let s = &o.summary;
            let secs = |v: f64| format!("{v:.2}");
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | p99 ≤ 1 s |",
                o.title,
                range(s.per_second, n),
                s.lag_p99_s.map_or_else(String::new, |l| range(l, secs)),
                s.lag_max_s.map_or_else(String::new, |l| range(l, secs)),
            );
        }
    }
    let notes: Vec<String> = r
        .scenarios
        .iter()
        .flat_map(|o| o.notes.iter().map(move |n| format!("- {}: {n}", o.id)))
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(t);
        for n in notes {
            let _ = writeln!(t, "{n}");
        }
    }
    t
}
