//! REST connections with our TLS settings. ureq's own rustls connector trusts either Mozilla's
//! roots or a given list, not both; `caFile` must add to the built-in roots, so REST uses
//! ureq's CONNECT-proxy and TCP connectors followed by this TLS step, which wraps the stream
//! with the same rustls configuration the WebSocket uses.

use super::connect_error::ConnectError;
use super::tls::Tls;
use rustls::{ClientConnection, StreamOwned};
use std::fmt;
use std::io::{Read, Write};
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout,
    TcpConnector, Transport, TransportAdapter,
};

/// An agent whose HTTPS connections are verified against `tls`.
pub fn agent(config: ureq::config::Config, tls: &Tls) -> ureq::Agent {
    let chain =
        ().chain(ConnectProxyConnector::default())
            .chain(TcpConnector::default())
            .chain(TlsConnector { tls: tls.clone() });
    ureq::Agent::with_parts(config, chain, crate::resolve::ureq_resolver())
}

struct TlsConnector {
    tls: Tls,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsConnector")
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        // A pooled connection may already be TLS; plain http needs nothing.
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default();
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        let conn = self
            .tls
            .handshake(host, &mut sock)
            .map_err(|e| self.handshake_error(host, e))?;
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned::new(conn, sock),
        })))
    }
}

impl TlsConnector {
    /// Certificate problems become a `ConnectError` (inside the `io::Error`, where
    /// `ApiError::from_ureq` finds it); anything else (a timeout, a reset) stays the I/O error
    /// it is, so it is retried like any network error.
    fn handshake_error(&self, host: &str, error: std::io::Error) -> ureq::Error {
        match self.tls.handshake_error(host, error) {
            ConnectError::TlsIo { error, .. } => ureq::Error::Io(error),
            tls => ureq::Error::Io(tls.into_io()),
        }
    }
}

pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
