//! Splits a (percent-decoded) `$filter` value into tokens, each with its byte position.
//! Literals are recognised and converted here; keywords stay identifiers for the parser to read
//! in context.

use crate::datetime::DateTimeUtc;
use crate::error::{ErrorKind, QueryError};

/// A literal as written, before it meets the property it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    /// `'text'`, unescaped.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An unquoted date-time.
    DateTime(DateTimeUtc),
    /// An unquoted date without a time (`2026-01-02`): not comparable with anything here.
    Date(String),
    /// An unquoted GUID: ids are strings in this entity, so it must be quoted.
    Guid(String),
    /// A decimal or floating-point number: no property has such a type.
    Decimal(String),
    /// `qualifier'text'`, e.g. an enum literal `microsoft.graph.x'member'`.
    Typed { qualifier: String, text: String },
}

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier or keyword (letters, digits, `_`, and inner dots).
    Ident(String),
    /// A literal.
    Lit(Lit),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `/`
    Slash,
    /// End of input.
    Eof,
}

impl Tok {
    /// How the token reads in a message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Lit(_) => "a literal".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Colon => "':'".into(),
            Tok::Slash => "'/'".into(),
            Tok::Eof => "the end of the filter".into(),
        }
    }
}

/// A lazy tokenizer with one token of look-ahead.
#[derive(Debug)]
pub(crate) struct Lexer<'a> {
    src: &'a str,
    at: usize,
    option: &'static str,
    peeked: Option<(Tok, usize)>,
}

impl<'a> Lexer<'a> {
    /// A lexer over `src`, reporting errors against `option` (e.g. `$filter`).
    pub(crate) fn new(src: &'a str, option: &'static str) -> Self {
        Lexer {
            src,
            at: 0,
            option,
            peeked: None,
        }
    }

    /// The next token and its position, without consuming it.
    pub(crate) fn peek(&mut self) -> Result<(&Tok, usize), QueryError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.scan()?);
        }
        match &self.peeked {
            Some((tok, pos)) => Ok((tok, *pos)),
            None => Ok((&Tok::Eof, self.src.len())),
        }
    }

    /// Consumes and returns the next token and its position.
    pub(crate) fn next_token(&mut self) -> Result<(Tok, usize), QueryError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.scan(),
        }
    }

    fn err(&self, pos: usize, message: impl Into<String>) -> QueryError {
        QueryError::new(ErrorKind::Syntax, self.option, pos, message)
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.at..).unwrap_or("")
    }

    fn scan(&mut self) -> Result<(Tok, usize), QueryError> {
        let skipped = self.rest().len() - self.rest().trim_start().len();
        self.at += skipped;
        let start = self.at;
        let Some(c) = self.rest().chars().next() else {
            return Ok((Tok::Eof, start));
        };
        let next_is_digit = self.rest()[c.len_utf8()..].starts_with(|d: char| d.is_ascii_digit());
        let simple = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            ':' => Some(Tok::Colon),
            '/' => Some(Tok::Slash),
            _ => None,
        };
        if let Some(tok) = simple {
            self.at += 1;
            return Ok((tok, start));
        }
        if c == '\'' {
            let text = self.quoted()?;
            return Ok((Tok::Lit(Lit::Str(text)), start));
        }
        if c.is_ascii_digit() || (matches!(c, '-' | '+') && next_is_digit) {
            let word = self.take_while(|c| c.is_ascii_alphanumeric() || ".:+-".contains(c));
            return Ok((Tok::Lit(self.classify(word, start)?), start));
        }
        if c.is_ascii_alphabetic() || c == '_' {
            return self.identifier(start);
        }
        Err(self.unexpected(c, start))
    }

    /// An identifier, a qualified name followed by a quoted literal, or a GUID that starts
    /// with a letter.
    fn identifier(&mut self, start: usize) -> Result<(Tok, usize), QueryError> {
        let guid_len = self
            .rest()
            .find(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
            .unwrap_or(self.rest().len());
        if guid_len == 36 && is_guid(&self.rest()[..36]) {
            let guid = self.rest()[..36].to_owned();
            self.at += 36;
            return Ok((Tok::Lit(Lit::Guid(guid)), start));
        }
        let word = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let word = word.trim_end_matches('.');
        self.at = start + word.len();
        if self.rest().starts_with('\'') {
            let qualifier = word.to_owned();
            let text = self.quoted()?;
            return Ok((Tok::Lit(Lit::Typed { qualifier, text }), start));
        }
        if word.contains("..") {
            return Err(self.err(start, format!("malformed name '{word}'")));
        }
        Ok((Tok::Ident(word.to_owned()), start))
    }

    /// A single-quoted string starting at the current position; `''` is one quote.
    fn quoted(&mut self) -> Result<String, QueryError> {
        let open = self.at;
        let mut out = String::new();
        let mut chars = self.rest().char_indices().skip(1).peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                    chars.next();
                    out.push('\'');
                    continue;
                }
                self.at = open + i + 1;
                return Ok(out);
            }
            out.push(c);
        }
        Err(self
            .err(open, "unterminated string literal")
            .with_hint("close it with ' and write a quote inside a string as ''"))
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest.find(|c: char| !keep(c)).unwrap_or(rest.len());
        self.at += len;
        &rest[..len]
    }

    /// Turns a number-like word into a literal.
    fn classify(&self, word: &str, pos: usize) -> Result<Lit, QueryError> {
        let digits = word.strip_prefix(['-', '+']).unwrap_or(word);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return word.parse::<i64>().map(Lit::Int).map_err(|_| {
                self.err(pos, format!("integer {word} is out of range"))
                    .with_hint("integers must fit in 64 bits")
            });
        }
        let b = word.as_bytes();
        let dated =
            b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-';
        if dated && b.len() == 10 {
            return Ok(Lit::Date(word.to_owned()));
        }
        if dated && matches!(b[10], b'T' | b't') {
            return DateTimeUtc::parse(word).map(Lit::DateTime).map_err(|why| {
                self.err(pos, format!("invalid date-time '{word}': {why}"))
                    .with_hint(
                        "write date-times as 2026-01-02T03:04:05Z or with an offset such as +01:00",
                    )
            });
        }
        if is_guid(word) {
            return Ok(Lit::Guid(word.to_owned()));
        }
        let decimal = digits
            .split(['.', 'e', 'E'])
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
        if decimal && (digits.contains('.') || digits.contains(['e', 'E'])) {
            return Ok(Lit::Decimal(word.to_owned()));
        }
        Err(self.err(pos, format!("invalid literal '{word}'")))
    }

    fn unexpected(&self, c: char, pos: usize) -> QueryError {
        let hint = match c {
            '+' => Some("'+' is a literal plus sign here; encode spaces as %20"),
            '"' => Some("quote strings with single quotes: 'text'"),
            '=' | '<' | '>' | '!' => Some("use the operators eq, ne, gt, ge, lt, le"),
            '&' | '|' => Some("use the operators and, or, not"),
            '[' | ']' => Some("write lists in parentheses: prop in ('a','b')"),
            '$' => Some("$it and $this are not supported"),
            _ => None,
        };
        self.err(pos, format!("unexpected character {c:?}"))
            .with_opt_hint(hint.map(str::to_owned))
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let mut lx = Lexer::new(s, "$filter");
        let mut out = vec![];
        loop {
            let (t, _) = lx.next_token().unwrap();
            if t == Tok::Eof {
                return out;
            }
            out.push(t);
        }
    }

    #[test]
    fn literals() {
        assert_eq!(toks("'it''s'"), vec![Tok::Lit(Lit::Str("it's".into()))]);
        assert_eq!(
            toks("-5 +7"),
            vec![Tok::Lit(Lit::Int(-5)), Tok::Lit(Lit::Int(7))]
        );
        assert_eq!(toks("1.5"), vec![Tok::Lit(Lit::Decimal("1.5".into()))]);
        assert_eq!(
            toks("2026-01-02"),
            vec![Tok::Lit(Lit::Date("2026-01-02".into()))]
        );
        let g = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(toks(g), vec![Tok::Lit(Lit::Guid(g.into()))]);
        let g = "af8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(toks(g), vec![Tok::Lit(Lit::Guid(g.into()))]);
        assert_eq!(
            toks("a.b'c'"),
            vec![Tok::Lit(Lit::Typed {
                qualifier: "a.b".into(),
                text: "c".into()
            })]
        );
        assert_eq!(
            toks("p/any(t:t)"),
            vec![
                Tok::Ident("p".into()),
                Tok::Slash,
                Tok::Ident("any".into()),
                Tok::LParen,
                Tok::Ident("t".into()),
                Tok::Colon,
                Tok::Ident("t".into()),
                Tok::RParen
            ]
        );
    }

    #[test]
    fn errors() {
        let mut lx = Lexer::new("x eq 'abc", "$filter");
        lx.next_token().unwrap();
        lx.next_token().unwrap();
        let e = lx.next_token().unwrap_err();
        assert_eq!(e.position, Some(5));
        assert!(e.to_string().contains("unterminated"));
        let e = Lexer::new("99999999999999999999", "$filter")
            .next_token()
            .unwrap_err();
        assert!(e.message.contains("out of range"));
        let e = Lexer::new("a+eq", "$filter");
        let mut e = e;
        e.next_token().unwrap();
        assert!(e.next_token().unwrap_err().to_string().contains("%20"));
    }
}
