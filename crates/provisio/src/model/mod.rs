//! The domain: the profile entity, its members and enums, the input rules, and its JSON form.
//! No I/O and no HTTP here.

pub mod csdl;
mod enums;
mod ids;
pub mod input;
pub mod json;
pub mod members;
pub mod output;
mod profile;
pub mod rules;
pub mod schema;
mod sensitive;
mod timestamp;

pub use enums::{EnrollmentMode, EnrollmentTokenType, MembershipTargetType, WifiSecurityType};
pub use ids::{ProfileId, TenantId};
pub use input::{Patch, ProfileInput};
pub use members::Member;
pub use output::Selection;
pub use profile::{MembershipTarget, Profile, Token, Wifi};
pub use rules::InvalidInput;
pub use sensitive::Sensitive;
pub use timestamp::Timestamp;
