//! The audit trail: one event for every change, with its actor and its old and new values,
//! committed with the change or not at all, secrets masked, read-only, tenant-isolated, and
//! queried like every collection; on both stores.

mod changes;
mod reading;
mod retention;

use reqwest::Client;
use serde_json::Value;

use crate::common::{client_with_token, ok_json, TestServer};
use provisio::auth::AUDIT_READ_ALL;

/// A client that may read the audit trail of `s`'s development tenant.
pub fn reader(s: &TestServer) -> Client {
    client_with_token(&s.dev_token(s.dev_tenant, &[AUDIT_READ_ALL], false))
}

/// The audit trail's collection URL.
pub fn events_url(s: &TestServer) -> String {
    s.collection_of("auditEvents")
}

/// Every event of the development tenant, oldest first (`query` is added to the request).
pub async fn events(s: &TestServer, query: &str) -> Vec<Value> {
    let client = reader(s);
    let order = match query.contains("$orderby") {
        true => "",
        false => "$orderby=activityDateTime&",
    };
    let mut url = format!("{}?{order}{query}", events_url(s));
    let mut all = Vec::new();
    loop {
        let page = ok_json(client.get(&url).send().await.unwrap()).await;
        all.extend(page["value"].as_array().unwrap().iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return all,
        }
    }
}

/// The events whose activity type is `ty`.
pub async fn of_type(s: &TestServer, ty: &str) -> Vec<Value> {
    events(s, &format!("$filter=activityType eq '{ty}'")).await
}

/// How many events `tenant` has in `store`.
pub async fn stored(
    store: &std::sync::Arc<dyn provisio::store::Store>,
    tenant: provisio::model::TenantId,
) -> u64 {
    store
        .count::<provisio::model::audit::AuditEvent>(tenant, &provisio::store::Criteria::default())
        .await
        .unwrap()
}

/// The modified property `name` of an event's resource `r`: (old, new).
pub fn modified(event: &Value, r: usize, name: &str) -> Option<(Value, Value)> {
    event["resources"][r]["modifiedProperties"]
        .as_array()?
        .iter()
        .find(|p| p["displayName"] == name)
        .map(|p| (p["oldValue"].clone(), p["newValue"].clone()))
}
