//! The correctness table, part 2: hand-written expected results (which also check the oracle),
//! paging with `$top`/`$skip`/`$search`, `$select` on lists and on one entity, and `$count`.

use provisio::model::{output::entity_json, Selection, PROFILES};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{expect_error, ok_json};
use crate::query_data::{self, hand_id};
use crate::query_oracle;
use crate::query_table::{check, enc, list, options, same_ids};

const S: &str = "startswith(displayName,'hand ')";

fn ids(ns: &[u128]) -> Vec<String> {
    ns.iter().map(|n| hand_id(*n)).collect()
}

/// Query options, and the hand-made profiles expected, in order.
type HandCase = (Vec<(&'static str, String)>, Vec<u128>);

fn hand_cases() -> Vec<HandCase> {
    let f = |filter: &str| vec![("$filter", filter.to_owned())];
    let scoped = |rest: &str| vec![("$filter", format!("{S} and {rest}"))];
    let ordered = |order: &str| {
        vec![
            ("$filter", S.to_owned()),
            ("$orderby", order.to_owned()),
            ("$top", "3".to_owned()),
        ]
    };
    vec![
        (f("displayName eq 'hand émile'"), vec![1, 2, 3]),
        (f("displayName eq 'HAND STRASSE'"), vec![5]),
        (f("displayName eq 'Hand Straße'"), vec![4]),
        (f("startswith(displayName,'HAND É')"), vec![1, 2, 3, 6]),
        (f("startswith(displayName,'hand e')"), vec![7]),
        (scoped("contains(description,'%')"), vec![3, 9]),
        (scoped("contains(description,'_')"), vec![3, 10]),
        (scoped("contains(description,'\\')"), vec![4]),
        (scoped("description eq null"), vec![2, 5]),
        (
            scoped("not (description eq 'it''s')"),
            vec![1, 2, 3, 4, 5, 6, 7, 9, 10],
        ),
        (
            scoped("description ne 'it''s'"),
            vec![1, 2, 3, 4, 5, 6, 7, 9, 10],
        ),
        (scoped("roleScopeTagIds/any(t: t eq 'ALPHA')"), vec![1, 3]),
        (scoped("not roleScopeTagIds/any()"), vec![2]),
        (scoped("roleScopeTagIds/any(t: t eq 'ss')"), vec![5]),
        (scoped("roleScopeTagIds/any(t: t eq 'ß')"), vec![4]),
        // all(): every tag matches, so a profile without tags matches too.
        (
            scoped("roleScopeTagIds/all(t: t eq '0')"),
            vec![2, 6, 9, 10],
        ),
        (
            scoped("roleScopeTagIds/all(t: t ne 'ALPHA')"),
            vec![2, 4, 5, 6, 7, 8, 9, 10],
        ),
        (
            scoped("enrollmentMode eq 'corporateOwnedAOSPUserlessDevice'"),
            vec![2],
        ),
        (
            scoped("enrollmentMode gt 'corporateOwnedWorkProfile'"),
            vec![2, 3],
        ),
        (f("createdDateTime lt 2001-01-02T00:00:00Z"), vec![1]),
        (f("createdDateTime eq 2001-01-01T01:00:00+01:00"), vec![1]),
        (f("createdDateTime le 2001-01-03T00:00:00Z"), vec![1, 2, 3]),
        (scoped("wifiSsid eq 'STRASSE-NET'"), vec![]),
        (scoped("wifiSsid eq 'straße-net'"), vec![4]),
        (scoped("wifiSsid eq 'lobby'"), vec![1, 3]),
        (f("tokenValue eq 'abcdefghijabcdefghij'"), vec![1]),
        (scoped("enrolledDeviceCount ge 9"), vec![9, 10]),
        (scoped("enrolledDeviceCount in (2,4,11)"), vec![2, 4]),
        (scoped("contains(displayName,'%')"), vec![9]),
        (scoped("endswith(displayName,'_score')"), vec![10]),
        (
            vec![("$filter", S.to_owned()), ("$search", "ÉMILE".to_owned())],
            vec![1, 2, 3],
        ),
        (
            vec![
                ("$filter", S.to_owned()),
                ("$search", "\"école\"".to_owned()),
            ],
            vec![6, 7],
        ),
        (
            vec![
                ("$filter", S.to_owned()),
                ("$orderby", "createdDateTime desc".to_owned()),
            ],
            vec![10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        ),
        (ordered("displayName"), vec![9, 7, 8, 5, 4, 10, 6, 1, 2, 3]),
        (
            ordered("displayName desc"),
            vec![3, 2, 1, 6, 10, 4, 5, 8, 7, 9],
        ),
        (ordered("description"), vec![2, 5, 9, 3, 10, 4, 1, 8, 7, 6]),
        (
            ordered("description desc"),
            vec![6, 7, 8, 1, 4, 10, 3, 9, 5, 2],
        ),
        (
            ordered("enrollmentMode desc,displayName"),
            vec![3, 2, 7, 6, 9, 8, 10, 1, 5, 4],
        ),
        (
            ordered("wifiSsid desc,id"),
            vec![4, 1, 3, 9, 2, 5, 6, 7, 8, 10],
        ),
        (
            vec![("$filter", S.to_owned()), ("$skip", "8".to_owned())],
            vec![9, 10],
        ),
        (
            vec![
                ("$filter", S.to_owned()),
                ("$top", "4".to_owned()),
                ("$skip", "3".to_owned()),
            ],
            vec![4, 5, 6, 7, 8, 9, 10],
        ),
    ]
}

#[tokio::test]
async fn hand_written_expectations_hold_and_agree_with_the_oracle() {
    let (s, _dir, profiles) = query_data::start().await;
    for (params, want) in hand_cases() {
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let want = ids(&want);
        assert_eq!(
            query_oracle::expected(&profiles, &options(&params)),
            want,
            "oracle: {params:?}"
        );
        same_ids(
            &list(&s, &params).await.ids,
            &want,
            &format!("server: {params:?}"),
        );
    }
    // The other tenant's "Hand ..." profiles never count.
    let url = format!("{}/$count?$filter={}", s.collection(), enc(S));
    let res = s.get(&url).await;
    assert_eq!(res.headers()["content-type"], "text/plain;charset=utf-8");
    assert_eq!(res.text().await.unwrap(), "10");
    s.stop().await;
}

#[tokio::test]
async fn paging_search_and_skip_match_the_oracle() {
    let (s, _dir, profiles) = query_data::start().await;
    let cases: &[&[(&str, &str)]] = &[
        &[
            ("$filter", "description ne null"),
            ("$orderby", "description desc"),
            ("$top", "5"),
            ("$count", "true"),
        ],
        &[
            ("$search", "desk"),
            ("$orderby", "displayName"),
            ("$top", "2"),
        ],
        &[("$search", "\"CAFÉ\""), ("$count", "true")],
        &[("$search", "50%"), ("$count", "true")],
        &[("$search", "\"it's\"")],
        &[("$skip", "10"), ("$top", "7"), ("$orderby", "displayName")],
        &[("$skip", "290"), ("$count", "true")],
        &[("$skip", "1000"), ("$count", "true")],
        &[("$top", "1"), ("$orderby", "wifiSsid"), ("$filter", S)],
        &[("$top", "1000")],
        &[
            ("$top", "1"),
            ("$filter", "roleScopeTagIds/any(t: t eq 'admin')"),
            ("$orderby", "tokenExpirationDateTime desc"),
        ],
        &[
            ("$filter", "enrolledDeviceCount gt 10"),
            ("$search", "kiosk"),
            ("$orderby", "enrolledDeviceCount desc,createdDateTime"),
            ("$top", "4"),
            ("$count", "true"),
        ],
        &[
            ("%24filter", "wifiHidden"),
            ("%24TOP", "13"),
            ("ORDERBY", "wifiSecurityType desc"),
        ],
        &[
            ("$select", "id,displayName"),
            ("$orderby", "lastModifiedDateTime desc"),
            ("$top", "50"),
        ],
        &[("$count", "true"), ("$top", "100")],
    ];
    for params in cases {
        check(&s, &profiles, params).await;
    }
    s.stop().await;
}

#[tokio::test]
async fn select_shapes_lists_and_single_entities() {
    let (s, _dir, profiles) = query_data::start().await;
    let by_id = |id: &str| profiles.iter().find(|p| p.id.to_string() == id).unwrap();
    let context = format!(
        "{}/beta/$metadata#deviceManagement/androidDeviceOwnerEnrollmentProfiles",
        s.base
    );
    let cases: &[(&str, Selection, &str)] = &[
        (
            "displayName,id",
            Selection::of_names(PROFILES.layout(), ["id", "displayName"]),
            "(id,displayName)",
        ),
        (
            "qrCodeImage,id",
            Selection::of_names(PROFILES.layout(), ["id", "qrCodeImage"]),
            "(id,qrCodeImage)",
        ),
        (
            "id,wifiPassword,deviceNameTemplate,roleScopeTagIds",
            Selection::of_names(
                PROFILES.layout(),
                [
                    "id",
                    "roleScopeTagIds",
                    "wifiPassword",
                    "deviceNameTemplate",
                ],
            ),
            "(id,roleScopeTagIds,wifiPassword,deviceNameTemplate)",
        ),
        ("*", Selection::All, ""),
    ];
    for (select, selection, suffix) in cases {
        let got = check(&s, &profiles, &[("$select", select), ("$filter", S)]).await;
        assert_eq!(got.context, format!("{context}{suffix}"));
        assert_eq!(got.entities.len(), 10);
        for e in &got.entities {
            let want = Value::Object(entity_json(by_id(e["id"].as_str().unwrap()), selection));
            assert_eq!(e, &want, "$select={select}");
        }
    }
    // Without $select a list leaves the image out; a GET by id has it, or what $select names.
    let plain = list(&s, &[("$filter", "tokenValue ne null"), ("$top", "5")]).await;
    assert!(plain
        .entities
        .iter()
        .all(|e| e.get("qrCodeImage").is_none()));
    let id = hand_id(1);
    let one = ok_json(s.get(&s.item(&id)).await).await;
    assert_eq!(one["qrCodeImage"]["type"], "image/png");
    let url = format!(
        "{}?$select=displayName,id&$filter=displayName eq 'nobody'",
        s.item(&id)
    );
    let one = ok_json(s.get(&url).await).await;
    assert_eq!(
        one["@odata.context"],
        format!("{context}(id,displayName)/$entity")
    );
    // The context, type and ETag, and the two members.
    assert_eq!(one.as_object().unwrap().len(), 5, "{one}");
    assert_eq!(one["displayName"], "Hand Émile");
    for bad in ["$select=nope", "$expand=x", "$filter=nope eq 1"] {
        let url = format!("{}?{bad}", s.item(&id));
        expect_error(s.get(&url).await, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    s.stop().await;
}

#[tokio::test]
async fn count_endpoint_counts_matches_before_paging() {
    let (s, _dir, profiles) = query_data::start().await;
    for (q, filter) in [
        ("", None),
        ("$top=1&$skip=5&$orderby=displayName", None),
        (
            "$filter=description%20eq%20null",
            Some("description eq null"),
        ),
        (
            "$filter=roleScopeTagIds/any()",
            Some("roleScopeTagIds/any()"),
        ),
        ("$search=desk", None),
        ("%24COUNT=true&$filter=configureWifi", Some("configureWifi")),
    ] {
        let res = s.get(&format!("{}/$count?{q}", s.collection())).await;
        assert_eq!(res.status(), StatusCode::OK, "{q}");
        assert_eq!(res.headers()["content-type"], "text/plain;charset=utf-8");
        let n: usize = res.text().await.unwrap().parse().unwrap();
        let mut params = vec![];
        if let Some(f) = filter {
            params.push(("$filter", f));
        }
        if q.contains("search") {
            params.push(("$search", "desk"));
        }
        assert_eq!(
            n,
            query_oracle::expected(&profiles, &options(&params)).len(),
            "{q}"
        );
    }
    let res = s.get(&format!("{}/%24count", s.collection())).await;
    assert_eq!(res.text().await.unwrap(), profiles.len().to_string());
    let bad = format!("{}/$count?$filter=nope", s.collection());
    expect_error(s.get(&bad).await, StatusCode::BAD_REQUEST, "BadRequest").await;
    let res = s
        .send(
            reqwest::Method::POST,
            &format!("{}/$count", s.collection()),
            None,
        )
        .await;
    expect_error(res, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed").await;
    s.stop().await;
}
