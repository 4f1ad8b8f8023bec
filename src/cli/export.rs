//! `tidsvakt export`: a payroll period's totals as a CSV file, pulled with
//! `PayrollService.ExportTotalsCsv`. The file appears whole or not at all
//! (written beside it, then renamed), and a stream broken halfway is resumed
//! from its last cursor rather than started over.
//!
//! Example: `tidsvakt export --period 2026-10 --dialect excel-nb --out oktober.csv`

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};

use super::client::{Connection, explain};
use crate::pb;
use crate::pb::payroll_service_client::PayrollServiceClient;

/// What `tidsvakt export` asks.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The payroll period, e.g. 2026-11 (monthly), 2026-11-H1
    /// (semi-monthly) or 2026-W45-4W (four-weekly).
    #[arg(long)]
    pub period: String,
    /// The file to write. Default: tidsvakt-<period>.csv.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Only these employees (repeat the flag).
    #[arg(long = "employee")]
    pub employees: Vec<String>,
    /// Only the direct reports of this manager.
    #[arg(long)]
    pub manager: Option<String>,
    /// Only lines with these pay codes (repeat the flag).
    #[arg(long = "pay-code")]
    pub pay_codes: Vec<String>,
    /// How the file is spelt: rfc4180 (comma, decimal point; for payroll
    /// systems) or excel-nb (semicolon, decimal comma, UTF-8 with BOM; opens
    /// in columns in Excel with Norwegian settings).
    #[arg(long, value_enum, default_value = "rfc4180")]
    pub dialect: DialectArg,
}

/// `--dialect`: the CSV spellings of `PayrollService.ExportTotalsCsv`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    #[default]
    Rfc4180,
    ExcelNb,
}

impl DialectArg {
    fn pb(self) -> pb::CsvDialect {
        match self {
            Self::Rfc4180 => pb::CsvDialect::Rfc4180,
            Self::ExcelNb => pb::CsvDialect::ExcelNb,
        }
    }
}

/// Rows and bytes written.
#[derive(Debug, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub rows: usize,
    pub bytes: usize,
}

/// How many times a broken stream is resumed before giving up.
const RESUMES: usize = 3;

/// Pulls the CSV into `args.out` and returns what was written.
///
/// # Errors
/// When the server refuses (the message says why) or the file cannot be
/// written.
pub async fn export(conn: &Connection, args: &ExportArgs) -> anyhow::Result<Written> {
    let path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("tidsvakt-{}.csv", args.period)));
    let filter = pb::TotalsFilter {
        employee_ids: args.employees.clone(),
        manager_employee_id: args.manager.clone().unwrap_or_default(),
        pay_codes: args.pay_codes.clone(),
    };
    let mut client = PayrollServiceClient::new(conn.channel().await?);
    let mut body: Vec<u8> = Vec::new();
    let mut cursor = String::new();
    let mut resumes = 0;
    loop {
        let request = conn.request(pb::ExportTotalsCsvRequest {
            period_id: args.period.clone(),
            filter: Some(filter.clone()),
            cursor: cursor.clone(),
            dialect: args.dialect.pb() as i32,
        })?;
        let mut stream = client
            .export_totals_csv(request)
            .await
            .map_err(explain)?
            .into_inner();
        let broken = loop {
            match stream.message().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk.chunk);
                    if !chunk.cursor.is_empty() {
                        cursor = chunk.cursor;
                    }
                }
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        match broken {
            None => break,
            // Only a transport failure is worth resuming; a refusal is final.
            Some(e)
                if resumes < RESUMES
                    && e.code() == tonic::Code::Unavailable
                    && !cursor.is_empty() =>
            {
                resumes += 1;
                tracing::warn!(
                    attempt = resumes,
                    "export stream broke; resuming from the last cursor"
                );
            }
            Some(e) => return Err(explain(e)),
        }
    }
    if body.is_empty() {
        bail!("the server sent no CSV at all");
    }
    write_whole(&path, &body)?;
    let text = String::from_utf8_lossy(&body);
    Ok(Written {
        path,
        rows: text.matches("\r\n").count().saturating_sub(1),
        bytes: body.len(),
    })
}

/// Writes `body` to a temporary file beside `path`, then renames it.
fn write_whole(path: &Path, body: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .context("--out must name a file")?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.partial"));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(body)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Runs `tidsvakt export` and says what it wrote.
///
/// # Errors
/// As [`export`].
pub async fn run(conn: &Connection, args: &ExportArgs) -> anyhow::Result<()> {
    let w = export(conn, args).await?;
    println!(
        "wrote {} rows ({} bytes) for period {} to {}",
        w.rows,
        w.bytes,
        args.period,
        w.path.display()
    );
    Ok(())
}
