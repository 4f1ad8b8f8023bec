//! The operator commands for plans (issue 16 item 7): the real binary
//! against the real server, exact output, and bad input refused naming the
//! flag (by clap before anything is sent, or by the server's own checks).

use std::fmt::Write as _;

use tidsvakt::pb;

use crate::helpers::*;

/// Runs `tidsvakt ARGS --addr … --token …`: (success, stdout, stderr).
async fn cli(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
        .args(args)
        .args(["--addr", &app.addr, "--token", &app.admin_token])
        .env_remove("TIDSVAKT_TOKEN")
        .env_remove("TIDSVAKT_ADDR")
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The command's error line, after it failed.
async fn refused(app: &TestApp, args: &[&str]) -> String {
    let (ok, out, err) = cli(app, args).await;
    assert!(!ok, "{args:?} passed: {out}");
    assert_eq!(out, "", "nothing printed on stdout");
    err.lines().next().unwrap_or_default().to_owned()
}

async fn schedules_are_set_for_several_employees_and_listed(app: TestApp) {
    let e1 = app.create_employee("E1").await.employee_id;
    let e2 = app.create_employee("E2").await.employee_id;
    let (ok, out, err) = cli(
        &app,
        &[
            "schedule",
            "set",
            "--employee",
            &e1,
            "--employee",
            &e2,
            "--from",
            "2026-11-02",
            "--start",
            "08:00",
            "--end",
            "16:00",
            "--break-minutes",
            "30",
            "--core",
            "09:00-14:30",
            "--flex",
            "07:00-18:00",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let ids: Vec<String> = {
        let mut v = Vec::new();
        for e in [&e1, &e2] {
            v.push(
                app.admin()
                    .list_schedules(pb::ListSchedulesRequest {
                        employee_id: e.clone(),
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .schedules[0]
                    .schedule_id
                    .clone(),
            );
        }
        v
    };
    assert_eq!(
        out,
        format!(
            "set schedule {} for {e1} from 2026-11-02\nset schedule {} for {e2} from 2026-11-02\n",
            ids[0], ids[1]
        )
    );
    let (ok, out, _) = cli(&app, &["schedule", "list", "--employee", &e1]).await;
    assert!(ok);
    assert_eq!(
        out,
        format!(
            "employee                              from        to          days                         hours        break  core         flex\n\
             {e1}  2026-11-02  -           mon,tue,wed,thu,fri          08:00-16:00     30  09:00-14:30  07:00-18:00\n"
        )
    );

    // Refused before anything is sent, naming the flag.
    assert_eq!(
        refused(
            &app,
            &[
                "schedule",
                "set",
                "--employee",
                &e1,
                "--from",
                "2026-11-02",
                "--start",
                "8",
                "--end",
                "16:00"
            ]
        )
        .await,
        "error: invalid value '8' for '--start <HH:MM>': expected HH:MM, for example 08:00"
    );
    assert_eq!(
        refused(
            &app,
            &[
                "schedule",
                "set",
                "--employee",
                &e1,
                "--from",
                "2026-11-02",
                "--start",
                "08:00",
                "--end",
                "16:00",
                "--days",
                "mon,fri,xyz"
            ]
        )
        .await,
        "error: invalid value 'mon,fri,xyz' for '--days <DAYS>': 'xyz' is not a weekday; use mon,tue,wed,thu,fri,sat,sun"
    );
    assert!(
        refused(
            &app,
            &[
                "schedule",
                "set",
                "--employee",
                &e1,
                "--from",
                "2026-11-31",
                "--start",
                "08:00",
                "--end",
                "16:00"
            ]
        )
        .await
        .starts_with("error: invalid value '2026-11-31' for '--from <YYYY-MM-DD>'")
    );
    // Refused by the server's checks, named as the flag.
    assert_eq!(
        refused(
            &app,
            &[
                "schedule",
                "set",
                "--employee",
                &e1,
                "--from",
                "2026-11-02",
                "--to",
                "2026-11-01",
                "--start",
                "08:00",
                "--end",
                "16:00"
            ]
        )
        .await,
        "error: InvalidArgument: --to: is before valid_from"
    );
    assert_eq!(
        refused(
            &app,
            &[
                "schedule",
                "set",
                "--employee",
                &e1,
                "--from",
                "2026-11-02",
                "--start",
                "08:00",
                "--end",
                "16:00",
                "--core",
                "15:00-14:00"
            ]
        )
        .await,
        "error: InvalidArgument: --core: is not after core_start"
    );
    assert_eq!(
        refused(
            &app,
            &[
                "schedule",
                "set",
                "--employee",
                "not-a-uuid",
                "--from",
                "2026-11-02",
                "--start",
                "08:00",
                "--end",
                "16:00"
            ]
        )
        .await,
        "error: InvalidArgument: --employee: 'not-a-uuid' is not a UUID in the hyphenated form (8-4-4-4-12 hex digits)"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM schedules").await, 2);
}

async fn agreements_are_created_listed_and_ended_within_the_law(app: TestApp) {
    let e1 = app.create_employee("E1").await.employee_id;
    assert_eq!(
        refused(
            &app,
            &[
                "agreement",
                "create",
                "--employee",
                &e1,
                "--kind",
                "extended-overtime",
                "--basis",
                "tariff-representatives",
                "--from",
                "2026-11-02",
                "--to",
                "2027-11-01",
                "--reference",
                "Sak 2026/14",
                "--overtime-7d",
                "1300"
            ]
        )
        .await,
        "error: InvalidArgument: --overtime-7d: 1300 is outside 0..1200 (the most tariff representatives (§ 10-6 (5)) may agree)"
    );
    assert_eq!(
        refused(
            &app,
            &[
                "agreement",
                "create",
                "--employee",
                &e1,
                "--kind",
                "extended-overtime",
                "--basis",
                "individual",
                "--from",
                "2026-11-02",
                "--reference",
                "x"
            ]
        )
        .await,
        "error: InvalidArgument: --basis: higher overtime limits need tariff representatives or Arbeidstilsynet (§ 10-6 (5), (6))"
    );
    assert!(
        refused(
            &app,
            &[
                "agreement",
                "create",
                "--employee",
                &e1,
                "--kind",
                "overtime",
                "--basis",
                "individual",
                "--from",
                "2026-11-02",
                "--reference",
                "x"
            ]
        )
        .await
        .starts_with("error: invalid value 'overtime' for '--kind <KIND>'")
    );
    let (ok, out, err) = cli(
        &app,
        &[
            "agreement",
            "create",
            "--employee",
            &e1,
            "--kind",
            "extended-overtime",
            "--basis",
            "tariff-representatives",
            "--from",
            "2026-11-02",
            "--to",
            "2027-11-01",
            "--reference",
            "Sak 2026/14",
            "--overtime-7d",
            "1200",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let a = app
        .admin()
        .list_agreements(pb::ListAgreementsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .agreements[0]
        .agreement_id
        .clone();
    assert_eq!(
        out,
        format!("created agreement {a} for {e1} from 2026-11-02 to 2027-11-01\n")
    );
    let (_, out, _) = cli(&app, &["agreement", "list"]).await;
    assert_eq!(
        out,
        format!(
            "agreement                             employee                              kind               basis                   from        to          status\n\
             {a}  {e1}  extended overtime  tariff representatives  2026-11-02  2027-11-01  valid\n"
        )
    );
    assert_eq!(
        refused(
            &app,
            &[
                "agreement",
                "end",
                "--agreement",
                &a,
                "--last-day",
                "2026-12-31",
                "--reason",
                ""
            ]
        )
        .await,
        "error: InvalidArgument: --reason: is required"
    );
    let (ok, out, _) = cli(
        &app,
        &[
            "agreement",
            "end",
            "--agreement",
            &a,
            "--last-day",
            "2026-12-31",
            "--reason",
            "New tariff agreement",
        ],
    )
    .await;
    assert!(ok);
    assert_eq!(
        out,
        format!("ended agreement {a}; its last day is 2026-12-31\n")
    );
    let (_, out, _) = cli(&app, &["agreement", "list", "--employee", &e1]).await;
    assert!(out.ends_with("2026-11-02  2026-12-31  ended\n"), "{out}");
}

async fn absences_are_added_for_two_listed_and_cancelled(app: TestApp) {
    let e1 = app.create_employee("E1").await.employee_id;
    let e2 = app.create_employee("E2").await.employee_id;
    assert_eq!(
        refused(
            &app,
            &[
                "absence",
                "add",
                "--employee",
                &e1,
                "--kind",
                "sick",
                "--from",
                "2026-11-10",
                "--to",
                "2026-11-01"
            ]
        )
        .await,
        "error: InvalidArgument: --to: end 2026-11-01 is before start 2026-11-10"
    );
    assert_eq!(
        refused(
            &app,
            &[
                "absence",
                "add",
                "--employee",
                &e1,
                "--kind",
                "sick",
                "--from",
                "2026-11-10",
                "--to",
                "2026-11-12",
                "--minutes-per-day",
                "1500"
            ]
        )
        .await,
        "error: InvalidArgument: --minutes-per-day: 1500 is outside 0..1440"
    );
    assert!(
        refused(
            &app,
            &[
                "absence",
                "add",
                "--employee",
                &e1,
                "--kind",
                "flu",
                "--from",
                "2026-11-10",
                "--to",
                "2026-11-12"
            ]
        )
        .await
        .starts_with("error: invalid value 'flu' for '--kind <KIND>'")
    );
    let (ok, out, err) = cli(
        &app,
        &[
            "absence",
            "add",
            "--employee",
            &e1,
            "--employee",
            &e2,
            "--kind",
            "sick",
            "--from",
            "2026-11-10",
            "--to",
            "2026-11-12",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let list = |e: String| {
        let app = &app;
        async move {
            app.admin()
                .list_absences(pb::ListAbsencesRequest {
                    employee_id: e,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .absences[0]
                .absence_id
                .clone()
        }
    };
    let (a1, a2) = (list(e1.clone()).await, list(e2.clone()).await);
    assert_eq!(
        out,
        format!(
            "recorded absence {a1} (sick) for {e1} from 2026-11-10 to 2026-11-12\n\
             recorded absence {a2} (sick) for {e2} from 2026-11-10 to 2026-11-12\n"
        )
    );
    let (ok, out, _) = cli(
        &app,
        &[
            "absence",
            "cancel",
            "--absence",
            &a2,
            "--reason",
            "Came to work",
        ],
    )
    .await;
    assert!(ok);
    assert_eq!(out, format!("cancelled absence {a2}\n"));
    let (_, out, _) = cli(
        &app,
        &["absence", "list", "--employee", &e2, "--include-cancelled"],
    )
    .await;
    assert_eq!(
        out,
        format!(
            "absence                               employee                              kind              from        to          min/day  status\n\
             {a2}  {e2}  sick              2026-11-10  2026-11-12      all  cancelled\n"
        )
    );
    assert_eq!(
        refused(
            &app,
            &["absence", "cancel", "--absence", "nope", "--reason", "x"]
        )
        .await,
        "error: InvalidArgument: --absence: 'nope' is not a UUID in the hyphenated form (8-4-4-4-12 hex digits)"
    );
}

async fn holidays_are_added_listed_and_removed(app: TestApp) {
    assert_eq!(
        refused(
            &app,
            &[
                "holiday",
                "add",
                "--date",
                "2026-11-20",
                "--name",
                "Jubileumsaften",
                "--kind",
                "eve"
            ]
        )
        .await,
        "error: InvalidArgument: --window-start: is required for an EVE"
    );
    assert_eq!(
        refused(
            &app,
            &[
                "holiday",
                "add",
                "--date",
                "2026-11-20",
                "--name",
                "Jubileumsaften",
                "--kind",
                "eve",
                "--window-start",
                "3pm"
            ]
        )
        .await,
        "error: invalid value '3pm' for '--window-start <HH:MM>': expected HH:MM, for example 08:00"
    );
    let (ok, out, err) = cli(
        &app,
        &[
            "holiday",
            "add",
            "--date",
            "2026-11-20",
            "--name",
            "Jubileumsaften",
            "--kind",
            "eve",
            "--window-start",
            "15:00",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let id = out.split_whitespace().nth(2).unwrap().to_owned();
    assert_eq!(
        out,
        format!("added holiday {id} (eve) on 2026-11-20: Jubileumsaften\n")
    );
    let (_, out, _) = cli(&app, &["holiday", "list", "--year", "2026"]).await;
    let national = |date: &str, kind: &str, window: &str, name: &str| {
        format!(
            "{date}  {kind:<10}  {window:<6}  national      -                                     {name}\n"
        )
    };
    let mut expected =
        "date        kind        window  source        holiday                               name\n"
            .to_owned();
    for (date, kind, window, name) in [
        ("2026-01-01", "public", "-", "Første nyttårsdag"),
        ("2026-04-02", "public", "-", "Skjærtorsdag"),
        ("2026-04-03", "public", "-", "Langfredag"),
        ("2026-04-04", "eve", "15:00", "Påskeaften"),
        ("2026-04-05", "public", "-", "Første påskedag"),
        ("2026-04-06", "public", "-", "Andre påskedag"),
        ("2026-05-01", "public", "-", "Offentlig høytidsdag (1. mai)"),
        ("2026-05-14", "public", "-", "Kristi himmelfartsdag"),
        ("2026-05-17", "public", "-", "Grunnlovsdag (17. mai)"),
        ("2026-05-23", "eve", "15:00", "Pinseaften"),
        ("2026-05-24", "public", "-", "Første pinsedag"),
        ("2026-05-25", "public", "-", "Andre pinsedag"),
    ] {
        expected.push_str(&national(date, kind, window, name));
    }
    writeln!(
        expected,
        "2026-11-20  eve         15:00   organisation  {id}  Jubileumsaften"
    )
    .unwrap();
    for (date, kind, window, name) in [
        ("2026-12-24", "eve", "15:00", "Julaften"),
        ("2026-12-25", "public", "-", "Første juledag"),
        ("2026-12-26", "public", "-", "Andre juledag"),
    ] {
        expected.push_str(&national(date, kind, window, name));
    }
    assert_eq!(out, expected);
    let (ok, out, _) = cli(&app, &["holiday", "remove", "--holiday", &id]).await;
    assert!(ok);
    assert_eq!(
        out,
        format!("removed holiday {id} on 2026-11-20: Jubileumsaften\n")
    );
    assert!(
        refused(&app, &["holiday", "remove", "--holiday", &id])
            .await
            .starts_with("error: NotFound: "),
    );
}

async fn overrides_are_set_with_an_effective_date_listed_and_deleted(app: TestApp) {
    let e1 = app.create_employee("E1").await.employee_id;
    assert!(
        refused(
            &app,
            &[
                "override",
                "set",
                "--rule",
                "pol.long_day",
                "--parameter",
                "limit",
                "--value",
                "660",
                "--reason",
                "x"
            ]
        )
        .await
        .starts_with("error: the following required arguments were not provided:")
    );
    let err = refused(
        &app,
        &[
            "override",
            "set",
            "--organisation",
            "--rule",
            "pol.long_day",
            "--parameter",
            "limit",
            "--value",
            "2000",
            "--reason",
            "x",
        ],
    )
    .await;
    assert!(
        err.starts_with("error: InvalidArgument: --value: 2000 is outside 60..1440, what the law allows for pol.long_day limit"),
        "{err}"
    );
    assert_eq!(
        refused(
            &app,
            &[
                "override",
                "set",
                "--organisation",
                "--rule",
                "no.nonsense",
                "--parameter",
                "limit",
                "--value",
                "1",
                "--reason",
                "x"
            ]
        )
        .await,
        "error: InvalidArgument: --rule: 'no.nonsense' is not a rule of no-aml"
    );
    let (ok, out, err) = cli(
        &app,
        &[
            "override",
            "set",
            "--employee",
            &e1,
            "--rule",
            "pol.long_day",
            "--parameter",
            "limit",
            "--value",
            "660",
            "--effective-from",
            "2026-11-16",
            "--reason",
            "Field days",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let id = out.split_whitespace().nth(2).unwrap().to_owned();
    assert_eq!(
        out,
        format!("set override {id} for {e1}: pol.long_day limit = 660 from 2026-11-16\n")
    );
    let (_, out, _) = cli(&app, &["override", "list"]).await;
    assert_eq!(
        out,
        format!(
            "override                              scope                                 rule                    parameter        value  from        reason\n\
             {id}  {e1}  pol.long_day            limit              660  2026-11-16  Field days\n"
        )
    );
    let (ok, out, _) = cli(&app, &["override", "delete", "--override", &id]).await;
    assert!(ok);
    assert_eq!(out, format!("deleted override {id} (pol.long_day limit)\n"));
    assert_eq!(app.count("SELECT COUNT(*) FROM rule_overrides").await, 0);
}

#[tokio::test]
async fn every_plan_command_has_help_with_an_example() {
    for (group, subs) in [
        ("schedule", &["set", "list"][..]),
        ("agreement", &["create", "list", "end"][..]),
        ("absence", &["add", "list", "cancel"][..]),
        ("holiday", &["add", "list", "remove"][..]),
        ("override", &["set", "list", "delete"][..]),
    ] {
        for sub in subs {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
                .args([group, sub, "--help"])
                .output()
                .await
                .unwrap();
            let help = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success());
            assert!(
                help.contains(&format!("Example: tidsvakt {group} {sub}")),
                "{group} {sub}:\n{help}"
            );
        }
    }
}

crate::both_backends!(
    schedules_are_set_for_several_employees_and_listed,
    agreements_are_created_listed_and_ended_within_the_law,
    absences_are_added_for_two_listed_and_cancelled,
    holidays_are_added_listed_and_removed,
    overrides_are_set_with_an_effective_date_listed_and_deleted,
);
