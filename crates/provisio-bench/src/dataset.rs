//! The preloaded profiles, derived from their index alone: the loader and the load generator
//! agree on every id without sharing a list, and a run is repeatable.
//!
//! Names are `Profile 0000123 Warehouse` (sortable, varied); every [`COMMON_EVERY`]th profile is
//! called [`COMMON_NAME`] instead, so the filtered list has a known number of matches.
//!
//! Preloaded managed devices belong to the first [`DEVICE_PROFILES`] profiles: the first
//! [`LISTED_DEVICES`] to profile 0 (whose list the device workloads page through), the others
//! in turn to profiles 1 to 999.

use provisio::model::device::{Identity, ManagedDevice};
use provisio::model::{
    EnrollmentMode, Entity as _, Profile, ProfileId, Sensitive, TenantId, Timestamp,
    WifiSecurityType,
};
use uuid::Uuid;

/// The server's development tenant (`dev_tenant`), which every preloaded row belongs to.
pub const TENANT: &str = "00000000-0000-4000-8000-000000000001";

/// The display name shared by one profile in [`COMMON_EVERY`].
pub const COMMON_NAME: &str = "Lobby kiosk";

/// One profile in this many carries [`COMMON_NAME`] (1%).
pub const COMMON_EVERY: u64 = 100;

const SITES: [&str; 8] = [
    "Warehouse",
    "Front desk",
    "Field service",
    "Retail floor",
    "Clinic",
    "Delivery vans",
    "Training room",
    "Loading dock",
];

/// The development tenant as a [`TenantId`].
pub fn tenant() -> TenantId {
    TenantId(Uuid::from_u128(0x00000000_0000_4000_8000_000000000001))
}

/// SplitMix64: a fast, well-mixed step for ids and for the workers' random choices.
pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The id of preloaded profile `i`: a version-4 GUID made from `i`.
pub fn profile_id(i: u64) -> ProfileId {
    let hi = splitmix64(i.wrapping_mul(2));
    let lo = splitmix64(i.wrapping_mul(2).wrapping_add(1));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_be_bytes());
    bytes[8..].copy_from_slice(&lo.to_be_bytes());
    ProfileId(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

/// The display name of preloaded profile `i`.
pub fn display_name(i: u64) -> String {
    if i.is_multiple_of(COMMON_EVERY) {
        COMMON_NAME.to_owned()
    } else {
        format!(
            "Profile {i:07} {}",
            SITES[(i % SITES.len() as u64) as usize]
        )
    }
}

/// How many of the first `n` profiles are named [`COMMON_NAME`].
pub fn common_count(n: u64) -> u64 {
    n.div_ceil(COMMON_EVERY)
}

/// Preloaded profile `i` of `n`, created `n - i` seconds before `now`. Only the modes whose
/// `createToken` needs no configuration (dedicated, fully managed, work profile) are used.
pub fn profile(i: u64, n: u64, now: Timestamp) -> Profile {
    let created = now
        .plus_seconds(-i64::try_from(n - i.min(n)).unwrap_or(0))
        .unwrap_or(now);
    let mut p = Profile::new(tenant(), profile_id(i), display_name(i), created);
    p.enrollment_mode = match i % 3 {
        0 => EnrollmentMode::CorporateOwnedDedicatedDevice,
        1 => EnrollmentMode::CorporateOwnedFullyManaged,
        _ => EnrollmentMode::CorporateOwnedWorkProfile,
    };
    if i.is_multiple_of(3) {
        p.description = Some(format!("Devices of site {}", i % 97));
    }
    if i.is_multiple_of(4) {
        p.wifi.ssid = Some(format!("site-{}", i % 50));
        p.wifi.security = WifiSecurityType::Wpa;
        p.wifi.password = Some(Sensitive::new(format!("bench-passphrase-{}", i % 1000)));
    }
    p
}

/// The profiles preloaded devices belong to.
pub const DEVICE_PROFILES: u64 = 1_000;

/// The devices of profile 0: enough for 100 pages of 100.
pub const LISTED_DEVICES: u64 = 10_000;

/// The preloaded profile that device `i` belongs to.
pub fn device_profile(i: u64) -> u64 {
    match i.checked_sub(LISTED_DEVICES) {
        None => 0,
        Some(k) => 1 + k % (DEVICE_PROFILES - 1),
    }
}

/// Preloaded device `i` of `n`, enrolled `n - i` seconds before `now`: a Samsung phone with the
/// serial number `SN` and its index, a current (not superseded) record of a dedicated device.
pub fn device(i: u64, n: u64, now: Timestamp) -> ManagedDevice {
    let enrolled = now
        .plus_seconds(-i64::try_from(n - i.min(n)).unwrap_or(0))
        .unwrap_or(now);
    let id = profile_id(i | 1 << 48).0;
    let mut d = ManagedDevice::blank(tenant(), id, enrolled);
    let profile = device_profile(i);
    let serial = format!("SN{i:09}");
    d.device_name = format!("kiosk-{serial}");
    d.serial_number = Some(serial.clone());
    d.manufacturer = Some("samsung".into());
    d.model = Some("SM-G991B".into());
    d.os_version = Some("14".into());
    d.security_patch_level = Some("2026-10-01".into());
    d.device_type = ManagedDevice::device_type_of(EnrollmentMode::CorporateOwnedDedicatedDevice);
    d.enrollment_type =
        ManagedDevice::enrollment_type_of(EnrollmentMode::CorporateOwnedDedicatedDevice);
    d.enrollment_profile_name = Some(display_name(profile));
    d.role_scope_tag_ids = vec!["0".into()];
    d.enrollment_profile_id = profile_id(profile).0;
    d.identity = Identity {
        kind: 2,
        a: "samsung".into(),
        b: "sm-g991b".into(),
        c: serial,
    };
    let words = [1, 2, 3, 4].map(|k| splitmix64(i.wrapping_mul(4).wrapping_add(k)));
    d.credential_hash = words.iter().map(|w| format!("{w:016x}")).collect();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_v4_guids_and_repeatable() {
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|i| profile_id(i).to_string()).collect();
        assert_eq!(ids.len(), 10_000);
        let id = profile_id(42);
        assert_eq!(id, profile_id(42));
        assert_eq!(id.0.get_version_num(), 4);
        assert!(ProfileId::parse(&id.to_string()).is_some());
    }

    #[test]
    fn names_sort_by_index_and_one_in_a_hundred_is_common() {
        assert_eq!(display_name(0), COMMON_NAME);
        assert_eq!(display_name(123), "Profile 0000123 Retail floor");
        assert!(display_name(1) < display_name(2));
        let common = (0..1000)
            .filter(|i| display_name(*i) == COMMON_NAME)
            .count();
        assert_eq!(common as u64, common_count(1000));
        assert_eq!(common_count(1001), 11);
        assert_eq!(tenant().to_string(), TENANT);
    }

    #[test]
    fn profiles_are_valid_rows() {
        let now = Timestamp::now();
        let p = profile(8, 10, now);
        assert_eq!(p.tenant, tenant());
        assert!(p.created < now);
        assert_eq!(p.wifi.ssid.as_deref(), Some("site-8"));
        let row = provisio::model::layout::to_row(&p);
        let back: provisio::model::Profile = provisio::model::layout::from_row(row).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn devices_fill_one_large_profile_then_spread() {
        assert_eq!(device_profile(0), 0);
        assert_eq!(device_profile(LISTED_DEVICES - 1), 0);
        assert_eq!(device_profile(LISTED_DEVICES), 1);
        assert_eq!(
            device_profile(LISTED_DEVICES + DEVICE_PROFILES - 2),
            DEVICE_PROFILES - 1
        );
        assert_eq!(device_profile(LISTED_DEVICES + DEVICE_PROFILES - 1), 1);
        let d = device(7, 10, Timestamp::now());
        assert_eq!(d.enrollment_profile_id, profile_id(0).0);
        assert_eq!(d.credential_hash.len(), 64);
        assert_ne!(d.id, device(8, 10, Timestamp::now()).id);
        let back: ManagedDevice =
            provisio::model::layout::from_row(provisio::model::layout::to_row(&d)).unwrap();
        assert_eq!(back, d);
        assert!(ManagedDevice::set().layout().table == "managed_devices");
    }
}
