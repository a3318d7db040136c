//! Text helpers for case-insensitive matching: LIKE patterns with their wildcards escaped, and
//! the exclusive upper bound that turns `startswith` into an index range.

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
mod tests {
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
