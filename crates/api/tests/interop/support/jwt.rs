//! Reads (never verifies) the header and claims of a compact JWS, to know what a provider issued.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

fn part(token: &str, index: usize) -> Value {
    let segment = token
        .split('.')
        .nth(index)
        .expect("a compact JWS has three parts");
    let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url segment");
    serde_json::from_slice(&bytes).expect("JSON segment")
}

pub fn header(token: &str) -> Value {
    part(token, 0)
}

pub fn claims(token: &str) -> Value {
    part(token, 1)
}

pub fn kid(token: &str) -> String {
    header(token)["kid"]
        .as_str()
        .expect("kid in the header")
        .to_owned()
}
