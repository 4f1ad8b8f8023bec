//! `tidsvakt health`: asks a server's gRPC health service whether it is
//! serving, and exits 0 when it is. For container health checks and
//! Kubernetes exec probes, where `grpc_health_probe` is rarely installed
//! and the kubelet's own gRPC probe cannot speak TLS.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The server to ask: `http://…`, or `https://…` when it serves TLS.
    #[arg(
        long,
        env = "TIDSVAKT_HEALTH_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    pub addr: String,
    /// The service to ask about; empty means the server as a whole.
    #[arg(long, default_value = "")]
    pub service: String,
    /// PEM file of the CA that signed the server's certificate (for `https://`).
    #[arg(long, env = "TIDSVAKT_HEALTH_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// The name the certificate is issued to, when it differs from the
    /// address's host (a pod asks 127.0.0.1 for a certificate of
    /// `tidsvakt.example.svc`).
    #[arg(long, env = "TIDSVAKT_HEALTH_TLS_SERVER_NAME")]
    pub tls_server_name: Option<String>,
    /// Exit 0 on any answer, `NOT_SERVING` included: a liveness check. A
    /// server that answers is alive; a database outage should take it out
    /// of rotation (readiness), not restart it.
    #[arg(long)]
    pub any_status: bool,
    /// Give up after this many seconds (connecting and asking together).
    #[arg(long, default_value_t = 2)]
    pub timeout_secs: u64,
}

/// Asks once. `Ok` only for `SERVING`; the error says what was answered.
///
/// # Errors
/// Unreachable, too slow, TLS settings that do not work, or any answer but
/// `SERVING`.
pub async fn run(args: &HealthArgs) -> anyhow::Result<()> {
    let limit = Duration::from_secs(args.timeout_secs.max(1));
    let status = tokio::time::timeout(limit, ask(args))
        .await
        .with_context(|| format!("no answer from {} within {} s", args.addr, limit.as_secs()))??;
    match status {
        ServingStatus::Serving => {
            println!("SERVING");
            Ok(())
        }
        other if args.any_status => {
            println!("{} (alive)", other.as_str_name());
            Ok(())
        }
        other => bail!(
            "{} reports {} for service '{}'",
            args.addr,
            other.as_str_name(),
            args.service
        ),
    }
}

async fn ask(args: &HealthArgs) -> anyhow::Result<ServingStatus> {
    let mut endpoint = Channel::from_shared(args.addr.clone())
        .with_context(|| format!("--addr: '{}' is not an address", args.addr))?;
    if args.addr.starts_with("https://") {
        let mut tls = ClientTlsConfig::new();
        if let Some(file) = &args.ca_cert {
            let pem = std::fs::read(file)
                .with_context(|| format!("--ca-cert: reading {}", file.display()))?;
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        if let Some(name) = &args.tls_server_name {
            tls = tls.domain_name(name.clone());
        }
        endpoint = endpoint
            .tls_config(tls)
            .context("--ca-cert: TLS settings")?;
    } else if args.ca_cert.is_some() || args.tls_server_name.is_some() {
        bail!("--ca-cert and --tls-server-name need an https:// --addr");
    }
    let channel = endpoint
        .connect()
        .await
        .with_context(|| format!("cannot reach {}", args.addr))?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: args.service.clone(),
        })
        .await
        .map_err(|s| anyhow::anyhow!("{}: {:?}: {}", args.addr, s.code(), s.message()))?;
    Ok(reply.into_inner().status())
}
