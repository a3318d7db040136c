//! The store on its own: every member round-trips, writes are tenant-scoped and conditional on
//! the version, pages follow the keyset.

use provisio::model::Entity as _;
use provisio::model::{
    EnrollmentMode, EnrollmentTokenType, MembershipTarget, MembershipTargetType, Profile,
    ProfileId, Sensitive, TenantId, Timestamp, Token, Wifi, WifiSecurityType,
};
use provisio::store::{Cursor, ListQuery, Store};
use uuid::Uuid;

/// A store of the backend under test (see `common::postgres_backend`), with the handle to open
/// the same database again.
async fn open() -> (Box<dyn Store>, Reopen) {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_database_url();
    let reopen = Reopen { dir, url };
    (reopen.open().await, reopen)
}

struct Reopen {
    dir: tempfile::TempDir,
    url: Option<String>,
}

impl Reopen {
    async fn open(&self) -> Box<dyn Store> {
        crate::common::open_store(self.dir.path(), &self.url).await
    }
}

fn tenant(n: u128) -> TenantId {
    TenantId(Uuid::from_u128(n))
}

fn full_profile(t: TenantId) -> Profile {
    let now = Timestamp::parse("2026-11-22T10:15:30.1234567Z").unwrap();
    Profile {
        description: Some("Ünïcode description".into()),
        enrollment_mode: EnrollmentMode::CorporateOwnedAospUserAssociatedDevice,
        enrollment_token_type: EnrollmentTokenType::DeviceStaging,
        token: Some(Token {
            id: uuid::Uuid::new_v4(),
            value: Sensitive::new("ABCDEFGHIJKLMNOPQRST"),
            created: now,
            expires: now.plus_seconds(3600).unwrap(),
            qr_content: Sensitive::new("{\"k\":\"v\"}"),
            qr_png: vec![0x89, b'P', b'N', b'G', 0, 255],
        }),
        enrolled_device_count: 7,
        token_usage_count: 3,
        role_scope_tag_ids: vec!["0".into(), "a b".into()],
        wifi: Wifi {
            configure: false,
            ssid: Some("SSID \"q\"".into()),
            password: Some(Sensitive::new("pa55word!")),
            security: WifiSecurityType::Wep,
            hidden: true,
        },
        is_teams_device_profile: true,
        device_name_template: Some("{{SERIAL}}".into()),
        membership_target: Some(MembershipTarget {
            target_type: MembershipTargetType::StaticSecurityGroup,
            target_id: Uuid::from_u128(99).to_string(),
        }),
        ..Profile::new(t, ProfileId::new_random(), "Full".into(), now)
    }
}

#[tokio::test]
async fn every_member_round_trips() {
    let (store, _dir) = open().await;
    let t = tenant(1);
    let p = full_profile(t);
    store.insert(t, &p).await.unwrap();
    assert_eq!(store.get(t, p.id).await.unwrap(), Some(p.clone()));
    let minimal = Profile::new(t, ProfileId::new_random(), "Min".into(), Timestamp::now());
    store.insert(t, &minimal).await.unwrap();
    assert_eq!(store.get(t, minimal.id).await.unwrap(), Some(minimal));
    store.close().await;
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let (store, _dir) = open().await;
    let (a, b) = (tenant(1), tenant(2));
    let p = full_profile(a);
    store.insert(a, &p).await.unwrap();
    assert_eq!(store.get(b, p.id).await.unwrap(), None);
    let mut changed = p.clone();
    changed.tenant = b;
    changed.version = 2;
    assert!(!store.update(b, &changed, 1).await.unwrap());
    assert!(!store.delete(b, p.id).await.unwrap());
    let q = ListQuery::new(10);
    assert!(store.list::<Profile>(b, &q).await.unwrap().is_empty());
    assert_eq!(store.list::<Profile>(a, &q).await.unwrap().len(), 1);
    assert_eq!(store.get(a, p.id).await.unwrap(), Some(p));
    store.close().await;
}

#[tokio::test]
async fn updates_are_conditional_on_the_version() {
    let (store, _dir) = open().await;
    let t = tenant(1);
    let p = full_profile(t);
    store.insert(t, &p).await.unwrap();
    let mut next = p.clone();
    next.display_name = "v2".into();
    next.version = 2;
    assert!(store.update(t, &next, 1).await.unwrap());
    let mut stale = p.clone();
    stale.display_name = "lost update".into();
    stale.version = 2;
    assert!(
        !store.update(t, &stale, 1).await.unwrap(),
        "a stale version must not win"
    );
    assert_eq!(
        store.get(t, p.id).await.unwrap().unwrap().display_name,
        "v2"
    );
    assert!(store.delete(t, p.id).await.unwrap());
    assert!(
        !store.update(t, &next, 2).await.unwrap(),
        "a deleted row stays deleted"
    );
    store.close().await;
}

#[tokio::test]
async fn duplicate_ids_conflict() {
    let (store, _dir) = open().await;
    let t = tenant(1);
    let p = full_profile(t);
    store.insert(t, &p).await.unwrap();
    assert!(matches!(
        store.insert(t, &p).await,
        Err(provisio::store::StoreError::Conflict(_))
    ));
    // The same id in another tenant is a different row.
    let mut other = p.clone();
    other.tenant = tenant(2);
    store.insert(tenant(2), &other).await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn list_pages_in_id_order_without_the_image_unless_asked() {
    let (store, _dir) = open().await;
    let t = tenant(1);
    let mut ids = Vec::new();
    for _ in 0..25 {
        let p = full_profile(t);
        ids.push(p.id);
        store.insert(t, &p).await.unwrap();
    }
    ids.sort();
    let mut after = None;
    let mut seen = Vec::new();
    loop {
        let page = store
            .list::<Profile>(
                t,
                &ListQuery {
                    after: after.clone(),
                    ..ListQuery::new(10)
                },
            )
            .await
            .unwrap();
        assert!(page
            .iter()
            .all(|p| p.token.as_ref().unwrap().qr_png.is_empty()));
        if page.is_empty() {
            break;
        }
        after = Some(Cursor::after(&[], page.last().unwrap()).unwrap());
        seen.extend(page.iter().map(|p| p.id));
    }
    assert_eq!(seen, ids);
    let with_image = store
        .list::<Profile>(
            t,
            &ListQuery {
                include_unlisted: true,
                ..ListQuery::new(1)
            },
        )
        .await
        .unwrap();
    assert!(!with_image[0].token.as_ref().unwrap().qr_png.is_empty());
    store.close().await;
}

#[tokio::test]
async fn service_keys_are_created_once() {
    let (store, dir) = open().await;
    let k1 = store.service_key("k", &|| vec![1, 2, 3]).await.unwrap();
    let k2 = store.service_key("k", &|| vec![9]).await.unwrap();
    assert_eq!(k1, vec![1, 2, 3]);
    assert_eq!(k2, k1);
    store.close().await;
    let reopened = dir.open().await;
    assert_eq!(reopened.service_key("k", &|| vec![7]).await.unwrap(), k1);
    reopened.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_succeed_or_fail_one_by_one() {
    // Under load, SQLite commits many writes together; a failing one must not take the others
    // with it, and each must be answered on its own.
    let (store, _dir) = open().await;
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::from(store);
    let t = tenant(1);
    let existing = full_profile(t);
    store.insert(t, &existing).await.unwrap();
    // Four copies of a new profile: the first to be written wins, the other three conflict,
    // whether or not they land in one batch.
    let twin = full_profile(t);
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            let p = match i % 10 {
                0 => existing.clone(),
                5 => twin.clone(),
                _ => full_profile(t),
            };
            tokio::spawn(async move { (p.id, store.insert(t, &p).await) })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        let (id, result) = task.await.unwrap();
        match result {
            Ok(()) => {
                ok += 1;
                assert!(store.get(t, id).await.unwrap().is_some());
            }
            Err(provisio::store::StoreError::Conflict(_)) => {
                assert!(id == existing.id || id == twin.id)
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ok, 33);
    assert_eq!(store.get(t, twin.id).await.unwrap(), Some(twin));
    assert_eq!(store.get(t, existing.id).await.unwrap(), Some(existing));
    store.close().await;
}

/// Profiles that differ in every member, with text that needs JSON escaping.
fn varied_profiles(t: TenantId) -> Vec<Profile> {
    let texts = [
        "plain",
        "quote \" backslash \\ slash /",
        "controls \u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}",
        "Ünïcödé 中文 😀 \u{2028}\u{2029} \u{202e}",
        "<tag>&amp; 'single'",
        "",
    ];
    let mut out = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let mut full = full_profile(t);
        full.display_name = format!("{text} {i}");
        full.description = Some((*text).to_owned());
        full.role_scope_tag_ids = vec![(*text).to_owned(), "0".into()];
        full.wifi.ssid = Some((*text).to_owned());
        full.wifi.configure = i % 2 == 0;
        full.wifi.security = [WifiSecurityType::None, WifiSecurityType::Wpa][i % 2];
        full.device_name_template = Some(format!("{text}{{{{SERIAL}}}}"));
        full.enrolled_device_count = i as i32 * 1000;
        if let Some(token) = full.token.as_mut() {
            token.qr_content = Sensitive::new(format!("{{\"t\":{:?}}}", text));
        }
        out.push(full);
        let mut bare = Profile::new(
            t,
            ProfileId::new_random(),
            format!("{text} bare"),
            Timestamp::now(),
        );
        bare.enrollment_mode = EnrollmentMode::CorporateOwnedWorkProfile;
        bare.is_teams_device_profile = i % 3 == 0;
        out.push(bare);
    }
    out
}

#[tokio::test]
async fn rendered_pages_hold_what_the_profiles_write_out() {
    use provisio::model::output::{Control, EntityJson, Metadata, Selection};

    let (store, _dir) = open().await;
    let t = tenant(1);
    for p in varied_profiles(t) {
        store.insert(t, &p).await.unwrap();
    }
    store
        .insert(tenant(2), &full_profile(tenant(2)))
        .await
        .unwrap();
    let layout = Profile::set().layout();
    let selections = [
        Selection::Listed,
        Selection::of_names(layout, ["id", "displayName"]),
        Selection::of_names(
            layout,
            [
                "tokenValue",
                "qrCodeContent",
                "roleScopeTagIds",
                "configureWifi",
                "wifiPassword",
                "wifiSecurityType",
                "wifiHidden",
            ],
        ),
    ];
    let orders = [
        "",
        "$orderby=displayName desc",
        "$orderby=wifiSsid,enrolledDeviceCount desc",
        "$orderby=configureWifi,createdDateTime",
        "$orderby=description",
    ];
    for selection in &selections {
        let members = selection.members(layout);
        for raw in orders {
            let options = odata::parse_query(raw, &layout.schema, &odata::Limits::DEFAULT).unwrap();
            let q = ListQuery {
                order: options.orderby,
                ..ListQuery::new(50)
            };
            let profiles = store.list::<Profile>(t, &q).await.unwrap();
            for metadata in [Metadata::None, Metadata::Minimal] {
                let rendered = store
                    .list_rendered_as::<Profile>(t, &q, (&members, metadata))
                    .await
                    .unwrap();
                assert_eq!(rendered.len(), profiles.len(), "{raw}");
                assert_eq!(rendered.len(), 12);
                for (r, p) in rendered.iter().zip(&profiles) {
                    let got: serde_json::Value =
                        serde_json::from_str(&r.json).unwrap_or_else(|e| panic!("{e}: {}", r.json));
                    let want = serde_json::to_value(EntityJson {
                        context: None,
                        entity: p,
                        selection,
                        control: Control::level(metadata),
                    })
                    .unwrap();
                    assert_eq!(got, want, "{raw} {metadata:?}");
                    let keys = |v: &serde_json::Value| -> Vec<String> {
                        v.as_object().unwrap().keys().cloned().collect()
                    };
                    assert_eq!(keys(&got), keys(&want), "{raw}");
                    assert_eq!(r.after, Cursor::after(&q.order, p).unwrap(), "{raw}");
                }
            }
        }
    }
    let image = Selection::All.members(layout);
    assert!(store
        .list_rendered::<Profile>(t, &ListQuery::new(5), &image)
        .await
        .is_err());
    let listed = Selection::Listed.members(layout);
    assert!(store
        .list_rendered_as::<Profile>(t, &ListQuery::new(5), (&listed, Metadata::Full))
        .await
        .is_err());
    store.close().await;
}
