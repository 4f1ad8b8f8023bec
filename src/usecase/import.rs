//! Importing employees (`ImportEmployees`, the console's import page and
//! `tidsvakt import employees`): the rows are judged by
//! [`domain::import::plan`](crate::domain::import::plan) against every
//! stored employee, then the valid rows are written through the same
//! [`people::create_employee`] and [`people::update_employee`] the forms
//! use, managers first. A dry run stops after judging.

use std::collections::HashMap;

use crate::domain::employee::{Employee, Locale};
use crate::domain::ids::EmployeeId;
use crate::domain::import::{self, Action, Current, MAX_ROWS, RawRow, RowPlan};
use crate::domain::token::Role;
use crate::grpc::Ctx;
use crate::grpc::auth::Caller;
use crate::grpc::error::{ApiError, ApiResult};
use crate::pb;

use super::people;

/// What an import judged, and the ids of the employees its rows name.
#[derive(Clone, Debug)]
pub struct Report {
    pub plans: Vec<RowPlan>,
    /// External id → employee id, for every stored or created employee.
    pub ids: HashMap<String, EmployeeId>,
    pub dry_run: bool,
}

fn current(e: &Employee, ext_of: &HashMap<EmployeeId, String>) -> Current {
    Current {
        external_id: e.fields.external_id.clone(),
        name: e.fields.name.clone(),
        email: e.fields.email.clone(),
        time_zone: e.fields.time_zone,
        manager_external_id: e.fields.manager_id.and_then(|m| ext_of.get(&m).cloned()),
        locale: e.fields.locale,
        rule_pack: e.fields.rule_pack,
        department: e.fields.department.clone(),
    }
}

fn locale_pb(l: Locale) -> i32 {
    (match l {
        Locale::Nb => pb::Locale::Nb,
        Locale::En => pb::Locale::En,
    }) as i32
}

#[allow(clippy::too_many_lines)] // judging, then each kind of write in turn
/// Judges `rows` and, unless `dry_run`, stores the valid ones (ADMIN).
///
/// # Errors
/// A caller that is not ADMIN, too many rows, or a failed write (the rows
/// written before it stay; importing again finishes the rest).
pub async fn run(ctx: &Ctx, caller: &Caller, rows: &[RawRow], dry_run: bool) -> ApiResult<Report> {
    caller.require(&[Role::Admin])?;
    if rows.len() > MAX_ROWS {
        return Err(ApiError::invalid(
            "rows",
            format!("has {} rows; at most {MAX_ROWS} in one import", rows.len()),
        ));
    }
    let stored = people::all_employees(ctx, caller).await?;
    let ext_of: HashMap<EmployeeId, String> = stored
        .iter()
        .map(|e| (e.id, e.fields.external_id.clone()))
        .collect();
    let mut ids: HashMap<String, EmployeeId> =
        ext_of.iter().map(|(id, ext)| (ext.clone(), *id)).collect();
    let by_ext: HashMap<&str, &Employee> = stored
        .iter()
        .map(|e| (e.fields.external_id.as_str(), e))
        .collect();
    let currents: Vec<Current> = stored.iter().map(|e| current(e, &ext_of)).collect();
    let plans = import::plan(rows, &currents);
    if !dry_run {
        for (action, t) in import::writes(&plans) {
            let manager_id = t
                .manager_external_id
                .as_ref()
                .and_then(|m| ids.get(m))
                .map(ToString::to_string)
                .unwrap_or_default();
            let fields = pb::Employee {
                external_id: t.external_id.clone(),
                name: t.name.clone(),
                email: t.email.clone(),
                manager_id: manager_id.clone(),
                time_zone: t.time_zone.name().to_owned(),
                locale: locale_pb(t.locale),
                rule_pack: t.rule_pack.as_str().to_owned(),
                department: t.department.clone().unwrap_or_default(),
                ..Default::default()
            };
            match action {
                Action::Create => {
                    let e = people::create_employee(
                        ctx,
                        caller,
                        pb::CreateEmployeeRequest {
                            external_id: fields.external_id,
                            name: fields.name,
                            email: fields.email,
                            manager_id,
                            time_zone: fields.time_zone,
                            locale: fields.locale,
                            rule_pack: fields.rule_pack,
                            exemption: 0,
                            department: fields.department,
                        },
                    )
                    .await?;
                    ids.insert(t.external_id.clone(), e.id);
                }
                Action::Update => {
                    let Some(old) = by_ext.get(t.external_id.as_str()) else {
                        continue;
                    };
                    let was = current(old, &ext_of);
                    let mut paths = Vec::new();
                    for (path, differs) in [
                        ("name", was.name != t.name),
                        ("email", was.email != t.email),
                        ("time_zone", was.time_zone != t.time_zone),
                        (
                            "manager_id",
                            was.manager_external_id != t.manager_external_id,
                        ),
                        ("locale", was.locale != t.locale),
                        ("rule_pack", was.rule_pack != t.rule_pack),
                        ("department", was.department != t.department),
                    ] {
                        if differs {
                            paths.push(path.to_owned());
                        }
                    }
                    people::update_employee(
                        ctx,
                        caller,
                        pb::UpdateEmployeeRequest {
                            employee_id: old.id.to_string(),
                            employee: Some(fields),
                            update_paths: paths,
                        },
                    )
                    .await?;
                }
                Action::Unchanged => {}
            }
        }
        let (created, updated, unchanged, skipped) = import::counts(&plans);
        tracing::info!(created, updated, unchanged, skipped, "employees imported");
    }
    Ok(Report {
        plans,
        ids,
        dry_run,
    })
}

/// `ImportEmployees`.
///
/// # Errors
/// As [`run`].
pub async fn import_employees(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::ImportEmployeesRequest,
) -> ApiResult<pb::ImportEmployeesResponse> {
    let rows: Vec<RawRow> = r
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| RawRow {
            row: u32::try_from(row.row)
                .ok()
                .filter(|n| *n > 0)
                .unwrap_or_else(|| u32::try_from(i + 1).unwrap_or(u32::MAX)),
            external_id: row.external_id,
            name: row.name,
            email: row.email,
            time_zone: row.time_zone,
            manager_external_id: row.manager_external_id,
            locale: row.locale,
            rule_pack: row.rule_pack,
            department: row.department,
        })
        .collect();
    let report = run(ctx, caller, &rows, r.dry_run).await?;
    let (created, updated, unchanged, skipped) = import::counts(&report.plans);
    let n = |c: usize| i32::try_from(c).unwrap_or(i32::MAX);
    Ok(pb::ImportEmployeesResponse {
        results: report
            .plans
            .iter()
            .map(|p| pb::ImportRowResult {
                row: i32::try_from(p.row).unwrap_or(i32::MAX),
                external_id: p.external_id.clone(),
                action: (match p.action {
                    None => pb::ImportAction::Skipped,
                    Some(Action::Create) => pb::ImportAction::Create,
                    Some(Action::Update) => pb::ImportAction::Update,
                    Some(Action::Unchanged) => pb::ImportAction::Unchanged,
                }) as i32,
                problems: p
                    .problems
                    .iter()
                    .map(|q| pb::ImportProblem {
                        field: q.field.to_owned(),
                        reason: q.reason.clone(),
                    })
                    .collect(),
                employee_id: if p.is_valid() {
                    report
                        .ids
                        .get(&p.external_id)
                        .map(ToString::to_string)
                        .unwrap_or_default()
                } else {
                    String::new()
                },
            })
            .collect(),
        created: n(created),
        updated: n(updated),
        unchanged: n(unchanged),
        skipped: n(skipped),
        dry_run: report.dry_run,
    })
}
