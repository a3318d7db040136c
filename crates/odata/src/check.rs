//! Type-checks the untyped `$filter` tree against the schema and builds the typed [`Filter`].
//!
//! Rules (beyond "the literal has the property's type", see [`Filter::Compare`]):
//! - one side of a comparison is a property, the other a literal; either order is accepted;
//!   comparing two properties, or two literals, is an error;
//! - `gt ge lt le` are refused on Boolean properties; `null` accepts only `eq` and `ne`;
//! - a condition (function call, `any`, comparison, `not`...) may be compared with `true` or
//!   `false` using `eq`/`ne`, and the comparison is folded away;
//! - a bare Boolean property is a condition (`configureWifi` ≡ `configureWifi eq true`);
//! - collections are usable only through `any()` and `all()`; a complex member only through a
//!   path to one of its scalar properties (`actor/userPrincipalName`), one level deep;
//! - inside `any(r: ...)` over a collection of complex values only the range variable's
//!   properties (`r/resourceId`) may appear, and lambdas do not nest.

use crate::ast::{CompareOp, ComplexLambda, ElementFilter, Filter, Lambda, Value};
use crate::error::{ErrorKind, QueryError};
use crate::lexer::Lit;
use crate::literal::{bool_literal, is_condition, typed_value};
use crate::parser::{Expr, FILTER};
use crate::query::Limits;
use crate::schema::{ComplexType, Property, PropertyType, Schema};

mod path;
mod text;

pub use text::MAX_TEXT_ARGUMENT;
pub(crate) use text::{string_argument, string_function};

/// Checks `expr` against `schema` and `limits` and returns the typed filter.
pub(crate) fn check(expr: &Expr, schema: &Schema, limits: &Limits) -> Result<Filter, QueryError> {
    let filter = Checker {
        schema,
        element: None,
    }
    .condition(expr)?;
    let max_depth = limits.max_depth;
    if depth(&filter) > max_depth {
        return Err(QueryError::new(
            ErrorKind::Limit,
            FILTER,
            0,
            format!("the filter nests deeper than {max_depth} levels"),
        ));
    }
    let (n, max) = (conditions(&filter), limits.max_conditions);
    if n > max {
        return Err(QueryError::new(
            ErrorKind::Limit,
            FILTER,
            0,
            format!(
                "the filter holds {n} conditions, more than the {max} allowed; split it into several queries"
            ),
        ));
    }
    Ok(filter)
}

/// The conditions a filter holds (see [`Limits::max_conditions`]).
pub(crate) fn conditions(filter: &Filter) -> usize {
    match filter {
        Filter::And(items) | Filter::Or(items) => items.iter().map(conditions).sum(),
        Filter::Not(inner) => conditions(inner),
        Filter::In { values, .. } => values.len(),
        Filter::Any {
            lambda: Some(l), ..
        } => crate::check_element::conditions(&l.predicate),
        Filter::AnyComplex {
            lambda: Some(l), ..
        } => conditions(&l.predicate),
        Filter::Compare { .. }
        | Filter::IsNull { .. }
        | Filter::StringMatch { .. }
        | Filter::Any { lambda: None, .. }
        | Filter::AnyComplex { lambda: None, .. } => 1,
    }
}

/// The number of nodes on the longest root-to-leaf path.
fn depth(filter: &Filter) -> usize {
    1 + match filter {
        Filter::And(items) | Filter::Or(items) => items.iter().map(depth).max().unwrap_or(0),
        Filter::Not(inner) => depth(inner),
        Filter::Any {
            lambda: Some(l), ..
        } => crate::check_element::depth(&l.predicate),
        Filter::AnyComplex {
            lambda: Some(l), ..
        } => depth(&l.predicate),
        _ => 0,
    }
}

pub(crate) fn err(kind: ErrorKind, pos: usize, message: impl Into<String>) -> QueryError {
    QueryError::new(kind, FILTER, pos, message)
}

/// A property reference as written: the first name, its position, and the further segments.
type Written<'e> = (&'e str, usize, &'e [(String, usize)]);

/// The reference `expr` writes, if it is one.
fn written(expr: &Expr) -> Option<Written<'_>> {
    match expr {
        Expr::Member { name, pos, rest } => Some((name, *pos, rest)),
        _ => None,
    }
}

/// The text of a written reference, for messages (`actor/userPrincipalName`).
fn text((name, _, rest): Written<'_>) -> String {
    let mut out = name.to_owned();
    for (segment, _) in rest {
        out.push('/');
        out.push_str(segment);
    }
    out
}

/// The range of a lambda over a collection of complex values.
#[derive(Clone, Copy)]
struct ElementScope<'v> {
    /// The range variable.
    var: &'v str,
    /// The collection member.
    collection: &'static Property,
}

struct Checker<'s> {
    schema: &'s Schema,
    /// Set inside `any(...)` over a collection of complex values.
    element: Option<ElementScope<'s>>,
}

/// A filterable scalar property of `ty` to show in a hint, e.g. `userPrincipalName`.
fn example(ty: &ComplexType) -> Option<&'static str> {
    ty.properties
        .iter()
        .find(|p| p.filterable && p.ty.is_scalar())
        .map(|p| p.name)
}

impl<'s> Checker<'s> {
    fn condition(&self, expr: &'s Expr) -> Result<Filter, QueryError> {
        match expr {
            Expr::Or(items) => Ok(Filter::Or(self.all(items)?)),
            Expr::And(items) => Ok(Filter::And(self.all(items)?)),
            Expr::Not { operand, .. } => Ok(Filter::Not(Box::new(self.condition(operand)?))),
            Expr::Compare {
                op,
                op_pos,
                lhs,
                rhs,
            } => self.compare(*op, *op_pos, lhs, rhs),
            Expr::In { lhs, items, pos } => self.in_list(lhs, items, *pos),
            Expr::Call { name, pos, args } => self.call(name, *pos, args),
            Expr::Any {
                prop,
                pos,
                all,
                lambda,
            } => self.lambda(prop, *pos, *all, lambda.as_ref()),
            Expr::Member { name, pos, rest } => {
                let w = (name.as_str(), *pos, rest.as_slice());
                let prop = self.scalar(w)?;
                if prop.ty() == PropertyType::Boolean {
                    return Ok(Filter::Compare {
                        prop,
                        op: CompareOp::Eq,
                        value: Value::Boolean(true),
                    });
                }
                let path = text(w);
                Err(err(
                    ErrorKind::Type,
                    *pos,
                    format!("'{path}' is {}, not a condition", prop.ty().edm_name()),
                )
                .with_hint(format!("compare it with a value, e.g. {path} eq ...")))
            }
            Expr::Literal { pos, .. } => {
                Err(
                    err(ErrorKind::Type, *pos, "a literal alone is not a condition")
                        .with_hint("compare a property with it, e.g. displayName eq 'x'"),
                )
            }
        }
    }

    fn all(&self, items: &'s [Expr]) -> Result<Vec<Filter>, QueryError> {
        items.iter().map(|e| self.condition(e)).collect()
    }

    /// `prop/any(...)` or `prop/all(...)` (`all` holds the position of the word `all`).
    /// `all(v: p)` becomes `not any(v: not p)`.
    fn lambda(
        &self,
        name: &str,
        pos: usize,
        all: Option<usize>,
        lambda: Option<&'s (String, usize, Box<Expr>)>,
    ) -> Result<Filter, QueryError> {
        let word = if all.is_some() { "all" } else { "any" };
        if self.element.is_some() {
            return Err(err(
                ErrorKind::Unsupported,
                pos,
                format!("{word}() cannot be nested"),
            ));
        }
        let prop = self.property(name, pos)?;
        let negate = all.is_some();
        let any = match prop.ty() {
            PropertyType::StringCollection => Filter::Any {
                prop,
                lambda: match lambda {
                    None => None,
                    Some((var, _, body)) => {
                        let predicate = crate::check_element::check(var, body)?;
                        Some(Lambda {
                            var: var.clone(),
                            predicate: if negate {
                                ElementFilter::Not(Box::new(predicate))
                            } else {
                                predicate
                            },
                        })
                    }
                },
            },
            PropertyType::ComplexCollection(_) => Filter::AnyComplex {
                prop,
                lambda: match lambda {
                    None => None,
                    Some((var, _, body)) => {
                        let inner = Checker {
                            schema: self.schema,
                            element: Some(ElementScope {
                                var,
                                collection: prop.def(),
                            }),
                        };
                        let predicate = inner.condition(body)?;
                        Some(ComplexLambda {
                            var: var.clone(),
                            predicate: Box::new(if negate {
                                Filter::Not(Box::new(predicate))
                            } else {
                                predicate
                            }),
                        })
                    }
                },
            },
            other => {
                return Err(err(
                    ErrorKind::Type,
                    pos,
                    format!(
                        "{word}() applies to collections, but '{name}' is {}",
                        other.edm_name()
                    ),
                ))
            }
        };
        Ok(if negate {
            Filter::Not(Box::new(any))
        } else {
            any
        })
    }

    fn compare(
        &self,
        op: CompareOp,
        op_pos: usize,
        lhs: &'s Expr,
        rhs: &'s Expr,
    ) -> Result<Filter, QueryError> {
        for side in [lhs, rhs] {
            if let Expr::Call { name, pos, args } = side {
                string_function(name, *pos, args.len())?;
            }
        }
        // `condition eq true` and friends.
        for (cond, other) in [(lhs, rhs), (rhs, lhs)] {
            if !is_condition(cond) {
                continue;
            }
            let Some(value) = bool_literal(other) else {
                let hint = match cond {
                    Expr::Not { pos, .. } => Some((
                        *pos,
                        "'not' applies only to the operand right after it; write not (a eq b)",
                    )),
                    _ => None,
                };
                let (pos, hint) = hint.unwrap_or((
                    other.pos(),
                    "a condition can only be compared with true or false",
                ));
                return Err(err(
                    ErrorKind::Type,
                    pos,
                    "a condition cannot be compared with this value",
                )
                .with_hint(hint));
            };
            if op.is_ordering() {
                return Err(err(
                    ErrorKind::Type,
                    op_pos,
                    format!("'{}' cannot compare conditions; use eq or ne", op.keyword()),
                ));
            }
            let cond = self.condition(cond)?;
            return Ok(if (op == CompareOp::Eq) == value {
                cond
            } else {
                Filter::Not(Box::new(cond))
            });
        }
        let (member, lit, lit_pos, op) = match (lhs, rhs) {
            (Expr::Member { .. }, Expr::Literal { lit, pos: lp }) => (lhs, lit, *lp, op),
            (Expr::Literal { lit, pos: lp }, Expr::Member { .. }) => (rhs, lit, *lp, op.mirrored()),
            (Expr::Member { pos, .. }, Expr::Member { .. }) => {
                return Err(err(
                    ErrorKind::Unsupported,
                    *pos,
                    "comparing two properties is not supported",
                ));
            }
            (Expr::Literal { pos, .. }, Expr::Literal { .. }) => {
                return Err(err(
                    ErrorKind::Type,
                    *pos,
                    "a comparison needs a property on one side",
                ));
            }
            (Expr::Member { .. }, other) | (other, Expr::Member { .. }) => {
                return Err(err(
                    ErrorKind::Type,
                    other.pos(),
                    format!(
                        "expected a literal to compare with, after '{}'",
                        op.keyword()
                    ),
                ));
            }
            (other, _) => {
                return Err(err(
                    ErrorKind::Type,
                    other.pos(),
                    "a comparison needs a property on one side",
                ))
            }
        };
        let Some(w) = written(member) else {
            return Err(err(
                ErrorKind::Type,
                member.pos(),
                "a comparison needs a property on one side",
            ));
        };
        let prop = self.scalar(w)?;
        let name = text(w);
        if *lit == Lit::Null {
            if op.is_ordering() {
                return Err(err(
                    ErrorKind::Type,
                    op_pos,
                    format!(
                        "null can only be compared with eq or ne, not '{}'",
                        op.keyword()
                    ),
                ));
            }
            return Ok(Filter::IsNull {
                prop,
                negated: op == CompareOp::Ne,
            });
        }
        let value = typed_value(prop, &name, lit, lit_pos)?;
        if op.is_ordering() && prop.ty() == PropertyType::Boolean {
            return Err(err(
                ErrorKind::Type,
                op_pos,
                format!(
                    "'{}' cannot be used with Boolean property '{name}'; use eq or ne",
                    op.keyword()
                ),
            ));
        }
        Ok(Filter::Compare { prop, op, value })
    }

    fn in_list(&self, lhs: &'s Expr, items: &[Expr], pos: usize) -> Result<Filter, QueryError> {
        let Some(w) = written(lhs) else {
            return Err(err(
                ErrorKind::Type,
                lhs.pos(),
                "the left side of 'in' must be a property",
            ));
        };
        let prop = self.scalar(w)?;
        let name = text(w);
        let values = items
            .iter()
            .map(|item| match item {
                Expr::Literal {
                    lit: Lit::Null,
                    pos,
                } => Err(
                    err(ErrorKind::Type, *pos, "null cannot appear in an 'in' list")
                        .with_hint(format!("use {name} eq null")),
                ),
                Expr::Literal { lit, pos } => typed_value(prop, &name, lit, *pos),
                other => Err(err(
                    ErrorKind::Type,
                    other.pos(),
                    "an 'in' list may contain only literals",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if values.is_empty() {
            return Err(err(ErrorKind::Syntax, pos, "'in' needs at least one value"));
        }
        Ok(Filter::In { prop, values })
    }

    fn call(&self, name: &str, pos: usize, args: &'s [Expr]) -> Result<Filter, QueryError> {
        let func = string_function(name, pos, args.len())?;
        let (Some(w), second) = (written(&args[0]), &args[1]) else {
            return Err(err(
                ErrorKind::Type,
                args[0].pos(),
                format!("the first argument of {name} must be a property"),
            )
            .with_hint(format!("write {name}(property,'text')")));
        };
        let prop = self.scalar(w)?;
        if prop.ty() != PropertyType::String {
            return Err(err(
                ErrorKind::Type,
                w.1,
                format!(
                    "{name} needs a String property, but '{}' is {}",
                    text(w),
                    prop.ty().edm_name()
                ),
            ));
        }
        Ok(Filter::StringMatch {
            func,
            prop,
            arg: string_argument(name, second)?,
        })
    }
}
