//! Unit tests of which controller each mode's code names, what the extras carry, the capacity
//! check and the settings fingerprint.

use android_provisioning::{fits, payload, Dpc, PayloadRequest};
use serde_json::Value;

use super::*;
use crate::model::{ProfileId, TenantId, Timestamp};

const TOKEN: &str = "WINFPMWZHDMYATCYIHVK";
const EXTRAS: &str = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";
const COMPONENT: &str = "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME";

/// The `[aosp_dpc]` table of README's example, with `public_base_url = "https://mdm.example.com"`.
fn readme_settings(all_modes: bool) -> AospDpcSettings {
    AospDpcSettings {
        component_name: Some("com.example.dpc/.AdminReceiver".into()),
        download_url: Some("https://downloads.example.com/dpc-4.2.apk".into()),
        signature_checksum: Some("I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg".into()),
        token_extras_key: Some("com.example.dpc.EXTRA_ENROLLMENT_TOKEN".into()),
        enrollment_url_extras_key: Some("com.example.dpc.EXTRA_ENROLLMENT_URL".into()),
        enrollment_url: None,
        all_modes,
    }
}

fn codes(settings: &AospDpcSettings) -> QrCodes {
    let dpc = settings.build(Some("https://mdm.example.com")).unwrap();
    QrCodes::new(dpc, settings.all_modes).unwrap()
}

fn profile(mode: EnrollmentMode) -> Profile {
    let mut p = Profile::new(
        TenantId(uuid::Uuid::nil()),
        ProfileId::new_random(),
        "p".into(),
        Timestamp::now(),
    );
    p.enrollment_mode = mode;
    p.wifi.configure = false;
    p
}

fn modes() -> impl Iterator<Item = EnrollmentMode> {
    EnrollmentMode::MEMBERS
        .iter()
        .filter_map(|(_, v)| EnrollmentMode::from_value(*v))
}

#[test]
fn each_mode_names_the_controller_its_setting_gives() {
    for all_modes in [false, true] {
        let qr = codes(&readme_settings(all_modes));
        for mode in modes() {
            let text = qr.content(&profile(mode), TOKEN).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            let extras = v[EXTRAS].as_object().unwrap();
            if mode.is_aosp() || all_modes {
                assert_eq!(v[COMPONENT], "com.example.dpc/.AdminReceiver", "{text}");
                assert_eq!(extras.len(), 4, "{text}");
                assert_eq!(extras["com.example.dpc.EXTRA_ENROLLMENT_TOKEN"], TOKEN);
                assert_eq!(
                    extras["com.example.dpc.EXTRA_ENROLLMENT_URL"],
                    "https://mdm.example.com/"
                );
                assert_eq!(extras["provisio.enrollmentMode"], mode.name());
                assert_eq!(extras["provisio.protocolVersion"], "1");
            } else {
                assert_eq!(
                    v[COMPONENT],
                    android_provisioning::ANDROID_DEVICE_POLICY_COMPONENT
                );
                assert_eq!(extras.len(), 1, "{text}");
                assert_eq!(
                    extras[android_provisioning::ANDROID_DEVICE_POLICY_TOKEN_EXTRAS_KEY],
                    TOKEN
                );
            }
        }
    }
}

#[test]
fn without_a_dpc_gms_modes_use_google_s_and_aosp_modes_are_refused() {
    let qr = QrCodes::new(None, false).unwrap();
    for mode in modes() {
        let result = qr.content(&profile(mode), TOKEN);
        if mode.is_aosp() {
            let e = result.unwrap_err();
            assert!(matches!(e, ApiError::Conflict(_)), "{e}");
        } else {
            assert!(result.unwrap().contains("clouddpc"));
        }
    }
}

/// The two payloads docs/QR.md shows for your DPC, compacted.
#[test]
fn the_documented_payloads() {
    let head = concat!(
        r#"{"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"com.example.dpc/.AdminReceiver","#,
        r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM":"I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg","#,
        r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":"https://downloads.example.com/dpc-4.2.apk","#,
        r#""android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"com.example.dpc.EXTRA_ENROLLMENT_TOKEN":"WINFPMWZHDMYATCYIHVK","#,
        r#""com.example.dpc.EXTRA_ENROLLMENT_URL":"https://mdm.example.com/","#,
    );
    let qr = codes(&readme_settings(true));
    for (mode, name) in [
        (
            EnrollmentMode::CorporateOwnedAospUserlessDevice,
            "corporateOwnedAOSPUserlessDevice",
        ),
        (
            EnrollmentMode::CorporateOwnedDedicatedDevice,
            "corporateOwnedDedicatedDevice",
        ),
    ] {
        let expected = format!(
            r#"{head}"provisio.enrollmentMode":"{name}","provisio.protocolVersion":"1"}}}}"#
        );
        assert_eq!(qr.content(&profile(mode), TOKEN).unwrap(), expected);
    }
}

#[test]
fn all_modes_needs_the_dpc() {
    let settings = AospDpcSettings {
        all_modes: true,
        ..AospDpcSettings::default()
    };
    let e = settings.build(Some("https://mdm.example.com")).unwrap_err();
    assert!(e.to_string().contains("aosp_dpc.all_modes"), "{e}");
    assert!(e.to_string().contains("aosp_dpc.component_name"), "{e}");
    assert!(QrCodes::new(None, true).is_err());
}

/// A DPC whose payload fits with the shorter AOSP mode name but not with the longest one is
/// refused: the check assumes the longest.
#[test]
fn the_capacity_check_assumes_the_longest_mode_name() {
    let with_url = |len: usize| {
        let mut s = readme_settings(false);
        let base = "https://downloads.example.com/";
        s.download_url = Some(format!("{base}{}", "a".repeat(len - base.len())));
        s.build(Some("https://mdm.example.com")).unwrap().unwrap()
    };
    let text = |dpc: &CustomDpc, mode: EnrollmentMode| {
        payload(&PayloadRequest {
            dpc: Dpc::Custom(dpc),
            token: SAMPLE_TOKEN,
            enrollment_mode: mode.name(),
            wifi: None,
        })
    };
    let first_refused = (2_000..3_000)
        .find(|&len| QrCodes::new(Some(with_url(len)), false).is_err())
        .expect("some URL length is too long");
    let dpc = with_url(first_refused);
    assert!(fits(&text(
        &dpc,
        EnrollmentMode::CorporateOwnedAospUserlessDevice
    )));
    assert!(!fits(&text(
        &dpc,
        EnrollmentMode::CorporateOwnedAospUserAssociatedDevice
    )));
}

#[test]
fn the_fingerprint_follows_every_setting_that_changes_a_code() {
    let base = codes(&readme_settings(false)).fingerprint();
    assert_eq!(base.len(), 64);
    assert!(base.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(codes(&readme_settings(false)).fingerprint(), base);
    let all = codes(&readme_settings(true)).fingerprint();
    assert_ne!(all, base);
    let none = QrCodes::new(None, false).unwrap().fingerprint();
    assert_ne!(none, base);
    assert_ne!(none, all);
    let mut other_url = readme_settings(false);
    other_url.enrollment_url = Some("https://enroll.example.com".into());
    assert_ne!(codes(&other_url).fingerprint(), base);
    let mut other_key = readme_settings(false);
    other_key.token_extras_key = Some("com.example.dpc.TOKEN".into());
    assert_ne!(codes(&other_key).fingerprint(), base);
}
