//! `FakeMattermost`: binds 127.0.0.1 on a free port (plain or TLS), starts the accept thread,
//! and stops it on drop (closing the WebSockets).

use crate::conn::{self};
use crate::http::accept_loop;
use crate::shared::Shared;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;

/// The fake server. Dropping it stops accepting and closes the WebSockets.
pub struct FakeMattermost {
    pub(crate) shared: Arc<Shared>,
}

impl FakeMattermost {
    /// Binds 127.0.0.1 on a free port and starts serving; the port is listening on return.
    pub fn start() -> FakeMattermost {
        FakeMattermost::start_with(None)
    }

    /// Serves `https` and `wss` with the test certificate (for `localhost`, signed by the CA
    /// in `test_ca_file()`); `url()` then is `https://localhost:PORT`.
    pub fn start_tls() -> FakeMattermost {
        FakeMattermost::start_with(Some(conn::test_server_config()))
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> FakeMattermost {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the fake Mattermost");
        let port = listener.local_addr().expect("local address").port();
        let mut shared = Shared::new(port);
        shared.tls = tls;
        let shared = Arc::new(shared);
        let accepting = shared.clone();
        thread::Builder::new()
            .name(format!("fake-mm-{port}"))
            .spawn(move || accept_loop(listener, accepting))
            .expect("spawning the accept thread");
        FakeMattermost { shared }
    }

    pub fn url(&self) -> String {
        match self.shared.tls {
            None => format!("http://127.0.0.1:{}", self.shared.port),
            Some(_) => format!("https://localhost:{}", self.shared.port),
        }
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }
}

impl Drop for FakeMattermost {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // accept() blocks: a connection of our own wakes it up so it can see the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.shared.port));
        self.drop_websockets();
    }
}
