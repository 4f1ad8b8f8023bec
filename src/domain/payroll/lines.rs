//! Payroll lines: what a figure is (its key), its pay code and its minutes.

use std::collections::BTreeMap;

use crate::domain::policy::AbsenceKind;

/// Categories of payroll figures, in the order lines are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Scheduled,
    Worked,
    Normal,
    Overtime,
    Night,
    SundayHoliday,
    FlexMovement,
    Absence,
    TimeOffInLieu,
    OpenFindings,
}

impl Category {
    pub const ALL: [Self; 10] = [
        Self::Scheduled,
        Self::Worked,
        Self::Normal,
        Self::Overtime,
        Self::Night,
        Self::SundayHoliday,
        Self::FlexMovement,
        Self::Absence,
        Self::TimeOffInLieu,
        Self::OpenFindings,
    ];

    /// The enum value name without its prefix, as in the CSV.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Scheduled => "SCHEDULED",
            Self::Worked => "WORKED",
            Self::Normal => "NORMAL",
            Self::Overtime => "OVERTIME",
            Self::Night => "NIGHT",
            Self::SundayHoliday => "SUNDAY_HOLIDAY",
            Self::FlexMovement => "FLEX_MOVEMENT",
            Self::Absence => "ABSENCE",
            Self::TimeOffInLieu => "TIME_OFF_IN_LIEU",
            Self::OpenFindings => "OPEN_FINDINGS",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// The absence kinds reported under [`Category::Absence`]; time off in lieu
/// has its own category.
pub const ABSENCE_KINDS: [AbsenceKind; 3] =
    [AbsenceKind::Sick, AbsenceKind::Vacation, AbsenceKind::Leave];

/// The absence kind's enum value name without its prefix.
#[must_use]
pub fn absence_name(k: AbsenceKind) -> &'static str {
    match k {
        AbsenceKind::Sick => "SICK",
        AbsenceKind::Vacation => "VACATION",
        AbsenceKind::Leave => "LEAVE",
        AbsenceKind::TimeOffInLieu => "TIME_OFF_IN_LIEU",
    }
}

/// What a line is: its category, with the overtime rate or absence kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey {
    pub category: Category,
    /// Whole percent for overtime; 0 otherwise.
    pub rate: i32,
    pub absence: Option<AbsenceKind>,
}

impl LineKey {
    #[must_use]
    pub fn of(category: Category) -> Self {
        Self {
            category,
            rate: 0,
            absence: None,
        }
    }

    #[must_use]
    pub fn overtime(rate: i32) -> Self {
        Self {
            category: Category::Overtime,
            rate,
            absence: None,
        }
    }

    #[must_use]
    pub fn absence(kind: AbsenceKind) -> Self {
        Self {
            category: Category::Absence,
            rate: 0,
            absence: Some(kind),
        }
    }

    /// The default pay code: the category name, with the rate or kind.
    #[must_use]
    pub fn default_code(&self) -> String {
        match (self.category, self.absence) {
            (Category::Overtime, _) => format!("OVERTIME_{}", self.rate),
            (Category::Absence, Some(k)) => format!("ABSENCE_{}", absence_name(k)),
            (c, _) => c.name().to_string(),
        }
    }
}

/// Marks a line as the correction of a locked period.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Adjustment {
    pub period_id: String,
    pub reason: String,
}

/// One figure of an employee's period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub key: LineKey,
    pub pay_code: String,
    /// Exact signed whole minutes.
    pub minutes: i64,
    /// Only for [`Category::OpenFindings`].
    pub count: i64,
    pub adjustment: Option<Adjustment>,
}

impl Line {
    /// Lines with nothing in them are left out.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.minutes == 0 && self.count == 0
    }
}

/// Figures by key, in whole minutes (and counts).
pub type Totals = BTreeMap<LineKey, (i64, i64)>;

/// Sums lines by key (pay codes and adjustments aside).
#[must_use]
pub fn totals<'a>(lines: impl IntoIterator<Item = &'a Line>) -> Totals {
    let mut out = Totals::new();
    for l in lines {
        let e = out.entry(l.key).or_default();
        e.0 += l.minutes;
        e.1 += l.count;
    }
    out
}

/// What changed in a locked period: `now` minus what was `paid` (its frozen
/// lines plus the adjustments already carried into later locked periods).
/// Open findings are a status, not pay, so they are never carried.
#[must_use]
pub fn difference(now: &Totals, paid: &Totals) -> Totals {
    let mut out = Totals::new();
    for key in now.keys().chain(paid.keys()) {
        if key.category == Category::OpenFindings {
            continue;
        }
        let (a, _) = now.get(key).copied().unwrap_or_default();
        let (b, _) = paid.get(key).copied().unwrap_or_default();
        if a != b {
            out.insert(*key, (a - b, 0));
        }
    }
    out
}
