//! Who may do what: the roles of a pmhc installation and the permissions each holds.
//!
//! Every route of the web application and the API names the [`Permission`] it needs; the roles
//! of the signed-in user (or of the API token's owner) either hold it or the request is refused.
//! The table is here, in the pure core, so it is one table for pages, API and CLI, and so it can
//! be tested exhaustively. Which records and field groups a permitted user then sees is the
//! sharing rule of [`crate::sharing`] (their partner and its agreements).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Failed sign-ins (wrong passwords and wrong second-factor codes, counted per account across
/// sessions) within [`LOCKOUT_WINDOW`] that lock an account (CJIS Security Policy 5.5.3, AC-7).
pub const LOCKOUT_ATTEMPTS: u32 = 5;
pub const LOCKOUT_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);
/// A lock releases itself after this long (AC-7 allows an automatic release), so an anonymous
/// client cannot keep an account locked; an administrator may unlock it earlier.
pub const LOCKOUT_RELEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// A user's role. A user holds one or more ([`Roles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A partner's administrator: every permission, over its own partner's accounts, records
    /// and audit entries only.
    Administrator,
    /// Runs the workgroup: outcomes, definitions, records (read), the partners' agreements,
    /// the audit trail, the workgroup itself (members, meetings, action items).
    ProjectCoordinator,
    /// Imports CAD/RMS exports, sets the shared definitions, works with records.
    DataSpecialist,
    /// Records encounters in the field and reads their partner's records.
    Officer,
    /// A co-responder or behavioral-health clinician: records encounters, reads records, and
    /// records the people's consents (42 CFR Part 2).
    Clinician,
    /// A workgroup member or agency executive: aggregate outcomes and definitions, and the
    /// workgroup (read; their own action items kept).
    WorkgroupMember,
    /// Runs the installation: adds partners and creates a partner's first administrator; reads no
    /// records. An account it creates in a partner that has an administrator waits for that
    /// administrator's approval.
    InstallationAdministrator,
    /// Reads the whole audit trail, of every partner (its reading is itself audited); nothing else
    /// beyond the aggregate outcomes.
    Auditor,
}

/// Something a request may ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// The dashboard and the outcome reports (aggregates, small counts shown).
    ViewOutcomes,
    /// The shared definitions and their history.
    ViewDefinitions,
    /// Change the shared definitions (saves a new version).
    EditDefinitions,
    /// Read encounter records (record level).
    ViewEncounters,
    /// Create and change encounter records (field form, API).
    EditEncounters,
    /// Import files and read the import history and rejected rows.
    Import,
    /// Manage user accounts and API tokens of other users.
    ManageUsers,
    /// Read the audit trail.
    ViewAudit,
    /// Add partners and make or end information-sharing agreements.
    ManageAgreements,
    /// Record and revoke consents and read the accounting of disclosures.
    ManageConsents,
    /// Read the workgroup: its charge, members, representation, meetings and action items (and
    /// keep one's own action items).
    ViewWorkgroup,
    /// Keep the workgroup: its charge, members, the community's demographics, meetings, minutes,
    /// decisions and everyone's action items.
    ManageWorkgroup,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Permission::ViewOutcomes,
        Permission::ViewDefinitions,
        Permission::EditDefinitions,
        Permission::ViewEncounters,
        Permission::EditEncounters,
        Permission::Import,
        Permission::ManageUsers,
        Permission::ViewAudit,
        Permission::ManageAgreements,
        Permission::ManageConsents,
        Permission::ViewWorkgroup,
        Permission::ManageWorkgroup,
    ];

    /// What a refused user is told they lack.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::ViewOutcomes => "view outcomes",
            Permission::ViewDefinitions => "view the shared definitions",
            Permission::EditDefinitions => "change the shared definitions",
            Permission::ViewEncounters => "view encounter records",
            Permission::EditEncounters => "create or change encounter records",
            Permission::Import => "import files",
            Permission::ManageUsers => "manage user accounts",
            Permission::ViewAudit => "read the audit trail",
            Permission::ManageAgreements => "manage partners and information-sharing agreements",
            Permission::ManageConsents => "record consents and read the accounting of disclosures",
            Permission::ViewWorkgroup => "read the workgroup's members, meetings and action items",
            Permission::ManageWorkgroup => "keep the workgroup's members, meetings and action items",
        }
    }
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Administrator,
        Role::ProjectCoordinator,
        Role::DataSpecialist,
        Role::Officer,
        Role::Clinician,
        Role::WorkgroupMember,
        Role::InstallationAdministrator,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::ProjectCoordinator => "project_coordinator",
            Role::DataSpecialist => "data_specialist",
            Role::Officer => "officer",
            Role::Clinician => "clinician",
            Role::WorkgroupMember => "workgroup_member",
            Role::InstallationAdministrator => "installation_administrator",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::ProjectCoordinator => "Project coordinator",
            Role::DataSpecialist => "Data specialist",
            Role::Officer => "Officer",
            Role::Clinician => "Clinician",
            Role::WorkgroupMember => "Workgroup member",
            Role::InstallationAdministrator => "Installation administrator",
            Role::Auditor => "Auditor",
        }
    }

    /// The permission table.
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Administrator => true,
            Role::ProjectCoordinator => matches!(
                p,
                ViewOutcomes | ViewDefinitions | EditDefinitions | ViewEncounters | ManageAgreements | ViewAudit | ViewWorkgroup | ManageWorkgroup
            ),
            Role::DataSpecialist => {
                matches!(p, ViewOutcomes | ViewDefinitions | EditDefinitions | ViewEncounters | EditEncounters | Import)
            }
            Role::Officer => matches!(p, ViewOutcomes | ViewDefinitions | ViewEncounters | EditEncounters),
            Role::Clinician => {
                matches!(p, ViewOutcomes | ViewDefinitions | ViewEncounters | EditEncounters | ManageConsents)
            }
            Role::WorkgroupMember => matches!(p, ViewOutcomes | ViewDefinitions | ViewWorkgroup),
            Role::InstallationAdministrator => matches!(p, ViewOutcomes | ViewDefinitions | ManageUsers | ManageAgreements),
            Role::Auditor => matches!(p, ViewOutcomes | ViewDefinitions | ViewAudit),
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a role; expected administrator, project_coordinator, data_specialist, officer, clinician, \
     workgroup_member, installation_administrator or auditor"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    /// The names above; spaces and hyphens for underscores; `admin`, `coordinator`; and the
    /// names of the first release (`analyst` is a data specialist, `viewer` a workgroup member).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match t.as_str() {
            "administrator" | "admin" => Ok(Role::Administrator),
            "project_coordinator" | "coordinator" => Ok(Role::ProjectCoordinator),
            "data_specialist" | "analyst" => Ok(Role::DataSpecialist),
            "officer" => Ok(Role::Officer),
            "clinician" => Ok(Role::Clinician),
            "workgroup_member" | "viewer" => Ok(Role::WorkgroupMember),
            "installation_administrator" | "installation_admin" => Ok(Role::InstallationAdministrator),
            "auditor" => Ok(Role::Auditor),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

/// The roles a user holds (at least one); a permission is held when any role holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Roles(u8);

impl Roles {
    pub fn of(roles: &[Role]) -> Roles {
        Roles(roles.iter().fold(0, |a, r| a | r.bit()))
    }
    pub fn contains(self, r: Role) -> bool {
        self.0 & r.bit() != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }
    pub fn can(self, p: Permission) -> bool {
        self.iter().any(|r| r.can(p))
    }
    /// Whether these roles reach identifiable or health data (record level): such accounts must
    /// sign in with a second factor.
    pub fn sees_records(self) -> bool {
        self.can(Permission::ViewEncounters)
            || self.can(Permission::ManageConsents)
            || self.can(Permission::ManageUsers)
            || self.can(Permission::ViewAudit)
    }
    pub fn labels(self) -> String {
        self.iter().map(Role::label).collect::<Vec<_>>().join(", ")
    }
}

impl From<Role> for Roles {
    fn from(r: Role) -> Roles {
        Roles(r.bit())
    }
}

impl fmt::Display for Roles {
    /// Names joined by commas (the stored form).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.iter().map(Role::as_str).collect();
        f.write_str(&names.join(","))
    }
}

impl FromStr for Roles {
    type Err = UnknownRole;
    /// Role names separated by commas; at least one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = Roles::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            out = Roles(out.0 | part.parse::<Role>()?.bit());
        }
        if out.is_empty() { Err(UnknownRole(s.to_string())) } else { Ok(out) }
    }
}

impl Serialize for Roles {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permission_table() {
        // Written out in full so a change to the table is a visible change to this test.
        // Columns: outcomes, definitions, edit definitions, view records, edit records, import,
        // users, audit, agreements, consents, view workgroup, manage workgroup.
        let expected = [
            (Role::Administrator, [true, true, true, true, true, true, true, true, true, true, true, true]),
            (Role::ProjectCoordinator, [true, true, true, true, false, false, false, true, true, false, true, true]),
            (Role::DataSpecialist, [true, true, true, true, true, true, false, false, false, false, false, false]),
            (Role::Officer, [true, true, false, true, true, false, false, false, false, false, false, false]),
            (Role::Clinician, [true, true, false, true, true, false, false, false, false, true, false, false]),
            (Role::WorkgroupMember, [true, true, false, false, false, false, false, false, false, false, true, false]),
            (Role::InstallationAdministrator, [true, true, false, false, false, false, true, false, true, false, false, false]),
            (Role::Auditor, [true, true, false, false, false, false, false, true, false, false, false, false]),
        ];
        for (role, row) in expected {
            for (p, want) in Permission::ALL.iter().zip(row) {
                assert_eq!(role.can(*p), want, "{role} {p:?}");
            }
        }
    }

    #[test]
    fn roles_parse_and_print() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert_eq!(r.as_str().to_uppercase().parse::<Role>(), Ok(r));
            assert_eq!(r.label().parse::<Role>(), Ok(r));
        }
        assert_eq!("admin".parse::<Role>(), Ok(Role::Administrator));
        assert_eq!("analyst".parse::<Role>(), Ok(Role::DataSpecialist));
        assert_eq!("viewer".parse::<Role>(), Ok(Role::WorkgroupMember));
        assert!("root".parse::<Role>().is_err());
        let r: Roles = "officer, clinician".parse().unwrap();
        assert!(r.contains(Role::Officer) && r.contains(Role::Clinician) && !r.contains(Role::Administrator));
        assert_eq!(r.to_string(), "officer,clinician");
        assert!(r.can(Permission::ManageConsents) && r.can(Permission::EditEncounters) && !r.can(Permission::Import));
        assert!("".parse::<Roles>().is_err());
        assert!("officer,root".parse::<Roles>().is_err());
        assert!(!Roles::from(Role::WorkgroupMember).sees_records());
        assert!(Roles::from(Role::Officer).sees_records());
    }
}
