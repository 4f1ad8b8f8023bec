//! The real server: `tidsvakt serve` as its own process on a fresh database,
//! with background jobs on, and the seeding of its organisation over gRPC.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sqlx::Connection as _;
use tidsvakt::pb;

use crate::database::{Backend, FreshDb};
use crate::load::authed;
use crate::process::{Proc, channel, free_addr};

/// A running server and what the harness needs to drive it.
pub struct Server {
    pub proc: Proc,
    pub db: FreshDb,
    pub admin: String,
}

impl Server {
    /// Starts `binary serve` on a fresh database in `dir`. The call limits
    /// are lifted (0 = no limit) so the load is measured, not the limiter;
    /// everything else, background jobs included, is the default.
    pub async fn start(
        binary: &Path,
        backend: Backend,
        dir: &Path,
        pg_url: &str,
    ) -> anyhow::Result<Self> {
        let db = FreshDb::create(backend, dir, pg_url).await?;
        let data = dir.join(format!("server-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data)?;
        let (addr, web) = (free_addr()?, free_addr()?);
        let args: Vec<String> = [
            "serve",
            "--listen",
            &addr.to_string(),
            "--web-listen",
            &web.to_string(),
            "--data-dir",
            &data.display().to_string(),
            "--database-url",
            &db.url,
            "--rate-per-token",
            "0",
            "--rate-per-address",
            "0",
            "--streams-per-token",
            "10000",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        let log = data.join("server.log");
        let mut proc = Proc::start(binary, &args, &log, addr)?;
        proc.wait_ready(Duration::from_secs(120))
            .await
            .with_context(|| format!("the server did not start; its log is {}", log.display()))?;
        let admin = std::fs::read_to_string(data.join(tidsvakt::app::ADMIN_TOKEN_FILE))?
            .trim()
            .to_owned();
        Ok(Self { proc, db, admin })
    }

    /// Creates `n` employees, 16 calls at a time; their ids in creation order.
    pub async fn employees(&self, n: usize) -> anyhow::Result<Vec<String>> {
        let mut ids = Vec::with_capacity(n);
        let chan = channel(self.proc.addr).await?;
        for chunk in (0..n).collect::<Vec<_>>().chunks(16) {
            let calls = chunk.iter().map(|i| {
                let mut client = pb::admin_service_client::AdminServiceClient::new(chan.clone());
                let req = authed(
                    &self.admin,
                    pb::CreateEmployeeRequest {
                        external_id: format!("bench-{i}"),
                        name: format!("Bench {i}"),
                        email: format!("bench{i}@example.no"),
                        ..Default::default()
                    },
                );
                async move { client.create_employee(req).await }
            });
            for reply in futures::future::join_all(calls).await {
                let employee = reply?
                    .into_inner()
                    .employee
                    .context("no employee in the answer")?;
                ids.push(employee.employee_id);
            }
        }
        Ok(ids)
    }

    /// A new token with `role` (bound to `employee` for EMPLOYEE tokens).
    pub async fn token(&self, role: pb::Role, employee: Option<&str>) -> anyhow::Result<String> {
        let mut client =
            pb::admin_service_client::AdminServiceClient::new(channel(self.proc.addr).await?);
        let expires_at = employee.map(|_| {
            tidsvakt::grpc::convert::timestamp(chrono::Utc::now() + chrono::Duration::days(30))
        });
        let reply = client
            .create_api_token(authed(
                &self.admin,
                pb::CreateApiTokenRequest {
                    name: format!("bench {}", uuid::Uuid::new_v4().simple()),
                    role: role as i32,
                    employee_id: employee.unwrap_or_default().to_owned(),
                    expires_at,
                    department: String::new(),
                },
            ))
            .await?;
        Ok(reply.into_inner().secret)
    }

    /// `n` CLOCK tokens.
    pub async fn clock_tokens(&self, n: usize) -> anyhow::Result<Vec<String>> {
        let mut tokens = Vec::with_capacity(n);
        for _ in 0..n {
            tokens.push(self.token(pb::Role::Clock, None).await?);
        }
        Ok(tokens)
    }

    /// Waits until the background recompute has caught up with every write
    /// (its queue is empty); how long that took.
    pub async fn wait_recomputed(&self, timeout: Duration) -> anyhow::Result<Duration> {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(self.db.observer_url()).await?;
        let started = Instant::now();
        loop {
            let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM recompute_queue")
                .fetch_one(&mut conn)
                .await?;
            if left == 0 {
                return Ok(started.elapsed());
            }
            anyhow::ensure!(
                started.elapsed() < timeout,
                "{left} employees still queued for recompute after {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the server and drops its database.
    pub async fn stop(self) -> anyhow::Result<()> {
        drop(self.proc);
        self.db.drop_now().await
    }
}
