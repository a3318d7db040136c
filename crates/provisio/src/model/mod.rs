//! The domain: each entity set's declaration (members, enums, rules) and what is derived from
//! it — reading bodies, writing JSON, the storage layout, the OData schema and the CSDL. No I/O
//! and no HTTP here.

pub mod audit;
pub mod csdl;
pub mod device;
pub mod device_name;
pub mod entity;
mod enums;
mod ids;
pub mod input;
pub mod json;
pub mod layout;
pub mod output;
mod precondition;
pub(crate) mod profile;
pub mod rules;
pub mod schema;
mod sensitive;
pub mod timestamp;

pub use entity::{Entity, EntitySet};
pub use enums::{EnrollmentMode, EnrollmentTokenType, MembershipTargetType, WifiSecurityType};
pub use ids::{ProfileId, TenantId};
pub use input::{Body, Patch, ProfileInput};
pub use output::Selection;
pub use precondition::{IfMatch, PreconditionFailed};
pub use profile::{
    MembershipTarget, Profile, Token, Wifi, PROFILES, TOKEN_USAGE_COUNT, TOKEN_VALUE,
};
pub use rules::InvalidInput;
pub use sensitive::Sensitive;
pub use timestamp::Timestamp;
