//! The DPC settings and the stored QR codes: `aosp_dpc.all_modes` puts the configured DPC in the
//! codes of the Google Mobile Services modes, and a restart with other settings redraws the codes
//! of live tokens (once: the database keeps the fingerprint of the settings they follow).

use std::sync::Arc;

use provisio::model::{EnrollmentMode, IfMatch, ProfileInput, TenantId};
use provisio::provisioning::{AospDpcSettings, QrCodes};
use provisio::service::{Profiles, RedrawReport, FINGERPRINT};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{fresh_database_url, ok_json, open_store, TestServer};
use crate::tokens::{aosp_dpc, create_token, get_and_check_qr};

const EXTRAS: &str = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";
const COMPONENT: &str = "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME";

fn dpc(all_modes: bool) -> AospDpcSettings {
    AospDpcSettings {
        all_modes,
        ..aosp_dpc(40)
    }
}

/// A server on `dir` and `db` with the test DPC, for every mode when `all_modes`.
async fn start(dir: &std::path::Path, db: &Option<String>, all_modes: bool) -> TestServer {
    let db = db.clone();
    TestServer::start_in(dir.to_owned(), move |s| {
        s.database.url = db;
        s.aosp_dpc = dpc(all_modes);
    })
    .await
}

/// The profile at `id` without its `@odata.context`, which names the server's port.
async fn read(s: &TestServer, id: &str) -> Value {
    let mut p = ok_json(s.get(&s.item(id)).await).await;
    p.as_object_mut().unwrap().remove("@odata.context");
    p
}

/// Checks that `p`'s code names the configured DPC and carries its token, the URL, `mode` and
/// protocol version "1".
fn assert_own_dpc(p: &Value, mode: &str) {
    let payload: Value = serde_json::from_str(p["qrCodeContent"].as_str().unwrap()).unwrap();
    assert_eq!(payload[COMPONENT], "com.example.dpc/.AdminReceiver");
    assert_eq!(
        payload[EXTRAS],
        json!({
            "com.example.dpc.EXTRA_TOKEN": p["tokenValue"],
            "com.example.dpc.EXTRA_ENROLLMENT_URL": "https://mdm.example.com/",
            "provisio.enrollmentMode": mode,
            "provisio.protocolVersion": "1",
        })
    );
}

/// Checks that `p`'s code names Google's Android Device Policy with the token alone.
fn assert_google_dpc(p: &Value) {
    let payload: Value = serde_json::from_str(p["qrCodeContent"].as_str().unwrap()).unwrap();
    assert_eq!(
        payload[COMPONENT],
        "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver"
    );
    assert_eq!(
        payload[EXTRAS],
        json!({"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": p["tokenValue"]})
    );
}

#[tokio::test]
async fn flipping_all_modes_redraws_the_codes_of_gms_profiles_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url();
    let s = start(dir.path(), &db, false).await;
    let mut ids = Vec::new();
    for mode in [
        "corporateOwnedDedicatedDevice",
        "corporateOwnedAOSPUserlessDevice",
    ] {
        let p = s
            .create(json!({"displayName": mode, "enrollmentMode": mode}))
            .await;
        let id = p["id"].as_str().unwrap().to_owned();
        assert_eq!(
            create_token(&s, &id, 3600).await.status(),
            StatusCode::NO_CONTENT
        );
        ids.push(id);
    }
    let no_token = s
        .create(json!({"displayName": "none", "enrollmentMode": "corporateOwnedFullyManaged"}))
        .await;
    let no_token = no_token["id"].as_str().unwrap().to_owned();
    let (gms, aosp) = (&ids[0], &ids[1]);
    let gms_before = get_and_check_qr(&s, gms).await;
    assert_google_dpc(&gms_before);
    assert_own_dpc(
        &get_and_check_qr(&s, aosp).await,
        "corporateOwnedAOSPUserlessDevice",
    );
    let aosp_before = read(&s, aosp).await;
    let none_before = read(&s, &no_token).await;
    s.stop().await;

    // With the setting on, the dedicated profile's code names the configured DPC; the token
    // stays, and the image says the new text.
    let s = start(dir.path(), &db, true).await;
    let gms_after = get_and_check_qr(&s, gms).await;
    assert_eq!(gms_after["tokenValue"], gms_before["tokenValue"]);
    assert_own_dpc(&gms_after, "corporateOwnedDedicatedDevice");
    assert_ne!(gms_after["qrCodeImage"], gms_before["qrCodeImage"]);
    assert!(
        gms_after["lastModifiedDateTime"].as_str() > gms_before["lastModifiedDateTime"].as_str()
    );
    // The AOSP code already said that: not written at all. No token: nothing to draw.
    assert_eq!(read(&s, aosp).await, aosp_before);
    assert_eq!(read(&s, &no_token).await, none_before);
    // A PATCH of the mode now changes the payload (the mode is in the extras) and redraws it.
    let res = s
        .patch_json(
            &s.item(gms),
            &json!({"enrollmentMode": "corporateOwnedFullyManaged"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_own_dpc(
        &get_and_check_qr(&s, gms).await,
        "corporateOwnedFullyManaged",
    );
    let patched = read(&s, gms).await;
    s.stop().await;

    // The same settings again: nothing is rewritten.
    let s = start(dir.path(), &db, true).await;
    assert_eq!(read(&s, gms).await, patched);
    s.stop().await;

    // Back to the default: Google's Android Device Policy again, same token.
    let s = start(dir.path(), &db, false).await;
    let back = get_and_check_qr(&s, gms).await;
    assert_google_dpc(&back);
    assert_eq!(back["tokenValue"], gms_before["tokenValue"]);
    assert_eq!(read(&s, aosp).await, aosp_before);
    s.stop().await;
}

/// The pass itself, on the store: it pages through more than one page of tenants and of
/// profiles, counts what it did, runs only when the fingerprint changed, and stores it.
#[tokio::test]
async fn the_pass_visits_every_tenant_once_per_change_of_settings() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url();
    let store: Arc<dyn provisio::store::Store> = Arc::from(open_store(dir.path(), &db).await);
    let profiles = |all_modes: bool| {
        let dpc = dpc(all_modes).build(None).unwrap();
        Profiles::new(store.clone(), QrCodes::new(dpc, all_modes).unwrap())
    };
    let off = profiles(false);
    // 101 tenants with one dedicated profile each, and 150 more in the first tenant: more
    // than a page (100) of tenants and of one tenant's profiles. Half of the first tenant's
    // extra profiles are AOSP, whose codes do not change.
    let tenants: Vec<TenantId> = (0..101).map(|_| TenantId(uuid::Uuid::new_v4())).collect();
    let mut gms = 0;
    let mut with_token = 0;
    for (i, &tenant) in tenants.iter().enumerate() {
        let extra = if i == 0 { 150 } else { 0 };
        for k in 0..=extra {
            let mode = if k % 2 == 1 {
                EnrollmentMode::CorporateOwnedAospUserlessDevice
            } else {
                EnrollmentMode::CorporateOwnedDedicatedDevice
            };
            let input = ProfileInput::from_json(
                &json!({"displayName": format!("p{k}"), "enrollmentMode": mode.name()}),
            )
            .unwrap();
            let p = off.create(tenant, input).await.unwrap();
            off.create_token(tenant, p.id, &IfMatch::ANY, 3600)
                .await
                .unwrap();
            with_token += 1;
            if !mode.is_aosp() {
                gms += 1;
            }
        }
    }
    // No fingerprint stored yet: the first pass checks everything and changes nothing.
    let first = off.redraw_for_settings().await.unwrap();
    assert_eq!(
        first,
        RedrawReport {
            unchanged: false,
            tenants: 101,
            checked: with_token,
            redrawn: 0,
            failed: 0
        }
    );
    assert_eq!(
        off.redraw_for_settings().await.unwrap(),
        RedrawReport {
            unchanged: true,
            ..RedrawReport::default()
        }
    );
    let on = profiles(true);
    let started = std::time::Instant::now();
    let flipped = on.redraw_for_settings().await.unwrap();
    eprintln!(
        "redraw pass: {} profiles checked, {} redrawn in {:?}",
        flipped.checked,
        flipped.redrawn,
        started.elapsed()
    );
    assert_eq!((flipped.checked, flipped.redrawn), (with_token, gms));
    assert!(on.redraw_for_settings().await.unwrap().unchanged);
    assert_eq!(
        store.service_value(FINGERPRINT).await.unwrap(),
        Some(
            QrCodes::new(dpc(true).build(None).unwrap(), true)
                .unwrap()
                .fingerprint()
        )
    );
    // Without any DPC, the AOSP codes cannot be drawn: they keep theirs and are counted.
    let bare = Profiles::new(store.clone(), QrCodes::default());
    let report = bare.redraw_for_settings().await.unwrap();
    assert_eq!(
        (report.redrawn, report.failed),
        (gms, with_token - gms),
        "{report:?}"
    );
    store.close().await;
}
