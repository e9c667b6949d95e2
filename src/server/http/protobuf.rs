//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`), which client-go's typed
//! clients send for built-in kinds (`kubectl create namespace|configmap|secret|deployment`).

use serde_json::Value;

use super::status::ApiError;

/// Decodes a `k8s\0`-prefixed `runtime.Unknown` envelope into the JSON object it carries.
pub fn decode(_body: &[u8]) -> Result<Value, ApiError> {
    Err(ApiError::new(
        415,
        "UnsupportedMediaType",
        "protobuf request bodies are not supported yet by kplan serve; use `kubectl apply -f` with YAML or JSON",
    ))
}
