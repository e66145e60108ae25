//! Closed lists with a stored name and a label: the encounter's code lists (`codes`: disposition,
//! response model, …) and the other lists of the domain (sectors, field groups, purposes, service
//! kinds, intercepts, referral states, course kinds, …). One macro, `closed_list!`, declares them
//! all, so every list has the same `ALL`, `as_str`, `label`, `Display`, serde form (the stored
//! name as a string) and OpenAPI schema (a string enum of the stored names, described by what the
//! list is).
//!
//! The lists come in two kinds, because their text comes from different places; they differ in how
//! they read it, and code lists are also [`CodeList`](crate::codes::CodeList)s:
//!
//! - `code`: the encounter's code lists. They are addressed by mapping files, the field registry
//!   and the shared definitions through [`CodeList`](crate::codes::CodeList) (which holds their
//!   `ALL`, `as_str` and `label`; the other lists have them as inherent items), and read the stored
//!   code in any case and nothing else (as `canonical_code` does for an import): a source value
//!   such as `non emergency` must stay an unknown code that the mapping names, not quietly become
//!   `non_emergency`. Their serde form reads the same way. Every code list has a default
//!   (`Unknown`; a date's precision: `Day`). A wrong code is an
//!   [`UnknownCode`](crate::codes::UnknownCode).
//! - `name`: lists that people type in forms and CSV files (the service inventory, training
//!   rosters, agreements). They also accept spaces, hyphens or slashes for underscores
//!   (`crisis centre`, `one-way`); their serde form (the JSON API) takes the stored name exactly.
//!   A wrong name is an [`UnknownName`].

/// A name that is not one of the list's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not a {what}; expected one of: {expected}")]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub expected: String,
}

/// Declare a closed list:
///
/// ```text
/// closed_list! {
///     /// What the list is.
///     code Name, "what it is", default = Unknown {   // or: name Name, "what it is" { … }
///         Variant = "stored_name" / "Label",
///         …
///     }
/// }
/// ```
///
/// `code` lists implement [`CodeList`](crate::codes::CodeList) (their "what it is" is the list's
/// name in mapping files) and need a default; `name` lists may have one. See the module's
/// documentation for how each kind reads text.
macro_rules! closed_list {
    (
        $(#[$m:meta])*
        $kind:ident $name:ident, $what:literal $(, default = $default:ident)? {
            $( $(#[$vm:meta])* $v:ident = $s:literal / $label:literal ),+ $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vm])* $v ),+ }

        $(
            impl Default for $name {
                fn default() -> Self {
                    $name::$default
                }
            }
        )?

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(match self { $( $name::$v => $s ),+ })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(match self { $( $name::$v => $s ),+ })
            }
        }

        // The schema by hand: the stored names are the JSON names (a derive would read the
        // variant names through this macro).
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([ $( $s ),+ ]))
                    .description(Some($what))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        closed_list!(@read $kind $name, $what, [ $( $v = $s / $label ),+ ]);
    };

    // The encounter's codes: `ALL`, `as_str` and `label` are `CodeList`'s (the field registry and
    // the crates that print codes reach them through the trait); the stored code is read in any
    // case, as mapping files and imports read it.
    (@read code $name:ident, $what:literal, [ $( $v:ident = $s:literal / $label:literal ),+ ]) => {
        impl $crate::codes::CodeList for $name {
            const LIST: &'static str = $what;
            const ALL: &'static [Self] = &[ $( $name::$v ),+ ];
            fn as_str(self) -> &'static str {
                match self { $( $name::$v => $s ),+ }
            }
            fn label(self) -> &'static str {
                match self { $( $name::$v => $label ),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::codes::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as $crate::codes::CodeList>::parse_code(s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };

    // Names people type: any case, with spaces, hyphens or slashes for underscores; JSON exactly.
    (@read name $name:ident, $what:literal, [ $( $v:ident = $s:literal / $label:literal ),+ ]) => {
        impl $name {
            /// Every value, in the list's order.
            pub const ALL: &'static [$name] = &[ $( $name::$v ),+ ];

            /// The stored name (database, CSV, JSON).
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$v => $s ),+ }
            }

            /// The label shown to people.
            pub fn label(self) -> &'static str {
                match self { $( $name::$v => $label ),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::names::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim().to_ascii_lowercase().replace(['-', ' ', '/'], "_");
                $name::ALL.iter().copied().find(|v| v.as_str() == t).ok_or_else(|| $crate::names::UnknownName {
                    what: $what,
                    given: s.to_string(),
                    expected: $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                })
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                const NAMES: &[&str] = &[ $( $s ),+ ];
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| ::serde::de::Error::unknown_variant(&s, NAMES))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::codes::{CodeList, UnknownCode};

    use super::UnknownName;

    closed_list! {
        /// A code list for the tests.
        code Shade, "shade", default = Unknown {
            DarkBlue = "dark_blue" / "Dark blue",
            Unknown = "unknown" / "Unknown",
        }
    }

    closed_list! {
        /// A list of names for the tests.
        name Tool, "tool" {
            /// With a slash in its label.
            SpiritLevel = "spirit_level" / "Spirit level / bubble",
            Saw = "saw" / "Saw",
        }
    }

    #[test]
    fn both_kinds_print_serialize_and_list_alike() {
        assert_eq!(Shade::ALL, &[Shade::DarkBlue, Shade::Unknown]);
        assert_eq!(Tool::ALL, &[Tool::SpiritLevel, Tool::Saw]);
        assert_eq!((Shade::DarkBlue.as_str(), Shade::DarkBlue.label()), ("dark_blue", "Dark blue"));
        assert_eq!((Tool::SpiritLevel.as_str(), Tool::SpiritLevel.label()), ("spirit_level", "Spirit level / bubble"));
        assert_eq!(Shade::DarkBlue.to_string(), "dark_blue");
        assert_eq!(Tool::SpiritLevel.to_string(), "spirit_level");
        assert_eq!(serde_json::to_string(&[Shade::DarkBlue]).unwrap(), "[\"dark_blue\"]");
        assert_eq!(serde_json::to_string(&[Tool::SpiritLevel]).unwrap(), "[\"spirit_level\"]");
        assert_eq!(Shade::default(), Shade::Unknown);
        assert_eq!(Shade::LIST, "shade");
        assert!(Shade::DarkBlue < Shade::Unknown && Tool::SpiritLevel < Tool::Saw, "ordered as listed");
    }

    #[test]
    fn codes_read_the_stored_code_in_any_case_only() {
        assert_eq!(" DARK_BLUE ".parse::<Shade>(), Ok(Shade::DarkBlue));
        assert_eq!(serde_json::from_str::<Shade>("\"Dark_Blue\"").unwrap(), Shade::DarkBlue);
        let err = "dark blue".parse::<Shade>().unwrap_err();
        assert_eq!(err, UnknownCode { list: "shade", value: "dark blue".into(), expected: "dark_blue, unknown".into() });
        assert_eq!(err.to_string(), "`dark blue` is not a shade code; expected one of: dark_blue, unknown");
        assert!(serde_json::from_str::<Shade>("\"dark-blue\"").unwrap_err().to_string().contains("is not a shade code"));
    }

    #[test]
    fn names_read_what_people_type_and_json_exactly() {
        for typed in ["spirit_level", "Spirit Level", " spirit-level ", "SPIRIT/LEVEL"] {
            assert_eq!(typed.parse::<Tool>(), Ok(Tool::SpiritLevel), "{typed}");
        }
        let err = "hammer".parse::<Tool>().unwrap_err();
        assert_eq!(err, UnknownName { what: "tool", given: "hammer".into(), expected: "spirit_level, saw".into() });
        assert_eq!(err.to_string(), "`hammer` is not a tool; expected one of: spirit_level, saw");
        assert_eq!(serde_json::from_str::<Tool>("\"spirit_level\"").unwrap(), Tool::SpiritLevel);
        let err = serde_json::from_str::<Tool>("\"Spirit Level\"").unwrap_err().to_string();
        assert!(err.starts_with("unknown variant `Spirit Level`, expected `spirit_level` or `saw`"), "{err}");
    }

    #[cfg(feature = "openapi")]
    #[test]
    fn both_kinds_describe_themselves_as_string_enums() {
        use utoipa::PartialSchema;
        for (schema, names, what) in [(Shade::schema(), ["dark_blue", "unknown"], "shade"), (Tool::schema(), ["spirit_level", "saw"], "tool")] {
            let j = serde_json::to_value(&schema).unwrap();
            assert_eq!(j["type"], "string");
            assert_eq!(j["enum"], serde_json::json!(names));
            assert_eq!(j["description"], what);
        }
    }
}
