//! The entity-set declaration is general: the official shape of `managedDevice` (enums,
//! non-nullable members with defaults, members lists leave out unless selected) is declared
//! here, and the served `auditEvent` (a complex member, a collection of complex values, filters
//! on `actor/...`) is checked here too; the declaration yields their CSDL (compared with Graph's
//! official metadata), their storage layout, body reading, JSON and type-checked filters.

use std::sync::LazyLock;

use provisio::model::csdl::entity_type;
use provisio::model::entity::{
    id_member, Entity, EntitySet, EnumDecl, Input, MemberDecl, MemberType, Nullable, OnCreate,
    Owned, Query, Secret, Val,
};
use provisio::model::layout::{from_row, to_row, Layout};
use provisio::model::output::{entity_json, Selection};
use provisio::model::{Body, TenantId, Timestamp};
use serde_json::json;
use uuid::Uuid;

mod audit;
mod devices;

const FRAGMENTS: &str = include_str!("../../fixtures/graph-beta-devices-csdl-fragments.xml");

/// Stores a setter's converted value in its field.
fn put<T>(field: &mut T, value: Result<T, String>) -> Result<(), String> {
    *field = value?;
    Ok(())
}

fn int(v: Owned) -> Result<i64, String> {
    match v {
        Owned::Int(n) => Ok(n),
        other => Err(format!("{other:?}")),
    }
}

fn boolean(v: Owned) -> Result<bool, String> {
    match v {
        Owned::Bool(b) => Ok(b),
        other => Err(format!("{other:?}")),
    }
}

fn time(v: Owned) -> Result<Timestamp, String> {
    match v {
        Owned::Time(t) => Ok(t),
        other => Err(format!("{other:?}")),
    }
}

fn text(v: Owned) -> Result<Option<String>, String> {
    match v {
        Owned::Null => Ok(None),
        Owned::Str(s) => Ok(Some(s)),
        other => Err(format!("{other:?}")),
    }
}

/// (name, type, nullable) of the official entity type's properties.
fn official(type_name: &str) -> Vec<(String, String, bool)> {
    let doc = roxmltree::Document::parse(FRAGMENTS).expect("fragments parse");
    let entity = doc
        .descendants()
        .find(|n| n.has_tag_name("EntityType") && n.attribute("Name") == Some(type_name))
        .expect("official entity type");
    properties(entity)
}

fn properties(node: roxmltree::Node) -> Vec<(String, String, bool)> {
    node.children()
        .filter(|n| n.has_tag_name("Property"))
        .map(|p| {
            (
                p.attribute("Name").unwrap_or_default().to_owned(),
                p.attribute("Type").unwrap_or_default().to_owned(),
                p.attribute("Nullable") != Some("false"),
            )
        })
        .collect()
}

/// Every property the declaration yields is the official one: same name, type and nullability.
fn assert_official(type_name: &str, generated: &str) {
    let xml =
        format!("<Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">{generated}</Schema>");
    let doc = roxmltree::Document::parse(&xml).expect("generated parses");
    let ours = properties(
        doc.descendants()
            .find(|n| n.has_tag_name("EntityType"))
            .expect("entity type"),
    );
    let theirs = official(type_name);
    assert!(!ours.is_empty());
    for p in &ours {
        assert!(theirs.contains(p), "{type_name}: {p:?} is not official");
    }
}

fn tenant() -> TenantId {
    TenantId(Uuid::from_u128(1))
}

/// The `CREATE TABLE` a migration of a declared set holds, in the dialect of the backend under
/// test, written from its layout.
fn create_table(layout: &provisio::model::layout::Layout, postgres: bool) -> String {
    use provisio::model::layout::CellKind;
    let columns: Vec<String> = layout
        .columns
        .iter()
        .map(|c| {
            let ty = match (c.kind, postgres) {
                (CellKind::Int, _) => "BIGINT",
                (CellKind::Bool, true) => "BOOLEAN",
                (CellKind::Bool, false) => "INTEGER",
                (CellKind::Text, true) => "TEXT COLLATE \"C\"",
                (CellKind::Text, false) => "TEXT",
                (CellKind::Blob, true) => "BYTEA",
                (CellKind::Blob, false) => "BLOB",
            };
            let null = if c.nullable { "" } else { " NOT NULL" };
            format!("{} {ty}{null}", c.name)
        })
        .collect();
    format!(
        "CREATE TABLE {} ({}, PRIMARY KEY (tenant_id, id))",
        layout.table,
        columns.join(", ")
    )
}
