//! A fake Mattermost server for the integration tests, the `fake_mattermost` example (the
//! OpenClaw plugin's tests drive it) and the benchmark.
//!
//! It speaks the real protocol over real sockets on 127.0.0.1: HTTP/1.1 with keep-alive for the
//! REST API v4 and a WebSocket at `/api/v4/websocket` on the same port. The behaviour follows
//! the real server as `docs/mattermost.md` describes it (status codes, JSON shapes, AppError
//! bodies, the post as a JSON string inside `posted` events, 429 in plain text), down to its
//! limits: 1,000 posts per `since` query, a socket closed when 256 events wait in its send
//! queue, 8 KB client frames.
//!
//! Design: one accept thread, one thread per TCP connection (`http`). A connection that
//! upgrades to a WebSocket keeps its thread, which becomes the only writer of that socket
//! (`ws`): broadcasts, the ping timer and replies all go through it, so frames never
//! interleave and a broadcast only queues (never blocks on a slow client). All threads share
//! one `State` behind a mutex (`shared`); the REST handlers are in `routes`.
//!
//! A test drives the server through [`FakeMattermost`]: `setup` (the world), `events` (what
//! users do), `fault` (what goes wrong) and `observe` (what the client did).

mod buttons;
pub mod conn;
mod events;
mod fault;
mod http;
mod json;
mod new_post;
mod observe;
mod request;
mod routes;
mod server;
mod setup;
mod shared;
mod slash;
mod state;
mod util;
mod ws;

pub use fault::Fault;
pub use new_post::NewPost;
pub use request::Request;
pub use server::FakeMattermost;
pub use state::world::{
    ALICE_ID, BOB_ID, BOT_ID, BOT_USERNAME, DM_ALICE, GROUP_CH, OFFTOPIC, OTHERBOT_ID,
    OTHER_TEAM_CH, OTHER_TEAM_ID, PRIVATE_CH, SERVER_VERSION, SERVER_VERSION_FULL, TEAM_ID, TOKEN,
    TOWN_SQUARE,
};
pub use ws::{epoch, WRITE_STAMP};
