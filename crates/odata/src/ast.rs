//! The typed, schema-checked AST. Every node here has already been validated against the
//! [`Schema`](crate::Schema): a SQL compiler can walk it without re-checking names, types or
//! permissions. The invariants each node guarantees are written on it.

use crate::datetime::DateTimeUtc;
use crate::schema::PropRef;

/// A `$filter` condition.
///
/// Invariants, guaranteed by the parser:
/// - every `prop` is filterable in the schema; for a path (`actor/userPrincipalName`, see
///   [`PropRef`]) both the complex member and its property are;
/// - a `prop` with a [`parent`](PropRef::parent) that is a collection of complex values occurs
///   only inside the predicate of [`Filter::AnyComplex`] over that collection;
/// - `And`/`Or` hold at least two operands; a chain `a and b and c` is one node with three
///   operands, while explicit parentheses `(a and b) and c` keep their own node;
/// - the nesting depth is at most [`Limits::max_depth`](crate::Limits::max_depth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// All operands hold.
    And(Vec<Filter>),
    /// At least one operand holds.
    Or(Vec<Filter>),
    /// The operand does not hold.
    Not(Box<Filter>),
    /// `prop op value`. The property is a scalar (never a collection or complex type; it may
    /// be a scalar inside a complex member, `actor/userPrincipalName`) and the value has the
    /// property's type:
    ///
    /// | property type | value | operators |
    /// |---|---|---|
    /// | String | [`Value::String`] | all six (the service compares case-insensitively) |
    /// | Boolean | [`Value::Boolean`] | `eq`, `ne` only |
    /// | Int32 / Int64 | [`Value::Int`] within the type's range | all six |
    /// | DateTimeOffset | [`Value::DateTime`] | all six |
    /// | Enum | [`Value::Enum`] of that enum | all six, by numeric value |
    ///
    /// A literal written on the left (`'x' eq displayName`) is moved to the right with the
    /// operator mirrored (`gt` ↔ `lt`). A bare Boolean property used as a condition
    /// (`configureWifi`) becomes `configureWifi eq true`.
    Compare {
        /// The property on the left.
        prop: PropRef,
        /// The operator.
        op: CompareOp,
        /// The literal on the right, never null (see [`Filter::IsNull`]).
        value: Value,
    },
    /// `prop eq null` (`negated: false`) or `prop ne null` (`negated: true`), on any scalar
    /// property. On a non-nullable property `eq null` is simply never true.
    IsNull {
        /// The property tested.
        prop: PropRef,
        /// `true` for `ne null`.
        negated: bool,
    },
    /// `prop in (v1, v2, ...)`: at least one value, each typed as for [`Filter::Compare`] with
    /// `eq` (so never null).
    In {
        /// The property tested.
        prop: PropRef,
        /// The candidate values, in the order written.
        values: Vec<Value>,
    },
    /// `startswith(prop,'x')`, `endswith(...)`, `contains(...)` on a String property. The
    /// service matches case-insensitively; `arg` is the raw text (a LIKE-based compiler must
    /// escape `%`, `_` and its escape character). Comparing the call with a Boolean literal is
    /// folded away: `startswith(p,'x') eq false` becomes `Not(StringMatch)`.
    StringMatch {
        /// Which function.
        func: StringFunction,
        /// The String property (first argument).
        prop: PropRef,
        /// The literal (second argument).
        arg: String,
    },
    /// `prop/any(var: predicate)` over a string collection, or `prop/any()` ("is non-empty").
    ///
    /// `prop/all(var: p)` is read as `not prop/any(var: not p)` (the same in OData's two-valued
    /// logic, and true for an empty collection), so it arrives as `Not(Any { .. Not(p) })`.
    Any {
        /// The StringCollection property.
        prop: PropRef,
        /// The range variable and the predicate on each element; `None` for `any()`.
        lambda: Option<Lambda>,
    },
    /// `prop/any(var: predicate)` over a collection of complex values
    /// (`resources/any(r: r/resourceId eq 'x')`), or `prop/any()` ("is non-empty").
    ///
    /// `prop/all(var: p)` is read as `not prop/any(var: not p)`, as for [`Filter::Any`]. A SQL
    /// compiler must give `not` inside the predicate OData's meaning (a comparison with a null
    /// property is false, so its negation is true), as it does outside.
    AnyComplex {
        /// The property of type [`PropertyType::ComplexCollection`](crate::PropertyType).
        prop: PropRef,
        /// The range variable and the predicate on each element; `None` for `any()`.
        lambda: Option<ComplexLambda>,
    },
}

/// The `var: predicate` part of `any(...)` over a collection of complex values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplexLambda {
    /// The range variable's name, as written (only needed to print the filter back).
    pub var: String,
    /// The condition on one element: a [`Filter`] in which every property is an element
    /// property (its [`parent`](PropRef::parent) is the collection; `r/resourceId` is
    /// `parent: resources, def: resourceId`). It holds no `Any` or `AnyComplex`.
    pub predicate: Box<Filter>,
}

/// The `var: predicate` part of `any(...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lambda {
    /// The range variable's name, as written (only needed to print the filter back).
    pub var: String,
    /// The condition on one element.
    pub predicate: ElementFilter,
}

/// A condition on one element of a string collection, inside `any(...)`. The element is a
/// non-null string; the same folding rules as [`Filter`] apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementFilter {
    /// All operands hold (at least two).
    And(Vec<ElementFilter>),
    /// At least one operand holds (at least two).
    Or(Vec<ElementFilter>),
    /// The operand does not hold.
    Not(Box<ElementFilter>),
    /// `var op 'value'` (case-insensitive in the service).
    Compare {
        /// The operator.
        op: CompareOp,
        /// The string literal.
        value: String,
    },
    /// `var in ('a', 'b', ...)`, at least one value.
    In(Vec<String>),
    /// `startswith(var,'x')` and friends.
    StringMatch {
        /// Which function.
        func: StringFunction,
        /// The literal (second argument).
        arg: String,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CompareOp {
    /// All operators, in a fixed order.
    pub const ALL: [CompareOp; 6] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The OData keyword (`eq`, `ne`, ...).
    pub fn keyword(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// The operator for a keyword (case-sensitive, as OData requires).
    pub fn from_keyword(word: &str) -> Option<Self> {
        CompareOp::ALL.into_iter().find(|op| op.keyword() == word)
    }

    /// The operator that gives the same result with its operands swapped (`gt` ↔ `lt`).
    pub fn mirrored(self) -> Self {
        match self {
            CompareOp::Gt => CompareOp::Lt,
            CompareOp::Ge => CompareOp::Le,
            CompareOp::Lt => CompareOp::Gt,
            CompareOp::Le => CompareOp::Ge,
            same => same,
        }
    }

    /// Whether this is `gt`, `ge`, `lt` or `le`.
    pub fn is_ordering(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }
}

/// A string-matching function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringFunction {
    /// `startswith(prop,'x')`: prop begins with x.
    StartsWith,
    /// `endswith(prop,'x')`: prop ends with x.
    EndsWith,
    /// `contains(prop,'x')`: x occurs in prop.
    Contains,
}

impl StringFunction {
    /// All functions.
    pub const ALL: [StringFunction; 3] = [
        StringFunction::StartsWith,
        StringFunction::EndsWith,
        StringFunction::Contains,
    ];

    /// The OData function name.
    pub fn name(self) -> &'static str {
        match self {
            StringFunction::StartsWith => "startswith",
            StringFunction::EndsWith => "endswith",
            StringFunction::Contains => "contains",
        }
    }

    /// The function for a name (case-sensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        StringFunction::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A typed literal, matching the type of the property it is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// For String properties: the unescaped text (`'it''s'` gives `it's`).
    String(String),
    /// For Boolean properties.
    Boolean(bool),
    /// For Int32 / Int64 properties, already range-checked for the property's type.
    Int(i64),
    /// For DateTimeOffset properties: a UTC instant.
    DateTime(DateTimeUtc),
    /// For enum properties: the member, with its numeric value.
    Enum(EnumValue),
}

/// An enum member named in a literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnumValue {
    /// The enum's qualified type name.
    pub type_name: &'static str,
    /// The member's name, as declared in the schema.
    pub member: &'static str,
    /// The member's numeric value: what the service compares and sorts by.
    pub value: i64,
}

/// One `$orderby` item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderBy {
    /// A sortable scalar property, top-level or a path into a complex member
    /// (`actor/userPrincipalName`, both segments sortable); each appears at most once per
    /// `$orderby`. Never a collection or an element property.
    pub prop: PropRef,
    /// The direction (ascending when not written).
    pub direction: Direction,
}

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `asc` (the default): nulls first.
    #[default]
    Asc,
    /// `desc`: nulls last.
    Desc,
}

/// The members `$select` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    /// `*` (alone or among names): every member.
    All,
    /// The named top-level members, selectable, without duplicates, in the order first written
    /// (a complex member is selected whole; paths are refused).
    Properties(Vec<PropRef>),
}
