//! `auditEvent`, as the service declares and serves it: its CSDL and complex types are Graph's,
//! filters reach into the complex `actor`, and complex values are stored as their JSON.

use provisio::model::audit::{
    Activity, AuditEvent, Origin, AUDIT_ACTOR, AUDIT_EVENTS, AUDIT_PROPERTY, AUDIT_RESOURCE,
    ROLE_SCOPE_TAG_INFO,
};

use super::*;

#[test]
fn audit_event_yields_official_csdl_and_filters_on_complex_members() {
    let layout = AUDIT_EVENTS.layout();
    assert_official("auditEvent", &entity_type(layout));
    assert_eq!(official("auditEvent").len(), layout.members.len() - 1);
    let doc = roxmltree::Document::parse(FRAGMENTS).unwrap();
    for decl in [
        &AUDIT_ACTOR,
        &AUDIT_RESOURCE,
        &AUDIT_PROPERTY,
        &ROLE_SCOPE_TAG_INFO,
    ] {
        let official = properties(
            doc.descendants()
                .find(|n| n.has_tag_name("ComplexType") && n.attribute("Name") == Some(decl.name))
                .unwrap(),
        );
        let ours: Vec<&str> = decl.properties.iter().map(|f| f.name).collect();
        let theirs: Vec<&str> = official.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(ours, theirs, "{}", decl.name);
    }
    let limits = odata::Limits::DEFAULT;
    for ok in [
        "$filter=actor/userPrincipalName eq 'admin@contoso.com'",
        "$filter=startswith(actor/applicationId,'0e')&$orderby=actor/userPrincipalName",
        "$filter=activityDateTime ge 2026-01-01T00:00:00Z&$select=actor,resources",
        "$filter=category eq 'Enrollment' and activityType eq 'Create x'",
    ] {
        odata::parse_query(ok, &layout.schema, &limits).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        "$filter=actor/userPrincipleName eq 'x'",
        "$filter=actor eq 'x'",
        "$filter=resources/any(r: r/resourceId eq 'x')",
        "$filter=actor/userPermissions/any(p: p eq 'x')",
        "$orderby=resources",
        "$orderby=actor",
    ] {
        assert!(
            odata::parse_query(bad, &layout.schema, &limits).is_err(),
            "{bad}"
        );
    }
    // Complex values are stored as their JSON and written back unchanged.
    let mut e = AuditEvent::new(
        tenant(),
        &Origin::default(),
        Activity::Create,
        "androidDeviceOwnerEnrollmentProfile",
        vec![json!({"resourceId": "r1", "displayName": "Kiosk"})],
        true,
    );
    e.actor = json!({"userPrincipalName": "A@B.c", "type": "ItPro"});
    let row = to_row(&e);
    assert_eq!(from_row::<AuditEvent>(row.clone()).unwrap(), e);
    let key = layout
        .columns
        .iter()
        .position(|c| c.name == "actor_key")
        .unwrap();
    assert!(row.text(key).contains("a@b.c"));
    let shown = entity_json(&e, &Selection::All);
    assert_eq!(shown["actor"]["userPrincipalName"], "A@B.c");
    assert_eq!(shown["resources"][0]["resourceId"], "r1");
    assert_eq!(shown["@odata.type"], "#microsoft.graph.auditEvent");
    assert_eq!(
        shown["activityType"],
        "Create AndroidDeviceOwnerEnrollmentProfile"
    );
}
