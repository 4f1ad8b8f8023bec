//! The transactional outbox on both back-ends: nothing is lost while SMTP is
//! down and each message arrives once when it is back; a rejected message is
//! dead until an admin retries it; two replicas never send one message
//! twice; the forgotten clock-out reminder, and its cancellation.

use std::sync::Arc;

use tidsvakt::pb;
use tonic::Code;

use crate::helpers::*;
use crate::nudges::{list, mails_to, no_break, nudges, oslo, send_due};

use pb::EventKind::{ClockIn, ClockOut};

async fn nothing_is_lost_while_smtp_is_down_and_each_message_arrives_once(app: TestApp) {
    let a = app.create_employee("A1").await;
    let b = app.create_employee("B1").await;
    app.clock.set(oslo(11, 23, 15, 0));
    app.mailbox.stop().await;
    no_break(&app, &a.employee_id, 23).await;
    no_break(&app, &b.employee_id, 23).await;
    list(&app, &a.employee_id).await;
    list(&app, &b.employee_id).await;

    let round = app.jobs.run_outbox_once().await.unwrap();
    assert_eq!(
        (round.sent, round.retrying, round.dead),
        (0, 2, 0),
        "both failed, both kept"
    );
    let pending = list(&app, &a.employee_id).await;
    assert_eq!(pending[0].message_status, pb::MessageStatus::Pending as i32);
    // Still down a minute later: a second attempt, still kept.
    app.clock.set(oslo(11, 23, 15, 1));
    assert_eq!(app.jobs.run_outbox_once().await.unwrap().retrying, 2);

    app.mailbox.restart().await;
    assert_eq!(send_due(&app).await, 0, "backing off: not yet due again");
    app.clock.set(oslo(11, 23, 15, 10));
    assert_eq!(send_due(&app).await, 2);
    assert_eq!(send_due(&app).await, 0);
    app.clock.set(oslo(11, 23, 17, 0));
    assert_eq!(send_due(&app).await, 0);
    assert_eq!(mails_to(&app, "a1@example.no").len(), 1);
    assert_eq!(mails_to(&app, "b1@example.no").len(), 1);
    assert_eq!(app.mailbox.messages().len(), 2);
}

async fn a_rejected_message_is_dead_until_an_admin_retries_it(app: TestApp) {
    let a = app.create_employee("A1").await;
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &a.employee_id, 23).await;
    list(&app, &a.employee_id).await;
    app.mailbox.set_mode(crate::smtp::Mode::Permanent);
    let round = app.jobs.run_outbox_once().await.unwrap();
    assert_eq!((round.sent, round.dead), (0, 1), "a 5xx answer is final");

    let mut admin = nudges(&app, &app.admin_token);
    let dead = admin
        .list_dead_messages(pb::ListDeadMessagesRequest { page: None })
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(dead.len(), 1);
    let m = &dead[0];
    assert_eq!(m.status, pb::MessageStatus::Dead as i32);
    assert_eq!(m.kind, pb::MessageKind::Nudge as i32);
    assert_eq!(m.attempts, 1);
    assert_eq!(m.recipient_employee_id, a.employee_id);
    assert!(!m.last_error.is_empty());
    assert!(
        !m.last_error.contains("a1@example.no"),
        "no addresses in errors shown to admins"
    );

    app.mailbox.set_mode(crate::smtp::Mode::Accept);
    app.clock.set(oslo(11, 23, 16, 0));
    assert_eq!(send_due(&app).await, 0, "dead stays dead");
    let retried = admin
        .retry_dead_message(pb::RetryDeadMessageRequest {
            message_id: m.message_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried.status, pb::MessageStatus::Pending as i32);
    assert_eq!(retried.attempts, 0);
    assert_eq!(send_due(&app).await, 1);
    assert_eq!(mails_to(&app, "a1@example.no").len(), 1);
    assert!(
        admin
            .list_dead_messages(pb::ListDeadMessagesRequest { page: None })
            .await
            .unwrap()
            .into_inner()
            .messages
            .is_empty()
    );

    // Bad input and access.
    let req = |id: &str| pb::RetryDeadMessageRequest {
        message_id: id.into(),
    };
    assert_error(
        admin.retry_dead_message(req(&m.message_id)).await,
        Code::FailedPrecondition,
        "SENT",
    );
    assert_error(
        admin.retry_dead_message(req("nope")).await,
        Code::InvalidArgument,
        "message_id",
    );
    assert_error(
        admin
            .retry_dead_message(req(&uuid::Uuid::new_v4().to_string()))
            .await,
        Code::NotFound,
        "message_id",
    );
    let own = app.token(pb::Role::Employee, Some(&a.employee_id)).await;
    assert_error(
        nudges(&app, &own)
            .retry_dead_message(req(&m.message_id))
            .await,
        Code::PermissionDenied,
        "ADMIN",
    );
    assert_error(
        nudges(&app, &own)
            .list_dead_messages(pb::ListDeadMessagesRequest { page: None })
            .await,
        Code::PermissionDenied,
        "ADMIN",
    );
    assert_error(
        admin
            .list_dead_messages(pb::ListDeadMessagesRequest {
                page: Some(pb::PageRequest {
                    page_size: -1,
                    page_token: String::new(),
                }),
            })
            .await,
        Code::InvalidArgument,
        "page.page_size",
    );
}

async fn a_transient_rejection_is_retried(app: TestApp) {
    let a = app.create_employee("A1").await;
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &a.employee_id, 23).await;
    list(&app, &a.employee_id).await;
    app.mailbox.set_mode(crate::smtp::Mode::Transient);
    assert_eq!(
        app.jobs.run_outbox_once().await.unwrap().retrying,
        1,
        "4xx: try again later"
    );
    app.mailbox.set_mode(crate::smtp::Mode::Accept);
    app.clock.set(oslo(11, 23, 15, 5));
    assert_eq!(send_due(&app).await, 1);
    assert_eq!(mails_to(&app, "a1@example.no").len(), 1);
}

async fn two_replicas_never_send_one_message_twice(app: TestApp) {
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(app.create_employee(&format!("R{i}")).await.employee_id);
    }
    app.clock.set(oslo(11, 23, 15, 0));
    for id in &ids {
        no_break(&app, id, 23).await;
        list(&app, id).await;
    }
    // One message per claim, so the two replicas interleave claim by claim.
    let one = || tidsvakt::jobs::JobSettings {
        batch: 1,
        ..tidsvakt::jobs::JobSettings::default()
    };
    let first: Arc<tidsvakt::jobs::Jobs> = app.replica_jobs_with(one()).await;
    let other: Arc<tidsvakt::jobs::Jobs> = app.replica_jobs_with(one()).await;
    let (x, y) = tokio::join!(first.drain_outbox(20), other.drain_outbox(20));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.sent + y.sent, 6, "every message once: {x:?} {y:?}");
    assert_eq!(app.mailbox.messages().len(), 6);
    for i in 0..6 {
        assert_eq!(mails_to(&app, &format!("r{i}@example.no")).len(), 1);
    }
}

async fn a_forgotten_clock_out_gets_one_reminder_with_a_suggested_end(app: TestApp) {
    let e = app.create_employee("E1").await;
    // Wednesday: scheduled 08:00–16:00.
    app.clock.set(oslo(11, 25, 8, 0));
    let clock_in = event(&e.employee_id, ClockIn, oslo(11, 25, 8, 0));
    app.clock_client(&app.admin_token)
        .record_event(pb::RecordEventRequest {
            event: Some(clock_in.clone()),
        })
        .await
        .unwrap();
    app.clock.set(oslo(11, 25, 16, 59));
    assert_eq!(
        app.jobs.sweep_once().await.unwrap().reminders,
        0,
        "not before an hour after the scheduled end"
    );
    app.clock.set(oslo(11, 25, 17, 0));
    assert_eq!(app.jobs.sweep_once().await.unwrap().reminders, 1);
    assert_eq!(
        app.jobs.sweep_once().await.unwrap().reminders,
        0,
        "one reminder per interval"
    );
    assert_eq!(send_due(&app).await, 1);
    let m = &mails_to(&app, "e1@example.no")[0];
    assert!(
        m.text.contains("16:00"),
        "suggests the scheduled end: {}",
        m.text
    );
    assert!(m.text.contains("08:00"), "says when the interval began");
    assert!(m.html.contains("16:00"));
    // The service never closes the interval itself.
    let status = app
        .clock_client(&app.admin_token)
        .get_clock_status(pb::GetClockStatusRequest {
            employee_id: e.employee_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status.status.unwrap().state, pb::ClockState::Working as i32);
    let reminder = list(&app, &e.employee_id)
        .await
        .into_iter()
        .find(|n| n.message_kind == pb::MessageKind::Reminder as i32)
        .unwrap();
    assert_eq!(reminder.category, "record");
    assert_eq!(reminder.message_status, pb::MessageStatus::Sent as i32);

    // 14 h open: the sweep brings the missing clock-out finding, and its nudge.
    app.clock.set(oslo(11, 25, 22, 0));
    app.jobs.sweep_once().await.unwrap();
    let ns = list(&app, &e.employee_id).await;
    assert!(
        ns.iter().any(|n| n.rule_id == "pol.missing_clock_out"
            && n.message_kind == pb::MessageKind::Nudge as i32),
        "{ns:?}"
    );
}

async fn a_reminder_whose_interval_was_closed_is_cancelled(app: TestApp) {
    let e = app.create_employee("E1").await;
    // Saturday (no schedule): a working day from the clock-in, 13:00 + 8 h,
    // so the reminder is due at 22:00, in quiet hours, and waits.
    app.clock.set(oslo(11, 28, 13, 0));
    app.clock_client(&app.admin_token)
        .record_event(pb::RecordEventRequest {
            event: Some(event(&e.employee_id, ClockIn, oslo(11, 28, 13, 0))),
        })
        .await
        .unwrap();
    app.clock.set(oslo(11, 28, 22, 0));
    assert_eq!(app.jobs.sweep_once().await.unwrap().reminders, 1);
    assert_eq!(send_due(&app).await, 0, "held for the morning");
    app.clock_client(&app.admin_token)
        .record_event(pb::RecordEventRequest {
            event: Some(event(&e.employee_id, ClockOut, oslo(11, 28, 21, 30))),
        })
        .await
        .unwrap();
    app.clock.set(oslo(11, 29, 7, 0));
    let round = app.jobs.run_outbox_once().await.unwrap();
    assert_eq!(round.cancelled, 1, "{round:?}");
    let reminder = list(&app, &e.employee_id)
        .await
        .into_iter()
        .find(|n| n.message_kind == pb::MessageKind::Reminder as i32)
        .unwrap();
    assert_eq!(reminder.message_status, pb::MessageStatus::Cancelled as i32);
    assert!(reminder.sent_at.is_none());
}

async fn quiet_hours_hold_a_retry_and_an_admins_retry_until_the_morning(app: TestApp) {
    let a = app.create_employee("A1").await;
    app.clock.set(oslo(11, 23, 19, 59));
    no_break(&app, &a.employee_id, 23).await;
    list(&app, &a.employee_id).await;
    app.mailbox.stop().await;
    assert_eq!(
        app.jobs.run_outbox_once().await.unwrap().retrying,
        1,
        "19:59: tried, SMTP down"
    );
    app.mailbox.restart().await;
    // The retry falls due at 20:00 or later: held, without using an attempt.
    app.clock.set(oslo(11, 23, 20, 1));
    let round = app.jobs.run_outbox_once().await.unwrap();
    assert_eq!((round.sent, round.deferred), (0, 1), "{round:?}");
    assert_eq!(send_due(&app).await, 0, "held until 07:00");
    app.clock.set(oslo(11, 24, 7, 0));
    assert_eq!(send_due(&app).await, 1);
    assert_eq!(mails_to(&app, "a1@example.no").len(), 1);

    // A dead message retried by an admin at 22:00 waits for the morning too.
    let b = app.create_employee("B1").await;
    app.clock.set(oslo(11, 24, 15, 0));
    no_break(&app, &b.employee_id, 24).await;
    list(&app, &b.employee_id).await;
    app.mailbox.set_mode(crate::smtp::Mode::Permanent);
    assert_eq!(app.jobs.run_outbox_once().await.unwrap().dead, 1);
    app.mailbox.set_mode(crate::smtp::Mode::Accept);
    app.clock.set(oslo(11, 24, 22, 0));
    let mut admin = nudges(&app, &app.admin_token);
    let dead = admin
        .list_dead_messages(pb::ListDeadMessagesRequest { page: None })
        .await
        .unwrap()
        .into_inner()
        .messages;
    admin
        .retry_dead_message(pb::RetryDeadMessageRequest {
            message_id: dead[0].message_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(send_due(&app).await, 0, "22:00 is quiet");
    app.clock.set(oslo(11, 25, 7, 0));
    assert_eq!(send_due(&app).await, 1);
    assert_eq!(mails_to(&app, "b1@example.no").len(), 1);
}

async fn a_claim_is_a_lease_that_only_its_holder_may_use(app: TestApp) {
    use tidsvakt::storage::outbox::{OutboxStore as _, Outcome};
    let a = app.create_employee("A1").await;
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &a.employee_id, 23).await;
    list(&app, &a.employee_id).await;
    let now = oslo(11, 23, 15, 0);
    let lease = chrono::Duration::minutes(5);
    let first = app
        .store
        .claim_due(now, now + lease, "worker-a", 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1, "a claim is an attempt");
    assert!(
        app.store
            .claim_due(now, now + lease, "worker-b", 10)
            .await
            .unwrap()
            .is_empty(),
        "held by A"
    );
    // A's lease runs out: B takes the message over.
    let later = now + lease + chrono::Duration::seconds(1);
    let second = app
        .store
        .claim_due(later, later + lease, "worker-b", 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempts, 2);
    let (org, id) = (first[0].org, first[0].id);
    assert!(
        !app.store
            .renew_lease(org, id, "worker-a", later, later + lease)
            .await
            .unwrap(),
        "A may not send now"
    );
    let sent = Outcome::Sent {
        subject: "s".into(),
        omitted: Vec::new(),
    };
    assert!(
        !app.store
            .finish(org, id, "worker-a", sent.clone(), later)
            .await
            .unwrap(),
        "nor record an outcome"
    );
    assert!(
        app.store
            .renew_lease(org, id, "worker-b", later, later + lease)
            .await
            .unwrap()
    );
    assert!(
        app.store
            .finish(org, id, "worker-b", sent, later)
            .await
            .unwrap()
    );
    assert!(
        app.store
            .claim_due(later + lease * 2, later + lease * 3, "worker-c", 10)
            .await
            .unwrap()
            .is_empty(),
        "sent is final"
    );
}

async fn a_reminder_links_to_the_day_to_correct(app: TestApp) {
    let e = app.create_employee("E1").await;
    app.clock.set(oslo(11, 25, 8, 0));
    app.clock_client(&app.admin_token)
        .record_event(pb::RecordEventRequest {
            event: Some(event(&e.employee_id, ClockIn, oslo(11, 25, 8, 0))),
        })
        .await
        .unwrap();
    let jobs = crate::nudges::jobs_with_links(&app).await;
    app.clock.set(oslo(11, 25, 17, 0));
    assert_eq!(jobs.sweep_once().await.unwrap().reminders, 1);
    assert_eq!(jobs.run_outbox_once().await.unwrap().sent, 1);
    let m = &mails_to(&app, "e1@example.no")[0];
    let day = format!("{}/time/2026-11-25", crate::nudges::BASE);
    assert!(m.text.contains(&day), "{}", m.text);
    assert!(m.html.contains(&format!("href=\"{day}\"")));
    assert!(m.text.starts_with("Hei Employee,"), "{}", m.text);
    assert!(
        m.text
            .contains("siden onsdag 25. november kl. 08:00, altså i 9 timer"),
        "{}",
        m.text
    );
    assert!(
        m.subject.ends_with("siden onsdag 25. november kl. 08:00"),
        "{}",
        m.subject
    );
}

crate::both_backends!(
    a_reminder_links_to_the_day_to_correct,
    quiet_hours_hold_a_retry_and_an_admins_retry_until_the_morning,
    a_claim_is_a_lease_that_only_its_holder_may_use,
    nothing_is_lost_while_smtp_is_down_and_each_message_arrives_once,
    a_rejected_message_is_dead_until_an_admin_retries_it,
    a_transient_rejection_is_retried,
    two_replicas_never_send_one_message_twice,
    a_forgotten_clock_out_gets_one_reminder_with_a_suggested_end,
    a_reminder_whose_interval_was_closed_is_cancelled,
);
