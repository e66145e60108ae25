//! Who may do what: the starting roles of a pmhc installation and the permissions each holds.
//!
//! Every route of the web application and the API names the [`Permission`] it needs; the role
//! of the signed-in user (or of the API token's owner) either holds it or the request is refused.
//! The table is here, in the pure core, so it is one table for pages, API and CLI, and so it can
//! be tested exhaustively. (Partners, agreements and field groups refine it later.)

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the installation: everything an analyst may do, plus accounts.
    Administrator,
    /// Works with record-level data: encounters, imports, definitions, reports.
    Analyst,
    /// Reads aggregate outcomes only: dashboard, reports, definitions. No record-level data.
    Viewer,
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
}

impl Permission {
    pub const ALL: [Permission; 8] = [
        Permission::ViewOutcomes,
        Permission::ViewDefinitions,
        Permission::EditDefinitions,
        Permission::ViewEncounters,
        Permission::EditEncounters,
        Permission::Import,
        Permission::ManageUsers,
        Permission::ViewAudit,
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
        }
    }
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Administrator, Role::Analyst, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
        }
    }

    /// The permission table.
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Administrator => true,
            Role::Analyst => !matches!(p, ManageUsers | ViewAudit),
            Role::Viewer => matches!(p, ViewOutcomes | ViewDefinitions),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role; expected administrator, analyst or viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "administrator" | "admin" => Ok(Role::Administrator),
            "analyst" => Ok(Role::Analyst),
            "viewer" => Ok(Role::Viewer),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permission_table() {
        // Written out in full so a change to the table is a visible change to this test.
        let expected = [
            (Role::Administrator, [true, true, true, true, true, true, true, true]),
            (Role::Analyst, [true, true, true, true, true, true, false, false]),
            (Role::Viewer, [true, true, false, false, false, false, false, false]),
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
        }
        assert_eq!("admin".parse::<Role>(), Ok(Role::Administrator));
        assert!("root".parse::<Role>().is_err());
    }
}
