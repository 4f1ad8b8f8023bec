//! A real SMTP server on loopback for the API tests, and a parser for what it
//! received.
//!
//! Written here rather than taken from a crate: the embeddable servers we
//! found use blocking threads and cannot be stopped and restarted on the same
//! port, which the "SMTP down while nudges are due" tests need. It speaks
//! enough of RFC 5321 for lettre and any ordinary client: EHLO/HELO, MAIL
//! FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP, VRFY, QUIT, with the
//! proper reply codes. [`Mode`] makes it refuse `DATA` with a 451 (try later)
//! or a 550 (rejected), or refuse every recipient the way a relay does one
//! it does not know (550 naming the address); [`SmtpServer::stop`] closes
//! the listener and every open session, so clients see "connection refused"
//! until [`SmtpServer::restart`] listens on the same port again.
//! [`SmtpServer::hold`] makes it a slow relay: replies to `DATA` wait until
//! [`SmtpServer::release`], so a test can act while a message is in flight
//! (move the clock, stop the database).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// One message as delivered: the envelope and the bytes after `DATA`,
/// dot-unstuffed, without the final `.` line.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

/// How the server answers `DATA`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// `451 4.3.0`: a transient failure, the client should retry.
    Transient,
    /// `550 5.7.1`: the message is rejected for good.
    Permanent,
    /// `550 5.1.1 <address>: user unknown` to every `RCPT TO`.
    UnknownRecipient,
}

pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
    task: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    messages: Mutex<Vec<Received>>,
    mode: Mutex<Mode>,
    /// The number of messages received, for [`SmtpServer::wait_for`].
    count: watch::Sender<usize>,
    /// Whether replies to `DATA` wait ([`SmtpServer::hold`]).
    held: watch::Sender<bool>,
    /// Sessions waiting for their reply to `DATA` right now.
    waiting: watch::Sender<usize>,
}

impl SmtpServer {
    /// Listens on `127.0.0.1:0`, accepting everything.
    #[allow(clippy::unused_async)] // Async so that callers need not change if start-up ever awaits.
    pub async fn start() -> SmtpServer {
        let listener = listen(0).expect("bind the test SMTP server");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            messages: Mutex::new(Vec::new()),
            mode: Mutex::new(Mode::Accept),
            count: watch::Sender::new(0),
            held: watch::Sender::new(false),
            waiting: watch::Sender::new(0),
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&shared)));
        SmtpServer {
            port,
            shared,
            task: Mutex::new(Some(task)),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    /// Everything received so far, in arrival order.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.messages.lock().unwrap().clone()
    }

    /// Forgets what was received.
    pub fn clear(&self) {
        self.shared.messages.lock().unwrap().clear();
        self.shared.count.send_replace(0);
    }

    /// Waits until at least `n` messages arrived and returns them all; panics
    /// after `timeout` saying how many did.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let mut rx = self.shared.count.subscribe();
        let waited = tokio::time::timeout(timeout, rx.wait_for(|&c| c >= n)).await;
        assert!(
            waited.is_ok(),
            "expected {n} messages within {timeout:?}, got {}",
            self.messages().len()
        );
        self.messages()
    }

    /// From now on replies to `DATA` (the relay's verdict on a message)
    /// wait until [`SmtpServer::release`].
    pub fn hold(&self) {
        self.shared.held.send_replace(true);
    }

    /// Waits until `n` sessions wait for their reply to `DATA`; panics
    /// after `timeout` saying how many do.
    pub async fn wait_held(&self, n: usize, timeout: Duration) {
        let mut rx = self.shared.waiting.subscribe();
        let waited = tokio::time::timeout(timeout, rx.wait_for(|&w| w >= n)).await;
        assert!(
            waited.is_ok(),
            "expected {n} held replies within {timeout:?}, got {}",
            *self.shared.waiting.borrow()
        );
    }

    /// Lets the held replies go, and every later one at once.
    pub fn release(&self) {
        self.shared.held.send_replace(false);
    }

    /// Closes the listener and every open session: from now on connections
    /// are refused. Received messages are kept.
    pub async fn stop(&self) {
        let task = self.task.lock().unwrap().take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port, after [`SmtpServer::stop`].
    pub async fn restart(&self) {
        self.stop().await;
        let mut attempt = 0;
        let listener = loop {
            match listen(self.port) {
                Ok(l) => break l,
                Err(e) if attempt < 50 => {
                    attempt += 1;
                    tracing::debug!(error = %e, "port not free yet");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot listen on port {} again: {e}", self.port),
            }
        };
        let task = tokio::spawn(serve(listener, Arc::clone(&self.shared)));
        *self.task.lock().unwrap() = Some(task);
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }
}

fn listen(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    // Sessions closed by stop() linger in TIME_WAIT; restart() must still bind.
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(64)
}

/// Accepts until aborted; dropping the `JoinSet` aborts the open sessions.
async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    sessions.spawn(session(stream, Arc::clone(&shared)));
                }
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

/// The address inside `<...>` after `MAIL FROM:` or `RCPT TO:`; parameters
/// such as `BODY=8BITMIME` after it are ignored.
fn path(rest: &str) -> Option<String> {
    let rest = rest.trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer
        .write_all(b"220 localhost ESMTP tidsvakt test server\r\n")
        .await?;

    let mut greeted = false;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let upper = text.to_ascii_uppercase();
        let verb = upper.split_whitespace().next().unwrap_or("");

        let reply: String = match verb {
            "EHLO" => {
                greeted = true;
                from = None;
                to.clear();
                "250-localhost greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 10485760".to_owned()
            }
            "HELO" => {
                greeted = true;
                from = None;
                to.clear();
                "250 localhost".to_owned()
            }
            "MAIL" if upper.starts_with("MAIL FROM:") => {
                if !greeted {
                    "503 5.5.1 Say EHLO first".to_owned()
                } else if from.is_some() {
                    "503 5.5.1 Sender already given".to_owned()
                } else if let Some(a) = path(&text["MAIL FROM:".len()..]) {
                    from = Some(a);
                    to.clear();
                    "250 2.1.0 OK".to_owned()
                } else {
                    "501 5.1.7 Bad sender address syntax".to_owned()
                }
            }
            "RCPT" if upper.starts_with("RCPT TO:") => {
                if from.is_none() {
                    "503 5.5.1 MAIL FROM first".to_owned()
                } else {
                    match path(&text["RCPT TO:".len()..]) {
                        Some(a) if *shared.mode.lock().unwrap() == Mode::UnknownRecipient => {
                            format!("550 5.1.1 <{a}>: user unknown")
                        }
                        Some(a) if a.contains('@') => {
                            to.push(a);
                            "250 2.1.5 OK".to_owned()
                        }
                        _ => "501 5.1.3 Bad recipient address syntax".to_owned(),
                    }
                }
            }
            "DATA" => {
                if from.is_none() || to.is_empty() {
                    "503 5.5.1 RCPT TO first".to_owned()
                } else {
                    let mode = *shared.mode.lock().unwrap();
                    match mode {
                        Mode::Transient => {
                            held(&shared).await;
                            from = None;
                            to.clear();
                            "451 4.3.0 Temporary failure, try again later".to_owned()
                        }
                        Mode::Permanent | Mode::UnknownRecipient => {
                            held(&shared).await;
                            from = None;
                            to.clear();
                            "550 5.7.1 Message rejected".to_owned()
                        }
                        Mode::Accept => {
                            writer
                                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                                .await?;
                            let Some(raw) = read_data(&mut reader).await? else {
                                return Ok(());
                            };
                            held(&shared).await;
                            let received = Received {
                                from: from.take().unwrap_or_default(),
                                to: std::mem::take(&mut to),
                                raw,
                            };
                            let count = {
                                let mut messages = shared.messages.lock().unwrap();
                                messages.push(received);
                                messages.len()
                            };
                            shared.count.send_replace(count);
                            format!("250 2.0.0 OK queued as {count}")
                        }
                    }
                }
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 OK".to_owned()
            }
            "NOOP" => "250 2.0.0 OK".to_owned(),
            "VRFY" => "252 2.5.0 Cannot VRFY user".to_owned(),
            "QUIT" => {
                writer.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "500 5.5.2 Command not recognised".to_owned(),
        };
        writer.write_all(reply.as_bytes()).await?;
        writer.write_all(b"\r\n").await?;
    }
}

/// Returns once replies are not held ([`SmtpServer::hold`]).
async fn held(shared: &Shared) {
    let mut rx = shared.held.subscribe();
    if !*rx.borrow_and_update() {
        return;
    }
    shared.waiting.send_modify(|w| *w += 1);
    let _ = rx.wait_for(|&h| !h).await;
    shared.waiting.send_modify(|w| *w -= 1);
}

/// Reads the message after `354` up to the `.` line, removing the extra dot
/// of dot-stuffed lines (RFC 5321 4.5.2). `None` if the client hung up.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut raw = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(raw));
        }
        let body = line.strip_prefix(b".").unwrap_or(&line);
        raw.extend_from_slice(body);
    }
}

/// A name and an address from a header such as `To`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addr {
    pub name: Option<String>,
    pub email: String,
}

/// A received message taken apart for assertions.
#[derive(Clone, Debug)]
pub struct ParsedMail {
    pub from: Vec<Addr>,
    pub to: Vec<Addr>,
    pub subject: String,
    pub date: DateTime<Utc>,
    /// With the angle brackets, as in the header: `<id@domain>`.
    pub message_id: String,
    /// `Content-Language`.
    pub language: Option<String>,
    /// `multipart/alternative` for ours.
    pub content_type: String,
    /// The decoded text/plain part.
    pub text: String,
    /// The decoded text/html part.
    pub html: String,
    /// Every top-level header as (name, raw value trimmed), in order.
    pub headers: Vec<(String, String)>,
}

impl ParsedMail {
    /// The first header of that name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a received message; panics with the raw text if it is not a
/// well-formed email with both a text and an HTML part.
pub fn parse(raw: &[u8]) -> ParsedMail {
    use mail_parser::MimeHeaders as _;

    let shown = || String::from_utf8_lossy(raw).into_owned();
    let msg = mail_parser::MessageParser::default()
        .parse(raw)
        .unwrap_or_else(|| panic!("not an email:\n{}", shown()));
    let addrs = |a: Option<&mail_parser::Address<'_>>| -> Vec<Addr> {
        a.map(|a| {
            a.iter()
                .map(|x| Addr {
                    name: x.name().map(str::to_owned),
                    email: x.address().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let part_of = |ctype: &str| -> String {
        msg.parts
            .iter()
            .find(|p| {
                p.content_type().is_some_and(|c| {
                    format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))
                        .eq_ignore_ascii_case(ctype)
                })
            })
            .and_then(|p| p.text_contents())
            .unwrap_or_else(|| panic!("no {ctype} part in:\n{}", shown()))
            .to_owned()
    };
    let content_type = msg
        .root_part()
        .content_type()
        .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
        .unwrap_or_default();
    let date = msg
        .date()
        .unwrap_or_else(|| panic!("no parseable Date in:\n{}", shown()))
        .to_timestamp();
    let headers = msg
        .headers()
        .iter()
        .map(|h| {
            let value = std::str::from_utf8(&raw[h.offset_start as usize..h.offset_end as usize])
                .unwrap_or_default()
                .trim()
                .to_owned();
            (h.name().to_owned(), value)
        })
        .collect();
    ParsedMail {
        from: addrs(msg.from()),
        to: addrs(msg.to()),
        subject: msg.subject().unwrap_or_default().to_owned(),
        date: DateTime::from_timestamp(date, 0).expect("a Date in range"),
        message_id: format!("<{}>", msg.message_id().unwrap_or_default()),
        language: msg
            .header_raw("Content-Language")
            .map(|v| v.trim().to_owned()),
        content_type,
        text: part_of("text/plain"),
        html: part_of("text/html"),
        headers,
    }
}

#[tokio::test]
async fn the_test_server_speaks_smtp_by_hand() {
    let server = SmtpServer::start().await;
    let stream = TcpStream::connect(server.addr()).await.unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    let mut expect = async |code: &str| {
        loop {
            line.clear();
            r.read_line(&mut line).await.unwrap();
            assert!(line.starts_with(code), "expected {code}, got {line:?}");
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
    };
    expect("220").await;
    for (cmd, code) in [
        ("MAIL FROM:<a@b.no>", "503"),
        ("EHLO client", "250"),
        ("RCPT TO:<c@d.no>", "503"),
        ("MAIL FROM:<a@b.no> BODY=8BITMIME", "250"),
        ("RCPT TO:<c@d.no>", "250"),
        ("RCPT TO:<e@f.no>", "250"),
        ("NOOP", "250"),
        ("BOGUS", "500"),
        ("DATA", "354"),
    ] {
        w.write_all(format!("{cmd}\r\n").as_bytes()).await.unwrap();
        expect(code).await;
    }
    w.write_all(b"Subject: hi\r\n\r\n..leading dot\r\nline\r\n.\r\n")
        .await
        .unwrap();
    expect("250").await;
    w.write_all(b"RSET\r\nDATA\r\nQUIT\r\n").await.unwrap();
    expect("250").await;
    expect("503").await;
    expect("221").await;

    let got = server.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got[0].from, "a@b.no");
    assert_eq!(got[0].to, ["c@d.no", "e@f.no"]);
    assert_eq!(got[0].raw, b"Subject: hi\r\n\r\n.leading dot\r\nline\r\n");
}

#[tokio::test]
async fn a_stopped_server_refuses_connections_until_restarted() {
    let server = SmtpServer::start().await;
    server.stop().await;
    assert!(TcpStream::connect(server.addr()).await.is_err());
    server.restart().await;
    assert!(TcpStream::connect(server.addr()).await.is_ok());
}
