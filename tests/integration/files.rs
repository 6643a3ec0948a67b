//! Files both ways: inbound attachments downloaded into `mediaDir` (sizes, hostile names, cut
//! and slow transfers, cleanup), `fetchFile`, and `send` with files (checks, uploads, 10 per post).

use crate::support::*;
use fake_mattermost::*;
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

const PNG_ID: &str = "filepng0000000000000000001";
const PDF_ID: &str = "filepdf0000000000000000001";
/// Enough bytes to tell a real download from a stub: every byte value, repeated.
fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A bridge whose downloads go to a directory the test can inspect.
fn bridge_with_media(fake: &FakeMattermost, media: &Path, extra: &str) -> Bridge {
    start_bridge(fake, &format!("mediaDir: '{}', {extra}", media.display()))
}

fn file_id(n: usize) -> String {
    format!("file{n:022}")
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn image_and_pdf_in_a_dm_arrive_with_paths_and_their_bytes() {
    let fake = FakeMattermost::start();
    let png = payload(70_000, 1);
    let pdf = payload(12_345, 2);
    fake.add_file(PNG_ID, "photo.png", &png);
    fake.add_file(PDF_ID, "report.pdf", &pdf);
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "");
    fake.post(
        NewPost::new(ALICE_ID, DM_ALICE, "two files").file_ids(vec![PNG_ID.into(), PDF_ID.into()]),
    );
    let m = bridge.next_message();
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for (file, (id, name, mime, bytes)) in files.iter().zip([
        (PNG_ID, "photo.png", "image/png", &png),
        (PDF_ID, "report.pdf", "application/pdf", &pdf),
    ]) {
        assert_eq!(file["id"], id);
        assert_eq!(file["name"], name);
        assert_eq!(file["mimeType"], mime);
        assert_eq!(file["size"], bytes.len());
        assert!(file.get("error").is_none(), "{file}");
        let path = PathBuf::from(file["path"].as_str().unwrap());
        assert!(path.starts_with(&media.0), "{path:?} outside {:?}", media.0);
        // Stored as OpenClaw's Mattermost plugin has OpenClaw store it: a random UUID with the
        // extension (the name travels in `name`).
        let extension = name.rsplit_once('.').unwrap().1;
        assert_stored_name(&path, Some(extension));
        assert_eq!(&fs::read(&path).unwrap(), bytes);
    }
    // Nothing but the two files: no temporary leftovers.
    assert_eq!(files_under(&media.0).len(), 2);
}

/// A stored file's name is `<uuid>[.<extension>]`, nothing of the sender's name but a short
/// ASCII extension.
fn assert_stored_name(path: &Path, extension: Option<&str>) {
    let name = path.file_name().unwrap().to_str().unwrap();
    let (uuid, rest) = name.split_at(36.min(name.len()));
    let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{name}");
    assert!(
        uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
        "{name}"
    );
    match extension {
        Some(ext) => assert_eq!(rest, format!(".{ext}"), "{name}"),
        None => assert_eq!(rest, "", "{name}"),
    }
}

/// A name that would do harm in a shell (where an agent may paste the path OpenClaw shows
/// it) or on screen reaches neither the disk nor the path; it arrives as `name` only.
#[test]
fn sender_file_names_stay_out_of_the_stored_path() {
    let fake = FakeMattermost::start();
    let names = [
        ("$(rm -rf ~) `id`; echo.txt", Some("txt")),
        ("invoice\u{202e}fdp.exe", Some("exe")),
        ("archive.tar.GZ", Some("gz")),
        ("no extension", None),
        ("odd.ext with space", None),
        ("long.extensionistoolong", None),
    ];
    let ids: Vec<String> = (0..names.len()).map(file_id).collect();
    for (i, (id, (name, _))) in ids.iter().zip(names).enumerate() {
        fake.add_file(id, name, format!("content {i}").as_bytes());
    }
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "names").file_ids(ids.clone()));
    let m = bridge.next_message();
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), names.len());
    for (i, (file, (name, extension))) in files.iter().zip(names).enumerate() {
        assert_eq!(file["name"], name);
        let path = PathBuf::from(file["path"].as_str().unwrap_or_else(|| panic!("{file}")));
        assert!(path.starts_with(&media.0), "{path:?}");
        assert_stored_name(&path, extension);
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("content {i}"));
    }
}

#[test]
fn files_over_media_max_mb_are_listed_without_a_path() {
    let fake = FakeMattermost::start();
    fake.add_file(PNG_ID, "big.png", &payload(5000, 3));
    // The second file claims to be small but is not: the limit holds while streaming.
    fake.add_file(PDF_ID, "liar.pdf", &payload(5000, 4));
    fake.set_file_declared_size(PDF_ID, 10);
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "mediaMaxMb: 0.001");
    fake.post(
        NewPost::new(ALICE_ID, DM_ALICE, "too big").file_ids(vec![PNG_ID.into(), PDF_ID.into()]),
    );
    let m = bridge.next_message();
    assert_eq!(m["text"], "too big");
    for file in m["files"].as_array().unwrap() {
        assert!(file["path"].is_null(), "{file}");
        let error = file["error"].as_str().unwrap();
        assert!(error.contains("mediaMaxMb"), "{error}");
    }
    let requests = fake.requests();
    let downloads = |id: &str| {
        requests
            .iter()
            .filter(|r| r.path_only() == format!("/api/v4/files/{id}"))
            .count()
    };
    assert_eq!(
        downloads(PNG_ID),
        0,
        "a declared oversize file is not fetched"
    );
    assert_eq!(downloads(PDF_ID), 1);
    assert!(
        files_under(&media.0).is_empty(),
        "{:?}",
        files_under(&media.0)
    );
}

#[test]
fn hostile_file_names_stay_inside_media_dir() {
    let fake = FakeMattermost::start();
    let long = format!("{}.txt", "n".repeat(300));
    let names = [
        "../../etc/passwd",
        "a/b",
        "/absolute/path.txt",
        "..\\..\\windows.ini",
        "..",
        "nul\u{0}byte\ncontrol.txt",
        long.as_str(),
        // Same name twice: both must survive.
        "same.txt",
        "same.txt",
    ];
    let ids: Vec<String> = (0..names.len()).map(file_id).collect();
    for (i, (id, name)) in ids.iter().zip(names).enumerate() {
        fake.add_file(id, name, format!("content {i}").as_bytes());
    }
    let root = TempDir::new();
    let media = root.0.join("media");
    let mut bridge = bridge_with_media(&fake, &media, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "hostile").file_ids(ids.clone()));
    let m = bridge.next_message();
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), names.len());
    for (i, file) in files.iter().enumerate() {
        let path = PathBuf::from(file["path"].as_str().unwrap_or_else(|| panic!("{file}")));
        let resolved = path.canonicalize().unwrap();
        assert!(
            resolved.starts_with(media.canonicalize().unwrap()),
            "{path:?} escaped"
        );
        assert!(path.file_name().unwrap().len() <= 200);
        assert_eq!(fs::read_to_string(&path).unwrap(), format!("content {i}"));
    }
    // Nothing was written next to mediaDir, and the two same-named files are distinct.
    let outside: Vec<_> = fs::read_dir(&root.0).unwrap().flatten().collect();
    assert_eq!(outside.len(), 1, "{outside:?}");
    assert_ne!(files[7]["path"], files[8]["path"]);
}

#[test]
fn a_cut_download_is_reported_and_leaves_no_partial_file() {
    let fake = FakeMattermost::start();
    fake.add_file(PDF_ID, "cut.pdf", &payload(50_000, 5));
    fake.inject(
        "GET",
        &format!("/api/v4/files/{PDF_ID}"),
        Fault::pass().cut_after(1000),
    );
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "cut").file_ids(vec![PDF_ID.into()]));
    let m = bridge.next_message();
    let file = &m["files"][0];
    assert!(file["path"].is_null(), "{file}");
    assert!(
        file["error"].as_str().unwrap().contains("download failed"),
        "{file}"
    );
    assert!(
        files_under(&media.0).is_empty(),
        "{:?}",
        files_under(&media.0)
    );
    // The same file on demand works once the link is good again.
    let fetched = bridge.call("fetchFile", json!({ "fileId": PDF_ID }));
    assert_eq!(
        fs::read(fetched["path"].as_str().unwrap()).unwrap(),
        payload(50_000, 5)
    );
}

/// Posts read together (one burst from the server) keep their order around a post with files,
/// whose line the download thread writes: the lines before it must not be overtaken.
#[test]
fn posts_before_one_with_files_stay_before_it() {
    let fake = FakeMattermost::start();
    fake.add_file(PNG_ID, "small.png", &payload(2_000, 7));
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "");
    for round in 0..3 {
        for n in 0..5 {
            fake.post(NewPost::new(
                ALICE_ID,
                DM_ALICE,
                &format!("{round}: before {n}"),
            ));
        }
        fake.post(
            NewPost::new(ALICE_ID, DM_ALICE, &format!("{round}: files"))
                .file_ids(vec![PNG_ID.into()]),
        );
        fake.post(NewPost::new(ALICE_ID, DM_ALICE, &format!("{round}: after")));
        for n in 0..5 {
            assert_eq!(
                bridge.next_message()["text"],
                format!("{round}: before {n}")
            );
        }
        let with_files = bridge.next_message();
        assert_eq!(with_files["text"], format!("{round}: files"));
        assert!(with_files["files"][0]["path"].is_string(), "{with_files}");
        assert_eq!(bridge.next_message()["text"], format!("{round}: after"));
    }
}

#[test]
fn a_slow_download_holds_back_its_channel_only() {
    let fake = FakeMattermost::start();
    let big = payload(300_000, 6);
    fake.add_file(PNG_ID, "slow.png", &big);
    // About three seconds for the slow file.
    fake.inject(
        "GET",
        &format!("/api/v4/files/{PNG_ID}"),
        Fault::pass().throttled(100_000),
    );
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "chatmode: 'onmessage'");
    let started = Instant::now();
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "slow one").file_ids(vec![PNG_ID.into()]));
    fake.post(NewPost::new(ALICE_ID, TOWN_SQUARE, "after the slow one"));
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "quick dm"));
    let first = bridge.next_message();
    assert_eq!(first["text"], "quick dm");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the DM waited {:?}",
        started.elapsed()
    );
    let slow = bridge.next_message();
    assert_eq!(slow["text"], "slow one");
    assert_eq!(
        fs::read(slow["files"][0]["path"].as_str().unwrap()).unwrap(),
        big
    );
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(bridge.next_message()["text"], "after the slow one");
}

#[test]
fn fetch_file_downloads_on_demand_and_maps_errors() {
    let fake = FakeMattermost::start();
    let pdf = payload(2048, 7);
    fake.add_file(PDF_ID, "on demand.pdf", &pdf);
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "");
    let result = bridge.call("fetchFile", json!({ "fileId": PDF_ID }));
    assert_eq!(result["name"], "on demand.pdf");
    assert_eq!(result["size"], 2048);
    assert_eq!(result["mimeType"], "application/pdf");
    let path = PathBuf::from(result["path"].as_str().unwrap());
    assert!(path.starts_with(&media.0));
    assert_eq!(fs::read(&path).unwrap(), pdf);

    let unknown = bridge.call_err("fetchFile", json!({ "fileId": file_id(99) }));
    assert_eq!(unknown["code"], -32000);
    assert_eq!(unknown["data"]["status"], 404);
    let invalid = bridge.call_err("fetchFile", json!({ "fileId": "../../etc/passwd" }));
    assert_eq!(invalid["code"], -32602);
    let missing = bridge.call_err("fetchFile", json!({}));
    assert_eq!(missing["code"], -32602);
}

#[test]
fn fetch_file_over_the_limit_is_a_local_file_error() {
    let fake = FakeMattermost::start();
    fake.add_file(PDF_ID, "big.pdf", &payload(5000, 8));
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "mediaMaxMb: 0.001");
    let error = bridge.call_err("fetchFile", json!({ "fileId": PDF_ID }));
    assert_eq!(error["code"], -32002);
    assert!(error["message"].as_str().unwrap().contains("mediaMaxMb"));
}

/// Writes `n` small files named `f<i>.<ext>` and returns their paths.
fn local_files(dir: &Path, n: usize, ext: &str) -> Vec<String> {
    (0..n)
        .map(|i| {
            let path = dir.join(format!("f{i:02}.{ext}"));
            fs::write(&path, payload(100 + i, i as u8)).unwrap();
            path.to_string_lossy().into_owned()
        })
        .collect()
}

fn uploads(fake: &FakeMattermost) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path_only() == "/api/v4/files")
        .count()
}

#[test]
fn send_with_twelve_files_makes_two_posts() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let dir = TempDir::new();
    let paths = local_files(&dir.0, 12, "docx");
    let result = bridge.call(
        "send",
        json!({ "channelId": TOWN_SQUARE, "text": "the documents", "files": paths }),
    );
    let post_ids: Vec<&str> = result["postIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(post_ids.len(), 2);
    let posts = fake.posts();
    let post = |id: &str| posts.iter().find(|p| p["id"] == id).unwrap().clone();
    let (first, second) = (post(post_ids[0]), post(post_ids[1]));
    assert_eq!(first["message"], "the documents");
    assert_eq!(second["message"], "");
    let first_files: Vec<Value> = first["file_ids"].as_array().unwrap().clone();
    let second_files: Vec<Value> = second["file_ids"].as_array().unwrap().clone();
    assert_eq!(first_files.len(), 10);
    assert_eq!(second_files.len(), 2);
    // Uploaded in order, with their bytes, names and the MIME type from the extension.
    for (i, id) in first_files.iter().chain(&second_files).enumerate() {
        let id = id.as_str().unwrap();
        assert_eq!(fake.file_bytes(id).unwrap(), payload(100 + i, i as u8));
        let info = fake.files().into_iter().find(|f| f["id"] == id).unwrap();
        assert_eq!(info["name"], format!("f{i:02}.docx"));
        assert_eq!(
            info["mime_type"],
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(info["channel_id"], TOWN_SQUARE);
    }
    assert_eq!(uploads(&fake), 12);
}

#[test]
fn send_with_files_and_no_text_posts_the_files() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "");
    let dir = TempDir::new();
    let paths = local_files(&dir.0, 1, "png");
    let result = bridge.call("send", json!({ "userId": ALICE_ID, "files": paths }));
    assert_eq!(result["postIds"].as_array().unwrap().len(), 1);
    let post = fake.posts().pop().unwrap();
    assert_eq!(post["message"], "");
    assert_eq!(post["file_ids"].as_array().unwrap().len(), 1);
}

#[test]
fn a_missing_or_oversize_file_fails_the_send_before_anything_is_uploaded() {
    let fake = FakeMattermost::start();
    let mut bridge = start_bridge(&fake, "mediaMaxMb: 0.001");
    let dir = TempDir::new();
    let good = local_files(&dir.0, 1, "txt").remove(0);
    let missing = dir.0.join("missing.txt").to_string_lossy().into_owned();
    let big = dir.0.join("big.bin");
    fs::write(&big, payload(5000, 9)).unwrap();
    let big = big.to_string_lossy().into_owned();
    let folder = dir.0.to_string_lossy().into_owned();
    for (bad, why) in [
        (&missing, "no such file"),
        (&big, "mediaMaxMb"),
        (&folder, "not a regular file"),
    ] {
        let error = bridge.call_err(
            "send",
            json!({ "channelId": TOWN_SQUARE, "text": "x", "files": [good, bad] }),
        );
        assert_eq!(error["code"], -32002, "{error}");
        assert_eq!(error["data"]["path"], bad.as_str());
        assert!(error["message"].as_str().unwrap().contains(why), "{error}");
    }
    assert_eq!(uploads(&fake), 0);
    assert!(fake.posts().iter().all(|p| p["user_id"] != BOT_ID));
}

#[test]
fn a_file_the_server_finds_too_large_is_refused_with_its_message() {
    let fake = FakeMattermost::start();
    fake.set_max_file_size(50);
    let mut bridge = start_bridge(&fake, "");
    let dir = TempDir::new();
    let paths = local_files(&dir.0, 1, "pdf");
    let error = bridge.call_err(
        "send",
        json!({ "channelId": TOWN_SQUARE, "text": "big", "files": paths }),
    );
    assert_eq!(error["code"], -32000, "{error}");
    assert_eq!(error["data"]["status"], 413);
    assert!(error["data"]["message"]
        .as_str()
        .unwrap()
        .contains("too large"));
    assert!(fake.posts().iter().all(|p| p["user_id"] != BOT_ID));
}

#[test]
fn old_downloads_are_removed_at_start() {
    let fake = FakeMattermost::start();
    let media = TempDir::new();
    let day = Duration::from_secs(24 * 3600);
    let old_folder = media.0.join(file_id(1));
    let new_folder = media.0.join(file_id(2));
    for folder in [&old_folder, &new_folder] {
        fs::create_dir_all(folder).unwrap();
    }
    let age = |path: &Path, by: Duration| {
        let file = fs::File::create(path).unwrap();
        file.set_modified(SystemTime::now() - by).unwrap();
    };
    age(&old_folder.join("old.pdf"), day * 2);
    age(&new_folder.join("new.pdf"), Duration::from_secs(60));
    age(&media.0.join("operator-notes.txt"), day * 30);
    let mut bridge = bridge_with_media(&fake, &media.0, "");
    let deadline = Instant::now() + WAIT;
    while old_folder.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!old_folder.exists(), "{}", bridge.stderr());
    assert!(new_folder.join("new.pdf").exists());
    assert!(media.0.join("operator-notes.txt").exists());
    bridge.close_stdin();

    // mediaRetentionHours: 0 keeps everything.
    let keep = TempDir::new();
    let folder = keep.0.join(file_id(3));
    fs::create_dir_all(&folder).unwrap();
    age(&folder.join("ancient.pdf"), day * 365);
    let _bridge = bridge_with_media(&fake, &keep.0, "mediaRetentionHours: 0");
    std::thread::sleep(Duration::from_millis(300));
    assert!(folder.join("ancient.pdf").exists());
}

/// How many times the file's bytes were fetched from the server.
fn downloads_of(fake: &FakeMattermost, id: &str) -> usize {
    let path = format!("/api/v4/files/{id}");
    fake.requests()
        .iter()
        .filter(|r| r.path_only() == path)
        .count()
}

#[test]
fn attachments_of_senders_not_approved_yet_are_not_downloaded() {
    let fake = FakeMattermost::start();
    let dm_bob = "dmbob000000000000000000000";
    fake.add_channel(dm_bob, "D", &dm_name(BOT_ID, BOB_ID), "bob", "");
    let pdf = payload(4000, 5);
    fake.add_file(PDF_ID, "fill the disk.pdf", &pdf);
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "dmPolicy: 'pairing'");
    fake.post(NewPost::new(BOB_ID, dm_bob, "pair me").file_ids(vec![PDF_ID.into()]));
    let m = bridge.next_message();
    assert_eq!(m["authorized"], false);
    let file = &m["files"][0];
    assert_eq!(file["name"], "fill the disk.pdf");
    assert!(file["path"].is_null(), "{file}");
    assert!(
        file["error"].as_str().unwrap().contains("fetchFile"),
        "{file}"
    );
    assert_eq!(downloads_of(&fake, PDF_ID), 0);
    assert!(files_under(&media.0).is_empty());

    // Once the host approved the sender, it fetches the file.
    bridge.call("allow", json!({ "userId": BOB_ID }));
    let fetched = bridge.call("fetchFile", json!({ "fileId": PDF_ID }));
    assert_eq!(fs::read(fetched["path"].as_str().unwrap()).unwrap(), pdf);
}

#[test]
fn media_max_total_mb_caps_the_folder_and_says_how_to_get_the_rest() {
    let fake = FakeMattermost::start();
    let ids: Vec<String> = (0..3).map(file_id).collect();
    for id in &ids {
        fake.add_file(id, "part.bin", &payload(6000, 6));
    }
    // The third claims to be tiny but is not: the cap holds while streaming.
    fake.set_file_declared_size(&ids[2], 10);
    let media = TempDir::new();
    // About 10 KB: room for one file of 6 KB.
    let mut bridge = bridge_with_media(&fake, &media.0, "mediaMaxTotalMb: 0.01");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "three").file_ids(ids.clone()));
    let m = bridge.next_message();
    let files = m["files"].as_array().unwrap();
    let saved = files[0]["path"].as_str().expect("the first one fits");
    for file in &files[1..] {
        assert!(file["path"].is_null(), "{file}");
        let error = file["error"].as_str().unwrap();
        assert!(
            error.contains("mediaMaxTotalMb") && error.contains("fetchFile"),
            "{error}"
        );
    }
    assert_eq!(
        files_under(&media.0).len(),
        1,
        "{:?}",
        files_under(&media.0)
    );
    assert_eq!(
        downloads_of(&fake, &ids[1]),
        0,
        "known too big: not fetched"
    );

    // Space freed (the host removed what it used): fetchFile gets the next one.
    fs::remove_file(saved).unwrap();
    let fetched = bridge.call("fetchFile", json!({ "fileId": ids[1] }));
    assert!(fetched["path"].is_string(), "{fetched}");
    let full = bridge.call_err("fetchFile", json!({ "fileId": ids[2] }));
    assert!(
        full["message"]
            .as_str()
            .unwrap()
            .contains("mediaMaxTotalMb"),
        "{full}"
    );
    assert_eq!(files_under(&media.0).len(), 1, "no partial file left");
}

#[test]
fn a_file_name_with_a_newline_cannot_forge_a_log_line() {
    let fake = FakeMattermost::start();
    let forged = "x\n2026-01-01T00:00:00.000Z ERROR openclaw_mattermost: forged";
    fake.add_file(PDF_ID, forged, &payload(5000, 8));
    let media = TempDir::new();
    let mut bridge = bridge_with_media(&fake, &media.0, "mediaMaxMb: 0.001");
    fake.post(NewPost::new(ALICE_ID, DM_ALICE, "hostile").file_ids(vec![PDF_ID.into()]));
    let m = bridge.next_message();
    // The host gets the name as the server sent it (see README, protocol).
    assert_eq!(m["files"][0]["name"], forged);
    let deadline = Instant::now() + WAIT;
    while !bridge.stderr().contains("not downloaded") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let stderr = bridge.stderr();
    assert!(stderr.contains("not downloaded"), "{stderr}");
    assert!(
        !stderr
            .lines()
            .any(|l| l.starts_with("2026-01-01T00:00:00.000Z ERROR")),
        "{stderr}"
    );
}
