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

/// User and channel names as Mattermost makes them: 1 to 64 of lowercase letters, digits,
/// `.`, `-`, `_`. Checked before a name goes into a URL path.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
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

    #[test]
    fn names() {
        assert!(super::is_valid_name("alice.b-c_9"));
        for bad in ["", "Alice", "a/b", "..%2f", "a b", &"a".repeat(65)] {
            assert!(!super::is_valid_name(bad), "{bad}");
        }
    }
}
