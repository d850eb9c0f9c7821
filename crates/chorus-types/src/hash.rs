use std::fmt;

use serde::{Deserialize, Serialize};

/// A 128-bit content hash, printed as 32 lowercase hex digits.
///
/// 128 bits keep accidental collisions out of reach for any realistic number of conversations
/// (birthday bound around 2^64 items) while staying short enough to be a readable cache key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ContentHash([u8; 16]);

impl ContentHash {
    /// Hashes one byte string.
    pub fn of(bytes: &[u8]) -> Self {
        let mut hasher = Hasher::new();
        hasher.field(bytes);
        hasher.finish()
    }

    /// The raw 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The 32-digit hex form.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.to_hex())
    }
}

impl From<ContentHash> for String {
    fn from(hash: ContentHash) -> Self {
        hash.to_hex()
    }
}

impl TryFrom<String> for ContentHash {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let bytes = text.as_bytes();
        if bytes.len() != 32 {
            return Err(format!("a content hash has 32 hex digits, got {:?}", text));
        }
        let mut out = [0u8; 16];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).map_err(|e| e.to_string())?;
            out[i] = u8::from_str_radix(pair, 16)
                .map_err(|_| format!("not a hex content hash: {text:?}"))?;
        }
        Ok(Self(out))
    }
}

/// Builds a [`ContentHash`] from a sequence of fields.
///
/// Every field is length-prefixed, so `("ab", "c")` and `("a", "bc")` hash differently.
pub struct Hasher(blake3::Hasher);

impl Hasher {
    /// A hasher with no fields yet.
    pub fn new() -> Self {
        Self(blake3::Hasher::new())
    }

    /// Adds one field.
    pub fn field(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// The hash of all fields added so far.
    pub fn finish(&self) -> ContentHash {
        let digest = self.0.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&digest.as_bytes()[..16]);
        ContentHash(out)
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_length_prefixed() {
        let a = Hasher::new().field(b"ab").field(b"c").finish();
        let b = Hasher::new().field(b"a").field(b"bc").finish();
        assert_ne!(a, b);
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let hash = ContentHash::of(b"hello");
        let text = hash.to_hex();
        assert_eq!(ContentHash::try_from(text).unwrap(), hash);
        assert!(ContentHash::try_from("zz".repeat(16)).is_err());
        assert!(ContentHash::try_from("abc".to_string()).is_err());
    }

    #[test]
    fn hash_is_stable_across_releases() {
        // A change here silently invalidates every cache: bump stage versions instead. The value
        // was computed independently (Python blake3 over the 8-byte little-endian length + bytes).
        assert_eq!(
            ContentHash::of(b"chorus").to_hex(),
            "3510363056cac5f2c2c3616976095e03"
        );
    }
}
