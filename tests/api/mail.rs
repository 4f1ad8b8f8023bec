//! The real lettre [`Mailer`] against the real test SMTP server: messages
//! arrive whole and parse, the `.eml` folder keeps one file per Message-ID,
//! and failures are sorted into transient and permanent. No gRPC app needed.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use tidsvakt::domain::employee::Locale;
use tidsvakt::mail::{
    Envelope, MailConfig, MailError, MailTransport, Mailer, Rendered, Templates, samples,
};
use uuid::Uuid;

use crate::smtp::{Mode, SmtpServer, parse};

const WAIT: Duration = Duration::from_secs(10);

/// A mailer for `server` with a real From domain, as a deployment would have.
pub fn smtp_mailer(server: &SmtpServer) -> Mailer {
    let mut cfg = MailConfig::smtp_plain("127.0.0.1", server.port);
    cfg.from = "Tidsvakt <tidsvakt@tid.example.com>".parse().unwrap();
    if let MailTransport::Smtp(s) = &mut cfg.transport {
        s.timeout = Duration::from_secs(5);
    }
    Mailer::from_config(&cfg, Path::new("unused")).unwrap()
}

fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap()
}

fn envelope(mailer: &Mailer, name: &str, email: &str, locale: Locale) -> Envelope {
    Envelope {
        to_name: name.to_owned(),
        to_email: email.to_owned(),
        message_id: mailer.message_id(Uuid::new_v4()),
        date: monday_morning(),
        locale,
    }
}

fn rendered_nudge() -> Rendered {
    Templates::load()
        .unwrap()
        .nudge(&samples::nudge(Locale::Nb))
        .unwrap()
}

#[tokio::test]
async fn a_nudge_in_bokmal_arrives_whole() {
    let server = SmtpServer::start().await;
    let mailer = smtp_mailer(&server);
    let view = samples::nudge(Locale::Nb);
    let r = Templates::load().unwrap().nudge(&view).unwrap();
    let env = envelope(&mailer, "Kari Ødegård", "kari@example.com", Locale::Nb);

    mailer.send(&env, &r).await.unwrap();

    let got = server.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].from, "tidsvakt@tid.example.com");
    assert_eq!(got[0].to, ["kari@example.com"]);
    let m = parse(&got[0].raw);
    assert_eq!(m.to.len(), 1);
    assert_eq!(m.to[0].email, "kari@example.com");
    assert_eq!(m.to[0].name.as_deref(), Some("Kari Ødegård"));
    assert_eq!(m.from[0].email, "tidsvakt@tid.example.com");
    assert_eq!(m.subject, r.subject);
    assert!(m.subject.contains("arbeidstiden"), "{}", m.subject);
    assert_eq!(m.language.as_deref(), Some("nb"));
    assert_eq!(m.content_type, "multipart/alternative");
    assert_eq!(m.date, env.date);
    assert_eq!(m.message_id, env.message_id);
    assert!(m.message_id.ends_with("@tid.example.com>"));
    assert_eq!(m.header("Auto-Submitted"), Some("auto-generated"));
    for i in &view.items {
        for seen in &i.seen {
            assert!(
                m.text.contains(&seen.text),
                "text part lacks {:?}",
                seen.text
            );
        }
        assert!(m.text.contains(&i.what_to_do));
        assert!(m.html.contains(&i.headline));
    }
    assert!(m.text.contains("Det vi så:") && m.text.contains("Du kan skru av"));
    assert!(m.html.contains("<html lang=\"nb\""));
}

#[tokio::test]
async fn a_digest_in_english_arrives_with_its_figures() {
    let server = SmtpServer::start().await;
    let mailer = smtp_mailer(&server);
    let view = samples::digest(Locale::En);
    let r = Templates::load().unwrap().digest(&view).unwrap();
    let env = envelope(&mailer, "Ola Hansen", "ola@example.com", Locale::En);

    mailer.send(&env, &r).await.unwrap();

    let got = server.wait_for(1, WAIT).await;
    let m = parse(&got[0].raw);
    assert_eq!(got[0].to, ["ola@example.com"]);
    assert_eq!(m.to[0].name.as_deref(), Some("Ola Hansen"));
    assert_eq!(m.subject, "Your team's week, week 47, 16–22 November 2026");
    assert_eq!(m.language.as_deref(), Some("en"));
    assert_eq!(m.date, env.date);
    assert_eq!(m.message_id, env.message_id);
    for part in [&m.text, &m.html] {
        assert!(part.contains("84 h 30 min"), "team worked");
        assert!(part.contains("Kari Nordmann") && part.contains("Per Ås"));
        assert!(part.contains("11 h of 10 h"), "the 7-day limit use");
        assert!(part.contains("64 h of 200 h"), "the 52-week limit use");
        assert!(part.contains("week 44"), "the trend");
        assert!(part.contains("35 %"), "home-office share");
    }
    assert!(m.text.contains("OVER THE LIMIT"));
    assert!(
        m.text.contains("Mon   ███████████████▓▓▓▓▓ 10 h *"),
        "{}",
        m.text
    );
    assert!(m.html.contains("over the limit"));
    // Monday, the largest day: 25 % of it overtime (20 px) on top of 75 % (60 px).
    assert!(
        m.html.contains("height:20px;background-color:#e8a33d"),
        "overtime part"
    );
    assert!(
        m.html.contains("height:60px;background-color:#3b6ea5"),
        "worked part"
    );
}

#[tokio::test]
async fn the_eml_folder_keeps_one_file_per_message_id() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let mailer = Mailer::from_config(&MailConfig::eml(), &outbox).unwrap();
    let id = Uuid::new_v4();
    let mut env = envelope(&mailer, "Kari Nordmann", "kari@example.com", Locale::Nb);
    env.message_id = mailer.message_id(id);
    let mut r = rendered_nudge();

    mailer.send(&env, &r).await.unwrap();
    r.subject = "Andre forsøk".to_owned();
    mailer.send(&env, &r).await.unwrap(); // a retry of the same outbox row

    let files = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(files(&outbox), [format!("{id}@localhost.eml")]);
    let m = parse(&std::fs::read(outbox.join(format!("{id}@localhost.eml"))).unwrap());
    assert_eq!(m.subject, "Andre forsøk", "the retry replaced the file");
    assert_eq!(m.message_id, env.message_id);
    assert_eq!(m.language.as_deref(), Some("nb"));

    let other = envelope(&mailer, "Per Ås", "per@example.com", Locale::En);
    mailer.send(&other, &r).await.unwrap();
    assert_eq!(
        files(&outbox).len(),
        2,
        "no temporary files are left behind"
    );
}

#[tokio::test]
async fn smtp_down_is_transient_and_up_again_delivers_once() {
    let server = SmtpServer::start().await;
    let mailer = smtp_mailer(&server);
    let env = envelope(&mailer, "Kari Nordmann", "kari@example.com", Locale::Nb);
    let r = rendered_nudge();

    server.stop().await;
    let err = mailer.send(&env, &r).await.unwrap_err();
    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
    assert!(err.is_transient());

    server.restart().await;
    mailer.send(&env, &r).await.unwrap();
    let got = server.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert_eq!(parse(&got[0].raw).message_id, env.message_id);
}

#[tokio::test]
async fn a_451_is_transient() {
    let server = SmtpServer::start().await;
    server.set_mode(Mode::Transient);
    let mailer = smtp_mailer(&server);
    let env = envelope(&mailer, "Kari Nordmann", "kari@example.com", Locale::Nb);
    let err = mailer.send(&env, &rendered_nudge()).await.unwrap_err();
    assert!(
        matches!(&err, MailError::Transient(m) if m.contains("451")),
        "{err:?}"
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_550_is_permanent() {
    let server = SmtpServer::start().await;
    server.set_mode(Mode::Permanent);
    let mailer = smtp_mailer(&server);
    let env = envelope(&mailer, "Kari Nordmann", "kari@example.com", Locale::Nb);
    let err = mailer.send(&env, &rendered_nudge()).await.unwrap_err();
    assert!(
        matches!(&err, MailError::Permanent(m) if m.contains("550")),
        "{err:?}"
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn an_invalid_recipient_is_permanent_without_a_connection() {
    let server = SmtpServer::start().await;
    let mailer = smtp_mailer(&server);
    let env = envelope(&mailer, "Kari Nordmann", "kari at example", Locale::Nb);
    let err = mailer.send(&env, &rendered_nudge()).await.unwrap_err();
    assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_timeout_is_transient() {
    // A listener that accepts but never greets: the client gives up.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            open.push(s);
        }
    });
    let mut cfg = MailConfig::smtp_plain("127.0.0.1", port);
    if let MailTransport::Smtp(s) = &mut cfg.transport {
        s.timeout = Duration::from_millis(300);
    }
    let mailer = Mailer::from_config(&cfg, Path::new("unused")).unwrap();
    let env = envelope(&mailer, "Kari Nordmann", "kari@example.com", Locale::Nb);
    let err = mailer.send(&env, &rendered_nudge()).await.unwrap_err();
    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
}

/// `TIDSVAKT_MAIL_PREVIEW_DIR=/tmp/p cargo test --test api mail::previews`
/// writes every sample message as `.eml`, `.html` and `.txt` for a look in a
/// mail client or browser; without the variable it does nothing.
#[tokio::test]
async fn previews() {
    let Some(dir) = std::env::var_os("TIDSVAKT_MAIL_PREVIEW_DIR") else {
        return;
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let t = Templates::load().unwrap();
    let mailer = Mailer::from_config(&MailConfig::eml(), dir).unwrap();
    for locale in [Locale::Nb, Locale::En] {
        for (kind, r) in [
            ("nudge", t.nudge(&samples::nudge(locale)).unwrap()),
            (
                "manager_alerts",
                t.manager_alerts(&samples::manager_alerts(locale)).unwrap(),
            ),
            ("reminder", t.reminder(&samples::reminder(locale)).unwrap()),
            ("digest", t.digest(&samples::digest(locale)).unwrap()),
        ] {
            let name = format!("{kind}.{}", locale.as_str());
            let env = Envelope {
                message_id: format!("<{name}@localhost>"),
                ..envelope(&mailer, "Kari Nordmann", "kari@example.com", locale)
            };
            mailer.send(&env, &r).await.unwrap();
            std::fs::write(dir.join(format!("{name}.html")), &r.html).unwrap();
            std::fs::write(
                dir.join(format!("{name}.txt")),
                format!("Subject: {}\n\n{}", r.subject, r.text),
            )
            .unwrap();
        }
    }
}
