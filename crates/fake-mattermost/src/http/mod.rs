//! HTTP/1.1 with keep-alive: one accept thread, one thread per TCP connection, each request
//! recorded, then answered by an injected fault, a WebSocket upgrade or the REST routes.

pub(crate) mod read;
pub(crate) mod reply;
pub(crate) mod shaping;

use crate::conn::Conn;
use crate::http::read::read_request;
use crate::http::reply::{write_reply, Reply};
use crate::http::shaping::{write_shaped, Shaping};
use crate::request::Request;
use crate::routes::route;
use crate::shared::Shared;
use crate::ws::upgrade::{serve_websocket, wants_websocket};
use std::io::BufReader;
use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;

pub(crate) fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let Ok(stream) = Conn::accept(stream, shared.tls.as_ref()) else {
            continue;
        };
        let shared = shared.clone();
        let _ = thread::Builder::new()
            .name("fake-mm-conn".into())
            .spawn(move || serve_connection(shared, stream));
    }
}

/// A request plus what the HTTP layer needs to know about the connection.
pub(crate) struct Incoming {
    request: Request,
    keep_alive: bool,
}

fn serve_connection(shared: Arc<Shared>, stream: Conn) {
    let mut reader = BufReader::new(stream);
    loop {
        let incoming = match read_request(&mut reader) {
            Ok(Some(incoming)) => incoming,
            Ok(None) => return,
            Err(_) => {
                let _ = write_reply(reader.get_mut(), &Reply::text(400, "Bad Request\n"), true);
                return;
            }
        };
        let req = incoming.request;
        // Recorded before anything is decided, so failed requests are observable too.
        shared.record(&req);
        let fault = shared.lock().take_fault(&req);
        if let Some(fault) = &fault {
            thread::sleep(fault.delay);
            if fault.close_without_response {
                reader.get_ref().shutdown();
                return;
            }
        }
        let reply = match &fault {
            Some(fault) if !fault.pass => Reply::from_fault(fault),
            _ if wants_websocket(&req) => return serve_websocket(shared, reader, &req),
            _ => route(&shared, &req),
        };
        let close = !incoming.keep_alive;
        let shaping = fault.as_ref().map_or(Shaping::default(), Shaping::of);
        if write_shaped(reader.get_mut(), &reply, close, shaping).is_err()
            || close
            || shaping.cut.is_some()
        {
            return;
        }
    }
}
