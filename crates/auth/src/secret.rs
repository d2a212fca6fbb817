//! The shared HMAC secret of a provider: kept out of `Debug`, logs and errors,
//! compared in constant time, shown only as a short fingerprint.

use aws_lc_rs::hmac;

/// Bytes of a shared secret (e.g. `BETTER_AUTH_SECRET`) used for HS256/384/512.
///
/// There is deliberately no `Debug`, `Display` or accessor for the value.
#[derive(Clone)]
pub struct HmacSecret(Vec<u8>);

impl HmacSecret {
    /// Wraps secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        HmacSecret(bytes.into())
    }

    /// `sha256:` and the first 8 hex digits of SHA-256 of the secret, so two
    /// deployments can be compared without revealing the value.
    pub fn fingerprint(&self) -> String {
        crate::text::fingerprint(&self.0)
    }

    /// Length in bytes (doctor warns about short secrets).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for an empty secret (refused by the verifier configuration).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time check of an HMAC tag (aws-lc-rs compares in constant time).
    pub(crate) fn verify(&self, algorithm: hmac::Algorithm, message: &[u8], tag: &[u8]) -> bool {
        let key = hmac::Key::new(algorithm, &self.0);
        hmac::verify(&key, message, tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_short_and_stable() {
        let s = HmacSecret::new("better-auth-secret-123");
        let fp = s.fingerprint();
        assert!(fp.starts_with("sha256:") && fp.len() == 15);
        assert_eq!(fp, HmacSecret::new("better-auth-secret-123").fingerprint());
        assert_ne!(fp, HmacSecret::new("other").fingerprint());
    }

    #[test]
    fn verify_accepts_only_the_right_tag() {
        let s = HmacSecret::new("k");
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, b"k"), b"msg");
        assert!(s.verify(hmac::HMAC_SHA256, b"msg", tag.as_ref()));
        assert!(!s.verify(hmac::HMAC_SHA256, b"msh", tag.as_ref()));
        assert!(!s.verify(hmac::HMAC_SHA384, b"msg", tag.as_ref()));
    }
}
