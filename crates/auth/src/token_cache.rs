//! Verified-token cache: a token seen again skips parsing and the signature
//! check. Bounded in entries; keyed by SHA-256 of the token so the cache holds
//! no bearer credentials. The verifier re-checks expiry and the signing key's
//! presence on every hit, so an entry never outlives either.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::verified::VerifiedToken;

/// What was verified, and what must still hold for it to count.
#[derive(Debug)]
pub(crate) struct Entry {
    pub token: VerifiedToken,
    /// Index of the provider in the verifier.
    pub provider: usize,
    /// `(kid, thumbprint)` of the key that verified it; `None` for HMAC.
    pub key: Option<(Option<String>, String)>,
    /// Last Unix second at which the token is still accepted (`exp + leeway`).
    pub valid_until: i64,
}

pub(crate) type Digest32 = [u8; 32];

/// Independent shards, picked by the first digest byte, so concurrent
/// requests rarely wait on the same lock.
const SHARDS: usize = 16;

type Shard = Mutex<HashMap<Digest32, Arc<Entry>>>;

pub(crate) struct TokenCache {
    /// Entries per shard: the whole cache holds at most the configured
    /// capacity rounded up to a multiple of `SHARDS`.
    per_shard: usize,
    shards: Vec<Shard>,
}

impl TokenCache {
    pub(crate) fn new(capacity: usize) -> Self {
        TokenCache {
            per_shard: capacity.div_ceil(SHARDS),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    pub(crate) fn digest(token: &str) -> Digest32 {
        Sha256::digest(token.as_bytes()).into()
    }

    fn shard(&self, digest: &Digest32) -> std::sync::MutexGuard<'_, HashMap<Digest32, Arc<Entry>>> {
        self.shards[usize::from(digest[0]) % SHARDS]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get(&self, digest: &Digest32) -> Option<Arc<Entry>> {
        if self.per_shard == 0 {
            return None;
        }
        self.shard(digest).get(digest).cloned()
    }

    pub(crate) fn remove(&self, digest: &Digest32) {
        self.shard(digest).remove(digest);
    }

    /// Inserts; when the shard is full, drops its expired entries first, then
    /// an arbitrary eighth of the rest (HashMap order), so the bound holds under any load.
    pub(crate) fn insert(&self, digest: Digest32, entry: Entry, now: i64) {
        if self.per_shard == 0 {
            return;
        }
        let mut map = self.shard(&digest);
        if map.len() >= self.per_shard && !map.contains_key(&digest) {
            map.retain(|_, e| e.valid_until >= now);
            if map.len() >= self.per_shard {
                let drop_count = (self.per_shard / 8).max(1);
                let victims: Vec<Digest32> = map.keys().take(drop_count).copied().collect();
                for k in victims {
                    map.remove(&k);
                }
            }
        }
        map.insert(digest, Arc::new(entry));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |m| m.len()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(valid_until: i64) -> Entry {
        Entry {
            token: VerifiedToken {
                user_id: "u".into(),
                provider: Arc::from("p"),
                issuer: "i".into(),
                expires_at: valid_until,
                claims: serde_json::Map::new(),
            },
            provider: 0,
            key: None,
            valid_until,
        }
    }

    #[test]
    fn cache_never_grows_past_capacity() {
        let cache = TokenCache::new(16);
        for i in 0..1000 {
            cache.insert(TokenCache::digest(&format!("t{i}")), entry(10_000), 0);
            assert!(cache.len() <= 16);
        }
    }

    /// Tokens whose digests land in the same shard.
    fn same_shard(n: usize) -> Vec<String> {
        let shard_of = |t: &str| usize::from(TokenCache::digest(t)[0]) % SHARDS;
        let first = shard_of("t0");
        (0..)
            .map(|i| format!("t{i}"))
            .filter(|t| shard_of(t) == first)
            .take(n)
            .collect()
    }

    #[test]
    fn expired_entries_are_evicted_first() {
        let cache = TokenCache::new(2 * SHARDS);
        let tokens = same_shard(3);
        let d = |i: usize| TokenCache::digest(&tokens[i]);
        cache.insert(d(0), entry(5), 0);
        cache.insert(d(1), entry(100), 0);
        cache.insert(d(2), entry(100), 50);
        assert!(cache.get(&d(0)).is_none(), "the expired entry made room");
        assert!(cache.get(&d(1)).is_some());
        assert!(cache.get(&d(2)).is_some());
    }

    #[test]
    fn zero_capacity_disables_the_cache() {
        let cache = TokenCache::new(0);
        cache.insert(TokenCache::digest("t"), entry(100), 0);
        assert!(cache.get(&TokenCache::digest("t")).is_none());
    }
}
