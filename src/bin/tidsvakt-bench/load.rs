//! The load generator's clients: each has its own connection and token and
//! posts or reads for its own share of the employees.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use tidsvakt::pb;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use crate::process::channel;
use crate::schedule;

/// A request carrying `authorization: Bearer <token>`.
pub fn authed<T>(token: &str, msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    if let Ok(v) = MetadataValue::try_from(format!("Bearer {token}")) {
        r.metadata_mut().insert("authorization", v);
    }
    r
}

/// A time clock: one connection, one CLOCK token, a share of the employees,
/// and where each of them is in the event pattern.
pub struct Clock {
    client: pb::clock_service_client::ClockServiceClient<Channel>,
    token: String,
    employees: Vec<String>,
    next: Vec<u64>,
    turn: usize,
    base: NaiveDate,
}

impl Clock {
    /// `clients` clocks sharing `employees` (employee i goes to clock i mod clients).
    pub async fn many(
        addr: SocketAddr,
        tokens: &[String],
        employees: &[String],
        base: NaiveDate,
    ) -> anyhow::Result<Vec<Self>> {
        let n = tokens.len();
        let mut clocks = Vec::with_capacity(n);
        for (c, token) in tokens.iter().enumerate() {
            let mine: Vec<String> = employees.iter().skip(c).step_by(n).cloned().collect();
            clocks.push(Self {
                client: pb::clock_service_client::ClockServiceClient::new(channel(addr).await?)
                    .max_decoding_message_size(64 << 20),
                token: token.clone(),
                next: vec![0; mine.len()],
                employees: mine,
                turn: 0,
                base,
            });
        }
        Ok(clocks)
    }

    /// The next event in turn over this clock's employees.
    fn next_event(&mut self) -> pb::ClockEvent {
        let i = self.turn % self.employees.len();
        self.turn += 1;
        let e = schedule::event(&self.employees[i], self.base, self.next[i]);
        self.next[i] += 1;
        e
    }

    /// Posts `count` events one call at a time, as fast as they are
    /// answered; the latency of each call.
    pub async fn record(self, count: usize) -> anyhow::Result<(Self, Vec<Duration>)> {
        self.record_paced(count, tokio::time::Instant::now(), Duration::ZERO)
            .await
    }

    /// Posts `count` events one call at a time, the k-th not before
    /// `start + k × every` (a call that falls behind goes at once, so the
    /// rate is held where the server keeps up; a zero `every` never waits);
    /// the latency of each call.
    pub async fn record_paced(
        mut self,
        count: usize,
        start: tokio::time::Instant,
        every: Duration,
    ) -> anyhow::Result<(Self, Vec<Duration>)> {
        let mut latencies = Vec::with_capacity(count);
        for k in 0..count {
            if !every.is_zero() {
                tokio::time::sleep_until(start + every * u32::try_from(k)?).await;
            }
            let event = self.next_event();
            let t = Instant::now();
            self.client
                .record_event(authed(
                    &self.token,
                    pb::RecordEventRequest { event: Some(event) },
                ))
                .await?;
            latencies.push(t.elapsed());
        }
        Ok((self, latencies))
    }

    /// Sends `batches` batches of `batch` events on one `SyncEvents` stream,
    /// each after the previous one was answered; the latency of each batch.
    pub async fn sync(
        mut self,
        batches: usize,
        batch: usize,
    ) -> anyhow::Result<(Self, Vec<Duration>)> {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
        let mut answers = self
            .client
            .sync_events(authed(&self.token, stream))
            .await?
            .into_inner();
        let mut latencies = Vec::with_capacity(batches);
        for _ in 0..batches {
            let events: Vec<pb::ClockEvent> = (0..batch).map(|_| self.next_event()).collect();
            let t = Instant::now();
            tx.send(pb::SyncEventsRequest { events }).await?;
            let answer = answers
                .message()
                .await?
                .ok_or_else(|| anyhow::anyhow!("the stream ended early"))?;
            latencies.push(t.elapsed());
            let new = usize::try_from(answer.new_count).unwrap_or(0);
            anyhow::ensure!(
                new == batch,
                "a batch of {batch} stored {new} new events ({} rejected; the first: {:?})",
                answer.rejected_count,
                answer.results.first()
            );
        }
        drop(tx);
        Ok((self, latencies))
    }

    /// Sends `batches` on one `SyncEvents` stream, each after the previous
    /// one was answered; every event must be stored or a duplicate.
    async fn send_on_one_stream(
        &mut self,
        batches: impl IntoIterator<Item = Vec<pb::ClockEvent>>,
    ) -> anyhow::Result<()> {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
        let mut answers = self
            .client
            .sync_events(authed(&self.token, stream))
            .await?
            .into_inner();
        for events in batches {
            tx.send(pb::SyncEventsRequest { events }).await?;
            let answer = answers
                .message()
                .await?
                .ok_or_else(|| anyhow::anyhow!("the stream ended early"))?;
            anyhow::ensure!(
                answer.rejected_count == 0,
                "seeding: {} events rejected",
                answer.rejected_count
            );
        }
        Ok(())
    }

    /// Posts one employee's slots `from..to` in batches of at most `batch`
    /// (history seeding), on one stream.
    pub async fn sync_history(
        &mut self,
        employee: &str,
        from: u64,
        to: u64,
        batch: usize,
    ) -> anyhow::Result<()> {
        let base = self.base;
        let events: Vec<pb::ClockEvent> = (from..to)
            .map(|s| schedule::event(employee, base, s))
            .collect();
        self.send_on_one_stream(events.chunks(batch).map(<[pb::ClockEvent]>::to_vec))
            .await
    }

    /// Posts slots `0..slots` of every one of this clock's employees, in
    /// batches of `batch` events that run across employees, on a new stream
    /// every 16 batches (the server ends a call after its 30 s deadline, a
    /// stream included, so a clock with much to send reconnects).
    pub async fn sync_slots(&mut self, slots: u64, batch: usize) -> anyhow::Result<()> {
        let events = self
            .employees
            .iter()
            .flat_map(|e| (0..slots).map(move |s| (e, s)))
            .map(|(e, s)| schedule::event(e, self.base, s))
            .collect::<Vec<_>>();
        for part in events.chunks(batch * 16) {
            self.send_on_one_stream(part.chunks(batch).map(<[pb::ClockEvent]>::to_vec))
                .await?;
        }
        Ok(())
    }

    /// This clock's employees.
    #[must_use]
    pub fn employees(&self) -> &[String] {
        &self.employees
    }
}

/// A person reading their own timesheet with their EMPLOYEE token.
pub struct Reader {
    client: pb::timesheet_service_client::TimesheetServiceClient<Channel>,
    token: String,
    employee: String,
    months: Vec<(i32, i32)>,
    turn: usize,
}

impl Reader {
    pub async fn new(
        addr: SocketAddr,
        token: String,
        employee: String,
        months: Vec<(i32, i32)>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: pb::timesheet_service_client::TimesheetServiceClient::new(channel(addr).await?)
                .max_decoding_message_size(64 << 20),
            token,
            employee,
            months,
            turn: 0,
        })
    }

    fn next_request(&mut self) -> pb::GetTimesheetRequest {
        let (year, month) = self.months[self.turn % self.months.len()];
        self.turn += 1;
        month_request(&self.employee, year, month)
    }

    /// One call (used to capture the answer the no-op server repeats).
    pub async fn once(&mut self) -> anyhow::Result<pb::GetTimesheetResponse> {
        let req = self.next_request();
        Ok(self
            .client
            .get_timesheet(authed(&self.token, req))
            .await?
            .into_inner())
    }

    /// `count` calls in a row; the latency of each.
    pub async fn read(mut self, count: usize) -> anyhow::Result<(Self, Vec<Duration>)> {
        let mut latencies = Vec::with_capacity(count);
        for _ in 0..count {
            let req = self.next_request();
            let t = Instant::now();
            self.client.get_timesheet(authed(&self.token, req)).await?;
            latencies.push(t.elapsed());
        }
        Ok((self, latencies))
    }
}

/// `GetTimesheet` for the whole of one month.
#[must_use]
pub fn month_request(employee: &str, year: i32, month: i32) -> pb::GetTimesheetRequest {
    let first =
        NaiveDate::from_ymd_opt(year, u32::try_from(month).unwrap_or(1), 1).unwrap_or_default();
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first);
    let date = |d: NaiveDate| {
        use chrono::Datelike as _;
        pb::LocalDate {
            year: d.year(),
            month: i32::try_from(d.month()).unwrap_or(1),
            day: i32::try_from(d.day()).unwrap_or(1),
        }
    };
    pb::GetTimesheetRequest {
        employee_id: employee.to_owned(),
        dates: Some(pb::LocalDateRange {
            start: Some(date(first)),
            end: Some(date(last)),
        }),
    }
}

/// Runs one round: every client does its part at once; the clients come back
/// for the next round, with the latencies and the wall time.
pub async fn round<T, F, Fut>(
    clients: Vec<T>,
    work: F,
) -> anyhow::Result<(Vec<T>, Vec<Duration>, Duration)>
where
    T: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(T, Vec<Duration>)>> + Send + 'static,
{
    let started = Instant::now();
    let tasks: Vec<_> = clients.into_iter().map(|c| tokio::spawn(work(c))).collect();
    let mut back = Vec::with_capacity(tasks.len());
    let mut latencies = Vec::new();
    for t in tasks {
        let (c, l) = t.await??;
        back.push(c);
        latencies.extend(l);
    }
    Ok((back, latencies, started.elapsed()))
}
