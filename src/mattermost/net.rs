//! A TCP connection to the server, wrapped in TLS for `https` servers. The WebSocket runs over
//! this; REST goes through ureq, which has its own connection pool.

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => tls.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// The TLS settings for our own connections: Mozilla's roots (built in, so no certificate files
/// are needed on the machine) and the ring provider.
pub fn tls_config() -> Result<Arc<ClientConfig>, String> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Connects to `host:port`, trying each resolved address, and starts TLS when `tls` is given.
pub fn connect(host: &str, port: u16, tls: Option<&Arc<ClientConfig>>) -> Result<Stream, String> {
    let tcp = connect_tcp(host, port)?;
    tcp.set_nodelay(true).ok();
    let Some(config) = tls else {
        return Ok(Stream::Plain(tcp));
    };
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("invalid TLS server name {host}: {e}"))?;
    let mut conn = ClientConnection::new(config.clone(), name)
        .map_err(|e| format!("TLS setup for {host} failed: {e}"))?;
    let mut tcp = tcp;
    // Finish the handshake now so certificate problems are reported as such.
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)
            .map_err(|e| format!("TLS handshake with {host}:{port} failed: {e}"))?;
    }
    Ok(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
}

fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, String> {
    let addrs = crate::resolve::resolve(host, port, CONNECT_TIMEOUT)?;
    let mut last = format!("{host} resolved to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    Err(last)
}

/// Closes a connection from another thread, waking a reader blocked on it.
pub fn interrupt(tcp: &TcpStream) {
    let _ = tcp.shutdown(Shutdown::Both);
}
