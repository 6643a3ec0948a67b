//! "The token never appears in any log line" holds at `RUST_LOG=trace`: a run through login,
//! WebSocket, a send, an upload, a download and a reconnect leaves no 12-character piece of the
//! token in stderr, raw or hex, base64 or byte-list encoded (a dependency's trace log
//! hex-dumped every request, `Authorization` header included).

use crate::support::*;
use fake_mattermost::conn::test_ca_file;
use fake_mattermost::*;
use serde_json::json;

const WINDOW: usize = 12;

/// Every way a dependency could print a piece of the token: as text, hex (either case, with or
/// without separators, in byte or two-byte groups), `{:?}` of bytes, or base64 (any alignment).
fn encodings(piece: &[u8]) -> Vec<String> {
    let hex: Vec<String> = piece.iter().map(|b| format!("{b:02x}")).collect();
    let decimal: Vec<String> = piece.iter().map(|b| b.to_string()).collect();
    let mut out = vec![
        String::from_utf8_lossy(piece).into_owned(),
        hex.concat(),
        hex.concat().to_uppercase(),
        hex.join(" "),
        hex.join(" ").to_uppercase(),
        hex.join(", 0x"),
        decimal.join(", "),
    ];
    // Hex dumps in groups of two bytes ("746f 6b33"), from either alignment.
    for skip in 0..2 {
        let pairs: Vec<String> = hex[skip..].chunks(2).map(|c| c.concat()).collect();
        out.push(pairs.join(" "));
        out.push(pairs.join(" ").to_uppercase());
    }
    // A base64 encoding of a longer text holds, for each of the 3 alignments, the encoding of
    // the whole groups of 3 bytes that lie inside the piece.
    for skip in 0..3 {
        let aligned = &piece[skip..];
        let whole = &aligned[..aligned.len() / 3 * 3];
        out.push(base64(whole));
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bytes
        .chunks(3)
        .flat_map(|c| {
            let n = (c[0] as u32) << 16 | (c[1] as u32) << 8 | c[2] as u32;
            [18, 12, 6, 0].map(|s| ALPHABET[(n >> s & 63) as usize] as char)
        })
        .collect()
}

fn assert_no_piece_of_the_token(stderr: &str) {
    let token = TOKEN.as_bytes();
    for piece in token.windows(WINDOW) {
        for form in encodings(piece) {
            if let Some(at) = stderr.find(&form) {
                let line_start = stderr[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = stderr[at..].find('\n').map_or(stderr.len(), |i| at + i);
                panic!(
                    "{form:?} (from the token) is in stderr:\n{}",
                    &stderr[line_start..line_end]
                );
            }
        }
    }
}

/// Everything the bridge does with the token on the wire, once each.
fn exercise(fake: &FakeMattermost, rust_log: &str, extra: &str) -> Bridge {
    let config = config_text(
        &fake.url(),
        &format!("allowFrom: ['{ALICE_ID}'], teamId: '{TEAM_ID}', {extra}"),
    );
    let mut launch = Launch::new(config, TOKEN);
    launch.rust_log = rust_log.into();
    let mut bridge = Bridge::launch(launch);
    bridge.wait_ready();
    let file_id = "filetrace00000000000000001";
    fake.add_file(file_id, "in.txt", b"downloaded bytes");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "with a file").file_ids(vec![file_id.into()]));
    let m = bridge.next_message();
    assert!(m["files"][0]["path"].is_string(), "{m}");
    bridge.call("fetchFile", json!({ "fileId": file_id }));
    let upload = bridge.dir.write("out.txt", "uploaded bytes");
    bridge.call(
        "send",
        json!({"channelId": DM_ALICE, "text": "reply", "files": [path_str(&upload)]}),
    );
    bridge.call("typing", json!({"channelId": DM_ALICE}));
    fake.drop_websockets();
    bridge.status("connected");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "after the reconnect"));
    assert_eq!(bridge.next_message()["text"], "after the reconnect");
    bridge.close_stdin();
    bridge.wait_exit(WAIT);
    bridge
}

/// The network crates did log (so the scan had something to look at), up to `DEBUG`.
fn assert_dependencies_logged(stderr: &str) {
    for target in ["DEBUG ureq::run", "DEBUG ureq_proto", "DEBUG tungstenite"] {
        assert!(stderr.contains(target), "no {target} line:\n{stderr}");
    }
}

#[test]
fn trace_level_over_http_never_shows_the_token() {
    let fake = FakeMattermost::start();
    let bridge = exercise(&fake, "trace", "");
    let stderr = bridge.stderr();
    assert_dependencies_logged(&stderr);
    assert_no_piece_of_the_token(&stderr);
}

#[test]
fn trace_level_over_https_never_shows_the_token() {
    let fake = FakeMattermost::start_tls();
    let ca = format!("caFile: '{}'", path_str(&test_ca_file()));
    // Directives naming the noisy crates cannot lift their cap either.
    let bridge = exercise(&fake, "trace,ureq_proto::util=trace,tungstenite=trace", &ca);
    let stderr = bridge.stderr();
    assert_dependencies_logged(&stderr);
    assert_no_piece_of_the_token(&stderr);
}

#[test]
fn the_scan_finds_each_encoding() {
    let piece = &TOKEN.as_bytes()[3..3 + WINDOW];
    for form in encodings(piece) {
        let line = format!("x {form} y");
        let caught = std::panic::catch_unwind(|| assert_no_piece_of_the_token(&line));
        assert!(caught.is_err(), "{form:?} was not caught");
    }
    assert_eq!(base64(b"Man"), "TWFu");
}
