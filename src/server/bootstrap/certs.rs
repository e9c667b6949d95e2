use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;

use super::BootstrapError;
use super::fs::{read_optional, restrict_to_owner, write_atomic};
use super::san::SubjectAltName;
use super::token::hex;

pub(super) const CA_FILE: &str = "ca.crt";
pub(super) const CERT_FILE: &str = "server.crt";
pub(super) const KEY_FILE: &str = "server.key";

/// Lifetime of a new CA and serving certificate: a local development server should never
/// make its user deal with expiry.
const VALIDITY: Duration = Duration::from_secs(3650 * 24 * 60 * 60);
/// Start of validity before "now", so that a client whose clock is slightly behind (a VM, a
/// container with its own clock) does not reject a certificate made a moment ago.
const BACKDATE: Duration = Duration::from_secs(60 * 60);
/// A certificate that expires sooner than this is replaced at start-up rather than left to
/// fail while the server runs.
const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The PEM texts of the CA certificate and of the serving certificate and key.
#[derive(Clone)]
pub(super) struct CertFiles {
    pub(super) ca: String,
    pub(super) cert: String,
    pub(super) key: String,
}

impl CertFiles {
    /// The certificates in `dir` if they are usable as they are, else new ones written there.
    ///
    /// Usable means: all three files parse, the key belongs to the certificate, the
    /// certificate chains to `ca.crt`, is valid now and for at least [`RENEW_BEFORE`], and
    /// names exactly `wanted`. Anything else — a missing or damaged file, a crash between two
    /// of the renames, different extra names — replaces the CA *and* the serving certificate
    /// together: the CA's private key is not kept (a stolen data directory then cannot be used
    /// to mint certificates other clients would trust), so no new certificate can be signed
    /// by the old CA. The token is separate and survives; the kubeconfig is rewritten on
    /// every start, but copies of it taken elsewhere must be refreshed after such a change.
    ///
    /// Returns whether files were written, so the caller can fsync the directory once.
    pub(super) fn load_or_create(
        dir: &Path,
        wanted: &BTreeSet<SubjectAltName>,
    ) -> Result<(Self, bool), BootstrapError> {
        let now = SystemTime::now();
        if let Some(existing) = Self::load(dir)?
            && existing.fits(wanted, now)
        {
            restrict_to_owner(&dir.join(KEY_FILE))?;
            return Ok((existing, false));
        }
        let fresh = Self::generate(wanted, now)?;
        // The CA last: until it lands, the old ca.crt does not verify the new server.crt, so
        // a crash in between is seen as a mismatch next time and everything is made anew.
        write_atomic(dir, KEY_FILE, fresh.key.as_bytes())?;
        write_atomic(dir, CERT_FILE, fresh.cert.as_bytes())?;
        write_atomic(dir, CA_FILE, fresh.ca.as_bytes())?;
        Ok((fresh, true))
    }

    /// The three files' texts, or `None` if any is missing or not UTF-8.
    fn load(dir: &Path) -> Result<Option<Self>, BootstrapError> {
        let read = |name: &str| -> Result<Option<String>, BootstrapError> {
            Ok(read_optional(&dir.join(name))?.and_then(|bytes| String::from_utf8(bytes).ok()))
        };
        let (Some(ca), Some(cert), Some(key)) = (read(CA_FILE)?, read(CERT_FILE)?, read(KEY_FILE)?)
        else {
            return Ok(None);
        };
        Ok(Some(Self { ca, cert, key }))
    }

    fn fits(&self, wanted: &BTreeSet<SubjectAltName>, now: SystemTime) -> bool {
        let (Ok(ca), Ok(cert), Ok(key)) = (
            CertificateDer::from_pem_slice(self.ca.as_bytes()),
            CertificateDer::from_pem_slice(self.cert.as_bytes()),
            PrivateKeyDer::from_pem_slice(self.key.as_bytes()),
        ) else {
            return false;
        };
        if SubjectAltName::in_certificate(&cert).as_ref() != Some(wanted) {
            return false;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        if CertifiedKey::from_der(vec![cert.clone()], key, &provider).is_err() {
            return false;
        }
        chains_to(&ca, &cert, provider, &[now, now + RENEW_BEFORE])
    }

    /// A new CA and a serving certificate for `names` signed by it; the CA key is dropped on
    /// return.
    pub(super) fn generate(
        names: &BTreeSet<SubjectAltName>,
        now: SystemTime,
    ) -> Result<Self, BootstrapError> {
        let since_epoch = now.duration_since(UNIX_EPOCH).map_err(|_| {
            BootstrapError::Certificate(
                "the system clock is before 1970; set the clock before starting kplan".to_owned(),
            )
        })?;
        let epoch = rcgen::date_time_ymd(1970, 1, 1);
        let not_before = epoch + since_epoch.saturating_sub(BACKDATE);
        let not_after = epoch + since_epoch + VALIDITY;

        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| cert_error(&e))?;
        let mut ca = CertificateParams::default();
        // A distinct subject per CA (k3s uses `k3s-server-ca@<time>`; the key id is added
        // because two data directories can be made in the same second): verifiers look issuers
        // up by name, so two CAs sharing one would fail as BadSignature, not UnknownIssuer.
        let key_id = hex(ca.key_identifier(&ca_key).get(..4).unwrap_or_default());
        ca.distinguished_name =
            common_name(&format!("kplan-ca@{}-{key_id}", since_epoch.as_secs()));
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        ca.not_before = not_before;
        ca.not_after = not_after;
        let ca_cert = ca.self_signed(&ca_key).map_err(|e| cert_error(&e))?;

        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| cert_error(&e))?;
        let mut leaf = CertificateParams::default();
        leaf.distinguished_name = common_name("kplan");
        leaf.subject_alt_names = names
            .iter()
            .map(SubjectAltName::to_rcgen)
            .collect::<Result<_, _>>()?;
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.use_authority_key_identifier_extension = true;
        leaf.not_before = not_before;
        leaf.not_after = not_after;
        let leaf_cert = leaf
            .signed_by(&key, &Issuer::from_params(&ca, &ca_key))
            .map_err(|e| cert_error(&e))?;

        Ok(Self {
            ca: ca_cert.pem(),
            cert: leaf_cert.pem(),
            key: key.serialize_pem(),
        })
    }
}

/// Whether `cert` verifies as a TLS server certificate under `ca` at each of `times`:
/// signature, validity period, EKU serverAuth and the 127.0.0.1 name (the SAN set is compared
/// separately).
fn chains_to(
    ca: &CertificateDer<'_>,
    cert: &CertificateDer<'_>,
    provider: Arc<CryptoProvider>,
    times: &[SystemTime],
) -> bool {
    let mut roots = RootCertStore::empty();
    if roots.add(ca.clone().into_owned()).is_err() {
        return false;
    }
    let Ok(verifier) =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build()
    else {
        return false;
    };
    let name = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
    times.iter().all(|&time| {
        let Ok(since_epoch) = time.duration_since(UNIX_EPOCH) else {
            return false;
        };
        verifier
            .verify_server_cert(
                cert,
                &[],
                &name,
                &[],
                UnixTime::since_unix_epoch(since_epoch),
            )
            .is_ok()
    })
}

fn common_name(name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn
}

fn cert_error(e: &rcgen::Error) -> BootstrapError {
    BootstrapError::Certificate(format!(
        "cannot generate the kplan CA and serving certificate: {e}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> BTreeSet<SubjectAltName> {
        SubjectAltName::wanted(&[]).unwrap()
    }

    #[test]
    fn a_fresh_set_fits_and_a_mismatched_one_does_not() {
        let now = SystemTime::now();
        let a = CertFiles::generate(&names(), now).unwrap();
        assert!(a.fits(&names(), now));

        let b = CertFiles::generate(&names(), now).unwrap();
        let foreign_ca = CertFiles {
            ca: b.ca.clone(),
            ..a.clone()
        };
        assert!(!foreign_ca.fits(&names(), now), "cert from another CA");
        let foreign_key = CertFiles {
            key: b.key.clone(),
            ..a.clone()
        };
        assert!(!foreign_key.fits(&names(), now), "key of another cert");
        let other_names = SubjectAltName::wanted(&["10.1.2.3".to_owned()]).unwrap();
        assert!(!a.fits(&other_names, now), "different SANs");
        let garbage = CertFiles {
            cert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned(),
            ..a
        };
        assert!(!garbage.fits(&names(), now));
    }

    #[test]
    fn a_certificate_near_expiry_is_renewed() {
        let now = SystemTime::now();
        let made_long_ago = now - VALIDITY + RENEW_BEFORE / 2;
        let old = CertFiles::generate(&names(), made_long_ago).unwrap();
        assert!(!old.fits(&names(), now));
        let future = CertFiles::generate(&names(), now + 2 * BACKDATE).unwrap();
        assert!(!future.fits(&names(), now), "not yet valid");
    }
}
