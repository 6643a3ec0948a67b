//! Any bytes as a stdin line: `parse_request` must accept or reject them, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openclaw_mattermost::protocol::parse_request;

fuzz_target!(|line: &[u8]| {
    let _ = parse_request(line);
});
