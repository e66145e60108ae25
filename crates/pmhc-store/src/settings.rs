//! The installation's pseudonymisation secret, which lives in the key file (see `keys.rs`).

use pmhc_core::PseudonymKey;

use crate::{Store, StoreError};

impl Store {
    /// The installation's pseudonymisation secret: from the key file, outside the database
    /// (created with it; an older database's secret moves there from `settings`).
    pub async fn pseudonym_key(&self) -> Result<PseudonymKey, StoreError> {
        Ok(self.keys().await?.pseudonym)
    }
}
