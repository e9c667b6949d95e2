use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rustls::pki_types::DnsName;

use super::BootstrapError;
use super::der::{DerReader, SEQUENCE};

/// One subject alternative name of the serving certificate.
///
/// Ordered so that the wanted and the present names compare as sets: the order in which an
/// operator lists extra names must not force a new certificate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum SubjectAltName {
    Ip(IpAddr),
    /// Lowercase, without a trailing dot: DNS names compare case-insensitively.
    Dns(String),
}

/// id-ce-subjectAltName (2.5.29.17), DER-encoded content of the OID.
const SAN_OID: &[u8] = &[0x55, 0x1d, 0x11];
/// `[3] EXPLICIT Extensions` in TBSCertificate.
const EXTENSIONS: u8 = 0xa3;
const OID: u8 = 0x06;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
/// GeneralName choices, context-specific primitive.
const DNS_NAME: u8 = 0x82;
const IP_ADDRESS: u8 = 0x87;

impl SubjectAltName {
    /// The names every serving certificate carries: a local kubectl reaches the server through
    /// one of these whatever address it listens on.
    fn defaults() -> [Self; 3] {
        [
            Self::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            Self::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            Self::Dns("localhost".to_owned()),
        ]
    }

    /// The defaults plus the operator's extra names (the listen address among them).
    pub(super) fn wanted(extra: &[String]) -> Result<BTreeSet<Self>, BootstrapError> {
        let mut names: BTreeSet<Self> = Self::defaults().into_iter().collect();
        for raw in extra {
            if let Some(name) = Self::parse(raw)? {
                names.insert(name);
            }
        }
        Ok(names)
    }

    /// An extra name as an operator may write it: an IP address (IPv6 with or without
    /// brackets) or a DNS name, optionally a `*.` wildcard. An unspecified address (`0.0.0.0`,
    /// `::`, what a server listening on all interfaces reports) yields `None`: no client can
    /// connect to it, and the loopback names are present anyway.
    fn parse(raw: &str) -> Result<Option<Self>, BootstrapError> {
        let name = raw.trim();
        let unbracketed = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(name);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok((!ip.is_unspecified()).then_some(Self::Ip(ip)));
        }
        let dns = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        let base = dns.strip_prefix("*.").unwrap_or(&dns);
        if DnsName::try_from(base).is_err() {
            return Err(BootstrapError::Certificate(format!(
                "`{raw}` cannot go into the serving certificate: it is neither an IP address nor \
                 a DNS name; pass a hostname such as `kplan.example.com` (internationalised \
                 names in their xn-- form) or an address such as `192.0.2.10`"
            )));
        }
        Ok(Some(Self::Dns(dns)))
    }

    pub(super) fn to_rcgen(&self) -> Result<rcgen::SanType, BootstrapError> {
        Ok(match self {
            Self::Ip(ip) => rcgen::SanType::IpAddress(*ip),
            Self::Dns(name) => rcgen::SanType::DnsName(
                name.clone()
                    .try_into()
                    .map_err(|e| BootstrapError::Certificate(format!("DNS name `{name}`: {e}")))?,
            ),
        })
    }

    /// Whether a client connecting to `host` (an IP address or a DNS name) accepts a
    /// certificate carrying this name. A wildcard covers exactly one leftmost label, as in
    /// Go's crypto/x509.
    pub(super) fn covers(&self, host: &str) -> bool {
        match self {
            Self::Ip(ip) => host.parse::<IpAddr>().is_ok_and(|h| h == *ip),
            Self::Dns(name) => {
                let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
                match name.strip_prefix("*.") {
                    None => host == *name,
                    Some(base) => host
                        .split_once('.')
                        .is_some_and(|(label, rest)| !label.is_empty() && rest == base),
                }
            }
        }
    }

    /// The DNS and IP names in a DER certificate's subjectAltName extension, or `None` if the
    /// certificate is malformed or carries a name of another kind (which kplan never writes).
    pub(super) fn in_certificate(der: &[u8]) -> Option<BTreeSet<Self>> {
        let cert = DerReader::new(der).read_tagged(SEQUENCE)?;
        let tbs = DerReader::new(cert).read_tagged(SEQUENCE)?;
        let mut fields = DerReader::new(tbs);
        while !fields.is_empty() {
            let (tag, content) = fields.read()?;
            if tag == EXTENSIONS {
                let extensions = DerReader::new(content).read_tagged(SEQUENCE)?;
                return Self::in_extensions(extensions);
            }
        }
        Some(BTreeSet::new())
    }

    fn in_extensions(extensions: &[u8]) -> Option<BTreeSet<Self>> {
        let mut extensions = DerReader::new(extensions);
        while !extensions.is_empty() {
            let mut extension = DerReader::new(extensions.read_tagged(SEQUENCE)?);
            if extension.read_tagged(OID)? != SAN_OID {
                continue;
            }
            let (mut tag, mut value) = extension.read()?;
            if tag == BOOLEAN {
                (tag, value) = extension.read()?;
            }
            if tag != OCTET_STRING {
                return None;
            }
            let mut general_names = DerReader::new(DerReader::new(value).read_tagged(SEQUENCE)?);
            let mut names = BTreeSet::new();
            while !general_names.is_empty() {
                let name = match general_names.read()? {
                    (DNS_NAME, text) => {
                        Self::Dns(std::str::from_utf8(text).ok()?.to_ascii_lowercase())
                    }
                    (IP_ADDRESS, octets) => Self::Ip(match octets.len() {
                        4 => IpAddr::from(<[u8; 4]>::try_from(octets).ok()?),
                        16 => IpAddr::from(<[u8; 16]>::try_from(octets).ok()?),
                        _ => return None,
                    }),
                    _ => return None,
                };
                names.insert(name);
            }
            return Some(names);
        }
        Some(BTreeSet::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> SubjectAltName {
        SubjectAltName::Ip(s.parse().unwrap())
    }

    fn dns(s: &str) -> SubjectAltName {
        SubjectAltName::Dns(s.to_owned())
    }

    #[test]
    fn wanted_adds_extras_to_the_loopback_defaults() {
        let extra = [
            "10.0.0.5".to_owned(),
            "[fd00::1]".to_owned(),
            "Kplan.Example.".to_owned(),
            "*.apps.example".to_owned(),
            "0.0.0.0".to_owned(),
            "::".to_owned(),
            "127.0.0.1".to_owned(),
        ];
        let names = SubjectAltName::wanted(&extra).unwrap();
        let expected: BTreeSet<_> = [
            ip("127.0.0.1"),
            ip("::1"),
            dns("localhost"),
            ip("10.0.0.5"),
            ip("fd00::1"),
            dns("kplan.example"),
            dns("*.apps.example"),
        ]
        .into_iter()
        .collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn rejects_what_is_neither_address_nor_name() {
        for bad in [
            "",
            "two words",
            "exa_mple..com",
            "héllo.example",
            "a*.example",
            "http://x",
        ] {
            let err = SubjectAltName::wanted(&[bad.to_owned()]).unwrap_err();
            assert!(
                matches!(err, BootstrapError::Certificate(_)),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains("neither an IP address"), "{err}");
        }
    }

    #[test]
    fn reads_back_the_names_rcgen_wrote() {
        let names =
            SubjectAltName::wanted(&["192.0.2.7".to_owned(), "api.example".to_owned()]).unwrap();
        let mut params = rcgen::CertificateParams::default();
        params.subject_alt_names = names.iter().map(|n| n.to_rcgen().unwrap()).collect();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(SubjectAltName::in_certificate(cert.der()), Some(names));
    }

    #[test]
    fn a_certificate_without_the_extension_has_no_names() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::default()
            .self_signed(&key)
            .unwrap();
        assert_eq!(
            SubjectAltName::in_certificate(cert.der()),
            Some(BTreeSet::new())
        );
    }

    #[test]
    fn covers_matches_addresses_names_and_one_wildcard_label() {
        assert!(ip("::1").covers("::1"));
        assert!(ip("::1").covers("0:0:0:0:0:0:0:1"));
        assert!(!ip("::1").covers("127.0.0.1"));
        assert!(dns("localhost").covers("LocalHost."));
        assert!(!dns("localhost").covers("127.0.0.1"));
        assert!(dns("*.apps.example").covers("a.apps.example"));
        assert!(!dns("*.apps.example").covers("a.b.apps.example"));
        assert!(!dns("*.apps.example").covers("apps.example"));
        assert!(!dns("*.apps.example").covers(".apps.example"));
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert_eq!(SubjectAltName::in_certificate(b"not DER"), None);
        assert_eq!(SubjectAltName::in_certificate(&[]), None);
    }
}
