//! Payroll lines as CSV, in two dialects (columns documented in
//! `payroll.proto` and the README): RFC 4180 for payroll systems, and the
//! one a Norwegian spreadsheet opens in columns on a double-click.
//!
//! Open findings are a status, not pay: they are never a row of their own
//! but the `open_findings` column of each of the employee's rows.

use std::fmt::Write as _;

use super::lines::{Category, Line, absence_name};

/// How the file is spelt. The rows, their order and the figures are the
/// same in every dialect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Comma, decimal point, UTF-8 without BOM, CRLF.
    #[default]
    Rfc4180,
    /// Semicolon, decimal comma, UTF-8 with BOM, CRLF: Excel with Norwegian
    /// settings splits it into columns when the file is opened.
    ExcelNb,
}

/// The UTF-8 byte order mark, which tells Excel the file is UTF-8.
pub const BOM: &str = "\u{feff}";

/// The column names, in order, the same in every dialect.
pub const COLUMNS: [&str; 12] = [
    "period_id",
    "employee_id",
    "external_id",
    "pay_code",
    "category",
    "rate_percent",
    "absence_kind",
    "minutes",
    "hours",
    "open_findings",
    "adjusts_period_id",
    "adjustment_reason",
];

impl Dialect {
    /// The name on the command line and in file names.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Rfc4180 => "rfc4180",
            Self::ExcelNb => "excel-nb",
        }
    }

    /// The field separator.
    #[must_use]
    pub fn separator(self) -> char {
        match self {
            Self::Rfc4180 => ',',
            Self::ExcelNb => ';',
        }
    }

    /// The decimal separator of `hours`.
    #[must_use]
    pub fn decimal(self) -> char {
        match self {
            Self::Rfc4180 => '.',
            Self::ExcelNb => ',',
        }
    }

    /// What a fresh file starts with: the BOM where the dialect has one,
    /// then the header row.
    #[must_use]
    pub fn header(self) -> String {
        let bom = if self == Self::ExcelNb { BOM } else { "" };
        let sep = self.separator().to_string();
        format!("{bom}{}\r\n", COLUMNS.join(&sep))
    }

    /// A field, quoted only when it holds the separator, a quote or a line
    /// break.
    pub fn field(self, out: &mut String, s: &str) {
        if s.contains([self.separator(), '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&s.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(s);
        }
    }

    /// Minutes as hours with exactly two decimals in this dialect.
    #[must_use]
    pub fn hours(self, minutes: i64) -> String {
        let h = hours(minutes);
        match self {
            Self::Rfc4180 => h,
            Self::ExcelNb => h.replace('.', ","),
        }
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

/// The employee's open findings in the period: the count of its own
/// `OPEN_FINDINGS` line (adjustments never carry one).
#[must_use]
pub fn open_findings(lines: &[Line]) -> i64 {
    lines
        .iter()
        .filter(|l| l.key.category == Category::OpenFindings && l.adjustment.is_none())
        .map(|l| l.count)
        .sum()
}

/// One employee's rows, as the CSV holds them.
pub struct EmployeeRows<'a> {
    pub period_id: &'a str,
    pub employee_id: &'a str,
    pub external_id: &'a str,
    /// The lines to write (already filtered by pay code); an
    /// `OPEN_FINDINGS` line among them is not written as a row.
    pub lines: &'a [Line],
    /// The employee's open findings, written on each of their rows.
    pub open_findings: i64,
}

/// Appends one employee's rows. An employee with open findings but no pay
/// row still gets one row, with the pay columns empty, so the count is not
/// lost.
pub fn rows(out: &mut String, dialect: Dialect, e: &EmployeeRows<'_>) {
    let sep = dialect.separator();
    let findings = if e.open_findings == 0 {
        String::new()
    } else {
        e.open_findings.to_string()
    };
    let start = |out: &mut String| {
        dialect.field(out, e.period_id);
        out.push(sep);
        dialect.field(out, e.employee_id);
        out.push(sep);
        dialect.field(out, e.external_id);
        out.push(sep);
    };
    let mut written = false;
    for l in e
        .lines
        .iter()
        .filter(|l| l.key.category != Category::OpenFindings)
    {
        written = true;
        start(out);
        dialect.field(out, &l.pay_code);
        out.push(sep);
        out.push_str(l.key.category.name());
        out.push(sep);
        if l.key.category == Category::Overtime {
            let _ = write!(out, "{}", l.key.rate);
        }
        out.push(sep);
        if let Some(k) = l.key.absence {
            out.push_str(absence_name(k));
        }
        out.push(sep);
        let _ = write!(out, "{}{sep}{}{sep}", l.minutes, dialect.hours(l.minutes));
        out.push_str(&findings);
        out.push(sep);
        if let Some(a) = &l.adjustment {
            dialect.field(out, &a.period_id);
            out.push(sep);
            dialect.field(out, &a.reason);
        } else {
            out.push(sep);
        }
        out.push_str("\r\n");
    }
    if !written && e.open_findings > 0 {
        start(out);
        let _ = write!(
            out,
            "{sep}{sep}{sep}{sep}{sep}{sep}{findings}{sep}{sep}\r\n"
        );
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
        assert_eq!(Dialect::ExcelNb.hours(-90), "-1,50");
    }

    fn sample() -> Vec<Line> {
        vec![
            Line {
                key: LineKey::overtime(50),
                pay_code: "1110".into(),
                minutes: 75,
                count: 0,
                adjustment: None,
            },
            Line {
                key: LineKey::of(Category::OpenFindings),
                pay_code: "OPEN_FINDINGS".into(),
                minutes: 0,
                count: 2,
                adjustment: None,
            },
            Line {
                key: LineKey::of(Category::Worked),
                pay_code: "W".into(),
                minutes: -30,
                count: 0,
                adjustment: Some(Adjustment {
                    period_id: "2026-10".into(),
                    reason: "Amendment 1: \"forgot\", fixed; sorry".into(),
                }),
            },
        ]
    }

    fn written(dialect: Dialect, lines: &[Line], external_id: &str) -> String {
        let mut s = String::new();
        rows(
            &mut s,
            dialect,
            &EmployeeRows {
                period_id: "2026-11",
                employee_id: "e1",
                external_id,
                lines,
                open_findings: open_findings(lines),
            },
        );
        s
    }

    #[test]
    fn rfc4180_rows_quote_only_when_needed_and_carry_the_findings_column() {
        assert_eq!(
            written(Dialect::Rfc4180, &sample(), "HR,7"),
            "2026-11,e1,\"HR,7\",1110,OVERTIME,50,,75,1.25,2,,\r\n\
             2026-11,e1,\"HR,7\",W,WORKED,,,-30,-0.50,2,2026-10,\"Amendment 1: \"\"forgot\"\", fixed; sorry\"\r\n"
        );
    }

    #[test]
    fn excel_nb_rows_use_semicolons_and_decimal_commas() {
        assert_eq!(
            written(Dialect::ExcelNb, &sample(), "HR,7"),
            "2026-11;e1;HR,7;1110;OVERTIME;50;;75;1,25;2;;\r\n\
             2026-11;e1;HR,7;W;WORKED;;;-30;-0,50;2;2026-10;\"Amendment 1: \"\"forgot\"\", fixed; sorry\"\r\n"
        );
    }

    #[test]
    fn findings_without_pay_rows_still_get_a_row() {
        let only = vec![sample().remove(1)];
        assert_eq!(
            written(Dialect::Rfc4180, &only, "7"),
            "2026-11,e1,7,,,,,,,2,,\r\n"
        );
        assert_eq!(written(Dialect::Rfc4180, &[], "7"), "");
    }

    #[test]
    fn headers_differ_only_in_separator_and_bom() {
        assert_eq!(
            Dialect::Rfc4180.header(),
            "period_id,employee_id,external_id,pay_code,category,rate_percent,absence_kind,minutes,hours,open_findings,adjusts_period_id,adjustment_reason\r\n"
        );
        assert_eq!(
            Dialect::ExcelNb.header().as_bytes()[..3],
            [0xEF, 0xBB, 0xBF]
        );
        assert_eq!(
            Dialect::ExcelNb.header()[3..],
            Dialect::Rfc4180.header().replace(',', ";")
        );
    }
}
