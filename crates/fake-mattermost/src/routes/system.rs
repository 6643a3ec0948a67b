//! The server itself: `/config/client` (old format only, like the real server) and the
//! permissions of roles by name.

use crate::http::reply::Reply;
use crate::request::Request;
use crate::shared::Shared;
use crate::state::world::SERVER_VERSION;
use crate::util::new_id;
use serde_json::{json, Value};

pub(crate) fn client_config(shared: &Shared, req: &Request) -> Reply {
    if req.query("format").as_deref() != Some("old") {
        return Reply::error(
            501,
            "api.config.client.old_format.app_error",
            "New format for the client configuration is not supported yet. Please specify format=old in the query string.",
        );
    }
    let st = shared.lock();
    Reply::json(
        200,
        &json!({
            "Version": SERVER_VERSION, "BuildNumber": "12345", "BuildHash": "abc",
            "BuildEnterpriseReady": "true", "SiteName": "Mattermost", "SiteURL": "",
            "MaxPostSize": st.max_post_size.to_string(),
            "MaxFileSize": st.max_file_size.to_string(),
            "EnableFileAttachments": "true", "DiagnosticsEnabled": "false",
        }),
    )
}

/// POST /roles/names: the roles asked for that exist, with their permissions.
pub(crate) fn roles_by_name(shared: &Shared, req: &Request) -> Reply {
    let Ok(names) = serde_json::from_slice::<Vec<String>>(&req.body) else {
        return Reply::bad_body("role names");
    };
    let st = shared.lock();
    let roles: Vec<Value> = names
        .iter()
        .filter(|n| *n == "channel_user")
        .map(|n| json!({"id": new_id(), "name": n, "permissions": st.channel_user_permissions, "scheme_managed": true, "built_in": true}))
        .collect();
    Reply::json(200, &Value::Array(roles))
}
