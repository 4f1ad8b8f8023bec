//! *My data*: the person's whole record (events, corrections, findings,
//! nudges) as CSV and as JSON. CSV is one file with a `record` column, so a
//! spreadsheet opens it at once; JSON keeps the structure.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::WebState;
use super::error::WebError;
use super::format;
use super::i18n::word;
use super::session::Person;
use super::view;
use crate::domain::event::{Change, Location};
use crate::usecase::reads;
use crate::usecase::record::{self, EventFate, FullRecord};

/// The most reads the page lists.
const READS_SHOWN: i64 = 100;

/// One read of the person's record by someone else.
#[derive(Serialize)]
struct ReadRow {
    when: String,
    who: String,
    what: &'static str,
}

#[derive(Serialize)]
struct DataView {
    reads: Vec<ReadRow>,
}

/// `GET /data`: the downloads, and who has read the person's record.
pub async fn page(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    let me = person.own()?;
    let l = person.locale;
    let tz = me.fields.time_zone;
    let reads = reads::reads_of_own_record(&state.ctx, &person.caller, READS_SHOWN)
        .await
        .map_err(|e| person.fail(e))?
        .into_iter()
        .map(|e| ReadRow {
            when: format::instant(l, tz, e.at),
            who: format::author(l, &e.actor_name),
            what: word(l, &format!("audit_{}", e.action.as_str())),
        })
        .collect();
    Ok(view::render(
        StatusCode::OK,
        "data.html.j2",
        l,
        &person.chrome("data"),
        word(l, "data_title"),
        &DataView { reads },
    ))
}

async fn load(state: &WebState, person: &Person) -> Result<FullRecord, WebError> {
    person.own()?;
    let r = record::own_record(&state.ctx, &person.caller)
        .await
        .map_err(|e| person.fail(e))?;
    tracing::info!(employee_id = %r.employee.id, "record downloaded by its owner");
    Ok(r)
}

fn fate(f: &EventFate) -> (String, String) {
    match f {
        EventFate::Kept => ("kept".into(), String::new()),
        EventFate::Added => ("added".into(), String::new()),
        EventFate::Voided => ("voided".into(), String::new()),
        EventFate::Moved(t) => ("moved".into(), t.to_rfc3339()),
    }
}

fn change_json(c: &Change) -> serde_json::Value {
    match c {
        Change::Add {
            kind,
            occurred_at,
            location,
        } => json!({"add": {"kind": kind.as_str(), "occurred_at": occurred_at.to_rfc3339(),
                             "location": location.map(Location::as_str)}}),
        Change::Void { target } => json!({"void": {"event_id": target.to_string()}}),
        Change::Move {
            target,
            occurred_at,
        } => {
            json!({"move": {"event_id": target.to_string(), "occurred_at": occurred_at.to_rfc3339()}})
        }
    }
}

fn to_json(r: &FullRecord) -> serde_json::Value {
    let e = &r.employee;
    json!({
        "employee": {
            "employee_id": e.id.to_string(),
            "external_id": e.fields.external_id,
            "name": e.fields.name,
            "email": e.fields.email,
            "manager_id": e.fields.manager_id.map(|m| m.to_string()),
            "time_zone": e.fields.time_zone.name(),
            "locale": e.fields.locale.as_str(),
            "rule_pack": e.fields.rule_pack.to_string(),
        },
        "events": r.events.iter().map(|ev| {
            let (fate, moved_to) = fate(&ev.fate);
            json!({"event_id": ev.id.to_string(), "kind": ev.kind.as_str(),
                   "occurred_at": ev.occurred_at.to_rfc3339(),
                   "location": ev.location.map(Location::as_str), "source": ev.source,
                   "fate": fate, "moved_to": moved_to})
        }).collect::<Vec<_>>(),
        "amendments": r.amendments.iter().map(|a| json!({
            "amendment_id": a.request.amendment_id.to_string(),
            "change": change_json(&a.request.change),
            "reason": a.request.reason, "author": a.author,
            "created_at": a.created_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
        "findings": r.findings.iter().map(|f| json!({
            "finding_id": f.id.to_string(), "rule_id": f.rule_id, "severity": format!("{:?}", f.severity),
            "status": format!("{:?}", f.status), "at": f.at.to_rfc3339(),
            "explanation": f.explanation, "citation": f.citation,
            "first_seen_at": f.first_seen_at.to_rfc3339(),
            "resolved_at": f.resolved_at.map(|t| t.to_rfc3339()),
        })).collect::<Vec<_>>(),
        "nudges": r.nudges.iter().map(|n| json!({
            "nudge_id": n.id.to_string(), "audience": format!("{:?}", n.audience),
            "recipient_id": n.recipient.to_string(), "category": n.category, "rule_id": n.rule_id,
            "severity": n.severity, "decided_at": n.decided_at.to_rfc3339(),
            "status": format!("{:?}", n.status), "sent_at": n.sent_at.map(|t| t.to_rfc3339()),
            "subject": n.subject,
        })).collect::<Vec<_>>(),
    })
}

fn download(content_type: &'static str, name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /data/record.json`.
pub async fn json(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    let r = load(&state, &person).await?;
    let body = serde_json::to_string_pretty(&to_json(&r)).unwrap_or_default();
    Ok(download(
        "application/json",
        &format!("tidsvakt-{}.json", r.employee.fields.external_id),
        body,
    ))
}

/// One CSV field, quoted as RFC 4180 asks.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// `GET /data/record.csv`: one row per item, `record` saying which kind.
pub async fn csv(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    let r = load(&state, &person).await?;
    let mut out = String::from("record,id,at,kind,detail,reason_or_text,by_or_source,status\r\n");
    let mut row = |cols: [&str; 8]| {
        let line: Vec<String> = cols.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    for e in &r.events {
        let (fate, moved) = fate(&e.fate);
        row([
            "event",
            &e.id.to_string(),
            &e.occurred_at.to_rfc3339(),
            e.kind.as_str(),
            e.location.map_or("", |l| l.as_str()),
            &moved,
            &e.source,
            &fate,
        ]);
    }
    for a in &r.amendments {
        row([
            "amendment",
            &a.request.amendment_id.to_string(),
            &a.created_at.to_rfc3339(),
            match a.request.change {
                Change::Add { .. } => "add",
                Change::Void { .. } => "void",
                Change::Move { .. } => "move",
            },
            &change_json(&a.request.change).to_string(),
            &a.request.reason,
            &a.author,
            "",
        ]);
    }
    for f in &r.findings {
        row([
            "finding",
            &f.id.to_string(),
            &f.at.to_rfc3339(),
            &f.rule_id,
            &format!("{:?}", f.severity),
            &f.explanation,
            &f.citation,
            &format!("{:?}", f.status),
        ]);
    }
    for n in &r.nudges {
        row([
            "nudge",
            &n.id.to_string(),
            &n.decided_at.to_rfc3339(),
            &n.category,
            &format!("{:?}", n.audience),
            n.subject.as_deref().unwrap_or(""),
            &n.recipient.to_string(),
            &format!("{:?}", n.status),
        ]);
    }
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("tidsvakt-{}.csv", r.employee.fields.external_id),
        out,
    ))
}
