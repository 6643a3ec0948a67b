//! Files: uploads (multipart or a raw body, within `MaxFileSize`), downloads with a
//! Content-Disposition, and FileInfo.

use crate::http::reply::Reply;
use crate::request::Request;
use crate::routes::multipart::{multipart_boundary, parse_multipart, Part};
use crate::shared::Shared;
use crate::state::records::StoredFile;
use crate::state::world::BOT_ID;
use crate::util::new_id;
use serde_json::json;

/// POST /files: multipart with `channel_id` first, optional `client_ids`, then `files`; or a raw
/// body with `?channel_id=&filename=`. 201 `{file_infos, client_ids}`.
pub(crate) fn upload_files(shared: &Shared, req: &Request) -> Reply {
    let parts = match upload_parts(req) {
        Ok(parts) => parts,
        Err(reply) => return reply,
    };
    let mut channel_id = req.query("channel_id").unwrap_or_default();
    let mut client_ids = Vec::new();
    let mut uploads = Vec::new();
    for part in parts {
        match (part.name.as_str(), part.filename.is_some()) {
            ("channel_id", false) => channel_id = String::from_utf8_lossy(&part.data).into_owned(),
            ("client_ids", false) => {
                client_ids.push(String::from_utf8_lossy(&part.data).into_owned())
            }
            // The server streams the body, so it must know the channel before the first file.
            (_, true) if channel_id.is_empty() => {
                return Reply::error(
                    400,
                    "api.file.upload_file.incorrect_channelId.app_error",
                    "Unable to upload the file. Incorrect channel ID: ",
                );
            }
            (_, true) => uploads.push(part),
            _ => {}
        }
    }
    store_uploads(shared, &channel_id, uploads, client_ids)
}

fn store_uploads(
    shared: &Shared,
    channel_id: &str,
    uploads: Vec<Part>,
    client_ids: Vec<String>,
) -> Reply {
    if uploads.is_empty() {
        return Reply::error(
            400,
            "api.file.upload_file.incorrect_number_of_files.app_error",
            "Unable to upload files. Incorrect number of files specified.",
        );
    }
    if !client_ids.is_empty() && client_ids.len() != uploads.len() {
        return Reply::error(
            400,
            "api.file.upload_file.incorrect_number_of_client_ids.app_error",
            "Unable to upload files. Incorrect number of client IDs.",
        );
    }
    let mut st = shared.lock();
    if st.bot_channel(channel_id).is_none() {
        return Reply::forbidden();
    }
    if let Some(big) = uploads
        .iter()
        .find(|u| u.data.len() as u64 > st.max_file_size)
    {
        let message = format!(
            "Unable to upload file {}. File is too large.",
            big.filename.as_deref().unwrap_or("")
        );
        return Reply::error(
            413,
            "api.file.upload_file.too_large_detailed.app_error",
            &message,
        );
    }
    let mut infos = Vec::new();
    for upload in uploads {
        let now = st.tick();
        let name = upload.filename.unwrap_or_default();
        let file = StoredFile::new(
            &new_id(),
            BOT_ID,
            channel_id,
            &name,
            upload.content_type.as_deref(),
            upload.data,
            now,
        );
        infos.push(file.info.clone());
        st.files.push(file);
    }
    Reply::json(201, &json!({"file_infos": infos, "client_ids": client_ids}))
}

/// The parts of an upload: multipart, or the raw body as one file named by `?filename=`.
fn upload_parts(req: &Request) -> Result<Vec<Part>, Reply> {
    let content_type = req.header("content-type").unwrap_or_default();
    if let Some(boundary) = multipart_boundary(content_type) {
        return parse_multipart(&req.body, &boundary)
            .ok_or_else(|| Reply::bad_body("multipart form"));
    }
    match req.query("filename") {
        Some(filename) => Ok(vec![Part {
            name: "files".into(),
            filename: Some(filename),
            content_type: Some(content_type.to_string()).filter(|c| !c.is_empty()),
            data: req.body.clone(),
        }]),
        None => Err(Reply::bad_body("file")),
    }
}

fn file_not_found() -> Reply {
    Reply::error(
        404,
        "app.file_info.get.app_error",
        "Unable to get the file info.",
    )
}

pub(crate) fn get_file(shared: &Shared, id: &str) -> Reply {
    let st = shared.lock();
    let Some(file) = st.files.iter().find(|f| f.info["id"] == id) else {
        return file_not_found();
    };
    let name = file.info["name"].as_str().unwrap_or_default();
    Reply {
        status: 200,
        content_type: file.info["mime_type"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        headers: vec![("Content-Disposition".into(), content_disposition(name))],
        body: file.bytes.clone(),
    }
}

/// `attachment` with the name percent-encoded as the real server does (url.PathEscape), so a
/// hostile name cannot break the header.
fn content_disposition(name: &str) -> String {
    let mut escaped = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            escaped.push(byte as char);
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment;filename=\"{escaped}\"; filename*=UTF-8''{escaped}")
}

pub(crate) fn get_file_info(shared: &Shared, id: &str) -> Reply {
    match shared.lock().files.iter().find(|f| f.info["id"] == id) {
        Some(file) => Reply::json(200, &file.info),
        None => file_not_found(),
    }
}
