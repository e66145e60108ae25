//! The audit trail: an append-only, hash-chained log of who did what to which record.
//!
//! Every entry carries the SHA-256 of the entry before it (`prev_hash`) and its own `hash`, the
//! SHA-256 of `prev_hash` and the entry's fields in a fixed, length-prefixed encoding. Changing
//! any field of any entry, removing an entry, or reordering entries breaks the chain at that
//! entry, which [`verify`] names. Entries are numbered 1, 2, 3… without gaps, so a removed entry
//! is found even when its neighbours' hashes were recomputed — up to the newest entry, whose
//! number and hash the store also keeps as the chain's head (and `pmhc audit verify` prints, so
//! it can be kept outside the database).
//!
//! **Keyed chain.** SHA-256 alone can be recomputed by anyone who can write the database, so the
//! entries from a re-keying point on (`keyed_from`, entry 1 in a new installation) are chained
//! with HMAC-SHA-256 under an [`AuditKey`] kept outside the database (the key file). Entries
//! before it (an installation that predates the key) stay verifiable as they were. Without the
//! key the keyed part cannot be checked, which verification reports as such, never as tampering.
//! A purge of old entries is itself an entry ("audit:purge", naming the anchor it leaves), so an
//! anchor nobody recorded is found; `expect_head` (a head kept elsewhere) finds a removed tail.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The secret the keyed part of the chain is authenticated with (32 bytes, from the key file).
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> AuditKey {
        AuditKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A public name for the key (16 hex digits, derived one way from it): the database keeps it
    /// to tell "this key file belongs to another database" from tampering.
    pub fn id(&self) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(b"pmhc-audit-key-id");
        hex::encode(&mac.finalize().into_bytes()[..8])
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id())
    }
}

/// The object of the entry a purge of the audit trail writes; its detail names the anchor.
pub const PURGE_OBJECT: &str = "audit:purge";
/// The object of the entry that starts the keyed part of an older installation's chain.
pub const REKEY_OBJECT: &str = "audit:key";

/// The detail of a purge entry for the anchor it leaves (the last removed entry).
pub fn purge_detail(anchor_id: u64, anchor_hash: &str, removed: u64) -> String {
    format!("removed {removed} entries older than the retention period; anchor {anchor_id}:{anchor_hash}")
}

/// The detail of the entry that starts the keyed part after `unkeyed` older entries (and after
/// the anchor of an earlier purge, if the log had one).
pub fn rekey_detail(unkeyed: u64, key_id: &str, anchor: Option<(u64, &str)>) -> String {
    let mut d = format!("entries up to {unkeyed} are the older unkeyed chain; from here on entries are keyed (key {key_id})");
    if let Some((id, hash)) = anchor {
        d.push_str(&format!("; anchor {id}:{hash}"));
    }
    d
}

fn purge_anchor(detail: &str) -> Option<(u64, &str)> {
    let (_, a) = detail.rsplit_once("; anchor ")?;
    let (id, hash) = a.split_once(':')?;
    Some((id.parse().ok()?, hash))
}

/// The hash the first entry's `prev_hash` holds.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    SignOut,
    View,
    Export,
    Create,
    Change,
    Delete,
    Import,
    Admin,
}

impl AuditAction {
    pub const ALL: [AuditAction; 9] = [
        AuditAction::SignIn,
        AuditAction::SignOut,
        AuditAction::View,
        AuditAction::Export,
        AuditAction::Create,
        AuditAction::Change,
        AuditAction::Delete,
        AuditAction::Import,
        AuditAction::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignOut => "sign_out",
            AuditAction::View => "view",
            AuditAction::Export => "export",
            AuditAction::Create => "create",
            AuditAction::Change => "change",
            AuditAction::Delete => "delete",
            AuditAction::Import => "import",
            AuditAction::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.iter().copied().find(|a| a.as_str() == s.trim())
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Success,
    /// Refused: wrong password, a role without the permission, a CSRF failure…
    Refused,
    /// Attempted and failed (an import that stopped with an error).
    Failed,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Refused => "refused",
            AuditOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<AuditOutcome> {
        [AuditOutcome::Success, AuditOutcome::Refused, AuditOutcome::Failed].into_iter().find(|a| a.as_str() == s.trim())
    }
}

/// What an entry says (everything but its place in the chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// UTC, to the hundredth of a second: `2026-11-27T04:05:06.12Z`.
    pub at: String,
    /// The user name, or `anonymous` / `pmhc` (the system, the CLI).
    pub actor: String,
    /// The actor's partner organisation, when known.
    pub partner: Option<String>,
    pub action: AuditAction,
    /// The record or object: `encounter:SYSTEM/KEY`, `encounters?precinct=North`, `import:12`,
    /// `definitions:3`, `user:NAME`…
    pub object: String,
    /// The field groups disclosed or changed (e.g. `incident,area_time,demographics`).
    pub field_groups: Vec<String>,
    /// Where from: the client's address, or `cli`.
    pub source: String,
    pub outcome: AuditOutcome,
    /// A short detail (never the data itself).
    pub detail: String,
}

/// An entry as stored: its number, the event, and the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: u64,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

fn put(h: &mut Vec<u8>, s: &str) {
    h.extend_from_slice(&(s.len() as u64).to_le_bytes());
    h.extend_from_slice(s.as_bytes());
}

/// The hash of an entry of the unkeyed (older) part of the chain: SHA-256 over the encoding.
pub fn entry_hash(prev_hash: &str, id: u64, e: &AuditEvent) -> String {
    hex::encode(Sha256::digest(encode("pmhc-audit-v1", prev_hash, id, e)))
}

/// The hash of an entry of the keyed part: HMAC-SHA-256 under the audit key.
pub fn keyed_entry_hash(key: &AuditKey, prev_hash: &str, id: u64, e: &AuditEvent) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0).expect("HMAC accepts any key length");
    mac.update(&encode("pmhc-audit-v2", prev_hash, id, e));
    hex::encode(mac.finalize().into_bytes())
}

/// The previous hash, the number and every field, each length-prefixed (so no two different
/// entries encode the same), after a version tag.
fn encode(tag: &str, prev_hash: &str, id: u64, e: &AuditEvent) -> Vec<u8> {
    let mut h = Vec::with_capacity(256);
    put(&mut h, tag);
    put(&mut h, prev_hash);
    h.extend_from_slice(&id.to_le_bytes());
    put(&mut h, &e.at);
    put(&mut h, &e.actor);
    match &e.partner {
        Some(p) => {
            h.push(1);
            put(&mut h, p);
        }
        None => h.push(0),
    }
    put(&mut h, e.action.as_str());
    put(&mut h, &e.object);
    h.extend_from_slice(&(e.field_groups.len() as u64).to_le_bytes());
    for g in &e.field_groups {
        put(&mut h, g);
    }
    put(&mut h, &e.source);
    put(&mut h, e.outcome.as_str());
    put(&mut h, &e.detail);
    h
}

/// Make the next entry after `prev` (None: the first), unkeyed (the older scheme; tests).
pub fn next_entry(prev: Option<(u64, &str)>, event: AuditEvent) -> AuditEntry {
    let (id, prev_hash) = next_place(prev);
    let hash = entry_hash(&prev_hash, id, &event);
    AuditEntry { id, event, prev_hash, hash }
}

/// Make the next entry after `prev`, chained under the audit key.
pub fn next_keyed_entry(key: &AuditKey, prev: Option<(u64, &str)>, event: AuditEvent) -> AuditEntry {
    let (id, prev_hash) = next_place(prev);
    let hash = keyed_entry_hash(key, &prev_hash, id, &event);
    AuditEntry { id, event, prev_hash, hash }
}

fn next_place(prev: Option<(u64, &str)>) -> (u64, String) {
    match prev {
        Some((id, hash)) => (id + 1, hash.to_string()),
        None => (1, GENESIS.to_string()),
    }
}

/// Where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry {id} was changed: its content does not match its hash")]
    Altered { id: u64 },
    #[error("entry {id} does not follow the entry before it (an entry before it was removed, changed or reordered)")]
    Unlinked { id: u64 },
    #[error("entries {expected} to {found_minus_one} are missing (the entry after them is {found})", found_minus_one = .found - 1)]
    Missing { expected: u64, found: u64 },
    #[error("the newest entries after {last} were removed (the chain's head says {head})")]
    Truncated { last: u64, head: u64 },
    #[error("the chain's head names entry {head} with another hash than the log's entry {head}")]
    HeadMismatch { head: u64 },
    #[error("the head kept outside the database ({expected}) is not in the log: entries at its end were removed, or the log was rewritten")]
    ExpectedHeadMissing { expected: String, last: u64 },
    #[error("the log starts after entry {anchor}, but no purge of the audit trail recorded that anchor: entries before entry {first} were removed")]
    UnrecordedAnchor { anchor: u64, first: u64 },
    #[error("cannot verify entries after {after}: the audit key is unavailable")]
    KeyUnavailable { after: u64 },
}

impl ChainError {
    /// The first entry found broken.
    pub fn entry(&self) -> u64 {
        match self {
            ChainError::Altered { id } | ChainError::Unlinked { id } => *id,
            ChainError::Missing { expected, .. } => *expected,
            ChainError::Truncated { last, .. } => last + 1,
            ChainError::HeadMismatch { head } => *head,
            ChainError::ExpectedHeadMissing { last, .. } => *last,
            ChainError::UnrecordedAnchor { first, .. } => *first,
            ChainError::KeyUnavailable { after } => after + 1,
        }
    }

    /// Whether this is evidence of tampering (every variant but a missing key).
    pub fn is_tampering(&self) -> bool {
        !matches!(self, ChainError::KeyUnavailable { .. })
    }
}

/// How the entries of one chain are hashed: entries numbered `keyed_from` and after are keyed.
#[derive(Debug, Clone)]
pub struct ChainKeying {
    /// The audit key; `None` when it is unavailable (those entries cannot be verified).
    pub key: Option<AuditKey>,
    /// The first keyed entry (1 in an installation that always had a key); `u64::MAX` when the
    /// chain has no keyed part.
    pub keyed_from: u64,
}

impl ChainKeying {
    /// A chain with no keyed part (the older scheme).
    pub fn unkeyed() -> ChainKeying {
        ChainKeying { key: None, keyed_from: u64::MAX }
    }
}

/// Checks entries in order, one at a time (so a long log need not be in memory).
#[derive(Debug)]
pub struct ChainVerifier {
    last: Option<(u64, String)>,
    count: u64,
    keying: ChainKeying,
    anchor: Option<(u64, String)>,
    anchor_recorded: bool,
    expect_head: Option<String>,
    expected_seen: bool,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            last: None,
            count: 0,
            keying: ChainKeying::unkeyed(),
            anchor: None,
            anchor_recorded: false,
            expect_head: None,
            expected_seen: false,
        }
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// A verifier for a log whose entries up to `anchor` (id and hash of the last removed entry)
    /// were purged after their retention period: the first kept entry must follow the anchor.
    pub fn from_anchor(anchor: Option<(u64, &str)>) -> Self {
        let anchor = anchor.map(|(id, h)| (id, h.to_string()));
        ChainVerifier { last: anchor.clone(), anchor, ..Self::default() }
    }

    /// Check entries from `keyed_from` on under the key.
    #[must_use]
    pub fn keyed(mut self, keying: ChainKeying) -> Self {
        self.keying = keying;
        self
    }

    /// Require the log to contain the entry with this hash (a head kept outside the database):
    /// a removed tail, or a log rewritten without the key, then fails.
    #[must_use]
    pub fn expecting_head(mut self, head: Option<&str>) -> Self {
        self.expect_head = head.map(|h| h.trim().to_ascii_lowercase());
        self.expected_seen = self.expect_head.as_deref().is_some_and(|h| {
            h == GENESIS || self.anchor.as_ref().is_some_and(|(_, a)| a == h)
        });
        self
    }

    /// Check the next entry.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainError> {
        let expected = self.last.as_ref().map_or(1, |(id, _)| id + 1);
        if e.id != expected {
            return Err(if e.id > expected {
                ChainError::Missing { expected, found: e.id }
            } else {
                ChainError::Unlinked { id: e.id }
            });
        }
        let prev = self.last.as_ref().map_or(GENESIS, |(_, h)| h.as_str());
        if e.prev_hash != prev {
            return Err(ChainError::Unlinked { id: e.id });
        }
        let hash = if e.id >= self.keying.keyed_from {
            match &self.keying.key {
                Some(key) => keyed_entry_hash(key, &e.prev_hash, e.id, &e.event),
                None => return Err(ChainError::KeyUnavailable { after: e.id - 1 }),
            }
        } else {
            entry_hash(&e.prev_hash, e.id, &e.event)
        };
        if hash != e.hash {
            return Err(ChainError::Altered { id: e.id });
        }
        // A keyed purge (or re-keying) entry vouches for the anchor it names.
        if e.id >= self.keying.keyed_from
            && (e.event.object == PURGE_OBJECT || e.event.object == REKEY_OBJECT)
            && let (Some((aid, ahash)), Some((pid, phash))) = (&self.anchor, purge_anchor(&e.event.detail))
            && *aid == pid
            && ahash == phash
        {
            self.anchor_recorded = true;
        }
        if self.expect_head.as_deref() == Some(e.hash.as_str()) {
            self.expected_seen = true;
        }
        self.last = Some((e.id, e.hash.clone()));
        self.count += 1;
        Ok(())
    }

    /// After the last entry: compare with the head the store keeps (id and hash of the newest),
    /// with the head kept elsewhere (if given), and check a purge anchor was recorded.
    pub fn finish(&self, head: Option<(u64, &str)>) -> Result<u64, ChainError> {
        if let Some((aid, _)) = &self.anchor
            && self.last.as_ref().is_some_and(|(id, _)| *id >= self.keying.keyed_from)
            && !self.anchor_recorded
        {
            return Err(ChainError::UnrecordedAnchor { anchor: *aid, first: aid + 1 });
        }
        if let Some(expected) = &self.expect_head
            && !self.expected_seen
        {
            return Err(ChainError::ExpectedHeadMissing {
                expected: expected.clone(),
                last: self.last.as_ref().map_or(0, |(id, _)| *id),
            });
        }
        match (head, &self.last) {
            (None, _) => Ok(self.count),
            (Some((hid, _)), None) => Err(ChainError::Truncated { last: 0, head: hid }),
            (Some((hid, hhash)), Some((lid, lhash))) => {
                if *lid < hid {
                    Err(ChainError::Truncated { last: *lid, head: hid })
                } else if *lid == hid && lhash != hhash {
                    Err(ChainError::HeadMismatch { head: hid })
                } else {
                    Ok(self.count)
                }
            }
        }
    }

    /// The newest entry checked so far.
    pub fn last(&self) -> Option<(u64, &str)> {
        self.last.as_ref().map(|(id, h)| (*id, h.as_str()))
    }
}

/// A UTC time as the log writes it (to 0.01 s).
pub fn audit_time(t: chrono::DateTime<chrono::Utc>) -> String {
    let cs = t.timestamp_subsec_millis() / 10;
    format!("{}.{cs:02}Z", t.format("%Y-%m-%dT%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event(i: u64) -> AuditEvent {
        AuditEvent {
            at: format!("2026-11-27T04:05:{:02}.{:02}Z", i % 60, i % 100),
            actor: format!("user{}", i % 3),
            partner: i.is_multiple_of(2).then(|| "Metro PD".to_string()),
            action: AuditAction::ALL[(i % 9) as usize],
            object: format!("encounter:cad/{i}"),
            field_groups: vec!["incident".into()],
            source: "127.0.0.1".into(),
            outcome: AuditOutcome::Success,
            detail: String::new(),
        }
    }

    fn chain(n: u64) -> Vec<AuditEntry> {
        let mut v: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let e = next_entry(v.last().map(|l| (l.id, l.hash.as_str())), event(i));
            v.push(e);
        }
        v
    }

    fn verify(v: &[AuditEntry], head: Option<(u64, &str)>) -> Result<u64, ChainError> {
        let mut c = ChainVerifier::new();
        for e in v {
            c.push(e)?;
        }
        c.finish(head)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let v = chain(20);
        let head = v.last().map(|e| (e.id, e.hash.as_str()));
        assert_eq!(verify(&v, head), Ok(20));
        assert_eq!(verify(&[], None), Ok(0));
    }

    #[test]
    fn a_purged_log_verifies_from_its_anchor() {
        let v = chain(10);
        let head = v.last().map(|e| (e.id, e.hash.as_str()));
        let anchor = (v[3].id, v[3].hash.as_str());
        let mut c = ChainVerifier::from_anchor(Some(anchor));
        for e in &v[4..] {
            c.push(e).unwrap();
        }
        assert_eq!(c.finish(head), Ok(6));
        // Without the anchor the kept entries do not start the chain.
        let mut c = ChainVerifier::new();
        assert_eq!(c.push(&v[4]), Err(ChainError::Missing { expected: 1, found: 5 }));
        // A wrong anchor is found at the first kept entry.
        let mut c = ChainVerifier::from_anchor(Some((4, GENESIS)));
        assert_eq!(c.push(&v[4]), Err(ChainError::Unlinked { id: 5 }));
    }

    #[test]
    fn times_have_hundredths() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-27T04:05:06.129Z").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(audit_time(t), "2026-11-27T04:05:06.12Z");
    }

    proptest! {
        /// Any change to any field of any entry is found, at that entry.
        #[test]
        fn any_change_is_found_at_its_entry(n in 2u64..30, at in 0usize..30, what in 0u8..9) {
            let mut v = chain(n);
            let at = at % v.len();
            let head = v.last().map(|e| (e.id, e.hash.clone())).unwrap();
            let e = &mut v[at].event;
            match what {
                0 => e.actor.push('x'),
                1 => e.at = "2020-01-01T00:00:00.00Z".into(),
                2 => e.partner = if e.partner.is_some() { None } else { Some("other".into()) },
                3 => e.action = if e.action == AuditAction::View { AuditAction::Export } else { AuditAction::View },
                4 => e.object.push('1'),
                5 => e.field_groups.push("subject_identity".into()),
                6 => e.source = "10.0.0.1".into(),
                7 => e.outcome = AuditOutcome::Refused,
                _ => e.detail.push('!'),
            }
            let r = verify(&v, Some((head.0, &head.1)));
            prop_assert_eq!(r.map_err(|e| e.entry()), Err(at as u64 + 1));
        }

        /// Removing any entry is found; removing the newest ones is found through the head.
        #[test]
        fn removal_is_found(n in 2u64..30, at in 0usize..30) {
            let mut v = chain(n);
            let head = v.last().map(|e| (e.id, e.hash.clone())).unwrap();
            let at = at % v.len();
            v.remove(at);
            let r = verify(&v, Some((head.0, &head.1)));
            prop_assert!(r.is_err());
            prop_assert_eq!(r.unwrap_err().entry(), at as u64 + 1);
        }

        /// Recomputing every hash after an edit (an attacker with the database) still disagrees
        /// with the head kept elsewhere.
        #[test]
        fn a_rewritten_chain_disagrees_with_the_head(n in 2u64..30, at in 0usize..30) {
            let v = chain(n);
            let head = v.last().map(|e| (e.id, e.hash.clone())).unwrap();
            let at = at % v.len();
            let mut forged: Vec<AuditEntry> = Vec::new();
            for (i, e) in v.iter().enumerate() {
                let mut ev = e.event.clone();
                if i == at {
                    ev.actor = "someone else".into();
                }
                forged.push(next_entry(forged.last().map(|l| (l.id, l.hash.as_str())), ev));
            }
            prop_assert!(verify(&forged, None).is_ok());
            prop_assert_eq!(verify(&forged, Some((head.0, &head.1))), Err(ChainError::HeadMismatch { head: n }));
        }
    }

    fn key(b: u8) -> AuditKey {
        AuditKey::from_bytes([b; 32])
    }

    /// `n` entries: the first `unkeyed` in the older scheme, the rest keyed under `k`.
    fn mixed_chain(n: u64, unkeyed: u64, k: &AuditKey) -> Vec<AuditEntry> {
        let mut v: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = v.last().map(|l| (l.id, l.hash.as_str()));
            let e = if i < unkeyed { next_entry(prev, event(i)) } else { next_keyed_entry(k, prev, event(i)) };
            v.push(e);
        }
        v
    }

    fn keyed_verify(v: &[AuditEntry], keying: ChainKeying, anchor: Option<(u64, &str)>, expect: Option<&str>) -> Result<u64, ChainError> {
        let mut c = ChainVerifier::from_anchor(anchor).keyed(keying).expecting_head(expect);
        for e in v {
            c.push(e)?;
        }
        let head = v.last().map(|e| (e.id, e.hash.as_str()));
        c.finish(head)
    }

    #[test]
    fn a_keyed_chain_after_older_entries_verifies_and_a_rehash_without_the_key_is_found() {
        let k = key(7);
        let v = mixed_chain(12, 5, &k);
        let keying = ChainKeying { key: Some(k.clone()), keyed_from: 6 };
        assert_eq!(keyed_verify(&v, keying.clone(), None, None), Ok(12));
        // An attacker edits entry 9 and recomputes every hash after it as SHA-256 (no key).
        let mut forged: Vec<AuditEntry> = v[..8].to_vec();
        for e in &v[8..] {
            let mut ev = e.event.clone();
            if e.id == 9 {
                ev.actor = "someone else".into();
            }
            forged.push(next_entry(forged.last().map(|l| (l.id, l.hash.as_str())), ev));
        }
        assert_eq!(keyed_verify(&forged, keying.clone(), None, None), Err(ChainError::Altered { id: 9 }));
        // …or under a key of their own.
        let mut forged: Vec<AuditEntry> = v[..8].to_vec();
        for e in &v[8..] {
            forged.push(next_keyed_entry(&key(8), forged.last().map(|l| (l.id, l.hash.as_str())), e.event.clone()));
        }
        assert_eq!(keyed_verify(&forged, keying, None, None), Err(ChainError::Altered { id: 9 }));
    }

    #[test]
    fn without_the_key_the_older_part_verifies_and_the_rest_is_reported_unverifiable() {
        let k = key(1);
        let v = mixed_chain(10, 4, &k);
        let r = keyed_verify(&v, ChainKeying { key: None, keyed_from: 5 }, None, None);
        assert_eq!(r, Err(ChainError::KeyUnavailable { after: 4 }));
        assert!(!r.unwrap_err().is_tampering());
        assert_eq!(ChainError::KeyUnavailable { after: 4 }.to_string(), "cannot verify entries after 4: the audit key is unavailable");
    }

    #[test]
    fn a_removed_tail_is_found_with_the_head_kept_elsewhere() {
        let k = key(2);
        let v = mixed_chain(10, 0, &k);
        let kept = v[9].hash.clone();
        let keying = ChainKeying { key: Some(k), keyed_from: 1 };
        // The log grew since the head was kept: fine.
        assert_eq!(keyed_verify(&v, keying.clone(), None, Some(&v[6].hash)), Ok(10));
        // The tail removed and the store's head rewritten to match: only the kept head tells.
        assert_eq!(keyed_verify(&v[..7], keying.clone(), None, None), Ok(7));
        let r = keyed_verify(&v[..7], keying.clone(), None, Some(&kept));
        assert!(matches!(r, Err(ChainError::ExpectedHeadMissing { last: 7, .. })), "{r:?}");
        // Everything removed.
        assert!(matches!(keyed_verify(&[], keying, None, Some(&kept)), Err(ChainError::ExpectedHeadMissing { last: 0, .. })));
    }

    #[test]
    fn an_anchor_needs_a_keyed_purge_entry_naming_it() {
        let k = key(3);
        let mut v = mixed_chain(10, 0, &k);
        let keying = ChainKeying { key: Some(k.clone()), keyed_from: 1 };
        // The first four entries removed and the anchor forged to fit: found.
        let anchor = (v[3].id, v[3].hash.clone());
        let r = keyed_verify(&v[4..], keying.clone(), Some((anchor.0, &anchor.1)), None);
        assert_eq!(r, Err(ChainError::UnrecordedAnchor { anchor: 4, first: 5 }));
        // A real purge records the anchor in a keyed entry: verifies.
        let mut purge = event(99);
        purge.object = PURGE_OBJECT.into();
        purge.detail = purge_detail(anchor.0, &anchor.1, 4);
        let e = next_keyed_entry(&k, v.last().map(|l| (l.id, l.hash.as_str())), purge);
        v.push(e);
        assert_eq!(keyed_verify(&v[4..], keying.clone(), Some((anchor.0, &anchor.1)), None), Ok(7));
        // More removed than the purge recorded: found.
        let later = (v[5].id, v[5].hash.clone());
        let r = keyed_verify(&v[6..], keying, Some((later.0, &later.1)), None);
        assert_eq!(r, Err(ChainError::UnrecordedAnchor { anchor: 6, first: 7 }));
    }

}
