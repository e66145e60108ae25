//! Partners, the ownership of source systems, information-sharing agreements, consents and the
//! accounting of disclosures.

use chrono::{DateTime, NaiveDate, Utc};
use pmhc_core::sharing::{Consent, Direction, FieldGroups, InformationSharingAgreement, Partner, PartnerId, Purpose, Sector};
use sqlx::Row;

use crate::{Store, StoreError, on_pool};

/// One disclosure made under consent (a row of the accounting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRecord {
    pub consent_id: i64,
    pub subject_key: String,
    pub discloser: PartnerId,
    pub recipient: PartnerId,
    pub purpose: Purpose,
    pub username: String,
    /// Where it was disclosed: `page`, `api`, `export`.
    pub channel: String,
    pub source_system: String,
    pub source_key: String,
    pub disclosed_at: DateTime<Utc>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { what: what.into(), detail: e.to_string() }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

type AgreementRow =
    (i64, String, i64, i64, String, String, String, String, NaiveDate, NaiveDate, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>);
type ConsentRow =
    (i64, String, i64, i64, String, String, Option<NaiveDate>, Option<String>, bool, String, NaiveDate, Option<NaiveDate>);

const AGREEMENT_COLUMNS: &str = "id, title, discloser_id, recipient_id, direction, field_groups, purpose, legal_basis, \
     effective_on, expires_on, ended_on, discloser_approved_on, recipient_approved_on";
const CONSENT_COLUMNS: &str = "id, subject_key, discloser_id, recipient_id, information, purpose, expires_on, \
     expiry_event, right_to_revoke_acknowledged, signed_by, signed_on, revoked_on";

fn agreement(r: AgreementRow) -> Result<InformationSharingAgreement, StoreError> {
    let what = "sharing_agreements";
    Ok(InformationSharingAgreement {
        id: r.0,
        title: r.1,
        discloser: r.2,
        recipient: r.3,
        direction: r.4.parse::<Direction>().map_err(|e| corrupt(what, e))?,
        field_groups: r.5.parse::<FieldGroups>().map_err(|e| corrupt(what, e))?,
        purpose: r.6.parse::<Purpose>().map_err(|e| corrupt(what, e))?,
        legal_basis: r.7,
        effective_on: r.8,
        expires_on: r.9,
        ended_on: r.10,
        discloser_approved_on: r.11,
        recipient_approved_on: r.12,
    })
}

fn consent(r: ConsentRow) -> Result<Consent, StoreError> {
    Ok(Consent {
        id: r.0,
        subject_key: r.1,
        discloser: r.2,
        recipient: r.3,
        information: r.4,
        purpose: r.5.parse::<Purpose>().map_err(|e| corrupt("consents", e))?,
        expires_on: r.6,
        expiry_event: r.7,
        right_to_revoke_acknowledged: r.8,
        signed_by: r.9,
        signed_on: r.10,
        revoked_on: r.11,
    })
}

impl Store {
    /// Every partner, by id.
    pub async fn list_partners(&self) -> Result<Vec<Partner>, StoreError> {
        let rows: Vec<(i64, String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, sector FROM partners ORDER BY id")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list partners"))?
        });
        rows.into_iter()
            .map(|(id, name, sector)| {
                Ok(Partner { id, name, sector: sector.parse::<Sector>().map_err(|e| corrupt("partners.sector", e))? })
            })
            .collect()
    }

    /// A partner by id, or by name when `key` is not a number.
    pub async fn find_partner(&self, key: &str) -> Result<Partner, StoreError> {
        let key = key.trim();
        self.list_partners()
            .await?
            .into_iter()
            .find(|p| key.parse::<i64>().is_ok_and(|id| id == p.id) || p.name.eq_ignore_ascii_case(key))
            .ok_or_else(|| StoreError::PartnerNotFound(key.to_string()))
    }

    /// Add a partner.
    pub async fn add_partner(&self, name: &str, sector: Sector) -> Result<Partner, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.contains('\0') || name.chars().count() > 200 {
            return Err(StoreError::Invalid("a partner's name must be 1 to 200 characters, without NUL".into()));
        }
        let r = on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>("INSERT INTO partners (name, sector, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(name)
                .bind(sector.as_str())
                .bind(crate::clock::real_now())
                .fetch_one(pool)
                .await
        });
        match r {
            Ok(id) => Ok(Partner { id, name: name.to_string(), sector }),
            Err(e) if is_unique_violation(&e) => Err(StoreError::PartnerExists(name.to_string())),
            Err(e) => Err(StoreError::db(self.backend_name(), "add a partner")(e)),
        }
    }

    /// Rename a partner or change its sector.
    pub async fn update_partner(&self, id: PartnerId, name: Option<&str>, sector: Option<Sector>) -> Result<Partner, StoreError> {
        if let Some(n) = name
            && (n.trim().is_empty() || n.contains('\0'))
        {
            return Err(StoreError::Invalid("a partner's name must not be empty or contain NUL".into()));
        }
        let r = on_pool!(self, pool => {
            sqlx::query("UPDATE partners SET name = COALESCE($2, name), sector = COALESCE($3, sector) WHERE id = $1")
                .bind(id)
                .bind(name.map(str::trim))
                .bind(sector.map(Sector::as_str))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        });
        match r {
            Ok(0) => Err(StoreError::PartnerNotFound(id.to_string())),
            Ok(_) => self.find_partner(&id.to_string()).await,
            Err(e) if is_unique_violation(&e) => Err(StoreError::PartnerExists(name.unwrap_or_default().to_string())),
            Err(e) => Err(StoreError::db(self.backend_name(), "change a partner")(e)),
        }
    }

    /// Which partner owns each source system.
    pub async fn source_system_owners(&self) -> Result<Vec<(String, PartnerId)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT name, partner_id FROM source_systems ORDER BY name")
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list source systems"))?
        }))
    }

    /// The partner owning the source system of a record, if it has been written.
    pub async fn owner_of_source(&self, system: &str) -> Result<Option<PartnerId>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT partner_id FROM source_systems WHERE name = $1")
                .bind(system)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "find a source system's partner"))?
        }))
    }

    /// Every agreement, by id.
    pub async fn list_agreements(&self) -> Result<Vec<InformationSharingAgreement>, StoreError> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM sharing_agreements ORDER BY id");
        let rows: Vec<AgreementRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(pool)
                .await
                .map_err(StoreError::db(BACKEND, "list agreements"))?
        });
        rows.into_iter().map(agreement).collect()
    }

    /// Save a new agreement (its `id` is ignored); returns it with its id.
    pub async fn add_agreement(
        &self,
        a: &InformationSharingAgreement,
        created_by: &str,
    ) -> Result<InformationSharingAgreement, StoreError> {
        a.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        for p in [a.discloser, a.recipient] {
            self.find_partner(&p.to_string()).await?;
        }
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO sharing_agreements (title, discloser_id, recipient_id, direction, field_groups, purpose, \
                 legal_basis, effective_on, expires_on, created_by, created_at, discloser_approved_on, discloser_approved_by, \
                 recipient_approved_on, recipient_approved_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            )
            .bind(a.title.trim())
            .bind(a.discloser)
            .bind(a.recipient)
            .bind(a.direction.as_str())
            .bind(a.field_groups.to_list())
            .bind(a.purpose.as_str())
            .bind(a.legal_basis.trim())
            .bind(a.effective_on)
            .bind(a.expires_on)
            .bind(created_by)
            .bind(crate::clock::real_now())
            .bind(a.discloser_approved_on)
            .bind(a.discloser_approved_on.map(|_| created_by))
            .bind(a.recipient_approved_on)
            .bind(a.recipient_approved_on.map(|_| created_by))
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(BACKEND, "save an agreement"))?
        });
        Ok(InformationSharingAgreement { id, ended_on: None, ..a.clone() })
    }

    /// One agreement by id.
    pub async fn agreement(&self, id: i64) -> Result<Option<InformationSharingAgreement>, StoreError> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM sharing_agreements WHERE id = $1");
        let row: Option<AgreementRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read an agreement"))?
        });
        row.map(agreement).transpose()
    }

    /// Record a party's approval of an agreement on `day` by `by` (a user of that party). Returns
    /// the agreement as it is now; an approval already given is kept.
    pub async fn approve_agreement(&self, id: i64, party: PartnerId, day: NaiveDate, by: &str) -> Result<InformationSharingAgreement, StoreError> {
        let a = self.agreement(id).await?.ok_or(StoreError::NotFound { what: "agreement", id })?;
        let side = if party == a.discloser {
            "discloser"
        } else if party == a.recipient {
            "recipient"
        } else {
            return Err(StoreError::Invalid(format!("partner {party} is not a party to agreement #{id}")));
        };
        let sql = format!(
            "UPDATE sharing_agreements SET {side}_approved_on = $2, {side}_approved_by = $3 WHERE id = $1 AND {side}_approved_on IS NULL"
        );
        on_pool!(self, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(day)
                .bind(by)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "approve an agreement"))?
                .rows_affected()
        });
        self.agreement(id).await?.ok_or(StoreError::NotFound { what: "agreement", id })
    }

    /// End an agreement early, from `day` on.
    pub async fn end_agreement(&self, id: i64, day: NaiveDate) -> Result<(), StoreError> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE sharing_agreements SET ended_on = $2 WHERE id = $1 AND ended_on IS NULL")
                .bind(id)
                .bind(day)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "end an agreement"))?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound { what: "agreement in force", id });
        }
        Ok(())
    }

    /// The consents on file, of one person or of everyone, newest first.
    pub async fn list_consents(&self, subject: Option<&str>) -> Result<Vec<Consent>, StoreError> {
        let sql = format!(
            "SELECT {CONSENT_COLUMNS} FROM consents WHERE ($1 IS NULL OR subject_key = $1) ORDER BY id DESC"
        );
        let sql_pg = format!(
            "SELECT {CONSENT_COLUMNS} FROM consents WHERE ($1::text IS NULL OR subject_key = $1) ORDER BY id DESC"
        );
        let rows: Vec<ConsentRow> = match (self.sqlite_pool(), self.postgres_pool()) {
            (Some(pool), _) => sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(subject)
                .fetch_all(pool)
                .await
                .map_err(StoreError::db("sqlite", "list consents"))?,
            (None, Some(pool)) => sqlx::query_as(sqlx::AssertSqlSafe(sql_pg))
                .bind(subject)
                .fetch_all(pool)
                .await
                .map_err(StoreError::db("postgres", "list consents"))?,
            (None, None) => unreachable!("a store has one backend"),
        };
        rows.into_iter().map(consent).collect()
    }

    /// The consents given to `recipient` by any of these people (what a page of records needs).
    pub async fn consents_to(&self, recipient: PartnerId, subjects: &[&str]) -> Result<Vec<Consent>, StoreError> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for chunk in subjects.chunks(200) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {CONSENT_COLUMNS} FROM consents WHERE recipient_id = $1 AND revoked_on IS NULL AND subject_key IN ({})",
                marks.join(", ")
            );
            let rows: Vec<ConsentRow> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(recipient);
                for s in chunk {
                    q = q.bind(*s);
                }
                q.fetch_all(pool).await.map_err(StoreError::db(BACKEND, "read consents"))?
            });
            for r in rows {
                out.push(consent(r)?);
            }
        }
        Ok(out)
    }

    /// Record a consent (its `id` is ignored) after checking every element is present.
    pub async fn add_consent(&self, c: &Consent, created_by: &str) -> Result<Consent, StoreError> {
        c.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        for p in [c.discloser, c.recipient] {
            self.find_partner(&p.to_string()).await?;
        }
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO consents (subject_key, discloser_id, recipient_id, information, purpose, expires_on, \
                 expiry_event, right_to_revoke_acknowledged, signed_by, signed_on, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(c.subject_key.trim())
            .bind(c.discloser)
            .bind(c.recipient)
            .bind(c.information.trim())
            .bind(c.purpose.as_str())
            .bind(c.expires_on)
            .bind(c.expiry_event.as_deref().map(str::trim).filter(|e| !e.is_empty()))
            .bind(c.right_to_revoke_acknowledged)
            .bind(c.signed_by.trim())
            .bind(c.signed_on)
            .bind(created_by)
            .bind(crate::clock::real_now())
            .fetch_one(pool)
            .await
            .map_err(StoreError::db(BACKEND, "record a consent"))?
        });
        Ok(Consent { id, revoked_on: None, ..c.clone() })
    }

    /// Revoke a consent from `day` on. Returns the consent.
    pub async fn revoke_consent(&self, id: i64, day: NaiveDate) -> Result<Consent, StoreError> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE consents SET revoked_on = $2 WHERE id = $1 AND revoked_on IS NULL")
                .bind(id)
                .bind(day)
                .execute(pool)
                .await
                .map_err(StoreError::db(BACKEND, "revoke a consent"))?
                .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound { what: "unrevoked consent", id });
        }
        self.consent(id).await?.ok_or(StoreError::NotFound { what: "consent", id })
    }

    /// One consent.
    pub async fn consent(&self, id: i64) -> Result<Option<Consent>, StoreError> {
        let sql = format!("SELECT {CONSENT_COLUMNS} FROM consents WHERE id = $1");
        let row: Option<ConsentRow> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(StoreError::db(BACKEND, "read a consent"))?
        });
        row.map(consent).transpose()
    }

    /// Add rows to the accounting of disclosures.
    pub async fn record_disclosures(&self, rows: &[DisclosureRecord]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::db(BACKEND, "account for disclosures"))?;
            for d in rows {
                sqlx::query(
                    "INSERT INTO disclosures (consent_id, subject_key, discloser_id, recipient_id, purpose, username, \
                     channel, source_system, source_key, disclosed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(d.consent_id)
                .bind(&d.subject_key)
                .bind(d.discloser)
                .bind(d.recipient)
                .bind(d.purpose.as_str())
                .bind(&d.username)
                .bind(&d.channel)
                .bind(&d.source_system)
                .bind(&d.source_key)
                .bind(d.disclosed_at)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(BACKEND, "account for a disclosure"))?;
            }
            tx.commit().await.map_err(StoreError::db(BACKEND, "account for disclosures"))?;
        });
        Ok(())
    }

    /// The accounting of disclosures of one person's records since `since`, newest first.
    pub async fn list_disclosures(&self, subject: &str, since: DateTime<Utc>) -> Result<Vec<DisclosureRecord>, StoreError> {
        let op = "read the accounting of disclosures";
        on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT consent_id, subject_key, discloser_id, recipient_id, purpose, username, channel, source_system, \
                 source_key, disclosed_at FROM disclosures WHERE subject_key = $1 AND disclosed_at >= $2 \
                 ORDER BY disclosed_at DESC, id DESC",
            )
            .bind(subject)
            .bind(since)
            .fetch_all(pool)
            .await
            .map_err(StoreError::db(BACKEND, op))?;
            rows.iter()
                .map(|r| {
                    let purpose: String = r.try_get(4).map_err(StoreError::db(BACKEND, op))?;
                    Ok(DisclosureRecord {
                        consent_id: r.try_get(0).map_err(StoreError::db(BACKEND, op))?,
                        subject_key: r.try_get(1).map_err(StoreError::db(BACKEND, op))?,
                        discloser: r.try_get(2).map_err(StoreError::db(BACKEND, op))?,
                        recipient: r.try_get(3).map_err(StoreError::db(BACKEND, op))?,
                        purpose: purpose.parse().map_err(|e| corrupt("disclosures.purpose", e))?,
                        username: r.try_get(5).map_err(StoreError::db(BACKEND, op))?,
                        channel: r.try_get(6).map_err(StoreError::db(BACKEND, op))?,
                        source_system: r.try_get(7).map_err(StoreError::db(BACKEND, op))?,
                        source_key: r.try_get(8).map_err(StoreError::db(BACKEND, op))?,
                        disclosed_at: r.try_get(9).map_err(StoreError::db(BACKEND, op))?,
                    })
                })
                .collect()
        })
    }
}
