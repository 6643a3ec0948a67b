//! Any text as `RUST_LOG`: the filter parser must accept it or report the parts it ignored,
//! never panic, and keep its directives unique, shortest first and within the most verbose level.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(spec) = std::str::from_utf8(data) {
        openclaw_mattermost::fuzzing::rust_log(spec);
    }
});
