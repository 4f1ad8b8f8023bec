//! The rule packs as a type (issue 13 item 10). A pack id is parsed once,
//! where it enters (the API, a stored row), and every layer after that
//! matches on this enum: there is no string to mistype and no silent
//! fall-back to Norway. What a pack *is* lives here and in the catalog
//! (`super::catalog`: parameters, legal ranges, citations, version).

use std::fmt;

/// One rule pack (rules.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RulePack {
    /// Arbeidsmiljøloven chapter 10 (Norway); the default.
    #[default]
    NoAml,
    /// Directive 2003/88/EC.
    EuWtd,
    /// Arbeitszeitgesetz (Germany).
    DeArbzg,
}

impl RulePack {
    /// Every pack, in the catalog's order.
    pub const ALL: [Self; 3] = [Self::NoAml, Self::EuWtd, Self::DeArbzg];

    /// The pack's id, as stored and sent.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoAml => "no-aml",
            Self::EuWtd => "eu-wtd",
            Self::DeArbzg => "de-arbzg",
        }
    }

    /// The pack of an id; `None` for an id no pack has.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The version this build implements.
    #[must_use]
    pub fn version(self) -> &'static str {
        super::catalog::pack_version(self.as_str()).unwrap_or_default()
    }

    /// The rule holding the pack's `warning_at` share.
    #[must_use]
    pub fn limits_rule(self) -> &'static str {
        match self {
            Self::NoAml => "no.limits",
            Self::EuWtd => "eu.limits",
            Self::DeArbzg => "de.limits",
        }
    }

    /// The record-keeping rule (`no.record` and its kin).
    #[must_use]
    pub fn record_rule(self) -> &'static str {
        match self {
            Self::NoAml => "no.record",
            Self::EuWtd => "eu.record",
            Self::DeArbzg => "de.record",
        }
    }

    /// The daily and (where the pack has one) weekly rest rules.
    #[must_use]
    pub fn rest_rules(self) -> (&'static str, Option<&'static str>) {
        match self {
            Self::NoAml => ("no.daily_rest", Some("no.weekly_rest")),
            Self::EuWtd => ("eu.daily_rest", Some("eu.weekly_rest")),
            Self::DeArbzg => ("de.rest", None),
        }
    }

    /// Whether the Norwegian national holidays and the § 10-10 window apply;
    /// other packs use the organisation's holiday calendar alone (German
    /// holidays vary by Land, rules.md § 3).
    #[must_use]
    pub fn national_holidays(self) -> bool {
        self == Self::NoAml
    }
}

impl fmt::Display for RulePack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for RulePack {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RulePack {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pack_round_trips_and_is_in_the_catalog() {
        for p in RulePack::ALL {
            assert_eq!(RulePack::parse(p.as_str()), Some(p));
            assert!(super::super::catalog::pack_version(p.as_str()).is_some());
        }
        assert_eq!(RulePack::ALL.len(), super::super::catalog::PACKS.len());
        assert_eq!(RulePack::parse("us-flsa"), None);
        assert_eq!(RulePack::parse("No-Aml"), None);
    }

    /// Each pack's own rules, its version from the catalog, its display
    /// name and comparisons with a stored id.
    #[test]
    fn every_pack_names_its_own_rules() {
        use RulePack::{DeArbzg, EuWtd, NoAml};
        assert_eq!(
            RulePack::ALL.map(RulePack::limits_rule),
            ["no.limits", "eu.limits", "de.limits"]
        );
        assert_eq!(
            RulePack::ALL.map(RulePack::record_rule),
            ["no.record", "eu.record", "de.record"]
        );
        assert_eq!(
            RulePack::ALL.map(RulePack::rest_rules),
            [
                ("no.daily_rest", Some("no.weekly_rest")),
                ("eu.daily_rest", Some("eu.weekly_rest")),
                ("de.rest", None),
            ]
        );
        assert_eq!(
            RulePack::ALL.map(RulePack::national_holidays),
            [true, false, false]
        );
        for p in RulePack::ALL {
            assert_eq!(
                Some(p.version()),
                super::super::catalog::pack_version(p.as_str())
            );
            assert!(!p.version().is_empty());
            assert_eq!(p.to_string(), p.as_str());
            assert!(p == p.as_str());
            assert!(p == *p.as_str());
        }
        assert!(NoAml != "eu-wtd");
        assert!(EuWtd != *"no-aml");
        assert!(DeArbzg == "de-arbzg");
    }
}
