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

    /// The person key of someone a partner's records identify, within `namespace` (the source's:
    /// the same for that partner's imports, field form and API, so the records of one person share
    /// one key). An agency's id is hashed as [`Self::pseudonymize`] hashes an id, normalised
    /// ([`crate::person::normalize`]; a numeric id keeps the key it always had); a name with its
    /// date of birth is hashed within `NAMESPACE#name-dob` as `YYYY-MM-DD|name`, so it never
    /// meets an id.
    pub fn person_key(&self, namespace: &str, who: &crate::person::PersonIdentity) -> String {
        let (suffix, text) = who.hashed();
        if suffix.is_empty() { self.pseudonymize(namespace, &text) } else { self.pseudonymize(&format!("{namespace}{suffix}"), &text) }
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

    #[test]
    fn person_keys_normalise_and_keep_ids_and_names_apart() {
        use crate::person::PersonIdentity;
        let k = PseudonymKey::from_bytes([7; 32]);
        let id = |s: &str| PersonIdentity::agency_id(s).unwrap().unwrap();
        assert_eq!(k.person_key("dallas", &id("46424")), k.pseudonymize("dallas", "46424"), "keys made before stay the same");
        assert_eq!(k.person_key("rms", &id(" ab-17 ")), k.person_key("rms", &id("AB-17")));
        assert_ne!(k.person_key("rms", &id("ab-17")), k.person_key("cad", &id("ab-17")));
        let latest = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let born = chrono::NaiveDate::from_ymd_opt(1980, 1, 2).unwrap();
        let named = |n: &str| PersonIdentity::name_and_birth_date(n, born, latest).unwrap().unwrap();
        assert_eq!(k.person_key("rms", &named("Mary  Ann SMITH")), k.person_key("rms", &named(" mary ann smith")));
        let other = PersonIdentity::name_and_birth_date("Mary Ann Smith", born.succ_opt().unwrap(), latest).unwrap().unwrap();
        assert_ne!(k.person_key("rms", &named("Mary Ann Smith")), k.person_key("rms", &other));
        // The text of a name key as an id is another person.
        assert_ne!(k.person_key("rms", &named("jo")), k.person_key("rms", &id("1980-01-02|jo")));
        assert!(!k.person_key("rms", &named("jo")).contains("jo"));
    }
}
