//! Unit tests of [`CustomDpc::new`]: what it accepts, how it normalises, and that every error
//! names the setting at fault.

use crate::*;

/// SHA-256 of the empty string, URL-safe base64 without padding.
const CHECKSUM: &str = "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";

fn good() -> CustomDpcSettings<'static> {
    CustomDpcSettings {
        component_name: "com.example.dpc/.AdminReceiver",
        download_url: "https://dpc.example.com/dpc.apk",
        signature_checksum: CHECKSUM,
        token_extras_key: "com.example.dpc.TOKEN",
        enrollment_url_extras_key: "com.example.dpc.ENROLLMENT_URL",
        enrollment_url: "https://mdm.example.com/enroll",
    }
}

fn error_of(settings: CustomDpcSettings<'_>) -> ConfigError {
    CustomDpc::new(&settings).unwrap_err()
}

#[test]
fn good_settings_are_kept() {
    let dpc = CustomDpc::new(&good()).unwrap();
    assert_eq!(dpc.component_name(), "com.example.dpc/.AdminReceiver");
    assert_eq!(dpc.download_url(), "https://dpc.example.com/dpc.apk");
    assert_eq!(dpc.signature_checksum(), CHECKSUM);
    assert_eq!(dpc.token_extras_key(), "com.example.dpc.TOKEN");
    assert_eq!(
        dpc.enrollment_url_extras_key(),
        "com.example.dpc.ENROLLMENT_URL"
    );
    assert_eq!(dpc.enrollment_url(), "https://mdm.example.com/enroll");
}

#[test]
fn checksum_forms_are_normalised_to_url_safe_unpadded() {
    for form in [
        CHECKSUM,
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
        "  47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
    ] {
        let dpc = CustomDpc::new(&CustomDpcSettings {
            signature_checksum: form,
            ..good()
        })
        .unwrap();
        assert_eq!(dpc.signature_checksum(), CHECKSUM, "{form:?}");
    }
}

#[test]
fn bad_checksums_are_refused() {
    for bad in [
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU==",
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuF",
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFUAA",
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuF!",
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFV",
        "",
    ] {
        let e = error_of(CustomDpcSettings {
            signature_checksum: bad,
            ..good()
        });
        assert_eq!(e.setting(), DpcSetting::SignatureChecksum, "{bad:?}: {e}");
        assert!(e.to_string().contains("`signature_checksum`"), "{e}");
    }
}

#[test]
fn hex_checksum_gets_a_hint() {
    let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let e = error_of(CustomDpcSettings {
        signature_checksum: hex,
        ..good()
    });
    assert_eq!(e.setting(), DpcSetting::SignatureChecksum);
    assert!(e.reason().contains(CHECKSUM), "{e}");
    let colons = "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55";
    let e = error_of(CustomDpcSettings {
        signature_checksum: colons,
        ..good()
    });
    assert!(e.reason().contains(CHECKSUM), "{e}");
}

#[test]
fn component_names() {
    for ok in [
        "com.example.dpc/.AdminReceiver",
        "com.example.dpc/.receivers.Admin",
        "com.example.dpc/com.example.dpc.AdminReceiver",
        "com.example.dpc/com.other.Outer$Inner",
        "com.example_2.dpc/._Admin",
    ] {
        let dpc = CustomDpc::new(&CustomDpcSettings {
            component_name: ok,
            ..good()
        })
        .unwrap();
        assert_eq!(dpc.component_name(), ok);
    }
    for bad in [
        "",
        "   ",
        "com.example.dpc",
        "com.example.dpc/",
        "com.example.dpc/.",
        "com.example.dpc/AdminReceiver",
        "example/.AdminReceiver",
        "com..example/.Admin",
        "com.1example/.Admin",
        "/.Admin",
        "com.example.dpc/.Admin/x",
        "com.example.dpc/.Ad min",
        "com.exämple.dpc/.Admin",
        "com.example.dpc/..Admin",
    ] {
        let e = error_of(CustomDpcSettings {
            component_name: bad,
            ..good()
        });
        assert_eq!(e.setting(), DpcSetting::ComponentName, "{bad:?}");
        assert!(e.to_string().contains("`component_name`"), "{e}");
    }
}

#[test]
fn download_url_must_be_https() {
    let dpc = CustomDpc::new(&CustomDpcSettings {
        download_url: " https://DPC.Example.com:8443/a b.apk?v=1 ",
        ..good()
    })
    .unwrap();
    assert_eq!(
        dpc.download_url(),
        "https://dpc.example.com:8443/a%20b.apk?v=1"
    );
    for bad in [
        "",
        "http://dpc.example.com/dpc.apk",
        "http://localhost/dpc.apk",
        "ftp://dpc.example.com/dpc.apk",
        "dpc.example.com/dpc.apk",
        "/dpc.apk",
        "https://user:pw@dpc.example.com/dpc.apk",
        "https://dpc.example.com/d\tpc.apk",
        "file:///dpc.apk",
    ] {
        let e = error_of(CustomDpcSettings {
            download_url: bad,
            ..good()
        });
        assert_eq!(e.setting(), DpcSetting::DownloadUrl, "{bad:?}");
        assert!(e.to_string().contains("`download_url`"), "{e}");
    }
}

#[test]
fn enrollment_url_allows_http_only_on_loopback() {
    for ok in [
        "http://localhost:8080/enroll",
        "http://127.0.0.1:3000",
        "http://[::1]/x",
    ] {
        assert!(
            CustomDpc::new(&CustomDpcSettings {
                enrollment_url: ok,
                ..good()
            })
            .is_ok(),
            "{ok}"
        );
    }
    for bad in [
        "http://mdm.example.com/enroll",
        "http://10.0.2.2/enroll",
        "mdm.example.com",
        "",
    ] {
        let e = error_of(CustomDpcSettings {
            enrollment_url: bad,
            ..good()
        });
        assert_eq!(e.setting(), DpcSetting::EnrollmentUrl, "{bad:?}");
        assert!(e.to_string().contains("`enrollment_url`"), "{e}");
    }
}

#[test]
fn extras_keys_must_be_set_and_distinct() {
    let e = error_of(CustomDpcSettings {
        token_extras_key: " ",
        ..good()
    });
    assert_eq!(e.setting(), DpcSetting::TokenExtrasKey);
    assert_eq!(
        e.to_string(),
        "invalid AOSP DPC setting `token_extras_key`: must not be empty"
    );
    let e = error_of(CustomDpcSettings {
        enrollment_url_extras_key: "a\u{0}b",
        ..good()
    });
    assert_eq!(e.setting(), DpcSetting::EnrollmentUrlExtrasKey);
    let e = error_of(CustomDpcSettings {
        token_extras_key: "com.example.KEY",
        enrollment_url_extras_key: " com.example.KEY",
        ..good()
    });
    assert_eq!(e.setting(), DpcSetting::EnrollmentUrlExtrasKey);
    assert!(e.reason().contains("token_extras_key"), "{e}");
}

#[test]
fn extras_keys_must_not_take_the_service_s_own_keys() {
    for key in [KEY_ENROLLMENT_MODE, KEY_PROTOCOL_VERSION] {
        let e = error_of(CustomDpcSettings {
            token_extras_key: key,
            ..good()
        });
        assert_eq!(e.setting(), DpcSetting::TokenExtrasKey);
        assert!(e.reason().contains("service itself writes"), "{e}");
        let padded = format!(" {key} ");
        let e = error_of(CustomDpcSettings {
            enrollment_url_extras_key: &padded,
            ..good()
        });
        assert_eq!(e.setting(), DpcSetting::EnrollmentUrlExtrasKey);
    }
}

#[test]
fn setting_names() {
    let all = [
        (DpcSetting::ComponentName, "component_name"),
        (DpcSetting::DownloadUrl, "download_url"),
        (DpcSetting::SignatureChecksum, "signature_checksum"),
        (DpcSetting::TokenExtrasKey, "token_extras_key"),
        (
            DpcSetting::EnrollmentUrlExtrasKey,
            "enrollment_url_extras_key",
        ),
        (DpcSetting::EnrollmentUrl, "enrollment_url"),
    ];
    for (setting, name) in all {
        assert_eq!(setting.as_str(), name);
        assert_eq!(setting.to_string(), name);
    }
}
