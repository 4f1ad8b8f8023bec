//! `tidsvakt health`, the probe of the Dockerfile and the Kubernetes
//! manifests: exit 0 only for SERVING (or, with `--any-status`, for any
//! answer), over plain gRPC and over TLS with a CA and a server name.

use std::path::Path;
use std::process::Output;

use tonic::transport::{Identity, Server, ServerTlsConfig};

use crate::helpers::*;

async fn health(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
        .arg("health")
        .args(args)
        .output()
        .await
        .unwrap()
}

fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn health_says_serving_for_the_running_server(app: TestApp) {
    let o = health(&["--addr", &app.addr]).await;
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "SERVING\n");
    let o = health(&["--addr", &app.addr, "--service", "tidsvakt.v1.ClockService"]).await;
    assert!(o.status.success(), "{}", said(&o));
    // A service the server does not have is a failure, not a pass.
    let o = health(&["--addr", &app.addr, "--service", "no.such.Service"]).await;
    assert!(!o.status.success());
    assert!(said(&o).contains("NotFound"), "{}", said(&o));
}

crate::both_backends!(health_says_serving_for_the_running_server);

/// A gRPC health service reporting `status` for the whole server, on
/// loopback, with TLS when an identity is given. Returns its port.
async fn health_server(status: tonic_health::ServingStatus, identity: Option<Identity>) -> u16 {
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter.set_service_status("", status).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut builder = Server::builder();
    if let Some(identity) = identity {
        builder = builder
            .tls_config(ServerTlsConfig::new().identity(identity))
            .unwrap();
    }
    tokio::spawn(async move {
        // Keep the reporter alive as long as the server.
        let _reporter = reporter;
        builder
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_serving_fails_readiness_but_passes_liveness() {
    let port = health_server(tonic_health::ServingStatus::NotServing, None).await;
    let addr = format!("http://127.0.0.1:{port}");
    let o = health(&["--addr", &addr]).await;
    assert!(!o.status.success());
    assert!(said(&o).contains("reports NOT_SERVING"), "{}", said(&o));
    let o = health(&["--addr", &addr, "--any-status"]).await;
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "NOT_SERVING (alive)\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_fails_within_the_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = health(&["--addr", &format!("http://127.0.0.1:{port}")]).await;
    assert!(!o.status.success());
    assert!(said(&o).contains("cannot reach"), "{}", said(&o));
}

/// Runs openssl in `dir`; `false` when it is not installed.
fn openssl(dir: &Path, args: &[&str]) -> bool {
    match std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
    {
        Ok(o) => {
            assert!(o.status.success(), "openssl {args:?}: {}", said(&o));
            true
        }
        Err(_) => false,
    }
}

/// A CA and a server certificate for `tidsvakt.tidsvakt.svc`, as the
/// Kubernetes Secret holds them.
fn certificates(dir: &Path) -> bool {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:tidsvakt.tidsvakt.svc\n",
    )
    .unwrap();
    let steps: [Vec<&str>; 3] = [
        [
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=test-ca",
            ],
        ]
        .concat(),
        [
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "tls.key",
                "-out",
                "tls.csr",
                "-subj",
                "/CN=tidsvakt.tidsvakt.svc",
            ],
        ]
        .concat(),
        vec![
            "x509",
            "-req",
            "-in",
            "tls.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tls.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    ];
    steps.iter().all(|args| openssl(dir, args))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_speaks_tls_with_a_ca_and_a_server_name() {
    let dir = tempfile::tempdir().unwrap();
    if !certificates(dir.path()) {
        eprintln!("\n!!! openssl is not installed: the TLS health probe test is SKIPPED.\n");
        return;
    }
    let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
    let identity = Identity::from_pem(read("tls.crt"), read("tls.key"));
    let port = health_server(tonic_health::ServingStatus::Serving, Some(identity)).await;
    let addr = format!("https://127.0.0.1:{port}");
    let ca = dir.path().join("ca.crt");
    let ca = ca.to_str().unwrap();
    // As the Deployment's probes ask: 127.0.0.1, the Service's name, its CA.
    let o = health(&[
        "--addr",
        &addr,
        "--ca-cert",
        ca,
        "--tls-server-name",
        "tidsvakt.tidsvakt.svc",
    ])
    .await;
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "SERVING\n");
    // Without the server name the certificate does not match 127.0.0.1.
    let o = health(&["--addr", &addr, "--ca-cert", ca]).await;
    assert!(!o.status.success(), "{}", said(&o));
    // Plain gRPC to a TLS port gets no answer that passes.
    let o = health(&["--addr", &format!("http://127.0.0.1:{port}")]).await;
    assert!(!o.status.success(), "{}", said(&o));
    // TLS options on a plain address are a mistake, said so.
    let o = health(&["--addr", "http://127.0.0.1:1", "--ca-cert", ca]).await;
    assert!(said(&o).contains("need an https:// --addr"), "{}", said(&o));
}
