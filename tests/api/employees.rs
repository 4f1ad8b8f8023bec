//! AdminService over gRPC: employees, and who may see them.

use tidsvakt::clock::Clock as _;
use tidsvakt::pb;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::*;

fn request(external_id: &str) -> pb::CreateEmployeeRequest {
    pb::CreateEmployeeRequest {
        external_id: external_id.into(),
        name: "Kari Nordmann".into(),
        email: "kari@example.no".into(),
        ..Default::default()
    }
}

async fn list_all(app: &TestApp) -> Vec<pb::Employee> {
    app.admin()
        .list_employees(pb::ListEmployeesRequest {
            include_inactive: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employees
}

async fn create_employee_fills_in_defaults(app: TestApp) {
    let e = app
        .admin()
        .create_employee(request("1001"))
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(e.time_zone, "Europe/Oslo");
    assert_eq!(e.locale(), pb::Locale::Nb);
    assert_eq!(e.rule_pack, "no-aml");
    assert_eq!(e.exemption(), pb::Exemption::None);
    assert!(e.active);
    assert!(e.employee_id.parse::<Uuid>().is_ok());
    let got = app
        .admin()
        .get_employee(pb::GetEmployeeRequest {
            employee_id: e.employee_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(got, e);
}

/// A change to a valid request that makes it invalid.
type Edit = fn(&mut pb::CreateEmployeeRequest);

async fn create_employee_rejects_bad_input_naming_the_field(app: TestApp) {
    let first = app.create_employee("1001").await;
    let cases: Vec<(Edit, Code, &str)> = vec![
        (
            |r| r.external_id = "  ".into(),
            Code::InvalidArgument,
            "external_id",
        ),
        (
            |r| r.external_id = "x".repeat(129),
            Code::InvalidArgument,
            "external_id",
        ),
        (|r| r.name.clear(), Code::InvalidArgument, "name"),
        (|r| r.email.clear(), Code::InvalidArgument, "email"),
        (
            |r| r.email = "kari.example.no".into(),
            Code::InvalidArgument,
            "email",
        ),
        (
            |r| r.time_zone = "Mars/Olympus".into(),
            Code::InvalidArgument,
            "time_zone",
        ),
        (
            |r| r.rule_pack = "us-flsa".into(),
            Code::InvalidArgument,
            "rule_pack",
        ),
        (|r| r.locale = 99, Code::InvalidArgument, "locale"),
        (|r| r.exemption = 99, Code::InvalidArgument, "exemption"),
        (
            |r| r.manager_id = "boss".into(),
            Code::InvalidArgument,
            "manager_id",
        ),
        (
            |r| r.manager_id = Uuid::new_v4().to_string(),
            Code::NotFound,
            "manager_id",
        ),
        (
            |r| r.external_id = "1001".into(),
            Code::AlreadyExists,
            "external_id",
        ),
    ];
    for (edit, code, field) in cases {
        let mut r = request("2002");
        edit(&mut r);
        assert_error(app.admin().create_employee(r).await, code, field);
    }
    let all = list_all(&app).await;
    assert_eq!(all, vec![first], "nothing was stored, nothing changed");
}

async fn update_employee_changes_only_the_named_fields(app: TestApp) {
    let kari = app.create_employee("1001").await;
    app.clock
        .set(app.clock.now() + chrono::Duration::minutes(1));
    let updated = app
        .admin()
        .update_employee(pb::UpdateEmployeeRequest {
            employee_id: kari.employee_id.clone(),
            employee: Some(pb::Employee {
                name: "Kari Hansen".into(),
                email: "ignored@example.no".into(),
                time_zone: "Europe/Berlin".into(),
                ..Default::default()
            }),
            update_paths: vec!["name".into(), "time_zone".into()],
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(updated.name, "Kari Hansen");
    assert_eq!(updated.time_zone, "Europe/Berlin");
    assert_eq!(updated.email, kari.email, "email was not named");
    assert_ne!(updated.updated_at, kari.updated_at);
    assert_eq!(updated.created_at, kari.created_at);
}

async fn update_employee_rejects_bad_input(app: TestApp) {
    let boss = app.create_employee("B1").await;
    let kari = app
        .create_employee_managed_by("1001", &boss.employee_id)
        .await;
    let ola = app.create_employee("1002").await;
    let update = |id: &str, employee: pb::Employee, paths: &[&str]| pb::UpdateEmployeeRequest {
        employee_id: id.into(),
        employee: Some(employee),
        update_paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    };
    let mut admin = app.admin();
    assert_error(
        admin
            .update_employee(update(&kari.employee_id, pb::Employee::default(), &[]))
            .await,
        Code::InvalidArgument,
        "update_paths",
    );
    assert_error(
        admin
            .update_employee(update(
                &kari.employee_id,
                pb::Employee::default(),
                &["salary"],
            ))
            .await,
        Code::InvalidArgument,
        "update_paths[0]",
    );
    let manager = |id: &str| pb::Employee {
        manager_id: id.into(),
        ..Default::default()
    };
    // The boss cannot report to their own report, nor to themself.
    assert_error(
        admin
            .update_employee(update(
                &boss.employee_id,
                manager(&kari.employee_id),
                &["manager_id"],
            ))
            .await,
        Code::InvalidArgument,
        "employee.manager_id",
    );
    assert_error(
        admin
            .update_employee(update(
                &boss.employee_id,
                manager(&boss.employee_id),
                &["manager_id"],
            ))
            .await,
        Code::InvalidArgument,
        "employee.manager_id",
    );
    let taken = pb::Employee {
        external_id: ola.external_id.clone(),
        ..Default::default()
    };
    assert_error(
        admin
            .update_employee(update(&kari.employee_id, taken, &["external_id"]))
            .await,
        Code::AlreadyExists,
        "external_id",
    );
    let bad_tz = pb::Employee {
        time_zone: "Oslo".into(),
        ..Default::default()
    };
    assert_error(
        admin
            .update_employee(update(&kari.employee_id, bad_tz, &["time_zone"]))
            .await,
        Code::InvalidArgument,
        "employee.time_zone",
    );
    assert_error(
        admin
            .update_employee(update(
                &Uuid::new_v4().to_string(),
                pb::Employee::default(),
                &["name"],
            ))
            .await,
        Code::NotFound,
        "employee_id",
    );
    let all = list_all(&app).await;
    assert!(
        all.contains(&kari) && all.contains(&boss) && all.contains(&ola),
        "nothing changed"
    );
}

async fn deactivation_stops_new_events_but_keeps_the_record(app: TestApp) {
    let kari = app.create_employee("1001").await;
    let kari_token = app.token(pb::Role::Employee, Some(&kari.employee_id)).await;
    let mut admin = app.admin();
    let request = pb::DeactivateEmployeeRequest {
        employee_id: kari.employee_id.clone(),
    };
    let e = admin
        .deactivate_employee(request.clone())
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert!(!e.active);
    assert!(e.deactivated_at.is_some());
    let again = admin
        .deactivate_employee(request)
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(again.deactivated_at, e.deactivated_at, "idempotent");

    let mut clock = app.clock_client(&app.clock_token().await);
    let r = clock
        .record_event(pb::RecordEventRequest {
            event: Some(event(&kari.employee_id, pb::EventKind::ClockIn, at(8, 0))),
        })
        .await;
    assert_error(r, Code::FailedPrecondition, "event.employee_id");
    assert_error(
        admin
            .create_api_token(pb::CreateApiTokenRequest {
                name: "kari".into(),
                role: pb::Role::Employee as i32,
                employee_id: kari.employee_id.clone(),
                expires_at: Some(crate::helpers::token_expiry()),
                department: String::new(),
            })
            .await,
        Code::FailedPrecondition,
        "employee_id",
    );
    // Her own token stops working with her: deactivation revoked it.
    assert_error(
        app.clock_client(&kari_token)
            .get_clock_status(pb::GetClockStatusRequest {
                employee_id: kari.employee_id.clone(),
            })
            .await,
        Code::Unauthenticated,
        "revoked",
    );
    let active = admin
        .list_employees(pb::ListEmployeesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .employees;
    assert!(
        active.is_empty(),
        "inactive employees are hidden by default"
    );
    assert_eq!(list_all(&app).await.len(), 1);

    // Reactivation through UpdateEmployee.
    let back = admin
        .update_employee(pb::UpdateEmployeeRequest {
            employee_id: kari.employee_id.clone(),
            employee: Some(pb::Employee {
                active: true,
                ..Default::default()
            }),
            update_paths: vec!["active".into()],
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert!(back.active && back.deactivated_at.is_none());
}

async fn list_employees_pages_in_external_id_order(app: TestApp) {
    for id in ["E5", "E3", "E1", "E4", "E2"] {
        app.create_employee(id).await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .admin()
            .list_employees(pb::ListEmployeesRequest {
                page: Some(pb::PageRequest {
                    page_size: 2,
                    page_token: token,
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.employees.len() <= 2);
        seen.extend(page.employees.into_iter().map(|e| e.external_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ["E1", "E2", "E3", "E4", "E5"]);

    for (size, token, field) in [
        (501, "", "page.page_size"),
        (-1, "", "page.page_size"),
        (10, "zz!", "page.page_token"),
    ] {
        let r = app
            .admin()
            .list_employees(pb::ListEmployeesRequest {
                page: Some(pb::PageRequest {
                    page_size: size,
                    page_token: token.into(),
                }),
                ..Default::default()
            })
            .await;
        assert_error(r, Code::InvalidArgument, field);
    }
}

async fn managers_and_employees_see_only_their_own(app: TestApp) {
    let boss = app.create_employee("B1").await;
    let other_boss = app.create_employee("B2").await;
    let kari = app
        .create_employee_managed_by("E1", &boss.employee_id)
        .await;
    let ola = app
        .create_employee_managed_by("E2", &other_boss.employee_id)
        .await;
    let boss_token = app.token(pb::Role::Manager, Some(&boss.employee_id)).await;
    let kari_token = app.token(pb::Role::Employee, Some(&kari.employee_id)).await;

    let mut as_boss = app.admin_client(&boss_token);
    let team = as_boss
        .list_employees(pb::ListEmployeesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .employees;
    assert_eq!(
        team.iter()
            .map(|e| e.external_id.as_str())
            .collect::<Vec<_>>(),
        ["E1"]
    );
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
    as_boss
        .get_employee(pb::GetEmployeeRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap();
    assert_error(
        as_boss
            .get_employee(pb::GetEmployeeRequest {
                employee_id: ola.employee_id.clone(),
            })
            .await,
        Code::PermissionDenied,
        "MANAGER",
    );

    let mut as_kari = app.admin_client(&kari_token);
    as_kari
        .get_employee(pb::GetEmployeeRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap();
    assert_error(
        as_kari
            .get_employee(pb::GetEmployeeRequest {
                employee_id: ola.employee_id.clone(),
            })
            .await,
        Code::PermissionDenied,
        "EMPLOYEE",
    );
    assert_error(
        as_kari
            .list_employees(pb::ListEmployeesRequest::default())
            .await,
        Code::PermissionDenied,
        "EMPLOYEE",
    );

    for role in [pb::Role::Clock, pb::Role::Payroll] {
        let mut client = app.admin_client(&app.token(role, None).await);
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
            client.create_employee(request("X1")).await,
            Code::PermissionDenied,
            "ADMIN",
        );
        assert_error(
            client
                .deactivate_employee(pb::DeactivateEmployeeRequest {
                    employee_id: kari.employee_id.clone(),
                })
                .await,
            Code::PermissionDenied,
            "ADMIN",
        );
        // Any role may read its organisation.
        client
            .get_organisation(pb::GetOrganisationRequest {})
            .await
            .unwrap();
    }
    assert_error(
        app.anonymous_admin_client()
            .list_employees(pb::ListEmployeesRequest::default())
            .await,
        Code::Unauthenticated,
        "authorization",
    );
}

async fn organisations_do_not_see_each_other(app: TestApp) {
    let kari = app.create_employee("1001").await;
    let (_, theirs) =
        tidsvakt::bootstrap::create_organisation(app.store.as_ref(), "other", app.clock.now())
            .await
            .unwrap();
    let mut other = app.admin_client(&theirs);
    assert_error(
        other
            .get_employee(pb::GetEmployeeRequest {
                employee_id: kari.employee_id.clone(),
            })
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
    let listed = other
        .list_employees(pb::ListEmployeesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .employees;
    assert!(listed.is_empty());
    let mut managed = request("2001");
    managed.manager_id.clone_from(&kari.employee_id);
    assert_error(
        other.create_employee(managed).await,
        Code::NotFound,
        "manager_id",
    );
    // The same external id may be used in both organisations.
    other.create_employee(request("1001")).await.unwrap();
    assert!(
        list_all(&app)
            .await
            .iter()
            .all(|e| e.employee_id == kari.employee_id)
    );
}

crate::both_backends!(
    create_employee_fills_in_defaults,
    create_employee_rejects_bad_input_naming_the_field,
    update_employee_changes_only_the_named_fields,
    update_employee_rejects_bad_input,
    deactivation_stops_new_events_but_keeps_the_record,
    list_employees_pages_in_external_id_order,
    managers_and_employees_see_only_their_own,
    organisations_do_not_see_each_other,
);
