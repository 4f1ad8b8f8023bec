//! The plan pages' sections: what each lists, the fields of its forms,
//! and how a posted form becomes the plan use cases' requests. Every check
//! beyond "is this a date, a time, a number" is the RPCs' own
//! (`grpc::policy_convert`), so the pages, gRPC and the CLI refuse the same
//! things for the same reasons.

use chrono::{NaiveDate, NaiveTime, Timelike as _};
use uuid::Uuid;

use super::admin_plans::{Errors, Lookups, Section, TableView, Values, api_to_errors};
use super::format;
use super::i18n::word;
use crate::domain::employee::Locale;
use crate::domain::ids::EmployeeId;
use crate::domain::policy::{AgreementBasis, ValueUnit, always, day_normal_minutes};
use crate::domain::rejudge::{agreement_end_rejudged_from, holiday_rejudged_from};
use crate::domain::rules::catalog;
use crate::grpc::Ctx;
use crate::grpc::auth::Caller;
use crate::grpc::error::{ApiError, ApiResult};
use crate::grpc::policy_convert::{absence_in, agreement_in, holiday_in, override_in, schedule_in};
use crate::grpc::policy_service;
use crate::grpc::timesheet_convert::date_pb;
use crate::pb;

/// The summaries a confirmed change can end in (`done_*` words).
pub const DONE: &[&str] = &[
    "schedule",
    "agreement",
    "agreement_end",
    "absence",
    "absence_cancel",
    "holiday",
    "holiday_remove",
    "override",
    "override_delete",
];

/// How a field is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Date,
    Time,
    Number,
    Select,
    /// Several employees at once.
    Multi,
    /// Several checkboxes of one name.
    Checks,
    Checkbox,
}

impl Kind {
    /// The template's name for it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Date => "date",
            Self::Time => "time",
            Self::Number => "number",
            Self::Select => "select",
            Self::Multi => "multi",
            Self::Checks => "checks",
            Self::Checkbox => "checkbox",
        }
    }
}

/// One field of a form.
#[derive(Clone, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    /// The word key of its label.
    pub label: &'static str,
    pub kind: Kind,
    pub options: Vec<(String, String)>,
    /// The word key of its hint, or empty.
    pub hint: &'static str,
    /// Checkboxes ticked on a fresh form.
    pub checked: Vec<String>,
}

fn field(name: &'static str, label: &'static str, kind: Kind) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind,
        options: Vec::new(),
        hint: "",
        checked: Vec::new(),
    }
}

impl FieldSpec {
    fn options(mut self, options: Vec<(String, String)>) -> Self {
        self.options = options;
        self
    }

    fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }
}

/// One form of a section.
#[derive(Clone, Debug)]
pub struct FormSpec {
    /// Which form was posted (the hidden `op`).
    pub op: &'static str,
    pub heading: &'static str,
    pub submit: &'static str,
    pub fields: Vec<FieldSpec>,
}

impl FormSpec {
    fn names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).collect()
    }
}

/// A use case's request, built from a form.
#[derive(Clone, Debug)]
pub enum Request {
    Schedule(pb::SetScheduleRequest),
    Agreement(pb::CreateAgreementRequest),
    EndAgreement(pb::EndAgreementRequest),
    Absence(pb::CreateAbsenceRequest),
    CancelAbsence(pb::CancelAbsenceRequest),
    Holiday(pb::AddHolidayRequest),
    RemoveHoliday(pb::RemoveHolidayRequest),
    Override(pb::SetRuleOverrideRequest),
    DeleteOverride(pb::DeleteRuleOverrideRequest),
}

/// A checked change, ready to confirm.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Which `done_*` summary it ends in.
    pub done: &'static str,
    /// Whom it re-judges; `None`: the whole organisation.
    pub who: Option<Vec<EmployeeId>>,
    /// The first local date it re-judges.
    pub from: NaiveDate,
    pub requests: Vec<Request>,
}

/// What a section's page lists, and what its second form can act on.
pub struct Listing {
    pub table: TableView,
    /// `(id, label)` of what can be ended, cancelled, removed or deleted.
    pub targets: Vec<(String, String)>,
    /// The allowed ranges shown beside the form.
    pub notes: Vec<String>,
}

fn opts(l: Locale, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, k)| ((*v).to_owned(), word(l, k).to_owned()))
        .collect()
}

fn people(look: &Lookups) -> Vec<(String, String)> {
    look.active
        .iter()
        .map(|(id, name)| (id.to_string(), name.clone()))
        .collect()
}

const AGREEMENT_KINDS: &[(&str, &str)] = &[
    ("home_office", "ag_home_office"),
    ("extended_overtime", "ag_extended_overtime"),
    ("averaging", "ag_averaging"),
    ("reduced_rest", "ag_reduced_rest"),
];
const BASES: &[(&str, &str)] = &[
    ("individual", "basis_individual"),
    ("tariff_representatives", "basis_tariff_representatives"),
    ("labour_inspectorate", "basis_labour_inspectorate"),
];
const ABSENCE_KINDS: &[(&str, &str)] = &[
    ("sick", "abs_sick"),
    ("vacation", "abs_vacation"),
    ("leave", "abs_leave"),
    ("time_off_in_lieu", "abs_toil"),
];
const HOLIDAY_KINDS: &[(&str, &str)] = &[
    ("public", "hk_public"),
    ("eve", "hk_eve"),
    ("day_off", "hk_day_off"),
];
/// An agreement's terms, and the catalog's name for each.
const TERMS: &[(&str, &str, &str)] = &[
    ("max_home_share_percent", "ap_home_share", ""),
    ("overtime_7d_limit_minutes", "ap_ot_7d", "overtime_7d"),
    ("overtime_4w_limit_minutes", "ap_ot_4w", "overtime_4w"),
    ("overtime_52w_limit_minutes", "ap_ot_52w", "overtime_52w"),
    ("overtime_26w_limit_minutes", "ap_ot_26w", "overtime_26w"),
    ("period_weeks", "ap_avg_weeks", "averaging_weeks"),
    ("daily_cap_minutes", "ap_avg_daily", "averaging_daily"),
    ("weekly_cap_minutes", "ap_avg_weekly", "averaging_weekly"),
    ("daily_rest_minutes", "ap_rest_daily", ""),
    ("weekly_rest_minutes", "ap_rest_weekly", ""),
];

fn weekday_options(l: Locale) -> Vec<(String, String)> {
    (1..=7)
        .map(|d| (d.to_string(), word(l, &format!("wd_{d}")).to_owned()))
        .collect()
}

/// The "pack|rule|parameter" choices of an override, each with its unit,
/// default and the range the law allows, read from the catalog.
fn parameter_options(l: Locale) -> Vec<(String, String)> {
    catalog::PARAMS
        .iter()
        .map(|p| {
            (
                format!("{}|{}|{}", p.pack, p.rule, p.name),
                format!(
                    "{} · {} · {} ({}; {} {}; {} {}..{})",
                    p.pack,
                    p.rule,
                    p.name,
                    unit_word(l, p.unit),
                    word(l, "ap_default"),
                    p.default,
                    word(l, "ap_allowed"),
                    p.min,
                    p.max
                ),
            )
        })
        .collect()
}

fn unit_word(l: Locale, u: ValueUnit) -> &'static str {
    word(
        l,
        match u {
            ValueUnit::Minutes => "unit_minutes",
            ValueUnit::Count => "unit_count",
            ValueUnit::BasisPoints => "unit_basis_points",
            ValueUnit::TimeOfDay => "unit_time_of_day",
            ValueUnit::Weeks => "unit_weeks",
        },
    )
}

/// The forms of `section`.
#[must_use]
#[allow(clippy::too_many_lines)] // one arm per section, its fields in order
pub fn forms(
    section: Section,
    l: Locale,
    look: &Lookups,
    targets: &[(String, String)],
) -> Vec<FormSpec> {
    use Kind::{Checkbox, Checks, Date, Multi, Number, Select, Text, Time};
    let targets = targets.to_vec();
    match section {
        Section::Schedules => vec![FormSpec {
            op: "set",
            heading: "ap_set_schedule",
            submit: "ap_set_schedule",
            fields: vec![
                field("employees", "ap_employees", Multi)
                    .options(people(look))
                    .hint("ap_employees_hint"),
                field("valid_from", "ap_valid_from", Date),
                field("valid_to", "ap_valid_to", Date),
                FieldSpec {
                    checked: (1..=5).map(|d: i32| d.to_string()).collect(),
                    ..field("weekdays", "ap_weekdays", Checks).options(weekday_options(l))
                },
                field("start", "ap_day_start", Time),
                field("end", "ap_day_end", Time),
                field("break_minutes", "ap_break_minutes", Number),
                field("breaks_paid", "ap_breaks_paid", Checkbox),
                field("core_start", "ap_core_start", Time),
                field("core_end", "ap_core_end", Time),
                field("flex_frame_start", "ap_flex_start", Time),
                field("flex_frame_end", "ap_flex_end", Time),
            ],
        }],
        Section::Agreements => {
            let mut fields = vec![
                field("employee_id", "ap_employee", Select).options(people(look)),
                field("kind", "ap_kind", Select).options(opts(l, AGREEMENT_KINDS)),
                field("basis", "ap_basis", Select).options(opts(l, BASES)),
                field("valid_from", "ap_valid_from", Date),
                field("valid_to", "ap_valid_to", Date),
                field("reference", "ap_reference", Text).hint("ap_reference_hint"),
            ];
            for (i, (name, label, _)) in TERMS.iter().enumerate() {
                let f = field(name, label, Number);
                fields.push(if i == 0 { f.hint("ap_terms_hint") } else { f });
            }
            vec![
                FormSpec {
                    op: "create",
                    heading: "ap_create_agreement",
                    submit: "ap_create_agreement",
                    fields,
                },
                FormSpec {
                    op: "end",
                    heading: "ap_end_agreement",
                    submit: "ap_end",
                    fields: vec![
                        field("agreement_id", "ap_agreement", Select).options(targets),
                        field("last_day", "ap_last_day", Date),
                        field("reason", "ap_reason", Text),
                    ],
                },
            ]
        }
        Section::Absences => vec![
            FormSpec {
                op: "add",
                heading: "ap_add_absence",
                submit: "ap_add_absence",
                fields: vec![
                    field("employees", "ap_employees", Multi)
                        .options(people(look))
                        .hint("ap_employees_hint"),
                    field("kind", "ap_kind", Select).options(opts(l, ABSENCE_KINDS)),
                    field("first", "ap_first", Date),
                    field("last", "ap_last", Date),
                    field("minutes_per_day", "ap_minutes_per_day", Number)
                        .hint("ap_minutes_per_day_hint"),
                    field("note", "ap_note", Text),
                ],
            },
            FormSpec {
                op: "cancel",
                heading: "ap_cancel_absence",
                submit: "ap_cancel",
                fields: vec![
                    field("absence_id", "ap_absence", Select).options(targets),
                    field("reason", "ap_reason", Text),
                ],
            },
        ],
        Section::Holidays => vec![
            FormSpec {
                op: "add",
                heading: "ap_add_holiday",
                submit: "ap_add_holiday",
                fields: vec![
                    field("date", "ap_date", Date),
                    field("name", "ap_name", Text),
                    field("kind", "ap_kind", Select).options(opts(l, HOLIDAY_KINDS)),
                    field("window_start", "ap_window_start", Time).hint("ap_window_start_hint"),
                ],
            },
            FormSpec {
                op: "remove",
                heading: "ap_remove_holiday",
                submit: "ap_remove",
                fields: vec![field("holiday_id", "ap_holiday", Select).options(targets)],
            },
        ],
        Section::Overrides => vec![
            FormSpec {
                op: "set",
                heading: "ap_set_override",
                submit: "ap_set_override",
                fields: vec![
                    field("employee_id", "ap_scope", Select)
                        .options(people(look))
                        .hint("ap_scope_hint"),
                    field("rule", "ap_rule", Select)
                        .options(parameter_options(l))
                        .hint("ap_rule_hint"),
                    field("value", "ap_value", Number),
                    field("effective_from", "ap_effective_from", Date)
                        .hint("ap_effective_from_hint"),
                    field("reason", "ap_reason", Text),
                ],
            },
            FormSpec {
                op: "delete",
                heading: "ap_delete_override",
                submit: "ap_delete",
                fields: vec![field("override_id", "ap_override", Select).options(targets)],
            },
        ],
    }
}

/// The form-level checks: present, a date, a time, a number, a choice.
struct Check<'a> {
    l: Locale,
    v: &'a Values,
    errors: Errors,
}

impl Check<'_> {
    fn fail(&mut self, name: &str, key: &str) {
        self.errors
            .entry(name.to_owned())
            .or_insert_with(|| word(self.l, key).to_owned());
    }

    fn text(&mut self, name: &str, required: bool) -> String {
        let s = self.v.get(name).to_owned();
        if required && s.is_empty() {
            self.fail(name, "err_required");
        }
        s
    }

    fn date(&mut self, name: &str, required: bool) -> Option<NaiveDate> {
        let s = self.v.get(name);
        if s.is_empty() {
            if required {
                self.fail(name, "err_required");
            }
            return None;
        }
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|d| (1900..=9999).contains(&chrono::Datelike::year(d)));
        if d.is_none() {
            self.fail(name, "err_date");
        }
        d
    }

    fn time(&mut self, name: &str, required: bool) -> Option<NaiveTime> {
        let s = self.v.get(name);
        if s.is_empty() {
            if required {
                self.fail(name, "err_required");
            }
            return None;
        }
        let t = NaiveTime::parse_from_str(s, "%H:%M").ok();
        if t.is_none() {
            self.fail(name, "err_time");
        }
        t
    }

    /// A whole number; empty is `None` (0 to the use case).
    fn number(&mut self, name: &str, required: bool) -> Option<i64> {
        let s = self.v.get(name);
        if s.is_empty() {
            if required {
                self.fail(name, "err_required");
            }
            return None;
        }
        let n = s.parse().ok();
        if n.is_none() {
            self.fail(name, "err_number");
        }
        n
    }

    /// One of `choices` (by value), as its index.
    fn choice(&mut self, name: &str, choices: &[&str]) -> Option<usize> {
        let s = self.v.get(name);
        let i = choices.iter().position(|c| *c == s);
        if i.is_none() {
            self.fail(name, "err_choose");
        }
        i
    }

    /// Employees chosen from the active ones offered.
    fn employees(&mut self, name: &str, look: &Lookups, many: bool) -> Vec<EmployeeId> {
        let chosen = if many {
            self.v.all(name)
        } else {
            let one = self.v.get(name);
            if one.is_empty() {
                Vec::new()
            } else {
                vec![one.to_owned()]
            }
        };
        if chosen.is_empty() {
            self.fail(name, if many { "err_employees" } else { "err_choose" });
            return Vec::new();
        }
        let mut ids = Vec::new();
        for c in chosen {
            match look.active.iter().find(|(id, _)| id.to_string() == c) {
                Some((id, _)) if !ids.contains(id) => ids.push(*id),
                Some(_) => {}
                None => self.fail(name, "err_choose"),
            }
        }
        ids
    }

    /// A target of the second form, from what the page offered.
    fn target(&mut self, name: &str, targets: &[(String, String)]) -> Option<Uuid> {
        let s = self.v.get(name);
        let found = targets
            .iter()
            .find(|(id, _)| id == s)
            .and_then(|(id, _)| id.parse().ok());
        if found.is_none() {
            self.fail(name, "err_choose");
        }
        found
    }
}

fn time_pb(t: NaiveTime) -> pb::LocalTime {
    pb::LocalTime {
        hours: i32::try_from(t.hour()).unwrap_or_default(),
        minutes: i32::try_from(t.minute()).unwrap_or_default(),
    }
}

/// Checks a posted form and builds its requests, or says what is wrong.
///
/// # Errors
/// Storage errors while reading what a form names.
#[allow(clippy::too_many_lines, clippy::items_after_statements)] // one arm per form, each field in the form's order
pub async fn prepare(
    ctx: &Ctx,
    caller: &Caller,
    l: Locale,
    section: Section,
    spec: &FormSpec,
    values: &Values,
    look: &Lookups,
) -> ApiResult<Result<Prepared, Errors>> {
    let mut c = Check {
        l,
        v: values,
        errors: Errors::new(),
    };
    let targets: Vec<(String, String)> = spec
        .fields
        .first()
        .map(|f| f.options.clone())
        .unwrap_or_default();
    let names = spec.names();
    // The use case's own check, beside the field it names.
    let refused =
        |e: ApiError, renames: &[(&str, &'static str)]| api_to_errors(l, e, renames, &names);
    let prepared = match (section, spec.op) {
        (Section::Schedules, "set") => {
            let ids = c.employees("employees", look, true);
            let valid_from = c.date("valid_from", true);
            let valid_to = c.date("valid_to", false);
            let weekdays: Vec<i32> = values
                .all("weekdays")
                .iter()
                .filter_map(|d| d.parse().ok())
                .filter(|d| (1..=7).contains(d))
                .collect();
            if weekdays.is_empty() {
                c.fail("weekdays", "err_weekdays");
            }
            let start = c.time("start", true);
            let end = c.time("end", true);
            let break_minutes = c.number("break_minutes", false).unwrap_or(0);
            let breaks_paid = !values.get("breaks_paid").is_empty();
            let core = (c.time("core_start", false), c.time("core_end", false));
            let flex = (
                c.time("flex_frame_start", false),
                c.time("flex_frame_end", false),
            );
            if !c.errors.is_empty() {
                return Ok(Err(c.errors));
            }
            let (Some(valid_from), Some(start), Some(end)) = (valid_from, start, end) else {
                return Ok(Err(c.errors));
            };
            let normal = day_normal_minutes(start, end, break_minutes, breaks_paid);
            let mut requests = Vec::new();
            for id in &ids {
                let s = pb::Schedule {
                    employee_id: id.to_string(),
                    valid_from: Some(date_pb(valid_from)),
                    valid_to: valid_to.map(date_pb),
                    days: weekdays
                        .iter()
                        .map(|w| pb::ScheduleDay {
                            weekday: *w,
                            normal_minutes: normal,
                            start: Some(time_pb(start)),
                            end: Some(time_pb(end)),
                            break_minutes,
                        })
                        .collect(),
                    breaks_paid,
                    core_start: core.0.map(time_pb),
                    core_end: core.1.map(time_pb),
                    flex_frame_start: flex.0.map(time_pb),
                    flex_frame_end: flex.1.map(time_pb),
                    ..Default::default()
                };
                if let Err(e) = schedule_in(Some(&s)) {
                    return refused(
                        e,
                        &[
                            ("employee_id", "employees"),
                            ("weekday", "weekdays"),
                            ("normal_minutes", "end"),
                            ("days", "weekdays"),
                        ],
                    )
                    .map(Err);
                }
                requests.push(Request::Schedule(pb::SetScheduleRequest {
                    schedule: Some(s),
                }));
            }
            Prepared {
                done: "schedule",
                who: Some(ids),
                from: valid_from,
                requests,
            }
        }
        (Section::Agreements, "create") => {
            let ids = c.employees("employee_id", look, false);
            let kind = c.choice(
                "kind",
                &AGREEMENT_KINDS.iter().map(|k| k.0).collect::<Vec<_>>(),
            );
            let basis = c.choice("basis", &BASES.iter().map(|k| k.0).collect::<Vec<_>>());
            let valid_from = c.date("valid_from", true);
            let valid_to = c.date("valid_to", false);
            let reference = c.text("reference", true);
            let mut term = [0i64; 10];
            for (i, (name, _, _)) in TERMS.iter().enumerate() {
                term[i] = c.number(name, false).unwrap_or(0);
            }
            if !c.errors.is_empty() {
                return Ok(Err(c.errors));
            }
            let (Some(id), Some(kind), Some(basis), Some(valid_from)) =
                (ids.first(), kind, basis, valid_from)
            else {
                return Ok(Err(c.errors));
            };
            use pb::agreement::Terms;
            let share = i32::try_from(term[0]).unwrap_or(i32::MAX);
            let weeks = i32::try_from(term[5]).unwrap_or(i32::MAX);
            let terms = match kind {
                0 => Terms::HomeOffice(pb::HomeOfficeTerms {
                    max_home_share_percent: share,
                    ..Default::default()
                }),
                1 => Terms::ExtendedOvertime(pb::ExtendedOvertimeTerms {
                    overtime_7d_limit_minutes: term[1],
                    overtime_4w_limit_minutes: term[2],
                    overtime_52w_limit_minutes: term[3],
                    overtime_26w_limit_minutes: term[4],
                }),
                2 => Terms::Averaging(pb::AveragingTerms {
                    period_weeks: weeks,
                    daily_cap_minutes: term[6],
                    weekly_cap_minutes: term[7],
                }),
                _ => Terms::ReducedRest(pb::ReducedRestTerms {
                    daily_rest_minutes: term[8],
                    weekly_rest_minutes: term[9],
                }),
            };
            let a = pb::Agreement {
                employee_id: id.to_string(),
                basis: i32::try_from(basis + 1).unwrap_or_default(),
                valid_from: Some(date_pb(valid_from)),
                valid_to: valid_to.map(date_pb),
                reference,
                terms: Some(terms),
                ..Default::default()
            };
            if let Err(e) = agreement_in(Some(&a)) {
                return refused(e, &[("terms", "kind")]).map(Err);
            }
            Prepared {
                done: "agreement",
                who: Some(vec![*id]),
                from: valid_from,
                requests: vec![Request::Agreement(pb::CreateAgreementRequest {
                    agreement: Some(a),
                })],
            }
        }
        (Section::Agreements, "end") => {
            let id = c.target("agreement_id", &targets);
            let last_day = c.date("last_day", true);
            let reason = c.text("reason", true);
            let (Some(id), Some(last_day)) = (id, last_day) else {
                return Ok(Err(c.errors));
            };
            if !c.errors.is_empty() {
                return Ok(Err(c.errors));
            }
            let all = policy_service::list_agreements(
                ctx,
                caller,
                pb::ListAgreementsRequest {
                    page: Some(page()),
                    ..Default::default()
                },
            )
            .await?
            .agreements;
            let Some(a) = all.iter().find(|a| a.agreement_id == id.to_string()) else {
                c.fail("agreement_id", "err_choose");
                return Ok(Err(c.errors));
            };
            Prepared {
                done: "agreement_end",
                who: Some(vec![EmployeeId(a.employee_id.parse().map_err(|_| {
                    ApiError::Internal("a stored agreement's employee id".into())
                })?)]),
                from: agreement_end_rejudged_from(last_day),
                requests: vec![Request::EndAgreement(pb::EndAgreementRequest {
                    agreement_id: id.to_string(),
                    last_day: Some(date_pb(last_day)),
                    reason,
                })],
            }
        }
        (Section::Absences, "add") => {
            let ids = c.employees("employees", look, true);
            let kind = c.choice(
                "kind",
                &ABSENCE_KINDS.iter().map(|k| k.0).collect::<Vec<_>>(),
            );
            let first = c.date("first", true);
            let last = c.date("last", true);
            let minutes = c.number("minutes_per_day", false).unwrap_or(0);
            let note = c.text("note", false);
            if !c.errors.is_empty() {
                return Ok(Err(c.errors));
            }
            let (Some(kind), Some(first), Some(last)) = (kind, first, last) else {
                return Ok(Err(c.errors));
            };
            let mut requests = Vec::new();
            for id in &ids {
                let a = pb::Absence {
                    employee_id: id.to_string(),
                    kind: i32::try_from(kind + 1).unwrap_or_default(),
                    dates: Some(pb::LocalDateRange {
                        start: Some(date_pb(first)),
                        end: Some(date_pb(last)),
                    }),
                    minutes_per_day: minutes,
                    note: note.clone(),
                    ..Default::default()
                };
                if let Err(e) = absence_in(Some(&a)) {
                    return refused(
                        e,
                        &[
                            ("employee_id", "employees"),
                            ("start", "first"),
                            ("end", "last"),
                            ("dates", "last"),
                        ],
                    )
                    .map(Err);
                }
                requests.push(Request::Absence(pb::CreateAbsenceRequest {
                    absence: Some(a),
                }));
            }
            Prepared {
                done: "absence",
                who: Some(ids),
                from: first,
                requests,
            }
        }
        (Section::Absences, "cancel") => {
            let id = c.target("absence_id", &targets);
            let reason = c.text("reason", true);
            let Some(id) = id else {
                return Ok(Err(c.errors));
            };
            if !c.errors.is_empty() {
                return Ok(Err(c.errors));
            }
            let all = policy_service::list_absences(
                ctx,
                caller,
                pb::ListAbsencesRequest {
                    page: Some(page()),
                    ..Default::default()
                },
            )
            .await?
            .absences;
            let Some(a) = all.iter().find(|a| a.absence_id == id.to_string()) else {
                c.fail("absence_id", "err_choose");
                return Ok(Err(c.errors));
            };
            let first = a
                .dates
                .as_ref()
                .and_then(|d| d.start.as_ref())
                .and_then(date_of)
                .ok_or_else(|| ApiError::Internal("a stored absence's dates".into()))?;
            Prepared {
                done: "absence_cancel",
                who: Some(vec![EmployeeId(a.employee_id.parse().map_err(|_| {
                    ApiError::Internal("a stored absence's employee id".into())
                })?)]),
                from: first,
                requests: vec![Request::CancelAbsence(pb::CancelAbsenceRequest {
                    absence_id: id.to_string(),
                    reason,
                })],
            }
        }
        (Section::Holidays, "add") => {
            let date = c.date("date", true);
            let name = c.text("name", true);
            let kind = c.choice(
                "kind",
                &HOLIDAY_KINDS.iter().map(|k| k.0).collect::<Vec<_>>(),
            );
            let window = c.time("window_start", false);
            if !c.errors.is_empty() {
                return Ok(Err(c.errors));
            }
            let (Some(date), Some(kind)) = (date, kind) else {
                return Ok(Err(c.errors));
            };
            let h = pb::Holiday {
                date: Some(date_pb(date)),
                name,
                kind: i32::try_from(kind + 1).unwrap_or_default(),
                window_start: window.map(time_pb),
                ..Default::default()
            };
            if let Err(e) = holiday_in(Some(&h)) {
                return refused(e, &[]).map(Err);
            }
            Prepared {
                done: "holiday",
                who: None,
                from: holiday_rejudged_from(date),
                requests: vec![Request::Holiday(pb::AddHolidayRequest { holiday: Some(h) })],
            }
        }
        (Section::Holidays, "remove") => {
            let Some(id) = c.target("holiday_id", &targets) else {
                return Ok(Err(c.errors));
            };
            let Some(h) = own_holidays(ctx, caller)
                .await?
                .into_iter()
                .find(|h| h.id == id)
            else {
                c.fail("holiday_id", "err_choose");
                return Ok(Err(c.errors));
            };
            Prepared {
                done: "holiday_remove",
                who: None,
                from: holiday_rejudged_from(h.date),
                requests: vec![Request::RemoveHoliday(pb::RemoveHolidayRequest {
                    holiday_id: id.to_string(),
                })],
            }
        }
        (Section::Overrides, "set") => {
            let employee = if values.get("employee_id").is_empty() {
                None
            } else {
                c.employees("employee_id", look, false).first().copied()
            };
            let param = catalog::PARAMS
                .iter()
                .find(|p| format!("{}|{}|{}", p.pack, p.rule, p.name) == values.get("rule"));
            if param.is_none() {
                c.fail("rule", "err_choose");
            }
            let value = c.number("value", true);
            let effective_from = c.date("effective_from", false);
            let reason = c.text("reason", true);
            if !c.errors.is_empty() {
                return Ok(Err(c.errors));
            }
            let (Some(param), Some(value)) = (param, value) else {
                return Ok(Err(c.errors));
            };
            use pb::rule_override::Scope;
            let o = pb::RuleOverride {
                scope: Some(match employee {
                    Some(e) => Scope::EmployeeId(e.to_string()),
                    None => Scope::Organisation(true),
                }),
                rule_pack: param.pack.to_owned(),
                rule_id: param.rule.to_owned(),
                parameter: param.name.to_owned(),
                value,
                unit: crate::grpc::timesheet_convert::unit_pb(param.unit),
                reason,
                effective_from: effective_from.map(date_pb),
                ..Default::default()
            };
            if let Err(e) = override_in(Some(&o)) {
                return refused(
                    e,
                    &[
                        ("organisation", "employee_id"),
                        ("scope", "employee_id"),
                        ("rule_pack", "rule"),
                        ("rule_id", "rule"),
                        ("parameter", "rule"),
                        ("unit", "rule"),
                    ],
                )
                .map(Err);
            }
            Prepared {
                done: "override",
                who: employee.map(|e| vec![e]),
                from: effective_from.unwrap_or_else(always),
                requests: vec![Request::Override(pb::SetRuleOverrideRequest {
                    rule_override: Some(o),
                })],
            }
        }
        (Section::Overrides, "delete") => {
            let Some(id) = c.target("override_id", &targets) else {
                return Ok(Err(c.errors));
            };
            let all = overrides(ctx, caller).await?;
            let Some(o) = all.iter().find(|o| o.override_id == id.to_string()) else {
                c.fail("override_id", "err_choose");
                return Ok(Err(c.errors));
            };
            let who = match &o.scope {
                Some(pb::rule_override::Scope::EmployeeId(e)) => {
                    Some(vec![EmployeeId(e.parse().map_err(|_| {
                        ApiError::Internal("a stored override's scope".into())
                    })?)])
                }
                _ => None,
            };
            Prepared {
                done: "override_delete",
                who,
                from: o
                    .effective_from
                    .as_ref()
                    .and_then(date_of)
                    .unwrap_or_else(always),
                requests: vec![Request::DeleteOverride(pb::DeleteRuleOverrideRequest {
                    override_id: id.to_string(),
                })],
            }
        }
        _ => {
            return Err(ApiError::invalid(
                "op",
                format!("'{}' is not a form of this page", spec.op),
            ));
        }
    };
    Ok(Ok(prepared))
}

/// Runs one request through its use case.
///
/// # Errors
/// The use case's.
pub async fn execute(ctx: &Ctx, caller: &Caller, r: &Request) -> ApiResult<()> {
    match r.clone() {
        Request::Schedule(r) => policy_service::set_schedule(ctx, caller, r).await.map(drop),
        Request::Agreement(r) => policy_service::create_agreement(ctx, caller, r)
            .await
            .map(drop),
        Request::EndAgreement(r) => policy_service::end_agreement(ctx, caller, r)
            .await
            .map(drop),
        Request::Absence(r) => policy_service::create_absence(ctx, caller, r)
            .await
            .map(drop),
        Request::CancelAbsence(r) => policy_service::cancel_absence(ctx, caller, r)
            .await
            .map(drop),
        Request::Holiday(r) => policy_service::add_holiday(ctx, caller, r).await.map(drop),
        Request::RemoveHoliday(r) => policy_service::remove_holiday(ctx, caller, r)
            .await
            .map(drop),
        Request::Override(r) => policy_service::set_rule_override(ctx, caller, r)
            .await
            .map(drop),
        Request::DeleteOverride(r) => policy_service::delete_rule_override(ctx, caller, r)
            .await
            .map(drop),
    }
}

/// A use case's refusal at the last step, beside the field it names.
///
/// # Errors
/// When the error names no field (storage, access).
pub fn field_errors(l: Locale, spec: &FormSpec, e: ApiError) -> Result<Errors, ApiError> {
    api_to_errors(
        l,
        e,
        &[
            (
                "employee_id",
                spec.names().first().copied().unwrap_or("employees"),
            ),
            ("start", "first"),
            ("end", "last"),
        ],
        &spec.names(),
    )
}

fn page() -> pb::PageRequest {
    pb::PageRequest {
        page_size: 500,
        page_token: String::new(),
    }
}

fn date_of(d: &pb::LocalDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        d.year,
        u32::try_from(d.month).ok()?,
        u32::try_from(d.day).ok()?,
    )
}

fn date_text(l: Locale, d: Option<&pb::LocalDate>) -> String {
    d.and_then(date_of)
        .map(|d| format::date(l, d))
        .unwrap_or_default()
}

fn time_text(t: Option<&pb::LocalTime>) -> String {
    t.map(|t| format!("{:02}:{:02}", t.hours, t.minutes))
        .unwrap_or_default()
}

fn span_text(a: Option<&pb::LocalTime>, b: Option<&pb::LocalTime>) -> String {
    match (a, b) {
        (Some(_), Some(_)) => format!("{}–{}", time_text(a), time_text(b)),
        _ => String::new(),
    }
}

fn valid_text(l: Locale, from: Option<&pb::LocalDate>, to: Option<&pb::LocalDate>) -> String {
    format!("{} – {}", date_text(l, from), date_text(l, to))
}

/// Every organisation holiday, of any year (they are few).
async fn own_holidays(
    ctx: &Ctx,
    caller: &Caller,
) -> ApiResult<Vec<crate::domain::policy::OrgHoliday>> {
    let (from, to) = (
        NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX),
    );
    Ok(ctx.store.list_holidays(caller.org(), from, to).await?)
}

async fn overrides(ctx: &Ctx, caller: &Caller) -> ApiResult<Vec<pb::RuleOverride>> {
    Ok(policy_service::list_rule_overrides(
        ctx,
        caller,
        pb::ListRuleOverridesRequest {
            page: Some(page()),
            ..Default::default()
        },
    )
    .await?
    .overrides)
}

fn word_of(l: Locale, table: &[(&str, &str)], i: i32) -> String {
    usize::try_from(i - 1)
        .ok()
        .and_then(|i| table.get(i))
        .map(|(_, k)| word(l, k).to_owned())
        .unwrap_or_default()
}

/// What `section` lists, read through the listing use cases.
///
/// # Errors
/// The use cases'.
#[allow(clippy::too_many_lines, clippy::items_after_statements)] // one arm per section
pub async fn listing(
    ctx: &Ctx,
    caller: &Caller,
    l: Locale,
    section: Section,
    look: &Lookups,
    year: i32,
) -> ApiResult<Listing> {
    let mut listing = Listing {
        table: TableView::default(),
        targets: Vec::new(),
        notes: Vec::new(),
    };
    match section {
        Section::Schedules => {
            let rows = policy_service::list_schedules(
                ctx,
                caller,
                pb::ListSchedulesRequest {
                    page: Some(page()),
                    ..Default::default()
                },
            )
            .await?
            .schedules;
            listing.table.headers = vec![
                word(l, "ap_employee"),
                word(l, "ap_valid"),
                word(l, "ap_plan"),
                word(l, "ap_core"),
                word(l, "ap_flex"),
            ];
            for s in rows {
                let days: Vec<&str> = s
                    .days
                    .iter()
                    .map(|d| word(l, &format!("wd_{}", d.weekday)))
                    .collect();
                let first = s.days.first();
                listing.table.rows.push(vec![
                    look.name(&s.employee_id),
                    valid_text(l, s.valid_from.as_ref(), s.valid_to.as_ref()),
                    format!(
                        "{} · {} · {} {}",
                        days.join(", "),
                        span_text(
                            first.and_then(|d| d.start.as_ref()),
                            first.and_then(|d| d.end.as_ref())
                        ),
                        word(l, "break").to_lowercase(),
                        format::minutes(l, first.map_or(0, |d| d.break_minutes))
                    ),
                    span_text(s.core_start.as_ref(), s.core_end.as_ref()),
                    span_text(s.flex_frame_start.as_ref(), s.flex_frame_end.as_ref()),
                ]);
            }
        }
        Section::Agreements => {
            let rows = policy_service::list_agreements(
                ctx,
                caller,
                pb::ListAgreementsRequest {
                    page: Some(page()),
                    ..Default::default()
                },
            )
            .await?
            .agreements;
            listing.table.headers = vec![
                word(l, "ap_employee"),
                word(l, "ap_kind"),
                word(l, "ap_basis"),
                word(l, "ap_valid"),
                word(l, "ap_reference"),
                word(l, "ap_terms"),
            ];
            for a in rows {
                use pb::agreement::Terms;
                let (kind, terms) = match &a.terms {
                    Some(Terms::HomeOffice(h)) => (0, format!("{} %", h.max_home_share_percent)),
                    Some(Terms::ExtendedOvertime(o)) => (
                        1,
                        format!(
                            "{} / {} / {} / {}",
                            o.overtime_7d_limit_minutes,
                            o.overtime_4w_limit_minutes,
                            o.overtime_52w_limit_minutes,
                            o.overtime_26w_limit_minutes
                        ),
                    ),
                    Some(Terms::Averaging(v)) => (
                        2,
                        format!(
                            "{} / {} / {}",
                            v.period_weeks, v.daily_cap_minutes, v.weekly_cap_minutes
                        ),
                    ),
                    Some(Terms::ReducedRest(r)) => (
                        3,
                        format!("{} / {}", r.daily_rest_minutes, r.weekly_rest_minutes),
                    ),
                    None => (4, String::new()),
                };
                let kind = word_of(l, AGREEMENT_KINDS, kind + 1);
                let valid = valid_text(l, a.valid_from.as_ref(), a.valid_to.as_ref());
                let name = look.name(&a.employee_id);
                if a.ended_at.is_none() {
                    listing
                        .targets
                        .push((a.agreement_id.clone(), format!("{name} · {kind} · {valid}")));
                }
                listing.table.rows.push(vec![
                    name,
                    if a.ended_at.is_some() {
                        format!("{kind} ({})", word(l, "ap_ended"))
                    } else {
                        kind
                    },
                    word_of(l, BASES, a.basis),
                    valid,
                    a.reference.clone(),
                    terms,
                ]);
            }
            listing.notes = agreement_notes(l);
        }
        Section::Absences => {
            let rows = policy_service::list_absences(
                ctx,
                caller,
                pb::ListAbsencesRequest {
                    page: Some(page()),
                    include_cancelled: true,
                    ..Default::default()
                },
            )
            .await?
            .absences;
            listing.table.headers = vec![
                word(l, "ap_employee"),
                word(l, "ap_kind"),
                word(l, "ap_dates"),
                word(l, "ap_minutes_per_day"),
                word(l, "ap_note"),
            ];
            for a in rows {
                let name = look.name(&a.employee_id);
                let kind = format::absence(l, a.kind).to_owned();
                let dates = a.dates.unwrap_or_default();
                let dates = valid_text(l, dates.start.as_ref(), dates.end.as_ref());
                if a.cancelled_at.is_none() {
                    listing
                        .targets
                        .push((a.absence_id.clone(), format!("{name} · {kind} · {dates}")));
                }
                listing.table.rows.push(vec![
                    name,
                    if a.cancelled_at.is_some() {
                        format!("{kind} ({})", word(l, "ap_cancelled"))
                    } else {
                        kind
                    },
                    dates,
                    if a.minutes_per_day == 0 {
                        String::new()
                    } else {
                        format::minutes(l, a.minutes_per_day)
                    },
                    a.note.clone(),
                ]);
            }
        }
        Section::Holidays => {
            let (from, to) = (
                NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN),
                NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX),
            );
            let rows = policy_service::list_holidays(
                ctx,
                caller,
                pb::ListHolidaysRequest {
                    dates: Some(pb::LocalDateRange {
                        start: Some(date_pb(from)),
                        end: Some(date_pb(to)),
                    }),
                },
            )
            .await?
            .holidays;
            listing.table.headers = vec![
                word(l, "ap_date"),
                word(l, "ap_name"),
                word(l, "ap_kind"),
                word(l, "ap_window_start"),
                word(l, "ap_source"),
            ];
            for h in rows {
                listing.table.rows.push(vec![
                    date_text(l, h.date.as_ref()),
                    h.name.clone(),
                    word_of(l, HOLIDAY_KINDS, h.kind),
                    time_text(h.window_start.as_ref()),
                    word(
                        l,
                        if h.source == pb::HolidaySource::National as i32 {
                            "ap_national"
                        } else {
                            "ap_own"
                        },
                    )
                    .to_owned(),
                ]);
            }
            for h in own_holidays(ctx, caller).await? {
                listing.targets.push((
                    h.id.to_string(),
                    format!("{} · {}", format::date(l, h.date), h.name),
                ));
            }
        }
        Section::Overrides => {
            listing.table.headers = vec![
                word(l, "ap_scope"),
                word(l, "ap_rule"),
                word(l, "ap_value"),
                word(l, "ap_effective_from"),
                word(l, "ap_reason"),
            ];
            for o in overrides(ctx, caller).await? {
                let scope = match &o.scope {
                    Some(pb::rule_override::Scope::EmployeeId(e)) => look.name(e),
                    _ => word(l, "ap_organisation").to_owned(),
                };
                let rule = format!("{} · {} · {}", o.rule_pack, o.rule_id, o.parameter);
                let from = match o.effective_from.as_ref().and_then(date_of) {
                    Some(d) if d > always() => format::date(l, d),
                    _ => word(l, "ap_always").to_owned(),
                };
                let unit = catalog::param(&o.rule_pack, &o.rule_id, &o.parameter)
                    .map_or("", |p| unit_word(l, p.unit));
                listing.targets.push((
                    o.override_id.clone(),
                    format!("{scope} · {rule} = {} · {from}", o.value),
                ));
                listing.table.rows.push(vec![
                    scope,
                    rule,
                    format!("{} {unit}", o.value),
                    from,
                    o.reason.clone(),
                ]);
            }
        }
    }
    Ok(listing)
}

/// What each basis may agree, from the catalog: one line per term it can
/// set.
fn agreement_notes(l: Locale) -> Vec<String> {
    catalog::AGREEMENT_RANGES
        .iter()
        .filter(|r| r.max > 0)
        .filter_map(|r| {
            let (_, label, _) = TERMS.iter().find(|t| t.2 == r.term)?;
            let basis = match r.basis {
                AgreementBasis::Individual => "basis_individual",
                AgreementBasis::TariffRepresentatives => "basis_tariff_representatives",
                AgreementBasis::LabourInspectorate => "basis_labour_inspectorate",
            };
            let value = if r.term == "averaging_weeks" {
                r.max.to_string()
            } else {
                format!("{} ({})", r.max, format::minutes(l, r.max))
            };
            Some(format!(
                "{}: {} ≤ {value} — {}",
                word(l, basis),
                word(l, label),
                r.who
            ))
        })
        .collect()
}
