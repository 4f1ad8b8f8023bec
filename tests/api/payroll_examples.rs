//! Payroll worked examples end to end (rules.md § 6, Europe/Oslo, `no-aml`,
//! schedule Mon–Fri 08:00–16:00 with 30 min break = 7 h 30 min a day): the
//! exact lines `ListTotals` sends, on both back-ends.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use tidsvakt::pb;
use tidsvakt::pb::payroll_service_client::PayrollServiceClient;

use crate::helpers::*;

use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};
use pb::PayCategory as C;

fn oslo(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Oslo.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// An employee created on 1 Sep 2026, so every date after it is employed.
async fn employee(app: &TestApp) -> String {
    let now = test_now();
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 9, 1, 6, 0, 0).unwrap());
    let e = app.create_employee("E1").await.employee_id;
    app.clock.set(now);
    e
}

async fn post(app: &TestApp, id: &str, events: &[(pb::EventKind, DateTime<Utc>)]) {
    let mut clock = app.clock_client(&app.admin_token);
    for (kind, t) in events {
        clock
            .record_event(pb::RecordEventRequest {
                event: Some(event(id, *kind, *t)),
            })
            .await
            .unwrap();
    }
}

/// `(category, rate, absence kind, pay code, minutes, count)` of every line.
async fn lines(app: &TestApp, period: &str) -> Vec<(C, i32, i32, String, i64, i64)> {
    let mut stream = PayrollServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .list_totals(pb::ListTotalsRequest {
        period_id: period.into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    let m = stream.message().await.unwrap().expect("one employee");
    assert!(stream.message().await.unwrap().is_none());
    let t = m.totals.unwrap();
    // A quiet pull right after the events waits for their judgement.
    assert!(!t.open_findings_pending, "the count is current");
    t.lines
        .into_iter()
        .map(|l| {
            (
                l.category(),
                l.rate_percent,
                l.absence_kind,
                l.pay_code,
                l.minutes,
                l.count,
            )
        })
        .collect()
}

fn line(c: C, code: &str, minutes: i64) -> (C, i32, i32, String, i64, i64) {
    (c, 0, 0, code.into(), minutes, 0)
}

fn findings(count: i64) -> (C, i32, i32, String, i64, i64) {
    (C::OpenFindings, 0, 0, "OPEN_FINDINGS".into(), 0, count)
}

/// October 2026: 22 weekdays, no public holiday.
const OCTOBER: i64 = 22 * 450;

/// Example 4: 10 h 15 min of overtime in the week of 12 October. With
/// tiers 50 % from 0 and 100 % after 10 h of weekly overtime, the ledger's
/// overtime in time order is Mon–Thu 17:30–18:00 (2 h), Fri 12:30–18:00
/// (5 h 30 min) and Sat 09:00–11:45 (2 h 45 min): the first 10 h at 50 %,
/// the last 15 minutes (Sat 11:30–11:45) at 100 %. Worked 50 h 15 min =
/// 3015 min, normal 40 h. Two open findings: `no.overtime_7d`, and the
/// Saturday as `pol.weekend`.
async fn overtime_week_with_two_rates(app: TestApp) {
    let id = employee(&app).await;
    for d in 12..=16 {
        post(
            &app,
            &id,
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
        &app,
        &id,
        &[
            (ClockIn, oslo(2026, 10, 17, 9, 0)),
            (ClockOut, oslo(2026, 10, 17, 11, 45)),
        ],
    )
    .await;
    let mut s = app
        .admin()
        .get_payroll_settings(pb::GetPayrollSettingsRequest {})
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    s.overtime_tiers.push(pb::OvertimeRateTier {
        after_week_overtime_minutes: 600,
        rate_percent: 100,
    });
    s.pay_codes.push(pb::PayCodeMapping {
        category: C::Overtime as i32,
        rate_percent: 100,
        absence_kind: 0,
        pay_code: "OVERTIME_100".into(),
    });
    app.admin()
        .set_payroll_settings(pb::SetPayrollSettingsRequest { settings: Some(s) })
        .await
        .unwrap();
    assert_eq!(
        lines(&app, "2026-10").await,
        vec![
            line(C::Scheduled, "SCHEDULED", OCTOBER),
            line(C::Worked, "WORKED", 3015),
            line(C::Normal, "NORMAL", 2400),
            (C::Overtime, 50, 0, "OVERTIME_50".into(), 600, 0),
            (C::Overtime, 100, 0, "OVERTIME_100".into(), 15, 0),
            line(C::FlexMovement, "FLEX_MOVEMENT", 3015 - OCTOBER),
            findings(2),
        ]
    );
}

/// Example 3, the night the clocks go back: Sat 24 Oct 22:00 → Sun 25 Oct
/// 06:00 with a break 00:30–01:00 is 9 h elapsed, 8 h 30 min worked (not
/// the 7 h 30 min a wall clock suggests), all of it night and inside the
/// Sunday window (from Sat 18:00). No overtime: 8 h 30 min ≤ 9 h on the
/// shift day. Three open findings (of any severity): `no.sunday_holiday`,
/// and the patterns `pol.night` and `pol.weekend`.
async fn dst_night_counts_real_minutes(app: TestApp) {
    let id = employee(&app).await;
    post(
        &app,
        &id,
        &[
            (ClockIn, oslo(2026, 10, 24, 22, 0)),
            (BreakStart, oslo(2026, 10, 25, 0, 30)),
            (BreakEnd, oslo(2026, 10, 25, 1, 0)),
            (ClockOut, oslo(2026, 10, 25, 6, 0)),
        ],
    )
    .await;
    assert_eq!(
        lines(&app, "2026-10").await,
        vec![
            line(C::Scheduled, "SCHEDULED", OCTOBER),
            line(C::Worked, "WORKED", 510),
            line(C::Normal, "NORMAL", 510),
            line(C::Night, "NIGHT", 510),
            line(C::SundayHoliday, "SUNDAY_HOLIDAY", 510),
            line(C::FlexMovement, "FLEX_MOVEMENT", 510 - OCTOBER),
            findings(3),
        ]
    );
}

/// A night shift into Christmas Day: Thu 24 Dec 2026 20:00 → Fri 25 Dec
/// 04:00, break 00:00–00:30: 7 h 30 min worked, night 21:00–04:00 less the
/// break = 6 h 30 min, and all of it in the § 10-10 window, which starts
/// at 15:00 on Christmas Eve. December: 23 weekdays, of which Christmas
/// Day is a public holiday, so 22 scheduled days. With the night and
/// Sunday/holiday overtime rates set, no minute is overtime, so the rates
/// do not show.
async fn night_shift_over_christmas(app: TestApp) {
    let id = employee(&app).await;
    app.clock
        .set(Utc.with_ymd_and_hms(2027, 1, 10, 12, 0, 0).unwrap());
    post(
        &app,
        &id,
        &[
            (ClockIn, oslo(2026, 12, 24, 20, 0)),
            (BreakStart, oslo(2026, 12, 25, 0, 0)),
            (BreakEnd, oslo(2026, 12, 25, 0, 30)),
            (ClockOut, oslo(2026, 12, 25, 4, 0)),
        ],
    )
    .await;
    let december = 22 * 450;
    let got = lines(&app, "2026-12").await;
    assert_eq!(
        got[..6].to_vec(),
        vec![
            line(C::Scheduled, "SCHEDULED", december),
            line(C::Worked, "WORKED", 450),
            line(C::Normal, "NORMAL", 450),
            line(C::Night, "NIGHT", 390),
            line(C::SundayHoliday, "SUNDAY_HOLIDAY", 450),
            line(C::FlexMovement, "FLEX_MOVEMENT", 450 - december),
        ],
        "{got:?}"
    );
}

/// Time off in lieu and sick leave in November: Mon 2 Nov off in lieu,
/// Tue 3 Nov sick, nothing worked. November has 21 weekdays. Absent
/// scheduled minutes count as if worked, so the flex movement is
/// 0 + 450 + 450 − 9450.
async fn time_off_in_lieu_and_sick_leave(app: TestApp) {
    let id = employee(&app).await;
    let date = |d: i32| pb::LocalDate {
        year: 2026,
        month: 11,
        day: d,
    };
    for (kind, d) in [
        (pb::AbsenceKind::TimeOffInLieu, 2),
        (pb::AbsenceKind::Sick, 3),
    ] {
        app.admin()
            .create_absence(pb::CreateAbsenceRequest {
                absence: Some(pb::Absence {
                    employee_id: id.clone(),
                    kind: kind as i32,
                    dates: Some(pb::LocalDateRange {
                        start: Some(date(d)),
                        end: Some(date(d)),
                    }),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }
    let november = 21 * 450;
    assert_eq!(
        lines(&app, "2026-11").await,
        vec![
            line(C::Scheduled, "SCHEDULED", november),
            line(C::FlexMovement, "FLEX_MOVEMENT", 900 - november),
            (
                C::Absence,
                0,
                pb::AbsenceKind::Sick as i32,
                "ABSENCE_SICK".into(),
                450,
                0
            ),
            line(C::TimeOffInLieu, "TIME_OFF_IN_LIEU", 450),
        ]
    );
}

crate::both_backends!(
    overtime_week_with_two_rates,
    dst_night_counts_real_minutes,
    night_shift_over_christmas,
    time_off_in_lieu_and_sick_leave,
);
