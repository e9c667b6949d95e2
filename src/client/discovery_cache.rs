use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

use super::{ClientError, ResourceInfo};

/// The kinds of one group-version, as discovery listed them.
pub(super) type Kinds = Arc<[ResourceInfo]>;

/// Discovery results of one client, fetched once per group-version however many objects ask.
///
/// A kind missing from a cached list is asked for once more (a CRD may have been applied since
/// the list was fetched); a kind missing from a fresh list too is remembered as missing until
/// the client writes a CustomResourceDefinition, so a thousand custom resources whose CRD is
/// absent cost one extra request, not a thousand.
#[derive(Debug, Default)]
pub(super) struct DiscoveryCache {
    /// A cell per group-version, so concurrent first asks share one request.
    groups: Mutex<HashMap<String, Arc<OnceCell<Kinds>>>>,
    missing: Mutex<HashSet<(String, String)>>,
}

impl DiscoveryCache {
    /// The resource for `kind` in `api_version`; `fetch` lists the group-version's kinds.
    pub(super) async fn resolve<F, Fut>(
        &self,
        api_version: &str,
        kind: &str,
        fetch: F,
    ) -> Result<ResourceInfo, ClientError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Kinds, ClientError>>,
    {
        let cell = self.cell(api_version);
        let kinds = cell.get_or_try_init(&fetch).await?.clone();
        if let Some(found) = find(&kinds, kind) {
            return Ok(found);
        }
        let unknown = || ClientError::UnknownKind {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
        };
        let key = (api_version.to_owned(), kind.to_owned());
        if lock(&self.missing).contains(&key) {
            return Err(unknown());
        }
        let fresh = self.renew(api_version, &cell);
        let kinds = fresh.get_or_try_init(&fetch).await?.clone();
        if let Some(found) = find(&kinds, kind) {
            return Ok(found);
        }
        lock(&self.missing).insert(key);
        Err(unknown())
    }

    /// Forgets everything: after a CRD is written, any group may have new kinds.
    pub(super) fn forget(&self) {
        lock(&self.groups).clear();
        lock(&self.missing).clear();
    }

    fn cell(&self, api_version: &str) -> Arc<OnceCell<Kinds>> {
        lock(&self.groups)
            .entry(api_version.to_owned())
            .or_default()
            .clone()
    }

    /// A new, empty cell for `api_version`, unless another task already replaced `stale`: then
    /// that task's cell, so concurrent refreshes share one request.
    fn renew(&self, api_version: &str, stale: &Arc<OnceCell<Kinds>>) -> Arc<OnceCell<Kinds>> {
        let mut groups = lock(&self.groups);
        let entry = groups.entry(api_version.to_owned()).or_default();
        if Arc::ptr_eq(entry, stale) {
            *entry = Arc::default();
        }
        entry.clone()
    }
}

fn find(kinds: &[ResourceInfo], kind: &str) -> Option<ResourceInfo> {
    kinds.iter().find(|r| r.kind == kind).cloned()
}

/// The maps hold plain data that a panicking holder cannot leave half-written.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn info(kind: &str) -> ResourceInfo {
        ResourceInfo {
            group: "example.com".into(),
            version: "v1".into(),
            kind: kind.into(),
            plural: format!("{}s", kind.to_lowercase()),
            namespaced: true,
        }
    }

    /// A fake server whose group-version serves `kinds` (changeable), counting requests.
    struct Fake {
        kinds: Mutex<Vec<ResourceInfo>>,
        requests: AtomicUsize,
    }

    impl Fake {
        fn new(kinds: &[&str]) -> Self {
            Self {
                kinds: Mutex::new(kinds.iter().map(|k| info(k)).collect()),
                requests: AtomicUsize::new(0),
            }
        }

        async fn fetch(&self) -> Result<Kinds, ClientError> {
            self.requests.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(lock(&self.kinds).clone().into())
        }

        fn requests(&self) -> usize {
            self.requests.load(Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn one_request_per_group_version_however_many_ask_at_once() {
        let cache = DiscoveryCache::default();
        let fake = Fake::new(&["Backup", "Schedule"]);
        let asks = (0..50).map(|i| {
            let kind = if i % 2 == 0 { "Backup" } else { "Schedule" };
            cache.resolve("example.com/v1", kind, || fake.fetch())
        });
        for found in futures_util::future::join_all(asks).await {
            assert!(found.is_ok());
        }
        assert_eq!(fake.requests(), 1);
    }

    #[tokio::test]
    async fn a_kind_added_later_is_found_by_one_refresh() {
        let cache = DiscoveryCache::default();
        let fake = Fake::new(&["Backup"]);
        cache
            .resolve("example.com/v1", "Backup", || fake.fetch())
            .await
            .unwrap();
        lock(&fake.kinds).push(info("Restore"));
        let found = cache
            .resolve("example.com/v1", "Restore", || fake.fetch())
            .await
            .unwrap();
        assert_eq!(found.plural, "restores");
        assert_eq!(fake.requests(), 2);
    }

    #[tokio::test]
    async fn a_missing_kind_costs_one_refresh_until_a_crd_is_written() {
        let cache = DiscoveryCache::default();
        let fake = Fake::new(&["Backup"]);
        for _ in 0..20 {
            let err = cache
                .resolve("example.com/v1", "Restore", || fake.fetch())
                .await
                .unwrap_err();
            assert!(matches!(err, ClientError::UnknownKind { .. }));
        }
        assert_eq!(fake.requests(), 2, "the first fetch and one refresh");

        lock(&fake.kinds).push(info("Restore"));
        cache.forget();
        assert!(
            cache
                .resolve("example.com/v1", "Restore", || fake.fetch())
                .await
                .is_ok()
        );
    }

    #[test]
    fn the_unknown_kind_error_says_what_to_check() {
        let err = ClientError::UnknownKind {
            api_version: "example.com/v1".into(),
            kind: "Restore".into(),
        };
        assert_eq!(
            err.to_string(),
            "the server has no resource for kind Restore in apiVersion example.com/v1 — is its \
             CRD applied?"
        );
    }
}
