//! Talking to Mattermost: its wire types, the REST API v4 client and the WebSocket event stream.

pub mod api;
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

/// Emoji names as Mattermost makes them (`thumbsup`, `+1`, `white_check_mark`, custom
/// `team-logo`): at most 64 of ASCII letters, digits, `_`, `-` and `+`. Checked before a name
/// goes into a URL path or a line to the host.
pub fn is_valid_emoji_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
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
