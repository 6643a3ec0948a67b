//! The polling transport (`useWebSocket: false`). Not written yet.

use super::deliver::Delivery;
use super::Shared;
use crate::session::Session;
use std::sync::Arc;

pub fn run(shared: Arc<Shared>, session: Arc<Session>, delivery: Delivery) {
    let _ = (shared, session, delivery);
}
