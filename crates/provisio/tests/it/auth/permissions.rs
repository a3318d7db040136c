//! The permission matrix of docs/API.md (Identity and permissions): every endpoint × every kind of credential, delegated
//! (`scp`) and application (`roles`). No token, or a token with neither `scp` nor `roles`, is
//! 401; a token without the needed permission is 403 naming it (and 403 comes before 404 and
//! 400); Read lets GETs through; ReadWrite lets everything through.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{call, READ, READ_WRITE};
use crate::common::{expect_error, TestServer, COLLECTION};

const GROUP: &str = "5b2a8f3e-1c4d-4e6f-8a9b-0c1d2e3f4a5b";

/// An endpoint: name, method, path after the collection ("" or "/{id}..."), body, success status.
struct Endpoint {
    name: &'static str,
    method: Method,
    path: &'static str,
    body: Option<Value>,
    ok: StatusCode,
}

fn endpoints() -> Vec<Endpoint> {
    let e = |name, method, path, body, ok| Endpoint {
        name,
        method,
        path,
        body,
        ok,
    };
    vec![
        e("list", Method::GET, "", None, StatusCode::OK),
        e("get", Method::GET, "/{id}", None, StatusCode::OK),
        e(
            "create",
            Method::POST,
            "",
            Some(json!({"displayName": "matrix"})),
            StatusCode::CREATED,
        ),
        e(
            "patch",
            Method::PATCH,
            "/{id}",
            Some(json!({"description": "m"})),
            StatusCode::NO_CONTENT,
        ),
        e(
            "delete",
            Method::DELETE,
            "/{id}",
            None,
            StatusCode::NO_CONTENT,
        ),
        e(
            "createToken",
            Method::POST,
            "/{id}/createToken",
            Some(json!({"tokenValidityInSeconds": 3600})),
            StatusCode::NO_CONTENT,
        ),
        e(
            "revokeToken",
            Method::POST,
            "/{id}/revokeToken",
            None,
            StatusCode::NO_CONTENT,
        ),
        e(
            "setEnrollmentTimeDeviceMembershipTarget",
            Method::POST,
            "/{id}/setEnrollmentTimeDeviceMembershipTarget",
            Some(
                json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": GROUP}]}),
            ),
            StatusCode::OK,
        ),
        e(
            "retrieveEnrollmentTimeDeviceMembershipTarget",
            Method::POST,
            "/{id}/retrieveEnrollmentTimeDeviceMembershipTarget",
            None,
            StatusCode::OK,
        ),
        e(
            "clearEnrollmentTimeDeviceMembershipTarget",
            Method::POST,
            "/{id}/clearEnrollmentTimeDeviceMembershipTarget",
            None,
            StatusCode::NO_CONTENT,
        ),
    ]
}

/// Method, URL, token, body, expected status, description.
type Case<'a> = (
    Method,
    String,
    Option<&'a str>,
    Option<Value>,
    StatusCode,
    &'a str,
);

/// A credential and what it may do.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Grant {
    NoToken,
    NoPermissionClaims,
    Unrelated,
    Read,
    ReadWrite,
}

async fn check(s: &TestServer, grant: Grant, app: bool) {
    let token = match grant {
        Grant::NoToken => None,
        Grant::NoPermissionClaims => Some(s.dev_token(s.dev_tenant, &[], app)),
        Grant::Unrelated => Some(s.dev_token(
            s.dev_tenant,
            &["User.Read", "DeviceManagementApps.ReadWrite.All"],
            app,
        )),
        Grant::Read => Some(s.dev_token(s.dev_tenant, &[READ], app)),
        Grant::ReadWrite => Some(s.dev_token(s.dev_tenant, &[READ_WRITE], app)),
    };
    for ep in endpoints() {
        // A fresh profile for every call, so deletes and token actions have something to act on.
        let id = s.create(json!({"displayName": "target"})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let url = format!("{}{COLLECTION}{}", s.base, ep.path.replace("{id}", &id));
        let res = call(
            s,
            ep.method.clone(),
            &url,
            token.as_deref(),
            ep.body.as_ref(),
        )
        .await;
        let what = format!("{} with {grant:?} (app: {app})", ep.name);
        let is_read = ep.method == Method::GET;
        match grant {
            Grant::NoToken | Grant::NoPermissionClaims => {
                expect_error(res, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken").await;
            }
            Grant::Unrelated => {
                let m = expect_error(res, StatusCode::FORBIDDEN, "Forbidden").await;
                assert!(m.contains(READ_WRITE), "{what}: {m}");
            }
            Grant::Read if !is_read => {
                let m = expect_error(res, StatusCode::FORBIDDEN, "Forbidden").await;
                assert!(m.contains(READ_WRITE) && !m.contains(READ), "{what}: {m}");
            }
            Grant::Read | Grant::ReadWrite => {
                let status = res.status();
                assert_eq!(status, ep.ok, "{what}: {}", res.text().await.unwrap());
            }
        }
    }
}

#[tokio::test]
async fn every_endpoint_times_every_grant_delegated_and_application() {
    let s = TestServer::start().await;
    for app in [false, true] {
        for grant in [
            Grant::NoToken,
            Grant::NoPermissionClaims,
            Grant::Unrelated,
            Grant::Read,
            Grant::ReadWrite,
        ] {
            check(&s, grant, app).await;
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn authentication_and_permission_come_before_routing_ids_and_bodies() {
    let s = TestServer::start().await;
    let read = s.dev_token(s.dev_tenant, &[READ], false);
    let unknown = format!("{}/4f0c9a1e-0000-4000-8000-000000000404", s.collection());
    let cases: Vec<Case> = vec![
        (
            Method::GET,
            unknown.clone(),
            None,
            None,
            StatusCode::UNAUTHORIZED,
            "unknown id, no token",
        ),
        (
            Method::GET,
            format!("{}/not-a-guid", s.collection()),
            None,
            None,
            StatusCode::UNAUTHORIZED,
            "malformed id, no token",
        ),
        (
            Method::GET,
            s.url("/beta/deviceManagement/somethingElse"),
            None,
            None,
            StatusCode::UNAUTHORIZED,
            "unknown path under /beta, no token",
        ),
        (
            Method::GET,
            s.url("/BETA/DeviceManagement/AndroidDeviceOwnerEnrollmentProfiles"),
            None,
            None,
            StatusCode::UNAUTHORIZED,
            "any case, no token",
        ),
        (
            Method::PUT,
            s.collection(),
            None,
            None,
            StatusCode::UNAUTHORIZED,
            "method not allowed, no token",
        ),
        (
            Method::POST,
            s.collection(),
            None,
            Some(json!({"bogus": 1})),
            StatusCode::UNAUTHORIZED,
            "bad body, no token",
        ),
        (
            Method::PATCH,
            unknown.clone(),
            Some(&read),
            Some(json!({"description": "x"})),
            StatusCode::FORBIDDEN,
            "unknown id, Read token",
        ),
        (
            Method::DELETE,
            format!("{}/not-a-guid", s.collection()),
            Some(&read),
            None,
            StatusCode::FORBIDDEN,
            "malformed id, Read token",
        ),
        (
            Method::POST,
            s.collection(),
            Some(&read),
            Some(json!({"bogus": 1})),
            StatusCode::FORBIDDEN,
            "bad body, Read token",
        ),
        (
            Method::GET,
            unknown.clone(),
            Some(&read),
            None,
            StatusCode::NOT_FOUND,
            "unknown id, Read token",
        ),
        (
            Method::GET,
            s.url("/beta/deviceManagement/somethingElse"),
            Some(&read),
            None,
            StatusCode::BAD_REQUEST,
            "unknown path, Read token",
        ),
        (
            Method::GET,
            s.url("/v1.0/deviceManagement/androidDeviceOwnerEnrollmentProfiles"),
            None,
            None,
            StatusCode::BAD_REQUEST,
            "outside /beta, no token",
        ),
    ];
    for (method, url, token, body, status, what) in cases {
        let res = call(&s, method, &url, token, body.as_ref()).await;
        assert_eq!(
            res.status(),
            status,
            "{what}: {}",
            res.text().await.unwrap()
        );
    }
    let health = call(&s, Method::GET, &s.url("/healthz"), None, None).await;
    assert_eq!(health.status(), StatusCode::OK);
    let metadata = call(&s, Method::GET, &s.url("/beta/$metadata"), None, None).await;
    assert_ne!(
        metadata.status(),
        StatusCode::UNAUTHORIZED,
        "$metadata needs no token"
    );
    s.stop().await;
}
