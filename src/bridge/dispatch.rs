//! The stdin thread: reads request lines, answers the instant ones itself (`status`,
//! `shutdown`, malformed lines) and hands the rest to worker threads. Requests are routed by
//! their channel (or user, or post) so requests for the same channel run in the order sent,
//! while a slow call in one channel does not hold up another.

use super::buttons;
use super::lines::{Line, LineReader};
use super::requests::Requests;
use super::shares::StdinShare;
use crate::protocol::{self, code, Answer, Request, RpcError, MAX_LINE_BYTES};
use crate::stop::StopReason;
use serde_json::Value;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{self, BufReader};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

const WORKERS: usize = 4;
/// Requests waiting per worker; beyond this a request fails at once instead of blocking stdin.
const QUEUE_PER_WORKER: usize = 250;

pub fn run(shared: Arc<StdinShare>) {
    let requests = Arc::new(Requests::new(shared.clone()));
    let workers = start_workers(&shared, &requests);
    let mut reader = LineReader::new(BufReader::new(io::stdin()), MAX_LINE_BYTES);
    loop {
        let line = match reader.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => {
                log::info!("stdin closed by the host");
                shared.stop.trigger(StopReason::StdinClosed);
                return;
            }
            Err(e) => {
                log::error!("reading stdin failed: {e}");
                shared.stop.trigger(StopReason::StdinClosed);
                return;
            }
        };
        if !handle_line(&shared, &workers, line) {
            return;
        }
    }
}

/// Handles one line; false once a `shutdown` was accepted (stop reading).
fn handle_line(shared: &StdinShare, workers: &[SyncSender<Request>], line: Line) -> bool {
    let bytes = match line {
        Line::Complete(bytes) => bytes,
        Line::TooLong => {
            let error = RpcError::new(
                code::INVALID_REQUEST,
                format!("request line longer than {MAX_LINE_BYTES} bytes"),
                None,
            );
            shared
                .output
                .send(protocol::error_response(&Value::Null, &error));
            return true;
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    let request = match protocol::parse_request(&bytes) {
        Ok(request) => request,
        Err(rejected) => {
            shared
                .output
                .send(protocol::error_response(&rejected.id, &rejected.error));
            return true;
        }
    };
    match request.method.as_str() {
        "status" => respond(shared, &request, Ok(Answer::Status(shared.stats.report()))),
        "interactionKey" => respond(
            shared,
            &request,
            Ok(buttons::key_answer(&shared.interaction_key)),
        ),
        "shutdown" => {
            respond(shared, &request, Ok(Answer::done()));
            shared.stop.trigger(StopReason::Requested);
            return false;
        }
        _ if shared.stop.is_stopping() => respond(
            shared,
            &request,
            Err(RpcError::unreachable("the bridge is stopping")),
        ),
        _ => route(shared, workers, request),
    }
    true
}

fn route(shared: &StdinShare, workers: &[SyncSender<Request>], request: Request) {
    let index = (route_key(&request) % workers.len() as u64) as usize;
    if !shared.inflight.begin(request.id.as_ref()) {
        let error = RpcError::new(
            code::INVALID_REQUEST,
            "a request with this id is still running; use a new id for each request",
            None,
        );
        respond(shared, &request, Err(error));
        return;
    }
    match workers[index].try_send(request) {
        Ok(()) => {}
        Err(TrySendError::Full(request) | TrySendError::Disconnected(request)) => {
            shared.inflight.release_id(request.id.as_ref());
            shared.inflight.end();
            respond(
                shared,
                &request,
                Err(RpcError::unreachable(
                    "too many requests are waiting for Mattermost; try again later",
                )),
            );
        }
    }
}

/// Requests that touch the same channel hash alike and so share a worker (and its order).
fn route_key(request: &Request) -> u64 {
    let key = [
        "channelId",
        "channelName",
        "userId",
        "peerId",
        "username",
        "postId",
        "fileId",
    ]
    .iter()
    .find_map(|field| request.params.get(*field).and_then(Value::as_str))
    .unwrap_or("");
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

fn start_workers(shared: &Arc<StdinShare>, requests: &Arc<Requests>) -> Vec<SyncSender<Request>> {
    (0..WORKERS)
        .map(|n| {
            let (queue, jobs) = mpsc::sync_channel(QUEUE_PER_WORKER);
            let shared = shared.clone();
            let requests = requests.clone();
            std::thread::Builder::new()
                .name(format!("requests-{n}"))
                .spawn(move || work(&shared, &requests, jobs))
                .expect("spawning a request worker");
            queue
        })
        .collect()
}

fn work(shared: &StdinShare, requests: &Requests, jobs: Receiver<Request>) {
    for request in jobs {
        let result = match shared.session.wait(shared.login_wait) {
            Some(session) => requests.handle(&session, &request),
            None => Err(RpcError::unreachable("not logged in to Mattermost yet")),
        };
        shared.inflight.release_id(request.id.as_ref());
        respond(shared, &request, result);
        shared.inflight.end();
    }
}

/// Writes the response; notifications (no id) get none, but their failures are logged.
fn respond(shared: &StdinShare, request: &Request, result: Result<Answer, RpcError>) {
    let Some(id) = &request.id else {
        if let Err(e) = result {
            log::warn!("notification {} failed: {}", request.method, e.message);
        }
        return;
    };
    let line = match result {
        Ok(value) => protocol::response(id, &value),
        Err(error) => {
            log::debug!("request {} failed: {}", request.method, error.message);
            protocol::error_response(id, &error)
        }
    };
    shared.output.send(line);
}
