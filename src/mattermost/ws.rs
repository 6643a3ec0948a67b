//! One WebSocket connection to `/api/v4/websocket`, authenticated by header on the upgrade.
//! It reads frames with a timeout so the caller can keep the connection alive (ping actions)
//! and notice a silent, dead server.

use super::connect_error::ConnectError;
use super::net::{self, Link, Stream};
use crate::server_url::ServerUrl;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::time::Duration;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;
use tungstenite::http::HeaderValue;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, Utf8Bytes, WebSocket};

/// How much one read from the socket can take.
const READ_BUFFER_BYTES: usize = 32 * 1024;

/// What one read produced.
#[derive(Debug)]
pub enum Read {
    /// Its text, as tungstenite received it (no copy).
    Text(Utf8Bytes),
    /// A ping or pong: the server is alive, nothing to process.
    Alive,
    /// Nothing arrived within the read timeout.
    Idle,
}

/// Where a dropped connection left off: reconnecting with these asks the server to replay the
/// events we missed instead of starting a new connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    pub connection_id: String,
    /// The seq of the first event we have not seen.
    pub sequence_number: i64,
}

impl Resume {
    /// The query string of a resuming upgrade; `None` when the id is not a plain token (it
    /// came from the server, but goes into our URL).
    fn query(&self) -> Option<String> {
        let plain = !self.connection_id.is_empty()
            && self
                .connection_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric());
        plain.then(|| {
            format!(
                "?connection_id={}&sequence_number={}",
                self.connection_id, self.sequence_number
            )
        })
    }
}

pub struct Connection {
    socket: WebSocket<Wire>,
    /// Our next action sequence number (> 0, increasing, per connection).
    next_seq: i64,
}

impl Connection {
    /// Opens the socket and completes the upgrade, resuming an earlier connection when `resume`
    /// is given. `read_timeout` is how long one `read` may wait before reporting `Idle`.
    pub fn open(
        server: &ServerUrl,
        token: &str,
        link: &Link,
        read_timeout: Duration,
        resume: Option<&Resume>,
    ) -> Result<Connection, ConnectError> {
        let stream = link.connect(server)?;
        // Bound the upgrade itself; later reads use `read_timeout`.
        stream
            .tcp()
            .set_read_timeout(Some(net::CONNECT_TIMEOUT))
            .ok();
        stream
            .tcp()
            .set_write_timeout(Some(net::CONNECT_TIMEOUT))
            .ok();
        let query = resume.and_then(Resume::query).unwrap_or_default();
        let mut request = format!("{}{query}", server.websocket())
            .into_client_request()
            .map_err(|e| ConnectError::BadUrl(e.to_string()))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| ConnectError::BadToken)?;
        request.headers_mut().insert("Authorization", bearer);
        // tungstenite's default read buffer is 128 KiB, zero-filled at once: a quarter of the
        // idle bridge's private memory. 32 KiB still takes a burst of ~30 events per read.
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
        let wire = Wire {
            stream,
            before_read: None,
        };
        let (socket, _response) =
            tungstenite::client::client_with_config(request, wire, Some(config))
                .map_err(handshake_error)?;
        socket
            .get_ref()
            .stream
            .tcp()
            .set_read_timeout(Some(read_timeout))
            .ok();
        Ok(Connection {
            socket,
            next_seq: 1,
        })
    }

    /// A handle that can close this connection from another thread (to stop a blocked read).
    pub fn interrupter(&self) -> Option<TcpStream> {
        self.socket.get_ref().stream.tcp().try_clone().ok()
    }

    /// Runs `hook` each time the connection needs more bytes from the network: the only place
    /// where `read` can wait, so the caller can finish what it started before that.
    pub fn before_socket_read(&mut self, hook: impl FnMut() + Send + 'static) {
        self.socket.get_mut().before_read = Some(Box::new(hook));
    }

    /// Waits for the next text frame. Pings are answered (tungstenite queues the pong; we flush
    /// it at once so the server's 100 s pong deadline is never at risk).
    pub fn read(&mut self) -> Result<Read, ConnectError> {
        loop {
            match self.socket.read() {
                Ok(Message::Text(text)) => return Ok(Read::Text(text)),
                Ok(Message::Ping(_)) => {
                    self.socket.flush().map_err(|error| ConnectError::Send {
                        what: "pong".into(),
                        error,
                    })?;
                    return Ok(Read::Alive);
                }
                Ok(Message::Pong(_)) => return Ok(Read::Alive),
                Ok(Message::Close(frame)) => {
                    return Err(ConnectError::Closed {
                        code: frame.as_ref().map(|f| f.code.into()),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    })
                }
                Ok(_) => {} // binary and raw frames: nothing for us
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(Read::Idle)
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Err(ConnectError::ConnectionClosed)
                }
                Err(e) => return Err(ConnectError::Socket(e)),
            }
        }
    }

    /// Sends an action frame `{"seq":N,"action":…,"data":…}` and returns its seq.
    pub fn send_action(&mut self, action: &str, data: Value) -> Result<i64, ConnectError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let frame = json!({ "seq": seq, "action": action, "data": data }).to_string();
        self.socket
            .send(Message::text(frame))
            .map_err(|error| ConnectError::Send {
                what: action.to_string(),
                error,
            })?;
        Ok(seq)
    }

    /// Best-effort polite close.
    pub fn close(mut self) {
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}

/// The connection under the WebSocket, with the hook of `Connection::before_socket_read`.
struct Wire {
    stream: Stream,
    before_read: Option<Box<dyn FnMut() + Send>>,
}

impl std::io::Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(hook) = &mut self.before_read {
            hook();
        }
        self.stream.read(buf)
    }
}

impl std::io::Write for Wire {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

/// A failed upgrade by its cause (a proxy that drops `Upgrade` answers 200/400).
fn handshake_error(error: HandshakeError<tungstenite::ClientHandshake<Wire>>) -> ConnectError {
    match error {
        HandshakeError::Interrupted(_) => ConnectError::UpgradeTimeout,
        HandshakeError::Failure(tungstenite::Error::Http(response)) => {
            ConnectError::UpgradeStatus {
                status: response.status().as_u16(),
            }
        }
        HandshakeError::Failure(e) => ConnectError::Upgrade(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_query() {
        let resume = Resume {
            connection_id: "abc123".into(),
            sequence_number: 42,
        };
        assert_eq!(
            resume.query().unwrap(),
            "?connection_id=abc123&sequence_number=42"
        );
        let hostile = Resume {
            connection_id: "x&token=y".into(),
            sequence_number: 1,
        };
        assert_eq!(hostile.query(), None);
    }
}
