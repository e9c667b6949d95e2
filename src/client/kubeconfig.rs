//! Finding and reading the kubeconfig the way kubectl does. The reading, merging, credential
//! and TLS handling are kube's; what is here decides *which files* and turns kube's errors
//! into ones that name the file and the context.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::endpoint::paths_list;
use super::error::chain;
use super::{ClientError, ConnectOptions, Endpoint};

/// What the kubeconfig search reads from the environment, passed in rather than read inside
/// so the search is testable (and a caller can resolve it once, as `Settings` do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeconfigEnv {
    /// The value of `KUBECONFIG`: a path list (`:`-separated on Unix).
    pub kubeconfig: Option<OsString>,
    /// The home directory, for `~/.kube/config`.
    pub home: Option<PathBuf>,
}

impl KubeconfigEnv {
    /// `KUBECONFIG` and the home directory of this process.
    pub fn from_process() -> Self {
        Self {
            kubeconfig: std::env::var_os("KUBECONFIG"),
            home: std::env::home_dir(),
        }
    }
}

/// The files to read, in merge order: the explicit path alone; else every *existing* file of
/// `KUBECONFIG` (kubectl skips missing ones, and the first file to set a value wins); else
/// `~/.kube/config`.
pub(super) fn files(
    explicit: Option<&Path>,
    env: &KubeconfigEnv,
) -> Result<Vec<PathBuf>, ClientError> {
    if let Some(path) = explicit {
        if !path.is_file() {
            return Err(ClientError::Kubeconfig {
                kubeconfig: path.display().to_string(),
                context: None,
                reason: if path.exists() {
                    "it is not a file".to_owned()
                } else {
                    "no such file".to_owned()
                },
            });
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let listed: Vec<PathBuf> = env
        .kubeconfig
        .as_ref()
        .map(|v| {
            std::env::split_paths(v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !listed.is_empty() {
        let existing: Vec<PathBuf> = listed.iter().filter(|p| p.is_file()).cloned().collect();
        if existing.is_empty() {
            return Err(ClientError::NoKubeconfig {
                searched: format!(
                    "none of the files in KUBECONFIG={} exists",
                    paths_list(&listed)
                ),
            });
        }
        return Ok(existing);
    }
    let Some(home) = &env.home else {
        return Err(ClientError::NoKubeconfig {
            searched: "KUBECONFIG is not set and there is no home directory".to_owned(),
        });
    };
    let default = home.join(".kube").join("config");
    if default.is_file() {
        Ok(vec![default])
    } else {
        Err(ClientError::NoKubeconfig {
            searched: format!(
                "KUBECONFIG is not set and {} does not exist",
                default.display()
            ),
        })
    }
}

/// Reads and merges `files`, picks the context and builds kube's `Config` for it.
pub(super) async fn load(
    files: &[PathBuf],
    opts: &ConnectOptions,
) -> Result<(kube::Config, Endpoint), ClientError> {
    let shown = paths_list(files);
    let mut merged = Kubeconfig::default();
    for file in files {
        let one = Kubeconfig::read_from(file).map_err(|e| ClientError::Kubeconfig {
            kubeconfig: file.display().to_string(),
            context: None,
            reason: chain(&e),
        })?;
        merged = merged.merge(one).map_err(|e| ClientError::Kubeconfig {
            kubeconfig: shown.clone(),
            context: None,
            reason: chain(&e),
        })?;
    }
    let context = choose_context(&merged, opts.context.as_deref()).map_err(|reason| {
        ClientError::Kubeconfig {
            kubeconfig: shown.clone(),
            context: opts.context.clone(),
            reason,
        }
    })?;
    let error = |reason: String| ClientError::Kubeconfig {
        kubeconfig: shown.clone(),
        context: Some(context.clone()),
        reason,
    };
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(merged, &options)
        .await
        .map_err(|e| error(chain(&e)))?;
    let endpoint = Endpoint {
        kubeconfig: files.to_vec(),
        context,
        server: config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_owned(),
    };
    Ok((config, endpoint))
}

/// The context to use, or why there is none, listing the contexts there are.
fn choose_context(config: &Kubeconfig, asked: Option<&str>) -> Result<String, String> {
    let names: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
    let have = || {
        if names.is_empty() {
            "it has no contexts".to_owned()
        } else {
            format!("its contexts are {}", names.join(", "))
        }
    };
    let name = match asked {
        Some(name) => name,
        None => config
            .current_context
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| format!("it sets no current-context; choose one ({})", have()))?,
    };
    if names.contains(&name) {
        Ok(name.to_owned())
    } else {
        Err(format!("it has no context {name:?} ({})", have()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(kubeconfig: Option<&str>, home: Option<&Path>) -> KubeconfigEnv {
        KubeconfigEnv {
            kubeconfig: kubeconfig.map(OsString::from),
            home: home.map(Path::to_path_buf),
        }
    }

    #[test]
    fn an_explicit_path_wins_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kc");
        std::fs::write(&file, "").unwrap();
        let from_env = env(Some("/elsewhere"), Some(dir.path()));
        assert_eq!(
            files(Some(&file), &from_env).unwrap(),
            std::slice::from_ref(&file)
        );

        let missing = dir.path().join("missing");
        let err = files(Some(&missing), &from_env).unwrap_err().to_string();
        assert!(
            err.contains(&missing.display().to_string()) && err.contains("no such file"),
            "{err}"
        );
        let err = files(Some(dir.path()), &from_env).unwrap_err().to_string();
        assert!(err.contains("not a file"), "{err}");
    }

    #[test]
    fn kubeconfig_lists_skip_missing_files_and_keep_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "").unwrap();
        std::fs::write(&b, "").unwrap();
        let list = format!(
            "{}::{}:{}",
            dir.path().join("gone").display(),
            b.display(),
            a.display()
        );
        assert_eq!(files(None, &env(Some(&list), None)).unwrap(), [b, a]);
    }

    #[test]
    fn a_kubeconfig_list_of_missing_files_is_an_error_naming_them() {
        let err = files(None, &env(Some("/nope/a:/nope/b"), None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("KUBECONFIG=/nope/a:/nope/b"), "{err}");
    }

    #[test]
    fn without_kubeconfig_the_home_config_is_used() {
        let home = tempfile::tempdir().unwrap();
        let err = files(None, &env(None, Some(home.path())))
            .unwrap_err()
            .to_string();
        assert!(err.contains(".kube/config does not exist"), "{err}");
        let config = home.path().join(".kube").join("config");
        std::fs::create_dir_all(config.parent().unwrap()).unwrap();
        std::fs::write(&config, "").unwrap();
        assert_eq!(
            files(None, &env(Some(""), Some(home.path()))).unwrap(),
            [config]
        );
    }

    fn kubeconfig(yaml: &str) -> Kubeconfig {
        Kubeconfig::from_yaml(yaml).unwrap()
    }

    const TWO_CONTEXTS: &str = "
apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c, user: u}
- name: prod
  context: {cluster: c, user: u}
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:6443'}
users:
- name: u
  user: {token: t}
";

    #[test]
    fn the_context_is_the_asked_one_else_the_current_one() {
        let kc = kubeconfig(TWO_CONTEXTS);
        assert_eq!(choose_context(&kc, None).unwrap(), "dev");
        assert_eq!(choose_context(&kc, Some("prod")).unwrap(), "prod");
        assert_eq!(
            choose_context(&kc, Some("staging")).unwrap_err(),
            "it has no context \"staging\" (its contexts are dev, prod)"
        );
    }

    #[test]
    fn without_current_context_the_error_lists_the_choices() {
        let kc = kubeconfig(&TWO_CONTEXTS.replace("current-context: dev", ""));
        let err = choose_context(&kc, None).unwrap_err();
        assert!(err.contains("sets no current-context"), "{err}");
        assert!(err.contains("dev, prod"), "{err}");
    }

    #[tokio::test]
    async fn loading_names_the_server_context_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kc");
        std::fs::write(&file, TWO_CONTEXTS).unwrap();
        let opts = ConnectOptions {
            kubeconfig: None,
            context: Some("prod".into()),
        };
        let (config, endpoint) = load(std::slice::from_ref(&file), &opts).await.unwrap();
        assert_eq!(config.default_namespace, "default");
        assert_eq!(
            endpoint,
            Endpoint {
                kubeconfig: vec![file],
                context: "prod".into(),
                server: "https://127.0.0.1:6443".into(),
            }
        );
    }

    #[tokio::test]
    async fn a_file_that_is_no_kubeconfig_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kc");
        std::fs::write(&file, "clusters: [unclosed").unwrap();
        let err = load(std::slice::from_ref(&file), &ConnectOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("kubeconfig {}", file.display())),
            "{err}"
        );
    }
}
