//! Host names to addresses, for the WebSocket (`mattermost::net`) and REST (ureq) alike.
//!
//! Static builds (`-C target-feature=+crt-static`, see `cross/`) use a resolver of their own:
//! an IP literal is itself; otherwise `/etc/hosts`, then the name servers of `/etc/resolv.conf`
//! over UDP (A and AAAA, TCP when truncated, `search`/`ndots`/`timeout`/`attempts` honoured);
//! `localhost` is loopback even without `/etc/hosts`. glibc's `getaddrinfo` in a static binary
//! needs the NSS libraries of the very glibc it was linked with at run time, which a `scratch`
//! container or another distribution does not have; this needs nothing but the two files Docker
//! writes into every container. Dynamic builds keep the system's resolver (NSS: mDNS `.local`
//! names, LDAP, nscd, systemd-resolved's synthesised names…), which works there.

mod client;
mod conf;
pub(crate) mod dns;
mod hosts;
mod ureq_glue;

use crate::mattermost::connect_error::ConnectError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

pub use ureq_glue::ureq_resolver;

/// Where the two files are read from; fixed, as in glibc.
const HOSTS: &str = "/etc/hosts";
const RESOLV_CONF: &str = "/etc/resolv.conf";

/// True when this binary uses its own resolver (static builds).
pub const BUILTIN: bool = cfg!(target_feature = "crt-static");

/// The addresses of `host` (a name, or an IP literal with or without brackets) with `port`,
/// IPv4 first, never empty. Gives up after `timeout`. The error names the host and says what
/// was tried, in words an operator can act on.
pub fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, ConnectError> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let ips = if BUILTIN {
        builtin(bare, timeout, &Files::system())?
    } else {
        system(bare, port)?
    };
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

fn system(host: &str, port: u16) -> Result<Vec<IpAddr>, ConnectError> {
    let mut ips: Vec<IpAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| ConnectError::Resolve {
            host: host.to_string(),
            why: e.to_string(),
            timed_out: false,
        })?
        .map(|a| a.ip())
        .collect();
    ips.sort_by_key(|ip| ip.is_ipv6());
    ips.dedup();
    if ips.is_empty() {
        return Err(ConnectError::NoAddress {
            host: host.to_string(),
        });
    }
    Ok(ips)
}

/// The contents of `/etc/hosts` and `/etc/resolv.conf` (None: the file could not be read).
struct Files {
    hosts: Option<String>,
    resolv_conf: Option<String>,
}

impl Files {
    fn system() -> Files {
        Files {
            hosts: std::fs::read_to_string(HOSTS).ok(),
            resolv_conf: std::fs::read_to_string(RESOLV_CONF).ok(),
        }
    }
}

fn builtin(host: &str, timeout: Duration, files: &Files) -> Result<Vec<IpAddr>, ConnectError> {
    let failed = |why: String, timed_out: bool| ConnectError::Resolve {
        host: host.to_string(),
        why,
        timed_out,
    };
    let deadline = Instant::now() + timeout;
    let mut ips = files
        .hosts
        .as_deref()
        .map(|text| hosts::lookup(text, host))
        .unwrap_or_default();
    if !ips.is_empty() {
        ips.sort_by_key(|ip| ip.is_ipv6());
        return Ok(ips);
    }
    // RFC 6761: localhost names are loopback, whatever the files say (or lack).
    let lower = host.trim_end_matches('.').to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") {
        return Ok(vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]);
    }
    let hosts_state = if files.hosts.is_some() {
        format!("it is not in {HOSTS}")
    } else {
        format!("there is no {HOSTS}")
    };
    let Some(text) = files.resolv_conf.as_deref() else {
        return Err(failed(
            format!(
                "{hosts_state} and there is no {RESOLV_CONF} to find a name server in (provide \
                 one, add the host to {HOSTS}, or use an IP address in serverUrl)"
            ),
            false,
        ));
    };
    let conf = conf::ResolvConf::parse(text);
    if conf.servers.is_empty() {
        return Err(failed(
            format!("{hosts_state} and {RESOLV_CONF} lists no usable nameserver"),
            false,
        ));
    }
    let mut problems: Vec<String> = Vec::new();
    let mut timed_out = false;
    for name in conf.candidates(host) {
        match ask_servers(&conf, &name, deadline) {
            Ok(Some(ips)) => return Ok(ips),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
        if Instant::now() >= deadline {
            problems.push(format!("gave up after {timeout:?}"));
            timed_out = true;
            break;
        }
    }
    if problems.is_empty() {
        let why = format!("no such host ({hosts_state}; the name servers know no address for it)");
        Err(failed(why, false))
    } else {
        problems.dedup();
        Err(failed(
            format!("{hosts_state}; {}", problems.join("; ")),
            timed_out,
        ))
    }
}

/// One name through every server, `attempts` rounds: `Some` addresses, `None` for "no such
/// name" from a server, `Err` when no server gave an answer.
fn ask_servers(
    conf: &conf::ResolvConf,
    name: &str,
    deadline: Instant,
) -> Result<Option<Vec<IpAddr>>, String> {
    let mut last = String::new();
    for _ in 0..conf.attempts {
        for &server in &conf.servers {
            if Instant::now() >= deadline {
                return Err(last);
            }
            match client::ask(server, name, client::round_deadline(conf.timeout, deadline)) {
                Ok(client::Outcome::Found(ips)) => return Ok(Some(ips)),
                Ok(client::Outcome::NoSuchName) => return Ok(None),
                Err(e) => {
                    log::debug!("resolving {name}: {e}");
                    last = e;
                }
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(hosts: Option<&str>, resolv_conf: Option<&str>) -> Files {
        Files {
            hosts: hosts.map(str::to_string),
            resolv_conf: resolv_conf.map(str::to_string),
        }
    }

    const SHORT: Duration = Duration::from_secs(2);

    #[test]
    fn ip_literals_need_no_files() {
        assert_eq!(
            resolve("127.0.0.1", 8065, SHORT).unwrap(),
            vec!["127.0.0.1:8065".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve("[::1]", 443, SHORT).unwrap(),
            vec!["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve("::1", 443, SHORT).unwrap(),
            vec!["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn hosts_file_first_ipv4_first() {
        let f = files(
            Some("::1 localhost\n127.0.0.1 localhost\n10.0.0.5 chat\n"),
            None,
        );
        assert_eq!(
            builtin("localhost", SHORT, &f).unwrap(),
            vec![
                IpAddr::from([127, 0, 0, 1]),
                IpAddr::V6(Ipv6Addr::LOCALHOST)
            ]
        );
        assert_eq!(
            builtin("chat", SHORT, &f).unwrap(),
            vec![IpAddr::from([10, 0, 0, 5])]
        );
    }

    #[test]
    fn localhost_without_any_file() {
        let f = files(None, None);
        for name in ["localhost", "LocalHost.", "bridge.localhost"] {
            assert_eq!(
                builtin(name, SHORT, &f).unwrap()[0],
                IpAddr::from([127, 0, 0, 1])
            );
        }
    }

    #[test]
    fn clear_errors_without_files_or_servers() {
        let e = builtin("chat.example.com", SHORT, &files(None, None))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("cannot resolve chat.example.com: there is no /etc/hosts"),
            "{e}"
        );
        assert!(e.contains("no /etc/resolv.conf"), "{e}");
        let e = builtin(
            "chat.example.com",
            SHORT,
            &files(Some(""), Some("# empty\n")),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("it is not in /etc/hosts"), "{e}");
        assert!(e.contains("lists no usable nameserver"), "{e}");
    }

    #[test]
    fn name_servers_with_search_domains() {
        use std::net::UdpSocket;
        // A name server on 127.0.0.1 (any port: tests build the config by hand) that knows
        // only chat.corp.example and says NXDOMAIN for everything else.
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let server = socket.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = socket.recv_from(&mut buf) {
                let q = &buf[..n];
                let mut p = q.to_vec();
                let known = q[12..].starts_with(b"\x04chat\x04corp\x07example\x00");
                let is_a = q[n - 3] == 1;
                if known && is_a {
                    p[2..4].copy_from_slice(&[0x81, 0x80]);
                    p[7] = 1;
                    p.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7]);
                } else if known {
                    p[2..4].copy_from_slice(&[0x81, 0x80]);
                } else {
                    p[2..4].copy_from_slice(&[0x81, 0x83]);
                }
                let _ = socket.send_to(&p, from);
            }
        });
        let conf = conf::ResolvConf {
            servers: vec![server],
            search: vec!["other.example".into(), "corp.example".into()],
            ..Default::default()
        };
        let deadline = Instant::now() + SHORT;
        assert_eq!(
            ask_servers(&conf, "chat.corp.example", deadline).unwrap(),
            Some(vec![IpAddr::from([10, 9, 8, 7])])
        );
        assert_eq!(
            ask_servers(&conf, "chat.other.example", deadline).unwrap(),
            None
        );
        // Through `builtin`, which reads the config from text: port 53 only, so check the
        // search order through `candidates` and the answers through `ask_servers`.
        let found = conf
            .candidates("chat")
            .into_iter()
            .find_map(|name| ask_servers(&conf, &name, deadline).unwrap());
        assert_eq!(found, Some(vec![IpAddr::from([10, 9, 8, 7])]));
    }

    #[test]
    fn unreachable_server_gives_up_in_time() {
        // Nothing listens on this UDP port: ICMP port unreachable, or silence until the deadline.
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let server = socket.local_addr().unwrap();
        drop(socket);
        let conf = conf::ResolvConf {
            servers: vec![server],
            timeout: Duration::from_millis(200),
            attempts: 2,
            ..Default::default()
        };
        let started = Instant::now();
        let e = ask_servers(&conf, "chat.example.com", Instant::now() + SHORT).unwrap_err();
        assert!(e.contains(&server.to_string()), "{e}");
        assert!(started.elapsed() < SHORT);
    }
}
