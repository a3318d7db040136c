use super::*;
use crate::model::layout::{from_row, to_row};
use crate::model::{Profile, ProfileId, Sensitive, TenantId, Timestamp, Token, PROFILES};

fn profile() -> Profile {
    let now = Timestamp::parse("2026-11-22T10:15:30.1234567Z").unwrap();
    let mut p = Profile::new(
        TenantId(uuid::Uuid::new_v4()),
        ProfileId::new_random(),
        "Lobby".into(),
        now,
    );
    p.token = Some(Token {
        id: uuid::Uuid::nil(),
        value: Sensitive::new("WINFPMWZHDMYATCYIHVK"),
        created: now,
        expires: now,
        qr_content: Sensitive::new("{\"token\":\"WINFPMWZHDMYATCYIHVK\"}"),
        qr_png: vec![0x89, b'P', b'N', b'G', 1, 2, 3],
    });
    p.wifi.password = Some(Sensitive::new("correct horse battery"));
    p
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_sealed_row_holds_no_secret_and_opens_to_the_entity() {
    let keys = Keyring::ephemeral();
    let layout = PROFILES.layout();
    let p = profile();
    let mut row = to_row(&p);
    seal_row(&keys, layout, &mut row);
    for cell in &row.0 {
        let bytes: &[u8] = match cell {
            Cell::Text(t) => t.as_bytes(),
            Cell::Blob(b) => b,
            _ => continue,
        };
        assert!(!contains(bytes, b"WINFPMWZHDMYATCYIHVK"));
        assert!(!contains(bytes, b"correct horse"));
        assert!(!contains(bytes, b"PNG"));
    }
    let hash = layout.sealed.iter().find_map(|s| s.hash).unwrap();
    assert_eq!(
        row.0[hash],
        Cell::Text(keys.lookup_hash("winfpmwzhdmyatcyihvk"))
    );
    assert_eq!(
        row.0[layout.sealed_with.unwrap()],
        Cell::Int(i64::from(keys.current_id()))
    );
    let mut opened = row.clone();
    open_row(&keys, layout, &mut opened).unwrap();
    assert_eq!(from_row::<Profile>(opened).unwrap(), p);
    // A sealed value moved to another row does not open there.
    let mut other = to_row(&profile());
    seal_row(&keys, layout, &mut other);
    let token = layout.sealed[0].column;
    other.0[token] = row.0[token].clone();
    let err = open_row(&keys, layout, &mut other).unwrap_err().to_string();
    assert!(err.contains("does not open"), "{err}");
}

#[test]
fn a_plain_row_from_before_sealing_opens_as_it_is() {
    let keys = Keyring::ephemeral();
    let layout = PROFILES.layout();
    let p = profile();
    let mut row = to_row(&p);
    // What the migration leaves: the bytes of the text, `sealed_with` NULL.
    for s in &layout.sealed {
        if let Cell::Text(t) = &row.0[s.column] {
            row.0[s.column] = Cell::Blob(t.clone().into_bytes());
        }
    }
    let resealed = reseal_row(&keys, layout, row.clone()).unwrap();
    assert!(matches!(
        resealed.0[layout.sealed_with.unwrap()],
        Cell::Int(_)
    ));
    open_row(&keys, layout, &mut row).unwrap();
    assert_eq!(from_row::<Profile>(row).unwrap(), p);
}

fn filter(q: &str) -> Filter {
    let schema = &PROFILES.layout().schema;
    odata::parse_query(&format!("$filter={q}"), schema, &odata::Limits::DEFAULT)
        .unwrap()
        .filter
        .unwrap()
}

#[test]
fn only_equality_may_use_a_sealed_member_and_no_refusal_shows_the_value() {
    let layout = PROFILES.layout();
    for ok in [
        "tokenValue eq 'SECRETVALUE'",
        "tokenValue eq null",
        "tokenValue ne null",
        "not (tokenValue eq 'SECRETVALUE') and displayName gt 'a'",
        "displayName in ('a','b')",
    ] {
        assert!(check_filter(layout, &filter(ok)).is_ok(), "{ok}");
    }
    for refused in [
        "tokenValue ne 'SECRETVALUE'",
        "tokenValue gt 'SECRETVALUE'",
        "tokenValue in ('SECRETVALUE')",
        "contains(tokenValue,'SECRETVALUE')",
        "startswith(tokenValue,'SECRETVALUE')",
        "displayName eq 'x' or endswith(tokenValue,'SECRETVALUE')",
    ] {
        let message = check_filter(layout, &filter(refused)).unwrap_err();
        assert!(message.contains("'tokenValue'"), "{message}");
        assert!(!message.contains("SECRETVALUE"), "{message}");
    }
}

#[test]
fn equality_becomes_membership_in_the_hashes_under_every_key() {
    use crate::crypto::{Key, Keys};
    let layout = PROFILES.layout();
    let keys = Keyring::new(Keys(vec![Key::generate(2), Key::generate(1)]), None).unwrap();
    let Filter::In { prop, values } = hash_lookups(&keys, layout, &filter("tokenValue eq 'ABC'"))
    else {
        panic!("not an in");
    };
    assert_eq!(prop.name(), "tokenValue");
    let expected: Vec<odata::Value> = keys
        .lookup_hashes("abc")
        .into_iter()
        .map(odata::Value::String)
        .collect();
    assert_eq!(values, expected);
    assert_eq!(values.len(), 2);
    let other = filter("displayName eq 'ABC'");
    assert_eq!(hash_lookups(&keys, layout, &other), other);
}

#[test]
fn reseal_statements_name_the_sealed_columns() {
    let layout = PROFILES.layout();
    assert_eq!(
        reseal_update(layout, Dialect::Postgres),
        "UPDATE enrollment_profiles SET token_value = $1, qr_code_content = $2, \
         qr_code_png = $3, wifi_password = $4, token_value_hash = $5, sealed_with = $6 \
         WHERE tenant_id = $7 AND id = $8 AND version = $9"
    );
    let select = reseal_select(layout, Dialect::Sqlite, true).unwrap();
    assert!(select.ends_with("WHERE sealed_with IS NULL OR sealed_with <> ?1 LIMIT ?2"));
}
