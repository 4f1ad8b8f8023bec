//! Importing employees from an HR system's CSV export (ADMIN): paste or
//! load the file, see a preview of every row (its problems, or whether it
//! creates, updates or leaves an employee unchanged) with nothing stored,
//! then import the valid rows. The preview carries the file on to the
//! import, which judges it again against what is stored then: a page left
//! open never imports a stale verdict.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::WebState;
use super::admin_form::require_admin;
use super::error::WebError;
use super::i18n::word;
use super::session::Person;
use super::view;
use crate::domain::import::{self, Action, COLUMNS, MAX_BYTES, MAX_ROWS, REQUIRED_COLUMNS};
use crate::usecase::import as usecase;

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    csv: String,
}

#[derive(Debug, Serialize)]
struct ProblemView {
    field: String,
    text: String,
}

#[derive(Debug, Serialize)]
struct RowView {
    row: u32,
    external_id: String,
    name: String,
    /// `create`, `update`, `unchanged` or `skipped`.
    action: &'static str,
    problems: Vec<ProblemView>,
}

#[derive(Debug, Default, Serialize)]
struct ImportView {
    csv: String,
    /// What is wrong with the file as a whole.
    file_error: String,
    /// `form`, `preview` or `done`.
    stage: &'static str,
    rows: Vec<RowView>,
    created: usize,
    updated: usize,
    unchanged: usize,
    skipped: usize,
    /// Rows the import would store (create or update).
    to_store: usize,
    /// Rows the import would accept (create, update or unchanged).
    valid: usize,
    columns: Vec<&'static str>,
    required: Vec<&'static str>,
    max_rows: usize,
    max_kb: usize,
}

fn base(stage: &'static str) -> ImportView {
    ImportView {
        stage,
        columns: COLUMNS.to_vec(),
        required: REQUIRED_COLUMNS.to_vec(),
        max_rows: MAX_ROWS,
        max_kb: MAX_BYTES / 1000,
        ..ImportView::default()
    }
}

fn render(person: &Person, status: StatusCode, v: &ImportView) -> Response {
    let l = person.locale;
    view::render(
        status,
        "admin_import.html.j2",
        l,
        &person.chrome("console"),
        word(l, "console_import"),
        v,
    )
}

/// `GET /admin/people/import`.
pub async fn form(person: Person) -> Result<Response, WebError> {
    require_admin(&person)?;
    Ok(render(&person, StatusCode::OK, &base("form")))
}

async fn judge(
    state: &WebState,
    person: &Person,
    f: &ImportForm,
    dry_run: bool,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    require_admin(person)?;
    let l = person.locale;
    let mut v = base(if dry_run { "preview" } else { "done" });
    v.csv.clone_from(&f.csv);
    let rows = match import::parse_csv(f.csv.as_bytes()) {
        Ok(rows) => rows,
        Err(problem) => {
            v.stage = "form";
            v.file_error = problem.text(l);
            return Ok(render(person, StatusCode::UNPROCESSABLE_ENTITY, &v));
        }
    };
    let report = usecase::run(&state.ctx, &person.caller, &rows, dry_run)
        .await
        .map_err(|e| person.fail(e))?;
    let (created, updated, unchanged, skipped) = import::counts(&report.plans);
    v.created = created;
    v.updated = updated;
    v.unchanged = unchanged;
    v.skipped = skipped;
    v.to_store = created + updated;
    v.valid = created + updated + unchanged;
    v.rows = report
        .plans
        .iter()
        .zip(&rows)
        .map(|(p, r)| RowView {
            row: p.row,
            external_id: p.external_id.clone(),
            name: r.name.clone(),
            action: p.action.map_or("skipped", Action::as_str),
            problems: p
                .problems
                .iter()
                .map(|q| ProblemView {
                    field: q.field.to_owned(),
                    text: q.text(l),
                })
                .collect(),
        })
        .collect();
    if !dry_run {
        // The result lists only what needs attention: the skipped rows.
        v.rows.retain(|r| r.action == "skipped");
        v.csv.clear();
    }
    Ok(render(person, StatusCode::OK, &v))
}

/// `POST /admin/people/import/preview`: judges every row, stores nothing.
pub async fn preview(
    State(state): State<WebState>,
    person: Person,
    Form(f): Form<ImportForm>,
) -> Result<Response, WebError> {
    judge(&state, &person, &f, true).await
}

/// `POST /admin/people/import`: stores the valid rows.
pub async fn run(
    State(state): State<WebState>,
    person: Person,
    Form(f): Form<ImportForm>,
) -> Result<Response, WebError> {
    judge(&state, &person, &f, false).await
}
