//! Nudge categories: what a nudge is about, for muting and weekly dedup.
//!
//! Optional categories are product policy about the employee's own habits
//! (evenings, weekends, …): the employee may mute them. Legal categories
//! follow a duty of the employer (arbeidsmiljøloven ch. 10 and its EU and
//! German counterparts); they cannot be muted, because the law requires them
//! to be followed up.

use crate::domain::engine::finding::Severity;

/// A nudge category. The string ids are part of the API (`nudge.proto`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Evening,
    Night,
    Weekend,
    LongDay,
    Creep,
    HomeOffice,
    CoreHours,
    AbsenceWork,
    Record,
    OvertimeNear,
    OvertimeLimit,
    WorkingTimeLimit,
    Rest,
    Breaks,
    SundayHoliday,
}

impl Category {
    /// Every category, optional ones first.
    pub const ALL: [Self; 15] = [
        Self::Evening,
        Self::Night,
        Self::Weekend,
        Self::LongDay,
        Self::Creep,
        Self::HomeOffice,
        Self::CoreHours,
        Self::AbsenceWork,
        Self::Record,
        Self::OvertimeNear,
        Self::OvertimeLimit,
        Self::WorkingTimeLimit,
        Self::Rest,
        Self::Breaks,
        Self::SundayHoliday,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Evening => "evening",
            Self::Night => "night",
            Self::Weekend => "weekend",
            Self::LongDay => "long_day",
            Self::Creep => "creep",
            Self::HomeOffice => "home_office",
            Self::CoreHours => "core_hours",
            Self::AbsenceWork => "absence_work",
            Self::Record => "record",
            Self::OvertimeNear => "overtime_near",
            Self::OvertimeLimit => "overtime_limit",
            Self::WorkingTimeLimit => "working_time_limit",
            Self::Rest => "rest",
            Self::Breaks => "breaks",
            Self::SundayHoliday => "sunday_holiday",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether the employee may mute it. Legal categories may not.
    #[must_use]
    pub fn is_mutable(self) -> bool {
        matches!(
            self,
            Self::Evening
                | Self::Night
                | Self::Weekend
                | Self::LongDay
                | Self::Creep
                | Self::HomeOffice
                | Self::CoreHours
                | Self::AbsenceWork
        )
    }

    /// The category of a finding, or `None` for a rule that nudges nobody.
    ///
    /// A WARNING of an overtime limit is "approaching the limit"
    /// (`pol.overtime_near` is realised by that severity); its VIOLATION is
    /// the limit itself.
    #[must_use]
    pub fn of_finding(rule_id: &str, severity: Severity) -> Option<Self> {
        let c = match rule_id {
            "pol.evening" => Self::Evening,
            "pol.night" => Self::Night,
            "pol.weekend" => Self::Weekend,
            "pol.long_day" => Self::LongDay,
            "pol.creep" => Self::Creep,
            "pol.home_share" => Self::HomeOffice,
            "pol.core_hours" => Self::CoreHours,
            "pol.sick_or_vacation_work" => Self::AbsenceWork,
            "pol.missing_clock_out" | "no.record" | "eu.record" | "de.record" => Self::Record,
            "pol.overtime_near" => Self::OvertimeNear,
            "no.overtime_7d" | "no.overtime_4w" | "no.overtime_52w" | "no.overtime_26w" => {
                if severity == Severity::Violation {
                    Self::OvertimeLimit
                } else {
                    Self::OvertimeNear
                }
            }
            "no.total_24h" | "no.total_7d" | "no.averaging" | "no.averaging_week"
            | "no.night_avg" | "eu.avg_48h" | "eu.night_avg" | "de.daily_max" | "de.avg_8h" => {
                Self::WorkingTimeLimit
            }
            "no.daily_rest" | "no.weekly_rest" | "eu.daily_rest" | "eu.weekly_rest" | "de.rest" => {
                Self::Rest
            }
            "no.breaks" | "eu.breaks" | "de.breaks" => Self::Breaks,
            "no.sunday_holiday" | "no.sunday_off_next" | "de.sunday_holiday" | "de.sunday_comp"
            | "de.sundays_off" => Self::SundayHoliday,
            _ => return None,
        };
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("lunch"), None);
    }

    #[test]
    fn legal_categories_cannot_be_muted() {
        assert!(Category::Evening.is_mutable());
        assert!(!Category::Rest.is_mutable());
        assert!(!Category::Record.is_mutable());
        assert!(!Category::OvertimeNear.is_mutable());
    }

    #[test]
    fn overtime_warnings_are_near_and_violations_are_the_limit() {
        assert_eq!(
            Category::of_finding("no.overtime_7d", Severity::Warning),
            Some(Category::OvertimeNear)
        );
        assert_eq!(
            Category::of_finding("no.overtime_7d", Severity::Violation),
            Some(Category::OvertimeLimit)
        );
        assert_eq!(Category::of_finding("x.unknown", Severity::Pattern), None);
    }
}
