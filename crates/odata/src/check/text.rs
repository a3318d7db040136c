//! The string functions of `$filter` (`startswith`, `endswith`, `contains`): their names, their
//! arity and the text they take, shared by the filter and the `any()` element checks.

use super::err;
use crate::ast::StringFunction;
use crate::error::{ErrorKind, QueryError};
use crate::lexer::Lit;
use crate::parser::Expr;

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

/// The longest text `startswith`, `endswith` and `contains` accept, in characters. The database
/// tests a pattern against a value in up to (value length × pattern length) steps, on every row
/// it reads; no member a client writes is longer than 1,500 characters, and none is searched for
/// a passage longer than this.
pub const MAX_TEXT_ARGUMENT: usize = 256;

/// The second argument of a string function: a string literal of at most [`MAX_TEXT_ARGUMENT`]
/// characters.
pub(crate) fn string_argument(name: &str, arg: &Expr) -> Result<String, QueryError> {
    match arg {
        Expr::Literal {
            lit: Lit::Str(s),
            pos,
        } => {
            let n = s.chars().count();
            if n > MAX_TEXT_ARGUMENT {
                return Err(err(
                    ErrorKind::Limit,
                    *pos,
                    format!(
                        "the text of {name} is {n} characters long, more than the {MAX_TEXT_ARGUMENT} allowed"
                    ),
                ));
            }
            Ok(s.clone())
        }
        other => Err(err(
            ErrorKind::Type,
            other.pos(),
            format!("the second argument of {name} must be a quoted string"),
        )),
    }
}
