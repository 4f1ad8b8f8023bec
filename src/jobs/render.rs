//! Turns a stored message into an email, at the moment it is sent: the
//! recipient's current name, address, zone and language, and only what is
//! still true (a nudge whose findings were all resolved first is cancelled,
//! not sent).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::digest;
use super::words;
use crate::domain::clock_status::pair;
use crate::domain::employee::{Employee, Locale};
use crate::domain::engine::evaluate::Scope;
use crate::domain::engine::reconcile::{Finding, FindingStatus};
use crate::domain::engine::record::Span;
use crate::domain::event::effective_events;
use crate::domain::ids::EmployeeId;
use crate::domain::local_days::local_date;
use crate::domain::nudge::Category;
use crate::domain::nudge::group::{SHIFT_SCALE, Told, group as group_findings};
use crate::domain::nudge::quiet::QuietHours;
use crate::links;
use crate::mail::views::{
    Common, Item, ManagerAlertsView, MuteLink, NudgeView, ReminderView, Seen,
};
use crate::mail::{Envelope, MailError, Mailer, Rendered, Templates, copy};
use crate::storage::outbox::{MessageKind, NudgeRow, OutboxMessage, digest_week};
use crate::storage::{Store, StoreError};

/// What became of one stored message of a rendered email.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub message: Uuid,
    /// Its nudges left out because their findings were resolved first.
    pub omitted: Vec<Uuid>,
    /// Whether the email tells anything of it; a message with nothing left
    /// to say is cancelled, not recorded as sent.
    pub told: bool,
}

/// What to do with due messages.
pub enum Render {
    /// Send one email for them all; what became of each message.
    Send(Envelope, Rendered, Vec<Part>),
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
    /// The public base URL of the web pages, without a trailing slash.
    pub app_url: Option<&'a str>,
    pub quiet: QuietHours,
}

/// What every message to `e` shares: greeted by first name, in their
/// language, with the deployment's base URL for links.
#[must_use]
pub fn common(e: &Employee, app_url: Option<&str>) -> Common {
    Common {
        locale: e.fields.locale.as_str().to_string(),
        recipient_name: e.fields.name.clone(),
        first_name: words::first_name(&e.fields.name),
        product_name: "Tidsvakt".to_string(),
        app_url: app_url.map(|u| u.trim_end_matches('/').to_string()),
    }
}

/// Whether messages of `kind` to one recipient are merged into one email
/// when they are due together: nudges and manager alerts are (a second
/// email with the same subject in the same second helps nobody); a
/// reminder and a digest each stand alone.
#[must_use]
pub fn merges(kind: MessageKind) -> bool {
    matches!(kind, MessageKind::Nudge | MessageKind::ManagerAlerts)
}

/// A told finding with what the email says of it.
struct Told1<'f> {
    nudge: &'f NudgeRow,
    finding: &'f Finding,
    /// The explanation in the reader's language.
    seen: String,
}

/// Someone a finding is about.
#[derive(Clone)]
struct Subject {
    id: EmployeeId,
    name: String,
    tz: Tz,
}

impl Renderer<'_> {
    /// Renders `m` for sending at `now`.
    pub async fn render(
        &self,
        m: &OutboxMessage,
        now: DateTime<Utc>,
    ) -> Result<Render, RenderError> {
        self.render_all(std::slice::from_ref(m), now).await
    }

    /// Renders due messages of one recipient and kind as one email (see
    /// [`merges`]); the first message names it (its Message-ID). Kinds that
    /// do not merge must come alone.
    pub async fn render_all(
        &self,
        group: &[OutboxMessage],
        now: DateTime<Utc>,
    ) -> Result<Render, RenderError> {
        let Some(m) = group.first() else {
            return Ok(Render::Cancel("nothing to send".into()));
        };
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
        let whole = |m: &OutboxMessage| Part {
            message: m.id,
            omitted: Vec::new(),
            told: true,
        };
        let (rendered, parts) = match m.kind {
            MessageKind::Nudge | MessageKind::ManagerAlerts => {
                match self.findings_message(group, &to, now).await? {
                    Some(r) => r,
                    None => {
                        return Ok(Render::Cancel(
                            "every finding it was about was resolved before it was due".into(),
                        ));
                    }
                }
            }
            MessageKind::Reminder => match self.reminder(m, &to, now).await? {
                Some(r) => (r, vec![whole(m)]),
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
                (
                    self.templates.digest(&digest::view(
                        &d,
                        common(&to, self.app_url),
                        to.fields.locale,
                    ))?,
                    vec![whole(m)],
                )
            }
        };
        Ok(Render::Send(self.envelope(m.id, &to, now), rendered, parts))
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

    /// A `NUDGE` or `MANAGER_ALERTS` email from the nudges the messages
    /// carry whose findings are still open; `None` when none is.
    async fn findings_message(
        &self,
        group: &[OutboxMessage],
        to: &Employee,
        now: DateTime<Utc>,
    ) -> Result<Option<(Rendered, Vec<Part>)>, RenderError> {
        let Some(m) = group.first() else {
            return Ok(None);
        };
        let mut nudges: Vec<NudgeRow> = Vec::new();
        for g in group {
            nudges.extend(self.store.message_nudges(g.org, g.id).await?);
        }
        let ids: Vec<Uuid> = nudges.iter().filter_map(|n| n.finding).collect();
        let findings = self.store.findings_by_id(m.org, ids).await?;
        let locale = to.fields.locale;
        let mut parts: Vec<Part> = group
            .iter()
            .map(|g| Part {
                message: g.id,
                omitted: Vec::new(),
                told: false,
            })
            .collect();
        let mut subjects: Vec<Subject> = Vec::new();
        let mut told: Vec<(usize, Told1<'_>)> = Vec::new();
        for n in &nudges {
            let part = parts
                .iter()
                .position(|p| p.message == n.message)
                .unwrap_or(0);
            let Some(f) = findings
                .iter()
                .find(|f| Some(f.id) == n.finding && f.status == FindingStatus::Open)
            else {
                parts[part].omitted.push(n.id);
                continue;
            };
            parts[part].told = true;
            // The same finding in two merged messages is told once.
            if told.iter().any(|(_, t)| t.finding.id == f.id) {
                continue;
            }
            let subject = if let Some(k) = subjects.iter().position(|s| s.id == n.employee) {
                k
            } else {
                let e = self.store.employee(m.org, n.employee).await?;
                subjects.push(Subject {
                    id: n.employee,
                    name: e
                        .as_ref()
                        .map(|e| e.fields.name.clone())
                        .unwrap_or_default(),
                    tz: e.map_or(to.fields.time_zone, |e| e.fields.time_zone),
                });
                subjects.len() - 1
            };
            let mut seen = f.explanation.clone();
            if m.kind == MessageKind::ManagerAlerts
                && let Some(words) = self.reworded(m.org, n.employee, f, locale, now).await?
            {
                seen = words;
            }
            told.push((
                subject,
                Told1 {
                    nudge: n,
                    finding: f,
                    seen,
                },
            ));
        }
        if told.is_empty() {
            return Ok(None);
        }
        let (mut items, days) = self.items(&told, &subjects, m.kind, to);
        // Legal items first across the whole email, as within each person.
        items.sort_by_key(|i| severity_rank(&i.severity));
        let common = common(to, self.app_url);
        let base = common.app_url.clone();
        let rendered = if m.kind == MessageKind::Nudge {
            self.templates.nudge(&NudgeView {
                mutable_note: told.iter().any(|(_, t)| {
                    Category::parse(&t.nudge.category).is_some_and(Category::is_mutable)
                }),
                messages_link: base.as_deref().map(links::messages),
                common,
                items,
            })?
        } else {
            let first = days.iter().min().copied().unwrap_or_default();
            let last = days.iter().max().copied().unwrap_or_default();
            self.templates.manager_alerts(&ManagerAlertsView {
                date: words::date_span(locale, first, last),
                employee_count: subjects.len(),
                team_link: base.as_deref().map(links::team),
                common,
                items,
            })?
        };
        Ok(Some((rendered, parts)))
    }

    /// The items of an email: per person, their findings grouped by the
    /// hours they are about; and the local day of each item's work.
    fn items(
        &self,
        told: &[(usize, Told1<'_>)],
        subjects: &[Subject],
        kind: MessageKind,
        to: &Employee,
    ) -> (Vec<Item>, Vec<NaiveDate>) {
        let mut items = Vec::new();
        let mut days: Vec<NaiveDate> = Vec::new();
        for (k, subject) in subjects.iter().enumerate() {
            let theirs: Vec<&Told1<'_>> = told
                .iter()
                .filter(|(s, _)| *s == k)
                .map(|(_, t)| t)
                .collect();
            let shapes: Vec<Told> = theirs
                .iter()
                .map(|t| Told {
                    severity: t.finding.severity,
                    at: t.finding.at,
                    intervals: t.finding.evidence.iter().map(|e| e.interval).collect(),
                })
                .collect();
            for g in group_findings(&shapes) {
                let members: Vec<&Told1<'_>> = g.iter().map(|i| theirs[*i]).collect();
                days.push(local_date(subject.tz, members[0].finding.at));
                items.push(self.item(&members, subject, kind, to));
            }
        }
        (items, days)
    }

    /// One item: findings about the same hours of one person, the most
    /// severe first.
    fn item(
        &self,
        members: &[&Told1<'_>],
        about: &Subject,
        kind: MessageKind,
        to: &Employee,
    ) -> Item {
        let locale = to.fields.locale;
        let first = members[0];
        let primary = copy(&first.nudge.category, locale);
        let mut citations: Vec<String> = Vec::new();
        let mut seen: Vec<Seen> = Vec::new();
        let mut categories: Vec<String> = Vec::new();
        let mut mutes: Vec<MuteLink> = Vec::new();
        let base = self.app_url.map(|u| u.trim_end_matches('/'));
        for t in members {
            let c = copy(&t.nudge.category, locale);
            let citation = crate::mail::copy::citation(&t.finding.citation, locale);
            if !citations.contains(&citation) {
                citations.push(citation.clone());
            }
            seen.push(Seen {
                headline: c
                    .as_ref()
                    .map(|c| c.headline.to_string())
                    .unwrap_or_default(),
                text: crate::mail::copy::sentence(&t.seen),
                citation,
            });
            if !categories.contains(&t.nudge.category) {
                categories.push(t.nudge.category.clone());
                if kind == MessageKind::Nudge
                    && let Some(base) = base
                    && Category::parse(&t.nudge.category).is_some_and(Category::is_mutable)
                {
                    mutes.push(MuteLink {
                        label: c
                            .as_ref()
                            .map(|c| c.headline.to_string())
                            .unwrap_or_default(),
                        url: links::mute(base, &t.nudge.category),
                    });
                }
            }
        }
        let day = local_date(about.tz, first.finding.at);
        let id = first.finding.id.to_string();
        Item {
            categories,
            severity: first.finding.severity.as_str().to_string(),
            headline: primary
                .as_ref()
                .map(|c| c.headline.to_string())
                .unwrap_or_default(),
            why: primary
                .as_ref()
                .map(|c| c.why.to_string())
                .unwrap_or_default(),
            what_to_do: primary
                .as_ref()
                .map(|c| c.what_to_do.to_string())
                .unwrap_or_default(),
            when: when(
                locale,
                to.fields.time_zone,
                &members.iter().map(|t| t.finding).collect::<Vec<_>>(),
            ),
            citation: crate::mail::copy::join_citations(&citations, locale),
            employee_name: about.name.clone(),
            link: base.map(|b| match kind {
                MessageKind::ManagerAlerts => links::person_finding(b, about.id, day, &id),
                _ => links::my_finding(b, day, &id),
            }),
            mutes,
            seen,
        }
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
        now: DateTime<Utc>,
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
        let common = common(to, self.app_url);
        Ok(Some(
            self.templates.reminder(&ReminderView {
                day_link: common
                    .app_url
                    .as_deref()
                    .map(|b| links::my_day(b, local_date(tz, open.start))),
                common,
                clocked_in_at: words::day_time(locale, tz, open.start),
                suggested_end: words::day_time(locale, tz, suggested),
                suggested_end_rfc3339: suggested.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                interval_id: interval.to_string(),
                // Whole hours: "11 timer", not "11 timer og 3 minutter".
                open_for: words::hours(
                    locale,
                    Duration::hours((now - open.start).num_hours().max(0)),
                ),
            })?,
        ))
    }
}

/// Violations, then warnings, then patterns.
fn severity_rank(severity: &str) -> u8 {
    match severity {
        "VIOLATION" => 0,
        "WARNING" => 1,
        _ => 2,
    }
}

/// The hours an item is about, in the reader's zone and words: the worked
/// hours when its findings rest on a shift or two ("tirsdag 17. november
/// 13:00–22:30"), else the days ("16.–19. november").
fn when(locale: Locale, tz: Tz, findings: &[&Finding]) -> String {
    let evidence: Vec<_> = findings.iter().flat_map(|f| f.evidence.iter()).collect();
    let mut intervals: Vec<Uuid> = evidence.iter().map(|e| e.interval).collect();
    intervals.sort();
    intervals.dedup();
    let starts: Vec<DateTime<Utc>> = evidence.iter().filter_map(|e| e.start).collect();
    let ends: Vec<DateTime<Utc>> = evidence.iter().filter_map(|e| e.end).collect();
    if !intervals.is_empty()
        && intervals.len() <= SHIFT_SCALE
        && let (Some(start), Some(end)) = (starts.iter().min(), ends.iter().max())
        && start < end
    {
        return words::hours_span(locale, tz, *start, *end);
    }
    let mut first: Option<NaiveDate> = None;
    let mut last: Option<NaiveDate> = None;
    for f in findings {
        let (s, e) = if starts.is_empty() || ends.is_empty() {
            // The window's last instant lies inside it.
            (
                f.window.start,
                (f.window.end - Duration::microseconds(1)).max(f.window.start),
            )
        } else {
            (
                starts.iter().min().copied().unwrap_or(f.at),
                ends.iter().max().copied().unwrap_or(f.at),
            )
        };
        let (s, e) = (local_date(tz, s), local_date(tz, e));
        first = Some(first.map_or(s, |x| x.min(s)));
        last = Some(last.map_or(e, |x| x.max(e)));
    }
    match (first, last) {
        (Some(a), Some(b)) => words::date_span(locale, a, b),
        _ => String::new(),
    }
}
