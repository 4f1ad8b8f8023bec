//! An organisation's payroll settings: period kind, overtime rates and the
//! pay-code mapping, with the checks that keep them complete and lawful.

use std::collections::{BTreeMap, BTreeSet};

use super::lines::{ABSENCE_KINDS, Category, LineKey};
use super::period::PeriodKind;
use crate::domain::employee::FieldError;

/// The lowest overtime supplement the law allows (arbeidsmiljøloven
/// § 10-6 (11)).
pub const LEGAL_MIN_RATE: i32 = 40;

/// One step of the overtime supplement: from `after_week_overtime_minutes`
/// of overtime in the ISO week on, minutes get `rate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    pub after_week_overtime_minutes: i64,
    pub rate: i32,
}

/// The payroll settings in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayrollSettings {
    pub kind: PeriodKind,
    pub tiers: Vec<Tier>,
    /// Supplement for overtime at night; 0 = none.
    pub night_rate: i32,
    /// Supplement for overtime in a Sunday/holiday window; 0 = none.
    pub sunday_rate: i32,
    pub pay_codes: BTreeMap<LineKey, String>,
}

impl Default for PayrollSettings {
    /// Monthly periods, 50 % for every overtime minute (a common tariff
    /// rate above the legal 40 %), and pay codes named after categories.
    fn default() -> Self {
        let mut s = Self {
            kind: PeriodKind::Monthly,
            tiers: vec![Tier {
                after_week_overtime_minutes: 0,
                rate: 50,
            }],
            night_rate: 0,
            sunday_rate: 0,
            pay_codes: BTreeMap::new(),
        };
        s.pay_codes = s
            .required_keys()
            .into_iter()
            .map(|k| (k, k.default_code()))
            .collect();
        s
    }
}

impl PayrollSettings {
    /// Every overtime rate these settings can produce.
    #[must_use]
    pub fn rates(&self) -> BTreeSet<i32> {
        let mut r: BTreeSet<i32> = self.tiers.iter().map(|t| t.rate).collect();
        let floor = r.iter().next().copied().unwrap_or(0);
        // A minute gets max(tier, night, Sunday): a night or Sunday rate
        // shows only if it beats the lowest tier.
        for extra in [self.night_rate, self.sunday_rate] {
            if extra > floor {
                r.insert(extra);
            }
        }
        r
    }

    /// The keys that need a pay code.
    #[must_use]
    pub fn required_keys(&self) -> Vec<LineKey> {
        let mut out = Vec::new();
        for c in Category::ALL {
            match c {
                Category::Overtime => out.extend(self.rates().into_iter().map(LineKey::overtime)),
                Category::Absence => out.extend(ABSENCE_KINDS.into_iter().map(LineKey::absence)),
                c => out.push(LineKey::of(c)),
            }
        }
        out
    }

    /// The pay code of `key` (its default name if unmapped, which
    /// [`Self::validate`] rules out for stored settings).
    #[must_use]
    pub fn code(&self, key: &LineKey) -> String {
        self.pay_codes
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.default_code())
    }

    /// Checks the settings as a whole. Fields are named as in
    /// `SetPayrollSettingsRequest`.
    ///
    /// # Errors
    /// The first problem found, naming its field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.tiers.is_empty() {
            return Err(FieldError::new(
                "settings.overtime_tiers",
                "at least one tier is required (e.g. 50 % from 0 minutes)",
            ));
        }
        let mut previous: Option<i64> = None;
        for (i, t) in self.tiers.iter().enumerate() {
            let field = format!("settings.overtime_tiers[{i}]");
            if i == 0 && t.after_week_overtime_minutes != 0 {
                return Err(FieldError::new(
                    format!("{field}.after_week_overtime_minutes"),
                    "the first tier must start at 0 minutes, so every overtime minute has a rate",
                ));
            }
            if previous.is_some_and(|p| t.after_week_overtime_minutes <= p) {
                return Err(FieldError::new(
                    format!("{field}.after_week_overtime_minutes"),
                    "thresholds must strictly increase",
                ));
            }
            if t.after_week_overtime_minutes > 7 * 24 * 60 {
                return Err(FieldError::new(
                    format!("{field}.after_week_overtime_minutes"),
                    "must be at most 10080 (a week)",
                ));
            }
            check_rate(&format!("{field}.rate_percent"), t.rate, false)?;
            previous = Some(t.after_week_overtime_minutes);
        }
        check_rate(
            "settings.night_overtime_rate_percent",
            self.night_rate,
            true,
        )?;
        check_rate(
            "settings.sunday_holiday_overtime_rate_percent",
            self.sunday_rate,
            true,
        )?;
        let required = self.required_keys();
        for key in &required {
            if !self.pay_codes.contains_key(key) {
                return Err(FieldError::new(
                    "settings.pay_codes",
                    format!("{} has no pay code", describe(key)),
                ));
            }
        }
        for (key, code) in &self.pay_codes {
            if !required.contains(key) {
                return Err(FieldError::new(
                    "settings.pay_codes",
                    format!(
                        "{} is mapped but these settings never produce it",
                        describe(key)
                    ),
                ));
            }
            check_code(code)?;
        }
        Ok(())
    }
}

/// A key in words, e.g. "OVERTIME at 100 %".
#[must_use]
pub fn describe(key: &LineKey) -> String {
    match (key.category, key.absence) {
        (Category::Overtime, _) => format!("OVERTIME at {} %", key.rate),
        (Category::Absence, Some(k)) => {
            format!("ABSENCE of kind {}", super::lines::absence_name(k))
        }
        (c, _) => c.name().to_string(),
    }
}

fn check_rate(field: &str, rate: i32, zero_ok: bool) -> Result<(), FieldError> {
    if zero_ok && rate == 0 {
        return Ok(());
    }
    if rate < LEGAL_MIN_RATE {
        return Err(FieldError::new(
            field,
            format!(
                "{rate} % is below the legal minimum of {LEGAL_MIN_RATE} % (arbeidsmiljøloven § 10-6 (11)){}",
                if zero_ok { "; 0 means none" } else { "" }
            ),
        ));
    }
    if rate > 1000 {
        return Err(FieldError::new(field, format!("{rate} % is above 1000 %")));
    }
    Ok(())
}

/// A pay code: 1..32 letters, digits, "-" and "_".
///
/// # Errors
/// `settings.pay_codes` naming the bad code.
pub fn check_code(code: &str) -> Result<(), FieldError> {
    let ok = !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "settings.pay_codes",
            format!("pay code {code:?} must be 1..32 letters, digits, \"-\" or \"_\""),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::AbsenceKind;

    #[test]
    fn defaults_are_complete() {
        let s = PayrollSettings::default();
        s.validate().expect("defaults validate");
        assert_eq!(s.code(&LineKey::overtime(50)), "OVERTIME_50");
        assert_eq!(s.code(&LineKey::absence(AbsenceKind::Sick)), "ABSENCE_SICK");
        assert_eq!(s.pay_codes.len(), 12);
    }

    #[test]
    fn rates_below_forty_percent_are_refused() {
        let mut s = PayrollSettings::default();
        s.tiers[0].rate = 39;
        let e = s.validate().expect_err("39 %");
        assert_eq!(e.field, "settings.overtime_tiers[0].rate_percent");
        assert!(e.reason.contains("40 %"), "{}", e.reason);
        let s = PayrollSettings {
            night_rate: 20,
            ..PayrollSettings::default()
        };
        assert_eq!(
            s.validate().expect_err("night").field,
            "settings.night_overtime_rate_percent"
        );
    }

    #[test]
    fn every_rate_needs_a_code() {
        let mut s = PayrollSettings::default();
        s.tiers.push(Tier {
            after_week_overtime_minutes: 600,
            rate: 100,
        });
        let e = s.validate().expect_err("100 % unmapped");
        assert_eq!(e.field, "settings.pay_codes");
        assert!(e.reason.contains("OVERTIME at 100 %"), "{}", e.reason);
        s.pay_codes.insert(LineKey::overtime(100), "1120".into());
        s.validate().expect("mapped");
        s.pay_codes.insert(LineKey::overtime(75), "1130".into());
        let e = s.validate().expect_err("75 % never produced");
        assert!(e.reason.contains("never produce"), "{}", e.reason);
    }

    #[test]
    fn tiers_must_start_at_zero_and_increase() {
        let mut s = PayrollSettings::default();
        s.tiers[0].after_week_overtime_minutes = 60;
        assert!(
            s.validate()
                .expect_err("start")
                .field
                .ends_with("after_week_overtime_minutes")
        );
        let mut s = PayrollSettings::default();
        s.tiers.push(Tier {
            after_week_overtime_minutes: 0,
            rate: 100,
        });
        s.pay_codes.insert(LineKey::overtime(100), "X".into());
        assert_eq!(
            s.validate().expect_err("increase").field,
            "settings.overtime_tiers[1].after_week_overtime_minutes"
        );
    }

    #[test]
    fn bad_codes_are_named() {
        let mut s = PayrollSettings::default();
        s.pay_codes
            .insert(LineKey::of(Category::Worked), "lønn 1".into());
        let e = s.validate().expect_err("space");
        assert!(e.reason.contains("lønn 1"), "{}", e.reason);
    }
}
