use std::path::PathBuf;

use serde_json::Value;

use crate::schema::{Gvk, KubeVersion, LocationError, SchemaSource};

/// A `--schema-location` URL template, fetched over https and cached on disk.
pub struct RemoteLocation {
    template: String,
    #[allow(dead_code)]
    cache_dir: PathBuf,
}

impl RemoteLocation {
    pub fn new(template: &str, cache_dir: PathBuf, allow_http: bool) -> Result<Self, String> {
        if template.starts_with("http://") && !allow_http {
            return Err("plain http is refused; use https, or pass --allow-http-schemas".into());
        }
        Ok(Self { template: template.to_string(), cache_dir })
    }
}

impl SchemaSource for RemoteLocation {
    fn find(&self, _gvk: &Gvk, _version: KubeVersion, _strict: bool) -> Result<Option<(Value, String)>, LocationError> {
        Err(LocationError { location: self.template.clone(), message: "remote schema locations are not available yet".into() })
    }
}
