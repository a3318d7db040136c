//! Every DPC × Wi-Fi combination: payload → PNG → rqrr and zbarimg → the same bytes.

use crate::common::{assert_roundtrip, custom_dpc};
use android_provisioning::{payload, Dpc, EcLevel, PayloadRequest, Wifi, WifiSecurity};

const TOKEN: &str = "WINFPMWZHDMYATCYIHVK";

/// The Graph enrollment modes, by name; each Wi-Fi variant is drawn with one of them in turn.
const MODES: [&str; 5] = [
    "corporateOwnedDedicatedDevice",
    "corporateOwnedFullyManaged",
    "corporateOwnedWorkProfile",
    "corporateOwnedAOSPUserlessDevice",
    "corporateOwnedAOSPUserAssociatedDevice",
];

fn wifi_variants() -> Vec<Option<Wifi<'static>>> {
    let mut variants = vec![None];
    for security in [WifiSecurity::None, WifiSecurity::Wpa, WifiSecurity::Wep] {
        for password in [None, Some("correct horse battery staple")] {
            for hidden in [false, true] {
                variants.push(Some(Wifi {
                    ssid: "Corp Guest",
                    security,
                    password,
                    hidden,
                }));
            }
        }
    }
    variants
}

#[test]
fn every_mode_and_wifi_combination_decodes_byte_for_byte() {
    let custom = custom_dpc();
    let mut count = 0;
    for dpc in [Dpc::AndroidDevicePolicy, Dpc::Custom(&custom)] {
        for (i, wifi) in wifi_variants().into_iter().enumerate() {
            let text = payload(&PayloadRequest {
                dpc,
                token: TOKEN,
                enrollment_mode: MODES[i % MODES.len()],
                wifi,
            });
            let image = assert_roundtrip(&text);
            assert_eq!(image.ec_level(), EcLevel::M, "{text}");
            count += 1;
        }
    }
    assert_eq!(count, 26);
}

#[test]
fn spec_example_decodes_to_the_spec_text() {
    let text = payload(&PayloadRequest {
        dpc: Dpc::AndroidDevicePolicy,
        token: TOKEN,
        enrollment_mode: "corporateOwnedFullyManaged",
        wifi: None,
    });
    let expected = concat!(
        r#"{"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver","#,
        r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM":"I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg","#,
        r#""android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":"https://play.google.com/managed/downloadManagingApp?identifier=setup","#,
        r#""android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE":{"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN":"WINFPMWZHDMYATCYIHVK"}}"#,
    );
    assert_eq!(text, expected);
    let image = assert_roundtrip(&text);
    assert_eq!(image.ec_level(), EcLevel::M);
}
