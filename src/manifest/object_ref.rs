use std::fmt;

/// Identifies an object: group/version/kind, namespace and name as written in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl ObjectRef {
    /// The API group (`apps` for `apps/v1`, empty for the core `v1`).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    pub fn version(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or(self.api_version.as_str(), |(_, v)| v)
    }
}

impl fmt::Display for ObjectRef {
    /// `Deployment default/web`, `Namespace shop`, `ConfigMap <unnamed>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        match &self.name {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "<unnamed>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_and_display() {
        let r = ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("default".into()),
            name: Some("web".into()),
        };
        assert_eq!(r.group(), "apps");
        assert_eq!(r.version(), "v1");
        assert_eq!(r.to_string(), "Deployment default/web");
        let core = ObjectRef {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            ..Default::default()
        };
        assert_eq!(core.group(), "");
        assert_eq!(core.to_string(), "Namespace <unnamed>");
    }
}
