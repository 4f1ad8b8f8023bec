//! A small HTTP/1.1 client for the web pages' tests: one request per
//! connection, a cookie jar, and the hidden form fields read off a page.
//! Real requests over loopback to the real server; only the browser's
//! rendering is left out (the browser tests cover that).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A response as received.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first `<input … name="NAME" value="…">`.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\" value=\"");
        let at = self.body.find(&needle)? + needle.len();
        let rest = &self.body[at..];
        Some(unescape(&rest[..rest.find('"')?]))
    }

    /// Whether the body contains `text` (HTML-escaped as the pages escape).
    pub fn has(&self, text: &str) -> bool {
        self.body.contains(text) || self.body.contains(&escape(text))
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A browser without a renderer: cookies in, cookies out.
#[derive(Clone, Debug)]
pub struct Browser {
    base: String,
    pub cookies: BTreeMap<String, String>,
    pub user_agent: String,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            cookies: BTreeMap::new(),
            user_agent: "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36".into(),
        }
    }

    /// A browser signed in at `/sign-in/token` with `secret` (an ADMIN,
    /// `SAFETY_REP` or INSPECTOR token).
    pub async fn with_token(base: &str, secret: &str) -> Self {
        let mut b = Self::new(base);
        let form = b.get("/sign-in/token").await;
        let csrf = form.hidden("csrf").unwrap();
        let ok = b
            .post("/sign-in/token", &[("csrf", &csrf), ("token", secret)])
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        b
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.request("GET", path, None).await
    }

    /// Posts `fields` as `application/x-www-form-urlencoded`.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.request("POST", path, Some(body)).await
    }

    async fn request(&mut self, method: &str, path: &str, body: Option<String>) -> Page {
        let path = path.strip_prefix(&self.base).unwrap_or(path);
        let host = self.base.trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nUser-Agent: {}\r\nAccept-Language: nb-NO,nb;q=0.9\r\n",
            self.user_agent
        );
        if !cookie.is_empty() {
            let _ = write!(head, "Cookie: {cookie}\r\n");
        }
        let body = body.unwrap_or_default();
        if method == "POST" {
            let _ = write!(
                head,
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            );
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(raw.len());
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body_bytes = raw.get(split + 4..).unwrap_or_default();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        for (_, v) in headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        {
            let pair = v.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if v.contains("Max-Age=0") || value.is_empty() {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        let chunked = headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        let body = if chunked {
            String::from_utf8_lossy(&dechunk(body_bytes)).into_owned()
        } else {
            String::from_utf8_lossy(body_bytes).into_owned()
        };
        Page {
            status,
            headers,
            body,
        }
    }
}

fn dechunk(mut s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = s.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&s[..eol]).trim().to_owned();
        let n = usize::from_str_radix(&size, 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        let rest = &s[eol + 2..];
        out.extend_from_slice(&rest[..n]);
        s = rest.get(n + 2..).unwrap_or_default();
    }
    out
}
