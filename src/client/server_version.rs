use serde_json::Value;

/// What an API server's `/version` says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    pub major: String,
    /// As the server writes it: managed offerings add a `+` (`"28+"`).
    pub minor: String,
    /// `v1.37.0`, or the server's own build name.
    pub git_version: String,
}

impl ServerVersion {
    /// Read from the `/version` document; a missing field reads as empty (servers other than
    /// Kubernetes itself fill the document loosely, and nothing here is worth failing for).
    pub(super) fn from_json(v: &Value) -> Self {
        let text = |key: &str| v[key].as_str().unwrap_or_default().to_owned();
        Self {
            major: text("major"),
            minor: text("minor"),
            git_version: text("gitVersion"),
        }
    }

    /// The minor version as a number (`28` for `"28+"`), if it is one.
    pub fn minor_number(&self) -> Option<u32> {
        self.minor.trim_end_matches('+').parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn version_fields_are_read_loosely() {
        let v = ServerVersion::from_json(&json!({
            "major": "1", "minor": "28+", "gitVersion": "v1.28.3-eks-1", "platform": "linux/amd64"
        }));
        assert_eq!(v.git_version, "v1.28.3-eks-1");
        assert_eq!(v.minor_number(), Some(28));
        assert_eq!(ServerVersion::from_json(&json!({})).minor_number(), None);
    }
}
