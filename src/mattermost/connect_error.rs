//! `ConnectError`: everything that can go wrong between this machine and the server's WebSocket,
//! from reading `caFile` to the socket closing, as one typed enum (ureq's model). The variants
//! carry what went wrong (the rustls error, the HTTP status…), so `--check`, the `status` lines
//! and the retry policy decide by matching on them; `Display` words each one for an operator,
//! with the fix where there is one. REST errors carry the same values inside `ApiError::Connect`.

use rustls::CertificateError;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub enum ConnectError {
    /// `caFile` cannot be used.
    CaFile {
        path: PathBuf,
        problem: CaFileProblem,
    },
    /// rustls refused our own configuration (never expected).
    TlsSetup(rustls::Error),
    /// A proxy variable (`HTTPS_PROXY`…) names no usable proxy.
    ProxyVariable {
        variable: &'static str,
        problem: String,
    },
    /// The host name did not resolve; `why` says what was tried.
    Resolve {
        host: String,
        why: String,
        /// The name servers did not answer in time (rather than: no such host).
        timed_out: bool,
    },
    /// The host name resolved, but to no address.
    NoAddress { host: String },
    /// No TCP connection (refused, unreachable, timed out); `addr` when we know it.
    Tcp {
        addr: Option<SocketAddr>,
        error: io::Error,
    },
    /// The proxy itself cannot be reached.
    ProxyUnreachable {
        proxy: String,
        cause: Box<ConnectError>,
    },
    /// The proxy gave no answer to CONNECT: `why` is the I/O error, an early close, a huge head.
    ProxyNoAnswer { proxy: String, why: String },
    /// The proxy answered CONNECT with a status other than 2xx (`status` when it had one).
    ProxyRefused {
        proxy: String,
        target: String,
        status: Option<u16>,
        status_line: String,
    },
    /// ureq's CONNECT to the proxy (REST) failed; its words (no answer, or the status).
    RestProxy(String),
    /// The TLS handshake failed on a TLS problem: a certificate, or not TLS at all.
    Tls {
        host: String,
        error: rustls::Error,
        /// The `caFile` trusted besides the built-in roots (to say it is the wrong one).
        ca_file: Option<PathBuf>,
    },
    /// The TLS handshake failed on the network (reset, timeout) or on the server name.
    TlsIo { host: String, error: io::Error },
    /// The WebSocket URL or request could not be built.
    BadUrl(String),
    /// The bot token cannot go into an HTTP header.
    BadToken,
    /// The upgrade was answered with `status` instead of 101.
    UpgradeStatus { status: u16 },
    /// The upgrade got no complete answer in time.
    UpgradeTimeout,
    /// The upgrade failed otherwise (a broken answer, a closed socket).
    Upgrade(tungstenite::Error),
    /// The socket opened but `hello` did not arrive within `within`.
    NoHello { within: Duration },
    /// The server sent a close frame (with its code and reason, if any).
    Closed { code: Option<u16>, reason: String },
    /// The connection closed without a close frame.
    ConnectionClosed,
    /// Sending `what` (a pong, an action) failed.
    Send {
        what: String,
        error: tungstenite::Error,
    },
    /// Reading from the open WebSocket failed.
    Socket(tungstenite::Error),
}

/// Why `caFile` cannot be used.
#[derive(Debug)]
pub enum CaFileProblem {
    Unreadable(io::Error),
    NotPem(String),
    NoCertificate,
    Unusable(rustls::Error),
}

impl ConnectError {
    /// The server refused the bot token on the upgrade: retry slowly, say `unauthorized`.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ConnectError::UpgradeStatus { status: 401 | 403 })
    }

    /// Puts this error into an `io::Error` (for ureq's connector and resolver traits); `from_io`
    /// takes it out again.
    pub fn into_io(self) -> io::Error {
        let kind = match &self {
            ConnectError::Resolve {
                timed_out: true, ..
            } => io::ErrorKind::TimedOut,
            ConnectError::Resolve { .. } | ConnectError::NoAddress { .. } => {
                io::ErrorKind::NotFound
            }
            ConnectError::Tcp { error, .. } | ConnectError::TlsIo { error, .. } => error.kind(),
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, self)
    }

    /// The `ConnectError` inside an `io::Error` made by `into_io`, or the `io::Error` back.
    pub fn from_io(error: io::Error) -> Result<ConnectError, io::Error> {
        if !error.get_ref().is_some_and(|e| e.is::<ConnectError>()) {
            return Err(error);
        }
        let inner = error.into_inner().expect("checked above");
        Ok(*inner.downcast::<ConnectError>().expect("checked above"))
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::CaFile { path, problem } => {
                write!(f, "caFile {}: {problem}", path.display())
            }
            ConnectError::TlsSetup(e) => write!(f, "TLS setup failed: {e}"),
            ConnectError::ProxyVariable { variable, problem } => write!(f, "{variable}: {problem}"),
            ConnectError::Resolve { host, why, .. } => write!(f, "cannot resolve {host}: {why}"),
            ConnectError::NoAddress { host } => write!(f, "{host} resolved to no address"),
            ConnectError::Tcp {
                addr: Some(addr),
                error,
            } => write!(f, "cannot connect to {addr}: {error}"),
            ConnectError::Tcp { addr: None, error } => write!(f, "cannot connect: {error}"),
            ConnectError::ProxyUnreachable { proxy, cause } => write!(f, "proxy {proxy}: {cause}"),
            ConnectError::ProxyNoAnswer { proxy, why } => write!(f, "proxy {proxy}: {why}"),
            ConnectError::ProxyRefused {
                proxy,
                target,
                status_line,
                ..
            } => write!(
                f,
                "proxy {proxy} refused the tunnel to {target}: {status_line}"
            ),
            ConnectError::RestProxy(why) => write!(f, "CONNECT proxy failed: {why}"),
            ConnectError::Tls {
                host,
                error,
                ca_file,
            } => write_tls(f, host, error, ca_file.as_ref()),
            ConnectError::TlsIo { host, error } => {
                write!(f, "TLS handshake with {host} failed: {error}")
            }
            ConnectError::BadUrl(e) => write!(f, "bad WebSocket URL: {e}"),
            ConnectError::BadToken => f.write_str("the bot token is not a valid header value"),
            ConnectError::UpgradeStatus {
                status: status @ (401 | 403),
            } => write!(
                f,
                "WebSocket upgrade refused with HTTP {status}: the bot token was rejected"
            ),
            ConnectError::UpgradeStatus { status } => write!(
                f,
                "WebSocket upgrade answered HTTP {status} instead of 101: a proxy in front of \
                 Mattermost may not pass the Upgrade header"
            ),
            ConnectError::UpgradeTimeout => f.write_str("the WebSocket upgrade timed out"),
            ConnectError::Upgrade(e) => write!(f, "WebSocket upgrade failed: {e}"),
            ConnectError::NoHello { within } => write!(f, "no hello within {} s", within.as_secs()),
            ConnectError::Closed { code: None, .. } => f.write_str("server closed the connection"),
            ConnectError::Closed {
                code: Some(code),
                reason,
            } => write!(f, "server closed the connection ({code} {reason})"),
            ConnectError::ConnectionClosed => f.write_str("connection closed"),
            ConnectError::Send { what, error } => write!(f, "sending {what} failed: {error}"),
            ConnectError::Socket(e) => write!(f, "{e}"),
        }
    }
}

/// The words of `Display`, not a derived field dump: an `io::Error` carrying a `ConnectError`
/// (REST) links its `Debug`, and the derived one would link the `Debug` of tungstenite's, http's
/// and rustls' error types too, kilobytes the static x86_64 binary does not have.
impl fmt::Debug for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectError({self})")
    }
}

impl std::error::Error for ConnectError {}

impl fmt::Display for CaFileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaFileProblem::Unreadable(e) => write!(f, "cannot read: {e}"),
            CaFileProblem::NotPem(e) => write!(f, "not a PEM file: {e}"),
            CaFileProblem::NoCertificate => f.write_str(
                "no certificate in it (expected PEM blocks starting with -----BEGIN CERTIFICATE-----)",
            ),
            CaFileProblem::Unusable(e) => write!(f, "unusable certificate: {e}"),
        }
    }
}

/// A failed handshake in words an operator can act on: what is wrong with the certificate and
/// what to do about it.
fn write_tls(
    f: &mut fmt::Formatter<'_>,
    host: &str,
    error: &rustls::Error,
    ca_file: Option<&PathBuf>,
) -> fmt::Result {
    let problem = match error {
        rustls::Error::InvalidCertificate(problem) => problem,
        // The first bytes back were not TLS: most often plain HTTP on that port.
        rustls::Error::InvalidMessage(_) => {
            return write!(
                f,
                "TLS handshake with {host} failed: the server did not answer in TLS \
                 (plain HTTP on that port?): use http:// in serverUrl, or the port \
                 that serves https"
            )
        }
        _ => return write!(f, "TLS handshake with {host} failed: {error}"),
    };
    write!(f, "TLS handshake with {host} failed: ")?;
    write_certificate_problem(f, problem)?;
    f.write_str(": ")?;
    match (problem, ca_file) {
        (CertificateError::UnknownIssuer | CertificateError::BadSignature, None) => f.write_str(
            "if the server uses a self-signed or private-CA certificate, set \
             channels.mattermost.caFile to that CA's PEM file",
        ),
        (CertificateError::UnknownIssuer | CertificateError::BadSignature, Some(path)) => write!(
            f,
            "caFile {} does not hold the CA that signed it: point caFile at the PEM of \
             the CA that issued the server's certificate",
            path.display()
        ),
        (
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            _,
        ) => f.write_str("use the host name the certificate was issued for in serverUrl"),
        (CertificateError::Expired | CertificateError::ExpiredContext { .. }, _) => {
            f.write_str("renew the certificate on the server (or check this machine's clock)")
        }
        (CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }, _) => {
            f.write_str("check this machine's clock")
        }
        _ => f.write_str("check the server's certificate chain"),
    }
}

/// The certificate problem, named plainly.
fn write_certificate_problem(
    f: &mut fmt::Formatter<'_>,
    problem: &CertificateError,
) -> fmt::Result {
    match problem {
        CertificateError::UnknownIssuer => f.write_str(
            "the server's certificate is not trusted (unknown issuer: self-signed or private CA)",
        ),
        CertificateError::BadSignature => {
            f.write_str("the server's certificate is not trusted (bad signature)")
        }
        CertificateError::NotValidForName => {
            f.write_str("the server's certificate is not valid for this name (name mismatch)")
        }
        CertificateError::NotValidForNameContext { expected, .. } => write!(
            f,
            "the server's certificate is not valid for {expected:?} (name mismatch)"
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            f.write_str("the server's certificate has expired")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            f.write_str("the server's certificate is not valid yet")
        }
        other => write!(f, "the server's certificate was rejected ({other:?})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_survives_the_trip_through_io_error() {
        let error = ConnectError::Resolve {
            host: "mm.example".into(),
            why: "gave up after 10s".into(),
            timed_out: true,
        };
        let io = error.into_io();
        assert_eq!(io.kind(), io::ErrorKind::TimedOut);
        assert_eq!(
            io.to_string(),
            "cannot resolve mm.example: gave up after 10s"
        );
        assert!(matches!(
            ConnectError::from_io(io),
            Ok(ConnectError::Resolve {
                timed_out: true,
                ..
            })
        ));
        let plain = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(ConnectError::from_io(plain).is_err());
    }

    #[test]
    fn the_upgrade_statuses_are_worded_by_cause() {
        let refused = ConnectError::UpgradeStatus { status: 401 };
        assert!(refused.is_unauthorized());
        assert_eq!(
            refused.to_string(),
            "WebSocket upgrade refused with HTTP 401: the bot token was rejected"
        );
        let proxy_page = ConnectError::UpgradeStatus { status: 200 };
        assert!(!proxy_page.is_unauthorized());
        assert!(proxy_page
            .to_string()
            .contains("may not pass the Upgrade header"));
    }
}
