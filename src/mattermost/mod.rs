//! Talking to Mattermost: its wire types, the REST API v4 client and the WebSocket event stream.

pub mod api;
pub mod connect_error;
pub mod connector;
pub mod event;
pub mod model;
pub mod multipart;
pub mod net;
pub mod proxy;
pub mod tls;
pub mod ws;

/// Mattermost ids are 26 lowercase alphanumerics. Checking them before they go into a URL path
/// keeps a hostile or mistaken id from reaching any other endpoint.
pub fn is_valid_id(id: &str) -> bool {
    id.len() == 26
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids() {
        assert!(super::is_valid_id("abcdefghijklmnopqrstuvwxyz"));
        assert!(super::is_valid_id("0123456789abcdefghijklmnop"));
        assert!(!super::is_valid_id("../../users/me/x/yyyyyyyyy"));
        assert!(!super::is_valid_id("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        assert!(!super::is_valid_id("short"));
    }
}
