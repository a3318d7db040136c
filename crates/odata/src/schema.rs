//! The caller-supplied description of an entity's members: their names, Edm types, and which
//! query options may use them. The parser checks every name and literal against it, and the AST
//! refers back to it through [`PropRef`].

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
    /// `Collection(Edm.String)`: usable in `$filter` only through `prop/any(...)`; never sortable.
    StringCollection,
    /// A complex type (e.g. `microsoft.graph.mimeContent`): selectable at most.
    Complex {
        /// The qualified type name, e.g. `microsoft.graph.mimeContent`.
        type_name: &'static str,
    },
}

impl PropertyType {
    /// The Edm name of the type, for messages (`Edm.String`, `microsoft.graph.x`, ...).
    pub fn edm_name(&self) -> &'static str {
        match self {
            PropertyType::String => "Edm.String",
            PropertyType::Boolean => "Edm.Boolean",
            PropertyType::Int32 => "Edm.Int32",
            PropertyType::Int64 => "Edm.Int64",
            PropertyType::DateTimeOffset => "Edm.DateTimeOffset",
            PropertyType::Enum(e) => e.type_name,
            PropertyType::StringCollection => "Collection(Edm.String)",
            PropertyType::Complex { type_name } => type_name,
        }
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
    /// May appear in `$filter`.
    pub filterable: bool,
    /// May appear in `$orderby`.
    pub sortable: bool,
    /// May appear in `$select`.
    pub selectable: bool,
}

impl Property {
    /// A nullable property usable everywhere its type allows: filterable and sortable unless
    /// it is a collection (filterable through `any()` only) or complex (selectable only).
    pub const fn new(name: &'static str, ty: PropertyType) -> Self {
        let (filterable, sortable) = match ty {
            PropertyType::StringCollection => (true, false),
            PropertyType::Complex { .. } => (false, false),
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
    /// The property called `name` (case-sensitive), as a reference the AST can hold.
    pub fn property(&self, name: &str) -> Option<PropRef> {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .map(|def| PropRef { def })
    }

    /// The property name closest to `name` (case-insensitive, small edit distance), if any is
    /// close enough to be worth suggesting.
    pub fn suggest(&self, name: &str) -> Option<&'static str> {
        crate::suggest::closest(name, self.properties.iter().map(|p| p.name))
    }
}

/// A reference to a schema property, held by the AST. Compares by name; `Debug` prints only the
/// name so that test failures stay readable.
#[derive(Clone, Copy)]
pub struct PropRef {
    def: &'static Property,
}

impl PropRef {
    /// Wraps a property definition (normally obtained from [`Schema::property`]).
    pub const fn new(def: &'static Property) -> Self {
        PropRef { def }
    }

    /// The property's name.
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// The property's type.
    pub fn ty(&self) -> PropertyType {
        self.def.ty
    }

    /// The full definition.
    pub fn def(&self) -> &'static Property {
        self.def
    }
}

impl PartialEq for PropRef {
    fn eq(&self, other: &Self) -> bool {
        self.def.name == other.def.name
    }
}

impl Eq for PropRef {}

impl fmt::Debug for PropRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PropRef({:?})", self.def.name)
    }
}

impl fmt::Display for PropRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.def.name)
    }
}
