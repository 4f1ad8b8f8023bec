//! `tidsvakt audit export`: a period of the audit trail (the § 10-7 access
//! log) as CSV (RFC 4180: comma-separated, fields with a comma, quote or
//! line break quoted, CRLF line ends), pulled page by page with
//! `AdminService.ListAuditLog`. Needs an ADMIN token.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::client::{Connection, explain};
use crate::grpc::convert::timestamp;
use crate::pb;
use crate::pb::admin_service_client::AdminServiceClient;

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Print the entries of a period as CSV.
    Export(AuditExportArgs),
}

/// What `tidsvakt audit export` asks.
#[derive(Debug, Args)]
pub struct AuditExportArgs {
    /// From this day (00:00 UTC) or instant (RFC 3339), inclusive.
    #[arg(long)]
    pub from: String,
    /// To this day (00:00 UTC) or instant (RFC 3339), exclusive.
    #[arg(long)]
    pub to: String,
    /// Only entries about this employee's record.
    #[arg(long)]
    pub employee: Option<String>,
}

/// The CSV's header line.
pub const HEADER: &str =
    "entry_id,at,actor_kind,actor_id,actor_name,action,subject_employee_id,target,client,reason";

/// "2026-11-01" as 00:00 UTC, or an RFC 3339 instant.
fn instant(flag: &str, s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| {
            format!("--{flag} '{s}' is neither a date (2026-11-01) nor an RFC 3339 instant")
        })
}

/// One CSV field, quoted as RFC 4180 asks.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One entry as a CSV line, with its CRLF.
#[must_use]
pub fn csv_line(e: &pb::AuditEntry) -> String {
    let at =
        e.at.as_ref()
            .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
            .unwrap_or_default();
    let cols = [
        e.entry_id.as_str(),
        &at,
        &e.actor_kind,
        &e.actor_id,
        &e.actor_name,
        &e.action,
        &e.subject_employee_id,
        &e.target,
        &e.client,
        &e.reason,
    ];
    let mut line = cols.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// The whole period as CSV, header first.
///
/// # Errors
/// A bad flag, or the server's refusal (the message says why).
pub async fn export_csv(conn: &Connection, args: &AuditExportArgs) -> anyhow::Result<String> {
    let from = instant("from", &args.from)?;
    let to = instant("to", &args.to)?;
    let mut client = AdminServiceClient::new(conn.channel().await?);
    let mut out = format!("{HEADER}\r\n");
    let mut page_token = String::new();
    loop {
        let r = client
            .list_audit_log(conn.request(pb::ListAuditLogRequest {
                from: Some(timestamp(from)),
                to: Some(timestamp(to)),
                employee_id: args.employee.clone().unwrap_or_default(),
                actions: Vec::new(),
                page: Some(pb::PageRequest {
                    page_size: 500,
                    page_token: page_token.clone(),
                }),
            })?)
            .await
            .map_err(explain)?
            .into_inner();
        for e in &r.entries {
            out.push_str(&csv_line(e));
        }
        if r.next_page_token.is_empty() {
            return Ok(out);
        }
        page_token = r.next_page_token;
    }
}

/// Runs `tidsvakt audit …`.
///
/// # Errors
/// As [`export_csv`].
pub async fn run(conn: &Connection, action: AuditAction) -> anyhow::Result<()> {
    match action {
        AuditAction::Export(args) => {
            print!("{}", export_csv(conn, &args).await?);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted() {
        let e = pb::AuditEntry {
            entry_id: "id".into(),
            at: Some(prost_types::Timestamp {
                seconds: 1_795_636_800,
                nanos: 0,
            }),
            actor_name: "Nordmann, Kari (MANAGER)".into(),
            reason: "said \"oops\"\nthen fixed".into(),
            ..Default::default()
        };
        assert_eq!(
            csv_line(&e),
            "id,2026-11-25T20:00:00.000000Z,,,\"Nordmann, Kari (MANAGER)\",,,,,\"said \"\"oops\"\"\nthen fixed\"\r\n"
        );
    }

    #[test]
    fn days_and_instants_are_accepted_and_nonsense_is_named() {
        assert_eq!(
            instant("from", "2026-11-01").unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            instant("to", "2026-11-01T10:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-01T09:00:00+00:00"
        );
        let e = instant("to", "yesterday").unwrap_err().to_string();
        assert!(e.contains("--to 'yesterday'"), "{e}");
    }
}
