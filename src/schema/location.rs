use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Gvk, KubeVersion};

/// A failure of a schema location; reported on the resources whose kind it was asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct LocationError {
    pub location: String,
    pub message: String,
}

/// Somewhere extra schemas come from (`--schema-location`), asked after the bundled schemas
/// and the CRDs in the input. Implementations must be thread-safe: lookups run in parallel.
pub trait SchemaSource: Send + Sync {
    /// The schema for a kind, and a description of where it came from; `Ok(None)` if this
    /// location does not have it.
    fn find(
        &self,
        gvk: &Gvk,
        version: KubeVersion,
        strict: bool,
    ) -> Result<Option<(Value, String)>, LocationError>;
}

/// A `--schema-location`: a directory, a local path template, or a remote URL template
/// (remote ones are implemented at the edge, see `cli`).
pub struct SchemaLocation(Box<dyn SchemaSource>);

impl SchemaLocation {
    pub fn new(source: impl SchemaSource + 'static) -> Self {
        Self(Box::new(source))
    }

    pub fn find(
        &self,
        gvk: &Gvk,
        version: KubeVersion,
        strict: bool,
    ) -> Result<Option<(Value, String)>, LocationError> {
        self.0.find(gvk, version, strict)
    }
}

/// Expands kubeconform's template variables: `{{ .ResourceKind }}` (lower-case kind),
/// `{{ .ResourceAPIVersion }}`, `{{ .Group }}`, `{{ .KindSuffix }}` (`-apps-v1`, `-v1` for core),
/// `{{ .NormalizedKubernetesVersion }}` (`v1.37.0`), `{{ .StrictSuffix }}` (`-strict` or empty).
pub fn expand_template(template: &str, gvk: &Gvk, version: KubeVersion, strict: bool) -> String {
    let group_prefix = gvk.group.split('.').next().unwrap_or_default();
    let kind_suffix = if gvk.group.is_empty() {
        format!("-{}", gvk.version)
    } else {
        format!("-{group_prefix}-{}", gvk.version)
    };
    let vars = [
        ("ResourceKind", gvk.kind.to_lowercase()),
        ("ResourceAPIVersion", gvk.version.clone()),
        ("Group", gvk.group.clone()),
        ("KindSuffix", kind_suffix),
        ("NormalizedKubernetesVersion", format!("v{version}.0")),
        (
            "StrictSuffix",
            if strict {
                "-strict".into()
            } else {
                String::new()
            },
        ),
    ];
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = rest[open + 2..open + close].trim().trim_start_matches('.');
        match vars.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

/// A local directory (tried as `<kind><KindSuffix>.json` and the CRDs-catalog layout
/// `<group>/<kind>_<version>.json`) or a local path template.
pub struct LocalLocation {
    spec: String,
}

impl LocalLocation {
    pub fn new(spec: impl Into<String>) -> Self {
        Self { spec: spec.into() }
    }

    fn candidates(&self, gvk: &Gvk, version: KubeVersion, strict: bool) -> Vec<PathBuf> {
        if self.spec.contains("{{") {
            return vec![PathBuf::from(expand_template(
                &self.spec, gvk, version, strict,
            ))];
        }
        let dir = Path::new(&self.spec);
        [
            "{{ .ResourceKind }}{{ .KindSuffix }}.json",
            "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
        ]
        .iter()
        .map(|t| dir.join(expand_template(t, gvk, version, strict)))
        .collect()
    }
}

impl SchemaSource for LocalLocation {
    fn find(
        &self,
        gvk: &Gvk,
        version: KubeVersion,
        strict: bool,
    ) -> Result<Option<(Value, String)>, LocationError> {
        for path in self.candidates(gvk, version, strict) {
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(LocationError {
                        location: path.display().to_string(),
                        message: e.to_string(),
                    });
                }
            };
            let value = serde_json::from_slice(&bytes).map_err(|e| LocationError {
                location: path.display().to_string(),
                message: format!("not a JSON schema: {e}"),
            })?;
            return Ok(Some((value, path.display().to_string())));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_kubeconform_variables() {
        let gvk = Gvk::new("apps", "v1", "Deployment");
        let v = KubeVersion::new(1, 30);
        assert_eq!(
            expand_template(
                "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json",
                &gvk,
                v,
                true
            ),
            "v1.30.0-standalone-strict/deployment-apps-v1.json"
        );
        let crd = Gvk::new("cert-manager.io", "v1", "Certificate");
        assert_eq!(
            expand_template(
                "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json",
                &crd,
                v,
                false
            ),
            "cert-manager.io/certificate_v1.json"
        );
        assert_eq!(
            expand_template(
                "{{ .ResourceKind }}{{ .KindSuffix }}",
                &Gvk::new("", "v1", "Service"),
                v,
                false
            ),
            "service-v1"
        );
    }

    #[test]
    fn local_directory_finds_both_layouts() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("example.com")).unwrap();
        std::fs::write(
            dir.path().join("example.com/widget_v1.json"),
            r#"{"type":"object"}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("gadget-example-v2.json"),
            r#"{"type":"object"}"#,
        )
        .unwrap();
        let loc = LocalLocation::new(dir.path().to_str().unwrap());
        let v = KubeVersion::new(1, 37);
        assert!(
            loc.find(&Gvk::new("example.com", "v1", "Widget"), v, true)
                .unwrap()
                .is_some()
        );
        assert!(
            loc.find(&Gvk::new("example.com", "v2", "Gadget"), v, true)
                .unwrap()
                .is_some()
        );
        assert!(
            loc.find(&Gvk::new("example.com", "v1", "Other"), v, true)
                .unwrap()
                .is_none()
        );
        std::fs::write(dir.path().join("broken-example-v1.json"), "{").unwrap();
        assert!(
            loc.find(&Gvk::new("example.com", "v1", "Broken"), v, true)
                .is_err()
        );
    }
}
