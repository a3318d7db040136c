//! proptest strategies that generate type-correct ASTs and query options for the fixture
//! schema, respecting the AST's documented invariants (junctions have two or more operands,
//! `in` lists are non-empty, only filterable / sortable / selectable properties are used).

#![allow(dead_code)]

use odata::{
    CompareOp, DateTimeUtc, Direction, ElementFilter, EnumValue, Filter, Lambda, OrderBy, PropRef,
    PropertyType, QueryOptions, Select, StringFunction, Value,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

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

/// A leaf condition.
pub fn leaf() -> BoxedStrategy<Filter> {
    let scalars = filterable_of(scalar);
    let strings = filterable_of(|t| t == PropertyType::String);
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
    let any = prop_oneof![
        1 => Just(None),
        3 => (var_name(), element_filter()).prop_map(|(var, predicate)| Some(Lambda { var, predicate })),
    ]
    .prop_map(|lambda| Filter::Any { prop: prop("roleScopeTagIds"), lambda });
    prop_oneof![4 => compare, 1 => is_null, 1 => in_list, 2 => string_match, 1 => any].boxed()
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
    leaf().prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 2..5).prop_map(Filter::And),
            vec(inner.clone(), 2..5).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
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
    let names: Vec<PropRef> = props_where(|p| p.sortable);
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
