//! TLS on both ports (issue 14 item 1): a real rustls client against the
//! real server, certificates made by rcgen for the test.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_rustls::rustls;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

use crate::helpers::test_now;
use tidsvakt::app::App;
use tidsvakt::clock::ManualClock;
use tidsvakt::config::{Security, ServerConfig};
use tidsvakt::pb;
use tidsvakt::tls::TlsFiles;

/// A CA that signs server and client certificates.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Self {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for `names`, as (certificate PEM, key PEM, certificate DER).
    fn leaf(&self, names: &[&str]) -> (String, String, Vec<u8>) {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }
}

struct TlsServer {
    grpc: std::net::SocketAddr,
    web: std::net::SocketAddr,
    admin: String,
    dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

fn write(path: &Path, text: &str) {
    // Write-then-rename, as a certificate tool does: never a half file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

async fn start(ca: &Ca, client_ca: Option<&Ca>, require_client_cert: bool) -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = ca.leaf(&["localhost"]);
    let cert_file = dir.path().join("server.crt");
    let key_file = dir.path().join("server.key");
    write(&cert_file, &cert);
    write(&key_file, &key);
    let client_ca_file = client_ca.map(|c| {
        let f = dir.path().join("clients.crt");
        write(&f, &c.pem());
        f
    });
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        web_listen: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("t.db").display()),
        data_dir: dir.path().to_owned(),
        outbox_dir: dir.path().join("outbox"),
        limits: tidsvakt::grpc::Limits::default(),
        bootstrap: true,
        metrics_listen: None,
        mail: tidsvakt::mail::MailConfig::eml(),
        jobs: tidsvakt::jobs::JobSettings::default(),
        background_jobs: false,
        sso_config: None,
        security: Security {
            tls: Some(TlsFiles {
                cert: cert_file,
                key: key_file,
                client_ca: client_ca_file,
                require_client_cert,
                reload_every: Duration::from_millis(100),
            }),
            ..Security::default()
        },
    };
    let app = App::build(config, Arc::new(ManualClock::new(test_now())))
        .await
        .expect("builds with TLS");
    let admin = app.first_admin.as_ref().unwrap().secret.clone();
    let (grpc, web) = (app.local_addr(), app.web_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    TlsServer {
        grpc,
        web,
        admin,
        dir,
        stop: Some(tx),
    }
}

async fn grpc_call(server: &TlsServer, ca: &Ca, identity: Option<Identity>) -> Result<(), String> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca.pem()))
        .domain_name("localhost");
    if let Some(id) = identity {
        tls = tls.identity(id);
    }
    let channel = Endpoint::from_shared(format!("https://{}", server.grpc))
        .unwrap()
        .tls_config(tls)
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let mut admin = pb::admin_service_client::AdminServiceClient::new(channel);
    let mut request = tonic::Request::new(pb::GetOrganisationRequest::default());
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", server.admin).parse().unwrap(),
    );
    admin
        .get_organisation(request)
        .await
        .map(|_| ())
        .map_err(|s| format!("{s:?}"))
}

/// Connects with rustls and returns the server's certificate (DER) and the
/// first line of the answer to `GET /sign-in`.
async fn web_get(addr: std::net::SocketAddr, ca: &Ca) -> (Vec<u8>, String) {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            ca.issuer.der().to_vec(),
        ))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .expect("handshake");
    let cert = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    tls.write_all(b"GET /sign-in HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    (cert, text.lines().next().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_ports_speak_tls_and_a_renewed_certificate_is_served_without_a_restart() {
    let ca = Ca::new();
    let server = start(&ca, None, false).await;
    grpc_call(&server, &ca, None).await.expect("gRPC over TLS");
    let (first_cert, status) = web_get(server.web, &ca).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    // Clear text to the TLS port gets no answer.
    let plain = tonic::transport::Channel::from_shared(format!("http://{}", server.grpc))
        .unwrap()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(2))
        .connect_lazy();
    let mut admin = pb::admin_service_client::AdminServiceClient::new(plain);
    assert!(
        admin
            .get_organisation(pb::GetOrganisationRequest::default())
            .await
            .is_err()
    );

    // Renew: new files in place; the next handshake presents the new one.
    let (cert, key, der) = ca.leaf(&["localhost"]);
    write(&server.dir.path().join("server.key"), &key);
    write(&server.dir.path().join("server.crt"), &cert);
    let mut now_served = first_cert.clone();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        now_served = web_get(server.web, &ca).await.0;
        if now_served != first_cert {
            break;
        }
    }
    assert_eq!(now_served, der, "the renewed certificate is served");
    grpc_call(&server, &ca, None)
        .await
        .expect("gRPC after reload");

    // A broken pair is refused and the current certificate kept.
    write(&server.dir.path().join("server.crt"), "not a certificate");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(web_get(server.web, &ca).await.0, der);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_clocks_can_be_required_to_present_a_client_certificate() {
    let ca = Ca::new();
    let clocks = Ca::new();
    let server = start(&ca, Some(&clocks), true).await;
    let (cert, key, _) = clocks.leaf(&["clock-17"]);
    grpc_call(&server, &ca, Some(Identity::from_pem(cert, key)))
        .await
        .expect("a clock with a certificate");
    assert!(
        grpc_call(&server, &ca, None).await.is_err(),
        "no certificate: refused"
    );
    let strangers = Ca::new();
    let (cert, key, _) = strangers.leaf(&["clock-x"]);
    assert!(
        grpc_call(&server, &ca, Some(Identity::from_pem(cert, key)))
            .await
            .is_err(),
        "a certificate from another CA: refused"
    );
}

fn exposed_config(dir: &Path, insecure: bool, tls: Option<TlsFiles>) -> ServerConfig {
    ServerConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        web_listen: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.join("t.db").display()),
        data_dir: dir.to_owned(),
        outbox_dir: dir.join("outbox"),
        limits: tidsvakt::grpc::Limits::default(),
        bootstrap: true,
        metrics_listen: None,
        mail: tidsvakt::mail::MailConfig::eml(),
        jobs: tidsvakt::jobs::JobSettings::default(),
        background_jobs: false,
        sso_config: None,
        security: Security {
            tls,
            insecure_listen: insecure,
            ..Security::default()
        },
    }
}

#[tokio::test]
async fn a_public_address_needs_tls_or_an_explicit_insecure_flag() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(test_now()));
    let Err(e) = App::build(exposed_config(dir.path(), false, None), clock.clone()).await else {
        panic!("listening on 0.0.0.0 in clear must be refused");
    };
    let message = format!("{e:#}");
    assert!(
        message.contains("without TLS") && message.contains("--insecure-listen"),
        "{message}"
    );
    App::build(exposed_config(dir.path(), true, None), clock.clone())
        .await
        .expect("--insecure-listen allows it");
    let missing = TlsFiles {
        cert: PathBuf::from("/nonexistent/server.crt"),
        key: PathBuf::from("/nonexistent/server.key"),
        client_ca: None,
        require_client_cert: false,
        reload_every: Duration::from_secs(5),
    };
    let Err(e) = App::build(exposed_config(dir.path(), false, Some(missing)), clock).await else {
        panic!("missing TLS files must stop the start");
    };
    assert!(
        format!("{e:#}").contains("/nonexistent/server.crt"),
        "{e:#}"
    );
}
