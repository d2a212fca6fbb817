//! The JSON log line, written without the detours of tracing-subscriber's JSON formatter.
//!
//! Same bytes as `tracing_subscriber`'s `json().flatten_event(true).with_current_span(true)
//! .with_span_list(false)` (the tests compare both): `timestamp`, `level`, the event's fields in
//! order, `target`, then `span` with the current span's fields and `name`. What it avoids, on
//! every line (one per request): a `from_utf8` on each of the ~100 small writes serde makes
//! through an `io::Write` to `fmt::Write` adaptor, a timestamp through `core::fmt`, and the parse
//! of the span's stored fields into a `serde_json::Value` and back: they are stored already as a
//! JSON object with sorted keys ([`SpanFields`], as tracing-subscriber's `JsonFields`), which is
//! exactly what that round trip produces, so they are copied as they are.
//!
//! Events from the `log` crate, and spans whose stored fields are not a JSON object, go to the
//! stock formatter.

use std::cell::RefCell;
use std::fmt;

use chrono::{Datelike, Timelike, Utc};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, Json, Writer};
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter of `LOG_FORMAT=json`.
pub struct JsonLine {
    /// For what the fast path does not cover.
    stock: Format<Json, Clock>,
    clock: Clock,
}

/// Writes the timestamp of a line ([`write_now`]; a fixed one in tests).
#[derive(Clone, Copy)]
pub struct Clock(fn(&mut Vec<u8>));

impl JsonLine {
    pub fn new() -> JsonLine {
        JsonLine::with_clock(Clock(write_now))
    }

    fn with_clock(clock: Clock) -> JsonLine {
        JsonLine {
            stock: tracing_subscriber::fmt::format()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_timer(clock),
            clock,
        }
    }
}

thread_local! {
    /// The line being built, reused: no allocation per line once it has grown.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl<S> FormatEvent<S, SpanFields> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, SpanFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        // `log` records carry their metadata in fields that the stock formatter normalises.
        if meta.fields().field("log.target").is_some() {
            return self.stock.format_event(ctx, writer, event);
        }
        let span = event
            .parent()
            .and_then(|id| ctx.span(id))
            .or_else(|| ctx.lookup_current());
        let written = LINE.try_with(|line| {
            let Ok(mut line) = line.try_borrow_mut() else {
                // Formatting while formatting (a field's Debug that logs): no shared buffer.
                return Err(fmt::Error);
            };
            line.clear();
            let out = &mut *line;
            out.extend_from_slice(b"{\"timestamp\":\"");
            (self.clock.0)(out);
            out.extend_from_slice(b"\",\"level\":\"");
            out.extend_from_slice(level_name(*meta.level()).as_bytes());
            out.push(b'"');
            let mut fields = FieldWriter { out };
            event.record(&mut fields);
            let out = fields.out;
            out.extend_from_slice(b",\"target\":");
            write_str(out, meta.target());
            if let Some(span) = &span {
                let extensions = span.extensions();
                let stored = extensions
                    .get::<FormattedFields<SpanFields>>()
                    .map(|fields| fields.fields.as_str());
                let body = stored
                    .and_then(|json| json.strip_prefix('{'))
                    .and_then(|json| json.strip_suffix('}'))
                    .ok_or(fmt::Error)?;
                out.extend_from_slice(b",\"span\":{");
                out.extend_from_slice(body.as_bytes());
                if !body.is_empty() {
                    out.push(b',');
                }
                out.extend_from_slice(b"\"name\":");
                write_str(out, span.metadata().name());
                out.push(b'}');
            }
            out.extend_from_slice(b"}\n");
            // Only ASCII framing and whole UTF-8 strings were written.
            let text = std::str::from_utf8(out).map_err(|_| fmt::Error)?;
            writer.write_str(text)
        });
        match written {
            Ok(Ok(())) => Ok(()),
            // Nothing reached `writer` on these paths: the stock formatter writes the line.
            _ => self.stock.format_event(ctx, writer, event),
        }
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => "INFO",
        Level::WARN => "WARN",
        Level::ERROR => "ERROR",
    }
}

/// The event's fields as `,"name":value` members, as tracing-serde's map visitor writes them:
/// the types below natively, everything else (i128, errors, bytes…) through `Debug` as a string.
struct FieldWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl FieldWriter<'_> {
    fn name(&mut self, field: &tracing::field::Field) {
        self.out.push(b',');
        write_str(self.out, field.name());
        self.out.push(b':');
    }
}

impl tracing::field::Visit for FieldWriter<'_> {
    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.name(field);
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.name(field);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.name(field);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.name(field);
        // serde_json's own float form (and `null` for NaN and infinities); writing to a Vec
        // cannot fail.
        let _ = serde_json::to_writer(&mut *self.out, &value);
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.name(field);
        write_str(self.out, value);
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.name(field);
        let mut text = String::new();
        let _ = fmt::write(&mut text, format_args!("{value:?}"));
        write_str(self.out, &text);
    }
}

use super::span_fields::SpanFields;
use crate::json_text::write_str;

/// Now, as tracing-subscriber's `SystemTime` timer writes it: `2026-11-30T19:57:03.117368Z`.
fn write_now(out: &mut Vec<u8>) {
    let now = Utc::now().naive_utc();
    // The clock is in 0000–9999; tracing-subscriber's wider forms are not needed here.
    digits(out, now.year().clamp(0, 9999).unsigned_abs(), 4);
    out.push(b'-');
    digits(out, now.month(), 2);
    out.push(b'-');
    digits(out, now.day(), 2);
    out.push(b'T');
    digits(out, now.hour(), 2);
    out.push(b':');
    digits(out, now.minute(), 2);
    out.push(b':');
    digits(out, now.second(), 2);
    out.push(b'.');
    // chrono shows a leap second as nanoseconds past 1e9; tracing-subscriber never sees one.
    digits(out, now.nanosecond() % 1_000_000_000 / 1_000, 6);
    out.push(b'Z');
}

/// `value` in exactly `width` decimal digits.
fn digits(out: &mut Vec<u8>, value: u32, width: u32) {
    for place in (0..width).rev() {
        out.push(b'0' + (value / 10u32.pow(place) % 10) as u8);
    }
}

/// The clock as a tracing-subscriber timer, for the lines the stock formatter writes.
impl FormatTime for Clock {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(27);
        (self.0)(&mut out);
        w.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("capture").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;

        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    fn fixed(out: &mut Vec<u8>) {
        out.extend_from_slice(b"2026-11-30T19:57:03.117368Z");
    }

    struct FixedTime;

    impl FormatTime for FixedTime {
        fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
            w.write_str("2026-11-30T19:57:03.117368Z")
        }
    }

    #[derive(Debug)]
    struct Oops;

    impl fmt::Display for Oops {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("it \"broke\"\n")
        }
    }

    impl std::error::Error for Oops {}

    /// Every kind of field, in and out of spans, recorded later, with an explicit parent.
    fn log_everything() {
        tracing::info!("plain message");
        tracing::warn!(target: "elsewhere", count = 3u64, delta = -7i64, "with \"quotes\" and \u{1}");
        let span = tracing::info_span!(
            "request",
            request_id = "abc-123",
            method = %"GET",
            route = %"/api/{user_id}/tasks",
            original_uri = tracing::field::Empty,
        );
        span.in_scope(|| {
            tracing::info!(status = 200u16, latency_ms = 1.120896, "request done");
            tracing::error!(
                ratio = f64::NAN,
                big = 1u128 << 100,
                flag = true,
                list = ?vec![1, 2],
                text = "tab\there",
                r#type = "raw",
                error = &Oops as &dyn std::error::Error,
            );
        });
        span.record("original_uri", "/x?y=\"z\"");
        tracing::info!(parent: &span, latency_ms = 10.0, "after a record");
        let inner = tracing::info_span!(
            parent: &span,
            "inner",
            empty = tracing::field::Empty,
            ratio = 1.5,
            nan = f64::NAN,
            negative = -3i64,
            yes = true,
            bytes = &b"ab"[..],
            r#kind = ?"debug \"quoted\"",
            r#raw = "raw",
            text = "é\u{7f}\r",
        );
        inner.record("empty", 7u64);
        inner.record("ratio", 2.5);
        inner.in_scope(|| tracing::info!(whole = 1e21, "nested"));
        tracing::info!("outside again");
    }

    fn lines(subscriber: impl Subscriber + Send + Sync) -> String {
        tracing::subscriber::with_default(subscriber, log_everything);
        String::new()
    }

    #[test]
    fn same_bytes_as_the_stock_json_formatter() {
        let stock = Capture::default();
        let ours = Capture::default();
        lines(
            tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_timer(FixedTime)
                .with_writer(stock.clone())
                .finish(),
        );
        lines(
            tracing_subscriber::fmt()
                .json()
                .fmt_fields(SpanFields)
                .event_format(JsonLine::with_clock(Clock(fixed)))
                .with_writer(ours.clone())
                .finish(),
        );
        let stock = String::from_utf8(stock.0.lock().expect("stock").clone()).expect("UTF-8");
        let ours = String::from_utf8(ours.0.lock().expect("ours").clone()).expect("UTF-8");
        assert_eq!(stock.lines().count(), 7, "{stock}");
        for (expected, got) in stock.lines().zip(ours.lines()) {
            assert_eq!(got, expected);
        }
        assert_eq!(ours, stock);
    }

    #[test]
    fn the_clock_writes_what_tracing_subscriber_writes() {
        let mut ours = Vec::new();
        write_now(&mut ours);
        let ours = String::from_utf8(ours).expect("ASCII");
        let mut stock = String::new();
        tracing_subscriber::fmt::time::SystemTime
            .format_time(&mut Writer::new(&mut stock))
            .expect("formats");
        assert_eq!(ours.len(), stock.len(), "{ours} vs {stock}");
        let shape = |text: &str| {
            text.bytes()
                .map(|b| if b.is_ascii_digit() { b'0' } else { b })
                .collect::<Vec<u8>>()
        };
        assert_eq!(shape(&ours), shape(&stock), "{ours} vs {stock}");
        // Same second, unless the test ran across one.
        let ours_time = chrono::DateTime::parse_from_rfc3339(&ours).expect("RFC 3339");
        let stock_time = chrono::DateTime::parse_from_rfc3339(&stock).expect("RFC 3339");
        assert!((ours_time - stock_time).num_seconds().abs() <= 1);
    }
}
