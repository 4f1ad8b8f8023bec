//! Turns a stored message into an email, at the moment it is sent: the
//! recipient's current name, address, zone and language, and only what is
//! still true (a nudge whose findings were all resolved first is cancelled,
//! not sent).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::digest;
use super::words;
use crate::domain::clock_status::pair;
use crate::domain::employee::{Employee, Locale};
use crate::domain::engine::evaluate::Scope;
use crate::domain::engine::reconcile::FindingStatus;
use crate::domain::engine::record::Span;
use crate::domain::engine::text::instant;
use crate::domain::event::effective_events;
use crate::domain::nudge::Category;
use crate::domain::nudge::quiet::QuietHours;
use crate::mail::views::{Common, Item, ManagerAlertsView, NudgeView, ReminderView};
use crate::mail::{Envelope, MailError, Mailer, Rendered, Templates};
use crate::storage::outbox::{MessageKind, NudgeRow, OutboxMessage, digest_week};
use crate::storage::{Store, StoreError};

/// What to do with a due message.
pub enum Render {
    /// Send it; the nudge ids are those left out because their findings
    /// were resolved first.
    Send(Envelope, Rendered, Vec<Uuid>),
    /// The recipient is in quiet hours now (a retry, an admin's retry or a
    /// late digest can fall there): not before this instant.
    Defer(DateTime<Utc>),
    /// Nothing left to say; the reason is recorded (no personal data).
    Cancel(String),
}

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("message reference is corrupt: {0}")]
    Corrupt(String),
}

/// Everything rendering needs.
pub struct Renderer<'a> {
    pub store: &'a dyn Store,
    pub templates: &'a Templates,
    pub mailer: &'a Mailer,
    pub app_url: Option<&'a str>,
    pub quiet: QuietHours,
}

fn common(e: &Employee, app_url: Option<&str>) -> Common {
    Common {
        locale: e.fields.locale.as_str().to_string(),
        recipient_name: e.fields.name.clone(),
        product_name: "Tidsvakt".to_string(),
        app_url: app_url.map(str::to_string),
    }
}

impl Renderer<'_> {
    /// Renders `m` for sending at `now`.
    pub async fn render(
        &self,
        m: &OutboxMessage,
        now: DateTime<Utc>,
    ) -> Result<Render, RenderError> {
        let Some(to) = self.store.employee(m.org, m.recipient).await? else {
            return Ok(Render::Cancel("the recipient no longer exists".into()));
        };
        if !to.active || to.fields.email.is_empty() {
            return Ok(Render::Cancel(
                "the recipient is deactivated or has no address".into(),
            ));
        }
        // Quiet hours hold at the moment of sending too, whatever made the
        // message due now (a retry, an admin's retry, a late digest).
        let release = self.quiet.release(to.fields.time_zone, now);
        if release > now {
            return Ok(Render::Defer(release));
        }
        let mut omitted = Vec::new();
        let rendered = match m.kind {
            MessageKind::Nudge | MessageKind::ManagerAlerts => {
                match self.findings_message(m, &to, &mut omitted, now).await? {
                    Some(r) => r,
                    None => {
                        return Ok(Render::Cancel(
                            "every finding it was about was resolved before it was due".into(),
                        ));
                    }
                }
            }
            MessageKind::Reminder => match self.reminder(m, &to).await? {
                Some(r) => r,
                None => {
                    return Ok(Render::Cancel(
                        "the interval was closed before the reminder was due".into(),
                    ));
                }
            },
            MessageKind::Digest => {
                let week = digest_week(&m.reference)
                    .ok_or_else(|| RenderError::Corrupt(m.reference.clone()))?;
                let d = digest::compute(self.store, m.org, &to, week, now).await?;
                if d.reports.is_empty() {
                    return Ok(Render::Cancel("the manager has no active reports".into()));
                }
                self.templates.digest(&digest::view(
                    &d,
                    common(&to, self.app_url),
                    to.fields.locale,
                ))?
            }
        };
        Ok(Render::Send(
            self.envelope(m.id, &to, now),
            rendered,
            omitted,
        ))
    }

    fn envelope(&self, id: Uuid, to: &Employee, now: DateTime<Utc>) -> Envelope {
        Envelope {
            to_name: to.fields.name.clone(),
            to_email: to.fields.email.clone(),
            message_id: self.mailer.message_id(id),
            date: now,
            locale: to.fields.locale,
        }
    }

    /// A `NUDGE` or `MANAGER_ALERTS` email from the nudges it carries whose
    /// findings are still open; `None` when none is.
    async fn findings_message(
        &self,
        m: &OutboxMessage,
        to: &Employee,
        omitted: &mut Vec<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Option<Rendered>, RenderError> {
        let nudges = self.store.message_nudges(m.org, m.id).await?;
        let ids: Vec<Uuid> = nudges.iter().filter_map(|n| n.finding).collect();
        let findings = self.store.findings_by_id(m.org, ids).await?;
        let locale = to.fields.locale;
        let tz = to.fields.time_zone;
        let mut items = Vec::new();
        let mut employees: Vec<(crate::domain::ids::EmployeeId, String)> = Vec::new();
        for n in &nudges {
            let Some(f) = findings
                .iter()
                .find(|f| Some(f.id) == n.finding && f.status == FindingStatus::Open)
            else {
                omitted.push(n.id);
                continue;
            };
            let known = employees
                .iter()
                .find(|(id, _)| *id == n.employee)
                .map(|(_, name)| name.clone());
            let name = if let Some(name) = known {
                name
            } else {
                let name = self
                    .store
                    .employee(m.org, n.employee)
                    .await?
                    .map(|e| e.fields.name)
                    .unwrap_or_default();
                employees.push((n.employee, name.clone()));
                name
            };
            let mut it = item(n, f, &name, locale, tz);
            if m.kind == MessageKind::ManagerAlerts
                && let Some(words) = self.reworded(m.org, n.employee, f, locale, now).await?
            {
                it.seen = words;
            }
            items.push(it);
        }
        if items.is_empty() {
            return Ok(None);
        }
        let common = common(to, self.app_url);
        if m.kind == MessageKind::Nudge {
            return Ok(Some(
                self.templates.nudge(&NudgeView {
                    mutable_note: nudges
                        .iter()
                        .any(|n| Category::parse(&n.category).is_some_and(Category::is_mutable)),
                    common,
                    items,
                })?,
            ));
        }
        let day: chrono::NaiveDate = m
            .reference
            .parse()
            .map_err(|_| RenderError::Corrupt(m.reference.clone()))?;
        Ok(Some(self.templates.manager_alerts(&ManagerAlertsView {
            common,
            date: words::long_date(locale, day),
            employee_count: employees.len(),
            items,
        })?))
    }

    /// A finding's explanation in another language: findings are worded in
    /// their employee's language when stored, so for a manager who reads
    /// another the engine judges the finding's window again with the
    /// manager's locale. `None` (keep the stored words) when the locales
    /// agree or the finding is not found again the same way.
    async fn reworded(
        &self,
        org: crate::domain::ids::OrgId,
        employee: crate::domain::ids::EmployeeId,
        f: &crate::domain::engine::reconcile::Finding,
        locale: Locale,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, RenderError> {
        let Some(mut e) = self.store.employee(org, employee).await? else {
            return Ok(None);
        };
        if e.fields.locale == locale {
            return Ok(None);
        }
        e.fields.locale = locale;
        let at = f.window.start;
        let scope = Span::new(at, at + Duration::microseconds(1));
        // The recompute's own reach around a window start (recompute.rs).
        let load = Span::new(
            at - Duration::days(37),
            f.window.end.max(at) + Duration::days(37),
        );
        let (eval, _) = crate::recompute::evaluate_range(
            self.store,
            org,
            &e,
            load,
            Scope {
                short: scope,
                long: scope,
            },
            true,
            now,
        )
        .await?;
        Ok(eval
            .findings
            .into_iter()
            .find(|d| d.rule_id == f.rule_id && d.window.start == at && d.severity == f.severity)
            .map(|d| d.explanation))
    }

    /// The reminder, unless the interval has been closed meanwhile.
    async fn reminder(
        &self,
        m: &OutboxMessage,
        to: &Employee,
    ) -> Result<Option<Rendered>, RenderError> {
        let (interval, suggested) = m
            .reference
            .split_once('|')
            .and_then(|(i, s)| {
                Some((
                    Uuid::parse_str(i).ok()?,
                    DateTime::from_timestamp_micros(s.parse().ok()?)?,
                ))
            })
            .ok_or_else(|| RenderError::Corrupt(m.reference.clone()))?;
        let record = self.store.status_record(m.org, to.id).await?;
        let effective = effective_events(&record.events, &record.amendments);
        let pairing = pair(&effective);
        let Some(open) = pairing
            .intervals
            .iter()
            .find(|i| i.start_event == interval && i.end.is_none())
        else {
            return Ok(None);
        };
        let (locale, tz) = (to.fields.locale, to.fields.time_zone);
        Ok(Some(self.templates.reminder(&ReminderView {
            common: common(to, self.app_url),
            clocked_in_at: instant(locale, tz, open.start),
            suggested_end: instant(locale, tz, suggested),
            suggested_end_rfc3339: suggested.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            interval_id: interval.to_string(),
        })?))
    }
}

fn item(
    n: &NudgeRow,
    f: &crate::domain::engine::reconcile::Finding,
    employee_name: &str,
    locale: Locale,
    tz: chrono_tz::Tz,
) -> Item {
    let copy = crate::mail::copy(&n.category, locale);
    Item {
        category: n.category.clone(),
        rule_id: n.rule_id.clone(),
        severity: f.severity.as_str().to_string(),
        headline: copy
            .as_ref()
            .map(|c| c.headline.to_string())
            .unwrap_or_default(),
        seen: f.explanation.clone(),
        why: copy.as_ref().map(|c| c.why.to_string()).unwrap_or_default(),
        what_to_do: copy
            .as_ref()
            .map(|c| c.what_to_do.to_string())
            .unwrap_or_default(),
        when: instant(locale, tz, f.at),
        citation: f.citation.clone(),
        employee_name: employee_name.to_string(),
    }
}
