//! Nothing lost, nothing doubled across a dropped connection or a restart: the WebSocket is
//! resumed (the server replays what we missed), and when it cannot be, or the bridge was not
//! running, the posts in between are fetched over REST (`catchUp: true`).

mod fake_mattermost;
mod support;

use fake_mattermost::*;
use std::time::Duration;
use support::*;

const SHORT: Duration = Duration::from_millis(300);

#[test]
fn a_dropped_connection_is_resumed_with_the_missed_events() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "before"));
    assert_eq!(bridge.next_message()["text"], "before");
    fake.drop_websockets();
    for text in ["missed 1", "missed 2", "missed 3"] {
        fake.post(NewPost::new(ALICE_ID, DM_ALICE, text));
    }
    for text in ["missed 1", "missed 2", "missed 3"] {
        let m = bridge.next_message();
        assert_eq!(m["text"], text);
        assert_eq!(m["catchUp"], false, "replayed by the server, not caught up");
    }
    bridge.status("connected");
    bridge.no_message(SHORT);
    assert_eq!(fake.ws_resumes(), 1, "{}", bridge.stderr());
}
