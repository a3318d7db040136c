//! Identity and counting (docs/DEVICES.md, Counting): exact under races, on the store the suite
//! runs against.

use futures_util::future::join_all;
use reqwest::StatusCode;

use super::*;

/// 200 distinct devices race for a token with 50 uses left: exactly 50 enroll.
#[tokio::test]
async fn a_race_for_the_last_uses_enrolls_exactly_that_many() {
    let s = TestServer::start_with(|s| s.devices.token_usage_limit = 60).await;
    let (id, token) = profile_with_token(&s, "race").await;
    for i in 0..10 {
        let res = enroll(&s, &Device::new(format!("PRE{i:04}")), &token).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let devices: Vec<Device> = (0..200)
        .map(|i| Device::new(format!("RACE{i:04}")))
        .collect();
    let statuses: Vec<StatusCode> = join_all(
        devices
            .iter()
            .map(|d| async { enroll(&s, d, &token).await.status() }),
    )
    .await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, refused), (50, 150), "{statuses:?}");
    assert_eq!(counts(&s, &id).await, (60, 60));
    assert_eq!(all_devices(&s).await.len(), 60);
}

/// One device retrying its enrollment 20 times at once: one record, counted once.
#[tokio::test]
async fn twenty_retries_at_once_make_one_record() {
    let s = TestServer::start().await;
    let (id, token) = profile_with_token(&s, "retries").await;
    let d = Device::new("RETRY0001");
    let answers = join_all((0..20).map(|_| async {
        let res = enroll(&s, &d, &token).await;
        let status = res.status();
        (status, ok_json(res).await["managedDeviceId"].clone())
    }))
    .await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(answers.iter().all(|(_, id)| *id == answers[0].1));
    assert_eq!(counts(&s, &id).await, (1, 1));
    assert_eq!(all_devices(&s).await.len(), 1);
}

/// A second claimant of a serial without proof gets a record of its own; the first record is
/// superseded but keeps checking in; the pair is counted once.
#[tokio::test]
async fn a_claimant_without_proof_supersedes_but_cuts_nobody_off() {
    let s = TestServer::start().await;
    let (id, token) = profile_with_token(&s, "claims").await;
    let real = Device::new("BOX0001");
    let first = ok_json(enroll(&s, &real, &token).await).await;
    let claimant = Device::new("BOX0001");
    let res = enroll(&s, &claimant, &token).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let second = ok_json(res).await;
    assert_ne!(first["managedDeviceId"], second["managedDeviceId"]);
    assert_eq!(counts(&s, &id).await, (1, 1));
    assert_eq!(
        all_devices(&s).await.len(),
        2,
        "the superseded record stays listed"
    );
    let c = ok_json(checkin(&s, &real).await).await;
    assert_eq!(c["managedDeviceId"], first["managedDeviceId"]);
}

/// A device moving between two profiles: each profile's counts stay right.
#[tokio::test]
async fn moves_between_profiles_keep_both_counts_right() {
    let s = TestServer::start().await;
    let (a, token_a) = profile_with_token(&s, "a").await;
    let (b, token_b) = profile_with_token(&s, "b").await;
    let d = Device::new("MOVE0001");
    assert_eq!(enroll(&s, &d, &token_a).await.status(), StatusCode::CREATED);
    assert_eq!(enroll(&s, &d, &token_b).await.status(), StatusCode::CREATED);
    assert_eq!(counts(&s, &a).await, (0, 1));
    assert_eq!(counts(&s, &b).await, (1, 1));
    assert_eq!(enroll(&s, &d, &token_a).await.status(), StatusCode::CREATED);
    assert_eq!(counts(&s, &a).await, (1, 1));
    assert_eq!(counts(&s, &b).await, (0, 1));
    let current: Vec<Value> = all_devices(&s).await;
    assert_eq!(current.len(), 3);
}

/// createToken racing enrollments: none is counted on the new token.
#[tokio::test]
async fn create_token_racing_enrollments_counts_none_on_the_new_token() {
    // Every refusal comes from one address: let them all through the failure limit.
    let s = TestServer::start_with(|s| s.device_throttle.failures_per_minute = 0).await;
    let (id, token) = profile_with_token(&s, "rotate").await;
    let devices: Vec<Device> = (0..60).map(|i| Device::new(format!("ROT{i:04}"))).collect();
    let enrolls = join_all(
        devices
            .iter()
            .map(|d| async { enroll(&s, d, &token).await.status() }),
    );
    let rotate = async {
        tokio::task::yield_now().await;
        new_token(&s, &id).await
    };
    let (statuses, _newer) = tokio::join!(enrolls, rotate);
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(created + refused, 60, "{statuses:?}");
    let (enrolled, usage) = counts(&s, &id).await;
    assert_eq!(usage, 0, "nothing is counted on the new token");
    assert_eq!(enrolled as usize, created);
}
