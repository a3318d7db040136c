//! The correctness table, part 1: well-formed `$filter`/`$orderby`/`$search`/`$skip`/`$top`
//! queries run end to end over HTTP against the fixed data set, every page followed through
//! `@odata.nextLink`, and compared with the independent in-memory oracle.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use provisio::model::{Profile, PROFILES};
use serde_json::Value;

use crate::common::{ok_json, TestServer};
use crate::query_data;
use crate::query_oracle;

/// Percent-encodes a query option value.
pub fn enc(v: &str) -> String {
    utf8_percent_encode(v, NON_ALPHANUMERIC).to_string()
}

/// `name=value&...` with the values encoded.
pub fn query_string(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The options as the server parses them (the case must be well-formed).
pub fn options(params: &[(&str, &str)]) -> odata::QueryOptions {
    odata::parse_query(
        &query_string(params),
        &PROFILES.layout().schema,
        &odata::Limits::DEFAULT,
    )
    .unwrap_or_else(|e| panic!("{params:?} should be valid: {e}"))
}

/// What a list request returned over all its pages.
pub struct Listed {
    pub entities: Vec<Value>,
    pub ids: Vec<String>,
    pub count: Option<u64>,
    pub pages: usize,
    pub context: String,
}

/// Runs a list request and follows every `@odata.nextLink`, checking that each link is absolute,
/// keeps every option of the request and that pages are never larger than `$top` (or 100).
pub async fn list(s: &TestServer, params: &[(&str, &str)]) -> Listed {
    let qs = query_string(params);
    let top = options(params).top.unwrap_or(100) as usize;
    let mut url = format!("{}?{qs}", s.collection());
    let mut out = Listed {
        entities: Vec::new(),
        ids: Vec::new(),
        count: None,
        pages: 0,
        context: String::new(),
    };
    loop {
        let page = ok_json(s.get(&url).await).await;
        out.pages += 1;
        let value = page["value"].as_array().expect("value");
        assert!(value.len() <= top, "{qs}: page of {} > {top}", value.len());
        let count = page.get("@odata.count").map(|c| c.as_u64().expect("count"));
        if out.pages == 1 {
            out.count = count;
            out.context = page["@odata.context"].as_str().unwrap_or("").to_owned();
        } else {
            assert_eq!(count, out.count, "{qs}: @odata.count changed between pages");
        }
        for e in value {
            if let Some(id) = e.get("id").and_then(Value::as_str) {
                out.ids.push(id.to_owned());
            }
            out.entities.push(e.clone());
        }
        let Some(next) = page.get("@odata.nextLink").and_then(Value::as_str) else {
            return out;
        };
        assert!(next.starts_with(&s.collection()), "{next}");
        for pair in qs.split('&').filter(|p| !p.is_empty()) {
            assert!(next.contains(pair), "{next} lost {pair}");
        }
        assert!(value.len() == top, "{qs}: a short page has a nextLink");
        url = next.to_owned();
    }
}

/// Asserts equal id lists, reporting the first difference rather than both lists.
pub fn same_ids(got: &[String], want: &[String], case: &str) {
    if got != want {
        let at = got.iter().zip(want).take_while(|(g, w)| g == w).count();
        panic!(
            "{case}: {} ids, expected {}; first difference at {at}: got {:?}, expected {:?}",
            got.len(),
            want.len(),
            got.get(at),
            want.get(at)
        );
    }
}

/// Runs one case and compares ids (in order), the count and the number of pages with the
/// oracle.
pub async fn check(s: &TestServer, profiles: &[Profile], params: &[(&str, &str)]) -> Listed {
    let opts = options(params);
    let want = query_oracle::expected(profiles, &opts);
    let got = list(s, params).await;
    same_ids(&got.ids, &want, &format!("{params:?}"));
    if opts.count {
        let all = odata::QueryOptions {
            skip: None,
            ..opts.clone()
        };
        let total = query_oracle::expected(profiles, &all).len() as u64;
        assert_eq!(got.count, Some(total), "{params:?}: @odata.count");
    }
    let top = opts.top.unwrap_or(100) as usize;
    assert_eq!(
        got.pages,
        want.len().div_ceil(top).max(1),
        "{params:?}: pages"
    );
    got
}

/// Filters compared with the oracle (each also asks for `$count=true`).
pub const FILTERS: &[&str] = &[
    "displayName eq 'émile'",
    "displayName eq 'ÉMILE'",
    "displayName eq 'Emile'",
    "displayName ne 'émile'",
    "displayName gt 'm'",
    "displayName ge 'Émile'",
    "displayName lt 'B'",
    "displayName le 'apple'",
    "startswith(displayName,'É')",
    "startswith(displayName,'é')",
    "startswith(displayName,'kiosk')",
    "startswith(displayName,'100%')",
    "startswith(displayName,'under_')",
    "startswith(displayName,'')",
    "startswith(displayName,'😀')",
    "endswith(displayName,'E')",
    "endswith(displayName,'7')",
    "contains(displayName,'%')",
    "contains(displayName,'_')",
    "contains(displayName,'\\')",
    "contains(displayName,'''')",
    "contains(displayName,'SS')",
    "contains(displayName,'ß')",
    "contains(displayName,'Σ')",
    "contains(displayName,'İSTANBUL')",
    "displayName in ('apple','ZEBRA','ß')",
    "not (displayName in ('apple','zebra'))",
    "displayName eq null",
    "displayName ne null",
    "'émile' eq displayName",
    "description eq null",
    "description ne null",
    "description eq 'front desk'",
    "description ne 'Front desk'",
    "not (description eq 'front desk')",
    "description gt 'c'",
    "not (description gt 'c')",
    "description le 'CAFÉ'",
    "description eq ''",
    "startswith(description,'')",
    "startswith(description,'caf')",
    "not startswith(description,'caf')",
    "endswith(description,'ESK')",
    "contains(description,'%')",
    "contains(description,'_')",
    "contains(description,'''s')",
    "description in ('lobby','CAFÉ')",
    "not (description in ('lobby'))",
    "startswith(description,'50%_')",
    "contains(description,'0% o')",
    "wifiSsid eq 'lobby'",
    "wifiSsid eq null",
    "wifiSsid ne 'LOBBY'",
    "startswith(wifiSsid,'STRASSE')",
    "startswith(wifiSsid,'straße')",
    "contains(wifiSsid,'_')",
    "endswith(wifiSsid,'É')",
    "id gt '8'",
    "startswith(id,'00000000')",
    "id eq '00000000-0000-4000-8000-000000000003'",
    "id eq '00000000-0000-4000-8000-00000000000A'",
    "id in ('00000000-0000-4000-8000-000000000001','00000000-0000-4000-8000-000000000002')",
    "accountId eq '00000000-0000-4000-8000-000000000001'",
    "accountId ne '00000000-0000-4000-8000-000000000001'",
    "accountId eq '00000000-0000-0000-0000-00000000dead'",
    "tokenValue eq null",
    "tokenValue ne null",
    "tokenValue eq 'abcdefghijabcdefghij'",
    "not (tokenValue eq 'abcdefghijabcdefghij') and tokenValue ne null",
    "enrollmentMode eq 'corporateOwnedFullyManaged'",
    "enrollmentMode eq microsoft.graph.androidDeviceOwnerEnrollmentMode'corporateOwnedAOSPUserlessDevice'",
    "enrollmentMode ne 'corporateOwnedDedicatedDevice'",
    "enrollmentMode gt 'corporateOwnedWorkProfile'",
    "enrollmentMode le 'corporateOwnedFullyManaged'",
    "enrollmentMode in ('corporateOwnedWorkProfile','corporateOwnedAOSPUserAssociatedDevice')",
    "enrollmentTokenType eq 'deviceStaging'",
    "enrollmentTokenType ne 'default'",
    "wifiSecurityType eq 'wpa'",
    "wifiSecurityType ge 'wpa'",
    "wifiSecurityType eq graph.aospWifiSecurityType'wep'",
    "enrolledDeviceCount eq 0",
    "enrolledDeviceCount gt 20",
    "enrolledDeviceCount le 5",
    "enrolledDeviceCount in (1,2,3)",
    "enrollmentTokenUsageCount ne 0",
    "enrollmentTokenUsageCount ge 6",
    "not (enrolledDeviceCount lt 10)",
    "10 lt enrolledDeviceCount",
    "createdDateTime lt 2001-01-02T00:00:00Z",
    "createdDateTime eq 2001-01-01T01:00:00+01:00",
    "createdDateTime eq 2020-01-01T00:00:00Z",
    "createdDateTime gt 2022-06-01T00:00:00Z",
    "createdDateTime ge 2020-01-01T00:00:00.0000001Z",
    "lastModifiedDateTime le 2021-01-01T00:00:00Z",
    "tokenCreationDateTime eq 0001-01-01T00:00:00Z",
    "tokenExpirationDateTime gt 2023-01-01T00:00:00Z",
    "tokenExpirationDateTime ne 0001-01-01T00:00:00Z",
    "createdDateTime in (2001-01-03T00:00:00Z, 2020-01-01T00:00:00Z)",
    "configureWifi",
    "configureWifi eq false",
    "not configureWifi",
    "wifiHidden eq true and isTeamsDeviceProfile eq false",
    "isTeamsDeviceProfile ne true",
    "startswith(displayName,'a') eq false",
    "roleScopeTagIds/any(t: t eq '0')",
    "roleScopeTagIds/any(t: t eq 'TAG-É')",
    "roleScopeTagIds/any(t: t eq 'admin')",
    "roleScopeTagIds/any()",
    "not roleScopeTagIds/any()",
    "roleScopeTagIds/any(t: t ne '0')",
    "roleScopeTagIds/any(t: startswith(t,'tag'))",
    "roleScopeTagIds/any(t: t in ('1','5','x'))",
    "roleScopeTagIds/any(t: not (t eq '0'))",
    "not roleScopeTagIds/any(t: t eq '0')",
    "roleScopeTagIds/any(t: t gt '1' and t lt 'b')",
    "roleScopeTagIds/any(t: contains(t,'-'))",
    "roleScopeTagIds/any(t: t eq 'ss')",
    "enrollmentMode eq 'corporateOwnedFullyManaged' and configureWifi or enrolledDeviceCount gt 30",
    "(description eq null or description eq 'lobby') and not wifiHidden",
    "not (description ne null and wifiSsid ne null)",
    "not (not (description eq 'lobby'))",
    "not (startswith(displayName,'k') or endswith(displayName,'e'))",
    "description eq 'lobby' or description eq null or description ne 'lobby'",
    "not (description eq 'x' and enrolledDeviceCount gt 3)",
    "startswith(displayName,'hand')",
];

#[tokio::test]
async fn filters_match_the_oracle() {
    let (s, _dir, profiles) = query_data::start().await;
    let mut non_trivial = 0;
    for f in FILTERS {
        let got = check(&s, &profiles, &[("$filter", f), ("$count", "true")]).await;
        if !got.ids.is_empty() && got.ids.len() < profiles.len() {
            non_trivial += 1;
        }
    }
    // The table is only worth its name if most filters select something, but not everything.
    assert!(
        non_trivial * 10 >= FILTERS.len() * 8,
        "{non_trivial} of {}",
        FILTERS.len()
    );
    s.stop().await;
}

/// Every sortable member.
const SORTABLE: &[&str] = &[
    "id",
    "accountId",
    "displayName",
    "description",
    "enrollmentMode",
    "enrollmentTokenType",
    "createdDateTime",
    "lastModifiedDateTime",
    "tokenCreationDateTime",
    "tokenExpirationDateTime",
    "enrolledDeviceCount",
    "enrollmentTokenUsageCount",
    "configureWifi",
    "wifiSsid",
    "wifiSecurityType",
    "wifiHidden",
    "isTeamsDeviceProfile",
];

const MULTI_KEY_ORDERS: &[&str] = &[
    "enrollmentMode desc,displayName",
    "description,wifiSsid desc",
    "configureWifi,createdDateTime desc,displayName",
    "wifiSsid desc,description desc",
    "displayName,id desc",
    "id desc,displayName",
    "isTeamsDeviceProfile desc,wifiHidden,description",
    "accountId desc",
];

#[tokio::test]
async fn every_order_pages_like_the_oracle() {
    let (s, _dir, profiles) = query_data::start().await;
    for member in SORTABLE {
        for dir in ["asc", "desc"] {
            let order = format!("{member} {dir}");
            check(&s, &profiles, &[("$orderby", &order), ("$top", "37")]).await;
        }
    }
    for order in MULTI_KEY_ORDERS {
        check(&s, &profiles, &[("$orderby", order), ("$top", "29")]).await;
    }
    // Many rows share one creation time: pages of 3 must cross the ties without a gap.
    check(
        &s,
        &profiles,
        &[("$orderby", "createdDateTime"), ("$top", "3")],
    )
    .await;
    s.stop().await;
}
