//! Any bytes as the server's listing of a team's slash commands: each entry is checked and
//! shaped or the listing is refused with an error, never a panic (odd types, huge fields).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    openclaw_mattermost::fuzzing::command_listing(data);
});
