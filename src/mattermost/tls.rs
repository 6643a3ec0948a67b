//! The one TLS client configuration every connection uses (WebSocket and REST alike): Mozilla's
//! roots, built into the binary so no certificate files are needed on the machine, plus the
//! operator's `caFile` for self-signed and private-CA servers. There is deliberately no way to
//! turn verification off.

use super::connect_error::{CaFileProblem, ConnectError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
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
    pub fn new(ca_file: Option<&Path>) -> Result<Tls, ConnectError> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = ca_file {
            for cert in read_pem_certificates(path)? {
                roots.add(cert).map_err(|e| ConnectError::CaFile {
                    path: path.to_path_buf(),
                    problem: CaFileProblem::Unusable(e),
                })?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(ConnectError::TlsSetup)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Tls {
            config: Arc::new(config),
            ca_file: ca_file.map(Path::to_path_buf),
        })
    }

    /// Starts TLS with `host` (a name or IP literal, brackets allowed) over `io` and finishes
    /// the handshake, so certificate problems surface here rather than on the first request.
    /// A certificate problem is an `io::Error` wrapping the `rustls::Error`; `handshake_error`
    /// takes it out.
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

    /// A handshake failure as a `ConnectError`: the `rustls::Error` that rustls' stream helpers
    /// wrap in the `io::Error` when there is one (it is worded with the fix, knowing `caFile`),
    /// else the I/O error itself.
    pub fn handshake_error(&self, host: &str, error: io::Error) -> ConnectError {
        if !error.get_ref().is_some_and(|e| e.is::<rustls::Error>()) {
            return ConnectError::TlsIo {
                host: host.to_string(),
                error,
            };
        }
        let inner = error.into_inner().expect("checked above");
        let tls = inner.downcast::<rustls::Error>().expect("checked above");
        self.rejected(host, *tls)
    }

    /// The handshake with `host` failed on `error`.
    pub fn rejected(&self, host: &str, error: rustls::Error) -> ConnectError {
        ConnectError::Tls {
            host: host.to_string(),
            error,
            ca_file: self.ca_file.clone(),
        }
    }
}

fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let problem = |problem| ConnectError::CaFile {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| problem(CaFileProblem::Unreadable(e)))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| problem(CaFileProblem::NotPem(format!("{e:?}"))))?;
    if certs.is_empty() {
        return Err(problem(CaFileProblem::NoCertificate));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::CertificateError;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/tls")
            .join(name)
    }

    #[test]
    fn unusable_ca_files_are_errors_naming_the_file() {
        let missing = Tls::new(Some(Path::new("/nonexistent/ca.pem")))
            .err()
            .unwrap()
            .to_string();
        assert!(missing.contains("/nonexistent/ca.pem") && missing.contains("cannot read"));
        let dir = std::env::temp_dir().join(format!("ocmm-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "just text\n").unwrap();
        let error = Tls::new(Some(&empty)).err().unwrap().to_string();
        assert!(error.contains("no certificate"), "{error}");
        let key_only = Tls::new(Some(&fixture("server.key")))
            .err()
            .unwrap()
            .to_string();
        assert!(key_only.contains("no certificate"), "{key_only}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn plain_http_on_a_tls_url_is_named() {
        let tls = Tls::new(None).unwrap();
        let corrupt = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        let text = tls.rejected("chat", corrupt).to_string();
        assert!(text.contains("plain HTTP on that port?"), "{text}");
        assert!(text.contains("use http:// in serverUrl"), "{text}");
    }

    #[test]
    fn an_untrusted_certificate_names_the_problem_and_the_ca_file_fix() {
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let text = Tls::new(None)
            .unwrap()
            .rejected("mm.example:443", unknown.clone())
            .to_string();
        assert!(text.contains("not trusted"), "{text}");
        assert!(text.contains("caFile"), "{text}");
        let with_ca = Tls::new(Some(&fixture("other-ca.pem"))).unwrap();
        let text = with_ca
            .rejected("mm.example:443", unknown.clone())
            .to_string();
        assert!(text.contains("other-ca.pem does not hold the CA"), "{text}");
        let expired = rustls::Error::InvalidCertificate(CertificateError::Expired);
        let text = with_ca.rejected("h", expired).to_string();
        assert!(text.contains("expired") && text.contains("renew"), "{text}");
        let io = io::Error::new(io::ErrorKind::InvalidData, unknown);
        let error = Tls::new(None).unwrap().handshake_error("h", io);
        assert!(
            matches!(
                error,
                ConnectError::Tls {
                    error: rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("caFile"));
    }
}
