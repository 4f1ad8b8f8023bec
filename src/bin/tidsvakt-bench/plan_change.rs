//! `plan-change-sqlite`: an organisation-wide holiday re-judges every
//! employee, so `AddHoliday` queues all of them for a recompute before it
//! answers. Beside it, the ceiling: the same number of queue rows upserted
//! in one transaction into a fresh database with the same schema.

use std::time::Instant;

use chrono::{Datelike as _, Utc};
use tidsvakt::pb;

use crate::baseline::RawDb;
use crate::database::Backend;
use crate::load::authed;
use crate::process::channel;
use crate::scenarios::{DRAIN_LIMIT, Outcome, Round, Settings};
use crate::server::Server;
use crate::stats::Side;

/// `AddHoliday` (a day off in February next year, a new date each round) for
/// `s.totals_employees`, each round after the recompute of the last one
/// has drained.
pub async fn plan_change_sqlite(s: &Settings) -> anyhow::Result<Outcome> {
    let server = Server::start(&s.server, Backend::Sqlite, &s.dir, &s.pg_url).await?;
    let employees = server.employees(s.totals_employees).await?;
    let raw = RawDb::create(
        Backend::Sqlite,
        &s.dir,
        &s.pg_url,
        &s.server,
        employees.len(),
        1,
    )
    .await?;
    let mut admin =
        pb::admin_service_client::AdminServiceClient::new(channel(server.proc.addr).await?);
    server.wait_recomputed(DRAIN_LIMIT).await?;
    let next_year = Utc::now().year() + 1;
    let mut rounds = Vec::new();
    for k in 0..s.rounds {
        // A February day (no national holiday), a new one every round.
        let (year, day) = (
            next_year + i32::try_from(k / 28)?,
            i32::try_from(k % 28)? + 1,
        );
        let cpu = server.proc.cpu_us()?;
        let t = Instant::now();
        admin
            .add_holiday(authed(
                &server.admin,
                pb::AddHolidayRequest {
                    holiday: Some(pb::Holiday {
                        date: Some(pb::LocalDate {
                            year,
                            month: 2,
                            day,
                        }),
                        name: format!("Bench day off {day}"),
                        kind: pb::HolidayKind::DayOff as i32,
                        ..Default::default()
                    }),
                },
            ))
            .await?;
        let elapsed = t.elapsed();
        let cpu = server.proc.cpu_us()? - cpu;
        let drained = server.wait_recomputed(DRAIN_LIMIT).await?;
        let ceiling = raw.queue_everyone().await?;
        rounds.push(Round {
            tidsvakt: Side::new(vec![elapsed], elapsed, Some(cpu)),
            ceiling: Side::new(vec![ceiling], ceiling, None),
            recompute_drained_s: drained.as_secs_f64(),
            lag: None,
        });
    }
    server.stop().await?;
    raw.db.drop_now().await?;
    Ok(Outcome::new(
        "plan-change-sqlite",
        format!(
            "AddHoliday for the whole organisation, SQLite, {} employees",
            employees.len()
        ),
        "calls/s",
        format!(
            "{} queue rows upserted in one transaction (sqlx, a fresh database)",
            employees.len()
        ),
        rounds,
        vec![
            "CPU a call: the server's while the call ran, with whatever recompute the worker started meanwhile; the drain after it is in the last column, not timed".to_owned(),
        ],
    ))
}
