//! The HR console's plan pages (ADMIN): schedules, agreements, absences,
//! holidays and rule overrides under `/admin/plans/...`.
//!
//! Each section is one page: what is stored, and its forms. A form posts;
//! the values are checked by the same conversions the RPCs use
//! (`grpc::policy_convert`), errors go beside the field with what was
//! typed, and nothing is stored. A change that passes is shown on a
//! confirmation page naming whom it re-judges and from which date; only
//! the confirmed post calls the plan use cases (`grpc::policy_service`, the
//! functions AdminService serves), then the recomputes run and the person
//! is sent to a summary of what was re-judged: who, from when, and how many
//! findings opened and closed.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};

use super::admin_plans_forms::{self as forms, FormSpec, Kind, Prepared};
use super::error::WebError;
use super::format;
use super::i18n::word;
use super::session::Person;
use super::view;
use super::{WebState, see_other};
use crate::domain::employee::Locale;
use crate::domain::ids::EmployeeId;
use crate::domain::policy::always;
use crate::grpc::error::{ApiError, ApiResult};
use crate::storage::EmployeeFilter;
use crate::usecase::rejudge;

/// The console's plan pages, merged into the web router.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/admin/plans", get(index))
        .route("/admin/plans/done", get(done))
        .route("/admin/plans/{section}", get(page).post(post))
}

/// The five sections, in the menu's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Section {
    Schedules,
    Agreements,
    Absences,
    Holidays,
    Overrides,
}

impl Section {
    const ALL: [Self; 5] = [
        Self::Schedules,
        Self::Agreements,
        Self::Absences,
        Self::Holidays,
        Self::Overrides,
    ];

    pub(super) fn slug(self) -> &'static str {
        match self {
            Self::Schedules => "schedules",
            Self::Agreements => "agreements",
            Self::Absences => "absences",
            Self::Holidays => "holidays",
            Self::Overrides => "overrides",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.slug() == s)
    }

    fn title(self, l: Locale) -> &'static str {
        word(l, &format!("ap_{}", self.slug()))
    }
}

/// A form's values as posted, in order; a multi-select repeats its name.
#[derive(Clone, Debug, Default)]
pub(super) struct Values(pub Vec<(String, String)>);

impl Values {
    /// The first value of `name`, trimmed; empty when absent.
    pub(super) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every non-empty value of `name`.
    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }
}

/// Errors by form field, in the person's language.
pub(super) type Errors = BTreeMap<String, String>;

/// The organisation's people, for the selects and for names in lists.
pub(super) struct Lookups {
    /// Active employees, by name: what the selects offer.
    pub active: Vec<(EmployeeId, String)>,
    /// Everyone, leavers too: names for what is stored.
    pub names: HashMap<EmployeeId, String>,
}

impl Lookups {
    pub(super) fn name(&self, id: &str) -> String {
        id.parse::<uuid::Uuid>()
            .ok()
            .and_then(|u| self.names.get(&EmployeeId(u)))
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }
}

async fn lookups(state: &WebState, person: &Person) -> ApiResult<Lookups> {
    let org = person.caller.org();
    let filter = EmployeeFilter {
        include_inactive: true,
        manager_id: None,
    };
    let mut everyone = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = state
            .ctx
            .store
            .list_employees(org, &filter, after.as_deref(), 500)
            .await?;
        after = page.last().map(|e| e.fields.external_id.clone());
        let done = page.len() < 500;
        everyone.extend(page);
        if done {
            break;
        }
    }
    let mut active: Vec<(EmployeeId, String)> = everyone
        .iter()
        .filter(|e| e.active)
        .map(|e| (e.id, e.fields.name.clone()))
        .collect();
    active.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(Lookups {
        active,
        names: everyone
            .into_iter()
            .map(|e| (e.id, e.fields.name))
            .collect(),
    })
}

#[derive(Debug, Serialize)]
struct NavItem {
    href: String,
    label: &'static str,
    current: bool,
}

fn nav(l: Locale, current: Option<Section>) -> Vec<NavItem> {
    Section::ALL
        .into_iter()
        .map(|s| NavItem {
            href: format!("/admin/plans/{}", s.slug()),
            label: s.title(l),
            current: Some(s) == current,
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct OptionView {
    value: String,
    label: String,
}

#[derive(Debug, Serialize)]
struct FieldView {
    name: &'static str,
    id: String,
    label: &'static str,
    kind: &'static str,
    value: String,
    values: Vec<String>,
    options: Vec<OptionView>,
    hint: &'static str,
    error: String,
}

#[derive(Debug, Serialize)]
struct FormView {
    id: String,
    heading: &'static str,
    op: &'static str,
    submit: &'static str,
    fields: Vec<FieldView>,
}

/// A list of what is stored: headers and rows of text.
#[derive(Debug, Default, Serialize)]
pub(super) struct TableView {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Serialize)]
struct SectionView {
    section: &'static str,
    heading: &'static str,
    lead: &'static str,
    nav: Vec<NavItem>,
    table: TableView,
    notes_heading: &'static str,
    notes: Vec<String>,
    forms: Vec<FormView>,
    /// The error summary: (field id, text).
    errors: Vec<(String, String)>,
    years: Vec<(i32, bool)>,
}

/// The page's forms with the posted one's values and errors.
fn form_views(
    l: Locale,
    specs: Vec<FormSpec>,
    posted: Option<(&str, &Values, &Errors)>,
) -> Vec<FormView> {
    specs
        .into_iter()
        .enumerate()
        .map(|(i, spec)| {
            let prefix = if i == 0 {
                String::new()
            } else {
                format!("{}-", spec.op)
            };
            let mine = posted.filter(|(op, _, _)| *op == spec.op);
            FormView {
                id: format!("form-{}", spec.op),
                heading: word(l, spec.heading),
                op: spec.op,
                submit: word(l, spec.submit),
                fields: spec
                    .fields
                    .into_iter()
                    .map(|f| {
                        let (value, values) = match mine {
                            Some((_, v, _)) => (v.get(f.name).to_owned(), v.all(f.name)),
                            None => (String::new(), f.checked.clone()),
                        };
                        FieldView {
                            name: f.name,
                            id: format!("{prefix}{}", f.name),
                            label: word(l, f.label),
                            kind: f.kind.as_str(),
                            value,
                            values,
                            options: f
                                .options
                                .into_iter()
                                .map(|(value, label)| OptionView { value, label })
                                .collect(),
                            hint: if f.hint.is_empty() {
                                ""
                            } else {
                                word(l, f.hint)
                            },
                            error: mine
                                .and_then(|(_, _, e)| e.get(f.name).cloned())
                                .unwrap_or_default(),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

fn admin(person: &Person) -> Result<(), WebError> {
    if person.is_admin() {
        Ok(())
    } else {
        Err(WebError::Forbidden(person.locale))
    }
}

/// `GET /admin/plans`: the five sections.
pub async fn index(person: Person) -> Result<Response, WebError> {
    admin(&person)?;
    let l = person.locale;
    let v = SectionView {
        section: "",
        heading: word(l, "ap_title"),
        lead: word(l, "ap_lead"),
        nav: nav(l, None),
        table: TableView::default(),
        notes_heading: "",
        notes: Vec::new(),
        forms: Vec::new(),
        errors: Vec::new(),
        years: Vec::new(),
    };
    Ok(view::render(
        StatusCode::OK,
        "admin_plans.html.j2",
        l,
        &person.chrome("console"),
        v.heading,
        &v,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct SectionQuery {
    year: Option<i32>,
}

/// `GET /admin/plans/{section}`.
pub async fn page(
    State(state): State<WebState>,
    person: Person,
    Path(section): Path<String>,
    Query(q): Query<SectionQuery>,
) -> Result<Response, WebError> {
    admin(&person)?;
    let section = Section::parse(&section).ok_or(WebError::NotFound(person.locale))?;
    render_section(&state, &person, section, q.year, None, StatusCode::OK).await
}

async fn render_section(
    state: &WebState,
    person: &Person,
    section: Section,
    year: Option<i32>,
    posted: Option<(&str, &Values, &Errors)>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let l = person.locale;
    let look = lookups(state, person).await.map_err(|e| person.fail(e))?;
    let this_year = state.ctx.clock.now().year();
    let year = year
        .filter(|y| (1900..=9999).contains(y))
        .unwrap_or(this_year);
    let listing = forms::listing(&state.ctx, &person.caller, l, section, &look, year)
        .await
        .map_err(|e| person.fail(e))?;
    let specs = forms::forms(section, l, &look, &listing.targets);
    let forms = form_views(l, specs, posted);
    let errors = forms
        .iter()
        .flat_map(|f| f.fields.iter())
        .filter(|f| !f.error.is_empty())
        .map(|f| (f.id.clone(), f.error.clone()))
        .collect();
    let v = SectionView {
        section: section.slug(),
        heading: section.title(l),
        lead: word(l, &format!("ap_{}_lead", section.slug())),
        nav: nav(l, Some(section)),
        table: listing.table,
        notes_heading: if listing.notes.is_empty() {
            ""
        } else {
            word(l, "ap_ranges")
        },
        notes: listing.notes,
        forms,
        errors,
        years: if section == Section::Holidays {
            (this_year - 1..=this_year + 2)
                .map(|y| (y, y == year))
                .collect()
        } else {
            Vec::new()
        },
    };
    Ok(view::render(
        status,
        "admin_plans.html.j2",
        l,
        &person.chrome("console"),
        v.heading,
        &v,
    ))
}

/// `POST /admin/plans/{section}`: check, then confirm, then change.
pub async fn post(
    State(state): State<WebState>,
    person: Person,
    Path(section): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let values = Values(pairs);
    person.check_csrf(values.get("csrf"))?;
    admin(&person)?;
    let l = person.locale;
    let section = Section::parse(&section).ok_or(WebError::NotFound(l))?;
    let op = values.get("op").to_owned();
    let look = lookups(&state, &person).await.map_err(|e| person.fail(e))?;
    let this_year = state.ctx.clock.now().year();
    let listing = forms::listing(&state.ctx, &person.caller, l, section, &look, this_year)
        .await
        .map_err(|e| person.fail(e))?;
    let Some(spec) = forms::forms(section, l, &look, &listing.targets)
        .into_iter()
        .find(|f| f.op == op)
    else {
        return Err(WebError::BadRequest(
            l,
            format!("op: '{op}' is not a form of this page"),
        ));
    };
    let prepared = forms::prepare(
        &state.ctx,
        &person.caller,
        l,
        section,
        &spec,
        &values,
        &look,
    )
    .await
    .map_err(|e| person.fail(e))?;
    let prepared = match prepared {
        Ok(p) => p,
        Err(errors) => {
            return render_section(
                &state,
                &person,
                section,
                None,
                Some((&op, &values, &errors)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if values.get("confirm") != "yes" {
        return confirm_page(&state, &person, section, &spec, &values, &prepared, &look).await;
    }
    let org = person.caller.org();
    let scope: Vec<EmployeeId> = prepared.who.clone().unwrap_or_default();
    let before = rejudge::open_findings(&state.ctx, org, &scope)
        .await
        .map_err(|e| person.fail(e))?;
    for request in &prepared.requests {
        if let Err(e) = forms::execute(&state.ctx, &person.caller, request).await {
            let errors = forms::field_errors(l, &spec, e).map_err(|e| person.fail(e))?;
            return render_section(
                &state,
                &person,
                section,
                None,
                Some((&op, &values, &errors)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    }
    let after = rejudge::open_findings(&state.ctx, org, &scope)
        .await
        .map_err(|e| person.fail(e))?;
    let (opened, closed) = rejudge::difference(&before, &after);
    let who = prepared.who.as_ref().map_or_else(
        || "all".to_owned(),
        |ids| {
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        },
    );
    Ok(see_other(&format!(
        "/admin/plans/done?section={}&what={}&from={}&opened={opened}&closed={closed}&who={who}",
        section.slug(),
        prepared.done,
        prepared.from
    )))
}

#[derive(Debug, Serialize)]
struct ConfirmView {
    heading: &'static str,
    action: String,
    back: String,
    what: &'static str,
    details: Vec<(String, String)>,
    from: String,
    employees: Vec<String>,
    hidden: Vec<(String, String)>,
}

/// "the beginning" for an override with no date, else the date in words.
fn from_text(l: Locale, from: NaiveDate) -> String {
    if from <= always() {
        word(l, "ap_the_beginning").to_owned()
    } else {
        format::date(l, from)
    }
}

/// The names of whom a change re-judges (everyone for `None`).
async fn names_of(
    state: &WebState,
    person: &Person,
    who: Option<&[EmployeeId]>,
    look: &Lookups,
) -> Result<Vec<String>, WebError> {
    let ids = match who {
        Some(ids) => ids.to_vec(),
        None => state
            .ctx
            .store
            .rejudged(person.caller.org(), None)
            .await
            .map_err(|e| person.fail(e.into()))?,
    };
    let mut names: Vec<String> = ids
        .iter()
        .map(|id| {
            look.names
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        })
        .collect();
    names.sort();
    Ok(names)
}

/// What the form says, field by field, as the person chose it: the
/// confirmation page's account of the change.
fn details(l: Locale, spec: &FormSpec, values: &Values) -> Vec<(String, String)> {
    spec.fields
        .iter()
        .filter(|f| f.kind != Kind::Multi)
        .filter_map(|f| {
            let chosen = values.all(f.name);
            if chosen.is_empty() {
                return None;
            }
            let shown: Vec<String> = chosen
                .iter()
                .map(|c| {
                    f.options
                        .iter()
                        .find(|(v, _)| v == c)
                        .map_or_else(|| c.clone(), |(_, label)| label.clone())
                })
                .collect();
            let shown = if f.kind == Kind::Checkbox {
                "✓".to_owned()
            } else {
                shown.join(", ")
            };
            Some((word(l, f.label).to_owned(), shown))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)] // the change, its form and whom it names
async fn confirm_page(
    state: &WebState,
    person: &Person,
    section: Section,
    spec: &FormSpec,
    values: &Values,
    prepared: &Prepared,
    look: &Lookups,
) -> Result<Response, WebError> {
    let l = person.locale;
    let v = ConfirmView {
        heading: word(l, "ap_confirm_title"),
        action: format!("/admin/plans/{}", section.slug()),
        back: format!("/admin/plans/{}", section.slug()),
        what: word(l, &format!("done_{}", prepared.done)),
        details: details(l, spec, values),
        from: from_text(l, prepared.from),
        employees: names_of(state, person, prepared.who.as_deref(), look).await?,
        hidden: values
            .0
            .iter()
            .filter(|(k, _)| k != "csrf" && k != "confirm")
            .cloned()
            .collect(),
    };
    Ok(view::render(
        StatusCode::OK,
        "admin_plans_confirm.html.j2",
        l,
        &person.chrome("console"),
        v.heading,
        &v,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    section: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    opened: usize,
    #[serde(default)]
    closed: usize,
    #[serde(default)]
    who: String,
}

#[derive(Debug, Serialize)]
struct DoneView {
    heading: &'static str,
    what: &'static str,
    from: String,
    employees: Vec<String>,
    opened: usize,
    closed: usize,
    back: String,
    back_label: &'static str,
}

/// `GET /admin/plans/done`: what a confirmed change re-judged.
pub async fn done(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    admin(&person)?;
    let l = person.locale;
    let bad = || WebError::BadRequest(l, "not a summary of a change".into());
    let section = Section::parse(&q.section).ok_or_else(bad)?;
    let from = NaiveDate::parse_from_str(&q.from, "%Y-%m-%d").map_err(|_| bad())?;
    if !forms::DONE.contains(&q.what.as_str()) {
        return Err(bad());
    }
    let who: Option<Vec<EmployeeId>> = if q.who == "all" {
        None
    } else {
        Some(
            q.who
                .split(',')
                .map(|s| s.parse().map(EmployeeId).map_err(|_| bad()))
                .collect::<Result<_, _>>()?,
        )
    };
    let look = lookups(&state, &person).await.map_err(|e| person.fail(e))?;
    let v = DoneView {
        heading: word(l, "ap_done_title"),
        what: word(l, &format!("done_{}", q.what)),
        from: from_text(l, from),
        employees: names_of(&state, &person, who.as_deref(), &look).await?,
        opened: q.opened,
        closed: q.closed,
        back: format!("/admin/plans/{}", section.slug()),
        back_label: section.title(l),
    };
    Ok(view::render(
        StatusCode::OK,
        "admin_plans_done.html.j2",
        l,
        &person.chrome("console"),
        v.heading,
        &v,
    ))
}

/// Maps a use case's refusal of a field to the form field it came from,
/// in the person's language with the use case's reason (which carries the
/// figures, e.g. the most the basis may agree).
pub(super) fn refusal(l: Locale, reason: &str) -> String {
    format!(
        "{}: {}",
        word(l, "err_not_allowed"),
        super::plan_refusals::in_locale(l, reason)
    )
}

/// The field a use case's error names, as the form's field: the last part
/// of its path (`schedule.days[0].end` → `end`), renamed where the form
/// asks differently, else the form's first field.
pub(super) fn form_field(
    api_field: &str,
    renames: &[(&str, &'static str)],
    fields: &[&'static str],
) -> String {
    let leaf = api_field
        .rsplit('.')
        .next()
        .unwrap_or(api_field)
        .split('[')
        .next()
        .unwrap_or_default();
    let named = renames
        .iter()
        .find(|(from, _)| *from == leaf)
        .map_or(leaf, |(_, to)| *to);
    fields
        .iter()
        .find(|f| **f == named)
        .or_else(|| fields.first())
        .map_or_else(String::new, |f| (*f).to_owned())
}

/// A use case's error as form errors when it names a field.
pub(super) fn api_to_errors(
    l: Locale,
    e: ApiError,
    renames: &[(&str, &'static str)],
    fields: &[&'static str],
) -> Result<Errors, ApiError> {
    match e {
        ApiError::Invalid { field, reason }
        | ApiError::FailedPrecondition { field, reason }
        | ApiError::AlreadyExists { field, reason } => {
            let mut errors = Errors::new();
            errors.insert(form_field(&field, renames, fields), refusal(l, &reason));
            Ok(errors)
        }
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_case_field_lands_on_the_form_field() {
        let fields = ["employees", "valid_from", "end", "weekdays"];
        let renames = [("employee_id", "employees"), ("weekday", "weekdays")];
        assert_eq!(form_field("schedule.days[0].end", &renames, &fields), "end");
        assert_eq!(
            form_field("schedule.days[2].weekday", &renames, &fields),
            "weekdays"
        );
        assert_eq!(
            form_field("schedule.employee_id", &renames, &fields),
            "employees"
        );
        assert_eq!(
            form_field("schedule.flex_balance_min_minutes", &renames, &fields),
            "employees",
            "a field the form does not ask goes to its first"
        );
    }

    #[test]
    fn values_keep_every_choice_of_a_multi_select() {
        let v = Values(vec![
            ("employees".into(), "a".into()),
            ("employees".into(), " b ".into()),
            ("employees".into(), String::new()),
            ("name".into(), " Kari ".into()),
        ]);
        assert_eq!(v.all("employees"), ["a", "b"]);
        assert_eq!(v.get("name"), "Kari");
        assert_eq!(v.get("absent"), "");
    }
}
