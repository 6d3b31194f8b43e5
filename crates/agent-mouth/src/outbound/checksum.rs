//! The checksum GitHub and npm put in their tokens: CRC32 (IEEE) of the
//! 30-character random body, written as six base62 digits
//! (`0-9A-Za-z`, most significant first, left-padded with `0`). Owns only
//! the arithmetic; which prefixes carry it is in [`super::tokens`].

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC-32/IEEE (the zlib and PNG one), bit by bit: tokens are 30 bytes, a
/// table would buy nothing.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// `n` as six base62 digits (62^6 > 2^32, so six always suffice).
pub(crate) fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// True when `check` is the base62 CRC32 of `body`.
pub(crate) fn verifies(body: &[u8], check: &[u8]) -> bool {
    check.len() == 6 && base62_6(crc32(body)) == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC catalogue's check value for CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn checksum_matches_a_published_example() {
        // The worked example of GitHub's format in a public write-up of it:
        // ghp_ + zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ + 0mLq17.
        assert!(verifies(b"zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ", b"0mLq17"));
        assert!(!verifies(b"zQWBuTSOoRi4A9spHcVY5ncnsDkxkK", b"0mLq17"));
        assert!(!verifies(b"zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ", b"0mLq1"));
    }

    #[test]
    fn base62_pads_and_covers_the_extremes() {
        assert_eq!(&base62_6(0), b"000000");
        assert_eq!(&base62_6(61), b"00000z");
        assert_eq!(&base62_6(u32::MAX), b"4gfFC3");
    }
}
