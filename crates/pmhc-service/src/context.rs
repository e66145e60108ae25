//! The service context: what every use case reaches its data through.
//!
//! A [`ServiceContext`] holds the [`Store`] and what a server keeps between requests — the
//! [`OutcomeCache`] and the sign-in throttle. Front ends make one from the store they open (the
//! CLI once per command, `pmhc serve` once for the server) and hand it to the use cases of this
//! crate; the store itself is reachable only inside `pmhc-service`, so a front end cannot read or
//! write around a use case's permission check and audit entry.

use std::sync::Arc;

use pmhc_store::{Clock, Store};

use crate::outcomes::OutcomeCache;
use crate::releases::ReleaseCache;
use crate::signin::SignInThrottle;

/// The store and the state a server keeps, shared by every use case. Cheap to clone (the store
/// is a connection pool; the cache and the throttle are shared).
#[derive(Clone)]
pub struct ServiceContext {
    store: Store,
    outcomes: Arc<OutcomeCache>,
    throttle: Arc<SignInThrottle>,
    releases: Arc<ReleaseCache>,
}

impl ServiceContext {
    /// The context of one store: an empty outcome cache and sign-in throttle.
    pub fn new(store: Store) -> ServiceContext {
        ServiceContext { outcomes: Arc::new(OutcomeCache::new(store.clone())), throttle: Arc::default(), releases: Arc::default(), store }
    }

    /// The store, for the use cases of this crate only.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The outcome reports kept warm (refreshed by the use cases that change what they count).
    pub fn outcomes(&self) -> &OutcomeCache {
        &self.outcomes
    }

    /// The releases served recently (and the lock that makes one at a time).
    pub(crate) fn releases(&self) -> &ReleaseCache {
        &self.releases
    }

    /// Failed sign-ins per client address.
    pub(crate) fn throttle(&self) -> &SignInThrottle {
        &self.throttle
    }

    /// The domain clock ("today", "now"; see `pmhc_store::clock`).
    pub fn clock(&self) -> Clock {
        self.store.clock()
    }
}

impl std::fmt::Debug for ServiceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceContext").field("backend", &self.store.backend_name()).finish_non_exhaustive()
    }
}
