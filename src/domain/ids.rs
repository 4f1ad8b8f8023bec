//! Typed identifiers. A UUID that names an employee cannot be passed where an
//! organisation is expected.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            #[must_use]
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// One customer; every record belongs to exactly one.
    OrgId
);
id_type!(
    /// Tidsvakt's own id of an employee.
    EmployeeId
);
id_type!(
    /// A clock event's client-generated idempotency key.
    EventId
);
id_type!(
    /// A correction's client-generated idempotency key. An added event takes
    /// this id as its event id.
    AmendmentId
);
id_type!(
    /// An API token (not its secret).
    TokenId
);
