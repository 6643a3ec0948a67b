//! The HTTP proxy between us and the server, if the environment names one. The choice is made
//! once, for the server's URL, and used by REST and WebSocket alike, so both take the same path:
//! `HTTPS_PROXY` for an `https` server, `HTTP_PROXY` for an `http` one, `ALL_PROXY` for
//! either, unless `NO_PROXY` lists the server's host (curl's conventions).
//!
//! Why not ureq's `Proxy::try_from_env`: it takes `ALL_PROXY`, then `HTTPS_PROXY`, then
//! `HTTP_PROXY` whatever the server's scheme, skips a variable it cannot parse without a word,
//! and its `NO_PROXY` matches neither `example.com` as a domain, nor `host:port`, nor entries
//! after a space or in brackets (`[::1]`); the tests below pin curl's behaviour, which ours keeps.
//! What ureq does parse is used: the proxy URL (`ureq::Proxy`, credentials decoded), and ureq's
//! own CONNECT for REST. Only the WebSocket's tunnel (`tunnel`) is ours.

use super::connect_error::ConnectError;
use crate::server_url::{split_host_port, ServerUrl};
use base64::prelude::{Engine, BASE64_STANDARD};
use std::fmt;
use std::io::{Read, Write};
use std::net::TcpStream;

/// Longest CONNECT response head we accept from a proxy.
const MAX_HEAD: usize = 16 * 1024;

#[derive(Clone)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `user:password` as the proxy URL writes it (percent-encoded), to keep out of logs.
    written_credentials: Option<String>,
    /// The same proxy for ureq (credentials included, decoded: never logged). The tunnel
    /// takes its credentials from here, so both paths send the same.
    ureq: ureq::Proxy,
}

impl fmt::Display for Proxy {
    /// The proxy without its credentials, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}:{}", self.host, self.port)
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Proxy({self})")
    }
}

impl Proxy {
    /// The proxy for `server` from the environment (looked up through `env`), or `None`.
    pub fn for_server(
        server: &ServerUrl,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Proxy>, ConnectError> {
        let names: &[&str] = if server.tls {
            &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        } else {
            &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        };
        let Some((var, url)) = names.iter().find_map(|name| {
            env(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (*name, v.trim().to_string()))
        }) else {
            return Ok(None);
        };
        let no_proxy = env("NO_PROXY").or_else(|| env("no_proxy"));
        if no_proxy.is_some_and(|list| bypasses(&list, &server.host, server.port)) {
            return Ok(None);
        }
        Proxy::parse(&url)
            .map(Some)
            .map_err(|problem| ConnectError::ProxyVariable {
                variable: var,
                problem,
            })
    }

    /// `[http://][user:password@]host[:port][/]`; other schemes are refused with a reason (the
    /// `problem` of `ConnectError::ProxyVariable`).
    fn parse(url: &str) -> Result<Proxy, String> {
        let rest = match url.split_once("://") {
            None => url,
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "{scheme}:// proxies are not supported; use an http:// proxy (it tunnels TLS with CONNECT)"
                ))
            }
        };
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') || authority.is_empty() {
            return Err("expected http://[user:password@]host[:port]".into());
        }
        let (written_credentials, hostport) = match authority.rsplit_once('@') {
            Some((creds, hostport)) => (Some(creds.to_string()), hostport),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport, 80)
            .ok_or_else(|| format!("bad proxy port or host in {hostport:?}"))?;
        let ureq = ureq::Proxy::new(&format!("http://{authority}"))
            .map_err(|e| format!("proxy http://{host}:{port}: {e}"))?;
        Ok(Proxy {
            host,
            port,
            written_credentials,
            ureq,
        })
    }

    /// What of the proxy URL must stay out of logs: `user:password` and the password alone, as
    /// written and (the password) decoded.
    pub fn secrets(&self) -> Vec<&str> {
        let Some(credentials) = &self.written_credentials else {
            return Vec::new();
        };
        let password = credentials.split_once(':').map(|(_, p)| p);
        let mut secrets: Vec<&str> = std::iter::once(credentials.as_str())
            .chain(password)
            .chain(self.ureq.password())
            .filter(|s| !s.is_empty())
            .collect();
        secrets.dedup();
        secrets
    }

    /// The same proxy for ureq (REST).
    pub fn for_ureq(&self) -> ureq::Proxy {
        self.ureq.clone()
    }

    /// Asks the proxy, over `stream`, for a tunnel to `host:port` (HTTP CONNECT). On success the
    /// stream carries bytes to and from the target.
    pub fn tunnel(
        &self,
        stream: &mut TcpStream,
        host: &str,
        port: u16,
    ) -> Result<(), ConnectError> {
        let target = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        // As ureq's CONNECT does it (REST): the decoded `user:password`.
        let (user, password) = (self.ureq.username(), self.ureq.password());
        if user.is_some() || password.is_some() {
            let credentials = format!(
                "{}:{}",
                user.unwrap_or_default(),
                password.unwrap_or_default()
            );
            request.push_str(&format!(
                "Proxy-Authorization: Basic {}\r\n",
                BASE64_STANDARD.encode(credentials)
            ));
        }
        request.push_str("\r\n");
        let no_answer = |why: String| ConnectError::ProxyNoAnswer {
            proxy: self.to_string(),
            why,
        };
        stream
            .write_all(request.as_bytes())
            .map_err(|e| no_answer(e.to_string()))?;
        let head = read_head(stream).map_err(no_answer)?;
        let status_line = head.lines().next().unwrap_or_default().trim();
        let code = status_line.split_whitespace().nth(1);
        match code {
            Some(code) if code.starts_with('2') => Ok(()),
            _ => Err(ConnectError::ProxyRefused {
                proxy: self.to_string(),
                target,
                status: code.and_then(|c| c.parse().ok()),
                status_line: status_line.to_string(),
            }),
        }
    }
}

/// Reads the proxy's response head byte by byte, so nothing after it (the server's first TLS
/// bytes) is consumed.
fn read_head(stream: &mut TcpStream) -> Result<String, String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return Err("response to CONNECT is too long".into());
        }
        match stream.read(&mut byte) {
            Ok(0) => return Err("closed the connection instead of answering CONNECT".into()),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(format!("no answer to CONNECT: {e}")),
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// Whether a `NO_PROXY` list exempts `host:port`: `*`, the host itself, a domain it is in
/// (`example.com` or `.example.com`), each optionally with `:port`.
fn bypasses(list: &str, host: &str, port: u16) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    list.split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (name, entry_port) = match entry.rsplit_once(':') {
                Some((name, p)) if !name.contains(':') || name.ends_with(']') => {
                    (name, p.parse::<u16>().ok())
                }
                _ => (entry, None),
            };
            let name = name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim_start_matches("*.")
                .trim_start_matches('.');
            let name_matches = host.eq_ignore_ascii_case(name)
                || (host.len() > name.len()
                    && host.as_bytes()[host.len() - name.len() - 1] == b'.'
                    && host[host.len() - name.len()..].eq_ignore_ascii_case(name));
            name_matches && entry_port.is_none_or(|p| p == port)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(url: &str) -> ServerUrl {
        ServerUrl::parse(url).unwrap()
    }

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_scheme_of_the_server_picks_the_variable() {
        let env = [
            ("HTTPS_PROXY", "http://secure:3128"),
            ("http_proxy", "plain:8080"),
        ];
        let https = Proxy::for_server(&server("https://mm.example"), &lookup(&env)).unwrap();
        assert_eq!(https.unwrap().to_string(), "http://secure:3128");
        let http = Proxy::for_server(&server("http://mm.example"), &lookup(&env)).unwrap();
        assert_eq!(http.unwrap().to_string(), "http://plain:8080");
        let all = [("ALL_PROXY", "http://all")];
        let p = Proxy::for_server(&server("https://mm.example"), &lookup(&all)).unwrap();
        assert_eq!(p.unwrap().port, 80);
        assert!(
            Proxy::for_server(&server("https://mm.example"), &lookup(&[]))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn no_proxy_exempts_hosts_domains_and_ports() {
        assert!(bypasses("*", "mm.example", 443));
        assert!(bypasses("localhost, mm.example", "mm.example", 443));
        assert!(bypasses(".example", "mm.example", 443));
        assert!(bypasses("example", "mm.example", 443));
        assert!(bypasses("*.example", "MM.Example", 443));
        assert!(!bypasses("xample", "mm.example", 443));
        assert!(!bypasses("other.example", "mm.example", 443));
        assert!(bypasses("mm.example:8065", "mm.example", 8065));
        assert!(!bypasses("mm.example:8065", "mm.example", 443));
        assert!(bypasses("127.0.0.1", "127.0.0.1", 80));
        assert!(bypasses("[::1]", "[::1]", 80));
        assert!(bypasses("::1", "::1", 80));
        let env = [
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", "internal,mm.example"),
        ];
        assert!(
            Proxy::for_server(&server("https://mm.example"), &lookup(&env))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn credentials_are_used_but_never_shown() {
        let env = [("HTTPS_PROXY", "http://alice:s3cret@proxy.lan:3128/")];
        let p = Proxy::for_server(&server("https://mm.example"), &lookup(&env))
            .unwrap()
            .unwrap();
        assert_eq!(p.to_string(), "http://proxy.lan:3128");
        assert!(!format!("{p:?}").contains("s3cret"));
        assert_eq!(p.written_credentials.as_deref(), Some("alice:s3cret"));
        assert_eq!(p.secrets(), ["alice:s3cret", "s3cret"]);
        assert_eq!(p.for_ureq().port(), 3128);
    }

    #[test]
    fn unsupported_or_broken_proxy_urls_are_errors_naming_the_variable() {
        let socks = [("HTTPS_PROXY", "socks5://p:1080")];
        let error = Proxy::for_server(&server("https://a"), &lookup(&socks))
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("HTTPS_PROXY: socks5:// proxies are not supported"));
        let port = [("HTTPS_PROXY", "http://p:x")];
        assert!(Proxy::for_server(&server("https://a"), &lookup(&port))
            .unwrap_err()
            .to_string()
            .contains("bad proxy port"));
    }

    /// Runs `tunnel` through a one-shot proxy on 127.0.0.1 (userinfo `creds`) that answers
    /// `reply`; returns the CONNECT head it got and the tunnel's result.
    fn tunnel_through(creds: &str, reply: &'static str) -> (String, Result<(), ConnectError>) {
        use std::net::TcpListener;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let env = [("HTTPS_PROXY", format!("http://{creds}127.0.0.1:{port}"))];
        let lookup = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
        let proxy = Proxy::for_server(&server("https://mm.example"), &lookup)
            .unwrap()
            .unwrap();
        let tunnel = std::thread::spawn(move || {
            let mut tcp = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
            proxy.tunnel(&mut tcp, "mm.example", 443)
        });
        let (mut socket, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            socket.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        socket.write_all(reply.as_bytes()).unwrap();
        (String::from_utf8(head).unwrap(), tunnel.join().unwrap())
    }

    #[test]
    fn the_tunnel_sends_basic_credentials_and_reads_the_status() {
        let ok = "HTTP/1.1 200 Connection established\r\n\r\n";
        let (head, result) = tunnel_through("alice:s3cret@", ok);
        result.unwrap();
        // RFC 7617's encoding of "alice:s3cret".
        assert!(
            head.contains("Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n"),
            "{head}"
        );
        let (head, _) = tunnel_through("", ok);
        assert!(!head.contains("Proxy-Authorization"), "{head}");
        let (_, result) = tunnel_through("alice:wrong@", "HTTP/1.1 407 Who?\r\n\r\n");
        match result {
            Err(ConnectError::ProxyRefused { status, .. }) => assert_eq!(status, Some(407)),
            other => panic!("{other:?}"),
        }
    }

    /// A password with `@` or `:` must be percent-encoded in the URL; the proxy gets it
    /// decoded, on the WebSocket's tunnel as on ureq's (REST), and neither form is logged.
    #[test]
    fn percent_encoded_credentials_are_sent_decoded() {
        let ok = "HTTP/1.1 200 Connection established\r\n\r\n";
        let (head, result) = tunnel_through("alice:p%40ss@", ok);
        result.unwrap();
        // base64("alice:p@ss")
        assert!(
            head.contains("Proxy-Authorization: Basic YWxpY2U6cEBzcw==\r\n"),
            "{head}"
        );
        let env = [("HTTPS_PROXY", "http://alice:p%40ss@proxy.lan:3128")];
        let p = Proxy::for_server(&server("https://mm.example"), &lookup(&env))
            .unwrap()
            .unwrap();
        assert_eq!(p.secrets(), ["alice:p%40ss", "p%40ss", "p@ss"]);
    }
}
