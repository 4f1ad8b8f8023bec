//! AdminService plan RPCs over gRPC on both back-ends: schedules, agreements,
//! absences, rule overrides and holidays, how they change timesheets and
//! findings, and every way a request can be refused.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use tidsvakt::pb;
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::*;

use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};
use pb::agreement::Terms;

/// A change that makes a valid schedule invalid, and the field it names.
type ScheduleEdit = (fn(&mut pb::Schedule), &'static str);

fn oslo(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Oslo.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn date(y: i32, m: i32, d: i32) -> pb::LocalDate {
    pb::LocalDate {
        year: y,
        month: m,
        day: d,
    }
}

fn range(a: pb::LocalDate, b: pb::LocalDate) -> pb::LocalDateRange {
    pb::LocalDateRange {
        start: Some(a),
        end: Some(b),
    }
}

fn time(h: i32, m: i32) -> pb::LocalTime {
    pb::LocalTime {
        hours: h,
        minutes: m,
    }
}

async fn post(app: &TestApp, id: &str, events: &[(pb::EventKind, DateTime<Utc>)]) {
    let mut c = app.clock_client(&app.admin_token);
    for (k, t) in events {
        c.record_event(pb::RecordEventRequest {
            event: Some(event(id, *k, *t)),
        })
        .await
        .unwrap();
    }
}

/// rules.md example 4: 10 h 15 min of overtime in the week of 12 Oct 2026.
async fn example_4(app: &TestApp, id: &str) {
    for d in 12..=16 {
        post(
            app,
            id,
            &[
                (ClockIn, oslo(2026, 10, d, 8, 0)),
                (BreakStart, oslo(2026, 10, d, 11, 30)),
                (BreakEnd, oslo(2026, 10, d, 12, 0)),
                (ClockOut, oslo(2026, 10, d, 18, 0)),
            ],
        )
        .await;
    }
    post(
        app,
        id,
        &[
            (ClockIn, oslo(2026, 10, 17, 9, 0)),
            (ClockOut, oslo(2026, 10, 17, 11, 45)),
        ],
    )
    .await;
}

async fn sheet(app: &TestApp, id: &str, r: pb::LocalDateRange) -> pb::GetTimesheetResponse {
    TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .get_timesheet(pb::GetTimesheetRequest {
        employee_id: id.into(),
        dates: Some(r),
    })
    .await
    .unwrap()
    .into_inner()
}

async fn findings(app: &TestApp, id: &str, rule: &str) -> Vec<pb::Finding> {
    TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .list_findings(pb::ListFindingsRequest {
        scope: Some(pb::list_findings_request::Scope::EmployeeId(id.into())),
        rule_ids: vec![rule.into()],
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .findings
}

fn six_hour_days(id: &str, from: pb::LocalDate, to: Option<pb::LocalDate>) -> pb::Schedule {
    pb::Schedule {
        employee_id: id.into(),
        valid_from: Some(from),
        valid_to: to,
        days: (1..=5)
            .map(|w| pb::ScheduleDay {
                weekday: w,
                normal_minutes: 360,
                start: Some(time(9, 0)),
                end: Some(time(15, 30)),
                break_minutes: 30,
            })
            .collect(),
        core_start: Some(time(10, 0)),
        core_end: Some(time(14, 0)),
        flex_frame_start: Some(time(7, 0)),
        flex_frame_end: Some(time(18, 0)),
        flex_balance_min_minutes: -600,
        flex_balance_max_minutes: 3000,
        ..Default::default()
    }
}

async fn schedules_cut_back_and_drive_the_timesheet(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    let mut admin = app.admin();
    let first = admin
        .set_schedule(pb::SetScheduleRequest {
            schedule: Some(six_hour_days(id, date(2026, 1, 1), None)),
        })
        .await
        .unwrap()
        .into_inner()
        .schedule
        .unwrap();
    assert!(first.created_by.contains("ADMIN"), "{}", first.created_by);
    let mut june = six_hour_days(id, date(2026, 6, 1), Some(date(2026, 6, 30)));
    june.days.truncate(4); // no Fridays in June
    admin
        .set_schedule(pb::SetScheduleRequest {
            schedule: Some(june),
        })
        .await
        .unwrap();
    let list = admin
        .list_schedules(pb::ListSchedulesRequest {
            employee_id: id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .schedules;
    let spans: Vec<_> = list
        .iter()
        .map(|s| (s.valid_from, s.valid_to, s.days.len()))
        .collect();
    assert_eq!(
        spans,
        vec![
            (Some(date(2026, 1, 1)), Some(date(2026, 5, 31)), 5),
            (Some(date(2026, 6, 1)), Some(date(2026, 6, 30)), 4),
            (Some(date(2026, 7, 1)), None, 5)
        ]
    );
    let week = sheet(&app, id, range(date(2026, 11, 16), date(2026, 11, 22))).await;
    let scheduled: Vec<i64> = week.days.iter().map(|d| d.scheduled_minutes).collect();
    assert_eq!(scheduled, vec![360, 360, 360, 360, 360, 0, 0]);
    let june_week = sheet(&app, id, range(date(2026, 6, 8), date(2026, 6, 14))).await;
    assert_eq!(june_week.totals.unwrap().scheduled_minutes, 4 * 360);
}

/// Overtime up to 20 hours in 7 days from October to December 2026, agreed
/// with the union.
fn union_overtime_agreement(id: &str) -> pb::Agreement {
    pb::Agreement {
        employee_id: id.into(),
        basis: pb::AgreementBasis::TariffRepresentatives as i32,
        valid_from: Some(date(2026, 10, 1)),
        valid_to: Some(date(2026, 12, 31)),
        reference: "Overtime agreement with the union, signed 2026-09-20".into(),
        terms: Some(pb::agreement::Terms::ExtendedOvertime(
            pb::ExtendedOvertimeTerms {
                overtime_7d_limit_minutes: 1200,
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

async fn an_agreement_raises_a_limit_and_ending_it_brings_the_finding_back(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    example_4(&app, id).await;
    let before = findings(&app, id, "no.overtime_7d").await;
    assert_eq!(
        (before.len(), before[0].status()),
        (1, pb::FindingStatus::Open)
    );
    let mut admin = app.admin();
    let agreement = admin
        .create_agreement(pb::CreateAgreementRequest {
            agreement: Some(union_overtime_agreement(id)),
        })
        .await
        .unwrap()
        .into_inner()
        .agreement
        .unwrap();
    let during = findings(&app, id, "no.overtime_7d").await;
    assert_eq!(during.len(), 1);
    assert_eq!(during[0].finding_id, before[0].finding_id);
    assert_eq!(
        during[0].status(),
        pb::FindingStatus::Resolved,
        "615 min is within 20 h"
    );
    // Ending it on 30 Sep... is before its start: refused. End it on its first day instead.
    let early = admin
        .end_agreement(pb::EndAgreementRequest {
            agreement_id: agreement.agreement_id.clone(),
            last_day: Some(date(2026, 9, 30)),
            reason: "x".into(),
        })
        .await;
    assert_error(early, Code::FailedPrecondition, "last_day");
    let ended = admin
        .end_agreement(pb::EndAgreementRequest {
            agreement_id: agreement.agreement_id.clone(),
            last_day: Some(date(2026, 10, 1)),
            reason: "Withdrawn by the union".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .agreement
        .unwrap();
    assert_eq!(ended.valid_to, Some(date(2026, 10, 1)));
    assert!(ended.ended_at.is_some());
    let after = findings(&app, id, "no.overtime_7d").await;
    assert_eq!(
        (after[0].finding_id.as_str(), after[0].status()),
        (before[0].finding_id.as_str(), pb::FindingStatus::Open)
    );
    assert_eq!(after[0].limit, 600);
    // Same kind, overlapping: ALREADY_EXISTS.
    let again = admin
        .create_agreement(pb::CreateAgreementRequest {
            agreement: Some(pb::Agreement {
                employee_id: id.clone(),
                basis: pb::AgreementBasis::TariffRepresentatives as i32,
                valid_from: Some(date(2026, 9, 1)),
                valid_to: Some(date(2026, 10, 5)),
                reference: "ref".into(),
                terms: Some(pb::agreement::Terms::ExtendedOvertime(
                    pb::ExtendedOvertimeTerms {
                        overtime_7d_limit_minutes: 900,
                        ..Default::default()
                    },
                )),
                ..Default::default()
            }),
        })
        .await;
    assert_error(again, Code::AlreadyExists, "agreement.valid_from");
}

/// A vacation from `first` to `last`.
fn vacation(id: &str, first: pb::LocalDate, last: pb::LocalDate) -> pb::CreateAbsenceRequest {
    pb::CreateAbsenceRequest {
        absence: Some(pb::Absence {
            employee_id: id.into(),
            kind: pb::AbsenceKind::Vacation as i32,
            dates: Some(range(first, last)),
            ..Default::default()
        }),
    }
}

async fn absences_fill_scheduled_time_and_cancel_once(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    let mut admin = app.admin();
    let vacation = admin
        .create_absence(vacation(id, date(2026, 11, 9), date(2026, 11, 13)))
        .await
        .unwrap()
        .into_inner()
        .absence
        .unwrap();
    let week = sheet(&app, id, range(date(2026, 11, 9), date(2026, 11, 15))).await;
    let totals = week.totals.unwrap();
    assert_eq!(
        totals.absences,
        vec![pb::AbsenceTotal {
            kind: pb::AbsenceKind::Vacation as i32,
            minutes: 5 * 450
        }]
    );
    assert_eq!(
        totals.flex_minutes, 0,
        "a vacation week leaves the flex balance alone"
    );
    assert_eq!(week.days[0].absences[0].absence_id, vacation.absence_id);
    let overlap = admin
        .create_absence(pb::CreateAbsenceRequest {
            absence: Some(pb::Absence {
                employee_id: id.clone(),
                kind: pb::AbsenceKind::Sick as i32,
                dates: Some(range(date(2026, 11, 13), date(2026, 11, 16))),
                ..Default::default()
            }),
        })
        .await;
    assert_error(overlap, Code::AlreadyExists, "absence.dates");
    // Work during the vacation is still working time.
    post(
        &app,
        id,
        &[
            (ClockIn, oslo(2026, 11, 10, 9, 0)),
            (ClockOut, oslo(2026, 11, 10, 11, 0)),
        ],
    )
    .await;
    assert_eq!(
        sheet(&app, id, range(date(2026, 11, 10), date(2026, 11, 10)))
            .await
            .days[0]
            .worked_minutes,
        120
    );
    let cancelled = admin
        .cancel_absence(pb::CancelAbsenceRequest {
            absence_id: vacation.absence_id.clone(),
            reason: "Plans changed".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .absence
        .unwrap();
    assert!(cancelled.cancelled_at.is_some());
    let twice = admin
        .cancel_absence(pb::CancelAbsenceRequest {
            absence_id: vacation.absence_id.clone(),
            reason: "again".into(),
        })
        .await;
    assert_error(twice, Code::FailedPrecondition, "already cancelled");
    let listed = admin
        .list_absences(pb::ListAbsencesRequest {
            employee_id: id.clone(),
            include_cancelled: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .absences;
    assert_eq!(listed.len(), 1);
    // Filtered by kind: the vacation is among vacations and leaves, not
    // among sick leave.
    for (kinds, expected) in [
        (vec![pb::AbsenceKind::Vacation, pb::AbsenceKind::Leave], 1),
        (vec![pb::AbsenceKind::Sick], 0),
    ] {
        let by_kind = admin
            .list_absences(pb::ListAbsencesRequest {
                employee_id: id.clone(),
                include_cancelled: true,
                kinds: kinds.iter().map(|k| *k as i32).collect(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .absences;
        assert_eq!(by_kind.len(), expected, "{kinds:?}");
    }
    let standing = admin
        .list_absences(pb::ListAbsencesRequest {
            employee_id: id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .absences;
    assert!(standing.is_empty());
    // The employee reads its own; not another's.
    let token = app.token(pb::Role::Employee, Some(id)).await;
    let own = app
        .admin_client(&token)
        .list_absences(pb::ListAbsencesRequest {
            include_cancelled: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.absences.len(), 1);
}

fn override_of(
    scope: pb::rule_override::Scope,
    rule: &str,
    parameter: &str,
    value: i64,
    unit: pb::ValueUnit,
) -> pb::SetRuleOverrideRequest {
    pb::SetRuleOverrideRequest {
        rule_override: Some(pb::RuleOverride {
            scope: Some(scope),
            rule_pack: "no-aml".into(),
            rule_id: rule.into(),
            parameter: parameter.into(),
            value,
            unit: unit as i32,
            reason: "Company policy: stricter than the law".into(),
            ..Default::default()
        }),
    }
}

async fn overrides_change_limits_within_the_law(app: TestApp) {
    use pb::rule_override::Scope;
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    example_4(&app, id).await;
    let mut admin = app.admin();
    let set = admin
        .set_rule_override(override_of(
            Scope::Organisation(true),
            "no.overtime_7d",
            "limit",
            300,
            pb::ValueUnit::Minutes,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!set.replaced);
    let f = findings(&app, id, "no.overtime_7d").await;
    assert_eq!((f[0].limit, f[0].status()), (300, pb::FindingStatus::Open));
    let again = admin
        .set_rule_override(override_of(
            Scope::Organisation(true),
            "no.overtime_7d",
            "limit",
            480,
            pb::ValueUnit::Minutes,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(again.replaced);
    assert_eq!(
        again.rule_override.as_ref().unwrap().override_id,
        set.rule_override.as_ref().unwrap().override_id
    );
    // An employee-level override wins over the organisation's.
    admin
        .set_rule_override(override_of(
            Scope::EmployeeId(id.clone()),
            "no.overtime_7d",
            "limit",
            1200,
            pb::ValueUnit::Minutes,
        ))
        .await
        .unwrap();
    assert_eq!(
        findings(&app, id, "no.overtime_7d").await[0].status(),
        pb::FindingStatus::Resolved
    );
    let listed = admin
        .list_rule_overrides(pb::ListRuleOverridesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .overrides;
    assert_eq!(listed.len(), 2);
    let deleted = admin
        .delete_rule_override(pb::DeleteRuleOverrideRequest {
            override_id: listed[1].override_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.rule_override.unwrap().value, 1200);
    assert_eq!(findings(&app, id, "no.overtime_7d").await[0].limit, 480);
    // Outside the law, unknown, mismatched: refused naming the field, nothing stored.
    let bad = [
        (
            override_of(
                Scope::Organisation(true),
                "no.daily_rest",
                "min_rest",
                479,
                pb::ValueUnit::Minutes,
            ),
            "rule_override.value",
        ),
        (
            override_of(
                Scope::Organisation(true),
                "no.overtime_7d",
                "limit",
                1501,
                pb::ValueUnit::Minutes,
            ),
            "rule_override.value",
        ),
        (
            override_of(
                Scope::Organisation(true),
                "no.daily_rest",
                "min_rest",
                600,
                pb::ValueUnit::Count,
            ),
            "rule_override.unit",
        ),
        (
            override_of(
                Scope::Organisation(true),
                "no.daily_rest",
                "nap",
                600,
                pb::ValueUnit::Minutes,
            ),
            "rule_override.parameter",
        ),
        (
            override_of(
                Scope::Organisation(true),
                "no.siesta",
                "limit",
                600,
                pb::ValueUnit::Minutes,
            ),
            "rule_override.rule_id",
        ),
        (
            override_of(
                Scope::Organisation(false),
                "no.daily_rest",
                "min_rest",
                600,
                pb::ValueUnit::Minutes,
            ),
            "rule_override.organisation",
        ),
        (
            override_of(
                Scope::EmployeeId("nope".into()),
                "no.daily_rest",
                "min_rest",
                600,
                pb::ValueUnit::Minutes,
            ),
            "rule_override.employee_id",
        ),
    ];
    for (req, field) in bad {
        assert_error(
            admin.set_rule_override(req).await,
            Code::InvalidArgument,
            field,
        );
    }
    let mut no_reason = override_of(
        Scope::Organisation(true),
        "no.daily_rest",
        "min_rest",
        600,
        pb::ValueUnit::Minutes,
    );
    no_reason.rule_override.as_mut().unwrap().reason.clear();
    assert_error(
        admin.set_rule_override(no_reason).await,
        Code::InvalidArgument,
        "rule_override.reason",
    );
    // A pack this build does not know is refused at the edge, never taken
    // for Norway.
    let mut unknown_pack = override_of(
        Scope::Organisation(true),
        "no.daily_rest",
        "min_rest",
        600,
        pb::ValueUnit::Minutes,
    );
    unknown_pack.rule_override.as_mut().unwrap().rule_pack = "fr-code".into();
    assert_error(
        admin.set_rule_override(unknown_pack).await,
        Code::InvalidArgument,
        "rule_override.rule_pack",
    );
    assert_eq!(
        admin
            .list_rule_overrides(pb::ListRuleOverridesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .overrides
            .len(),
        1
    );
}

/// The organisation's own day off, "Founders' day", on `day`.
fn founders_day(day: pb::LocalDate) -> pb::AddHolidayRequest {
    pb::AddHolidayRequest {
        holiday: Some(pb::Holiday {
            date: Some(day),
            name: "Founders' day".into(),
            kind: pb::HolidayKind::DayOff as i32,
            ..Default::default()
        }),
    }
}

async fn holidays_national_and_the_organisations(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut admin = app.admin();
    let added = admin
        .add_holiday(founders_day(date(2026, 11, 20)))
        .await
        .unwrap()
        .into_inner()
        .holiday
        .unwrap();
    assert_eq!(added.source(), pb::HolidaySource::Organisation);
    let day = sheet(
        &app,
        &kari.employee_id,
        range(date(2026, 11, 20), date(2026, 11, 20)),
    )
    .await;
    assert_eq!(
        (
            day.days[0].scheduled_minutes,
            day.days[0].holiday_name.as_str()
        ),
        (0, "Founders' day")
    );
    let dup = admin
        .add_holiday(pb::AddHolidayRequest {
            holiday: Some(pb::Holiday {
                date: Some(date(2026, 11, 20)),
                name: "Again".into(),
                kind: 3,
                ..Default::default()
            }),
        })
        .await;
    assert_error(dup, Code::AlreadyExists, "holiday.date");
    let eve = admin
        .add_holiday(pb::AddHolidayRequest {
            holiday: Some(pb::Holiday {
                date: Some(date(2026, 11, 21)),
                name: "Eve".into(),
                kind: 2,
                ..Default::default()
            }),
        })
        .await;
    assert_error(eve, Code::InvalidArgument, "holiday.window_start");
    let december = admin
        .list_holidays(pb::ListHolidaysRequest {
            dates: Some(range(date(2026, 11, 1), date(2026, 12, 31))),
        })
        .await
        .unwrap()
        .into_inner()
        .holidays;
    let names: Vec<_> = december
        .iter()
        .map(|h| (h.name.as_str(), h.source()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Founders' day", pb::HolidaySource::Organisation),
            ("Julaften", pb::HolidaySource::National),
            ("Første juledag", pb::HolidaySource::National),
            ("Andre juledag", pb::HolidaySource::National)
        ]
    );
    admin
        .remove_holiday(pb::RemoveHolidayRequest {
            holiday_id: added.holiday_id.clone(),
        })
        .await
        .unwrap();
    assert_error(
        admin
            .remove_holiday(pb::RemoveHolidayRequest {
                holiday_id: added.holiday_id,
            })
            .await,
        Code::NotFound,
        "holiday",
    );
    assert_eq!(
        sheet(
            &app,
            &kari.employee_id,
            range(date(2026, 11, 20), date(2026, 11, 20))
        )
        .await
        .days[0]
            .scheduled_minutes,
        450
    );
}

async fn bad_plans_are_refused_and_only_admins_write(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = kari.employee_id.clone();
    let mut admin = app.admin();
    let edits: Vec<ScheduleEdit> = vec![
        (|s| s.days[0].weekday = 0, "schedule.days[0].weekday"),
        (|s| s.days[1].weekday = 1, "schedule.days[1].weekday"),
        (
            |s| s.days[0].normal_minutes = 1441,
            "schedule.days[0].normal_minutes",
        ),
        (
            |s| s.days[0].end = Some(time(15, 0)),
            "schedule.days[0].end",
        ),
        (|s| s.days[0].end = None, "schedule.days[0].end"),
        (|s| s.core_end = Some(time(9, 0)), "schedule.core_end"),
        (
            |s| s.flex_frame_start = Some(time(11, 0)),
            "schedule.flex_frame_start",
        ),
        (
            |s| s.flex_balance_min_minutes = 5,
            "schedule.flex_balance_min_minutes",
        ),
        (|s| s.valid_to = Some(date(2025, 1, 1)), "schedule.valid_to"),
        (|s| s.valid_from = None, "schedule.valid_from"),
        (|s| s.employee_id = "x".into(), "schedule.employee_id"),
    ];
    for (edit, field) in edits {
        let mut s = six_hour_days(&id, date(2026, 1, 1), None);
        edit(&mut s);
        assert_error(
            admin
                .set_schedule(pb::SetScheduleRequest { schedule: Some(s) })
                .await,
            Code::InvalidArgument,
            field,
        );
    }
    let unknown = six_hour_days(&Uuid::new_v4().to_string(), date(2026, 1, 1), None);
    assert_error(
        admin
            .set_schedule(pb::SetScheduleRequest {
                schedule: Some(unknown),
            })
            .await,
        Code::NotFound,
        "schedule.employee_id",
    );
    let agreement =
        |basis: pb::AgreementBasis, terms: pb::agreement::Terms| pb::CreateAgreementRequest {
            agreement: Some(pb::Agreement {
                employee_id: id.clone(),
                basis: basis as i32,
                valid_from: Some(date(2026, 1, 1)),
                valid_to: Some(date(2026, 6, 30)),
                reference: "Case 2026/17".into(),
                terms: Some(terms),
                ..Default::default()
            }),
        };
    let bad_agreements = [
        (
            agreement(
                pb::AgreementBasis::Individual,
                Terms::ExtendedOvertime(pb::ExtendedOvertimeTerms {
                    overtime_7d_limit_minutes: 900,
                    ..Default::default()
                }),
            ),
            "agreement.basis",
        ),
        (
            agreement(
                pb::AgreementBasis::TariffRepresentatives,
                Terms::ExtendedOvertime(pb::ExtendedOvertimeTerms {
                    overtime_7d_limit_minutes: 1201,
                    ..Default::default()
                }),
            ),
            "agreement.extended_overtime.overtime_7d_limit_minutes",
        ),
        (
            agreement(
                pb::AgreementBasis::TariffRepresentatives,
                Terms::ReducedRest(pb::ReducedRestTerms {
                    daily_rest_minutes: 479,
                    weekly_rest_minutes: 0,
                }),
            ),
            "agreement.reduced_rest.daily_rest_minutes",
        ),
        (
            agreement(
                pb::AgreementBasis::Individual,
                Terms::ReducedRest(pb::ReducedRestTerms {
                    daily_rest_minutes: 600,
                    weekly_rest_minutes: 0,
                }),
            ),
            "agreement.basis",
        ),
        (
            agreement(
                pb::AgreementBasis::Individual,
                Terms::Averaging(pb::AveragingTerms {
                    period_weeks: 53,
                    daily_cap_minutes: 600,
                    weekly_cap_minutes: 2880,
                }),
            ),
            "agreement.averaging.period_weeks",
        ),
        (
            agreement(
                pb::AgreementBasis::Individual,
                Terms::Averaging(pb::AveragingTerms {
                    period_weeks: 8,
                    daily_cap_minutes: 601,
                    weekly_cap_minutes: 2880,
                }),
            ),
            "agreement.averaging.daily_cap_minutes",
        ),
        (
            agreement(
                pb::AgreementBasis::Individual,
                Terms::HomeOffice(pb::HomeOfficeTerms {
                    max_home_share_percent: 0,
                    ..Default::default()
                }),
            ),
            "agreement.home_office.max_home_share_percent",
        ),
        (
            agreement(
                pb::AgreementBasis::Unspecified,
                Terms::HomeOffice(pb::HomeOfficeTerms {
                    max_home_share_percent: 40,
                    ..Default::default()
                }),
            ),
            "agreement.basis",
        ),
    ];
    for (req, field) in bad_agreements {
        assert_error(
            admin.create_agreement(req).await,
            Code::InvalidArgument,
            field,
        );
    }
    let mut no_ref = agreement(
        pb::AgreementBasis::Individual,
        Terms::HomeOffice(pb::HomeOfficeTerms {
            max_home_share_percent: 40,
            ..Default::default()
        }),
    );
    no_ref.agreement.as_mut().unwrap().reference.clear();
    assert_error(
        admin.create_agreement(no_ref).await,
        Code::InvalidArgument,
        "agreement.reference",
    );
    let absence =
        |kind: i32, dates: Option<pb::LocalDateRange>, minutes: i64| pb::CreateAbsenceRequest {
            absence: Some(pb::Absence {
                employee_id: id.clone(),
                kind,
                dates,
                minutes_per_day: minutes,
                ..Default::default()
            }),
        };
    let bad_absences = [
        (
            absence(0, Some(range(date(2026, 1, 1), date(2026, 1, 2))), 0),
            "absence.kind",
        ),
        (
            absence(1, Some(range(date(2026, 1, 2), date(2026, 1, 1))), 0),
            "absence.dates",
        ),
        (
            absence(1, Some(range(date(2025, 1, 1), date(2026, 1, 2))), 0),
            "absence.dates",
        ),
        (absence(1, None, 0), "absence.dates"),
        (
            absence(1, Some(range(date(2026, 1, 1), date(2026, 1, 2))), 1441),
            "absence.minutes_per_day",
        ),
    ];
    for (req, field) in bad_absences {
        assert_error(
            admin.create_absence(req).await,
            Code::InvalidArgument,
            field,
        );
    }
    // Nothing was stored by any of the refused requests.
    assert!(
        admin
            .list_schedules(pb::ListSchedulesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .schedules
            .is_empty()
    );
    assert!(
        admin
            .list_agreements(pb::ListAgreementsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .agreements
            .is_empty()
    );
    assert!(
        admin
            .list_absences(pb::ListAbsencesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .absences
            .is_empty()
    );
    // Only ADMIN writes; another organisation does not see the employee.
    let employee_token = app.token(pb::Role::Employee, Some(&id)).await;
    let denied = app
        .admin_client(&employee_token)
        .set_schedule(pb::SetScheduleRequest {
            schedule: Some(six_hour_days(&id, date(2026, 1, 1), None)),
        })
        .await;
    assert_error(denied, Code::PermissionDenied, "ADMIN");
    let (_, other) =
        tidsvakt::bootstrap::create_organisation(app.store.as_ref(), "other", test_now())
            .await
            .unwrap();
    let foreign = app
        .admin_client(&other)
        .set_schedule(pb::SetScheduleRequest {
            schedule: Some(six_hour_days(&id, date(2026, 1, 1), None)),
        })
        .await;
    assert_error(foreign, Code::NotFound, "schedule.employee_id");
    let ola = app.create_employee("E2").await;
    let peek = app
        .admin_client(&employee_token)
        .list_absences(pb::ListAbsencesRequest {
            employee_id: ola.employee_id,
            ..Default::default()
        })
        .await;
    assert_error(peek, Code::PermissionDenied, "may not read");
}

/// Issue 13 item 9: an override applies from its effective date. Two short
/// daily rests (10 h 30 min, on 9/10 and 16/17 Nov); 10 h from 12 Nov on
/// makes only the second lawful, and the first finding stays open.
async fn an_override_applies_from_its_effective_date(app: TestApp) {
    use pb::rule_override::Scope;
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    for (a, b) in [(9, 10), (16, 17)] {
        post(
            &app,
            id,
            &[
                (ClockIn, oslo(2026, 11, a, 12, 0)),
                (BreakStart, oslo(2026, 11, a, 17, 0)),
                (BreakEnd, oslo(2026, 11, a, 17, 30)),
                (ClockOut, oslo(2026, 11, a, 22, 30)),
                (ClockIn, oslo(2026, 11, b, 9, 0)),
                (ClockOut, oslo(2026, 11, b, 12, 0)),
            ],
        )
        .await;
    }
    let open = |f: &[pb::Finding]| {
        f.iter()
            .filter(|f| f.status() == pb::FindingStatus::Open)
            .count()
    };
    assert_eq!(open(&findings(&app, id, "no.daily_rest").await), 2);
    let mut request = override_of(
        Scope::Organisation(true),
        "no.daily_rest",
        "min_rest",
        600,
        pb::ValueUnit::Minutes,
    );
    request.rule_override.as_mut().unwrap().effective_from = Some(date(2026, 11, 12));
    let set = app
        .admin()
        .set_rule_override(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        set.rule_override.unwrap().effective_from,
        Some(date(2026, 11, 12))
    );
    let f = findings(&app, id, "no.daily_rest").await;
    assert_eq!(open(&f), 1, "{f:#?}");
    // Listed with its date; the page key carries it.
    let listed = app
        .admin()
        .list_rule_overrides(pb::ListRuleOverridesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .overrides;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].effective_from, Some(date(2026, 11, 12)));
}

/// Issue 15: the plans a read needs are kept by the organisation's plans
/// version, which every change bumps in its own transaction. So each kind
/// of change shows on the very next read of the same range, which the
/// earlier read had put in the cache.
async fn every_plan_change_shows_on_the_next_read(app: TestApp) {
    use pb::rule_override::Scope;
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    let week = || range(date(2026, 11, 16), date(2026, 11, 22));
    let scheduled = |s: &pb::GetTimesheetResponse| -> Vec<i64> {
        s.days.iter().map(|d| d.scheduled_minutes).collect()
    };
    let s = sheet(&app, id, week()).await;
    assert_eq!(scheduled(&s), vec![450, 450, 450, 450, 450, 0, 0]);
    let mut admin = app.admin();
    let version = "SELECT CAST(SUM(plans_version) AS BIGINT) FROM organisations";
    let mut seen = app.count(version).await;
    // Whether the plans version moved since the last look.
    macro_rules! bumped {
        () => {{
            let now = app.count(version).await;
            let moved = now > seen;
            seen = now;
            moved
        }};
    }

    admin
        .set_schedule(pb::SetScheduleRequest {
            schedule: Some(six_hour_days(id, date(2026, 1, 1), None)),
        })
        .await
        .unwrap();
    assert!(bumped!(), "a schedule");
    let s = sheet(&app, id, week()).await;
    assert_eq!(scheduled(&s), vec![360, 360, 360, 360, 360, 0, 0]);

    let absence = admin
        .create_absence(vacation(id, date(2026, 11, 16), date(2026, 11, 16)))
        .await
        .unwrap()
        .into_inner()
        .absence
        .unwrap();
    assert!(bumped!(), "an absence");
    assert_eq!(sheet(&app, id, week()).await.days[0].absences.len(), 1);
    admin
        .cancel_absence(pb::CancelAbsenceRequest {
            absence_id: absence.absence_id,
            reason: "Plans changed".into(),
        })
        .await
        .unwrap();
    assert!(bumped!(), "a cancelled absence");
    assert!(sheet(&app, id, week()).await.days[0].absences.is_empty());

    let holiday = admin
        .add_holiday(founders_day(date(2026, 11, 17)))
        .await
        .unwrap()
        .into_inner()
        .holiday
        .unwrap();
    assert!(bumped!(), "a holiday");
    let s = sheet(&app, id, week()).await;
    assert_eq!(
        (s.days[1].scheduled_minutes, s.days[1].holiday_name.as_str()),
        (0, "Founders' day")
    );
    admin
        .remove_holiday(pb::RemoveHolidayRequest {
            holiday_id: holiday.holiday_id,
        })
        .await
        .unwrap();
    assert!(bumped!(), "a removed holiday");
    let s = sheet(&app, id, week()).await;
    assert_eq!(
        (s.days[1].scheduled_minutes, s.days[1].holiday_name.as_str()),
        (360, "")
    );

    // These change findings rather than the sheet (the tests above follow
    // their effect); here, that they bump the version too.
    admin
        .create_agreement(pb::CreateAgreementRequest {
            agreement: Some(union_overtime_agreement(id)),
        })
        .await
        .unwrap();
    assert!(bumped!(), "an agreement");
    admin
        .set_rule_override(override_of(
            Scope::EmployeeId(id.clone()),
            "no.overtime_7d",
            "limit",
            300,
            pb::ValueUnit::Minutes,
        ))
        .await
        .unwrap();
    assert!(bumped!(), "an override");
    crate::payroll::lock(&app, "2026-10").await.unwrap();
    assert!(bumped!(), "a locked period");
    sheet(&app, id, week()).await;
    assert_eq!(app.count(version).await, seen, "reads change nothing");
}

/// An organisation holiday re-judges everyone at once, each on the date in
/// their own time zone, leavers too: work on that date becomes a
/// `no.sunday_holiday` finding for all three (a read finds none if the
/// change did not queue its employee).
async fn an_organisation_holiday_rejudges_everyone_in_their_own_time_zone(app: TestApp) {
    let mut admin = app.admin();
    let mut ids = Vec::new();
    for (ext, tz) in [
        ("E1", "Europe/Oslo"),
        ("E2", "America/New_York"),
        ("E3", "Europe/Oslo"),
    ] {
        let e = app.create_employee_in(ext, tz).await;
        // 08:00-16:00 local on Wednesday 11 Nov 2026.
        let tz: chrono_tz::Tz = tz.parse().unwrap();
        let at = |h| {
            tz.with_ymd_and_hms(2026, 11, 11, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        post(
            &app,
            &e.employee_id,
            &[(ClockIn, at(8)), (ClockOut, at(16))],
        )
        .await;
        ids.push(e.employee_id);
    }
    admin
        .deactivate_employee(pb::DeactivateEmployeeRequest {
            employee_id: ids[2].clone(),
        })
        .await
        .unwrap();
    for id in &ids {
        assert!(findings(&app, id, "no.sunday_holiday").await.is_empty());
    }
    admin
        .add_holiday(pb::AddHolidayRequest {
            holiday: Some(pb::Holiday {
                date: Some(date(2026, 11, 11)),
                name: "Jubileum".into(),
                kind: pb::HolidayKind::Public as i32,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    for id in &ids {
        assert_eq!(
            findings(&app, id, "no.sunday_holiday").await.len(),
            1,
            "employee {id}"
        );
    }
}

crate::both_backends!(
    an_organisation_holiday_rejudges_everyone_in_their_own_time_zone,
    an_override_applies_from_its_effective_date,
    every_plan_change_shows_on_the_next_read,
    schedules_cut_back_and_drive_the_timesheet,
    an_agreement_raises_a_limit_and_ending_it_brings_the_finding_back,
    absences_fill_scheduled_time_and_cancel_once,
    overrides_change_limits_within_the_law,
    holidays_national_and_the_organisations,
    bad_plans_are_refused_and_only_admins_write,
);
