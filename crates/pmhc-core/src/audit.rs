//! The audit trail: an append-only, hash-chained log of who did what to which record.
//!
//! Every entry carries the SHA-256 of the entry before it (`prev_hash`) and its own `hash`, the
//! SHA-256 of `prev_hash` and the entry's fields in a fixed, length-prefixed encoding. Changing
//! any field of any entry, removing an entry, or reordering entries breaks the chain at that
//! entry, which [`verify`] names. Entries are numbered 1, 2, 3… without gaps, so a removed entry
//! is found even when its neighbours' hashes were recomputed — up to the newest entry, whose
//! number and hash the store also keeps as the chain's head (and `pmhc audit verify` prints, so
//! it can be kept outside the database).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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

fn put(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

/// The hash of an entry: SHA-256 over the previous hash, the number and every field, each
/// length-prefixed (so no two different entries encode the same).
pub fn entry_hash(prev_hash: &str, id: u64, e: &AuditEvent) -> String {
    let mut h = Sha256::new();
    put(&mut h, "pmhc-audit-v1");
    put(&mut h, prev_hash);
    h.update(id.to_le_bytes());
    put(&mut h, &e.at);
    put(&mut h, &e.actor);
    match &e.partner {
        Some(p) => {
            h.update([1]);
            put(&mut h, p);
        }
        None => h.update([0]),
    }
    put(&mut h, e.action.as_str());
    put(&mut h, &e.object);
    h.update((e.field_groups.len() as u64).to_le_bytes());
    for g in &e.field_groups {
        put(&mut h, g);
    }
    put(&mut h, &e.source);
    put(&mut h, e.outcome.as_str());
    put(&mut h, &e.detail);
    hex::encode(h.finalize())
}

/// Make the next entry after `prev` (None: the first).
pub fn next_entry(prev: Option<(u64, &str)>, event: AuditEvent) -> AuditEntry {
    let (id, prev_hash) = match prev {
        Some((id, hash)) => (id + 1, hash.to_string()),
        None => (1, GENESIS.to_string()),
    };
    let hash = entry_hash(&prev_hash, id, &event);
    AuditEntry { id, event, prev_hash, hash }
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
}

impl ChainError {
    /// The first entry found broken.
    pub fn entry(&self) -> u64 {
        match self {
            ChainError::Altered { id } | ChainError::Unlinked { id } => *id,
            ChainError::Missing { expected, .. } => *expected,
            ChainError::Truncated { last, .. } => last + 1,
            ChainError::HeadMismatch { head } => *head,
        }
    }
}

/// Checks entries in order, one at a time (so a long log need not be in memory).
#[derive(Debug, Default)]
pub struct ChainVerifier {
    last: Option<(u64, String)>,
    count: u64,
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// A verifier for a log whose entries up to `anchor` (id and hash of the last removed entry)
    /// were purged after their retention period: the first kept entry must follow the anchor.
    pub fn from_anchor(anchor: Option<(u64, &str)>) -> Self {
        ChainVerifier { last: anchor.map(|(id, h)| (id, h.to_string())), count: 0 }
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
        if entry_hash(&e.prev_hash, e.id, &e.event) != e.hash {
            return Err(ChainError::Altered { id: e.id });
        }
        self.last = Some((e.id, e.hash.clone()));
        self.count += 1;
        Ok(())
    }

    /// After the last entry: compare with the head the store keeps (id and hash of the newest).
    pub fn finish(&self, head: Option<(u64, &str)>) -> Result<u64, ChainError> {
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
}
