//! The rule packs' parameters: names, units, defaults and the range the law
//! allows (rules.md). Overrides are validated against this table, and the
//! engine reads every threshold through it, so a number lives in one place.
//!
//! The out-of-hours patterns (`pol.*`, rules.md § 4) are product policy, not
//! law: they are listed once in [`POLICY_PARAMS`] and [`POLICY_RULES`] and
//! apply in every pack. `pol.overtime_near` has no rule of its own: it is
//! the WARNING severity of the overtime limits (`no.overtime_7d`, `_4w`,
//! `_52w`), raised at `warning_at` of `no.limits` (default 80 %, i.e. 8, 20
//! and 160 h); the nudge layer maps those warnings to `overtime_near`.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use crate::domain::policy::{AgreementBasis, ValueUnit};

/// One tunable parameter of one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    pub pack: &'static str,
    pub rule: &'static str,
    pub name: &'static str,
    pub unit: ValueUnit,
    pub default: i64,
    /// Lowest value the law allows, even by agreement.
    pub min: i64,
    /// Highest value the law allows, even by agreement.
    pub max: i64,
    pub doc: &'static str,
}

/// Name and version of the packs this build implements.
pub const PACKS: &[(&str, &str)] = &[
    ("no-aml", "2026.1"),
    ("eu-wtd", "2026.1"),
    ("de-arbzg", "2026.1"),
];

/// The version of `pack`, if it exists.
#[must_use]
pub fn pack_version(pack: &str) -> Option<&'static str> {
    PACKS.iter().find(|(p, _)| *p == pack).map(|(_, v)| *v)
}

#[allow(clippy::too_many_arguments)]
const fn p(
    pack: &'static str,
    rule: &'static str,
    name: &'static str,
    unit: ValueUnit,
    default: i64,
    min: i64,
    max: i64,
    doc: &'static str,
) -> ParamSpec {
    ParamSpec {
        pack,
        rule,
        name,
        unit,
        default,
        min,
        max,
        doc,
    }
}

use ValueUnit::{BasisPoints as Bp, Count, Minutes as Min, TimeOfDay as Tod, Weeks};

/// Every parameter of every pack: the legal ones and, for each pack, the
/// policy ones.
pub static PARAMS: LazyLock<Vec<ParamSpec>> = LazyLock::new(|| {
    let mut out = LAW_PARAMS.to_vec();
    for (pack, _) in PACKS {
        out.extend(
            POLICY_PARAMS
                .iter()
                .filter(|s| s.applies_to(pack))
                .map(|s| p(pack, s.rule, s.name, s.unit, s.default, s.min, s.max, s.doc)),
        );
    }
    out
});

/// A parameter of an out-of-hours pattern, for every pack in `packs` (empty:
/// all of them). Min and max are what makes sense, not what a law allows.
#[derive(Clone, Copy, Debug)]
pub struct PolicyParam {
    pub rule: &'static str,
    pub name: &'static str,
    pub unit: ValueUnit,
    pub default: i64,
    pub min: i64,
    pub max: i64,
    pub doc: &'static str,
    pub packs: &'static [&'static str],
}

impl PolicyParam {
    fn applies_to(&self, pack: &str) -> bool {
        self.packs.is_empty() || self.packs.contains(&pack)
    }
}

#[allow(clippy::too_many_arguments)]
const fn pol(
    rule: &'static str,
    name: &'static str,
    unit: ValueUnit,
    default: i64,
    min: i64,
    max: i64,
    doc: &'static str,
    packs: &'static [&'static str],
) -> PolicyParam {
    PolicyParam {
        rule,
        name,
        unit,
        default,
        min,
        max,
        doc,
        packs,
    }
}

/// The out-of-hours patterns' parameters (rules.md § 4 defaults).
pub const POLICY_PARAMS: &[PolicyParam] = &[
    pol(
        "pol.evening",
        "frame_end",
        Tod,
        1080,
        720,
        1440,
        "evening starts here when the schedule has no flexitime frame (otherwise at the frame's end)",
        &[],
    ),
    pol(
        "pol.evening",
        "min_minutes",
        Min,
        15,
        1,
        180,
        "work between the frame's end and night start that makes a day an evening (so 18:01 is not)",
        &[],
    ),
    pol(
        "pol.evening",
        "min_days",
        Count,
        3,
        1,
        7,
        "evening days in a rolling 7 days that make a pattern",
        &[],
    ),
    pol(
        "pol.night",
        "min_minutes",
        Min,
        15,
        1,
        540,
        "night minutes in a shift that make it night work (night hours: no.night in no-aml)",
        &[],
    ),
    pol(
        "pol.night",
        "night_start",
        Tod,
        1260,
        1080,
        1380,
        "start of night for packs without a legal night period (policy 21:00)",
        &["eu-wtd", "de-arbzg"],
    ),
    pol(
        "pol.night",
        "night_end",
        Tod,
        360,
        180,
        600,
        "end of night for packs without a legal night period (policy 06:00)",
        &["eu-wtd", "de-arbzg"],
    ),
    pol(
        "pol.weekend",
        "min_minutes",
        Min,
        15,
        1,
        600,
        "work inside one weekend or holiday window that makes it weekend work",
        &[],
    ),
    pol(
        "pol.long_day",
        "limit",
        Min,
        600,
        60,
        1440,
        "worked time per shift above which the day is long (the legal 24 h limit is 13 h in no-aml)",
        &[],
    ),
    pol(
        "pol.creep",
        "margin",
        Min,
        120,
        0,
        2400,
        "worked time above the week's scheduled time that makes a week count",
        &[],
    ),
    pol(
        "pol.creep",
        "weeks",
        Weeks,
        3,
        2,
        4,
        "consecutive ISO weeks above schedule + margin (at most 4: the reach of a recompute)",
        &[],
    ),
    pol(
        "pol.home_share",
        "default_max_share",
        Bp,
        4000,
        0,
        10000,
        "share of worked time at home allowed when the agreement sets none (NTNU-style 40 %)",
        &[],
    ),
    pol(
        "pol.home_share",
        "weeks",
        Weeks,
        4,
        1,
        4,
        "ISO weeks the home share is measured over, rolling by week",
        &[],
    ),
    pol(
        "pol.core_hours",
        "max_out",
        Min,
        15,
        0,
        330,
        "clocked-out minutes within core hours tolerated on a scheduled working day",
        &[],
    ),
];

/// The legal parameters. Choices the law leaves open are written next to them.
const LAW_PARAMS: &[ParamSpec] = &[
    // ---- no-aml --------------------------------------------------------
    p(
        "no-aml",
        "no.normal_hours",
        "daily_normal",
        Min,
        540,
        60,
        540,
        "normal minutes per shift day (§ 10-4 (1)); lower only",
    ),
    p(
        "no-aml",
        "no.normal_hours",
        "weekly_normal",
        Min,
        2400,
        60,
        2400,
        "normal minutes per ISO week (§ 10-4 (1)); shift work schedules lower it to 2280/2160",
    ),
    p(
        "no-aml",
        "no.overtime_7d",
        "limit",
        Min,
        600,
        0,
        1500,
        "overtime in any 7 days (§ 10-6 (4)); 20 h tariff, 25 h Arbeidstilsynet",
    ),
    p(
        "no-aml",
        "no.overtime_4w",
        "limit",
        Min,
        1500,
        0,
        3000,
        "overtime in any 4 weeks (§ 10-6 (4)); 50 h tariff",
    ),
    p(
        "no-aml",
        "no.overtime_52w",
        "limit",
        Min,
        12000,
        0,
        18000,
        "overtime in any 52 weeks (§ 10-6 (4)); 300 h tariff",
    ),
    p(
        "no-aml",
        "no.overtime_26w",
        "limit",
        Min,
        0,
        0,
        12000,
        "overtime in any 26 weeks, only with Arbeidstilsynet's permission (§ 10-6 (6)): 200 h; 0 = no such limit",
    ),
    p(
        "no-aml",
        "no.averaging_week",
        "individual",
        Min,
        3000,
        0,
        3000,
        "working time in any single ISO week under an individual averaging agreement (§ 10-5 (1)): 50 h",
    ),
    p(
        "no-aml",
        "no.averaging_week",
        "tariff",
        Min,
        3240,
        0,
        3240,
        "working time in any single ISO week under a tariff representatives' averaging agreement (§ 10-5 (2)): 54 h",
    ),
    p(
        "no-aml",
        "no.total_24h",
        "limit",
        Min,
        780,
        60,
        960,
        "total working time in any 24 h (§ 10-6 (8)); 16 h tariff (unverified)",
    ),
    p(
        "no-aml",
        "no.total_7d",
        "limit",
        Min,
        2880,
        60,
        2880,
        "average working time per 7 days (§ 10-6 (8))",
    ),
    p(
        "no-aml",
        "no.total_7d",
        "weeks",
        Weeks,
        8,
        1,
        8,
        "ISO weeks the 48 h are averaged over",
    ),
    p(
        "no-aml",
        "no.daily_rest",
        "min_rest",
        Min,
        660,
        480,
        1440,
        "rest in every 24 h (§ 10-8 (1)); down to 8 h by tariff (§ 10-8 (3))",
    ),
    p(
        "no-aml",
        "no.weekly_rest",
        "min_rest",
        Min,
        2100,
        1680,
        10080,
        "rest in every 7 days (§ 10-8 (2)); down to 28 h by tariff",
    ),
    p(
        "no-aml",
        "no.breaks",
        "break_after",
        Min,
        330,
        0,
        330,
        "worked time per shift above which a break is due (§ 10-9 (1))",
    ),
    p(
        "no-aml",
        "no.breaks",
        "long_shift",
        Min,
        480,
        0,
        480,
        "worked time per shift from which breaks must total min_total_break",
    ),
    p(
        "no-aml",
        "no.breaks",
        "min_total_break",
        Min,
        30,
        30,
        240,
        "total break in a long shift",
    ),
    p(
        "no-aml",
        "no.breaks",
        "extra_after",
        Min,
        120,
        0,
        120,
        "work beyond the scheduled end after which an extra break is due (§ 10-9 (2))",
    ),
    p(
        "no-aml",
        "no.breaks",
        "extra_break",
        Min,
        30,
        30,
        240,
        "the extra break",
    ),
    p(
        "no-aml",
        "no.night",
        "night_start",
        Tod,
        1260,
        1080,
        1320,
        "start of night (§ 10-11 (1)); another ≥ 8 h period including 00–06 by tariff",
    ),
    p(
        "no-aml",
        "no.night",
        "night_end",
        Tod,
        360,
        360,
        480,
        "end of night",
    ),
    p(
        "no-aml",
        "no.night_avg",
        "threshold",
        Min,
        180,
        0,
        180,
        "night minutes in a shift that make it a night shift (§ 10-11 (6))",
    ),
    p(
        "no-aml",
        "no.night_avg",
        "limit",
        Min,
        480,
        60,
        480,
        "average normal working time per 24 h for night workers",
    ),
    p(
        "no-aml",
        "no.night_avg",
        "weeks",
        Weeks,
        4,
        1,
        4,
        "weeks averaged over",
    ),
    p(
        "no-aml",
        "no.limits",
        "warning_at",
        Bp,
        8000,
        5000,
        10000,
        "share of a maximum at which a WARNING is raised (10000 = none)",
    ),
    // ---- eu-wtd --------------------------------------------------------
    p(
        "eu-wtd",
        "eu.avg_48h",
        "limit",
        Min,
        2880,
        60,
        2880,
        "average weekly working time (Art. 6 (b))",
    ),
    p(
        "eu-wtd",
        "eu.avg_48h",
        "weeks",
        Weeks,
        17,
        1,
        52,
        "reference period in ISO weeks (Art. 16 (b)); up to 52 by collective agreement (Art. 19)",
    ),
    p(
        "eu-wtd",
        "eu.daily_rest",
        "min_rest",
        Min,
        660,
        660,
        1440,
        "rest in every 24 h (Art. 3)",
    ),
    p(
        "eu-wtd",
        "eu.weekly_rest",
        "min_rest",
        Min,
        2100,
        2100,
        10080,
        "uninterrupted rest in every 7 days (Art. 5)",
    ),
    p(
        "eu-wtd",
        "eu.breaks",
        "break_after",
        Min,
        360,
        0,
        360,
        "working day above which a break is due (Art. 4)",
    ),
    p(
        "eu-wtd",
        "eu.breaks",
        "min_break",
        Min,
        15,
        1,
        240,
        "length of that break (policy; the Directive sets none)",
    ),
    p(
        "eu-wtd",
        "eu.night_avg",
        "threshold",
        Min,
        180,
        0,
        180,
        "night minutes that make a shift a night shift (Art. 2 (4))",
    ),
    p(
        "eu-wtd",
        "eu.night_avg",
        "limit",
        Min,
        480,
        60,
        480,
        "average working time per 24 h of night workers (Art. 8)",
    ),
    p(
        "eu-wtd",
        "eu.night_avg",
        "weeks",
        Weeks,
        4,
        1,
        17,
        "reference period (set nationally)",
    ),
    p(
        "eu-wtd",
        "eu.limits",
        "warning_at",
        Bp,
        8000,
        5000,
        10000,
        "share of a maximum at which a WARNING is raised",
    ),
    // ---- de-arbzg ------------------------------------------------------
    p(
        "de-arbzg",
        "de.daily_max",
        "normal",
        Min,
        480,
        60,
        480,
        "working time per Werktag (ArbZG § 3)",
    ),
    p(
        "de-arbzg",
        "de.daily_max",
        "limit",
        Min,
        600,
        60,
        600,
        "hard cap per Werktag (§ 3)",
    ),
    p(
        "de-arbzg",
        "de.avg_8h",
        "weeks",
        Weeks,
        24,
        1,
        26,
        "ISO weeks the 8 h per Werktag are averaged over (§ 3)",
    ),
    p(
        "de-arbzg",
        "de.breaks",
        "short_after",
        Min,
        360,
        0,
        360,
        "work above which 30 min break is due (§ 4)",
    ),
    p(
        "de-arbzg",
        "de.breaks",
        "long_after",
        Min,
        540,
        0,
        540,
        "work above which 45 min break is due (§ 4)",
    ),
    p(
        "de-arbzg",
        "de.breaks",
        "min_block",
        Min,
        15,
        15,
        60,
        "shortest break block that counts (§ 4)",
    ),
    p(
        "de-arbzg",
        "de.rest",
        "min_rest",
        Min,
        660,
        600,
        1440,
        "rest after daily work (§ 5 (1)); 10 h in the sectors of § 5 (2)",
    ),
    p(
        "de-arbzg",
        "de.sunday_comp",
        "sundays_off",
        Count,
        15,
        15,
        52,
        "Sundays off per year (§ 11 (1))",
    ),
    p(
        "de-arbzg",
        "de.limits",
        "warning_at",
        Bp,
        8000,
        5000,
        10000,
        "share of a maximum at which a WARNING is raised",
    ),
];

/// [`PARAMS`] by (pack, rule, name): the engine asks for a default per rule
/// and day. A scan of the whole list with three string comparisons a row
/// was 4 % of a recompute's CPU (issue 15, twenty-fifth round's profile); a
/// map by rule with Rust's default (DoS-resistant) hash and a scan of the
/// rule's rows was still 3.1 % of the server's CPU under `SyncEvents`, and
/// one `FxHash` of the three keys 2.3 % (twenty-eighth round). The keys are
/// the catalog's own, so a hash built against hostile keys buys nothing.
static BY_KEY: LazyLock<FxHashMap<(&'static str, &'static str, &'static str), &'static ParamSpec>> =
    LazyLock::new(|| {
        PARAMS
            .iter()
            .map(|s| ((s.pack, s.rule, s.name), s))
            .collect()
    });

/// The spec of one parameter.
#[must_use]
pub fn param(pack: &str, rule: &str, name: &str) -> Option<&'static ParamSpec> {
    // The map's keys are `'static`; a map is covariant in its key, so it
    // answers a lookup by borrowed strings.
    let by_key: &FxHashMap<(&str, &str, &str), &'static ParamSpec> = &BY_KEY;
    by_key.get(&(pack, rule, name)).copied()
}

/// Whether `rule` exists in `pack` (a rule with no parameters exists too).
#[must_use]
pub fn rule_exists(pack: &str, rule: &str) -> bool {
    PARAMS.iter().any(|s| s.pack == pack && s.rule == rule)
        || RULES.iter().any(|r| r.pack == pack && r.id == rule)
}

/// A rule that produces findings, with its legal source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    pub pack: &'static str,
    pub id: &'static str,
    pub citation: &'static str,
}

const fn r(pack: &'static str, id: &'static str, citation: &'static str) -> RuleSpec {
    RuleSpec { pack, id, citation }
}

/// Every rule that can raise a finding: the legal ones and, for each pack,
/// the out-of-hours patterns.
pub static RULES: LazyLock<Vec<RuleSpec>> = LazyLock::new(|| {
    let mut out = LAW_RULES.to_vec();
    for (pack, _) in PACKS {
        out.extend(
            POLICY_RULES
                .iter()
                .map(|(id, citation)| r(pack, id, citation)),
        );
    }
    out
});

/// The out-of-hours patterns (rules.md § 4) and their citations: the same
/// in every pack. `pol.missing_clock_out` cites each pack's record-keeping
/// law and stays in [`LAW_RULES`].
pub const POLICY_RULES: &[(&str, &str)] = &[
    ("pol.evening", "Tidsvakt policy pol.evening"),
    ("pol.night", "Tidsvakt policy pol.night"),
    ("pol.weekend", "Tidsvakt policy pol.weekend"),
    ("pol.long_day", "Tidsvakt policy pol.long_day"),
    ("pol.creep", "Tidsvakt policy pol.creep"),
    ("pol.home_share", "Tidsvakt policy pol.home_share"),
    ("pol.core_hours", "Tidsvakt policy pol.core_hours"),
    (
        "pol.sick_or_vacation_work",
        "Tidsvakt policy pol.sick_or_vacation_work",
    ),
];

const LAW_RULES: &[RuleSpec] = &[
    r("no-aml", "no.overtime_7d", "arbeidsmiljøloven § 10-6 (4)"),
    r("no-aml", "no.overtime_4w", "arbeidsmiljøloven § 10-6 (4)"),
    r("no-aml", "no.overtime_52w", "arbeidsmiljøloven § 10-6 (4)"),
    r("no-aml", "no.total_24h", "arbeidsmiljøloven § 10-6 (8)"),
    r("no-aml", "no.total_7d", "arbeidsmiljøloven § 10-6 (8)"),
    r("no-aml", "no.averaging", "arbeidsmiljøloven § 10-5"),
    r("no-aml", "no.overtime_26w", "arbeidsmiljøloven § 10-6 (6)"),
    r(
        "no-aml",
        "no.averaging_week",
        "arbeidsmiljøloven § 10-5 (1),(2)",
    ),
    r("no-aml", "no.daily_rest", "arbeidsmiljøloven § 10-8 (1)"),
    r("no-aml", "no.weekly_rest", "arbeidsmiljøloven § 10-8 (2)"),
    r("no-aml", "no.breaks", "arbeidsmiljøloven § 10-9"),
    r(
        "no-aml",
        "no.sunday_holiday",
        "arbeidsmiljøloven § 10-10 (1)",
    ),
    r(
        "no-aml",
        "no.sunday_off_next",
        "arbeidsmiljøloven § 10-8 (4)",
    ),
    r("no-aml", "no.night_avg", "arbeidsmiljøloven § 10-11 (6)"),
    r(
        "no-aml",
        "pol.missing_clock_out",
        "arbeidsmiljøloven § 10-7; Tidsvakt policy pol.missing_clock_out",
    ),
    r(
        "no-aml",
        "no.record",
        "arbeidsmiljøloven § 10-7 (record of hours worked)",
    ),
    r("eu-wtd", "eu.avg_48h", "Directive 2003/88/EC Art. 6 (b)"),
    r("eu-wtd", "eu.daily_rest", "Directive 2003/88/EC Art. 3"),
    r("eu-wtd", "eu.weekly_rest", "Directive 2003/88/EC Art. 5"),
    r("eu-wtd", "eu.breaks", "Directive 2003/88/EC Art. 4"),
    r("eu-wtd", "eu.night_avg", "Directive 2003/88/EC Art. 8"),
    r(
        "eu-wtd",
        "pol.missing_clock_out",
        "Directive 2003/88/EC (C-55/18); Tidsvakt policy pol.missing_clock_out",
    ),
    r(
        "eu-wtd",
        "eu.record",
        "Directive 2003/88/EC (C-55/18, record of daily working time)",
    ),
    r("de-arbzg", "de.daily_max", "ArbZG § 3"),
    r("de-arbzg", "de.avg_8h", "ArbZG § 3"),
    r("de-arbzg", "de.breaks", "ArbZG § 4"),
    r("de-arbzg", "de.rest", "ArbZG § 5 (1)"),
    r("de-arbzg", "de.sunday_holiday", "ArbZG § 9 (1)"),
    r("de-arbzg", "de.sunday_comp", "ArbZG § 11 (3)"),
    r("de-arbzg", "de.sundays_off", "ArbZG § 11 (1)"),
    r(
        "de-arbzg",
        "pol.missing_clock_out",
        "ArbZG § 16 (2); Tidsvakt policy pol.missing_clock_out",
    ),
    r("de-arbzg", "de.record", "ArbZG § 16 (2)"),
];

/// What an agreement of one basis may set: the most the law lets it agree
/// to for one term (rules.md § 1, "changed by agreement"). The API checks
/// agreements against this table, beside the parameters above, so the
/// numbers live in the catalog only (issue 13 item 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgreementRange {
    pub basis: AgreementBasis,
    /// `overtime_7d`, `overtime_4w`, `overtime_52w`, `overtime_26w`,
    /// `averaging_weeks`, `averaging_daily`, `averaging_weekly`.
    pub term: &'static str,
    /// The highest value; 0 when this basis cannot set the term.
    pub max: i64,
    /// Who agrees, and the source, for the error message.
    pub who: &'static str,
}

const fn ar(
    basis: AgreementBasis,
    term: &'static str,
    max: i64,
    who: &'static str,
) -> AgreementRange {
    AgreementRange {
        basis,
        term,
        max,
        who,
    }
}

use AgreementBasis::{Individual, LabourInspectorate, TariffRepresentatives};

/// Every term an agreement can set, per basis. An `Individual` agreement
/// cannot raise overtime limits (§ 10-6 (5), (6)), so it has no overtime
/// rows.
pub const AGREEMENT_RANGES: &[AgreementRange] = &[
    ar(
        TariffRepresentatives,
        "overtime_7d",
        1200,
        "tariff representatives (§ 10-6 (5))",
    ),
    ar(
        TariffRepresentatives,
        "overtime_4w",
        3000,
        "tariff representatives (§ 10-6 (5))",
    ),
    ar(
        TariffRepresentatives,
        "overtime_52w",
        18000,
        "tariff representatives (§ 10-6 (5))",
    ),
    ar(
        TariffRepresentatives,
        "overtime_26w",
        0,
        "tariff representatives",
    ),
    ar(
        LabourInspectorate,
        "overtime_7d",
        1500,
        "Arbeidstilsynet (§ 10-6 (6))",
    ),
    ar(
        LabourInspectorate,
        "overtime_4w",
        3000,
        "Arbeidstilsynet (§ 10-6 (6))",
    ),
    ar(
        LabourInspectorate,
        "overtime_52w",
        18000,
        "Arbeidstilsynet (§ 10-6 (6))",
    ),
    ar(
        LabourInspectorate,
        "overtime_26w",
        12000,
        "Arbeidstilsynet (§ 10-6 (6))",
    ),
    ar(
        Individual,
        "averaging_weeks",
        52,
        "an individual agreement (§ 10-5 (1))",
    ),
    ar(
        Individual,
        "averaging_daily",
        600,
        "an individual agreement (§ 10-5 (1))",
    ),
    ar(
        Individual,
        "averaging_weekly",
        2880,
        "an individual agreement (§ 10-5 (1))",
    ),
    ar(
        TariffRepresentatives,
        "averaging_weeks",
        52,
        "tariff representatives (§ 10-5 (2))",
    ),
    ar(
        TariffRepresentatives,
        "averaging_daily",
        750,
        "tariff representatives (§ 10-5 (2))",
    ),
    ar(
        TariffRepresentatives,
        "averaging_weekly",
        3240,
        "tariff representatives (§ 10-5 (2))",
    ),
    ar(
        LabourInspectorate,
        "averaging_weeks",
        26,
        "Arbeidstilsynet (§ 10-5 (3))",
    ),
    ar(
        LabourInspectorate,
        "averaging_daily",
        780,
        "Arbeidstilsynet (§ 10-5 (3))",
    ),
    ar(
        LabourInspectorate,
        "averaging_weekly",
        3240,
        "Arbeidstilsynet (§ 10-5 (3))",
    ),
];

/// The range of `term` for an agreement of `basis`, if it can set it.
#[must_use]
pub fn agreement_range(basis: AgreementBasis, term: &str) -> Option<&'static AgreementRange> {
    AGREEMENT_RANGES
        .iter()
        .find(|r| r.basis == basis && r.term == term)
}

/// The citation of a rule.
#[must_use]
pub fn citation(pack: &str, rule: &str) -> &'static str {
    RULES
        .iter()
        .find(|r| r.pack == pack && r.id == rule)
        .map_or("", |r| r.citation)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule exists in its own pack only (a mutation run found the pack
    /// comparison inverted unnoticed): `pol.*` rules are in every pack.
    #[test]
    fn a_rule_exists_only_in_its_own_pack() {
        assert!(rule_exists("no-aml", "no.daily_rest"));
        assert!(!rule_exists("eu-wtd", "no.daily_rest"));
        assert!(!rule_exists("de-arbzg", "eu.daily_rest"));
        assert!(rule_exists("eu-wtd", "eu.daily_rest"));
        assert!(!rule_exists("no-aml", "no.nothing"));
    }

    #[test]
    fn defaults_lie_within_the_legal_range() {
        for s in PARAMS.iter() {
            assert!(
                s.min <= s.default && s.default <= s.max,
                "{}/{}/{}",
                s.pack,
                s.rule,
                s.name
            );
            assert!(pack_version(s.pack).is_some(), "{}", s.pack);
        }
    }

    #[test]
    fn every_parameter_has_its_own_key() {
        // `BY_KEY` keeps one row a key: a second would hide the first.
        assert_eq!(BY_KEY.len(), PARAMS.len());
    }

    #[test]
    fn every_pattern_is_cited_and_tunable_in_every_pack() {
        for (pack, _) in PACKS {
            for (id, _) in POLICY_RULES {
                assert_eq!(
                    citation(pack, id),
                    format!("Tidsvakt policy {id}"),
                    "{pack}"
                );
                assert!(rule_exists(pack, id), "{pack}/{id}");
            }
            assert!(param(pack, "pol.night", "min_minutes").is_some(), "{pack}");
            assert!(param(pack, "pol.evening", "min_days").is_some(), "{pack}");
            // Night hours: the law's in no-aml, the policy's elsewhere.
            assert_eq!(
                param(pack, "pol.night", "night_start").is_some(),
                *pack != "no-aml",
                "{pack}"
            );
        }
        // Approaching an overtime limit is the limit's WARNING, not a rule.
        assert!(!rule_exists("no-aml", "pol.overtime_near"));
    }

    #[test]
    fn agreement_ranges_stay_within_the_parameters_legal_range() {
        for r in AGREEMENT_RANGES {
            if let Some(rule) = r.term.strip_prefix("overtime_") {
                let p = param("no-aml", &format!("no.overtime_{rule}"), "limit").unwrap();
                assert!(r.max <= p.max, "{:?} {} above {}", r.basis, r.term, p.max);
            }
        }
        for basis in [Individual, TariffRepresentatives, LabourInspectorate] {
            for term in ["averaging_weeks", "averaging_daily", "averaging_weekly"] {
                assert!(agreement_range(basis, term).is_some(), "{basis:?} {term}");
            }
        }
        assert!(agreement_range(Individual, "overtime_7d").is_none());
    }

    #[test]
    fn daily_rest_cannot_go_below_eight_hours() {
        let s = param("no-aml", "no.daily_rest", "min_rest").unwrap();
        assert_eq!((s.min, s.default), (480, 660));
    }
}
