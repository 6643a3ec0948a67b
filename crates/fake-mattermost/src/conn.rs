//! One accepted connection, plain TCP or TLS, so the fake can serve `https` and `wss` with a
//! test CA exactly as it serves plain HTTP. The test PKI lives in the repository's `tests/tls/`
//! (the bridge's own unit tests read it too).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Conn {
    /// Wraps an accepted socket; the TLS handshake happens on the first read.
    pub fn accept(tcp: TcpStream, tls: Option<&Arc<ServerConfig>>) -> io::Result<Conn> {
        let Some(config) = tls else {
            return Ok(Conn::Plain(tcp));
        };
        let server = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
        Ok(Conn::Tls(Box::new(StreamOwned::new(server, tcp))))
    }

    pub fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(tls) => tls.get_ref(),
        }
    }

    pub fn shutdown(&self) {
        let _ = self.tcp().shutdown(Shutdown::Both);
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// The server side of the test PKI: `tests/tls/server.pem` (for `localhost` and 127.0.0.1,
/// signed by `tests/tls/ca.pem`) and its key.
pub fn test_server_config() -> Arc<ServerConfig> {
    let dir = tls_dir();
    let certs = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .expect("reading tests/tls/server.pem")
        .collect::<Result<Vec<_>, _>>()
        .expect("parsing tests/tls/server.pem");
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("tests/tls/server.key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("the test certificate and key match");
    Arc::new(config)
}

/// The test CA's PEM file, for `caFile`.
pub fn test_ca_file() -> PathBuf {
    tls_dir().join("ca.pem")
}

/// `tests/tls/` of the repository this crate lives in (`crates/fake-mattermost/`).
fn tls_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tls")
}
