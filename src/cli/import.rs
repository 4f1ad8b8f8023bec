//! `tidsvakt import employees FILE [--dry-run]`: reads an HR system's CSV
//! export with the same `domain::import::parse_csv` the console's page
//! uses, sends the rows to `AdminService.ImportEmployees`, and prints one
//! line per row and the totals. Needs an ADMIN token.

use std::path::PathBuf;

use std::fmt::Write as _;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::client::{Connection, explain};
use crate::domain::employee::Locale;
use crate::domain::import;
use crate::pb;
use crate::pb::admin_service_client::AdminServiceClient;

#[derive(Debug, Subcommand)]
pub enum ImportAction {
    /// Create or update employees from a CSV file, keyed by external id.
    ///
    /// Columns by header name: `external_id`, `name`, `email` (required);
    /// `time_zone`, `manager_external_id`, `locale`, `rule_pack`, `department`
    /// (optional); others
    /// are ignored. UTF-8 with or without a BOM; `,` or `;` between fields.
    /// Rows with problems are skipped and named; importing the same file
    /// again changes nothing.
    ///
    /// Example: tidsvakt import employees staff.csv --dry-run
    Employees(ImportEmployeesArgs),
}

/// What `tidsvakt import employees` asks.
#[derive(Debug, Args)]
pub struct ImportEmployeesArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// Judge every row and print what would happen; store nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn action_word(a: i32) -> &'static str {
    match pb::ImportAction::try_from(a) {
        Ok(pb::ImportAction::Create) => "create",
        Ok(pb::ImportAction::Update) => "update",
        Ok(pb::ImportAction::Unchanged) => "unchanged",
        Ok(pb::ImportAction::Skipped) => "skipped",
        _ => "?",
    }
}

/// The command's output: a line per row, then the totals.
///
/// # Errors
/// An unreadable or malformed file, or the server's refusal.
pub async fn import_text(conn: &Connection, args: &ImportEmployeesArgs) -> anyhow::Result<String> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let rows = import::parse_csv(&bytes)
        .map_err(|p| anyhow::anyhow!("{}: {}", args.file.display(), p.text(Locale::En)))?;
    let request = pb::ImportEmployeesRequest {
        rows: rows
            .into_iter()
            .map(|r| pb::ImportEmployeeRow {
                row: i32::try_from(r.row).unwrap_or(i32::MAX),
                external_id: r.external_id,
                name: r.name,
                email: r.email,
                time_zone: r.time_zone,
                manager_external_id: r.manager_external_id,
                locale: r.locale,
                rule_pack: r.rule_pack,
                department: r.department,
            })
            .collect(),
        dry_run: args.dry_run,
    };
    let mut client = AdminServiceClient::new(conn.channel().await?);
    let r = client
        .import_employees(conn.request(request)?)
        .await
        .map_err(explain)?
        .into_inner();
    let mut out = String::new();
    for row in &r.results {
        let ext = if row.external_id.is_empty() {
            "-"
        } else {
            &row.external_id
        };
        let _ = write!(out, "row {}: {ext} {}", row.row, action_word(row.action));
        for p in &row.problems {
            let _ = write!(out, " [{}: {}]", p.field, p.reason);
        }
        out.push('\n');
    }
    if r.dry_run {
        let _ = writeln!(
            out,
            "dry run, nothing stored: {} to create, {} to update, {} unchanged, {} skipped",
            r.created, r.updated, r.unchanged, r.skipped
        );
    } else {
        let _ = writeln!(
            out,
            "{} created, {} updated, {} unchanged, {} skipped",
            r.created, r.updated, r.unchanged, r.skipped
        );
    }
    Ok(out)
}

/// Runs `tidsvakt import …`.
///
/// # Errors
/// As [`import_text`].
pub async fn run(conn: &Connection, action: ImportAction) -> anyhow::Result<()> {
    match action {
        ImportAction::Employees(args) => print!("{}", import_text(conn, &args).await?),
    }
    Ok(())
}
