use std::error::Error as _;
use std::fmt::Write as _;
use std::time::Duration;

use kube::core::Status;

use super::{Endpoint, FieldConflict, ObjectKey};

/// Why a request to a Kubernetes API server did not give what was asked for.
///
/// Errors about finding, reading or using a kubeconfig name the file(s) and the context;
/// errors from the API server keep its `Status` message, reason and code.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No kubeconfig file to read: `searched` says where kplan looked.
    #[error(
        "no kubeconfig found ({searched}); pass a kubeconfig path, set KUBECONFIG, or start \
         `kplan serve`, which writes one into its data directory"
    )]
    NoKubeconfig { searched: String },

    /// A kubeconfig that cannot be read, parsed or used (missing context, cluster, bad
    /// certificate data …).
    #[error("kubeconfig {kubeconfig}{}: {reason}", context_note(.context.as_deref()))]
    Kubeconfig {
        kubeconfig: String,
        context: Option<String>,
        reason: String,
    },

    /// The server could not be reached or the TLS handshake failed.
    #[error("cannot reach the API server {endpoint}: {message}")]
    Unreachable { endpoint: Endpoint, message: String },

    /// The server answered 401: the context's credentials are wrong or expired.
    #[error(
        "the API server {endpoint} rejected the credentials (401 Unauthorized: {message}); \
         check the token, client certificate or exec plugin of the context's user"
    )]
    Unauthorized { endpoint: Endpoint, message: String },

    /// Getting credentials failed before any request was sent (an exec plugin that failed
    /// or is not installed, an unreadable token file …).
    #[error("cannot get credentials for {endpoint}: {message}")]
    Auth { endpoint: Endpoint, message: String },

    /// Discovery found no resource for the kind.
    #[error(
        "the server has no resource for kind {kind} in apiVersion {api_version} — is its CRD \
         applied?"
    )]
    UnknownKind { api_version: String, kind: String },

    /// A server-side apply was refused because other field managers own fields it sets.
    #[error(
        "{object}: apply failed with {} conflict{}: {}; apply with force to take ownership of {}",
        .conflicts.len(),
        if .conflicts.len() == 1 { "" } else { "s" },
        join(.conflicts),
        if .conflicts.len() == 1 { "this field" } else { "these fields" }
    )]
    Conflict {
        object: String,
        conflicts: Vec<FieldConflict>,
    },

    /// Any other answer of the API server that is not a success, as its `Status` says.
    #[error("{}{message} ({code} {reason})", object_note(.object.as_deref()))]
    Api {
        /// The object the request was about (`Deployment shop/web`), if any.
        object: Option<String>,
        code: u16,
        /// The `Status` reason (`Invalid`, `Forbidden`, `AlreadyExists` …).
        reason: String,
        message: String,
    },

    /// An object that cannot be sent as it is (no kind or name, a name that is no name).
    #[error("{0}")]
    InvalidObject(String),

    /// A wait ended before its condition held.
    #[error("{object}: not done after {}{}", humanize(*.after), last_note(.last.as_deref()))]
    Timeout {
        object: String,
        after: Duration,
        /// The last progress message seen, if the wait had one.
        last: Option<String>,
    },

    /// The server answered something that is not the JSON the API promises.
    #[error("unexpected answer from the API server {endpoint}: {message}")]
    Protocol { endpoint: Endpoint, message: String },
}

impl ClientError {
    /// Classifies an error from kube: `endpoint` is the server it came from, `object` what the
    /// request was about (for the messages).
    pub(super) fn from_kube(
        err: kube::Error,
        endpoint: &Endpoint,
        object: Option<&ObjectKey>,
    ) -> Self {
        let endpoint = endpoint.clone();
        match err {
            kube::Error::Api(status) => Self::from_status(&status, endpoint, object),
            kube::Error::Auth(e) => Self::Auth {
                endpoint,
                message: chain(&e),
            },
            kube::Error::SerdeError(e) => Self::Protocol {
                endpoint,
                message: e.to_string(),
            },
            kube::Error::FromUtf8(e) => Self::Protocol {
                endpoint,
                message: e.to_string(),
            },
            kube::Error::BuildRequest(e) => Self::InvalidObject(match object {
                Some(o) => format!("{o}: {e}"),
                None => e.to_string(),
            }),
            // kube's own label ("ServiceError: …") says nothing to a user; its sources do.
            other => Self::Unreachable {
                endpoint,
                message: other.source().map_or_else(|| other.to_string(), chain),
            },
        }
    }

    /// The error for an API server `Status` that is not a success.
    pub(super) fn from_status(
        status: &Status,
        endpoint: Endpoint,
        object: Option<&ObjectKey>,
    ) -> Self {
        let message = if status.message.is_empty() {
            "no message".to_owned()
        } else {
            status.message.clone()
        };
        if status.code == 401 {
            return Self::Unauthorized { endpoint, message };
        }
        if status.code == 409
            && let Some(conflicts) = FieldConflict::from_status(status)
        {
            return Self::Conflict {
                object: object.map_or_else(String::new, ToString::to_string),
                conflicts,
            };
        }
        Self::Api {
            object: object.map(ToString::to_string),
            code: status.code,
            reason: status.reason.clone(),
            message,
        }
    }

    /// The HTTP status code, for errors that came from the API server.
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Api { code, .. } => Some(*code),
            Self::Unauthorized { .. } => Some(401),
            Self::Conflict { .. } => Some(409),
            _ => None,
        }
    }
}

/// An error and its sources, `a: b: c`, with repeats dropped: hyper and tower wrap an error
/// in layers that often repeat their inner text, and the useful part ("Connection refused",
/// "invalid peer certificate: UnknownIssuer") is usually the innermost.
pub(super) fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) {
            let _ = write!(out, ": {text}");
        }
        source = e.source();
    }
    out
}

fn context_note(context: Option<&str>) -> String {
    context.map_or_else(String::new, |c| format!(" (context {c:?})"))
}

fn object_note(object: Option<&str>) -> String {
    object.map_or_else(String::new, |o| format!("{o}: "))
}

fn last_note(last: Option<&str>) -> String {
    last.map_or_else(String::new, |l| format!(" ({l})"))
}

fn join(conflicts: &[FieldConflict]) -> String {
    let all: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
    all.join(", ")
}

fn humanize(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 && secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else if secs > 0 {
        format!("{secs}s")
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint {
            kubeconfig: vec![PathBuf::from("/home/me/.kube/config")],
            context: "prod".into(),
            server: "https://10.0.0.1:6443".into(),
        }
    }

    fn key() -> ObjectKey {
        ObjectKey::new("apps/v1", "Deployment", Some("shop"), "web")
    }

    #[test]
    fn a_401_names_server_context_and_kubeconfig() {
        let status = Status::failure("Unauthorized", "Unauthorized").with_code(401);
        let err = ClientError::from_status(&status, endpoint(), None);
        assert!(matches!(err, ClientError::Unauthorized { .. }));
        let msg = err.to_string();
        for part in [
            "https://10.0.0.1:6443",
            "\"prod\"",
            "/home/me/.kube/config",
            "401",
        ] {
            assert!(msg.contains(part), "{part} missing from {msg}");
        }
    }

    #[test]
    fn other_statuses_keep_message_reason_and_code() {
        let status = Status::failure(
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1",
            "Invalid",
        )
        .with_code(422);
        let err = ClientError::from_status(&status, endpoint(), Some(&key()));
        assert_eq!(err.code(), Some(422));
        assert_eq!(
            err.to_string(),
            "Deployment shop/web: Deployment.apps \"web\" is invalid: spec.replicas: Invalid \
             value: -1 (422 Invalid)"
        );
    }

    #[test]
    fn a_conflict_reads_like_kubectl_and_says_how_to_resolve_it() {
        let err = ClientError::Conflict {
            object: key().to_string(),
            conflicts: vec![FieldConflict {
                manager: "kubectl".into(),
                field: ".spec.replicas".into(),
            }],
        };
        assert_eq!(
            err.to_string(),
            "Deployment shop/web: apply failed with 1 conflict: conflict with \"kubectl\": \
             .spec.replicas; apply with force to take ownership of this field"
        );
    }

    #[test]
    fn a_kubeconfig_error_names_file_and_context() {
        let err = ClientError::Kubeconfig {
            kubeconfig: "/tmp/kc".into(),
            context: Some("dev".into()),
            reason: "it has no context \"dev\"".into(),
        };
        assert_eq!(
            err.to_string(),
            "kubeconfig /tmp/kc (context \"dev\"): it has no context \"dev\""
        );
    }

    #[test]
    fn error_chains_drop_repeated_layers() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let outer = std::io::Error::other(inner);
        assert_eq!(chain(&outer), "refused");
    }

    #[test]
    fn timeouts_read_in_whole_units() {
        let err = ClientError::Timeout {
            object: key().to_string(),
            after: Duration::from_secs(300),
            last: Some("1 of 3 updated replicas are available".into()),
        };
        assert_eq!(
            err.to_string(),
            "Deployment shop/web: not done after 5m (1 of 3 updated replicas are available)"
        );
    }
}
