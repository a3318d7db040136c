use super::*;
use crate::auth::Permissions;

fn caller(tenant: u128, app: Option<&str>) -> Identity {
    Identity {
        tenant: TenantId(uuid::Uuid::from_u128(tenant)),
        permissions: Permissions {
            read: true,
            write: true,
            ..Permissions::default()
        },
        object_id: None,
        app_id: app.map(str::to_owned),
        app_only: true,
        user_principal_name: None,
        app_name: None,
    }
}

fn limits(window_seconds: u64, numbers: [Option<u32>; 4]) -> Throttle {
    let [app_writes, app_requests, tenant_writes, tenant_requests] = numbers;
    Throttle::new(&ThrottleSettings {
        window_seconds,
        app_writes,
        app_requests,
        tenant_writes,
        tenant_requests,
        ..ThrottleSettings::default()
    })
}

fn refused(r: Result<(), Refusal>) -> (Scope, Kind) {
    let r = r.expect_err("refused");
    (r.scope, r.kind)
}

#[tokio::test]
async fn off_admits_everything_and_holds_no_keys() {
    let t = Throttle::new(&ThrottleSettings::default());
    for _ in 0..10_000 {
        assert!(t.check(&caller(1, Some("a")), Access::Write).is_ok());
    }
    assert_eq!(t.keys(), 0);
}

#[tokio::test]
async fn applications_are_limited_apart_and_the_tenant_across_them() {
    let t = limits(20, [Some(2), None, Some(3), None]);
    let (a, b) = (caller(1, Some("app-a")), caller(1, Some("app-b")));
    assert!(t.check(&a, Access::Write).is_ok());
    assert!(t.check(&a, Access::Write).is_ok());
    assert_eq!(
        refused(t.check(&a, Access::Write)),
        (Scope::App, Kind::Write)
    );
    // Reads are not writes, and no limit on all requests is set.
    assert!(t.check(&a, Access::Read).is_ok());
    // Another application has its own budget, until the tenant's is spent.
    assert!(t.check(&b, Access::Write).is_ok());
    assert_eq!(
        refused(t.check(&b, Access::Write)),
        (Scope::Tenant, Kind::Write)
    );
    // Another tenant is not affected, nor is a token without an application id.
    assert!(t.check(&caller(2, Some("app-a")), Access::Write).is_ok());
    assert!(t.check(&caller(2, None), Access::Write).is_ok());
}

#[tokio::test]
async fn all_requests_count_reads_and_writes() {
    let t = limits(20, [Some(10), Some(3), None, None]);
    let a = caller(1, Some("a"));
    assert!(t.check(&a, Access::Read).is_ok());
    assert!(t.check(&a, Access::Write).is_ok());
    assert!(t.check(&a, Access::Read).is_ok());
    assert_eq!(refused(t.check(&a, Access::Read)), (Scope::App, Kind::All));
    assert_eq!(refused(t.check(&a, Access::Write)), (Scope::App, Kind::All));
}

#[tokio::test]
async fn an_application_over_its_limit_leaves_the_tenant_budget_alone() {
    let t = limits(20, [Some(1), None, Some(2), None]);
    let (a, b) = (caller(1, Some("a")), caller(1, Some("b")));
    assert!(t.check(&a, Access::Write).is_ok());
    for _ in 0..50 {
        assert_eq!(
            refused(t.check(&a, Access::Write)),
            (Scope::App, Kind::Write)
        );
    }
    assert!(
        t.check(&b, Access::Write).is_ok(),
        "a's refused writes used the tenant's budget"
    );
}

#[tokio::test]
async fn retry_after_is_the_whole_seconds_until_a_place_frees() {
    // 2 per 20 s: one place every 10 s.
    let t = limits(20, [None, Some(2), None, None]);
    let a = caller(1, Some("a"));
    assert!(t.check(&a, Access::Read).is_ok());
    assert!(t.check(&a, Access::Read).is_ok());
    let r = t.check(&a, Access::Read).expect_err("refused");
    assert!((9..=10).contains(&r.retry_after), "{r:?}");
    let e = ApiError::from(r);
    assert!(
        e.to_string()
            .starts_with("Too many requests: this application in this tenant may send 2 requests every 20 seconds."),
        "{e}"
    );
    // 4 per second: the wait is a quarter of a second, said as 1.
    let fast = limits(1, [None, Some(4), None, None]);
    let r = (0..5)
        .find_map(|_| fast.check(&a, Access::Read).err())
        .expect("refused");
    assert_eq!(r.retry_after, 1);
}

#[tokio::test]
async fn idle_keys_are_swept_out() {
    let t = limits(1, [Some(5), Some(5), Some(5), Some(5)]);
    for tenant in 0..200 {
        let app = format!("app-{tenant}");
        assert!(t.check(&caller(tenant, Some(&app)), Access::Write).is_ok());
    }
    assert_eq!(t.keys(), 800);
    t.sweep();
    assert_eq!(t.keys(), 800, "keys within their window stay");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    t.sweep();
    assert_eq!(t.keys(), 0);
}
