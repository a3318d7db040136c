//! How an entity set is declared: one [`EntitySet`] per set, one [`MemberDecl`] per member, in
//! response order. Everything else is derived from it: reading create and PATCH bodies
//! ([`input`](super::input)), writing the entity's JSON ([`output`](super::output)), the storage
//! layout and row mapping ([`layout`](super::layout)), the OData schema queries are checked
//! against ([`schema`](super::schema)) and the CSDL of `$metadata` ([`csdl`](super::csdl)).
//!
//! A member is a plain table row: its JSON name, its Edm type, whether it may be null, the column
//! that stores it (and the lower-cased key column that case-insensitive `$filter`/`$orderby` use),
//! whether clients may set it (and the rule its values must pass), whether queries may use it,
//! whether lists show it without `$select`, whether the database keeps it sealed, its default on create, and two functions that read it
//! from and write it into the entity. Rules that span several members stay ordinary functions of
//! the entity's own module.

use std::sync::LazyLock;

use serde_json::Value;
use uuid::Uuid;

use super::layout::Layout;
use super::rules::InvalidInput;
use super::{TenantId, Timestamp};

/// An enum type of the `microsoft.graph` namespace: its unqualified name and its members as
/// (name, value), in metadata order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnumDecl {
    /// Unqualified name, e.g. `androidDeviceOwnerEnrollmentMode`.
    pub name: &'static str,
    /// Members as (name, stored value).
    pub members: &'static [(&'static str, i64)],
}

impl EnumDecl {
    /// The member name of a stored value.
    pub fn name_of(&self, value: i64) -> Option<&'static str> {
        self.members
            .iter()
            .find(|(_, v)| *v == value)
            .map(|(n, _)| *n)
    }

    /// The stored value of a member name (case-sensitive).
    pub fn value_of(&self, name: &str) -> Option<i64> {
        self.members
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// The member names joined for error messages.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.members.iter().map(|(n, _)| *n).collect();
        names.join(", ")
    }
}

/// A complex type of the `microsoft.graph` namespace and its properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComplexDecl {
    /// Unqualified name, e.g. `auditActor`.
    pub name: &'static str,
    /// Its properties, in metadata order.
    pub properties: &'static [Field],
}

/// A property of a complex type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The JSON name.
    pub name: &'static str,
    /// Its type.
    pub ty: MemberType,
    /// Whether Graph's metadata declares it nullable.
    pub nullable: bool,
}

/// The Edm type of a member, and with it its JSON shape and how it is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberType {
    /// `Edm.String`.
    String,
    /// `Edm.String` that holds a GUID, written in lower case (Graph declares ids this way).
    GuidString,
    /// `Edm.Guid`.
    Guid,
    /// `Edm.Int32`.
    Int32,
    /// `Edm.Int64`.
    Int64,
    /// `Edm.Boolean`.
    Boolean,
    /// `Edm.DateTimeOffset`.
    DateTime,
    /// An enum type; stored as the member's number.
    Enum(&'static EnumDecl),
    /// `Collection(Edm.String)`; stored as a JSON array.
    StringCollection,
    /// `microsoft.graph.mimeContent` holding a PNG; stored as the image's bytes.
    Image,
    /// A complex type; stored as its JSON object.
    Complex(&'static ComplexDecl),
    /// A collection of a complex type; stored as a JSON array.
    ComplexCollection(&'static ComplexDecl),
}

/// `mimeContent`: a media type and base64 bytes.
pub static MIME_CONTENT_TYPE: ComplexDecl = ComplexDecl {
    name: "mimeContent",
    properties: &[
        Field {
            name: "type",
            ty: MemberType::String,
            nullable: true,
        },
        Field {
            name: "value",
            ty: MemberType::String,
            nullable: true,
        },
    ],
};

/// Whether a member may be null.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nullable {
    /// Never null, and Graph's metadata says so.
    No,
    /// Never null here, though Graph's metadata declares it nullable (as it does every string):
    /// `$metadata` says what Graph says, bodies and the database refuse null.
    NotHere,
    /// May be null.
    Yes,
}

/// A member's own rule for a non-null value.
pub type Check = fn(&Owned) -> Result<(), InvalidInput>;

/// What a client may do with a member in a create or PATCH body.
#[derive(Clone, Copy, Debug)]
pub enum Input {
    /// Accepted when well-typed, and ignored (a GET result posts back unchanged).
    ReadOnly,
    /// Set by the body; `check` is the member's rule for a non-null value.
    Settable {
        /// The member's own rule.
        check: Option<Check>,
        /// A create must carry it.
        required: bool,
    },
}

/// Which query options may use a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// `$select` only.
    SelectOnly,
    /// `$filter` and `$select` (collections: through `any`/`all`).
    Filter,
    /// `$filter`, `$orderby` and `$select`.
    FilterSort,
}

/// Whether a member is a secret the database keeps sealed (see `crate::crypto`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    /// Stored as it is.
    No,
    /// Stored sealed (a string or an image). Its key column, if it has one, holds the keyed
    /// hash of its lower-cased value instead, through which `$filter` compares it with `eq` (and
    /// nothing else); without one it is selectable only.
    Sealed,
}

/// A member's value when a create leaves it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnCreate {
    /// What the service sets (ids, dates, counts) or null.
    Service,
    /// A Boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(&'static str),
    /// An enum member, by name.
    Enum(&'static str),
    /// A collection of strings.
    Strings(&'static [&'static str]),
}

/// A member's value as read from an entity (borrowed where it can be).
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    /// null.
    Null,
    /// Text.
    Str(&'a str),
    /// A GUID.
    Uuid(Uuid),
    /// An integer, or an enum member's number.
    Int(i64),
    /// A Boolean.
    Bool(bool),
    /// A date-time.
    Time(Timestamp),
    /// A collection of strings.
    Strings(&'a [String]),
    /// Binary content (an image).
    Bytes(&'a [u8]),
    /// A complex value or a collection of them.
    Json(Value),
}

/// A member's value to write into an entity.
#[derive(Clone, Debug, PartialEq)]
pub enum Owned {
    /// null.
    Null,
    /// Text.
    Str(String),
    /// A GUID.
    Uuid(Uuid),
    /// An integer, or an enum member's number.
    Int(i64),
    /// A Boolean.
    Bool(bool),
    /// A date-time.
    Time(Timestamp),
    /// A collection of strings.
    Strings(Vec<String>),
    /// Binary content (an image).
    Bytes(Vec<u8>),
    /// A complex value or a collection of them.
    Json(Value),
}

impl Owned {
    /// The text, when the value is text.
    pub fn text(&self) -> Option<&str> {
        match self {
            Owned::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// One member of an entity type.
#[derive(Debug)]
pub struct MemberDecl<E: 'static> {
    /// The JSON name.
    pub name: &'static str,
    /// The Edm type.
    pub ty: MemberType,
    /// Whether it may be null.
    pub nullable: Nullable,
    /// The column that stores it.
    pub column: &'static str,
    /// The column with its lower-cased copy that queries compare and sort (text members compared
    /// case-insensitively); a string collection's key column holds the JSON array of lower-cased
    /// items.
    pub key: Option<&'static str>,
    /// What a body may do with it.
    pub input: Input,
    /// Which query options may use it.
    pub query: Query,
    /// Shown by a list without `$select` (large members are not).
    pub listed: bool,
    /// Whether the database keeps it sealed.
    pub secret: Secret,
    /// Its value when a create leaves it out.
    pub default: OnCreate,
    /// Reads it from the entity.
    pub get: fn(&E) -> Val<'_>,
    /// Writes it into the entity.
    pub set: fn(&mut E, Owned) -> Result<(), String>,
}

impl<E> MemberDecl<E> {
    /// Whether a body may set it.
    pub fn settable(&self) -> bool {
        matches!(self.input, Input::Settable { .. })
    }

    /// Whether null is a legal value in a body and in the database.
    pub fn null_allowed(&self) -> bool {
        self.nullable == Nullable::Yes
    }
}

/// The `id` member every entity set starts with: the entity's GUID, read-only, filterable and
/// sortable, in the `id` column.
pub const fn id_member<E: Entity>() -> MemberDecl<E> {
    MemberDecl {
        name: "id",
        ty: MemberType::GuidString,
        nullable: Nullable::No,
        column: "id",
        key: None,
        input: Input::ReadOnly,
        query: Query::FilterSort,
        listed: true,
        secret: Secret::No,
        default: OnCreate::Service,
        get: |e| Val::Uuid(e.id()),
        set: |_, _| Ok(()),
    }
}

/// A stored column that is no member (state the service keeps, such as a membership target).
#[derive(Debug)]
pub struct HiddenColumn<E: 'static> {
    /// The column's name.
    pub column: &'static str,
    /// How it is stored.
    pub ty: MemberType,
    /// Reads it from the entity.
    pub get: fn(&E) -> Val<'_>,
    /// Writes it into the entity.
    pub set: fn(&mut E, Owned) -> Result<(), String>,
}

/// An entity set: its names, its table and its members.
#[derive(Debug)]
pub struct EntitySet<E: 'static> {
    /// The collection's name under `deviceManagement`, e.g. `androidDeviceOwnerEnrollmentProfiles`.
    pub name: &'static str,
    /// The entity type's unqualified name, e.g. `androidDeviceOwnerEnrollmentProfile`.
    pub type_name: &'static str,
    /// The table.
    pub table: &'static str,
    /// The members, in response order. The first is `id`.
    pub members: &'static [MemberDecl<E>],
    /// Columns that are no member.
    pub hidden: &'static [HiddenColumn<E>],
    /// The members whose text `$search` matches (they need a key column).
    pub search: &'static [&'static str],
    /// Members that are counts the store keeps by statements of their own (enrollments), or
    /// facts a device reports at its check-ins: an update of the entity leaves their columns as
    /// they are, and writing them changes neither the version (the ETag) nor
    /// `lastModifiedDateTime`.
    pub counters: &'static [&'static str],
    /// The entity in running text, for messages: `a profile`.
    pub a_noun: &'static str,
    /// The rules that span several members, run after every create and change.
    pub check: fn(&E) -> Result<(), InvalidInput>,
    /// The storage layout and query schema derived from the above, built on first use with
    /// [`Layout::of`] (see [`EntitySet::layout`]).
    pub derived: LazyLock<Layout>,
}

/// A type that an entity set stores. Every table has the columns `tenant_id`, `id` and
/// `version` first; the entity tells their values.
pub trait Entity: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static {
    /// The entity set's declaration.
    fn set() -> &'static EntitySet<Self>;
    /// An entity with only its keys and creation time set and every member at its blank value;
    /// what rows are read into and what [`EntitySet::new_entity`] fills with defaults.
    fn blank(tenant: TenantId, id: Uuid, now: Timestamp) -> Self;
    /// The owning tenant.
    fn tenant(&self) -> TenantId;
    /// The entity's id.
    fn id(&self) -> Uuid;
    /// Bumped by every stored change; conditional writes compare it.
    fn version(&self) -> i64;
    /// Sets the version.
    fn set_version(&mut self, version: i64);
    /// Records a change made at `now` (`lastModifiedDateTime`, where the entity has one).
    fn touch(&mut self, now: Timestamp);
}

impl<E: Entity> EntitySet<E> {
    /// The qualified entity type name, e.g. `microsoft.graph.androidDeviceOwnerEnrollmentProfile`.
    pub fn qualified_type(&self) -> String {
        format!("microsoft.graph.{}", self.type_name)
    }

    /// The storage layout and query schema derived from the declaration.
    pub fn layout(&'static self) -> &'static Layout {
        &self.derived
    }

    /// The member with this exact JSON name, and its position.
    pub fn member(&self, name: &str) -> Option<(usize, &MemberDecl<E>)> {
        self.members
            .iter()
            .enumerate()
            .find(|(_, m)| m.name == name)
    }

    /// A new entity with every declared default: what a create with an empty body would store.
    pub fn new_entity(&self, tenant: TenantId, id: Uuid, now: Timestamp) -> E {
        let mut e = E::blank(tenant, id, now);
        for m in self.members {
            let value = match m.default {
                OnCreate::Service => continue,
                OnCreate::Bool(b) => Owned::Bool(b),
                OnCreate::Int(n) => Owned::Int(n),
                OnCreate::Str(s) => Owned::Str(s.to_owned()),
                OnCreate::Enum(name) => match m.ty {
                    MemberType::Enum(decl) => match decl.value_of(name) {
                        Some(v) => Owned::Int(v),
                        None => continue,
                    },
                    _ => continue,
                },
                OnCreate::Strings(items) => {
                    Owned::Strings(items.iter().map(|s| (*s).to_owned()).collect())
                }
            };
            // A default that does not fit its member is caught by the declaration's tests.
            let _ = (m.set)(&mut e, value);
        }
        e.set_version(1);
        e
    }
}
