//! RFC 4180 CSV of payroll lines (columns documented in `payroll.proto`).

use std::fmt::Write as _;

use super::lines::{Category, Line, absence_name};

/// The header row, CRLF-terminated.
pub const HEADER: &str = "period_id,employee_id,external_id,pay_code,category,rate_percent,absence_kind,minutes,hours,count,adjusts_period_id,adjustment_reason\r\n";

/// A field, quoted only when it holds a comma, quote or line break.
pub fn field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Minutes as hours with exactly two decimals, rounded half away from zero.
#[must_use]
pub fn hours(minutes: i64) -> String {
    // Hundredths of an hour: minutes * 100 / 60, rounded half away from 0.
    let num = minutes * 100;
    let (q, r) = (num / 60, num % 60);
    let h = if r.abs() * 2 >= 60 { q + r.signum() } else { q };
    let sign = if h < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", h.abs() / 100, h.abs() % 100)
}

/// Appends one employee's rows.
pub fn rows(
    out: &mut String,
    period_id: &str,
    employee_id: &str,
    external_id: &str,
    lines: &[Line],
) {
    for l in lines {
        field(out, period_id);
        out.push(',');
        field(out, employee_id);
        out.push(',');
        field(out, external_id);
        out.push(',');
        field(out, &l.pay_code);
        out.push(',');
        out.push_str(l.key.category.name());
        out.push(',');
        if l.key.category == Category::Overtime {
            let _ = write!(out, "{}", l.key.rate);
        }
        out.push(',');
        if let Some(k) = l.key.absence {
            out.push_str(absence_name(k));
        }
        out.push(',');
        let _ = write!(out, "{},{},", l.minutes, hours(l.minutes));
        if l.key.category == Category::OpenFindings {
            let _ = write!(out, "{}", l.count);
        }
        out.push(',');
        if let Some(a) = &l.adjustment {
            field(out, &a.period_id);
            out.push(',');
            field(out, &a.reason);
        } else {
            out.push(',');
        }
        out.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payroll::lines::{Adjustment, LineKey};

    #[test]
    fn hours_have_two_decimals() {
        assert_eq!(hours(0), "0.00");
        assert_eq!(hours(450), "7.50");
        assert_eq!(hours(1), "0.02"); // 1.666… hundredths
        assert_eq!(hours(-1), "-0.02");
        assert_eq!(hours(-90), "-1.50");
        assert_eq!(hours(10), "0.17");
    }

    #[test]
    fn rows_quote_only_when_needed() {
        let mut s = String::new();
        let lines = vec![
            Line {
                key: LineKey::overtime(50),
                pay_code: "1110".into(),
                minutes: 75,
                count: 0,
                adjustment: None,
            },
            Line {
                key: LineKey::of(Category::Worked),
                pay_code: "W".into(),
                minutes: -30,
                count: 0,
                adjustment: Some(Adjustment {
                    period_id: "2026-10".into(),
                    reason: "Amendment 1: \"forgot\", fixed".into(),
                }),
            },
        ];
        rows(&mut s, "2026-11", "e1", "HR,7", &lines);
        assert_eq!(
            s,
            "2026-11,e1,\"HR,7\",1110,OVERTIME,50,,75,1.25,,,\r\n\
             2026-11,e1,\"HR,7\",W,WORKED,,,-30,-0.50,,2026-10,\"Amendment 1: \"\"forgot\"\", fixed\"\r\n"
        );
    }
}
