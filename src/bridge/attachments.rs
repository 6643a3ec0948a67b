//! A post's attachments as the host sees them (`protocol::FileEntry`: `files` in a `message`,
//! the `fetchFile` result): described from the server's FileInfo and downloaded into
//! `mediaDir`. A file that cannot be had is still listed, with `path: null` and the reason in
//! `error`.

use crate::mattermost::api::Api;
use crate::mattermost::model::{FileInfo, Post};
use crate::media::{DownloadError, Media};
use crate::protocol::FileEntry;

impl FileEntry {
    fn described(info: &FileInfo) -> FileEntry {
        FileEntry {
            id: info.id.clone(),
            name: info.name.clone(),
            size: info.size,
            mime_type: info.mime_type.clone(),
            path: None,
            error: None,
        }
    }

    fn failed(mut self, why: impl Into<String>) -> FileEntry {
        self.error = Some(why.into());
        self
    }
}

/// Downloads every attachment of `post`, in the post's order.
pub fn fetch_all(api: &Api, media: &Media, post: &Post) -> Vec<FileEntry> {
    infos_of(post)
        .into_iter()
        .map(|info| match info {
            Ok(info) => fetch(api, media, &info),
            Err(id) => lookup(api, media, &id),
        })
        .collect()
}

/// Downloads one file by id (the `fetchFile` request).
pub fn fetch_by_id(api: &Api, media: &Media, file_id: &str) -> Result<FileEntry, DownloadError> {
    let info = api.file_info(file_id).map_err(DownloadError::Api)?;
    let saved = media.download(api, &info)?;
    Ok(saved_entry(&info, saved))
}

/// Every attachment listed without a path, e.g. when no download can be started.
pub fn not_downloaded(post: &Post, why: &str) -> Vec<FileEntry> {
    infos_of(post)
        .into_iter()
        .map(|info| match info {
            Ok(info) => FileEntry::described(&info).failed(why),
            Err(id) => unknown(&id).failed(why),
        })
        .collect()
}

/// The FileInfo of each attachment from the post's metadata, or the bare id when the
/// metadata lacks it (older servers, REST posts without metadata).
fn infos_of(post: &Post) -> Vec<Result<FileInfo, String>> {
    let described = &post.metadata.files;
    let mut infos: Vec<Result<FileInfo, String>> = post
        .file_ids
        .iter()
        .map(|id| match described.iter().find(|info| &info.id == id) {
            Some(info) => Ok(info.clone()),
            None => Err(id.clone()),
        })
        .collect();
    for info in described {
        if !post.file_ids.contains(&info.id) {
            infos.push(Ok(info.clone()));
        }
    }
    infos
}

fn lookup(api: &Api, media: &Media, file_id: &str) -> FileEntry {
    if !crate::mattermost::is_valid_id(file_id) {
        return unknown(file_id).failed("not a Mattermost file id");
    }
    match api.file_info(file_id) {
        Ok(info) => fetch(api, media, &info),
        Err(e) => unknown(file_id).failed(format!("cannot get the file's details: {e}")),
    }
}

fn fetch(api: &Api, media: &Media, info: &FileInfo) -> FileEntry {
    match media.download(api, info) {
        Ok(saved) => saved_entry(info, saved),
        Err(why) => {
            // The name is the uploader's: quoted, so a newline in it cannot forge a log line.
            log::warn!(
                "attachment {} ({:?}) not downloaded: {why}",
                info.id,
                info.name
            );
            FileEntry::described(info).failed(why.to_string())
        }
    }
}

fn saved_entry(info: &FileInfo, saved: crate::media::Saved) -> FileEntry {
    FileEntry {
        path: Some(saved.path.to_string_lossy().into_owned()),
        size: i64::try_from(saved.size).unwrap_or(i64::MAX),
        ..FileEntry::described(info)
    }
}

fn unknown(file_id: &str) -> FileEntry {
    FileEntry {
        id: file_id.to_string(),
        name: String::new(),
        size: 0,
        mime_type: String::new(),
        path: None,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mattermost::model::PostMetadata;

    #[test]
    fn attachments_follow_file_ids_and_keep_undescribed_ones() {
        let post = Post {
            file_ids: vec!["f2".into(), "f1".into()],
            metadata: PostMetadata {
                files: vec![FileInfo {
                    id: "f1".into(),
                    name: "a.pdf".into(),
                    size: 3,
                    mime_type: "application/pdf".into(),
                }],
                ..PostMetadata::default()
            },
            ..Post::default()
        };
        let files = not_downloaded(&post, "why");
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].id, "f2");
        assert_eq!(files[0].name, "");
        assert_eq!(files[1].name, "a.pdf");
        assert!(files
            .iter()
            .all(|f| f.path.is_none() && f.error.as_deref() == Some("why")));
        let json = serde_json::to_value(&files[1]).unwrap();
        assert_eq!(json["mimeType"], "application/pdf");
        assert!(json["path"].is_null());
    }

    #[test]
    fn successful_entries_have_no_error_field() {
        let entry = FileEntry {
            path: Some("/m/x".into()),
            ..unknown("f")
        };
        let json = serde_json::to_value(&entry).unwrap();
        assert!(json.get("error").is_none());
        assert_eq!(json["path"], "/m/x");
    }
}
