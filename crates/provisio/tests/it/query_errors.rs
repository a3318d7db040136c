//! The correctness table, part 3: malformed query options, and skip tokens used with another
//! query. Each answers 400 `BadRequest` with the Graph error envelope, never a wrong page.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{expect_error, ok_json};
use crate::query_data;
use crate::query_table::enc;

/// (raw query string, a piece the message must contain).
const MALFORMED: &[(&str, &str)] = &[
    ("$filter=dispayName eq 'x'", "did you mean 'displayName'"),
    ("$filter=displayName eq 1", "$filter"),
    ("$filter=displayName eq", "$filter"),
    ("$filter=(displayName eq 'x'", "$filter"),
    ("$filter=displayName eq 'x')", "$filter"),
    ("$filter=displayName eq 'unterminated", "$filter"),
    ("$filter=enrolledDeviceCount eq 'x'", "$filter"),
    ("$filter=enrolledDeviceCount eq 99999999999", "$filter"),
    ("$filter=enrollmentMode eq 'nope'", "$filter"),
    ("$filter=enrollmentMode eq 1", "$filter"),
    (
        "$filter=createdDateTime eq '2020-01-01T00:00:00Z'",
        "$filter",
    ),
    ("$filter=createdDateTime eq 2020-13-01T00:00:00Z", "$filter"),
    ("$filter=createdDateTime gt null", "$filter"),
    ("$filter=configureWifi gt true", "$filter"),
    ("$filter=wifiPassword eq 'x'", "wifiPassword"),
    // Sealed members: equality through their hash only, never sorted; the message names the
    // member and never the value.
    (
        "$filter=tokenValue gt 'M'",
        "'tokenValue' is stored encrypted",
    ),
    (
        "$filter=tokenValue ne 'ABCDEFGHIJ'",
        "'tokenValue' is stored encrypted",
    ),
    (
        "$filter=tokenValue in ('ABCDEFGHIJ')",
        "'tokenValue' is stored encrypted",
    ),
    (
        "$filter=startswith(tokenValue,'ABCDEFGHIJ')",
        "'tokenValue' is stored encrypted",
    ),
    (
        "$filter=contains(tokenValue,'ABCDEFGHIJ')",
        "'tokenValue' is stored encrypted",
    ),
    ("$filter=qrCodeContent eq null", "qrCodeContent"),
    ("$orderby=tokenValue", "tokenValue"),
    ("$orderby=qrCodeContent", "qrCodeContent"),
    ("$filter=deviceNameTemplate eq null", "deviceNameTemplate"),
    ("$filter=qrCodeImage eq null", "qrCodeImage"),
    ("$filter=roleScopeTagIds eq '0'", "$filter"),
    ("$filter=roleScopeTagIds/all()", "$filter"),
    ("$filter=roleScopeTagIds/any(t: u eq '0')", "$filter"),
    ("$filter=roleScopeTagIds/any(t: t eq null)", "$filter"),
    ("$filter=displayName in ()", "$filter"),
    ("$filter=displayName in ('a', null)", "$filter"),
    ("$filter=startswith(displayName)", "$filter"),
    ("$filter=startswith(enrolledDeviceCount,'1')", "$filter"),
    ("$filter=substringof('a',displayName)", "$filter"),
    ("$filter=displayName EQ 'x'", "$filter"),
    ("$filter=not displayName eq 'x'", "$filter"),
    ("$filter=displayName eq 'x' and", "$filter"),
    (
        "$filter=id eq 8f1c2a4e-0000-4000-8000-00000000abcd",
        "$filter",
    ),
    ("$filter=", "$filter"),
    ("$orderby=roleScopeTagIds", "$orderby"),
    ("$orderby=wifiPassword", "$orderby"),
    ("$orderby=displayName sideways", "$orderby"),
    ("$orderby=displayName,displayName", "$orderby"),
    ("$orderby=nope", "$orderby"),
    ("$select=nope", "$select"),
    ("$select=displayName/x", "$select"),
    ("$top=1001", "$top"),
    ("$top=-1", "$top"),
    ("$top=x", "$top"),
    ("$skip=-1", "$skip"),
    ("$skip=x", "$skip"),
    ("$count=maybe", "$count"),
    ("$search=\"\"", "$search"),
    ("$search=\"unterminated", "$search"),
    ("$expand=anything", "$expand"),
    ("$unknown=1", "$unknown"),
    ("$filter=configureWifi&$filter=wifiHidden", "more than once"),
    ("$filter=configureWifi&filter=wifiHidden", "more than once"),
    ("$skiptoken=garbage", "$skiptoken"),
    ("$skiptoken=", "$skiptoken"),
    ("%24filter=%ZZ", "$filter"),
];

#[tokio::test]
async fn malformed_queries_are_400_with_the_graph_envelope() {
    let (s, _dir, _) = query_data::start().await;
    for (raw, needle) in MALFORMED {
        // Spaces and quotes are sent encoded, as clients do; the rest as written.
        let raw = raw
            .replace(' ', "%20")
            .replace('\'', "%27")
            .replace('"', "%22");
        // The list and its `$count` check the options alike.
        for url in [
            format!("{}?{raw}", s.collection()),
            format!("{}/$count?{raw}", s.collection()),
        ] {
            let msg = expect_error(s.get(&url).await, StatusCode::BAD_REQUEST, "BadRequest").await;
            assert!(msg.contains(needle), "{url}: {msg}");
            // A value compared with a sealed member is never echoed.
            assert!(!msg.contains("ABCDEFGHIJ"), "{url}: {msg}");
        }
    }
    let huge = format!(
        "$filter={}",
        enc(&format!("displayName eq '{}'", "x".repeat(17_000)))
    );
    let url = format!("{}?{huge}", s.collection());
    expect_error(s.get(&url).await, StatusCode::BAD_REQUEST, "BadRequest").await;
    // A filter of 150 `contains` would hold a database reader for long: refused up front.
    let heavy = vec!["contains(description,'x')"; 150].join(" or ");
    let url = format!("{}?$filter={}", s.collection(), enc(&heavy));
    let msg = expect_error(s.get(&url).await, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(
        msg.contains("150 conditions, more than the 100 allowed"),
        "{msg}"
    );
    s.stop().await;
}

/// The `$skiptoken` of the first page of `query`.
async fn first_token(s: &crate::common::TestServer, query: &str) -> String {
    let page = ok_json(s.get(&format!("{}?{query}", s.collection())).await).await;
    let next = page["@odata.nextLink"].as_str().expect("a next page");
    next.rsplit_once("$skiptoken=").unwrap().1.to_owned()
}

#[tokio::test]
async fn skip_tokens_only_work_for_their_own_query() {
    let (s, _dir, _) = query_data::start().await;
    let base = "$filter=configureWifi&$orderby=displayName&$top=5";
    let token = first_token(&s, base).await;
    for other in [
        "$filter=wifiHidden&$orderby=displayName&$top=5",
        "$filter=configureWifi&$orderby=displayName%20desc&$top=5",
        "$filter=configureWifi&$top=5",
        "$filter=configureWifi&$orderby=displayName&$search=kiosk",
        "$orderby=displayName&$top=5",
    ] {
        let url = format!("{}?{other}&$skiptoken={token}", s.collection());
        let msg = expect_error(s.get(&url).await, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert!(msg.contains("$skiptoken"), "{msg}");
    }
    // The same rows in the same order, spelled differently or with another page size and
    // selection, continue where the token points.
    let same = format!(
        "{}?%24ORDERBY=displayName%20asc&filter=configureWifi%20eq%20true&$top=3&$select=id&$skiptoken={token}",
        s.collection()
    );
    let page: Value = ok_json(s.get(&same).await).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 3);
    let continued = ok_json(
        s.get(&format!("{}?{base}&$skiptoken={token}", s.collection()))
            .await,
    )
    .await;
    assert_eq!(page["value"][0]["id"], continued["value"][0]["id"]);
    // A token of another data set's key is refused too.
    let (s2, _dir2, _) = query_data::start().await;
    let url = format!("{}?{base}&$skiptoken={token}", s2.collection());
    expect_error(s2.get(&url).await, StatusCode::BAD_REQUEST, "BadRequest").await;
    s.stop().await;
    s2.stop().await;
}
