//! Recursive-descent parser for `$filter` text into an untyped syntax tree ([`Expr`]), with
//! OData precedence (primary and `in` > `not` > `gt ge lt le` > `eq ne` > `and` > `or`) and a
//! bound on nesting. Names and types are checked afterwards, by `check`.

use crate::ast::CompareOp;
use crate::error::{ErrorKind, QueryError};
use crate::lexer::{Lexer, Lit, Tok};

/// The option name used in filter errors.
pub(crate) const FILTER: &str = "$filter";

/// Words that cannot name a lambda variable, because the grammar reads them as keywords.
const RESERVED: [&str; 16] = [
    "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "in", "true", "false", "null", "any",
    "all", "has",
];

/// The untyped syntax tree. Every node remembers where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `a or b or ...` (two or more).
    Or(Vec<Expr>),
    /// `a and b and ...` (two or more).
    And(Vec<Expr>),
    /// `not operand`.
    Not { pos: usize, operand: Box<Expr> },
    /// `lhs op rhs`.
    Compare {
        op: CompareOp,
        op_pos: usize,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `lhs in (items)`.
    In {
        lhs: Box<Expr>,
        items: Vec<Expr>,
        pos: usize,
    },
    /// `name(args)`.
    Call {
        name: String,
        pos: usize,
        args: Vec<Expr>,
    },
    /// An identifier (a property or the lambda variable), with the further segments of a path
    /// after it (`actor/userPrincipalName`, `r/resourceId`), each with its position.
    Member {
        name: String,
        pos: usize,
        rest: Vec<(String, usize)>,
    },
    /// `prop/any()`, `prop/any(var: body)` or `prop/all(var: body)` (`all` then holds the
    /// position of the word `all`).
    Any {
        prop: String,
        pos: usize,
        all: Option<usize>,
        lambda: Option<(String, usize, Box<Expr>)>,
    },
    /// A literal.
    Literal { lit: Lit, pos: usize },
}

impl Expr {
    /// Where the expression starts in the filter text.
    pub(crate) fn pos(&self) -> usize {
        match self {
            Expr::Or(items) | Expr::And(items) => items.first().map_or(0, Expr::pos),
            Expr::Compare { lhs, .. } | Expr::In { lhs, .. } => lhs.pos(),
            Expr::Not { pos, .. }
            | Expr::Call { pos, .. }
            | Expr::Member { pos, .. }
            | Expr::Any { pos, .. }
            | Expr::Literal { pos, .. } => *pos,
        }
    }
}

/// Parses a whole `$filter` value, allowing at most `max_depth` nested groups (parentheses,
/// function and lambda arguments, `in` lists, `not`).
pub(crate) fn parse(src: &str, max_depth: usize) -> Result<Expr, QueryError> {
    let mut p = Parser {
        lx: Lexer::new(src, FILTER),
        max_depth,
    };
    if src.trim().is_empty() {
        return Err(p.syntax(0, "expected a condition, found an empty filter"));
    }
    let expr = p.or(0)?;
    let (tok, pos) = p.lx.next_token()?;
    match tok {
        Tok::Eof => Ok(expr),
        Tok::RParen => Err(p.syntax(pos, "unbalanced ')'")),
        other => Err(p.unexpected(&other, pos, "'and', 'or' or the end of the filter")),
    }
}

struct Parser<'a> {
    lx: Lexer<'a>,
    max_depth: usize,
}

impl Parser<'_> {
    fn syntax(&self, pos: usize, message: impl Into<String>) -> QueryError {
        QueryError::new(ErrorKind::Syntax, FILTER, pos, message)
    }

    /// "expected X, found Y", with a hint when Y is an operator in the wrong case.
    fn unexpected(&self, found: &Tok, pos: usize, expected: &str) -> QueryError {
        let message = match found {
            Tok::Eof => format!("expected {expected}"),
            other => format!("expected {expected}, found {}", other.describe()),
        };
        let err = self.syntax(pos, message);
        match found {
            Tok::Ident(word) => err.with_opt_hint(case_hint(word)),
            _ => err,
        }
    }

    fn deeper(&self, depth: usize, pos: usize) -> Result<usize, QueryError> {
        if depth >= self.max_depth {
            return Err(QueryError::new(
                ErrorKind::Limit,
                FILTER,
                pos,
                format!("the filter nests deeper than {} levels", self.max_depth),
            ));
        }
        Ok(depth + 1)
    }

    /// Whether the next token is the identifier `word`.
    fn at_word(&mut self, word: &str) -> Result<bool, QueryError> {
        Ok(matches!(self.lx.peek()?.0, Tok::Ident(w) if w == word))
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<usize, QueryError> {
        let (tok, pos) = self.lx.next_token()?;
        if &tok == want {
            Ok(pos)
        } else {
            Err(self.unexpected(&tok, pos, what))
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, QueryError> {
        let mut items = vec![self.and(depth)?];
        while self.at_word("or")? {
            self.lx.next_token()?;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, QueryError> {
        let mut items = vec![self.equality(depth)?];
        while self.at_word("and")? {
            self.lx.next_token()?;
            items.push(self.equality(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    /// The next token as a comparison operator, if it is one of `ops`.
    fn operator(&mut self, ops: &[CompareOp]) -> Result<Option<(CompareOp, usize)>, QueryError> {
        let (tok, pos) = self.lx.peek()?;
        let found = match tok {
            Tok::Ident(w) => CompareOp::from_keyword(w).filter(|op| ops.contains(op)),
            _ => None,
        };
        if found.is_some() {
            self.lx.next_token()?;
        }
        Ok(found.map(|op| (op, pos)))
    }

    fn equality(&mut self, depth: usize) -> Result<Expr, QueryError> {
        let lhs = self.relational(depth, None)?;
        let Some((op, op_pos)) = self.operator(&[CompareOp::Eq, CompareOp::Ne])? else {
            return Ok(lhs);
        };
        let rhs = self.relational(depth, Some(op.keyword()))?;
        if let Some((again, pos)) = self.operator(&CompareOp::ALL)? {
            return Err(self.chained(again, pos));
        }
        Ok(Expr::Compare {
            op,
            op_pos,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        })
    }

    /// An operand, optionally compared with `gt ge lt le`; `after` names what precedes it.
    fn relational(&mut self, depth: usize, after: Option<&str>) -> Result<Expr, QueryError> {
        let lhs = self.unary(depth, after)?;
        let ordering = [CompareOp::Gt, CompareOp::Ge, CompareOp::Lt, CompareOp::Le];
        let Some((op, op_pos)) = self.operator(&ordering)? else {
            return Ok(lhs);
        };
        let rhs = self.unary(depth, Some(op.keyword()))?;
        if let Some((again, pos)) = self.operator(&ordering)? {
            return Err(self.chained(again, pos));
        }
        Ok(Expr::Compare {
            op,
            op_pos,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        })
    }

    fn chained(&self, op: CompareOp, pos: usize) -> QueryError {
        self.syntax(
            pos,
            format!(
                "comparisons cannot be chained: unexpected '{}'",
                op.keyword()
            ),
        )
        .with_hint("use 'and' between comparisons, or parentheses")
    }

    fn unary(&mut self, depth: usize, after: Option<&str>) -> Result<Expr, QueryError> {
        if self.at_word("not")? {
            let (_, pos) = self.lx.next_token()?;
            let inner = self.deeper(depth, pos)?;
            let operand = self.unary(inner, Some("not"))?;
            return Ok(Expr::Not {
                pos,
                operand: Box::new(operand),
            });
        }
        let primary = self.primary(depth, after)?;
        if !self.at_word("in")? {
            return Ok(primary);
        }
        let (_, pos) = self.lx.next_token()?;
        let items = self.list(depth, pos, "in")?;
        if items.is_empty() {
            return Err(self.syntax(pos, "'in' needs at least one value"));
        }
        Ok(Expr::In {
            lhs: Box::new(primary),
            items,
            pos,
        })
    }

    /// `( item, item, ... )` after `what`; the opening parenthesis is next.
    fn list(&mut self, depth: usize, pos: usize, what: &str) -> Result<Vec<Expr>, QueryError> {
        let inner = self.deeper(depth, pos)?;
        self.expect(&Tok::LParen, &format!("'(' after '{what}'"))?;
        let mut items = Vec::new();
        if matches!(self.lx.peek()?.0, Tok::RParen) {
            self.lx.next_token()?;
            return Ok(items);
        }
        loop {
            items.push(self.or(inner)?);
            let (tok, pos) = self.lx.next_token()?;
            match tok {
                Tok::Comma => continue,
                Tok::RParen => return Ok(items),
                other => return Err(self.unexpected(&other, pos, "',' or ')'")),
            }
        }
    }

    fn primary(&mut self, depth: usize, after: Option<&str>) -> Result<Expr, QueryError> {
        let (tok, pos) = self.lx.next_token()?;
        let expected = match after {
            Some(word) => format!("a value after '{word}'"),
            None => "a property, a value or '('".to_owned(),
        };
        match tok {
            Tok::LParen => {
                let inner = self.deeper(depth, pos)?;
                let expr = self.or(inner)?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(expr)
            }
            Tok::Lit(lit) => Ok(Expr::Literal { lit, pos }),
            Tok::Ident(word) => self.word(word, pos, depth, &expected),
            other => Err(self.unexpected(&other, pos, &expected)),
        }
    }

    /// An identifier in operand position: keyword literal, function call, lambda or member.
    fn word(
        &mut self,
        word: String,
        pos: usize,
        depth: usize,
        expected: &str,
    ) -> Result<Expr, QueryError> {
        match word.as_str() {
            w if w.eq_ignore_ascii_case("true") => {
                return Ok(Expr::Literal {
                    lit: Lit::Bool(true),
                    pos,
                })
            }
            w if w.eq_ignore_ascii_case("false") => {
                return Ok(Expr::Literal {
                    lit: Lit::Bool(false),
                    pos,
                })
            }
            "null" => {
                return Ok(Expr::Literal {
                    lit: Lit::Null,
                    pos,
                })
            }
            "and" | "or" | "in" | "eq" | "ne" | "gt" | "ge" | "lt" | "le" => {
                return Err(self.unexpected(&Tok::Ident(word), pos, expected));
            }
            _ => {}
        }
        match self.lx.peek()?.0 {
            Tok::LParen => {
                let args = self.list(depth, pos, &word)?;
                Ok(Expr::Call {
                    name: word,
                    pos,
                    args,
                })
            }
            Tok::Slash => self.path(word, pos, depth),
            _ => Ok(Expr::Member {
                name: word,
                pos,
                rest: Vec::new(),
            }),
        }
    }

    /// After `name` with a `/` next: a path (`actor/userPrincipalName`) or a lambda
    /// (`resources/any(...)`, `resources/all(...)`). Paths are checked against the schema later.
    fn path(&mut self, name: String, pos: usize, depth: usize) -> Result<Expr, QueryError> {
        let mut rest = Vec::new();
        while matches!(self.lx.peek()?.0, Tok::Slash) {
            self.lx.next_token()?;
            let (tok, spos) = self.lx.next_token()?;
            match tok {
                Tok::Ident(w) if w == "any" || w == "all" => {
                    if let Some((first, at)) = rest.first() {
                        return Err(QueryError::new(
                            ErrorKind::Unsupported,
                            FILTER,
                            *at,
                            format!(
                                "{w}() over '{name}/{first}' is not supported; it applies only to a collection member of the entity"
                            ),
                        ));
                    }
                    return self.lambda(name, pos, spos, w == "all", depth);
                }
                Tok::Ident(segment) if !is_reserved(&segment) => rest.push((segment, spos)),
                other => {
                    return Err(self.unexpected(
                        &other,
                        spos,
                        "a property name or any(...) after '/'",
                    ))
                }
            }
        }
        Ok(Expr::Member { name, pos, rest })
    }

    /// After `prop/any` or `prop/all` (the word at `fpos`): `()` or `(var: body)`.
    fn lambda(
        &mut self,
        prop: String,
        pos: usize,
        fpos: usize,
        all: bool,
        depth: usize,
    ) -> Result<Expr, QueryError> {
        let word = if all { "all" } else { "any" };
        let all = all.then_some(fpos);
        let inner = self.deeper(depth, fpos)?;
        self.expect(&Tok::LParen, &format!("'(' after '{word}'"))?;
        let (tok, vpos) = self.lx.next_token()?;
        let var = match tok {
            Tok::RParen if all.is_some() => {
                return Err(self
                    .syntax(vpos, "all() needs a condition")
                    .with_hint(format!("write {prop}/all(x: ...)")));
            }
            Tok::RParen => {
                return Ok(Expr::Any {
                    prop,
                    pos,
                    all,
                    lambda: None,
                })
            }
            Tok::Ident(var) if !is_reserved(&var) && !var.contains('.') => var,
            other => {
                return Err(self.unexpected(&other, vpos, "a variable name such as 't' or ')'"))
            }
        };
        self.expect(&Tok::Colon, &format!("':' after the variable '{var}'"))?;
        let body = self.or(inner)?;
        self.expect(&Tok::RParen, &format!("')' closing {word}("))?;
        Ok(Expr::Any {
            prop,
            pos,
            all,
            lambda: Some((var, vpos, Box::new(body))),
        })
    }
}

/// Whether `word` is read as a keyword in some spelling (`true`/`false` in any case), and so
/// cannot name a lambda variable.
fn is_reserved(word: &str) -> bool {
    RESERVED.contains(&word.to_ascii_lowercase().as_str())
}

/// "operators are lower-case" when `word` is an operator or keyword in another case.
pub(crate) fn case_hint(word: &str) -> Option<String> {
    let lower = word.to_ascii_lowercase();
    let keyword = RESERVED.contains(&lower.as_str()) || matches!(lower.as_str(), "asc" | "desc");
    (keyword && lower != word)
        .then(|| format!("operators and keywords are lower-case: write '{lower}'"))
}
