//! Normalization: both sides of an object brought to a form where only real changes differ.
//!
//! In order: server-populated fields dropped from both sides; Secret `stringData` folded into
//! `data`; `--ignore` paths removed; Secret values masked; numbers made canonical (`8080.0` is
//! `8080`); then one walk over both trees that
//! - treats `null`, an empty list and (for a few fields) an empty map as absent;
//! - drops a field present on one side only when it is the API default there;
//! - matches items of lists Kubernetes merges by key (containers by name, ports by
//!   containerPort + protocol …) by key, and reorders the current list to the desired order;
//! - compares quantities by value (`1000m` = `1`) and records every remaining difference.
//!
//! Int-or-string fields (`targetPort`, `maxSurge`) are compared by type and value: `8080` and
//! `8080.0` are equal, but the integer `8080` never equals the string `"8080"`, because the
//! API server does not convert between them (a string `targetPort` names a container port).

use serde_json::{Map, Value};

use super::defaults::{FieldSite, Side, is_default};
use super::field_schema::{FieldSchema, KindSchema, ListKeys};
use super::quantity::Quantity;
use super::secret::{fold_string_data, is_secret, mask_one, mask_pair};
use super::{DiffOptions, FieldChange};

/// What the API server writes under `metadata`: never part of a comparison, and never sent
/// back when a live object becomes a manifest again.
pub const SERVER_METADATA: [&str; 8] = [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Tool and controller bookkeeping annotations. The last-applied copy would also repeat a
/// Secret's data in clear, so it never reaches the output.
const SERVER_ANNOTATIONS: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

/// Fields where an empty map means the same as no field (Go structs with `omitempty` or
/// pointers to structs with no required content). Elsewhere `{}` can be meaningful
/// (`emptyDir: {}`, CRD `subresources.status: {}`), so it is kept.
const EMPTY_MAP_IS_ABSENT: [&str; 12] = [
    "annotations",
    "labels",
    "resources",
    "securityContext",
    "nodeSelector",
    "data",
    "binaryData",
    "stringData",
    "limits",
    "requests",
    "matchLabels",
    "strategy",
];

/// The kind and name of the object being compared, its schema, and the user's options.
#[derive(Debug, Clone, Copy)]
pub struct DiffContext<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub name: Option<&'a str>,
    pub schema: Option<&'a KindSchema>,
    pub options: &'a DiffOptions,
}

/// Both sides normalized, and the differences between them.
pub struct Normalized {
    pub desired: Value,
    pub current: Value,
    pub changes: Vec<FieldChange>,
}

/// Normalizes an object that exists on both sides and lists what differs.
pub fn normalize_pair(desired: &Value, current: &Value, cx: &DiffContext<'_>) -> Normalized {
    let mut d = prepare(desired, cx);
    let mut c = prepare(current, cx);
    if is_secret(cx.group, cx.kind) && !cx.options.show_secrets {
        mask_pair(&mut d, &mut c);
    }
    let mut walker = Walker::new(cx);
    walker.walk(&mut d, &mut c, walker.root(), "");
    Normalized {
        desired: d,
        current: c,
        changes: walker.changes,
    }
}

/// Normalizes an object that exists on one side only (created or deleted). Defaults are dropped
/// from a current object, so a deletion shows what was configured rather than what the server
/// added; a desired object is shown as written.
pub fn normalize_one(value: &Value, side: Side, cx: &DiffContext<'_>) -> Value {
    let mut v = prepare(value, cx);
    if is_secret(cx.group, cx.kind) && !cx.options.show_secrets {
        mask_one(&mut v);
    }
    if side == Side::Current {
        let mut walker = Walker::new(cx);
        let mut empty = Value::Object(Map::new());
        walker.prune_one_sided(&mut v, &mut empty, walker.root(), Side::Current);
    }
    v
}

/// The steps every side goes through before the walk.
fn prepare(value: &Value, cx: &DiffContext<'_>) -> Value {
    let mut v = value.clone();
    strip_server_fields(&mut v);
    if is_secret(cx.group, cx.kind) {
        fold_string_data(&mut v);
    }
    for rule in &cx.options.ignore {
        if rule.applies_to(cx.group, cx.kind) {
            rule.remove_from(&mut v);
        }
    }
    canonical_numbers(&mut v);
    v
}

fn strip_server_fields(v: &mut Value) {
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    obj.remove("status");
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in SERVER_METADATA {
            meta.remove(key);
        }
        // The identity (shown in every header) is not repeated as a field.
        meta.remove("namespace");
        if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            for key in SERVER_ANNOTATIONS {
                annotations.remove(key);
            }
        }
    }
}

/// Floats with an integral value become integers (`8080.0` → `8080`): the API server decodes
/// both into the same integer field.
fn canonical_numbers(v: &mut Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Number(n) if n.is_f64() => {
                if let Some(f) = n.as_f64()
                    && f.fract() == 0.0
                    && f.abs() < 9.0e15
                {
                    #[allow(clippy::cast_possible_truncation)] // integral and in range, checked
                    let i = f as i64;
                    *v = Value::from(i);
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// A key of a list item for matching: missing key fields take their API default
/// (`protocol: TCP`), so `{containerPort: 80}` matches `{containerPort: 80, protocol: TCP}`.
fn item_key(item: &Value, keys: &[String]) -> Vec<Value> {
    keys.iter()
        .map(|k| match item.get(k) {
            Some(v) if !v.is_null() => v.clone(),
            _ if k == "protocol" => Value::from("TCP"),
            _ => Value::Null,
        })
        .collect()
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

struct Walker<'c, 'a> {
    cx: &'c DiffContext<'a>,
    /// Object keys from the root; list items are `*` (what the defaults table matches).
    path: Vec<String>,
    changes: Vec<FieldChange>,
}

impl<'c, 'a> Walker<'c, 'a> {
    fn new(cx: &'c DiffContext<'a>) -> Self {
        Self {
            cx,
            path: Vec::new(),
            changes: Vec::new(),
        }
    }

    /// The kind's schema, or untyped when there is none.
    fn root(&self) -> FieldSchema<'c> {
        self.cx
            .schema
            .map_or_else(FieldSchema::untyped, KindSchema::root)
    }

    fn walk(&mut self, d: &mut Value, c: &mut Value, schema: FieldSchema<'_>, pointer: &str) {
        match (d, c) {
            (Value::Object(dm), Value::Object(cm)) => self.walk_maps(dm, cm, schema, pointer),
            (Value::Array(da), Value::Array(ca)) => self.walk_lists(da, ca, schema, pointer),
            (d, c) => {
                if d == c {
                    return;
                }
                let same_quantity = schema.is_quantity()
                    && Quantity::from_json(d).is_some_and(|q| Quantity::from_json(c) == Some(q));
                if same_quantity {
                    // Shown in the manifest's spelling, so the text diff has no line for it.
                    *c = d.clone();
                    return;
                }
                self.changes.push(FieldChange {
                    path: pointer.to_string(),
                    before: Some(c.clone()),
                    after: Some(d.clone()),
                });
            }
        }
    }

    fn walk_maps(
        &mut self,
        dm: &mut Map<String, Value>,
        cm: &mut Map<String, Value>,
        schema: FieldSchema<'_>,
        pointer: &str,
    ) {
        dm.retain(|_, v| !v.is_null());
        cm.retain(|_, v| !v.is_null());
        self.drop_one_sided_defaults(dm, cm, schema, Side::Desired);
        self.drop_one_sided_defaults(cm, dm, schema, Side::Current);
        let mut keys: Vec<String> = dm.keys().chain(cm.keys()).cloned().collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let child = format!("{pointer}/{}", escape(&key));
            match (dm.get_mut(&key), cm.get_mut(&key)) {
                (Some(d), Some(c)) => {
                    self.path.push(key.clone());
                    self.walk(d, c, schema.field(&key), &child);
                    self.path.pop();
                }
                (Some(d), None) => self.changes.push(FieldChange {
                    path: child,
                    before: None,
                    after: Some(d.clone()),
                }),
                (None, Some(c)) => self.changes.push(FieldChange {
                    path: child,
                    before: Some(c.clone()),
                    after: None,
                }),
                (None, None) => {}
            }
        }
    }

    /// Drops the keys of `this` (on `side`) that `other` lacks and that mean nothing: empty
    /// values, API defaults, and objects holding only defaults.
    fn drop_one_sided_defaults(
        &mut self,
        this: &mut Map<String, Value>,
        other: &Map<String, Value>,
        schema: FieldSchema<'_>,
        side: Side,
    ) {
        let one_sided: Vec<String> = this
            .keys()
            .filter(|k| !other.contains_key(*k))
            .cloned()
            .collect();
        for key in one_sided {
            let value = &this[&key];
            let empty_equivalent = match value {
                Value::Array(a) => a.is_empty(),
                Value::Object(m) => m.is_empty() && EMPTY_MAP_IS_ABSENT.contains(&key.as_str()),
                _ => false,
            };
            let site = FieldSite {
                group: self.cx.group,
                kind: self.cx.kind,
                name: self.cx.name,
                path: &self.path,
                siblings: this,
                side,
            };
            if empty_equivalent || is_default(&site, &key, value) {
                this.remove(&key);
                continue;
            }
            if let Some(Value::Object(inner)) = this.get_mut(&key)
                && !inner.is_empty()
            {
                self.path.push(key.clone());
                let mut pruned = Value::Object(std::mem::take(inner));
                let mut empty = Value::Object(Map::new());
                self.prune_one_sided(&mut pruned, &mut empty, schema.field(&key), side);
                self.path.pop();
                if is_empty_value(&pruned) {
                    this.remove(&key);
                } else {
                    this.insert(key, pruned);
                }
            }
        }
    }

    /// Removes defaults from an object that the other side does not have at all.
    fn prune_one_sided(
        &mut self,
        value: &mut Value,
        empty: &mut Value,
        schema: FieldSchema<'_>,
        side: Side,
    ) {
        if let (Value::Object(map), Value::Object(none)) = (value, empty) {
            self.drop_one_sided_defaults(map, none, schema, side);
        }
    }

    fn walk_lists(
        &mut self,
        da: &mut [Value],
        ca: &mut Vec<Value>,
        schema: FieldSchema<'_>,
        pointer: &str,
    ) {
        let items = schema.items();
        let keys = match schema.list_keys() {
            ListKeys::Map(keys) if da.iter().chain(ca.iter()).all(Value::is_object) => Some(keys),
            ListKeys::Map(_) | ListKeys::Positional => None,
            ListKeys::Set => Some(Vec::new()),
        };
        let Some(keys) = keys else {
            self.walk_positional(da, ca, items, pointer);
            return;
        };
        let key_of = |item: &Value| {
            if keys.is_empty() {
                vec![item.clone()]
            } else {
                item_key(item, &keys)
            }
        };
        // Current items in the desired order; the ones the desired list lacks go last.
        let mut remaining: Vec<Option<Value>> = std::mem::take(ca).into_iter().map(Some).collect();
        let mut matched: Vec<Option<usize>> = Vec::with_capacity(da.len());
        for d in da.iter() {
            let key = key_of(d);
            let found = remaining
                .iter()
                .position(|c| c.as_ref().is_some_and(|c| key_of(c) == key));
            match found {
                Some(j) => {
                    matched.push(Some(ca.len()));
                    ca.push(remaining[j].take().expect("found above"));
                }
                None => matched.push(None),
            }
        }
        ca.extend(remaining.into_iter().flatten());
        self.path.push("*".into());
        for (i, (d, m)) in da.iter_mut().zip(&matched).enumerate() {
            let child = format!("{pointer}/{i}");
            match m {
                Some(j) => self.walk(d, &mut ca[*j], items, &child),
                None => self.changes.push(FieldChange {
                    path: child,
                    before: None,
                    after: Some(d.clone()),
                }),
            }
        }
        self.path.pop();
        let matched_count = matched.iter().flatten().count();
        for (offset, c) in ca.iter().enumerate().skip(matched_count) {
            self.changes.push(FieldChange {
                path: format!("{pointer}/{}", da.len() + offset - matched_count),
                before: Some(c.clone()),
                after: None,
            });
        }
    }

    fn walk_positional(
        &mut self,
        da: &mut [Value],
        ca: &mut [Value],
        items: FieldSchema<'_>,
        pointer: &str,
    ) {
        self.path.push("*".into());
        for (i, (d, c)) in da.iter_mut().zip(ca.iter_mut()).enumerate() {
            self.walk(d, c, items, &format!("{pointer}/{i}"));
        }
        self.path.pop();
        for (i, d) in da.iter().enumerate().skip(ca.len()) {
            self.changes.push(FieldChange {
                path: format!("{pointer}/{i}"),
                before: None,
                after: Some(d.clone()),
            });
        }
        for (i, c) in ca.iter().enumerate().skip(da.len()) {
            self.changes.push(FieldChange {
                path: format!("{pointer}/{i}"),
                before: Some(c.clone()),
                after: None,
            });
        }
    }
}
