//! The local development key: an Ed25519 key kept in a PKCS#8 PEM file (mode
//! 0600), created on first use, so `backend-api serve` and `backend-api token`
//! work with no identity provider. Never for production (the service refuses it).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::jwk::JwkSet;
use crate::provider::{KeySource, ProviderConfig};

const PEM_LABEL: &str = "PRIVATE KEY";

/// Errors reading or creating the development key file.
#[derive(Debug, thiserror::Error)]
pub enum DevKeyError {
    /// The file could not be read or written.
    #[error("development key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// The file exists but holds no Ed25519 PKCS#8 key.
    #[error(
        "development key file {0} is not an Ed25519 PKCS#8 PEM key; delete it to create a new one"
    )]
    Invalid(String),
}

/// The development signing key.
pub struct DevelopmentKey {
    pair: Ed25519KeyPair,
    kid: String,
    jwk: Value,
}

impl std::fmt::Debug for DevelopmentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevelopmentKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl DevelopmentKey {
    /// The `iss` of development tokens.
    pub const ISSUER: &'static str = "backend-api-development";
    /// The `aud` of development tokens.
    pub const AUDIENCE: &'static str = "backend-api";

    /// Reads the key at `path`, or creates it (mode 0600, parent directories too).
    pub fn load_or_create(path: &Path) -> Result<DevelopmentKey, DevKeyError> {
        let io_err = |source| DevKeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match fs::read_to_string(path) {
            Ok(pem) => {
                return Self::from_pem(&pem)
                    .ok_or_else(|| DevKeyError::Invalid(path.display().to_string()));
            }
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(e)),
            Err(_) => {}
        }
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| io_err(io::Error::other("key generation failed")))?;
        let pem = to_pem(pkcs8.as_ref());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io_err)?;
        }
        publish(path, pem.as_bytes()).map_err(io_err)?;
        // Whoever won, the file now holds a complete key: read it back.
        let pem = fs::read_to_string(path).map_err(io_err)?;
        Self::from_pem(&pem).ok_or_else(|| DevKeyError::Invalid(path.display().to_string()))
    }

    fn from_pem(pem: &str) -> Option<DevelopmentKey> {
        let body: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        let der = STANDARD.decode(body.trim()).ok()?;
        let pair = Ed25519KeyPair::from_pkcs8(&der).ok()?;
        let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        let mut jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": x, "use": "sig", "alg": "EdDSA"});
        let kid = JwkSet::from_json(json!({ "keys": [jwk.clone()] }).to_string().as_bytes())
            .ok()?
            .keys()
            .first()?
            .thumbprint()
            .to_owned();
        jwk["kid"] = Value::String(kid.clone());
        Some(DevelopmentKey { pair, kid, jwk })
    }

    /// The key id: the RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWKS document.
    pub fn jwks_json(&self) -> Value {
        json!({ "keys": [self.jwk.clone()] })
    }

    /// The public key as a parsed key set.
    pub fn jwk_set(&self) -> JwkSet {
        JwkSet::from_json(self.jwks_json().to_string().as_bytes())
            .expect("the development key's own JWK always parses")
    }

    /// The `development` provider: issuer [`Self::ISSUER`], audience [`Self::AUDIENCE`], static keys.
    pub fn provider(&self) -> ProviderConfig {
        ProviderConfig {
            audiences: Some(vec![Self::AUDIENCE.to_owned()]),
            ..ProviderConfig::new(
                "development",
                Self::ISSUER,
                KeySource::Static(self.jwk_set()),
            )
        }
    }

    /// Signs `claims` exactly as given (add `iss`, `aud`, `exp` yourself) as a
    /// compact JWS with header `{"alg":"EdDSA","typ":"JWT","kid":…}`.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.pair.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }
}

/// Makes `bytes` the content of `path` unless `path` already exists, so that the
/// first of several processes starting at once wins and the others never see a
/// half-written file: the key is written and synced to a temporary file in the same
/// directory (mode 0600), then hard-linked to `path`, which fails if another
/// process linked first. `rename` would not do: it replaces an existing file.
fn publish(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let unique = format!(
        "{}.tmp-{}-{}",
        path.file_name()
            .map_or_else(|| "dev-key".into(), |n| n.to_string_lossy()),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let temp = path.with_file_name(unique);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| fs::hard_link(&temp, path));
    let _ = fs::remove_file(&temp);
    match written {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

fn to_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {PEM_LABEL}-----\n{}\n-----END {PEM_LABEL}-----\n",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// `…/keys/dev.pem` in a fresh temporary directory (removed when the returned guard
    /// drops); `keys/` does not exist yet, so the first use also creates the directory.
    fn temp_path(name: &str) -> (test_support::TempDir, std::path::PathBuf) {
        let dir = test_support::temp_dir(&format!("auth-{name}"));
        let path = dir.path().join("keys").join("dev.pem");
        (dir, path)
    }

    #[test]
    fn key_is_created_with_0600_and_reloaded_identically() {
        let (_dir, path) = temp_path("create");
        let first = DevelopmentKey::load_or_create(&path).expect("create");
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = DevelopmentKey::load_or_create(&path).expect("load");
        assert_eq!(first.kid(), again.kid());
        assert_eq!(first.kid().len(), 43, "base64url SHA-256 thumbprint");
    }

    /// Many first uses at once (threads racing like processes started together): none
    /// reads a half-written file, all end with the same key, and no temporary file is left.
    #[test]
    fn concurrent_first_uses_all_get_the_same_complete_key() {
        for round in 0..40 {
            let (_dir, path) = temp_path(&format!("race-{round}"));
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(32));
            let kids: Vec<String> = (0..32)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        DevelopmentKey::load_or_create(&path)
                            .map(|k| k.kid().to_owned())
                            .map_err(|e| e.to_string())
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().expect("thread").expect("every first use succeeds"))
                .collect();
            assert!(
                kids.iter().all(|k| *k == kids[0]),
                "round {round}: {kids:?}"
            );
            let left: Vec<_> = fs::read_dir(path.parent().expect("dir"))
                .expect("dir")
                .map(|e| e.expect("entry").file_name())
                .collect();
            assert_eq!(left, [std::ffi::OsString::from("dev.pem")], "round {round}");
        }
    }

    #[test]
    fn garbage_file_is_reported_not_overwritten() {
        let (_dir, path) = temp_path("garbage");
        fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        fs::write(&path, "not a key").expect("write");
        assert!(matches!(
            DevelopmentKey::load_or_create(&path),
            Err(DevKeyError::Invalid(_))
        ));
        assert_eq!(fs::read_to_string(&path).expect("read"), "not a key");
    }
}
