//! Any bytes as a DNS server's answer: `resolve::dns::parse_response` must return the
//! addresses or an error, never panic or loop (compression pointers, CNAME chains, counts that
//! lie about the packet's length).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|packet: &[u8]| {
    openclaw_mattermost::fuzzing::dns_answer(packet);
});
