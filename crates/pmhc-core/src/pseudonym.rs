//! Pseudonymous subject keys: a keyed hash (HMAC-SHA-256) of the source's person id, so the
//! database never holds the id a source system uses, yet repeat encounters of one person share a
//! key. The key is the installation's secret (created by `pmhc init`); records from sources that
//! share a person-id space can share a namespace so their people link.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The installation's pseudonymisation secret.
#[derive(Clone)]
pub struct PseudonymKey([u8; 32]);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

impl PseudonymKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PseudonymKey(bytes)
    }

    /// The secret (for the key file).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The pseudonymous key of `raw_id` within `namespace` (e.g. the source system): 24 hex digits
    /// prefixed `p-`. Whitespace around the id is ignored; case is kept.
    pub fn pseudonymize(&self, namespace: &str, raw_id: &str) -> String {
        // An HMAC key of any length is valid, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(namespace.as_bytes());
        mac.update(&[0]);
        mac.update(raw_id.trim().as_bytes());
        let out = mac.finalize().into_bytes();
        let mut s = String::with_capacity(26);
        s.push_str("p-");
        s.push_str(&hex::encode(&out[..12]));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_person_same_key_other_secret_other_key() {
        let k = PseudonymKey::from_bytes([7; 32]);
        assert_eq!(k.pseudonymize("dallas", "46424"), k.pseudonymize("dallas", " 46424 "));
        assert_ne!(k.pseudonymize("dallas", "46424"), k.pseudonymize("seattle", "46424"));
        assert_ne!(k.pseudonymize("dallas", "46424"), PseudonymKey::from_bytes([8; 32]).pseudonymize("dallas", "46424"));
        let p = k.pseudonymize("dallas", "46424");
        assert_eq!(p.len(), 26);
        assert!(!p.contains("46424"));
    }
}
