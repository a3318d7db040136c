//! `$filter` and `$search` to a SQL condition, values bound as parameters; with the text helpers
//! they need (LIKE escaping, the upper bound that makes `startswith` an index range).
//!
//! OData's logic is two-valued: `description ne 'x'` is true for a null description, and so is
//! `not (description eq 'x')`. SQL's is three-valued (`NULL <> 'x'` is unknown, `NOT unknown` is
//! unknown). The compiler therefore pushes every `not` down to the comparisons (De Morgan) and
//! writes each comparison in its positive or negated form, adding `OR col IS NULL` where OData
//! says true for null. Above the comparisons only `AND`/`OR` remain, where an unknown acts like
//! false, exactly as OData's false does.

use odata::{CompareOp, ElementFilter, Filter, StringFunction};
use sea_query::{
    Alias, Expr, ExprTrait as _, Func, LikeExpr, Query, SimpleExpr, Value as SqlValue,
};

use super::columns::{column, prop_column, Column};
use super::Dialect;
use crate::model::layout::{fold_case, Layout};

/// The condition for `filter` on the entity set of `layout`, or for its negation when `negated`.
pub fn condition(
    layout: &Layout,
    filter: &Filter,
    negated: bool,
    d: Dialect,
) -> anyhow::Result<SimpleExpr> {
    let column = |prop: &odata::PropRef| prop_column(layout, prop);
    Ok(match filter {
        Filter::And(items) | Filter::Or(items) => {
            // `not (a and b)` is `not a or not b`, and the other way round.
            let all = matches!(filter, Filter::And(_)) != negated;
            let parts = items
                .iter()
                .map(|f| condition(layout, f, negated, d))
                .collect::<anyhow::Result<Vec<_>>>()?;
            join(parts, all)
        }
        Filter::Not(inner) => condition(layout, inner, !negated, d)?,
        Filter::Compare { prop, op, value } => {
            let c = column(prop)?;
            compare(&c, c.expr(), *op, c.literal(value), negated)
        }
        Filter::IsNull { prop, negated: ne } => {
            let e = column(prop)?.expr();
            if *ne != negated {
                e.is_not_null()
            } else {
                e.is_null()
            }
        }
        Filter::In { prop, values } => {
            let c = column(prop)?;
            let values: Vec<SqlValue> = values.iter().map(|v| c.literal(v)).collect();
            if negated {
                or_null(&c, c.expr().is_not_in(values))
            } else {
                c.expr().is_in(values)
            }
        }
        Filter::StringMatch { func, prop, arg } => {
            let c = column(prop)?;
            let matched = string_match(c.expr(), *func, arg);
            if negated {
                or_null(&c, matched.not())
            } else {
                matched
            }
        }
        Filter::Any { prop, lambda } => {
            let c = column(prop)?;
            let exists = match lambda {
                None => non_empty(&c, d),
                Some(l) => any_element(&c, &l.predicate, d),
            };
            if negated {
                exists.not()
            } else {
                exists
            }
        }
        // The schema declares no collection of complex values, so the parser never builds this.
        Filter::AnyComplex { prop, .. } => {
            anyhow::bail!("the member '{prop}' has no query column")
        }
    })
}

/// `$search`: the text occurs, case-insensitively, in one of the members the entity set
/// searches (a profile's display name or description).
pub fn search(layout: &Layout, text: &str) -> anyhow::Result<SimpleExpr> {
    let parts = layout
        .search
        .iter()
        .map(|&i| {
            let c = column(layout, layout.members[i].name)?;
            Ok(string_match(c.expr(), StringFunction::Contains, text))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(join(parts, false))
}

/// `a AND b AND ...` (`all`) or `a OR b OR ...`.
pub fn join(parts: Vec<SimpleExpr>, all: bool) -> SimpleExpr {
    let mut parts = parts.into_iter();
    let first = parts
        .next()
        .unwrap_or_else(|| Expr::cust(if all { "1 = 1" } else { "1 = 0" }));
    parts.fold(first, |acc, p| if all { acc.and(p) } else { acc.or(p) })
}

/// `cond OR col IS NULL` for a nullable column: what OData's "true for null" needs.
fn or_null(c: &Column, cond: SimpleExpr) -> SimpleExpr {
    if c.nullable {
        cond.or(c.expr().is_null())
    } else {
        cond
    }
}

/// `e op v`, or its negation, with OData's null rules: `eq` and the orderings are false for a
/// null operand, `ne` is true.
fn compare(c: &Column, e: SimpleExpr, op: CompareOp, v: SqlValue, negated: bool) -> SimpleExpr {
    let positive = |op: CompareOp, e: SimpleExpr| match op {
        CompareOp::Eq => e.eq(v.clone()),
        CompareOp::Ne => or_null(c, e.ne(v.clone())),
        CompareOp::Gt => e.gt(v.clone()),
        CompareOp::Ge => e.gte(v.clone()),
        CompareOp::Lt => e.lt(v.clone()),
        CompareOp::Le => e.lte(v.clone()),
    };
    if !negated {
        return positive(op, e);
    }
    match op {
        CompareOp::Eq => positive(CompareOp::Ne, e),
        CompareOp::Ne => positive(CompareOp::Eq, e),
        CompareOp::Gt => or_null(c, positive(CompareOp::Le, e)),
        CompareOp::Ge => or_null(c, positive(CompareOp::Lt, e)),
        CompareOp::Lt => or_null(c, positive(CompareOp::Ge, e)),
        CompareOp::Le => or_null(c, positive(CompareOp::Gt, e)),
    }
}

/// `startswith` as a range on the lower-cased value (so an index serves it); `endswith` and
/// `contains` as `LIKE` with the wildcards of the argument escaped. Both sides are lower-cased,
/// so the result is the same whether `LIKE` folds ASCII case (SQLite) or not (PostgreSQL).
fn string_match(e: SimpleExpr, func: StringFunction, arg: &str) -> SimpleExpr {
    let arg = fold_case(arg);
    let like = |pattern: String| e.clone().like(LikeExpr::new(pattern).escape(LIKE_ESCAPE));
    match func {
        StringFunction::StartsWith if arg.is_empty() => e.is_not_null(),
        StringFunction::StartsWith => match prefix_successor(&arg) {
            Some(upper) => e.clone().gte(arg).and(e.lt(upper)),
            None => e.gte(arg),
        },
        StringFunction::EndsWith => like(format!("%{}", escape_like(&arg))),
        StringFunction::Contains => like(format!("%{}%", escape_like(&arg))),
    }
}

/// `roleScopeTagIds/any()`: the collection is not empty.
fn non_empty(c: &Column, d: Dialect) -> SimpleExpr {
    let length = match d {
        Dialect::Sqlite => Func::cust(Alias::new("json_array_length")).arg(c.raw()),
        Dialect::Postgres => Func::cust(Alias::new("jsonb_array_length")).arg(as_jsonb(c)),
    };
    SimpleExpr::from(length).gt(0)
}

fn as_jsonb(c: &Column) -> SimpleExpr {
    c.raw().cast_as(Alias::new("jsonb"))
}

/// `roleScopeTagIds/any(t: ...)`: some element (lower-cased when stored) satisfies the predicate.
/// SQLite walks the JSON array with `json_each`, PostgreSQL with `jsonb_array_elements_text`;
/// both name the element column `value`.
fn any_element(c: &Column, predicate: &ElementFilter, d: Dialect) -> SimpleExpr {
    let elements = match d {
        Dialect::Sqlite => Func::cust(Alias::new("json_each")).arg(c.raw()),
        Dialect::Postgres => Func::cust(Alias::new("jsonb_array_elements_text")).arg(as_jsonb(c)),
    };
    let value: SimpleExpr = Expr::col((Alias::new("t"), Alias::new("value"))).into();
    let mut sub = Query::select();
    sub.expr(Expr::cust("1"))
        .from_function(elements, Alias::new("t"))
        .and_where(element(predicate, value));
    Expr::exists(sub)
}

/// The condition on one element (never null, so SQL's `NOT` is exact here).
fn element(f: &ElementFilter, value: SimpleExpr) -> SimpleExpr {
    match f {
        ElementFilter::And(items) => join(
            items.iter().map(|i| element(i, value.clone())).collect(),
            true,
        ),
        ElementFilter::Or(items) => join(
            items.iter().map(|i| element(i, value.clone())).collect(),
            false,
        ),
        ElementFilter::Not(inner) => element(inner, value).not(),
        ElementFilter::Compare { op, value: lit } => {
            let v = SqlValue::from(fold_case(lit));
            match op {
                CompareOp::Eq => value.eq(v),
                CompareOp::Ne => value.ne(v),
                CompareOp::Gt => value.gt(v),
                CompareOp::Ge => value.gte(v),
                CompareOp::Lt => value.lt(v),
                CompareOp::Le => value.lte(v),
            }
        }
        ElementFilter::In(items) => value.is_in(items.iter().map(|s| fold_case(s))),
        ElementFilter::StringMatch { func, arg } => string_match(value, *func, arg),
    }
}

/// The escape character of every LIKE pattern the compiler writes (`... LIKE ? ESCAPE '\'`).
pub const LIKE_ESCAPE: char = '\\';

/// `text` with the LIKE wildcards `%` and `_`, and the escape character itself, escaped so that
/// each matches only itself.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            out.push(LIKE_ESCAPE);
        }
        out.push(c);
    }
    out
}

/// The smallest string greater than every string that starts with `prefix`, in code-point order
/// (which is also the byte order of UTF-8, SQLite's `BINARY` and PostgreSQL's `"C"` collation):
/// the prefix with its last character incremented, skipping the surrogate range; characters
/// that are already `U+10FFFF` are dropped and the one before is incremented. `None` when no
/// such string exists (an empty prefix, or one made only of `U+10FFFF`), so that only the lower
/// bound applies.
///
/// So `s` starts with `prefix` exactly when `prefix <= s` and `s < successor(prefix)`.
pub fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            '\u{10FFFF}' => None,
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn escapes_wildcards_and_the_escape_character() {
        assert_eq!(escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
        assert_eq!(escape_like("plain é"), "plain é");
    }

    #[test]
    fn successor_bounds_exactly_the_strings_with_the_prefix() {
        assert_eq!(prefix_successor("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{10FFFF}\u{10FFFF}"), None);
        assert_eq!(prefix_successor(""), None);
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "abd",
            "abc\u{10FFFF}x",
            "abcz",
            "ab\u{10FFFF}",
            "b",
            "é",
            "ét",
            "\u{10FFFF}",
        ];
        for prefix in words {
            for s in words {
                let in_range =
                    prefix <= s && prefix_successor(prefix).is_none_or(|upper| s < upper.as_str());
                assert_eq!(in_range, s.starts_with(prefix), "{prefix:?} {s:?}");
            }
        }
    }
}
