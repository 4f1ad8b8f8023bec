//! Personal data stays out of the log on both back-ends: a relay that does
//! not know a recipient names the address in its 550 reply, and the server
//! logs (through its own log subscriber, captured here) and stores the reply
//! without it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tidsvakt::config::LogFormat;
use tidsvakt::pb;
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::EnvFilter;

use crate::helpers::*;
use crate::nudges::{list, no_break, nudges, oslo};

/// What the server's log subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// The server's subscriber ([`tidsvakt::telemetry::subscriber`]) at
    /// every level, writing here.
    fn subscriber(&self) -> Box<dyn tracing::Subscriber + Send + Sync> {
        let writer = self.clone();
        tidsvakt::telemetry::subscriber(
            LogFormat::Plain,
            EnvFilter::new("trace"),
            move || writer.clone(),
            false,
        )
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn a_refused_recipient_is_logged_and_stored_without_the_address(app: TestApp) {
    let someone = app
        .admin()
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "S1".into(),
            name: "Some One".into(),
            email: "someone@example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    app.clock.set(oslo(11, 23, 15, 0));
    no_break(&app, &someone.employee_id, 23).await;
    list(&app, &someone.employee_id).await;
    app.mailbox.set_mode(crate::smtp::Mode::UnknownRecipient);

    let log = Captured::default();
    let round = app
        .jobs
        .run_outbox_once()
        .with_subscriber(log.subscriber())
        .await
        .unwrap();
    assert_eq!((round.sent, round.dead), (0, 1), "550: rejected for good");

    let log = log.text();
    assert!(!log.contains("someone@"), "{log}");
    // The mailer's "not delivered" and the outbox's "dead" both carry the reply.
    let reply = "permanent error (550): 5.1.1 <address>: user unknown";
    assert_eq!(log.matches(reply).count(), 2, "{log}");
    let dead = nudges(&app, &app.admin_token)
        .list_dead_messages(pb::ListDeadMessagesRequest { page: None })
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(
        dead[0].last_error,
        format!("mail not delivered, permanent failure: {reply}")
    );
}

crate::both_backends!(a_refused_recipient_is_logged_and_stored_without_the_address);
