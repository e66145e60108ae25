//! The `settings` table: installation-wide values, such as the pseudonymisation secret.

use pmhc_core::PseudonymKey;
use rand::TryRngCore;
use rand::rngs::OsRng;

use crate::{Store, StoreError, on_pool};

const PSEUDONYM_KEY: &str = "pseudonym_key";

impl Store {
    /// The installation's pseudonymisation secret: 32 random bytes kept (hex) in `settings`,
    /// created on the first call. Race-free: a candidate is inserted only if no key exists, and
    /// the stored key is then read back, so concurrent first calls all get the same key.
    pub async fn pseudonym_key(&self) -> Result<PseudonymKey, StoreError> {
        let backend = self.backend_name();
        let mut candidate = [0u8; 32];
        OsRng.try_fill_bytes(&mut candidate).map_err(|e| StoreError::Random(e.to_string()))?;
        let candidate = hex::encode(candidate);
        let stored: String = on_pool!(self, pool => {
            sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(PSEUDONYM_KEY)
                .bind(&candidate)
                .execute(pool)
                .await
                .map_err(StoreError::db(backend, "store the pseudonymisation key"))?;
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(PSEUDONYM_KEY)
                .fetch_one(pool)
                .await
                .map_err(StoreError::db(backend, "read the pseudonymisation key"))?
        });
        let corrupt = |detail: String| StoreError::Corrupt { what: format!("settings.{PSEUDONYM_KEY}"), detail };
        let bytes = hex::decode(stored.trim()).map_err(|e| corrupt(format!("not hex: {e}")))?;
        let bytes: [u8; 32] =
            bytes.try_into().map_err(|b: Vec<u8>| corrupt(format!("{} bytes, expected 32", b.len())))?;
        Ok(PseudonymKey::from_bytes(bytes))
    }
}
