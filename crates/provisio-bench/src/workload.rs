//! The workloads: what each one sends, and the paging walk that finds the URL of page 50.

use std::sync::Arc;

use anyhow::{bail, Context as _};
use bytes::Bytes;
use http::Method;

use crate::client::{Call, Connection};
use crate::dataset::{self, splitmix64, COMMON_NAME};
use crate::devices;
use crate::load::describe_error;

/// The collection's path.
pub const COLLECTION: &str = "/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles";

/// The page whose request the `page50` and `devicesPage50` workloads measure.
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
    /// `POST /device/v1/enroll` of a new device, on tokens of one profile per connection, each
    /// worker's devices going to the tokens in turn.
    Enroll,
    /// `POST /device/v1/enroll` of a new device, every one on the same token.
    EnrollOneToken,
    /// Page 1 of one profile's managed devices (`$filter=enrollmentProfileId eq ...`).
    DevicesPage1,
    /// Page 50 of the same list, found by following `@odata.nextLink`.
    DevicesPage50,
}

impl Workload {
    /// Every workload.
    pub const ALL: [Workload; 11] = [
        Workload::Baseline,
        Workload::Create,
        Workload::Get,
        Workload::List,
        Workload::Page50,
        Workload::Patch,
        Workload::CreateToken,
        Workload::Enroll,
        Workload::EnrollOneToken,
        Workload::DevicesPage1,
        Workload::DevicesPage50,
    ];

    /// The workloads of a run without `--workloads`, in order: every one but the device lists
    /// (the last two of [`Workload::ALL`]), which need preloaded devices (`--device-growth`).
    pub fn defaults() -> &'static [Workload] {
        &Self::ALL[..Self::ALL.len() - 2]
    }

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
            Workload::Enroll => "enroll",
            Workload::EnrollOneToken => "enrollOneToken",
            Workload::DevicesPage1 => "devicesPage1",
            Workload::DevicesPage50 => "devicesPage50",
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

    /// Whether it is a device's enrollment.
    pub fn is_enrollment(self) -> bool {
        matches!(self, Workload::Enroll | Workload::EnrollOneToken)
    }

    /// Whether its requests carry the bearer token. The device protocol's credentials are the
    /// enrollment token in the body: an `Authorization` header of another scheme is refused.
    pub fn bearer(self) -> bool {
        !self.is_enrollment()
    }

    /// Most requests it may send in all, warm-up included, whatever `--max-requests` says:
    /// every enrollment on one token counts on it, and a token enrolls at most 20,000 devices.
    pub fn request_cap(self) -> Option<u64> {
        (self == Workload::EnrollOneToken).then_some(devices::ONE_TOKEN_ENROLLMENTS)
    }

    /// The request a worker sends next.
    pub fn call(self, fx: &Fixture, w: &mut Worker) -> Call {
        w.rng = splitmix64(w.rng);
        let pick = w.rng % fx.profiles.max(1);
        let one = |i: u64| format!("{COLLECTION}/{}", dataset::profile_id(i));
        let call = match self {
            Workload::Baseline => Call::get("/healthz"),
            Workload::Create => json(
                Method::POST,
                COLLECTION.to_owned(),
                format!(
                    r#"{{"displayName":"Bench {:08x}","enrollmentMode":"corporateOwnedFullyManaged"}}"#,
                    w.rng as u32
                ),
            ),
            Workload::Get => Call::get(one(pick)),
            Workload::List => Call::get(filtered_list_path()),
            Workload::Page50 | Workload::DevicesPage1 | Workload::DevicesPage50 => {
                Call::get(&*fx.page)
            }
            Workload::Patch => json(
                Method::PATCH,
                one(pick),
                format!(r#"{{"description":"Patched {:08x}"}}"#, w.rng as u32),
            ),
            Workload::CreateToken => json(
                Method::POST,
                format!("{}/createToken", one(pick)),
                r#"{"tokenValidityInSeconds":3600}"#.to_owned(),
            ),
            Workload::Enroll | Workload::EnrollOneToken => {
                let token = match fx.tokens.len() {
                    0 => "",
                    n => fx.tokens[((w.index + w.sent) % n as u64) as usize].as_str(),
                };
                devices::enroll_call(token, &devices::serial(fx.run, w.index, w.sent))
            }
        };
        w.sent += 1;
        call
    }
}

/// What a workload's requests are made from, prepared before it runs.
#[derive(Clone, Debug, Default)]
pub struct Fixture {
    /// Preloaded profiles, which `get`, `patch` and `createToken` pick from.
    pub profiles: u64,
    /// The page a paging workload requests, found beforehand by following `@odata.nextLink`.
    pub page: Arc<str>,
    /// The enrollment tokens devices present, in turn.
    pub tokens: Arc<[String]>,
    /// Sets this workload's device serial numbers apart from every other's.
    pub run: u64,
}

/// One worker's own state: its random numbers, its place among the workers, its requests.
#[derive(Clone, Debug)]
pub struct Worker {
    rng: u64,
    index: u64,
    sent: u64,
}

impl Worker {
    /// Worker number `index` of a workload.
    pub fn new(index: u64) -> Self {
        Worker {
            rng: index.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xA5A5_5A5A,
            index,
            sent: 0,
        }
    }
}

/// A request with a JSON body.
pub fn json(method: Method, path: String, body: String) -> Call {
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

/// Follows `@odata.nextLink` from `first` (page 1 of a list) to page `target` and returns its
/// path. On failure the error names the page and the server's answer; the path of the failed
/// request comes with it so the workload can still be measured (as errors).
pub async fn find_page(
    conn: &mut Connection,
    first: String,
    target: u32,
) -> Result<String, (String, anyhow::Error)> {
    let mut path = first;
    for page in 1..target {
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
        assert!(!Workload::defaults().contains(&Workload::DevicesPage1));
        assert!(Workload::defaults().contains(&Workload::EnrollOneToken));
    }

    #[test]
    fn enrollments_go_round_the_tokens_as_distinct_devices() {
        let fx = Fixture {
            tokens: Arc::from(["AAAA".to_owned(), "BBBB".to_owned(), "CCCC".to_owned()]),
            run: 9,
            ..Fixture::default()
        };
        let mut workers = [Worker::new(0), Worker::new(1)];
        let bodies: Vec<serde_json::Value> = [0, 0, 1, 0]
            .into_iter()
            .map(|k| {
                let call = Workload::Enroll.call(&fx, &mut workers[k]);
                assert_eq!(call.method, Method::POST);
                assert_eq!(call.path, "/device/v1/enroll");
                serde_json::from_slice(&call.body.unwrap()).unwrap()
            })
            .collect();
        let tokens: Vec<&str> = bodies
            .iter()
            .map(|b| b["enrollmentToken"].as_str().unwrap())
            .collect();
        assert_eq!(tokens, ["AAAA", "BBBB", "BBBB", "CCCC"]);
        let serials: std::collections::HashSet<&str> = bodies
            .iter()
            .map(|b| b["device"]["serialNumber"].as_str().unwrap())
            .collect();
        assert_eq!(serials.len(), 4);
        let hashes: std::collections::HashSet<&str> = bodies
            .iter()
            .map(|b| b["credentialHash"].as_str().unwrap())
            .collect();
        assert_eq!(hashes.len(), 4);
        assert!(!Workload::Enroll.bearer() && Workload::Get.bearer());
        assert_eq!(
            Workload::EnrollOneToken.request_cap(),
            Some(devices::ONE_TOKEN_ENROLLMENTS)
        );
    }

    #[test]
    fn requests_target_preloaded_profiles() {
        let fx = Fixture {
            profiles: 10,
            page: Arc::from("/p?x"),
            ..Fixture::default()
        };
        let mut rng = Worker::new(7);
        let call = Workload::CreateToken.call(&fx, &mut rng);
        assert_eq!(call.method, Method::POST);
        let id = call.path.split('/').nth(4).unwrap();
        assert!((0..10).any(|i| dataset::profile_id(i).to_string() == id));
        assert!(call.path.ends_with("/createToken"));
        assert_eq!(
            Workload::List.call(&fx, &mut rng).path,
            format!("{COLLECTION}?$top=100&$filter=displayName%20eq%20%27Lobby%20kiosk%27")
        );
        assert_eq!(Workload::Page50.call(&fx, &mut rng).path, "/p?x");
        let create = Workload::Create.call(&fx, &mut rng);
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
