//! `tidsvakt nudges`: what Tidsvakt has told anyone about an employee,
//! muting optional categories, digest previews and the outbox's dead
//! letters, through `NudgeService`.

use std::fmt::Write as _;

use clap::Subcommand;

use super::client::{Connection, explain};
use crate::pb;
use crate::pb::nudge_service_client::NudgeServiceClient;

#[derive(Debug, Subcommand)]
pub enum NudgeAction {
    /// Everything decided about an employee, newest first.
    List {
        #[arg(long)]
        employee: String,
    },
    /// Every category, whether it can be muted, and whether it is.
    Settings {
        #[arg(long)]
        employee: String,
    },
    /// Mute an optional category (with a token bound to the employee).
    Mute {
        #[arg(long)]
        employee: String,
        #[arg(long)]
        category: String,
    },
    /// Unmute a category.
    Unmute {
        #[arg(long)]
        employee: String,
        #[arg(long)]
        category: String,
    },
    /// A manager's digest for a past week, as it would be sent.
    Digest {
        #[arg(long)]
        manager: String,
        /// Any date of the week, YYYY-MM-DD.
        #[arg(long)]
        week: chrono::NaiveDate,
        /// Print the HTML part instead of the text part.
        #[arg(long)]
        html: bool,
    },
    /// Emails that ran out of attempts (ADMIN).
    Dead,
    /// Queue a dead email again (ADMIN).
    Retry {
        #[arg(long)]
        message: String,
    },
}

fn enum_name(name: Option<&str>, prefix: &str) -> String {
    name.map_or_else(
        || "?".into(),
        |n| n.trim_start_matches(prefix).to_lowercase(),
    )
}

fn when(t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map_or_else(
            || "-".into(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}

/// The nudges as a table.
#[must_use]
pub fn render_nudges(nudges: &[pb::Nudge]) -> String {
    let mut out = String::new();
    if nudges.is_empty() {
        out.push_str("no nudges\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<20}  {:<8}  {:<18}  {:<22}  {:<9}  sent",
        "decided", "to", "category", "rule", "status"
    );
    for n in nudges {
        let audience = pb::NudgeAudience::try_from(n.audience)
            .ok()
            .map(|a| a.as_str_name());
        let status = pb::MessageStatus::try_from(n.message_status)
            .ok()
            .map(|s| s.as_str_name());
        let _ = writeln!(
            out,
            "{:<20}  {:<8}  {:<18}  {:<22}  {:<9}  {}",
            when(n.decided_at.as_ref()),
            enum_name(audience, "NUDGE_AUDIENCE_"),
            n.category,
            if n.rule_id.is_empty() {
                "-"
            } else {
                &n.rule_id
            },
            enum_name(status, "MESSAGE_STATUS_"),
            when(n.sent_at.as_ref()),
        );
    }
    out
}

fn render_settings(s: &pb::NudgeSettings) -> String {
    let mut out = String::new();
    for c in &s.categories {
        let state = match (c.mutable, c.muted) {
            (false, _) => "legal, always sent",
            (true, true) => "muted",
            (true, false) => "on",
        };
        let _ = writeln!(out, "{:<20} {state}", c.category);
    }
    out
}

fn render_dead(messages: &[pb::OutboxMessage]) -> String {
    let mut out = String::new();
    if messages.is_empty() {
        out.push_str("no dead messages\n");
    }
    for m in messages {
        let kind = pb::MessageKind::try_from(m.kind)
            .ok()
            .map(|k| k.as_str_name());
        let _ = writeln!(
            out,
            "{}  {:<15} to {}  {} attempts  {}",
            m.message_id,
            enum_name(kind, "MESSAGE_KIND_"),
            m.recipient_employee_id,
            m.attempts,
            m.last_error
        );
    }
    out
}

/// Runs `action` and returns what to print.
///
/// # Errors
/// When the server cannot be reached or refuses the call (explained).
pub async fn nudges_text(conn: &Connection, action: NudgeAction) -> anyhow::Result<String> {
    let mut client = NudgeServiceClient::new(conn.channel().await?);
    Ok(match action {
        NudgeAction::List { employee } => {
            let mut all = Vec::new();
            let mut token = String::new();
            loop {
                let page = client
                    .list_nudges(conn.request(pb::ListNudgesRequest {
                        employee_id: employee.clone(),
                        page: Some(pb::PageRequest {
                            page_size: 500,
                            page_token: token,
                        }),
                    })?)
                    .await
                    .map_err(explain)?
                    .into_inner();
                all.extend(page.nudges);
                if page.next_page_token.is_empty() {
                    break;
                }
                token = page.next_page_token;
            }
            render_nudges(&all)
        }
        NudgeAction::Settings { employee } => render_settings(
            &client
                .get_nudge_settings(conn.request(pb::GetNudgeSettingsRequest {
                    employee_id: employee,
                })?)
                .await
                .map_err(explain)?
                .into_inner(),
        ),
        NudgeAction::Mute { employee, category } => {
            render_settings(&set_mute(&mut client, conn, employee, category, true).await?)
        }
        NudgeAction::Unmute { employee, category } => {
            render_settings(&set_mute(&mut client, conn, employee, category, false).await?)
        }
        NudgeAction::Digest {
            manager,
            week,
            html,
        } => {
            use chrono::Datelike as _;
            let r = client
                .preview_digest(conn.request(pb::PreviewDigestRequest {
                    manager_employee_id: manager,
                    week: Some(pb::LocalDate {
                        year: week.year(),
                        month: i32::try_from(week.month()).unwrap_or_default(),
                        day: i32::try_from(week.day()).unwrap_or_default(),
                    }),
                })?)
                .await
                .map_err(explain)?
                .into_inner();
            if html {
                r.html
            } else {
                format!("Subject: {}\n\n{}", r.subject, r.text)
            }
        }
        NudgeAction::Dead => render_dead(
            &client
                .list_dead_messages(conn.request(pb::ListDeadMessagesRequest { page: None })?)
                .await
                .map_err(explain)?
                .into_inner()
                .messages,
        ),
        NudgeAction::Retry { message } => {
            let m = client
                .retry_dead_message(conn.request(pb::RetryDeadMessageRequest {
                    message_id: message,
                })?)
                .await
                .map_err(explain)?
                .into_inner();
            format!("queued again: {}\n", m.message_id)
        }
    })
}

async fn set_mute(
    client: &mut NudgeServiceClient<tonic::transport::Channel>,
    conn: &Connection,
    employee_id: String,
    category: String,
    muted: bool,
) -> anyhow::Result<pb::NudgeSettings> {
    Ok(client
        .set_nudge_mute(conn.request(pb::SetNudgeMuteRequest {
            employee_id,
            category,
            muted,
        })?)
        .await
        .map_err(explain)?
        .into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nudges_read_as_a_table() {
        let n = pb::Nudge {
            category: "rest".into(),
            rule_id: "no.daily_rest".into(),
            audience: pb::NudgeAudience::Manager as i32,
            message_status: pb::MessageStatus::Pending as i32,
            decided_at: Some(prost_types::Timestamp {
                seconds: 1_795_000_000,
                nanos: 0,
            }),
            ..pb::Nudge::default()
        };
        let t = render_nudges(&[n]);
        assert!(t.contains("manager"), "{t}");
        assert!(t.contains("no.daily_rest") && t.contains("pending"), "{t}");
        assert_eq!(render_nudges(&[]), "no nudges\n");
    }
}
