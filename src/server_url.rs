//! The Mattermost server address: `https://host[:port][/subpath]`, normalised once so REST and
//! WebSocket code can build their URLs without re-parsing.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    pub tls: bool,
    /// Host name or IP literal, without brackets.
    pub host: String,
    pub port: u16,
    /// The subpath Mattermost is served under, `""` or like `/chat` (no trailing slash).
    pub path: String,
}

impl ServerUrl {
    /// Parses and normalises; a trailing `/` or `/api/v4` is dropped. The error says what is
    /// wrong in words an operator can act on.
    pub fn parse(text: &str) -> Result<ServerUrl, String> {
        let text = text.trim();
        let (tls, rest) = if let Some(rest) = strip_prefix_ci(text, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ci(text, "http://") {
            (false, rest)
        } else {
            return Err(format!("\"{text}\" must start with https:// (or http://)"));
        };
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if path.contains(['?', '#']) {
            return Err(format!("\"{text}\" must not contain a query or fragment"));
        }
        if authority.contains('@') {
            return Err(format!("\"{text}\" must not contain user info"));
        }
        let (host, port) = split_host_port(authority, if tls { 443 } else { 80 })
            .ok_or_else(|| format!("\"{text}\" has no valid host[:port]"))?;
        Ok(ServerUrl {
            tls,
            host,
            port,
            path: normalise_path(path),
        })
    }

    /// `https://host:port/subpath/api/v4`
    pub fn api_base(&self) -> String {
        format!("{self}/api/v4")
    }

    /// The WebSocket endpoint, `wss://…/api/v4/websocket`.
    pub fn websocket(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!(
            "{scheme}://{}{}/api/v4/websocket",
            self.authority(),
            self.path
        )
    }

    /// `host:port` as it goes in a URL (IPv6 literals bracketed).
    pub fn authority(&self) -> String {
        let default_port = if self.tls { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority(), self.path)
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `host[:port]` or `[v6]:port` → (lowercase host without brackets, port); `None` when the host
/// has characters no host name has or the port is not 1–65535.
pub(crate) fn split_host_port(authority: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']')?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return None,
        };
        (&rest[..end], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    if !valid_host {
        return None;
    }
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
        None => default_port,
    };
    Some((host.to_ascii_lowercase(), port))
}

fn normalise_path(path: &str) -> String {
    let mut path = path.trim_end_matches('/');
    if let Some(stripped) = path.strip_suffix("/api/v4") {
        path = stripped.trim_end_matches('/');
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_forms() {
        let cases = [
            (
                "https://chat.example.com",
                "https://chat.example.com",
                443,
                "",
            ),
            (
                "https://chat.example.com/",
                "https://chat.example.com",
                443,
                "",
            ),
            (
                "https://chat.example.com/api/v4",
                "https://chat.example.com",
                443,
                "",
            ),
            (
                "https://chat.example.com/api/v4/",
                "https://chat.example.com",
                443,
                "",
            ),
            (
                "HTTPS://Chat.Example.com:8443/mm/",
                "https://chat.example.com:8443/mm",
                8443,
                "/mm",
            ),
            ("http://127.0.0.1:8065", "http://127.0.0.1:8065", 8065, ""),
            (
                "http://[::1]:8065/x/api/v4",
                "http://[::1]:8065/x",
                8065,
                "/x",
            ),
            ("  https://a.b:443  ", "https://a.b", 443, ""),
        ];
        for (input, display, port, path) in cases {
            let url = ServerUrl::parse(input).unwrap();
            assert_eq!(url.to_string(), display, "{input}");
            assert_eq!(url.port, port, "{input}");
            assert_eq!(url.path, path, "{input}");
        }
    }

    #[test]
    fn builds_endpoints() {
        let url = ServerUrl::parse("https://chat.example.com/mm").unwrap();
        assert_eq!(url.api_base(), "https://chat.example.com/mm/api/v4");
        assert_eq!(
            url.websocket(),
            "wss://chat.example.com/mm/api/v4/websocket"
        );
        let plain = ServerUrl::parse("http://localhost:8065").unwrap();
        assert_eq!(plain.websocket(), "ws://localhost:8065/api/v4/websocket");
    }

    #[test]
    fn rejects_bad_urls() {
        for input in [
            "chat.example.com",
            "ftp://x",
            "https://",
            "https://host:0",
            "https://host:99999",
            "https://host:abc",
            "https://user:pw@host",
            "https://host/?q=1",
            "https://ho st",
        ] {
            assert!(ServerUrl::parse(input).is_err(), "{input}");
        }
    }
}
