//! Logging with `tracing`: plain text for people, JSON for log pipelines.
//! `RUST_LOG` filters; the default is `info` with sqlx's per-query logs off.
//!
//! Every line goes through [`crate::redact::without_addresses`] on its way
//! out: personal data stays out of the log even when a relay's reply, a
//! library's error or a new field carries an email address.

use std::io::{IsTerminal as _, Write};

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::LogFormat;
use crate::redact::without_addresses;

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,h2=warn"));
    let ansi = std::io::stderr().is_terminal();
    let _ = subscriber(format, filter, std::io::stderr, ansi).try_init();
}

/// The subscriber [`init`] installs, writing to `writer` (tests capture it).
pub fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Redacting(writer))
        .with_ansi(ansi);
    match format {
        LogFormat::Plain => Box::new(builder.finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .finish(),
        ),
    }
}

/// Makes writers that redact addresses from what they write.
struct Redacting<M>(M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        RedactingWriter(self.0.make_writer_for(meta))
    }
}

struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    /// The fmt layer formats a whole line and writes it at once, so an
    /// address never arrives cut in two.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(line) => {
                self.0.write_all(without_addresses(line).as_bytes())?;
                Ok(buf.len())
            }
            Err(_) => self.0.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: LogFormat) -> String {
        let capture = Capture::default();
        let writer = capture.clone();
        let sub = subscriber(
            format,
            EnvFilter::new("trace"),
            move || writer.clone(),
            false,
        );
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!(
                "send",
                message_id = "<67e55044-10b1-426f-9247-bb680e5fe0c8@localhost>"
            );
            let _in = span.enter();
            tracing::warn!(
                to = "kari@example.no",
                error = "550 5.1.1 <ola.nordmann@example.no>: user unknown",
                "a field nobody redacted"
            );
        });
        String::from_utf8(capture.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn every_line_is_written_without_addresses() {
        for format in [LogFormat::Plain, LogFormat::Json] {
            let log = logged(format);
            assert!(!log.contains("kari@"), "{log}");
            assert!(!log.contains("ola.nordmann@"), "{log}");
            assert!(log.contains("550 5.1.1 <address>: user unknown"), "{log}");
            assert!(
                log.contains("<67e55044-10b1-426f-9247-bb680e5fe0c8@localhost>"),
                "Message-IDs stay: {log}"
            );
        }
        let json = logged(LogFormat::Json);
        let line: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        assert_eq!(line["to"], "<address>");
    }
}
