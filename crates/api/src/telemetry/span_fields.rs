//! The stored fields of a span in `LOG_FORMAT=json`: the same JSON object tracing-subscriber's
//! `JsonFields` stores (keys sorted, values as `serde_json::Value` would print them), built
//! without a `BTreeMap` of `Value`s and an `io::Write` adaptor. One request span per request
//! makes this part of every access line's cost.
//!
//! Same rules as `JsonFields`: `r#` is dropped from the names of `Debug` fields only, `log.*`
//! fields (metadata of `log` records) are skipped, a later value of a name replaces the earlier.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::FormattedFields;
use tracing_subscriber::fmt::format::Writer;

use crate::json_text::write_str;

/// The `FormatFields` of the JSON log subscriber.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpanFields;

/// Fields seen so far: (name, value already as JSON), sorted by name.
#[derive(Default)]
struct Collected {
    entries: Vec<(String, Vec<u8>)>,
}

impl Collected {
    fn insert(&mut self, name: &str, value: Vec<u8>) {
        match self
            .entries
            .binary_search_by(|(existing, _)| existing.as_str().cmp(name))
        {
            Ok(index) => self.entries[index].1 = value,
            Err(index) => self.entries.insert(index, (name.to_owned(), value)),
        }
    }

    fn json(&self) -> Vec<u8> {
        let size: usize = self
            .entries
            .iter()
            .map(|(k, v)| k.len() + v.len() + 4)
            .sum();
        let mut out = Vec::with_capacity(size + 2);
        out.push(b'{');
        for (index, (name, value)) in self.entries.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_str(&mut out, name);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
        out
    }

    fn write_to(&self, mut writer: Writer<'_>) -> fmt::Result {
        let json = self.json();
        writer.write_str(std::str::from_utf8(&json).map_err(|_| fmt::Error)?)
    }
}

fn json_of<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec())
}

impl Visit for Collected {
    fn record_f64(&mut self, field: &Field, value: f64) {
        // `Value::from(f64)`: null unless finite.
        self.insert(field.name(), json_of(&value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(
            field.name(),
            itoa::Buffer::new().format(value).as_bytes().to_vec(),
        );
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(
            field.name(),
            itoa::Buffer::new().format(value).as_bytes().to_vec(),
        );
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.insert(field.name(), text.to_vec());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let mut json = Vec::with_capacity(value.len() + 2);
        write_str(&mut json, value);
        self.insert(field.name(), json);
    }

    fn record_bytes(&mut self, field: &Field, value: &[u8]) {
        // `Value::from(&[u8])`: an array of numbers.
        self.insert(field.name(), json_of(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        if name.starts_with("log.") {
            return;
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        let text = format!("{value:?}");
        let mut json = Vec::with_capacity(text.len() + 2);
        write_str(&mut json, &text);
        self.insert(name, json);
    }
}

impl<'writer> FormatFields<'writer> for SpanFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut collected = Collected::default();
        fields.record(&mut collected);
        collected.write_to(writer)
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        // Rare (a field recorded after the span was created): read back what is stored.
        let mut collected = Collected::default();
        if !current.fields.is_empty() {
            let stored: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&current.fields).map_err(|_| fmt::Error)?;
            for (name, value) in &stored {
                collected.insert(name, json_of(value));
            }
        }
        fields.record(&mut collected);
        current.fields.clear();
        collected.write_to(current.as_writer())
    }
}
