//! The one TLS client configuration every connection uses (WebSocket and REST alike): Mozilla's
//! roots, built into the binary so no certificate files are needed on the machine, plus the
//! operator's `caFile` for self-signed and private-CA servers. There is deliberately no way to
//! turn verification off.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, ClientConnection, RootCertStore};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The client configuration plus what it was made from, to explain handshake failures.
#[derive(Clone)]
pub struct Tls {
    pub config: Arc<ClientConfig>,
    ca_file: Option<PathBuf>,
}

impl Tls {
    /// Builds the configuration, reading `ca_file` when given. A `caFile` that cannot be read or
    /// holds no certificate is an error: silently ignoring it would make the later "certificate
    /// not trusted" baffling.
    pub fn new(ca_file: Option<&Path>) -> Result<Tls, String> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = ca_file {
            for cert in read_pem_certificates(path)? {
                roots
                    .add(cert)
                    .map_err(|e| format!("caFile {}: unusable certificate: {e}", path.display()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Tls {
            config: Arc::new(config),
            ca_file: ca_file.map(Path::to_path_buf),
        })
    }

    /// Starts TLS with `host` (a name or IP literal, brackets allowed) over `io` and finishes
    /// the handshake, so certificate problems surface here rather than on the first request.
    /// A certificate problem is an `io::Error` wrapping the `rustls::Error`; `explain_io` words it.
    pub fn handshake(
        &self,
        host: &str,
        io: &mut (impl Read + Write),
    ) -> io::Result<ClientConnection> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare.to_string()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid TLS server name {host}: {e}"),
            )
        })?;
        let mut conn =
            ClientConnection::new(self.config.clone(), name).map_err(io::Error::other)?;
        while conn.is_handshaking() {
            conn.complete_io(io)?;
        }
        Ok(conn)
    }

    /// A handshake failure in words an operator can act on: what is wrong with the
    /// certificate and what to do about it.
    pub fn explain(&self, host: &str, error: &rustls::Error) -> String {
        let problem = match error {
            rustls::Error::InvalidCertificate(problem) => problem,
            // The first bytes back were not TLS: most often plain HTTP on that port.
            rustls::Error::InvalidMessage(_) => {
                return format!(
                    "TLS handshake with {host} failed: the server did not answer in TLS \
                     (plain HTTP on that port?): use http:// in serverUrl, or the port \
                     that serves https"
                )
            }
            _ => return format!("TLS handshake with {host} failed: {error}"),
        };
        let fix = match (problem, &self.ca_file) {
            (CertificateError::UnknownIssuer | CertificateError::BadSignature, None) => {
                "if the server uses a self-signed or private-CA certificate, set \
                 channels.mattermost.caFile to that CA's PEM file"
                    .to_string()
            }
            (CertificateError::UnknownIssuer | CertificateError::BadSignature, Some(path)) => {
                format!(
                    "caFile {} does not hold the CA that signed it: point caFile at the PEM of \
                     the CA that issued the server's certificate",
                    path.display()
                )
            }
            (
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
                _,
            ) => "use the host name the certificate was issued for in serverUrl".to_string(),
            (CertificateError::Expired | CertificateError::ExpiredContext { .. }, _) => {
                "renew the certificate on the server (or check this machine's clock)".to_string()
            }
            (CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }, _) => {
                "check this machine's clock".to_string()
            }
            _ => "check the server's certificate chain".to_string(),
        };
        format!(
            "TLS handshake with {host} failed: {}: {fix}",
            describe(problem)
        )
    }

    /// Like `explain`, for the `io::Error` that rustls' stream helpers wrap the error in.
    pub fn explain_io(&self, host: &str, error: &io::Error) -> String {
        match error
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>())
        {
            Some(tls) => self.explain(host, tls),
            None => format!("TLS handshake with {host} failed: {error}"),
        }
    }
}

/// The certificate problem, named plainly (the words `--check` and the README match on).
fn describe(problem: &CertificateError) -> String {
    match problem {
        CertificateError::UnknownIssuer => {
            "the server's certificate is not trusted (unknown issuer: self-signed or private CA)"
                .into()
        }
        CertificateError::BadSignature => {
            "the server's certificate is not trusted (bad signature)".into()
        }
        CertificateError::NotValidForName => {
            "the server's certificate is not valid for this name (name mismatch)".into()
        }
        CertificateError::NotValidForNameContext { expected, .. } => {
            format!("the server's certificate is not valid for {expected:?} (name mismatch)")
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the server's certificate has expired".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet".into()
        }
        other => format!("the server's certificate was rejected ({other:?})"),
    }
}

fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("caFile {}: cannot read: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("caFile {}: not a PEM file: {e:?}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "caFile {}: no certificate in it (expected PEM blocks starting with -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/tls")
            .join(name)
    }

    #[test]
    fn unusable_ca_files_are_errors_naming_the_file() {
        let missing = Tls::new(Some(Path::new("/nonexistent/ca.pem")))
            .err()
            .unwrap();
        assert!(missing.contains("/nonexistent/ca.pem") && missing.contains("cannot read"));
        let dir = std::env::temp_dir().join(format!("ocmm-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "just text\n").unwrap();
        let error = Tls::new(Some(&empty)).err().unwrap();
        assert!(error.contains("no certificate"), "{error}");
        let key_only = Tls::new(Some(&fixture("server.key"))).err().unwrap();
        assert!(key_only.contains("no certificate"), "{key_only}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn plain_http_on_a_tls_url_is_named() {
        let tls = Tls::new(None).unwrap();
        let corrupt = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        let text = tls.explain("chat", &corrupt);
        assert!(text.contains("plain HTTP on that port?"), "{text}");
        assert!(text.contains("use http:// in serverUrl"), "{text}");
    }

    #[test]
    fn an_untrusted_certificate_names_the_problem_and_the_ca_file_fix() {
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let text = Tls::new(None).unwrap().explain("mm.example:443", &unknown);
        assert!(text.contains("not trusted"), "{text}");
        assert!(text.contains("caFile"), "{text}");
        let with_ca = Tls::new(Some(&fixture("other-ca.pem"))).unwrap();
        let text = with_ca.explain("mm.example:443", &unknown);
        assert!(text.contains("other-ca.pem does not hold the CA"), "{text}");
        let expired = rustls::Error::InvalidCertificate(CertificateError::Expired);
        let text = with_ca.explain("h", &expired);
        assert!(text.contains("expired") && text.contains("renew"), "{text}");
        let io = io::Error::new(io::ErrorKind::InvalidData, unknown);
        assert!(Tls::new(None)
            .unwrap()
            .explain_io("h", &io)
            .contains("caFile"));
    }
}
