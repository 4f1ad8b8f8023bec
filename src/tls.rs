//! TLS for both ports (gRPC and the web), with rustls.
//!
//! The certificate and key are read from PEM files and read again when
//! either file changes (checked every few seconds), so a renewed
//! certificate is served without a restart; a pair that fails to load is
//! logged and the old one kept. With a client CA, time clocks may present
//! client certificates (mTLS): verified when presented, required only with
//! `--tls-require-client-cert`.
//!
//! Handshakes run in their own tasks with a deadline, so a slow or silent
//! client holds up no one else's connection.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

/// How long a client has to finish its handshake.
const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);

/// Where the certificate, key and (optional) client CA are.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Clients presenting a certificate must chain to this CA.
    pub client_ca: Option<PathBuf>,
    /// Refuse clients without a certificate (needs `client_ca`).
    pub require_client_cert: bool,
    /// How often the files are checked for a change.
    pub reload_every: Duration,
}

/// The current server configuration, swapped when the files change.
#[derive(Clone)]
pub struct Tls {
    files: TlsFiles,
    current: Arc<RwLock<Loaded>>,
}

struct Loaded {
    /// One config per ALPN set: gRPC speaks h2, the pages http/1.1.
    grpc: Arc<rustls::ServerConfig>,
    web: Arc<rustls::ServerConfig>,
    stamp: Vec<Option<SystemTime>>,
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

impl Tls {
    /// Loads the files once; fails when they do not make a usable config.
    ///
    /// # Errors
    /// A file that cannot be read or parsed, or a key that does not match.
    pub fn load(files: TlsFiles) -> anyhow::Result<Self> {
        let loaded = load(&files)?;
        Ok(Self {
            files,
            current: Arc::new(RwLock::new(loaded)),
        })
    }

    fn config(&self, web: bool) -> Arc<rustls::ServerConfig> {
        let c = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(if web { &c.web } else { &c.grpc })
    }

    /// Reloads when a file changed; keeps the old config if the new one
    /// does not load. Returns whether a new config is in use.
    pub fn reload_if_changed(&self) -> bool {
        let stamp = stamp(&self.files);
        let unchanged = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .stamp
            == stamp;
        if unchanged {
            return false;
        }
        match load(&self.files) {
            Ok(loaded) => {
                *self
                    .current
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = loaded;
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                true
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "TLS files changed but do not load; keeping the previous certificate");
                // Do not retry a broken pair every tick: wait for the next change.
                self.current
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .stamp = stamp;
                false
            }
        }
    }

    /// Checks the files every `reload_every` until the process ends.
    pub async fn watch(self) {
        let mut tick = tokio::time::interval(self.files.reload_every);
        tick.tick().await;
        loop {
            tick.tick().await;
            self.reload_if_changed();
        }
    }

    /// Accepts TCP connections on `listener` and hands out finished TLS
    /// streams (for the web pages when `web`, else for gRPC).
    #[must_use]
    pub fn accept(
        &self,
        listener: TcpListener,
        web: bool,
    ) -> mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)> {
        let (tx, rx) = mpsc::channel(64);
        let tls = self.clone();
        tokio::spawn(async move {
            loop {
                let (tcp, addr) = match listener.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                if tx.is_closed() {
                    break;
                }
                let acceptor = TlsAcceptor::from(tls.config(web));
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_DEADLINE, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, addr)).await;
                        }
                        Ok(Err(e)) => {
                            metrics::counter!(crate::metrics::families::TLS_HANDSHAKE_FAILURES)
                                .increment(1);
                            tracing::debug!(client = %addr, error = %e, "TLS handshake failed");
                        }
                        Err(_) => {
                            metrics::counter!(crate::metrics::families::TLS_HANDSHAKE_FAILURES)
                                .increment(1);
                            tracing::debug!(client = %addr, "TLS handshake timed out");
                        }
                    }
                });
            }
        });
        rx
    }
}

fn stamp(files: &TlsFiles) -> Vec<Option<SystemTime>> {
    let mut s = vec![modified(&files.cert), modified(&files.key)];
    if let Some(ca) = &files.client_ca {
        s.push(modified(ca));
    }
    s
}

fn load(files: &TlsFiles) -> anyhow::Result<Loaded> {
    let stamp = stamp(files);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("reading the TLS certificate {}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing the TLS certificate {}", files.cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{} holds no PEM certificate", files.cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("reading the TLS key {}", files.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?;
    let builder = match &files.client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(ca)
                .with_context(|| format!("reading the client CA {}", ca.display()))?
            {
                roots
                    .add(c.with_context(|| format!("parsing the client CA {}", ca.display()))?)
                    .context("adding the client CA")?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                Arc::clone(&provider),
            );
            let verifier = if files.require_client_cert {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            builder.with_client_cert_verifier(verifier.build().context("client CA verifier")?)
        }
        None if files.require_client_cert => {
            anyhow::bail!("--tls-require-client-cert needs --tls-client-ca")
        }
        None => builder.with_no_client_auth(),
    };
    let mut grpc = builder
        .with_single_cert(certs, key)
        .context("the TLS key does not match the certificate")?;
    let mut web = grpc.clone();
    grpc.alpn_protocols = vec![b"h2".to_vec()];
    web.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Loaded {
        grpc: Arc::new(grpc),
        web: Arc::new(web),
        stamp,
    })
}

/// An axum listener over finished TLS streams.
pub struct WebListener {
    pub incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    pub local: SocketAddr,
}

impl axum::serve::Listener for WebListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(c) => c,
            // The acceptor stopped: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
