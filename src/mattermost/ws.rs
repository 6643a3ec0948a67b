//! One WebSocket connection to `/api/v4/websocket`, authenticated by header on the upgrade.
//! It reads frames with a timeout so the caller can keep the connection alive (ping actions)
//! and notice a silent, dead server, or without waiting at all (`read_buffered`: the frames
//! already here), so the caller knows when its next read would wait.

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
    socket: WebSocket<Stream>,
    /// Our next action sequence number (> 0, increasing, per connection).
    next_seq: i64,
    /// Whether the socket waits for data (blocking, up to the read timeout) or answers
    /// `WouldBlock` at once (`read_buffered`).
    waits: bool,
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
        let (socket, _response) =
            tungstenite::client::client_with_config(request, stream, Some(config))
                .map_err(handshake_error)?;
        socket
            .get_ref()
            .tcp()
            .set_read_timeout(Some(read_timeout))
            .ok();
        Ok(Connection {
            socket,
            next_seq: 1,
            waits: true,
        })
    }

    /// A handle that can close this connection from another thread (to stop a blocked read).
    pub fn interrupter(&self) -> Option<TcpStream> {
        self.socket.get_ref().tcp().try_clone().ok()
    }

    /// Waits for the next text frame, at most the read timeout (`Idle`). Pings are answered
    /// (tungstenite queues the pong; we flush it at once so the server's 100 s pong deadline is
    /// never at risk).
    pub fn read(&mut self) -> Result<Read, ConnectError> {
        self.wire_waits(true)?;
        self.read_frame().map(|read| read.unwrap_or(Read::Idle))
    }

    /// The next frame if it is already here (in tungstenite's buffer, in rustls's, or in the
    /// socket's), without waiting; `None` when getting one would mean waiting for the network.
    pub fn read_buffered(&mut self) -> Result<Option<Read>, ConnectError> {
        self.wire_waits(false)?;
        self.read_frame()
    }

    /// One frame; `None` when the socket had nothing (in time, when it waits).
    fn read_frame(&mut self) -> Result<Option<Read>, ConnectError> {
        loop {
            match self.socket.read() {
                Ok(Message::Text(text)) => return Ok(Some(Read::Text(text))),
                Ok(Message::Ping(_)) => {
                    self.wire_waits(true)?;
                    self.socket.flush().map_err(|error| ConnectError::Send {
                        what: "pong".into(),
                        error,
                    })?;
                    return Ok(Some(Read::Alive));
                }
                Ok(Message::Pong(_)) => return Ok(Some(Read::Alive)),
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
                    return Ok(None)
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Err(ConnectError::ConnectionClosed)
                }
                Err(e) => return Err(ConnectError::Socket(e)),
            }
        }
    }

    /// Makes the socket wait (up to the read timeout) or not; writes always wait, so a full
    /// socket never fails a pong or an action.
    fn wire_waits(&mut self, waits: bool) -> Result<(), ConnectError> {
        if self.waits != waits {
            (self.socket.get_ref().tcp().set_nonblocking(!waits))
                .map_err(|e| ConnectError::Socket(tungstenite::Error::Io(e)))?;
            self.waits = waits;
        }
        Ok(())
    }

    /// Sends an action frame `{"seq":N,"action":…,"data":…}` and returns its seq.
    pub fn send_action(&mut self, action: &str, data: Value) -> Result<i64, ConnectError> {
        self.wire_waits(true)?;
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
        let _ = self.wire_waits(true);
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}

/// A failed upgrade by its cause (a proxy that drops `Upgrade` answers 200/400).
fn handshake_error(error: HandshakeError<tungstenite::ClientHandshake<Stream>>) -> ConnectError {
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
    use crate::mattermost::tls::Tls;
    use fake_mattermost::conn::{test_ca_file, test_server_config, Conn};
    use std::net::TcpListener;
    use std::sync::mpsc::{self, Receiver};

    /// A server that sends a burst in one write (text, ping, text, text), then nothing until
    /// the client says it saw that nothing more was there, then one more frame. Returns what
    /// the client sent back (the pong).
    fn burst_then_silence(listener: TcpListener, tls: bool, saw_none: Receiver<()>) -> Message {
        let (tcp, _) = listener.accept().unwrap();
        let config = tls.then(test_server_config);
        let mut ws = tungstenite::accept(Conn::accept(tcp, config.as_ref()).unwrap()).unwrap();
        let burst = [
            Message::text("one"),
            Message::Ping(Default::default()),
            Message::text("two"),
            Message::text("three"),
        ];
        for message in burst {
            ws.write(message).unwrap();
        }
        ws.flush().unwrap();
        // A reader that waited for the network instead of saying "nothing here" would get this
        // frame in place of `None`.
        let _ = saw_none.recv_timeout(Duration::from_secs(10));
        ws.send(Message::text("late")).unwrap();
        ws.read().unwrap()
    }

    fn text(read: Option<Read>) -> String {
        match read {
            Some(Read::Text(text)) => text.to_string(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// `read_buffered` hands out every frame already received (in tungstenite's buffer, or
    /// rustls's) and then says so at once instead of waiting for the socket; plain and TLS.
    #[test]
    fn read_buffered_returns_what_is_here_then_none_without_waiting() {
        for tls in [false, true] {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let (saw_none, seen) = mpsc::channel();
            let server = std::thread::spawn(move || burst_then_silence(listener, tls, seen));
            let scheme = if tls { "https" } else { "http" };
            let url = ServerUrl::parse(&format!("{scheme}://127.0.0.1:{port}")).unwrap();
            let link = Link {
                tls: Tls::new(Some(&test_ca_file())).unwrap(),
                proxy: None,
            };
            let wait = Duration::from_secs(30);
            let mut conn = Connection::open(&url, "token", &link, wait, None).unwrap();

            assert_eq!(text(Some(conn.read().unwrap())), "one", "tls {tls}");
            // The ping is answered although the socket does not wait for reads.
            assert!(matches!(conn.read_buffered(), Ok(Some(Read::Alive))));
            assert_eq!(text(conn.read_buffered().unwrap()), "two");
            assert_eq!(text(conn.read_buffered().unwrap()), "three");
            assert!(conn.read_buffered().unwrap().is_none(), "tls {tls}");
            saw_none.send(()).unwrap();
            assert_eq!(text(Some(conn.read().unwrap())), "late");
            assert!(matches!(server.join().unwrap(), Message::Pong(_)));
        }
    }

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
