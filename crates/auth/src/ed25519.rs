//! Ed25519 public-key hygiene (RFC 8032 §5.1.3): which 32-byte encodings are
//! refused as verification keys, before aws-lc-rs ever sees them.
//!
//! aws-lc-rs accepts any 32 bytes as an Ed25519 public key. A small-order point
//! (one of the 8 points of the torsion subgroup: identity, the point of order 2,
//! two of order 4, four of order 8) makes forgery trivial: with the identity as
//! the key, `R = identity, S = 0` verifies for every message. Non-canonical
//! encodings (y ≥ p = 2^255 − 19) have a second spelling, so two "different" keys
//! would be the same point. Both are refused here; this module does no curve
//! arithmetic, it compares against the fixed list of such encodings.

/// p = 2^255 − 19, little-endian.
const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// The y coordinates (little-endian, sign bit cleared) of the 8 small-order
/// points: 0 (order 4, x = ±√−1), 1 (identity), p − 1 (order 2), and the two y
/// values of the four order-8 points. With the sign bit set they name the same
/// points (or, for x = 0, are non-canonical), so the sign bit is ignored.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [0; 32],
    {
        let mut one = [0; 32];
        one[0] = 1;
        one
    },
    {
        let mut p_minus_one = P;
        p_minus_one[0] = 0xec;
        p_minus_one
    },
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
];

/// `Err(reason)` when `x` (the JWK `x`, an encoded point) must not be used as a key.
pub(crate) fn check_public_key(x: &[u8; 32]) -> Result<(), String> {
    let mut y = *x;
    y[31] &= 0x7f;
    // Compare as little-endian numbers: most significant byte first.
    if y.iter().rev().cmp(P.iter().rev()).is_ge() {
        return Err("Ed25519 key is not canonically encoded (y is not below 2^255 - 19)".into());
    }
    if SMALL_ORDER_Y.contains(&y) {
        return Err(
            "Ed25519 key is a small-order point: signatures could be forged for any message".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 8 small-order points in their canonical encodings (sign bit = x parity).
    fn small_order_encodings() -> Vec<[u8; 32]> {
        let mut all = Vec::new();
        for y in SMALL_ORDER_Y {
            all.push(y);
            // x = ±√−1 for y = 0 and both x signs of the order-8 points; x = 0
            // (identity, order 2) has only the sign-0 encoding.
            if y != SMALL_ORDER_Y[1] && y != SMALL_ORDER_Y[2] {
                let mut negated = y;
                negated[31] |= 0x80;
                all.push(negated);
            }
        }
        all
    }

    #[test]
    fn all_eight_small_order_points_are_refused() {
        let all = small_order_encodings();
        assert_eq!(all.len(), 8);
        for point in all {
            let reason = check_public_key(&point).expect_err("small order");
            assert!(reason.contains("small-order"), "{reason}");
        }
    }

    #[test]
    fn non_canonical_encodings_are_refused() {
        let mut values = vec![P];
        for low in [0xeeu8, 0xf0, 0xff] {
            let mut y = P;
            y[0] = low;
            values.push(y);
        }
        for y in values {
            for sign in [0u8, 0x80] {
                let mut point = y;
                point[31] |= sign;
                let reason = check_public_key(&point).expect_err("non-canonical");
                assert!(reason.contains("canonical"), "{reason}");
            }
        }
        // x = 0 with the sign bit set is a second spelling of the identity / order-2 point.
        let mut one_negative = SMALL_ORDER_Y[1];
        one_negative[31] |= 0x80;
        assert!(check_public_key(&one_negative).is_err());
    }

    #[test]
    fn real_keys_pass() {
        // RFC 8032 §7.1 test 1 public key.
        let rfc: [u8; 32] = [
            0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64,
            0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68,
            0xf7, 0x07, 0x51, 0x1a,
        ];
        assert_eq!(check_public_key(&rfc), Ok(()));
        let mut below_p = P;
        below_p[0] = 0xeb;
        assert_eq!(check_public_key(&below_p), Ok(()), "p - 2 is canonical");
    }
}
