//! Any text as an OpenClaw config file: the JSON5 parser and the `channels.mattermost` section
//! lookup must accept it or name the problem, never panic (deep nesting, odd escapes, numbers).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        openclaw_mattermost::fuzzing::config_text(text);
    }
});
