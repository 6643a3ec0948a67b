//! Unpredictable numbers for backoff jitter and idempotency keys.
//!
//! std's `RandomState` is seeded by the OS (the `getrandom` syscall, no `/dev/urandom` file
//! needed), so hashing a process-wide counter with it gives distinct, unguessable values without
//! an extra dependency and without anything that can panic in an empty root or under qemu.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh pseudo-random 64-bit value.
pub fn next_u64() -> u64 {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    let mut hasher = KEYS.get_or_init(RandomState::new).build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// A uniformly distributed value in `[0, 1)`.
pub fn unit() -> f64 {
    // 53 random bits fill an f64 mantissa exactly.
    (next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A 26-character lowercase alphanumeric id, the shape of Mattermost's own ids.
pub fn new_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut id = String::with_capacity(26);
    let mut bits = next_u64();
    for i in 0..26 {
        if i % 10 == 0 {
            bits = next_u64();
        }
        id.push(ALPHABET[(bits % 36) as usize] as char);
        bits /= 36;
    }
    id
}

/// A random UUID (version 4) in its usual text form, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
pub fn uuid() -> String {
    let high = (next_u64() & !0xf000) | 0x4000;
    let low = (next_u64() >> 2) | (1 << 63);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// xorshift64 for tests that generate inputs: deterministic (same seed, same inputs) and
/// dependency-free, unlike `next_u64`.
#[cfg(test)]
pub struct XorShift(pub u64);

#[cfg(test)]
impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `seed` with one to four random edits of the kinds that break parsers: flipped bytes,
    /// cuts, duplicated stretches, and inserted JSON punctuation, escapes, NULs, huge numbers
    /// and invalid UTF-8. For no-panic tests of the parsers that read untrusted input.
    pub fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        const TOKENS: &[&[u8]] = &[
            b"{",
            b"}",
            b"[",
            b"]",
            b"\"",
            b"\\",
            b":",
            b",",
            b"null",
            b"true",
            b"-",
            b"1e999",
            b"-0",
            b"18446744073709551616",
            b"\\u0000",
            b"\\ud800",
            b"\0",
            b"\xff\xfe",
            b"\xc3",
            b"\"post\":",
            b"\"seq\":",
            b"\"id\":",
            b"\"params\":",
        ];
        let mut data = seed.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(data.len() + 1);
            match self.below(5) {
                0 if at < data.len() => data[at] ^= 1 << self.below(8),
                1 => data.truncate(at),
                2 => {
                    let end = (at + self.below(16)).min(data.len());
                    let copy = data[at..end].to_vec();
                    data.splice(at..at, copy);
                }
                3 => {
                    let end = (at + self.below(8)).min(data.len());
                    data.drain(at..end);
                }
                _ => {
                    let token = TOKENS[self.below(TOKENS.len())];
                    data.splice(at..at, token.iter().copied());
                }
            }
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let all: HashSet<String> = (0..1000).map(|_| uuid()).collect();
        assert_eq!(all.len(), 1000);
        for u in &all {
            let groups: Vec<&str> = u.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(
                u.chars()
                    .all(|c| c == '-' || matches!(c, '0'..='9' | 'a'..='f')),
                "{u}"
            );
            assert!(groups[2].starts_with('4'), "{u}");
            assert!(
                matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
                "{u}"
            );
        }
    }

    #[test]
    fn ids_are_distinct_and_well_formed() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in &ids {
            assert_eq!(id.len(), 26);
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        }
    }

    #[test]
    fn unit_stays_in_range_and_varies() {
        let values: Vec<f64> = (0..1000).map(|_| unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let low = values.iter().filter(|v| **v < 0.5).count();
        assert!((300..700).contains(&low), "{low} of 1000 below 0.5");
    }
}
