//! Type-checks the untyped `$filter` tree against the schema and builds the typed [`Filter`].
//!
//! Rules (beyond "the literal has the property's type", see [`Filter::Compare`]):
//! - one side of a comparison is a property, the other a literal; either order is accepted;
//!   comparing two properties, or two literals, is an error;
//! - `gt ge lt le` are refused on Boolean properties; `null` accepts only `eq` and `ne`;
//! - a condition (function call, `any`, comparison, `not`...) may be compared with `true` or
//!   `false` using `eq`/`ne`, and the comparison is folded away;
//! - a bare Boolean property is a condition (`configureWifi` ≡ `configureWifi eq true`);
//! - collections are usable only through `any()`; complex properties not at all.

use crate::ast::{CompareOp, Filter, Lambda, StringFunction, Value};
use crate::error::{ErrorKind, QueryError};
use crate::lexer::Lit;
use crate::literal::{bool_literal, is_condition, typed_value};
use crate::parser::{Expr, FILTER};
use crate::schema::{PropRef, PropertyType, Schema};

/// Checks `expr` against `schema` and returns the typed filter.
pub(crate) fn check(expr: &Expr, schema: &Schema, max_depth: usize) -> Result<Filter, QueryError> {
    let filter = Checker { schema }.condition(expr)?;
    if depth(&filter) > max_depth {
        return Err(QueryError::new(
            ErrorKind::Limit,
            FILTER,
            0,
            format!("the filter nests deeper than {max_depth} levels"),
        ));
    }
    Ok(filter)
}

/// The number of nodes on the longest root-to-leaf path.
fn depth(filter: &Filter) -> usize {
    1 + match filter {
        Filter::And(items) | Filter::Or(items) => items.iter().map(depth).max().unwrap_or(0),
        Filter::Not(inner) => depth(inner),
        Filter::Any {
            lambda: Some(l), ..
        } => crate::check_element::depth(&l.predicate),
        _ => 0,
    }
}

pub(crate) fn err(kind: ErrorKind, pos: usize, message: impl Into<String>) -> QueryError {
    QueryError::new(kind, FILTER, pos, message)
}

struct Checker<'s> {
    schema: &'s Schema,
}

impl Checker<'_> {
    fn condition(&self, expr: &Expr) -> Result<Filter, QueryError> {
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
            Expr::Any { prop, pos, lambda } => {
                let prop = self.property(prop, *pos)?;
                if prop.ty() != PropertyType::StringCollection {
                    return Err(err(
                        ErrorKind::Type,
                        *pos,
                        format!(
                            "any() applies to collections, but '{prop}' is {}",
                            prop.ty().edm_name()
                        ),
                    ));
                }
                let lambda = match lambda {
                    None => None,
                    Some((var, _, body)) => Some(Lambda {
                        var: var.clone(),
                        predicate: crate::check_element::check(var, body)?,
                    }),
                };
                Ok(Filter::Any { prop, lambda })
            }
            Expr::Member { name, pos } => {
                let prop = self.scalar(name, *pos)?;
                if prop.ty() == PropertyType::Boolean {
                    return Ok(Filter::Compare {
                        prop,
                        op: CompareOp::Eq,
                        value: Value::Boolean(true),
                    });
                }
                Err(err(
                    ErrorKind::Type,
                    *pos,
                    format!("'{name}' is {}, not a condition", prop.ty().edm_name()),
                )
                .with_hint(format!("compare it with a value, e.g. {name} eq ...")))
            }
            Expr::Literal { pos, .. } => {
                Err(
                    err(ErrorKind::Type, *pos, "a literal alone is not a condition")
                        .with_hint("compare a property with it, e.g. displayName eq 'x'"),
                )
            }
        }
    }

    fn all(&self, items: &[Expr]) -> Result<Vec<Filter>, QueryError> {
        items.iter().map(|e| self.condition(e)).collect()
    }

    /// A filterable property named `name`.
    fn property(&self, name: &str, pos: usize) -> Result<PropRef, QueryError> {
        let Some(prop) = self.schema.property(name) else {
            let hint = self
                .schema
                .suggest(name)
                .map(|s| format!("did you mean '{s}'?"));
            return Err(err(
                ErrorKind::UnknownProperty,
                pos,
                format!("unknown property '{name}'"),
            )
            .with_opt_hint(hint));
        };
        if !prop.def().filterable {
            return Err(err(
                ErrorKind::NotAllowed,
                pos,
                format!("'{name}' cannot be used in $filter"),
            ));
        }
        Ok(prop)
    }

    /// A filterable property that can be compared directly (not a collection or complex).
    fn scalar(&self, name: &str, pos: usize) -> Result<PropRef, QueryError> {
        let prop = self.property(name, pos)?;
        match prop.ty() {
            PropertyType::StringCollection => Err(err(
                ErrorKind::Type,
                pos,
                format!("'{name}' is a collection and can only be filtered with any()"),
            )
            .with_hint(format!("e.g. {name}/any(t: t eq 'value')"))),
            PropertyType::Complex { type_name } => Err(err(
                ErrorKind::Type,
                pos,
                format!("'{name}' is of complex type {type_name} and cannot be compared"),
            )),
            _ => Ok(prop),
        }
    }

    fn compare(
        &self,
        op: CompareOp,
        op_pos: usize,
        lhs: &Expr,
        rhs: &Expr,
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
        let (name, pos, lit, lit_pos, op) = match (lhs, rhs) {
            (Expr::Member { name, pos }, Expr::Literal { lit, pos: lp }) => {
                (name, *pos, lit, *lp, op)
            }
            (Expr::Literal { lit, pos: lp }, Expr::Member { name, pos }) => {
                (name, *pos, lit, *lp, op.mirrored())
            }
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
        let prop = self.scalar(name, pos)?;
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
        let value = typed_value(prop, lit, lit_pos)?;
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

    fn in_list(&self, lhs: &Expr, items: &[Expr], pos: usize) -> Result<Filter, QueryError> {
        let Expr::Member { name, pos: ppos } = lhs else {
            return Err(err(
                ErrorKind::Type,
                lhs.pos(),
                "the left side of 'in' must be a property",
            ));
        };
        let prop = self.scalar(name, *ppos)?;
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
                Expr::Literal { lit, pos } => typed_value(prop, lit, *pos),
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

    fn call(&self, name: &str, pos: usize, args: &[Expr]) -> Result<Filter, QueryError> {
        let func = string_function(name, pos, args.len())?;
        let (
            Expr::Member {
                name: pname,
                pos: ppos,
            },
            second,
        ) = (&args[0], &args[1])
        else {
            return Err(err(
                ErrorKind::Type,
                args[0].pos(),
                format!("the first argument of {name} must be a property"),
            )
            .with_hint(format!("write {name}(property,'text')")));
        };
        let prop = self.scalar(pname, *ppos)?;
        if prop.ty() != PropertyType::String {
            return Err(err(
                ErrorKind::Type,
                *ppos,
                format!(
                    "{name} needs a String property, but '{pname}' is {}",
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

/// The function called `name`, checked to have two arguments.
pub(crate) fn string_function(
    name: &str,
    pos: usize,
    arity: usize,
) -> Result<StringFunction, QueryError> {
    let Some(func) = StringFunction::from_name(name) else {
        let hint = match name {
            "substringof" => "use contains(property,'text')".to_owned(),
            _ => "supported functions: startswith, endswith, contains".to_owned(),
        };
        return Err(err(
            ErrorKind::Unsupported,
            pos,
            format!("unknown function '{name}'"),
        )
        .with_hint(hint));
    };
    if arity != 2 {
        return Err(err(
            ErrorKind::Syntax,
            pos,
            format!("{name} takes 2 arguments, not {arity}"),
        )
        .with_hint(format!("write {name}(property,'text')")));
    }
    Ok(func)
}

/// The second argument of a string function: a string literal.
pub(crate) fn string_argument(name: &str, arg: &Expr) -> Result<String, QueryError> {
    match arg {
        Expr::Literal {
            lit: Lit::Str(s), ..
        } => Ok(s.clone()),
        other => Err(err(
            ErrorKind::Type,
            other.pos(),
            format!("the second argument of {name} must be a quoted string"),
        )),
    }
}
