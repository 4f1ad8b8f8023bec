//! Nudges end to end on both back-ends: findings decided into the outbox in
//! their recompute's transaction, sent by the outbox job through lettre to a
//! real SMTP server on loopback, parsed and checked. The service's clock is
//! moved by hand: quiet hours, weekly dedup, muting and manager batching are
//! each shown firing and not firing.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use tidsvakt::pb;
use tidsvakt::pb::nudge_service_client::NudgeServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::helpers::*;
use crate::smtp::ParsedMail;

use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};

pub type NudgeClient = NudgeServiceClient<InterceptedService<Channel, Bearer>>;

pub fn nudges(app: &TestApp, token: &str) -> NudgeClient {
    NudgeServiceClient::with_interceptor(app.channel.clone(), Bearer::for_token(token))
}

/// A wall-clock instant in Oslo.
pub fn oslo(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Oslo.with_ymd_and_hms(2026, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// Posts one worked interval with optional breaks.
pub async fn post_work(
    app: &TestApp,
    employee: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    breaks: &[(DateTime<Utc>, DateTime<Utc>)],
) {
    let mut events = vec![event(employee, ClockIn, start)];
    for (s, e) in breaks {
        events.push(event(employee, BreakStart, *s));
        events.push(event(employee, BreakEnd, *e));
    }
    events.push(event(employee, ClockOut, end));
    let mut clock = app.clock_client(&app.admin_token);
    for e in events {
        clock
            .record_event(pb::RecordEventRequest { event: Some(e) })
            .await
            .unwrap();
    }
}

/// The nudges about `employee`, read as the admin (this also brings the
/// employee's findings, and so the decisions, up to date).
pub async fn list(app: &TestApp, employee: &str) -> Vec<pb::Nudge> {
    nudges(app, &app.admin_token)
        .list_nudges(pb::ListNudgesRequest {
            employee_id: employee.into(),
            page: Some(pb::PageRequest {
                page_size: 500,
                page_token: String::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .nudges
}

/// Every email the SMTP server has received, parsed.
pub fn mails(app: &TestApp) -> Vec<ParsedMail> {
    app.mailbox
        .messages()
        .iter()
        .map(|m| crate::smtp::parse(&m.raw))
        .collect()
}

/// The emails sent to `address`.
pub fn mails_to(app: &TestApp, address: &str) -> Vec<ParsedMail> {
    mails(app)
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.email == address))
        .collect()
}

/// Runs the outbox once at the current clock; the number sent.
pub async fn send_due(app: &TestApp) -> usize {
    app.jobs.run_outbox_once().await.unwrap().sent
}

/// Example 6 of rules.md: a daily rest of 10 h 30 min (`no.daily_rest`) after
/// a Tuesday evening that runs into night hours (pol.night).
async fn short_rest(app: &TestApp, employee: &str) {
    post_work(
        app,
        employee,
        oslo(11, 17, 13, 0),
        oslo(11, 17, 22, 30),
        &[(oslo(11, 17, 17, 0), oslo(11, 17, 17, 30))],
    )
    .await;
    post_work(
        app,
        employee,
        oslo(11, 18, 9, 0),
        oslo(11, 18, 16, 30),
        &[(oslo(11, 18, 12, 0), oslo(11, 18, 12, 30))],
    )
    .await;
}

/// 6 h 30 min without a break on `day`: a no.breaks violation.
pub async fn no_break(app: &TestApp, employee: &str, day: u32) {
    post_work(
        app,
        employee,
        oslo(11, day, 8, 0),
        oslo(11, day, 14, 30),
        &[],
    )
    .await;
}

/// 10 h 30 min worked on `day`: `pol.long_day` and nothing else.
async fn long_day(app: &TestApp, employee: &str, month: u32, day: u32) {
    // The break lies outside core hours (09:00–14:30), so only the long day shows.
    post_work(
        app,
        employee,
        oslo(month, day, 6, 0),
        oslo(month, day, 17, 0),
        &[(oslo(month, day, 15, 0), oslo(month, day, 15, 30))],
    )
    .await;
}

fn categories(ns: &[pb::Nudge], audience: pb::NudgeAudience) -> Vec<String> {
    let mut c: Vec<String> = ns
        .iter()
        .filter(|n| n.audience == audience as i32)
        .map(|n| n.category.clone())
        .collect();
    c.sort();
    c
}

async fn the_employee_hears_first_and_quiet_hours_wait_for_the_morning(app: TestApp) {
    let manager = app.create_employee("M1").await;
    let e = app
        .create_employee_managed_by("E1", &manager.employee_id)
        .await;
    // The test clock stands at Thu 2026-11-19 21:00 in Oslo: quiet hours.
    short_rest(&app, &e.employee_id).await;
    let ns = list(&app, &e.employee_id).await;
    let told = categories(&ns, pb::NudgeAudience::Employee);
    assert!(
        told.contains(&"night".to_string()) && told.contains(&"rest".to_string()),
        "{told:?}"
    );
    assert_eq!(
        categories(&ns, pb::NudgeAudience::Manager),
        ["rest"],
        "a pattern never reaches the manager"
    );
    for n in &ns {
        assert_eq!(n.message_status, pb::MessageStatus::Pending as i32);
    }

    assert_eq!(send_due(&app).await, 0, "21:00 is inside quiet hours");
    app.clock.set(oslo(11, 20, 6, 59));
    assert_eq!(send_due(&app).await, 0, "06:59 is still quiet");
    app.clock.set(oslo(11, 20, 7, 0));
    assert_eq!(
        send_due(&app).await,
        1,
        "the employee's nudge, at 07:00 their time"
    );
    let sent = mails_to(&app, "e1@example.no");
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert_eq!(m.language.as_deref(), Some("nb"));
    assert!(!m.subject.is_empty());
    assert!(
        m.text.contains("10 t 30 min"),
        "the measured rest in the text part: {}",
        m.text
    );
    assert!(m.html.contains("10 t 30 min"), "and in the HTML part");
    assert!(m.text.starts_with("Hei Employee,"), "greeted by first name");
    assert!(
        mails_to(&app, "m1@example.no").is_empty(),
        "the manager has not heard yet"
    );

    app.clock.set(oslo(11, 21, 6, 59));
    assert_eq!(
        send_due(&app).await,
        0,
        "the manager's batch leaves the next morning"
    );
    app.clock.set(oslo(11, 21, 7, 0));
    assert_eq!(send_due(&app).await, 1);
    let to_manager = mails_to(&app, "m1@example.no");
    assert_eq!(to_manager.len(), 1);
    assert!(
        to_manager[0].text.contains("Employee E1"),
        "{}",
        to_manager[0].text
    );
    assert!(to_manager[0].text.contains("10 t 30 min"));
    // Each message went once.
    assert_eq!(send_due(&app).await, 0);
    assert_eq!(app.mailbox.messages().len(), 2);
    let ns = list(&app, &e.employee_id).await;
    assert!(
        ns.iter()
            .all(|n| n.message_status == pb::MessageStatus::Sent as i32 && !n.subject.is_empty())
    );
}

async fn one_nudge_per_category_per_person_per_iso_week(app: TestApp) {
    let e = app.create_employee("E1").await;
    // Monday of week 48, 18:00: not quiet, so a nudge leaves at once.
    app.clock.set(oslo(11, 23, 18, 0));
    long_day(&app, &e.employee_id, 11, 23).await;
    assert_eq!(
        categories(
            &list(&app, &e.employee_id).await,
            pb::NudgeAudience::Employee
        ),
        ["long_day"]
    );
    assert_eq!(send_due(&app).await, 1, "daytime: sent at once");

    // A second long day the same week: found, but not nudged again.
    app.clock.set(oslo(11, 24, 18, 0));
    long_day(&app, &e.employee_id, 11, 24).await;
    assert_eq!(list(&app, &e.employee_id).await.len(), 1);
    assert_eq!(send_due(&app).await, 0);

    // Week 49: the same pattern is news again.
    app.clock.set(oslo(11, 30, 18, 0));
    long_day(&app, &e.employee_id, 11, 30).await;
    assert_eq!(list(&app, &e.employee_id).await.len(), 2);
    assert_eq!(send_due(&app).await, 1);
    assert_eq!(mails_to(&app, "e1@example.no").len(), 2);
}

async fn muting_silences_an_optional_category_and_never_a_legal_one(app: TestApp) {
    let e = app.create_employee("E1").await;
    let own = app.token(pb::Role::Employee, Some(&e.employee_id)).await;
    let mut client = nudges(&app, &own);
    let settings = client
        .set_nudge_mute(pb::SetNudgeMuteRequest {
            employee_id: e.employee_id.clone(),
            category: "long_day".into(),
            muted: true,
        })
        .await
        .unwrap()
        .into_inner();
    let long = settings
        .categories
        .iter()
        .find(|c| c.category == "long_day")
        .unwrap();
    assert!(long.mutable && long.muted);
    let rest = settings
        .categories
        .iter()
        .find(|c| c.category == "rest")
        .unwrap();
    assert!(!rest.mutable && !rest.muted);

    app.clock.set(oslo(11, 23, 18, 0));
    long_day(&app, &e.employee_id, 11, 23).await;
    assert!(
        list(&app, &e.employee_id).await.is_empty(),
        "muted: no nudge"
    );
    // A legal violation is told however much is muted.
    no_break(&app, &e.employee_id, 18).await;
    assert_eq!(
        categories(
            &list(&app, &e.employee_id).await,
            pb::NudgeAudience::Employee
        ),
        ["breaks"]
    );

    // Unmuted, the next week's long day is told.
    client
        .set_nudge_mute(pb::SetNudgeMuteRequest {
            employee_id: e.employee_id.clone(),
            category: "long_day".into(),
            muted: false,
        })
        .await
        .unwrap();
    let read = client
        .get_nudge_settings(pb::GetNudgeSettingsRequest {
            employee_id: e.employee_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!read.categories.iter().any(|c| c.muted));
    app.clock.set(oslo(11, 30, 18, 0));
    long_day(&app, &e.employee_id, 11, 30).await;
    assert_eq!(
        categories(
            &list(&app, &e.employee_id).await,
            pb::NudgeAudience::Employee
        ),
        ["breaks", "long_day"]
    );
}

async fn a_managers_alerts_are_batched_per_day(app: TestApp) {
    let manager = app.create_employee("M1").await;
    let a = app
        .create_employee_managed_by("A1", &manager.employee_id)
        .await;
    let b = app
        .create_employee_managed_by("B1", &manager.employee_id)
        .await;
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &a.employee_id, 23).await;
    no_break(&app, &b.employee_id, 23).await;
    list(&app, &a.employee_id).await;
    list(&app, &b.employee_id).await;
    assert_eq!(send_due(&app).await, 2, "each employee hears at once");

    // The next day, A again: A already heard about breaks this week, the
    // manager hears of every violation, in the next day's batch.
    app.clock.set(oslo(11, 24, 15, 0));
    no_break(&app, &a.employee_id, 24).await;
    let about_a = list(&app, &a.employee_id).await;
    assert_eq!(
        categories(&about_a, pb::NudgeAudience::Employee),
        ["breaks"]
    );
    assert_eq!(
        categories(&about_a, pb::NudgeAudience::Manager),
        ["breaks", "breaks"]
    );
    assert_eq!(
        send_due(&app).await,
        1,
        "Monday's batch left Tuesday 07:00… at the first run after it"
    );
    let first = mails_to(&app, "m1@example.no");
    assert_eq!(first.len(), 1, "two reports, one email");
    assert!(
        first[0].text.contains("Employee A1") && first[0].text.contains("Employee B1"),
        "{}",
        first[0].text
    );

    app.clock.set(oslo(11, 25, 6, 59));
    assert_eq!(send_due(&app).await, 0);
    app.clock.set(oslo(11, 25, 7, 0));
    assert_eq!(send_due(&app).await, 1);
    let both = mails_to(&app, "m1@example.no");
    assert_eq!(both.len(), 2, "a second day, a second email");
    assert!(both[1].text.contains("Employee A1") && !both[1].text.contains("Employee B1"));
    assert_eq!(mails_to(&app, "a1@example.no").len(), 1);
}

async fn list_nudges_is_for_the_employee_their_manager_and_admins(app: TestApp) {
    let manager = app.create_employee("M1").await;
    let e = app
        .create_employee_managed_by("E1", &manager.employee_id)
        .await;
    let other = app.create_employee("O1").await;
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &e.employee_id, 23).await;
    list(&app, &e.employee_id).await;
    let req = |id: &str, size: i32, token: &str| pb::ListNudgesRequest {
        employee_id: id.into(),
        page: Some(pb::PageRequest {
            page_size: size,
            page_token: token.into(),
        }),
    };
    let own = app.token(pb::Role::Employee, Some(&e.employee_id)).await;
    let mine = nudges(&app, &own)
        .list_nudges(req(&e.employee_id, 0, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        mine.nudges.len(),
        2,
        "the employee sees what their manager was told too"
    );
    let n = &mine.nudges[0];
    assert_eq!(n.employee_id, e.employee_id);
    assert_eq!(n.rule_id, "no.breaks");
    assert_eq!(n.severity, pb::Severity::Violation as i32);
    assert!(!n.finding_id.is_empty() && n.decided_at.is_some() && n.send_after.is_some());
    let mtoken = app
        .token(pb::Role::Manager, Some(&manager.employee_id))
        .await;
    assert_eq!(
        nudges(&app, &mtoken)
            .list_nudges(req(&e.employee_id, 0, ""))
            .await
            .unwrap()
            .into_inner()
            .nudges
            .len(),
        2
    );

    // Paging.
    let page = nudges(&app, &own)
        .list_nudges(req(&e.employee_id, 1, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.nudges.len(), 1);
    assert!(!page.next_page_token.is_empty());
    let rest = nudges(&app, &own)
        .list_nudges(req(&e.employee_id, 1, &page.next_page_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.nudges.len(), 1);
    assert_ne!(rest.nudges[0].nudge_id, page.nudges[0].nudge_id);
    assert!(rest.next_page_token.is_empty());

    // Bad input and access.
    let theirs = app
        .token(pb::Role::Employee, Some(&other.employee_id))
        .await;
    assert_error(
        nudges(&app, &theirs)
            .list_nudges(req(&e.employee_id, 0, ""))
            .await,
        Code::PermissionDenied,
        "may not",
    );
    let clock = app.clock_token().await;
    assert_error(
        nudges(&app, &clock)
            .list_nudges(req(&e.employee_id, 0, ""))
            .await,
        Code::PermissionDenied,
        "role",
    );
    let admin = &app.admin_token;
    assert_error(
        nudges(&app, admin).list_nudges(req("nope", 0, "")).await,
        Code::InvalidArgument,
        "employee_id",
    );
    assert_error(
        nudges(&app, admin)
            .list_nudges(req(&uuid::Uuid::new_v4().to_string(), 0, ""))
            .await,
        Code::NotFound,
        "employee_id",
    );
    assert_error(
        nudges(&app, admin)
            .list_nudges(req(&e.employee_id, 501, ""))
            .await,
        Code::InvalidArgument,
        "page.page_size",
    );
    assert_error(
        nudges(&app, admin)
            .list_nudges(req(&e.employee_id, 0, "zz"))
            .await,
        Code::InvalidArgument,
        "page.page_token",
    );
    assert_error(
        nudges(&app, "nonsense")
            .list_nudges(req(&e.employee_id, 0, ""))
            .await,
        Code::Unauthenticated,
        "token",
    );
}

async fn mute_rejects_bad_input_and_other_peoples_tokens(app: TestApp) {
    let manager = app.create_employee("M1").await;
    let e = app
        .create_employee_managed_by("E1", &manager.employee_id)
        .await;
    let own = app.token(pb::Role::Employee, Some(&e.employee_id)).await;
    let req = |id: &str, category: &str| pb::SetNudgeMuteRequest {
        employee_id: id.into(),
        category: category.into(),
        muted: true,
    };
    assert_error(
        nudges(&app, &own)
            .set_nudge_mute(req(&e.employee_id, "rest"))
            .await,
        Code::FailedPrecondition,
        "legal",
    );
    assert_error(
        nudges(&app, &own)
            .set_nudge_mute(req(&e.employee_id, "record"))
            .await,
        Code::FailedPrecondition,
        "cannot be muted",
    );
    assert_error(
        nudges(&app, &own)
            .set_nudge_mute(req(&e.employee_id, "lunch"))
            .await,
        Code::InvalidArgument,
        "category",
    );
    assert_error(
        nudges(&app, &own)
            .set_nudge_mute(req(&e.employee_id, ""))
            .await,
        Code::InvalidArgument,
        "category",
    );
    assert_error(
        nudges(&app, &own).set_nudge_mute(req("x", "evening")).await,
        Code::InvalidArgument,
        "employee_id",
    );
    let mtoken = app
        .token(pb::Role::Manager, Some(&manager.employee_id))
        .await;
    assert_error(
        nudges(&app, &mtoken)
            .set_nudge_mute(req(&e.employee_id, "evening"))
            .await,
        Code::PermissionDenied,
        "own",
    );
    assert_error(
        nudges(&app, &app.admin_token)
            .set_nudge_mute(req(&e.employee_id, "evening"))
            .await,
        Code::PermissionDenied,
        "own",
    );
    let payroll = app.token(pb::Role::Payroll, None).await;
    assert_error(
        nudges(&app, &payroll)
            .set_nudge_mute(req(&e.employee_id, "evening"))
            .await,
        Code::PermissionDenied,
        "role",
    );
    // Nothing was stored by the failed calls.
    let s = nudges(&app, &own)
        .get_nudge_settings(pb::GetNudgeSettingsRequest {
            employee_id: e.employee_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(s.categories.iter().all(|c| !c.muted));
    assert_eq!(s.categories.len(), 15);
    assert_error(
        nudges(&app, &own)
            .get_nudge_settings(pb::GetNudgeSettingsRequest {
                employee_id: manager.employee_id.clone(),
            })
            .await,
        Code::PermissionDenied,
        "may not",
    );
    // Muting twice is fine.
    nudges(&app, &own)
        .set_nudge_mute(req(&e.employee_id, "evening"))
        .await
        .unwrap();
    nudges(&app, &own)
        .set_nudge_mute(req(&e.employee_id, "evening"))
        .await
        .unwrap();
}

async fn a_nudge_whose_finding_was_corrected_away_is_cancelled_and_frees_the_week(app: TestApp) {
    let e = app.create_employee("E1").await;
    // Thursday 21:00 (quiet): a long day is decided, held for the morning.
    let end = event(&e.employee_id, ClockOut, oslo(11, 19, 17, 0));
    let mut clock = app.clock_client(&app.admin_token);
    for ev in [
        event(&e.employee_id, ClockIn, oslo(11, 19, 6, 0)),
        event(&e.employee_id, BreakStart, oslo(11, 19, 10, 0)),
        event(&e.employee_id, BreakEnd, oslo(11, 19, 10, 30)),
        end.clone(),
    ] {
        clock
            .record_event(pb::RecordEventRequest { event: Some(ev) })
            .await
            .unwrap();
    }
    assert_eq!(
        categories(
            &list(&app, &e.employee_id).await,
            pb::NudgeAudience::Employee
        ),
        ["long_day"]
    );
    // The employee had really left at 14:30: the long day is gone.
    clock
        .correct_event(pb::CorrectEventRequest {
            amendment_id: uuid::Uuid::new_v4().to_string(),
            employee_id: e.employee_id.clone(),
            reason: "left at 14:30, clocked out late".into(),
            change: Some(pb::correct_event_request::Change::Move(
                pb::MoveEventChange {
                    event_id: end.event_id.clone(),
                    occurred_at: Some(ts(oslo(11, 19, 14, 30))),
                },
            )),
        })
        .await
        .unwrap();
    list(&app, &e.employee_id).await;
    app.clock.set(oslo(11, 20, 7, 0));
    let round = app.jobs.run_outbox_once().await.unwrap();
    assert_eq!(
        (round.sent, round.cancelled),
        (0, 1),
        "nothing true is left to say"
    );
    let ns = list(&app, &e.employee_id).await;
    assert_eq!(ns[0].message_status, pb::MessageStatus::Cancelled as i32);

    // A real long day the same week is still told: the cancelled one held no key.
    app.clock.set(oslo(11, 20, 18, 0));
    long_day(&app, &e.employee_id, 11, 20).await;
    let ns = list(&app, &e.employee_id).await;
    assert_eq!(ns.len(), 2);
    assert_eq!(send_due(&app).await, 1);
    assert_eq!(mails_to(&app, "e1@example.no").len(), 1);
}

async fn a_partly_resolved_nudge_is_sent_without_the_resolved_part(app: TestApp) {
    let e = app.create_employee("E1").await;
    // Thursday 21:00 (quiet): 06:00–17:00 with no break is a long day and a
    // missing break, decided together into one message.
    let end = event(&e.employee_id, ClockOut, oslo(11, 19, 17, 0));
    let mut clock = app.clock_client(&app.admin_token);
    for ev in [
        event(&e.employee_id, ClockIn, oslo(11, 19, 6, 0)),
        end.clone(),
    ] {
        clock
            .record_event(pb::RecordEventRequest { event: Some(ev) })
            .await
            .unwrap();
    }
    let ns = list(&app, &e.employee_id).await;
    assert_eq!(
        categories(&ns, pb::NudgeAudience::Employee),
        ["breaks", "long_day"]
    );
    // Left at 15:00 in truth: 9 h, still no break, no longer a long day.
    clock
        .correct_event(pb::CorrectEventRequest {
            amendment_id: uuid::Uuid::new_v4().to_string(),
            employee_id: e.employee_id.clone(),
            reason: "left at 15:00".into(),
            change: Some(pb::correct_event_request::Change::Move(
                pb::MoveEventChange {
                    event_id: end.event_id.clone(),
                    occurred_at: Some(ts(oslo(11, 19, 15, 0))),
                },
            )),
        })
        .await
        .unwrap();
    list(&app, &e.employee_id).await;
    app.clock.set(oslo(11, 20, 7, 0));
    assert_eq!(send_due(&app).await, 1);
    let sent = mails_to(&app, "e1@example.no");
    assert!(sent[0].text.contains("uten pause"), "{}", sent[0].text);
    assert!(
        !sent[0].text.contains("10 t") && !sent[0].text.contains("11 t"),
        "the long day was not told: {}",
        sent[0].text
    );
    let ns = list(&app, &e.employee_id).await;
    let long = ns.iter().find(|n| n.category == "long_day").unwrap();
    assert_eq!(
        long.message_status,
        pb::MessageStatus::Cancelled as i32,
        "shown as not said"
    );
    assert!(long.sent_at.is_none());
    let breaks = ns.iter().find(|n| n.category == "breaks").unwrap();
    assert_eq!(breaks.message_status, pb::MessageStatus::Sent as i32);

    // A real long day the same week is still told.
    app.clock.set(oslo(11, 20, 18, 0));
    long_day(&app, &e.employee_id, 11, 20).await;
    list(&app, &e.employee_id).await;
    assert_eq!(send_due(&app).await, 1);
    assert_eq!(mails_to(&app, "e1@example.no").len(), 2);
}

async fn another_organisations_people_are_not_found(app: TestApp) {
    let manager = app.create_employee("M1").await;
    let e = app
        .create_employee_managed_by("E1", &manager.employee_id)
        .await;
    let (_, other_admin) = tidsvakt::bootstrap::create_organisation(
        app.store.as_ref(),
        "other",
        tidsvakt::clock::Clock::now(app.clock.as_ref()),
    )
    .await
    .unwrap();
    let mut theirs = nudges(&app, &other_admin);
    assert_error(
        theirs
            .list_nudges(pb::ListNudgesRequest {
                employee_id: e.employee_id.clone(),
                page: None,
            })
            .await,
        Code::NotFound,
        "employee_id",
    );
    assert_error(
        theirs
            .get_nudge_settings(pb::GetNudgeSettingsRequest {
                employee_id: e.employee_id.clone(),
            })
            .await,
        Code::NotFound,
        "employee_id",
    );
    assert_error(
        theirs
            .preview_digest(pb::PreviewDigestRequest {
                manager_employee_id: manager.employee_id.clone(),
                week: Some(pb::LocalDate {
                    year: 2026,
                    month: 11,
                    day: 9,
                }),
            })
            .await,
        Code::NotFound,
        "manager_employee_id",
    );
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &e.employee_id, 23).await;
    list(&app, &e.employee_id).await;
    app.mailbox.set_mode(crate::smtp::Mode::Permanent);
    app.jobs.run_outbox_once().await.unwrap();
    let ours = nudges(&app, &app.admin_token)
        .list_dead_messages(pb::ListDeadMessagesRequest { page: None })
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(ours.len(), 1);
    assert!(
        theirs
            .list_dead_messages(pb::ListDeadMessagesRequest { page: None })
            .await
            .unwrap()
            .into_inner()
            .messages
            .is_empty()
    );
    assert_error(
        theirs
            .retry_dead_message(pb::RetryDeadMessageRequest {
                message_id: ours[0].message_id.clone(),
            })
            .await,
        Code::NotFound,
        "message_id",
    );
}

async fn the_cli_lists_mutes_and_previews(app: TestApp) {
    use tidsvakt::cli::client::Connection;
    use tidsvakt::cli::nudges::{NudgeAction, nudges_text};
    let manager = app.create_employee("M1").await;
    let e = app
        .create_employee_managed_by("E1", &manager.employee_id)
        .await;
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &e.employee_id, 23).await;
    let conn = |token: String| Connection {
        addr: app.addr.clone(),
        token: Some(token),
        token_file: "none".into(),
    };
    let admin = conn(app.admin_token.clone());
    let listed = nudges_text(
        &admin,
        NudgeAction::List {
            employee: e.employee_id.clone(),
        },
    )
    .await
    .unwrap();
    assert!(
        listed.contains("no.breaks") && listed.contains("employee") && listed.contains("manager"),
        "{listed}"
    );
    let own = conn(app.token(pb::Role::Employee, Some(&e.employee_id)).await);
    let muted = nudges_text(
        &own,
        NudgeAction::Mute {
            employee: e.employee_id.clone(),
            category: "evening".into(),
        },
    )
    .await
    .unwrap();
    assert!(
        muted
            .lines()
            .any(|l| l.starts_with("evening") && l.ends_with("muted")),
        "{muted}"
    );
    assert!(
        muted
            .lines()
            .any(|l| l.starts_with("rest") && l.contains("legal")),
        "{muted}"
    );
    let refused = nudges_text(
        &own,
        NudgeAction::Mute {
            employee: e.employee_id.clone(),
            category: "rest".into(),
        },
    )
    .await;
    assert!(format!("{:#}", refused.unwrap_err()).contains("legal"));
    let preview = nudges_text(
        &admin,
        NudgeAction::Digest {
            manager: manager.employee_id.clone(),
            week: chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
            html: false,
        },
    )
    .await
    .unwrap();
    assert!(
        preview.starts_with("Subject: ") && preview.contains("Employee E1"),
        "{preview}"
    );
    assert_eq!(
        nudges_text(&admin, NudgeAction::Dead).await.unwrap(),
        "no dead messages\n"
    );
}

async fn a_manager_reads_what_was_seen_in_their_own_language(app: TestApp) {
    let manager = app
        .admin()
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "M1".into(),
            name: "Manager M1".into(),
            email: "m1@example.no".into(),
            locale: pb::Locale::En as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    let e = app
        .create_employee_managed_by("E1", &manager.employee_id)
        .await;
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &e.employee_id, 23).await;
    list(&app, &e.employee_id).await;
    assert_eq!(send_due(&app).await, 1);
    let to_employee = &mails_to(&app, "e1@example.no")[0];
    assert!(
        to_employee
            .text
            .contains("arbeid uten pause fra man. 23. nov. 2026 08:00"),
        "{}",
        to_employee.text
    );
    app.clock.set(oslo(11, 24, 7, 0));
    assert_eq!(send_due(&app).await, 1);
    let to_manager = &mails_to(&app, "m1@example.no")[0];
    assert_eq!(to_manager.language.as_deref(), Some("en"));
    assert!(
        to_manager
            .text
            .contains("6 h 30 min worked with no break from Mon 23 Nov 2026 08:00"),
        "{}",
        to_manager.text
    );
    assert!(!to_manager.text.contains("uten pause"));
}

crate::both_backends!(
    a_manager_reads_what_was_seen_in_their_own_language,
    the_cli_lists_mutes_and_previews,
    a_partly_resolved_nudge_is_sent_without_the_resolved_part,
    another_organisations_people_are_not_found,
    a_nudge_whose_finding_was_corrected_away_is_cancelled_and_frees_the_week,
    the_employee_hears_first_and_quiet_hours_wait_for_the_morning,
    one_nudge_per_category_per_person_per_iso_week,
    muting_silences_an_optional_category_and_never_a_legal_one,
    a_managers_alerts_are_batched_per_day,
    list_nudges_is_for_the_employee_their_manager_and_admins,
    mute_rejects_bad_input_and_other_peoples_tokens,
);

/// The public base URL the link tests give their jobs.
pub const BASE: &str = "https://tid.example.com";

/// Jobs of a replica whose emails carry links (the test app's own have no
/// public URL).
pub async fn jobs_with_links(app: &TestApp) -> std::sync::Arc<tidsvakt::jobs::Jobs> {
    app.replica_jobs_with(tidsvakt::jobs::JobSettings {
        app_url: Some(BASE.to_owned()),
        ..tidsvakt::jobs::JobSettings::default()
    })
    .await
}

/// No internal rule id (`no.daily_rest`, `pol.night`) in any part.
pub fn assert_no_rule_ids(m: &ParsedMail) {
    for part in [&m.subject, &m.text, &m.html] {
        let ids: Vec<&str> = part
            .split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .filter(|w| tidsvakt::mail::copy::is_rule_id(w))
            .collect();
        assert!(ids.is_empty(), "rule ids {ids:?} in {part}");
        assert!(!part.contains("Tidsvakt policy"), "{part}");
    }
}

fn finding_of(ns: &[pb::Nudge], category: &str) -> String {
    ns.iter()
        .find(|n| n.category == category)
        .unwrap_or_else(|| panic!("no {category} nudge in {ns:?}"))
        .finding_id
        .clone()
}

async fn every_email_links_to_where_the_reader_can_act(app: TestApp) {
    let manager = app.create_employee("M1").await;
    let e = app
        .create_employee_managed_by("E1", &manager.employee_id)
        .await;
    // Thu 19 November 21:00: Tuesday's evening into the night, and too
    // short a rest before Wednesday (rest at Wed 09:00), told Friday 07:00.
    short_rest(&app, &e.employee_id).await;
    let ns = list(&app, &e.employee_id).await;
    let jobs = jobs_with_links(&app).await;
    app.clock.set(oslo(11, 20, 7, 0));
    // One email, however many messages the decisions made.
    assert!(jobs.run_outbox_once().await.unwrap().sent >= 1);
    assert_eq!(mails_to(&app, "e1@example.no").len(), 1);
    let m = &mails_to(&app, "e1@example.no")[0];
    let rest = finding_of(&ns, "rest");
    let to_finding = format!("{BASE}/time/2026-11-18#finding-{rest}");
    for link in [
        to_finding.as_str(),
        &format!("{BASE}/messages#mute-night"),
        &format!("{BASE}/messages"),
    ] {
        assert!(m.text.contains(link), "text lacks {link}: {}", m.text);
        assert!(
            m.html.contains(&format!("href=\"{link}\"")),
            "html lacks {link}"
        );
    }
    assert!(
        !m.text.contains("#mute-rest"),
        "a legal category has no mute link: {}",
        m.text
    );
    assert_no_rule_ids(m);
    assert!(
        m.text.contains("Kilde: arbeidsmiljøloven § 10-8 (1)"),
        "{}",
        m.text
    );

    app.clock.set(oslo(11, 21, 7, 0));
    assert!(jobs.run_outbox_once().await.unwrap().sent >= 1);
    assert_eq!(mails_to(&app, "m1@example.no").len(), 1);
    let to_manager = &mails_to(&app, "m1@example.no")[0];
    let theirs = format!(
        "{BASE}/people/{}/time/2026-11-18#finding-{rest}",
        e.employee_id
    );
    for link in [theirs, format!("{BASE}/team")] {
        assert!(to_manager.text.contains(&link), "{}", to_manager.text);
        assert!(to_manager.html.contains(&format!("href=\"{link}\"")));
    }
    assert_no_rule_ids(to_manager);
    assert!(to_manager.text.starts_with("Hei Employee,"));
    // The work was on Wednesday; the batch is Friday's, sent on Saturday.
    assert!(
        to_manager
            .subject
            .starts_with("Arbeidstid onsdag 18. november:"),
        "{}",
        to_manager.subject
    );

    // Without --public-url, the server's own web address is the base.
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &e.employee_id, 23).await;
    list(&app, &e.employee_id).await;
    assert_eq!(send_due(&app).await, 1);
    let plain = mails_to(&app, "e1@example.no").pop().unwrap();
    assert!(
        plain
            .text
            .contains(&format!("{}/time/2026-11-23#finding-", app.web_url)),
        "{}",
        plain.text
    );
}

async fn the_same_hours_are_told_once_and_the_law_first(app: TestApp) {
    let e = app.create_employee("E1").await;
    // Thu 19 November 21:00 (quiet): a long day on Monday; then Tuesday's
    // evening, night and short rest; then Thursday's missing break.
    long_day(&app, &e.employee_id, 11, 16).await;
    short_rest(&app, &e.employee_id).await;
    no_break(&app, &e.employee_id, 19).await;
    let ns = list(&app, &e.employee_id).await;
    let mut told = categories(&ns, pb::NudgeAudience::Employee);
    told.dedup();
    assert_eq!(told, ["breaks", "core_hours", "long_day", "night", "rest"]);
    app.clock.set(oslo(11, 20, 7, 0));
    send_due(&app).await;
    let m = &mails_to(&app, "e1@example.no")[0];
    let t = &m.text;
    assert_eq!(
        t.matches("\n## ").count(),
        3,
        "five findings, three items: {t}"
    );
    let rest = t.find("## For kort hvile").expect("the rest item");
    let breaks = t.find("## Arbeid uten pause").expect("the break item");
    let long = t.find("## Lange arbeidsdager").expect("the long day");
    assert!(
        rest < breaks && breaks < long,
        "violations first, by day: {t}"
    );
    // Tuesday's hours once, listing all that was seen in them.
    assert!(
        t.contains("tirsdag 17. november 13:00 – onsdag 18. november 16:30"),
        "{t}"
    );
    let tuesday = &t[rest..breaks];
    for seen in [
        "- For kort hvile: ",
        "- Arbeid om natten: ",
        "- Utenfor kjernetiden: ",
    ] {
        assert!(tuesday.contains(seen), "{seen} in {tuesday}");
    }
    assert!(!t[breaks..].contains("Arbeid om natten"), "{t}");
    assert_eq!(
        m.subject,
        "Om arbeidstiden din: For kort hvile og 2 ting til"
    );
    assert_no_rule_ids(m);
}

async fn nudges_due_together_leave_as_one_email(app: TestApp) {
    let e = app.create_employee("E1").await;
    // Thu 19 November 21:00 (quiet): two decisions, two stored messages,
    // both due at 07:00.
    long_day(&app, &e.employee_id, 11, 16).await;
    list(&app, &e.employee_id).await;
    no_break(&app, &e.employee_id, 19).await;
    let ns = list(&app, &e.employee_id).await;
    assert_eq!(ns.len(), 2);
    app.clock.set(oslo(11, 20, 7, 0));
    assert_eq!(send_due(&app).await, 2, "both messages are sent…");
    let sent = mails_to(&app, "e1@example.no");
    assert_eq!(sent.len(), 1, "…in one email");
    assert!(
        sent[0].text.find("## Arbeid uten pause").unwrap()
            < sent[0].text.find("## Lange arbeidsdager").unwrap(),
        "the law first, though the long day was decided first: {}",
        sent[0].text
    );
    let ns = list(&app, &e.employee_id).await;
    assert!(ns.iter().all(
        |n| n.message_status == pb::MessageStatus::Sent as i32 && n.subject == sent[0].subject
    ));
    assert_eq!(send_due(&app).await, 0);
}

async fn a_managers_alerts_due_together_are_one_email_dated_by_the_work(app: TestApp) {
    let manager = app.create_employee("M1").await;
    let a = app
        .create_employee_managed_by("A1", &manager.employee_id)
        .await;
    // Monday's and Tuesday's breaks: two batches, due Tuesday and
    // Wednesday 07:00. The outbox does not run until Wednesday.
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &a.employee_id, 23).await;
    list(&app, &a.employee_id).await;
    app.clock.set(oslo(11, 24, 15, 0));
    no_break(&app, &a.employee_id, 24).await;
    list(&app, &a.employee_id).await;
    app.clock.set(oslo(11, 25, 7, 0));
    send_due(&app).await;
    let sent = mails_to(&app, "m1@example.no");
    assert_eq!(
        sent.len(),
        1,
        "{:?}",
        sent.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let m = &sent[0];
    assert!(
        m.subject
            .starts_with("Arbeidstid 23.–24. november: 2 brudd"),
        "{}",
        m.subject
    );
    assert_eq!(
        m.text.matches("* Arbeid uten pause").count(),
        2,
        "{}",
        m.text
    );
    assert_eq!(send_due(&app).await, 0);
}

async fn one_evening_at_home_is_one_item_not_four(app: TestApp) {
    let e = app.create_employee("E1").await;
    // Thu 19 November 21:00 (quiet). Three late days at home, no
    // home-office agreement; Tuesday runs into the night and leaves too
    // short a rest before Wednesday.
    let days = [
        (16, (13, 0), (19, 30), (15, 0)),
        (17, (13, 0), (22, 30), (17, 0)),
        (18, (9, 0), (19, 0), (12, 0)),
    ];
    let mut clock = app.clock_client(&app.admin_token);
    for (d, (h0, m0), (h1, m1), (bh, bm)) in days {
        let at_home = |kind, t| pb::ClockEvent {
            location: pb::Location::Home as i32,
            ..event(&e.employee_id, kind, t)
        };
        for ev in [
            at_home(ClockIn, oslo(11, d, h0, m0)),
            at_home(BreakStart, oslo(11, d, bh, bm)),
            at_home(BreakEnd, oslo(11, d, bh, bm + 30)),
            at_home(ClockOut, oslo(11, d, h1, m1)),
        ] {
            clock
                .record_event(pb::RecordEventRequest { event: Some(ev) })
                .await
                .unwrap();
        }
    }
    let ns = list(&app, &e.employee_id).await;
    let told = categories(&ns, pb::NudgeAudience::Employee);
    for c in ["evening", "home_office", "night", "rest"] {
        assert!(told.contains(&c.to_string()), "{c} in {told:?}");
    }
    app.clock.set(oslo(11, 20, 7, 0));
    send_due(&app).await;
    let m = &mails_to(&app, "e1@example.no")[0];
    let t = &m.text;
    assert_eq!(t.matches("\n## ").count(), 1, "one item: {t}");
    // Monday's long evening also missed its extra break: a violation too,
    // and the earlier one, so it heads the item.
    let lines: Vec<&str> = t.lines().map(str::trim_end).collect();
    let head = lines.iter().position(|l| *l == "## Arbeid uten pause");
    assert_eq!(head.map(|k| lines[k + 1]), Some("16.–18. november"), "{t}");
    for seen in [
        "- Arbeid uten pause: ",
        "- For kort hvile: ",
        "- Arbeid om natten: ",
        "- Arbeid om kvelden: ",
        "- Hjemmekontor utenfor avtalen: ",
    ] {
        assert!(t.contains(seen), "{seen} in {t}");
    }
    assert_eq!(m.subject, "Om arbeidstiden din: Arbeid uten pause");
    assert_no_rule_ids(m);
}

async fn a_claim_of_one_takes_all_that_is_due_to_its_recipient(app: TestApp) {
    let e = app.create_employee("E1").await;
    let o = app.create_employee("O1").await;
    // Thu 19 November 21:00 (quiet): two messages to E1, one to O1.
    long_day(&app, &e.employee_id, 11, 16).await;
    list(&app, &e.employee_id).await;
    no_break(&app, &e.employee_id, 19).await;
    list(&app, &e.employee_id).await;
    no_break(&app, &o.employee_id, 19).await;
    list(&app, &o.employee_id).await;
    let one = app
        .replica_jobs_with(tidsvakt::jobs::JobSettings {
            batch: 1,
            ..tidsvakt::jobs::JobSettings::default()
        })
        .await;
    app.clock.set(oslo(11, 20, 7, 0));
    let first = one.run_outbox_once().await.unwrap();
    let second = one.run_outbox_once().await.unwrap();
    assert_eq!(
        (
            first.sent + second.sent,
            one.run_outbox_once().await.unwrap().sent
        ),
        (3, 0)
    );
    assert_eq!(
        mails_to(&app, "e1@example.no").len(),
        1,
        "E1's two messages, one email"
    );
    assert_eq!(mails_to(&app, "o1@example.no").len(), 1);
}

async fn merged_messages_are_retried_together(app: TestApp) {
    let e = app.create_employee("E1").await;
    long_day(&app, &e.employee_id, 11, 16).await;
    list(&app, &e.employee_id).await;
    no_break(&app, &e.employee_id, 19).await;
    list(&app, &e.employee_id).await;
    app.clock.set(oslo(11, 20, 7, 0));
    app.mailbox.set_mode(crate::smtp::Mode::Transient);
    assert_eq!(app.jobs.run_outbox_once().await.unwrap().retrying, 2);
    app.mailbox.set_mode(crate::smtp::Mode::Accept);
    let ns = list(&app, &e.employee_id).await;
    let again: Vec<_> = ns.iter().map(|n| n.send_after.unwrap()).collect();
    assert_eq!(again.len(), 2);
    assert_eq!(
        again[0], again[1],
        "one retry time for both, jitter and all"
    );
    let at =
        chrono::DateTime::from_timestamp(again[0].seconds, again[0].nanos.cast_unsigned()).unwrap();
    app.clock.set(at);
    assert_eq!(send_due(&app).await, 2, "both due again, at the same time");
    assert_eq!(
        mails_to(&app, "e1@example.no").len(),
        1,
        "and still one email"
    );
}

crate::both_backends!(
    merged_messages_are_retried_together,
    a_claim_of_one_takes_all_that_is_due_to_its_recipient,
    one_evening_at_home_is_one_item_not_four,
    every_email_links_to_where_the_reader_can_act,
    the_same_hours_are_told_once_and_the_law_first,
    nudges_due_together_leave_as_one_email,
    a_managers_alerts_due_together_are_one_email_dated_by_the_work,
);
