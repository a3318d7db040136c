//! Type-checks the body of `any(var: ...)`: a condition on one element of a string collection,
//! in which only the range variable may appear. Folding rules match the outer filter's.

use crate::ast::{CompareOp, ElementFilter};
use crate::check::{err, string_argument, string_function};
use crate::error::{ErrorKind, QueryError};
use crate::lexer::Lit;
use crate::literal::{bool_literal, describe, is_condition};
use crate::parser::Expr;

/// Checks the lambda body `body` whose range variable is `var`.
pub(crate) fn check(var: &str, body: &Expr) -> Result<ElementFilter, QueryError> {
    Element { var }.condition(body)
}

/// The conditions an element filter holds: each comparison, function call and `in` value.
pub(crate) fn conditions(f: &ElementFilter) -> usize {
    match f {
        ElementFilter::And(items) | ElementFilter::Or(items) => items.iter().map(conditions).sum(),
        ElementFilter::Not(inner) => conditions(inner),
        ElementFilter::In(values) => values.len(),
        ElementFilter::Compare { .. } | ElementFilter::StringMatch { .. } => 1,
    }
}

/// The number of nodes on the longest root-to-leaf path.
pub(crate) fn depth(filter: &ElementFilter) -> usize {
    1 + match filter {
        ElementFilter::And(items) | ElementFilter::Or(items) => {
            items.iter().map(depth).max().unwrap_or(0)
        }
        ElementFilter::Not(inner) => depth(inner),
        _ => 0,
    }
}

struct Element<'v> {
    var: &'v str,
}

impl Element<'_> {
    fn condition(&self, expr: &Expr) -> Result<ElementFilter, QueryError> {
        match expr {
            Expr::Or(items) => Ok(ElementFilter::Or(self.all(items)?)),
            Expr::And(items) => Ok(ElementFilter::And(self.all(items)?)),
            Expr::Not { operand, .. } => Ok(ElementFilter::Not(Box::new(self.condition(operand)?))),
            Expr::Compare {
                op,
                op_pos,
                lhs,
                rhs,
            } => self.compare(*op, *op_pos, lhs, rhs),
            Expr::In { lhs, items, .. } => {
                self.variable(lhs)?;
                let values = items
                    .iter()
                    .map(|item| self.string(item))
                    .collect::<Result<_, _>>()?;
                Ok(ElementFilter::In(values))
            }
            Expr::Call { name, pos, args } => {
                let func = string_function(name, *pos, args.len())?;
                self.variable(&args[0])?;
                Ok(ElementFilter::StringMatch {
                    func,
                    arg: string_argument(name, &args[1])?,
                })
            }
            Expr::Any { pos, .. } => {
                Err(err(ErrorKind::Unsupported, *pos, "any() cannot be nested"))
            }
            Expr::Member { pos, .. } => Err(err(
                ErrorKind::Type,
                *pos,
                format!("'{}' is a string, not a condition", self.var),
            )
            .with_hint(format!("compare it, e.g. {} eq 'value'", self.var))),
            Expr::Literal { pos, .. } => Err(err(
                ErrorKind::Type,
                *pos,
                "a literal alone is not a condition",
            )),
        }
    }

    fn all(&self, items: &[Expr]) -> Result<Vec<ElementFilter>, QueryError> {
        items.iter().map(|e| self.condition(e)).collect()
    }

    /// Checks that `expr` is the range variable.
    fn variable(&self, expr: &Expr) -> Result<(), QueryError> {
        match expr {
            Expr::Member { name, rest, .. } if name == self.var && rest.is_empty() => Ok(()),
            Expr::Member { name, rest, .. } if name == self.var => Err(err(
                ErrorKind::Type,
                rest.first().map_or(expr.pos(), |s| s.1),
                format!("'{name}' is a string and has no properties"),
            )),
            Expr::Member { name, pos, .. } => Err(err(
                ErrorKind::Unsupported,
                *pos,
                format!(
                    "inside any(), only the variable '{}' can be used, not '{name}'",
                    self.var
                ),
            )),
            other => Err(err(
                ErrorKind::Type,
                other.pos(),
                format!("expected the variable '{}' here", self.var),
            )),
        }
    }

    /// A string literal compared with an element.
    fn string(&self, expr: &Expr) -> Result<String, QueryError> {
        match expr {
            Expr::Literal {
                lit: Lit::Str(s), ..
            } => Ok(s.clone()),
            Expr::Literal {
                lit: Lit::Null,
                pos,
            } => Err(err(
                ErrorKind::Type,
                *pos,
                "collection elements are never null",
            )),
            Expr::Literal { lit, pos } => Err(err(
                ErrorKind::Type,
                *pos,
                format!(
                    "'{}' is a string and cannot be compared with {}",
                    self.var,
                    describe(lit)
                ),
            )
            .with_hint("quote strings: 'text'")),
            other => Err(err(
                ErrorKind::Type,
                other.pos(),
                "expected a quoted string",
            )),
        }
    }

    fn compare(
        &self,
        op: CompareOp,
        op_pos: usize,
        lhs: &Expr,
        rhs: &Expr,
    ) -> Result<ElementFilter, QueryError> {
        for side in [lhs, rhs] {
            if let Expr::Call { name, pos, args } = side {
                string_function(name, *pos, args.len())?;
            }
        }
        for (cond, other) in [(lhs, rhs), (rhs, lhs)] {
            if !is_condition(cond) {
                continue;
            }
            let Some(value) = bool_literal(other) else {
                return Err(err(
                    ErrorKind::Type,
                    other.pos(),
                    "a condition cannot be compared with this value",
                )
                .with_hint("a condition can only be compared with true or false"));
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
                ElementFilter::Not(Box::new(cond))
            });
        }
        let (var_side, lit_side, op) = match (lhs, rhs) {
            (Expr::Member { .. }, Expr::Literal { .. }) => (lhs, rhs, op),
            (Expr::Literal { .. }, Expr::Member { .. }) => (rhs, lhs, op.mirrored()),
            (Expr::Member { .. }, Expr::Member { .. }) => {
                return Err(err(
                    ErrorKind::Unsupported,
                    lhs.pos(),
                    "comparing two values of the collection is not supported",
                ));
            }
            _ => {
                return Err(err(
                    ErrorKind::Type,
                    lhs.pos(),
                    format!("a comparison needs the variable '{}' on one side", self.var),
                ))
            }
        };
        self.variable(var_side)?;
        Ok(ElementFilter::Compare {
            op,
            value: self.string(lit_side)?,
        })
    }
}
