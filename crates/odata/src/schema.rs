//! The caller-supplied description of an entity's members: their names, Edm types, and which
//! query options may use them. The parser checks every name and literal against it, and the AST
//! refers back to it through [`PropRef`].

use std::borrow::Cow;
use std::fmt;

/// The Edm type of a property, as far as query options care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyType {
    /// `Edm.String`. Compared and sorted case-insensitively by the service.
    String,
    /// `Edm.Boolean`.
    Boolean,
    /// `Edm.Int32`: integer literals must fit in `i32`.
    Int32,
    /// `Edm.Int64`: integer literals must fit in `i64`.
    Int64,
    /// `Edm.DateTimeOffset`: compared as UTC instants.
    DateTimeOffset,
    /// An enum type, compared and sorted by the members' numeric values.
    Enum(&'static EnumType),
    /// `Collection(Edm.String)`: usable in `$filter` only through `prop/any(...)` and
    /// `prop/all(...)`; never sortable.
    StringCollection,
    /// A complex value (e.g. `microsoft.graph.auditActor`). The member itself is never compared
    /// or sorted; its properties are, through a path (`actor/userPrincipalName`), when the
    /// member and the property both allow it. Paths go one level deep: a property of the
    /// complex type that is itself complex or a collection can be selected with its parent but
    /// not filtered or sorted.
    Complex(&'static ComplexType),
    /// A collection of complex values (e.g. `Collection(microsoft.graph.auditResource)`):
    /// usable in `$filter` only through `prop/any(r: ...)` and `prop/all(r: ...)`, whose
    /// condition uses the element's scalar properties (`r/resourceId`); never sortable.
    ComplexCollection(&'static ComplexType),
}

impl PropertyType {
    /// The Edm name of the type, for messages (`Edm.String`, `microsoft.graph.x`,
    /// `Collection(microsoft.graph.x)`, ...). Borrowed for every type but a collection of
    /// complex values, whose name is built.
    pub fn edm_name(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            PropertyType::String => "Edm.String",
            PropertyType::Boolean => "Edm.Boolean",
            PropertyType::Int32 => "Edm.Int32",
            PropertyType::Int64 => "Edm.Int64",
            PropertyType::DateTimeOffset => "Edm.DateTimeOffset",
            PropertyType::Enum(e) => e.type_name,
            PropertyType::StringCollection => "Collection(Edm.String)",
            PropertyType::Complex(c) => c.type_name,
            PropertyType::ComplexCollection(c) => {
                return Cow::Owned(format!("Collection({})", c.type_name))
            }
        })
    }

    /// The complex type of a `Complex` or `ComplexCollection` property.
    pub fn complex_type(&self) -> Option<&'static ComplexType> {
        match self {
            PropertyType::Complex(c) | PropertyType::ComplexCollection(c) => Some(c),
            _ => None,
        }
    }

    /// Whether values of this type can be compared with a literal: everything but collections
    /// and complex types.
    pub fn is_scalar(&self) -> bool {
        !matches!(
            self,
            PropertyType::StringCollection
                | PropertyType::Complex(_)
                | PropertyType::ComplexCollection(_)
        )
    }

    /// Whether this is a collection (of strings or of complex values).
    pub fn is_collection(&self) -> bool {
        matches!(
            self,
            PropertyType::StringCollection | PropertyType::ComplexCollection(_)
        )
    }
}

/// A complex type: its qualified name and its properties. Declared by the caller as a
/// `static` and referred to by [`PropertyType::Complex`] and [`PropertyType::ComplexCollection`].
///
/// Each property's flags apply to paths through a member of this type: `actor/userPrincipalName`
/// may be filtered only when both `actor` and `userPrincipalName` are filterable, and likewise
/// for sorting; `selectable` is not used (only whole members are selected). `nullable` says
/// whether the property may be null inside a value that is present.
///
/// Two complex types are equal when their qualified names are (a schema has one type per name);
/// this, and a `Debug` that lists only property names, keep both finite for a type that refers
/// to itself.
#[derive(Clone, Copy)]
pub struct ComplexType {
    /// Qualified name, e.g. `microsoft.graph.auditActor`.
    pub type_name: &'static str,
    /// The properties, in the order the service emits them; names are case-sensitive.
    pub properties: &'static [Property],
}

impl ComplexType {
    /// The property called `name` (case-sensitive).
    pub fn property(&self, name: &str) -> Option<&'static Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The property name closest to `name`, if any is close enough to be worth suggesting.
    pub fn suggest(&self, name: &str) -> Option<&'static str> {
        crate::suggest::closest(name, self.properties.iter().map(|p| p.name))
    }

    /// The unqualified name (the part after the last `.`).
    pub fn short_name(&self) -> &'static str {
        self.type_name.rsplit('.').next().unwrap_or(self.type_name)
    }
}

impl PartialEq for ComplexType {
    fn eq(&self, other: &Self) -> bool {
        self.type_name == other.type_name
    }
}

impl Eq for ComplexType {}

impl fmt::Debug for ComplexType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.properties.iter().map(|p| p.name).collect();
        f.debug_struct("ComplexType")
            .field("type_name", &self.type_name)
            .field("properties", &names)
            .finish()
    }
}

/// An enum type: its qualified name and its members as `(name, numeric value)` pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumType {
    /// Qualified name, e.g. `microsoft.graph.androidDeviceOwnerEnrollmentMode`.
    pub type_name: &'static str,
    /// Members in declaration order; names are case-sensitive.
    pub members: &'static [(&'static str, i64)],
}

impl EnumType {
    /// The member called `name` (case-sensitive), with its value.
    pub fn member(&self, name: &str) -> Option<(&'static str, i64)> {
        self.members.iter().copied().find(|(n, _)| *n == name)
    }

    /// The unqualified name (the part after the last `.`).
    pub fn short_name(&self) -> &'static str {
        self.type_name.rsplit('.').next().unwrap_or(self.type_name)
    }

    /// Whether a type qualifier written in a literal (`ns.type'member'`) names this enum: the
    /// full name, or the unqualified name behind the `graph.` alias used by Graph's metadata.
    pub fn is_named(&self, qualifier: &str) -> bool {
        qualifier == self.type_name
            || qualifier
                .strip_prefix("graph.")
                .is_some_and(|rest| rest == self.short_name())
    }
}

/// One member of the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property {
    /// The JSON/Graph name, case-sensitive (`displayName`).
    pub name: &'static str,
    /// Its type.
    pub ty: PropertyType,
    /// Whether it may be null. `eq null` / `ne null` are accepted on any filterable scalar,
    /// nullable or not; on a non-nullable one they are simply always false / always true.
    pub nullable: bool,
    /// May appear in `$filter` (for a complex member: as the first segment of a path; for a
    /// collection: before `/any` and `/all`).
    pub filterable: bool,
    /// May appear in `$orderby` (for a complex member: as the first segment of a path).
    pub sortable: bool,
    /// May appear in `$select` (top-level members only).
    pub selectable: bool,
}

impl Property {
    /// A nullable, selectable property usable everywhere its type allows: filterable and
    /// sortable, except that a collection is never sortable. For a complex member, "filterable"
    /// and "sortable" mean that paths through it (`actor/userPrincipalName`) may be; mark a
    /// complex member that should only be selected with `.not_filterable().not_sortable()`.
    pub const fn new(name: &'static str, ty: PropertyType) -> Self {
        let (filterable, sortable) = match ty {
            PropertyType::StringCollection | PropertyType::ComplexCollection(_) => (true, false),
            _ => (true, true),
        };
        Property {
            name,
            ty,
            nullable: true,
            filterable,
            sortable,
            selectable: true,
        }
    }

    /// The same property, marked non-nullable.
    pub const fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// The same property, excluded from `$filter`.
    pub const fn not_filterable(mut self) -> Self {
        self.filterable = false;
        self
    }

    /// The same property, excluded from `$orderby`.
    pub const fn not_sortable(mut self) -> Self {
        self.sortable = false;
        self
    }

    /// The same property, excluded from `$select`.
    pub const fn not_selectable(mut self) -> Self {
        self.selectable = false;
        self
    }
}

/// The entity's members, as given by the caller (usually a `static`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// The qualified entity type name, for messages.
    pub entity_type: &'static str,
    /// All members, in the order the service emits them.
    pub properties: &'static [Property],
}

impl Schema {
    /// The top-level member called `name` (case-sensitive), as a reference the AST can hold.
    pub fn property(&self, name: &str) -> Option<PropRef> {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .map(PropRef::new)
    }

    /// The property name closest to `name` (case-insensitive, small edit distance), if any is
    /// close enough to be worth suggesting.
    pub fn suggest(&self, name: &str) -> Option<&'static str> {
        crate::suggest::closest(name, self.properties.iter().map(|p| p.name))
    }
}

/// A reference to a schema property, held by the AST: either a top-level member of the entity,
/// or one property of a complex value.
///
/// - **Top-level member** (`displayName`): [`parent`](PropRef::parent) is `None`;
///   [`name`](PropRef::name), [`ty`](PropRef::ty) and [`def`](PropRef::def) describe the member.
/// - **Path** (`actor/userPrincipalName`): `parent` is the complex member (`actor`, of type
///   [`PropertyType::Complex`]) and `def`/`ty` describe the property inside it
///   (`userPrincipalName`). A SQL compiler reads the value at key `def().name` of the complex
///   value stored for `parent` (a null `actor` makes every property of it null).
/// - **Element property** (`r/resourceId` inside `resources/any(r: ...)`): `parent` is the
///   collection member (`resources`, of type [`PropertyType::ComplexCollection`]) and `def`
///   the property of one element. These occur only in the predicate of
///   [`Filter::AnyComplex`](crate::Filter::AnyComplex).
///
/// For both nested kinds [`name`](PropRef::name) returns the empty string, which names no
/// member, so that code written for top-level members (`column(prop.name())`) finds nothing
/// rather than a different member that happens to share the leaf's name (`actor/type` versus a
/// top-level `type`). Use [`member`](PropRef::member) for the top-level member a reference
/// lives in, and [`path`](PropRef::path) or `Display` for the text (`actor/userPrincipalName`).
///
/// Two references are equal when they have the same parent name and the same name. `Debug`
/// prints only the path so that test failures stay readable.
#[derive(Clone, Copy)]
pub struct PropRef {
    parent: Option<&'static Property>,
    def: &'static Property,
}

impl PropRef {
    /// Wraps a top-level member's definition (normally obtained from [`Schema::property`]).
    pub const fn new(def: &'static Property) -> Self {
        PropRef { parent: None, def }
    }

    /// A property `def` of the complex value(s) held by the member `parent`: a path when
    /// `parent` is complex, an element property when it is a collection of complex values.
    pub const fn nested(parent: &'static Property, def: &'static Property) -> Self {
        PropRef {
            parent: Some(parent),
            def,
        }
    }

    /// The top-level member's name, or the empty string for a nested reference (see the type's
    /// documentation).
    pub fn name(&self) -> &'static str {
        match self.parent {
            None => self.def.name,
            Some(_) => "",
        }
    }

    /// The type of the referenced property (for a path, the leaf's type).
    pub fn ty(&self) -> PropertyType {
        self.def.ty
    }

    /// The referenced property's definition (for a path, the leaf's).
    pub fn def(&self) -> &'static Property {
        self.def
    }

    /// The complex member (or complex collection) holding the property, for a nested reference.
    pub fn parent(&self) -> Option<&'static Property> {
        self.parent
    }

    /// The top-level member the reference lives in: the parent for a nested reference, the
    /// property itself otherwise.
    pub fn member(&self) -> &'static Property {
        self.parent.unwrap_or(self.def)
    }

    /// The OData path: `displayName`, or `actor/userPrincipalName` for a nested reference.
    pub fn path(&self) -> String {
        self.to_string()
    }
}

impl PartialEq for PropRef {
    fn eq(&self, other: &Self) -> bool {
        self.parent.map(|p| p.name) == other.parent.map(|p| p.name)
            && self.def.name == other.def.name
    }
}

impl Eq for PropRef {}

impl fmt::Debug for PropRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PropRef({:?})", self.to_string())
    }
}

impl fmt::Display for PropRef {
    /// The path: `displayName`, `actor/userPrincipalName`, or `resources/resourceId` for an
    /// element property (the whole [`Filter`](crate::Filter) prints the range variable
    /// instead: `r/resourceId`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{}/", parent.name)?;
        }
        f.write_str(self.def.name)
    }
}
