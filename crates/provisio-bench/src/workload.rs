//! The workloads: what each one sends, and the paging walk that finds the URL of page 50.

use anyhow::{bail, Context as _};
use bytes::Bytes;
use http::Method;

use crate::client::{Call, Connection};
use crate::dataset::{self, splitmix64, COMMON_NAME};
use crate::load::describe_error;

/// The collection's path.
pub const COLLECTION: &str = "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles";

/// The page whose request the `page50` workload measures.
pub const PAGE: u32 = 50;

/// One kind of request, sent over and over by every worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Workload {
    /// `GET /healthz`: the same middleware, no database.
    Baseline,
    /// `POST` a small profile.
    Create,
    /// `GET` a random preloaded profile by id.
    Get,
    /// The first 100 of the profiles with the common display name (`$filter`).
    List,
    /// Page 50 of the list ordered by display name, 100 a page (`$orderby`, `$skiptoken`).
    Page50,
    /// `PATCH` the description of a random preloaded profile.
    Patch,
    /// `createToken` on a random preloaded profile: token, QR payload and PNG.
    CreateToken,
}

impl Workload {
    /// Every workload, in the default order.
    pub const ALL: [Workload; 7] = [
        Workload::Baseline,
        Workload::Create,
        Workload::Get,
        Workload::List,
        Workload::Page50,
        Workload::Patch,
        Workload::CreateToken,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Baseline => "baseline",
            Workload::Create => "create",
            Workload::Get => "get",
            Workload::List => "list",
            Workload::Page50 => "page50",
            Workload::Patch => "patch",
            Workload::CreateToken => "createToken",
        }
    }

    /// The workload called `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Workload> {
        Self::ALL
            .into_iter()
            .find(|w| w.name().eq_ignore_ascii_case(name))
    }

    /// Whether it picks preloaded profiles, and so needs some.
    pub fn needs_profiles(self) -> bool {
        matches!(
            self,
            Workload::Get | Workload::Patch | Workload::CreateToken | Workload::Page50
        )
    }

    /// The request a worker sends next. `rng` is the worker's own random state; `page50` is the
    /// path found by [`find_page`].
    pub fn call(self, profiles: u64, page50: &str, rng: &mut u64) -> Call {
        *rng = splitmix64(*rng);
        let pick = *rng % profiles.max(1);
        let one = |i: u64| format!("{COLLECTION}/{}", dataset::profile_id(i));
        match self {
            Workload::Baseline => Call::get("/healthz"),
            Workload::Create => json(
                Method::POST,
                COLLECTION.to_owned(),
                format!(
                    r#"{{"displayName":"Bench {:08x}","enrollmentMode":"corporateOwnedFullyManaged"}}"#,
                    *rng as u32
                ),
            ),
            Workload::Get => Call::get(one(pick)),
            Workload::List => Call::get(filtered_list_path()),
            Workload::Page50 => Call::get(page50),
            Workload::Patch => json(
                Method::PATCH,
                one(pick),
                format!(r#"{{"description":"Patched {:08x}"}}"#, *rng as u32),
            ),
            Workload::CreateToken => json(
                Method::POST,
                format!("{}/createToken", one(pick)),
                r#"{"tokenValidityInSeconds":3600}"#.to_owned(),
            ),
        }
    }
}

fn json(method: Method, path: String, body: String) -> Call {
    Call {
        method,
        path,
        body: Some(Bytes::from(body)),
    }
}

/// `?$top=100&$filter=displayName eq '<common name>'`, percent-encoded.
pub fn filtered_list_path() -> String {
    let filter = format!("displayName eq '{COMMON_NAME}'")
        .replace('%', "%25")
        .replace(' ', "%20")
        .replace('\'', "%27");
    format!("{COLLECTION}?$top=100&$filter={filter}")
}

/// The first page of the list that `page50` walks.
pub fn ordered_list_path() -> String {
    format!("{COLLECTION}?$orderby=displayName&$top=100")
}

/// The path and query of an absolute `@odata.nextLink` (the load always goes to the server's
/// own loopback address, whatever host the link names).
pub fn link_path(link: &str) -> Option<String> {
    let uri: http::Uri = link.parse().ok()?;
    uri.scheme()?;
    uri.path_and_query().map(|pq| pq.as_str().to_owned())
}

/// Follows `@odata.nextLink` from the first page of the ordered list to page [`PAGE`] and
/// returns its path. On failure the error names the page and the server's answer; the path of
/// the failed request comes with it so the workload can still be measured (as errors).
pub async fn find_page(conn: &mut Connection) -> Result<String, (String, anyhow::Error)> {
    let mut path = ordered_list_path();
    for page in 1..PAGE {
        let step = async {
            let reply = conn.send(&Call::get(path.clone())).await?;
            if !reply.status.is_success() {
                bail!(
                    "page {page} answered {}",
                    describe_error(reply.status.as_u16(), &reply.body)
                );
            }
            let v: serde_json::Value =
                serde_json::from_slice(&reply.body).context("the list is not JSON")?;
            let link = v["@odata.nextLink"]
                .as_str()
                .with_context(|| format!("page {page} has no @odata.nextLink"))?;
            link_path(link).with_context(|| format!("'{link}' is not an absolute URL"))
        };
        match step.await {
            Ok(next) => path = next,
            Err(e) => return Err((path, e)),
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(Workload::from_name(w.name()), Some(w));
        }
        assert_eq!(
            Workload::from_name("createtoken"),
            Some(Workload::CreateToken)
        );
        assert_eq!(Workload::from_name("delete"), None);
    }

    #[test]
    fn requests_target_preloaded_profiles() {
        let mut rng = 7;
        let call = Workload::CreateToken.call(10, "", &mut rng);
        assert_eq!(call.method, Method::POST);
        let id = call.path.split('/').nth(4).unwrap();
        assert!((0..10).any(|i| dataset::profile_id(i).to_string() == id));
        assert!(call.path.ends_with("/createToken"));
        assert_eq!(
            Workload::List.call(10, "", &mut rng).path,
            format!("{COLLECTION}?$top=100&$filter=displayName%20eq%20%27Lobby%20kiosk%27")
        );
        assert_eq!(Workload::Page50.call(10, "/p?x", &mut rng).path, "/p?x");
        let create = Workload::Create.call(10, "", &mut rng);
        let body: serde_json::Value = serde_json::from_slice(&create.body.unwrap()).unwrap();
        assert!(body["displayName"].as_str().unwrap().starts_with("Bench "));
    }

    #[test]
    fn next_links_become_local_paths() {
        assert_eq!(
            link_path("http://127.0.0.1:8080/beta/x?$top=100&$skiptoken=abc").as_deref(),
            Some("/beta/x?$top=100&$skiptoken=abc")
        );
        assert_eq!(link_path("/relative?x"), None);
        assert_eq!(link_path("not a url"), None);
    }
}
