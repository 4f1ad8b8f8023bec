//! The HR console's employees (ADMIN): the list with a search, the form to
//! add or edit one, and deactivation and reactivation after a confirmation
//! page. Every write goes through `usecase::people`, as `AdminService` does.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::admin_form::{FieldErrors, field_of, msg, note, require_admin};
use super::error::WebError;
use super::i18n::word;
use super::session::Person;
use super::view;
use super::{WebState, see_other};
use crate::domain::employee::{self, Employee, Locale, RULE_PACKS};
use crate::domain::ids::EmployeeId;
use crate::pb;
use crate::usecase::people;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    /// `active` (the default), `inactive` or `all`.
    #[serde(default)]
    show: String,
    #[serde(default)]
    saved: String,
}

#[derive(Debug, Serialize)]
struct Row {
    id: String,
    name: String,
    external_id: String,
    email: String,
    manager: String,
    time_zone: String,
    rule_pack: String,
    department: String,
    active: bool,
}

#[derive(Debug, Serialize)]
struct ListView {
    q: String,
    show: String,
    saved: String,
    rows: Vec<Row>,
    total: usize,
}

fn matches(e: &Employee, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty()
        || e.fields.name.to_lowercase().contains(&q)
        || e.fields.external_id.to_lowercase().contains(&q)
}

/// `GET /admin/people`.
pub async fn list(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    require_admin(&person)?;
    let all = people::all_employees(&state.ctx, &person.caller)
        .await
        .map_err(|e| person.fail(e))?;
    let name_of = |id: Option<EmployeeId>| {
        id.and_then(|m| all.iter().find(|e| e.id == m))
            .map(|e| e.fields.name.clone())
            .unwrap_or_default()
    };
    let show = match q.show.as_str() {
        "inactive" | "all" => q.show.clone(),
        _ => "active".to_owned(),
    };
    let rows: Vec<Row> = all
        .iter()
        .filter(|e| match show.as_str() {
            "inactive" => !e.active,
            "all" => true,
            _ => e.active,
        })
        .filter(|e| matches(e, &q.q))
        .map(|e| Row {
            id: e.id.to_string(),
            name: e.fields.name.clone(),
            external_id: e.fields.external_id.clone(),
            email: e.fields.email.clone(),
            manager: name_of(e.fields.manager_id),
            time_zone: e.fields.time_zone.name().to_owned(),
            rule_pack: e.fields.rule_pack.as_str().to_owned(),
            department: e.fields.department.clone().unwrap_or_default(),
            active: e.active,
        })
        .collect();
    let v = ListView {
        q: q.q.chars().take(200).collect(),
        show,
        saved: q.saved.chars().take(200).collect(),
        total: all.len(),
        rows,
    };
    let l = person.locale;
    Ok(view::render(
        StatusCode::OK,
        "admin_people.html.j2",
        l,
        &person.chrome("console"),
        word(l, "console_people"),
        &v,
    ))
}

/// What the employee form holds: as typed, so an error keeps it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct EmployeeForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    external_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    manager_id: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    rule_pack: String,
    #[serde(default)]
    department: String,
}

impl EmployeeForm {
    fn of(e: &Employee) -> Self {
        Self {
            csrf: String::new(),
            external_id: e.fields.external_id.clone(),
            name: e.fields.name.clone(),
            email: e.fields.email.clone(),
            time_zone: e.fields.time_zone.name().to_owned(),
            manager_id: e
                .fields
                .manager_id
                .map(|m| m.to_string())
                .unwrap_or_default(),
            locale: e.fields.locale.as_str().to_owned(),
            rule_pack: e.fields.rule_pack.as_str().to_owned(),
            department: e.fields.department.clone().unwrap_or_default(),
        }
    }

    /// The domain's checks of every field, all at once, so the page lists
    /// every problem (the use case stops at the first).
    fn check(&self, l: Locale) -> FieldErrors {
        let mut errors = FieldErrors::new();
        if let Err(e) = employee::parse_external_id("external_id", &self.external_id) {
            note(&mut errors, l, "external_id", &e);
        }
        if let Err(e) = employee::parse_name("name", &self.name) {
            note(&mut errors, l, "name", &e);
        }
        if let Err(e) = employee::parse_email("email", &self.email) {
            note(&mut errors, l, "email", &e);
        }
        if let Err(e) = employee::parse_time_zone("time_zone", &self.time_zone) {
            note(&mut errors, l, "time_zone", &e);
        }
        if let Err(e) = employee::parse_rule_pack("rule_pack", &self.rule_pack) {
            note(&mut errors, l, "rule_pack", &e);
        }
        if let Err(e) = employee::parse_department("department", &self.department) {
            note(&mut errors, l, "department", &e);
        }
        if Locale::parse(&self.locale).is_none() {
            errors.insert(
                "locale".into(),
                msg(
                    l,
                    "Velg bokmål eller engelsk.",
                    "Choose Norwegian or English.",
                ),
            );
        }
        errors
    }

    fn pb(&self) -> pb::Employee {
        pb::Employee {
            external_id: self.external_id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            manager_id: self.manager_id.trim().to_owned(),
            time_zone: self.time_zone.trim().to_owned(),
            locale: (if self.locale == "en" {
                pb::Locale::En
            } else {
                pb::Locale::Nb
            }) as i32,
            rule_pack: self.rule_pack.trim().to_owned(),
            department: self.department.trim().to_owned(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Debug, Serialize)]
struct FormView {
    /// Empty for a new employee.
    id: String,
    action: String,
    active: bool,
    form: EmployeeForm,
    errors: FieldErrors,
    managers: Vec<Choice>,
    rule_packs: Vec<&'static str>,
}

async fn render_form(
    state: &WebState,
    person: &Person,
    subject: Option<&Employee>,
    form: EmployeeForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let all = people::all_employees(&state.ctx, &person.caller)
        .await
        .map_err(|e| person.fail(e))?;
    let managers = all
        .iter()
        .filter(|e| e.active && Some(e.id) != subject.map(|s| s.id))
        .map(|e| Choice {
            value: e.id.to_string(),
            label: format!("{} ({})", e.fields.name, e.fields.external_id),
        })
        .collect();
    let l = person.locale;
    let (id, action, title) = match subject {
        Some(e) => (
            e.id.to_string(),
            format!("/admin/people/{}", e.id),
            format!("{} – {}", word(l, "console_edit_person"), e.fields.name),
        ),
        None => (
            String::new(),
            "/admin/people/new".to_owned(),
            word(l, "console_add_person").to_owned(),
        ),
    };
    let v = FormView {
        id,
        action,
        active: subject.is_none_or(|e| e.active),
        form,
        errors,
        managers,
        rule_packs: RULE_PACKS.to_vec(),
    };
    Ok(view::render(
        status,
        "admin_person.html.j2",
        l,
        &person.chrome("console"),
        &title,
        &v,
    ))
}

/// `GET /admin/people/new`.
pub async fn new_form(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    require_admin(&person)?;
    let form = EmployeeForm {
        time_zone: employee::DEFAULT_TIME_ZONE.into(),
        locale: "nb".into(),
        rule_pack: employee::DEFAULT_RULE_PACK.into(),
        ..EmployeeForm::default()
    };
    render_form(
        &state,
        &person,
        None,
        form,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/people/new`.
pub async fn create(
    State(state): State<WebState>,
    person: Person,
    Form(f): Form<EmployeeForm>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    require_admin(&person)?;
    let l = person.locale;
    let mut errors = f.check(l);
    if errors.is_empty() {
        let e = f.pb();
        let created = people::create_employee(
            &state.ctx,
            &person.caller,
            pb::CreateEmployeeRequest {
                external_id: e.external_id,
                name: e.name,
                email: e.email,
                manager_id: e.manager_id,
                time_zone: e.time_zone,
                locale: e.locale,
                rule_pack: e.rule_pack,
                exemption: 0,
                department: e.department,
            },
        )
        .await;
        match created {
            Ok(e) => {
                return Ok(see_other(&format!(
                    "/admin/people?saved={}",
                    super::error::urlencode(&e.fields.name)
                )));
            }
            Err(e) => {
                let (field, text) = field_of(l, e).map_err(|e| person.fail(e))?;
                errors.insert(field, text);
            }
        }
    }
    render_form(
        &state,
        &person,
        None,
        f,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn subject(state: &WebState, person: &Person, id: &str) -> Result<Employee, WebError> {
    people::get_employee(&state.ctx, &person.caller, id)
        .await
        .map_err(|e| match e {
            crate::grpc::error::ApiError::Invalid { .. } => WebError::NotFound(person.locale),
            other => person.fail(other),
        })
}

/// `GET /admin/people/{id}`: the edit form.
pub async fn edit_form(
    State(state): State<WebState>,
    person: Person,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    require_admin(&person)?;
    let e = subject(&state, &person, &id).await?;
    let form = EmployeeForm::of(&e);
    render_form(
        &state,
        &person,
        Some(&e),
        form,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/people/{id}`.
pub async fn update(
    State(state): State<WebState>,
    person: Person,
    Path(id): Path<String>,
    Form(f): Form<EmployeeForm>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    require_admin(&person)?;
    let l = person.locale;
    let e = subject(&state, &person, &id).await?;
    let mut errors = f.check(l);
    if errors.is_empty() {
        let updated = people::update_employee(
            &state.ctx,
            &person.caller,
            pb::UpdateEmployeeRequest {
                employee_id: e.id.to_string(),
                employee: Some(f.pb()),
                update_paths: [
                    "external_id",
                    "name",
                    "email",
                    "manager_id",
                    "time_zone",
                    "locale",
                    "rule_pack",
                    "department",
                ]
                .map(String::from)
                .to_vec(),
            },
        )
        .await;
        match updated {
            Ok(e) => {
                return Ok(see_other(&format!(
                    "/admin/people?show=all&saved={}",
                    super::error::urlencode(&e.fields.name)
                )));
            }
            Err(err) => {
                let (field, text) = field_of(l, err).map_err(|e| person.fail(e))?;
                errors.insert(field, text);
            }
        }
    }
    render_form(
        &state,
        &person,
        Some(&e),
        f,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Debug, Serialize)]
struct ConfirmView {
    heading: String,
    lead: String,
    action: String,
    button: String,
    back: String,
}

/// `GET /admin/people/{id}/deactivate` and `…/reactivate`: asks first.
pub async fn confirm(
    State(state): State<WebState>,
    person: Person,
    Path((id, what)): Path<(String, String)>,
) -> Result<Response, WebError> {
    require_admin(&person)?;
    let l = person.locale;
    let e = subject(&state, &person, &id).await?;
    let name = &e.fields.name;
    let (heading, lead, button) = match what.as_str() {
        "deactivate" => (
            msg(l, "Deaktiver", "Deactivate") + " " + name,
            msg(
                l,
                "Personen kan ikke lenger stemple eller logge inn, og tokenene som hører til personen trekkes tilbake for godt. Registreringene blir liggende.",
                "They can no longer clock in or sign in, and their tokens are revoked for good. Their record stays.",
            ),
            msg(l, "Ja, deaktiver", "Yes, deactivate"),
        ),
        "reactivate" => (
            msg(l, "Aktiver", "Reactivate") + " " + name,
            msg(
                l,
                "Personen kan stemple og logge inn igjen. Gamle tokener forblir tilbaketrukket.",
                "They can clock in and sign in again. Their old tokens stay revoked.",
            ),
            msg(l, "Ja, aktiver", "Yes, reactivate"),
        ),
        _ => return Err(WebError::NotFound(l)),
    };
    let v = ConfirmView {
        heading: heading.clone(),
        lead,
        action: format!("/admin/people/{}/{what}", e.id),
        button,
        back: "/admin/people?show=all".into(),
    };
    Ok(view::render(
        StatusCode::OK,
        "admin_confirm.html.j2",
        l,
        &person.chrome("console"),
        &heading,
        &v,
    ))
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /admin/people/{id}/deactivate` and `…/reactivate`.
pub async fn set_active(
    State(state): State<WebState>,
    person: Person,
    Path((id, what)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    require_admin(&person)?;
    let e = subject(&state, &person, &id).await?;
    let ctx = &state.ctx;
    let done = match what.as_str() {
        "deactivate" => people::deactivate_employee(ctx, &person.caller, e.id).await,
        "reactivate" => people::reactivate_employee(ctx, &person.caller, e.id).await,
        _ => return Err(WebError::NotFound(person.locale)),
    }
    .map_err(|e| person.fail(e))?;
    Ok(see_other(&format!(
        "/admin/people?show=all&saved={}",
        super::error::urlencode(&done.fields.name)
    )))
}
