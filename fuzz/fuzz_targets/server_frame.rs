//! Any text as a WebSocket frame from the server: `event::parse` must classify it or report a
//! bad frame, never panic. Frames are text, so only valid UTF-8 is tried.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_mattermost::mattermost::event::parse;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse(text);
    }
});
