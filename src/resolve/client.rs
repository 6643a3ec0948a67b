//! Asking a name server: A and AAAA over UDP at once, over TCP when an answer comes back
//! truncated. Each server gets `timeout` per round; answers from elsewhere, or to other ids, are
//! dropped (the socket is connected to the server and the ids are random).

use super::dns::{self, Response, RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_A, TYPE_AAAA};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// What one server said about one name.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Addresses (IPv4 first).
    Found(Vec<IpAddr>),
    /// The name does not exist, or has no A/AAAA records: try the next search domain.
    NoSuchName,
}

/// Asks `server` for the A and AAAA records of `name`, waiting until `deadline` at most.
/// `Err` says why this server gave no usable answer (time out, refused, malformed…).
pub fn ask(server: SocketAddr, name: &str, deadline: Instant) -> Result<Outcome, String> {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).map_err(|e| format!("UDP socket: {e}"))?;
    socket
        .connect(server)
        .map_err(|e| format!("cannot reach {server}: {e}"))?;
    let mut queries = Vec::new();
    for qtype in [TYPE_A, TYPE_AAAA] {
        let id = crate::random::next_u64() as u16;
        let packet = dns::encode_query(id, name, qtype)?;
        socket
            .send(&packet)
            .map_err(|e| format!("cannot send to {server}: {e}"))?;
        queries.push((id, qtype, packet, None::<Response>));
    }
    let mut buf = [0u8; 1500];
    while queries.iter().any(|q| q.3.is_none()) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        socket.set_read_timeout(Some(left)).ok();
        let n = match socket.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if is_timeout(&e) => break,
            // e.g. ICMP port unreachable: nothing listens there.
            Err(e) => return Err(format!("{server}: {e}")),
        };
        for (id, qtype, packet, answer) in queries.iter_mut() {
            if answer.is_some() {
                continue;
            }
            if let Ok(response) = dns::parse_response(&buf[..n], *id, name, *qtype) {
                *answer = Some(if response.truncated {
                    ask_tcp(server, packet, *id, name, *qtype, deadline)?
                } else {
                    response
                });
            }
        }
    }
    let answers: Vec<Response> = queries.into_iter().filter_map(|q| q.3).collect();
    if answers.is_empty() {
        return Err(format!("{server} did not answer in time"));
    }
    let mut addrs: Vec<IpAddr> = answers
        .iter()
        .flat_map(|a| a.addrs.iter().copied())
        .collect();
    if !addrs.is_empty() {
        addrs.sort_by_key(|a| a.is_ipv6()); // stable: IPv4 first, each in the server's order
        return Ok(Outcome::Found(addrs));
    }
    for answer in &answers {
        match answer.rcode {
            RCODE_NOERROR | RCODE_NXDOMAIN => {}
            2 => return Err(format!("{server} could not resolve it (SERVFAIL)")),
            5 => return Err(format!("{server} refused the query")),
            rcode => return Err(format!("{server} answered with error code {rcode}")),
        }
    }
    // Both said "no such name" or "no such records"; or one said NXDOMAIN, which holds for
    // every type. An empty NOERROR for one type while the other is silent proves nothing.
    if answers.len() == 2 || answers[0].rcode == RCODE_NXDOMAIN {
        return Ok(Outcome::NoSuchName);
    }
    Err(format!("{server} did not answer in time"))
}

/// The same question over TCP (two-byte length prefix, RFC 1035 4.2.2).
fn ask_tcp(
    server: SocketAddr,
    packet: &[u8],
    id: u16,
    name: &str,
    qtype: u16,
    deadline: Instant,
) -> Result<Response, String> {
    let left = |what: &str| {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(format!("{server} over TCP: timed out {what}"))
        } else {
            Ok(left)
        }
    };
    let mut tcp = TcpStream::connect_timeout(&server, left("connecting")?)
        .map_err(|e| format!("{server} over TCP: {e}"))?;
    tcp.set_write_timeout(Some(left("sending")?)).ok();
    let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(packet);
    tcp.write_all(&framed)
        .map_err(|e| format!("{server} over TCP: {e}"))?;
    tcp.set_read_timeout(Some(left("waiting")?)).ok();
    let mut len = [0u8; 2];
    tcp.read_exact(&mut len)
        .map_err(|e| format!("{server} over TCP: {e}"))?;
    let mut answer = vec![0u8; u16::from_be_bytes(len) as usize];
    tcp.read_exact(&mut answer)
        .map_err(|e| format!("{server} over TCP: {e}"))?;
    dns::parse_response(&answer, id, name, qtype).map_err(|e| format!("{server} over TCP: {e}"))
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// A per-round timeout never longer than what is left of the whole budget.
pub fn round_deadline(per_server: Duration, overall: Instant) -> Instant {
    (Instant::now() + per_server).min(overall)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::thread;

    /// A name server on 127.0.0.1 that answers each query with `answer(query)` (None: stay
    /// silent); returns its address.
    fn fake_server(
        answer: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static,
    ) -> (SocketAddr, mpsc::Receiver<Vec<u8>>) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = socket.recv_from(&mut buf) {
                let _ = tx.send(buf[..n].to_vec());
                for reply in answer(&buf[..n]) {
                    let _ = socket.send_to(&reply, from);
                }
            }
        });
        (addr, rx)
    }

    fn qtype(query: &[u8]) -> u16 {
        let n = query.len();
        u16::from_be_bytes([query[n - 4], query[n - 3]])
    }

    /// The query turned into a response with `flags` and the given A/AAAA rdata.
    fn reply(query: &[u8], flags: u16, rdatas: &[&[u8]]) -> Vec<u8> {
        let mut p = query.to_vec();
        p[2..4].copy_from_slice(&flags.to_be_bytes());
        p[7] = rdatas.len() as u8;
        for rdata in rdatas {
            p.extend_from_slice(&[0xc0, 12]);
            p.extend_from_slice(&qtype(query).to_be_bytes());
            p.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            p.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            p.extend_from_slice(rdata);
        }
        p
    }

    const V6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn a_and_aaaa_over_udp_ipv4_first() {
        let (server, queries) = fake_server(|q| {
            let mut out = vec![];
            // A decoy with a wrong id first: must be ignored.
            let mut decoy = reply(q, 0x8180, &[&[6, 6, 6, 6]]);
            decoy[0] ^= 0xff;
            out.push(decoy);
            out.push(if qtype(q) == TYPE_A {
                reply(q, 0x8180, &[&[10, 0, 0, 5]])
            } else {
                reply(q, 0x8180, &[&V6])
            });
            out
        });
        let outcome = ask(server, "chat.example.com", soon()).unwrap();
        let expected: Vec<IpAddr> = vec!["10.0.0.5".parse().unwrap(), IpAddr::from(V6)];
        assert_eq!(outcome, Outcome::Found(expected));
        let sent: Vec<Vec<u8>> = queries.try_iter().collect();
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent.iter().map(|q| qtype(q)).collect::<Vec<_>>(),
            [TYPE_A, TYPE_AAAA]
        );
        assert_ne!(sent[0][..2], sent[1][..2], "a fresh id per query");
    }

    #[test]
    fn nxdomain_and_nodata() {
        let (server, _) = fake_server(|q| vec![reply(q, 0x8183, &[])]);
        assert_eq!(ask(server, "nope.example", soon()), Ok(Outcome::NoSuchName));
        let (server, _) = fake_server(|q| vec![reply(q, 0x8180, &[])]);
        assert_eq!(ask(server, "nope.example", soon()), Ok(Outcome::NoSuchName));
    }

    #[test]
    fn errors_and_silence() {
        let (server, _) = fake_server(|q| vec![reply(q, 0x8182, &[])]);
        let e = ask(server, "a.example", soon()).unwrap_err();
        assert!(e.contains("SERVFAIL"), "{e}");
        let (server, _) = fake_server(|q| vec![reply(q, 0x8185, &[])]);
        assert!(ask(server, "a.example", soon())
            .unwrap_err()
            .contains("refused"));
        let (server, _) = fake_server(|_| vec![]);
        let started = Instant::now();
        let deadline = Instant::now() + Duration::from_millis(300);
        let e = ask(server, "a.example", deadline).unwrap_err();
        assert!(e.contains("did not answer in time"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(2));
        // Only A answers (a server that drops AAAA queries): the A records are used.
        let (server, _) = fake_server(|q| {
            if qtype(q) == TYPE_A {
                vec![reply(q, 0x8180, &[&[10, 0, 0, 9]])]
            } else {
                vec![]
            }
        });
        let deadline = Instant::now() + Duration::from_millis(300);
        assert_eq!(
            ask(server, "a.example", deadline),
            Ok(Outcome::Found(vec!["10.0.0.9".parse().unwrap()]))
        );
    }

    #[test]
    fn truncated_answers_are_asked_again_over_tcp() {
        // TCP on the same port number as the UDP fake.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let udp = UdpSocket::bind(("127.0.0.1", port));
        let Ok(udp) = udp else {
            return; // the port is taken for UDP by someone else: nothing to test here
        };
        thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = udp.recv_from(&mut buf) {
                let _ = udp.send_to(&reply(&buf[..n], 0x8380, &[]), from);
            }
        });
        thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut len = [0u8; 2];
                stream.read_exact(&mut len).unwrap();
                let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
                stream.read_exact(&mut q).unwrap();
                let answer = if qtype(&q) == TYPE_A {
                    reply(&q, 0x8180, &[&[10, 0, 0, 1], &[10, 0, 0, 2]])
                } else {
                    reply(&q, 0x8180, &[])
                };
                let mut framed = (answer.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&answer);
                stream.write_all(&framed).unwrap();
            }
        });
        let server: SocketAddr = ([127, 0, 0, 1], port).into();
        let expected: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        assert_eq!(
            ask(server, "big.example", soon()),
            Ok(Outcome::Found(expected))
        );
    }
}
