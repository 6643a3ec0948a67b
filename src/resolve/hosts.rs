//! `/etc/hosts`: `address name [alias…]` per line, `#` starts a comment. Docker writes one into
//! every container, so in a `scratch` image it is the first place a name is found.

use std::net::IpAddr;

/// Every address listed for `name` (case-insensitive, a trailing dot ignored), in file order,
/// without duplicates. Lines that do not parse are skipped, as glibc does.
pub fn lookup(text: &str, name: &str) -> Vec<IpAddr> {
    let name = name.trim_end_matches('.');
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_ascii_whitespace();
        let Some(address) = fields.next() else {
            continue;
        };
        // Link-local addresses with a zone (`fe80::1%eth0`) cannot be used without it: skip.
        let Ok(address) = address.parse::<IpAddr>() else {
            continue;
        };
        if fields.any(|n| n.trim_end_matches('.').eq_ignore_ascii_case(name))
            && !found.contains(&address)
        {
            found.push(address);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::lookup;
    use std::net::IpAddr;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    /// What Docker writes into a container, plus a line for the server.
    const DOCKER: &str = "127.0.0.1\tlocalhost\n\
        ::1\tlocalhost ip6-localhost ip6-loopback\n\
        fe00::0\tip6-localnet\n\
        ff00::0\tip6-mcastprefix\n\
        172.17.0.2\t3f2a9c1d0b7e\n\
        # the server\n\
        10.0.0.5   chat.example.com chat   # inline comment\n";

    #[test]
    fn docker_hosts_file() {
        assert_eq!(lookup(DOCKER, "localhost"), ips(&["127.0.0.1", "::1"]));
        assert_eq!(lookup(DOCKER, "ip6-loopback"), ips(&["::1"]));
        assert_eq!(lookup(DOCKER, "chat.example.com"), ips(&["10.0.0.5"]));
        assert_eq!(lookup(DOCKER, "chat"), ips(&["10.0.0.5"]));
        assert_eq!(lookup(DOCKER, "3f2a9c1d0b7e"), ips(&["172.17.0.2"]));
        assert!(lookup(DOCKER, "example.com").is_empty());
        assert!(lookup(DOCKER, "the").is_empty(), "comments are not names");
        assert!(lookup(DOCKER, "comment").is_empty());
    }

    #[test]
    fn case_and_trailing_dots() {
        assert_eq!(lookup(DOCKER, "Chat.Example.COM"), ips(&["10.0.0.5"]));
        assert_eq!(lookup(DOCKER, "chat.example.com."), ips(&["10.0.0.5"]));
        assert_eq!(
            lookup("10.1.1.1 chat.example.com.\n", "chat.example.com"),
            ips(&["10.1.1.1"])
        );
    }

    #[test]
    fn several_lines_in_order_without_duplicates() {
        let text = "10.0.0.1 a\n10.0.0.2 b a\n10.0.0.1 a\n2001:db8::1 a\n";
        assert_eq!(
            lookup(text, "a"),
            ips(&["10.0.0.1", "10.0.0.2", "2001:db8::1"])
        );
    }

    #[test]
    fn broken_lines_are_skipped() {
        let text = "garbage line\n\n   \n999.1.1.1 a\nfe80::1%eth0 a\n10.0.0.1\n#10.0.0.2 a\n\
                    10.0.0.3 a\r\n\u{0}\u{ff}\n";
        assert_eq!(lookup(text, "a"), ips(&["10.0.0.3"]));
        assert!(lookup("", "a").is_empty());
    }
}
