//! The DNS wire format (RFC 1035), only as much as a stub resolver needs: one question of type
//! A or AAAA out, the answer section back (following CNAME chains, decompressing names). Every
//! read is bounds-checked; a malformed packet is an `Err`, never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const TYPE_A: u16 = 1;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
const HEADER_LEN: usize = 12;
const MAX_NAME_LEN: usize = 255;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_NXDOMAIN: u8 = 3;

/// A query for `name` (ASCII, no trailing dot) with recursion desired.
pub fn encode_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, String> {
    let mut packet = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&[0x01, 0x00]); // RD
    packet.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QDCOUNT 1
    encode_name(&mut packet, name)?;
    packet.extend_from_slice(&qtype.to_be_bytes());
    packet.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(packet)
}

fn encode_name(packet: &mut Vec<u8>, name: &str) -> Result<(), String> {
    if !name.is_ascii() {
        return Err(format!(
            "\"{name}\" is not an ASCII host name (write internationalised names in punycode, xn--…)"
        ));
    }
    if name.is_empty() || name.len() > 253 {
        return Err(format!("\"{name}\" is not a valid host name (length)"));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "\"{name}\" is not a valid host name (empty or long label)"
            ));
        }
        packet.push(label.len() as u8);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.push(0);
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub rcode: u8,
    /// TC: the answer did not fit in the datagram; ask again over TCP.
    pub truncated: bool,
    /// The A/AAAA records for the queried name (or where its CNAME chain leads), in order.
    pub addrs: Vec<IpAddr>,
}

/// Parses the answer to `encode_query(id, name, qtype)`. `Err` for anything that is not a
/// well-formed answer to that exact question (another id, another question, cut short…).
pub fn parse_response(packet: &[u8], id: u16, name: &str, qtype: u16) -> Result<Response, String> {
    let mut r = Reader { packet, pos: 0 };
    if r.u16()? != id {
        return Err("answer to another query".into());
    }
    let flags = r.u16()?;
    if flags & 0x8000 == 0 {
        return Err("not a response".into());
    }
    if (flags >> 11) & 0xf != 0 {
        return Err("unexpected opcode".into());
    }
    let truncated = flags & 0x0200 != 0;
    let rcode = (flags & 0x000f) as u8;
    let qdcount = r.u16()?;
    let ancount = r.u16()?;
    r.u16()?; // NSCOUNT
    r.u16()?; // ARCOUNT
    if qdcount != 1 {
        return Err(format!("{qdcount} questions in the answer"));
    }
    let qname = r.name()?;
    let (qt, qc) = (r.u16()?, r.u16()?);
    if !qname.eq_ignore_ascii_case(name) || qt != qtype || qc != CLASS_IN {
        return Err("answer to another question".into());
    }
    // Collect the records, then follow the CNAME chain from the question's name.
    let mut cnames: Vec<(String, String)> = Vec::new();
    let mut records: Vec<(String, IpAddr)> = Vec::new();
    for _ in 0..ancount {
        if truncated && r.pos >= packet.len() {
            break; // a truncated answer may stop early
        }
        let owner = r.name()?;
        let rtype = r.u16()?;
        let class = r.u16()?;
        r.take(4)?; // TTL
        let len = r.u16()? as usize;
        let rdata_start = r.pos;
        let rdata = r.take(len)?;
        if class != CLASS_IN {
            continue;
        }
        match rtype {
            TYPE_A if qtype == TYPE_A => {
                let octets: [u8; 4] = rdata.try_into().map_err(|_| "A record of bad length")?;
                records.push((owner, IpAddr::V4(Ipv4Addr::from(octets))));
            }
            TYPE_AAAA if qtype == TYPE_AAAA => {
                let octets: [u8; 16] = rdata.try_into().map_err(|_| "AAAA record of bad length")?;
                records.push((owner, IpAddr::V6(Ipv6Addr::from(octets))));
            }
            TYPE_CNAME => {
                let mut target = Reader {
                    packet,
                    pos: rdata_start,
                };
                let alias = target.name()?;
                if target.pos != rdata_start + len {
                    return Err("CNAME record of bad length".into());
                }
                cnames.push((owner, alias));
            }
            _ => {}
        }
    }
    let mut names = vec![name.to_ascii_lowercase()];
    // Each round adds at most one link; a chain longer than the record count is a loop.
    for _ in 0..cnames.len() {
        let last = names.last().cloned().unwrap_or_default();
        match cnames
            .iter()
            .find(|(owner, _)| owner.eq_ignore_ascii_case(&last))
        {
            Some((_, alias)) if !names.iter().any(|n| n.eq_ignore_ascii_case(alias)) => {
                names.push(alias.to_ascii_lowercase())
            }
            _ => break,
        }
    }
    let mut addrs = Vec::new();
    for (owner, addr) in records {
        if names.iter().any(|n| n.eq_ignore_ascii_case(&owner)) && !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    Ok(Response {
        rcode,
        truncated,
        addrs,
    })
}

struct Reader<'a> {
    packet: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.packet.len());
        let end = end.ok_or("packet cut short")?;
        let bytes = &self.packet[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A possibly compressed name, lowercase without the trailing dot ("" for the root). A
    /// pointer must point before the label it replaces, so a loop cannot form.
    fn name(&mut self) -> Result<String, String> {
        let mut name = String::new();
        let mut pos = self.pos;
        let mut end_of_name: Option<usize> = None;
        loop {
            let len = *self.packet.get(pos).ok_or("name cut short")?;
            match len & 0xc0 {
                0x00 if len == 0 => {
                    pos += 1;
                    break;
                }
                0x00 => {
                    let label = self
                        .packet
                        .get(pos + 1..pos + 1 + len as usize)
                        .ok_or("label cut short")?;
                    if !name.is_empty() {
                        name.push('.');
                    }
                    // Any byte may appear in a label; keep it readable and comparable.
                    name.extend(label.iter().map(|&b| (b as char).to_ascii_lowercase()));
                    if name.len() > MAX_NAME_LEN {
                        return Err("name too long".into());
                    }
                    pos += 1 + len as usize;
                }
                0xc0 => {
                    let low = *self.packet.get(pos + 1).ok_or("pointer cut short")?;
                    let target = (((len & 0x3f) as usize) << 8) | low as usize;
                    if target >= pos {
                        return Err("compression pointer does not point back".into());
                    }
                    end_of_name.get_or_insert(pos + 2);
                    pos = target;
                }
                _ => return Err("unknown label type".into()),
            }
        }
        self.pos = end_of_name.unwrap_or(pos);
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::XorShift;

    /// A response to `query` with the given answer records (already encoded).
    fn response(query: &[u8], flags: u16, answers: &[Vec<u8>]) -> Vec<u8> {
        let mut p = query.to_vec();
        p[2..4].copy_from_slice(&flags.to_be_bytes());
        p[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
        for a in answers {
            p.extend_from_slice(a);
        }
        p
    }

    /// A record whose owner is the question's name (a pointer to offset 12).
    fn record(rtype: u16, rdata: &[u8]) -> Vec<u8> {
        record_named(&[0xc0, 12], rtype, rdata)
    }

    fn record_named(owner: &[u8], rtype: u16, rdata: &[u8]) -> Vec<u8> {
        let mut r = owner.to_vec();
        r.extend_from_slice(&rtype.to_be_bytes());
        r.extend_from_slice(&1u16.to_be_bytes());
        r.extend_from_slice(&300u32.to_be_bytes());
        r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        r.extend_from_slice(rdata);
        r
    }

    #[test]
    fn query_encoding() {
        let q = encode_query(0xbeef, "chat.example.com", TYPE_AAAA).unwrap();
        let mut expected = vec![0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        expected.extend_from_slice(b"\x04chat\x07example\x03com\x00");
        expected.extend_from_slice(&[0, 28, 0, 1]);
        assert_eq!(q, expected);
    }

    #[test]
    fn bad_names_are_refused() {
        for name in [
            "",
            "a..b",
            ".a",
            "a.",
            "héllo.example",
            &"a".repeat(64),
            &"a.".repeat(127),
        ] {
            assert!(encode_query(1, name, TYPE_A).is_err(), "{name:?}");
        }
        assert!(encode_query(1, &"a".repeat(63), TYPE_A).is_ok());
    }

    #[test]
    fn a_and_aaaa_answers() {
        let q = encode_query(7, "chat.example.com", TYPE_A).unwrap();
        let p = response(
            &q,
            0x8180,
            &[
                record(TYPE_A, &[10, 0, 0, 5]),
                record(TYPE_A, &[10, 0, 0, 6]),
            ],
        );
        let r = parse_response(&p, 7, "chat.example.com", TYPE_A).unwrap();
        assert_eq!(r.rcode, RCODE_NOERROR);
        assert!(!r.truncated);
        assert_eq!(
            r.addrs,
            vec![IpAddr::from([10, 0, 0, 5]), IpAddr::from([10, 0, 0, 6])]
        );

        let q = encode_query(8, "chat.example.com", TYPE_AAAA).unwrap();
        let v6: Ipv6Addr = "2001:db8::5".parse().unwrap();
        let p = response(&q, 0x8180, &[record(TYPE_AAAA, &v6.octets())]);
        let r = parse_response(&p, 8, "Chat.Example.com", TYPE_AAAA).unwrap();
        assert_eq!(r.addrs, vec![IpAddr::V6(v6)]);
    }

    #[test]
    fn cname_chain_with_compression() {
        let q = encode_query(9, "chat.example.com", TYPE_A).unwrap();
        // chat.example.com CNAME lb.example.com (compressed: "lb" + pointer to "example.com" at
        // offset 17), lb.example.com CNAME edge.cdn.net, edge.cdn.net A 192.0.2.7; and an A
        // record for an unrelated name that must be ignored.
        let cname1 = record(TYPE_CNAME, b"\x02lb\xc0\x11");
        let lb_offset = (q.len() + 12) as u8; // where cname1's rdata starts
        let cname2 = record_named(
            &[0xc0, lb_offset],
            TYPE_CNAME,
            b"\x04edge\x03cdn\x03net\x00",
        );
        let edge_offset = (q.len() + cname1.len() + 12) as u8;
        let a = record_named(&[0xc0, edge_offset], TYPE_A, &[192, 0, 2, 7]);
        let stray = record_named(b"\x05other\xc0\x11", TYPE_A, &[192, 0, 2, 66]);
        let p = response(&q, 0x8180, &[cname1, cname2, stray, a]);
        let r = parse_response(&p, 9, "chat.example.com", TYPE_A).unwrap();
        assert_eq!(r.addrs, vec![IpAddr::from([192, 0, 2, 7])]);
    }

    #[test]
    fn nxdomain_truncation_and_other_types() {
        let q = encode_query(3, "nope.example", TYPE_A).unwrap();
        let r = parse_response(&response(&q, 0x8183, &[]), 3, "nope.example", TYPE_A).unwrap();
        assert_eq!((r.rcode, r.addrs.len()), (RCODE_NXDOMAIN, 0));
        // TC set and the answer count promises more than the packet holds.
        let mut p = response(&q, 0x8380, &[record(TYPE_A, &[1, 2, 3, 4])]);
        p[7] = 5;
        let r = parse_response(&p, 3, "nope.example", TYPE_A).unwrap();
        assert!(r.truncated);
        assert_eq!(r.addrs, vec![IpAddr::from([1, 2, 3, 4])]);
        // An AAAA record in an answer to A, and a TXT record: ignored.
        let v6 = [0u8; 16];
        let p = response(
            &q,
            0x8180,
            &[record(TYPE_AAAA, &v6), record(16, b"\x03abc")],
        );
        assert!(parse_response(&p, 3, "nope.example", TYPE_A)
            .unwrap()
            .addrs
            .is_empty());
    }

    #[test]
    fn answers_to_something_else_are_refused() {
        let q = encode_query(5, "a.example", TYPE_A).unwrap();
        let ok = response(&q, 0x8180, &[record(TYPE_A, &[1, 1, 1, 1])]);
        assert!(parse_response(&ok, 5, "a.example", TYPE_A).is_ok());
        assert!(
            parse_response(&ok, 6, "a.example", TYPE_A).is_err(),
            "other id"
        );
        assert!(
            parse_response(&ok, 5, "b.example", TYPE_A).is_err(),
            "other name"
        );
        assert!(
            parse_response(&ok, 5, "a.example", TYPE_AAAA).is_err(),
            "other type"
        );
        assert!(
            parse_response(&q, 5, "a.example", TYPE_A).is_err(),
            "the query itself"
        );
        let bad_len = response(&q, 0x8180, &[record(TYPE_A, &[1, 1, 1])]);
        assert!(parse_response(&bad_len, 5, "a.example", TYPE_A).is_err());
        let mut opcode = ok.clone();
        opcode[2] |= 0x10;
        assert!(parse_response(&opcode, 5, "a.example", TYPE_A).is_err());
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_refused() {
        let q = encode_query(5, "a.example", TYPE_A).unwrap();
        // A record whose owner points at itself, and one pointing forward.
        let self_offset = q.len() as u8;
        let looped = response(
            &q,
            0x8180,
            &[record_named(&[0xc0, self_offset], TYPE_A, &[1; 4])],
        );
        assert!(parse_response(&looped, 5, "a.example", TYPE_A).is_err());
        let forward = response(&q, 0x8180, &[record_named(&[0xc0, 200], TYPE_A, &[1; 4])]);
        assert!(parse_response(&forward, 5, "a.example", TYPE_A).is_err());
        // A CNAME pointing at itself is no address (and no hang).
        let cname = record(TYPE_CNAME, &[0xc0, 12]);
        let p = response(&q, 0x8180, &[cname]);
        assert!(parse_response(&p, 5, "a.example", TYPE_A)
            .unwrap()
            .addrs
            .is_empty());
    }

    /// Every prefix, and thousands of random mutations, of valid answers: no panic, and no
    /// answer at all for a prefix shorter than the real answer section.
    #[test]
    fn malformed_packets_never_panic() {
        let q = encode_query(0x1234, "chat.example.com", TYPE_A).unwrap();
        let valid = response(
            &q,
            0x8180,
            &[
                record(TYPE_CNAME, b"\x02lb\xc0\x11"),
                record_named(b"\x02lb\xc0\x11", TYPE_A, &[9; 4]),
            ],
        );
        assert_eq!(
            parse_response(&valid, 0x1234, "chat.example.com", TYPE_A)
                .unwrap()
                .addrs,
            vec![IpAddr::from([9, 9, 9, 9])]
        );
        for end in 0..valid.len() {
            assert!(parse_response(&valid[..end], 0x1234, "chat.example.com", TYPE_A).is_err());
        }
        let mut rng = XorShift(0x9e3779b97f4a7c15);
        for _ in 0..20_000 {
            let mut p = valid.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(p.len());
                match rng.below(3) {
                    0 => p[i] = rng.next() as u8,
                    1 => p[i] ^= 0xc0,
                    _ => p.truncate(i),
                }
                if p.is_empty() {
                    break;
                }
            }
            let _ = parse_response(&p, 0x1234, "chat.example.com", TYPE_A);
            let garbage: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            let _ = parse_response(&garbage, 0x1234, "chat.example.com", TYPE_A);
        }
    }
}
