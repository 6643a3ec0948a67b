//! A TCP connection to the server, through the proxy if there is one, wrapped in TLS for
//! `https` servers. The WebSocket runs over this; REST goes through ureq, which has its own
//! connection pool but the same TLS settings and proxy (see `connector`).

use super::connect_error::ConnectError;
use super::proxy::Proxy;
use super::tls::Tls;
use crate::config::Config;
use crate::server_url::ServerUrl;
use rustls::{ClientConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
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

/// How to reach the server, decided once at start and shared by REST and the WebSocket: the
/// TLS settings (built-in roots plus `caFile`) and the proxy from the environment.
#[derive(Clone)]
pub struct Link {
    pub tls: Tls,
    pub proxy: Option<Proxy>,
}

impl Link {
    /// Reads `caFile` and the proxy variables; the proxy's credentials are registered for
    /// redaction here, once for every caller.
    pub fn new(config: &Config) -> Result<Link, ConnectError> {
        let tls = Tls::new(config.ca_file.as_deref())?;
        let proxy = Proxy::for_server(&config.server, &|name| std::env::var(name).ok())?;
        // Its password must not reach a log line, whoever logs the proxy's errors.
        for secret in proxy.iter().flat_map(Proxy::secrets) {
            crate::redact::register_secret(secret);
        }
        Ok(Link { tls, proxy })
    }

    /// Connects to the server, through the proxy's CONNECT tunnel when there is one, and
    /// completes the TLS handshake for `https` servers.
    pub fn connect(&self, server: &ServerUrl) -> Result<Stream, ConnectError> {
        let tcp = match &self.proxy {
            None => connect_tcp(&server.host, server.port)?,
            Some(proxy) => {
                let mut tcp = connect_tcp(&proxy.host, proxy.port).map_err(|cause| {
                    ConnectError::ProxyUnreachable {
                        proxy: proxy.to_string(),
                        cause: Box::new(cause),
                    }
                })?;
                tcp.set_read_timeout(Some(CONNECT_TIMEOUT)).ok();
                proxy.tunnel(&mut tcp, &server.host, server.port)?;
                tcp
            }
        };
        tcp.set_nodelay(true).ok();
        if !server.tls {
            return Ok(Stream::Plain(tcp));
        }
        self.start_tls(tcp, &server.host, server.port)
    }

    fn start_tls(&self, mut tcp: TcpStream, host: &str, port: u16) -> Result<Stream, ConnectError> {
        let conn = self
            .tls
            .handshake(host, &mut tcp)
            .map_err(|e| self.tls.handshake_error(&format!("{host}:{port}"), e))?;
        Ok(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
    }
}

fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    let addrs = crate::resolve::resolve(host, port, CONNECT_TIMEOUT)?;
    let mut last = ConnectError::NoAddress {
        host: host.to_string(),
    };
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(error) => {
                last = ConnectError::Tcp {
                    addr: Some(addr),
                    error,
                }
            }
        }
    }
    Err(last)
}

/// Closes a connection from another thread, waking a reader blocked on it.
pub fn interrupt(tcp: &TcpStream) {
    let _ = tcp.shutdown(Shutdown::Both);
}
