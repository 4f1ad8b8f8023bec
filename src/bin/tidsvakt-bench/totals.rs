//! The payroll pull of issue 15: `ListTotals` of a whole month for many
//! employees (10,000 in a full run) on SQLite, beside one `GROUP BY` over
//! the same events in the same database file; then the same pull while
//! `SyncEvents` writes and the background recompute works, with the WAL's
//! size sampled; and the server's resident memory during a pull of 1,000
//! of the employees beside a pull of all of them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{Datelike as _, NaiveDate, Utc};
use sqlx::Connection as _;
use tidsvakt::pb;
use tokio::sync::watch;

use crate::database::Backend;
use crate::load::{Clock, authed};
use crate::process::channel;
use crate::scenarios::{Outcome, Round, Settings};
use crate::schedule;
use crate::server::Server;
use crate::stats::Side;

/// The longest a pull under load is waited for.
const LOADED_BUDGET: Duration = Duration::from_secs(120);

/// The calendar month before this one: its id and first and last day.
fn last_month() -> (String, NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    let this = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let last = this.pred_opt().unwrap_or(this);
    let first = NaiveDate::from_ymd_opt(last.year(), last.month(), 1).unwrap_or(last);
    (
        format!("{:04}-{:02}", last.year(), last.month()),
        first,
        last,
    )
}

/// The pattern's slots from the Monday on or before `first` up to the end
/// of `last` (UTC).
fn month_slots(base: NaiveDate, last: NaiveDate) -> u64 {
    let end = (last + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    // A month spans at most six ISO weeks.
    (0..schedule::slots_in_weeks(6))
        .take_while(|s| schedule::slot_at(base, *s).1 < end)
        .count() as u64
}

/// The server's resident memory now, in MiB. `VmRSS:` counts the pages of
/// the SQLite file the server has mapped (`mmap_size`), which the kernel
/// reclaims as page cache; `RssAnon:` is the memory the server allocated.
fn rss_mib(pid: u32, field: &'static str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The server's peak resident (`VmRSS`) and allocated (`RssAnon`) memory
/// over a stretch of time, in MiB.
struct MemoryPeaks {
    stops: [watch::Sender<bool>; 2],
    rss: tokio::task::JoinHandle<f64>,
    anon: tokio::task::JoinHandle<f64>,
}

impl MemoryPeaks {
    fn start(pid: u32) -> Self {
        let (stop_rss, rss) = peak_of(move || rss_mib(pid, "VmRSS:"));
        let (stop_anon, anon) = peak_of(move || rss_mib(pid, "RssAnon:"));
        Self {
            stops: [stop_rss, stop_anon],
            rss,
            anon,
        }
    }

    /// (resident, allocated) peaks.
    async fn finish(self) -> anyhow::Result<(f64, f64)> {
        for s in &self.stops {
            s.send(true).ok();
        }
        Ok((self.rss.await?, self.anon.await?))
    }
}

fn file_mib(path: &std::path::Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / (1024.0 * 1024.0))
}

/// Samples `f` every 20 ms until stopped; the largest value seen.
fn peak_of(
    f: impl Fn() -> f64 + Send + 'static,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<f64>) {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut peak = f();
        loop {
            tokio::select! {
                _ = stopped.changed() => return peak.max(f()),
                () = tokio::time::sleep(Duration::from_millis(20)) => peak = peak.max(f()),
            }
        }
    });
    (stop, task)
}

/// What one whole pull sent.
struct Pulled {
    /// Employees.
    sent: usize,
    /// Times it was called again (the server ends a call at its 30 s
    /// deadline, a stream included, or before it opens; a payroll system
    /// calls again from its cursor, as this does).
    resumed: usize,
    /// Employees whose open findings count waited for a recompute.
    pending: usize,
}

/// One whole `ListTotals` pull.
async fn pull(
    server: &Server,
    token: &str,
    period: &str,
    filter: Option<pb::TotalsFilter>,
) -> anyhow::Result<Pulled> {
    let mut client =
        pb::payroll_service_client::PayrollServiceClient::new(channel(server.proc.addr).await?)
            .max_decoding_message_size(64 << 20);
    let (mut n, mut resumed, mut pending, mut cursor) = (0, 0, 0, String::new());
    loop {
        let opened = client
            .list_totals(authed(
                token,
                pb::ListTotalsRequest {
                    period_id: period.to_owned(),
                    filter: filter.clone(),
                    cursor: cursor.clone(),
                },
            ))
            .await;
        // The call can end at its deadline before the stream opens (the
        // server first brings findings current); the work done stays done.
        let mut stream = match opened {
            Ok(r) => r.into_inner(),
            Err(e) if e.code() == tonic::Code::Cancelled && resumed < 100 => {
                resumed += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        loop {
            match stream.message().await {
                Ok(Some(m)) => {
                    n += 1;
                    pending += usize::from(m.totals.is_some_and(|t| t.open_findings_pending));
                    cursor = m.cursor;
                }
                Ok(None) => {
                    return Ok(Pulled {
                        sent: n,
                        resumed,
                        pending,
                    });
                }
                Err(e) if e.code() == tonic::Code::Cancelled && resumed < 100 => {
                    resumed += 1;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// The ceiling: one `GROUP BY` over the month's events, every row fetched.
async fn group_by(
    url: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> anyhow::Result<(usize, Duration)> {
    let mut conn = sqlx::SqliteConnection::connect(url).await?;
    let micros = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_micros()
    };
    let t = Instant::now();
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT employee_id, kind, COUNT(*), MIN(occurred_at), MAX(occurred_at) \
         FROM clock_events WHERE occurred_at >= ?1 AND occurred_at < ?2 \
         GROUP BY employee_id, kind",
    )
    .bind(micros(first))
    .bind(micros(last + chrono::Duration::days(1)))
    .fetch_all(&mut conn)
    .await?;
    Ok((rows.len(), t.elapsed()))
}

/// The month's events for every employee, one stream per clock, batches of
/// `batch` events across employees; then the recompute drained.
async fn seed(
    s: &Settings,
    server: &Server,
    employees: &[String],
    tokens: &[String],
    base: NaiveDate,
    slots: u64,
) -> anyhow::Result<String> {
    let started = Instant::now();
    let clocks = Clock::many(server.proc.addr, &tokens[..s.sync_streams], employees, base).await?;
    let batch = s.batch;
    let tasks: Vec<_> = clocks
        .into_iter()
        .map(|mut c| tokio::spawn(async move { c.sync_slots(slots, batch).await }))
        .collect();
    for t in tasks {
        t.await??;
    }
    let stored = started.elapsed();
    let drained = server
        .wait_recomputed(Duration::from_secs(3 * 3600))
        .await?;
    Ok(format!(
        "seeded {} events ({slots} per employee) through SyncEvents in {:.0} s; recompute drained {:.0} s later",
        slots * employees.len() as u64,
        stored.as_secs_f64(),
        drained.as_secs_f64()
    ))
}

/// The WAL's size once it is back within `journal_size_limit` (64 MiB), or
/// after 60 s, and how long that took.
async fn wal_given_back(wal: &std::path::Path) -> (f64, Duration) {
    let t = Instant::now();
    loop {
        let mib = file_mib(wal);
        if mib <= 64.0 || t.elapsed() >= Duration::from_secs(60) {
            return (mib, t.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `ListTotals` of a month for `s.totals_employees`, quiet and under load.
pub async fn totals_sqlite(s: &Settings) -> anyhow::Result<Vec<Outcome>> {
    let server = Server::start(&s.server, Backend::Sqlite, &s.dir, &s.pg_url).await?;
    let employees = server.employees(s.totals_employees).await?;
    let tokens = server.clock_tokens(s.sync_streams + 2).await?;
    let payroll = server.token(pb::Role::Payroll, None).await?;
    let (period, first, last) = last_month();
    let base = schedule::monday_of(first);
    let slots = month_slots(base, last);
    let mut notes = vec![seed(s, &server, &employees, &tokens, base, slots).await?];
    let pid = server.proc.pid();
    // For a profiler attached to the server (`perf record -p`).
    eprintln!("bench: totals: seeded; quiet pulls start (server pid {pid})");

    // Quiet rounds, each beside the GROUP BY.
    let mut quiet = Vec::new();
    let mut peak_all = 0.0_f64;
    let mut peak_all_anon = 0.0_f64;
    let mut resumes = 0;
    for _ in 0..s.rounds {
        let cpu = server.proc.cpu_us()?;
        let memory = MemoryPeaks::start(pid);
        let t = Instant::now();
        let Pulled {
            sent: n, resumed, ..
        } = pull(&server, &payroll, &period, None).await?;
        let elapsed = t.elapsed();
        resumes += resumed;
        let (rss, anon) = memory.finish().await?;
        peak_all = peak_all.max(rss);
        peak_all_anon = peak_all_anon.max(anon);
        anyhow::ensure!(
            n == employees.len(),
            "ListTotals sent {n} of {} employees",
            employees.len()
        );
        let cpu = server.proc.cpu_us()? - cpu;
        let (_, g) = group_by(&server.db.url, first, last).await?;
        quiet.push(Round {
            tidsvakt: Side::new(vec![elapsed], elapsed, Some(cpu)),
            ceiling: Side::new(vec![g], g, None),
            recompute_drained_s: 0.0,
            lag: None,
        });
    }
    let quiet_median = median(quiet.iter().map(|r| r.tidsvakt.seconds));

    // Memory: a pull of the first 1,000 (or a tenth) beside the whole.
    let some = (employees.len() / 10).clamp(1, 1000);
    let memory = MemoryPeaks::start(pid);
    let filter = pb::TotalsFilter {
        employee_ids: employees[..some].to_vec(),
        ..Default::default()
    };
    let n = pull(&server, &payroll, &period, Some(filter)).await?.sent;
    let (peak_some, peak_some_anon) = memory.finish().await?;
    anyhow::ensure!(n == some, "the filtered pull sent {n} of {some}");
    notes.push(format!(
        "the pulls were called again {resumes} times after the 30 s call deadline"
    ));
    notes.push(format!(
        "server memory, peak while pulling: {some} employees {peak_some_anon:.0} MiB allocated \
         ({peak_some:.0} MiB resident with the mapped database pages), all {} {peak_all_anon:.0} MiB \
         ({peak_all:.0} MiB)",
        employees.len()
    ));

    let (loaded, load_notes) = under_load(
        s,
        &server,
        &employees,
        &tokens,
        &payroll,
        &period,
        quiet_median,
    )
    .await?;
    server.stop().await?;
    let title = |what: &str| {
        format!(
            "ListTotals of {period}, SQLite, {} employees × a month{what}",
            employees.len()
        )
    };
    let ceiling = "one GROUP BY over the same events (sqlx, same file)".to_owned();
    Ok(vec![
        Outcome::new(
            "totals-sqlite",
            title(""),
            "pulls/s",
            ceiling.clone(),
            quiet,
            notes,
        ),
        Outcome::new(
            "totals-sqlite-loaded",
            title(", while SyncEvents and the recompute work"),
            "pulls/s",
            ceiling,
            loaded,
            load_notes,
        ),
    ])
}

/// The pull again while two clocks post earlier months' days on
/// `SyncEvents` and the recompute works; the WAL's size sampled throughout.
async fn under_load(
    s: &Settings,
    server: &Server,
    employees: &[String],
    tokens: &[String],
    payroll: &str,
    period: &str,
    quiet_median: f64,
) -> anyhow::Result<(Vec<Round>, Vec<String>)> {
    let (_, first, last) = last_month();
    let db_file = PathBuf::from(server.db.url.trim_start_matches("sqlite://"));
    let wal = PathBuf::from(format!("{}-wal", db_file.display()));
    // Days 20 weeks back: new to the server (the pulled month is seeded),
    // never in the future, and enough of them for any run.
    let live = schedule::monday_weeks_before(Utc::now(), 20);
    let writers = Clock::many(server.proc.addr, &tokens[s.sync_streams..], employees, live).await?;
    let (stop_writers, writing) = watch::channel(false);
    let batch = s.batch;
    let writer_tasks: Vec<_> = writers
        .into_iter()
        .map(|c| {
            let mut writing = writing.clone();
            tokio::spawn(async move {
                let mut c = c;
                let mut written = 0_u64;
                while !*writing.borrow_and_update() {
                    let (back, _) = c.sync(1, batch).await?;
                    c = back;
                    written += batch as u64;
                }
                anyhow::Ok(written)
            })
        })
        .collect();
    let wal_path = wal.clone();
    let (stop_wal, wal_peak) = peak_of(move || file_mib(&wal_path));
    // Let the recompute fall behind before the first pull.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut loaded = Vec::new();
    let mut resumes = 0;
    let mut unfinished = 0;
    let mut pending = Vec::new();
    for _ in 0..s.rounds {
        let cpu = server.proc.cpu_us()?;
        let t = Instant::now();
        // A pull that cannot finish while the writers write is stopped at
        // the budget and counted at it (a lower bound of its time).
        let elapsed = if let Ok(done) =
            tokio::time::timeout(LOADED_BUDGET, pull(server, payroll, period, None)).await
        {
            let done = done?;
            resumes += done.resumed;
            pending.push(done.pending);
            anyhow::ensure!(
                done.sent == employees.len(),
                "ListTotals under load sent {}",
                done.sent
            );
            t.elapsed()
        } else {
            unfinished += 1;
            LOADED_BUDGET
        };
        let cpu = server.proc.cpu_us()? - cpu;
        let (_, g) = group_by(&server.db.url, first, last).await?;
        loaded.push(Round {
            tidsvakt: Side::new(vec![elapsed], elapsed, Some(cpu)),
            ceiling: Side::new(vec![g], g, None),
            recompute_drained_s: 0.0,
            lag: None,
        });
    }
    stop_writers.send(true).ok();
    let mut written = 0;
    for t in writer_tasks {
        written += t.await??;
    }
    let drained = server.wait_recomputed(Duration::from_secs(3600)).await?;
    stop_wal.send(true).ok();
    let wal_max = wal_peak.await?;
    let wal_end = file_mib(&wal);
    let (wal_later, after) = wal_given_back(&wal).await;
    let loaded_median = median(loaded.iter().map(|r| r.tidsvakt.seconds));
    let load_notes = vec![
        format!(
            "during the pulls two SyncEvents streams wrote {written} events; the recompute drained {:.0} s after they stopped",
            drained.as_secs_f64()
        ),
        format!(
            "WAL: at most {wal_max:.0} MiB (sampled every 20 ms), {wal_end:.0} MiB at the end, {wal_later:.0} MiB {:.1} s later (0: truncated by the checkpoint task; 64: cut back by SQLite at a commit)",
            after.as_secs_f64()
        ),
        format!(
            "pull under load over the quiet pull (medians): {:.2}",
            loaded_median / quiet_median
        ),
        format!("the pulls were called again {resumes} times after the 30 s call deadline"),
        format!(
            "employees marked open_findings_pending, by pull: {pending:?} of {}",
            employees.len()
        ),
        format!(
            "{unfinished} of {} pulls did not finish within {} s and count as {} s",
            s.rounds,
            LOADED_BUDGET.as_secs(),
            LOADED_BUDGET.as_secs()
        ),
    ];
    Ok((loaded, load_notes))
}

fn median(v: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = v.collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Checks the seeding covers the month.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_of_slots_reaches_its_last_day() {
        let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
        let last = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        let base = schedule::monday_of(first);
        let n = month_slots(base, last);
        // Mon 26 Oct .. Mon 30 Nov: 26 working days.
        assert_eq!(n, 26 * schedule::EVENTS_PER_DAY);
        assert_eq!(
            schedule::slot_at(base, n - 1).1.date_naive(),
            last,
            "the last slot is on the month's last day"
        );
    }
}
