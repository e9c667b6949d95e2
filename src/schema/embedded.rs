use std::io::Read;

use serde_json::{Value, json};

use super::KubeVersion;

/// The bundled versions, oldest first; regenerate with `scripts/update-schemas`.
pub const BUNDLED_VERSIONS: [KubeVersion; 10] = [
    KubeVersion::new(1, 28),
    KubeVersion::new(1, 29),
    KubeVersion::new(1, 30),
    KubeVersion::new(1, 31),
    KubeVersion::new(1, 32),
    KubeVersion::new(1, 33),
    KubeVersion::new(1, 34),
    KubeVersion::new(1, 35),
    KubeVersion::new(1, 36),
    KubeVersion::new(1, 37),
];

const COMPRESSED: [&[u8]; 10] = [
    include_bytes!("../../schemas/v1.28.json.zst"),
    include_bytes!("../../schemas/v1.29.json.zst"),
    include_bytes!("../../schemas/v1.30.json.zst"),
    include_bytes!("../../schemas/v1.31.json.zst"),
    include_bytes!("../../schemas/v1.32.json.zst"),
    include_bytes!("../../schemas/v1.33.json.zst"),
    include_bytes!("../../schemas/v1.34.json.zst"),
    include_bytes!("../../schemas/v1.35.json.zst"),
    include_bytes!("../../schemas/v1.36.json.zst"),
    include_bytes!("../../schemas/v1.37.json.zst"),
];

pub fn newest_version() -> KubeVersion {
    BUNDLED_VERSIONS[BUNDLED_VERSIONS.len() - 1]
}

/// The raw `_definitions.json` (strict form) of a bundled version, decompressed.
pub fn definitions_json(version: KubeVersion) -> Option<Vec<u8>> {
    let index = BUNDLED_VERSIONS.iter().position(|v| *v == version)?;
    let mut decoder = ruzstd::decoding::StreamingDecoder::new(COMPRESSED[index])
        .expect("embedded schema is valid zstd (checked by tests)");
    let mut out = Vec::with_capacity(2 << 20);
    decoder
        .read_to_end(&mut out)
        .expect("embedded schema decompresses (checked by tests)");
    Some(out)
}

/// Quantity syntax as the API server parses it (`resource.ParseQuantity`).
pub const QUANTITY_PATTERN: &str = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)))?$";

/// Adjusts the upstream definitions to what the API server accepts:
/// - `IntOrString` and `Quantity` are `oneOf` of two nullable types upstream, so `null` matches
///   both branches and fails; the server takes `null` as unset. They become one type union.
/// - `Quantity` strings get the server's syntax (`500m` yes, `500 MB` no).
/// - Relaxed mode (`--strict=false`) drops `additionalProperties: false`, which is all that
///   separates the upstream strict and non-strict schema sets.
pub fn patch_definitions(defs: &mut Value, strict: bool) {
    if let Some(map) = defs.get_mut("$defs").and_then(Value::as_object_mut) {
        map.insert(
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString".into(),
            json!({"type": ["string", "integer", "null"]}),
        );
        map.insert(
            "io.k8s.apimachinery.pkg.api.resource.Quantity".into(),
            json!({"type": ["string", "number", "null"], "pattern": QUANTITY_PATTERN}),
        );
    }
    if !strict {
        strip_closed_objects(defs);
    }
}

fn strip_closed_objects(value: &mut Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                    map.remove("additionalProperties");
                }
                stack.extend(map.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_version_decompresses_to_definitions() {
        for v in BUNDLED_VERSIONS {
            let bytes = definitions_json(v).unwrap();
            let value: Value = serde_json::from_slice(&bytes).unwrap();
            let defs = value["$defs"].as_object().unwrap();
            assert!(defs.contains_key("io.k8s.api.apps.v1.Deployment"), "{v}");
            assert_eq!(value["$id"], super::super::DEFINITIONS_URI);
        }
    }

    #[test]
    fn quantity_pattern_matches_what_the_server_accepts() {
        let re = regex_lite(QUANTITY_PATTERN);
        for ok in [
            "1",
            "500m",
            "1.5Gi",
            "1e3",
            "128974848",
            "129M",
            "0.1",
            ".5",
            "+1Ki",
            "1E",
        ] {
            assert!(re(ok), "{ok}");
        }
        for bad in ["", "1 Gi", "1GB", "abc", "1.5.5", "Gi", "1iB"] {
            assert!(!re(bad), "{bad}");
        }
    }

    fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool {
        let validator =
            jsonschema::validator_for(&json!({"type": "string", "pattern": pattern})).unwrap();
        move |s| validator.is_valid(&json!(s))
    }
}
