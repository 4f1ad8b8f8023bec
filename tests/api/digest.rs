//! The weekly digest on both back-ends: due Monday 07:00 in the manager's
//! own time zone, queued exactly once per manager per week across replicas,
//! sent late after a missed Monday, with the figures a manager needs, and
//! previewed for any past week exactly as it is sent.

use tidsvakt::pb;
use tonic::Code;

use crate::helpers::*;
use crate::nudges::{
    BASE, assert_no_rule_ids, jobs_with_links, list, mails_to, nudges, oslo, post_work, send_due,
};

async fn manager_in_english(app: &TestApp) -> pb::Employee {
    app.admin()
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
        .unwrap()
}

/// Week 47 (16–22 November 2026): A works the schedule, 5 × 7 h 30 min;
/// B two long days and a Saturday morning, 22 h.
async fn week_47(app: &TestApp) -> (pb::Employee, pb::Employee, pb::Employee) {
    let m = manager_in_english(app).await;
    let a = app.create_employee_managed_by("A1", &m.employee_id).await;
    let b = app.create_employee_managed_by("B1", &m.employee_id).await;
    app.clock.set(oslo(11, 22, 12, 0));
    for d in 16..=20 {
        post_work(
            app,
            &a.employee_id,
            oslo(11, d, 8, 0),
            oslo(11, d, 16, 0),
            &[(oslo(11, d, 11, 30), oslo(11, d, 12, 0))],
        )
        .await;
    }
    for d in 16..=17 {
        post_work(
            app,
            &b.employee_id,
            oslo(11, d, 8, 0),
            oslo(11, d, 18, 0),
            &[(oslo(11, d, 11, 30), oslo(11, d, 12, 0))],
        )
        .await;
    }
    post_work(
        app,
        &b.employee_id,
        oslo(11, 21, 10, 0),
        oslo(11, 21, 13, 0),
        &[],
    )
    .await;
    // The week's own nudges (B's Saturday) go out on Sunday, before the digest.
    list(app, &a.employee_id).await;
    list(app, &b.employee_id).await;
    send_due(app).await;
    (m, a, b)
}

fn normalise(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end().to_string()
}

async fn the_digest_is_due_monday_morning_and_sent_exactly_once(app: TestApp) {
    let (m, a, b) = week_47(&app).await;
    app.clock.set(oslo(11, 23, 6, 59));
    assert_eq!(
        app.jobs.schedule_digests_once().await.unwrap(),
        0,
        "not before 07:00 in the manager's zone"
    );
    app.clock.set(oslo(11, 23, 7, 0));
    assert_eq!(app.jobs.schedule_digests_once().await.unwrap(), 1);
    assert_eq!(
        app.jobs.schedule_digests_once().await.unwrap(),
        0,
        "once per week"
    );
    let replica = app.replica_jobs().await;
    assert_eq!(
        replica.schedule_digests_once().await.unwrap(),
        0,
        "and once across replicas"
    );
    assert_eq!(send_due(&app).await, 1);
    assert_eq!(send_due(&app).await, 0);

    let sent = mails_to(&app, "m1@example.no");
    assert_eq!(sent.len(), 1);
    let mail = &sent[0];
    assert_eq!(mail.language.as_deref(), Some("en"));
    assert!(mail.subject.contains("week 47"), "{}", mail.subject);
    for needle in [
        "Employee A1",
        "Employee B1",
        "37 h 30 min",
        "22 h",
        "59 h 30 min",
        "−15 h 30 min",
    ] {
        assert!(
            mail.text.contains(needle),
            "text part lacks {needle}: {}",
            mail.text
        );
        assert!(mail.html.contains(needle), "HTML part lacks {needle}");
    }
    // Overtime against each legal limit: B's two 9 h 30 min days.
    for needle in [
        "1 h of 10 h",
        "1 h of 25 h",
        "1 h of 200 h",
        "0 min of 10 h",
        "week 44",
        "week 47",
    ] {
        assert!(
            mail.text.contains(needle),
            "text part lacks {needle}: {}",
            mail.text
        );
    }
    assert!(mail.html.contains("1 h of 10 h"));
    assert!(
        !mail.text.contains("−37 h 30 min"),
        "weeks before the employment expect nothing: {}",
        mail.text
    );
    // Each report can see that the digest included them.
    for r in [&a, &b] {
        let ns = list(&app, &r.employee_id).await;
        let d = ns
            .iter()
            .find(|n| n.category == "digest")
            .expect("a digest row");
        assert_eq!(d.recipient_employee_id, m.employee_id);
        assert_eq!(d.audience, pb::NudgeAudience::Manager as i32);
        assert_eq!(d.message_status, pb::MessageStatus::Sent as i32);
    }

    // The preview of the same week is the same email.
    let mtoken = app.token(pb::Role::Manager, Some(&m.employee_id)).await;
    let preview = nudges(&app, &mtoken)
        .preview_digest(pb::PreviewDigestRequest {
            manager_employee_id: m.employee_id.clone(),
            week: Some(pb::LocalDate {
                year: 2026,
                month: 11,
                day: 18,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        preview.week_start,
        Some(pb::LocalDate {
            year: 2026,
            month: 11,
            day: 16
        })
    );
    assert_eq!(preview.report_count, 2);
    assert_eq!(preview.locale, "en");
    assert_eq!(preview.subject, mail.subject);
    assert_eq!(normalise(&preview.text), normalise(&mail.text));
    assert_eq!(normalise(&preview.html), normalise(&mail.html));
    assert_eq!(
        mails_to(&app, "m1@example.no").len(),
        1,
        "a preview sends nothing"
    );
}

async fn a_missed_monday_is_sent_when_the_server_is_back(app: TestApp) {
    let (m, _, _) = week_47(&app).await;
    // Down all Monday; back on Wednesday afternoon.
    app.clock.set(oslo(11, 25, 15, 0));
    assert_eq!(app.jobs.schedule_digests_once().await.unwrap(), 1);
    assert_eq!(send_due(&app).await, 1);
    let mail = &mails_to(&app, "m1@example.no")[0];
    assert!(
        mail.subject.contains("week 47"),
        "the missed week, not the current one: {}",
        mail.subject
    );
    // The next Monday brings week 48, once.
    app.clock.set(oslo(11, 30, 7, 0));
    assert_eq!(app.jobs.schedule_digests_once().await.unwrap(), 1);
    assert_eq!(app.jobs.schedule_digests_once().await.unwrap(), 0);
    let _ = m;
}

async fn a_digest_that_falls_due_at_night_waits_for_the_morning(app: TestApp) {
    week_47(&app).await;
    // Back at 23:00 on Monday: the digest is queued, but not sent at night.
    app.clock.set(oslo(11, 23, 23, 0));
    assert_eq!(app.jobs.schedule_digests_once().await.unwrap(), 1);
    assert_eq!(send_due(&app).await, 0);
    app.clock.set(oslo(11, 24, 7, 0));
    assert_eq!(send_due(&app).await, 1);
    assert_eq!(mails_to(&app, "m1@example.no").len(), 1);
}

async fn preview_digest_rejects_bad_input(app: TestApp) {
    let (m, a, _) = week_47(&app).await;
    let loner = app.create_employee("L1").await;
    app.clock.set(oslo(11, 25, 12, 0));
    let req = |id: &str, week: Option<pb::LocalDate>| pb::PreviewDigestRequest {
        manager_employee_id: id.into(),
        week,
    };
    let d = |day: i32| {
        Some(pb::LocalDate {
            year: 2026,
            month: 11,
            day,
        })
    };
    let admin = &app.admin_token;
    assert_error(
        nudges(&app, admin)
            .preview_digest(req(&m.employee_id, d(25)))
            .await,
        Code::InvalidArgument,
        "week",
    );
    assert_error(
        nudges(&app, admin)
            .preview_digest(req(&m.employee_id, None))
            .await,
        Code::InvalidArgument,
        "week",
    );
    assert_error(
        nudges(&app, admin)
            .preview_digest(req(
                &m.employee_id,
                Some(pb::LocalDate {
                    year: 2026,
                    month: 2,
                    day: 30,
                }),
            ))
            .await,
        Code::InvalidArgument,
        "week",
    );
    assert_error(
        nudges(&app, admin).preview_digest(req("m", d(18))).await,
        Code::InvalidArgument,
        "manager_employee_id",
    );
    assert_error(
        nudges(&app, admin)
            .preview_digest(req(&uuid::Uuid::new_v4().to_string(), d(18)))
            .await,
        Code::NotFound,
        "manager_employee_id",
    );
    assert_error(
        nudges(&app, admin)
            .preview_digest(req(&loner.employee_id, d(18)))
            .await,
        Code::FailedPrecondition,
        "no active direct reports",
    );
    let own = app.token(pb::Role::Employee, Some(&a.employee_id)).await;
    assert_error(
        nudges(&app, &own)
            .preview_digest(req(&m.employee_id, d(18)))
            .await,
        Code::PermissionDenied,
        "role",
    );
    let other_manager = app.token(pb::Role::Manager, Some(&loner.employee_id)).await;
    assert_error(
        nudges(&app, &other_manager)
            .preview_digest(req(&m.employee_id, d(18)))
            .await,
        Code::PermissionDenied,
        "own digest",
    );
    // An admin previews any manager's past week.
    let ok = nudges(&app, admin)
        .preview_digest(req(&m.employee_id, d(16)))
        .await
        .unwrap()
        .into_inner();
    assert!(ok.html.contains("Employee A1"));
}

async fn the_digest_counts_the_weeks_open_violations_and_links_to_each_report(app: TestApp) {
    let (m, a, b) = week_47(&app).await;
    // Still open: B's missing break of week 46, and A's of week 47
    // (Saturday 21 November, 6 h 30 min without a break).
    post_work(
        &app,
        &b.employee_id,
        oslo(11, 12, 8, 0),
        oslo(11, 12, 14, 30),
        &[],
    )
    .await;
    post_work(
        &app,
        &a.employee_id,
        oslo(11, 21, 8, 0),
        oslo(11, 21, 14, 30),
        &[],
    )
    .await;
    list(&app, &a.employee_id).await;
    list(&app, &b.employee_id).await;
    let jobs = jobs_with_links(&app).await;
    app.clock.set(oslo(11, 23, 7, 0));
    assert_eq!(jobs.schedule_digests_once().await.unwrap(), 1);
    jobs.run_outbox_once().await.unwrap();
    let digest = mails_to(&app, "m1@example.no")
        .into_iter()
        .find(|x| x.subject.contains("week 47"))
        .expect("the digest");
    let t = &digest.text;
    assert!(t.starts_with("Hi Manager,"), "{t}");
    assert!(
        t.contains("Open violations that week: 1"),
        "the team: A's of week 47, not B's of week 46: {t}"
    );
    assert_eq!(
        t.matches("Open violations that week: 1").count(),
        1,
        "A, below the team's: {t}"
    );
    assert!(
        t.contains("Open violations that week:  1"),
        "the team's: {t}"
    );
    assert_eq!(t.matches("Open violations that week: 0").count(), 1, "{t}");
    for link in [
        format!("{BASE}/team"),
        format!("{BASE}/people/{}/time?week=2026-W47", a.employee_id),
        format!("{BASE}/people/{}/time?week=2026-W47", b.employee_id),
    ] {
        assert!(t.contains(&link), "text lacks {link}: {t}");
        assert!(
            digest.html.contains(&format!("href=\"{link}\"")),
            "html lacks {link}"
        );
    }
    assert_no_rule_ids(&digest);
    let _ = m;
}

crate::both_backends!(
    the_digest_counts_the_weeks_open_violations_and_links_to_each_report,
    a_digest_that_falls_due_at_night_waits_for_the_morning,
    the_digest_is_due_monday_morning_and_sent_exactly_once,
    a_missed_monday_is_sent_when_the_server_is_back,
    preview_digest_rejects_bad_input,
);
