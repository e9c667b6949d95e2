use std::fmt;
use std::str::FromStr;

/// A Kubernetes minor version (`1.37`); patch versions are accepted and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for KubeVersion {
    type Err = String;

    /// `1.37`, `v1.37`, `1.37.2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad =
            || format!("`{s}` is not a Kubernetes version; write it as MAJOR.MINOR, e.g. 1.37");
        let t = s.strip_prefix('v').unwrap_or(s);
        let mut parts = t.split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if let Some(patch) = parts.next() {
            patch.parse::<u32>().map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self { major, minor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        assert_eq!("1.37".parse(), Ok(KubeVersion::new(1, 37)));
        assert_eq!("v1.28.3".parse(), Ok(KubeVersion::new(1, 28)));
        assert!("1".parse::<KubeVersion>().is_err());
        assert!("latest".parse::<KubeVersion>().is_err());
    }
}
