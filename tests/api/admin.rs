//! AdminService end to end: employees, API tokens, who may call what, and
//! organisations that never see each other. Every rejected request is
//! followed by a check that nothing stored changed.

use std::collections::HashSet;

use chrono::Duration;
use tidsvakt::clock::Clock as _;
use tidsvakt::pb;
use tidsvakt::pb::admin_service_client::AdminServiceClient;
use tonic::{Code, Request};
use uuid::Uuid;

use crate::helpers::*;

// ---------------------------------------------------------------------------
// Helpers of this file
// ---------------------------------------------------------------------------

/// A valid `CreateEmployee` request with only the required fields.
fn new_employee(external_id: &str) -> pb::CreateEmployeeRequest {
    pb::CreateEmployeeRequest {
        external_id: external_id.into(),
        name: format!("Kari {external_id}"),
        email: format!("kari.{}@example.no", external_id.to_lowercase()),
        ..Default::default()
    }
}

fn page(page_size: i32, page_token: &str) -> pb::PageRequest {
    pb::PageRequest {
        page_size,
        page_token: page_token.into(),
    }
}

fn update(id: &str, employee: pb::Employee, paths: &[&str]) -> pb::UpdateEmployeeRequest {
    pb::UpdateEmployeeRequest {
        employee_id: id.into(),
        employee: Some(employee),
        update_paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    }
}

fn new_token(name: &str, role: pb::Role, employee_id: &str) -> pb::CreateApiTokenRequest {
    pb::CreateApiTokenRequest {
        name: name.into(),
        role: role as i32,
        employee_id: employee_id.into(),
        expires_at: Some(crate::helpers::token_expiry()),
        department: String::new(),
    }
}

/// Every employee of `client`'s organisation, deactivated ones included.
async fn all_employees(client: &mut AdminClient) -> Vec<pb::Employee> {
    client
        .list_employees(pb::ListEmployeesRequest {
            page: Some(page(500, "")),
            include_inactive: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employees
}

/// Every token of `client`'s organisation, revoked ones included.
async fn all_tokens(client: &mut AdminClient) -> Vec<pb::ApiToken> {
    without_last_use(
        client
            .list_api_tokens(pb::ListApiTokensRequest {
                page: Some(page(500, "")),
                include_revoked: true,
            })
            .await
            .unwrap()
            .into_inner()
            .tokens,
    )
}

/// Tokens without their last use, which every call moves (and is written
/// off the call's path; `security.rs` checks it).
fn without_last_use(tokens: Vec<pb::ApiToken>) -> Vec<pb::ApiToken> {
    tokens
        .into_iter()
        .map(|t| pb::ApiToken {
            last_used_at: None,
            ..t
        })
        .collect()
}

async fn get(app: &TestApp, employee_id: &str) -> pb::Employee {
    app.admin()
        .get_employee(pb::GetEmployeeRequest {
            employee_id: employee_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap()
}

fn external_ids(employees: &[pb::Employee]) -> Vec<&str> {
    employees.iter().map(|e| e.external_id.as_str()).collect()
}

/// Moves the service's clock forward, so a changed timestamp would show.
fn advance(app: &TestApp, minutes: i64) {
    app.clock.set(app.clock.now() + Duration::minutes(minutes));
}

/// A second organisation: its admin client and first admin secret.
async fn other_organisation(app: &TestApp) -> (AdminClient, String) {
    let (_, secret) =
        tidsvakt::bootstrap::create_organisation(app.store.as_ref(), "other", app.clock.now())
            .await
            .unwrap();
    (app.admin_client(&secret), secret)
}

/// Sends `edit(valid request)` and expects `code` naming `field`; then checks
/// that the organisation still holds exactly the one employee made first.
async fn assert_create_rejected(
    app: &TestApp,
    edit: impl FnOnce(&mut pb::CreateEmployeeRequest),
    code: Code,
    field: &str,
) {
    let first = app.create_employee("E-1").await;
    let mut request = new_employee("E-2");
    edit(&mut request);
    assert_error(app.admin().create_employee(request).await, code, field);
    assert_eq!(
        all_employees(&mut app.admin()).await,
        vec![first],
        "a rejected CreateEmployee stores nothing"
    );
}

// ---------------------------------------------------------------------------
// CreateEmployee
// ---------------------------------------------------------------------------

async fn create_employee_fills_in_the_defaults(app: TestApp) {
    let e = app
        .admin()
        .create_employee(new_employee("E-1"))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert!(e.employee_id.parse::<Uuid>().is_ok(), "{}", e.employee_id);
    assert_eq!(e.external_id, "E-1");
    assert_eq!(e.name, "Kari E-1");
    assert_eq!(e.email, "kari.e-1@example.no");
    assert_eq!(e.manager_id, "");
    assert_eq!(e.time_zone, "Europe/Oslo");
    assert_eq!(e.locale(), pb::Locale::Nb);
    assert_eq!(e.rule_pack, "no-aml");
    assert_eq!(e.exemption(), pb::Exemption::None);
    assert!(e.active);
    assert_eq!(e.created_at, Some(ts(test_now())));
    assert_eq!(e.updated_at, Some(ts(test_now())));
    assert_eq!(e.deactivated_at, None);
    assert_eq!(get(&app, &e.employee_id).await, e, "stored as answered");
}

async fn create_employee_keeps_the_values_given(app: TestApp) {
    let boss = app.create_employee("B-1").await;
    let e = app
        .admin()
        .create_employee(pb::CreateEmployeeRequest {
            manager_id: boss.employee_id.clone(),
            time_zone: "Europe/Berlin".into(),
            locale: pb::Locale::En as i32,
            rule_pack: "de-arbzg".into(),
            exemption: pb::Exemption::LeadingPosition as i32,
            ..new_employee("E-1")
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(e.manager_id, boss.employee_id);
    assert_eq!(e.time_zone, "Europe/Berlin");
    assert_eq!(e.locale(), pb::Locale::En);
    assert_eq!(e.rule_pack, "de-arbzg");
    assert_eq!(e.exemption(), pb::Exemption::LeadingPosition);
    assert_eq!(get(&app, &e.employee_id).await, e);
}

async fn create_employee_rejects_a_missing_external_id(app: TestApp) {
    assert_create_rejected(
        &app,
        |r| r.external_id = "   ".into(),
        Code::InvalidArgument,
        "external_id",
    )
    .await;
}

async fn create_employee_rejects_an_over_long_external_id(app: TestApp) {
    assert_create_rejected(
        &app,
        |r| r.external_id = "x".repeat(129),
        Code::InvalidArgument,
        "external_id",
    )
    .await;
}

async fn create_employee_rejects_a_missing_name(app: TestApp) {
    assert_create_rejected(&app, |r| r.name.clear(), Code::InvalidArgument, "name").await;
}

async fn create_employee_rejects_a_name_with_control_characters(app: TestApp) {
    assert_create_rejected(
        &app,
        |r| r.name = "Kari\u{7}Nordmann".into(),
        Code::InvalidArgument,
        "name",
    )
    .await;
}

async fn create_employee_rejects_a_missing_email(app: TestApp) {
    assert_create_rejected(&app, |r| r.email.clear(), Code::InvalidArgument, "email").await;
}

async fn create_employee_rejects_a_malformed_email(app: TestApp) {
    for bad in [
        "kari.example.no",
        "kari@",
        "@example.no",
        "ka ri@example.no",
    ] {
        let mut request = new_employee("E-9");
        request.email = bad.into();
        assert_error(
            app.admin().create_employee(request).await,
            Code::InvalidArgument,
            "email",
        );
    }
    assert!(all_employees(&mut app.admin()).await.is_empty());
}

async fn create_employee_rejects_an_email_with_two_at_signs(app: TestApp) {
    assert_create_rejected(
        &app,
        |r| r.email = "kari@home@example.no".into(),
        Code::InvalidArgument,
        "email",
    )
    .await;
}

async fn create_employee_rejects_an_unknown_time_zone(app: TestApp) {
    assert_create_rejected(
        &app,
        |r| r.time_zone = "Mars/Olympus".into(),
        Code::InvalidArgument,
        "time_zone",
    )
    .await;
}

async fn create_employee_rejects_an_unknown_rule_pack(app: TestApp) {
    assert_create_rejected(
        &app,
        |r| r.rule_pack = "us-flsa".into(),
        Code::InvalidArgument,
        "rule_pack",
    )
    .await;
}

async fn create_employee_rejects_an_unknown_locale_value(app: TestApp) {
    assert_create_rejected(&app, |r| r.locale = 99, Code::InvalidArgument, "locale").await;
}

async fn create_employee_rejects_an_unknown_exemption_value(app: TestApp) {
    assert_create_rejected(
        &app,
        |r| r.exemption = 99,
        Code::InvalidArgument,
        "exemption",
    )
    .await;
}

async fn create_employee_rejects_a_manager_id_that_is_not_a_uuid(app: TestApp) {
    assert_create_rejected(
        &app,
        |r| r.manager_id = "boss".into(),
        Code::InvalidArgument,
        "manager_id",
    )
    .await;
}

async fn create_employee_with_an_unknown_manager_is_not_found(app: TestApp) {
    let unknown = Uuid::new_v4().to_string();
    assert_create_rejected(
        &app,
        move |r| r.manager_id = unknown,
        Code::NotFound,
        "manager_id",
    )
    .await;
}

async fn create_employee_refuses_a_duplicate_external_id(app: TestApp) {
    let first = app.create_employee("E-1").await;
    advance(&app, 5);
    let mut again = new_employee("E-1");
    again.name = "Someone Else".into();
    again.email = "someone@example.no".into();
    assert_error(
        app.admin().create_employee(again).await,
        Code::AlreadyExists,
        "external_id",
    );
    // Surrounding blanks are trimmed, so this is the same id.
    assert_error(
        app.admin()
            .create_employee(pb::CreateEmployeeRequest {
                external_id: "  E-1 ".into(),
                ..new_employee("E-9")
            })
            .await,
        Code::AlreadyExists,
        "external_id",
    );
    assert_eq!(
        all_employees(&mut app.admin()).await,
        vec![first],
        "the first employee is unchanged and no second one exists"
    );
}

// ---------------------------------------------------------------------------
// UpdateEmployee
// ---------------------------------------------------------------------------

async fn update_employee_changes_only_the_named_paths(app: TestApp) {
    let boss = app.create_employee("B-1").await;
    let kari = app
        .create_employee_managed_by("E-1", &boss.employee_id)
        .await;
    advance(&app, 10);
    // Every field carries a new (some invalid) value; only two are named.
    let new = pb::Employee {
        employee_id: Uuid::new_v4().to_string(),
        external_id: String::new(),
        name: "Kari Hansen".into(),
        email: "not an email".into(),
        manager_id: String::new(),
        time_zone: "America/New_York".into(),
        locale: pb::Locale::En as i32,
        rule_pack: "no-such-pack".into(),
        exemption: 99,
        active: false,
        created_at: Some(ts(at(1, 0))),
        updated_at: Some(ts(at(1, 0))),
        deactivated_at: Some(ts(at(1, 0))),
        department: "x".repeat(101),
    };
    let updated = app
        .admin()
        .update_employee(update(&kari.employee_id, new, &["name", "time_zone"]))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    let expected = pb::Employee {
        name: "Kari Hansen".into(),
        time_zone: "America/New_York".into(),
        updated_at: Some(ts(test_now() + Duration::minutes(10))),
        ..kari.clone()
    };
    assert_eq!(updated, expected);
    assert_eq!(get(&app, &kari.employee_id).await, expected, "as stored");
    assert_eq!(get(&app, &boss.employee_id).await, boss, "others untouched");
}

async fn update_employee_changes_every_updatable_field(app: TestApp) {
    let boss = app.create_employee("B-1").await;
    let kari = app.create_employee("E-1").await;
    let new = pb::Employee {
        external_id: "E-100".into(),
        name: "Kari Hansen".into(),
        email: "kari.hansen@example.no".into(),
        manager_id: boss.employee_id.clone(),
        time_zone: "Europe/Berlin".into(),
        locale: pb::Locale::En as i32,
        rule_pack: "eu-wtd".into(),
        exemption: pb::Exemption::ParticularlyIndependent as i32,
        ..Default::default()
    };
    let paths = [
        "external_id",
        "name",
        "email",
        "manager_id",
        "time_zone",
        "locale",
        "rule_pack",
        "exemption",
    ];
    let updated = app
        .admin()
        .update_employee(update(&kari.employee_id, new.clone(), &paths))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    let expected = pb::Employee {
        employee_id: kari.employee_id.clone(),
        active: true,
        created_at: kari.created_at,
        updated_at: kari.updated_at,
        deactivated_at: None,
        ..new
    };
    assert_eq!(updated, expected);
    assert_eq!(get(&app, &kari.employee_id).await, expected);
    // An empty manager_id removes the manager.
    let cleared = app
        .admin()
        .update_employee(update(
            &kari.employee_id,
            pb::Employee::default(),
            &["manager_id"],
        ))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(cleared.manager_id, "");
}

async fn update_employee_requires_at_least_one_path(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let new = pb::Employee {
        name: "Changed".into(),
        ..Default::default()
    };
    assert_error(
        app.admin()
            .update_employee(update(&kari.employee_id, new, &[]))
            .await,
        Code::InvalidArgument,
        "update_paths",
    );
    assert_eq!(get(&app, &kari.employee_id).await, kari);
}

async fn update_employee_rejects_an_unknown_path_naming_its_index(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let new = pb::Employee {
        name: "Changed".into(),
        ..Default::default()
    };
    assert_error(
        app.admin()
            .update_employee(update(&kari.employee_id, new.clone(), &["salary"]))
            .await,
        Code::InvalidArgument,
        "update_paths[0]",
    );
    // A valid path before the unknown one is not applied either.
    assert_error(
        app.admin()
            .update_employee(update(&kari.employee_id, new, &["name", "created_at"]))
            .await,
        Code::InvalidArgument,
        "update_paths[1]",
    );
    assert_eq!(get(&app, &kari.employee_id).await, kari);
}

async fn update_employee_rejects_bad_values_naming_the_employee_field(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let cases: Vec<(pb::Employee, &str, &str)> = vec![
        (
            pb::Employee::default(),
            "external_id",
            "employee.external_id",
        ),
        (pb::Employee::default(), "name", "employee.name"),
        (
            pb::Employee {
                email: "kari.example.no".into(),
                ..Default::default()
            },
            "email",
            "employee.email",
        ),
        (
            pb::Employee {
                time_zone: "Mars/Olympus".into(),
                ..Default::default()
            },
            "time_zone",
            "employee.time_zone",
        ),
        (pb::Employee::default(), "locale", "employee.locale"),
        (
            pb::Employee {
                locale: 99,
                ..Default::default()
            },
            "locale",
            "employee.locale",
        ),
        (
            pb::Employee {
                rule_pack: "us-flsa".into(),
                ..Default::default()
            },
            "rule_pack",
            "employee.rule_pack",
        ),
        (pb::Employee::default(), "exemption", "employee.exemption"),
        (
            pb::Employee {
                manager_id: "boss".into(),
                ..Default::default()
            },
            "manager_id",
            "employee.manager_id",
        ),
    ];
    for (new, path, field) in cases {
        assert_error(
            app.admin()
                .update_employee(update(&kari.employee_id, new, &[path]))
                .await,
            Code::InvalidArgument,
            field,
        );
    }
    assert_error(
        app.admin()
            .update_employee(update(
                &kari.employee_id,
                pb::Employee {
                    manager_id: Uuid::new_v4().to_string(),
                    ..Default::default()
                },
                &["manager_id"],
            ))
            .await,
        Code::NotFound,
        "employee.manager_id",
    );
    assert_error(
        app.admin()
            .update_employee(pb::UpdateEmployeeRequest {
                employee_id: kari.employee_id.clone(),
                employee: None,
                update_paths: vec!["name".into()],
            })
            .await,
        Code::InvalidArgument,
        "employee",
    );
    assert_error(
        app.admin()
            .update_employee(update("E-1", pb::Employee::default(), &["name"]))
            .await,
        Code::InvalidArgument,
        "employee_id",
    );
    assert_error(
        app.admin()
            .update_employee(update(
                &Uuid::new_v4().to_string(),
                pb::Employee::default(),
                &["name"],
            ))
            .await,
        Code::NotFound,
        "employee_id",
    );
    assert_eq!(all_employees(&mut app.admin()).await, vec![kari]);
}

async fn update_employee_refuses_a_management_cycle(app: TestApp) {
    let a = app.create_employee("A").await;
    let b = app.create_employee_managed_by("B", &a.employee_id).await;
    let c = app.create_employee_managed_by("C", &b.employee_id).await;
    let manager = |id: &str| pb::Employee {
        manager_id: id.into(),
        ..Default::default()
    };
    // Direct: A manages B, so B may not manage A.
    assert_error(
        app.admin()
            .update_employee(update(
                &a.employee_id,
                manager(&b.employee_id),
                &["manager_id"],
            ))
            .await,
        Code::InvalidArgument,
        "employee.manager_id",
    );
    // Indirect: A -> B -> C, so C may not manage A.
    assert_error(
        app.admin()
            .update_employee(update(
                &a.employee_id,
                manager(&c.employee_id),
                &["manager_id"],
            ))
            .await,
        Code::InvalidArgument,
        "employee.manager_id",
    );
    assert_eq!(all_employees(&mut app.admin()).await, vec![a, b, c]);
}

async fn update_employee_refuses_self_management(app: TestApp) {
    let a = app.create_employee("A").await;
    assert_error(
        app.admin()
            .update_employee(update(
                &a.employee_id,
                pb::Employee {
                    manager_id: a.employee_id.clone(),
                    ..Default::default()
                },
                &["manager_id"],
            ))
            .await,
        Code::InvalidArgument,
        "employee.manager_id",
    );
    assert_eq!(get(&app, &a.employee_id).await, a);
}

async fn update_employee_refuses_another_employees_external_id(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let ola = app.create_employee("E-2").await;
    assert_error(
        app.admin()
            .update_employee(update(
                &kari.employee_id,
                pb::Employee {
                    external_id: "E-2".into(),
                    name: "Changed".into(),
                    ..Default::default()
                },
                &["name", "external_id"],
            ))
            .await,
        Code::AlreadyExists,
        "external_id",
    );
    assert_eq!(
        all_employees(&mut app.admin()).await,
        vec![kari.clone(), ola]
    );
    // Keeping one's own external id is no conflict.
    app.admin()
        .update_employee(update(
            &kari.employee_id,
            pb::Employee {
                external_id: "E-1".into(),
                ..Default::default()
            },
            &["external_id"],
        ))
        .await
        .unwrap();
}

async fn update_employee_reactivates_via_the_active_path(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    advance(&app, 1);
    app.admin()
        .deactivate_employee(pb::DeactivateEmployeeRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap();
    advance(&app, 1);
    let back = app
        .admin()
        .update_employee(update(
            &kari.employee_id,
            pb::Employee {
                active: true,
                ..Default::default()
            },
            &["active"],
        ))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert!(back.active);
    assert_eq!(back.deactivated_at, None);
    assert_eq!(back.updated_at, Some(ts(test_now() + Duration::minutes(2))));
    assert_eq!(get(&app, &kari.employee_id).await, back);
    // And takes events again.
    let token = app.clock_token().await;
    app.clock_client(&token)
        .record_event(pb::RecordEventRequest {
            event: Some(event(&kari.employee_id, pb::EventKind::ClockIn, at(19, 0))),
        })
        .await
        .unwrap();
    assert_eq!(app.stored_events(&kari.employee_id).await.len(), 1);
    // The "active" path also deactivates.
    let off = app
        .admin()
        .update_employee(update(
            &kari.employee_id,
            pb::Employee::default(),
            &["active"],
        ))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert!(!off.active);
    assert_eq!(
        off.deactivated_at,
        Some(ts(test_now() + Duration::minutes(2)))
    );
}

async fn concurrent_manager_changes_cannot_build_a_cycle(app: TestApp) {
    let manager = |id: &str| pb::Employee {
        manager_id: id.into(),
        ..Default::default()
    };
    for round in 0..20 {
        let a = app.create_employee(&format!("A-{round:02}")).await;
        let b = app.create_employee(&format!("B-{round:02}")).await;
        let (mut one, mut two) = (app.admin(), app.admin());
        let (a_under_b, b_under_a) = tokio::join!(
            one.update_employee(update(
                &a.employee_id,
                manager(&b.employee_id),
                &["manager_id"]
            )),
            two.update_employee(update(
                &b.employee_id,
                manager(&a.employee_id),
                &["manager_id"]
            )),
        );
        let (a_now, b_now) = (
            get(&app, &a.employee_id).await,
            get(&app, &b.employee_id).await,
        );
        assert!(
            !(a_now.manager_id == b.employee_id && b_now.manager_id == a.employee_id),
            "round {round}: A and B now manage each other (both updates answered OK: {})",
            a_under_b.is_ok() && b_under_a.is_ok()
        );
    }
}

async fn answers_carry_the_timestamps_that_are_stored(app: TestApp) {
    // A real clock has sub-microsecond digits; storage keeps microseconds.
    app.clock
        .set(test_now() + Duration::nanoseconds(123_456_789));
    let created = app.create_employee("E-1").await;
    assert_eq!(
        get(&app, &created.employee_id).await,
        created,
        "CreateEmployee answers what GetEmployee reads back"
    );
    let updated = app
        .admin()
        .update_employee(update(
            &created.employee_id,
            pb::Employee {
                name: "Kari Hansen".into(),
                ..Default::default()
            },
            &["name"],
        ))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(
        get(&app, &created.employee_id).await,
        updated,
        "UpdateEmployee"
    );
    let token = app
        .admin()
        .create_api_token(new_token("reception", pb::Role::Clock, ""))
        .await
        .unwrap()
        .into_inner()
        .token
        .unwrap();
    assert!(
        all_tokens(&mut app.admin()).await.contains(&token),
        "CreateApiToken answers what ListApiTokens reads back"
    );
}

// ---------------------------------------------------------------------------
// GetEmployee and ListEmployees
// ---------------------------------------------------------------------------

async fn list_employees_pages_through_everyone_in_external_id_order(app: TestApp) {
    for id in ["E-3", "E-1", "E-5", "E-2", "E-4"] {
        app.create_employee(id).await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = Vec::new();
    loop {
        let r = app
            .admin()
            .list_employees(pb::ListEmployeesRequest {
                page: Some(page(2, &token)),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        pages.push(r.employees.len());
        seen.extend(r.employees);
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
        assert!(pages.len() < 10, "paging does not end");
    }
    assert_eq!(pages, [2, 2, 1]);
    assert_eq!(external_ids(&seen), ["E-1", "E-2", "E-3", "E-4", "E-5"]);
    let unique: HashSet<&str> = seen.iter().map(|e| e.employee_id.as_str()).collect();
    assert_eq!(unique.len(), 5, "no duplicates");
    // A page that ends exactly at the last employee says there is no more.
    let exact = app
        .admin()
        .list_employees(pb::ListEmployeesRequest {
            page: Some(page(5, "")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exact.employees.len(), 5);
    assert_eq!(exact.next_page_token, "");
    // No page at all means the default size (100).
    let default = app
        .admin()
        .list_employees(pb::ListEmployeesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(default.employees, seen);
    assert_eq!(default.next_page_token, "");
}

async fn list_employees_rejects_bad_page_sizes_and_tokens(app: TestApp) {
    app.create_employee("E-1").await;
    for size in [501, -1, i32::MIN] {
        assert_error(
            app.admin()
                .list_employees(pb::ListEmployeesRequest {
                    page: Some(page(size, "")),
                    ..Default::default()
                })
                .await,
            Code::InvalidArgument,
            "page.page_size",
        );
    }
    for token in ["garbage!", "zz", "ff"] {
        assert_error(
            app.admin()
                .list_employees(pb::ListEmployeesRequest {
                    page: Some(page(2, token)),
                    ..Default::default()
                })
                .await,
            Code::InvalidArgument,
            "page.page_token",
        );
    }
    // The bounds themselves are fine.
    for size in [1, 500] {
        app.admin()
            .list_employees(pb::ListEmployeesRequest {
                page: Some(page(size, "")),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    assert_error(
        app.admin()
            .list_employees(pb::ListEmployeesRequest {
                manager_id: "boss".into(),
                ..Default::default()
            })
            .await,
        Code::InvalidArgument,
        "manager_id",
    );
}

async fn list_employees_includes_deactivated_employees_only_when_asked(app: TestApp) {
    app.create_employee("E-1").await;
    let gone = app.create_employee("E-2").await;
    app.create_employee("E-3").await;
    app.admin()
        .deactivate_employee(pb::DeactivateEmployeeRequest {
            employee_id: gone.employee_id.clone(),
        })
        .await
        .unwrap();
    let active = app
        .admin()
        .list_employees(pb::ListEmployeesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .employees;
    assert_eq!(external_ids(&active), ["E-1", "E-3"]);
    let everyone = all_employees(&mut app.admin()).await;
    assert_eq!(external_ids(&everyone), ["E-1", "E-2", "E-3"]);
    assert!(!everyone[1].active);
}

async fn list_employees_filters_by_manager_for_an_admin(app: TestApp) {
    let boss = app.create_employee("B-1").await;
    app.create_employee_managed_by("E-2", &boss.employee_id)
        .await;
    app.create_employee("E-3").await;
    app.create_employee_managed_by("E-1", &boss.employee_id)
        .await;
    let team = app
        .admin()
        .list_employees(pb::ListEmployeesRequest {
            manager_id: boss.employee_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employees;
    assert_eq!(external_ids(&team), ["E-1", "E-2"]);
}

async fn get_employee_rejects_a_malformed_or_unknown_id(app: TestApp) {
    app.create_employee("E-1").await;
    assert_error(
        app.admin()
            .get_employee(pb::GetEmployeeRequest {
                employee_id: String::new(),
            })
            .await,
        Code::InvalidArgument,
        "employee_id",
    );
    assert_error(
        app.admin()
            .get_employee(pb::GetEmployeeRequest {
                employee_id: "E-1".into(),
            })
            .await,
        Code::InvalidArgument,
        "employee_id",
    );
    assert_error(
        app.admin()
            .get_employee(pb::GetEmployeeRequest {
                employee_id: Uuid::new_v4().to_string(),
            })
            .await,
        Code::NotFound,
        "employee_id",
    );
}

async fn a_manager_sees_only_itself_and_its_direct_reports(app: TestApp) {
    let boss = app.create_employee("B-1").await;
    let other_boss = app.create_employee("B-2").await;
    let kari = app
        .create_employee_managed_by("E-1", &boss.employee_id)
        .await;
    let ola = app
        .create_employee_managed_by("E-2", &other_boss.employee_id)
        .await;
    // Kari's own report is not the boss's direct report.
    let nils = app
        .create_employee_managed_by("E-3", &kari.employee_id)
        .await;
    let secret = app.token(pb::Role::Manager, Some(&boss.employee_id)).await;
    let mut as_boss = app.admin_client(&secret);

    let team = as_boss
        .list_employees(pb::ListEmployeesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .employees;
    assert_eq!(team, vec![kari.clone()]);
    let explicit = as_boss
        .list_employees(pb::ListEmployeesRequest {
            manager_id: boss.employee_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employees;
    assert_eq!(explicit, vec![kari.clone()]);
    assert_error(
        as_boss
            .list_employees(pb::ListEmployeesRequest {
                manager_id: other_boss.employee_id.clone(),
                ..Default::default()
            })
            .await,
        Code::PermissionDenied,
        "MANAGER",
    );

    for (e, allowed) in [
        (&boss, true),
        (&kari, true),
        (&ola, false),
        (&other_boss, false),
        (&nils, false),
    ] {
        let r = as_boss
            .get_employee(pb::GetEmployeeRequest {
                employee_id: e.employee_id.clone(),
            })
            .await;
        if allowed {
            assert_eq!(&r.unwrap().into_inner().employee.unwrap(), e);
        } else {
            assert_error(r, Code::PermissionDenied, &e.employee_id);
        }
    }
    // And may change nothing.
    assert_error(
        as_boss
            .update_employee(update(
                &kari.employee_id,
                pb::Employee {
                    name: "Changed".into(),
                    ..Default::default()
                },
                &["name"],
            ))
            .await,
        Code::PermissionDenied,
        "ADMIN",
    );
    assert_eq!(get(&app, &kari.employee_id).await, kari);
}

async fn an_employee_token_may_read_only_itself(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let ola = app.create_employee("E-2").await;
    let secret = app.token(pb::Role::Employee, Some(&kari.employee_id)).await;
    let mut as_kari = app.admin_client(&secret);
    let me = as_kari
        .get_employee(pb::GetEmployeeRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(me, kari);
    assert_error(
        as_kari
            .get_employee(pb::GetEmployeeRequest {
                employee_id: ola.employee_id.clone(),
            })
            .await,
        Code::PermissionDenied,
        &ola.employee_id,
    );
    assert_error(
        as_kari
            .list_employees(pb::ListEmployeesRequest::default())
            .await,
        Code::PermissionDenied,
        "EMPLOYEE",
    );
}

async fn clock_and_payroll_tokens_may_not_read_employee_records(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    for role in [pb::Role::Clock, pb::Role::Payroll] {
        let secret = app.token(role, None).await;
        let mut client = app.admin_client(&secret);
        assert_error(
            client
                .get_employee(pb::GetEmployeeRequest {
                    employee_id: kari.employee_id.clone(),
                })
                .await,
            Code::PermissionDenied,
            role.as_str_name().trim_start_matches("ROLE_"),
        );
        assert_error(
            client
                .list_employees(pb::ListEmployeesRequest::default())
                .await,
            Code::PermissionDenied,
            role.as_str_name().trim_start_matches("ROLE_"),
        );
    }
}

// ---------------------------------------------------------------------------
// DeactivateEmployee
// ---------------------------------------------------------------------------

async fn deactivate_employee_keeps_the_record_and_is_idempotent(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    advance(&app, 30);
    let request = pb::DeactivateEmployeeRequest {
        employee_id: kari.employee_id.clone(),
    };
    let off = app
        .admin()
        .deactivate_employee(request.clone())
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    let when = Some(ts(test_now() + Duration::minutes(30)));
    assert_eq!(
        off,
        pb::Employee {
            active: false,
            deactivated_at: when,
            updated_at: when,
            ..kari.clone()
        }
    );
    assert_eq!(get(&app, &kari.employee_id).await, off);
    // Again, later: nothing changes, not even the timestamps.
    advance(&app, 30);
    let again = app
        .admin()
        .deactivate_employee(request)
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(again, off);
    assert_eq!(get(&app, &kari.employee_id).await, off);
}

async fn a_deactivated_employee_takes_no_new_events(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let clock = app.clock_token().await;
    app.clock_client(&clock)
        .record_event(pb::RecordEventRequest {
            event: Some(event(&kari.employee_id, pb::EventKind::ClockIn, at(8, 0))),
        })
        .await
        .unwrap();
    app.admin()
        .deactivate_employee(pb::DeactivateEmployeeRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap();
    assert_error(
        app.clock_client(&clock)
            .record_event(pb::RecordEventRequest {
                event: Some(event(&kari.employee_id, pb::EventKind::ClockOut, at(16, 0))),
            })
            .await,
        Code::FailedPrecondition,
        "event.employee_id",
    );
    let stored = app.stored_events(&kari.employee_id).await;
    assert_eq!(stored.len(), 1, "only the event from before");
}

async fn create_api_token_refuses_a_deactivated_employee(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    app.admin()
        .deactivate_employee(pb::DeactivateEmployeeRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap();
    let before = all_tokens(&mut app.admin()).await;
    for role in [pb::Role::Employee, pb::Role::Manager] {
        assert_error(
            app.admin()
                .create_api_token(new_token("kari", role, &kari.employee_id))
                .await,
            Code::FailedPrecondition,
            "employee_id",
        );
    }
    assert_eq!(all_tokens(&mut app.admin()).await, before);
}

async fn deactivate_employee_rejects_a_malformed_or_unknown_id(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    assert_error(
        app.admin()
            .deactivate_employee(pb::DeactivateEmployeeRequest {
                employee_id: "E-1".into(),
            })
            .await,
        Code::InvalidArgument,
        "employee_id",
    );
    assert_error(
        app.admin()
            .deactivate_employee(pb::DeactivateEmployeeRequest {
                employee_id: Uuid::new_v4().to_string(),
            })
            .await,
        Code::NotFound,
        "employee_id",
    );
    assert_eq!(all_employees(&mut app.admin()).await, vec![kari]);
}

// ---------------------------------------------------------------------------
// CreateApiToken, ListApiTokens, RevokeApiToken
// ---------------------------------------------------------------------------

async fn create_api_token_shows_the_secret_once(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let r = app
        .admin()
        .create_api_token(new_token(
            "kari's phone",
            pb::Role::Employee,
            &kari.employee_id,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(r.secret.starts_with("tv1_"), "{}", r.secret);
    let token = r.token.unwrap();
    assert!(token.token_id.parse::<Uuid>().is_ok());
    assert_eq!(token.name, "kari's phone");
    assert_eq!(token.role(), pb::Role::Employee);
    assert_eq!(token.employee_id, kari.employee_id);
    assert_eq!(token.created_at, Some(ts(test_now())));
    assert_eq!(token.revoked_at, None);
    assert!(!token.token_id.contains(&r.secret) && !r.secret.contains(&token.token_id));

    let listed = all_tokens(&mut app.admin()).await;
    assert_eq!(listed.len(), 2, "the first admin and the new one");
    assert!(listed.contains(&token));
    assert!(
        !format!("{listed:?}").contains(&r.secret[4..]),
        "a listing never shows a secret"
    );
    // The secret works at once.
    app.admin_client(&r.secret)
        .get_employee(pb::GetEmployeeRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap();
    // Two tokens never share a secret.
    let other = app.token(pb::Role::Clock, None).await;
    assert_ne!(other, r.secret);
}

async fn create_api_token_rejects_bad_input_naming_the_field(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let k = kari.employee_id.as_str();
    let cases: Vec<(pb::CreateApiTokenRequest, Code, &str)> = vec![
        (
            new_token("", pb::Role::Clock, ""),
            Code::InvalidArgument,
            "name",
        ),
        (
            new_token(&"x".repeat(101), pb::Role::Clock, ""),
            Code::InvalidArgument,
            "name",
        ),
        (
            new_token("t", pb::Role::Unspecified, ""),
            Code::InvalidArgument,
            "role",
        ),
        (
            pb::CreateApiTokenRequest {
                role: 99,
                ..new_token("t", pb::Role::Clock, "")
            },
            Code::InvalidArgument,
            "role",
        ),
        (
            new_token("t", pb::Role::Employee, ""),
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            new_token("t", pb::Role::Manager, ""),
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            new_token("t", pb::Role::Clock, k),
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            new_token("t", pb::Role::Payroll, k),
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            new_token("t", pb::Role::Admin, k),
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            new_token("t", pb::Role::Employee, "E-1"),
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            new_token("t", pb::Role::Employee, &Uuid::new_v4().to_string()),
            Code::NotFound,
            "employee_id",
        ),
    ];
    let before = all_tokens(&mut app.admin()).await;
    for (request, code, field) in cases {
        let shown = format!("{request:?}");
        let r = app.admin().create_api_token(request).await;
        assert!(r.is_err(), "accepted {shown}");
        assert_error(r, code, field);
    }
    assert_eq!(all_tokens(&mut app.admin()).await, before, "nothing stored");
}

async fn a_revoked_token_is_unauthenticated_on_its_next_call(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let r = app
        .admin()
        .create_api_token(new_token("reception", pb::Role::Clock, ""))
        .await
        .unwrap()
        .into_inner();
    let mut clock = app.clock_client(&r.secret);
    clock
        .record_event(pb::RecordEventRequest {
            event: Some(event(&kari.employee_id, pb::EventKind::ClockIn, at(8, 0))),
        })
        .await
        .unwrap();
    advance(&app, 1);
    let revoked = app
        .admin()
        .revoke_api_token(pb::RevokeApiTokenRequest {
            token_id: r.token.as_ref().unwrap().token_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .token
        .unwrap();
    assert_eq!(
        revoked.revoked_at,
        Some(ts(test_now() + Duration::minutes(1)))
    );
    assert_error(
        clock
            .record_event(pb::RecordEventRequest {
                event: Some(event(&kari.employee_id, pb::EventKind::ClockOut, at(16, 0))),
            })
            .await,
        Code::Unauthenticated,
        "revoked",
    );
    assert_error(
        app.admin_client(&r.secret)
            .get_organisation(pb::GetOrganisationRequest {})
            .await,
        Code::Unauthenticated,
        "revoked",
    );
    assert_eq!(app.stored_events(&kari.employee_id).await.len(), 1);
}

async fn an_admin_that_revokes_itself_is_locked_out(app: TestApp) {
    let me = all_tokens(&mut app.admin()).await;
    assert_eq!(me.len(), 1);
    app.admin()
        .revoke_api_token(pb::RevokeApiTokenRequest {
            token_id: me[0].token_id.clone(),
        })
        .await
        .unwrap();
    assert_error(
        app.admin()
            .list_api_tokens(pb::ListApiTokensRequest::default())
            .await,
        Code::Unauthenticated,
        "revoked",
    );
}

async fn revoke_api_token_is_idempotent(app: TestApp) {
    let r = app
        .admin()
        .create_api_token(new_token("reception", pb::Role::Clock, ""))
        .await
        .unwrap()
        .into_inner();
    let request = pb::RevokeApiTokenRequest {
        token_id: r.token.unwrap().token_id,
    };
    let first = app
        .admin()
        .revoke_api_token(request.clone())
        .await
        .unwrap()
        .into_inner()
        .token
        .unwrap();
    advance(&app, 60);
    let second = app
        .admin()
        .revoke_api_token(request)
        .await
        .unwrap()
        .into_inner()
        .token
        .unwrap();
    assert_eq!(second, first, "the first revocation time stays");
    let stored = all_tokens(&mut app.admin()).await;
    assert!(stored.contains(&first));
}

async fn revoke_api_token_rejects_a_malformed_or_unknown_id(app: TestApp) {
    let before = all_tokens(&mut app.admin()).await;
    assert_error(
        app.admin()
            .revoke_api_token(pb::RevokeApiTokenRequest {
                token_id: String::new(),
            })
            .await,
        Code::InvalidArgument,
        "token_id",
    );
    assert_error(
        app.admin()
            .revoke_api_token(pb::RevokeApiTokenRequest {
                token_id: "reception".into(),
            })
            .await,
        Code::InvalidArgument,
        "token_id",
    );
    assert_error(
        app.admin()
            .revoke_api_token(pb::RevokeApiTokenRequest {
                token_id: Uuid::new_v4().to_string(),
            })
            .await,
        Code::NotFound,
        "token_id",
    );
    assert_eq!(all_tokens(&mut app.admin()).await, before);
}

async fn list_api_tokens_pages_through_every_token(app: TestApp) {
    // Two at one instant (ties are broken by id), two later.
    app.clock_token().await;
    app.clock_token().await;
    advance(&app, 1);
    app.token(pb::Role::Payroll, None).await;
    advance(&app, 1);
    app.token(pb::Role::Admin, None).await;
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = Vec::new();
    loop {
        let r = app
            .admin()
            .list_api_tokens(pb::ListApiTokensRequest {
                page: Some(page(2, &token)),
                include_revoked: false,
            })
            .await
            .unwrap()
            .into_inner();
        pages.push(r.tokens.len());
        seen.extend(r.tokens);
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
        assert!(pages.len() < 10, "paging does not end");
    }
    assert_eq!(pages, [2, 2, 1], "the first admin and four new tokens");
    let unique: HashSet<&str> = seen.iter().map(|t| t.token_id.as_str()).collect();
    assert_eq!(unique.len(), 5, "no duplicates");
    let created: Vec<_> = seen.iter().map(|t| t.created_at.unwrap().seconds).collect();
    assert!(created.is_sorted(), "oldest first: {created:?}");
    assert_eq!(
        without_last_use(seen),
        all_tokens(&mut app.admin()).await,
        "same as one page"
    );
}

async fn list_api_tokens_rejects_bad_page_sizes_and_tokens(app: TestApp) {
    for size in [501, -1] {
        assert_error(
            app.admin()
                .list_api_tokens(pb::ListApiTokensRequest {
                    page: Some(page(size, "")),
                    include_revoked: false,
                })
                .await,
            Code::InvalidArgument,
            "page.page_size",
        );
    }
    // Not hex; hex but not a token cursor; an employee listing's cursor.
    for token in ["garbage!", "41", "452d31"] {
        assert_error(
            app.admin()
                .list_api_tokens(pb::ListApiTokensRequest {
                    page: Some(page(2, token)),
                    include_revoked: false,
                })
                .await,
            Code::InvalidArgument,
            "page.page_token",
        );
    }
}

async fn list_api_tokens_hides_revoked_tokens_unless_asked(app: TestApp) {
    let first_admin = all_tokens(&mut app.admin()).await.remove(0);
    // Later than the first admin, so the listing order is known.
    advance(&app, 1);
    let r = app
        .admin()
        .create_api_token(new_token("reception", pb::Role::Clock, ""))
        .await
        .unwrap()
        .into_inner();
    let revoked = app
        .admin()
        .revoke_api_token(pb::RevokeApiTokenRequest {
            token_id: r.token.unwrap().token_id,
        })
        .await
        .unwrap()
        .into_inner()
        .token
        .unwrap();
    let live = app
        .admin()
        .list_api_tokens(pb::ListApiTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    assert_eq!(without_last_use(live), vec![first_admin.clone()]);
    assert_eq!(
        all_tokens(&mut app.admin()).await,
        without_last_use(vec![first_admin, revoked])
    );
}

// ---------------------------------------------------------------------------
// Authentication and authorisation
// ---------------------------------------------------------------------------

async fn a_call_without_authorization_is_unauthenticated(app: TestApp) {
    let mut anonymous = app.anonymous_admin_client();
    assert_error(
        anonymous
            .get_organisation(pb::GetOrganisationRequest {})
            .await,
        Code::Unauthenticated,
        "authorization",
    );
    assert_error(
        anonymous.create_employee(new_employee("E-1")).await,
        Code::Unauthenticated,
        "authorization",
    );
    assert!(all_employees(&mut app.admin()).await.is_empty());
}

async fn an_unknown_or_malformed_bearer_is_unauthenticated(app: TestApp) {
    assert_error(
        app.admin_client("nonsense")
            .create_employee(new_employee("E-1"))
            .await,
        Code::Unauthenticated,
        "unknown",
    );
    for header in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer   ",
        &app.admin_token,
    ] {
        let value: tonic::metadata::MetadataValue<_> = header.parse().unwrap();
        let mut client = AdminServiceClient::with_interceptor(
            app.channel.clone(),
            move |mut request: Request<()>| {
                request
                    .metadata_mut()
                    .insert("authorization", value.clone());
                Ok(request)
            },
        );
        assert_error(
            client.create_employee(new_employee("E-1")).await,
            Code::Unauthenticated,
            "authorization",
        );
    }
    assert!(all_employees(&mut app.admin()).await.is_empty());
}

async fn only_an_admin_may_change_employees_or_tokens(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let secrets = [
        (pb::Role::Clock, app.token(pb::Role::Clock, None).await),
        (
            pb::Role::Employee,
            app.token(pb::Role::Employee, Some(&kari.employee_id)).await,
        ),
        (
            pb::Role::Manager,
            app.token(pb::Role::Manager, Some(&kari.employee_id)).await,
        ),
        (pb::Role::Payroll, app.token(pb::Role::Payroll, None).await),
    ];
    let employees_before = all_employees(&mut app.admin()).await;
    let tokens_before = all_tokens(&mut app.admin()).await;
    let admin_id = tokens_before
        .iter()
        .find(|t| t.name == "first admin")
        .unwrap()
        .token_id
        .clone();
    for (role, secret) in &secrets {
        let held = role.as_str_name().trim_start_matches("ROLE_");
        let mut c = app.admin_client(secret);
        assert_error(
            c.create_employee(new_employee("E-2")).await,
            Code::PermissionDenied,
            held,
        );
        assert_error(
            c.update_employee(update(
                &kari.employee_id,
                pb::Employee {
                    name: "Changed".into(),
                    ..Default::default()
                },
                &["name"],
            ))
            .await,
            Code::PermissionDenied,
            held,
        );
        assert_error(
            c.deactivate_employee(pb::DeactivateEmployeeRequest {
                employee_id: kari.employee_id.clone(),
            })
            .await,
            Code::PermissionDenied,
            held,
        );
        assert_error(
            c.create_api_token(new_token("escalate", pb::Role::Admin, ""))
                .await,
            Code::PermissionDenied,
            held,
        );
        assert_error(
            c.list_api_tokens(pb::ListApiTokensRequest::default()).await,
            Code::PermissionDenied,
            held,
        );
        assert_error(
            c.revoke_api_token(pb::RevokeApiTokenRequest {
                token_id: admin_id.clone(),
            })
            .await,
            Code::PermissionDenied,
            held,
        );
    }
    assert_eq!(all_employees(&mut app.admin()).await, employees_before);
    assert_eq!(all_tokens(&mut app.admin()).await, tokens_before);
}

async fn get_organisation_answers_every_role(app: TestApp) {
    let kari = app.create_employee("E-1").await;
    let org = app
        .admin()
        .get_organisation(pb::GetOrganisationRequest {})
        .await
        .unwrap()
        .into_inner()
        .organisation
        .unwrap();
    assert!(org.organisation_id.parse::<Uuid>().is_ok());
    assert!(!org.name.is_empty());
    assert!(org.created_at.is_some());
    for role in [
        pb::Role::Clock,
        pb::Role::Employee,
        pb::Role::Manager,
        pb::Role::Payroll,
        pb::Role::Admin,
    ] {
        let bound = matches!(role, pb::Role::Employee | pb::Role::Manager);
        let secret = app
            .token(role, bound.then_some(kari.employee_id.as_str()))
            .await;
        let seen = app
            .admin_client(&secret)
            .get_organisation(pb::GetOrganisationRequest {})
            .await
            .unwrap()
            .into_inner()
            .organisation
            .unwrap();
        assert_eq!(seen, org, "{role:?}");
    }
}

// ---------------------------------------------------------------------------
// Organisations never see each other
// ---------------------------------------------------------------------------

async fn another_organisation_cannot_read_or_change_our_employees(app: TestApp) {
    let boss = app.create_employee("B-1").await;
    let kari = app
        .create_employee_managed_by("E-1", &boss.employee_id)
        .await;
    let (mut other, _) = other_organisation(&app).await;
    let id = pb::GetEmployeeRequest {
        employee_id: kari.employee_id.clone(),
    };
    assert_error(other.get_employee(id).await, Code::NotFound, "employee_id");
    assert!(all_employees(&mut other).await.is_empty());
    let filtered = other
        .list_employees(pb::ListEmployeesRequest {
            manager_id: boss.employee_id.clone(),
            include_inactive: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employees;
    assert!(filtered.is_empty(), "{filtered:?}");
    assert_error(
        other
            .update_employee(update(
                &kari.employee_id,
                pb::Employee {
                    name: "Hijacked".into(),
                    ..Default::default()
                },
                &["name"],
            ))
            .await,
        Code::NotFound,
        "employee_id",
    );
    assert_error(
        other
            .deactivate_employee(pb::DeactivateEmployeeRequest {
                employee_id: kari.employee_id.clone(),
            })
            .await,
        Code::NotFound,
        "employee_id",
    );
    assert_error(
        other
            .create_api_token(new_token("spy", pb::Role::Employee, &kari.employee_id))
            .await,
        Code::NotFound,
        "employee_id",
    );
    assert_eq!(all_employees(&mut app.admin()).await, vec![boss, kari]);
    assert_eq!(
        all_tokens(&mut other).await.len(),
        1,
        "only its first admin"
    );
}

async fn another_organisation_cannot_use_our_employee_as_manager(app: TestApp) {
    let boss = app.create_employee("B-1").await;
    let (mut other, _) = other_organisation(&app).await;
    assert_error(
        other
            .create_employee(pb::CreateEmployeeRequest {
                manager_id: boss.employee_id.clone(),
                ..new_employee("E-1")
            })
            .await,
        Code::NotFound,
        "manager_id",
    );
    assert!(all_employees(&mut other).await.is_empty());
    let theirs = other
        .create_employee(new_employee("E-1"))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_error(
        other
            .update_employee(update(
                &theirs.employee_id,
                pb::Employee {
                    manager_id: boss.employee_id.clone(),
                    ..Default::default()
                },
                &["manager_id"],
            ))
            .await,
        Code::NotFound,
        "employee.manager_id",
    );
    assert_eq!(all_employees(&mut other).await, vec![theirs]);
}

async fn the_same_external_id_may_be_used_in_two_organisations(app: TestApp) {
    let ours = app.create_employee("E-1").await;
    let (mut other, _) = other_organisation(&app).await;
    let theirs = other
        .create_employee(new_employee("E-1"))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_ne!(theirs.employee_id, ours.employee_id);
    assert_eq!(all_employees(&mut app.admin()).await, vec![ours.clone()]);
    assert_eq!(all_employees(&mut other).await, vec![theirs.clone()]);
    // Renaming to an id the other organisation uses is no conflict either.
    let (mut third, _) = other_organisation(&app).await;
    let mine = third
        .create_employee(new_employee("E-7"))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    third
        .update_employee(update(
            &mine.employee_id,
            pb::Employee {
                external_id: "E-1".into(),
                ..Default::default()
            },
            &["external_id"],
        ))
        .await
        .unwrap();
    assert_eq!(get(&app, &ours.employee_id).await, ours);
}

async fn another_organisation_cannot_see_or_revoke_our_tokens(app: TestApp) {
    let ours = app
        .admin()
        .create_api_token(new_token("reception", pb::Role::Clock, ""))
        .await
        .unwrap()
        .into_inner();
    let ours_id = ours.token.unwrap().token_id;
    let (mut other, other_secret) = other_organisation(&app).await;
    let their_tokens = all_tokens(&mut other).await;
    assert_eq!(their_tokens.len(), 1);
    assert!(their_tokens.iter().all(|t| t.token_id != ours_id));
    assert_error(
        other
            .revoke_api_token(pb::RevokeApiTokenRequest {
                token_id: ours_id.clone(),
            })
            .await,
        Code::NotFound,
        "token_id",
    );
    // And the other way round.
    assert_error(
        app.admin()
            .revoke_api_token(pb::RevokeApiTokenRequest {
                token_id: their_tokens[0].token_id.clone(),
            })
            .await,
        Code::NotFound,
        "token_id",
    );
    // Both tokens still work.
    app.admin_client(&ours.secret)
        .get_organisation(pb::GetOrganisationRequest {})
        .await
        .unwrap();
    let theirs = app
        .admin_client(&other_secret)
        .get_organisation(pb::GetOrganisationRequest {})
        .await
        .unwrap()
        .into_inner()
        .organisation
        .unwrap();
    assert_eq!(theirs.name, "other");
    assert!(
        all_tokens(&mut app.admin())
            .await
            .iter()
            .all(|t| t.revoked_at.is_none())
    );
}

crate::both_backends!(
    create_employee_fills_in_the_defaults,
    create_employee_keeps_the_values_given,
    create_employee_rejects_a_missing_external_id,
    create_employee_rejects_an_over_long_external_id,
    create_employee_rejects_a_missing_name,
    create_employee_rejects_a_name_with_control_characters,
    create_employee_rejects_a_missing_email,
    create_employee_rejects_a_malformed_email,
    create_employee_rejects_an_unknown_time_zone,
    create_employee_rejects_an_unknown_rule_pack,
    create_employee_rejects_an_unknown_locale_value,
    create_employee_rejects_an_unknown_exemption_value,
    create_employee_rejects_a_manager_id_that_is_not_a_uuid,
    create_employee_with_an_unknown_manager_is_not_found,
    create_employee_refuses_a_duplicate_external_id,
    update_employee_changes_only_the_named_paths,
    update_employee_changes_every_updatable_field,
    update_employee_requires_at_least_one_path,
    update_employee_rejects_an_unknown_path_naming_its_index,
    update_employee_rejects_bad_values_naming_the_employee_field,
    update_employee_refuses_a_management_cycle,
    update_employee_refuses_self_management,
    update_employee_refuses_another_employees_external_id,
    update_employee_reactivates_via_the_active_path,
    list_employees_pages_through_everyone_in_external_id_order,
    list_employees_rejects_bad_page_sizes_and_tokens,
    list_employees_includes_deactivated_employees_only_when_asked,
    list_employees_filters_by_manager_for_an_admin,
    get_employee_rejects_a_malformed_or_unknown_id,
    a_manager_sees_only_itself_and_its_direct_reports,
    an_employee_token_may_read_only_itself,
    clock_and_payroll_tokens_may_not_read_employee_records,
    deactivate_employee_keeps_the_record_and_is_idempotent,
    a_deactivated_employee_takes_no_new_events,
    create_api_token_refuses_a_deactivated_employee,
    deactivate_employee_rejects_a_malformed_or_unknown_id,
    create_api_token_shows_the_secret_once,
    create_api_token_rejects_bad_input_naming_the_field,
    a_revoked_token_is_unauthenticated_on_its_next_call,
    an_admin_that_revokes_itself_is_locked_out,
    revoke_api_token_is_idempotent,
    revoke_api_token_rejects_a_malformed_or_unknown_id,
    list_api_tokens_pages_through_every_token,
    list_api_tokens_rejects_bad_page_sizes_and_tokens,
    list_api_tokens_hides_revoked_tokens_unless_asked,
    a_call_without_authorization_is_unauthenticated,
    an_unknown_or_malformed_bearer_is_unauthenticated,
    only_an_admin_may_change_employees_or_tokens,
    get_organisation_answers_every_role,
    another_organisation_cannot_read_or_change_our_employees,
    another_organisation_cannot_use_our_employee_as_manager,
    the_same_external_id_may_be_used_in_two_organisations,
    another_organisation_cannot_see_or_revoke_our_tokens,
    concurrent_manager_changes_cannot_build_a_cycle,
    answers_carry_the_timestamps_that_are_stored,
    create_employee_rejects_an_email_with_two_at_signs,
);
