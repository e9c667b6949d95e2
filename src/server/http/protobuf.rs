//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`), which client-go's typed
//! clients send for built-in kinds (`kubectl create namespace|configmap|secret|deployment|…`).
//!
//! A body is `k8s\0` and a `runtime.Unknown` envelope: `typeMeta` names the kind and `raw`
//! holds the object. What each field number means (JSON name, wire type, nested message) comes
//! from `schemas/proto.json.zst`, which `scripts/gen-proto-table` derives from the k8s-pb
//! crate's prost sources and kplan's own schemas; this file is the wire-format reader plus the
//! JSON forms Kubernetes gives some messages (`IntOrString`, `Quantity`, `Time`, …).
//! The answer to such a request is JSON, which kubectl's Accept header allows.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use super::status::ApiError;

const MAGIC: &[u8] = b"k8s\0";
const TABLE: &[u8] = include_bytes!("../../../schemas/proto.json.zst");
/// Nested messages (and envelopes in `RawExtension`s) one body may open. Real objects stay far
/// below (a CRD schema nests a few messages per level); a hostile body must not exhaust the
/// stack of the thread decoding it.
const MAX_DEPTH: usize = 100;

/// Decodes a `k8s\0`-prefixed `runtime.Unknown` envelope into the JSON object it carries.
pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    let envelope = body.strip_prefix(MAGIC).ok_or_else(|| {
        ApiError::bad_request(
            "the protobuf request body does not start with the Kubernetes magic number k8s\\0",
        )
    })?;
    Decoder {
        catalog: catalog(),
        depth: 0,
    }
    .unknown(envelope)
    .map_err(|e| ApiError::bad_request(format!("error decoding the protobuf request body: {e}")))
}

// ---------------------------------------------------------------------------------------------
// The table

struct Catalog {
    /// `apps/v1/Deployment`, `/v1/ConfigMap` → index into `messages`.
    kinds: HashMap<String, usize>,
    messages: Vec<Message>,
}

struct Message {
    form: Form,
    /// Sorted by tag.
    fields: Vec<Field>,
}

/// How a message looks in JSON: an object of its fields, or one of Kubernetes' custom forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Object,
    IntOrString,
    Quantity,
    Time,
    MicroTime,
    Duration,
    /// Bytes that are JSON already: `RawExtension`, `FieldsV1`, apiextensions `JSON`.
    RawJson,
    SchemaOrArray,
    SchemaOrBool,
    SchemaOrStringArray,
    /// `type ExtraValue []string`: a message with one repeated field, an array in JSON.
    Items,
}

struct Field {
    tag: u32,
    name: String,
    kind: Kind,
    shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `keep_zero`: whether `""`, 0, false, `{}` or null stays in the JSON (see `keep_zero`
    /// in the script).
    Single {
        keep_zero: bool,
    },
    Repeated,
    /// A `map<string, kind>`.
    Map,
    /// An embedded Go struct: its fields belong to the enclosing object.
    Inline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    Double,
    Message(usize),
}

const REPEATED: u64 = 1;
const MAP: u64 = 2;
const KEEP_ZERO: u64 = 4;
const INLINE: u64 = 8;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::load(TABLE).expect("the embedded protobuf table is valid (checked by tests)")
    })
}

impl Catalog {
    fn load(compressed: &[u8]) -> Result<Self, String> {
        let mut json = Vec::with_capacity(256 << 10);
        ruzstd::decoding::StreamingDecoder::new(compressed)
            .map_err(|e| e.to_string())?
            .read_to_end(&mut json)
            .map_err(|e| e.to_string())?;
        let table: Value = serde_json::from_slice(&json).map_err(|e| e.to_string())?;
        let section = |key: &str| {
            table[key]
                .as_object()
                .ok_or_else(|| format!("the table has no {key}"))
        };
        let (messages, specials, kinds) = (
            section("messages")?,
            section("specials")?,
            section("kinds")?,
        );
        let index: HashMap<&str, usize> = messages
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let lookup = |name: &str| {
            index
                .get(name)
                .copied()
                .ok_or_else(|| format!("unknown message {name}"))
        };
        let mut out = Vec::with_capacity(messages.len());
        for (name, rows) in messages {
            let form = match specials.get(name).and_then(Value::as_str) {
                None => Form::Object,
                Some("intOrString") => Form::IntOrString,
                Some("quantity") => Form::Quantity,
                Some("time") => Form::Time,
                Some("microTime") => Form::MicroTime,
                Some("duration") => Form::Duration,
                Some("rawJson") => Form::RawJson,
                Some("schemaOrArray") => Form::SchemaOrArray,
                Some("schemaOrBool") => Form::SchemaOrBool,
                Some("schemaOrStringArray") => Form::SchemaOrStringArray,
                Some("items") => Form::Items,
                Some(other) => return Err(format!("{name}: unknown special form {other}")),
            };
            let mut fields = Vec::new();
            for row in rows
                .as_array()
                .ok_or_else(|| format!("{name}: not a list"))?
            {
                let bad = || format!("{name}: bad field {row}");
                let tag = row[0].as_u64().and_then(|t| u32::try_from(t).ok());
                let (Some(tag), Some(field), Some(kind), Some(flags)) =
                    (tag, row[1].as_str(), row[2].as_str(), row[3].as_u64())
                else {
                    return Err(bad());
                };
                let kind = match kind {
                    "string" => Kind::String,
                    "bytes" => Kind::Bytes,
                    "bool" => Kind::Bool,
                    "int32" => Kind::Int32,
                    "int64" => Kind::Int64,
                    "double" => Kind::Double,
                    message => Kind::Message(lookup(message)?),
                };
                let shape = match flags & (REPEATED | MAP | INLINE) {
                    0 => Shape::Single {
                        keep_zero: flags & KEEP_ZERO != 0,
                    },
                    REPEATED => Shape::Repeated,
                    MAP => Shape::Map,
                    INLINE if matches!(kind, Kind::Message(_)) => Shape::Inline,
                    _ => return Err(bad()),
                };
                fields.push(Field {
                    tag,
                    name: field.to_string(),
                    kind,
                    shape,
                });
            }
            fields.sort_by_key(|f| f.tag);
            out.push(Message { form, fields });
        }
        let kinds = kinds
            .iter()
            .map(|(gvk, m)| Ok((gvk.clone(), lookup(m.as_str().unwrap_or_default())?)))
            .collect::<Result<_, String>>()?;
        Ok(Self {
            kinds,
            messages: out,
        })
    }
}

impl Message {
    fn field(&self, tag: u32) -> Option<&Field> {
        self.fields
            .binary_search_by_key(&tag, |f| f.tag)
            .ok()
            .map(|i| &self.fields[i])
    }
}

// ---------------------------------------------------------------------------------------------
// The wire format

/// One field's payload, by wire type.
#[derive(Debug, Clone, Copy)]
enum Raw<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

struct Wire<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Wire<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| DecodeError::new("truncated varint"))?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::new("varint longer than 10 bytes"))
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], DecodeError> {
        let rest = &self.buf[self.pos..];
        let n = usize::try_from(n)
            .ok()
            .filter(|n| *n <= rest.len())
            .ok_or_else(|| DecodeError::new("truncated field"))?;
        self.pos += n;
        Ok(&rest[..n])
    }

    /// The next field as (tag, payload); `None` at the end of the message.
    fn next(&mut self) -> Result<Option<(u32, Raw<'a>)>, DecodeError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let tag = u32::try_from(key >> 3)
            .ok()
            .filter(|t| *t != 0)
            .ok_or_else(|| DecodeError::new(format!("invalid field number {}", key >> 3)))?;
        let raw = match key & 7 {
            0 => Raw::Varint(self.varint()?),
            1 => Raw::Fixed64(u64::from_le_bytes(
                self.take(8)?.try_into().expect("took 8 bytes"),
            )),
            2 => {
                let len = self.varint()?;
                Raw::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Raw::Fixed32
            }
            // Groups (3, 4) are proto1; Kubernetes never writes them.
            other => {
                return Err(DecodeError::new(format!(
                    "unsupported wire type {other} (field {tag})"
                )));
            }
        };
        Ok(Some((tag, raw)))
    }
}

/// A decoding problem and where it is (`spec.template.spec.containers`).
#[derive(Debug)]
struct DecodeError {
    /// Innermost first; built while unwinding.
    path: Vec<String>,
    problem: String,
}

impl DecodeError {
    fn new(problem: impl Into<String>) -> Self {
        Self {
            path: Vec::new(),
            problem: problem.into(),
        }
    }

    fn within(mut self, field: &str) -> Self {
        if !field.is_empty() {
            self.path.push(field.to_string());
        }
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            return f.write_str(&self.problem);
        }
        let path: Vec<&str> = self.path.iter().rev().map(String::as_str).collect();
        write!(f, "{}: {}", path.join("."), self.problem)
    }
}

// ---------------------------------------------------------------------------------------------
// Protobuf → JSON

struct Decoder<'c> {
    catalog: &'c Catalog,
    depth: usize,
}

impl Decoder<'_> {
    /// A `runtime.Unknown` (after the magic): {1 typeMeta {1 apiVersion, 2 kind}, 2 raw,
    /// 3 contentEncoding, 4 contentType}.
    fn unknown(&mut self, envelope: &[u8]) -> Result<Value, DecodeError> {
        let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
        let (mut encoding, mut content_type) = (String::new(), String::new());
        let mut wire = Wire::new(envelope);
        while let Some((tag, value)) = wire.next()? {
            match (tag, value) {
                (1, Raw::Bytes(type_meta)) => {
                    let mut inner = Wire::new(type_meta);
                    while let Some((tag, value)) = inner.next()? {
                        match (tag, value) {
                            (1, Raw::Bytes(b)) => api_version = text(b),
                            (2, Raw::Bytes(b)) => kind = text(b),
                            _ => {}
                        }
                    }
                }
                (2, Raw::Bytes(b)) => raw = b,
                (3, Raw::Bytes(b)) => encoding = text(b),
                (4, Raw::Bytes(b)) => content_type = text(b),
                _ => {}
            }
        }
        // kubectl sends both as empty strings: the object is plain protobuf.
        if !encoding.is_empty() {
            return Err(DecodeError::new(format!(
                "contentEncoding {encoding:?} is not supported"
            )));
        }
        if !content_type.is_empty() && content_type != "application/vnd.kubernetes.protobuf" {
            return Err(DecodeError::new(format!(
                "contentType {content_type:?} is not supported"
            )));
        }
        if kind.is_empty() || api_version.is_empty() {
            return Err(DecodeError::new(
                "the envelope does not name the apiVersion and kind of the object",
            ));
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
        let message = *self
            .catalog
            .kinds
            .get(&format!("{group}/{version}/{kind}"))
            .ok_or_else(|| {
                DecodeError::new(format!(
                    "no protobuf message is known for kind {kind:?} in {api_version:?}"
                ))
            })?;
        let Value::Object(fields) = self.message(message, raw)? else {
            return Err(DecodeError::new(format!("{kind} is not an object in JSON")));
        };
        let mut object = Map::new();
        object.insert("apiVersion".into(), Value::String(api_version));
        object.insert("kind".into(), Value::String(kind));
        for (k, v) in fields {
            object.entry(k).or_insert(v);
        }
        Ok(Value::Object(object))
    }

    fn message(&mut self, index: usize, bytes: &[u8]) -> Result<Value, DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(DecodeError::new(format!(
                "messages nested more than {MAX_DEPTH} deep"
            )));
        }
        self.depth += 1;
        let result = self.message_at_depth(index, bytes);
        self.depth -= 1;
        result
    }

    fn message_at_depth(&mut self, index: usize, bytes: &[u8]) -> Result<Value, DecodeError> {
        let catalog = self.catalog;
        let msg = &catalog.messages[index];
        match msg.form {
            Form::Object => {
                let mut object = Map::new();
                self.fill(msg, bytes, &mut object)?;
                Ok(Value::Object(object))
            }
            Form::RawJson => {
                let mut raw = &[][..];
                let mut wire = Wire::new(bytes);
                while let Some((tag, value)) = wire.next()? {
                    if let (1, Raw::Bytes(b)) = (tag, value) {
                        raw = b;
                    }
                }
                self.raw_json(raw)
            }
            form => {
                let fields = self.by_tag(msg, bytes)?;
                special(form, bytes.is_empty(), &fields)
            }
        }
    }

    /// Adds the fields of one message to `object` (an embedded struct's go to its parent).
    fn fill(
        &mut self,
        msg: &Message,
        bytes: &[u8],
        object: &mut Map<String, Value>,
    ) -> Result<(), DecodeError> {
        let mut wire = Wire::new(bytes);
        while let Some((tag, raw)) = wire.next()? {
            // Unknown fields are skipped, as the API server's decoder does (newer clients).
            if let Some(field) = msg.field(tag) {
                self.field(field, raw, object)
                    .map_err(|e| e.within(&field.name))?;
            }
        }
        Ok(())
    }

    fn field(
        &mut self,
        field: &Field,
        raw: Raw<'_>,
        object: &mut Map<String, Value>,
    ) -> Result<(), DecodeError> {
        let keep_zero = match field.shape {
            Shape::Map => return self.map_field(field, raw, object),
            Shape::Repeated => return self.repeated_field(field, raw, object),
            Shape::Inline => {
                let (Kind::Message(index), Raw::Bytes(bytes)) = (field.kind, raw) else {
                    return Err(wrong_wire_type(field.kind, raw));
                };
                if let Value::Object(inner) = self.message(index, bytes)? {
                    object.extend(inner);
                }
                return Ok(());
            }
            Shape::Single { keep_zero } => keep_zero,
        };
        let value = self.value(field.kind, raw)?;
        // A zero the Go type cannot tell from "unset" (see `keep_zero` in the script).
        if !keep_zero && is_zero(&value) {
            object.remove(&field.name);
        } else {
            object.insert(field.name.clone(), value);
        }
        Ok(())
    }

    fn map_field(
        &mut self,
        field: &Field,
        raw: Raw<'_>,
        object: &mut Map<String, Value>,
    ) -> Result<(), DecodeError> {
        let Raw::Bytes(entry) = raw else {
            return Err(wrong_wire_type(field.kind, raw));
        };
        let (key, value) = self.map_entry(field.kind, entry)?;
        let slot = object
            .entry(field.name.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = slot {
            map.insert(key, value);
        }
        Ok(())
    }

    fn repeated_field(
        &mut self,
        field: &Field,
        raw: Raw<'_>,
        object: &mut Map<String, Value>,
    ) -> Result<(), DecodeError> {
        let mut items = Vec::new();
        match raw {
            // proto2 repeated numbers are unpacked, but a reader must take both forms.
            Raw::Bytes(packed) if is_packable(field.kind) => {
                let mut wire = Wire::new(packed);
                while wire.pos < packed.len() {
                    let value = match field.kind {
                        Kind::Double => Raw::Fixed64(u64::from_le_bytes(
                            wire.take(8)?.try_into().expect("took 8 bytes"),
                        )),
                        _ => Raw::Varint(wire.varint()?),
                    };
                    items.push(self.value(field.kind, value)?);
                }
            }
            _ => items.push(self.value(field.kind, raw)?),
        }
        let slot = object
            .entry(field.name.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(array) = slot {
            array.extend(items);
        }
        Ok(())
    }

    fn value(&mut self, kind: Kind, raw: Raw<'_>) -> Result<Value, DecodeError> {
        #[allow(clippy::cast_possible_wrap)] // protobuf int32/int64 are two's complement
        let value = match (kind, raw) {
            (Kind::String, Raw::Bytes(b)) => Value::String(text(b)),
            (Kind::Bytes, Raw::Bytes(b)) => {
                Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            (Kind::Bool, Raw::Varint(v)) => Value::Bool(v != 0),
            (Kind::Int32, Raw::Varint(v)) => Value::from(v as i32),
            (Kind::Int64, Raw::Varint(v)) => Value::from(v as i64),
            (Kind::Double, Raw::Fixed64(bits)) => Number::from_f64(f64::from_bits(bits))
                .map(Value::Number)
                .ok_or_else(|| DecodeError::new("a number that is not finite"))?,
            (Kind::Message(index), Raw::Bytes(b)) => self.message(index, b)?,
            _ => return Err(wrong_wire_type(kind, raw)),
        };
        Ok(value)
    }

    /// A map entry {1 key, 2 value}; a missing part is its zero value, as in Go.
    fn map_entry(&mut self, kind: Kind, entry: &[u8]) -> Result<(String, Value), DecodeError> {
        let (mut key, mut value) = (String::new(), None);
        let mut wire = Wire::new(entry);
        while let Some((tag, raw)) = wire.next()? {
            match (tag, raw) {
                (1, Raw::Bytes(b)) => key = text(b),
                (1, raw) => return Err(wrong_wire_type(Kind::String, raw)),
                (2, raw) => value = Some(self.value(kind, raw)?),
                _ => {}
            }
        }
        let value = match value {
            Some(v) => v,
            None => self.zero(kind)?,
        };
        Ok((key, value))
    }

    fn zero(&mut self, kind: Kind) -> Result<Value, DecodeError> {
        Ok(match kind {
            Kind::String | Kind::Bytes => Value::String(String::new()),
            Kind::Bool => Value::Bool(false),
            Kind::Int32 | Kind::Int64 | Kind::Double => Value::from(0),
            Kind::Message(index) => self.message(index, &[])?,
        })
    }

    /// The fields of a special message by tag, decoded with the types the table gives.
    fn by_tag(&mut self, msg: &Message, bytes: &[u8]) -> Result<Vec<(u32, Value)>, DecodeError> {
        let mut out = Vec::new();
        let mut wire = Wire::new(bytes);
        while let Some((tag, raw)) = wire.next()? {
            if let Some(field) = msg.field(tag) {
                out.push((tag, self.value(field.kind, raw)?));
            }
        }
        Ok(out)
    }

    /// JSON held as bytes. The API server's own protobuf encoding may nest a whole
    /// `k8s\0` envelope there instead (a `RawExtension` converted from an object).
    fn raw_json(&mut self, raw: &[u8]) -> Result<Value, DecodeError> {
        if raw.is_empty() {
            return Ok(Value::Null);
        }
        if let Some(envelope) = raw.strip_prefix(MAGIC) {
            if self.depth >= MAX_DEPTH {
                return Err(DecodeError::new("envelopes nested too deeply"));
            }
            self.depth += 1;
            let result = self.unknown(envelope);
            self.depth -= 1;
            return result;
        }
        serde_json::from_slice(raw)
            .map_err(|e| DecodeError::new(format!("embedded JSON is not valid: {e}")))
    }
}

/// The JSON of Kubernetes' custom-marshalled messages, from their fields by tag.
fn special(form: Form, empty: bool, fields: &[(u32, Value)]) -> Result<Value, DecodeError> {
    let last = |tag: u32| fields.iter().rev().find(|(t, _)| *t == tag).map(|(_, v)| v);
    let all = |tag: u32| -> Vec<Value> {
        fields
            .iter()
            .filter(|(t, _)| *t == tag)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let int = |tag: u32| last(tag).and_then(Value::as_i64).unwrap_or(0);
    Ok(match form {
        // {1 type (0 int, 1 string), 2 intVal, 3 strVal}
        Form::IntOrString => {
            if int(1) == 1 {
                last(3)
                    .cloned()
                    .unwrap_or_else(|| Value::String(String::new()))
            } else {
                Value::from(int(2))
            }
        }
        // {1 string}; the zero Quantity is "0" in Go's JSON.
        Form::Quantity => match last(1).and_then(Value::as_str) {
            Some(s) if !s.is_empty() => Value::String(s.to_string()),
            _ => Value::String("0".into()),
        },
        // {1 seconds, 2 nanos}; Go writes the zero time as an empty message, and JSON null.
        Form::Time | Form::MicroTime if empty => Value::Null,
        Form::Time => Value::String(timestamp(int(1), int(2), false)?),
        Form::MicroTime => Value::String(timestamp(int(1), int(2), true)?),
        // {1 duration in nanoseconds}
        Form::Duration => Value::String(go_duration(int(1))),
        // {1 schema, 2 jSONSchemas} and {1 schema, 2 property}
        Form::SchemaOrArray | Form::SchemaOrStringArray => {
            let items = all(2);
            if items.is_empty() {
                last(1).cloned().unwrap_or(Value::Null)
            } else {
                Value::Array(items)
            }
        }
        // {1 allows, 2 schema}
        Form::SchemaOrBool => last(2)
            .cloned()
            .unwrap_or_else(|| Value::Bool(last(1).and_then(Value::as_bool).unwrap_or(false))),
        Form::Items => Value::Array(all(1)),
        Form::Object | Form::RawJson => unreachable!("decoded before"),
    })
}

/// RFC 3339 in UTC as `metav1.Time` (whole seconds) or `metav1.MicroTime` (6 digits) write it.
fn timestamp(seconds: i64, nanos: i64, micro: bool) -> Result<String, DecodeError> {
    // Go's time.Unix carries nanoseconds outside [0, 1e9) into the seconds.
    let seconds = seconds.checked_add(nanos.div_euclid(1_000_000_000));
    let nanos = nanos.rem_euclid(1_000_000_000);
    // Go's JSON refuses years past 9999; years before 1970 never occur in real objects.
    let seconds = seconds
        .and_then(|s| u64::try_from(s).ok())
        .filter(|s| *s <= 253_402_300_799)
        .ok_or_else(|| DecodeError::new("a time outside 1970-01-01 to 9999-12-31"))?;
    let whole = super::meta::rfc3339(seconds);
    if !micro {
        return Ok(whole);
    }
    let stem = whole.strip_suffix('Z').unwrap_or(&whole);
    Ok(format!("{stem}.{:06}Z", nanos / 1000))
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
fn go_duration(nanos: i64) -> String {
    fn decimal(value: u64, unit: u64, digits: usize) -> String {
        let (whole, rest) = (value / unit, value % unit);
        if rest == 0 {
            return whole.to_string();
        }
        let fraction = format!("{rest:0digits$}");
        format!("{whole}.{}", fraction.trim_end_matches('0'))
    }
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    let body = if n < 1_000 {
        format!("{n}ns")
    } else if n < 1_000_000 {
        format!("{}µs", decimal(n, 1_000, 3))
    } else if n < 1_000_000_000 {
        format!("{}ms", decimal(n, 1_000_000, 6))
    } else {
        let (hours, minutes) = (n / 3_600_000_000_000, n / 60_000_000_000 % 60);
        let seconds = decimal(n % 60_000_000_000, 1_000_000_000, 9);
        match (hours, minutes) {
            (0, 0) => format!("{seconds}s"),
            (0, m) => format!("{m}m{seconds}s"),
            (h, m) => format!("{h}h{m}m{seconds}s"),
        }
    };
    format!("{sign}{body}")
}

/// Go's JSON turns invalid UTF-8 into U+FFFD; so does this.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn is_packable(kind: Kind) -> bool {
    matches!(kind, Kind::Bool | Kind::Int32 | Kind::Int64 | Kind::Double)
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Array(_) => false,
    }
}

fn wrong_wire_type(kind: Kind, raw: Raw<'_>) -> DecodeError {
    let expected = match kind {
        Kind::Bool | Kind::Int32 | Kind::Int64 => "a varint",
        Kind::Double => "a 64-bit value",
        Kind::String | Kind::Bytes | Kind::Message(_) => "a length-delimited value",
    };
    let got = match raw {
        Raw::Varint(_) => "a varint",
        Raw::Fixed64(_) => "a 64-bit value",
        Raw::Bytes(_) => "a length-delimited value",
        Raw::Fixed32 => "a 32-bit value",
    };
    DecodeError::new(format!("expected {expected}, found {got}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // A tiny protobuf encoder, enough to write what client-go writes.

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn key(field: u32, wire_type: u8, out: &mut Vec<u8>) {
        varint(u64::from(field) << 3 | u64::from(wire_type), out);
    }

    /// A length-delimited field (string, bytes, message, map entry).
    fn bytes(field: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        key(field, 2, &mut out);
        varint(payload.len() as u64, &mut out);
        out.extend_from_slice(payload);
        out
    }

    fn string(field: u32, s: &str) -> Vec<u8> {
        bytes(field, s.as_bytes())
    }

    fn int(field: u32, v: i64) -> Vec<u8> {
        let mut out = Vec::new();
        key(field, 0, &mut out);
        #[allow(clippy::cast_sign_loss)]
        varint(v as u64, &mut out);
        out
    }

    fn message(fields: &[Vec<u8>]) -> Vec<u8> {
        fields.concat()
    }

    fn entry(field: u32, k: &str, v: &[u8]) -> Vec<u8> {
        bytes(field, &message(&[string(1, k), bytes(2, v)]))
    }

    /// ObjectMeta as gogo-protobuf writes it: every plain string and number, zero or not, and
    /// an empty `creationTimestamp` message.
    fn object_meta(name: &str, namespace: &str, labels: &[(&str, &str)]) -> Vec<u8> {
        let mut fields = vec![
            string(1, name),
            string(2, ""),
            string(3, namespace),
            string(4, ""),
            string(5, ""),
            string(6, ""),
            int(7, 0),
            bytes(8, &[]),
        ];
        fields.extend(labels.iter().map(|(k, v)| entry(11, k, v.as_bytes())));
        message(&fields)
    }

    /// `k8s\0` + runtime.Unknown, with empty contentEncoding and contentType as kubectl sends.
    fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let type_meta = message(&[string(1, api_version), string(2, kind)]);
        let mut out = MAGIC.to_vec();
        out.extend(message(&[
            bytes(1, &type_meta),
            bytes(2, raw),
            string(3, ""),
            string(4, ""),
        ]));
        out
    }

    fn decoded(api_version: &str, kind: &str, raw: &[u8]) -> Value {
        decode(&envelope(api_version, kind, raw)).expect("decodes")
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn the_embedded_table_loads_and_knows_every_builtin_kind() {
        let catalog = catalog();
        assert!(catalog.messages.len() > 500, "{}", catalog.messages.len());
        for r in crate::server::catalog::Catalog::builtin().all() {
            let gvk = format!("{}/{}/{}", r.group, r.version, r.kind);
            assert!(catalog.kinds.contains_key(&gvk), "no message for {gvk}");
        }
    }

    #[test]
    fn namespace_as_kubectl_1_32_sends_it() {
        // kubectl-wire.md §9.7, `kubectl create namespace team-a`.
        let body = hex(
            "6b387300 0a0f0a027631 12094e616d657370616365 121e 0a16 0a067465616d2d61 1200 1a00 \
             2200 2a00 3200 3800 4200 1200 1a020a00 1a00 2200",
        );
        assert_eq!(
            decode(&body).expect("decodes"),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
        );
    }

    #[test]
    fn configmap_with_data_and_binary_data() {
        let raw = message(&[
            bytes(1, &object_meta("c", "p1", &[("app", "web")])),
            entry(2, "a", b"b"),
            entry(2, "empty", b""),
            entry(3, "blob", &[0, 159, 146, 150]),
        ]);
        assert_eq!(
            decoded("v1", "ConfigMap", &raw),
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "p1", "labels": {"app": "web"}},
                "data": {"a": "b", "empty": ""},
                "binaryData": {"blob": "AJ+Slg=="},
            })
        );
    }

    #[test]
    fn secret_data_is_base64() {
        let raw = message(&[
            bytes(1, &object_meta("s", "", &[])),
            entry(2, "k", b"v"),
            string(3, "Opaque"),
        ]);
        assert_eq!(
            decoded("v1", "Secret", &raw),
            json!({
                "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                "data": {"k": "dg=="}, "type": "Opaque",
            })
        );
    }

    fn deployment(replicas: i64) -> Vec<u8> {
        let labels = entry(1, "app", b"d");
        let selector = message(std::slice::from_ref(&labels));
        let port = message(&[
            string(1, ""), // name
            int(2, 0),     // hostPort
            int(3, 80),    // containerPort
            string(4, "TCP"),
            string(5, ""), // hostIP
        ]);
        let container = message(&[
            string(1, "nginx"),
            string(2, "nginx:1.25"),
            bytes(6, &port),
            bytes(8, &[]), // resources
            string(13, "/dev/termination-log"),
            int(16, 0), // stdin
            int(18, 0), // tty
        ]);
        let pod_spec = message(&[
            bytes(2, &container),
            string(3, "Always"), // restartPolicy
            int(11, 0),          // hostNetwork
        ]);
        let template = message(&[
            bytes(1, &object_meta("", "", &[("app", "d")])),
            bytes(2, &pod_spec),
        ]);
        let spec = message(&[
            int(1, replicas),
            bytes(2, &selector),
            bytes(3, &template),
            bytes(4, &[]), // strategy
            int(5, 0),     // minReadySeconds
            int(7, 0),     // paused
        ]);
        let status = message(&[int(1, 0), int(2, 0)]);
        message(&[
            bytes(1, &object_meta("d", "p1", &[("app", "d")])),
            bytes(2, &spec),
            bytes(3, &status),
        ])
    }

    #[test]
    fn deployment_keeps_what_kubectl_set_and_drops_go_zero_values() {
        assert_eq!(
            decoded("apps/v1", "Deployment", &deployment(2)),
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "d", "namespace": "p1", "labels": {"app": "d"}},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": "d"}},
                    "template": {
                        "metadata": {"labels": {"app": "d"}},
                        "spec": {
                            "containers": [{
                                "name": "nginx",
                                "image": "nginx:1.25",
                                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                                "terminationMessagePath": "/dev/termination-log",
                            }],
                            "restartPolicy": "Always",
                        },
                    },
                },
            })
        );
    }

    #[test]
    fn a_pointer_zero_is_a_choice_and_stays() {
        let d = decoded("apps/v1", "Deployment", &deployment(0));
        assert_eq!(d["spec"]["replicas"], json!(0));
        let sa = message(&[bytes(1, &object_meta("sa", "", &[])), int(4, 0)]);
        let sa = decoded("v1", "ServiceAccount", &sa);
        assert_eq!(sa["automountServiceAccountToken"], json!(false));
    }

    #[test]
    fn service_ports_int_or_string_and_time() {
        let target = |ty: i64, int_val: i64, str_val: &str| {
            message(&[int(1, ty), int(2, int_val), string(3, str_val)])
        };
        let port = |name: &str, port: i64, t: Vec<u8>| {
            message(&[
                string(1, name),
                string(2, "TCP"),
                int(3, port),
                bytes(4, &t),
                int(5, 0), // nodePort
            ])
        };
        let spec = message(&[
            bytes(1, &port("http", 80, target(0, 8080, ""))),
            bytes(1, &port("web", 81, target(1, 0, "web"))),
            // A zero targetPort is Go's "unset" (the server defaults it to the port).
            bytes(1, &port("same", 82, target(0, 0, ""))),
            entry(2, "app", b"svc"),
            string(3, "10.0.0.1"),
            string(4, "ClusterIP"),
        ]);
        let mut meta = object_meta("svc", "p1", &[]);
        // creationTimestamp 2026-11-26T12:00:00Z, nanoseconds dropped as metav1.Time does.
        meta.extend(bytes(8, &message(&[int(1, 1_795_694_400), int(2, 5)])));
        let raw = message(&[bytes(1, &meta), bytes(2, &spec), bytes(3, &[])]);
        assert_eq!(
            decoded("v1", "Service", &raw),
            json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {
                    "name": "svc", "namespace": "p1",
                    "creationTimestamp": "2026-11-26T12:00:00Z",
                },
                "spec": {
                    "ports": [
                        {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                        {"name": "web", "protocol": "TCP", "port": 81, "targetPort": "web"},
                        {"name": "same", "protocol": "TCP", "port": 82},
                    ],
                    "selector": {"app": "svc"},
                    "clusterIP": "10.0.0.1",
                    "type": "ClusterIP",
                },
            })
        );
    }

    #[test]
    fn quantities_raw_extensions_and_micro_times() {
        let hard = message(&[entry(1, "pods", &string(1, "10")), entry(1, "cpu", &[])]);
        let quota = message(&[bytes(1, &object_meta("q", "", &[])), bytes(2, &hard)]);
        assert_eq!(
            decoded("v1", "ResourceQuota", &quota)["spec"]["hard"],
            json!({"pods": "10", "cpu": "0"})
        );

        let data = message(&[bytes(1, br#"{"spec":{"x":[1,2]}}"#)]);
        let revision = message(&[
            bytes(1, &object_meta("r", "", &[])),
            bytes(2, &data),
            int(3, 4),
        ]);
        assert_eq!(
            decoded("apps/v1", "ControllerRevision", &revision),
            json!({
                "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"},
                "data": {"spec": {"x": [1, 2]}}, "revision": 4,
            })
        );

        let event = message(&[
            bytes(1, &object_meta("e", "", &[])),
            bytes(2, &message(&[int(1, 1_795_694_400), int(2, 123_456_789)])),
        ]);
        assert_eq!(
            decoded("events.k8s.io/v1", "Event", &event)["eventTime"],
            json!("2026-11-26T12:00:00.123456Z")
        );
    }

    #[test]
    fn embedded_structs_are_inlined() {
        // SecretKeySelector embeds LocalObjectReference (field 1) beside key (2) and optional.
        let selector = message(&[
            bytes(1, &string(1, "creds")),
            string(2, "password"),
            int(3, 0),
        ]);
        let source = message(&[bytes(4, &selector)]);
        let env = message(&[string(1, "PW"), string(2, ""), bytes(3, &source)]);
        let container = message(&[string(1, "c"), bytes(7, &env)]);
        let pod = message(&[
            bytes(1, &object_meta("p", "", &[])),
            bytes(2, &message(&[bytes(2, &container)])),
        ]);
        assert_eq!(
            decoded("v1", "Pod", &pod)["spec"]["containers"][0]["env"],
            json!([{"name": "PW", "valueFrom": {"secretKeyRef": {
                "name": "creds", "key": "password", "optional": false,
            }}}])
        );
    }

    #[test]
    fn go_durations() {
        for (nanos, text) in [
            (0, "0s"),
            (999, "999ns"),
            (1_500, "1.5µs"),
            (1_500_000, "1.5ms"),
            (3_500_000_000, "3.5s"),
            (3_723_000_000_000, "1h2m3s"),
            (-60_000_000_000, "-1m0s"),
        ] {
            assert_eq!(go_duration(nanos), text);
        }
    }

    #[test]
    fn errors_are_400_with_a_reason() {
        let err = |body: &[u8]| decode(body).expect_err("rejected");
        let e = err(b"{\"kind\":\"Namespace\"}");
        assert_eq!((e.code, e.reason), (400, "BadRequest"));
        assert!(e.message.contains("magic"), "{}", e.message);

        let e = err(&envelope("v1", "NoSuchKind", &[]));
        assert!(e.message.contains("NoSuchKind"), "{}", e.message);

        let mut gzip = MAGIC.to_vec();
        gzip.extend(string(3, "gzip"));
        assert!(err(&gzip).message.contains("gzip"));

        // A string where containerPort (a varint) belongs, deep inside a Deployment.
        let port = message(&[string(3, "80")]);
        let container = message(&[string(1, "c"), bytes(6, &port)]);
        let template = message(&[bytes(2, &message(&[bytes(2, &container)]))]);
        let raw = message(&[bytes(2, &message(&[bytes(3, &template)]))]);
        let e = err(&envelope("apps/v1", "Deployment", &raw));
        assert_eq!(
            e.message,
            "error decoding the protobuf request body: \
             spec.template.spec.containers.ports.containerPort: \
             expected a varint, found a length-delimited value"
        );
    }

    #[test]
    fn hostile_bodies_are_rejected_without_panicking() {
        let good = envelope("apps/v1", "Deployment", &deployment(3));
        for end in 0..good.len() {
            let _ = decode(&good[..end]);
        }
        // Every single-byte corruption of a valid body.
        for i in MAGIC.len()..good.len() {
            for b in [0x00, 0x7f, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] = b;
                let _ = decode(&bad);
            }
        }
        // Random bytes after the magic (xorshift: deterministic, no dependency).
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            let mut body = MAGIC.to_vec();
            for _ in 0..(state % 200) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                body.push((state >> 24) as u8);
            }
            state = state.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let _ = decode(&body);
        }
        // A length that claims more than there is, and a 64-bit length.
        let mut body = MAGIC.to_vec();
        body.extend([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
        assert_eq!(decode(&body).expect_err("truncated").code, 400);
        let mut body = MAGIC.to_vec();
        body.extend([
            0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ]);
        assert_eq!(decode(&body).expect_err("too long").code, 400);
    }

    #[test]
    fn deep_nesting_is_refused_before_the_stack_runs_out() {
        // JSONSchemaProps.not (28) holding JSONSchemaProps, 10 000 times.
        let mut schema = Vec::new();
        for _ in 0..10_000 {
            schema = bytes(28, &schema);
        }
        let validation = bytes(1, &schema);
        let version = message(&[string(1, "v1"), bytes(4, &validation)]);
        let spec = message(&[string(1, "example.com"), bytes(7, &version)]);
        let crd = message(&[bytes(1, &object_meta("x", "", &[])), bytes(2, &spec)]);
        let e = decode(&envelope(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            &crd,
        ))
        .expect_err("too deep");
        assert!(e.message.contains("nested more than"), "{}", e.message);
    }
}
