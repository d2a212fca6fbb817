//! Small text helpers every part of the project shows values with: hex, the short SHA-256
//! fingerprint of a secret, and untrusted text cut to a bound. One definition each, so that a
//! fingerprint printed by `backend-api config` equals the one `doctor` prints.

use sha2::{Digest, Sha256};

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// `sha256:` and the first 8 hex digits of SHA-256 of `secret`: two deployments can be compared
/// without revealing the value (`printf %s "$SECRET" | sha256sum | cut -c1-8`).
pub fn fingerprint(secret: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(secret)[..4]))
}

/// At most `max` characters of untrusted text, for messages and logs.
pub fn truncated(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_agree_with_their_definitions() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
        // printf %s secret | sha256sum → 2bb80d53…
        assert_eq!(fingerprint(b"secret"), "sha256:2bb80d53");
        assert_eq!(truncated("ééé", 2), "éé");
    }
}
