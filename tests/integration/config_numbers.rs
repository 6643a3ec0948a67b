//! JSON5's `Infinity` in a numeric key means "no limit" and works as one end to end (it used to
//! wrap: `catchUpMaxAge: Infinity` turned catch-up off, `mediaMaxMb: Infinity` saved every
//! attachment as an empty file).

use crate::support::*;
use fake_mattermost::*;
use std::fs;
use std::path::PathBuf;

#[test]
fn catch_up_max_age_infinity_catches_up() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "catchUpMaxAge: Infinity");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "live before"));
    assert_eq!(bridge.next_message()["text"], "live before");
    open_a_gap(&fake);
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "in the gap"));
    let m = bridge.next_message();
    assert_eq!(m["text"], "in the gap", "{m}");
    assert_eq!(m["catchUp"], true, "{m}");
}

#[test]
fn media_max_mb_infinity_downloads_the_whole_file() {
    let fake = FakeMattermost::start();
    let bytes: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let id = "fileinf0000000000000000001";
    fake.add_file(id, "big.bin", &bytes);
    let media = TempDir::new();
    let mut bridge = start_bridge(
        &fake,
        &format!("mediaDir: '{}', mediaMaxMb: Infinity", media.0.display()),
    );
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "a file").file_ids(vec![id.into()]));
    let m = bridge.next_message();
    let file = &m["files"][0];
    assert!(file.get("error").is_none(), "{file}");
    let path = PathBuf::from(file["path"].as_str().expect("downloaded"));
    assert_eq!(fs::read(&path).unwrap(), bytes);
}
