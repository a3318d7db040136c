//! proptest strategies that generate type-correct ASTs and query options for the fixture
//! schemas (the enrollment profile, and the auditEvent one with complex members), respecting the AST's documented invariants (junctions have two or more operands,
//! `in` lists are non-empty, only filterable / sortable / selectable properties are used).

#![allow(dead_code)]

use odata::{
    CompareOp, ComplexLambda, DateTimeUtc, Direction, ElementFilter, EnumValue, Filter, Lambda,
    OrderBy, PropRef, PropertyType, QueryOptions, Schema, Select, StringFunction, Value,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::audit;
use super::schema::{prop, PROPERTIES, SCHEMA};

/// Filterable scalar properties of the given type class.
fn props_where(pred: impl Fn(&odata::Property) -> bool) -> Vec<PropRef> {
    PROPERTIES
        .iter()
        .filter(|p| pred(p))
        .map(|p| prop(p.name))
        .collect()
}

fn filterable_of(ty: fn(PropertyType) -> bool) -> Vec<PropRef> {
    props_where(|p| p.filterable && ty(p.ty))
}

pub fn op() -> impl Strategy<Value = CompareOp> {
    select(CompareOp::ALL.to_vec())
}

pub fn func() -> impl Strategy<Value = StringFunction> {
    select(StringFunction::ALL.to_vec())
}

/// Any text, including quotes, whitespace, `%`, `+`, `&` and non-ASCII.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        2 => "[a-z' %+&=()]{0,8}",
    ]
}

pub fn datetime() -> impl Strategy<Value = DateTimeUtc> {
    let min = -62_135_596_800_i64;
    let max = 253_402_300_799_i64;
    prop_oneof![
        (min..=max, 0u32..10_000_000),
        (1_700_000_000i64..1_900_000_000, Just(0u32)),
    ]
    .prop_map(|(s, t)| DateTimeUtc::from_unix(s, t * 100).expect("in range"))
}

/// A value suited to `prop`'s type.
pub fn value_for(prop: PropRef) -> BoxedStrategy<Value> {
    match prop.ty() {
        PropertyType::String => text().prop_map(Value::String).boxed(),
        PropertyType::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        PropertyType::Int32 => any::<i32>().prop_map(|i| Value::Int(i.into())).boxed(),
        PropertyType::Int64 => any::<i64>().prop_map(Value::Int).boxed(),
        PropertyType::DateTimeOffset => datetime().prop_map(Value::DateTime).boxed(),
        PropertyType::Enum(e) => select(e.members.to_vec())
            .prop_map(move |(member, value)| {
                Value::Enum(EnumValue {
                    type_name: e.type_name,
                    member,
                    value,
                })
            })
            .boxed(),
        other => panic!("no literal for {other:?}"),
    }
}

fn scalar(ty: PropertyType) -> bool {
    ty.is_scalar()
}

/// A comparison, null test, `in` or string function on one of `scalars` (and `strings`, the
/// String ones among them).
fn scalar_leaf(scalars: Vec<PropRef>) -> BoxedStrategy<Filter> {
    let strings: Vec<PropRef> = scalars
        .iter()
        .copied()
        .filter(|p| p.ty() == PropertyType::String)
        .collect();
    let compare = select(scalars.clone())
        .prop_flat_map(|p| {
            let ops = if p.ty() == PropertyType::Boolean {
                select(vec![CompareOp::Eq, CompareOp::Ne]).boxed()
            } else {
                op().boxed()
            };
            (Just(p), ops, value_for(p))
        })
        .prop_map(|(prop, op, value)| Filter::Compare { prop, op, value });
    let is_null = (select(scalars.clone()), any::<bool>())
        .prop_map(|(prop, negated)| Filter::IsNull { prop, negated });
    let in_list = select(scalars)
        .prop_flat_map(|p| (Just(p), vec(value_for(p), 1..4)))
        .prop_map(|(prop, values)| Filter::In { prop, values });
    let string_match = (func(), select(strings), text())
        .prop_map(|(func, prop, arg)| Filter::StringMatch { func, prop, arg });
    prop_oneof![4 => compare, 1 => is_null, 1 => in_list, 2 => string_match].boxed()
}

/// `leaf` combined with `and`, `or` and `not`, up to `depth` levels.
fn junctions(leaf: BoxedStrategy<Filter>, depth: u32, size: u32) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(depth, size, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 2..5).prop_map(Filter::And),
            vec(inner.clone(), 2..5).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
    .boxed()
}

/// A leaf condition.
pub fn leaf() -> BoxedStrategy<Filter> {
    let scalars = scalar_leaf(filterable_of(scalar));
    let any = prop_oneof![
        1 => Just(None),
        3 => (var_name(), element_filter()).prop_map(|(var, predicate)| Some(Lambda { var, predicate })),
    ]
    .prop_map(|lambda| Filter::Any { prop: prop("roleScopeTagIds"), lambda });
    prop_oneof![8 => scalars, 1 => any].boxed()
}

/// Filterable scalar paths into the complex members of `schema`, and its filterable top-level
/// scalars.
fn scalars_with_paths(schema: &'static Schema) -> Vec<PropRef> {
    let mut out = Vec::new();
    for member in schema.properties.iter().filter(|p| p.filterable) {
        match member.ty {
            PropertyType::Complex(c) => out.extend(
                c.properties
                    .iter()
                    .filter(|p| p.filterable && p.ty.is_scalar())
                    .map(|p| PropRef::nested(member, p)),
            ),
            ty if ty.is_scalar() => out.push(PropRef::new(member)),
            _ => {}
        }
    }
    out
}

/// A type-correct filter for the auditEvent fixture: top-level scalars, paths into `actor`,
/// and `resources/any(...)` over element properties.
pub fn audit_filter() -> impl Strategy<Value = Filter> {
    let resources = audit::prop("resources");
    let elements: Vec<PropRef> = audit::AUDIT_RESOURCE
        .properties
        .iter()
        .filter(|p| p.filterable && p.ty.is_scalar())
        .map(|p| PropRef::nested(resources.def(), p))
        .collect();
    let predicate = junctions(scalar_leaf(elements), 3, 12);
    let any = prop_oneof![
        1 => Just(None),
        3 => (var_name(), predicate).prop_map(|(var, predicate)| Some(ComplexLambda {
            var,
            predicate: Box::new(predicate),
        })),
    ]
    .prop_map(move |lambda| Filter::AnyComplex {
        prop: resources,
        lambda,
    });
    let leaf = prop_oneof![
        6 => scalar_leaf(scalars_with_paths(&audit::SCHEMA)),
        1 => any,
    ]
    .boxed();
    junctions(leaf, 5, 32)
}

/// A sort order for the auditEvent fixture, with paths into `actor`.
pub fn audit_orderby() -> impl Strategy<Value = Vec<OrderBy>> {
    let keys: Vec<PropRef> = scalars_with_paths(&audit::SCHEMA)
        .into_iter()
        .filter(|p| p.def().sortable && p.member().sortable)
        .collect();
    orderby_from(keys)
}

/// A lambda variable name that the grammar does not read as a keyword.
pub fn var_name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,5}".prop_filter("keyword", |v| {
        ![
            "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "in", "true", "false", "null",
            "any", "all", "has",
        ]
        .contains(&v.to_ascii_lowercase().as_str())
    })
}

pub fn element_filter() -> impl Strategy<Value = ElementFilter> {
    let leaf = prop_oneof![
        (op(), text()).prop_map(|(op, value)| ElementFilter::Compare { op, value }),
        vec(text(), 1..4).prop_map(ElementFilter::In),
        (func(), text()).prop_map(|(func, arg)| ElementFilter::StringMatch { func, arg }),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 2..4).prop_map(ElementFilter::And),
            vec(inner.clone(), 2..4).prop_map(ElementFilter::Or),
            inner.prop_map(|e| ElementFilter::Not(Box::new(e))),
        ]
    })
}

/// A type-correct filter of bounded depth.
pub fn filter() -> impl Strategy<Value = Filter> {
    junctions(leaf(), 6, 48)
}

pub fn select_option() -> impl Strategy<Value = Select> {
    let names: Vec<PropRef> = props_where(|p| p.selectable);
    prop_oneof![
        1 => Just(Select::All),
        4 => proptest::sample::subsequence(names.clone(), 1..6)
            .prop_shuffle()
            .prop_map(Select::Properties),
    ]
}

pub fn orderby_option() -> impl Strategy<Value = Vec<OrderBy>> {
    orderby_from(props_where(|p| p.sortable))
}

/// Up to three distinct keys of `names`, in any order, each with a direction.
fn orderby_from(names: Vec<PropRef>) -> impl Strategy<Value = Vec<OrderBy>> {
    proptest::sample::subsequence(names, 0..4)
        .prop_shuffle()
        .prop_flat_map(|props| {
            let n = props.len();
            (Just(props), vec(any::<bool>(), n))
        })
        .prop_map(|(props, dirs)| {
            props
                .into_iter()
                .zip(dirs)
                .map(|(prop, desc)| OrderBy {
                    prop,
                    direction: if desc {
                        Direction::Desc
                    } else {
                        Direction::Asc
                    },
                })
                .collect()
        })
}

fn non_empty_text() -> impl Strategy<Value = String> {
    text().prop_filter("non-empty", |s| !s.is_empty())
}

/// Whole query options, as a request might carry them.
pub fn query_options() -> impl Strategy<Value = QueryOptions> {
    (
        proptest::option::of(filter()),
        proptest::option::of(select_option()),
        orderby_option(),
        proptest::option::of(1u32..=1000),
        proptest::option::of(0u64..=i64::MAX as u64),
        proptest::option::of(non_empty_text()),
        any::<bool>(),
        proptest::option::of(non_empty_text()),
    )
        .prop_map(
            |(filter, select, orderby, top, skip, skiptoken, count, search)| QueryOptions {
                filter,
                select,
                orderby,
                top,
                skip,
                skiptoken,
                count,
                search,
            },
        )
}

/// Keeps the fixture referenced from this module.
pub fn schema() -> &'static odata::Schema {
    &SCHEMA
}
