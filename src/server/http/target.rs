/// What a REST path addresses: `/apis/apps/v1/namespaces/shop/deployments/web/scale` is group
/// `apps`, version `v1`, namespace `shop`, resource `deployments`, name `web`, subresource `scale`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub resource: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

impl Target {
    /// Parses a resource path; `None` for anything that is not one (discovery paths included).
    pub fn parse(path: &str) -> Option<Self> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, version, rest) = match parts.as_slice() {
            ["api", version, rest @ ..] => (String::new(), (*version).to_string(), rest),
            ["apis", group, version, rest @ ..] => {
                ((*group).to_string(), (*version).to_string(), rest)
            }
            _ => return None,
        };
        let (namespace, rest) = match rest {
            // `/api/v1/namespaces/x/status` is a subresource of the namespace object itself.
            ["namespaces", _, "status" | "finalize"] => (None, rest.to_vec()),
            // `/api/v1/namespaces/x` is the namespace object itself, not a scope.
            ["namespaces", ns, resource, tail @ ..] => (
                Some((*ns).to_string()),
                std::iter::once(*resource)
                    .chain(tail.iter().copied())
                    .collect::<Vec<_>>(),
            ),
            other => (None, other.to_vec()),
        };
        let valid = |s: &str| !s.is_empty();
        match rest.as_slice() {
            [resource] if valid(resource) => Some(Self {
                group,
                version,
                namespace,
                resource: (*resource).into(),
                ..Self::default()
            }),
            [resource, name] if valid(resource) && valid(name) => Some(Self {
                group,
                version,
                namespace,
                resource: (*resource).into(),
                name: Some((*name).into()),
                subresource: None,
            }),
            [resource, name, sub] if valid(resource) && valid(name) && valid(sub) => Some(Self {
                group,
                version,
                namespace,
                resource: (*resource).into(),
                name: Some((*name).into()),
                subresource: Some((*sub).into()),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(
        path: &str,
    ) -> (
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    ) {
        let t = Target::parse(path).unwrap();
        (
            format!("{}/{}", t.group, t.version),
            t.namespace,
            t.resource,
            t.name,
            t.subresource,
        )
    }

    #[test]
    fn parses_every_shape() {
        assert_eq!(
            t("/api/v1/namespaces/default/pods"),
            (
                "/v1".into(),
                Some("default".into()),
                "pods".into(),
                None,
                None
            )
        );
        assert_eq!(
            t("/api/v1/pods"),
            ("/v1".into(), None, "pods".into(), None, None)
        );
        assert_eq!(
            t("/api/v1/namespaces"),
            ("/v1".into(), None, "namespaces".into(), None, None)
        );
        assert_eq!(
            t("/api/v1/namespaces/shop"),
            (
                "/v1".into(),
                None,
                "namespaces".into(),
                Some("shop".into()),
                None
            )
        );
        assert_eq!(
            t("/api/v1/namespaces/shop/status"),
            (
                "/v1".into(),
                None,
                "namespaces".into(),
                Some("shop".into()),
                Some("status".into())
            )
        );
        assert_eq!(
            t("/apis/apps/v1/namespaces/shop/deployments/web/scale"),
            (
                "apps/v1".into(),
                Some("shop".into()),
                "deployments".into(),
                Some("web".into()),
                Some("scale".into())
            )
        );
        assert_eq!(
            t("/apis/rbac.authorization.k8s.io/v1/clusterroles/admin"),
            (
                "rbac.authorization.k8s.io/v1".into(),
                None,
                "clusterroles".into(),
                Some("admin".into()),
                None
            )
        );
        assert!(Target::parse("/apis/apps/v1").is_none());
        assert!(Target::parse("/version").is_none());
    }
}
