//! Prints the AST back as canonical OData text: the literal on the right, enum literals
//! type-qualified, date-times as `2026-01-02T03:04:05.0000000Z`, and only the parentheses the
//! structure needs. Parsing the output gives back an equal AST (the round-trip property tests
//! and the fuzzer check this), and it never nests deeper than the AST itself.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{
    CompareOp, Direction, ElementFilter, EnumValue, Filter, OrderBy, Select, StringFunction, Value,
};
use crate::schema::PropRef;

impl Display for CompareOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

impl Display for StringFunction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Writes `s` as an OData string literal, doubling single quotes.
fn quoted(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for part in s.split_inclusive('\'') {
        f.write_str(part)?;
        if part.ends_with('\'') {
            f.write_char('\'')?;
        }
    }
    f.write_char('\'')
}

impl Display for EnumValue {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name)?;
        quoted(f, self.member)
    }
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => quoted(f, s),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::DateTime(d) => write!(f, "{d}"),
            Value::Enum(e) => write!(f, "{e}"),
        }
    }
}

/// Writes `items` joined by `sep`, each through `one`.
fn join<T>(
    f: &mut Formatter<'_>,
    items: &[T],
    sep: &str,
    mut one: impl FnMut(&mut Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        one(f, item)?;
    }
    Ok(())
}

impl Filter {
    /// Whether the node is an `and` or `or`: as an operand of `and` it needs parentheses (for
    /// `or`, by precedence; for `and`, because it was an explicit group).
    fn is_junction(&self) -> bool {
        matches!(self, Filter::And(_) | Filter::Or(_))
    }
}

impl Display for Filter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Scoped(self, None).fmt(f)
    }
}

/// A property printed in scope: inside `any(r: ...)` over complex values an element property
/// prints as `r/resourceId`; elsewhere as its path.
struct Prop<'a>(PropRef, Option<&'a str>);

impl Display for Prop<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match (self.1, self.0.parent()) {
            (Some(var), Some(_)) => write!(f, "{var}/{}", self.0.def().name),
            _ => write!(f, "{}", self.0),
        }
    }
}

/// A filter printed with the range variable of the lambda it is in, if any.
struct Scoped<'a>(&'a Filter, Option<&'a str>);

impl Display for Scoped<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let var = self.1;
        match self.0 {
            Filter::Or(items) => join(f, items, " or ", |f, c| match c {
                Filter::Or(_) => write!(f, "({})", Scoped(c, var)),
                _ => write!(f, "{}", Scoped(c, var)),
            }),
            Filter::And(items) => join(f, items, " and ", |f, c| {
                if c.is_junction() {
                    write!(f, "({})", Scoped(c, var))
                } else {
                    write!(f, "{}", Scoped(c, var))
                }
            }),
            Filter::Not(inner) => match **inner {
                Filter::Not(_)
                | Filter::StringMatch { .. }
                | Filter::Any { .. }
                | Filter::AnyComplex { .. }
                | Filter::In { .. } => write!(f, "not {}", Scoped(inner, var)),
                _ => write!(f, "not ({})", Scoped(inner, var)),
            },
            Filter::Compare { prop, op, value } => {
                write!(f, "{} {op} {value}", Prop(*prop, var))
            }
            Filter::IsNull { prop, negated } => {
                let op = if *negated { "ne" } else { "eq" };
                write!(f, "{} {op} null", Prop(*prop, var))
            }
            Filter::In { prop, values } => {
                write!(f, "{} in (", Prop(*prop, var))?;
                join(f, values, ",", |f, v| write!(f, "{v}"))?;
                f.write_char(')')
            }
            Filter::StringMatch { func, prop, arg } => {
                write!(f, "{func}({},", Prop(*prop, var))?;
                quoted(f, arg)?;
                f.write_char(')')
            }
            Filter::Any { prop, lambda: None } => write!(f, "{prop}/any()"),
            Filter::Any {
                prop,
                lambda: Some(l),
            } => {
                write!(f, "{prop}/any({}:{})", l.var, InScope(&l.predicate, &l.var))
            }
            Filter::AnyComplex { prop, lambda: None } => write!(f, "{prop}/any()"),
            Filter::AnyComplex {
                prop,
                lambda: Some(l),
            } => {
                write!(
                    f,
                    "{prop}/any({}:{})",
                    l.var,
                    Scoped(&l.predicate, Some(&l.var))
                )
            }
        }
    }
}

/// An element filter printed with its range variable.
struct InScope<'a>(&'a ElementFilter, &'a str);

impl Display for InScope<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let var = self.1;
        match self.0 {
            ElementFilter::Or(items) => join(f, items, " or ", |f, c| match c {
                ElementFilter::Or(_) => write!(f, "({})", InScope(c, var)),
                _ => write!(f, "{}", InScope(c, var)),
            }),
            ElementFilter::And(items) => join(f, items, " and ", |f, c| match c {
                ElementFilter::And(_) | ElementFilter::Or(_) => write!(f, "({})", InScope(c, var)),
                _ => write!(f, "{}", InScope(c, var)),
            }),
            ElementFilter::Not(inner) => match **inner {
                ElementFilter::Not(_)
                | ElementFilter::StringMatch { .. }
                | ElementFilter::In(_) => write!(f, "not {}", InScope(inner, var)),
                _ => write!(f, "not ({})", InScope(inner, var)),
            },
            ElementFilter::Compare { op, value } => {
                write!(f, "{var} {op} ")?;
                quoted(f, value)
            }
            ElementFilter::In(values) => {
                write!(f, "{var} in (")?;
                join(f, values, ",", |f, v| quoted(f, v))?;
                f.write_char(')')
            }
            ElementFilter::StringMatch { func, arg } => {
                write!(f, "{func}({var},")?;
                quoted(f, arg)?;
                f.write_char(')')
            }
        }
    }
}

impl Display for Direction {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        })
    }
}

impl Display for OrderBy {
    /// `prop` for ascending, `prop desc` for descending.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.direction {
            Direction::Asc => write!(f, "{}", self.prop),
            Direction::Desc => write!(f, "{} desc", self.prop),
        }
    }
}

/// A whole `$orderby` value: items joined by `,`.
pub fn format_orderby(items: &[OrderBy]) -> String {
    let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
    parts.join(",")
}

impl Display for Select {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Select::All => f.write_char('*'),
            Select::Properties(props) => join(f, props, ",", |f, p| write!(f, "{p}")),
        }
    }
}
