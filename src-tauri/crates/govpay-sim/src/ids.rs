//! Repeatable 26-character base-32 ids, like GOV.UK Pay's external ids.

const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";

/// A splitmix64 generator: fast, seedable, good enough for ids and tokens.
#[derive(Debug, Clone)]
pub(crate) struct IdGen(u64);

impl IdGen {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A one-time token in UUID form, as GOV.UK Pay mints them.
    pub fn token(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }

    /// 26 base-32 digits of a 128-bit number, zero-padded at the front.
    pub fn external_id(&mut self) -> String {
        let mut n = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
        let mut out = [b'0'; 26];
        for slot in out.iter_mut().rev() {
            *slot = ALPHABET[(n & 31) as usize];
            n >>= 5;
        }
        out.iter().map(|&b| b as char).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_payment_ids_and_repeatable() {
        let mut a = IdGen::new(7);
        let mut b = IdGen::new(7);
        let id = a.external_id();
        assert_eq!(id, b.external_id());
        assert!(govpay::PaymentId::parse(&id).is_ok(), "{id}");
        assert_ne!(id, a.external_id());
    }
}
